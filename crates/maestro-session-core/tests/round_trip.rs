//! Both Maestro renderings survive read -> write unchanged apart from `updated`, and keys the
//! tool does not know survive every operation, in both flavours.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::Path;

use maestro_session_core::operations::Operation;
use maestro_session_core::session::lifecycle::{SessionStatus, Stage};
use maestro_session_core::session::model::PhaseId;
use maestro_session_core::store::{ACTIVE_KEYWORD, Store};
use maestro_session_core::workspace::paths::Workspace;
use maestro_session_core::{Env, EnvVars};
use maestro_session_fs::durable;
use serde_json::Value;

const YAML: &str = include_str!("../../../tests/fixtures/maestro-state/active-session.yaml.md");
const JSON: &str = include_str!("../../../tests/fixtures/maestro-state/active-session.json.md");

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

/// Replaces the value of the `updated` key in either rendering.
fn blank_updated(text: &str) -> String {
    // The `revision` every write counts up (the last key, as a new one), in either flavour.
    let mut text = text.to_string();
    if let Some(at) = text.find(",\n  \"revision\": ") {
        let end = text[at + 2..].find('\n').map_or(text.len(), |e| at + 2 + e);
        text.replace_range(at..end, "");
    }
    text.lines()
        .filter(|l| !l.starts_with("revision: "))
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
fn renderings_survive_read_write_apart_from_updated_and_revision() {
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
    let mut doc = maestro_session_core::session::document::Document::parse(fixture).expect("parse");
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
    let doc = maestro_session_core::session::document::Document::read(path).expect("parses");
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
                agent: maestro_session_core::session::agent_name::AgentName::parse("coder")
                    .expect("name"),
                input: 1,
                output: 2,
                cached: 3,
            },
            Operation::AddError {
                phase: PhaseId::Number(2),
                agent: maestro_session_core::session::agent_name::AgentName::parse("coder")
                    .expect("name"),
                kind: "runtime".into(),
                message: "m".into(),
            },
            Operation::ResolveError {
                phase: PhaseId::Number(2),
                index: 1,
                resolution: "done".into(),
            },
            Operation::AddFiles {
                phase: PhaseId::Number(2),
                created: vec!["a.rs".into()],
                modified: vec![],
                deleted: vec![],
            },
            Operation::AddContext {
                phase: PhaseId::Number(2),
                key: "warnings".into(),
                values: vec!["w".into()],
            },
            Operation::SetField {
                key: "task_complexity".into(),
                value: Some("complex".into()),
            },
            Operation::PhaseFail {
                id: PhaseId::Number(2),
                kind: "validation".into(),
                message: "f".into(),
                agent: None,
            },
            Operation::PhaseRetry(PhaseId::Number(2)),
            Operation::PhaseComplete {
                id: PhaseId::Number(2),
                output: Some("ok".into()),
                validation: None,
            },
            Operation::PhaseSkip(PhaseId::Number(3)),
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
        // Paused first: archiving a session in progress completes it, and a completed session
        // is not resumed below.
        store
            .apply(Some(ACTIVE_KEYWORD), &Operation::Pause)
            .expect("pause");
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

/// An archive killed after any number of its file operations is completed by the next
/// command: the session ends up archived exactly once, both plan documents under
/// collision-free names, and the session names them.
#[test]
fn archive_killed_at_any_step_is_completed_by_the_next_command() {
    const ID: &str = "2026-11-20-rest-api-auth";
    let mut crashed = 0;
    for crash_at in 0..8 {
        let t = tempfile::tempdir().expect("tmp");
        let store = store_with(t.path(), YAML);
        let plans = t.path().join("docs/maestro/plans");
        std::fs::create_dir_all(plans.join("archive")).expect("mkdir");
        std::fs::write(plans.join("rest-api-auth-design.md"), "design").expect("write");
        std::fs::write(plans.join("rest-api-auth-impl-plan.md"), "plan").expect("write");
        durable::fault::arm(crash_at);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| store.archive(None)));
        if !durable::fault::disarm() {
            assert!(result.is_err(), "the injected crash unwinds");
            crashed += 1;
        } else {
            result.expect("no crash").expect("archive");
        }
        // The next command sees the session exactly once: the move completed, or (killed
        // before its intent record was durable) it never began.
        let (rows, broken) = store.summaries().expect("list");
        assert!(broken.is_empty(), "{broken:?}");
        let ids: Vec<&str> = rows.iter().map(|r| r.session_id.as_str()).collect();
        assert_eq!(
            ids,
            vec![ID],
            "exactly once after a crash at step {crash_at}"
        );
        store.archive(Some(ID)).expect("archive (again)");
        assert!(!store.workspace().active_session_path().exists());
        let s = store.get(ID).expect("archived");
        let design = format!("docs/maestro/plans/archive/{ID}--rest-api-auth-design.md");
        let plan = format!("docs/maestro/plans/archive/{ID}--rest-api-auth-impl-plan.md");
        assert_eq!(s.meta.design_document.as_deref(), Some(design.as_str()));
        assert_eq!(s.meta.implementation_plan.as_deref(), Some(plan.as_str()));
        assert_eq!(
            std::fs::read_to_string(t.path().join(&design)).expect("d"),
            "design"
        );
        assert_eq!(
            std::fs::read_to_string(t.path().join(&plan)).expect("p"),
            "plan"
        );
        // Once more: nothing left to do, nothing breaks.
        let again = store.archive(Some(ID)).expect("idempotent");
        assert!(again.already_archived && again.moved.is_empty());
    }
    assert!(
        crashed >= 4,
        "the crash points covered the move ({crashed})"
    );
}

/// A session left in two places by an older version is never resolved silently: `archive`
/// refuses naming `doctor --fix`, which keeps the newer copy and quarantines the other.
#[test]
fn a_session_in_two_places_is_left_to_doctor() {
    const ID: &str = "2026-11-20-rest-api-auth";
    let t = tempfile::tempdir().expect("tmp");
    let store = store_with(t.path(), YAML);
    let older = YAML.replace(
        "updated: \"2026-11-20T10:02:41Z\"",
        "updated: \"2026-11-20T10:00:00Z\"",
    );
    assert_ne!(older, YAML, "the fixture's updated line");
    let archived = store.workspace().archive_dir().join(format!("{ID}.md"));
    std::fs::write(&archived, &older).expect("write");
    let err = store.archive(None).expect_err("two places");
    assert!(err.to_string().contains("doctor --fix"), "{err}");
    let report = store.doctor(false).expect("doctor");
    assert!(!report.healthy());
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    let fixed = store.doctor(true).expect("fix");
    assert_eq!(fixed.fixed.len(), 1, "{:?}", fixed.fixed);
    assert!(!archived.exists(), "the older copy moved aside");
    assert!(
        store.workspace().active_session_path().exists(),
        "the newer kept"
    );
    let quarantine = t.path().join("docs/maestro/state/quarantine");
    let kept: Vec<_> = std::fs::read_dir(&quarantine)
        .expect("quarantine")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(kept.len(), 2, "the copy and why: {kept:?}");
    assert!(
        kept.iter()
            .any(|p| std::fs::read_to_string(p).is_ok_and(|t| t == older))
    );
    assert!(store.doctor(false).expect("again").problems.is_empty());
    store.archive(None).expect("archive now works");
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
                phase: PhaseId::Number(2),
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
        Some((PhaseId::Number(2), "Implement middleware".to_string()))
    );
    assert_eq!(
        report.last_completed,
        Some((PhaseId::Number(1), "Design the token model".to_string()))
    );
    assert_eq!(report.unresolved_errors.len(), 1);
}
