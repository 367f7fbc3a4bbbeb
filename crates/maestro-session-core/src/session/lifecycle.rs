//! The three state machines of a session: session `status`, workflow `stage` and phase
//! `status`. Each is one table in code ([`SESSION_TRANSITIONS`], [`STAGE_TRANSITIONS`],
//! [`PHASE_TRANSITIONS`]); nothing else decides what may follow what.
//!
//! Maestro documents these states but enforces no transition; the tables are ours:
//! - Session: `completed` and `cancelled` are terminal; `failed`, `timeout` and `paused`
//!   resume to `in_progress`.
//! - Stage: `initializing -> planning -> generating_tasks -> implementing -> validating ->
//!   generating_report -> completed`, plus `validating -> implementing`; `failed` and
//!   `paused` from any non-terminal stage; `paused` back to any non-terminal stage.
//! - Phase: `pending -> in_progress -> completed | failed`, `failed -> in_progress` (a retry,
//!   bounded by `MAESTRO_MAX_RETRIES`, default 2), `pending -> skipped`.
//!
//! Status and stage move together by one rule, [`change_status`], which every path that changes
//! a session's status goes through (the operations behind the command line, the MCP tools and
//! the hooks): a terminal status moves the stage to its terminal value ([`terminal_stage`]:
//! `completed -> completed`, `cancelled -> failed`), `paused` pauses the stage (remembering it
//! in `paused_from_stage`), and `in_progress` resumes a paused stage. [`check_pair`] says which
//! pairs are consistent; a stage change that would break it is refused, and `write-state`
//! refuses a file holding an inconsistent pair. A session without a `stage` (Maestro's files
//! have none) is consistent with every status and never gains one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Implemented by each machine's state enum.
pub trait State: Copy + Eq + std::fmt::Debug + 'static {
    /// Every state, in display order.
    const ALL: &'static [Self];
    /// The machine's transition table: each state with its allowed targets.
    const TABLE: &'static [(Self, &'static [Self])];
    /// The state's name as written in session files.
    fn name(self) -> &'static str;

    /// Targets allowed from `self`.
    fn allowed(self) -> &'static [Self] {
        Self::TABLE
            .iter()
            .find(|(from, _)| *from == self)
            .map(|(_, to)| *to)
            .unwrap_or(&[])
    }

    /// Whether `self -> to` is allowed.
    fn can_go(self, to: Self) -> bool {
        self.allowed().contains(&to)
    }

    /// Whether nothing may follow `self`.
    fn is_terminal(self) -> bool {
        self.allowed().is_empty()
    }

    /// Parses a name as written in session files.
    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.name() == name)
    }

    /// The names of the targets allowed from `self`, comma-separated (`none` when terminal).
    fn allowed_names(self) -> String {
        let names: Vec<&str> = self.allowed().iter().map(|s| s.name()).collect();
        if names.is_empty() {
            "none; it is terminal".into()
        } else {
            names.join(", ")
        }
    }
}

macro_rules! state_enum {
    (
        $(#[$meta:meta])* $name:ident,
        noun: $noun:literal,
        table: $table:ident,
        aliases: [$($alias:literal => $target:ident),*],
        { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// The state's name as written in session files.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl State for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            const TABLE: &'static [(Self, &'static [Self])] = $table;
            fn name(self) -> &'static str {
                self.as_str()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let alias = match s { $($alias => Some($name::$target),)* _ => None };
                <$name as State>::parse(s).or(alias).ok_or_else(|| {
                    let names: Vec<&str> = <$name as State>::ALL.iter().map(|v| v.as_str()).collect();
                    format!("unknown {} {s:?}; expected one of {}", $noun, names.join(", "))
                })
            }
        }
    };
}

state_enum! {
    /// Session `status`.
    SessionStatus,
    noun: "session status",
    table: SESSION_TRANSITIONS,
    aliases: ["active" => InProgress],
    {
        /// Running (`active` is read as this).
        #[default]
        #[serde(alias = "active")]
        InProgress = "in_progress",
        /// Paused by a person or the lead; resumable.
        Paused = "paused",
        /// Done (terminal).
        Completed = "completed",
        /// Failed; resumable.
        Failed = "failed",
        /// Ran out of time; resumable.
        Timeout = "timeout",
        /// Abandoned (terminal).
        Cancelled = "cancelled",
    }
}

use SessionStatus as S;

/// Session status transitions.
pub const SESSION_TRANSITIONS: &[(SessionStatus, &[SessionStatus])] = &[
    (
        S::InProgress,
        &[S::Paused, S::Completed, S::Failed, S::Timeout, S::Cancelled],
    ),
    (S::Paused, &[S::InProgress, S::Cancelled]),
    (S::Failed, &[S::InProgress, S::Cancelled]),
    (S::Timeout, &[S::InProgress, S::Cancelled]),
    (S::Completed, &[]),
    (S::Cancelled, &[]),
];

state_enum! {
    /// Workflow `stage` (ours; optional in session files).
    Stage,
    noun: "stage",
    table: STAGE_TRANSITIONS,
    aliases: [],
    {
        /// Setting up.
        #[default]
        Initializing = "initializing",
        /// Designing.
        Planning = "planning",
        /// Writing the implementation plan.
        GeneratingTasks = "generating_tasks",
        /// Running phases.
        Implementing = "implementing",
        /// Checking the result.
        Validating = "validating",
        /// Writing the final report.
        GeneratingReport = "generating_report",
        /// Done (terminal).
        Completed = "completed",
        /// Failed (terminal).
        Failed = "failed",
        /// Paused; returns to any non-terminal stage.
        Paused = "paused",
    }
}

use Stage as G;

/// Stage transitions.
pub const STAGE_TRANSITIONS: &[(Stage, &[Stage])] = &[
    (G::Initializing, &[G::Planning, G::Failed, G::Paused]),
    (G::Planning, &[G::GeneratingTasks, G::Failed, G::Paused]),
    (G::GeneratingTasks, &[G::Implementing, G::Failed, G::Paused]),
    (G::Implementing, &[G::Validating, G::Failed, G::Paused]),
    (
        G::Validating,
        &[G::GeneratingReport, G::Implementing, G::Failed, G::Paused],
    ),
    (G::GeneratingReport, &[G::Completed, G::Failed, G::Paused]),
    (
        G::Paused,
        &[
            G::Initializing,
            G::Planning,
            G::GeneratingTasks,
            G::Implementing,
            G::Validating,
            G::GeneratingReport,
            G::Failed,
        ],
    ),
    (G::Completed, &[]),
    (G::Failed, &[]),
];

state_enum! {
    /// Phase `status`.
    PhaseStatus,
    noun: "phase status",
    table: PHASE_TRANSITIONS,
    aliases: [],
    {
        /// Not started.
        #[default]
        Pending = "pending",
        /// Running.
        InProgress = "in_progress",
        /// Done (terminal).
        Completed = "completed",
        /// Failed; may be retried.
        Failed = "failed",
        /// Not needed (terminal).
        Skipped = "skipped",
    }
}

use crate::env_vars::EnvVars;
use PhaseStatus as P;

/// Phase status transitions (`failed -> in_progress` is a retry).
pub const PHASE_TRANSITIONS: &[(PhaseStatus, &[PhaseStatus])] = &[
    (P::Pending, &[P::InProgress, P::Skipped]),
    (P::InProgress, &[P::Completed, P::Failed]),
    (P::Failed, &[P::InProgress]),
    (P::Completed, &[]),
    (P::Skipped, &[]),
];

/// Default bound on phase retries (`MAESTRO_MAX_RETRIES` overrides).
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// The retry bound from `MAESTRO_MAX_RETRIES` in `env`, else [`DEFAULT_MAX_RETRIES`].
///
/// Errors: [`crate::Error::Invalid`] when the variable is not a number.
pub fn max_retries(env: &crate::env::Env) -> crate::Result<u32> {
    env.parse_or(EnvVars::MAESTRO_MAX_RETRIES, DEFAULT_MAX_RETRIES)
}

/// Checks `from -> to` against `T`'s table for session `session`; `what` names the thing that
/// moves (`status`, `stage`, `phase 2`).
///
/// Errors: [`crate::Error::Refused`] naming the session, both states and the allowed targets.
pub fn check<T: State + std::fmt::Display>(
    session: &str,
    what: &str,
    from: T,
    to: T,
) -> crate::Result<()> {
    if from.can_go(to) {
        Ok(())
    } else {
        Err(crate::Error::refused(
            session,
            format!(
                "{what} cannot go from {from} to {to}; allowed from {from}: {}",
                from.allowed_names()
            ),
        ))
    }
}

/// A session's status with its stage and the stage a pause left: the fields [`change_status`]
/// moves together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusStage {
    /// Session `status`.
    pub status: SessionStatus,
    /// Workflow `stage`, absent in Maestro's files.
    pub stage: Option<Stage>,
    /// The stage a paused session returns to.
    pub paused_from_stage: Option<Stage>,
}

/// The stage a terminal status carries: `completed` for `completed`, `failed` for
/// `cancelled` (the stage machine's other terminal state); `None` for a status that is not
/// terminal.
pub fn terminal_stage(status: SessionStatus) -> Option<Stage> {
    match status {
        SessionStatus::Completed => Some(Stage::Completed),
        SessionStatus::Cancelled => Some(Stage::Failed),
        _ => None,
    }
}

/// The stage a resumed session works in: the one its pause left, else `implementing`.
pub const RESUME_STAGE: Stage = Stage::Implementing;

/// Moves the status of session `session` from `now.status` to `to` (checked against
/// [`SESSION_TRANSITIONS`]) and the stage with it: the one rule that keeps them consistent.
///
/// - to a terminal status: the stage (when there is one) becomes [`terminal_stage`], and the
///   remembered stage is dropped;
/// - to `paused`: a stage that can pause becomes `paused`, remembering itself;
/// - to `in_progress`: a `paused` stage returns to the remembered one (else [`RESUME_STAGE`]);
/// - to `failed` or `timeout` (resumable): the stage stays.
///
/// Errors: [`crate::Error::Refused`] from [`check`] for a transition the table does not allow.
pub fn change_status(
    session: &str,
    now: StatusStage,
    to: SessionStatus,
) -> crate::Result<StatusStage> {
    check(session, "status", now.status, to)?;
    Ok(follow_status(now, to))
}

/// The stage half of [`change_status`], without the table check: `now` with status `to` and
/// the stage that goes with it. Also what [`fork_state`] and resume of an `in_progress`
/// session with a paused stage use.
pub fn follow_status(now: StatusStage, to: SessionStatus) -> StatusStage {
    let mut next = StatusStage { status: to, ..now };
    if let Some(terminal) = terminal_stage(to) {
        next.stage = now.stage.map(|_| terminal);
        next.paused_from_stage = None;
    } else if to == SessionStatus::Paused {
        if let Some(stage) = now.stage.filter(|s| s.can_go(Stage::Paused)) {
            next.paused_from_stage = Some(stage);
            next.stage = Some(Stage::Paused);
        }
    } else if to == SessionStatus::InProgress && now.stage == Some(Stage::Paused) {
        next.stage = Some(now.paused_from_stage.unwrap_or(RESUME_STAGE));
        next.paused_from_stage = None;
    }
    next
}

/// The state of a fork of a session in `source` state: `in_progress` in the stage it was
/// working in (`activate`), else `paused` remembering that stage. The working stage is the
/// source's stage, the one its pause left, or [`RESUME_STAGE`] for a finished source.
pub fn fork_state(source: StatusStage, activate: bool) -> StatusStage {
    let working = match source.stage {
        Some(Stage::Paused) => source.paused_from_stage.unwrap_or(RESUME_STAGE),
        Some(s) if !s.is_terminal() => s,
        _ => RESUME_STAGE,
    };
    let running = StatusStage {
        status: SessionStatus::InProgress,
        stage: Some(working),
        paused_from_stage: None,
    };
    if activate {
        running
    } else {
        follow_status(running, SessionStatus::Paused)
    }
}

/// Whether `status` and `stage` may stand together, and if not why:
/// - a terminal status carries its [`terminal_stage`];
/// - a `paused` session's stage is `paused`, or a terminal stage (which cannot pause);
/// - a stage is `paused` only while the session is.
///
/// A session without a stage is consistent with every status.
pub fn check_pair(status: SessionStatus, stage: Option<Stage>) -> Result<(), String> {
    let Some(stage) = stage else {
        return Ok(());
    };
    let why = if let Some(terminal) = terminal_stage(status) {
        (stage != terminal).then(|| format!("a {status} session's stage is {terminal}"))
    } else if status == SessionStatus::Paused {
        (stage != Stage::Paused && !stage.is_terminal())
            .then(|| "a paused session's stage is paused (or terminal)".to_string())
    } else {
        (stage == Stage::Paused)
            .then(|| "the stage is paused only while the session is paused".to_string())
    };
    match why {
        None => Ok(()),
        Some(why) => Err(format!(
            "status {status} with stage {stage} is inconsistent: {why}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_status_change_keeps_the_pair_consistent() {
        let stages: Vec<Option<Stage>> = std::iter::once(None)
            .chain(Stage::ALL.iter().copied().map(Some))
            .collect();
        for &from in SessionStatus::ALL {
            for &stage in &stages {
                if check_pair(from, stage).is_err() {
                    continue;
                }
                let now = StatusStage {
                    status: from,
                    stage,
                    paused_from_stage: None,
                };
                for &to in SessionStatus::ALL {
                    match change_status("s", now, to) {
                        Ok(next) => {
                            assert_eq!(next.status, to);
                            assert_eq!(
                                next.stage.is_some(),
                                stage.is_some(),
                                "never gains a stage"
                            );
                            assert!(
                                check_pair(next.status, next.stage).is_ok(),
                                "{from}/{stage:?} -> {to}: {next:?}"
                            );
                        }
                        Err(_) => assert!(!from.can_go(to)),
                    }
                }
            }
        }
    }

    #[test]
    fn terminal_status_moves_the_stage_and_pause_round_trips() {
        let working = StatusStage {
            status: SessionStatus::InProgress,
            stage: Some(Stage::Validating),
            paused_from_stage: None,
        };
        let paused = change_status("s", working, SessionStatus::Paused).expect("pause");
        assert_eq!(
            (paused.stage, paused.paused_from_stage),
            (Some(Stage::Paused), Some(Stage::Validating))
        );
        let cancelled = change_status("s", paused, SessionStatus::Cancelled).expect("cancel");
        assert_eq!(
            (cancelled.stage, cancelled.paused_from_stage),
            (Some(Stage::Failed), None)
        );
        let resumed = change_status("s", paused, SessionStatus::InProgress).expect("resume");
        assert_eq!(resumed, working);
        let done = change_status(
            "s",
            StatusStage {
                stage: Some(Stage::Initializing),
                ..working
            },
            SessionStatus::Completed,
        )
        .expect("complete");
        assert_eq!(done.stage, Some(Stage::Completed));
        assert_eq!(
            check_pair(SessionStatus::Cancelled, Some(Stage::Paused)).expect_err("bad"),
            "status cancelled with stage paused is inconsistent: a cancelled session's stage is failed"
        );
        assert!(check_pair(SessionStatus::Completed, None).is_ok());
        assert_eq!(fork_state(cancelled, true).stage, Some(RESUME_STAGE));
        assert_eq!(fork_state(paused, false), paused);
    }

    /// Checks every pair of `T` against `allowed`, written out independently of the table.
    fn check_all_pairs<T: State + std::hash::Hash>(allowed: &[(T, T)]) {
        let allowed: HashSet<(T, T)> = allowed.iter().copied().collect();
        for &from in T::ALL {
            for &to in T::ALL {
                assert_eq!(
                    from.can_go(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        assert_eq!(T::TABLE.len(), T::ALL.len(), "every state has a row");
    }

    #[test]
    fn session_pairs() {
        use SessionStatus::*;
        check_all_pairs(&[
            (InProgress, Paused),
            (InProgress, Completed),
            (InProgress, Failed),
            (InProgress, Timeout),
            (InProgress, Cancelled),
            (Paused, InProgress),
            (Paused, Cancelled),
            (Failed, InProgress),
            (Failed, Cancelled),
            (Timeout, InProgress),
            (Timeout, Cancelled),
        ]);
        assert!(Completed.is_terminal() && Cancelled.is_terminal());
        assert_eq!("active".parse::<SessionStatus>(), Ok(InProgress));
        assert!(
            "nope"
                .parse::<SessionStatus>()
                .expect_err("bad")
                .contains("expected one of in_progress")
        );
    }

    #[test]
    fn stage_pairs() {
        use Stage::*;
        let non_terminal = [
            Initializing,
            Planning,
            GeneratingTasks,
            Implementing,
            Validating,
            GeneratingReport,
        ];
        let mut pairs = vec![
            (Initializing, Planning),
            (Planning, GeneratingTasks),
            (GeneratingTasks, Implementing),
            (Implementing, Validating),
            (Validating, GeneratingReport),
            (GeneratingReport, Completed),
            (Validating, Implementing),
            (Paused, Failed),
        ];
        for s in non_terminal {
            pairs.push((s, Failed));
            pairs.push((s, Paused));
            pairs.push((Paused, s));
        }
        check_all_pairs(&pairs);
    }

    #[test]
    fn phase_pairs() {
        use PhaseStatus::*;
        check_all_pairs(&[
            (Pending, InProgress),
            (Pending, Skipped),
            (InProgress, Completed),
            (InProgress, Failed),
            (Failed, InProgress),
        ]);
        assert_eq!(Pending.allowed_names(), "in_progress, skipped");
        assert_eq!(Completed.allowed_names(), "none; it is terminal");
    }
}
