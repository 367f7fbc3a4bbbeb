//! The attacks of 2026-12-06 on what every surface writes, prints and answers (issue 15, items
//! 2, 6, 10, 11, 12), through the built executables, each checking that nothing outside the
//! project changed and no session was lost ([`World::watch`] before, [`Watch::check`] after).
//!
//!  1. Case 01, what we write we can read back: an agent name of 1,030 characters is refused
//!     with a usage error naming it by `tokens`, `error add`, `phase fail`, `create --phase`,
//!     MCP `record_tokens`, `record_error`, `create_session` and
//!     `transition_phase.token_usage.agent`, and the session still reads; the hooks ignore one
//!     in Claude Code's `agent_type` and Gemini CLI's `agent:` line; `write-state` refuses one
//!     as a `by_agent` key; a transcript path of 1,100 characters (a key of
//!     `transcript_usage.transcripts`) is counted and the session still reads; `tokens --agent
//!     Code-Reviewer` adds to the phase's `code_reviewer` row.
//!     (`long_agent_names_are_refused_everywhere_and_the_session_reads`,
//!     `hooks_ignore_long_agent_names`, `write_state_refuses_a_long_by_agent_key`,
//!     `a_long_transcript_path_is_counted_and_the_session_reads`,
//!     `one_agent_is_one_row_whatever_its_spelling`)
//!  2. Case 30 and 31, MCP protocol errors: a number out of range, a non-UTF-8 byte and a
//!     17 MiB line get -32700 / -32600 with `"id": null` and the server goes on; `tools/call`
//!     with `arguments` an array, `name` a number, `params` a string get -32602 / -32600 with
//!     the request's id, naming the param; a batch, a boolean id and a missing `jsonrpc` get
//!     -32600; a malformed notification gets nothing and the server still answers; a request
//!     before `initialize` gets -32600 and the handshake still works; every tool called with a
//!     wrong-typed argument is a tool error naming it.
//!     (`undecodable_requests_get_an_answer`, `malformed_params_are_invalid_params`,
//!     `invalid_requests_are_invalid_requests`,
//!     `requests_before_initialize_are_answered_and_the_handshake_still_works`,
//!     `every_tool_names_its_wrong_typed_argument`)
//!  3. Case 32, terminal output: U+202E, the isolates, ESC sequences and the 8-bit CSI in a
//!     task, a phase name, an agent's error message and the log never reach stdout or stderr
//!     of show, list, list --wide, search, log, watch --once, status and the phase commands;
//!     tables still line up; the HTML report neutralises them.
//!     (`bidi_and_escape_characters_never_reach_the_terminal`,
//!     `the_report_neutralises_bidi_characters`)
//!  4. Item 6, a stale `write-state`: based on an older revision, with tokens and an error
//!     recorded since, it is merged (both kept, stderr says so); when it changed what a
//!     command changed since, it is refused naming the field and nothing changes; without a
//!     revision it is merged from the oldest revision the log knows; with a newer one, or
//!     with a lost log line in between it is refused.
//!     (`a_stale_write_state_keeps_what_was_recorded_since`,
//!     `a_stale_write_state_that_conflicts_is_refused`,
//!     `a_write_state_without_a_known_base_is_merged_or_refused`)
//!  5. Item 12 and its "Also": a failing command in a project without a state dir creates
//!     nothing; `archive` and MCP `archive_session` complete an in-progress session alike and
//!     keep a paused one paused; `total_phases` is one number in status, list, watch and MCP;
//!     the release build has no fault injection.
//!     (`failing_commands_in_a_folder_without_sessions_create_nothing`,
//!     `archive_and_archive_session_follow_one_rule`, `total_phases_has_one_definition`,
//!     `the_release_build_has_no_fault_injection`)
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use e2e_tests::{Ran, World, fixture};
use serde_json::{Value, json};

const ACTIVE: &str = "docs/maestro/state/active-session.md";
const RLO: char = '\u{202e}';

fn long_name() -> String {
    "b".repeat(1030)
}

/// `maestro-session --json show <id>` succeeds: the session still reads.
fn reads(world: &World) -> Value {
    let ran = world.maestro(&["show", "active"]);
    ran.assert_ok();
    ran.json()
}

// ---------------------------------------------------------------------------------------------
// 1. What we write, we can read back.

#[test]
fn long_agent_names_are_refused_everywhere_and_the_session_reads() {
    let world = World::new();
    world.create("Long agent", &["--phase", "A=coder"]);
    world
        .maestro(&["phase", "start", "active", "1"])
        .assert_ok();
    let watch = world.watch();
    let a = long_name();
    for args in [
        vec!["tokens", "active", "--agent", &a, "--input", "1"],
        vec![
            "error",
            "add",
            "active",
            "1",
            "--agent",
            &a,
            "--type",
            "runtime",
            "--message",
            "m",
        ],
        vec![
            "phase",
            "fail",
            "active",
            "1",
            "--agent",
            &a,
            "--message",
            "m",
        ],
    ] {
        let ran = world.maestro(&args);
        ran.assert_code(2);
        let error = ran.json_error()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            error.contains("(1030 bytes)") && error.contains("agent name"),
            "{error}"
        );
        assert!(error.len() < 400, "the name is not quoted whole: {error}");
    }
    watch.assert_sessions_unchanged(&world);
    let phase = format!("B={a}");
    world
        .maestro(&["create", "Other", "--phase", &phase, "--park"])
        .assert_code(2);
    // The same rule through the MCP tools.
    let mut mcp = Mcp::start(&world);
    for (tool, args, param) in [
        ("record_tokens", json!({"agent": a, "input": 1}), "agent"),
        (
            "record_error",
            json!({"phase_id": 1, "agent": a, "type": "runtime", "message": "m"}),
            "agent",
        ),
        (
            "transition_phase",
            json!({"session_id": reads(&world)["session_id"], "completed_phase_id": 1, "token_usage": {"agent": a, "input": 1}}),
            "token_usage.agent",
        ),
        (
            "create_session",
            json!({"session_id": "2026-12-06-x", "task": "t", "phases": [{"id": 1, "name": "p", "agent": a, "parallel": false, "blocked_by": []}]}),
            "phases[0].agent",
        ),
    ] {
        let r = mcp.call(tool, args);
        let error = tool_error(&r);
        assert_eq!(error["code"], "VALIDATION_ERROR", "{tool}: {r}");
        let text = error["error"].as_str().unwrap_or_default();
        assert!(
            text.contains(param) && text.contains("agent name"),
            "{tool}: {text}"
        );
    }
    mcp.finish();
    reads(&world);
    watch.check(&world);
}

#[test]
fn hooks_ignore_long_agent_names() {
    let world = World::new().with_active_session();
    let watch = world.watch();
    let a = long_name();
    let mut start: Value =
        serde_json::from_slice(&fixture("claude-code/transcripts/04-after-agent.json"))
            .expect("payload");
    start["cwd"] = Value::from(world.project().to_string_lossy().into_owned());
    start["agent_type"] = Value::from(a.clone());
    start["hook_event_name"] = Value::from("SubagentStart");
    let ran = world.exec(
        "before-agent",
        &["--runtime", "claude"],
        &serde_json::to_vec(&start).expect("json"),
    );
    ran.assert_ok();
    assert_eq!(ran.json(), json!({}), "no specialist: {ran}");
    let mut gemini: Value =
        serde_json::from_slice(&e2e_tests::before_agent_payload(&world)).expect("payload");
    gemini["prompt"] = Value::from(format!("agent: {a}\nimplement phase 2"));
    world
        .exec(
            "before-agent",
            &[] as &[&str],
            &serde_json::to_vec(&gemini).expect("json"),
        )
        .assert_ok();
    // No hook-state file holds the name.
    for (path, bytes) in walk(&world.hooks()) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&a[..100]),
            "{} holds the long name",
            path.display()
        );
    }
    reads(&world);
    watch.check(&world);
}

#[test]
fn write_state_refuses_a_long_by_agent_key() {
    let world = World::new().with_active_session();
    let watch = world.watch();
    let mut doc = world.show("active");
    doc["token_usage"]["by_agent"][long_name()] = json!({"input": 1, "output": 0, "cached": 0});
    let content = format!(
        "---\n{}\n---\n# log\n",
        serde_json::to_string_pretty(&doc).expect("json")
    );
    let ran = world.exec("write-state", &[ACTIVE], content.as_bytes());
    ran.assert_code(1);
    assert!(
        ran.stderr.contains("by_agent") && ran.stderr.contains("(1030 bytes)"),
        "{ran}"
    );
    watch.assert_sessions_unchanged(&world);
    watch.check(&world);
}

#[test]
fn a_long_transcript_path_is_counted_and_the_session_reads() {
    let world = World::new().with_active_session();
    // Five folders of 220 characters: a path past YAML's 1,024-character implicit-key limit.
    let mut dir = world.root().join("tmp");
    for c in ['p', 'q', 'r', 's', 't'] {
        dir.push(c.to_string().repeat(220));
    }
    std::fs::create_dir_all(&dir).expect("mkdir");
    let transcript = dir.join("agent-a1.jsonl");
    assert!(transcript.to_string_lossy().len() > 1100);
    std::fs::write(
        &transcript,
        fixture("claude-code/transcripts/agent-ab6e9f662501aaedc.jsonl"),
    )
    .expect("transcript");
    let watch = world.watch();
    let mut stop: Value =
        serde_json::from_slice(&fixture("claude-code/transcripts/05-after-agent.json"))
            .expect("payload");
    stop["cwd"] = Value::from(world.project().to_string_lossy().into_owned());
    stop["agent_transcript_path"] = Value::from(transcript.to_string_lossy().into_owned());
    let ran = world.exec(
        "after-agent",
        &["--runtime", "claude"],
        &serde_json::to_vec(&stop).expect("json"),
    );
    ran.assert_ok();
    assert_eq!(ran.stderr, "", "no diagnostics: {ran}");
    let s = reads(&world);
    // Marks are keyed by the file's identity; the long path is a value that reads back.
    let path = transcript.to_string_lossy().into_owned();
    assert!(
        s["transcript_usage"]["transcripts"]
            .as_object()
            .is_some_and(|m| m.values().any(|mark| mark["path"] == path.as_str())),
        "the long path is kept and reads back: {s}"
    );
    let text = std::fs::read_to_string(world.project().join(ACTIVE)).expect("read");
    assert!(
        text.contains(&path),
        "the path is written as a value: {text}"
    );
    watch.check(&world);
}

#[test]
fn one_agent_is_one_row_whatever_its_spelling() {
    let world = World::new();
    world.create("Review", &["--phase", "Review=Code-Reviewer"]);
    let watch = world.watch();
    for spelling in ["Code-Reviewer", "code_reviewer", " CODE-REVIEWER "] {
        world
            .maestro(&["tokens", "active", "--agent", spelling, "--input", "2"])
            .assert_ok();
    }
    let s = reads(&world);
    assert_eq!(s["phases"][0]["agents"], json!(["code_reviewer"]));
    assert_eq!(
        s["token_usage"]["by_agent"],
        json!({"code_reviewer": {"input": 6, "output": 0, "cached": 0}})
    );
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 2. MCP protocol errors.

/// `maestro-session mcp` spoken to line by line.
struct Mcp {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    id: u64,
}

impl Mcp {
    /// Started and initialized.
    fn start(world: &World) -> Mcp {
        let mut mcp = Mcp::spawn(world);
        mcp.send(br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#);
        let init = mcp.recv().expect("initialize answered");
        assert_eq!(init["id"], 0, "{init}");
        mcp.send(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        mcp
    }

    /// Started, nothing sent.
    fn spawn(world: &World) -> Mcp {
        let mut cmd = world.cmd("maestro-session");
        cmd.arg("mcp")
            .env("MAESTRO_WORKSPACE_PATH", world.project())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawn mcp");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Mcp {
            stdin: child.stdin.take(),
            child,
            lines,
            id: 100,
        }
    }

    fn send(&mut self, line: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin");
        stdin.write_all(line).expect("write");
        stdin.write_all(b"\n").expect("write");
        stdin.flush().expect("flush");
    }

    /// The next line the server writes, within 10 s.
    fn recv(&mut self) -> Option<Value> {
        let line = self.lines.recv_timeout(Duration::from_secs(10)).ok()?;
        Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
    }

    /// Calls `tool` with `arguments`; its result.
    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        self.id += 1;
        let id = self.id;
        let request = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments}});
        self.send(request.to_string().as_bytes());
        let answer = self.recv().unwrap_or_else(|| panic!("{tool}: no answer"));
        assert_eq!(answer["id"], id, "{answer}");
        answer["result"].clone()
    }

    fn finish(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// The `{error, recovery_hint, code}` of a tool's failed result.
fn tool_error(result: &Value) -> Value {
    assert_eq!(result["isError"], true, "a tool error: {result}");
    let text = result["content"][0]["text"].as_str().expect("text");
    serde_json::from_str(text).expect("the error object")
}

fn error_of(answer: &Value) -> (i64, Value, String) {
    (
        answer["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("an error: {answer}")),
        answer
            .get("id")
            .cloned()
            .unwrap_or_else(|| panic!("JSON-RPC 2.0 requires the id member: {answer}")),
        answer["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[test]
fn undecodable_requests_get_an_answer() {
    let world = World::new();
    let watch = world.watch();
    let mut mcp = Mcp::start(&world);
    let mut huge = br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"show_session","arguments":{"session_id":""#.to_vec();
    huge.extend(std::iter::repeat_n(b'a', 17 << 20));
    huge.extend_from_slice(br#""}}}"#);
    for (line, code) in [
        (
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"record_tokens","arguments":{"agent":"a","input":1e400}}}"#.to_vec(),
            -32700,
        ),
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"show_session\",\"arguments\":{\"session_id\":\"\xff\"}}}".to_vec(),
            -32700,
        ),
        (b"{not json".to_vec(), -32700),
        (huge, -32600),
    ] {
        mcp.send(&line);
        let answer = mcp.recv().expect("every request gets an answer");
        let (got, id, _) = error_of(&answer);
        assert_eq!((got, id), (code, Value::Null), "{answer}");
    }
    mcp.send(br#"{"jsonrpc":"2.0","id":9,"method":"tools/list"}"#);
    let list = mcp.recv().expect("still serving");
    assert_eq!(list["id"], 9);
    // Still serving its whole list after the bad lines.
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .map(|t| t.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    for want in [
        "create_session",
        "get_session_status",
        "record_design_approval",
    ] {
        assert!(names.contains(&want), "{want} not listed: {list}");
    }
    mcp.finish();
    watch.check(&world);
}

#[test]
fn malformed_params_are_invalid_params() {
    let world = World::new();
    let mut mcp = Mcp::start(&world);
    for (line, code, param) in [
        (
            &br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"show_session","arguments":[1]}}"#[..],
            -32602,
            "arguments",
        ),
        (br#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":5}}"#, -32602, "name"),
        (br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{}}"#, -32602, "name"),
        (br#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":"x"}"#, -32600, "params"),
        (br#"{"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"cursor":1}}"#, -32602, "cursor"),
    ] {
        mcp.send(line);
        let answer = mcp.recv().expect("answered");
        let (got, id, message) = error_of(&answer);
        assert_eq!(got, code, "{answer}");
        assert!(id.is_u64(), "the request's id: {answer}");
        assert!(message.contains(&format!("`{param}`")), "{message}");
        assert_ne!(got, -32601, "the method exists");
    }
    mcp.finish();
}

#[test]
fn invalid_requests_are_invalid_requests() {
    let world = World::new();
    let mut mcp = Mcp::start(&world);
    for line in [
        &br#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#[..],
        br#"{"jsonrpc":"2.0","id":true,"method":"tools/list"}"#,
        br#"{"id":7,"method":"tools/list"}"#,
        br#"{"jsonrpc":"2.0","method":5}"#,
        br#"42"#,
    ] {
        mcp.send(line);
        let answer = mcp.recv().expect("answered");
        assert_eq!(error_of(&answer).0, -32600, "{answer}");
    }
    // A well-formed notification with bad params is never answered; the next request is.
    mcp.send(br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":[]}}"#);
    mcp.send(br#"{"jsonrpc":"2.0","id":8,"method":"ping"}"#);
    assert_eq!(mcp.recv().expect("ping")["id"], 8);
    mcp.finish();
}

#[test]
fn requests_before_initialize_are_answered_and_the_handshake_still_works() {
    let world = World::new();
    let mut mcp = Mcp::spawn(&world);
    mcp.send(b"garbage");
    assert_eq!(error_of(&mcp.recv().expect("answered")).0, -32700);
    mcp.send(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    mcp.send(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
    let early = mcp.recv().expect("answered");
    let (code, id, message) = error_of(&early);
    assert_eq!((code, id), (-32600, json!(1)), "{early}");
    assert!(message.contains("initialize"), "{message}");
    mcp.send(br#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#);
    assert_eq!(mcp.recv().expect("initialized")["id"], 2);
    mcp.send(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    mcp.send(br#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#);
    assert_eq!(mcp.recv().expect("tools")["id"], 3);
    mcp.finish();
}

#[test]
fn every_tool_names_its_wrong_typed_argument() {
    let world = World::new();
    world.create("Tools", &["--phase", "A=coder"]);
    let watch = world.watch();
    let mut mcp = Mcp::start(&world);
    let id = reads(&world)["session_id"].clone();
    for (tool, args, param) in [
        ("initialize_workspace", json!({"state_dir": 5}), "state_dir"),
        (
            "create_session",
            json!({"session_id": "2026-12-06-y", "task": "t", "phases": "p"}),
            "phases",
        ),
        ("update_session", json!({"session_id": 5}), "session_id"),
        (
            "transition_phase",
            json!({"session_id": id, "completed_phase_id": {}}),
            "completed_phase_id",
        ),
        ("get_session_status", json!({"session_id": 5}), "session_id"),
        ("archive_session", json!({"session_id": []}), "session_id"),
        ("list_sessions", json!({"limit": "x"}), "limit"),
        ("show_session", json!({"session_id": {}}), "session_id"),
        (
            "resume_session",
            json!({"session_id": "x", "park": "yes"}),
            "park",
        ),
        (
            "record_error",
            json!({"phase_id": 1, "agent": 5, "type": "runtime", "message": "m"}),
            "agent",
        ),
        (
            "record_tokens",
            json!({"agent": "coder", "input": -1}),
            "input",
        ),
    ] {
        let r = mcp.call(tool, args);
        let error = tool_error(&r);
        assert_eq!(error["code"], "VALIDATION_ERROR", "{tool}: {r}");
        let text = error["error"].as_str().unwrap_or_default();
        assert!(text.contains(param), "{tool} names {param}: {text}");
    }
    mcp.finish();
    watch.assert_sessions_unchanged(&world);
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 3. Terminal output.

/// Characters that must never reach a terminal from session text.
fn hidden(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{80}'..='\u{9f}' | '\u{1b}' | '\u{7}')
        })
        .collect()
}

#[test]
fn bidi_and_escape_characters_never_reach_the_terminal() {
    let world = World::new();
    let evil = |s: &str| format!("{s} {RLO}gnp.exe \u{2066}x\u{2069} \x1b[2J\u{9b}31m\x07end");
    let task = evil("Deploy");
    let phase = format!("{}=coder", evil("Review"));
    let id = world.create(&task, &["--phase", &phase]);
    world
        .maestro(&["phase", "start", "active", "1"])
        .assert_ok();
    world
        .maestro(&[
            "error",
            "add",
            "active",
            "1",
            "--agent",
            "coder",
            "--type",
            "runtime",
            "--message",
            &evil("boom"),
        ])
        .assert_ok();
    let watch = world.watch();
    for args in [
        vec!["show", "active"],
        vec!["show", "active", "--log"],
        vec!["list"],
        vec!["list", "--wide"],
        vec!["search", "deploy"],
        vec!["log", "active"],
        vec!["watch", "--once"],
        vec!["status", "active"],
        vec!["phase", "complete", "active", "1"],
    ] {
        let mut cmd = world.cmd("maestro-session");
        cmd.args(&args);
        let ran = Ran::of(cmd, b"");
        ran.assert_ok();
        let out = ran.stdout_text();
        assert!(
            out.contains("Deploy") || out.contains(&id) || out.contains("Review"),
            "{ran}"
        );
        assert_eq!(hidden(&out), Vec::<char>::new(), "{args:?} stdout: {out}");
        assert_eq!(hidden(&ran.stderr), Vec::<char>::new(), "{args:?} stderr");
    }
    // Padding is computed on what is shown: every row of the phase table starts its STATUS
    // column at the same display column.
    let mut cmd = world.cmd("maestro-session");
    cmd.args(["list", "--wide"]);
    let out = Ran::of(cmd, b"").stdout_text();
    let status_at: Vec<usize> = out
        .lines()
        .take(2)
        .map(|l| {
            let at = l
                .find("STATUS")
                .or_else(|| l.find("completed"))
                .or_else(|| l.find("in_progress"))
                .expect("status column");
            unicode_width::UnicodeWidthStr::width(&l[..at])
        })
        .collect();
    assert_eq!(status_at[0], status_at[1], "{out}");
    // An error naming the session text is one clean line too.
    let mut cmd = world.cmd("maestro-session");
    cmd.args(["show", &format!("nope{RLO}\x1b[2J")]);
    let ran = Ran::of(cmd, b"");
    assert_ne!(ran.code, Some(0));
    assert_eq!(hidden(&ran.stderr), Vec::<char>::new(), "{ran}");
    watch.check(&world);
}

#[test]
fn the_report_neutralises_bidi_characters() {
    let world = World::new();
    world.create(
        &format!("Deploy {RLO}gnp.exe"),
        &["--phase", &format!("R{RLO}x=coder")],
    );
    let out = world.root().join("tmp/report.html");
    let mut cmd = world.cmd("maestro-session");
    cmd.args(["report", "active", "--output"]).arg(&out);
    Ran::of(cmd, b"").assert_ok();
    let html = std::fs::read_to_string(&out).expect("report");
    assert!(html.contains("Deploy"));
    assert_eq!(hidden(&html), Vec::<char>::new());
}

// ---------------------------------------------------------------------------------------------
// 4. A stale write-state.

fn active_text(world: &World) -> String {
    std::fs::read_to_string(world.project().join(ACTIVE)).expect("read active")
}

/// The frontmatter flavours a project's new sessions may take (`MAESTRO_SESSION_FORMAT`).
const FLAVOURS: [&str; 2] = ["json", "yaml"];

/// A world whose new sessions take `flavour`.
fn world_in(flavour: &str) -> World {
    let world = World::new();
    std::fs::write(
        world.project().join(".env"),
        format!("MAESTRO_SESSION_FORMAT={flavour}\n"),
    )
    .expect(".env");
    world
}

/// `text` with the first string field `key` holding `from` set to `to`, in either flavour.
fn set_str(text: &str, key: &str, from: &str, to: &str) -> String {
    let yaml = format!("{key}: \"{from}\"");
    let json = format!("\"{key}\": \"{from}\"");
    let edited = if text.contains(&json) {
        text.replacen(&json, &format!("\"{key}\": \"{to}\""), 1)
    } else {
        text.replacen(&yaml, &format!("{key}: \"{to}\""), 1)
    };
    assert_ne!(edited, text, "no {key}: {from:?} in {text}");
    edited
}

/// The `revision` line of `text` in either flavour: (its text, the number).
fn revision_line(text: &str) -> (String, u64) {
    text.lines()
        .find_map(|l| {
            let t = l.trim_start();
            let n = t
                .strip_prefix("revision: ")
                .or_else(|| t.strip_prefix("\"revision\": "))?;
            Some((l.to_string(), n.trim_end_matches(',').trim().parse().ok()?))
        })
        .expect("a revision")
}

/// `text` with its `revision` set to `r`.
fn with_revision(text: &str, r: u64) -> String {
    let (line, old) = revision_line(text);
    text.replacen(
        &line,
        &line.replacen(&old.to_string(), &r.to_string(), 1),
        1,
    )
}

/// `text` without its `revision` (a session written from memory), in either flavour.
fn without_revision(text: &str) -> String {
    let body_at = text[4..]
        .find("\n---\n")
        .map(|i| i + 4)
        .expect("frontmatter");
    let front = &text[4..body_at];
    if front.trim_start().starts_with('{') {
        let mut v: Value = serde_json::from_str(front).expect("json frontmatter");
        v.as_object_mut().expect("object").remove("revision");
        let front = serde_json::to_string_pretty(&v).expect("json");
        format!("---\n{front}{}", &text[body_at..])
    } else {
        text.split_inclusive('\n')
            .filter(|l| !l.starts_with("revision: "))
            .collect()
    }
}

#[test]
fn a_stale_write_state_keeps_what_was_recorded_since() {
    for flavour in FLAVOURS {
        stale_write_state_keeps_what_was_recorded_since(flavour);
    }
}

fn stale_write_state_keeps_what_was_recorded_since(flavour: &str) {
    let world = world_in(flavour);
    world.create("Stale", &["--phase", "A=coder", "--phase", "B=tester"]);
    let read = active_text(&world);
    // Since the read: tokens (as the AfterAgent hook records them) and an error.
    world
        .maestro(&["tokens", "active", "--agent", "coder", "--input", "50"])
        .assert_ok();
    world
        .maestro(&["phase", "start", "active", "1"])
        .assert_ok();
    world
        .maestro(&[
            "error",
            "add",
            "active",
            "1",
            "--agent",
            "coder",
            "--type",
            "runtime",
            "--message",
            "boom",
        ])
        .assert_ok();
    let watch = world.watch();
    // The model's edit of what it read: the task.
    let edited = set_str(&read, "task", "Stale", "Stale, edited");
    let ran = world.exec("write-state", &[ACTIVE], edited.as_bytes());
    ran.assert_ok();
    assert!(
        ran.stderr.contains("merged") && ran.stderr.contains("/token_usage/total_input"),
        "{flavour}: {ran}"
    );
    let s = reads(&world);
    assert_eq!(s["task"], "Stale, edited", "the model's change");
    assert_eq!(
        s["token_usage"]["total_input"], 50,
        "the tokens recorded since"
    );
    assert_eq!(
        s["phases"][0]["status"], "in_progress",
        "the phase started since"
    );
    assert_eq!(
        s["phases"][0]["errors"][0]["message"], "boom",
        "the error recorded since"
    );
    watch.check(&world);
}

#[test]
fn a_stale_write_state_that_conflicts_is_refused() {
    for flavour in FLAVOURS {
        let world = world_in(flavour);
        world.create("Stale", &["--phase", "A=coder"]);
        let read = active_text(&world);
        world
            .maestro(&["phase", "start", "active", "1"])
            .assert_ok();
        let watch = world.watch();
        // The model, from its old read, skips the phase a command started since.
        let edited = set_str(&read, "status", "pending", "skipped");
        let ran = world.exec("write-state", &[ACTIVE], edited.as_bytes());
        ran.assert_code(1);
        assert!(
            ran.stderr.contains("/phases/0/status") && ran.stderr.contains("read-state"),
            "{flavour}: {ran}"
        );
        watch.assert_sessions_unchanged(&world);
        watch.check(&world);
    }
}

#[test]
fn a_write_state_without_a_known_base_is_merged_or_refused() {
    for flavour in FLAVOURS {
        write_state_without_a_known_base(flavour);
    }
}

fn write_state_without_a_known_base(flavour: &str) {
    let world = world_in(flavour);
    let id = world.create("Stale", &["--phase", "A=coder"]);
    let created = active_text(&world);
    world
        .maestro(&["tokens", "active", "--agent", "coder", "--input", "5"])
        .assert_ok();
    let watch = world.watch();
    // No `revision` (written from memory): taken as based on the oldest revision the log
    // knows, since write-state never wrote this session; the tokens recorded since are kept.
    let from_memory = without_revision(&set_str(&created, "task", "Stale", "From memory"));
    let ran = world.exec("write-state", &[ACTIVE], from_memory.as_bytes());
    ran.assert_ok();
    assert!(
        ran.stderr.contains("no `revision`") && ran.stderr.contains("/token_usage/total_input"),
        "{flavour}: {ran}"
    );
    let s = reads(&world);
    assert_eq!(s["task"], "From memory");
    assert_eq!(s["token_usage"]["total_input"], 5);
    watch.check(&world);
    // A revision no read gave: refused.
    let now = active_text(&world);
    let (_, r) = revision_line(&now);
    let watch = world.watch();
    let newer = with_revision(&now, r + 5);
    let ran = world.exec("write-state", &[ACTIVE], newer.as_bytes());
    ran.assert_code(1);
    assert!(ran.stderr.contains("no read gave"), "{flavour}: {ran}");
    watch.assert_sessions_unchanged(&world);
    // A lost log line between the base and now: the changes since cannot all be known.
    let base = now.clone();
    world
        .maestro(&["tokens", "active", "--agent", "coder", "--input", "7"])
        .assert_ok();
    let log = world.state().join(format!("events/{id}.jsonl"));
    let lines = std::fs::read_to_string(&log).expect("log");
    let kept: Vec<&str> = lines.lines().collect();
    std::fs::write(&log, format!("{}\n", kept[..kept.len() - 1].join("\n"))).expect("drop a line");
    let watch = world.watch();
    let edited = set_str(&base, "task", "From memory", "Edited");
    let ran = world.exec("write-state", &[ACTIVE], edited.as_bytes());
    ran.assert_code(1);
    assert!(ran.stderr.contains("lacks the change"), "{flavour}: {ran}");
    watch.assert_sessions_unchanged(&world);
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 5. Item 12 and its "Also".

fn walk(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
    out
}

#[test]
fn failing_commands_in_a_folder_without_sessions_create_nothing() {
    let world = World::new();
    let watch = world.watch();
    for args in [
        vec!["tokens", "active", "--agent", "coder", "--input", "1"],
        vec!["archive"],
        vec!["resume", "x"],
        vec!["delete", "x"],
        vec!["fork", "x"],
        vec!["export", "active"],
        vec!["phase", "start", "active", "1"],
        vec!["checkpoint", "create", "active"],
        vec!["cleanup", "x"],
        vec!["show", "active"],
        vec!["log", "active"],
        vec!["create", "x", "--phase", "A=not an agent"],
    ] {
        let ran = world.maestro(&args);
        assert_ne!(ran.code, Some(0), "{ran}");
        assert!(
            !world.project().join("docs").exists(),
            "{args:?} created docs/: {ran}"
        );
    }
    for args in [
        vec!["cleanup", "--dry-run"],
        vec!["cleanup", "--all", "--yes", "--dry-run"],
        vec!["list"],
    ] {
        world.maestro(&args).assert_ok();
        assert!(
            !world.project().join("docs").exists(),
            "{args:?} created docs/"
        );
    }
    watch.check(&world);
}

#[test]
fn archive_and_archive_session_follow_one_rule() {
    for by_mcp in [false, true] {
        let world = World::new();
        let id = world.create("Done", &["--phase", "A=coder"]);
        let watch = world.watch();
        if by_mcp {
            let mut mcp = Mcp::start(&world);
            let r = mcp.call("archive_session", json!({"session_id": id}));
            assert_ne!(r["isError"], true, "{r}");
            mcp.finish();
        } else {
            world.maestro(&["archive"]).assert_ok();
        }
        assert_eq!(world.show(&id)["status"], "completed", "mcp: {by_mcp}");
        watch.check(&world);
        // A paused session keeps its status.
        let paused = world.create("Later", &["--phase", "A=coder"]);
        world.maestro(&["pause", "active"]).assert_ok();
        if by_mcp {
            let mut mcp = Mcp::start(&world);
            mcp.call("archive_session", json!({"session_id": paused}));
            mcp.finish();
        } else {
            world.maestro(&["archive"]).assert_ok();
        }
        assert_eq!(world.show(&paused)["status"], "paused", "mcp: {by_mcp}");
    }
}

#[test]
fn total_phases_has_one_definition() {
    let world = World::new();
    std::fs::create_dir_all(world.state()).expect("mkdir");
    // The plan declares 5 phases; the file lists 2.
    let doc = e2e_tests::session_doc("2026-12-06-five", "in_progress", "2026-12-06T10:00:00Z")
        .replace("total_phases: 0", "total_phases: 5")
        .replace(
            "phases: []",
            "phases:\n  - id: 1\n    name: \"a\"\n    status: \"completed\"\n  - id: 2\n    name: \"b\"\n    status: \"in_progress\"",
        )
        .replace("current_phase: null", "current_phase: 2");
    std::fs::write(world.state().join("active-session.md"), doc).expect("write");
    let status = world.maestro(&["status", "active"]);
    status.assert_ok();
    let list = world.maestro(&["list"]);
    let watch_json = world.maestro(&["watch", "--once"]);
    let mut mcp = Mcp::start(&world);
    let mcp_status = mcp.call("get_session_status", json!({}));
    mcp.finish();
    let mcp_status: Value =
        serde_json::from_str(mcp_status["content"][0]["text"].as_str().expect("text"))
            .expect("json");
    let from_list = list.json()["sessions"][0]["total_phases"].clone();
    // JSON Lines: the session object first, then the events.
    let first: Value =
        serde_json::from_str(watch_json.stdout_text().lines().next().unwrap_or_default())
            .unwrap_or_else(|e| panic!("watch --once --json ({e}): {watch_json}"));
    let from_watch = first["session"]["total_phases"].clone();
    let all = [
        status.json()["total_phases"].clone(),
        from_list,
        from_watch,
        mcp_status["total_phases"].clone(),
    ];
    assert_eq!(
        all,
        [json!(5), json!(5), json!(5), json!(5)],
        "{watch_json}"
    );
    // And the human progress says 1/5 in show and watch alike.
    for args in [["show", "active"], ["watch", "--once"]] {
        let mut cmd = world.cmd("maestro-session");
        cmd.args(args);
        let out = Ran::of(cmd, b"").stdout_text();
        assert!(out.contains("1/5"), "{args:?}: {out}");
    }
}

#[test]
fn the_release_build_has_no_fault_injection() {
    // What `cargo build --release -p maestro-session-hooks -p maestro-session` (install.sh) compiles: no
    // `fault-injection` feature anywhere in its graph, so MAESTRO_CRASH_MID_APPEND and the
    // durable-write crash points do not exist there.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "maestro-session-hooks",
            "-p",
            "maestro-session",
            "-e",
            "normal,features",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(tree.contains("maestro-session-core"), "{tree}");
    assert!(!tree.contains("fault-injection"), "{tree}");
}
