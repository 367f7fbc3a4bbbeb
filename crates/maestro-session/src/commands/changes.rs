//! Commands that apply one change to a session: `status ID NEW`, `transition`, `phase …`,
//! `tokens`, `error …`, `files`, `context`, `set`, `pause`, `cancel`. Each becomes one or more
//! [`Operation`]s applied under the lock with one write.

use maestro_session_core::error::Error;
use maestro_session_core::operations::Operation;
use maestro_session_core::session::agent_name::AgentName;
use maestro_session_core::store::Store;

use crate::args::{Command, ErrorCommand, PhaseCommand};
use crate::output::Report;
use crate::{json, render};

/// Runs one of this module's commands.
pub fn run(store: &Store, command: Command) -> anyhow::Result<Report> {
    let (session, ops) = operations(command)?;
    let s = store.apply_with(Some(&session), |_| Ok(ops.clone()))?;
    let human = match ops.as_slice() {
        [op] => render::changed(&s, op),
        // Several operations are one `context` command (one per kind of entry).
        [Operation::AddContext { phase, .. }, ..] => {
            format!("{}: downstream context of phase {phase} updated\n", s.id())
        }
        _ => format!("{}: updated\n", s.id()),
    };
    Ok(Report::new(json::session(&s, false), human))
}

/// The session a command names and the operations it makes.
fn operations(command: Command) -> anyhow::Result<(String, Vec<Operation>)> {
    let one = |session: String, op: Operation| Ok((session, vec![op]));
    match command {
        Command::Status {
            session,
            new: Some(to),
        } => one(session, Operation::SetStatus(to)),
        Command::Transition { session, stage } => one(session, Operation::SetStage(stage)),
        Command::Phase(p) => {
            let (session, op) = phase(p)?;
            one(session, op)
        }
        Command::Tokens {
            session,
            agent,
            input,
            output,
            cached,
        } => one(
            session,
            Operation::Tokens {
                agent: agent_name(&agent)?,
                input,
                output,
                cached,
            },
        ),
        Command::Error(ErrorCommand::Add {
            session,
            phase,
            agent,
            kind,
            message,
        }) => one(
            session,
            Operation::AddError {
                phase,
                agent: agent_name(&agent)?,
                kind,
                message,
            },
        ),
        Command::Error(ErrorCommand::Resolve {
            session,
            phase,
            index,
            resolution,
        }) => one(
            session,
            Operation::ResolveError {
                phase,
                index,
                resolution,
            },
        ),
        Command::Files {
            session,
            phase,
            created,
            modified,
            deleted,
        } => one(
            session,
            Operation::AddFiles {
                phase,
                created,
                modified,
                deleted,
            },
        ),
        Command::Context {
            session,
            phase,
            interface,
            pattern,
            integration,
            assumption,
            warning,
        } => {
            let groups = [
                ("key_interfaces_introduced", interface),
                ("patterns_established", pattern),
                ("integration_points", integration),
                ("assumptions", assumption),
                ("warnings", warning),
            ];
            let ops = groups
                .into_iter()
                .filter(|(_, values)| !values.is_empty())
                .map(|(key, values)| Operation::AddContext {
                    phase: phase.clone(),
                    key: key.into(),
                    values,
                })
                .collect();
            Ok((session, ops))
        }
        Command::Set {
            session,
            field,
            value,
            clear,
        } => one(
            session,
            Operation::SetField {
                key: field,
                value: if clear { None } else { value },
            },
        ),
        Command::Pause { session } => one(session, Operation::Pause),
        Command::Cancel { session } => one(session, Operation::Cancel),
        other => Err(super::misrouted(&other)),
    }
}

/// `--agent`'s value as an agent name (the one rule, `maestro_session_core::session::agent_name`):
/// a usage error naming the option and, shortly, the value, when it is none.
fn agent_name(raw: &str) -> anyhow::Result<AgentName> {
    AgentName::parse(raw).map_err(|e| Error::Invalid(format!("--agent: {e}")).into())
}

/// A `phase` subcommand as its session and operation.
fn phase(p: PhaseCommand) -> anyhow::Result<(String, Operation)> {
    Ok(match p {
        PhaseCommand::Start { session, phase } => (session, Operation::PhaseStart(phase)),
        PhaseCommand::Complete {
            session,
            phase,
            output,
            validation,
        } => (
            session,
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
            Operation::PhaseFail {
                id: phase,
                kind,
                message,
                agent: agent.as_deref().map(agent_name).transpose()?,
            },
        ),
        PhaseCommand::Retry { session, phase } => (session, Operation::PhaseRetry(phase)),
        PhaseCommand::Skip { session, phase } => (session, Operation::PhaseSkip(phase)),
    })
}
