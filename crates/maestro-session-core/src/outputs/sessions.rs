//! A session (`show`, `create`, `fork` and every command that changes one), its status
//! (`status ID`) and the list (`list`).

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use super::ErrorObject;
use crate::error::Error;
use crate::session::lifecycle::{SessionStatus, Stage};
use crate::session::model::{PhaseId, SessionMetadata};
use crate::session::session_file::{Location, SessionFile};
use crate::store::Conflict;
use crate::store::listing::SessionSummary;
use crate::store::owner::{Gone, Interrupted, Owner};

/// One session: the whole frontmatter (unknown keys too, as the file holds them) plus where
/// it lies; `show` adds the log, whether its run was interrupted and its owner.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SessionOutput {
    /// The frontmatter, every key as written (the known ones are [`SessionMetadata`]'s).
    #[serde(flatten)]
    #[schemars(with = "SessionMetadata")]
    pub frontmatter: Map<String, Value>,
    /// `active` or `archive`.
    pub location: Location,
    /// The session file (absolute for the command line, project-relative over MCP).
    pub path: String,
    /// `show --log`: the orchestration log (the Markdown body).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// `show`: whether the run of this (active) session was interrupted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<bool>,
    /// `show`, for the active session when an owner of its run is recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerOutput>,
    /// MCP `show_session`: the manifest files of unfinished phases changed since recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicts: Option<Vec<Conflict>>,
}

impl SessionOutput {
    /// `s` with its path as given (`path`), nothing else added.
    pub fn new(s: &SessionFile, path: String) -> SessionOutput {
        SessionOutput {
            frontmatter: s.frontmatter_json(),
            location: s.location,
            path,
            log: None,
            interrupted: None,
            owner: None,
            conflicts: None,
        }
    }

    /// `s` with its absolute path, as the command line prints it.
    pub fn of(s: &SessionFile) -> SessionOutput {
        SessionOutput::new(s, s.path.display().to_string())
    }
}

/// The recorded owner of the active session's run (`state/owner.json`) and why it is not
/// running (`null`: it is).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OwnerOutput {
    /// The record.
    #[serde(flatten)]
    pub owner: Owner,
    /// Why it is no longer running, or null.
    pub gone: Option<Gone>,
}

/// `status ID`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusOutput {
    /// Session id.
    pub session_id: String,
    /// Status.
    pub status: SessionStatus,
    /// Workflow stage.
    pub stage: Option<Stage>,
    /// Current phase.
    pub current_phase: Option<PhaseId>,
    /// Number of phases.
    pub total_phases: u64,
    /// Completed or skipped phases.
    pub phases_done: usize,
    /// Unresolved errors over all phases.
    pub unresolved_errors: usize,
    /// `active` or `archive`.
    pub location: Location,
}

impl StatusOutput {
    /// The status of `s`.
    pub fn of(s: &SessionFile) -> StatusOutput {
        let m = &s.meta;
        StatusOutput {
            session_id: m.session_id.clone(),
            status: m.status,
            stage: m.stage,
            current_phase: m.current_phase.clone(),
            total_phases: m.phase_count(),
            phases_done: m.phases_done(),
            unresolved_errors: m.unresolved_errors().len(),
            location: s.location,
        }
    }
}

/// `list` and MCP `list_sessions`: the rows, newest first, and the files that could not be
/// read (reported, never skipped).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListOutput {
    /// One row per session.
    pub sessions: Vec<ListRow>,
    /// Session files that could not be read.
    pub unreadable: Vec<ErrorObject>,
}

/// One row of [`ListOutput`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListRow {
    /// The session's summary.
    #[serde(flatten)]
    pub summary: SessionSummary,
    /// The command line's `list`: whether this is the active session and its run was
    /// interrupted (absent over MCP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<bool>,
}

impl ListOutput {
    /// The list of `rows` and `broken` files; `interrupted` names the active session whose run
    /// was interrupted (`None`: rows carry no `interrupted`).
    pub fn new(
        rows: Vec<SessionSummary>,
        broken: &[Error],
        interrupted: Option<Option<&Interrupted>>,
    ) -> ListOutput {
        let sessions = rows
            .into_iter()
            .map(|summary| ListRow {
                interrupted: interrupted.map(|run| {
                    run.is_some_and(|r| r.session_id == summary.session_id)
                        && summary.location == Location::Active
                }),
                summary,
            })
            .collect();
        ListOutput {
            sessions,
            unreadable: ErrorObject::list(broken),
        }
    }
}
