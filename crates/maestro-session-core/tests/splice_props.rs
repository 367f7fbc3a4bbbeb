//! Property tests of the rewrite: whatever YAML a session holds and whatever changes in it,
//! the written file reads back as exactly the changed value, and an unchanged one is written
//! back byte for byte. Sources are written in many styles (comments everywhere, inline
//! comments, indentless and compact sequences, flow collections, quoting styles, tags,
//! anchors, aliases, merge keys, block scalars, odd indentation); edits replace, remove and
//! insert at any depth.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use crate::common::{any_map, any_string, any_value};
use maestro_session_core::session::document::Document;
use maestro_session_core::session::frontmatter::yaml_emit::to_yaml;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Map, Value};

/// One edit: where (child indexes, taken modulo the length at each level), what (0 replace,
/// 1 remove, 2 insert), the new value, and the key for an insert.
type Edit = (Vec<usize>, u8, Value, String);

fn any_edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(
        (
            prop::collection::vec(0usize..8, 1..5),
            0u8..3,
            any_value(),
            any_string(),
        ),
        0..4,
    )
}

fn apply(map: &mut Map<String, Value>, (path, op, new, key): &Edit) {
    let mut root = Value::Object(std::mem::take(map));
    edit(&mut root, path, *op, new.clone(), key);
    if let Value::Object(m) = root {
        *map = m;
    }
}

fn edit(v: &mut Value, path: &[usize], op: u8, new: Value, key: &str) {
    let step = path.first().copied().unwrap_or(0);
    let deeper = path.len() > 1;
    match v {
        Value::Object(m) if !m.is_empty() => {
            let i = step % m.len();
            let Some(k) = m.keys().nth(i).cloned() else {
                return;
            };
            let child = &mut m[&k];
            if deeper && (child.is_object() || child.is_array()) {
                edit(child, &path[1..], op, new, key);
                return;
            }
            match op {
                0 => *child = new,
                1 => {
                    m.shift_remove(&k);
                }
                _ => {
                    m.insert(key.to_string(), new);
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let i = step % a.len();
            if deeper && (a[i].is_object() || a[i].is_array()) {
                edit(&mut a[i], &path[1..], op, new, key);
                return;
            }
            match op {
                0 => a[i] = new,
                1 => {
                    a.remove(i);
                }
                _ => a.insert(i, new),
            }
        }
        Value::Object(m) => {
            m.insert(key.to_string(), new);
        }
        Value::Array(a) => a.push(new),
        other => *other = new,
    }
}

/// Parses `text`, checks an unchanged render is byte for byte, applies `edits`, renders and
/// checks the result reads back as the edited value.
fn check_rewrite(text: &str, edits: &[Edit]) -> Result<(), TestCaseError> {
    let Ok(mut doc) = Document::parse(text) else {
        // Not every generated source is valid YAML; those are not what this tests.
        return Ok(());
    };
    prop_assert_eq!(doc.render(), text, "unchanged");
    for e in edits {
        apply(&mut doc.frontmatter, e);
    }
    let out = doc.render();
    let back = Document::parse(&out)
        .map_err(|e| TestCaseError::fail(format!("{e}\nsource:\n{text}\nwritten:\n{out}")))?;
    prop_assert_eq!(
        &*back.frontmatter,
        &*doc.frontmatter,
        "source:\n{}\nwritten:\n{}",
        text,
        out
    );
    prop_assert_eq!(&back.body, &doc.body);
    Ok(())
}

/// A source in our own style with comment lines and inline comments sprinkled in.
fn commented(map: &Map<String, Value>, seeds: &[u8]) -> String {
    let mut out = String::from("---\n");
    for (n, line) in to_yaml(map).lines().enumerate() {
        let seed = seeds.get(n % seeds.len().max(1)).copied().unwrap_or(0);
        if seed.is_multiple_of(3) {
            let indent = usize::from(seed / 3 % 6);
            out.push_str(&format!("{}# above {n}\n", " ".repeat(indent)));
        }
        out.push_str(line);
        if seed % 4 == 1 {
            out.push_str(&format!("   # inline {n}"));
        }
        out.push('\n');
    }
    if seeds.first().is_some_and(|s| s.is_multiple_of(2)) {
        out.push_str("# trailing\n");
    }
    out.push_str("---\nbody\n");
    out
}

// ---- Sources in many styles -------------------------------------------------------------

/// A YAML node to be written in a random style.
#[derive(Debug, Clone)]
enum Shape {
    Scalar(&'static str),
    Map(Vec<(String, Shape)>),
    Seq(Vec<Shape>),
}

const SCALARS: &[&str] = &[
    "1",
    "-7",
    "123456789012345678901234567890",
    "1.5",
    "yes",
    "no",
    "on",
    "off",
    "~",
    "null",
    "true",
    "plain text",
    "\"double \\\" quoted\"",
    "'single '' quoted'",
    "!!str 5",
    "!custom word",
    "0x1F",
    "\"\"",
    "[1, two, {three: 3}]",
    "{a: 1, b: [x]}",
    "[]",
    "{}",
    "&anc anchored",
    "*anc",
    "|\n  literal\n  text\n",
    ">-\n  folded\n  text\n",
    "",
];

fn any_shape() -> impl Strategy<Value = Shape> {
    let leaf = prop::sample::select(SCALARS).prop_map(Shape::Scalar);
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec((0usize..12, inner.clone()), 1..5).prop_map(|entries| {
                Shape::Map(
                    entries
                        .into_iter()
                        .enumerate()
                        .map(|(i, (k, v))| (format!("k{k}_{i}"), v))
                        .collect(),
                )
            }),
            prop::collection::vec(inner, 1..5).prop_map(Shape::Seq),
        ]
    })
}

/// Writes `shape` as the value after `key:` (or `- `) at `indent`; `style` bytes pick comment
/// lines, inline comments, indentation steps, indentless sequences and merge keys.
struct Writer<'a> {
    out: String,
    style: &'a [u8],
    n: usize,
}

impl Writer<'_> {
    fn pick(&mut self) -> u8 {
        self.n += 1;
        self.style
            .get(self.n % self.style.len().max(1))
            .copied()
            .unwrap_or(0)
    }

    fn comment_line(&mut self, indent: usize) {
        if self.pick().is_multiple_of(5) {
            let n = self.n;
            self.out
                .push_str(&format!("{}# note {n}\n", " ".repeat(indent)));
        }
    }

    fn inline_comment(&mut self) {
        if self.pick().is_multiple_of(4) {
            let n = self.n;
            self.out.push_str(&format!("  # inline {n}"));
        }
    }

    fn scalar_after(&mut self, s: &str, indent: usize) {
        if let Some(rest) = s.strip_prefix('|').or_else(|| s.strip_prefix(">-")) {
            let head = if s.starts_with('|') { "|" } else { ">-" };
            self.out.push_str(&format!(" {head}"));
            self.inline_comment();
            for line in rest.lines().filter(|l| !l.is_empty()) {
                self.out
                    .push_str(&format!("\n{}{}", " ".repeat(indent + 2), line.trim()));
            }
            self.out.push('\n');
            return;
        }
        if !s.is_empty() {
            self.out.push(' ');
            self.out.push_str(s);
        }
        self.inline_comment();
        self.out.push('\n');
    }

    fn map(&mut self, entries: &[(String, Shape)], indent: usize, first_inline: bool) {
        for (i, (k, v)) in entries.iter().enumerate() {
            if !(first_inline && i == 0) {
                self.comment_line(indent);
                self.out.push_str(&" ".repeat(indent));
            }
            if i == 1 && self.pick().is_multiple_of(7) {
                self.out.push_str("<<: *anc\n");
                self.out.push_str(&" ".repeat(indent));
            }
            self.out.push_str(k);
            self.out.push(':');
            self.value(v, indent, true);
        }
    }

    fn seq(&mut self, items: &[Shape], indent: usize, first_inline: bool) {
        for (i, v) in items.iter().enumerate() {
            if !(first_inline && i == 0) {
                self.comment_line(indent);
                self.out.push_str(&" ".repeat(indent));
            }
            self.out.push('-');
            self.value(v, indent, false);
        }
    }

    /// The value after `key:` (`in_map`) or `-`, whose key or dash is at `indent`.
    fn value(&mut self, v: &Shape, indent: usize, in_map: bool) {
        match v {
            Shape::Scalar(s) => self.scalar_after(s, indent),
            Shape::Map(entries) => {
                let step = usize::from(self.pick() % 3) + 1;
                if !in_map && self.pick().is_multiple_of(2) {
                    // Compact: `- k: v` with the other keys under the first.
                    self.out.push_str(&" ".repeat(step));
                    self.map(entries, indent + 1 + step, true);
                } else {
                    self.inline_comment();
                    self.out.push('\n');
                    self.map(entries, indent + step + 1, false);
                }
            }
            Shape::Seq(items) => {
                let indentless = in_map && self.pick().is_multiple_of(3);
                if !in_map && self.pick().is_multiple_of(2) {
                    self.out.push(' ');
                    self.seq(items, indent + 2, true);
                } else {
                    self.inline_comment();
                    self.out.push('\n');
                    let at = if indentless {
                        indent
                    } else {
                        indent + usize::from(self.pick() % 3) + 1
                    };
                    self.seq(items, at, false);
                }
            }
        }
    }
}

fn styled(entries: &[(String, Shape)], style: &[u8]) -> String {
    let mut w = Writer {
        out: String::from("---\n"),
        style,
        n: 0,
    };
    if style.first().is_some_and(|s| s.is_multiple_of(2)) {
        w.out.push_str("# leading comment\n");
    }
    w.map(entries, 0, false);
    if style.last().is_some_and(|s| s.is_multiple_of(3)) {
        w.out.push_str("# trailing comment\n");
    }
    w.out.push_str("---\nbody\n");
    w.out
}

fn any_source_entries() -> impl Strategy<Value = Vec<(String, Shape)>> {
    prop::collection::vec(any_shape(), 1..6).prop_map(|shapes| {
        let mut entries = vec![(
            "base".to_string(),
            Shape::Scalar("&anc {ax: 1, ay: [1, 2]}"),
        )];
        entries.extend(
            shapes
                .into_iter()
                .enumerate()
                .map(|(i, s)| (format!("top{i}"), s)),
        );
        entries
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn our_style_with_comments_rewrites_to_the_edited_value(
        map in any_map(),
        seeds in prop::collection::vec(any::<u8>(), 1..16),
        edits in any_edits(),
    ) {
        check_rewrite(&commented(&map, &seeds), &edits)?;
    }

    #[test]
    fn token_soup_never_panics_and_rewrites_correctly(
        text in any_soup(),
        edits in any_edits(),
    ) {
        check_rewrite(&text, &edits)?;
    }

    #[test]
    fn any_style_rewrites_to_the_edited_value(
        entries in any_source_entries(),
        style in prop::collection::vec(any::<u8>(), 1..24),
        edits in any_edits(),
    ) {
        check_rewrite(&styled(&entries, &style), &edits)?;
    }
}

/// Token soup: mostly not YAML at all; what parses is whatever YAML the tokens happen to
/// make. Nothing may panic, and what parses must rewrite to the edited value.
fn any_soup() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "a",
        "b",
        "k",
        ":",
        ": ",
        " ",
        "  ",
        "\n",
        "\n  ",
        "\n    ",
        "- ",
        "-",
        "# c",
        " #c",
        "&x ",
        "*x",
        "!t ",
        "!!str ",
        "\"q\"",
        "'s'",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "|",
        "|+",
        ">-",
        "? ",
        "1",
        "yes",
        "~",
        "\t",
        "\r\n",
        "<<: ",
        "123456789012345678901234567890",
        "...",
    ]);
    prop::collection::vec(token, 0..40).prop_map(|t| format!("---\nk0: 1\n{}\n---\n", t.concat()))
}

/// The generated sources are mostly valid YAML, so the property above tests the rewrite and
/// not only the parser's refusals.
#[test]
fn most_generated_sources_parse() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (
        any_source_entries(),
        prop::collection::vec(any::<u8>(), 1..24),
    );
    let mut parsed = 0;
    for _ in 0..200 {
        let (entries, style) = strategy.new_tree(&mut runner).expect("strategy").current();
        if Document::parse(&styled(&entries, &style)).is_ok() {
            parsed += 1;
        }
    }
    assert!(parsed > 120, "only {parsed} of 200 generated sources parse");
}
