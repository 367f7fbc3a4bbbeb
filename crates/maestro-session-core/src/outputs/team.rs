//! The outputs of `team …` (issue 19) and MCP `get_team_status`. `team health` prints a
//! [`TeamStatus`], `team stop` and `team resume` an [`Actions`] and `team export` a
//! [`TeamExport`] as they are (their schemas are derived where they are defined); the types
//! here wrap the rest.
//!
//! [`Actions`]: crate::team::lifecycle::Actions
//! [`TeamExport`]: crate::team::lifecycle::TeamExport

use schemars::JsonSchema;
use serde::Serialize;

use super::ErrorObject;
use crate::error::Error;
use crate::team::cleanup::{CleanupReport, TeamCleanup};
use crate::team::lifecycle::{MemberState, TeamStatus};
use crate::team::record::Team;

/// `team create`: the record written and what a probe found right after.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamCreateOutput {
    /// The team record as stored.
    pub team: Team,
    /// Its members' states now.
    pub status: TeamStatus,
}

/// `team list`: every team probed now, the records that could not be read, and the members
/// per state over all teams.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamListOutput {
    /// One status per team, by name.
    pub teams: Vec<TeamStatus>,
    /// Team records that could not be read (reported, never skipped nor overwritten).
    pub unreadable: Vec<ErrorObject>,
    /// Members per state, over every team.
    pub totals: MemberTotals,
}

/// How many members are in each state.
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberTotals {
    /// Members running.
    pub running: usize,
    /// Members stopped.
    pub stopped: usize,
    /// Members missing.
    pub missing: usize,
}

impl TeamListOutput {
    /// The listing of `teams` and the records `bad` that could not be read.
    pub fn new(teams: Vec<TeamStatus>, bad: &[Error]) -> TeamListOutput {
        let total = |s| teams.iter().map(|t| t.count(s)).sum();
        let totals = MemberTotals {
            running: total(MemberState::Running),
            stopped: total(MemberState::Stopped),
            missing: total(MemberState::Missing),
        };
        TeamListOutput {
            teams,
            unreadable: ErrorObject::list(bad),
            totals,
        }
    }
}

/// `team attach`: with `--print`, the tmux command; else the session attached to and how
/// tmux ended.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum TeamAttachOutput {
    /// `--print`: the command that attaches (argv).
    Print {
        /// The tmux argv.
        command: Vec<String>,
    },
    /// Attached, then detached or ended.
    Attached {
        /// The tmux session.
        attached: String,
        /// tmux's exit code (null: ended by a signal).
        exit: Option<i32>,
    },
}

/// `team export --output FILE`: what was written where (the document itself is a
/// [`crate::team::lifecycle::TeamExport`]).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamExportFileOutput {
    /// The team exported.
    pub exported: String,
    /// The file written.
    pub output: String,
}

/// `team cleanup`: per team what was done (or, with `--dry-run`, would be) and refused, and
/// the records that could not be read.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamCleanupOutput {
    /// Per team selected.
    pub teams: Vec<TeamCleanup>,
    /// Team records that could not be read: kept, never removed.
    pub unreadable: Vec<ErrorObject>,
    /// Whether nothing was changed.
    pub dry_run: bool,
}

impl TeamCleanupOutput {
    /// The output of a team cleanup.
    pub fn of(r: &CleanupReport) -> TeamCleanupOutput {
        TeamCleanupOutput {
            teams: r.teams.clone(),
            unreadable: ErrorObject::list(&r.unreadable),
            dry_run: r.dry_run,
        }
    }
}

/// MCP `get_team_status`: the teams (or the one named) probed now, each member's working
/// directory project-relative and, for a team tied to a session, the phase it is on.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetTeamStatusOutput {
    /// One status per team.
    pub teams: Vec<TeamStatus>,
    /// Team records that could not be read (messages with project-relative paths).
    pub unreadable: Vec<ErrorObject>,
}
