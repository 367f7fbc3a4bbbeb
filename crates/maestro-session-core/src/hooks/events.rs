//! The four lifecycle hooks: what each does with a payload, and the answer it gives.
//!
//! Contract (Gemini CLI 0.61; Claude Code 2.1.330; Qwen Code 0.24.4): stdout carries exactly one JSON object; a
//! crash or non-JSON output with an exit code other than 0 or 1 would block the user's turn.
//! So [`run`] never fails: every error and bad payload becomes one diagnostic line
//! (`[ERROR] maestro: <hook>: ...`) beside the safe answer (allow). The executables (the
//! `hooks` crate) read stdin and the arguments, catch a panic into [`Answer::safe`], print
//! the [`Answer`] and exit 0 ([`crate::error::ExitCodes::hook`]).

use std::path::Path;
use std::time::SystemTime;

use crate::env::Env;
use crate::env_vars::EnvVars;
use crate::error::{Error, Result};
use crate::hooks::agent::{self, Roster};
use crate::hooks::context::{ContextCache, SessionView};
use crate::hooks::payload::{Decision, HookEvent, HookInput, Runtime, render};
use crate::hooks::state::{self, HookBase, SessionFolder};
use crate::hooks::{owner, roster, usage};
use crate::session::document::Document;
use crate::session::handoff;
use crate::session::session_id::SessionId;
use crate::workspace::paths::{self, Workspace};
use maestro_session_fs::durable;

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

/// A hook's answer to one event in one runtime's dialect: what it prints and what it logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The event answered.
    pub event: HookEvent,
    /// The dialect answered in.
    pub runtime: Runtime,
    /// The decision and diagnostics.
    pub outcome: Outcome,
}

impl Answer {
    /// The safe answer: allow, with `why` as the one diagnostic line. What a hook answers when
    /// its run could not finish (a panic, reported as [`Error::Internal`]).
    pub fn safe(event: HookEvent, runtime: Runtime, why: impl std::fmt::Display) -> Answer {
        Answer {
            event,
            runtime,
            outcome: Outcome::allow().error(executable_name(event), why),
        }
    }

    /// This answer with one more diagnostic line, `[ERROR] maestro: <hook>: <e>`; the
    /// decision is unchanged.
    pub fn with_error(mut self, e: impl std::fmt::Display) -> Answer {
        self.outcome = self.outcome.error(executable_name(self.event), e);
        self
    }

    /// The one JSON object for stdout (no newline), in [`Answer::runtime`]'s dialect.
    pub fn json(&self) -> String {
        render(self.runtime, self.event, &self.outcome.decision)
    }

    /// The hook-log line for this answer at `time` (no newline):
    /// `{"time","hook","session_id","agent","answer","errors"}`; see
    /// [`EnvVars::MAESTRO_HOOK_LOG`].
    pub fn log_line(&self, time: jiff::Timestamp) -> String {
        serde_json::json!({
            "time": time.to_string(),
            "hook": executable_name(self.event),
            "session_id": self.outcome.session_id,
            "agent": self.outcome.agent,
            "answer": serde_json::from_str::<serde_json::Value>(&self.json()).unwrap_or_default(),
            "errors": self.outcome.diagnostics,
        })
        .to_string()
    }
}

/// The executable name of each hook, as the install layout and runtime configs call it.
pub fn executable_name(event: HookEvent) -> &'static str {
    event.executable()
}

/// Runs one hook event and answers in `runtime`'s dialect. `input` is the payload as read from
/// stdin, or why it could not be read ([`HookInput::read`]); `cwd` is the process's working
/// directory (the payload's `cwd` wins when it is an existing folder); `now` is the time
/// pruning and the agent records go by.
///
/// Never fails: every error is a diagnostic of the answer, whose decision is then allow.
/// Panics are not caught here (the executable does it, answering [`Answer::safe`]).
pub fn run(
    event: HookEvent,
    runtime: Runtime,
    input: Result<HookInput>,
    env: &Env,
    cwd: &Path,
    now: SystemTime,
) -> Answer {
    Answer {
        event,
        runtime,
        outcome: handle(event, runtime, env, cwd, input, now),
    }
}

/// Appends `answer`'s [`Answer::log_line`] to the hook log at `path`
/// ([`EnvVars::MAESTRO_HOOK_LOG`]): one write of one line with `O_APPEND`, so concurrent hooks
/// never interleave lines. A log that cannot be written is ignored: it must never fail a turn.
pub fn append_log(path: &Path, answer: &Answer) {
    let line = answer.log_line(jiff::Timestamp::now());
    let _ = durable::append_line(path, format!("{line}\n").as_bytes());
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
        HookEvent::SessionEnd => session_end(&mut ctx),
    };
    if let Ok(decision) = &result {
        ctx.log_agent_event(event, decision);
    }
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
        let ttl = state::ttl_from(self.env).unwrap_or_else(|e| {
            self.diagnostics.push(format!(
                "[WARN] maestro: {e}; using {} s",
                state::DEFAULT_TTL_SECS
            ));
            std::time::Duration::from_secs(state::DEFAULT_TTL_SECS)
        });
        self.base.prune_if_due(Some(&self.id), ttl, now);
    }

    /// What the hooks need of the active session ([`SessionView`]: summary, the agents its
    /// phases name, and `agent`'s context when asked for), from the cache when the session file
    /// is unchanged: `Ok(None)` when there is no active session. The state dir is opened
    /// beneath the project root and only the frontmatter of a regular file is read (at most
    /// [`durable::MAX_SESSION_BYTES`]), so a FIFO, a device or a huge file cannot stall the turn.
    ///
    /// Errors: the session file cannot be opened or read, or does not parse.
    fn session_view(&self, agent: Option<&str>) -> Result<Option<SessionView>> {
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
        let (dev, ino) = maestro_session_fs::platform::file_identity(&file)
            .map_err(|e| Error::io("inspect", &path, e))?;
        let (mtime_s, mtime_ns) = maestro_session_fs::platform::mtime_parts(meta.modified());
        let key = format!(
            "{} {dev}:{ino}:{}:{mtime_s}.{mtime_ns}",
            path.display(),
            meta.len()
        );
        let cached = meta
            .is_file()
            .then(|| self.folder.context_cache())
            .flatten()
            .filter(|c| c.key == key);
        if let Some(view) = cached.as_ref().and_then(|c| c.view(&key, agent)) {
            return Ok(Some(view));
        }
        let bytes = durable::read_frontmatter_opened(file, &path, durable::MAX_SESSION_BYTES)?;
        let doc = Document::from_bytes(&bytes).map_err(|e| e.at(&path))?;
        let mut cache = cached.unwrap_or_else(|| ContextCache::build(&key, &doc.frontmatter));
        let view = cache.fill(&doc.frontmatter, agent);
        self.folder.store_context_cache(&cache);
        Ok(Some(view))
    }

    /// Appends `agent started` (BeforeAgent), `agent blocked` or `agent allowed` (AfterAgent)
    /// for the agent this run recorded or checked to the active session's event log, without
    /// the lock or a sync ([`crate::store::event_log::record_hook`]); a failure is a diagnostic.
    fn log_agent_event(&mut self, event: HookEvent, decision: &Decision) {
        let op = match (event, decision) {
            (HookEvent::BeforeAgent, _) => "agent started",
            (HookEvent::AfterAgent, Decision::Deny(_)) => "agent blocked",
            (HookEvent::AfterAgent, _) => "agent allowed",
            _ => return,
        };
        let Some(agent) = self.agent.clone() else {
            return;
        };
        let session = match self.session_view(None) {
            Ok(Some(view)) if !view.session_id.is_empty() => view.session_id,
            _ => return,
        };
        let mut extra = vec![("agent", serde_json::Value::from(agent))];
        if let Decision::Deny(reason) = decision {
            extra.push(("reason", serde_json::Value::from(reason.as_str())));
        }
        let name = event.name(self.runtime);
        if let Err(e) =
            crate::store::event_log::record_hook(&self.workspace, name, op, &session, &extra)
        {
            self.diagnostics
                .push(format!("[WARN] maestro: cannot log the event: {e}"));
        }
    }

    /// [`agent::is_specialist`] with this workspace's configured list, read only when needed;
    /// never one of this runtime's built-in agents ([`roster::is_runtime_builtin`]), whatever
    /// names it.
    fn is_specialist(&self, agent: &str, session_agents: Option<&[String]>) -> Result<bool> {
        if roster::is_runtime_builtin(self.runtime, agent) {
            return Ok(false);
        }
        agent::is_specialist(agent, session_agents, || {
            agent::configured_specialists(self.env, &self.workspace.project_root)
        })
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
    // Issue 19: a team member's runtime session id, when MAESTRO_TEAM_MEMBER says this is one
    // (nothing is read otherwise).
    if let Err(e) = crate::team::capture::session_start(
        ctx.env,
        &ctx.id.to_string(),
        crate::hooks::budget::HOOK_LOCK_BUDGET,
    ) {
        ctx.diagnostics
            .push(format!("[ERROR] maestro: session-start: team member: {e}"));
    }
    if ctx.has_active_session() {
        ctx.folder.touch()?;
        // Issue 11: which runtime process owns the active session (state/owner.json).
        if let Err(e) =
            owner::session_start(&ctx.workspace, ctx.runtime, ctx.env, &ctx.id.to_string())
        {
            ctx.diagnostics
                .push(format!("[ERROR] maestro: session-start: {e}"));
        }
    }
    Ok(Decision::Allow)
}

/// Removes the runtime session's hook-state folder and, when it names this runtime process,
/// the active session's owner record (a SessionEnd is no interruption).
fn session_end(ctx: &mut Ctx) -> Result<Decision> {
    if let Err(e) = owner::session_end(&ctx.workspace, ctx.runtime, ctx.env, &ctx.id.to_string()) {
        ctx.diagnostics
            .push(format!("[ERROR] maestro: session-end: {e}"));
    }
    ctx.folder.remove().map(|()| Decision::Allow)
}

/// Records the agent and answers with context: the agent's own phase
/// ([`crate::hooks::context::agent_context`]) when a phase of the active session names it; else, for a
/// Claude Code or Qwen Code sub-agent, the session summary if it is a configured specialist and
/// nothing otherwise (a built-in `Explore` or `Plan` has no use for Maestro's state); else (a
/// Gemini CLI turn, with or without a detected agent) the session summary. A runtime's built-in
/// agents ([`roster::is_runtime_builtin`]) get nothing.
fn before_agent(ctx: &mut Ctx, input: &HookInput, now: SystemTime) -> Result<Decision> {
    ctx.prune(now);
    let subagent = match input.agent_id() {
        Some(agent_id) if ctx.runtime.has_subagent_events() => {
            let agent_id = record_id(ctx.runtime, agent_id)?;
            let agent = input.agent_type().and_then(claude_agent_name);
            if let Some(agent) = agent {
                if let Some(agent_id) = &agent_id {
                    ctx.folder.start_subagent(agent_id, &agent)?;
                }
                ctx.agent = Some(agent);
            }
            // A runtime's own agents are no Maestro specialists: no context, whatever names them.
            let runtime = ctx.runtime;
            if ctx
                .agent
                .as_deref()
                .is_some_and(|a| roster::is_runtime_builtin(runtime, a))
            {
                return Ok(Decision::Allow);
            }
            true
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
            false
        }
    };
    let Some(view) = ctx.session_view(ctx.agent.as_deref())? else {
        return Ok(Decision::Allow);
    };
    if let Some(context) = view.context {
        return Ok(Decision::AllowWithContext(context));
    }
    if !subagent {
        return Ok(Decision::AllowWithContext(view.summary));
    }
    let specialist = match ctx.agent.as_deref() {
        Some(a) => ctx.is_specialist(a, Some(&view.agents))?,
        None => false,
    };
    Ok(if specialist {
        Decision::AllowWithContext(view.summary)
    } else {
        Decision::Allow
    })
}

/// Claude Code agent types may be namespaced (`my-plugin:reviewer`); the bare name is kept
/// when it is a safe agent name.
fn claude_agent_name(agent_type: &str) -> Option<String> {
    crate::session::agent_name::parse(agent_type.rsplit(':').next().unwrap_or(agent_type))
}

/// The name of a sub-agent's `agents/<agent_id>` record. Claude Code's and Codex's ids must be
/// safe ([`SessionId::parse`]; an error otherwise). Qwen Code's id ends in the model API's tool
/// call id, which may be anything: one that cannot name a file gets no record (`None`), and the
/// agent is known by the payload's `agent_type` alone.
fn record_id(runtime: Runtime, agent_id: &str) -> Result<Option<SessionId>> {
    match SessionId::parse(agent_id) {
        Ok(id) => Ok(Some(id)),
        Err(_) if runtime == Runtime::Qwen => Ok(None),
        Err(e) => Err(e),
    }
}

/// Checks the finishing agent's handoff report and forgets the agent (a runtime's built-in
/// agents are never checked). Claude Code and Qwen Code: a sub-agent that is blocked keeps its
/// `agents/<agent_id>` record until a later stop of it is
/// allowed (Claude Code re-prompts the same `agent_id` with the reason, and its retry's
/// SubagentStop carries `stop_hook_active: true`); Gemini CLI clears the active agent either way
/// (its retry is a new BeforeAgent turn).
fn after_agent(ctx: &mut Ctx, input: &HookInput) -> Result<Decision> {
    let subagent = match input.agent_id() {
        Some(agent_id) if ctx.runtime.has_subagent_events() => {
            Some(record_id(ctx.runtime, agent_id)?)
        }
        _ => None,
    };
    let agent = match &subagent {
        Some(agent_id) => agent_id
            .as_ref()
            .and_then(|id| ctx.folder.subagent(id))
            .or_else(|| input.agent_type().and_then(claude_agent_name)),
        None => ctx.folder.active_agent(),
    };
    ctx.agent = agent.clone();
    let decision = match agent {
        // A runtime's own agents are never blocked, whatever names them.
        Some(agent) if roster::is_runtime_builtin(ctx.runtime, &agent) => Decision::Allow,
        Some(agent) => check_handoff(ctx, input, &agent).unwrap_or_else(|e| {
            ctx.diagnostics
                .push(format!("[ERROR] maestro: after-agent: {e}"));
            Decision::Allow
        }),
        None => Decision::Allow,
    };
    let forget = match (&subagent, &decision) {
        (Some(_), Decision::Deny(_)) | (Some(None), _) => Ok(()),
        (Some(Some(agent_id)), _) => ctx.folder.stop_subagent(agent_id),
        (None, _) => ctx.folder.clear_active_agent(),
    };
    let touched = if ctx.folder.exists() {
        ctx.folder.touch()
    } else {
        Ok(())
    };
    // Issue 11: the agent's usage, from the runtime's transcript, into the active session.
    if ctx.has_active_session() {
        count_usage(ctx, input);
    }
    for e in [forget, touched].into_iter().filter_map(Result::err) {
        ctx.diagnostics
            .push(format!("[ERROR] maestro: after-agent: {e}"));
    }
    Ok(decision)
}

/// Counts the finished agent's transcript ([`usage::after_agent`]), first the transcripts an
/// earlier run of this runtime session could not count within its lock budget
/// ([`SessionFolder::pending`]), and reports on stderr what could not be counted: each skipped
/// line (where and why, never its text), or that the state lock stayed busy past the hook's
/// budget ([`crate::hooks::budget`]): then nothing is recorded in the session, the transcript
/// is noted in the hook state, and the next AfterAgent of the runtime session counts it.
fn count_usage(ctx: &mut Ctx, input: &HookInput) {
    let mut busy = None;
    for (name, path, agent) in ctx.folder.pending() {
        match usage::count(
            &ctx.workspace,
            ctx.env,
            ctx.runtime,
            &path,
            agent.as_deref(),
        ) {
            Err(e @ Error::LockTimeout { .. }) => {
                busy = Some(e);
                break;
            }
            done => {
                report_count(ctx, &path, done);
                if let Err(e) = ctx.folder.remove_pending(&name) {
                    ctx.diagnostics
                        .push(format!("[WARN] maestro: after-agent: {e}"));
                }
            }
        }
    }
    let Some(path) = usage::transcript(ctx.runtime, input) else {
        return;
    };
    let counted = match busy {
        // The lock stayed busy for the owed counts: this one waits with them, so a hook spends
        // one budget at most.
        Some(e) => Err(e),
        None => usage::after_agent(
            &ctx.workspace,
            ctx.env,
            ctx.runtime,
            input,
            ctx.agent.as_deref(),
        ),
    };
    match counted {
        Err(e @ Error::LockTimeout { .. }) => {
            let noted = maestro_session_fs::reader::open_path(&path)
                .map_err(Error::from)
                .and_then(|f| {
                    ctx.folder
                        .add_pending(f.identity(), &path, ctx.agent.as_deref())
                });
            let later = match noted {
                Ok(()) => "noted; the next AfterAgent of this runtime session counts them".into(),
                Err(why) => format!("and they cannot be noted for later ({why})"),
            };
            ctx.diagnostics.push(format!(
                "[WARN] maestro: after-agent: {}: tokens not counted within the hook's {} ms \
                 lock budget ({e}); {later}",
                path.display(),
                crate::hooks::budget::HOOK_LOCK_BUDGET_MS
            ));
        }
        other => report_count(ctx, &path, other),
    }
}

/// Diagnostics of one transcript count: a line per skipped line, or the error.
fn report_count(ctx: &mut Ctx, path: &Path, counted: Result<Option<crate::store::usage::Counted>>) {
    match counted {
        Ok(Some(c)) => {
            for s in c.skipped {
                ctx.diagnostics.push(format!(
                    "[WARN] maestro: after-agent: {}: skipped the line at byte {} ({}); \
                     later lines are counted",
                    path.display(),
                    s.at,
                    s.why.describe()
                ));
            }
        }
        Ok(None) => {}
        Err(e) => ctx
            .diagnostics
            .push(format!("[ERROR] maestro: after-agent: {e}")),
    }
}

/// The handoff check of `agent`'s response: a deny naming the missing sections when the report
/// lacks any, this is not already a retry (`stop_hook_active`), the check is on
/// (`MAESTRO_VALIDATE_HANDOFF` is not `0`) and the agent is a Maestro specialist
/// ([`agent::is_specialist`]); otherwise allow. The session is read only when sections are
/// missing, so a complete report costs no read.
fn check_handoff(ctx: &Ctx, input: &HookInput, agent: &str) -> Result<Decision> {
    let validate = ctx
        .env
        .get(EnvVars::MAESTRO_VALIDATE_HANDOFF)
        .is_none_or(|v| v != "0");
    if !validate || input.stop_hook_active() {
        return Ok(Decision::Allow);
    }
    let missing = handoff::missing_sections(input.response());
    if missing.is_empty() {
        return Ok(Decision::Allow);
    }
    let view = ctx.session_view(None)?;
    if ctx.is_specialist(agent, view.as_ref().map(|v| v.agents.as_slice()))? {
        Ok(Decision::Deny(handoff::deny_reason(&missing)))
    } else {
        Ok(Decision::Allow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_answer_allows_with_one_line_and_the_log_names_it() {
        let answer = Answer::safe(
            HookEvent::BeforeAgent,
            Runtime::Gemini,
            Error::Internal("boom".into()),
        );
        assert_eq!(answer.json(), r#"{"decision":"allow"}"#);
        assert_eq!(
            answer.outcome.diagnostics,
            vec!["[ERROR] maestro: before-agent: internal error: boom".to_string()]
        );
        let answer = answer.with_error("unknown argument \"x\"");
        assert_eq!(answer.outcome.diagnostics.len(), 2);
        let time = jiff::Timestamp::UNIX_EPOCH;
        let line: serde_json::Value =
            serde_json::from_str(&answer.log_line(time)).expect("one JSON line");
        assert_eq!(line["hook"], "before-agent");
        assert_eq!(line["answer"], serde_json::json!({"decision": "allow"}));
        assert_eq!(line["errors"].as_array().map(Vec::len), Some(2));
    }

    /// A project with the fixture session active, a hook base, and the environment pointing
    /// at both.
    fn world() -> (tempfile::TempDir, Env) {
        let t = tempfile::tempdir().expect("tmp");
        let state = t.path().join("proj/docs/maestro/state");
        durable::create_dirs(&state).expect("mkdir");
        durable::atomic_replace(
            &state.join("active-session.md"),
            include_bytes!("../../../../tests/fixtures/maestro-state/active-session.yaml.md"),
            durable::PRIVATE_FILE_MODE,
        )
        .expect("session");
        let env = Env::from_pairs(
            [
                (EnvVars::MAESTRO_HOOKS_DIR, t.path().join("hooks")),
                (EnvVars::MAESTRO_WORKSPACE_PATH, t.path().join("proj")),
            ]
            .map(|(k, v)| (k, v.to_string_lossy().into_owned())),
        );
        (t, env)
    }

    fn claude(env: &Env, event: HookEvent, payload: serde_json::Value) -> Outcome {
        let input = HookInput::parse(payload.to_string().as_bytes());
        let outcome = handle(
            event,
            Runtime::Claude,
            env,
            Path::new("/"),
            input,
            SystemTime::now(),
        );
        assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
        outcome
    }

    fn stop(agent_id: &str, agent_type: &str, retry: bool) -> serde_json::Value {
        serde_json::json!({"session_id": "s", "agent_id": agent_id, "agent_type": agent_type,
            "stop_hook_active": retry, "last_assistant_message": "## Task Report\nonly this"})
    }

    #[test]
    fn a_blocked_subagent_keeps_its_record_until_allowed() {
        let (t, env) = world();
        let record = t.path().join("hooks/s/agents/a1");
        let start = serde_json::json!({"session_id": "s", "agent_id": "a1", "agent_type": "coder"});
        claude(&env, HookEvent::BeforeAgent, start);
        let blocked = claude(&env, HookEvent::AfterAgent, stop("a1", "coder", false));
        assert!(matches!(blocked.decision, Decision::Deny(_)), "{blocked:?}");
        assert!(record.is_file(), "blocked: the record stays");
        let allowed = claude(&env, HookEvent::AfterAgent, stop("a1", "coder", true));
        assert_eq!(allowed.decision, Decision::Allow);
        assert!(!record.exists(), "allowed: the record goes");
    }

    #[test]
    fn builtin_subagents_get_no_context_and_are_never_blocked() {
        let (t, env) = world();
        for builtin in ["Explore", "Plan", "general-purpose", "default"] {
            let start =
                serde_json::json!({"session_id": "s", "agent_id": "b1", "agent_type": builtin});
            assert_eq!(
                claude(&env, HookEvent::BeforeAgent, start).decision,
                Decision::Allow
            );
            let out = claude(&env, HookEvent::AfterAgent, stop("b1", builtin, false));
            assert_eq!(out.decision, Decision::Allow, "{builtin}");
            assert!(!t.path().join("hooks/s/agents/b1").exists(), "{builtin}");
        }
        // Not even when the setting names one: a built-in agent is never held to the report.
        let mut pairs: Vec<(String, String)> =
            [EnvVars::MAESTRO_HOOKS_DIR, EnvVars::MAESTRO_WORKSPACE_PATH]
                .iter()
                .filter_map(|k| Some((k.to_string(), env.get(k)?)))
                .collect();
        pairs.push((EnvVars::MAESTRO_SPECIALISTS.into(), "explore, qa".into()));
        let env = Env::from_pairs(pairs);
        let start =
            serde_json::json!({"session_id": "s", "agent_id": "b2", "agent_type": "Explore"});
        let started = claude(&env, HookEvent::BeforeAgent, start);
        assert_eq!(started.decision, Decision::Allow);
        let out = claude(&env, HookEvent::AfterAgent, stop("b2", "Explore", false));
        assert_eq!(out.decision, Decision::Allow);
        // A configured specialist that is no built-in is checked, and told the summary.
        let start = serde_json::json!({"session_id": "s", "agent_id": "q1", "agent_type": "qa"});
        let started = claude(&env, HookEvent::BeforeAgent, start);
        assert!(
            matches!(&started.decision, Decision::AllowWithContext(c) if c.contains("; phase 2/3"))
        );
        let out = claude(&env, HookEvent::AfterAgent, stop("q1", "qa", false));
        assert!(matches!(out.decision, Decision::Deny(_)), "{out:?}");
    }

    /// Issue 16's regression: before any session exists, Maestro's roster is still held to
    /// the report; an agent outside it that no setting names is not.
    #[test]
    fn without_an_active_session_the_roster_is_checked() {
        let (t, env) = world();
        durable::remove_if_present(&t.path().join("proj/docs/maestro/state/active-session.md"))
            .expect("rm");
        let out = claude(&env, HookEvent::AfterAgent, stop("a1", "coder", false));
        assert!(matches!(out.decision, Decision::Deny(_)), "{out:?}");
        assert_eq!(out.agent.as_deref(), Some("coder"));
        let out = claude(
            &env,
            HookEvent::AfterAgent,
            stop("a2", "ux-researcher", false),
        );
        assert_eq!(out.decision, Decision::Allow);
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
