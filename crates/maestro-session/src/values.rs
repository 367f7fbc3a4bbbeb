//! The enum arguments' values: each lists what it accepts, so `--help`, a usage error for a
//! wrong value ("possible values: …", with clap's "did you mean") and the shell completions
//! all show it.
//!
//! Where `session-core` has the list, it is taken from there: the states of a state machine
//! ([`State::ALL`]), the error types ([`ERROR_KINDS`]), the settable fields
//! ([`SETTABLE_FIELDS`]). The Maestro enums of `create` are mirrored as [`ValueEnum`]s that map
//! into the core's own enums in one place each ([`WorkflowMode::as_core`] and the like).

use std::ffi::OsStr;
use std::marker::PhantomData;
use std::str::FromStr;

use clap::ValueEnum;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use maestro_session_core::operations::SETTABLE_FIELDS;
use maestro_session_core::session::field_values as core;
use maestro_session_core::session::lifecycle::State;
use maestro_session_core::session::model::ERROR_KINDS;
use maestro_session_core::session::phase_spec::PhaseSpec;

/// Parser of a state of one of the core's state machines (session status, stage): the
/// possible values are the machine's states, and what the core reads as a state (`active` for
/// `in_progress`) is accepted too.
#[derive(Debug)]
pub struct StateParser<T>(PhantomData<fn() -> T>);

impl<T> Clone for StateParser<T> {
    fn clone(&self) -> Self {
        StateParser(PhantomData)
    }
}

/// A [`StateParser`] for `T`.
pub fn state<T>() -> StateParser<T> {
    StateParser(PhantomData)
}

impl<T> StateParser<T>
where
    T: State,
{
    fn names() -> PossibleValuesParser {
        PossibleValuesParser::new(T::ALL.iter().map(|s| PossibleValue::new(s.name())))
    }
}

impl<T> TypedValueParser for StateParser<T>
where
    T: State + FromStr + Send + Sync,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        if let Some(state) = value.to_str().and_then(|text| text.parse::<T>().ok()) {
            return Ok(state);
        }
        // Not a state: the list's own error names the possible values (and the nearest one).
        Self::names().parse_ref(cmd, arg, value)?;
        Err(clap::Error::new(clap::error::ErrorKind::InvalidValue).with_cmd(cmd))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            T::ALL.iter().map(|s| PossibleValue::new(s.name())),
        ))
    }
}

/// A `--phase` of `create`: `NAME` or `NAME=agent1,agent2` (spaces around names trimmed,
/// empty agent names dropped).
///
/// Errors: the name is empty.
pub fn phase(arg: &str) -> Result<PhaseSpec, String> {
    let (name, agents) = arg.split_once('=').unwrap_or((arg, ""));
    let name = name.trim();
    if name.is_empty() {
        return Err("expected NAME or NAME=AGENTS, with a name before `=`".into());
    }
    Ok(PhaseSpec {
        name: name.to_string(),
        agents: agents
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect(),
        ..PhaseSpec::default()
    })
}

/// Parser of an error type (`validation`, `timeout`, …).
pub fn error_kind() -> PossibleValuesParser {
    PossibleValuesParser::new(ERROR_KINDS)
}

/// Parser of a field `set` may set.
pub fn settable_field() -> PossibleValuesParser {
    PossibleValuesParser::new(SETTABLE_FIELDS)
}

/// Maps a mirror of a core enum into the core's spelling, one exhaustive `match` each, so a
/// value added on one side and not the other fails to compile.
macro_rules! mirror {
    ($(#[$meta:meta])* $name:ident => $core:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// The core's value.
            pub fn as_core(self) -> core::$core {
                match self { $($name::$variant => core::$core::$variant),+ }
            }

            /// The value as written in session files.
            pub fn as_str(self) -> &'static str {
                self.as_core().as_str()
            }

            /// The mirror of a core value (the other direction of [`Self::as_core`]; it is
            /// what makes a value the core gains and this enum lacks a compile error).
            #[allow(dead_code)]
            pub fn from_core(value: core::$core) -> Self {
                match value { $(core::$core::$variant => $name::$variant),+ }
            }
        }
    };
}

mirror! {
    /// `--workflow-mode`.
    WorkflowMode => WorkflowMode {
        /// The full workflow.
        Standard,
        /// The short workflow.
        Express,
    }
}

mirror! {
    /// `--execution-mode`.
    ExecutionMode => ExecutionMode {
        /// One phase at a time.
        Sequential,
        /// Phases of a batch at once.
        Parallel,
    }
}

mirror! {
    /// `--complexity`.
    Complexity => Complexity {
        /// A small change.
        Simple,
        /// A few files or components.
        Medium,
        /// Many components.
        Complex,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use maestro_session_core::session::lifecycle::SessionStatus;

    #[test]
    fn states_parse_with_aliases_and_refuse_with_the_list() {
        let cmd = crate::cli::Cli::command();
        let p = state::<SessionStatus>();
        let ok = p.parse_ref(&cmd, None, OsStr::new("active"));
        assert_eq!(ok.ok(), Some(SessionStatus::InProgress));
        let err = p
            .parse_ref(&cmd, None, OsStr::new("pausd"))
            .expect_err("not a status")
            .to_string();
        assert!(
            err.contains("possible values: in_progress, paused"),
            "{err}"
        );
        assert!(!err.contains("SessionStatus"), "{err}");
    }

    #[test]
    fn mirrors_spell_values_as_the_core() {
        assert_eq!(WorkflowMode::Express.as_str(), "express");
        assert_eq!(ExecutionMode::Parallel.as_str(), "parallel");
        assert_eq!(Complexity::Medium.as_str(), "medium");
        assert_eq!(
            WorkflowMode::from_core(core::WorkflowMode::Standard),
            WorkflowMode::Standard
        );
    }
}
