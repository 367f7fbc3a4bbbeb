//! `maestro-session mcp` through a JSON-RPC 2.0 client of our own over its stdin/stdout, one
//! message per line, as Gemini CLI speaks to it: initialize, notifications/initialized,
//! tools/list, tools/call. A session goes through Maestro 1.6's six tools with integer and
//! with string phase ids (the requests of `fixtures/mcp/`), every failure is `isError: true`
//! with `{error, recovery_hint}` and no absolute path, nothing is written outside the project,
//! and the session files read back through `maestro-session show`.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use e2e_tests::{HANG_GUARD, World, fixture};
use serde_json::{Value, json};

/// A running `maestro-session mcp` and the lines it has written.
struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
    /// Texts that must appear in no answer (the world's absolute root).
    forbidden: String,
}

impl Client {
    /// Starts the server in `world`'s project (`MAESTRO_WORKSPACE_PATH`, as Gemini CLI sets
    /// it) and completes the handshake.
    fn start(world: &World) -> (Client, Value) {
        let mut cmd = world.cmd("maestro-session");
        cmd.arg("mcp")
            .env("MAESTRO_WORKSPACE_PATH", world.project())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("spawn maestro-session mcp");
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
        let mut client = Client {
            stdin: child.stdin.take(),
            child,
            lines,
            next_id: 1,
            forbidden: world.root().to_string_lossy().into_owned(),
        };
        let init: Value =
            serde_json::from_slice(&fixture("mcp/initialize.json")).expect("initialize fixture");
        client.send(&init);
        let answer = client.answer(&init["id"]);
        client.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        (client, answer)
    }

    fn send(&mut self, message: &Value) {
        self.send_line(&message.to_string());
    }

    fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").expect("write to the server");
        stdin.flush().expect("flush");
    }

    /// The response to request `id` (a server line that is not one is skipped).
    fn answer(&mut self, id: &Value) -> Value {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no answer to request {id} within {HANG_GUARD:?}"));
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("server wrote a line that is not JSON ({e}): {line}"));
            assert_eq!(message["jsonrpc"], "2.0", "{line}");
            assert!(
                !line.contains(&self.forbidden),
                "an absolute path of the test world in: {line}"
            );
            if &message["id"] == id {
                return message;
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = json!(self.next_id);
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let answer = self.answer(&id);
        assert!(answer.get("error").is_none(), "{method}: {answer}");
        answer["result"].clone()
    }

    /// `tools/call` with `params` (`{name, arguments}`): (isError, the text block as JSON).
    fn call(&mut self, params: Value) -> (bool, Value) {
        let result = self.request("tools/call", params.clone());
        let content = result["content"].as_array().expect("content");
        assert_eq!(content.len(), 1, "{result}");
        assert_eq!(content[0]["type"], "text", "{result}");
        let text = content[0]["text"].as_str().expect("text");
        let value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{params}: the text is not JSON ({e}): {text}"));
        (result["isError"] == true, value)
    }

    fn ok(&mut self, params: Value) -> Value {
        let (is_error, value) = self.call(params.clone());
        assert!(!is_error, "{params} failed: {value}");
        value
    }

    fn ok_fixture(&mut self, name: &str) -> Value {
        self.ok(request(name))
    }

    /// A failure: `isError: true` and `{error, recovery_hint}` strings with no absolute path.
    fn err(&mut self, params: Value) -> Value {
        let (is_error, value) = self.call(params.clone());
        assert!(is_error, "{params} should fail, gave {value}");
        let error = value["error"].as_str().expect("error string");
        let hint = value["recovery_hint"]
            .as_str()
            .expect("recovery_hint string");
        assert!(!hint.is_empty(), "{value}");
        for text in [error, hint] {
            assert!(
                !text
                    .split(|c: char| c.is_whitespace() || "\"'`(".contains(c))
                    .any(|w| w.starts_with('/')),
                "absolute path in {text:?}"
            );
        }
        value
    }

    /// Closes stdin and waits for the server to exit on its own.
    fn finish(mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit on EOF");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `tools/call` params of `fixtures/mcp/<name>.json`.
fn request(name: &str) -> Value {
    serde_json::from_slice(&fixture(&format!("mcp/{name}.json"))).expect("fixture JSON")
}

fn write(world: &World, rel: &str, text: &str) {
    let path = world.project().join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn a_session_round_trips_through_the_six_maestro_tools_with_integer_and_string_ids() {
    let world = World::new();
    let watch = world.watch();
    let (mut client, init) = Client::start(&world);
    assert_eq!(init["result"]["serverInfo"]["name"], "maestro-session");
    assert!(
        init["result"]["capabilities"]["tools"].is_object(),
        "{init}"
    );

    let tools = client.request("tools/list", json!({}));
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    for want in [
        "initialize_workspace",
        "create_session",
        "update_session",
        "transition_phase",
        "get_session_status",
        "archive_session",
        "list_sessions",
        "show_session",
        "resume_session",
        "record_error",
        "record_tokens",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let create = tools["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .find(|t| t["name"] == "create_session")
        .expect("create_session");
    assert_eq!(
        create["inputSchema"]["properties"]["phases"]["items"]["properties"]["id"]["type"],
        json!(["integer", "string"])
    );

    // The state dir, then a session with integer phase ids.
    let init = client.ok_fixture("initialize_workspace");
    assert_eq!(init["created_directories"][0], "docs/maestro/state/");
    write(&world, "docs/maestro/plans/auth-design.md", "# design\n");
    write(&world, "docs/maestro/plans/auth-impl-plan.md", "# plan\n");
    let created = client.ok_fixture("create_session-integer-ids");
    assert_eq!(
        created,
        json!({"success": true, "path": "docs/maestro/state/active-session.md", "session_id": "2026-11-22-mcp-integer-ids"})
    );
    let status = client.ok(json!({"name": "get_session_status"}));
    assert_eq!(status["current_phase"], 1);
    assert_eq!(status["phases"][0]["status"], "in_progress");
    assert_eq!(status["phases"][1]["agent"], "coder");

    // Refusals change nothing.
    let before = world.active_bytes();
    let e = client.err(request("refused-bad-transition"));
    assert!(
        e["error"]
            .as_str()
            .is_some_and(|t| t.contains("pending to completed")),
        "{e}"
    );
    let e = client.err(request("refused-unknown-phase"));
    assert_eq!(e["code"], "NOT_FOUND");
    let e = client.err(request("refused-files-outside"));
    assert_eq!(e["code"], "PATH_REFUSED");
    let e = client.err(request("create_session-string-ids"));
    assert!(
        e["error"]
            .as_str()
            .is_some_and(|t| t.contains("is in_progress; archive it")),
        "{e}"
    );
    let e = client.err(request("refused-state-dir-outside"));
    assert!(
        e["error"].as_str().is_some_and(|t| t.contains("state_dir")),
        "{e}"
    );
    assert_eq!(
        world.active_bytes(),
        before,
        "a refused call changed the session"
    );

    client.ok_fixture("update_session-integer-ids");
    client.ok_fixture("transition_phase-integer-1");
    let t = client.ok_fixture("transition_phase-integer-2");
    assert_eq!(
        t["session_state_summary"],
        json!({"current_phase": 3, "completed_phases": [1, 2], "pending_phases": []})
    );
    client.ok_fixture("transition_phase-integer-3");
    let archived = client.ok_fixture("archive_session-integer-ids");
    assert_eq!(
        archived["archive_path"],
        "docs/maestro/state/archive/2026-11-22-mcp-integer-ids.md"
    );
    assert_eq!(archived["archived_files"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        client.ok(json!({"name": "get_session_status", "arguments": {}})),
        json!({"exists": false, "message": "there is no active session"})
    );

    // A session with string phase ids and a parallel batch.
    client.ok_fixture("create_session-string-ids");
    let t = client.ok_fixture("transition_phase-string-design");
    assert_eq!(t["started_phase_ids"], json!(["lexer", "parser-2"]));
    client.ok_fixture("transition_phase-string-lexer");
    client.ok_fixture("transition_phase-string-parser");
    let status = client.ok(json!({"name": "get_session_status", "arguments": {}}));
    assert_eq!(status["current_batch"], Value::Null);
    assert_eq!(status["token_usage"]["total_input"], 2100);
    client.ok_fixture("archive_session-string-ids");
    assert!(client.finish().success(), "the server failed on EOF");

    // The files afterwards, read by the command line.
    let s = world.show("2026-11-22-mcp-integer-ids");
    assert_eq!(s["status"], "completed");
    assert_eq!(s["location"], "archive");
    assert_eq!(
        s["phases"][0]["files_created"],
        json!(["docs/auth-model.md"])
    );
    assert_eq!(
        s["phases"][0]["downstream_context"]["key_interfaces_introduced"],
        json!(["TokenStore trait"])
    );
    assert_eq!(s["phases"][1]["files_modified"], json!(["src/server.rs"]));
    assert_eq!(
        s["token_usage"]["by_agent"]["coder"],
        json!({"input": 8000, "output": 4000, "cached": 2000})
    );
    assert_eq!(s["token_usage"]["total_input"], 15_500);
    assert_eq!(s["execution_mode"], "sequential");
    assert_eq!(
        s["design_document"],
        "docs/maestro/plans/archive/2026-11-22-mcp-integer-ids--auth-design.md"
    );
    assert!(
        world
            .project()
            .join("docs/maestro/plans/archive/2026-11-22-mcp-integer-ids--auth-impl-plan.md")
            .is_file()
    );
    let text = std::fs::read_to_string(world.state().join("archive/2026-11-22-mcp-integer-ids.md"))
        .expect("archived file");
    assert!(
        text.contains("## Phase 1: Design the token model ✅"),
        "{text}"
    );
    let s = world.show("2026-11-22-mcp-string-ids");
    assert_eq!(
        s["phases"]
            .as_array()
            .expect("phases")
            .iter()
            .map(|p| p["id"].clone())
            .collect::<Vec<_>>(),
        vec![json!("design"), json!("lexer"), json!("parser-2")]
    );
    assert_eq!(s["phases"][1]["status"], "completed");
    assert_eq!(s["phases"][2]["files_modified"], json!(["src/parser.rs"]));
    assert_eq!(
        s["implementation_plan"],
        "docs/maestro/plans/archive/2026-11-22-mcp-string-ids--parser-impl-plan.md"
    );
    watch.check(&world);
}

#[test]
fn every_refusal_is_an_is_error_result_and_the_server_keeps_serving() {
    let world = World::new();
    let outside = world.outside();
    let watch = world.watch();
    let (mut client, _) = Client::start(&world);
    let secret = outside.join("secret");
    for (params, code) in [
        (request("refused-state-dir-outside"), "PATH_REFUSED"),
        (
            json!({"name": "initialize_workspace", "arguments": {"state_dir": outside}}),
            "PATH_REFUSED",
        ),
        (
            json!({"name": "initialize_workspace", "arguments": {"workspace_path": outside}}),
            "PATH_REFUSED",
        ),
        (request("refused-bad-phase-id"), "VALIDATION_ERROR"),
        (
            json!({"name": "create_session", "arguments": {"session_id": 7}}),
            "VALIDATION_ERROR",
        ),
        (
            json!({"name": "transition_phase", "arguments": {"session_id": "x"}}),
            "VALIDATION_ERROR",
        ),
        (request("refused-unknown-phase"), "NOT_FOUND"),
        (
            json!({"name": "show_session", "arguments": {"session_id": "nope"}}),
            "NOT_FOUND",
        ),
        (
            json!({"name": "no_such_tool", "arguments": {}}),
            "UNKNOWN_TOOL",
        ),
        (
            json!({"name": "record_tokens", "arguments": {"agent": "coder", "input": secret}}),
            "VALIDATION_ERROR",
        ),
    ] {
        let e = client.err(params.clone());
        assert_eq!(e["code"], code, "{params}: {e}");
    }
    // A line that is not JSON is skipped; the server goes on.
    client.send_line("this is not JSON");
    client.ok_fixture("initialize_workspace");
    client.ok_fixture("create_session-integer-ids");
    let e = client.err(request("create_session-integer-ids"));
    assert_eq!(e["code"], "STATE_ERROR");
    assert!(client.finish().success());
    assert!(!world.root().join("x").exists());
    watch.check(&world);
}
