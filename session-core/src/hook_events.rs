//! The four lifecycle hooks: what each does with a payload, and the guard that makes sure a
//! hook never fails the runtime's turn.
//!
//! Contract (Gemini CLI 0.61; DESIGN 4): stdout carries exactly one JSON object; a crash or
//! non-JSON output with an exit code other than 0 or 1 would block the user's turn. So every
//! error, bad payload and panic becomes one line on stderr (`[ERROR] maestro: <hook>: ...`), the
//! safe answer on stdout (allow), and exit 0.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::agent::{self, Roster};
use crate::document::Document;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::fsx;
use crate::handoff;
use crate::hook_context;
use crate::hook_io::{Decision, HookEvent, HookInput, Runtime, render};
use crate::hook_state::{self, HookBase, SessionFolder};
use crate::paths::{self, Workspace};
use crate::session_id::SessionId;

/// What a hook run produced: the decision for stdout and the lines for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The decision to print.
    pub decision: Decision,
    /// Diagnostics, each printed as one stderr line.
    pub diagnostics: Vec<String>,
    /// The runtime session id, when the payload had a valid one.
    pub session_id: Option<String>,
    /// The agent this event recorded (BeforeAgent) or checked (AfterAgent).
    pub agent: Option<String>,
}

impl Outcome {
    fn allow() -> Outcome {
        Outcome {
            decision: Decision::Allow,
            diagnostics: Vec::new(),
            session_id: None,
            agent: None,
        }
    }

    fn error(mut self, hook: &str, e: impl std::fmt::Display) -> Outcome {
        self.diagnostics
            .push(format!("[ERROR] maestro: {hook}: {e}"));
        self
    }
}

/// The executable name of each hook, as the install layout and runtime configs call it.
pub fn executable_name(event: HookEvent) -> &'static str {
    match event {
        HookEvent::SessionStart => "session-start",
        HookEvent::BeforeAgent => "before-agent",
        HookEvent::AfterAgent => "after-agent",
        HookEvent::SessionEnd => "session-end",
    }
}

/// The whole life of a hook executable: parse `--runtime`, read stdin, handle, print. Never
/// panics and always returns exit code 0; see the module docs.
pub fn main(event: HookEvent, args: impl IntoIterator<Item = OsString>) -> i32 {
    std::panic::set_hook(Box::new(|_| {}));
    let hook = executable_name(event);
    let mut runtime = Runtime::Gemini;
    let mut usage_error = None;
    let mut args = args.into_iter().skip(1);
    while let Some(arg) = args.next() {
        // Arguments stay OsString: a non-UTF-8 one is a diagnostic, never a panic or a guess.
        use std::os::unix::ffi::OsStrExt;
        let value = if arg == "--runtime" {
            args.next()
                .ok_or_else(|| "--runtime needs a value".to_string())
        } else {
            arg.as_bytes()
                .strip_prefix(b"--runtime=")
                .map(|v| std::ffi::OsStr::from_bytes(v).to_os_string())
                .ok_or_else(|| format!("unknown argument {arg:?}"))
        };
        let parsed = match &value {
            Ok(v) => v.to_str().map(Runtime::parse).ok_or_else(|| {
                format!("--runtime value {v:?} is not valid UTF-8; expected gemini or claude")
            }),
            Err(what) => Err(format!("{what}; usage: {hook} [--runtime gemini|claude]")),
        };
        match parsed {
            Ok(Ok(r)) => runtime = r,
            Ok(Err(e)) => usage_error = Some(e.to_string()),
            Err(e) => usage_error = Some(e),
        }
    }
    let outcome = guard(hook, || {
        let env = Env::process();
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let mut outcome = handle(
            event,
            runtime,
            &env,
            &cwd,
            HookInput::from_stdin(),
            SystemTime::now(),
        );
        if let Some(e) = usage_error {
            outcome = outcome.error(hook, e);
        }
        outcome
    });
    let mut err = std::io::stderr().lock();
    for line in &outcome.diagnostics {
        let _ = writeln!(err, "{line}");
    }
    let answer = render(runtime, event, &outcome.decision);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{answer}");
    let _ = out.flush();
    if let Some(log) = std::env::var_os(HOOK_LOG_VAR).filter(|v| !v.is_empty()) {
        append_log(Path::new(&log), hook, &outcome, &answer);
    }
    0
}

/// Variable naming a file to which every hook run appends one JSON line
/// (`{"time","hook","session_id","agent","answer","errors"}`), for people debugging a setup
/// and for the end-to-end tests. Unset: nothing is logged.
pub const HOOK_LOG_VAR: &str = "MAESTRO_HOOK_LOG";

fn append_log(path: &Path, hook: &str, outcome: &Outcome, answer: &str) {
    let line = serde_json::json!({
        "time": jiff::Timestamp::now().to_string(),
        "hook": hook,
        "session_id": outcome.session_id,
        "agent": outcome.agent,
        "answer": serde_json::from_str::<serde_json::Value>(answer).unwrap_or_default(),
        "errors": outcome.diagnostics,
    });
    // One write of one line with O_APPEND, so concurrent hooks never interleave lines.
    let _ = fsx::append_line(path, format!("{line}\n").as_bytes());
}

/// Runs `f`, turning a panic into an allow with one diagnostic line.
pub fn guard(hook: &str, f: impl FnOnce() -> Outcome) -> Outcome {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(outcome) => outcome,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let what = what.lines().next().unwrap_or_default().to_string();
            Outcome::allow().error(hook, format!("internal error: {what}"))
        }
    }
}

/// Handles one hook event. `input` is the parsed payload or why it could not be read; `cwd`
/// is the process's working directory (the payload's `cwd` wins when it is an existing folder).
pub fn handle(
    event: HookEvent,
    runtime: Runtime,
    env: &Env,
    cwd: &Path,
    input: Result<HookInput>,
    now: SystemTime,
) -> Outcome {
    let hook = executable_name(event);
    let input = match input {
        Ok(input) => input,
        Err(e) => return Outcome::allow().error(hook, e),
    };
    let mut ctx = match Ctx::new(runtime, env, cwd, &input) {
        Ok(ctx) => ctx,
        Err(e) => return Outcome::allow().error(hook, e),
    };
    let result = match event {
        HookEvent::SessionStart => session_start(&mut ctx, now),
        HookEvent::BeforeAgent => before_agent(&mut ctx, &input, now),
        HookEvent::AfterAgent => after_agent(&mut ctx, &input),
        HookEvent::SessionEnd => ctx.folder.remove().map(|()| Decision::Allow),
    };
    let mut outcome = Outcome {
        decision: Decision::Allow,
        diagnostics: std::mem::take(&mut ctx.diagnostics),
        session_id: Some(ctx.id.to_string()),
        agent: ctx.agent.take(),
    };
    match result {
        Ok(decision) => outcome.decision = decision,
        Err(e) => outcome = outcome.error(hook, e),
    }
    outcome
}

struct Ctx<'a> {
    runtime: Runtime,
    env: &'a Env,
    id: SessionId,
    base: HookBase,
    folder: SessionFolder,
    workspace: Workspace,
    diagnostics: Vec<String>,
    agent: Option<String>,
}

impl<'a> Ctx<'a> {
    fn new(runtime: Runtime, env: &'a Env, cwd: &Path, input: &HookInput) -> Result<Ctx<'a>> {
        let raw = input
            .session_id()
            .ok_or_else(|| Error::Invalid("payload has no string session_id".into()))?;
        let id = SessionId::parse(raw)?;
        let base = HookBase::resolve(env)?;
        let mut diagnostics = Vec::new();
        if let Some(notice) = &base.fallback_notice {
            diagnostics.push(format!("[WARN] maestro: {notice}"));
        }
        let start = input
            .cwd()
            .map(Path::new)
            .filter(|p| p.is_absolute() && p.is_dir())
            .unwrap_or(cwd);
        let workspace = Workspace::resolve(env, start)?;
        Ok(Ctx {
            runtime,
            env,
            folder: base.session(&id),
            id,
            base,
            workspace,
            diagnostics,
            agent: None,
        })
    }

    /// Prunes when due. A malformed `MAESTRO_HOOKS_TTL_SECS` cannot fail the turn: it is
    /// reported and the default TTL is used.
    fn prune(&mut self, now: SystemTime) {
        let ttl = hook_state::ttl_from(self.env).unwrap_or_else(|e| {
            self.diagnostics.push(format!(
                "[WARN] maestro: {e}; using {} s",
                hook_state::DEFAULT_TTL_SECS
            ));
            std::time::Duration::from_secs(hook_state::DEFAULT_TTL_SECS)
        });
        self.base.prune_if_due(Some(&self.id), ttl, now);
    }

    /// The context summary of the active session, from the cache when the session file is
    /// unchanged: `Ok(None)` when there is no active session. The state dir is opened beneath
    /// the project root and only the frontmatter of a regular file is read (at most
    /// [`fsx::MAX_SESSION_BYTES`]), so a FIFO, a device or a huge file cannot stall the turn.
    fn active_session_summary(&self) -> Result<Option<String>> {
        use std::os::unix::fs::MetadataExt;
        let Some(root) = self.workspace.open_state_dir(false)? else {
            return Ok(None);
        };
        let rel = Path::new(paths::ACTIVE_REL);
        let file = match root.open_read(rel, true) {
            Err(e) if e.is_not_found() => return Ok(None),
            other => other?,
        };
        let path = root.join(rel);
        let meta = file
            .metadata()
            .map_err(|e| Error::io("inspect", &path, e))?;
        let key = format!(
            "{} {}:{}:{}:{}.{}",
            path.display(),
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.mtime(),
            meta.mtime_nsec()
        );
        if meta.is_file()
            && let Some(summary) = self.folder.cached_context(&key)
        {
            return Ok(Some(summary));
        }
        let bytes = fsx::read_frontmatter_opened(file, &path, fsx::MAX_SESSION_BYTES)?;
        let doc = Document::from_bytes(&bytes).map_err(|e| e.at(&path))?;
        let summary = hook_context::summarize(&doc.frontmatter);
        self.folder.store_context(&key, &summary);
        Ok(Some(summary))
    }

    /// Whether the workspace has an active session file (not read).
    fn has_active_session(&self) -> bool {
        matches!(
            self.workspace.open_state_dir(false),
            Ok(Some(root)) if root.metadata(Path::new(paths::ACTIVE_REL)).is_ok_and(|m| m.is_some())
        )
    }
}

fn session_start(ctx: &mut Ctx, now: SystemTime) -> Result<Decision> {
    ctx.prune(now);
    if ctx.has_active_session() {
        ctx.folder.touch()?;
    }
    Ok(Decision::Allow)
}

fn before_agent(ctx: &mut Ctx, input: &HookInput, now: SystemTime) -> Result<Decision> {
    ctx.prune(now);
    match (ctx.runtime, input.agent_id()) {
        (Runtime::Claude, Some(agent_id)) => {
            let agent_id = SessionId::parse(agent_id)?;
            let agent = input.agent_type().and_then(claude_agent_name);
            if let Some(agent) = agent {
                ctx.folder.start_subagent(&agent_id, &agent)?;
                ctx.agent = Some(agent);
            }
        }
        _ => {
            let roster = Roster::from_env(ctx.env);
            match agent::detect(input.prompt(), ctx.env, &roster) {
                Some(agent) => {
                    ctx.folder.set_active_agent(&agent)?;
                    ctx.agent = Some(agent);
                }
                None if ctx.folder.exists() => ctx.folder.touch()?,
                None => {}
            }
        }
    }
    match ctx.active_session_summary()? {
        Some(summary) => Ok(Decision::AllowWithContext(summary)),
        None => Ok(Decision::Allow),
    }
}

/// Claude Code agent types may be namespaced (`my-plugin:reviewer`); the bare name is kept
/// when it is a safe agent name.
fn claude_agent_name(agent_type: &str) -> Option<String> {
    let bare = agent::normalize(agent_type.rsplit(':').next().unwrap_or(agent_type));
    let safe = !bare.is_empty()
        && bare.len() <= 64
        && bare.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    safe.then_some(bare)
}

fn after_agent(ctx: &mut Ctx, input: &HookInput) -> Result<Decision> {
    let subagent = match (ctx.runtime, input.agent_id()) {
        (Runtime::Claude, Some(agent_id)) => Some(SessionId::parse(agent_id)?),
        _ => None,
    };
    let agent = match &subagent {
        Some(agent_id) => ctx
            .folder
            .subagent(agent_id)
            .or_else(|| input.agent_type().and_then(claude_agent_name)),
        None => ctx.folder.active_agent(),
    };
    match &subagent {
        Some(agent_id) => ctx.folder.stop_subagent(agent_id)?,
        None => ctx.folder.clear_active_agent()?,
    }
    if ctx.folder.exists() {
        ctx.folder.touch()?;
    }
    let Some(agent) = agent else {
        return Ok(Decision::Allow);
    };
    ctx.agent = Some(agent.clone());
    let validate = ctx
        .env
        .get("MAESTRO_VALIDATE_HANDOFF")
        .is_none_or(|v| v != "0");
    if !validate || agent::LEAD_AGENTS.contains(&agent.as_str()) || input.stop_hook_active() {
        return Ok(Decision::Allow);
    }
    let missing = handoff::missing_sections(input.response());
    if missing.is_empty() {
        Ok(Decision::Allow)
    } else {
        Ok(Decision::Deny(handoff::deny_reason(&missing)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_becomes_allow_with_one_line() {
        let outcome = guard("before-agent", || panic!("boom\nsecond line"));
        assert_eq!(outcome.decision, Decision::Allow);
        assert_eq!(
            outcome.diagnostics,
            vec!["[ERROR] maestro: before-agent: internal error: boom".to_string()]
        );
        let outcome = guard("x", || std::panic::panic_any(42_u8));
        assert_eq!(outcome.diagnostics.len(), 1);
    }

    #[test]
    fn claude_agent_names() {
        assert_eq!(
            claude_agent_name("my-plugin:code-reviewer").as_deref(),
            Some("code_reviewer")
        );
        assert_eq!(claude_agent_name("Explore").as_deref(), Some("explore"));
        assert_eq!(claude_agent_name("../x"), None);
    }
}
