//! AfterAgent (Claude Code and Codex: SubagentStop): the finished agent's usage, as the runtime
//! recorded it in its transcript, added to the active session ([`Store::count_transcript`]).
//!
//! Which transcript (the outside contracts):
//!
//! - Claude Code 2.1.330 and Codex 0.169 (`--runtime claude`): the payload's
//!   `agent_transcript_path`, the sub-agent's own JSONL (Claude Code's transcript, Codex's
//!   rollout), counted under the sub-agent's name.
//! - Qwen Code 0.24.4 (`--runtime qwen`): the sub-agent's own transcript
//!   ([`super::qwen::subagent_transcript`]; in the foreground `agent_transcript_path` names the
//!   lead's), counted under the sub-agent's name.
//! - Gemini CLI 0.61: the payload's `transcript_path`, the session's chat record, which holds
//!   every turn; its new bytes are counted under the agent of the turn (a turn with no detected
//!   agent only moves the offset on, so no agent is charged for it).

use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::error::Result;
use crate::hooks::budget;
use crate::hooks::payload::{HookEvent, HookInput, Runtime};
use crate::store::Store;
use crate::store::count_transcript::Counted;
use crate::store::event_log::Actor;
use crate::workspace::paths::Workspace;

/// The transcript whose usage belongs to the finishing agent, by the module's rule: an
/// absolute path, or `None`.
pub fn transcript(runtime: Runtime, input: &HookInput) -> Option<PathBuf> {
    let key = match runtime {
        Runtime::Claude => "agent_transcript_path",
        Runtime::Gemini => "transcript_path",
        Runtime::Qwen => return super::qwen::subagent_transcript(input),
    };
    input
        .str(key)
        .map(Path::new)
        .filter(|p| p.is_absolute())
        .map(Path::to_path_buf)
}

/// Counts the finishing agent's transcript into the active session (the caller checked there
/// is one). `Ok(None)` when the payload names no transcript, it does not exist, or nothing is
/// new. The state lock is waited for at most [`budget::HOOK_LOCK_BUDGET`].
///
/// Errors: as [`Store::count_transcript`] ([`crate::Error::LockTimeout`] past the budget).
pub fn after_agent(
    ws: &Workspace,
    env: &Env,
    runtime: Runtime,
    input: &HookInput,
    agent: Option<&str>,
) -> Result<Option<Counted>> {
    let Some(path) = transcript(runtime, input) else {
        return Ok(None);
    };
    let path = path.as_path();
    // A transcript the runtime has not written (or has removed) holds nothing to count; the
    // lock is not taken for it.
    if !path.exists() {
        return Ok(None);
    }
    count(ws, env, runtime, path, agent)
}

/// Counts the transcript at `path` into the active session under `agent`, as the AfterAgent
/// hook of `runtime` (waiting at most [`budget::HOOK_LOCK_BUDGET`] for the lock). `Ok(None)`
/// when it does not exist or nothing is new.
///
/// Errors: as [`Store::count_transcript`] ([`crate::Error::LockTimeout`] past the budget).
pub fn count(
    ws: &Workspace,
    env: &Env,
    runtime: Runtime,
    path: &Path,
    agent: Option<&str>,
) -> Result<Option<Counted>> {
    let actor = Actor::Hook(HookEvent::AfterAgent.name(runtime).to_string());
    let store = Store::new(ws.clone(), env.clone())
        .with_actor(actor)
        .with_lock_wait(budget::HOOK_LOCK_BUDGET);
    match store.count_transcript(path, agent) {
        Err(e) if e.is_not_found() => Ok(None),
        other => other,
    }
}
