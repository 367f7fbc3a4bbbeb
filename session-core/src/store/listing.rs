//! What `list` shows of each session, and its filters.

use serde::{Deserialize, Serialize};

use crate::clock;
use crate::error::Result;
use crate::session::lifecycle::SessionStatus;
use crate::session::session_file::{Location, SessionFile};

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
    pub current_phase: Option<crate::session::model::PhaseId>,
    /// Number of phases.
    pub total_phases: u32,
    /// Completed or skipped phases.
    pub phases_done: usize,
    /// Input + output tokens over all agents (saturating at `u64::MAX`, which each total may
    /// reach on its own).
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
            current_phase: m.current_phase.clone(),
            total_phases: m.total_phases.max(m.phases.len() as u32),
            phases_done: m.phases_done(),
            tokens: m
                .token_usage
                .total_input
                .saturating_add(m.token_usage.total_output),
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
/// Errors: [`crate::Error::Invalid`] for a malformed time, or an age whose instant lies before
/// the earliest time that can be represented (naming the text and the largest accepted age;
/// see [`clock::parse_point`]).
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::error::Error;

    const YAML: &str = include_str!("../../../tests/fixtures/maestro-state/active-session.yaml.md");

    fn row() -> SessionSummary {
        let file = SessionFile::from_bytes(
            YAML.as_bytes(),
            Path::new("active-session.md"),
            Location::Active,
        )
        .expect("fixture parses");
        SessionSummary {
            updated: "2020-01-01T00:00:00Z".into(),
            ..SessionSummary::of(&file)
        }
    }

    #[test]
    fn ages_beyond_jiff_are_usage_errors_and_zero_is_now() {
        for (since, until) in [
            (Some("1000000000000s"), None),
            (None, Some("9223372036854775808s")),
            (Some("20000000000000w"), None),
        ] {
            let f = ListFilter {
                since: since.map(str::to_string),
                until: until.map(str::to_string),
                ..ListFilter::default()
            };
            let err = filter(vec![row()], &f).expect_err("too old");
            assert!(matches!(err, Error::Invalid(_)), "{err:?}");
            assert!(err.to_string().contains("largest accepted age"), "{err}");
        }
        let f = ListFilter {
            until: Some("0s".into()),
            ..ListFilter::default()
        };
        assert_eq!(filter(vec![row()], &f).expect("0s").len(), 1);
        let f = ListFilter {
            since: Some("0s".into()),
            ..ListFilter::default()
        };
        assert!(filter(vec![row()], &f).expect("0s").is_empty());
    }

    #[test]
    fn tokens_column_saturates() {
        let mut file = SessionFile::from_bytes(
            YAML.as_bytes(),
            Path::new("active-session.md"),
            Location::Active,
        )
        .expect("fixture parses");
        file.meta.token_usage.total_input = u64::MAX;
        assert_eq!(SessionSummary::of(&file).tokens, u64::MAX);
    }
}
