//! A session as a timeline (issue 11, `maestro-session watch` and `report`): each phase's span
//! from its start to its completion (or to "now" while it runs), its retries and errors, the
//! progress over all phases, and the tokens by agent. Built from the frontmatter alone; the
//! event log and the hook state are read by their own layers and added by the caller.
//!
//! Times that do not parse (a hand-edited file) are left out rather than guessed: a phase
//! without a readable start has no bar, an error without a readable time is listed but not
//! placed on the axis.

use jiff::Timestamp;

use crate::session::lifecycle::PhaseStatus;
use crate::session::model::{Phase, PhaseId, SessionMetadata};

/// One phase on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseRow {
    /// The phase's id.
    pub id: PhaseId,
    /// Its name.
    pub name: String,
    /// Its status.
    pub status: PhaseStatus,
    /// Its agents.
    pub agents: Vec<String>,
    /// When it was (last) started.
    pub start: Option<Timestamp>,
    /// When it completed; for a phase still running (or failed, without a completion time):
    /// the session's last update or "now", whichever the caller gave, so its bar has a length.
    pub end: Option<Timestamp>,
    /// Whether `end` is a real completion time (`false`: the phase has not finished).
    pub finished: bool,
    /// How many times it was retried.
    pub retries: u32,
    /// Its errors, in order.
    pub errors: Vec<ErrorMark>,
}

/// One error of a phase.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorMark {
    /// When it happened (when the recorded time parses).
    pub time: Option<Timestamp>,
    /// The agent that met it.
    pub agent: String,
    /// Its type (`runtime`, `validation`, ...).
    pub kind: String,
    /// What happened.
    pub message: String,
    /// Whether it is resolved.
    pub resolved: bool,
}

/// One agent's tokens.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentRow {
    /// The agent.
    pub agent: String,
    /// Prompt tokens, as the model reported them.
    pub input: u64,
    /// Completion tokens.
    pub output: u64,
    /// Cached prompt tokens.
    pub cached: u64,
    /// The part of these counts read from the runtime's transcripts (the session's
    /// `transcript_usage.by_agent.<agent>`, see [`crate::session::transcript_usage`]), when any was.
    pub transcript: Option<TranscriptTokens>,
}

/// Tokens counted from a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TranscriptTokens {
    /// Prompt tokens.
    pub input: u64,
    /// Completion tokens.
    pub output: u64,
    /// Cached prompt tokens.
    pub cached: u64,
}

/// The whole timeline of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// The phases, in the session's order.
    pub phases: Vec<PhaseRow>,
    /// The earliest time on the axis (creation, or the earliest start or error).
    pub from: Option<Timestamp>,
    /// The latest time on the axis (never before `from`).
    pub to: Option<Timestamp>,
    /// Phases done (completed or skipped).
    pub done: usize,
    /// All phases.
    pub total: usize,
    /// Tokens by agent, in the order agents first reported.
    pub agents: Vec<AgentRow>,
}

/// Reads an ISO 8601 / RFC 3339 time ([`crate::clock::parse_iso`]); `None` when it does not
/// parse.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    crate::clock::parse_iso(text.trim())
}

impl Timeline {
    /// The timeline of `meta`. `now` ends the bars of phases that have not finished when the
    /// session is still going; for a session in a terminal or paused status they end at its
    /// last update, so a finished session's picture does not grow with time.
    pub fn build(meta: &SessionMetadata, now: Timestamp) -> Timeline {
        let updated = parse_time(&meta.updated);
        let live = matches!(
            meta.status,
            crate::session::lifecycle::SessionStatus::InProgress
        );
        let open_end = if live {
            Some(now)
        } else {
            updated.or(Some(now))
        };
        let phases: Vec<PhaseRow> = meta.phases.iter().map(|p| row(p, open_end)).collect();
        let mut from = parse_time(&meta.created);
        let mut to = updated;
        let mut widen = |t: Option<Timestamp>| {
            if let Some(t) = t {
                from = Some(from.map_or(t, |f| f.min(t)));
                to = Some(to.map_or(t, |e| e.max(t)));
            }
        };
        for p in &phases {
            widen(p.start);
            widen(p.end);
            for e in &p.errors {
                widen(e.time);
            }
        }
        Timeline {
            done: meta.phases_done(),
            total: usize::try_from(meta.phase_count()).unwrap_or(usize::MAX),
            phases,
            from,
            to,
            agents: agents(meta),
        }
    }

    /// The fraction of the axis at which `t` lies (0.0 to 1.0; 0.0 for an empty axis).
    pub fn position(&self, t: Timestamp) -> f64 {
        let (Some(from), Some(to)) = (self.from, self.to) else {
            return 0.0;
        };
        let span = to.as_millisecond().saturating_sub(from.as_millisecond());
        if span <= 0 {
            return 0.0;
        }
        let at = t.as_millisecond().saturating_sub(from.as_millisecond());
        (at as f64 / span as f64).clamp(0.0, 1.0)
    }
}

fn row(p: &Phase, open_end: Option<Timestamp>) -> PhaseRow {
    let start = p.started.as_deref().and_then(parse_time);
    let completed = p.completed.as_deref().and_then(parse_time);
    let finished =
        completed.is_some() && matches!(p.status, PhaseStatus::Completed | PhaseStatus::Skipped);
    let end = match (completed, start) {
        (Some(c), _) if finished => Some(c),
        (_, Some(s)) => open_end.map(|e| e.max(s)),
        _ => completed,
    };
    PhaseRow {
        id: p.id.clone(),
        name: p.name.clone(),
        status: p.status,
        agents: p.agents.clone(),
        start,
        end,
        finished,
        retries: p.retry_count,
        errors: p
            .errors
            .iter()
            .map(|e| ErrorMark {
                time: parse_time(&e.timestamp),
                agent: e.agent.clone(),
                kind: e.kind.clone(),
                message: e.message.clone(),
                resolved: e.resolved,
            })
            .collect(),
    }
}

/// Tokens by agent, with transcript counts when the session holds them.
pub fn agents(meta: &SessionMetadata) -> Vec<AgentRow> {
    meta.token_usage
        .by_agent
        .iter()
        .map(|(agent, t)| AgentRow {
            agent: agent.clone(),
            input: t.input,
            output: t.output,
            cached: t.cached,
            transcript: meta
                .transcript_usage
                .as_ref()
                .and_then(|u| u.by_agent.get(agent))
                .map(|c| TranscriptTokens {
                    input: c.input,
                    output: c.output,
                    cached: c.cached,
                }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::lifecycle::SessionStatus;
    use crate::session::model::{AgentTokens, PhaseError};

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    fn meta() -> SessionMetadata {
        let mut m = SessionMetadata {
            session_id: "2026-11-20-x".into(),
            created: "2026-11-20T09:00:00Z".into(),
            updated: "2026-11-20T10:00:00Z".into(),
            status: SessionStatus::InProgress,
            ..SessionMetadata::default()
        };
        m.phases = vec![
            Phase {
                id: PhaseId::Number(1),
                name: "design".into(),
                status: PhaseStatus::Completed,
                started: Some("2026-11-20T09:05:00Z".into()),
                completed: Some("2026-11-20T09:20:00Z".into()),
                ..Phase::default()
            },
            Phase {
                id: PhaseId::Number(2),
                name: "build".into(),
                status: PhaseStatus::InProgress,
                started: Some("2026-11-20T09:30:00Z".into()),
                retry_count: 1,
                errors: vec![PhaseError {
                    agent: "coder".into(),
                    timestamp: "2026-11-20T09:40:00Z".into(),
                    kind: "runtime".into(),
                    message: "boom".into(),
                    ..PhaseError::default()
                }],
                ..Phase::default()
            },
            Phase {
                id: PhaseId::Number(3),
                name: "ship".into(),
                started: Some("not a time".into()),
                ..Phase::default()
            },
        ];
        m.token_usage.by_agent.insert(
            "coder".into(),
            AgentTokens {
                input: 1,
                output: 2,
                cached: 3,
                ..AgentTokens::default()
            },
        );
        let mut usage = crate::session::transcript_usage::TranscriptUsage::default();
        usage.by_agent.insert(
            "coder".into(),
            crate::session::transcript_usage::UsageCounts {
                input: 7,
                output: 8,
                ..Default::default()
            },
        );
        m.transcript_usage = Some(usage);
        m
    }

    #[test]
    fn spans_end_at_completion_or_now() {
        let t = Timeline::build(&meta(), ts("2026-11-20T11:00:00Z"));
        assert_eq!((t.done, t.total), (1, 3));
        assert_eq!(t.phases[0].end, Some(ts("2026-11-20T09:20:00Z")));
        assert!(t.phases[0].finished);
        assert_eq!(t.phases[1].end, Some(ts("2026-11-20T11:00:00Z")));
        assert!(!t.phases[1].finished);
        assert_eq!(t.phases[1].retries, 1);
        assert_eq!(t.phases[1].errors[0].time, Some(ts("2026-11-20T09:40:00Z")));
        assert_eq!((t.phases[2].start, t.phases[2].end), (None, None));
        assert_eq!(t.from, Some(ts("2026-11-20T09:00:00Z")));
        assert_eq!(t.to, Some(ts("2026-11-20T11:00:00Z")));
        assert!((t.position(ts("2026-11-20T10:00:00Z")) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn a_finished_session_ends_at_its_last_update() {
        let mut m = meta();
        m.status = SessionStatus::Completed;
        let t = Timeline::build(&m, ts("2030-01-01T00:00:00Z"));
        assert_eq!(t.phases[1].end, Some(ts("2026-11-20T10:00:00Z")));
        assert_eq!(t.to, Some(ts("2026-11-20T10:00:00Z")));
    }

    #[test]
    fn tokens_keep_transcript_counts() {
        let a = agents(&meta());
        assert_eq!(a[0].agent, "coder");
        assert_eq!((a[0].input, a[0].output, a[0].cached), (1, 2, 3));
        assert_eq!(
            a[0].transcript,
            Some(TranscriptTokens {
                input: 7,
                output: 8,
                cached: 0
            })
        );
    }

    #[test]
    fn an_empty_session_has_an_empty_axis() {
        let t = Timeline::build(&SessionMetadata::default(), ts("2026-11-20T11:00:00Z"));
        assert_eq!(t.total, 0);
        assert_eq!(t.position(ts("2026-11-20T11:00:00Z")), 0.0);
    }
}
