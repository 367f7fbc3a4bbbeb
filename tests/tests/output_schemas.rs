//! Real outputs held to their checked-in schemas (`docs/schemas/<name>.json`, generated from
//! `maestro_session_core::outputs` and checked against the types by the core test
//! `output_schemas`): the `--json` object of every command of the command line, its error
//! objects on stderr, the lines of `watch --json`, and the result of every MCP tool and a
//! tool's failure. Validated with the `jsonschema` crate; the output types deny unknown keys
//! (`additionalProperties: false`), so a key added or renamed without its schema fails here.
#![allow(clippy::disallowed_methods)] // tests read the schema files and set up fixtures

use std::collections::BTreeSet;
use std::path::PathBuf;

use e2e_tests::mcp_client::McpClient;
use e2e_tests::{World, maestro, maestro_ok, run};
use serde_json::{Value, json};

/// The checked-in schema `name`.
fn schema(name: &str) -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../docs/schemas/{name}.json"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("a schema is JSON")
}

/// Asserts that `value` is valid against schema `name`; `what` names the output in a failure.
fn valid(name: &str, value: &Value, what: &str) {
    let validator = jsonschema::validator_for(&schema(name))
        .unwrap_or_else(|e| panic!("{name}.json is not a usable schema: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match docs/schemas/{name}.json: {errors:#?}\n{value:#}"
    );
}

/// Runs `maestro-session --json <args>`, asserts success and validates its object.
fn cli(w: &World, name: &str, args: &[&str], seen: &mut BTreeSet<String>) -> Value {
    let value = maestro_ok(w, args);
    valid(
        name,
        &value,
        &format!("maestro-session --json {}", args.join(" ")),
    );
    seen.insert(name.to_string());
    value
}

/// The one error object a failing `--json` command prints last on stderr.
fn cli_error(w: &World, args: &[&str]) -> Value {
    let (code, _, stderr) = maestro(w, args);
    assert_ne!(code, 0, "{args:?} should fail");
    let line = stderr.lines().last().unwrap_or_default();
    let value: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("{args:?}: stderr is not JSON ({e}): {stderr}"));
    valid("error", &value, &format!("the error of {args:?}"));
    value
}

#[test]
fn every_json_command_output_matches_its_schema() {
    let w = World::new();
    let mut seen = BTreeSet::new();
    cli(&w, "cli-init", &["init"], &mut seen);
    let created = cli(
        &w,
        "cli-session",
        &[
            "create",
            "schema task",
            "--phase",
            "design=architect",
            "--phase",
            "build=coder",
            "--phase",
            "docs",
        ],
        &mut seen,
    );
    let id = created["session_id"]
        .as_str()
        .expect("session_id")
        .to_string();
    let id = id.as_str();
    let mut status = cli(&w, "cli-status", &["status", id], &mut seen);
    // The schemas are strict: a key they do not name, or one missing, fails.
    let validator = jsonschema::validator_for(&schema("cli-status")).expect("a schema");
    status["surprise"] = json!(1);
    assert!(!validator.is_valid(&status), "an unknown key passed");
    if let Some(obj) = status.as_object_mut() {
        obj.remove("surprise");
        obj.remove("location");
    }
    assert!(!validator.is_valid(&status), "a missing key passed");
    cli(
        &w,
        "cli-session",
        &["transition", id, "planning"],
        &mut seen,
    );
    cli(&w, "cli-session", &["phase", "start", id, "1"], &mut seen);
    cli(
        &w,
        "cli-session",
        &["tokens", id, "--agent", "architect", "--input", "5"],
        &mut seen,
    );
    cli(
        &w,
        "cli-session",
        &[
            "error",
            "add",
            id,
            "1",
            "--agent",
            "architect",
            "--type",
            "runtime",
            "--message",
            "m",
        ],
        &mut seen,
    );
    cli(
        &w,
        "cli-session",
        &["error", "resolve", id, "1", "1", "--resolution", "fixed"],
        &mut seen,
    );
    cli(
        &w,
        "cli-session",
        &["files", id, "1", "--created", "src/a.rs"],
        &mut seen,
    );
    cli(
        &w,
        "cli-session",
        &["context", id, "1", "--interface", "A", "--warning", "W"],
        &mut seen,
    );
    cli(
        &w,
        "cli-session",
        &["set", id, "execution_mode", "sequential"],
        &mut seen,
    );
    cli(
        &w,
        "cli-session",
        &["phase", "complete", id, "1", "--output", "done"],
        &mut seen,
    );
    cli(&w, "cli-session", &["phase", "start", id, "2"], &mut seen);
    cli(
        &w,
        "cli-session",
        &["phase", "fail", id, "2", "--message", "broke"],
        &mut seen,
    );
    cli(&w, "cli-session", &["phase", "retry", id, "2"], &mut seen);
    cli(&w, "cli-session", &["phase", "skip", id, "3"], &mut seen);
    cli(&w, "cli-session", &["show", id], &mut seen);
    cli(&w, "cli-session", &["show", "--log"], &mut seen);
    cli(&w, "cli-list", &["list"], &mut seen);
    cli(&w, "cli-search", &["search", "schema"], &mut seen);
    cli(
        &w,
        "cli-checkpoint-create",
        &["checkpoint", "create", id, "--name", "mark"],
        &mut seen,
    );
    cli(
        &w,
        "cli-checkpoint-list",
        &["checkpoint", "list", id],
        &mut seen,
    );
    // A checkpoint record that does not parse: reported as the one error object.
    let folder = w.state().join("checkpoints").join(id);
    std::fs::write(folder.join("900.json"), "{not json").expect("write");
    std::fs::write(folder.join("900.md"), "x").expect("write");
    let list = cli(
        &w,
        "cli-checkpoint-list",
        &["checkpoint", "list", id],
        &mut seen,
    );
    let unreadable = &list["unreadable"];
    assert_eq!(unreadable.as_array().map(Vec::len), Some(1), "{list}");
    valid(
        "error",
        &unreadable[0],
        "checkpoint list's unreadable record",
    );
    assert!(
        unreadable[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("900.json")),
        "{list}"
    );
    std::fs::remove_file(folder.join("900.json")).expect("remove");
    std::fs::remove_file(folder.join("900.md")).expect("remove");
    cli(
        &w,
        "cli-checkpoint-diff",
        &["checkpoint", "diff", id, "mark"],
        &mut seen,
    );
    cli(
        &w,
        "cli-checkpoint-restore",
        &["checkpoint", "restore", id, "mark"],
        &mut seen,
    );
    cli(&w, "cli-log", &["log", id], &mut seen);
    let export = w.root().join("tmp/export.json");
    let export = export.to_str().expect("UTF-8 temp path");
    cli(
        &w,
        "cli-export",
        &["export", id, "--output", export],
        &mut seen,
    );
    cli(&w, "cli-report", &["report", id], &mut seen);
    let page = w.root().join("tmp/report.html");
    cli(
        &w,
        "cli-report",
        &["report", id, "--output", page.to_str().expect("UTF-8")],
        &mut seen,
    );
    cli(&w, "cli-session", &["pause", id], &mut seen);
    cli(&w, "cli-archive", &["archive", id], &mut seen);
    let resumed = cli(&w, "cli-resume", &["resume", id], &mut seen);
    assert_eq!(resumed["continue_with"]["name"], "build", "{resumed}");
    let fork = cli(&w, "cli-session", &["fork", id], &mut seen);
    let fork_id = fork["session_id"].as_str().expect("fork id").to_string();
    cli(&w, "cli-session", &["cancel", &fork_id], &mut seen);
    cli(&w, "cli-session", &["status", id, "completed"], &mut seen);
    cli(
        &w,
        "cli-import",
        &["import", export, "--as", "2026-01-01-imported"],
        &mut seen,
    );
    cli(
        &w,
        "cli-cleanup",
        &["cleanup", "--older-than", "1s", "--dry-run"],
        &mut seen,
    );
    cli(&w, "cli-delete", &["delete", &fork_id], &mut seen);
    cli(&w, "cli-doctor", &["doctor"], &mut seen);
    cli(&w, "cli-completions", &["completions", "bash"], &mut seen);
    // `schema` prints the JSON Schema of session frontmatter: a schema document itself.
    let frontmatter = maestro_ok(&w, &["schema"]);
    jsonschema::validator_for(&frontmatter).expect("schema --json is a usable JSON Schema");
    let bin = w.root().join("tmp");
    cli(
        &w,
        "cli-setup",
        &["setup", "claude", "--bin-dir", bin.to_str().expect("UTF-8")],
        &mut seen,
    );

    // watch --once --json: JSON Lines, the session first.
    let mut cmd = w.cmd("maestro-session");
    cmd.args(["--json", "watch", "--once", id]);
    let out = run(cmd, b"");
    assert!(
        out.status.success(),
        "watch: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(
        lines.first().map(|l| &l["type"]),
        Some(&json!("session")),
        "{text}"
    );
    assert!(lines.len() > 1, "events follow the session: {text}");
    for line in &lines {
        valid("cli-watch-line", line, "a line of watch --json");
    }
    seen.insert("cli-watch-line".into());

    // Errors: refused, usage (with its usage line), and a file skipped from a listing.
    let refused = cli_error(&w, &["show", "no-such-session"]);
    assert_eq!(refused["kind"], "not_found", "{refused}");
    let usage = cli_error(&w, &["phase", "start"]);
    assert_eq!(usage["kind"], "usage");
    assert!(usage["usage"].is_string(), "{usage}");
    std::fs::write(
        w.state().join("archive/2026-01-02-broken.md"),
        "---\n[\n---\n",
    )
    .expect("write");
    let (code, list, stderr) = maestro(&w, &["list"]);
    assert_eq!(code, 0, "{stderr}");
    valid("cli-list", &list, "list with an unreadable file");
    let unreadable = list["unreadable"].as_array().expect("unreadable");
    assert_eq!(unreadable.len(), 1, "{list}");
    let warning: Value = serde_json::from_str(stderr.lines().next().unwrap_or_default())
        .unwrap_or_else(|e| panic!("the warning is JSON ({e}): {stderr}"));
    valid("error", &warning, "the unreadable-file warning");
    assert!(warning["warning"].is_string(), "{warning}");

    let every_cli: BTreeSet<String> = schema_names("cli-")
        .into_iter()
        .filter(|n| !n.starts_with("cli-team-"))
        .collect();
    let missed: Vec<&String> = every_cli.difference(&seen).collect();
    assert!(missed.is_empty(), "no real output validated for {missed:?}");
}

/// The names of the checked-in schemas starting with `prefix`.
fn schema_names(prefix: &str) -> BTreeSet<String> {
    std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/schemas"))
        .expect("docs/schemas")
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_string)
        })
        .filter(|n| n.starts_with(prefix))
        .collect()
}

/// Whether tmux runs here.
fn have_tmux() -> bool {
    std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The tmux socket of `w` (no server runs on it until a team starts one).
fn tmux_socket(w: &World) -> PathBuf {
    w.root().join("tmp/tmux.sock")
}

/// Writes the team record `name` by hand, as `team create` would (two members running
/// `sleep`, in the project folder, tied to `session`); its tmux session has no server.
fn team_record(w: &World, name: &str, session: Option<&str>) {
    let dir = w.state().join("teams");
    std::fs::create_dir_all(&dir).expect("mkdir teams");
    let member = |role: &str| {
        json!({"role": role, "runtime": {"kind": "command", "argv": ["sleep", "600"]},
               "cwd": w.project(), "runtime_session_id": null, "started": false,
               "last_activity": null, "branch": null, "base": null, "container": null,
               "volume": null, "created": {}})
    };
    let record = json!({
        "version": 1, "name": name, "project_root": w.project(), "session": session,
        "tmux_session": format!("maestro-schema-{name}"), "containers": null,
        "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z",
        "stopped": false, "members": [member("coder"), member("tester")],
    });
    std::fs::write(
        dir.join(format!("{name}.json")),
        serde_json::to_vec_pretty(&record).expect("json"),
    )
    .expect("write team record");
}

/// Runs `maestro-session --json team <args>` on `w`'s own tmux socket, asserts exit code
/// `code` and validates its object against `name`.
fn team_cli(w: &World, name: &str, args: &[&str], code: i32, seen: &mut BTreeSet<String>) -> Value {
    let mut cmd = w.cmd("maestro-session");
    cmd.env("MAESTRO_TMUX_SOCKET", tmux_socket(w))
        .args(["--json", "team"])
        .args(args);
    let out = run(cmd, b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "team {args:?}: {stderr}");
    let value: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("team {args:?}: stdout is not JSON ({e}): {stderr}"));
    valid(
        name,
        &value,
        &format!("maestro-session --json team {}", args.join(" ")),
    );
    seen.insert(name.to_string());
    value
}

/// Kills the tmux server of `w`'s socket, if one runs.
struct TmuxServer(PathBuf);

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&self.0)
            .arg("kill-server")
            .output();
    }
}

#[test]
fn every_team_json_output_matches_its_schema() {
    let w = World::new();
    let _server = TmuxServer(tmux_socket(&w));
    maestro_ok(&w, &["init"]);
    let mut seen = BTreeSet::new();
    // Without a tmux server: the record says two members, a probe finds none.
    team_record(&w, "hand", None);
    let list = team_cli(&w, "cli-team-list", &["list"], 0, &mut seen);
    assert_eq!(list["totals"]["missing"], 2, "{list}");
    let health = team_cli(&w, "cli-team-health", &["health", "hand"], 1, &mut seen);
    assert_eq!(health["worst"], "missing", "{health}");
    team_cli(&w, "cli-team-stop", &["stop", "hand"], 0, &mut seen);
    let attach = team_cli(
        &w,
        "cli-team-attach",
        &["attach", "hand", "--print"],
        0,
        &mut seen,
    );
    assert!(attach["command"].is_array(), "{attach}");
    let export = team_cli(&w, "cli-team-export", &["export", "hand"], 0, &mut seen);
    assert_eq!(
        export["events"][0]["op"], "stop",
        "the stop above is in the log: {export}"
    );
    let file = w.root().join("tmp/team.json");
    let file_arg = file.to_str().expect("UTF-8 temp path");
    team_cli(
        &w,
        "cli-team-export-file",
        &["export", "hand", "--output", file_arg],
        0,
        &mut seen,
    );
    let written: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("export file")).expect("JSON");
    valid(
        "cli-team-export",
        &written,
        "the file team export --output wrote",
    );
    // A record that does not parse: the one error object, kept.
    std::fs::write(w.state().join("teams/bad.json"), "{not json").expect("write");
    let list = team_cli(&w, "cli-team-list", &["list"], 0, &mut seen);
    assert_eq!(list["unreadable"][0]["kind"], "io", "{list}");
    let dry = team_cli(
        &w,
        "cli-team-cleanup",
        &["cleanup", "--remove", "hand", "--dry-run"],
        0,
        &mut seen,
    );
    assert_eq!(dry["unreadable"].as_array().map(Vec::len), Some(1), "{dry}");
    assert!(
        w.state().join("teams/hand.json").exists(),
        "a dry run removes nothing"
    );
    // A failure is the one error object on stderr.
    let mut cmd = w.cmd("maestro-session");
    cmd.env("MAESTRO_TMUX_SOCKET", tmux_socket(&w))
        .args(["--json", "team", "health", "nobody"]);
    let out = run(cmd, b"");
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error: Value = serde_json::from_str(stderr.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {stderr}"));
    valid("error", &error, "the error of team health nobody");

    let mut every = schema_names("cli-team-");
    if have_tmux() {
        // With a server on the test's own socket: members started, resumed, removed.
        team_cli(
            &w,
            "cli-team-create",
            &[
                "create",
                "made",
                "--no-worktrees",
                "--member",
                "a=command:sleep 600",
            ],
            0,
            &mut seen,
        );
        let resumed = team_cli(&w, "cli-team-resume", &["resume", "hand"], 0, &mut seen);
        assert_eq!(
            resumed["done"].as_array().map(Vec::len),
            Some(2),
            "{resumed}"
        );
        let removed = team_cli(
            &w,
            "cli-team-cleanup",
            &["cleanup", "--remove", "made"],
            0,
            &mut seen,
        );
        assert_eq!(removed["teams"][0]["removed"], true, "{removed}");
    } else {
        eprintln!("skipped: tmux is not installed (team create, resume and cleanup not run)");
        every.remove("cli-team-create");
        every.remove("cli-team-resume");
    }
    let missed: Vec<&String> = every.difference(&seen).collect();
    assert!(missed.is_empty(), "no real output validated for {missed:?}");
}

fn server(w: &World) -> McpClient {
    let mut cmd = w.cmd("maestro-session");
    cmd.arg("mcp")
        .env("MAESTRO_WORKSPACE_PATH", w.project())
        .env("MAESTRO_TMUX_SOCKET", tmux_socket(w));
    McpClient::start(cmd)
}

#[test]
fn every_mcp_tool_result_matches_its_schema() {
    let w = World::new();
    let mut c = server(&w);
    let mut seen = BTreeSet::new();
    let mut ok = |c: &mut McpClient, tool: &str, args: Value| -> Value {
        let value = c.ok(tool, args.clone());
        valid(&format!("mcp-{tool}"), &value, &format!("{tool} {args}"));
        seen.insert(tool.to_string());
        value
    };
    ok(&mut c, "initialize_workspace", json!({}));
    let none = ok(&mut c, "get_session_status", json!({}));
    assert_eq!(none["exists"], false);
    ok(&mut c, "enter_design_gate", json!({"session_id": "s1"}));
    ok(
        &mut c,
        "get_design_gate_status",
        json!({"session_id": "s1"}),
    );
    ok(
        &mut c,
        "record_design_approval",
        json!({"session_id": "s1", "design_document_content": "# D\n", "design_document_filename": "d.md"}),
    );
    let phases = json!([
        {"id": 1, "name": "P1", "agent": "coder", "parallel": false, "blocked_by": [], "files": ["x"]},
        {"id": 2, "name": "P2", "agent": "tester", "parallel": false, "blocked_by": [1], "files": []},
    ]);
    ok(
        &mut c,
        "create_session",
        json!({"session_id": "s1", "task": "t", "task_complexity": "simple", "phases": phases,
               "implementation_plan_content": "# Plan\n", "implementation_plan_filename": "plan.md"}),
    );
    let status = ok(&mut c, "get_session_status", json!({"session_id": "other"}));
    assert!(status["note"].is_string(), "{status}");
    ok(
        &mut c,
        "update_session",
        json!({"session_id": "s1", "execution_mode": "sequential"}),
    );
    ok(
        &mut c,
        "scan_phase_changes",
        json!({"session_id": "s1", "phase_id": 1}),
    );
    ok(
        &mut c,
        "reconcile_phase",
        json!({"session_id": "s1", "phase_id": 1, "files_created": ["x"], "reason": "found on disk"}),
    );
    ok(
        &mut c,
        "record_error",
        json!({"phase_id": 1, "agent": "coder", "type": "runtime", "message": "m"}),
    );
    ok(
        &mut c,
        "record_tokens",
        json!({"agent": "coder", "input": 3, "output": 2}),
    );
    ok(
        &mut c,
        "transition_phase",
        json!({"session_id": "s1", "completed_phase_id": 1, "files_created": ["x"], "next_phase_id": 2,
               "downstream_context": {"warnings": ["w"]}}),
    );
    ok(&mut c, "show_session", json!({}));
    // s1 paused; a second session parks it; s1 resumes (parking s2) and is archived.
    maestro_ok(&w, &["pause", "s1"]);
    let second = ok(
        &mut c,
        "create_session",
        json!({"session_id": "s2", "task": "t2", "phases": [{"id": 1, "name": "Q", "agent": "coder", "parallel": false, "blocked_by": []}]}),
    );
    assert_eq!(second["parked"], "s1", "{second}");
    ok(
        &mut c,
        "resume_session",
        json!({"session_id": "s1", "park": true}),
    );
    ok(&mut c, "archive_session", json!({"session_id": "s1"}));
    std::fs::write(
        w.state().join("archive/2026-01-02-broken.md"),
        "---\n[\n---\n",
    )
    .expect("write");
    let list = ok(&mut c, "list_sessions", json!({}));
    assert_eq!(
        list["unreadable"].as_array().map(Vec::len),
        Some(1),
        "{list}"
    );
    assert!(
        list["unreadable"][0]["kind"].is_string(),
        "the one error object: {list}"
    );

    // A team tied to s2, whose roles are phase agents, and one record that does not parse.
    team_record(&w, "hand", Some("s2"));
    let teams = ok(&mut c, "get_team_status", json!({"name": "hand"}));
    assert_eq!(teams["teams"][0]["members"][0]["cwd"], ".", "{teams}");
    assert!(
        teams["teams"][0]["members"][0]["phase"]
            .as_str()
            .is_some_and(|p| p.starts_with("1 Q")),
        "the coder's phase: {teams}"
    );
    std::fs::write(w.state().join("teams/bad.json"), "{not json").expect("write");
    let teams = ok(&mut c, "get_team_status", json!({}));
    assert_eq!(teams["unreadable"][0]["kind"], "io", "{teams}");

    let failure = c.err("show_session", json!({"session_id": "no-such-session"}));
    valid("mcp-tool-error", &failure, "a tool's failure");

    let tools: BTreeSet<String> = c.tool_names().into_iter().collect();
    let missed: Vec<&String> = tools.difference(&seen).collect();
    assert!(missed.is_empty(), "no real result validated for {missed:?}");
}
