//! A JSON-RPC 2.0 client of our own for MCP servers over stdio (one message per line), as
//! Gemini CLI speaks to them: `initialize`, `notifications/initialized`, then requests. Used
//! for `maestro-session mcp` and, in the differential tests, for Maestro's own server (node).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::HANG_GUARD;

/// A running MCP server and the lines it has written.
pub struct McpClient {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
    /// A text no answer may hold (an absolute path of the test world), when set.
    pub forbidden: Option<String>,
}

impl McpClient {
    /// Spawns `cmd` (its environment and folder set by the caller) with piped stdin and
    /// stdout, and completes the handshake.
    pub fn start(mut cmd: Command) -> McpClient {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawn the MCP server");
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
        let mut client = McpClient {
            stdin: child.stdin.take(),
            child,
            lines,
            next_id: 1,
            forbidden: None,
        };
        client.request(
            "initialize",
            json!({"protocolVersion": "2025-03-26", "capabilities": {},
                   "clientInfo": {"name": "e2e-tests", "version": "1"}}),
        );
        client.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        client
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{message}").expect("write to the server");
        stdin.flush().expect("flush");
    }

    /// The result of request `method` (a JSON-RPC error fails the test).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = json!(self.next_id);
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no answer to {method} within {HANG_GUARD:?}"));
            let Ok(message) = serde_json::from_str::<Value>(&line) else {
                panic!("the server wrote a line that is not JSON: {line}");
            };
            if let Some(forbidden) = &self.forbidden {
                assert!(
                    !line.contains(forbidden.as_str()),
                    "an absolute path in: {line}"
                );
            }
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
        }
    }

    /// `tools/call` of `name` with `arguments`: (isError, the one text block as JSON).
    pub fn call(&mut self, name: &str, arguments: Value) -> (bool, Value) {
        let result = self.request("tools/call", json!({"name": name, "arguments": arguments}));
        let text = result["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no text block in {result}"));
        let value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{name}: the text is not JSON ({e}): {text}"));
        (result["isError"] == true, value)
    }

    /// A call that must succeed: its result.
    pub fn ok(&mut self, name: &str, arguments: Value) -> Value {
        let (is_error, value) = self.call(name, arguments.clone());
        assert!(!is_error, "{name} {arguments} failed: {value}");
        value
    }

    /// A call that must fail: its `{error, recovery_hint, code, details?}`.
    pub fn err(&mut self, name: &str, arguments: Value) -> Value {
        let (is_error, value) = self.call(name, arguments.clone());
        assert!(is_error, "{name} {arguments} should fail, gave {value}");
        value
    }

    /// The names `tools/list` gives, in order.
    pub fn tool_names(&mut self) -> Vec<String> {
        let tools = self.request("tools/list", json!({}));
        tools["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .filter_map(|t| t["name"].as_str().map(str::to_string))
            .collect()
    }
}

impl Drop for McpClient {
    /// Closes stdin (the server ends) and waits a moment; a server still running is killed.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _killed_anyway = self.child.kill();
        let _reaped = self.child.wait();
    }
}
