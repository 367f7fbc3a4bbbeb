//! Property test of the one emitter of session files ([`SessionFile::emit`]): whatever keys and
//! values a session holds (keys past YAML's 1,024-character implicit-key limit, controls and
//! bidirectional characters, every Unicode plane), in both frontmatter flavours, written fresh
//! or spliced into the text it was read from, the file written reads back as exactly the
//! session: by our reader, and, for JSON, by Maestro 1.6's (`src/core/markdown-state.js`: the
//! first `\n---` ends the frontmatter, `JSON.parse` reads it).
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::Path;

use crate::common::{any_string, any_value};
use maestro_session_core::session::document::Document;
use maestro_session_core::session::session_file::{Location, SessionFile};
use proptest::prelude::*;
use serde_json::{Map, Value};

const YAML: &str = include_str!("../../../tests/fixtures/maestro-state/active-session.yaml.md");
const JSON: &str = include_str!("../../../tests/fixtures/maestro-state/active-session.json.md");

/// Where an arbitrary key goes: the top level, `token_usage.by_agent` (as an agent's row, the
/// way a hand-written file may hold one), `transcript_usage.transcripts` (a transcript path),
/// or a phase's unknown keys.
fn place(front: &mut Map<String, Value>, slot: u8, key: String, value: Value) {
    let counts = serde_json::json!({"input": 1, "output": 2, "cached": 0});
    match slot % 4 {
        0 => {
            front.insert(key, value);
        }
        1 => {
            if let Some(Value::Object(by)) = front
                .get_mut("token_usage")
                .and_then(|t| t.get_mut("by_agent"))
            {
                by.insert(key, counts);
            }
        }
        2 => {
            let tu = front
                .entry("transcript_usage")
                .or_insert_with(|| serde_json::json!({"by_agent": {}, "transcripts": {}}));
            if let Some(Value::Object(t)) = tu.get_mut("transcripts") {
                t.insert(
                    key,
                    serde_json::json!({"agent": "coder", "dev": 1, "ino": 2, "offset": 3,
                        "last_message": null, "codex_total": null}),
                );
            }
        }
        _ => {
            if let Some(Value::Object(p)) = front.get_mut("phases").and_then(|p| p.get_mut(0))
                && !p.contains_key(&key)
            {
                p.insert(key, value);
            }
        }
    }
}

/// Maestro 1.6's reader of a session file: `^---\n([\s\S]*?)\n---\n?([\s\S]*)$`, then
/// `JSON.parse` of the first group.
fn maestro_reads(text: &str) -> Option<Value> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---")?;
    serde_json::from_str(&rest[..end]).ok()
}

fn check(source: &str, edits: Vec<(u8, String, Value)>, fresh: bool) -> Result<(), TestCaseError> {
    let path = Path::new("active-session.md");
    let read = SessionFile::from_bytes(source.as_bytes(), path, Location::Active)
        .map_err(|e| TestCaseError::fail(format!("fixture: {e}")))?;
    let mut front = read.frontmatter_json();
    for (slot, key, value) in edits {
        // Known keys keep their types (the typed view would refuse another); the test is about
        // keys and values the tool does not know.
        if front.contains_key(&key) {
            continue;
        }
        place(&mut front, slot, key, value);
    }
    let flavour = Document::parse(source).map(|d| d.flavour).ok();
    let doc = if fresh {
        // No source text: written whole in our style.
        Document {
            flavour: flavour.unwrap_or(maestro_session_core::session::document::Flavour::Yaml),
            frontmatter: front.clone().into(),
            body: read.body.clone(),
        }
    } else {
        let mut d = Document::parse(source).map_err(|e| TestCaseError::fail(e.to_string()))?;
        *d.frontmatter = front.clone();
        d
    };
    let text = doc.render();
    let mut session = SessionFile::from_bytes(text.as_bytes(), path, Location::Active)
        .map_err(|e| TestCaseError::fail(format!("{e}\nwritten:\n{text}")))?;
    prop_assert_eq!(&session.frontmatter_json(), &front, "written:\n{}", text);
    // The one emitter checks what it writes: it agrees.
    let emitted = session
        .emit()
        .map_err(|e| TestCaseError::fail(format!("{e}\nwritten:\n{text}")))?;
    let again = SessionFile::from_bytes(emitted.as_bytes(), path, Location::Active)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    // The same session as its next revision.
    let mut want = front.clone();
    want.insert(
        "revision".into(),
        Value::from(session.meta.revision.unwrap_or(0)),
    );
    prop_assert_eq!(&again.frontmatter_json(), &want);
    if doc.flavour == maestro_session_core::session::document::Flavour::Json {
        prop_assert_eq!(maestro_reads(&text), Some(Value::Object(front)), "{}", text);
    }
    Ok(())
}

fn any_edits() -> impl Strategy<Value = Vec<(u8, String, Value)>> {
    prop::collection::vec((any::<u8>(), any_string(), any_value()), 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn yaml_spliced_reads_back(edits in any_edits()) {
        check(YAML, edits, false)?;
    }

    #[test]
    fn yaml_fresh_reads_back(edits in any_edits()) {
        check(YAML, edits, true)?;
    }

    #[test]
    fn json_reads_back_here_and_in_maestro(edits in any_edits()) {
        check(JSON, edits, false)?;
    }

    #[test]
    fn json_fresh_reads_back_here_and_in_maestro(edits in any_edits()) {
        check(JSON, edits, true)?;
    }
}

/// Case 01 of the 2026-12-06 attacks, at the emitter: a 1,030-character agent key in
/// `by_agent`, in both flavours, reads back (an explicit `? ` key in YAML).
#[test]
fn a_key_past_the_implicit_key_limit_reads_back() {
    for source in [YAML, JSON] {
        let long = "b".repeat(1030);
        check(
            source,
            vec![
                (1, long.clone(), Value::Null),
                (0, long.clone(), Value::from(1)),
            ],
            false,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut map = Map::new();
    map.insert(
        "b".repeat(1030),
        serde_json::json!({"k": [1, {"x": "b".repeat(1030)}]}),
    );
    let text = maestro_session_core::session::frontmatter::yaml_emit::to_yaml(&map);
    assert!(text.starts_with("? "), "{text}");
    let back: Value = serde_saphyr::from_str(&text).expect("reads");
    assert_eq!(back, Value::Object(map));
}
