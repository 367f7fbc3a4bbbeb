//! Property test: whatever the frontmatter holds (any string, including control characters,
//! quotes, line breaks and characters YAML forbids raw; any JSON number; any key; any nesting),
//! the YAML our emitter writes parses back to the same value.

use proptest::prelude::*;
use serde_json::{Map, Number, Value};
use session_core::yaml_emit::to_yaml;

/// Any string: mostly arbitrary Unicode, with the characters that break naive quoting
/// (controls, DEL, C1, U+2028/9, BOM, U+FFFE/F, quotes, backslashes, `#`, `: `) made common.
fn any_string() -> impl Strategy<Value = String> {
    let tricky = prop::sample::select(vec![
        '\0',
        '\u{1}',
        '\u{7}',
        '\u{8}',
        '\t',
        '\n',
        '\u{b}',
        '\u{c}',
        '\r',
        '\u{1b}',
        '\u{7f}',
        '\u{80}',
        '\u{85}',
        '\u{9f}',
        '\u{a0}',
        '\u{2028}',
        '\u{2029}',
        '\u{feff}',
        '\u{fffe}',
        '\u{ffff}',
        '\u{10ffff}',
        '"',
        '\'',
        '\\',
        '#',
        ':',
        '-',
        ' ',
        '&',
        '*',
        '!',
        '%',
        '@',
        '`',
        '{',
        '[',
        ',',
        '?',
        '|',
        '>',
        'y',
        'n',
        '~',
        '0',
        '.',
    ]);
    let ch = prop_oneof![3 => any::<char>(), 2 => tricky];
    prop_oneof![
        prop::collection::vec(ch, 0..12).prop_map(|v| v.into_iter().collect()),
        prop::sample::select(vec![
            "", "yes", "no", "on", "off", "y", "n", "true", "False", "null", "~", "NULL", "1",
            "0x1f", "1e3", "-.inf", ".nan", "010", "1_000", "12:30", "- a", "a: b", "#x", "&a",
            "*a", "!tag", "%YAML", "---", "...", " lead", "trail ", "<<",
        ])
        .prop_map(String::from),
    ]
}

fn any_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<u64>().prop_map(Number::from),
        any::<i64>().prop_map(Number::from),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
        prop::sample::select(vec![0.0, -0.0, 1e16, 1e300, 5e-324, 0.1, -2.5, 1e-7])
            .prop_filter_map("finite", Number::from_f64),
    ]
}

fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any_number().prop_map(Value::Number),
        any_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any_string(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn any_map() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((any_string(), any_value()), 0..8)
        .prop_map(|entries| entries.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn emitted_yaml_reads_back_as_the_same_value(map in any_map()) {
        let text = to_yaml(&map);
        let back: Value = serde_saphyr::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("does not parse: {e}\n{text}")))?;
        let want = if map.is_empty() { Value::Null } else { Value::Object(map) };
        prop_assert_eq!(back, want, "{}", text);
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
