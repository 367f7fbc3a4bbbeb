//! The design gate and reconciliation tools on a scratch project, in process: the gate's
//! binding to one session instance (what no Maestro test sequence reaches: a recreated id, a
//! parked session, a Maestro-written gate, another session's sidecar), `doctor` over gate
//! files, and the reconciliation refusals of ours. The Maestro sequences run over stdio in
//! `tests/tests/mcp_session_pack.rs`.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly

use std::path::PathBuf;

use serde_json::{Value, json};

use super::*;
use crate::EnvVars;
use crate::operations::Operation;
use crate::store::Store;

struct Fx {
    _dir: tempfile::TempDir,
    root: PathBuf,
    tools: Tools,
}

fn fx() -> Fx {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("proj");
    std::fs::create_dir_all(root.join(".git")).expect("mkdir");
    let env = Env::from_pairs([(
        EnvVars::MAESTRO_WORKSPACE_PATH,
        root.to_str().expect("utf8"),
    )]);
    let tools = Tools::new(env, &root);
    Fx {
        _dir: dir,
        root,
        tools,
    }
}

const PHASES: &str = r#"[{"id": 1, "name": "P1", "agent": "coder", "parallel": false, "blocked_by": []},
                         {"id": 2, "name": "P2", "agent": "tester", "parallel": false, "blocked_by": [1]}]"#;

impl Fx {
    fn call(&self, tool: &str, args: Value) -> Result<Value, ToolError> {
        let Value::Object(map) = args else {
            panic!("arguments must be an object")
        };
        let out = self.tools.call(tool, Some(map));
        if let Err(e) = &out {
            let text = e.to_json();
            assert!(
                !text.contains(self.root.to_str().expect("utf8")),
                "an absolute path in {text}"
            );
        }
        out
    }

    fn ok(&self, tool: &str, args: Value) -> Value {
        self.call(tool, args)
            .unwrap_or_else(|e| panic!("{tool} failed: {}", e.to_json()))
    }

    fn err(&self, tool: &str, args: Value) -> ToolError {
        match self.call(tool, args) {
            Ok(v) => panic!("{tool} should fail, gave {v}"),
            Err(e) => e,
        }
    }

    fn create(&self, id: &str) -> Result<Value, ToolError> {
        let phases: Value = serde_json::from_str(PHASES).expect("phases");
        self.call(
            "create_session",
            json!({"session_id": id, "task": format!("task {id}"), "phases": phases}),
        )
    }

    fn approve(&self, id: &str) {
        self.ok("enter_design_gate", json!({"session_id": id}));
        self.ok(
            "record_design_approval",
            json!({"session_id": id, "design_document_content": "# Design\n",
                   "design_document_filename": format!("{id}-design.md")}),
        );
    }

    fn gate_file(&self, id: &str) -> PathBuf {
        self.root
            .join(format!("docs/maestro/state/{id}.design-gate.json"))
    }

    fn gate(&self, id: &str) -> Value {
        let text = std::fs::read_to_string(self.gate_file(id)).expect("gate file");
        serde_json::from_str(&text).expect("gate json")
    }

    fn status(&self, id: &str) -> Value {
        self.ok("get_design_gate_status", json!({"session_id": id}))
    }

    fn store(&self) -> Store {
        let env = Env::from_pairs([(
            EnvVars::MAESTRO_WORKSPACE_PATH,
            self.root.to_str().expect("utf8"),
        )]);
        let ws = crate::workspace::paths::Workspace::resolve(&env, &self.root).expect("ws");
        Store::new(ws, env)
    }
}

#[test]
fn the_five_tools_have_maestros_required_arguments_and_phase_id_types() {
    let defs = definitions();
    let schema = |name: &str| {
        defs.iter()
            .find(|d| d.name == name)
            .map(|d| Value::Object(d.input_schema.clone()))
            .unwrap_or_else(|| panic!("{name} is not listed"))
    };
    for (tool, required) in [
        ("enter_design_gate", json!(["session_id"])),
        ("record_design_approval", json!(["session_id"])),
        ("get_design_gate_status", json!(["session_id"])),
        ("scan_phase_changes", json!(["session_id", "phase_id"])),
        ("reconcile_phase", json!(["session_id", "phase_id"])),
    ] {
        let s = schema(tool);
        assert_eq!(s["required"], required, "{tool}");
        assert_eq!(s["additionalProperties"], false, "{tool}");
    }
    for tool in ["scan_phase_changes", "reconcile_phase"] {
        assert_eq!(
            schema(tool)["properties"]["phase_id"]["type"],
            json!(["integer", "string"])
        );
    }
    let record = schema("record_design_approval");
    for key in [
        "design_document_path",
        "design_document_content",
        "design_document_filename",
    ] {
        assert!(record["properties"].get(key).is_some(), "{key}");
    }
}

#[test]
fn create_binds_the_gate_to_the_session_and_a_recreated_id_inherits_nothing() {
    let f = fx();
    f.approve("s1");
    assert!(
        f.gate("s1").get("session_created").is_none(),
        "pending until a session takes it"
    );
    f.create("s1").expect("create after approval");
    let session = f.store().get("s1").expect("session");
    assert_eq!(f.gate("s1")["session_created"], json!(session.meta.created));
    assert_eq!(
        session.meta.design_document.as_deref(),
        Some("docs/maestro/plans/s1-design.md"),
        "the gate's document when create_session names none"
    );
    let (_, log) = f.store().events("s1").expect("log");
    let create = log.events.first().expect("create event").1.to_json();
    assert_eq!(create["op"], "create");
    assert_eq!(
        create["design_gate"]["design_document_path"],
        "docs/maestro/plans/s1-design.md"
    );
    assert!(f.status("s1")["approved_at"].is_string());

    // The same id, another instance (a file recreated by hand): the approval is not its.
    let mut gate = f.gate("s1");
    gate["session_created"] = json!("2020-01-01T00:00:00Z");
    std::fs::write(f.gate_file("s1"), gate.to_string()).expect("write");
    let status = f.status("s1");
    assert_eq!(status["approved_at"], Value::Null, "{status}");
    assert_eq!(status["entered_at"], Value::Null, "{status}");
    let report = f.store().doctor(false).expect("doctor");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.kind == crate::store::doctor::ProblemKind::DesignGate
                && p.detail.contains("stale")),
        "{:?}",
        report.problems
    );
    f.store().doctor(true).expect("doctor --fix");
    assert!(!f.gate_file("s1").exists(), "quarantined");
    let quarantined = std::fs::read_dir(f.root.join("docs/maestro/state/quarantine"))
        .expect("quarantine")
        .filter_map(|e| e.ok())
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .ends_with("s1.design-gate.json")
        });
    assert!(quarantined, "moved, never deleted");
}

#[test]
fn a_parked_session_keeps_its_gate_and_gets_it_back_on_resume() {
    let f = fx();
    f.approve("s1");
    f.create("s1").expect("create");
    f.store().apply(None, &Operation::Pause).expect("pause");
    f.create("s2").expect("create parks s1");
    assert!(f.gate_file("s1").exists(), "parking is not archiving");
    assert_eq!(
        f.status("s1")["approved_at"],
        Value::Null,
        "not active: counts for nothing"
    );
    let report = f.store().doctor(false).expect("doctor");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    f.ok("archive_session", json!({"session_id": "s2"}));
    f.ok("resume_session", json!({"session_id": "s1"}));
    assert!(
        f.status("s1")["approved_at"].is_string(),
        "the same instance again"
    );
}

#[test]
fn a_maestro_gate_is_honoured_and_another_sessions_sidecar_never() {
    let f = fx();
    f.ok("initialize_workspace", json!({}));
    let doc = f.root.join("docs/design.md");
    std::fs::create_dir_all(doc.parent().expect("parent")).expect("mkdir");
    std::fs::write(&doc, "# Design\n").expect("write");
    // As Maestro 1.6.4 writes it: absolute path, milliseconds, no binding.
    let maestro = json!({"session_id": "m1", "entered_at": "2026-01-01T00:00:00.000Z",
        "approved_at": "2026-01-01T00:05:00.000Z", "design_document_path": doc});
    std::fs::write(f.gate_file("m1"), maestro.to_string()).expect("write");
    assert_eq!(f.status("m1")["design_document_path"], "docs/design.md");
    f.create("m1").expect("create with Maestro's gate");
    let s = f.store().get("m1").expect("session");
    assert_eq!(s.meta.design_document.as_deref(), Some("docs/design.md"));
    assert_eq!(f.gate("m1")["session_created"], json!(s.meta.created));

    // A sidecar named for x holding y's gate: refused everywhere, never rewritten.
    f.ok("archive_session", json!({"session_id": "m1"}));
    let foreign = json!({"session_id": "y", "entered_at": "2026-01-01T00:00:00Z",
        "approved_at": "2026-01-01T00:00:01Z", "design_document_path": "docs/design.md"});
    std::fs::write(f.gate_file("x"), foreign.to_string()).expect("write");
    for tool in [
        "enter_design_gate",
        "get_design_gate_status",
        "record_design_approval",
    ] {
        let mut args = json!({"session_id": "x"});
        if tool == "record_design_approval" {
            args["design_document_path"] = json!("docs/design.md");
        }
        let e = f.err(tool, args);
        assert_eq!(e.code, "IO_ERROR", "{tool}: {}", e.to_json());
        assert!(e.error.contains("doctor --fix"), "{}", e.error);
    }
    let e = f.create("x").expect_err("create over a foreign sidecar");
    assert_eq!(e.code, "IO_ERROR", "{}", e.to_json());
    assert_eq!(f.gate("x"), foreign, "never overwritten");
}

#[test]
fn the_approved_document_must_exist_inside_the_project_at_create() {
    let f = fx();
    f.ok("enter_design_gate", json!({"session_id": "d1"}));
    let approved = f.ok(
        "record_design_approval",
        json!({"session_id": "d1", "design_document_path": "docs/later.md"}),
    );
    assert_eq!(approved["design_document_path"], "docs/later.md");
    let e = f.create("d1").expect_err("missing document");
    assert_eq!(e.code, "NOT_FOUND");
    assert!(
        e.error.contains("record_design_approval") && e.error.contains("create_session"),
        "{}",
        e.error
    );
    std::fs::write(f.root.join("docs/later.md"), "# Design\n").expect("write");
    f.create("d1").expect("the document exists now");
    let outside = f._dir.path().join("plan-mode/design.md");
    let e = f.err(
        "record_design_approval",
        json!({"session_id": "d2", "design_document_path": outside}),
    );
    assert_eq!(e.code, "PATH_REFUSED", "{}", e.to_json());
    let e = f.err(
        "record_design_approval",
        json!({"session_id": "d2", "design_document_content": "x".repeat(5 * 1024 * 1024),
               "design_document_filename": "big.md"}),
    );
    assert_eq!(e.code, "VALIDATION_ERROR", "{}", e.error);
    assert!(!f.root.join("docs/maestro/plans/big.md").exists());
}

#[test]
fn a_content_approval_never_replaces_another_document() {
    let f = fx();
    f.ok("initialize_workspace", json!({}));
    let plans = f.root.join("docs/maestro/plans");
    std::fs::write(plans.join("design.md"), "# Someone else's\n").expect("write");
    let e = f.err(
        "record_design_approval",
        json!({"session_id": "c1", "design_document_content": "# Mine\n",
               "design_document_filename": "design.md"}),
    );
    assert_eq!(e.code, "VALIDATION_ERROR", "{}", e.error);
    assert_eq!(
        std::fs::read_to_string(plans.join("design.md")).expect("read"),
        "# Someone else's\n"
    );
    assert!(!f.gate_file("c1").exists(), "nothing half done");
}

#[test]
fn reconciliation_is_marked_by_an_empty_handoff_and_refused_where_ours_is_stricter() {
    let f = fx();
    f.create("r1").expect("create");
    let e = f.err(
        "scan_phase_changes",
        json!({"session_id": "r1", "phase_id": 2}),
    );
    assert_eq!(e.code, "STATE_ERROR", "{}", e.error);
    assert!(e.error.contains("has not started"), "{}", e.error);
    let e = f.err(
        "reconcile_phase",
        json!({"session_id": "r1", "phase_id": 2, "files_created": ["a.rs"]}),
    );
    assert_eq!(
        e.code, "STATE_ERROR",
        "a pending phase never ran: {}",
        e.error
    );
    let e = f.err(
        "reconcile_phase",
        json!({"session_id": "other", "phase_id": 1, "files_created": ["a.rs"]}),
    );
    assert_eq!(e.code, "STATE_ERROR");
    assert!(e.error.contains("Session mismatch"), "{}", e.error);
    let e = f.err(
        "reconcile_phase",
        json!({"session_id": "r1", "phase_id": 1, "files_created": ["/etc/passwd"]}),
    );
    assert_eq!(e.code, "PATH_REFUSED");
    let e = f.err(
        "reconcile_phase",
        json!({"session_id": "r1", "phase_id": 1, "files_created": ["a.rs"],
               "reason": "y".repeat(5000)}),
    );
    assert_eq!(e.code, "VALIDATION_ERROR");
    f.ok(
        "transition_phase",
        json!({"session_id": "r1", "completed_phase_id": 1, "next_phase_id": 2,
               "files_created": ["a.rs"], "downstream_context": {"integration_points": "a.rs"}}),
    );
    let s = f.store().get("r1").expect("session");
    assert!(
        s.meta.phases[0]
            .extra
            .get("requires_reconciliation")
            .is_none()
    );
    f.ok(
        "transition_phase",
        json!({"session_id": "r1", "completed_phase_id": 2, "downstream_context": {"warnings": "none"}}),
    );
    let s = f.store().get("r1").expect("session");
    assert_eq!(s.meta.phases[1].extra["requires_reconciliation"], true);
    let e = f.err("archive_session", json!({"session_id": "r1"}));
    assert_eq!(e.code, "RECONCILIATION_PENDING");
    assert_eq!(e.details.as_deref(), Some(&json!({"phase_id": 2})));
    assert!(f.store().active().expect("read").is_some(), "still active");
    let done = f.ok(
        "reconcile_phase",
        json!({"session_id": "r1", "phase_id": "2", "files_modified": ["b.rs"],
               "reason": "tester returned no report"}),
    );
    assert_eq!(
        done["phase_id"], 2,
        "the phase's own id, as the file spells it"
    );
    assert_eq!(done["files_modified"], json!(["b.rs"]));
    let s = f.store().get("r1").expect("session");
    assert_eq!(s.meta.phases[1].extra["requires_reconciliation"], false);
    assert_eq!(
        s.meta.phases[1].extra["reconciliation_reason"],
        "tester returned no report"
    );
    f.ok("archive_session", json!({"session_id": "r1"}));
}

#[test]
fn a_bad_scan_setting_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("proj");
    std::fs::create_dir_all(root.join(".git")).expect("mkdir");
    let env = Env::from_pairs([
        (
            EnvVars::MAESTRO_WORKSPACE_PATH,
            root.to_str().expect("utf8"),
        ),
        (EnvVars::MAESTRO_SCAN_MAX_FILES, "lots"),
    ]);
    let tools = Tools::new(env, &root);
    let args = json!({"session_id": "s", "phase_id": 1});
    let Value::Object(map) = args else { panic!() };
    let e = tools
        .call("scan_phase_changes", Some(map))
        .expect_err("bad setting");
    assert_eq!(e.code, "VALIDATION_ERROR");
    assert!(e.error.contains("MAESTRO_SCAN_MAX_FILES"), "{}", e.error);
}
