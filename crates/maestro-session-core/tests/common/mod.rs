//! Generators shared by the property tests: arbitrary frontmatter values.

#![allow(dead_code)]

use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// Any string: mostly arbitrary Unicode, with the characters that break naive quoting
/// (controls, DEL, C1, U+2028/9, BOM, U+FFFE/F, quotes, backslashes, `#`, `: `, bidirectional
/// controls, every plane) made common, and strings longer than YAML's implicit-key limit.
pub fn any_string() -> BoxedStrategy<String> {
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
        // Bidirectional formatting characters, and one character of each plane past the
        // first (supplementary multilingual and ideographic, tertiary, special purpose,
        // private use).
        '\u{202a}',
        '\u{202e}',
        '\u{2066}',
        '\u{2069}',
        '\u{200f}',
        '\u{1f600}',
        '\u{2a6d6}',
        '\u{30000}',
        '\u{e0001}',
        '\u{f0000}',
        '\u{100000}',
    ]);
    let ch = prop_oneof![3 => any::<char>(), 2 => tricky];
    prop_oneof![
        8 => prop::collection::vec(ch.clone(), 0..12).prop_map(|v| v.into_iter().collect()),
        // Long: past YAML's 1,024-character limit of an implicit key, in ASCII (one byte a
        // character) and in anything (up to four).
        1 => (1000usize..1100, prop::sample::select(vec!['b', 'é', '字', '\u{1f600}']))
            .prop_map(|(n, c)| std::iter::repeat_n(c, n).collect()),
        1 => prop::collection::vec(ch, 1020..1060).prop_map(|v| v.into_iter().collect()),
        2 => prop::sample::select(vec![
            "", "yes", "no", "on", "off", "y", "n", "true", "False", "null", "~", "NULL", "1",
            "0x1f", "1e3", "-.inf", ".nan", "010", "1_000", "12:30", "- a", "a: b", "#x", "&a",
            "*a", "!tag", "%YAML", "---", "...", " lead", "trail ", "<<",
        ])
        .prop_map(String::from),
    ]
    .boxed()
}

pub fn any_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<u64>().prop_map(Number::from),
        any::<i64>().prop_map(Number::from),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
        prop::sample::select(vec![0.0, -0.0, 1e16, 1e300, 5e-324, 0.1, -2.5, 1e-7])
            .prop_filter_map("finite", Number::from_f64),
    ]
}

pub fn any_value() -> impl Strategy<Value = Value> {
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

pub fn any_map() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((any_string(), any_value()), 0..8)
        .prop_map(|entries| entries.into_iter().collect())
}
