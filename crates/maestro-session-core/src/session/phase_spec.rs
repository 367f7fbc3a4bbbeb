//! A phase as a plan or a request names it, before it is a phase of a session: what `create`
//! and plan files give ([`crate::session::plan`]).

use crate::session::model::PhaseId;

/// A phase to create: name, agents, and the phases it waits for.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct PhaseSpec {
    /// The phase's id; `None` numbers it by position (1, 2, ...). Maestro 1.6 plans name
    /// phases by strings (`"design"`).
    pub id: Option<PhaseId>,
    /// Phase name.
    pub name: String,
    /// Assigned agents.
    pub agents: Vec<String>,
    /// Ids of phases that must finish first; `None` means the previous phase.
    pub blocked_by: Option<Vec<PhaseId>>,
    /// Whether its agents run in parallel.
    pub parallel: bool,
    /// The files the plan says the phase will touch (Maestro 1.6 plans' `files`), kept in the
    /// session as `planned_files` when not empty.
    #[serde(alias = "files")]
    pub planned_files: Vec<String>,
}
