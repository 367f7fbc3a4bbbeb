//! Runtime payloads in, decisions out (DESIGN 4).
//!
//! Gemini CLI 0.61 sends one JSON object on stdin (`session_id`, `transcript_path`, `cwd`,
//! `hook_event_name`, `timestamp`, plus `source` / `prompt` / `prompt_response`,
//! `stop_hook_active` / `reason` by event) and reads exactly one JSON object from stdout.
//! Claude Code sends the same envelope; SubagentStart and SubagentStop add `agent_id` and
//! `agent_type`, SubagentStop adds `last_assistant_message`. Qwen Code 0.24.4 sends Claude Code's
//! shapes for the same four events and reads Claude Code's answers (see [`super::qwen`]).
//! Parsing is lenient: unknown fields are ignored, missing or mistyped ones read as absent.

use std::io::Read;

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// Largest accepted payload, in bytes (1 MiB).
pub const MAX_PAYLOAD_BYTES: u64 = 1024 * 1024;

/// The runtime whose dialect a hook speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Runtime {
    /// Gemini CLI (default).
    #[default]
    Gemini,
    /// Claude Code (and Codex, which speaks its dialect).
    Claude,
    /// Qwen Code ([`super::qwen`]).
    Qwen,
}

impl Runtime {
    /// Parses `gemini`, `claude` or `qwen`.
    pub fn parse(s: &str) -> Result<Runtime> {
        match s {
            "gemini" => Ok(Runtime::Gemini),
            "claude" => Ok(Runtime::Claude),
            "qwen" => Ok(Runtime::Qwen),
            other => Err(Error::Invalid(format!(
                "unknown runtime {other:?}; expected gemini, claude or qwen"
            ))),
        }
    }

    /// Whether the runtime's agent events are a sub-agent's own (SubagentStart/SubagentStop
    /// with `agent_id` and `agent_type`: Claude Code, Codex, Qwen Code) rather than the
    /// session's turns (Gemini CLI's BeforeAgent/AfterAgent).
    pub const fn has_subagent_events(self) -> bool {
        matches!(self, Runtime::Claude | Runtime::Qwen)
    }
}

/// The four lifecycle events our hooks handle, by their Gemini CLI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookEvent {
    /// `SessionStart` (both runtimes).
    SessionStart,
    /// `BeforeAgent` (Gemini CLI); `SubagentStart` (Claude Code, Qwen Code).
    BeforeAgent,
    /// `AfterAgent` (Gemini CLI); `SubagentStop` (Claude Code, Qwen Code).
    AfterAgent,
    /// `SessionEnd` (both runtimes).
    SessionEnd,
}

impl HookEvent {
    /// The four events, in the order hooks are registered.
    pub const ALL: [HookEvent; 4] = [
        HookEvent::SessionStart,
        HookEvent::BeforeAgent,
        HookEvent::AfterAgent,
        HookEvent::SessionEnd,
    ];

    /// The executable that handles the event, as the install layout, every runtime's hook
    /// configuration (Gemini CLI extension, Claude Code plugin and settings, Codex) and the
    /// hooks' diagnostics call it. The one home of the event -> executable mapping.
    pub const fn executable(self) -> &'static str {
        match self {
            HookEvent::SessionStart => "session-start",
            HookEvent::BeforeAgent => "before-agent",
            HookEvent::AfterAgent => "after-agent",
            HookEvent::SessionEnd => "session-end",
        }
    }

    /// (event name as `runtime` spells it, executable) for every event, in [`HookEvent::ALL`]
    /// order: what a runtime's hook configuration registers.
    pub const fn registrations(runtime: Runtime) -> [(&'static str, &'static str); 4] {
        let [a, b, c, d] = HookEvent::ALL;
        [
            (a.name(runtime), a.executable()),
            (b.name(runtime), b.executable()),
            (c.name(runtime), c.executable()),
            (d.name(runtime), d.executable()),
        ]
    }

    /// The event name as `runtime` spells it, used in `hookSpecificOutput.hookEventName` and
    /// as the key of the runtime's hook configuration.
    pub const fn name(self, runtime: Runtime) -> &'static str {
        match (self, runtime) {
            (HookEvent::SessionStart, _) => "SessionStart",
            (HookEvent::SessionEnd, _) => "SessionEnd",
            (HookEvent::BeforeAgent, Runtime::Gemini) => "BeforeAgent",
            (HookEvent::AfterAgent, Runtime::Gemini) => "AfterAgent",
            (HookEvent::BeforeAgent, Runtime::Claude | Runtime::Qwen) => "SubagentStart",
            (HookEvent::AfterAgent, Runtime::Claude | Runtime::Qwen) => "SubagentStop",
        }
    }
}

/// A parsed hook payload: the raw object with typed accessors.
#[derive(Debug, Clone, Default)]
pub struct HookInput {
    fields: Map<String, Value>,
}

impl HookInput {
    /// Reads and parses a payload from `reader`, refusing a terminal (`is_terminal`, so a
    /// person running a hook by hand is not left waiting), empty input, more than
    /// [`MAX_PAYLOAD_BYTES`], non-JSON and JSON that is not an object.
    pub fn read(mut reader: impl Read, is_terminal: bool) -> Result<HookInput> {
        if is_terminal {
            return Err(Error::Invalid(
                "stdin is a terminal; a hook reads its JSON payload from a pipe".into(),
            ));
        }
        let mut buf = Vec::new();
        reader
            .by_ref()
            .take(MAX_PAYLOAD_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io("read", "stdin", e))?;
        if buf.len() as u64 > MAX_PAYLOAD_BYTES {
            return Err(Error::Invalid(format!(
                "stdin payload exceeds {MAX_PAYLOAD_BYTES} bytes"
            )));
        }
        HookInput::parse(&buf)
    }

    /// Parses a payload from bytes.
    pub fn parse(bytes: &[u8]) -> Result<HookInput> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::Invalid(
                "stdin is empty; expected a JSON object".into(),
            ));
        }
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::Invalid(format!("stdin is not valid JSON: {e}")))?;
        match value {
            Value::Object(fields) => Ok(HookInput { fields }),
            other => Err(Error::Invalid(format!(
                "stdin JSON is {}, not an object",
                kind_of(&other)
            ))),
        }
    }

    /// A string field, or `None` when absent or not a string.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }

    /// `session_id`.
    pub fn session_id(&self) -> Option<&str> {
        self.str("session_id")
    }

    /// `cwd`.
    pub fn cwd(&self) -> Option<&str> {
        self.str("cwd")
    }

    /// `prompt`.
    pub fn prompt(&self) -> &str {
        self.str("prompt").unwrap_or_default()
    }

    /// The agent's response: `prompt_response` (Gemini CLI AfterAgent) or
    /// `last_assistant_message` (Claude Code SubagentStop).
    pub fn response(&self) -> &str {
        self.str("prompt_response")
            .or_else(|| self.str("last_assistant_message"))
            .unwrap_or_default()
    }

    /// `stop_hook_active`: true when this turn is already a retry after a deny/block.
    pub fn stop_hook_active(&self) -> bool {
        self.fields
            .get("stop_hook_active")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// `agent_id` (Claude Code sub-agent events).
    pub fn agent_id(&self) -> Option<&str> {
        self.str("agent_id")
    }

    /// `agent_type` (Claude Code sub-agent events).
    pub fn agent_type(&self) -> Option<&str> {
        self.str("agent_type")
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What a hook answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Let the turn go on.
    Allow,
    /// Let the turn go on and give the model this context (BeforeAgent / SubagentStart).
    AllowWithContext(String),
    /// Reject the agent's response; the runtime re-prompts with the reason.
    Deny(String),
}

/// Renders `decision` for `event` in `runtime`'s dialect, as one line of JSON.
///
/// Gemini CLI: SessionStart/SessionEnd answer `{}`; BeforeAgent/AfterAgent answer
/// `{"decision":"allow"}`, with `hookSpecificOutput {hookEventName, additionalContext}` for
/// context, or `{"decision":"deny","reason":R}`.
/// Claude Code: allow is `{}`; context is `hookSpecificOutput {hookEventName, additionalContext}`;
/// a rejection is `{"decision":"block","reason":R}`.
/// Qwen Code 0.24.4: Claude Code's answers, on stdout with exit 0 (the only block it honours
/// with our stdout: with exit 2 it reads stderr instead, and an empty stderr is no block).
pub fn render(runtime: Runtime, event: HookEvent, decision: &Decision) -> String {
    let value = match (runtime, decision) {
        (_, Decision::AllowWithContext(context)) => {
            let specific =
                json!({"hookEventName": event.name(runtime), "additionalContext": context});
            match runtime {
                Runtime::Gemini => json!({"decision": "allow", "hookSpecificOutput": specific}),
                Runtime::Claude | Runtime::Qwen => json!({"hookSpecificOutput": specific}),
            }
        }
        (Runtime::Gemini, Decision::Deny(reason)) => json!({"decision": "deny", "reason": reason}),
        (Runtime::Claude | Runtime::Qwen, Decision::Deny(reason)) => {
            json!({"decision": "block", "reason": reason})
        }
        (Runtime::Gemini, Decision::Allow) => match event {
            HookEvent::SessionStart | HookEvent::SessionEnd => json!({}),
            HookEvent::BeforeAgent | HookEvent::AfterAgent => json!({"decision": "allow"}),
        },
        (Runtime::Claude | Runtime::Qwen, Decision::Allow) => json!({}),
    };
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_payloads_are_refused_with_reason() {
        let cases: [(&[u8], &str); 5] = [
            (b"", "empty"),
            (b"  \n", "empty"),
            (b"not json", "not valid JSON"),
            (b"[1,2]", "an array"),
            (b"\"s\"", "a string"),
        ];
        for (bytes, want) in cases {
            let err = HookInput::parse(bytes).expect_err("refused");
            assert!(err.to_string().contains(want), "{err}");
        }
        let big = vec![b' '; MAX_PAYLOAD_BYTES as usize + 1];
        let err = HookInput::read(&big[..], false).expect_err("too big");
        assert!(err.to_string().contains("exceeds"), "{err}");
        let err = HookInput::read(&b"{}"[..], true).expect_err("terminal");
        assert!(err.to_string().contains("terminal"), "{err}");
    }

    #[test]
    fn lenient_fields() {
        let input = HookInput::parse(
            br#"{"session_id": 5, "prompt": "p", "stop_hook_active": "yes", "extra": [1]}"#,
        )
        .expect("parse");
        assert_eq!(input.session_id(), None);
        assert_eq!(input.prompt(), "p");
        assert!(!input.stop_hook_active());
        assert_eq!(input.response(), "");
        let claude = HookInput::parse(
            br#"{"last_assistant_message": "m", "agent_id": "a1", "agent_type": "coder"}"#,
        )
        .expect("parse");
        assert_eq!(claude.response(), "m");
        assert_eq!(claude.agent_type(), Some("coder"));
    }

    #[test]
    fn dialects() {
        use Decision::*;
        use HookEvent::*;
        assert_eq!(render(Runtime::Gemini, SessionStart, &Allow), "{}");
        assert_eq!(
            render(Runtime::Gemini, BeforeAgent, &Allow),
            r#"{"decision":"allow"}"#
        );
        assert_eq!(
            render(Runtime::Gemini, BeforeAgent, &AllowWithContext("c".into())),
            r#"{"decision":"allow","hookSpecificOutput":{"hookEventName":"BeforeAgent","additionalContext":"c"}}"#
        );
        assert_eq!(
            render(Runtime::Gemini, AfterAgent, &Deny("r".into())),
            r#"{"decision":"deny","reason":"r"}"#
        );
        assert_eq!(
            render(Runtime::Claude, AfterAgent, &Deny("r".into())),
            r#"{"decision":"block","reason":"r"}"#
        );
        assert_eq!(render(Runtime::Claude, AfterAgent, &Allow), "{}");
        assert_eq!(
            render(Runtime::Claude, BeforeAgent, &AllowWithContext("c".into())),
            r#"{"hookSpecificOutput":{"hookEventName":"SubagentStart","additionalContext":"c"}}"#
        );
        // Qwen Code: Claude Code's answers (not Maestro 1.6.4's `continue:false` + exit 2).
        for event in HookEvent::ALL {
            assert_eq!(render(Runtime::Qwen, event, &Allow), "{}");
        }
        assert_eq!(
            render(Runtime::Qwen, AfterAgent, &Deny("r".into())),
            r#"{"decision":"block","reason":"r"}"#
        );
        assert_eq!(
            render(Runtime::Qwen, BeforeAgent, &AllowWithContext("c".into())),
            r#"{"hookSpecificOutput":{"hookEventName":"SubagentStart","additionalContext":"c"}}"#
        );
        assert_eq!(Runtime::parse("qwen").expect("qwen"), Runtime::Qwen);
        let err = Runtime::parse("Qwen").expect_err("case matters");
        assert!(err.to_string().contains("gemini, claude or qwen"), "{err}");
    }
}
