//! `watch --json`: a stream of JSON Lines, each a [`WatchLine`].

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::command::EventLine;
use crate::session::lifecycle::{PhaseStatus, SessionStatus, Stage};
use crate::session::model::{PhaseId, TokenUsage};
use crate::session::session_file::{Location, SessionFile};

/// One line of `watch --json`: the session (first, and again whenever it changes) or one
/// event of its log, as the line holds it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum WatchLine {
    /// `{"type": "session", "session": {...}}`.
    // Boxed: far larger than an event.
    Session(Box<WatchSessionLine>),
    /// An event line of the session's log.
    Event(#[schemars(with = "EventLine")] Value),
}

/// The session line of `watch --json`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchSessionLine {
    /// Always `session`.
    #[serde(rename = "type")]
    pub kind: WatchSessionTag,
    /// What a frame's header shows.
    pub session: WatchSession,
}

/// The tag of a [`WatchSessionLine`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WatchSessionTag {
    /// `session`.
    Session,
}

/// The session object of `watch --json`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchSession {
    /// Session id.
    pub session_id: String,
    /// Task.
    pub task: String,
    /// Status.
    pub status: SessionStatus,
    /// Workflow stage.
    pub stage: Option<Stage>,
    /// `active` or `archive`.
    pub location: Location,
    /// Creation time.
    pub created: String,
    /// Last change.
    pub updated: String,
    /// Current phase.
    pub current_phase: Option<PhaseId>,
    /// Completed or skipped phases.
    pub phases_done: usize,
    /// Number of phases.
    pub total_phases: u64,
    /// The phases.
    pub phases: Vec<WatchPhase>,
    /// Tokens by agent and in total.
    pub token_usage: TokenUsage,
}

/// One phase of a [`WatchSession`].
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchPhase {
    /// Phase id.
    pub id: PhaseId,
    /// Name.
    pub name: String,
    /// Status.
    pub status: PhaseStatus,
    /// Retries so far.
    pub retry_count: u32,
    /// Errors recorded (resolved or not).
    pub errors: usize,
}

impl WatchSession {
    /// The watch view of `s`.
    pub fn of(s: &SessionFile) -> WatchSession {
        let m = &s.meta;
        WatchSession {
            session_id: m.session_id.clone(),
            task: m.task.clone(),
            status: m.status,
            stage: m.stage,
            location: s.location,
            created: m.created.clone(),
            updated: m.updated.clone(),
            current_phase: m.current_phase.clone(),
            phases_done: m.phases_done(),
            total_phases: m.phase_count(),
            phases: m
                .phases
                .iter()
                .map(|p| WatchPhase {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    status: p.status,
                    retry_count: p.retry_count,
                    errors: p.errors.len(),
                })
                .collect(),
            token_usage: m.token_usage.clone(),
        }
    }
}
