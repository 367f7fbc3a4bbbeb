//! `error add|resolve SESSION PHASE …`: records a phase error, or marks one resolved.

use clap::Subcommand;
use maestro_session_core::operations::Operation;
use maestro_session_core::session::model::PhaseId;
use maestro_session_core::store::Store;

use crate::output::{self, Report};
use crate::{render, values};

/// `error`.
#[derive(Debug, Subcommand)]
pub enum ErrorCommand {
    /// Record an error against a phase.
    Add {
        /// Session id or prefix.
        session: String,
        /// Phase id.
        phase: PhaseId,
        /// The agent that met it.
        #[arg(long)]
        agent: String,
        /// Error type.
        #[arg(long = "type", value_parser = values::error_kind())]
        kind: String,
        /// What happened.
        #[arg(long)]
        message: String,
    },
    /// Mark a phase's error resolved.
    Resolve {
        /// Session id or prefix.
        session: String,
        /// Phase id.
        phase: PhaseId,
        /// 1-based index among the phase's errors.
        index: usize,
        /// How it was resolved.
        #[arg(long)]
        resolution: String,
    },
}

/// Runs one `error` subcommand.
///
/// Errors: `--agent` is not an agent name; the session or phase does not resolve; the error
/// index is out of range.
pub fn run(store: &Store, command: ErrorCommand) -> anyhow::Result<Report> {
    match command {
        ErrorCommand::Add {
            session,
            phase,
            agent,
            kind,
            message,
        } => {
            let op = Operation::AddError {
                phase: phase.clone(),
                agent: super::agent_name(&agent)?,
                kind,
                message,
            };
            let s = super::apply(store, &session, vec![op])?;
            let what = format!(
                "error recorded on phase {phase}; {} unresolved",
                s.meta.unresolved_errors().len()
            );
            Ok(Report::new(
                output::session(&s)?,
                render::changed(&s, &what),
            ))
        }
        ErrorCommand::Resolve {
            session,
            phase,
            index,
            resolution,
        } => {
            let op = Operation::ResolveError {
                phase: phase.clone(),
                index,
                resolution,
            };
            let s = super::apply(store, &session, vec![op])?;
            let what = format!(
                "error {index} of phase {phase} resolved; {} unresolved",
                s.meta.unresolved_errors().len()
            );
            Ok(Report::new(
                output::session(&s)?,
                render::changed(&s, &what),
            ))
        }
    }
}
