//! Both Maestro renderings survive read -> write unchanged apart from `updated`, and keys the
//! tool does not know survive every operation, in both flavours.

use std::path::Path;

use serde_json::Value;
use session_core::Env;
use session_core::lifecycle::{SessionStatus, Stage};
use session_core::operations::Operation;
use session_core::paths::Workspace;
use session_core::store::{ACTIVE_KEYWORD, Store};

const YAML: &str = include_str!("../../tests/fixtures/maestro-state/active-session.yaml.md");
const JSON: &str = include_str!("../../tests/fixtures/maestro-state/active-session.json.md");

fn store_with(dir: &Path, text: &str) -> Store {
    let ws = Workspace::with_state_dir(
        &Env::from_pairs([("MAESTRO_WORKSPACE_PATH", dir.to_str().expect("utf8"))]),
        dir,
        Path::new("docs/maestro"),
    );
    std::fs::create_dir_all(ws.archive_dir()).expect("mkdir");
    std::fs::write(ws.active_session_path(), text).expect("write");
    Store::new(ws, Env::default())
}

/// Replaces the value of the `updated` key in either rendering.
fn blank_updated(text: &str) -> String {
    text.lines()
        .map(|l| {
            let t = l.trim_start();
            if t.starts_with("updated:") || t.starts_with("\"updated\":") {
                "UPDATED".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn renderings_survive_read_write_apart_from_updated() {
    for fixture in [YAML, JSON] {
        let t = tempfile::tempdir().expect("tmp");
        let store = store_with(t.path(), fixture);
        let task = "Add token authentication to the REST API".to_string();
        store
            .apply(
                None,
                &Operation::SetField {
                    key: "task".into(),
                    value: Some(task),
                },
            )
            .expect("no-op write");
        let written =
            std::fs::read_to_string(store.workspace().active_session_path()).expect("read");
        assert_ne!(written, fixture, "updated must change");
        assert_eq!(blank_updated(&written), blank_updated(fixture));
    }
}

/// Adds unknown keys at every level of the fixture's frontmatter.
fn with_unknown_keys(fixture: &str) -> String {
    let mut doc = session_core::document::Document::parse(fixture).expect("parse");
    let f = &mut doc.frontmatter;
    f.insert("x_top".into(), serde_json::json!({"nested": [1, "two"]}));
    f["token_usage"]
        .as_object_mut()
        .expect("obj")
        .insert("x_tokens".into(), Value::from(1));
    f["token_usage"]["by_agent"]["coder"]
        .as_object_mut()
        .expect("obj")
        .insert("x_agent".into(), Value::from("a"));
    let phase = f["phases"][1].as_object_mut().expect("obj");
    phase.insert("x_phase".into(), Value::from(true));
    phase["downstream_context"]
        .as_object_mut()
        .expect("obj")
        .insert("x_context".into(), Value::from("c"));
    phase["errors"][0]
        .as_object_mut()
        .expect("obj")
        .insert("x_error".into(), Value::from(3));
    doc.render()
}

fn assert_unknown_keys(path: &Path, when: &str) {
    let doc = session_core::document::Document::read(path).expect("parses");
    let f = &doc.frontmatter;
    let found = [
        f["x_top"]["nested"][1] == "two",
        f["token_usage"]["x_tokens"] == 1,
        f["token_usage"]["by_agent"]["coder"]["x_agent"] == "a",
        f["phases"][1]["x_phase"] == true,
        f["phases"][1]["downstream_context"]["x_context"] == "c",
        f["phases"][1]["errors"][0]["x_error"] == 3,
    ];
    assert!(
        found.iter().all(|b| *b),
        "unknown keys lost after {when}: {found:?}"
    );
}

#[test]
fn unknown_keys_survive_every_operation_in_both_flavours() {
    for fixture in [YAML, JSON] {
        let t = tempfile::tempdir().expect("tmp");
        let store = store_with(t.path(), &with_unknown_keys(fixture));
        let active = store.workspace().active_session_path();
        let ops = [
            Operation::Tokens {
                agent: "coder".into(),
                input: 1,
                output: 2,
                cached: 3,
            },
            Operation::AddError {
                phase: 2,
                agent: "coder".into(),
                kind: "runtime".into(),
                message: "m".into(),
            },
            Operation::ResolveError {
                phase: 2,
                index: 1,
                resolution: "done".into(),
            },
            Operation::AddFiles {
                phase: 2,
                created: vec!["a.rs".into()],
                modified: vec![],
                deleted: vec![],
            },
            Operation::AddContext {
                phase: 2,
                key: "warnings".into(),
                values: vec!["w".into()],
            },
            Operation::SetField {
                key: "task_complexity".into(),
                value: Some("complex".into()),
            },
            Operation::PhaseFail {
                id: 2,
                kind: "validation".into(),
                message: "f".into(),
                agent: None,
            },
            Operation::PhaseRetry(2),
            Operation::PhaseComplete {
                id: 2,
                output: Some("ok".into()),
                validation: None,
            },
            Operation::PhaseSkip(3),
            Operation::SetStage(Stage::Planning),
            Operation::Pause,
            Operation::SetStatus(SessionStatus::InProgress),
        ];
        for op in &ops {
            store
                .apply(Some(ACTIVE_KEYWORD), op)
                .unwrap_or_else(|e| panic!("{op:?}: {e}"));
            assert_unknown_keys(&active, &format!("{op:?}"));
        }
        let report = store.archive(None).expect("archive");
        assert_unknown_keys(&report.path, "archive");
        let fork = store.fork("2026-11-20", false, false).expect("fork");
        assert_unknown_keys(&fork.path, "fork");
        store
            .resume("2026-11-20-rest-api-auth", false)
            .expect("resume");
        assert_unknown_keys(&active, "resume");
        let text = std::fs::read_to_string(&active).expect("read");
        let json_flavour = fixture.starts_with("---\n{");
        assert_eq!(text.starts_with("---\n{"), json_flavour, "flavour kept");
    }
}
