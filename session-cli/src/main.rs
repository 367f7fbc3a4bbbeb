//! `maestro-session`: the people-facing command line over orchestration sessions.
//!
//! Thin: parse with clap, call `session-core`, print. Exit codes: 0 success, 1 refused,
//! 2 usage, 3 I/O or corrupt state (see `--help`).

mod args;
mod mcp;
mod render;
mod setup;

use std::io::Write;

use clap::{CommandFactory, Parser};
use serde_json::{Value, json};
use session_core::error::{Error, ErrorKind};
use session_core::operations::Operation;
use session_core::store::listing::{self, ListFilter};
use session_core::store::{CleanupRequest, CreateRequest, PhaseSpec, Store};
use session_core::workspace::paths::Workspace;
use session_core::{Env, clock, session::plan};

use args::{Cli, Command, ErrorCommand, PhaseCommand};

fn main() {
    // Arguments are OsString: a non-UTF-8 one where text is expected is clap's usage error.
    let cli = match Cli::try_parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => {
            let help = matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            );
            if !help && std::env::args_os().any(|a| a == "--json") {
                let msg = e.to_string();
                let first = msg
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("error: ");
                eprintln!("{}", json!({"error": first, "kind": "usage"}));
                std::process::exit(2);
            }
            e.exit();
        }
    };
    let json_mode = cli.json;
    if let Err(e) = run(cli) {
        let (message, kind) = match e.downcast_ref::<Error>() {
            Some(core) => (core.to_string(), core.kind()),
            None => (format!("{e:#}"), ErrorKind::Io),
        };
        if json_mode {
            eprintln!("{}", json!({"error": message, "kind": kind.name()}));
        } else {
            render::error_line(&message);
        }
        std::process::exit(kind.exit_code());
    }
}

fn store(cli: &Cli) -> anyhow::Result<Store> {
    let env = Env::process();
    let cwd = std::env::current_dir()?;
    let ws = match &cli.state_dir {
        Some(dir) => Workspace::with_state_dir(&env, &cwd, dir)?,
        None => Workspace::resolve(&env, &cwd)?,
    };
    Ok(Store::new(ws, env))
}

fn emit(json_mode: bool, value: Value, human: impl FnOnce()) {
    if json_mode {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        human();
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let json_mode = cli.json;
    // Registration needs no state dir: a broken MAESTRO_STATE_DIR or .env where install.sh
    // runs must not stop it.
    let cli = match cli.command {
        Command::Setup(s) => return setup::run(s),
        command => Cli { command, ..cli },
    };
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "maestro-session",
                &mut std::io::stdout(),
            );
            return Ok(());
        }
        Command::Schema => {
            println!(
                "{}",
                session_core::session::schema::session_metadata_schema()
            );
            return Ok(());
        }
        Command::Mcp => return mcp::run(cli.state_dir),
        _ => {}
    }
    let store = store(&cli)?;
    let apply = |session: &str, op: Operation| -> anyhow::Result<()> {
        let s = store.apply(Some(session), &op)?;
        emit(json_mode, render::show_json(&s), || {
            render::changed(&s, &op)
        });
        Ok(())
    };
    match cli.command {
        Command::Init => {
            let dir = store.init()?;
            emit(json_mode, json!({"state_dir": dir}), || {
                println!("state dir ready: {}", dir.display())
            });
        }
        Command::Create(a) => {
            let phases = match &a.plan {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .map_err(|e| Error::io("read plan", path, e))?;
                    plan::parse_plan(&path.display().to_string(), &text)?
                }
                None => a.phases.iter().map(|p| parse_phase_arg(p)).collect(),
            };
            let req = CreateRequest {
                task: a.task,
                phases,
                design_document: a.design_document,
                implementation_plan: a.implementation_plan,
                workflow_mode: a.workflow_mode,
                execution_mode: a.execution_mode,
                task_complexity: a.complexity,
                park: a.park,
                ..CreateRequest::default()
            };
            let s = store.create(&req)?;
            emit(json_mode, render::show_json(&s), || render::created(&s));
        }
        Command::List(a) => {
            let (rows, broken) = store.summaries()?;
            let filter = ListFilter {
                status: a.status.or(a.status_arg),
                branch: a.branch,
                since: a.since,
                until: a.until,
                limit: a.limit,
            };
            let rows = listing::filter(rows, &filter)?;
            render::broken(&broken, json_mode);
            emit(json_mode, serde_json::to_value(&rows)?, || {
                render::list(&rows)
            });
        }
        Command::Show { session } => {
            let s = store.get_or_active(session.as_deref())?;
            let conflicts = store.conflicts(&s.meta);
            emit(json_mode, render::show_json(&s), || {
                render::show(&s, &conflicts)
            });
        }
        Command::Status { session, new: None } => {
            let s = store.get(&session)?;
            emit(json_mode, render::status_json(&s), || render::status(&s));
        }
        Command::Status {
            session,
            new: Some(to),
        } => apply(&session, Operation::SetStatus(to))?,
        Command::Transition { session, stage } => apply(&session, Operation::SetStage(stage))?,
        Command::Phase(p) => {
            let (session, op) = match p {
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
                        agent,
                    },
                ),
                PhaseCommand::Retry { session, phase } => (session, Operation::PhaseRetry(phase)),
                PhaseCommand::Skip { session, phase } => (session, Operation::PhaseSkip(phase)),
            };
            apply(&session, op)?;
        }
        Command::Tokens {
            session,
            agent,
            input,
            output,
            cached,
        } => apply(
            &session,
            Operation::Tokens {
                agent,
                input,
                output,
                cached,
            },
        )?,
        Command::Error(ErrorCommand::Add {
            session,
            phase,
            agent,
            kind,
            message,
        }) => apply(
            &session,
            Operation::AddError {
                phase,
                agent,
                kind,
                message,
            },
        )?,
        Command::Error(ErrorCommand::Resolve {
            session,
            phase,
            index,
            resolution,
        }) => apply(
            &session,
            Operation::ResolveError {
                phase,
                index,
                resolution,
            },
        )?,
        Command::Files {
            session,
            phase,
            created,
            modified,
            deleted,
        } => apply(
            &session,
            Operation::AddFiles {
                phase,
                created,
                modified,
                deleted,
            },
        )?,
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
            if groups.iter().all(|(_, v)| v.is_empty()) {
                return Err(Error::Invalid("give at least one of --interface, --pattern, --integration, --assumption, --warning".into()).into());
            }
            let mut last = None;
            for (key, values) in groups.into_iter().filter(|(_, v)| !v.is_empty()) {
                last = Some(store.apply(
                    Some(&session),
                    &Operation::AddContext {
                        phase: phase.clone(),
                        key: key.into(),
                        values,
                    },
                )?);
            }
            if let Some(s) = last {
                emit(json_mode, render::show_json(&s), || {
                    println!("{}: downstream context of phase {phase} updated", s.id())
                });
            }
        }
        Command::Set {
            session,
            field,
            value,
            clear,
        } => apply(
            &session,
            Operation::SetField {
                key: field,
                value: if clear { None } else { value },
            },
        )?,
        Command::Archive { session } => {
            let report = store.archive(session.as_deref())?;
            emit(json_mode, serde_json::to_value(&report)?, || {
                render::archived(&report)
            });
        }
        Command::Resume { session, park } => {
            let report = store.resume(&session, park)?;
            emit(json_mode, serde_json::to_value(&report)?, || {
                render::resumed(&report)
            });
        }
        Command::Fork {
            session,
            activate,
            park,
        } => {
            let s = store.fork(&session, activate, park)?;
            emit(json_mode, render::show_json(&s), || render::forked(&s));
        }
        Command::Pause { session } => apply(&session, Operation::Pause)?,
        Command::Cancel { session } => apply(&session, Operation::Cancel)?,
        Command::Delete { session, force } => {
            let report = store.delete(&session, force)?;
            emit(json_mode, serde_json::to_value(&report)?, || {
                render::deleted(&report)
            });
        }
        Command::Cleanup(a) => {
            let now = jiff::Timestamp::now();
            let older_than_secs = a
                .older_than
                .as_deref()
                .map(|age| clock::parse_age(age, now))
                .transpose()?;
            let req = CleanupRequest {
                older_than_secs,
                id: a.session,
                all: a.all,
                yes: a.yes,
                dry_run: a.dry_run,
            };
            let report = store.cleanup(&req)?;
            emit(json_mode, serde_json::to_value(&report)?, || {
                render::cleaned(&report)
            });
        }
        Command::Doctor { fix } => {
            let report = store.doctor(fix)?;
            emit(json_mode, serde_json::to_value(&report)?, || {
                render::doctor(&report)
            });
            if !report.healthy() {
                std::process::exit(1);
            }
        }
        Command::Completions { .. } | Command::Schema | Command::Setup(_) | Command::Mcp => {}
    }
    Ok(())
}

/// `NAME` or `NAME=agent1,agent2`.
fn parse_phase_arg(arg: &str) -> PhaseSpec {
    let (name, agents) = arg.split_once('=').unwrap_or((arg, ""));
    PhaseSpec {
        name: name.trim().to_string(),
        agents: agents
            .split(',')
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect(),
        ..PhaseSpec::default()
    }
}
