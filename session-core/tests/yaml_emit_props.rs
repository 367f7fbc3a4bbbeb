//! Property test: whatever the frontmatter holds (any string, including control characters,
//! quotes, line breaks and characters YAML forbids raw; any JSON number; any key; any nesting),
//! the YAML our emitter writes parses back to the same value.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

mod common;

use common::any_map;
use proptest::prelude::*;
use serde_json::{Map, Value};
use session_core::session::frontmatter::yaml_emit::to_yaml;

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
