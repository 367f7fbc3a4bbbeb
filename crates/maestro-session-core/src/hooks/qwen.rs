//! Qwen Code's hook contract (`--runtime qwen`), where it differs from Claude Code's.
//!
//! Source: `@qwen-code/qwen-code@0.24.4` (its `hooks.md` and `chunks/chunk-DPEB6S2R.js`), and
//! hook traffic recorded from it offline (`tests/fixtures/qwen-code/`). Maestro 1.6.2+ ships the
//! same four hooks for Qwen (`qwen-extension.json`, `qwen/hooks.json`).
//!
//! - **Events and payloads** are Claude Code's: SessionStart (`source`, `model`), SubagentStart
//!   (`agent_id`, `agent_type`), SubagentStop (`agent_id`, `agent_type`, `stop_hook_active`,
//!   `last_assistant_message`, `agent_transcript_path`), SessionEnd; each with `session_id`,
//!   `transcript_path`, `cwd`, `hook_event_name`. `agent_type` is the `subagent_type` the lead
//!   gave the `agent` tool (`coder`); `agent_id` is `<agent_type>-<tool call id>`
//!   (`coder-call_2e27…`), the tool call id being whatever the model API returned.
//! - **Answers** are Claude Code's, on stdout with exit 0 ([`super::payload::render`]). A
//!   SubagentStop `{"decision":"block","reason":R}` re-prompts the same sub-agent with
//!   `[Message from parent agent]: R`; its next SubagentStop has `stop_hook_active: true`. With
//!   exit 2 Qwen Code reads the reason from stderr and ignores stdout, so Maestro 1.6.4's answer
//!   (`{"continue":false,"decision":"block",…}` on stdout, exit 2, empty stderr) blocks nothing.
//! - **SubagentStart context**: `hookSpecificOutput.additionalContext` is accepted, but Qwen
//!   Code 0.24.4 hands it to a sub-agent running in the foreground only through the placeholder
//!   `${hook_context}` in the agent file's body (its system prompt); Qwen defines the
//!   placeholder as empty when no hook gave context, so it is always safe to write. We answer
//!   with the same context as for Claude Code; an agent file that wants it has `${hook_context}`
//!   (the README says so). We do not rewrite users' agent files.
//! - **SessionEnd does not fire under `qwen -p`** (only when the interactive UI exits, on
//!   `/clear` and in ACP sessions). Nothing may depend on it: a hook-state folder is left to
//!   the TTL pruning, and no owner is recorded at SessionStart ([`super::owner::find`]), since
//!   every finished `qwen -p` run would otherwise be reported as interrupted.
//! - **Transcripts**: in the foreground (inline) path `agent_transcript_path` names the lead's
//!   chat record (`…/chats/<session_id>.jsonl`), not the sub-agent's, which is
//!   `…/subagents/<session_id>/agent-<agent_id>.jsonl` beside `chats/` ([`subagent_transcript`]).
//! - **Built-in agents** ([`BUILTIN_AGENTS`]) are never held to the handoff format.

use std::path::{Path, PathBuf};

use crate::hooks::payload::HookInput;
use crate::session::agent_name::normalize;
use crate::session::session_id::SessionId;

/// Qwen Code 0.24.4's built-in sub-agent types (`BuiltinAgentRegistry.BUILTIN_AGENTS`, plus the
/// pseudo type `fork`, which forks the lead's own context). `claude-code` and `codex` delegate
/// to those runtimes' executables. None is a Maestro specialist: they are never blocked and
/// get no session context.
pub const BUILTIN_AGENTS: [&str; 7] = [
    "general-purpose",
    "Explore",
    "statusline-setup",
    "review-agent",
    "claude-code",
    "codex",
    "fork",
];

/// Whether `agent_type` (as the payload spells it, or normalized) is one of
/// [`BUILTIN_AGENTS`]; compared as agent names are (case and `-`/`_` alike).
pub fn is_builtin(agent_type: &str) -> bool {
    let name = normalize(agent_type);
    BUILTIN_AGENTS.iter().any(|b| normalize(b) == name)
}

/// The finishing sub-agent's own transcript, where it exists:
///
/// 1. `<project dir>/subagents/<session_id>/agent-<agent_id>.jsonl`, where the project dir is
///    the folder holding `chats/`, the folder of the payload's `transcript_path`
///    (`~/.qwen/projects/<sanitized cwd>/chats/<session_id>.jsonl`); both ids must be safe file
///    names ([`SessionId::parse`]);
/// 2. else `agent_transcript_path` when it is absolute and not the lead's `transcript_path`
///    (the background path names the sub-agent's file there).
///
/// `None` otherwise: the lead's transcript is never counted as the sub-agent's.
pub fn subagent_transcript(input: &HookInput) -> Option<PathBuf> {
    let lead = input
        .str("transcript_path")
        .map(Path::new)
        .filter(|p| p.is_absolute());
    let derived = (|| {
        let chats = lead?.parent()?;
        if chats.file_name()? != "chats" {
            return None;
        }
        let session = SessionId::parse(input.session_id()?).ok()?;
        let agent = SessionId::parse(input.agent_id()?).ok()?;
        Some(
            chats
                .parent()?
                .join("subagents")
                .join(session.as_str())
                .join(format!("agent-{agent}.jsonl")),
        )
    })();
    let named = input
        .str("agent_transcript_path")
        .map(Path::new)
        .filter(|p| p.is_absolute() && Some(*p) != lead)
        .map(Path::to_path_buf);
    match (derived, named) {
        (Some(d), _) if d.is_file() => Some(d),
        (_, Some(n)) => Some(n),
        (d, None) => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: serde_json::Value) -> HookInput {
        HookInput::parse(v.to_string().as_bytes()).expect("payload")
    }

    #[test]
    fn builtins_by_name() {
        for b in BUILTIN_AGENTS {
            assert!(is_builtin(b), "{b}");
        }
        for b in ["explore", "general_purpose", "Review-Agent", " fork "] {
            assert!(is_builtin(b), "{b}");
        }
        for other in ["coder", "tester", "Plan", "default", "", "codex2"] {
            assert!(!is_builtin(other), "{other}");
        }
    }

    #[test]
    fn the_subagent_transcript_is_beside_the_chats_folder() {
        let t = tempfile::tempdir().expect("tmp");
        let project = t.path().join("projects/-home-dev-proj");
        let lead = project.join("chats/s1.jsonl");
        let own = project.join("subagents/s1/agent-coder-call_1.jsonl");
        let payload = |agent_path: &Path| {
            input(
                serde_json::json!({"session_id": "s1", "agent_id": "coder-call_1",
                "transcript_path": lead, "agent_transcript_path": agent_path}),
            )
        };
        // Foreground: agent_transcript_path is the lead's; the sub-agent's own is derived,
        // whether or not it exists yet.
        assert_eq!(subagent_transcript(&payload(&lead)), Some(own.clone()));
        maestro_session_fs::durable::create_dirs(own.parent().expect("dir")).expect("mkdir");
        maestro_session_fs::durable::atomic_replace(&own, b"", 0o600).expect("write");
        assert_eq!(subagent_transcript(&payload(&lead)), Some(own.clone()));
        // Background: the payload names it.
        assert_eq!(subagent_transcript(&payload(&own)), Some(own.clone()));
        // A payload naming another file is believed only when the derived one is absent.
        let elsewhere = t.path().join("elsewhere.jsonl");
        assert_eq!(subagent_transcript(&payload(&elsewhere)), Some(own));
        // Ids that cannot name a file, or a lead transcript not in `chats/`: nothing derived,
        // and the lead's is never taken.
        for (sid, aid, lead) in [
            ("s1", "../x", lead.clone()),
            ("s/1", "coder-call_1", lead.clone()),
            ("s1", "coder-call_1", t.path().join("other/s1.jsonl")),
        ] {
            let p = input(serde_json::json!({"session_id": sid, "agent_id": aid,
                "transcript_path": lead, "agent_transcript_path": lead}));
            assert_eq!(
                subagent_transcript(&p),
                None,
                "{sid} {aid} {}",
                lead.display()
            );
        }
        let relative = input(serde_json::json!({"session_id": "s1", "agent_id": "a",
            "transcript_path": "chats/s1.jsonl", "agent_transcript_path": "x.jsonl"}));
        assert_eq!(subagent_transcript(&relative), None);
    }
}
