//! What this tool does not model is written back as it was read: big integers, YAML 1.1 words
//! (`yes`, `on`, `no`), tags, full-line and inline comments, in YAML and (big integers) in JSON,
//! at the top level and inside a phase, through a typed change. Only the lines of what changed
//! differ. A session with 40,000 unknown keys parses and rewrites the same way.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::Path;

use maestro_session_core::operations::Operation;
use maestro_session_core::session::document::{Document, Flavour};
use maestro_session_core::session::lifecycle::SessionStatus;
use maestro_session_core::session::model::SessionMetadata;
use maestro_session_core::session::session_file::{Location, SessionFile};
use maestro_session_core::store::{ACTIVE_KEYWORD, Store};
use maestro_session_core::workspace::paths::Workspace;
use maestro_session_core::{Env, EnvVars};

const FIXTURE_YAML: &str =
    include_str!("../../../tests/fixtures/maestro-state/active-session.yaml.md");
const FIXTURE_JSON: &str =
    include_str!("../../../tests/fixtures/maestro-state/active-session.json.md");

/// A session whose unknown keys hold everything a naive rewrite alters.
const YAML: &str = r#"---
# Written by hand: these comments must survive.
session_id: "2026-11-20-fidelity"
task: "Keep what we do not model"
created: "2026-11-20T09:14:03Z"
updated: "2026-11-20T10:02:41Z"
status: "in_progress"   # inline comment on a known field
big_number: 123456789012345678901234567890
answer: yes
switch: on
negative: no
str_five: !!str 5
custom: !custom x   # a local tag
flow_flags: {a: yes, b: on}
total_phases: 1
token_usage:
  total_input: 100
  total_output: 10
  total_cached: 0
  by_agent:
    coder:
      input: 100
      output: 10
      cached: 0
      x_agent_note: 'single quoted'
phases:
  - id: 1
    name: "Build"
    status: "in_progress"
    # A comment inside a phase.
    x_big: 123456789012345678901234567891
    x_yes: yes   # inline in a phase
    x_on: on
    x_no: no
    x_str: !!str 5
    x_custom: !custom why
    agents: ["coder"]
# Trailing comment at the end of the frontmatter.
---
# Log
"#;

/// Replaces whole lines of `text`: each `(from, to)` must match exactly one line.
fn with_lines(text: &str, changes: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (from, to) in changes {
        let needle = format!("\n{from}\n");
        assert_eq!(out.matches(&needle).count(), 1, "line {from:?}");
        out = out.replacen(&needle, &format!("\n{to}\n"), 1);
    }
    out
}

fn typed_change(text: &str) -> (Document, String) {
    let mut doc = Document::parse(text).expect("parses");
    let mut meta = SessionMetadata::from_frontmatter(&doc.frontmatter).expect("typed");
    meta.status = SessionStatus::Paused;
    let coder = meta
        .token_usage
        .by_agent
        .get_mut("coder")
        .expect("coder tokens");
    coder.input += 5;
    meta.token_usage.total_input += 5;
    meta.phases[0].files_created.push("src/new.rs".into());
    meta.write_into(&mut doc.frontmatter);
    let out = doc.render();
    (doc, out)
}

#[test]
fn yaml_unknown_values_survive_a_typed_change_byte_for_byte() {
    let (doc, out) = typed_change(YAML);
    let want = with_lines(
        YAML,
        &[
            (
                "status: \"in_progress\"   # inline comment on a known field",
                "status: \"paused\"   # inline comment on a known field",
            ),
            ("  total_input: 100", "  total_input: 105"),
            ("      input: 100", "      input: 105"),
            (
                "    agents: [\"coder\"]",
                // Fields the file lacked are added at the end of their mapping.
                "    agents: [\"coder\"]\n    parallel: false\n    started: null\n    completed: null\n    blocked_by: []\n    files_created: [\"src/new.rs\"]\n    files_modified: []\n    files_deleted: []\n    downstream_context:\n      key_interfaces_introduced: []\n      patterns_established: []\n      integration_points: []\n      assumptions: []\n      warnings: []\n    errors: []\n    retry_count: 0",
            ),
            (
                "# Trailing comment at the end of the frontmatter.",
                "workflow_mode: null\ndesign_document: null\nimplementation_plan: null\ncurrent_phase: null\nexecution_mode: null\nexecution_backend: null\ntask_complexity: null\n# Trailing comment at the end of the frontmatter.",
            ),
        ],
    );
    assert_eq!(out, want);

    // Read back: the typed change is there and the unknown values read as before.
    let back = Document::parse(&out).expect("reparses");
    assert_eq!(back.frontmatter, doc.frontmatter);
    let meta = SessionMetadata::from_frontmatter(&back.frontmatter).expect("typed");
    assert_eq!(meta.status, SessionStatus::Paused);
    assert_eq!(meta.token_usage.by_agent["coder"].input, 105);
    assert_eq!(back.frontmatter["answer"], true);
    assert_eq!(back.frontmatter["str_five"], "5");
    assert_eq!(meta.phases[0].extra["x_custom"], "why");

    // A second rewrite with no change writes the same text again.
    let again = Document::parse(&out).expect("reparses").render();
    assert_eq!(again, out);
}

#[test]
fn yaml_unknown_values_survive_a_store_operation() {
    let t = tempfile::tempdir().expect("tmp");
    let store = store_with(t.path(), YAML);
    store
        .apply(
            Some(ACTIVE_KEYWORD),
            &Operation::Tokens {
                agent: maestro_session_core::session::agent_name::AgentName::parse("coder")
                    .expect("name"),
                input: 5,
                output: 0,
                cached: 0,
            },
        )
        .expect("tokens");
    let written = std::fs::read_to_string(store.workspace().active_session_path()).expect("read");
    for line in YAML.lines().filter(|l| {
        l.contains('#')
            || l.contains("yes")
            || l.contains(": on")
            || l.contains(": no")
            || l.contains('!')
            || l.contains("12345678901234567890123456789")
            || l.contains("flow_flags")
            || l.contains("single quoted")
    }) {
        assert!(
            written.contains(&format!("{line}\n")),
            "line {line:?} lost:\n{written}"
        );
    }
    assert!(written.contains("\n  total_input: 105\n"), "{written}");
    assert!(written.contains("\n      input: 105\n"), "{written}");
}

/// The same session in JSON, with big integers at the top and inside a phase.
fn json_session() -> String {
    let text = r#"---
{
  "session_id": "2026-11-20-fidelity",
  "status": "in_progress",
  "big_number": 123456789012345678901234567890,
  "small": 7,
  "ratio": 1.50,
  "token_usage": {
    "total_input": 100,
    "total_output": 10,
    "total_cached": 0,
    "by_agent": {
      "coder": {
        "input": 100,
        "output": 10,
        "cached": 0
      }
    }
  },
  "phases": [
    {
      "id": 1,
      "name": "Build",
      "status": "in_progress",
      "x_big": -123456789012345678901234567891
    }
  ]
}
---
# Log
"#;
    text.to_string()
}

#[test]
fn json_big_integers_keep_their_digits_through_a_typed_change() {
    let text = json_session();
    let (_, out) = typed_change(&text);
    let doc = Document::parse(&out).expect("reparses");
    assert_eq!(doc.flavour, Flavour::Json);
    assert!(
        out.contains("\n  \"big_number\": 123456789012345678901234567890,\n"),
        "{out}"
    );
    assert!(out.contains("\n  \"ratio\": 1.50,\n"), "{out}");
    assert!(
        out.contains("\n      \"x_big\": -123456789012345678901234567891,\n"),
        "{out}"
    );
    assert!(out.contains("\n  \"status\": \"paused\",\n"), "{out}");
    assert!(out.contains("\n    \"total_input\": 105,\n"), "{out}");
    // The rest is serde_json's pretty layout of the same value.
    let value: serde_json::Value =
        serde_json::from_str(out.split("---\n").nth(1).expect("frontmatter")).expect("json");
    let pretty = serde_json::to_string_pretty(&value).expect("json");
    assert_eq!(
        out.split("---\n")
            .nth(1)
            .expect("frontmatter")
            .lines()
            .count(),
        pretty.lines().count()
    );
    // And again through the store.
    let t = tempfile::tempdir().expect("tmp");
    let store = store_with(t.path(), &text);
    store
        .apply(
            Some(ACTIVE_KEYWORD),
            &Operation::SetStatus(SessionStatus::Paused),
        )
        .expect("pause");
    let written = std::fs::read_to_string(store.workspace().active_session_path()).expect("read");
    assert!(
        written.contains("123456789012345678901234567890,"),
        "{written}"
    );
    assert!(
        written.contains("-123456789012345678901234567891"),
        "{written}"
    );
}

#[test]
fn fixtures_round_trip_byte_for_byte_through_the_session_file() {
    for fixture in [FIXTURE_YAML, FIXTURE_JSON] {
        let file = SessionFile::from_bytes(
            fixture.as_bytes(),
            Path::new("active-session.md"),
            Location::Active,
        )
        .expect("fixture");
        assert_eq!(file.render(), fixture);
    }
}

/// 40,000 unknown keys, comments among them, before and after the known ones: a token update
/// changes two lines and keeps every other byte.
#[test]
fn forty_thousand_unknown_keys_parse_and_rewrite() {
    let mut text = String::from("---\n");
    for i in 0..20_000 {
        if i % 1000 == 0 {
            text.push_str(&format!("# block {i}\n"));
        }
        text.push_str(&format!("k{i:05}: {i}\n"));
    }
    let known = FIXTURE_YAML
        .strip_prefix("---\n")
        .and_then(|t| t.split_once("---\n"))
        .expect("fixture frontmatter")
        .0;
    text.push_str(known);
    for i in 20_000..40_000 {
        text.push_str(&format!(
            "k{i:05}: {}\n",
            if i % 2 == 0 { "yes" } else { "no" }
        ));
    }
    text.push_str("---\nbody\n");

    let file = SessionFile::from_bytes(text.as_bytes(), Path::new("big.md"), Location::Active)
        .expect("parses");
    assert_eq!(file.meta.extra.len(), 40_000);
    assert_eq!(file.meta.extra["k00007"], 7);
    assert_eq!(file.meta.extra["k39999"], false);
    assert_eq!(file.render(), text, "unchanged: byte for byte");

    let mut file = file;
    let coder = file
        .meta
        .token_usage
        .by_agent
        .get_mut("coder")
        .expect("coder");
    coder.input += 5;
    file.meta.token_usage.total_input += 5;
    let out = file.render();
    let want = with_lines(
        &text,
        &[
            ("  total_input: 15000", "  total_input: 15005"),
            ("      input: 8000", "      input: 8005"),
        ],
    );
    assert_eq!(out, want);
    let back = Document::parse(&out).expect("reparses");
    let keys: Vec<&str> = back
        .frontmatter
        .keys()
        .filter(|k| k.starts_with('k'))
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 40_000);
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "file order kept");
}

fn store_with(dir: &Path, text: &str) -> Store {
    let ws = Workspace::with_state_dir(
        &Env::from_pairs([(EnvVars::MAESTRO_WORKSPACE_PATH, dir.to_str().expect("utf8"))]),
        dir,
        Path::new("docs/maestro"),
    )
    .expect("inside the project");
    std::fs::create_dir_all(ws.archive_dir()).expect("mkdir");
    std::fs::write(ws.active_session_path(), text).expect("write");
    Store::new(ws, Env::default())
}
