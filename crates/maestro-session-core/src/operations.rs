//! The changes a session can undergo, each validated against the state machines of
//! [`crate::session::lifecycle`] and applied to the typed frontmatter and the orchestration log.
//!
//! [`apply`] works on a copy held by [`crate::store`]: when it returns an error the copy is
//! dropped, so a refused operation changes nothing on disk.

use crate::clock;
use crate::error::{Error, Result};
use crate::session::agent_name::AgentName;
use crate::session::lifecycle::{self, PhaseStatus, SessionStatus, Stage, State};
use crate::session::model::{
    AgentTokens, CONTEXT_KEYS, ERROR_KINDS, Phase, PhaseError, PhaseId, SessionMetadata,
};
use crate::session::{field_values, orchestration_log, progress, reconciliation};

/// One change to a session.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// Set the session status.
    SetStatus(SessionStatus),
    /// Move the workflow stage.
    SetStage(Stage),
    /// Start a pending phase (or retry a failed one).
    PhaseStart(PhaseId),
    /// Complete a running phase; its section is written to the log.
    PhaseComplete {
        /// Phase id.
        id: PhaseId,
        /// The agent's output for the log.
        output: Option<String>,
        /// The validation result for the log (default `Pass`).
        validation: Option<String>,
    },
    /// Fail a running phase, recording why; its section is written to the log.
    PhaseFail {
        /// Phase id.
        id: PhaseId,
        /// Error type (one of [`ERROR_KINDS`]).
        kind: String,
        /// What went wrong.
        message: String,
        /// The agent that failed (default: the phase's first agent).
        agent: Option<AgentName>,
    },
    /// Retry a failed phase (`retry_count` + 1, bounded).
    PhaseRetry(PhaseId),
    /// Skip a pending phase.
    PhaseSkip(PhaseId),
    /// Add token counts for an agent.
    Tokens {
        /// Agent name (a key of `token_usage.by_agent`).
        agent: AgentName,
        /// Prompt tokens.
        input: u64,
        /// Completion tokens.
        output: u64,
        /// Cached prompt tokens.
        cached: u64,
    },
    /// Record an error against a phase.
    AddError {
        /// Phase id.
        phase: PhaseId,
        /// Agent that met it.
        agent: AgentName,
        /// Error type (one of [`ERROR_KINDS`]).
        kind: String,
        /// What happened.
        message: String,
    },
    /// Mark an error resolved.
    ResolveError {
        /// Phase id.
        phase: PhaseId,
        /// 1-based index among the phase's errors.
        index: usize,
        /// How it was resolved.
        resolution: String,
    },
    /// Add files to a phase's manifest.
    AddFiles {
        /// Phase id.
        phase: PhaseId,
        /// Created files, project-relative.
        created: Vec<String>,
        /// Modified files.
        modified: Vec<String>,
        /// Deleted files.
        deleted: Vec<String>,
    },
    /// Add entries to a phase's downstream context.
    AddContext {
        /// Phase id.
        phase: PhaseId,
        /// One of [`CONTEXT_KEYS`].
        key: String,
        /// Entries to add.
        values: Vec<String>,
    },
    /// Set (or clear, with `None`) a plain field.
    SetField {
        /// One of [`SETTABLE_FIELDS`].
        key: String,
        /// New value.
        value: Option<String>,
    },
    /// Mark a completed phase `requires_reconciliation: true` (Maestro 1.6 `transition_phase`
    /// of a phase whose handoff recorded no files and no downstream context).
    RequireReconciliation(PhaseId),
    /// Record a phase's files and downstream context after the fact and clear its
    /// `requires_reconciliation` (Maestro 1.6 `reconcile_phase`; see
    /// [`crate::session::reconciliation`]).
    Reconcile(reconciliation::Reconciliation),
    /// Pause: status `paused`, stage `paused` (remembering the stage).
    Pause,
    /// Cancel: status `cancelled`, stage `failed`.
    Cancel,
}

/// Fields [`Operation::SetField`] may set. `current_phase` must name a phase of the session
/// (written with that phase's own id); `current_batch` (Maestro 1.6, the batch of phases
/// running in parallel) is kept where the file has it, and cleared to `null`.
pub const SETTABLE_FIELDS: [&str; 9] = [
    "task",
    "workflow_mode",
    "design_document",
    "implementation_plan",
    "execution_mode",
    "execution_backend",
    "task_complexity",
    "current_phase",
    "current_batch",
];

/// What [`apply`] needs besides the session.
#[derive(Debug, Clone)]
pub struct OpContext {
    /// The time of the change, ISO 8601 UTC.
    pub now: String,
    /// The retry bound (`MAESTRO_MAX_RETRIES`).
    pub max_retries: u32,
}

impl Default for OpContext {
    fn default() -> Self {
        OpContext {
            now: clock::now_iso(),
            max_retries: crate::session::lifecycle::DEFAULT_MAX_RETRIES,
        }
    }
}

/// Applies `op` to `meta` and the log `body`, and sets `updated`.
///
/// Errors: [`Error::Refused`] naming the session, the from and to states and the allowed
/// targets for a refused transition, or what else forbids the change; [`Error::Invalid`] for a
/// malformed value; [`Error::NotFound`] for an unknown phase or error.
pub fn apply(
    meta: &mut SessionMetadata,
    body: &mut String,
    op: &Operation,
    ctx: &OpContext,
) -> Result<()> {
    match op {
        Operation::SetStatus(to) => set_status(meta, *to)?,
        Operation::SetStage(to) => set_stage(meta, *to)?,
        Operation::Pause => set_status(meta, SessionStatus::Paused)?,
        Operation::Cancel => set_status(meta, SessionStatus::Cancelled)?,
        Operation::PhaseStart(id) => phase_start(meta, body, id, ctx)?,
        Operation::PhaseRetry(id) => phase_retry(meta, body, id, ctx)?,
        Operation::PhaseComplete {
            id,
            output,
            validation,
        } => phase_complete(
            meta,
            body,
            id,
            output.as_deref(),
            validation.as_deref(),
            ctx,
        )?,
        Operation::PhaseFail {
            id,
            kind,
            message,
            agent,
        } => phase_fail(meta, body, id, kind, message, agent.as_ref(), ctx)?,
        Operation::PhaseSkip(id) => phase_skip(meta, id)?,
        Operation::Tokens {
            agent,
            input,
            output,
            cached,
        } => add_tokens(meta, agent, [*input, *output, *cached])?,
        Operation::AddError {
            phase: id,
            agent,
            kind,
            message,
        } => add_error(meta, id, agent, kind, message, ctx)?,
        Operation::ResolveError {
            phase: id,
            index,
            resolution,
        } => resolve_error(meta, id, *index, resolution)?,
        Operation::AddFiles {
            phase: id,
            created,
            modified,
            deleted,
        } => add_files(meta, id, created, modified, deleted, ctx)?,
        Operation::AddContext {
            phase: id,
            key,
            values,
        } => add_context(meta, id, key, values)?,
        Operation::RequireReconciliation(id) => {
            let sid = meta.session_id.clone();
            reconciliation::require(&sid, phase_mut(meta, id)?)?;
        }
        Operation::Reconcile(r) => {
            let sid = meta.session_id.clone();
            reconciliation::apply(&sid, phase_mut(meta, &r.phase)?, r, &ctx.now)?;
        }
        Operation::SetField { key, value } => set_field(meta, key, value.as_ref())?,
    }
    meta.updated = ctx.now.clone();
    Ok(())
}

/// [`Operation::PhaseStart`]: starts a pending phase and gives it its heading in the log; a
/// failed phase is refused (it is retried with [`Operation::PhaseRetry`]).
fn phase_start(
    meta: &mut SessionMetadata,
    body: &mut String,
    id: &PhaseId,
    ctx: &OpContext,
) -> Result<()> {
    require_running(meta)?;
    let status = phase(meta, id)?.status;
    if status == PhaseStatus::Failed {
        return Err(Error::refused(
            &meta.session_id,
            format!(
                "phase {id} failed; retry it with `phase retry` (retries used: {})",
                phase(meta, id)?.retry_count
            ),
        ));
    }
    start_phase(meta, id, ctx, false)?;
    log_heading(meta, body, id)
}

/// [`Operation::PhaseRetry`]: starts a failed phase again (`retry_count` + 1, bounded).
fn phase_retry(
    meta: &mut SessionMetadata,
    body: &mut String,
    id: &PhaseId,
    ctx: &OpContext,
) -> Result<()> {
    require_running(meta)?;
    let p = phase(meta, id)?;
    if p.status != PhaseStatus::Failed {
        return Err(Error::refused(
            &meta.session_id,
            format!(
                "phase {id} is {}, only a failed phase can be retried",
                p.status
            ),
        ));
    }
    start_phase(meta, id, ctx, true)?;
    log_heading(meta, body, id)
}

/// Puts phase `id`'s heading in the orchestration log `body` (its section, when it has none).
fn log_heading(meta: &SessionMetadata, body: &mut String, id: &PhaseId) -> Result<()> {
    let p = phase(meta, id)?;
    *body = orchestration_log::upsert(body, &p.id, &format!("{}\n", orchestration_log::heading(p)));
    Ok(())
}

/// [`Operation::PhaseComplete`]: completes a running phase, moves `current_phase` on and
/// writes the phase's section in the log.
fn phase_complete(
    meta: &mut SessionMetadata,
    body: &mut String,
    id: &PhaseId,
    output: Option<&str>,
    validation: Option<&str>,
    ctx: &OpContext,
) -> Result<()> {
    require_running(meta)?;
    move_phase(meta, id, PhaseStatus::Completed)?;
    let p = phase_mut(meta, id)?;
    p.completed = Some(ctx.now.clone());
    let p = p.clone();
    meta.current_phase = progress::next_phase_id(meta).or(Some(p.id.clone()));
    *body = orchestration_log::upsert(
        body,
        &p.id,
        &orchestration_log::section(&p, output, validation),
    );
    Ok(())
}

/// [`Operation::PhaseFail`]: fails a running phase, records the error (against `agent`, else
/// the phase's first agent) and writes the phase's section in the log.
fn phase_fail(
    meta: &mut SessionMetadata,
    body: &mut String,
    id: &PhaseId,
    kind: &str,
    message: &str,
    agent: Option<&AgentName>,
    ctx: &OpContext,
) -> Result<()> {
    require_running(meta)?;
    check_kind(kind)?;
    move_phase(meta, id, PhaseStatus::Failed)?;
    let p = phase_mut(meta, id)?;
    let agent = agent
        .map(|a| a.to_string())
        .or_else(|| p.agents.first().cloned())
        .unwrap_or_default();
    p.errors.push(new_error(agent, kind, message, &ctx.now));
    let p = p.clone();
    *body = orchestration_log::upsert(
        body,
        &p.id,
        &orchestration_log::section(&p, None, Some(&format!("Fail: {message}"))),
    );
    Ok(())
}

/// [`Operation::PhaseSkip`]: skips a pending phase; `current_phase` moves on when it named it.
fn phase_skip(meta: &mut SessionMetadata, id: &PhaseId) -> Result<()> {
    require_running(meta)?;
    move_phase(meta, id, PhaseStatus::Skipped)?;
    let own = phase(meta, id)?.id.clone();
    if meta.current_phase.as_ref().is_some_and(|c| c.names(&own)) {
        meta.current_phase = progress::next_phase_id(meta).or(Some(own));
    }
    Ok(())
}

/// [`Operation::AddError`]: records an error of a known kind against phase `id`.
fn add_error(
    meta: &mut SessionMetadata,
    id: &PhaseId,
    agent: &AgentName,
    kind: &str,
    message: &str,
    ctx: &OpContext,
) -> Result<()> {
    check_kind(kind)?;
    let p = phase_mut(meta, id)?;
    p.errors
        .push(new_error(agent.to_string(), kind, message, &ctx.now));
    Ok(())
}

/// [`Operation::ResolveError`]: marks error `index` (1-based) of phase `id` resolved, once.
fn resolve_error(
    meta: &mut SessionMetadata,
    id: &PhaseId,
    index: usize,
    resolution: &str,
) -> Result<()> {
    let sid = meta.session_id.clone();
    let p = phase_mut(meta, id)?;
    let count = p.errors.len();
    let err = index
        .checked_sub(1)
        .and_then(|i| p.errors.get_mut(i))
        .ok_or_else(|| Error::NotFound {
            what: format!("error {index} of phase {id} (it has {count})"),
        })?;
    if err.resolved {
        return Err(Error::refused(
            &sid,
            format!(
                "error {index} of phase {id} is already resolved ({})",
                err.resolution
            ),
        ));
    }
    err.resolved = true;
    err.resolution = resolution.to_string();
    Ok(())
}

/// [`Operation::AddFiles`]: adds project-relative paths (created, modified, deleted) to phase
/// `id`'s manifest, each once, and stamps `files_recorded_at`.
fn add_files(
    meta: &mut SessionMetadata,
    id: &PhaseId,
    created: &[String],
    modified: &[String],
    deleted: &[String],
    ctx: &OpContext,
) -> Result<()> {
    for f in created.iter().chain(modified).chain(deleted) {
        maestro_session_fs::beneath::validate_relative(f)?;
    }
    let p = phase_mut(meta, id)?;
    extend_unique(&mut p.files_created, created);
    extend_unique(&mut p.files_modified, modified);
    extend_unique(&mut p.files_deleted, deleted);
    p.files_recorded_at = Some(ctx.now.clone());
    Ok(())
}

/// [`Operation::AddContext`]: adds values, each once, to one list of phase `id`'s downstream
/// context ([`CONTEXT_KEYS`]).
fn add_context(
    meta: &mut SessionMetadata,
    id: &PhaseId,
    key: &str,
    values: &[String],
) -> Result<()> {
    let p = phase_mut(meta, id)?;
    let list = p.downstream_context.list_mut(key).ok_or_else(|| {
        Error::Invalid(format!(
            "unknown downstream context key {key:?}; expected one of {}",
            CONTEXT_KEYS.join(", ")
        ))
    })?;
    extend_unique(list, values);
    Ok(())
}

/// [`Operation::SetField`]: sets (or clears, with `None`) one of [`SETTABLE_FIELDS`].
fn set_field(meta: &mut SessionMetadata, key: &str, value: Option<&String>) -> Result<()> {
    let slot = match key {
        "task" => {
            meta.task = value
                .cloned()
                .ok_or_else(|| Error::Invalid("task cannot be cleared".into()))?;
            None
        }
        "workflow_mode" => Some(&mut meta.workflow_mode),
        "design_document" => Some(&mut meta.design_document),
        "implementation_plan" => Some(&mut meta.implementation_plan),
        "execution_mode" => Some(&mut meta.execution_mode),
        "execution_backend" => Some(&mut meta.execution_backend),
        "task_complexity" => Some(&mut meta.task_complexity),
        "current_phase" => {
            meta.current_phase = match value {
                Some(text) => Some(phase(meta, &PhaseId::parse(text))?.id.clone()),
                None => None,
            };
            None
        }
        "current_batch" => {
            let batch = value
                .cloned()
                .map_or(serde_json::Value::Null, serde_json::Value::String);
            meta.extra.insert("current_batch".into(), batch);
            None
        }
        _ => {
            return Err(Error::Invalid(format!(
                "field {key:?} cannot be set; settable: {}",
                SETTABLE_FIELDS.join(", ")
            )));
        }
    };
    if let Some(slot) = slot {
        if let Some(v) = value {
            field_values::check(key, v).map_err(Error::Invalid)?;
        }
        *slot = value.cloned();
    }
    Ok(())
}

/// Resumes `meta`: status `in_progress` and the stage its pause left (a session already in
/// progress only gets back a stage left paused by an older version); sets `updated`.
///
/// Errors: [`Error::Refused`] for a finished (terminal) session, which only a fork continues.
pub fn resume(meta: &mut SessionMetadata, ctx: &OpContext) -> Result<()> {
    if meta.status.is_terminal() {
        return Err(Error::refused(
            &meta.session_id,
            format!(
                "a {} session cannot be resumed; fork it to continue its work",
                meta.status
            ),
        ));
    }
    if meta.status == SessionStatus::InProgress {
        let now = status_stage(meta);
        put_status_stage(
            meta,
            lifecycle::follow_status(now, SessionStatus::InProgress),
        );
    } else {
        set_status(meta, SessionStatus::InProgress)?;
    }
    meta.updated = ctx.now.clone();
    Ok(())
}

/// The status, stage and remembered stage of `meta`.
fn status_stage(meta: &SessionMetadata) -> lifecycle::StatusStage {
    lifecycle::StatusStage {
        status: meta.status,
        stage: meta.stage,
        paused_from_stage: meta.paused_from_stage,
    }
}

fn put_status_stage(meta: &mut SessionMetadata, s: lifecycle::StatusStage) {
    meta.status = s.status;
    meta.stage = s.stage;
    meta.paused_from_stage = s.paused_from_stage;
}

/// Every status change: [`lifecycle::change_status`] moves the stage with it.
fn set_status(meta: &mut SessionMetadata, to: SessionStatus) -> Result<()> {
    let next = lifecycle::change_status(&meta.session_id, status_stage(meta), to)?;
    put_status_stage(meta, next);
    Ok(())
}

fn set_stage(meta: &mut SessionMetadata, to: Stage) -> Result<()> {
    let from = meta.stage.unwrap_or_default();
    lifecycle::check(&meta.session_id, "stage", from, to)?;
    lifecycle::check_pair(meta.status, Some(to)).map_err(|why| {
        Error::refused(
            &meta.session_id,
            format!("stage cannot go from {from} to {to}: {why}; the stage pauses, resumes and ends with the status"),
        )
    })?;
    if to == Stage::Paused {
        meta.paused_from_stage = Some(from);
    } else if from == Stage::Paused {
        meta.paused_from_stage = None;
    }
    meta.stage = Some(to);
    Ok(())
}

fn require_running(meta: &SessionMetadata) -> Result<()> {
    if meta.status == SessionStatus::InProgress {
        Ok(())
    } else {
        Err(Error::refused(
            &meta.session_id,
            format!(
                "session is {}; phases change only while it is in_progress (resume it first)",
                meta.status
            ),
        ))
    }
}

fn phase<'a>(meta: &'a SessionMetadata, id: &PhaseId) -> Result<&'a Phase> {
    let ids: Vec<String> = meta.phases.iter().map(|p| p.id.to_string()).collect();
    meta.phase(id).ok_or_else(|| Error::NotFound {
        what: format!(
            "phase {id} in session {} (phases: {})",
            meta.session_id,
            if ids.is_empty() {
                "none".into()
            } else {
                ids.join(", ")
            }
        ),
    })
}

fn phase_mut<'a>(meta: &'a mut SessionMetadata, id: &PhaseId) -> Result<&'a mut Phase> {
    phase(meta, id)?;
    meta.phase_mut(id).ok_or_else(|| Error::NotFound {
        what: format!("phase {id}"),
    })
}

fn move_phase(meta: &mut SessionMetadata, id: &PhaseId, to: PhaseStatus) -> Result<()> {
    let from = phase(meta, id)?.status;
    lifecycle::check(&meta.session_id, &format!("phase {id}"), from, to)?;
    phase_mut(meta, id)?.status = to;
    Ok(())
}

fn start_phase(
    meta: &mut SessionMetadata,
    id: &PhaseId,
    ctx: &OpContext,
    retry: bool,
) -> Result<()> {
    let p = phase(meta, id)?;
    let waiting: Vec<String> = progress::blockers(meta, p)
        .map(|b| {
            format!(
                "{b} ({})",
                meta.phase(b)
                    .map(|bp| bp.status.as_str())
                    .unwrap_or("missing")
            )
        })
        .collect();
    if !waiting.is_empty() {
        return Err(Error::refused(
            &meta.session_id,
            format!(
                "phase {id} is blocked by phase {}, not completed or skipped",
                waiting.join(", ")
            ),
        ));
    }
    if retry && p.retry_count >= ctx.max_retries {
        return Err(Error::refused(
            &meta.session_id,
            format!(
                "phase {id} has used {} of {} retries (MAESTRO_MAX_RETRIES)",
                p.retry_count, ctx.max_retries
            ),
        ));
    }
    move_phase(meta, id, PhaseStatus::InProgress)?;
    let p = phase_mut(meta, id)?;
    if retry {
        p.retry_count += 1;
    }
    p.started = Some(ctx.now.clone());
    p.completed = None;
    meta.current_phase = Some(phase(meta, id)?.id.clone());
    Ok(())
}

fn new_error(agent: String, kind: &str, message: &str, now: &str) -> PhaseError {
    PhaseError {
        agent,
        timestamp: now.to_string(),
        kind: kind.to_string(),
        message: message.to_string(),
        resolution: "pending".into(),
        resolved: false,
        extra: Default::default(),
    }
}

fn check_kind(kind: &str) -> Result<()> {
    if ERROR_KINDS.contains(&kind) {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "unknown error type {kind:?}; expected one of {}",
            ERROR_KINDS.join(", ")
        )))
    }
}

/// The count fields of [`AgentTokens`], in the order of the arrays below; the totals are
/// `total_<field>`.
const TOKEN_FIELDS: [&str; 3] = ["input", "output", "cached"];

/// Adds `added` (input, output, cached tokens) to `agent`'s counts and sets the totals to the
/// sums over `by_agent`, all with checked arithmetic.
///
/// Errors: [`Error::Refused`] naming the agent and the field when the agent's count or a total
/// would exceed `u64::MAX`, or when the file's `by_agent` counts already sum past it; `meta` is
/// then unchanged.
fn add_tokens(meta: &mut SessionMetadata, agent: &AgentName, added: [u64; 3]) -> Result<()> {
    let refuse = |why: String| {
        Error::refused(
            &meta.session_id,
            format!(
                "tokens of agent {:?}: {why}; nothing recorded",
                agent.as_str()
            ),
        )
    };
    let max = u64::MAX;
    // Computed on a copy, assigned only when every count fits.
    let mut by_agent = meta.token_usage.by_agent.clone();
    // One row per agent: a key the file spells otherwise (`Code-Reviewer`, written by hand or
    // by an older version) is the same agent's row.
    let key = by_agent
        .keys()
        .find(|k| k.as_str() == agent.as_str())
        .or_else(|| {
            by_agent
                .keys()
                .find(|k| crate::session::agent_name::normalize(k) == agent.as_str())
        })
        .cloned()
        .unwrap_or_else(|| agent.to_string());
    let entry = by_agent.entry(key).or_default();
    let counts = [&mut entry.input, &mut entry.output, &mut entry.cached];
    for ((count, n), field) in counts.into_iter().zip(added).zip(TOKEN_FIELDS) {
        *count = count.checked_add(n).ok_or_else(|| {
            refuse(format!(
                "adding {n} to its {field} count {count} would exceed the largest count, {max}"
            ))
        })?;
    }
    let [input, output, cached] = token_sums(&by_agent).map_err(|i| {
        let field = TOKEN_FIELDS[i];
        match token_sums(&meta.token_usage.by_agent) {
            Err(old) => {
                let old = TOKEN_FIELDS[old];
                refuse(format!(
                    "the file's by_agent {old} counts already sum past the largest count, {max}, \
                     so total_{old} cannot equal their sum; correct the file"
                ))
            }
            Ok(_) => refuse(format!(
                "adding {field} {} would take total_{field} (the sum of {field} over by_agent) \
                 past the largest count, {max}",
                added[i]
            )),
        }
    })?;
    let usage = &mut meta.token_usage;
    usage.by_agent = by_agent;
    usage.total_input = input;
    usage.total_output = output;
    usage.total_cached = cached;
    Ok(())
}

/// The sums of `input`, `output` and `cached` over `by_agent`, with checked arithmetic; the
/// error is the index in [`TOKEN_FIELDS`] of the first field whose sum exceeds `u64::MAX`.
fn token_sums(by_agent: &indexmap::IndexMap<String, AgentTokens>) -> Result<[u64; 3], usize> {
    let mut sums = [0u64; 3];
    for t in by_agent.values() {
        for (i, count) in [t.input, t.output, t.cached].into_iter().enumerate() {
            sums[i] = sums[i].checked_add(count).ok_or(i)?;
        }
    }
    Ok(sums)
}

fn extend_unique(list: &mut Vec<String>, values: &[String]) {
    for v in values {
        if !list.contains(v) {
            list.push(v.clone());
        }
    }
}

#[cfg(test)]
mod tests;
