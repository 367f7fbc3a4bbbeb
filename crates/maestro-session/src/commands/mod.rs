//! The commands, one file each (as jj's `cli/src/commands/`): a command's file holds its clap
//! arguments, its `run` (which calls `session-core`) and its human text; its `--json` object is
//! a typed output of `session-core`. A command group (`phase`, `error`, `checkpoint`, `setup`)
//! is one file with its subcommand enum. Shared pieces: [`crate::render`] (tables, colour,
//! terminal-safe text), [`crate::observe`] (interrupted runs), [`crate::output::Report`].
//!
//! Dispatch is exhaustive by type: [`run`] matches on [`Command`], each arm calling that
//! command's `run`; a new command is one variant, one file and one arm.

pub mod archive;
pub mod cancel;
pub mod checkpoint;
pub mod cleanup;
pub mod completions;
pub mod context;
pub mod create;
pub mod delete;
pub mod doctor;
pub mod error;
pub mod export;
pub mod files;
pub mod fork;
pub mod import;
pub mod init;
pub mod list;
pub mod log;
pub mod mcp;
pub mod pause;
pub mod phase;
pub mod report;
pub mod resume;
pub mod schema;
pub mod search;
pub mod set;
pub mod setup;
pub mod show;
pub mod status;
pub mod team;
pub mod tokens;
pub mod transition;
pub mod watch;

use clap::Subcommand;
use maestro_session_core::Env;
use maestro_session_core::error::Error;
use maestro_session_core::operations::Operation;
use maestro_session_core::session::agent_name::AgentName;
use maestro_session_core::session::session_file::SessionFile;
use maestro_session_core::store::Store;
use maestro_session_core::workspace::paths::Workspace;

use crate::cli::Cli;
use crate::output::Report;

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the state dir layout (state/, state/archive/, plans/, plans/archive/).
    Init,
    /// Create a new active session.
    Create(create::CreateArgs),
    /// List sessions (newest first).
    List(list::ListArgs),
    /// Search every session, active and archived: task, phase names, downstream context,
    /// errors, file manifests and the orchestration log; ranked, each hit with the fields it
    /// matched.
    Search(search::SearchArgs),
    /// Show everything about a session.
    Show(show::ShowArgs),
    /// Show a session's status, or set it (validated).
    Status(status::StatusArgs),
    /// Move a session's workflow stage (validated).
    Transition(transition::TransitionArgs),
    /// Start, complete, fail, retry or skip a phase.
    #[command(subcommand)]
    Phase(phase::PhaseCommand),
    /// Record tokens used by an agent.
    Tokens(tokens::TokensArgs),
    /// Record or resolve a phase error.
    #[command(subcommand)]
    Error(error::ErrorCommand),
    /// Add files to a phase's manifest.
    Files(files::FilesArgs),
    /// Add to a phase's downstream context (at least one entry).
    Context(context::ContextArgs),
    /// Set a plain field; `--clear` empties it.
    Set(set::SetArgs),
    /// Archive a session (default: the active one) and its plan documents.
    Archive(archive::ArchiveArgs),
    /// Make a non-terminal session the active one and continue it.
    Resume(resume::ResumeArgs),
    /// Copy a session into a new one (lands archived as paused).
    Fork(fork::ForkArgs),
    /// Pause a session.
    Pause(pause::PauseArgs),
    /// Cancel a session (terminal).
    Cancel(cancel::CancelArgs),
    /// Delete one session file.
    Delete(delete::DeleteArgs),
    /// Remove old archived sessions in a terminal status (completed, cancelled).
    Cleanup(cleanup::CleanupArgs),
    /// Find (and with --fix repair) what interrupted or foreign writes left in the state dir:
    /// sessions in two places, unreadable session files, leftover temp files, unfinished
    /// moves, a stale list index, an unusable lock. Exit 1 when anything is left to repair.
    Doctor(doctor::DoctorArgs),
    /// Checkpoints of a session: create, list, restore, diff.
    #[command(subcommand)]
    Checkpoint(checkpoint::CheckpointCommand),
    /// Print a session's event log (state/events/<id>.jsonl): every change, who made it
    /// (cli, mcp, write-state, hook:<event>) and what changed.
    Log(log::LogArgs),
    /// Write a session, its event log, checkpoints and plan documents as one JSON file.
    Export(export::ExportArgs),
    /// Recreate an exported session here (archived; --activate to make it active).
    Import(import::ImportArgs),
    /// Watch a session live: phases with a progress bar, active agents, tokens by agent and
    /// the latest events, redrawn on every change (--json: a stream of JSON Lines).
    Watch(watch::WatchArgs),
    /// Write one self-contained HTML page of a session: a timeline of its phases (start, end,
    /// retries, errors), tokens by agent, event counts.
    Report(report::ReportArgs),
    /// Team sessions: a leader and specialists, each its own runtime in a tmux window (in a
    /// container if asked) and git worktree, that survive a killed tmux server and a reboot.
    #[command(subcommand)]
    Team(team::TeamCommand),
    /// Serve the session tools over MCP on stdin/stdout (JSON-RPC, one message per line):
    /// Maestro 1.6's initialize_workspace, create_session, update_session, transition_phase,
    /// get_session_status, archive_session, and list_sessions, show_session, resume_session,
    /// record_error, record_tokens. The project is $MAESTRO_WORKSPACE_PATH (else as for
    /// every command).
    Mcp,
    /// Print shell completions.
    Completions(completions::CompletionsArgs),
    /// Print the JSON Schema of session frontmatter.
    Schema,
    /// Register the hooks with Gemini CLI or Claude Code (used by install.sh).
    #[command(subcommand)]
    Setup(setup::Setup),
}

/// Runs the command `cli` names.
///
/// Errors: whatever the command's `session-core` call refused or failed with, and the state
/// dir not resolving (commands that need none, `mcp`, `completions`, `schema` and `setup`,
/// run without it: a broken MAESTRO_STATE_DIR or .env where install.sh runs must not stop
/// them).
pub fn run(cli: Cli) -> anyhow::Result<Report> {
    let Cli {
        state_dir,
        command,
        json,
    } = cli;
    let store = || open_store(state_dir.as_deref());
    match command {
        Command::Init => init::run(&store()?),
        Command::Create(a) => create::run(&store()?, a),
        Command::List(a) => list::run(&store()?, a, json),
        Command::Search(a) => search::run(&store()?, a, json),
        Command::Show(a) => show::run(&store()?, a),
        Command::Status(a) => status::run(&store()?, a),
        Command::Transition(a) => transition::run(&store()?, a),
        Command::Phase(c) => phase::run(&store()?, c),
        Command::Tokens(a) => tokens::run(&store()?, a),
        Command::Error(c) => error::run(&store()?, c),
        Command::Files(a) => files::run(&store()?, a),
        Command::Context(a) => context::run(&store()?, a),
        Command::Set(a) => set::run(&store()?, a),
        Command::Archive(a) => archive::run(&store()?, a),
        Command::Resume(a) => resume::run(&store()?, a),
        Command::Fork(a) => fork::run(&store()?, a),
        Command::Pause(a) => pause::run(&store()?, a),
        Command::Cancel(a) => cancel::run(&store()?, a),
        Command::Delete(a) => delete::run(&store()?, a),
        Command::Cleanup(a) => cleanup::run(&store()?, a),
        Command::Doctor(a) => doctor::run(&store()?, a),
        Command::Checkpoint(c) => checkpoint::run(&store()?, c),
        Command::Log(a) => log::run(&store()?, a, json),
        Command::Export(a) => export::run(&store()?, a),
        Command::Import(a) => import::run(&store()?, a),
        Command::Watch(a) => watch::run(&store()?, a, json),
        Command::Report(a) => report::run(&store()?, a),
        Command::Team(t) => team::run(&store()?, t),
        Command::Mcp => mcp::run(state_dir),
        Command::Completions(a) => completions::run(a),
        Command::Schema => schema::run(),
        Command::Setup(s) => setup::report(s),
    }
}

/// The store of the project the command runs in (the working directory's), at `state_dir`
/// when given.
fn open_store(state_dir: Option<&std::path::Path>) -> anyhow::Result<Store> {
    let env = Env::process();
    let cwd = std::env::current_dir()?;
    let ws = match state_dir {
        Some(dir) => Workspace::with_state_dir(&env, &cwd, dir)?,
        None => Workspace::resolve(&env, &cwd)?,
    };
    Ok(Store::new(ws, env))
}

/// Applies `ops` to `session` under the lock with one write (the commands that change one
/// session: `status ID NEW`, `transition`, `phase …`, `tokens`, `error …`, `files`, `context`,
/// `set`, `pause`, `cancel`); returns the session as written.
fn apply(store: &Store, session: &str, ops: Vec<Operation>) -> anyhow::Result<SessionFile> {
    Ok(store.apply_with(Some(session), |_| Ok(ops.clone()))?)
}

/// `--agent`'s value as an agent name (the one rule, `maestro_session_core::session::agent_name`):
/// a usage error naming the option and, shortly, the value, when it is none.
fn agent_name(raw: &str) -> anyhow::Result<AgentName> {
    AgentName::parse(raw).map_err(|e| Error::Invalid(format!("--agent: {e}")).into())
}
