//! A full orchestration through the built `maestro-session`, then list, show by prefix, fork,
//! resume of the fork with --park, cleanup, and every refused case with its exit code.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use e2e_tests::{World, maestro, maestro_ok, maestro_refused};
use serde_json::Value;

fn phase(v: &Value, id: usize) -> &Value {
    &v["phases"][id - 1]
}

#[test]
fn full_orchestration_and_lifecycle() {
    let world = World::new();
    let plans = world.project().join("docs/maestro/plans");
    std::fs::create_dir_all(&plans).expect("mkdir");
    std::fs::write(plans.join("auth-design.md"), "# design\n").expect("write");
    std::fs::write(plans.join("auth-impl-plan.md"), "# plan\n").expect("write");

    let s = maestro_ok(
        &world,
        &[
            "create",
            "Add token authentication",
            "--phase",
            "Design the token model=architect",
            "--phase",
            "Implement middleware=coder",
            "--phase",
            "Write integration tests=tester",
            "--design-document",
            "docs/maestro/plans/auth-design.md",
            "--implementation-plan",
            "docs/maestro/plans/auth-impl-plan.md",
        ],
    );
    let id = s["session_id"].as_str().expect("id").to_string();
    assert!(id.ends_with("-add-token-authentication"), "{id}");
    assert_eq!(s["status"], "in_progress");
    assert_eq!(s["location"], "active");
    assert_eq!(phase(&s, 2)["blocked_by"], serde_json::json!([1]));

    // Phase 1 with files and context; tokens for two agents.
    maestro_ok(&world, &["phase", "start", &id, "1"]);
    maestro_ok(
        &world,
        &[
            "files",
            &id,
            "1",
            "--created",
            "docs/auth-model.md",
            "--modified",
            "src/lib.rs",
        ],
    );
    maestro_ok(
        &world,
        &[
            "context",
            &id,
            "1",
            "--interface",
            "TokenStore trait",
            "--pattern",
            "errors as enums",
        ],
    );
    let s = maestro_ok(
        &world,
        &[
            "phase",
            "complete",
            &id,
            "1",
            "--output",
            "Token model designed.",
        ],
    );
    assert_eq!(phase(&s, 1)["status"], "completed");
    assert_eq!(s["current_phase"], 2);
    maestro_ok(
        &world,
        &[
            "tokens",
            &id,
            "--agent",
            "architect",
            "--input",
            "7000",
            "--output",
            "4000",
            "--cached",
            "1000",
        ],
    );
    let s = maestro_ok(
        &world,
        &[
            "tokens", &id, "--agent", "coder", "--input", "8000", "--output", "4000", "--cached",
            "2000",
        ],
    );
    assert_eq!(s["token_usage"]["total_input"], 15000);
    assert_eq!(s["token_usage"]["by_agent"]["coder"]["cached"], 2000);

    // Phase 2: an error, a failure, a retry, then success.
    maestro_ok(&world, &["phase", "start", &id, "2"]);
    maestro_ok(
        &world,
        &[
            "error",
            "add",
            &id,
            "2",
            "--agent",
            "coder",
            "--type",
            "validation",
            "--message",
            "2 tests fail",
        ],
    );
    maestro_ok(
        &world,
        &[
            "phase",
            "fail",
            &id,
            "2",
            "--message",
            "tests fail",
            "--type",
            "validation",
        ],
    );
    let s = maestro_ok(&world, &["phase", "retry", &id, "2"]);
    assert_eq!(phase(&s, 2)["retry_count"], 1);
    maestro_ok(
        &world,
        &[
            "error",
            "resolve",
            &id,
            "2",
            "1",
            "--resolution",
            "fixed the fixture",
        ],
    );
    maestro_ok(
        &world,
        &["error", "resolve", &id, "2", "2", "--resolution", "retried"],
    );
    maestro_ok(
        &world,
        &[
            "phase",
            "complete",
            &id,
            "2",
            "--output",
            "Middleware added.",
        ],
    );
    maestro_ok(&world, &["phase", "start", &id, "3"]);
    maestro_ok(&world, &["phase", "complete", &id, "3"]);
    for stage in [
        "planning",
        "generating_tasks",
        "implementing",
        "validating",
        "generating_report",
        "completed",
    ] {
        maestro_ok(&world, &["transition", &id, stage]);
    }
    let s = maestro_ok(&world, &["status", &id, "completed"]);
    assert_eq!(s["status"], "completed");
    let log = std::fs::read_to_string(world.state().join("active-session.md")).expect("read");
    assert!(log.contains("## Phase 1: Design the token model ✅\n### architect Output\nToken model designed.\n### Files Changed\n- Created: docs/auth-model.md\n- Modified: src/lib.rs\n"), "{log}");
    assert!(log.contains("## Phase 2: Implement middleware ✅"), "{log}");

    // Archive moves the session and both plan documents, and verifies.
    let report = maestro_ok(&world, &["archive"]);
    assert_eq!(report["session_id"], id.as_str());
    assert_eq!(report["moved"].as_array().expect("moved").len(), 2);
    assert!(!world.state().join("active-session.md").exists());
    assert!(
        plans
            .join(format!("archive/{id}--auth-design.md"))
            .is_file()
            && !plans.join("auth-design.md").exists()
    );
    let archived = maestro_ok(&world, &["show", &id[..14]]);
    assert_eq!(archived["location"], "archive");
    assert_eq!(
        archived["design_document"],
        format!("docs/maestro/plans/archive/{id}--auth-design.md")
    );
    assert_eq!(
        maestro_ok(&world, &["archive", &id])["already_archived"],
        true
    );

    // List and show by prefix.
    let list = maestro_ok(&world, &["list"]);
    let rows = list["sessions"].as_array().expect("array");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["location"], "archive");

    // Fork: new id, lineage, archived as paused; the original untouched.
    let original = std::fs::read(world.state().join(format!("archive/{id}.md"))).expect("read");
    let fork = maestro_ok(&world, &["fork", &id[..14]]);
    let fork_id = fork["session_id"].as_str().expect("fork id").to_string();
    assert_ne!(fork_id, id);
    assert_eq!(fork["parent_session"], id.as_str());
    assert_eq!(fork["forked_from"]["session_id"], id.as_str());
    assert_eq!(
        (fork["status"].as_str(), fork["location"].as_str()),
        (Some("paused"), Some("archive"))
    );
    assert_eq!(fork["phases"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        std::fs::read(world.state().join(format!("archive/{id}.md"))).expect("read"),
        original
    );

    // Another session takes the active slot; resuming the fork needs --park.
    let other = maestro_ok(
        &world,
        &[
            "create",
            "Refactor the router",
            "--phase",
            "Refactor=refactor",
        ],
    );
    let other_id = other["session_id"].as_str().expect("id").to_string();
    maestro_refused(&world, &["resume", &fork_id], 1, "pass --park");
    let resumed = maestro_ok(&world, &["resume", &fork_id, "--park"]);
    assert_eq!(resumed["parked"], other_id.as_str());
    assert_eq!(resumed["session_id"], fork_id.as_str());
    let active = maestro_ok(&world, &["show", "active"]);
    assert_eq!(
        (active["session_id"].as_str(), active["status"].as_str()),
        (Some(fork_id.as_str()), Some("in_progress"))
    );
    let parked = maestro_ok(&world, &["show", &other_id]);
    assert_eq!(
        (parked["status"].as_str(), parked["location"].as_str()),
        (Some("paused"), Some("archive"))
    );

    // Cleanup: the completed original is old enough only with --older-than 0s.
    let dry = maestro_ok(&world, &["cleanup", "--dry-run"]);
    assert_eq!(dry["removed"].as_array().map(Vec::len), Some(0));
    let dry = maestro_ok(&world, &["cleanup", "--dry-run", "--older-than", "0s"]);
    assert_eq!(dry["removed"][0]["session_id"], id.as_str());
    assert!(
        world.state().join(format!("archive/{id}.md")).exists(),
        "dry run removes nothing"
    );
    let real = maestro_ok(&world, &["cleanup", "--older-than", "0s"]);
    assert_eq!(
        real["removed"].as_array().map(Vec::len),
        Some(1),
        "the paused session is resumable and stays"
    );
    assert!(!world.state().join(format!("archive/{id}.md")).exists());
    assert!(
        world
            .state()
            .join(format!("archive/{other_id}.md"))
            .exists()
    );
    // Named, even a resumable one goes.
    maestro_ok(&world, &["cleanup", &other_id]);
    assert!(
        !world
            .state()
            .join(format!("archive/{other_id}.md"))
            .exists()
    );
}

#[test]
fn refused_cases_and_exit_codes() {
    let world = World::new();
    let s = maestro_ok(
        &world,
        &[
            "create",
            "Alpha task",
            "--phase",
            "One=coder",
            "--phase",
            "Two=tester",
        ],
    );
    let id = s["session_id"].as_str().expect("id").to_string();

    // 1: refused transitions name the session, both states and the allowed targets.
    let msg = maestro_refused(
        &world,
        &["phase", "complete", &id, "1"],
        1,
        "phase 1 cannot go from pending to completed",
    );
    assert!(
        msg.contains(&id) && msg.contains("allowed from pending: in_progress, skipped"),
        "{msg}"
    );
    maestro_refused(
        &world,
        &["phase", "start", &id, "2"],
        1,
        "blocked by phase 1",
    );
    maestro_refused(
        &world,
        &["transition", &id, "validating"],
        1,
        "stage cannot go from initializing to validating",
    );
    maestro_refused(
        &world,
        &["phase", "retry", &id, "1"],
        1,
        "only a failed phase can be retried",
    );
    maestro_refused(
        &world,
        &["phase", "start", &id, "9"],
        1,
        "phase 9 in session",
    );
    maestro_refused(&world, &["delete", &id], 1, "active session");
    maestro_refused(
        &world,
        &["cleanup", &id],
        1,
        "never removes the active session",
    );
    maestro_refused(&world, &["create", "Beta task"], 1, "pass --park");

    // Retry bound.
    maestro_ok(&world, &["phase", "start", &id, "1"]);
    for _ in 0..2 {
        maestro_ok(&world, &["phase", "fail", &id, "1", "--message", "x"]);
        maestro_ok(&world, &["phase", "retry", &id, "1"]);
    }
    maestro_ok(&world, &["phase", "fail", &id, "1", "--message", "x"]);
    maestro_refused(
        &world,
        &["phase", "retry", &id, "1"],
        1,
        "used 2 of 2 retries",
    );

    // Terminal status cannot change; a completed session cannot be resumed.
    maestro_ok(&world, &["status", &id, "cancelled"]);
    maestro_refused(
        &world,
        &["status", &id, "in_progress"],
        1,
        "status cannot go from cancelled to in_progress; allowed from cancelled: none",
    );
    maestro_refused(&world, &["resume", &id], 1, "cannot be resumed; fork it");

    // Ambiguous and unknown ids.
    maestro_ok(&world, &["create", "Alpha task again"]);
    let prefix = &id[..11];
    let msg = maestro_refused(&world, &["show", prefix], 1, "is ambiguous");
    assert!(
        msg.contains(&id) && msg.contains("alpha-task-again"),
        "{msg}"
    );
    maestro_refused(&world, &["show", "1999-01-01"], 1, "not found");

    // 2: usage.
    maestro_refused(&world, &["transition", &id, "flying"], 2, "flying");
    maestro_refused(&world, &["frobnicate"], 2, "frobnicate");
    maestro_refused(
        &world,
        &[
            "error",
            "add",
            &id,
            "1",
            "--agent",
            "coder",
            "--type",
            "oops",
            "--message",
            "m",
        ],
        2,
        "[possible values: validation, timeout, file_conflict, runtime, dependency]",
    );
    maestro_refused(&world, &["cleanup", "--all"], 2, "--yes");
    maestro_refused(
        &world,
        &["list", "--since", "yesterday"],
        2,
        "is not a time",
    );

    // 3: a corrupt file is reported, never skipped silently nor rewritten.
    let broken = world.state().join("archive/2026-01-01-broken.md");
    std::fs::write(&broken, "---\nstatus: [oops\n---\n").expect("write");
    maestro_refused(
        &world,
        &["show", "2026-01-01-broken"],
        3,
        "2026-01-01-broken.md:2",
    );
    let (code, list, stderr) = maestro(&world, &["list"]);
    assert_eq!(code, 0);
    assert_eq!(list["sessions"].as_array().map(Vec::len), Some(2));
    assert!(stderr.contains("2026-01-01-broken.md:2"), "{stderr}");
    let report = maestro_ok(&world, &["cleanup", "--all", "--yes"]);
    assert!(
        report["kept_unreadable"][0]
            .as_str()
            .is_some_and(|e| e.contains("2026-01-01-broken.md:2")),
        "{report}"
    );
    assert_eq!(
        std::fs::read_to_string(&broken).expect("kept"),
        "---\nstatus: [oops\n---\n"
    );
    assert!(!world.state().join("active-session.md").exists());
}

#[test]
fn human_output_has_no_colour_off_a_terminal() {
    let world = World::new();
    maestro_ok(&world, &["create", "Colour check", "--phase", "One=coder"]);
    let out = e2e_tests::run(
        {
            let mut c = world.cmd("maestro-session");
            c.args(["show", "active"]);
            c
        },
        b"",
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(
        text.contains("Progress  [--------------------] 0/1 phases"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "escape codes on a pipe: {text:?}");
    let out = e2e_tests::run(
        {
            let mut c = world.cmd("maestro-session");
            c.args(["show", "nope"]);
            c
        },
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: session \"nope\" not found"));
}

#[test]
fn completions_and_schema() {
    let world = World::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = e2e_tests::run(
            {
                let mut c = world.cmd("maestro-session");
                c.args(["completions", shell]);
                c
            },
            b"",
        );
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("maestro-session") && text.contains("cleanup"),
            "{shell}"
        );
    }
    let schema = maestro_ok(&world, &["schema"]);
    assert_eq!(schema["title"], "SessionMetadata");
    assert!(schema["properties"]["phases"].is_object());
}

#[test]
fn malformed_environment_is_named_not_ignored() {
    let world = World::new();
    maestro_ok(&world, &["create", "Env check", "--phase", "One=coder"]);
    let mut cmd = world.cmd("maestro-session");
    cmd.env("MAESTRO_MAX_RETRIES", "two")
        .args(["phase", "start", "active", "1"]);
    let out = e2e_tests::run(cmd, b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MAESTRO_MAX_RETRIES=\"two\""));
    let mut cmd = world.cmd("maestro-session");
    cmd.env("MAESTRO_LOCK_TIMEOUT_MS", "soon")
        .args(["tokens", "active", "--agent", "coder", "--input", "1"]);
    assert_eq!(e2e_tests::run(cmd, b"").status.code(), Some(2));
    let s = maestro_ok(&world, &["show", "active"]);
    assert_eq!(
        s["phases"][0]["status"], "pending",
        "a refused command changed nothing"
    );
    assert_eq!(s["token_usage"]["total_input"], 0);
}

/// A session written the way Maestro 1.6 writes it (pretty JSON frontmatter, string phase
/// ids, `planned_files`, `requires_reconciliation`, `current_batch`, keys we do not model) is
/// listed, shown and driven by name, and written back in its flavour with its ids as strings.
#[test]
fn maestro_1_6_session_with_string_phase_ids() {
    const ID: &str = "2026-11-28-search-index";
    let world = World::new();
    std::fs::create_dir_all(world.state()).expect("mkdir");
    let fixture = e2e_tests::fixture("maestro-state/maestro-1.6-session.json.md");
    std::fs::write(world.state().join("active-session.md"), &fixture).expect("seed");

    let rows = maestro_ok(&world, &["list"])["sessions"].clone();
    assert_eq!(rows[0]["session_id"], ID, "{rows}");
    assert_eq!(rows[0]["current_phase"], "design");
    let shown = maestro_ok(&world, &["show"]);
    assert_eq!(shown["phases"][1]["id"], "phase-2-implementation");

    maestro_ok(
        &world,
        &["phase", "complete", ID, "design", "--output", "Designed."],
    );
    // The second phase was waiting for "design" by name; it may start now.
    maestro_ok(&world, &["phase", "start", ID, "phase-2-implementation"]);
    maestro_ok(
        &world,
        &[
            "tokens", ID, "--agent", "coder", "--input", "10", "--output", "5",
        ],
    );
    maestro_refused(&world, &["phase", "start", ID, "3"], 1, "phase 3");

    let text = std::fs::read_to_string(world.state().join("active-session.md")).expect("read");
    assert!(text.starts_with("---\n{\n"), "JSON flavour kept: {text}");
    let front: serde_json::Value = serde_json::from_str(
        text.split("\n---\n")
            .next()
            .expect("front")
            .trim_start_matches("---\n"),
    )
    .expect("JSON frontmatter");
    assert_eq!(front["current_phase"], "phase-2-implementation");
    assert_eq!(front["phases"][0]["id"], "design");
    assert_eq!(front["phases"][0]["status"], "completed");
    assert_eq!(front["phases"][1]["blocked_by"][0], "design");
    assert_eq!(front["phases"][1]["status"], "in_progress");
    assert_eq!(
        front["phases"][1]["planned_files"][1],
        "src/search/query.ts"
    );
    assert_eq!(front["phases"][1]["requires_reconciliation"], true);
    assert!(front["current_batch"].is_null());
    assert_eq!(front["completion_review"]["status"], "not_required");
    assert_eq!(
        front["token_usage"]["by_agent"]["architect"]["duration_ms"],
        42000
    );
    assert_eq!(front["token_usage"]["total_input"], 1510);
    assert!(text.contains("## Phase design: Design the index"), "{text}");

    // The human view names what Maestro 1.6 adds.
    let mut cmd = world.cmd("maestro-session");
    cmd.arg("show");
    let out = e2e_tests::run(cmd, b"");
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.contains("phase phase-2-implementation needs reconciliation: src/search/ changed outside the session"),
        "{human}"
    );
}

#[test]
fn set_refuses_a_value_outside_a_fields_closed_set_and_changes_nothing() {
    let world = World::new();
    maestro_ok(&world, &["create", "T"]);
    let before = std::fs::read(world.state().join("active-session.md")).expect("read");
    let message = maestro_refused(
        &world,
        &["set", "active", "workflow_mode", "bogus"],
        2,
        "workflow mode \"bogus\"",
    );
    assert!(message.contains("express, standard"), "{message}");
    assert_eq!(
        std::fs::read(world.state().join("active-session.md")).expect("read"),
        before
    );
    let set = maestro_ok(&world, &["set", "active", "workflow_mode", "express"]);
    assert_eq!(set["workflow_mode"], "express", "{set}");
}
