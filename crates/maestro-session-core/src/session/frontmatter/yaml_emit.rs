//! Writing frontmatter YAML in the style of Maestro's session template.
//!
//! The style, chosen so a file written from the template reads back and writes out unchanged:
//! block mappings indented by two spaces; a sequence of scalars in flow style (`["a", "b"]`,
//! `[1]`, `[]`); a sequence holding mappings or sequences in block style (`  - id: 1`); strings
//! always double-quoted, so no string can be misread as a number, boolean or null; `null`,
//! `true`, `false` and numbers bare. Inside the quotes, `"`, `\\` and every character YAML does
//! not allow raw (C0 and C1 controls, DEL, U+FEFF, U+FFFE, U+FFFF) or reads as a line break
//! (U+2028, U+2029) are escaped (`\n`, `\t`, `\u007F`, ...), so any string reads back as itself.
//! A key longer than YAML's implicit-key limit is written as an explicit key
//! ([`MAX_IMPLICIT_KEY_CHARS`]), so any key reads back as itself too.
//!
//! [`crate::session::document`] uses the entry and item writers below to emit only the parts of a
//! frontmatter that changed, at the indentation of the block they go into.

use serde_json::{Map, Value};

/// Renders a mapping as YAML lines, each ending in `\n`.
pub fn to_yaml(map: &Map<String, Value>) -> String {
    let mut out = String::new();
    emit_map(&mut out, map, 0);
    out
}

fn emit_map(out: &mut String, map: &Map<String, Value>, indent: usize) {
    for (key, value) in map {
        push_indent(out, indent);
        push_entry(out, &key_text(key), value, indent);
    }
}

/// The longest key text, in characters, written as an implicit key (`key: value`). YAML 1.2
/// (section 7.4.2, rule 154) limits an implicit key to 1,024 Unicode characters, and
/// serde-saphyr (granit-parser's `simple_key_max_lookahead`) and PyYAML refuse longer ones; a
/// longer key is written as an explicit key (`? key` then `: value`), which has no limit and
/// which every YAML reader (js-yaml, as Maestro 1.2 read, included) accepts. Half the limit,
/// so no reader's way of counting (characters or bytes, with or without the quotes and the
/// `:`) reaches it.
pub const MAX_IMPLICIT_KEY_CHARS: usize = 512;

/// Writes `key:` and the value of one block-mapping entry whose key starts at column `indent`
/// (the key text is written as given; the caller has already written the indentation, or the
/// `- ` of a sequence item). Nested blocks go at `indent + 2`. Ends with `\n`. A key text over
/// [`MAX_IMPLICIT_KEY_CHARS`] is written as an explicit key: `? key`, then `:` at `indent`.
pub(crate) fn push_entry(out: &mut String, key: &str, value: &Value, indent: usize) {
    if key.chars().nth(MAX_IMPLICIT_KEY_CHARS).is_some() {
        out.push_str("? ");
        out.push_str(key);
        out.push('\n');
        push_indent(out, indent);
    } else {
        out.push_str(key);
    }
    out.push(':');
    emit_value_after_key(out, value, indent);
}

fn emit_value_after_key(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            emit_map(out, m, indent + 2);
        }
        Value::Array(items) if !items.is_empty() && !items.iter().all(is_scalar) => {
            out.push('\n');
            emit_seq(out, items, indent + 2);
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

fn emit_seq(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        push_indent(out, indent);
        push_item(out, item, indent);
    }
}

/// Writes `- ` and one block-sequence item whose dash is at column `indent` (the caller has
/// already written the indentation). A mapping item's entries go at `indent + 2`. Ends with
/// `\n`.
pub(crate) fn push_item(out: &mut String, item: &Value, indent: usize) {
    out.push_str("- ");
    match item {
        Value::Object(m) if !m.is_empty() => {
            let mut nested = String::new();
            emit_map(&mut nested, m, indent + 2);
            out.push_str(nested.get(indent + 2..).unwrap_or_default());
        }
        Value::Array(inner) if !inner.is_empty() && !inner.iter().all(is_scalar) => {
            let mut nested = String::new();
            emit_seq(&mut nested, inner, indent + 2);
            out.push_str(nested.get(indent + 2..).unwrap_or_default());
        }
        other => {
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(a) if !a.is_empty())
        && !matches!(v, Value::Object(m) if !m.is_empty())
}

fn inline(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Array(a) => format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", ")),
        Value::Object(_) => unreachable_inline(),
    }
}

// Non-empty objects are never inlined: `is_scalar` routes them to block style.
fn unreachable_inline() -> String {
    "{}".into()
}

/// A double-quoted YAML scalar that reads back as exactly `s`.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            // Every escaped character is in the Basic Multilingual Plane; lower-case hex as
            // serde_json writes it, which earlier versions of this writer used.
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Characters that YAML does not allow raw in a double-quoted scalar (outside its printable
/// set), or that a YAML 1.1 reader takes as a line break or a byte-order mark.
fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{feff}'
            | '\u{fffe}'
            | '\u{ffff}'
    )
}

/// A mapping key: bare when it cannot be misread (an identifier that is no YAML 1.1 boolean or
/// null word), else double-quoted.
pub(crate) fn key_text(key: &str) -> String {
    let plain = !key.is_empty()
        && key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain { key.to_string() } else { quote(key) }
}

fn push_indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn style() {
        let v = json!({
            "s": "a \"q\"\nline", "n": 2, "f": 1.5, "b": true, "z": null, "e": [], "o": {},
            "flow": ["x", 1], "m": {"k": "v"},
            "seq": [{"id": 1, "inner": [{"a": 1}], "l": ["y"]}, "plain", ["nested", {"k": 1}]],
            "odd key": 1, "true": 2
        });
        let Value::Object(m) = v else { unreachable!() };
        let text = to_yaml(&m);
        let want = "s: \"a \\\"q\\\"\\nline\"\n\"n\": 2\nf: 1.5\nb: true\nz: null\ne: []\no: {}\nflow: [\"x\", 1]\nm:\n  k: \"v\"\nseq:\n  - id: 1\n    inner:\n      - a: 1\n    l: [\"y\"]\n  - \"plain\"\n  - - \"nested\"\n    - k: 1\n\"odd key\": 1\n\"true\": 2\n";
        assert_eq!(text, want);
        let back: Value = serde_saphyr::from_str(&text).expect("reparse");
        assert_eq!(back, Value::Object(m));
    }
}
