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

/// An archive interrupted after any of its steps completes when run again.
#[test]
fn interrupted_archive_completes_when_run_again() {
    // Step states: 1) plan documents moved, session still active; 2) also written to the
    // archive, active copy not yet removed.
    for interrupted_after in [1, 2] {
        let t = tempfile::tempdir().expect("tmp");
        let store = store_with(t.path(), YAML);
        let plans = t.path().join("docs/maestro/plans");
        std::fs::create_dir_all(plans.join("archive")).expect("mkdir");
        std::fs::write(plans.join("archive/rest-api-auth-design.md"), "design").expect("write");
        std::fs::write(plans.join("rest-api-auth-impl-plan.md"), "plan").expect("write");
        let active = store.workspace().active_session_path();
        let archived = store
            .workspace()
            .archive_dir()
            .join("2026-11-20-rest-api-auth.md");
        if interrupted_after == 2 {
            std::fs::copy(&active, &archived).expect("copy");
        }
        let report = store.archive(None).expect("archive completes");
        assert!(!active.exists(), "after step {interrupted_after}");
        assert!(plans.join("archive/rest-api-auth-impl-plan.md").is_file());
        assert!(!plans.join("rest-api-auth-impl-plan.md").exists());
        let s = store.get("2026-11-20").expect("archived");
        assert_eq!(
            s.meta.design_document.as_deref(),
            Some("docs/maestro/plans/archive/rest-api-auth-design.md")
        );
        assert_eq!(
            s.meta.implementation_plan.as_deref(),
            Some("docs/maestro/plans/archive/rest-api-auth-impl-plan.md")
        );
        assert_eq!(report.path, archived);
        // Once more: nothing left to do, nothing breaks.
        let again = store.archive(Some("2026-11-20")).expect("idempotent");
        assert!(again.already_archived && again.moved.is_empty());
    }
}

/// Resume reports the files of unfinished phases that changed after they were recorded.
#[test]
fn resume_reports_conflicts_of_unfinished_phases() {
    let t = tempfile::tempdir().expect("tmp");
    let store = store_with(t.path(), YAML);
    std::fs::create_dir_all(t.path().join("src")).expect("mkdir");
    std::fs::write(t.path().join("src/server.rs"), "fn main() {}").expect("write");
    std::fs::write(t.path().join("src/auth.rs"), "").expect("write");
    store
        .apply(
            None,
            &Operation::AddFiles {
                phase: 2,
                created: vec!["src/auth.rs".into(), "src/gone.rs".into()],
                modified: vec![],
                deleted: vec![],
            },
        )
        .expect("files");
    store.apply(None, &Operation::Pause).expect("pause");
    // src/server.rs changes after the phase recorded its manifest; src/auth.rs does not.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(t.path().join("src/server.rs"))
        .expect("open")
        .set_modified(later)
        .expect("mtime");
    let report = store.resume("active", false).expect("resume");
    let mut found: Vec<(String, String)> = report
        .conflicts
        .iter()
        .map(|c| {
            (
                c.path.clone(),
                c.reason.split(' ').next().unwrap_or_default().to_string(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("src/gone.rs".to_string(), "missing".to_string()),
            ("src/server.rs".to_string(), "modified".to_string())
        ]
    );
    assert_eq!(
        report.continue_with,
        Some((2, "Implement middleware".to_string()))
    );
    assert_eq!(
        report.last_completed,
        Some((1, "Design the token model".to_string()))
    );
    assert_eq!(report.unresolved_errors.len(), 1);
}
