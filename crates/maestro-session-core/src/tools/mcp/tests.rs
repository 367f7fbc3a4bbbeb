//! Each tool on a scratch project: the round trip with integer and with string phase ids
//! (the calls of `tests/fixtures/mcp/`), and the refusals, each a `{error, recovery_hint}` with
//! no absolute path.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::*;
use crate::EnvVars;
use crate::session::model::PhaseId;
use crate::session::session_file::{Location, SessionFile};

struct Fx {
    _dir: tempfile::TempDir,
    root: PathBuf,
    tools: Tools,
}

fn fx() -> Fx {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("proj");
    // What makes `root` a repository root (HEAD, objects/, refs/), whatever lies above it.
    for sub in [".git/objects", ".git/refs"] {
        std::fs::create_dir_all(root.join(sub)).expect("mkdir");
    }
    std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\n").expect("HEAD");
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

/// A committed request (`tests/fixtures/mcp/<name>.json`): (tool, arguments).
fn request(name: &str) -> (String, Map<String, Value>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/mcp")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).expect("fixture");
    let v: Value = serde_json::from_str(&text).expect("fixture JSON");
    let tool = v["name"].as_str().expect("name").to_string();
    let args = v["arguments"].as_object().cloned().unwrap_or_default();
    (tool, args)
}

impl Fx {
    fn call(&self, tool: &str, args: Value) -> Result<Value, ToolError> {
        let args = match args {
            Value::Object(m) => Some(m),
            _ => None,
        };
        let out = self.tools.call(tool, args);
        if let Err(e) = &out {
            self.assert_clean(e);
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

    fn fixture_ok(&self, name: &str) -> Value {
        let (tool, args) = request(name);
        self.ok(&tool, Value::Object(args))
    }

    fn fixture_err(&self, name: &str) -> ToolError {
        let (tool, args) = request(name);
        self.err(&tool, Value::Object(args))
    }

    /// No absolute path (the project root or anything else) in a tool error, and a hint.
    fn assert_clean(&self, e: &ToolError) {
        let root = self.root.to_string_lossy();
        for text in [&e.error, &e.recovery_hint] {
            assert!(!text.contains(&*root), "absolute path in {text:?}");
            assert!(
                !text
                    .split(|c: char| c.is_whitespace() || "\"'`(".contains(c))
                    .any(|w| w.starts_with('/')),
                "absolute path in {text:?}"
            );
        }
        assert!(!e.recovery_hint.is_empty(), "no hint: {}", e.to_json());
    }

    fn state(&self) -> PathBuf {
        self.root.join("docs/maestro/state")
    }

    fn archived(&self, id: &str) -> SessionFile {
        SessionFile::load(
            &self.state().join(format!("archive/{id}.md")),
            Location::Archive,
        )
        .expect("archived session")
    }

    fn active(&self) -> SessionFile {
        SessionFile::load(&self.state().join("active-session.md"), Location::Active)
            .expect("active session")
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
}

#[test]
fn round_trip_with_integer_phase_ids() {
    let f = fx();
    let init = f.fixture_ok("initialize_workspace");
    assert_eq!(init["state_dir"], "docs/maestro");
    assert_eq!(init["already_existed"], false);
    assert_eq!(
        init["created_directories"][1],
        "docs/maestro/state/archive/"
    );
    assert_eq!(
        f.fixture_ok("initialize_workspace")["already_existed"],
        true
    );
    f.write("docs/maestro/plans/auth-design.md", "# design\n");
    f.write("docs/maestro/plans/auth-impl-plan.md", "# plan\n");

    let created = f.fixture_ok("create_session-integer-ids");
    assert_eq!(created["success"], true);
    assert_eq!(created["path"], "docs/maestro/state/active-session.md");
    let status = f.ok("get_session_status", json!({}));
    assert_eq!(status["exists"], true);
    assert_eq!(status["session_id"], "2026-11-22-mcp-integer-ids");
    assert_eq!(status["current_phase"], 1);
    assert_eq!(status["total_phases"], 3);
    assert_eq!(
        status["phases"][0],
        json!({"id": 1, "name": "Design the token model", "status": "in_progress", "agent": "architect"})
    );
    assert_eq!(status["phases"][1]["status"], "pending");
    assert_eq!(status["execution_mode"], Value::Null);
    assert_eq!(status["current_batch"], Value::Null);
    assert_eq!(status["stage"], "implementing");

    // A phase that is not in progress cannot complete; nothing changes.
    let before = std::fs::read(f.state().join("active-session.md")).expect("read");
    let e = f.fixture_err("refused-bad-transition");
    assert_eq!(e.code, "STATE_ERROR");
    assert!(
        e.error
            .contains("phase 3 cannot go from pending to completed"),
        "{}",
        e.error
    );
    assert!(
        e.recovery_hint.contains("get_session_status"),
        "{}",
        e.recovery_hint
    );
    let e = f.fixture_err("refused-unknown-phase");
    assert_eq!(e.code, "NOT_FOUND");
    assert!(e.error.contains("phase 9"), "{}", e.error);
    assert!(e.error.contains("phases: 1, 2, 3"), "{}", e.error);
    let e = f.fixture_err("refused-files-outside");
    assert_eq!(e.code, "PATH_REFUSED");
    assert!(
        e.error.starts_with("files_created[0]: path refused"),
        "{}",
        e.error
    );
    assert!(!e.error.contains("outside/secret"), "{}", e.error);
    assert_eq!(
        std::fs::read(f.state().join("active-session.md")).expect("read"),
        before
    );

    let updated = f.fixture_ok("update_session-integer-ids");
    assert_eq!(
        updated["updated_fields"],
        json!(["execution_mode", "execution_backend"])
    );
    let t1 = f.fixture_ok("transition_phase-integer-1");
    assert_eq!(
        t1["session_state_summary"],
        json!({"current_phase": 2, "completed_phases": [1], "pending_phases": [3]})
    );
    assert!(t1.get("started_phase_ids").is_none());
    // Phase 3 waits for phase 2.
    let e = f.err(
        "transition_phase",
        json!({"session_id": "2026-11-22-mcp-integer-ids", "next_phase_id": 3}),
    );
    assert_eq!(e.code, "STATE_ERROR");
    assert!(e.error.contains("blocked by phase 2"), "{}", e.error);
    f.fixture_ok("transition_phase-integer-2");
    let t3 = f.fixture_ok("transition_phase-integer-3");
    assert_eq!(
        t3["session_state_summary"]["completed_phases"],
        json!([1, 2, 3])
    );

    let s = f.active().meta;
    assert_eq!(s.phases[0].files_created, vec!["docs/auth-model.md"]);
    assert_eq!(
        s.phases[0].downstream_context.key_interfaces_introduced,
        vec!["TokenStore trait"]
    );
    assert_eq!(
        s.phases[0].downstream_context.assumptions,
        vec!["tokens expire after 1h"]
    );
    assert!(
        s.phases[0].downstream_context.warnings.is_empty(),
        "\"none\" is no entry"
    );
    assert_eq!(s.phases[1].files_modified, vec!["src/server.rs"]);
    assert_eq!(s.phases[1].planned_files(), vec!["src/auth.rs"]);
    assert_eq!(s.token_usage.by_agent["architect"].input, 7000);
    assert_eq!(s.token_usage.by_agent["coder"].cached, 2000);
    assert_eq!(
        (
            s.token_usage.total_input,
            s.token_usage.total_output,
            s.token_usage.total_cached
        ),
        (15_500, 8_200, 3_000)
    );
    assert_eq!(s.execution_mode.as_deref(), Some("sequential"));

    let archived = f.fixture_ok("archive_session-integer-ids");
    assert_eq!(
        archived["archive_path"],
        "docs/maestro/state/archive/2026-11-22-mcp-integer-ids.md"
    );
    assert_eq!(archived["status"], "completed");
    assert_eq!(
        archived["archived_files"],
        json!([
            "docs/maestro/state/archive/2026-11-22-mcp-integer-ids.md",
            "docs/maestro/plans/archive/2026-11-22-mcp-integer-ids--auth-design.md",
            "docs/maestro/plans/archive/2026-11-22-mcp-integer-ids--auth-impl-plan.md"
        ])
    );
    assert!(!f.root.join("docs/maestro/plans/auth-design.md").exists());
    let s = f.archived("2026-11-22-mcp-integer-ids");
    assert_eq!(
        s.meta.status,
        crate::session::lifecycle::SessionStatus::Completed
    );
    assert!(matches!(s.meta.phases[2].id, PhaseId::Number(3)));
    assert_eq!(
        f.ok("get_session_status", json!({})),
        json!({"exists": false, "message": "there is no active session"})
    );
    // Archiving again only confirms.
    assert_eq!(
        f.fixture_ok("archive_session-integer-ids")["already_archived"],
        true
    );
}

#[test]
fn round_trip_with_string_phase_ids_and_a_parallel_batch() {
    let f = fx();
    let created = f.fixture_ok("create_session-string-ids");
    assert_eq!(
        created["implementation_plan"],
        "docs/maestro/plans/parser-impl-plan.md"
    );
    assert!(
        std::fs::read_to_string(f.root.join("docs/maestro/plans/parser-impl-plan.md"))
            .expect("plan written")
            .starts_with("# Implementation plan")
    );
    let status = f.ok(
        "get_session_status",
        json!({"session_id": "2026-11-22-mcp-string-ids"}),
    );
    assert_eq!(status["current_phase"], "design");
    assert_eq!(status["execution_mode"], "parallel");
    assert!(status.get("note").is_none());

    let t = f.fixture_ok("transition_phase-string-design");
    assert_eq!(t["started_phase_ids"], json!(["lexer", "parser-2"]));
    assert_eq!(t["session_state_summary"]["current_phase"], "lexer");
    assert_eq!(
        t["session_state_summary"]["completed_phases"],
        json!(["design"])
    );
    let status = f.ok("get_session_status", json!({}));
    assert_eq!(status["current_batch"], "batch-1");
    assert_eq!(status["phases"][2]["status"], "in_progress");
    f.fixture_ok("transition_phase-string-lexer");
    let t = f.fixture_ok("transition_phase-string-parser");
    assert_eq!(
        t["session_state_summary"]["completed_phases"],
        json!(["design", "lexer", "parser-2"])
    );
    let s = f.active();
    assert_eq!(s.meta.current_batch(), None);
    assert_eq!(s.meta.token_usage.by_agent["architect"].input, 1200);
    // The lexer's tokens went to its phase's agent.
    assert_eq!(s.meta.token_usage.by_agent["coder"].input, 900);
    // A new project's session is JSON, Maestro 1.6's flavour.
    let text = s.render();
    assert!(text.starts_with("---\n{\n"), "{text}");
    assert!(text.contains("\"id\": \"design\""), "{text}");
    assert!(text.contains("\"current_batch\": null"), "{text}");

    let archived = f.fixture_ok("archive_session-string-ids");
    assert_eq!(
        archived["archived_files"][1],
        "docs/maestro/plans/archive/2026-11-22-mcp-string-ids--parser-impl-plan.md"
    );
    let s = f.archived("2026-11-22-mcp-string-ids");
    assert!(matches!(&s.meta.phases[0].id, PhaseId::Name(n) if n == "design"));
}

#[test]
fn create_refuses_over_an_in_progress_session_and_parks_any_other() {
    let f = fx();
    f.fixture_ok("create_session-integer-ids");
    let before = std::fs::read(f.state().join("active-session.md")).expect("read");
    let e = f.fixture_err("create_session-string-ids");
    assert_eq!(e.code, "STATE_ERROR");
    assert_eq!(
        e.error,
        "the active session 2026-11-22-mcp-integer-ids is in_progress; archive it with archive_session before creating another"
    );
    assert!(e.recovery_hint.contains("archive_session"));
    assert_eq!(
        std::fs::read(f.state().join("active-session.md")).expect("read"),
        before
    );
    assert!(
        !f.root
            .join("docs/maestro/plans/parser-impl-plan.md")
            .exists()
    );

    // A paused active session is parked in the archive, never overwritten.
    let store = f.tools.store("create_session").expect("store");
    store
        .apply(None, &crate::operations::Operation::Pause)
        .expect("pause");
    let created = f.fixture_ok("create_session-string-ids");
    assert_eq!(created["parked"], "2026-11-22-mcp-integer-ids");
    assert_eq!(
        f.archived("2026-11-22-mcp-integer-ids").meta.status,
        crate::session::lifecycle::SessionStatus::Paused
    );

    // A session id is used once.
    f.ok(
        "archive_session",
        json!({"session_id": "2026-11-22-mcp-string-ids"}),
    );
    let e = f.fixture_err("create_session-integer-ids");
    assert_eq!(e.code, "STATE_ERROR");
    assert!(e.error.contains("already used"), "{}", e.error);
    // The same plan file name with other content is refused, never overwritten.
    f.write("docs/maestro/plans/taken.md", "# someone's plan\n");
    let (_, mut args) = request("create_session-string-ids");
    args.insert("session_id".into(), json!("2026-11-22-other"));
    args.insert("implementation_plan_filename".into(), json!("taken.md"));
    let e = f.err("create_session", Value::Object(args));
    assert_eq!(e.code, "VALIDATION_ERROR");
    assert!(
        e.error
            .contains("docs/maestro/plans/taken.md already exists"),
        "{}",
        e.error
    );
    assert_eq!(
        std::fs::read_to_string(f.root.join("docs/maestro/plans/taken.md")).expect("read"),
        "# someone's plan\n"
    );
}

#[test]
fn a_state_dir_or_workspace_outside_the_project_is_refused_naming_the_argument() {
    let f = fx();
    let e = f.fixture_err("refused-state-dir-outside");
    assert_eq!(e.code, "PATH_REFUSED");
    assert!(e.error.contains("state_dir argument"), "{}", e.error);
    assert!(!e.error.contains("../x"), "{}", e.error);
    assert!(!f.root.parent().expect("parent").join("x").exists());
    let outside = f.root.parent().expect("parent").join("elsewhere");
    let e = f.err("initialize_workspace", json!({"state_dir": outside}));
    assert_eq!(e.code, "PATH_REFUSED");
    assert!(e.error.contains("outside the project"), "{}", e.error);
    assert!(!outside.exists());
    // A folder that does not exist: Maestro's code; one elsewhere: refused.
    let e = f.err("initialize_workspace", json!({"workspace_path": outside}));
    assert_eq!(e.code, "WORKSPACE_NOT_FOUND");
    assert!(e.error.contains("workspace_path"), "{}", e.error);
    assert!(!outside.exists());
    let elsewhere = f.root.parent().expect("parent").join("other");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    let e = f.err("initialize_workspace", json!({"workspace_path": elsewhere}));
    assert_eq!(e.code, "PATH_REFUSED");
    assert!(e.error.contains("workspace_path"), "{}", e.error);
    let e = f.err("initialize_workspace", json!({"state_dir": "."}));
    assert_eq!(e.code, "PATH_REFUSED");
    // A symlinked state dir leading out is refused by the resolver.
    std::os::unix::fs::symlink(f.root.parent().expect("parent"), f.root.join("out"))
        .expect("symlink");
    let e = f.err("initialize_workspace", json!({"state_dir": "out/state"}));
    assert_eq!(e.code, "PATH_REFUSED");
    assert!(!f.root.parent().expect("parent").join("state").exists());

    // Inside is fine, and later calls use it.
    let ok = f.ok(
        "initialize_workspace",
        json!({"workspace_path": f.root, "state_dir": "custom/state-dir"}),
    );
    assert_eq!(ok["state_dir"], "custom/state-dir");
    assert_eq!(ok["workspace_path"], f.root.to_string_lossy().as_ref());
    let created = f.fixture_ok("create_session-integer-ids");
    assert_eq!(created["path"], "custom/state-dir/state/active-session.md");
    // Absolute files inside the project are recorded project-relative.
    let done = f.ok(
        "transition_phase",
        json!({"session_id": "active", "completed_phase_id": 1, "files_created": [f.root.join("src/x.rs")], "downstream_context": {"warnings": ["w"]}}),
    );
    assert_eq!(done["success"], true);
    let s = f.ok("show_session", json!({}));
    assert_eq!(s["phases"][0]["files_created"], json!(["src/x.rs"]));
    assert_eq!(s["path"], "custom/state-dir/state/active-session.md");
}

#[test]
fn bad_arguments_are_validation_errors_naming_the_field() {
    let f = fx();
    let e = f.fixture_err("refused-bad-phase-id");
    assert_eq!(e.code, "VALIDATION_ERROR");
    assert!(e.error.contains("phases[0].id"), "{}", e.error);
    assert!(e.error.contains("not -1"), "{}", e.error);
    for (tool, args, want) in [
        (
            "create_session",
            json!({"task": "t", "phases": []}),
            "missing field `session_id`",
        ),
        (
            "create_session",
            json!({"session_id": "a/b", "task": "t", "phases": [{"id": 1, "name": "A", "agent": "coder", "parallel": false, "blocked_by": []}]}),
            "only letters",
        ),
        (
            "create_session",
            json!({"session_id": "x", "task": "t", "phases": []}),
            "at least one phase",
        ),
        (
            "create_session",
            json!({"session_id": "x", "task": "t", "phases": [{"id": 1.5, "name": "A", "agent": "coder", "parallel": false, "blocked_by": []}]}),
            "not 1.5",
        ),
        (
            "create_session",
            json!({"session_id": "x", "task": "t", "phases": [{"id": "", "name": "A", "agent": "coder", "parallel": false, "blocked_by": []}]}),
            "phases[0].id",
        ),
        (
            "create_session",
            json!({"session_id": "x", "task": "t", "phases": [{"id": 1, "name": "A", "agent": "coder", "parallel": false, "blocked_by": []}, {"id": 1, "name": "B", "agent": "coder", "parallel": false, "blocked_by": []}]}),
            "used twice",
        ),
        (
            "create_session",
            json!({"session_id": "x", "task": "t", "phases": [{"id": 1, "name": "A", "agent": "coder", "parallel": false, "blocked_by": [2]}, {"id": 2, "name": "B", "agent": "coder", "parallel": false, "blocked_by": []}]}),
            "only earlier phases",
        ),
        (
            "create_session",
            json!({"session_id": "x", "task": "t", "phases": [{"id": 1, "name": "A", "agent": "coder", "parallel": false, "blocked_by": []}], "task_complexity": "huge"}),
            "unknown variant `huge`",
        ),
        (
            "create_session",
            json!({"session_id": "x", "task": "t", "phases": [{"id": 1, "name": "A", "agent": "coder", "parallel": false, "blocked_by": []}], "implementation_plan_content": "# p"}),
            "give implementation_plan_filename",
        ),
        (
            "create_session",
            json!({"session_id": "x", "task": "t", "phases": [{"id": 1, "name": "A", "agent": "coder", "parallel": false, "blocked_by": []}], "implementation_plan_content": "# p", "implementation_plan_filename": "../p.md"}),
            "bare file name",
        ),
        (
            "create_session",
            json!({"session_id": "x", "task": "t", "phases": [{"id": 1, "name": "A", "agent": "coder", "parallel": false, "blocked_by": []}], "implementation_plan": "p.md", "implementation_plan_filename": "p.md"}),
            "excludes",
        ),
        (
            "create_session",
            json!({"session_id": "x", "task": "  ", "phases": [{"id": 1, "name": "A", "agent": "coder", "parallel": false, "blocked_by": []}]}),
            "task is empty",
        ),
        (
            "transition_phase",
            json!({"session_id": "x"}),
            "nothing to do",
        ),
        (
            "transition_phase",
            json!({"session_id": "x", "next_phase_id": 1, "next_phase_ids": [2]}),
            "not both",
        ),
        (
            "transition_phase",
            json!({"session_id": "x", "next_phase_id": 2, "files_created": ["a"]}),
            "give completed_phase_id",
        ),
        (
            "transition_phase",
            json!({"session_id": "x", "completed_phase_id": 1, "downstream_context": {"interfaces": "x"}}),
            "unknown field `interfaces`",
        ),
        (
            "transition_phase",
            json!({"session_id": "x", "completed_phase_id": 1, "downstream_context": {"warnings": 3}}),
            "string or a list of strings",
        ),
        (
            "transition_phase",
            json!({"session_id": "x", "completed_phase_id": 1, "token_usage": {"input": -5}}),
            "token_usage.input",
        ),
        (
            "transition_phase",
            json!({"session_id": "x", "completed_phase_id": 1, "nxt_phase_id": 2}),
            "unknown field `nxt_phase_id`",
        ),
        (
            "update_session",
            json!({"session_id": "x"}),
            "nothing to update",
        ),
        (
            "update_session",
            json!({"session_id": "x", "execution_mode": "ask"}),
            "unknown variant `ask`",
        ),
        (
            "record_error",
            json!({"phase_id": 1, "agent": "coder", "type": "oops", "message": "m"}),
            "unknown variant `oops`",
        ),
        (
            "record_tokens",
            json!({"agent": "coder", "input": "many"}),
            "input",
        ),
        (
            "list_sessions",
            json!({"status": "sleeping"}),
            "unknown variant `sleeping`",
        ),
    ] {
        let e = f.err(tool, args);
        assert!(
            matches!(e.code, "VALIDATION_ERROR"),
            "{tool}: {}",
            e.to_json()
        );
        assert!(
            e.error.contains(want),
            "{tool}: want {want:?} in {}",
            e.error
        );
    }
    let e = f.err(
        "transition_phase",
        json!({"session_id": "x", "completed_phase_id": 1, "files_created": ["a.rs"]}),
    );
    assert_eq!(e.code, "HANDOFF_INCOMPLETE");
    let e = f.err("transition_phase", json!({"session_id": "x", "completed_phase_id": 1, "files_created": ["a.rs"], "downstream_context": {"warnings": "n/a"}}));
    let e2 = f.err(
        "create_session",
        json!({"session_id": "x", "task": "t", "phases": [{"id": 1, "name": "A", "agent": "coder", "parallel": false, "blocked_by": [], "files": ["/etc/passwd"]}]}),
    );
    assert_eq!(e2.code, "PATH_REFUSED");
    assert!(e2.error.starts_with("phases[0].files[0]: "), "{}", e2.error);
    assert_eq!(e.code, "HANDOFF_INCOMPLETE");
    let e = f.err("no_such_tool", json!({}));
    assert_eq!(e.code, "UNKNOWN_TOOL");
    assert!(e.recovery_hint.contains("transition_phase"));
    // No session yet.
    let e = f.err(
        "update_session",
        json!({"session_id": "x", "current_batch": null}),
    );
    assert_eq!(e.code, "NOT_FOUND");
    assert!(
        e.recovery_hint.contains("create_session"),
        "{}",
        e.recovery_hint
    );
}

#[test]
fn maestro_tools_act_on_the_active_session_only() {
    let f = fx();
    f.fixture_ok("create_session-integer-ids");
    let e = f.err(
        "update_session",
        json!({"session_id": "2026-11-22-other", "current_batch": "b"}),
    );
    assert_eq!(e.code, "STATE_ERROR");
    assert!(
        e.error
            .contains("the active session is 2026-11-22-mcp-integer-ids"),
        "{}",
        e.error
    );
    let e = f.err("archive_session", json!({"session_id": "2026-11-22-mcp"}));
    assert_eq!(e.code, "NOT_FOUND");
    assert!(e.error.contains("give the full id"), "{}", e.error);
    let status = f.ok(
        "get_session_status",
        json!({"session_id": "2026-11-22-other"}),
    );
    assert!(
        status["note"]
            .as_str()
            .expect("note")
            .contains("show_session")
    );
    // update_session with null clears.
    f.ok(
        "update_session",
        json!({"session_id": "active", "current_batch": "b1"}),
    );
    assert_eq!(f.active().meta.current_batch(), Some("b1"));
    f.ok(
        "update_session",
        json!({"session_id": "active", "current_batch": null}),
    );
    assert_eq!(f.active().meta.current_batch(), None);
}

#[test]
fn our_tools_list_show_resume_and_record() {
    let f = fx();
    f.fixture_ok("create_session-integer-ids");
    let r = f.ok(
        "record_error",
        json!({"phase_id": 1, "agent": "architect", "type": "validation", "message": "schema check failed"}),
    );
    assert_eq!(r["error_index"], 1);
    assert_eq!(r["unresolved_errors"], 1);
    let e = f.err(
        "record_error",
        json!({"phase_id": "nine", "agent": "a", "type": "runtime", "message": "m"}),
    );
    assert_eq!(e.code, "NOT_FOUND");
    let r = f.ok(
        "record_tokens",
        json!({"agent": "architect", "input": 10, "cached": 2}),
    );
    assert_eq!(
        r["agent_tokens"],
        json!({"input": 10, "output": 0, "cached": 2})
    );
    assert_eq!(r["token_usage"]["total_input"], 10);
    let e = f.err(
        "record_tokens",
        json!({"agent": "architect", "input": u64::MAX}),
    );
    assert_eq!(e.code, "STATE_ERROR");

    let shown = f.ok("show_session", json!({"session_id": "2026-11-22-mcp"}));
    assert_eq!(shown["session_id"], "2026-11-22-mcp-integer-ids");
    assert_eq!(shown["location"], "active");
    assert_eq!(shown["phases"][0]["errors"][0]["type"], "validation");

    // Pause and archive, then resume it.
    let store = f.tools.store("t").expect("store");
    store
        .apply(None, &crate::operations::Operation::Pause)
        .expect("pause");
    store.archive(None).expect("archive");
    let listed = f.ok("list_sessions", json!({"status": "paused"}));
    assert_eq!(
        listed["sessions"][0]["session_id"],
        "2026-11-22-mcp-integer-ids"
    );
    assert_eq!(
        listed["sessions"][0]["path"],
        "docs/maestro/state/archive/2026-11-22-mcp-integer-ids.md"
    );
    assert_eq!(
        f.ok("list_sessions", json!({"status": "completed"}))["sessions"],
        json!([])
    );
    let resumed = f.ok("resume_session", json!({"session_id": "2026-11-22-mcp"}));
    assert_eq!(
        resumed["continue_with"],
        json!({"id": 1, "name": "Design the token model"})
    );
    assert_eq!(resumed["unresolved_errors"][0]["type"], "validation");
    assert_eq!(
        f.ok("get_session_status", json!({}))["status"],
        "in_progress"
    );
    let e = f.err("resume_session", json!({"session_id": "nothing-like-it"}));
    assert_eq!(e.code, "NOT_FOUND");
    assert!(!e.error.contains("did you mean"), "{}", e.error);
    // A mistyped id names the closest session.
    for tool in ["show_session", "resume_session"] {
        let e = f.err(tool, json!({"session_id": "2026-11-22-mpc"}));
        assert_eq!(e.code, "NOT_FOUND");
        assert!(
            e.error.contains("did you mean \"2026-11-22-mcp"),
            "{tool}: {}",
            e.error
        );
    }
}

#[test]
fn unreadable_state_is_an_io_error_without_absolute_paths() {
    let f = fx();
    f.write(
        "docs/maestro/state/active-session.md",
        "---\nsession_id: [broken\n---\n",
    );
    for tool in ["get_session_status", "show_session", "list_sessions"] {
        match f.call(tool, json!({})) {
            Err(e) => {
                assert_eq!(e.code, "IO_ERROR", "{tool}");
                assert!(
                    e.error.contains("docs/maestro/state/active-session.md"),
                    "{}",
                    e.error
                );
                assert!(e.recovery_hint.contains("doctor"), "{}", e.recovery_hint);
            }
            Ok(v) => {
                // list_sessions reports the broken file instead, as the one error object.
                let broken = &v["unreadable"][0];
                let text = broken["error"].as_str().expect("reported").to_string();
                assert!(
                    text.starts_with("docs/maestro/state/active-session.md"),
                    "{text}"
                );
                assert!(broken["kind"].is_string(), "{broken}");
            }
        }
    }
    let e = f.fixture_err("create_session-integer-ids");
    assert_eq!(e.code, "IO_ERROR");
}

#[test]
fn absolute_paths_are_blanked_and_the_root_stripped() {
    assert_eq!(
        blank_absolute_paths("cannot read /etc/shadow: denied (see \"/var/x\")"),
        "cannot read [path]: denied (see \"[path]\")"
    );
    assert_eq!(
        blank_absolute_paths("tokens 1/2/3 input/output"),
        "tokens 1/2/3 input/output"
    );
    let f = fx();
    let root = f.root.to_string_lossy().into_owned();
    assert_eq!(
        f.tools.sanitize(&format!(
            "cannot open {root}/docs/x.md: it is outside the project {root}"
        )),
        "cannot open docs/x.md: it is outside the project"
    );
    assert_eq!(f.tools.rel(&f.root.join("a/b.md")), "a/b.md");
    assert_eq!(f.tools.rel(Path::new("/elsewhere/b.md")), "[path]");
}

#[test]
fn definitions_cover_every_tool_with_an_object_schema() {
    let defs = definitions();
    let names: Vec<&str> = defs.iter().map(|d| d.name).collect();
    assert_eq!(names, TOOL_NAMES);
    for d in &defs {
        assert_eq!(d.input_schema["type"], "object", "{}", d.name);
        let text = serde_json::to_string(&d.input_schema).expect("json");
        assert!(
            !text.contains("$ref") && !text.contains("$defs"),
            "{}: {text}",
            d.name
        );
        assert!(!d.description.is_empty());
    }
    let create = &defs[1].input_schema;
    assert_eq!(create["required"], json!(["session_id", "task", "phases"]));
    assert_eq!(create["properties"]["phases"]["minItems"], 1);
    assert_eq!(
        create["properties"]["phases"]["items"]["properties"]["id"]["type"],
        json!(["integer", "string"])
    );
    let transition = &defs[3].input_schema;
    assert_eq!(
        transition["properties"]["next_phase_ids"]["items"]["type"],
        json!(["integer", "string"])
    );
    assert_eq!(transition["additionalProperties"], false);
    let read_only: Vec<&str> = defs
        .iter()
        .filter(|d| d.read_only)
        .map(|d| d.name)
        .collect();
    assert_eq!(
        read_only,
        [
            "get_session_status",
            "get_design_gate_status",
            "scan_phase_changes",
            "list_sessions",
            "show_session",
            "get_team_status"
        ]
    );
}
