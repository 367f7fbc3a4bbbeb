//! Moving whole sessions: `archive`, `resume` (and MCP `resume_session`), `cleanup`.

use schemars::JsonSchema;
use serde::Serialize;

use crate::session::model::PhaseId;
use crate::store::owner::Interrupted;
use crate::store::{ArchiveReport, CleanupReport, Conflict, ResumeReport};

/// `archive`: the session archived and the plan documents moved with it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveOutput {
    /// The session archived.
    pub session_id: String,
    /// Where the session file now lies.
    pub path: String,
    /// True when it was already archived and only unfinished moves were completed.
    pub already_archived: bool,
    /// Plan documents moved to `plans/archive/`.
    pub moved: Vec<Moved>,
}

/// A file moved from one path to another.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Moved {
    /// Where it was.
    pub from: String,
    /// Where it is.
    pub to: String,
}

impl ArchiveOutput {
    /// The output of an archive.
    pub fn of(r: &ArchiveReport) -> ArchiveOutput {
        ArchiveOutput {
            session_id: r.session_id.clone(),
            path: r.path.display().to_string(),
            already_archived: r.already_archived,
            moved: r
                .moved
                .iter()
                .map(|(from, to)| Moved {
                    from: from.display().to_string(),
                    to: to.display().to_string(),
                })
                .collect(),
        }
    }
}

/// A phase by id and name.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedPhase {
    /// Phase id.
    pub id: PhaseId,
    /// Phase name.
    pub name: String,
}

impl NamedPhase {
    fn of((id, name): &(PhaseId, String)) -> NamedPhase {
        NamedPhase {
            id: id.clone(),
            name: name.clone(),
        }
    }
}

/// An unresolved error of a resumed session.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnresolvedError {
    /// The phase it was recorded on.
    pub phase: PhaseId,
    /// The agent that met it.
    pub agent: String,
    /// Its type (`validation`, `timeout`, `file_conflict`, `runtime`, `dependency`).
    #[serde(rename = "type")]
    pub kind: String,
    /// What happened.
    pub message: String,
}

/// `resume` and MCP `resume_session`: where the session stands now that it is active again.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeOutput {
    /// MCP only: always true (Maestro's tools answer `success`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// The session, now active and in progress.
    pub session_id: String,
    /// The session parked to make room, if any.
    pub parked: Option<String>,
    /// The last completed phase.
    pub last_completed: Option<NamedPhase>,
    /// The phase to continue with (null: every phase is done).
    pub continue_with: Option<NamedPhase>,
    /// Failed phases.
    pub failed_phases: Vec<NamedPhase>,
    /// Unresolved errors.
    pub unresolved_errors: Vec<UnresolvedError>,
    /// Manifest files of unfinished phases changed since recorded.
    pub conflicts: Vec<Conflict>,
    /// The command line only: the interrupted run of this session, or null (absent over MCP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<Option<Interrupted>>,
}

impl ResumeOutput {
    /// The output of a resume (no `success`, no `interrupted`).
    pub fn of(r: &ResumeReport) -> ResumeOutput {
        ResumeOutput {
            success: None,
            session_id: r.session_id.clone(),
            parked: r.parked.clone(),
            last_completed: r.last_completed.as_ref().map(NamedPhase::of),
            continue_with: r.continue_with.as_ref().map(NamedPhase::of),
            failed_phases: r.failed_phases.iter().map(NamedPhase::of).collect(),
            unresolved_errors: r
                .unresolved_errors
                .iter()
                .map(|(phase, agent, kind, message)| UnresolvedError {
                    phase: phase.clone(),
                    agent: agent.clone(),
                    kind: kind.clone(),
                    message: message.clone(),
                })
                .collect(),
            conflicts: r.conflicts.clone(),
            interrupted: None,
        }
    }
}

/// `cleanup`: the sessions removed (or, with `--dry-run`, that would be).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CleanupOutput {
    /// Whether nothing was actually removed.
    pub dry_run: bool,
    /// The removed sessions.
    pub removed: Vec<Removed>,
    /// Files that could not be read: kept, never removed.
    pub kept_unreadable: Vec<String>,
}

/// A session `cleanup` removed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Removed {
    /// Session id.
    pub session_id: String,
    /// Its file.
    pub path: String,
}

impl CleanupOutput {
    /// The output of a cleanup.
    pub fn of(r: &CleanupReport) -> CleanupOutput {
        CleanupOutput {
            dry_run: r.dry_run,
            removed: r
                .removed
                .iter()
                .map(|(id, path)| Removed {
                    session_id: id.clone(),
                    path: path.display().to_string(),
                })
                .collect(),
            kept_unreadable: r.kept_unreadable.clone(),
        }
    }
}
