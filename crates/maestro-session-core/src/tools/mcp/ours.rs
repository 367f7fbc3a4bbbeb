//! Our tools beyond Maestro's: the command line's `list`, `show`, `resume`, `error add` and
//! `tokens`, over the same [`crate::store::Store`] calls.

use crate::outputs::lifecycle::ResumeOutput;
use crate::outputs::mcp::{RecordErrorOutput, RecordTokensOutput, TokenTotals};
use crate::outputs::sessions::{ListOutput, SessionOutput};

use super::args::*;
use super::{ToolError, Tools};
use crate::operations::Operation;
use crate::store::listing::{self, ListFilter};

/// `list_sessions`: every session's list row (paths project-relative), newest first, and the
/// files that could not be read (reported, never skipped).
pub(super) fn list_sessions(t: &Tools, a: ListSessionsArgs) -> Result<ListOutput, ToolError> {
    const TOOL: &str = "list_sessions";
    let store = t.store(TOOL)?;
    let (rows, broken) = store.summaries().map_err(|e| t.fail(TOOL, e))?;
    let filter = ListFilter {
        status: a.status,
        limit: a.limit,
        ..ListFilter::default()
    };
    let rows = listing::filter(rows, &filter).map_err(|e| t.fail(TOOL, e))?;
    let rows = rows
        .into_iter()
        .map(|mut r| {
            r.path = t.rel(std::path::Path::new(&r.path));
            r
        })
        .collect();
    let mut out = ListOutput::new(rows, &broken, None);
    // Project-relative paths in the messages, as every tool result has them.
    for e in &mut out.unreadable {
        e.error = t.sanitize(&e.error);
    }
    Ok(out)
}

/// `show_session`: the session's whole frontmatter (unknown keys too), its location and
/// project-relative path, and the manifest files of unfinished phases changed since recorded.
pub(super) fn show_session(t: &Tools, a: ShowSessionArgs) -> Result<SessionOutput, ToolError> {
    const TOOL: &str = "show_session";
    let store = t.store(TOOL)?;
    let s = store
        .get_or_active(a.session_id.as_deref())
        .map_err(|e| t.fail(TOOL, e))?;
    let conflicts = store.conflicts(&s.meta);
    Ok(SessionOutput {
        conflicts: Some(conflicts),
        ..SessionOutput::new(&s, t.rel(&s.path))
    })
}

/// `resume_session`: [`crate::store::Store::resume`]; the report with phases as `{id, name}`.
pub(super) fn resume_session(t: &Tools, a: ResumeSessionArgs) -> Result<ResumeOutput, ToolError> {
    const TOOL: &str = "resume_session";
    let store = t.store(TOOL)?;
    let r = store
        .resume(&a.session_id, a.park.unwrap_or(false))
        .map_err(|e| t.fail(TOOL, e))?;
    Ok(ResumeOutput {
        success: Some(true),
        ..ResumeOutput::of(&r)
    })
}

/// `record_error`: adds an error record to a phase ([`Operation::AddError`]).
pub(super) fn record_error(t: &Tools, a: RecordErrorArgs) -> Result<RecordErrorOutput, ToolError> {
    const TOOL: &str = "record_error";
    let store = t.store(TOOL)?;
    let phase = a.phase_id.0;
    let op = Operation::AddError {
        phase: phase.clone(),
        agent: a.agent,
        kind: a.kind.as_str().into(),
        message: a.message,
    };
    let s = store
        .apply(a.session_id.as_deref(), &op)
        .map_err(|e| t.fail(TOOL, e))?;
    let p = s.meta.phase(&phase);
    Ok(RecordErrorOutput {
        success: true,
        session_id: s.id().to_string(),
        phase_id: p.map(|p| p.id.clone()),
        error_index: p.map(|p| p.errors.len()),
        unresolved_errors: s.meta.unresolved_errors().len(),
    })
}

/// `record_tokens`: adds an agent's token counts ([`Operation::Tokens`], checked arithmetic).
pub(super) fn record_tokens(
    t: &Tools,
    a: RecordTokensArgs,
) -> Result<RecordTokensOutput, ToolError> {
    const TOOL: &str = "record_tokens";
    let store = t.store(TOOL)?;
    let op = Operation::Tokens {
        agent: a.agent.clone(),
        input: a.input.unwrap_or(0),
        output: a.output.unwrap_or(0),
        cached: a.cached.unwrap_or(0),
    };
    let s = store
        .apply(a.session_id.as_deref(), &op)
        .map_err(|e| t.fail(TOOL, e))?;
    let u = &s.meta.token_usage;
    Ok(RecordTokensOutput {
        success: true,
        session_id: s.id().to_string(),
        agent: a.agent.to_string(),
        agent_tokens: u
            .by_agent
            .iter()
            .find(|(k, _)| crate::session::agent_name::normalize(k) == a.agent.as_str())
            .map(|(_, t)| t.clone()),
        token_usage: TokenTotals {
            total_input: u.total_input,
            total_output: u.total_output,
            total_cached: u.total_cached,
        },
    })
}
