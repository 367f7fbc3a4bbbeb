//! Rewriting a YAML frontmatter by splicing: what did not change is copied from the text it was
//! read from, byte for byte; only what changed is written by [`crate::session::frontmatter::yaml_emit`].
//!
//! The text is parsed once more with `granit-parser` (the event parser `serde-saphyr` reads
//! with) into a tree of byte spans: block mappings by key, block sequences by position, and
//! everything else (scalars, aliases, flow collections) as a leaf. The new value is then walked
//! against the value the text was read as and against that tree:
//!
//! - an entry (or item) whose value is unchanged is copied whole: the comment and blank lines
//!   above it, the key line with its tag, anchor, quoting and inline comment, and every line of
//!   its value;
//! - an entry whose value is a block mapping or block sequence that changed keeps its key line
//!   and is walked into, so one changed phase does not re-emit the others;
//! - any other changed entry keeps the comment lines above it and its inline comment, and its
//!   `key: value` is emitted afresh at the block's indentation; a new entry is emitted at the
//!   end of its block; a removed one is left out with the comment lines above it.
//!
//! Comment lines travel with the entry below them; comments after the last entry stay at the
//! end. Nothing holding an alias is ever copied (its anchor might not be), so aliased values are
//! written expanded; a mapping with a merge key (`<<`), duplicate or non-scalar keys, or a shape
//! the tree cannot vouch for is emitted afresh when it changed. Every fallback writes the same
//! values, only in our style.
//!
//! Cost: one parse and one walk, linear in the text plus the size of what changed times its
//! depth (mapping keys are found by hash).

use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{Event, Parser, ScalarStyle, StructureStyle};
use serde_json::{Map, Value};

use crate::session::frontmatter::yaml_emit;

/// Renders `new` as the YAML frontmatter text `source` would become: `old` is the value
/// `source` was read as. `None` when the text cannot be walked (it does not parse, or it is
/// not a block mapping that `old` matches); the caller then emits `new` afresh.
pub(crate) fn splice(
    source: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Option<String> {
    let root = build(source)?;
    let mut s = Splicer {
        text: source,
        out: String::with_capacity(source.len() + 256),
        crlf: source.contains("\r\n"),
    };
    match root {
        // Nothing but comments and blank lines: keep them, add the new entries below.
        None if old.is_empty() => {
            s.out.push_str(source);
            for (k, v) in new {
                s.fresh_entry(&yaml_emit::key_text(k), v, 0, true, None);
            }
        }
        None => return None,
        Some(root) => {
            let Kind::Map(map) = &root.kind else {
                return None;
            };
            let inner = line_start(source, root.start);
            if !blank(source.get(inner..root.start)?) || !map_splittable(map, old, new, false) {
                return None;
            }
            s.out.push_str(source.get(..inner)?);
            s.map(map, inner, root.start - inner, false, old, new);
            s.out.push_str(source.get(line_end(source, root.end)..)?);
        }
    }
    Some(s.out)
}

/// A node of the span tree.
#[derive(Debug)]
struct Node {
    /// Byte offset of its first token: a block mapping's first key, a block sequence's first
    /// dash or first item, a scalar's or flow collection's first character.
    start: usize,
    /// Byte offset where its content ends (a block collection: where its last leaf ends).
    end: usize,
    /// Its subtree holds an alias.
    has_alias: bool,
    /// Its shape.
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// A scalar, an alias or a flow collection; `empty` when it has no text (`key:`).
    Leaf { empty: bool },
    /// A block mapping.
    Map(MapNode),
    /// A block sequence.
    Seq(SeqNode),
}

#[derive(Debug)]
struct MapNode {
    entries: Vec<Entry>,
    /// Key -> index in `entries`; complete only when `keyed`.
    index: HashMap<String, usize>,
    /// Every key is a scalar other than a merge key (`<<`), and no key repeats.
    keyed: bool,
}

#[derive(Debug)]
struct Entry {
    /// The key as read (after escapes); `None` for an alias or collection key.
    key: Option<String>,
    /// Byte range of the key's own text.
    key_span: Range<usize>,
    /// The key is a one-line scalar with no tag or anchor, preceded on its line only by
    /// indentation (or the `- ` of a sequence item), so its text can be written back as is.
    key_simple: bool,
    value: Node,
}

#[derive(Debug)]
struct SeqNode {
    items: Vec<Node>,
    /// Byte offset of each item's `-`; `None` when one could not be found where expected.
    dashes: Option<Vec<usize>>,
}

/// A collection being read.
enum Frame {
    Map {
        start: usize,
        entries: Vec<Entry>,
        key: Option<Key>,
        keyed: bool,
        alias_key: bool,
    },
    Seq {
        start: usize,
        items: Vec<Node>,
    },
    /// A flow collection, read as one leaf: `depth` counts its nested collections.
    Flow {
        start: usize,
        depth: usize,
        has_alias: bool,
    },
}

struct Key {
    text: Option<String>,
    span: Range<usize>,
    simple: bool,
}

/// Parses `text` into its span tree: `Some(None)` for a document without a node.
fn build(text: &str) -> Option<Option<Node>> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.ok()?;
        let range = span.byte_range()?;
        if let Some(Frame::Flow {
            start,
            depth,
            has_alias,
        }) = stack.last_mut()
        {
            match event {
                Event::MappingStart(..) | Event::SequenceStart(..) => *depth += 1,
                Event::MappingEnd | Event::SequenceEnd => {
                    *depth -= 1;
                    if *depth == 0 {
                        let node = Node {
                            start: *start,
                            end: range.end,
                            has_alias: *has_alias,
                            kind: Kind::Leaf { empty: false },
                        };
                        stack.pop();
                        add(&mut stack, &mut root, node)?;
                    }
                }
                Event::Alias(_) | Event::UnresolvedAlias(_) => *has_alias = true,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                if let Some(Frame::Map {
                    key: key @ None,
                    keyed,
                    ..
                }) = stack.last_mut()
                {
                    let raw = text.get(range.clone())?;
                    let prefix = text.get(line_start(text, range.start)..range.start)?;
                    let simple = tag.is_none()
                        && anchor == 0
                        && matches!(
                            style,
                            ScalarStyle::Plain
                                | ScalarStyle::SingleQuoted
                                | ScalarStyle::DoubleQuoted
                        )
                        && !raw.contains('\n')
                        && !raw.is_empty()
                        && prefix.chars().all(|c| c == ' ' || c == '-');
                    if value == "<<" && style == ScalarStyle::Plain {
                        *keyed = false;
                    }
                    *key = Some(Key {
                        text: Some(value.into_owned()),
                        span: range,
                        simple,
                    });
                    continue;
                }
                // A block scalar's span runs on to the next token, past the indentation of
                // its line: its content ends at the start of that line.
                let end = match style {
                    ScalarStyle::Literal | ScalarStyle::Folded => {
                        let line = line_start(text, range.end);
                        if blank(text.get(line..range.end)?) {
                            line.max(range.start)
                        } else {
                            range.end
                        }
                    }
                    // An empty value sits just before its `:`, which may start a line of its
                    // own (after a `? key` line): the `:` is part of it.
                    _ if range.is_empty() && text.as_bytes().get(range.start) == Some(&b':') => {
                        range.start + 1
                    }
                    _ => range.end,
                };
                let node = Node {
                    start: range.start,
                    end,
                    has_alias: false,
                    kind: Kind::Leaf {
                        empty: range.is_empty(),
                    },
                };
                add(&mut stack, &mut root, node)?;
            }
            Event::Alias(_) | Event::UnresolvedAlias(_) => {
                if let Some(Frame::Map {
                    key: None,
                    alias_key,
                    ..
                }) = stack.last_mut()
                {
                    *alias_key = true;
                }
                let node = Node {
                    start: range.start,
                    end: range.end,
                    has_alias: true,
                    kind: Kind::Leaf { empty: false },
                };
                add(&mut stack, &mut root, node)?;
            }
            Event::MappingStart(StructureStyle::Flow, ..)
            | Event::SequenceStart(StructureStyle::Flow, ..) => stack.push(Frame::Flow {
                start: range.start,
                depth: 1,
                has_alias: false,
            }),
            Event::MappingStart(StructureStyle::Block, ..) => stack.push(Frame::Map {
                start: range.start,
                entries: Vec::new(),
                key: None,
                keyed: true,
                alias_key: false,
            }),
            Event::SequenceStart(StructureStyle::Block, ..) => stack.push(Frame::Seq {
                start: range.start,
                items: Vec::new(),
            }),
            Event::MappingEnd => {
                let Some(Frame::Map {
                    start,
                    entries,
                    key,
                    keyed,
                    alias_key,
                }) = stack.pop()
                else {
                    return None;
                };
                if key.is_some() {
                    return None;
                }
                let node = finish_map(text, start, entries, keyed, alias_key)?;
                add(&mut stack, &mut root, node)?;
            }
            Event::SequenceEnd => {
                let Some(Frame::Seq { start, items }) = stack.pop() else {
                    return None;
                };
                let node = finish_seq(text, start, items)?;
                add(&mut stack, &mut root, node)?;
            }
            _ => {}
        }
    }
    stack.is_empty().then_some(root)
}

/// Adds a finished node to the collection being read (or makes it the root).
fn add(stack: &mut [Frame], root: &mut Option<Node>, node: Node) -> Option<()> {
    match stack.last_mut() {
        None if root.is_none() => *root = Some(node),
        None => return None,
        Some(Frame::Map {
            entries,
            key,
            keyed,
            ..
        }) => match key.take() {
            Some(key) => entries.push(Entry {
                key: key.text,
                key_span: key.span,
                key_simple: key.simple,
                value: node,
            }),
            // A collection or alias used as a key.
            None => {
                *keyed = false;
                *key = Some(Key {
                    text: None,
                    span: node.start..node.end,
                    simple: false,
                });
            }
        },
        Some(Frame::Seq { items, .. }) => items.push(node),
        Some(Frame::Flow { .. }) => return None,
    }
    Some(())
}

fn finish_map(
    text: &str,
    start: usize,
    mut entries: Vec<Entry>,
    keyed: bool,
    alias_key: bool,
) -> Option<Node> {
    let end = entries.last()?.value.end;
    // A key away from the mapping's column is not an implicit `key:` (it follows `? `): its
    // text is not written back as a key line.
    let col = start - line_start(text, start);
    for e in &mut entries {
        if e.key_span.start - line_start(text, e.key_span.start) != col {
            e.key_simple = false;
        }
    }
    // Each entry must start on a line after the previous one's value, or its text cannot be
    // told apart (`? k` `:: v` puts two entries on one line).
    let mut keyed = keyed
        && entries
            .windows(2)
            .all(|w| w[1].key_span.start >= line_end(text, w[0].value.end));
    let mut index = HashMap::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        match &e.key {
            Some(k) => {
                if index.insert(k.clone(), i).is_some() {
                    keyed = false;
                }
            }
            None => keyed = false,
        }
    }
    Some(Node {
        start,
        end,
        has_alias: alias_key || entries.iter().any(|e| e.value.has_alias),
        kind: Kind::Map(MapNode {
            entries,
            index,
            keyed,
        }),
    })
}

fn finish_seq(text: &str, start: usize, items: Vec<Node>) -> Option<Node> {
    let end = items.last()?.end;
    let dashes = find_dashes(text, start, &items);
    Some(Node {
        start,
        end,
        has_alias: items.iter().any(|n| n.has_alias),
        kind: Kind::Seq(SeqNode { items, dashes }),
    })
}

/// The byte offset of every item's `-`. The block sequence event starts at the first dash, or
/// (for a sequence not indented under its key) just after it; every later dash is the first
/// character, at the same column, of the first line after the previous item that is not blank
/// or a comment.
fn find_dashes(text: &str, start: usize, items: &[Node]) -> Option<Vec<usize>> {
    let bytes = text.as_bytes();
    let first = if bytes.get(start) == Some(&b'-') {
        start
    } else {
        let before = text.get(..start)?;
        let trimmed = before.trim_end_matches([' ', '\t']);
        trimmed.ends_with('-').then(|| trimmed.len() - 1)?
    };
    let col = first - line_start(text, first);
    let mut dashes = Vec::with_capacity(items.len());
    dashes.push(first);
    for prev in &items[..items.len() - 1] {
        let mut p = line_end(text, prev.end);
        loop {
            let line = text.get(p..next_line(text, p))?;
            if line.is_empty() {
                return None;
            }
            let content = line.trim_start_matches(' ');
            if content.trim().is_empty() || content.starts_with('#') {
                p += line.len();
                continue;
            }
            if !content.starts_with('-') || line.len() - content.len() != col {
                return None;
            }
            dashes.push(p + col);
            break;
        }
    }
    Some(dashes)
}

/// Whether `map`'s entries can be walked by key against `old`, to write `new` at its place
/// (`midline`: the block starts after a sequence item's `- `, so its first entry must stay
/// first).
fn map_splittable(
    map: &MapNode,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    midline: bool,
) -> bool {
    map.keyed
        && !new.is_empty()
        && map.entries.len() == old.len()
        && map
            .entries
            .iter()
            .all(|e| e.key.as_ref().is_some_and(|k| old.contains_key(k)))
        && (!midline || new.keys().next() == map.entries.first().and_then(|e| e.key.as_ref()))
}

fn seq_splittable(seq: &SeqNode, old: &[Value], new: &[Value]) -> bool {
    seq.dashes.is_some() && !new.is_empty() && seq.items.len() == old.len()
}

/// The start of the line holding byte `pos`.
fn line_start(text: &str, pos: usize) -> usize {
    text.get(..pos)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1)
}

/// Where the content ending at byte `pos` has its line end: the start of the next line (or the
/// end of the text), or `pos` itself when it already starts a line (a block scalar's span ends
/// at the start of the line after it).
fn line_end(text: &str, pos: usize) -> usize {
    if pos == 0 || pos >= text.len() || text.as_bytes().get(pos - 1) == Some(&b'\n') {
        return pos.min(text.len());
    }
    next_line(text, pos)
}

/// The start of the line after the one holding byte `pos`, or the end of the text.
fn next_line(text: &str, pos: usize) -> usize {
    text.get(pos..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| pos + i + 1)
}

/// Where the comment and blank lines from `seg_start` end: the start of the entry's first line
/// (which may hold `? `, a tag or an anchor before the key itself), or `seg_start` when it is
/// inside a line (right after a `- `).
fn first_content_line(text: &str, seg_start: usize) -> usize {
    if seg_start != line_start(text, seg_start) {
        return seg_start;
    }
    let mut p = seg_start;
    while p < text.len() {
        let next = next_line(text, p);
        let line = text.get(p..next).unwrap_or_default();
        let content = line.trim_start_matches([' ', '\t']);
        if !(content.trim().is_empty() || content.starts_with('#')) {
            break;
        }
        p = next;
    }
    p
}

fn same_line(text: &str, a: usize, b: usize) -> bool {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    text.get(lo..hi).is_some_and(|t| !t.contains('\n'))
}

fn blank(s: &str) -> bool {
    s.chars().all(|c| c == ' ')
}

/// Where a changed block collection is walked into.
struct Inner {
    /// Where its first entry's text starts (after the key line and the comment lines above
    /// its first entry, or right after a `- `).
    start: usize,
    /// Column of its keys or dashes.
    col: usize,
    /// It starts on the line of the `- ` it belongs to.
    midline: bool,
}

struct Splicer<'a> {
    text: &'a str,
    out: String,
    crlf: bool,
}

impl<'a> Splicer<'a> {
    fn copy(&mut self, range: Range<usize>) {
        if let Some(t) = self.text.get(range) {
            self.out.push_str(t);
        }
    }

    /// Appends text we emitted, with the source's line ends.
    fn push_fresh(&mut self, s: &str) {
        if self.crlf {
            self.out.push_str(&s.replace('\n', "\r\n"));
        } else {
            self.out.push_str(s);
        }
    }

    /// Emits `key: value` at column `col`, with `comment` (kept from the line it replaces)
    /// after the first line.
    fn fresh_entry(
        &mut self,
        key: &str,
        value: &Value,
        col: usize,
        at_line_start: bool,
        comment: Option<&str>,
    ) {
        let mut s = String::new();
        if at_line_start {
            self.ensure_line_start();
            s.extend(std::iter::repeat_n(' ', col));
        }
        yaml_emit::push_entry(&mut s, key, value, col);
        insert_comment(&mut s, comment);
        self.push_fresh(&s);
    }

    /// Emits `- value` with its dash at column `col`.
    fn fresh_item(
        &mut self,
        value: &Value,
        col: usize,
        at_line_start: bool,
        comment: Option<&str>,
    ) {
        let mut s = String::new();
        if at_line_start {
            self.ensure_line_start();
            s.extend(std::iter::repeat_n(' ', col));
        }
        yaml_emit::push_item(&mut s, value, col);
        insert_comment(&mut s, comment);
        self.push_fresh(&s);
    }

    /// A source whose last line has no line end gets one before a new line is written.
    fn ensure_line_start(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.push_fresh("\n");
        }
    }

    /// Writes the entries of `new` in its order, walking `map` (read as `old`).
    fn map(
        &mut self,
        map: &MapNode,
        inner_start: usize,
        col: usize,
        midline: bool,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
    ) {
        for (n, (key, value)) in new.iter().enumerate() {
            let at_line_start = !(midline && n == 0);
            let found = map.index.get(key.as_str()).copied();
            match (found, old.get(key)) {
                (Some(i), Some(was)) => {
                    let seg_start = match i.checked_sub(1) {
                        Some(prev) => line_end(self.text, map.entries[prev].value.end),
                        None => inner_start,
                    };
                    self.entry(
                        &map.entries[i],
                        key,
                        seg_start,
                        col,
                        at_line_start,
                        was,
                        value,
                    );
                }
                _ => self.fresh_entry(&yaml_emit::key_text(key), value, col, at_line_start, None),
            }
        }
    }

    /// Writes one entry that exists in the source, starting its text at `seg_start`.
    #[allow(clippy::too_many_arguments)]
    fn entry(
        &mut self,
        e: &Entry,
        key: &str,
        seg_start: usize,
        col: usize,
        at_line_start: bool,
        was: &Value,
        value: &Value,
    ) {
        let seg_end = line_end(self.text, e.value.end);
        if !e.value.has_alias && was == value {
            self.copy(seg_start..seg_end);
            return;
        }
        if e.key_simple
            && let Some(inner) = self.inner(&e.value, e.key_span.start, was, value)
        {
            self.copy(seg_start..inner.start);
            self.walk(&e.value, &inner, was, value);
            return;
        }
        let lead_end = first_content_line(self.text, seg_start);
        self.copy(seg_start..lead_end);
        let key_text = match self.text.get(e.key_span.clone()) {
            Some(t) if e.key_simple => t.to_string(),
            _ => yaml_emit::key_text(key),
        };
        let comment = self.inline_comment(&e.value, e.key_span.start);
        self.fresh_entry(&key_text, value, col, at_line_start, comment);
    }

    /// Writes the items of `new` in order, walking `seq` (read as `old`).
    fn seq(
        &mut self,
        seq: &SeqNode,
        inner: &Inner,
        dashes: &[usize],
        old: &[Value],
        new: &[Value],
    ) {
        for (i, value) in new.iter().enumerate() {
            let at_line_start = !(inner.midline && i == 0);
            let (Some(node), Some(was), Some(&dash)) =
                (seq.items.get(i), old.get(i), dashes.get(i))
            else {
                self.fresh_item(value, inner.col, at_line_start, None);
                continue;
            };
            let seg_start = match i.checked_sub(1) {
                Some(prev) => line_end(self.text, seq.items[prev].end),
                None => inner.start,
            };
            let seg_end = line_end(self.text, node.end);
            if !node.has_alias && was == value {
                self.copy(seg_start..seg_end);
                continue;
            }
            if let Some(child) = self.inner(node, dash, was, value) {
                self.copy(seg_start..child.start);
                self.walk(node, &child, was, value);
                continue;
            }
            let lead_end = seg_start.max(line_start(self.text, dash));
            self.copy(seg_start..lead_end);
            let comment = self.inline_comment(node, dash);
            self.fresh_item(value, inner.col, at_line_start, comment);
        }
    }

    /// Walks into a block collection that [`Splicer::inner`] accepted.
    fn walk(&mut self, node: &Node, inner: &Inner, was: &Value, value: &Value) {
        match (&node.kind, was, value) {
            (Kind::Map(m), Value::Object(o), Value::Object(n)) => {
                self.map(m, inner.start, inner.col, inner.midline, o, n);
            }
            (Kind::Seq(s), Value::Array(o), Value::Array(n)) => {
                if let Some(dashes) = &s.dashes {
                    self.seq(s, inner, dashes, o, n);
                }
            }
            _ => {}
        }
    }

    /// Where to walk into `node` (the value after the key or dash at byte `parent`) to write
    /// `value` over `was`: `None` unless both are non-empty collections of its block kind and
    /// its entries or items line up with `was`.
    fn inner(&self, node: &Node, parent: usize, was: &Value, value: &Value) -> Option<Inner> {
        let text = self.text;
        let (first, ok) = match (&node.kind, was, value) {
            (Kind::Map(m), Value::Object(o), Value::Object(n)) => {
                let midline = same_line(text, parent, node.start);
                (node.start, map_splittable(m, o, n, midline))
            }
            (Kind::Seq(s), Value::Array(o), Value::Array(n)) => {
                let dash = *s.dashes.as_ref()?.first()?;
                (dash, seq_splittable(s, o, n))
            }
            _ => return None,
        };
        if !ok {
            return None;
        }
        let line = line_start(text, first);
        let midline = same_line(text, parent, first);
        if !midline && !blank(text.get(line..first)?) {
            return None;
        }
        Some(Inner {
            start: if midline { first } else { line },
            col: first - line,
            midline,
        })
    }

    /// The comment after a one-line value on its key's (or dash's) line, with the blanks
    /// before it, as the source has it.
    fn inline_comment(&self, node: &Node, parent: usize) -> Option<&'a str> {
        let text = self.text;
        if !matches!(node.kind, Kind::Leaf { .. })
            || !same_line(text, parent, node.start)
            || !same_line(text, node.start, node.end)
        {
            return None;
        }
        let rest = text.get(node.end..line_end(text, node.end))?;
        let rest = rest.trim_end_matches(['\n', '\r']);
        // An empty value's span sits before the key's `:`.
        let rest = match node.kind {
            Kind::Leaf { empty: true } => rest.strip_prefix(':').unwrap_or(rest),
            _ => rest,
        };
        let comment = rest.trim_start_matches([' ', '\t']);
        (comment.starts_with('#') && comment.len() < rest.len()).then_some(rest)
    }
}

/// Puts `comment` at the end of the first line of `s`.
fn insert_comment(s: &mut String, comment: Option<&str>) {
    if let (Some(c), Some(i)) = (comment, s.find('\n')) {
        s.insert_str(i, c);
    }
}

#[cfg(test)]
mod tests;
