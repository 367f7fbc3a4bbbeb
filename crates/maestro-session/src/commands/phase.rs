//! `phase start|complete|fail|retry|skip SESSION PHASE`: a phase's transitions (the rules are
//! the phase state machine's, `maestro_session_core::session::lifecycle`).

use clap::Subcommand;
use maestro_session_core::operations::Operation;
use maestro_session_core::session::model::PhaseId;
use maestro_session_core::session::session_file::SessionFile;
use maestro_session_core::store::Store;

use crate::output::{self, Report};
use crate::render::{self, paint, status_style, t};
use crate::values;

/// `phase`.
#[derive(Debug, Subcommand)]
pub enum PhaseCommand {
    /// pending -> in_progress (its blocked_by phases must be done).
    Start {
        /// Session id or prefix.
        session: String,
        /// Phase id.
        phase: PhaseId,
    },
    /// in_progress -> completed; writes the phase's log section.
    Complete {
        /// Session id or prefix.
        session: String,
        /// Phase id.
        phase: PhaseId,
        /// The agent's output, for the log.
        #[arg(long)]
        output: Option<String>,
        /// The validation result, for the log (default Pass).
        #[arg(long)]
        validation: Option<String>,
    },
    /// in_progress -> failed, recording the error.
    Fail {
        /// Session id or prefix.
        session: String,
        /// Phase id.
        phase: PhaseId,
        /// What went wrong.
        #[arg(long)]
        message: String,
        /// Error type.
        #[arg(long = "type", default_value = "runtime", value_parser = values::error_kind())]
        kind: String,
        /// The agent that failed (default: the phase's first agent).
        #[arg(long)]
        agent: Option<String>,
    },
    /// failed -> in_progress (retry_count + 1, at most MAESTRO_MAX_RETRIES).
    Retry {
        /// Session id or prefix.
        session: String,
        /// Phase id.
        phase: PhaseId,
    },
    /// pending -> skipped.
    Skip {
        /// Session id or prefix.
        session: String,
        /// Phase id.
        phase: PhaseId,
    },
}

/// Runs one `phase` subcommand.
///
/// Errors: the session or phase does not resolve; the transition is refused; `--agent` is
/// not an agent name.
pub fn run(store: &Store, command: PhaseCommand) -> anyhow::Result<Report> {
    let (session, id, op) = match command {
        PhaseCommand::Start { session, phase } => {
            (session, phase.clone(), Operation::PhaseStart(phase))
        }
        PhaseCommand::Complete {
            session,
            phase,
            output,
            validation,
        } => (
            session,
            phase.clone(),
            Operation::PhaseComplete {
                id: phase,
                output,
                validation,
            },
        ),
        PhaseCommand::Fail {
            session,
            phase,
            message,
            kind,
            agent,
        } => (
            session,
            phase.clone(),
            Operation::PhaseFail {
                id: phase,
                kind,
                message,
                agent: agent.as_deref().map(super::agent_name).transpose()?,
            },
        ),
        PhaseCommand::Retry { session, phase } => {
            (session, phase.clone(), Operation::PhaseRetry(phase))
        }
        PhaseCommand::Skip { session, phase } => {
            (session, phase.clone(), Operation::PhaseSkip(phase))
        }
    };
    let s = super::apply(store, &session, vec![op])?;
    Ok(Report::new(
        output::session(&s)?,
        render::changed(&s, &phase_line(&s, &id)),
    ))
}

fn phase_line(s: &SessionFile, id: &PhaseId) -> String {
    match s.meta.phase(id) {
        Some(p) => format!(
            "phase {} {} {}{}",
            t(&id.to_string()),
            t(&p.name),
            paint(status_style(p.status.as_str()), p.status.as_str()),
            if p.retry_count > 0 {
                format!(" (retry {})", p.retry_count)
            } else {
                String::new()
            }
        ),
        None => format!("phase {}", t(&id.to_string())),
    }
}
