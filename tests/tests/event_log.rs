//! The event log (issue 11) through the built executables: every change by the command line,
//! an MCP tool, `write-state` or a hook appends one line to `state/events/<id>.jsonl`;
//! `maestro-session log` prints it (also `--follow`); a process killed mid-append leaves a torn
//! line that reads skip, `doctor` reports and `doctor --fix` removes, and the next event starts
//! on a line of its own.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use e2e_tests::{
    Ran, World, fixture, interrupt, json_out, lines_of, next_line, run, session_doc, stderr_lines,
};
use serde_json::{Value, json};

/// The session of `fixtures/maestro-state/active-session.yaml.md`.
const FIXTURE_SESSION: &str = "2026-11-20-rest-api-auth";

/// `log <id> --json`, asserting success.
fn log(world: &World, id: &str) -> Value {
    let ran = world.maestro(&["log", id]);
    ran.assert_ok();
    ran.json()
}

fn events(world: &World, id: &str) -> Vec<Value> {
    log(world, id)["events"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no events array for {id}"))
}

fn ops(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or("?").to_string(),
                e["op"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect()
}

fn change<'a>(event: &'a Value, path: &str) -> &'a Value {
    event["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["path"] == path))
        .unwrap_or_else(|| panic!("no change at {path} in {event}"))
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn log_file(world: &World, id: &str) -> std::path::PathBuf {
    world.state().join("events").join(format!("{id}.jsonl"))
}

#[test]
fn command_line_changes_are_logged_with_actor_op_and_changes() {
    let world = World::new();
    let id = world.create(
        "Log everything",
        &["--phase", "Build=coder", "--phase", "Test=tester"],
    );
    world.maestro(&["phase", "start", &id, "1"]).assert_ok();
    world.maestro(&["phase", "complete", &id, "1"]).assert_ok();
    world
        .maestro(&["tokens", &id, "--agent", "coder", "--input", "12"])
        .assert_ok();
    // Paused first: archiving a session in progress completes it (as MCP archive_session does),
    // and a completed session is not resumed.
    world.maestro(&["pause", &id]).assert_ok();
    world.maestro(&["archive", &id]).assert_ok();
    world.maestro(&["resume", &id]).assert_ok();

    let all = events(&world, &id);
    assert_eq!(
        ops(&all),
        pairs(&[
            ("cli", "create"),
            ("cli", "phase start"),
            ("cli", "phase complete"),
            ("cli", "tokens"),
            ("cli", "pause"),
            ("cli", "archive"),
            ("cli", "resume"),
        ])
    );
    for e in &all {
        assert_eq!(e["v"], 1);
        assert_eq!(e["session"], id.as_str());
        let time = e["time"].as_str().expect("time");
        assert!(time.ends_with('Z') && time.len() == 24, "{time}");
    }
    assert_eq!(change(&all[0], "/task")["after"], "Log everything");
    assert_eq!(
        change(&all[2], "/phases/0/status"),
        &json!({"path": "/phases/0/status", "before": "in_progress", "after": "completed"})
    );
    assert_eq!(change(&all[3], "/token_usage/total_input")["after"], 12);
    assert_eq!(all[5]["file"], format!("state/archive/{id}.md"));
    assert_eq!(all[6]["file"], "state/active-session.md");
    // One line per event, in the file the README names.
    let text = std::fs::read_to_string(log_file(&world, &id)).expect("log file");
    assert_eq!(text.lines().count(), 7);
    assert!(text.ends_with('\n'));

    // The human rendering names the change compactly; a prefix resolves like `show`.
    let mut cmd = world.cmd("maestro-session");
    cmd.args(["log", &id[..12]]);
    let human = Ran::of(cmd, b"");
    human.assert_ok();
    let text = human.stdout_text();
    assert!(
        text.contains("phase complete")
            && text.contains("phases/0/status: in_progress → completed"),
        "{text}"
    );
    // --since drops what is older.
    let later = world.maestro(&["log", &id, "--since", "2999-01-01T00:00:00Z"]);
    later.assert_ok();
    assert_eq!(later.json()["events"], json!([]));
}

#[test]
fn forks_start_their_own_log_and_cleanup_removes_logs_delete_keeps() {
    let world = World::new();
    let id = world.create("Parent", &["--phase", "One=coder"]);
    let fork = world.maestro(&["fork", &id]);
    fork.assert_ok();
    let fork_id = fork.json()["session_id"]
        .as_str()
        .expect("fork id")
        .to_string();
    let forked = events(&world, &fork_id);
    assert_eq!(ops(&forked), pairs(&[("cli", "fork")]));
    assert_eq!(forked[0]["parent"], id.as_str());
    assert_eq!(ops(&events(&world, &id)), pairs(&[("cli", "create")]));

    world.maestro(&["delete", &fork_id]).assert_ok();
    assert!(log_file(&world, &fork_id).is_file(), "delete keeps the log");
    let kept = events(&world, &fork_id);
    assert_eq!(
        ops(&kept),
        pairs(&[("cli", "fork"), ("cli", "delete")]),
        "the exact id finds a deleted session's log"
    );

    world.maestro(&["cancel", &id]).assert_ok();
    world.maestro(&["archive", &id]).assert_ok();
    world.maestro(&["cleanup", &id]).assert_ok();
    assert!(!log_file(&world, &id).exists(), "cleanup removes the log");
}

#[test]
fn write_state_is_logged_as_write_state() {
    let world = World::new();
    let doc = session_doc("ws-1", "in_progress", "2026-11-20T09:00:00Z");
    let mut cmd = world.cmd("write-state");
    cmd.arg("docs/maestro/state/active-session.md");
    let out = run(cmd, doc.as_bytes());
    assert!(out.status.success(), "{:?}", stderr_lines(&out));
    let changed = doc.replace("status: \"in_progress\"", "status: \"paused\"");
    let mut cmd = world.cmd("write-state");
    cmd.arg("docs/maestro/state/active-session.md");
    let out = run(cmd, changed.as_bytes());
    assert!(out.status.success(), "{:?}", stderr_lines(&out));

    let all = events(&world, "ws-1");
    assert_eq!(
        ops(&all),
        pairs(&[("write-state", "write"), ("write-state", "write")])
    );
    assert_eq!(change(&all[0], "/session_id")["after"], "ws-1");
    assert_eq!(
        change(&all[1], "/status"),
        &json!({"path": "/status", "before": "in_progress", "after": "paused"})
    );
    assert_eq!(all[1]["file"], "state/active-session.md");
}

/// Sends `messages` to `maestro-session mcp`, one per line, and returns the answers to the
/// requests among them (stdin is closed once every answer came).
fn mcp(world: &World, messages: &[Value]) -> Vec<Value> {
    let mut cmd = world.cmd("maestro-session");
    cmd.arg("mcp")
        .env("MAESTRO_WORKSPACE_PATH", world.project())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().expect("spawn mcp");
    let lines = lines_of(&mut child);
    let mut stdin = child.stdin.take().expect("stdin");
    let mut answers = Vec::new();
    for m in messages {
        writeln!(stdin, "{m}").expect("write");
        stdin.flush().expect("flush");
        if m.get("id").is_some() {
            let line = next_line(&lines);
            answers.push(serde_json::from_str(&line).expect("json answer"));
        }
    }
    drop(stdin);
    let _ = child.wait();
    answers
}

#[test]
fn an_mcp_tool_call_is_logged_as_mcp() {
    let world = World::new();
    let id = world.create("Over MCP", &["--phase", "One=coder"]);
    let init: Value = serde_json::from_slice(&fixture("mcp/initialize.json")).expect("fixture");
    let answers = mcp(
        &world,
        &[
            init,
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
                "name": "record_tokens",
                "arguments": {"session_id": id, "agent": "coder", "input": 7, "output": 3}}}),
        ],
    );
    assert_eq!(answers[1]["result"]["isError"], false, "{}", answers[1]);
    let all = events(&world, &id);
    assert_eq!(ops(&all), pairs(&[("cli", "create"), ("mcp", "tokens")]));
    assert_eq!(change(&all[1], "/token_usage/total_output")["after"], 3);
}

fn hook(world: &World, name: &str, args: &[&str], payload: &[u8]) -> Value {
    let mut cmd = world.cmd(name);
    cmd.args(args);
    let out = run(cmd, payload);
    assert!(out.status.success(), "{name}: {:?}", out.status);
    assert!(
        stderr_lines(&out).is_empty(),
        "{name}: {:?}",
        stderr_lines(&out)
    );
    json_out(&out)
}

#[test]
fn hooks_log_agents_started_blocked_and_allowed() {
    let world = World::new().with_active_session();
    let gemini = |name: &str, payload: &str| {
        hook(
            &world,
            name,
            &[],
            &fixture(&format!("gemini-cli-0.61/{payload}.json")),
        )
    };
    gemini("before-agent", "before-agent-deny-run");
    let deny = gemini("after-agent", "after-agent-missing-section");
    assert_eq!(deny["decision"], "deny");
    gemini("before-agent", "before-agent");
    assert_eq!(gemini("after-agent", "after-agent")["decision"], "allow");
    // Claude Code's dialect names its own events.
    let start = json!({"session_id": "c1", "agent_id": "a1", "agent_type": "tester",
        "hook_event_name": "SubagentStart", "cwd": world.project()});
    hook(
        &world,
        "before-agent",
        &["--runtime", "claude"],
        start.to_string().as_bytes(),
    );

    let all = events(&world, FIXTURE_SESSION);
    assert_eq!(
        ops(&all),
        pairs(&[
            ("hook:BeforeAgent", "agent started"),
            ("hook:AfterAgent", "agent blocked"),
            ("hook:BeforeAgent", "agent started"),
            ("hook:AfterAgent", "agent allowed"),
            ("hook:SubagentStart", "agent started"),
        ])
    );
    assert_eq!(all[0]["agent"], "coder");
    assert!(
        all[1]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("Handoff report validation failed")),
        "{}",
        all[1]
    );
    assert_eq!(all[4]["agent"], "tester");
    assert_eq!(all[4]["changes"], json!([]));
}

#[test]
fn a_kill_mid_append_leaves_a_torn_line_that_is_skipped_reported_and_fixed() {
    let world = World::new();
    let id = world.create("Crash while logging", &["--phase", "One=coder"]);
    // The command is SIGKILLed after writing 25 bytes of its event line.
    let mut cmd = world.cmd("maestro-session");
    cmd.env("MAESTRO_CRASH_MID_APPEND", "25")
        .args(["phase", "start", &id, "1"]);
    let out = run(cmd, b"");
    assert_eq!(out.status.signal(), Some(9), "killed: {:?}", out.status);
    let bytes = std::fs::read(log_file(&world, &id)).expect("log");
    assert!(!bytes.ends_with(b"\n"), "the last line is torn");
    // The change itself was made before its line.
    assert_eq!(world.show(&id)["phases"][0]["status"], "in_progress");

    let torn = log(&world, &id);
    assert_eq!(torn["skipped_lines"], json!([2]));
    assert_eq!(
        ops(torn["events"].as_array().expect("events")),
        pairs(&[("cli", "create")])
    );
    let mut cmd = world.cmd("maestro-session");
    cmd.args(["log", &id]);
    let human = Ran::of(cmd, b"");
    human.assert_ok();
    assert!(human.stderr.contains("skipped line 2"), "{}", human.stderr);

    let doctor = world.maestro(&["doctor"]);
    doctor.assert_code(1);
    let problems = doctor.json()["problems"].clone();
    let rel = format!("state/events/{id}.jsonl");
    assert!(
        problems
            .as_array()
            .expect("problems")
            .iter()
            .any(|p| p["kind"] == "torn_event"
                && p["path"] == rel.as_str()
                && p["detail"].as_str().is_some_and(|d| d.contains("line 2"))),
        "{problems}"
    );

    // The next event starts on a line of its own and reads back.
    world.maestro(&["phase", "complete", &id, "1"]).assert_ok();
    let after = log(&world, &id);
    assert_eq!(after["skipped_lines"], json!([2]));
    assert_eq!(
        ops(after["events"].as_array().expect("events")),
        pairs(&[("cli", "create"), ("cli", "phase complete")])
    );
    let text = std::fs::read_to_string(log_file(&world, &id)).expect("log");
    assert_eq!(text.lines().count(), 3);
    assert!(
        text.lines()
            .nth(2)
            .is_some_and(|l| l.starts_with("{\"v\":1"))
    );

    // doctor --fix copies the torn line to quarantine and blanks it in place: the log keeps
    // its length (a hook appending meanwhile loses nothing).
    let torn_line = text.lines().nth(1).expect("line 2").to_string();
    world.maestro(&["doctor", "--fix"]).assert_ok();
    world.maestro(&["doctor"]).assert_ok();
    let fixed = log(&world, &id);
    assert_eq!(fixed["skipped_lines"], json!([]));
    assert_eq!(fixed["events"].as_array().map(Vec::len), Some(2));
    let now = std::fs::read_to_string(log_file(&world, &id)).expect("log");
    assert_eq!(now.len(), text.len(), "the log is never rewritten");
    assert_eq!(
        now.lines().nth(1),
        Some(" ".repeat(torn_line.len()).as_str())
    );
    let kept = world.state().join("quarantine");
    let quarantined: Vec<(String, String)> = std::fs::read_dir(&kept)
        .expect("quarantine")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        quarantined
            .iter()
            .any(|(n, bytes)| n.ends_with(&format!("{id}.jsonl-line-2")) && *bytes == torn_line),
        "{quarantined:?}"
    );
}

#[test]
fn follow_prints_appended_events_and_ends_on_ctrl_c() {
    // A session without a log yet (written before the log existed): the file is created later.
    let world = World::new().with_active_session();
    let mut cmd = world.cmd("maestro-session");
    cmd.args(["--json", "log", "active", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().expect("spawn log --follow");
    let lines = lines_of(&mut child);
    // Give it time to start waiting; an event before that is printed as well.
    std::thread::sleep(std::time::Duration::from_millis(300));
    world
        .maestro(&["tokens", "active", "--agent", "coder", "--input", "1"])
        .assert_ok();
    let first: Value = serde_json::from_str(&next_line(&lines)).expect("json line");
    assert_eq!(
        (first["actor"].as_str(), first["op"].as_str()),
        (Some("cli"), Some("tokens"))
    );
    world
        .maestro(&[
            "error",
            "add",
            "active",
            "2",
            "--agent",
            "coder",
            "--type",
            "runtime",
            "--message",
            "boom",
        ])
        .assert_ok();
    let second: Value = serde_json::from_str(&next_line(&lines)).expect("json line");
    assert_eq!(second["op"], "error add");
    assert_eq!(second["session"], FIXTURE_SESSION);
    let status = interrupt(&mut child, "log --follow did not end on Ctrl-C");
    assert_eq!(status.code(), Some(0), "{status:?}");
}
