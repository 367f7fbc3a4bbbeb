//! Property test: whatever the frontmatter holds (any string, including control characters,
//! quotes, line breaks and characters YAML forbids raw; any JSON number; any key; any nesting),
//! the YAML our emitter writes parses back to the same value, with serde-saphyr and through the
//! project's own reader of session files (`Document::parse`). A second generator makes the
//! strings YAML would otherwise read as something else common: numbers written as strings
//! (`"42"`, `"-7"`, `"1e3"`, `"0o17"`), booleans and nulls in every spelling (`yes`, `No`,
//! `NULL`, `~`), leading and trailing spaces, line breaks (also with indented lines), `#` and
//! `: ` anywhere, and Unicode.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use crate::common::any_map;
use maestro_session_core::session::document::Document;
use maestro_session_core::session::frontmatter::yaml_emit::to_yaml;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Strings that read as another YAML type, or need quoting or block care, when written plain.
fn lookalike_string() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        any::<f64>().prop_map(|f| format!("{f:e}")),
        prop::sample::select(vec![
            "+1",
            "-0",
            ".5",
            "1.",
            "0o17",
            "0b101",
            "0x_1",
            "1__0",
            "+.inf",
            "-.INF",
            ".NaN",
            "1:20:30",
            "2026-01-02",
            "2026-01-02T03:04:05Z",
            "1,000",
            "0.0.1",
        ])
        .prop_map(String::from),
    ];
    let keyword = prop::sample::select(vec![
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "FALSE", "on",
        "On", "off", "OFF", "y", "Y", "n", "N", "null", "Null", "NULL", "~", "", "-", "?", ":",
        "<<", "=", "!!str", "|", ">", "- - a", "? a", "a:b", "a :b",
    ])
    .prop_map(String::from);
    let piece = prop_oneof![number.clone(), keyword.clone(), crate::common::any_string()];
    prop_oneof![
        number,
        keyword,
        // Leading or trailing spaces and tabs around anything.
        (
            prop::sample::select(vec!["", " ", "  ", "\t"]),
            piece.clone(),
            prop::sample::select(vec!["", " ", "\t", "\n"])
        )
            .prop_map(|(a, b, c)| format!("{a}{b}{c}")),
        // Several lines, some indented, some starting with YAML indicators.
        prop::collection::vec(
            (
                prop::sample::select(vec!["", " ", "   ", "- ", "# ", "key: ", "---", "..."]),
                piece.clone()
            ),
            1..5
        )
        .prop_map(|lines| lines
            .into_iter()
            .map(|(a, b)| format!("{a}{b}"))
            .collect::<Vec<_>>()
            .join("\n")),
        // `#` and `: ` inside, and Unicode beside them.
        (
            piece.clone(),
            prop::sample::select(vec![
                " #",
                "#",
                ": ",
                ":",
                " : ",
                "\u{e9}",
                "\u{1f600}",
                "\u{5b57}"
            ]),
            piece
        )
            .prop_map(|(a, m, b)| format!("{a}{m}{b}")),
    ]
}

/// Any frontmatter value, its strings drawn from [`lookalike_string`] as often as from
/// `any_string`, with numbers of every kind, booleans, null, and nested maps and sequences.
fn lookalike_value() -> impl Strategy<Value = Value> {
    let string = prop_oneof![lookalike_string(), crate::common::any_string()];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        crate::common::any_number().prop_map(Value::Number),
        string.clone().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((string.clone(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn lookalike_map() -> impl Strategy<Value = Map<String, Value>> {
    let key = prop_oneof![lookalike_string(), crate::common::any_string()];
    prop::collection::vec((key, lookalike_value()), 0..8)
        .prop_map(|entries| entries.into_iter().collect())
}

/// Checks that `map`'s YAML reads back as `map`, with serde-saphyr and as the frontmatter of a
/// session file.
fn reads_back(map: Map<String, Value>) -> Result<(), TestCaseError> {
    let text = to_yaml(&map);
    let back: Value = serde_saphyr::from_str(&text)
        .map_err(|e| TestCaseError::fail(format!("does not parse: {e}\n{text}")))?;
    let want = if map.is_empty() {
        Value::Null
    } else {
        Value::Object(map.clone())
    };
    prop_assert_eq!(back, want, "{}", text);
    let file = format!("---\n{text}---\nbody\n");
    let doc = Document::parse(&file)
        .map_err(|e| TestCaseError::fail(format!("session file does not parse: {e:?}\n{file}")))?;
    prop_assert_eq!(doc.frontmatter.clone().into_map(), map, "{}", file);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn emitted_yaml_reads_back_as_the_same_value(map in any_map()) {
        reads_back(map)?;
    }

    #[test]
    fn strings_that_look_like_other_types_read_back_as_strings(map in lookalike_map()) {
        reads_back(map)?;
    }
}

/// The characters that broke the emitter before it escaped them itself.
#[test]
fn characters_yaml_forbids_raw_are_escaped() {
    for s in [
        "\u{7f}", "a\u{85}b", "\u{9f}", "\u{ffff}", "\u{feff}", "\u{2028}",
    ] {
        let mut map = Map::new();
        map.insert("k".into(), Value::String(s.into()));
        let text = to_yaml(&map);
        let back: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(back["k"], s, "{text}");
    }
}
