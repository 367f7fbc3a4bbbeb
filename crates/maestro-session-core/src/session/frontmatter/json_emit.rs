//! Writing a JSON frontmatter: pretty-printed exactly as `serde_json::to_string_pretty` does
//! (two-space indent, `"key": value`), except that a number whose source text is not what
//! serde_json would print for it keeps its source text while its value is unchanged.
//!
//! Numbers are held as `serde_json::Number` (the typed model's `#[serde(flatten)]` rules out
//! serde_json's `arbitrary_precision`), so an integer beyond 64 bits reads as the nearest
//! `f64` and would be written back as `1.2345678901234568e29`. The source is scanned once
//! more for such numbers, by path; at a path where the new value still equals what the source
//! text reads as, that text is written instead. Cost: linear in the text and the value.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

/// Pretty JSON for `map`, followed by `\n`, keeping the digits `source` (the JSON text it was
/// read from, if any) wrote for numbers that did not change.
pub(crate) fn to_json(map: &Map<String, Value>, source: Option<&str>) -> String {
    let raw = source.and_then(scan);
    let mut out = match raw {
        Some(raw) => {
            let mut out = String::with_capacity(source.map_or(0, str::len) + 64);
            write_map(&mut out, map, Some(&raw), 0);
            out
        }
        None => serde_json::to_string_pretty(map).unwrap_or_else(|_| "{}".into()),
    };
    out.push('\n');
    out
}

/// The numbers of a JSON text whose text differs from serde_json's rendering, by path; only
/// paths leading to one are held.
#[derive(Debug)]
enum Raw {
    /// The number's source text and the value it reads as.
    Number(String, Number),
    Object(HashMap<String, Raw>),
    Array(HashMap<usize, Raw>),
}

enum Frame {
    Object {
        held: HashMap<String, Raw>,
        key: Option<String>,
        expect_key: bool,
    },
    Array {
        held: HashMap<usize, Raw>,
        index: usize,
    },
}

/// Scans `text` (JSON that serde_json accepted) for numbers serde_json would write otherwise.
/// `None` when it holds none, or when the text is not as expected (the caller then writes
/// serde_json's rendering).
fn scan(text: &str) -> Option<Raw> {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Raw> = None;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b':' => i += 1,
            b'{' => {
                stack.push(Frame::Object {
                    held: HashMap::new(),
                    key: None,
                    expect_key: true,
                });
                i += 1;
            }
            b'[' => {
                stack.push(Frame::Array {
                    held: HashMap::new(),
                    index: 0,
                });
                i += 1;
            }
            b'}' | b']' => {
                let raw = match stack.pop()? {
                    Frame::Object { held, .. } => (!held.is_empty()).then_some(Raw::Object(held)),
                    Frame::Array { held, .. } => (!held.is_empty()).then_some(Raw::Array(held)),
                };
                value_done(&mut stack, &mut root, raw)?;
                i += 1;
            }
            b',' => {
                match stack.last_mut()? {
                    Frame::Object {
                        key, expect_key, ..
                    } => {
                        *key = None;
                        *expect_key = true;
                    }
                    Frame::Array { index, .. } => *index += 1,
                }
                i += 1;
            }
            b'"' => {
                let end = string_end(b, i)?;
                if let Some(Frame::Object {
                    key,
                    expect_key: expect @ true,
                    ..
                }) = stack.last_mut()
                {
                    *key = Some(serde_json::from_str(text.get(i..end)?).ok()?);
                    *expect = false;
                } else {
                    value_done(&mut stack, &mut root, None)?;
                }
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                let digits = text.get(start..i)?;
                let n: Number = serde_json::from_str(digits).ok()?;
                let written = serde_json::to_string(&n).ok()?;
                let raw = (written != digits).then(|| Raw::Number(digits.to_string(), n));
                value_done(&mut stack, &mut root, raw)?;
            }
            b't' | b'f' | b'n' => {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                value_done(&mut stack, &mut root, None)?;
            }
            _ => return None,
        }
    }
    if !stack.is_empty() {
        return None;
    }
    root
}

/// Byte offset just after the string literal opening at `start`.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Records a finished value in the collection holding it: a later duplicate key replaces an
/// earlier one, as serde_json reads it.
fn value_done(stack: &mut [Frame], root: &mut Option<Raw>, raw: Option<Raw>) -> Option<()> {
    match stack.last_mut() {
        None => *root = raw,
        Some(Frame::Object { held, key, .. }) => {
            let key = key.as_ref()?;
            held.remove(key);
            if let Some(raw) = raw {
                held.insert(key.clone(), raw);
            }
        }
        Some(Frame::Array { held, index }) => {
            if let Some(raw) = raw {
                held.insert(*index, raw);
            }
        }
    }
    Some(())
}

fn write_map(out: &mut String, map: &Map<String, Value>, raw: Option<&Raw>, indent: usize) {
    if map.is_empty() {
        out.push_str("{}");
        return;
    }
    let held = match raw {
        Some(Raw::Object(h)) => Some(h),
        _ => None,
    };
    out.push('{');
    for (n, (key, value)) in map.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push('\n');
        push_indent(out, indent + 2);
        push_scalar(out, &Value::String(key.clone()));
        out.push_str(": ");
        write_value(out, value, held.and_then(|h| h.get(key)), indent + 2);
    }
    out.push('\n');
    push_indent(out, indent);
    out.push('}');
}

fn write_value(out: &mut String, value: &Value, raw: Option<&Raw>, indent: usize) {
    match value {
        Value::Object(map) => write_map(out, map, raw, indent),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            let held = match raw {
                Some(Raw::Array(h)) => Some(h),
                _ => None,
            };
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push('\n');
                push_indent(out, indent + 2);
                write_value(out, item, held.and_then(|h| h.get(&n)), indent + 2);
            }
            out.push('\n');
            push_indent(out, indent);
            out.push(']');
        }
        Value::Number(n) => match raw {
            Some(Raw::Number(text, was)) if was == n => out.push_str(text),
            _ => push_scalar(out, value),
        },
        _ => push_scalar(out, value),
    }
}

fn push_scalar(out: &mut String, value: &Value) {
    out.push_str(&serde_json::to_string(value).unwrap_or_else(|_| "null".into()));
}

fn push_indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(text: &str) -> Map<String, Value> {
        serde_json::from_str(text).expect("test JSON")
    }

    #[test]
    fn big_integers_and_odd_number_texts_keep_their_digits_while_unchanged() {
        let text = r#"{"big": 123456789012345678901234567890, "e": 1.0E3, "plain": 5,
            "nested": {"list": [1, -0.50, {"deep": 99999999999999999999}]},
            "dup": 1.50, "dup": 2}"#;
        let mut map = obj(text);
        map["plain"] = json!(6);
        let out = to_json(&map, Some(text));
        assert!(
            out.contains("\"big\": 123456789012345678901234567890,"),
            "{out}"
        );
        assert!(out.contains("\"e\": 1.0E3,"), "{out}");
        assert!(out.contains("\"plain\": 6,"), "{out}");
        assert!(out.contains("-0.50,"), "{out}");
        assert!(out.contains("\"deep\": 99999999999999999999\n"), "{out}");
        assert!(out.contains("\"dup\": 2\n"), "{out}");
        // Reads back as the same value; the layout is serde_json's.
        let back: Map<String, Value> = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(back, map);
        let canonical = serde_json::to_string_pretty(&map).expect("json") + "\n";
        assert_eq!(out.lines().count(), canonical.lines().count());
        // A changed number is written as serde_json writes it.
        map["big"] = json!(1);
        let out = to_json(&map, Some(text));
        assert!(out.contains("\"big\": 1,"), "{out}");
    }

    #[test]
    fn without_odd_numbers_it_is_serde_json_pretty() {
        let text = "{\n  \"a\": [1, {\"b\": \"x\\\"y\"}],\n  \"c\": {},\n  \"d\": []\n}";
        let map = obj(text);
        let want = serde_json::to_string_pretty(&map).expect("json") + "\n";
        assert_eq!(to_json(&map, Some(text)), want);
        assert_eq!(to_json(&map, None), want);
    }

    #[test]
    fn the_writer_matches_serde_json_layout() {
        let text = r#"{"a": {"b": [[], {}, [1, 2.5, -3], {"c": null, "d": true}], "s": "\u0001\u00e9\"\\"}, "e": {}}"#;
        let map = obj(text);
        let mut ours = String::new();
        write_map(&mut ours, &map, None, 0);
        assert_eq!(ours, serde_json::to_string_pretty(&map).expect("json"));
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..5)
                    .prop_map(|e| Value::Object(e.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(300))]

        /// Our writer lays out any value exactly as serde_json's pretty printer does, and a
        /// big integer placed anywhere keeps its digits.
        #[test]
        fn layout_matches_serde_json(value in any_json(), key in "[a-z]{1,8}") {
            let mut map = Map::new();
            map.insert("v".into(), value);
            let mut ours = String::new();
            write_map(&mut ours, &map, None, 0);
            proptest::prop_assert_eq!(&ours, &serde_json::to_string_pretty(&map).expect("json"));

            let big = "123456789012345678901234567890";
            let text = format!("{{\"k_{key}\": [{big}], \"v\": {}}}", serde_json::to_string(&map["v"]).expect("json"));
            let read: Map<String, Value> = serde_json::from_str(&text).expect("json");
            let out = to_json(&read, Some(&text));
            proptest::prop_assert!(out.contains(&format!("\n    {big}\n")), "{}", out);
            let back: Map<String, Value> = serde_json::from_str(&out).expect("valid");
            proptest::prop_assert_eq!(back, read);
        }
    }

    #[test]
    fn unexpected_text_is_not_scanned() {
        for text in ["{\"a\": 1", "{\"a\": 1}}", "{\"a\": @}", "[1, \"x"] {
            assert!(scan(text).is_none(), "{text}");
        }
    }
}
