//! Writing frontmatter YAML in the style of Maestro's session template.
//!
//! The style, chosen so a file written from the template reads back and writes out unchanged:
//! block mappings indented by two spaces; a sequence of scalars in flow style (`["a", "b"]`,
//! `[1]`, `[]`); a sequence holding mappings or sequences in block style (`  - id: 1`); strings
//! always double-quoted with JSON escapes (a subset of YAML's double-quoted escapes), so no
//! string can be misread as a number, boolean or null; `null`, `true`, `false` and numbers bare.

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
        out.push_str(&key_text(key));
        out.push(':');
        emit_value_after_key(out, value, indent);
    }
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
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => {
                let mut nested = String::new();
                emit_map(&mut nested, m, indent + 2);
                out.push_str(&nested[indent + 2..]);
            }
            Value::Array(inner) if !inner.is_empty() && !inner.iter().all(is_scalar) => {
                let mut nested = String::new();
                emit_seq(&mut nested, inner, indent + 2);
                out.push_str(&nested[indent + 2..]);
            }
            other => {
                out.push_str(&inline(other));
                out.push('\n');
            }
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

fn quote(s: &str) -> String {
    // serde_json's escaping (\" \\ \n \r \t \b \f \uXXXX) is valid YAML double-quoted text.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn key_text(key: &str) -> String {
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
