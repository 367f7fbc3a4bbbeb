//! What `list` shows of each session, and its filters.

use serde::{Deserialize, Serialize};

use crate::clock;
use crate::error::Result;
use crate::lifecycle::SessionStatus;
use crate::store::{Location, SessionFile};

/// One row of `list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// Session id.
    pub session_id: String,
    /// Task.
    pub task: String,
    /// Status.
    pub status: SessionStatus,
    /// Workflow stage, if recorded.
    pub stage: Option<String>,
    /// Creation time.
    pub created: String,
    /// Last change.
    pub updated: String,
    /// Current phase id.
    pub current_phase: Option<u32>,
    /// Number of phases.
    pub total_phases: u32,
    /// Completed or skipped phases.
    pub phases_done: usize,
    /// Input + output tokens over all agents.
    pub tokens: u64,
    /// Git branch at creation.
    pub branch: Option<String>,
    /// `active` or `archive`.
    pub location: Location,
    /// The session file.
    pub path: String,
}

impl SessionSummary {
    /// The row of `session`.
    pub fn of(session: &SessionFile) -> SessionSummary {
        let m = &session.meta;
        SessionSummary {
            session_id: m.session_id.clone(),
            task: m.task.clone(),
            status: m.status,
            stage: m.stage.map(|s| s.to_string()),
            created: m.created.clone(),
            updated: m.updated.clone(),
            current_phase: m.current_phase,
            total_phases: m.total_phases.max(m.phases.len() as u32),
            phases_done: m.phases_done(),
            tokens: m.token_usage.total_input + m.token_usage.total_output,
            branch: m.git.as_ref().and_then(|g| g.branch.clone()),
            location: session.location,
            path: session.path.display().to_string(),
        }
    }
}

/// Filters of `list`.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this status.
    pub status: Option<SessionStatus>,
    /// Only sessions created on this git branch.
    pub branch: Option<String>,
    /// Only sessions updated at or after this time (see [`clock::parse_point`]).
    pub since: Option<String>,
    /// Only sessions updated at or before this time.
    pub until: Option<String>,
    /// At most this many rows (newest first).
    pub limit: Option<usize>,
}

/// The rows passing `filter`, most recently updated first.
///
/// Errors: [`crate::Error::Invalid`] for a malformed time.
pub fn filter(rows: Vec<SessionSummary>, filter: &ListFilter) -> Result<Vec<SessionSummary>> {
    let now = jiff::Timestamp::now();
    let since = filter
        .since
        .as_deref()
        .map(|t| clock::parse_point(t, now))
        .transpose()?;
    let until = filter
        .until
        .as_deref()
        .map(|t| clock::parse_point(t, now))
        .transpose()?;
    let mut rows: Vec<SessionSummary> = rows
        .into_iter()
        .filter(|r| filter.status.is_none_or(|st| r.status == st))
        .filter(|r| {
            filter
                .branch
                .as_deref()
                .is_none_or(|b| r.branch.as_deref() == Some(b))
        })
        .filter(|r| {
            let updated = clock::parse_iso(&r.updated);
            since.is_none_or(|t| updated.is_some_and(|u| u >= t))
                && until.is_none_or(|t| updated.is_some_and(|u| u <= t))
        })
        .collect();
    rows.sort_by(|a, b| {
        b.updated
            .cmp(&a.updated)
            .then_with(|| a.session_id.cmp(&b.session_id))
    });
    if let Some(limit) = filter.limit {
        rows.truncate(limit);
    }
    Ok(rows)
}
