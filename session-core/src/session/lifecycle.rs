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
                    format!("unknown {} {s:?}; expected one of {}", stringify!($name), names.join(", "))
                })
            }
        }
    };
}

state_enum! {
    /// Session `status`.
    SessionStatus,
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

use crate::workspace::env_vars::EnvVars;
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
pub fn max_retries(env: &crate::workspace::env::Env) -> crate::Result<u32> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

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
