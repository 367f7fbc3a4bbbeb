//! Maestro 1.6.4's own tests of its session tools and their validation (issue 16 item 2),
//! recreated in our words against `maestro-session mcp` over stdio and the command line. Each
//! test names the Maestro test it recreates (in `josstei/maestro-orchestrate` v1.6.4):
//! `tests/transforms/mcp-session-pack.test.js`, `tests/unit/plan-schema.test.js`,
//! `tests/integration/plan-contract.test.js`, `tests/integration/handoff-validation.test.js`
//! and `tests/unit/lib-validation.test.js` (`assertSessionId`). Where ours differs on purpose
//! (README "Coming from Maestro"), the test says so and asserts ours.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use e2e_tests::mcp_client::McpClient;
use e2e_tests::{World, maestro, maestro_refused};
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

fn phase(id: Value, name: &str, agent: &str, blocked_by: Value) -> Value {
    json!({"id": id, "name": name, "agent": agent, "parallel": false, "blocked_by": blocked_by})
}

/// The active session's frontmatter read as Maestro's test reads it:
/// `JSON.parse(content.match(/^---\n([\s\S]*?)\n---/)[1])`.
fn read_session_frontmatter(world: &World) -> Value {
    let text =
        std::fs::read_to_string(world.state().join("active-session.md")).expect("active session");
    let rest = text.strip_prefix("---\n").expect("opens with ---");
    let end = rest.find("\n---").expect("closing ---");
    serde_json::from_str(&rest[..end]).expect("a JSON frontmatter, as Maestro 1.6 reads it")
}

fn write(world: &World, rel: &str, text: &str) {
    let path = world.project().join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

// ---- tests/transforms/mcp-session-pack.test.js -----------------------------------------------

/// "creates, updates, and transitions session state on disk".
#[test]
fn create_update_and_transition_land_on_disk_as_maestro_reads_them() {
    let w = World::new();
    let mut c = server(&w);
    c.ok("initialize_workspace", json!({}));
    write(&w, "docs/maestro/plans/design.md", "# Design\n");
    write(&w, "docs/maestro/plans/plan.md", "# Plan\n");
    let created = c.ok(
        "create_session",
        json!({"session_id": "test-session", "task": "Test session lifecycle",
               "task_complexity": "complex",
               "design_document": "docs/maestro/plans/design.md",
               "implementation_plan": "docs/maestro/plans/plan.md",
               "phases": [phase(json!(1), "Phase 1", "coder", json!([])),
                          phase(json!(2), "Phase 2", "coder", json!([1]))]}),
    );
    assert_eq!(created["success"], true);
    let updated = c.ok(
        "update_session",
        json!({"session_id": "test-session", "execution_mode": "sequential",
               "execution_backend": "native"}),
    );
    assert_eq!(updated["success"], true);
    let t = c.ok(
        "transition_phase",
        json!({"session_id": "test-session", "completed_phase_id": 1, "next_phase_id": 2,
               "files_created": ["src/generated.js"], "files_modified": ["src/existing.js"],
               "downstream_context": {
                   "key_interfaces_introduced": ["createServer(options)"],
                   "patterns_established": ["pack-based composition"],
                   "integration_points": ["session pack"],
                   "assumptions": ["phases are sequential"],
                   "warnings": []}}),
    );
    assert_eq!(t["session_state_summary"]["completed_phases"], json!([1]));
    let s = read_session_frontmatter(&w);
    assert_eq!(s["execution_mode"], "sequential");
    assert_eq!(s["current_phase"], 2);
    assert_eq!(s["phases"][0]["files_created"], json!(["src/generated.js"]));
    assert_eq!(s["phases"][0]["files_modified"], json!(["src/existing.js"]));
    assert_eq!(s["phases"][1]["status"], "in_progress");
}

/// "rejects create_session when a phase is missing required fields": the error names the
/// rule; Maestro's violations come back as `details`, and nothing is written.
#[test]
fn a_phase_missing_required_fields_is_refused_with_maestros_violations() {
    let w = World::new();
    let mut c = server(&w);
    c.ok("initialize_workspace", json!({}));
    let e = c.err(
        "create_session",
        json!({"session_id": "bad-plan", "task": "missing field test",
               "phases": [{"id": 1, "name": "Only id/name"}]}),
    );
    assert_eq!(e["code"], "VALIDATION_ERROR");
    let msg = e["error"].as_str().expect("error");
    assert!(
        msg.starts_with(
            "Invalid phases payload: missing_required_field, missing_required_field, missing_required_field"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("phases[0].agent is missing (phase 1)"),
        "ours also says it in words: {msg}"
    );
    assert_eq!(
        e["details"],
        json!([
            {"rule": "missing_required_field", "phase_id": 1, "field": "agent", "severity": "error"},
            {"rule": "missing_required_field", "phase_id": 1, "field": "parallel", "severity": "error"},
            {"rule": "missing_required_field", "phase_id": 1, "field": "blocked_by", "severity": "error"}
        ])
    );
    assert!(!w.state().join("active-session.md").exists());
    assert!(
        !w.project()
            .join("docs/maestro/state/events/bad-plan.jsonl")
            .exists(),
        "the id is not used up by a refusal"
    );
    // The same call, complete, goes through with that id.
    c.ok(
        "create_session",
        json!({"session_id": "bad-plan", "task": "fixed",
               "phases": [phase(json!(1), "Only id/name", "coder", json!([]))]}),
    );
}

/// "persists planned_files for every phase".
#[test]
fn planned_files_are_kept_for_every_phase() {
    let w = World::new();
    let mut c = server(&w);
    let mut p = phase(json!(1), "Scaffold", "coder", json!([]));
    p["files"] = json!(["src/foo.js", "src/bar.js"]);
    c.ok(
        "create_session",
        json!({"session_id": "with-planned", "task": "planned-files test",
               "task_complexity": "simple", "phases": [p]}),
    );
    let s = read_session_frontmatter(&w);
    assert_eq!(
        s["phases"][0]["planned_files"],
        json!(["src/foo.js", "src/bar.js"])
    );
}

/// "archives the active session and associated plan files". Ours: archived plans get
/// collision-free names (`<session_id>--<name>`).
#[test]
fn archive_moves_the_session_and_its_plans() {
    let w = World::new();
    let mut c = server(&w);
    c.ok("initialize_workspace", json!({}));
    write(&w, "docs/maestro/plans/design.md", "# design\n");
    write(&w, "docs/maestro/plans/plan.md", "# plan\n");
    c.ok(
        "create_session",
        json!({"session_id": "archive-session", "task": "Archive test",
               "design_document": "docs/maestro/plans/design.md",
               "implementation_plan": "docs/maestro/plans/plan.md",
               "phases": [phase(json!(1), "Phase 1", "coder", json!([]))]}),
    );
    let a = c.ok("archive_session", json!({"session_id": "archive-session"}));
    assert_eq!(a["success"], true);
    assert!(!w.state().join("active-session.md").exists());
    assert!(w.state().join("archive/archive-session.md").exists());
    for name in ["design.md", "plan.md"] {
        assert!(
            w.project()
                .join(format!(
                    "docs/maestro/plans/archive/archive-session--{name}"
                ))
                .exists(),
            "{name}"
        );
    }
}

/// "transition_phase rejects completion with files but empty downstream_context", with
/// Maestro's `details` (but for `received_downstream_context`).
#[test]
fn files_without_a_handoff_context_are_handoff_incomplete() {
    let w = World::new();
    let mut c = server(&w);
    let mut p = phase(json!(1), "Phase 1", "coder", json!([]));
    p["files"] = json!(["src/foo.js"]);
    c.ok(
        "create_session",
        json!({"session_id": "handoff-test", "task": "handoff validation",
               "task_complexity": "simple", "phases": [p]}),
    );
    let e = c.err(
        "transition_phase",
        json!({"session_id": "handoff-test", "completed_phase_id": 1,
               "files_created": ["src/foo.js"],
               "downstream_context": {"key_interfaces_introduced": [], "patterns_established": [],
                                      "integration_points": [], "assumptions": [],
                                      "warnings": []}}),
    );
    assert_eq!(e["code"], "HANDOFF_INCOMPLETE");
    assert!(
        e["error"]
            .as_str()
            .is_some_and(|m| m.to_lowercase().contains("downstream_context")),
        "{e}"
    );
    assert_eq!(
        e["details"],
        json!({"phase_id": 1, "files_created_count": 1, "files_modified_count": 0,
               "files_deleted_count": 0})
    );
    assert_eq!(
        read_session_frontmatter(&w)["phases"][0]["status"],
        "in_progress"
    );
}

/// "archive_session blocks when a phase requires reconciliation".
#[test]
fn an_empty_handoff_blocks_the_archive_until_reconciled() {
    let w = World::new();
    let mut c = server(&w);
    c.ok(
        "create_session",
        json!({"session_id": "arch-rec", "task": "archive reconciliation test",
               "phases": [phase(json!(1), "Phase 1", "coder", json!([]))]}),
    );
    c.ok(
        "transition_phase",
        json!({"session_id": "arch-rec", "completed_phase_id": 1, "files_created": [],
               "files_modified": [], "files_deleted": [], "downstream_context": {}}),
    );
    let e = c.err("archive_session", json!({"session_id": "arch-rec"}));
    assert!(
        e["error"]
            .as_str()
            .is_some_and(|m| m.to_lowercase().contains("reconciliation")),
        "{e}"
    );
    assert_eq!(
        read_session_frontmatter(&w)["phases"][0]["requires_reconciliation"],
        true
    );
}

// ---- tests/integration/plan-contract.test.js -------------------------------------------------

/// "validate_plan output is accepted verbatim by create_session" (validate_plan is not ours:
/// the plan's phases go to create_session as they are).
#[test]
fn a_validated_plan_is_taken_verbatim() {
    let w = World::new();
    let mut c = server(&w);
    c.ok("initialize_workspace", json!({}));
    let plan = json!([
        {"id": 1, "name": "Scaffold", "agent": "coder", "parallel": false, "blocked_by": [],
         "files": ["src/foo.js"]},
        {"id": 2, "name": "Test", "agent": "tester", "parallel": true, "blocked_by": [1],
         "files": ["tests/foo.test.js"]}
    ]);
    c.ok(
        "create_session",
        json!({"session_id": "rt-1", "task": "round-trip test", "task_complexity": "simple",
               "phases": plan}),
    );
    let s = read_session_frontmatter(&w);
    assert_eq!(s["phases"][0]["planned_files"], json!(["src/foo.js"]));
    assert_eq!(s["phases"][1]["blocked_by"], json!([1]));
    assert_eq!(s["phases"][1]["parallel"], true);
}

// ---- tests/unit/plan-schema.test.js, through create_session ----------------------------------

/// Every case of `plan-schema.test.js` that a plan fails, as `create_session` answers it:
/// `VALIDATION_ERROR` with the violation's rule, field and phase id in `details`.
#[test]
fn each_broken_phase_of_maestros_schema_tests_is_refused_naming_rule_and_field() {
    let w = World::new();
    let mut c = server(&w);
    let ok = |id: Value| phase(id, "A", "coder", json!([]));
    let with = |key: &str, v: Value| {
        let mut p = ok(json!(1));
        p[key] = v;
        p
    };
    let mut no_agent = phase(json!("p2"), "B", "coder", json!([]));
    no_agent.as_object_mut().expect("object").remove("agent");
    for (case, phases, rule, field, phase_id) in [
        (
            "reports missing required fields with the offending phase id",
            json!([ok(json!("p1")), no_agent]),
            "missing_required_field",
            "agent",
            json!("p2"),
        ),
        (
            "rejects non-string agent values",
            json!([with("agent", json!(42))]),
            "invalid_field_type",
            "agent",
            json!(1),
        ),
        (
            "rejects phase ids that are neither string nor positive integer",
            json!([ok(json!({}))]),
            "invalid_field_type",
            "id",
            json!({}),
        ),
        (
            "rejects blocked_by items that are neither string nor integer",
            json!([with("blocked_by", json!([null]))]),
            "invalid_field_type",
            "blocked_by",
            json!(1),
        ),
        (
            "rejects blocked_by items that are non-positive integers (0)",
            json!([with("blocked_by", json!([0]))]),
            "invalid_field_type",
            "blocked_by",
            json!(1),
        ),
        (
            "rejects blocked_by items that are non-positive integers (-1)",
            json!([with("blocked_by", json!([-1]))]),
            "invalid_field_type",
            "blocked_by",
            json!(1),
        ),
        (
            "treats files as optional but validates its shape when present",
            json!([with("files", json!([""]))]),
            "invalid_field_value",
            "files",
            json!(1),
        ),
    ] {
        let e = c.err(
            "create_session",
            json!({"session_id": "schema", "task": "t", "phases": phases}),
        );
        assert_eq!(e["code"], "VALIDATION_ERROR", "{case}: {e}");
        assert_eq!(
            e["details"].as_array().map(Vec::len),
            Some(1),
            "{case}: {e}"
        );
        let v = &e["details"][0];
        assert_eq!(
            (&v["rule"], &v["field"], &v["phase_id"]),
            (&json!(rule), &json!(field), &phase_id),
            "{case}: {e}"
        );
        assert!(
            e["error"]
                .as_str()
                .is_some_and(|m| m.starts_with(&format!("Invalid phases payload: {rule}"))),
            "{case}: {e}"
        );
    }
    // Not a list at all (`validatePhases(undefined)`), absent included.
    for args in [
        json!({"session_id": "schema", "task": "t", "phases": {"id": 1}}),
        json!({"session_id": "schema", "task": "t"}),
    ] {
        let e = c.err("create_session", args);
        assert_eq!(
            e["details"],
            json!([{"rule": "invalid_phases", "detail": "phases must be an array",
                    "severity": "error"}]),
            "{e}"
        );
    }
    // "accepts a well-formed phase with string id and string blocked_by references".
    c.ok(
        "create_session",
        json!({"session_id": "schema", "task": "t",
               "phases": [ok(json!("p1")), phase(json!("p2"), "B", "coder", json!(["p1"]))]}),
    );
    // Ours, stricter: an empty list (Maestro creates a session without phases).
    let w2 = World::new();
    let mut c2 = server(&w2);
    let e = c2.err(
        "create_session",
        json!({"session_id": "none", "task": "t", "phases": []}),
    );
    assert_eq!(e["code"], "VALIDATION_ERROR");
    assert!(!w2.state().join("active-session.md").exists());
    drop(c);
    drop(w);
}

// ---- tests/unit/lib-validation.test.js: assertSessionId ----------------------------------------

/// "accepts valid ID" and "throws for empty string / spaces / dots / slashes / null /
/// undefined / a number / an object", as `create_session` answers them: `VALIDATION_ERROR`,
/// nothing written. Ours also bounds an id to 128 characters.
#[test]
fn session_ids_are_letters_digits_dash_and_underscore() {
    let w = World::new();
    let mut c = server(&w);
    let phases = json!([phase(json!(1), "A", "coder", json!([]))]);
    for bad in [
        json!(""),
        json!("has space"),
        json!("has.dot"),
        json!("has/slash"),
        json!(null),
        json!(42),
        json!({}),
        json!("x".repeat(129)),
    ] {
        let e = c.err(
            "create_session",
            json!({"session_id": bad, "task": "t", "phases": phases}),
        );
        assert_eq!(e["code"], "VALIDATION_ERROR", "{bad}: {e}");
    }
    // "includes the invalid value in error details".
    let e = c.err(
        "create_session",
        json!({"session_id": "has space", "task": "t", "phases": phases}),
    );
    assert_eq!(e["details"], json!({"value": "has space"}));
    assert!(!w.state().join("active-session.md").exists());
    for good in ["abc", "ABC-123", "session_1", "a-b_c"] {
        c.ok(
            "create_session",
            json!({"session_id": good, "task": "t", "phases": phases}),
        );
        c.ok("archive_session", json!({"session_id": good}));
    }
}

// ---- The command line's --plan: the same contract for a plan in Maestro's shape ---------------

/// A `--plan` file in Maestro's shape (its phases name an `agent`, as `validate_plan` and
/// `create_session` take them) is held to Maestro's contract and read with its agents;
/// `plan-schema.test.js` "reports missing required fields with the offending phase id".
#[test]
fn a_maestro_plan_file_is_held_to_maestros_contract() {
    let w = World::new();
    write(
        &w,
        "plan.json",
        r#"{"phases": [
            {"id": "p1", "name": "A", "agent": "coder", "parallel": false, "blocked_by": []},
            {"id": "p2", "name": "B", "parallel": false, "blocked_by": ["p1"]}]}"#,
    );
    let message = maestro_refused(
        &w,
        &["create", "T", "--plan", "plan.json"],
        2,
        "plan.json is a Maestro 1.6 plan",
    );
    assert!(
        message.contains("phases[1].agent is missing (phase \"p2\")"),
        "{message}"
    );
    assert!(!w.state().join("active-session.md").exists());
    write(
        &w,
        "plan.json",
        r#"{"phases": [
            {"id": "p1", "name": "A", "agent": "coder", "parallel": false, "blocked_by": []},
            {"id": "p2", "name": "B", "agent": "tester", "parallel": true, "blocked_by": ["p1"],
             "files": ["tests/b.rs"]}]}"#,
    );
    let (code, out, stderr) = maestro(&w, &["create", "T", "--plan", "plan.json"]);
    assert_eq!(code, 0, "{stderr}");
    let s = read_session_frontmatter(&w);
    assert_eq!(s["session_id"], out["session_id"]);
    assert_eq!(s["phases"][0]["agents"], json!(["coder"]));
    assert_eq!(s["phases"][1]["agents"], json!(["tester"]));
    assert_eq!(s["phases"][1]["blocked_by"], json!(["p1"]));
    assert_eq!(s["phases"][1]["planned_files"], json!(["tests/b.rs"]));
}
