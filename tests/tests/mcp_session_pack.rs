//! Maestro 1.6.4's own test sequences for the design gate and phase reconciliation, recreated
//! as ours against `maestro-session mcp` over stdio: `tests/unit/design-gate.test.js`,
//! `tests/unit/reconciliation.test.js`, `tests/integration/reconciliation-flow.test.js`, the
//! gate's part of `tests/integration/design-document-lifecycle.test.js`, the tool list of
//! `tests/transforms/mcp-session-pack.test.js` and the phase-id coercion of
//! `tests/unit/session-state-tools.test.js`. Where ours differs on purpose (README
//! "Coming from Maestro"), the test says so and asserts ours.
//!
//! Last, differential tests run sequences against Maestro's own server
//! (`../shared/reference/maestro-1.6.4/mcp/maestro-server.js`, with `node`) and ours, in two
//! temp projects each, and compare outcomes and result shapes: success or failure, error codes,
//! keys, JSON types and `details` (Maestro's violation lists exactly; not timestamps or paths):
//! one for the design gate and reconciliation, and sequences of `create_session`,
//! `update_session`, `transition_phase`, `get_session_status` and `archive_session`, valid and
//! invalid. A call where ours differs on purpose names the README "Coming from Maestro"
//! line that says so; the test checks the line is there and that the call does differ. They
//! skip, saying so, when the reference or `node` is missing.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use e2e_tests::World;
use e2e_tests::mcp_client::McpClient;
use serde_json::{Value, json};

/// `maestro-session mcp` in `world`'s project, as Gemini CLI starts it.
fn server(world: &World) -> McpClient {
    let mut cmd = world.cmd("maestro-session");
    cmd.arg("mcp")
        .env("MAESTRO_WORKSPACE_PATH", world.project());
    let mut client = McpClient::start(cmd);
    client.forbidden = Some(world.root().to_string_lossy().into_owned());
    client
}

/// Makes the world's project a git work tree (its `.git` holds no commit until then).
/// False when git cannot run here.
fn git_init(dir: &Path, home: &Path) -> bool {
    Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn phases() -> Value {
    json!([{"id": 1, "name": "P1", "agent": "coder", "parallel": false, "blocked_by": [],
            "files": ["x"]}])
}

fn create(id: &str) -> Value {
    json!({"session_id": id, "task": format!("task of {id}"), "task_complexity": "simple",
           "phases": phases()})
}

fn is_iso(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() >= 20 && s.as_bytes()[4] == b'-' && s.as_bytes()[10] == b'T' && s.ends_with('Z')
    })
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

// --- tests/unit/design-gate.test.js -----------------------------------------------------

#[test]
fn entering_the_gate_records_a_time_once() {
    let w = World::new();
    let mut c = server(&w);
    c.ok("initialize_workspace", json!({}));
    let none = c.ok("get_design_gate_status", json!({"session_id": "alpha"}));
    assert_eq!(none["entered_at"], Value::Null);
    assert_eq!(none["session_id"], "alpha");
    let first = c.ok("enter_design_gate", json!({"session_id": "alpha"}));
    assert_eq!(first["success"], true);
    assert_eq!(first["already_entered"], false);
    assert!(is_iso(&first["entered_at"]), "{first}");
    let again = c.ok("enter_design_gate", json!({"session_id": "alpha"}));
    assert_eq!(again["entered_at"], first["entered_at"]);
    assert_eq!(again["already_entered"], true);
    let status = c.ok("get_design_gate_status", json!({"session_id": "alpha"}));
    assert_eq!(status["entered_at"], first["entered_at"]);
    assert_eq!(status["approved_at"], Value::Null);
}

#[test]
fn an_approval_takes_exactly_one_of_path_or_content_and_a_basename() {
    let w = World::new();
    let watch = w.watch();
    let mut c = server(&w);
    c.ok("enter_design_gate", json!({"session_id": "alpha"}));
    for args in [
        json!({"session_id": "alpha"}),
        json!({"session_id": "alpha", "design_document_path": ""}),
    ] {
        let e = c.err("record_design_approval", args);
        assert_eq!(e["code"], "VALIDATION_ERROR");
        assert!(
            e["error"].as_str().is_some_and(|m| m.contains(
                "either design_document_path or both design_document_content and design_document_filename"
            )),
            "{e}"
        );
    }
    let e = c.err(
        "record_design_approval",
        json!({"session_id": "alpha", "design_document_path": "design.md",
               "design_document_content": "# Design\n", "design_document_filename": "design.md"}),
    );
    assert!(
        e["error"]
            .as_str()
            .is_some_and(|m| m.contains("mutually exclusive")),
        "{e}"
    );
    let e = c.err(
        "record_design_approval",
        json!({"session_id": "alpha", "design_document_content": "# Design\n"}),
    );
    assert_eq!(e["error"], "design_document_filename is required");
    let e = c.err(
        "record_design_approval",
        json!({"session_id": "alpha", "design_document_filename": "design.md"}),
    );
    assert_eq!(e["error"], "design_document_content is required");
    for name in ["../escape.md", "sub/nested.md"] {
        let e = c.err(
            "record_design_approval",
            json!({"session_id": "alpha", "design_document_content": "# Design\n",
                   "design_document_filename": name}),
        );
        assert!(
            e["error"].as_str().is_some_and(|m| m.contains("basename")),
            "{e}"
        );
    }
    assert!(!w.project().join("docs/maestro/escape.md").exists());
    let status = c.ok("get_design_gate_status", json!({"session_id": "alpha"}));
    assert_eq!(
        status["approved_at"],
        Value::Null,
        "no refusal approved anything"
    );
    drop(c);
    watch.check(&w);
}

#[test]
fn an_approval_by_path_need_not_exist_yet_and_content_lands_in_plans() {
    let w = World::new();
    let mut c = server(&w);
    c.ok("enter_design_gate", json!({"session_id": "alpha"}));
    let later = c.ok(
        "record_design_approval",
        json!({"session_id": "alpha", "design_document_path": w.project().join("not-yet-written.md")}),
    );
    assert_eq!(later["success"], true);
    assert!(is_iso(&later["approved_at"]), "{later}");
    // Ours: paths come back project-relative (Maestro gives the absolute path).
    assert_eq!(later["design_document_path"], "not-yet-written.md");
    let design = w.project().join("docs/maestro/plans/design.md");
    write(&design, "# Design\n\nA real design document.\n");
    let existing = c.ok(
        "record_design_approval",
        json!({"session_id": "alpha", "design_document_path": "docs/maestro/plans/design.md"}),
    );
    assert!(is_iso(&existing["approved_at"]));
    let body = "# Design\n\nApproved inline.\n";
    let inline = c.ok(
        "record_design_approval",
        json!({"session_id": "alpha", "design_document_content": body,
               "design_document_filename": "inline-design.md"}),
    );
    assert_eq!(
        inline["design_document_path"],
        "docs/maestro/plans/inline-design.md"
    );
    assert_eq!(
        std::fs::read_to_string(w.project().join("docs/maestro/plans/inline-design.md"))
            .expect("materialized"),
        body
    );
    let created = c.ok("create_session", create("alpha"));
    assert_eq!(created["success"], true);
}

#[test]
fn create_session_waits_for_the_approval_of_its_own_gate() {
    let w = World::new();
    let mut c = server(&w);
    c.ok("enter_design_gate", json!({"session_id": "alpha"}));
    let e = c.err("create_session", create("alpha"));
    assert_eq!(e["code"], "DESIGN_GATE_UNAPPROVED");
    assert!(
        e["error"]
            .as_str()
            .is_some_and(|m| m.contains("record_design_approval")),
        "{e}"
    );
    assert!(!w.state().join("active-session.md").exists());
    write(
        &w.project().join("docs/maestro/plans/design.md"),
        "# Design\n",
    );
    c.ok(
        "record_design_approval",
        json!({"session_id": "alpha", "design_document_path": "docs/maestro/plans/design.md"}),
    );
    c.ok("create_session", create("alpha"));
}

#[test]
fn a_drifted_session_id_is_refused_naming_both_ids() {
    let w = World::new();
    let mut c = server(&w);
    c.ok("enter_design_gate", json!({"session_id": "placeholder-id"}));
    c.ok(
        "record_design_approval",
        json!({"session_id": "placeholder-id", "design_document_content": "# Design\n",
               "design_document_filename": "drift-design.md"}),
    );
    let e = c.err("create_session", create("real-session-id"));
    assert_eq!(e["code"], "DESIGN_GATE_SESSION_MISMATCH");
    let msg = e["error"].as_str().expect("error");
    assert!(
        msg.contains("placeholder-id")
            && msg.contains("real-session-id")
            && msg.contains("Session IDs must match"),
        "{msg}"
    );
    assert_eq!(
        e["details"],
        json!({"current_session_id": "real-session-id", "orphaned_session_ids": ["placeholder-id"]})
    );
    assert!(!w.state().join("active-session.md").exists());
}

#[test]
fn drift_detection_has_no_false_positives() {
    let w = World::new();
    let mut c = server(&w);
    // An abandoned approved gate, and the current session's own approved gate.
    for (id, name) in [
        ("prior-abandoned", "old-design.md"),
        ("fresh-session", "new-design.md"),
    ] {
        c.ok("enter_design_gate", json!({"session_id": id}));
        c.ok(
            "record_design_approval",
            json!({"session_id": id, "design_document_content": "# D\n",
                   "design_document_filename": name}),
        );
    }
    c.ok("create_session", create("fresh-session"));
    c.ok("archive_session", json!({"session_id": "fresh-session"}));

    // A gate entered but not approved for another id is no drift (simple tasks skip the gate).
    c.ok(
        "enter_design_gate",
        json!({"session_id": "pending-approval"}),
    );
    let mut simple = create("different-simple");
    simple["workflow_mode"] = json!("express");
    // The abandoned approved gate is still pending: that one is drift, as in Maestro.
    let e = c.err("create_session", simple.clone());
    assert_eq!(e["code"], "DESIGN_GATE_SESSION_MISMATCH");
    assert_eq!(
        e["details"]["orphaned_session_ids"],
        json!(["prior-abandoned"])
    );
    std::fs::remove_file(w.state().join("prior-abandoned.design-gate.json")).expect("rm");
    c.ok("create_session", simple);
}

#[test]
fn with_no_gate_in_the_workspace_create_session_proceeds() {
    let w = World::new();
    let mut c = server(&w);
    let mut express = create("express-session");
    express["workflow_mode"] = json!("express");
    assert_eq!(c.ok("create_session", express)["success"], true);
}

// --- tests/unit/reconciliation.test.js, tests/integration/reconciliation-flow.test.js ----

/// Runs `check` over a project that is a git work tree and over one that is not (the file
/// walk): Maestro's scan walks files; ours asks git first.
fn both_sources(check: impl Fn(&World, &mut McpClient, &str)) {
    for with_git in [true, false] {
        let w = World::new();
        if with_git && !git_init(&w.project(), &w.root().join("home")) {
            eprintln!("skipped the git half: git cannot run here");
            continue;
        }
        if !with_git {
            // git does not take the world's `.git` for a repository: the scan walks the files.
            std::fs::write(w.project().join(".git/HEAD"), "not a ref\n").expect("HEAD");
        }
        let mut c = server(&w);
        check(&w, &mut c, if with_git { "git" } else { "files" });
    }
}

#[test]
fn scan_lists_what_a_phase_created_and_never_the_state_dir_or_git() {
    both_sources(|w, c, source| {
        c.ok("create_session", create("recon-test"));
        write(&w.project().join("src/foo.js"), "// hi\n");
        write(&w.project().join("src/bar.js"), "// hi\n");
        write(&w.project().join(".git/HEAD-extra"), "...");
        write(&w.project().join("docs/maestro/notes.md"), "...");
        let scan = c.ok(
            "scan_phase_changes",
            json!({"session_id": "recon-test", "phase_id": 1}),
        );
        assert_eq!(scan["source"], source, "{scan}");
        assert_eq!(
            scan["candidates"]["created"],
            json!(["src/bar.js", "src/foo.js"]),
            "{source}: {scan}"
        );
        assert_eq!(scan["phase_id"], 1);
        assert!(is_iso(&scan["started_at"]) && is_iso(&scan["scanned_at"]));
        assert_eq!(scan["max_files"], 5000);
        assert_eq!(scan["truncated"], false);
        assert!(scan["ignored_count"].as_u64().is_some_and(|n| n >= 1));
        if source == "files" {
            assert!(
                scan["note"]
                    .as_str()
                    .is_some_and(|n| n.contains("not a git work tree")),
                "{scan}"
            );
        }
    });
}

#[test]
fn reconcile_refuses_an_empty_payload() {
    let w = World::new();
    let mut c = server(&w);
    c.ok("create_session", create("recon-test"));
    c.ok(
        "transition_phase",
        json!({"session_id": "recon-test", "completed_phase_id": 1, "files_created": [],
               "files_modified": [], "files_deleted": [], "downstream_context": {}}),
    );
    for args in [
        json!({"session_id": "recon-test", "phase_id": 1}),
        json!({"session_id": "recon-test", "phase_id": 1, "files_created": [],
               "files_modified": [], "files_deleted": [], "downstream_context": {}}),
        json!({"session_id": "recon-test", "phase_id": 1,
               "downstream_context": {"warnings": "none", "assumptions": ["n/a"]}}),
    ] {
        let e = c.err("reconcile_phase", args);
        assert_eq!(e["code"], "RECONCILIATION_EMPTY_PAYLOAD");
        assert!(
            e["error"]
                .as_str()
                .is_some_and(|m| m.contains("reconcile_phase requires at least one")),
            "{e}"
        );
    }
    let e = c.err("archive_session", json!({"session_id": "recon-test"}));
    assert_eq!(e["code"], "RECONCILIATION_PENDING");
}

#[test]
fn reconcile_clears_the_mark_and_archive_goes_on() {
    let w = World::new();
    let mut c = server(&w);
    c.ok("create_session", create("recon-test"));
    c.ok(
        "transition_phase",
        json!({"session_id": "recon-test", "completed_phase_id": 1, "files_created": [],
               "files_modified": [], "files_deleted": [], "downstream_context": {}}),
    );
    let e = c.err("archive_session", json!({"session_id": "recon-test"}));
    assert_eq!(e["code"], "RECONCILIATION_PENDING");
    assert_eq!(e["details"], json!({"phase_id": 1}));
    let done = c.ok(
        "reconcile_phase",
        json!({"session_id": "recon-test", "phase_id": 1, "files_created": ["src/foo.js"],
               "downstream_context": {"key_interfaces_introduced": [], "patterns_established": [],
                   "integration_points": ["src/foo.js"], "assumptions": [], "warnings": []}}),
    );
    assert_eq!(done["success"], true);
    assert_eq!(done["files_created"], json!(["src/foo.js"]));
    assert_eq!(done["files_modified"], json!([]));
    let archived = c.ok("archive_session", json!({"session_id": "recon-test"}));
    assert_eq!(archived["success"], true);
    let (code, shown, _) = e2e_tests::maestro(&w, &["show", "recon-test"]);
    assert_eq!(code, 0);
    let phase = &shown["phases"][0];
    assert_eq!(phase["requires_reconciliation"], false, "{shown}");
    assert_eq!(phase["files_created"], json!(["src/foo.js"]));
    assert_eq!(
        phase["downstream_context"]["integration_points"],
        json!(["src/foo.js"])
    );
}

#[test]
fn a_hung_worker_is_recovered_end_to_end() {
    both_sources(|w, c, _| {
        c.ok(
            "create_session",
            json!({"session_id": "rf-1", "task": "hung-worker recovery", "task_complexity": "simple",
                   "phases": [{"id": 1, "name": "Scaffold", "agent": "design-system-engineer",
                               "parallel": false, "blocked_by": [],
                               "files": ["index.html", "assets/css/styles.css"]}]}),
        );
        write(&w.project().join("index.html"), "<html/>");
        write(&w.project().join("assets/css/styles.css"), "body{}");
        c.ok(
            "transition_phase",
            json!({"session_id": "rf-1", "completed_phase_id": 1, "files_created": [],
                   "files_modified": [], "files_deleted": [], "downstream_context": {}}),
        );
        let scan = c.ok(
            "scan_phase_changes",
            json!({"session_id": "rf-1", "phase_id": 1}),
        );
        let created = scan["candidates"]["created"].as_array().expect("created");
        for f in ["index.html", "assets/css/styles.css"] {
            assert!(created.contains(&json!(f)), "{f} in {scan}");
        }
        c.ok(
            "reconcile_phase",
            json!({"session_id": "rf-1", "phase_id": 1,
                   "files_created": ["index.html", "assets/css/styles.css"],
                   "downstream_context": {"integration_points": ["index.html", "assets/css/styles.css"]}}),
        );
        c.ok("archive_session", json!({"session_id": "rf-1"}));
    });
}

#[test]
fn a_phase_id_given_as_text_names_the_integer_phase() {
    let w = World::new();
    let mut c = server(&w);
    c.ok("create_session", create("ids"));
    let scan = c.ok(
        "scan_phase_changes",
        json!({"session_id": "ids", "phase_id": "1"}),
    );
    assert_eq!(scan["phase_id"], 1, "written back as the file spells it");
    let e = c.err(
        "scan_phase_changes",
        json!({"session_id": "ids", "phase_id": 0}),
    );
    assert_eq!(e["code"], "NOT_FOUND");
    let e = c.err(
        "scan_phase_changes",
        json!({"session_id": "ids", "phase_id": ""}),
    );
    assert_eq!(e["code"], "VALIDATION_ERROR");
}

// --- tests/integration/design-document-lifecycle.test.js (the gate's part) -------------

#[test]
fn the_design_document_lifecycle_from_approval_to_archive() {
    let w = World::new();
    let mut c = server(&w);
    // Approval before the document exists; nothing is copied at approval time.
    c.ok("enter_design_gate", json!({"session_id": "ddl-late"}));
    c.ok(
        "record_design_approval",
        json!({"session_id": "ddl-late", "design_document_path": "notes/design.md"}),
    );
    assert!(!w.project().join("docs/maestro/plans/design.md").exists());
    let e = c.err("create_session", create("ddl-late"));
    assert_eq!(e["code"], "NOT_FOUND");
    let msg = e["error"].as_str().expect("error");
    assert!(
        msg.contains("design_document does not exist")
            && msg.find("record_design_approval") < msg.find("create_session"),
        "names both steps in order: {msg}"
    );
    write(
        &w.project().join("notes/design.md"),
        "# Design (written after approval)\n",
    );
    c.ok("create_session", create("ddl-late"));
    // Ours: recorded where it is (Maestro copies it into plans/).
    let (_, shown, _) = e2e_tests::maestro(&w, &["show", "ddl-late"]);
    assert_eq!(shown["design_document"], "notes/design.md");
    c.ok(
        "transition_phase",
        json!({"session_id": "ddl-late", "completed_phase_id": 1, "files_created": ["x"],
               "downstream_context": {"integration_points": "x created"}}),
    );
    c.ok("archive_session", json!({"session_id": "ddl-late"}));
    assert!(
        w.project().join("notes/design.md").exists(),
        "not in plans/: left alone"
    );

    // The content variant (Gemini Plan Mode): both documents land in plans/, and move to
    // plans/archive/ with the session.
    c.ok("enter_design_gate", json!({"session_id": "ddl-content"}));
    c.ok(
        "record_design_approval",
        json!({"session_id": "ddl-content", "design_document_content": "# Design (inline)\n",
               "design_document_filename": "design-content.md"}),
    );
    let mut with_plan = create("ddl-content");
    with_plan["implementation_plan_content"] = json!("# Plan (inline)\n");
    with_plan["implementation_plan_filename"] = json!("plan-content.md");
    c.ok("create_session", with_plan);
    let (_, shown, _) = e2e_tests::maestro(&w, &["show", "ddl-content"]);
    assert_eq!(
        shown["design_document"],
        "docs/maestro/plans/design-content.md"
    );
    assert_eq!(
        shown["implementation_plan"],
        "docs/maestro/plans/plan-content.md"
    );
    let gate_file = w.state().join("ddl-content.design-gate.json");
    assert!(gate_file.exists(), "the gate lives while its session does");
    c.ok(
        "transition_phase",
        json!({"session_id": "ddl-content", "completed_phase_id": 1, "files_created": ["x.txt"],
               "downstream_context": {"integration_points": "x.txt"}}),
    );
    let archived = c.ok("archive_session", json!({"session_id": "ddl-content"}));
    let files: BTreeSet<String> = archived["archived_files"]
        .as_array()
        .expect("archived_files")
        .iter()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    let want: BTreeSet<String> = [
        "docs/maestro/plans/archive/ddl-content--design-content.md",
        "docs/maestro/plans/archive/ddl-content--plan-content.md",
        "docs/maestro/state/archive/ddl-content.md",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(files, want);
    assert!(!gate_file.exists(), "archive removes the gate");
    let status = c.ok(
        "get_design_gate_status",
        json!({"session_id": "ddl-content"}),
    );
    assert_eq!(status["entered_at"], Value::Null);
    assert_eq!(status["approved_at"], Value::Null);
    // Ours: a session id is used once, so the archived id cannot enter a gate again.
    let e = c.err("enter_design_gate", json!({"session_id": "ddl-content"}));
    assert_eq!(e["code"], "STATE_ERROR");
}

// --- tests/transforms/mcp-session-pack.test.js ------------------------------------------

#[test]
fn the_session_pack_serves_maestros_ten_tools() {
    let w = World::new();
    let mut c = server(&w);
    let names = c.tool_names();
    let maestro = [
        "create_session",
        "get_session_status",
        "update_session",
        "transition_phase",
        "archive_session",
        "enter_design_gate",
        "record_design_approval",
        "get_design_gate_status",
        "scan_phase_changes",
        "reconcile_phase",
    ];
    for want in maestro {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
}

// --- Differential: Maestro's own server and ours, one sequence ---------------------------

/// Maestro 1.6.4's bundled server (`mcp/maestro-server.js`) from the reference copy beside
/// the repository (`../shared/reference/maestro-1.6.4`, or one folder further up for a
/// worktree, or `$MAESTRO_REFERENCE_DIR`), when present.
fn maestro_server() -> Option<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()?
        .ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join("shared/reference/maestro-1.6.4"));
    std::env::var_os("MAESTRO_REFERENCE_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain(beside)
        .map(|dir| dir.join("mcp/maestro-server.js"))
        .find(|server| server.is_file())
}

/// Keys of ours beyond Maestro's in a success result, per tool (README "Coming from
/// Maestro").
fn extra_keys(tool: &str) -> &'static [&'static str] {
    match tool {
        "create_session" => &["session_id", "parked", "archived", "implementation_plan"],
        "scan_phase_changes" => &["source", "note"],
        "archive_session" => &["session_id", "status", "already_archived"],
        "get_session_status" => &["task", "stage", "created", "updated", "unresolved_errors"],
        _ => &[],
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// How `ours` differs in shape from `theirs` at `at`: a key of theirs missing, a key of ours
/// not in `extra`, a JSON type that differs (objects compared one level down).
fn shape_diff(at: &str, theirs: &Value, ours: &Value, extra: &[&str], out: &mut Vec<String>) {
    let (Some(t), Some(o)) = (theirs.as_object(), ours.as_object()) else {
        if kind(theirs) != kind(ours) {
            out.push(format!(
                "{at}: Maestro {} ({theirs}), ours {} ({ours})",
                kind(theirs),
                kind(ours)
            ));
        }
        return;
    };
    for (k, tv) in t {
        match o.get(k) {
            None => out.push(format!("{at}.{k}: Maestro has it, ours not")),
            // Keyed by agent name: data, not shape (ours counts tokens by agent; README).
            Some(ov) if k == "by_agent" => {
                if kind(tv) != kind(ov) {
                    out.push(format!("{at}.{k}: Maestro {tv}, ours {ov}"));
                }
            }
            Some(ov) => shape_diff(&format!("{at}.{k}"), tv, ov, &["deleted"], out),
        }
    }
    for k in o.keys() {
        if !t.contains_key(k) && !extra.contains(&k.as_str()) {
            out.push(format!("{at}.{k}: ours has it, Maestro not"));
        }
    }
}

/// One call of a differential sequence: the tool, its arguments (given the project folder),
/// and, where ours differs on purpose, the words of the README's "Coming from Maestro"
/// line that says why (the test checks the line is there and that the call does differ).
struct Step {
    tool: &'static str,
    args: Box<dyn Fn(&Path) -> Value>,
    differs: Option<&'static str>,
}

fn same(tool: &'static str, args: impl Fn(&Path) -> Value + 'static) -> Step {
    Step {
        tool,
        args: Box::new(args),
        differs: None,
    }
}

fn differs(
    tool: &'static str,
    readme: &'static str,
    args: impl Fn(&Path) -> Value + 'static,
) -> Step {
    Step {
        tool,
        args: Box::new(args),
        differs: Some(readme),
    }
}

/// The README's "Coming from Maestro" section, which lists every deliberate difference.
fn readme_differences() -> &'static str {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("\n## Coming from Maestro\n")
        .expect("README has ## Coming from Maestro");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}

/// `node` can run, else says why.
fn node_runs() -> bool {
    let ok = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("skipped: node is not installed");
    }
    ok
}

/// Runs `steps` against Maestro's server (`script`) and ours, each in a fresh project, and
/// returns how they differ beyond what the steps expect: success against failure, error
/// codes, result and `details` shapes (keys, JSON types; Maestro's violation lists exactly),
/// and steps listed as differing that do not (or whose README line is missing).
fn differential(script: &Path, name: &str, steps: &[Step]) -> Vec<String> {
    let theirs_world = World::new();
    let ours_world = World::new();
    for w in [&theirs_world, &ours_world] {
        if !git_init(&w.project(), &w.root().join("home")) {
            println!("note: git cannot run; ours scans by walking the files");
        }
    }
    let mut node = Command::new("node");
    theirs_world.configure(&mut node);
    node.arg(script)
        .env("MAESTRO_WORKSPACE_PATH", theirs_world.project());
    let mut theirs = McpClient::start(node);
    let mut ours = server(&ours_world);
    let differences = readme_differences();
    let mut problems = Vec::new();
    for (n, step) in steps.iter().enumerate() {
        let tool = step.tool;
        let (t_err, t) = theirs.call(tool, (step.args)(&theirs_world.project()));
        // Ours serves the project it was started for and never echoes an absolute path.
        let ours_args = if tool == "initialize_workspace" {
            json!({})
        } else {
            (step.args)(&ours_world.project())
        };
        let (o_err, o) = ours.call(tool, ours_args);
        let at = format!("{name}: step {n} {tool}");
        let mut found = Vec::new();
        if t_err != o_err {
            found.push(format!(
                "{at}: Maestro {}, ours {}:\n  Maestro {t}\n  ours {o}",
                if t_err { "failed" } else { "succeeded" },
                if o_err { "failed" } else { "succeeded" }
            ));
        } else if t_err {
            if t["code"] != o["code"] {
                found.push(format!(
                    "{at}: codes Maestro {} ours {}:\n  Maestro {t}\n  ours {o}",
                    t["code"], o["code"]
                ));
            }
            match t.get("details") {
                Some(details @ Value::Object(_)) => {
                    shape_diff(
                        &format!("{at} details"),
                        details,
                        &o["details"],
                        &[],
                        &mut found,
                    );
                }
                Some(details @ Value::Array(_)) if details != &o["details"] => found.push(format!(
                    "{at}: details Maestro {details}, ours {}",
                    o["details"]
                )),
                _ => {}
            }
        } else if tool != "initialize_workspace" {
            shape_diff(&at, &t, &o, extra_keys(tool), &mut found);
            if tool == "scan_phase_changes" {
                assert_eq!(
                    t["candidates"]["created"], o["candidates"]["created"],
                    "the same files found"
                );
            }
        }
        match step.differs {
            None => problems.extend(found),
            Some(line) => {
                if !differences.contains(line) {
                    problems.push(format!(
                        "{at}: README \"Coming from Maestro\" has no line saying {line:?}"
                    ));
                }
                if found.is_empty() {
                    problems.push(format!(
                        "{at}: listed as a difference ({line:?}) but Maestro and ours agree: {t} / {o}"
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn maestros_server_and_ours_give_the_same_shapes_for_the_gate_and_reconciliation() {
    let Some(script) = maestro_server() else {
        println!("skipped: ../shared/reference/maestro-1.6.4/mcp/maestro-server.js is not here");
        return;
    };
    if !node_runs() {
        return;
    }
    let s = "2026-12-06-diff";
    type Sequence = Vec<(&'static str, Box<dyn Fn(&Path) -> Value>)>;
    let phases = || json!([{"id": 1, "name": "Build", "agent": "coder", "parallel": false, "blocked_by": []}]);
    let steps: Sequence = vec![
        (
            "initialize_workspace",
            Box::new(|p: &Path| json!({"workspace_path": p})),
        ),
        (
            "get_design_gate_status",
            Box::new(move |_: &Path| json!({"session_id": s})),
        ),
        (
            "enter_design_gate",
            Box::new(move |_: &Path| json!({"session_id": s})),
        ),
        (
            "enter_design_gate",
            Box::new(move |_: &Path| json!({"session_id": s})),
        ),
        (
            "create_session",
            Box::new(move |_: &Path| json!({"session_id": s, "task": "diff", "phases": phases()})),
        ),
        (
            "record_design_approval",
            Box::new(move |_: &Path| json!({"session_id": s})),
        ),
        (
            "record_design_approval",
            Box::new(move |_: &Path| {
                json!({"session_id": s, "design_document_path": "d.md",
                       "design_document_content": "# D\n", "design_document_filename": "d.md"})
            }),
        ),
        (
            "record_design_approval",
            Box::new(move |_: &Path| {
                json!({"session_id": s, "design_document_content": "# Design\n",
                       "design_document_filename": "design.md"})
            }),
        ),
        (
            "get_design_gate_status",
            Box::new(move |_: &Path| json!({"session_id": s})),
        ),
        (
            "create_session",
            Box::new(
                move |_: &Path| json!({"session_id": "drifted-id", "task": "diff", "phases": phases()}),
            ),
        ),
        (
            "create_session",
            Box::new(move |_: &Path| json!({"session_id": s, "task": "diff", "phases": phases()})),
        ),
        (
            "scan_phase_changes",
            Box::new(move |_: &Path| json!({"session_id": s, "phase_id": 99})),
        ),
        (
            "scan_phase_changes",
            Box::new(move |p: &Path| {
                write(&p.join("src/app.js"), "// the phase's work\n");
                json!({"session_id": s, "phase_id": 1})
            }),
        ),
        (
            "transition_phase",
            Box::new(move |_: &Path| {
                json!({"session_id": s, "completed_phase_id": 1, "files_created": [],
                       "files_modified": [], "files_deleted": [], "downstream_context": {}})
            }),
        ),
        (
            "archive_session",
            Box::new(move |_: &Path| json!({"session_id": s})),
        ),
        (
            "reconcile_phase",
            Box::new(move |_: &Path| json!({"session_id": s, "phase_id": 1})),
        ),
        (
            "reconcile_phase",
            Box::new(
                move |_: &Path| json!({"session_id": s, "phase_id": 99, "files_created": ["src/app.js"]}),
            ),
        ),
        (
            "reconcile_phase",
            Box::new(move |_: &Path| {
                json!({"session_id": s, "phase_id": 1, "files_created": ["src/app.js"],
                       "downstream_context": {"integration_points": ["src/app.js"]}})
            }),
        ),
        (
            "archive_session",
            Box::new(move |_: &Path| json!({"session_id": s})),
        ),
        (
            "get_design_gate_status",
            Box::new(move |_: &Path| json!({"session_id": s})),
        ),
    ];
    let steps: Vec<Step> = steps
        .into_iter()
        .map(|(tool, args)| Step {
            tool,
            args,
            differs: None,
        })
        .collect();
    let problems = differential(&script, "gate and reconciliation", &steps);
    assert!(
        problems.is_empty(),
        "shapes differ:\n{}",
        problems.join("\n")
    );
}

/// Maestro 1.6.4's `handleCreateSession`, `handleUpdateSession`, `handleTransitionPhase`,
/// `handleGetSessionStatus` and `handleArchiveSession`, valid and invalid calls, in sequences
/// that each start from a fresh project: the same outcome, code and shape, or a listed
/// difference.
#[test]
fn maestros_server_and_ours_give_the_same_shapes_for_the_session_tools() {
    let Some(script) = maestro_server() else {
        println!("skipped: ../shared/reference/maestro-1.6.4/mcp/maestro-server.js is not here");
        return;
    };
    if !node_runs() {
        return;
    }
    let s = "2026-12-06-tools";
    let chain = || {
        json!([
            {"id": 1, "name": "Design", "agent": "architect", "parallel": false, "blocked_by": []},
            {"id": 2, "name": "Build", "agent": "coder", "parallel": false, "blocked_by": [1],
             "files": ["src/app.js"]},
            {"id": 3, "name": "Test", "agent": "tester", "parallel": false, "blocked_by": [2]}
        ])
    };
    let create = move |_: &Path| json!({"session_id": s, "task": "tools", "phases": chain()});
    let with_id = move |args: Value| {
        let mut a = args;
        a["session_id"] = json!(s);
        a
    };
    let context = || json!({"key_interfaces_introduced": ["App()"], "warnings": ["none"]});
    let no_active_session = "Without an active session `update_session`, `transition_phase` and `archive_session` fail with `NOT_FOUND`";
    let sequences: Vec<(&str, Vec<Step>)> = vec![
        (
            "before initialize_workspace",
            vec![differs(
                "get_session_status",
                "Maestro 1.6.4 answers `WORKSPACE_NOT_INITIALIZED` until `initialize_workspace` is called",
                |_| json!({}),
            )],
        ),
        (
            "no active session",
            vec![
                same("get_session_status", |_| json!({})),
                differs("update_session", no_active_session, move |_| {
                    with_id(json!({"execution_mode": "parallel"}))
                }),
                differs("transition_phase", no_active_session, move |_| {
                    with_id(json!({"completed_phase_id": 1}))
                }),
                differs("archive_session", no_active_session, move |_| {
                    with_id(json!({}))
                }),
            ],
        ),
        (
            "create_session's validation",
            vec![
                same("create_session", move |_| {
                    with_id(json!({"task": "t", "phases": [{"id": 1, "name": "Only id/name"}]}))
                }),
                same("create_session", move |_| {
                    with_id(json!({"task": "t", "phases": [
                        {"id": "p1", "name": "A", "agent": 42, "parallel": "no", "blocked_by": [0],
                         "files": [""]},
                        {"id": {}, "name": "", "agent": "coder", "parallel": false, "blocked_by": "1"}
                    ]}))
                }),
                same("create_session", move |_| {
                    with_id(json!({"task": "t", "phases": {"id": 1}}))
                }),
                same("create_session", move |_| with_id(json!({"task": "t"}))),
                same(
                    "create_session",
                    move |_| json!({"session_id": "has space", "task": "t", "phases": chain()}),
                ),
                same("create_session", create),
                same("create_session", create),
                same("get_session_status", |_| json!({})),
            ],
        ),
        (
            "a session's life",
            vec![
                same("create_session", create),
                same("get_session_status", move |_| with_id(json!({}))),
                same("update_session", move |_| with_id(json!({}))),
                same(
                    "update_session",
                    |_| json!({"session_id": "other-session", "execution_mode": "parallel"}),
                ),
                same("update_session", move |_| {
                    with_id(
                        json!({"execution_mode": "sequential", "execution_backend": "native",
                                   "current_batch": "b1"}),
                    )
                }),
                same("update_session", move |_| {
                    with_id(json!({"current_batch": null}))
                }),
                same("transition_phase", move |_| {
                    with_id(json!({"next_phase_id": 2, "next_phase_ids": [2]}))
                }),
                same("transition_phase", move |_| with_id(json!({}))),
                same("transition_phase", move |_| {
                    with_id(json!({"completed_phase_id": 99}))
                }),
                same("transition_phase", move |_| {
                    with_id(json!({"completed_phase_id": 1, "next_phase_id": 99}))
                }),
                same(
                    "transition_phase",
                    |_| json!({"session_id": "other-session", "completed_phase_id": 1}),
                ),
                differs(
                    "transition_phase",
                    "no `details.received_downstream_context`",
                    move |_| {
                        with_id(
                            json!({"completed_phase_id": 1, "files_created": ["docs/d.md"],
                                       "downstream_context": {"warnings": "n/a"}}),
                        )
                    },
                ),
                same("transition_phase", move |_| {
                    with_id(json!({"completed_phase_id": 1, "next_phase_id": 2,
                                   "files_created": ["docs/d.md"], "downstream_context": context(),
                                   "token_usage": {"input": 10, "output": 2, "cached": 1}}))
                }),
                same("get_session_status", |_| json!({})),
                same("transition_phase", move |_| {
                    with_id(json!({"completed_phase_id": 2, "next_phase_ids": [3],
                                   "files_modified": ["src/app.js"],
                                   "downstream_context": context(), "batch_id": "b2"}))
                }),
                same("transition_phase", move |_| {
                    with_id(json!({"completed_phase_id": 3, "files_deleted": ["old.js"],
                                   "downstream_context": {"assumptions": "tests pass"}}))
                }),
                same("get_session_status", move |_| with_id(json!({}))),
                differs(
                    "archive_session",
                    "`archive_session` of an id that is not the active session's completes the plan moves",
                    |_| json!({"session_id": "other-session"}),
                ),
                same("archive_session", move |_| with_id(json!({}))),
                same("get_session_status", |_| json!({})),
                differs(
                    "archive_session",
                    "`archive_session` of an id that is not the active session's completes the plan moves of that session when it is archived already (success)",
                    move |_| with_id(json!({})),
                ),
                differs(
                    "create_session",
                    "`create_session` refuses a `session_id` that any session of the project has used",
                    create,
                ),
            ],
        ),
        (
            "the design gate before the phases",
            vec![
                same("enter_design_gate", move |_| with_id(json!({}))),
                same("create_session", move |_| {
                    with_id(json!({"task": "t", "phases": [{"id": 1, "name": "Only id/name"}]}))
                }),
            ],
        ),
        (
            "an empty plan",
            vec![differs(
                "create_session",
                "`create_session` refuses an empty `phases` list (`VALIDATION_ERROR`); Maestro creates a session without phases",
                move |_| with_id(json!({"task": "t", "phases": []})),
            )],
        ),
        (
            "the phase machine",
            vec![
                same("create_session", create),
                differs(
                    "transition_phase",
                    "`transition_phase` completes only an `in_progress` phase",
                    move |_| with_id(json!({"completed_phase_id": 2})),
                ),
                differs(
                    "transition_phase",
                    "starts a phase only when its `blocked_by` phases are completed or skipped",
                    move |_| with_id(json!({"next_phase_ids": [3]})),
                ),
            ],
        ),
        (
            "values Maestro's schema lists but its server does not check",
            vec![
                same("create_session", create),
                differs(
                    "update_session",
                    "`execution_mode` other than `parallel` or `sequential`, `task_complexity`, `workflow_mode`) is refused",
                    move |_| with_id(json!({"execution_mode": "turbo"})),
                ),
            ],
        ),
    ];
    let mut problems = Vec::new();
    for (name, steps) in sequences {
        // Maestro's server needs initialize_workspace before any session tool.
        let steps: Vec<Step> = if name == "before initialize_workspace" {
            steps
        } else {
            std::iter::once(same(
                "initialize_workspace",
                |p| json!({"workspace_path": p}),
            ))
            .chain(steps)
            .collect()
        };
        problems.extend(differential(&script, name, &steps));
    }
    assert!(
        problems.is_empty(),
        "Maestro's server and ours differ beyond the README's list:\n{}",
        problems.join("\n")
    );
}
