//! The command line's grammar (clap derive). Behaviour lives in `session-core`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use maestro_session_core::session::lifecycle::{SessionStatus, Stage};
use maestro_session_core::session::model::PhaseId;

use crate::values;

const AFTER_HELP: &str = "\
SESSIONS are named by their id or any unique prefix of it, matched over active and archived
sessions alike; `active` names the active session.

EXIT CODES:
  0  success (also when the reader of stdout goes away, as `| head` does)
  1  refused: invalid transition, ambiguous or unknown id, refused path
  2  usage: bad arguments or values
  3  I/O failure, lock timeout, or a session file that does not parse

ENVIRONMENT:
  MAESTRO_STATE_DIR         state dir (else <project>/.env, else docs/maestro)
  MAESTRO_MAX_RETRIES       phase retry bound (default 2)
  MAESTRO_LOCK_TIMEOUT_MS   wait for the state lock (default 10000)
  MAESTRO_CHECKPOINTS_KEEP  automatic checkpoints kept per session (default 20)
  NO_COLOR                  no colour even on a terminal";

/// Keep, inspect and steer Maestro orchestration sessions.
#[derive(Debug, Parser)]
#[command(name = "maestro-session", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// The state dir (default: $MAESTRO_STATE_DIR, the project's .env, or docs/maestro),
    /// relative to the project root. Valid UTF-8 (it is shown and compared as text).
    #[arg(long, global = true, value_name = "DIR", value_parser = utf8_path())]
    pub state_dir: Option<PathBuf>,
    /// Print one JSON object on stdout; errors as {"error", "kind"} on stderr (usage errors
    /// add "usage").
    #[arg(long, global = true)]
    pub json: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Parser of a path argument that must be valid UTF-8: a non-UTF-8 one is clap's usage error
/// (exit 2), like any other text argument.
pub fn utf8_path() -> impl clap::builder::TypedValueParser<Value = PathBuf> {
    use clap::builder::TypedValueParser;
    clap::builder::StringValueParser::new().map(PathBuf::from)
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the state dir layout (state/, state/archive/, plans/, plans/archive/).
    Init,
    /// Create a new active session.
    Create(CreateArgs),
    /// List sessions (newest first).
    List(ListArgs),
    /// Search every session, active and archived: task, phase names, downstream context,
    /// errors, file manifests and the orchestration log; ranked, each hit with the fields it
    /// matched.
    Search(SearchArgs),
    /// Show everything about a session.
    Show {
        /// Session id or prefix (default: the active session).
        session: Option<String>,
        /// Also print the session's orchestration log (the Markdown body of its file).
        #[arg(long)]
        log: bool,
    },
    /// Show a session's status, or set it (validated).
    Status {
        /// Session id or prefix.
        session: String,
        /// New status.
        #[arg(value_parser = values::state::<SessionStatus>())]
        new: Option<SessionStatus>,
    },
    /// Move a session's workflow stage (validated).
    Transition {
        /// Session id or prefix.
        session: String,
        /// New stage.
        #[arg(value_parser = values::state::<Stage>())]
        stage: Stage,
    },
    /// Start, complete, fail, retry or skip a phase.
    #[command(subcommand)]
    Phase(PhaseCommand),
    /// Record tokens used by an agent.
    Tokens {
        /// Session id or prefix.
        session: String,
        /// The agent: ASCII letters, digits, `_` and `-`, at most 64 bytes, read lower-case with
        /// `-` as `_` (`Code-Reviewer` is `code_reviewer`).
        #[arg(long)]
        agent: String,
        /// Prompt tokens.
        #[arg(long, default_value_t = 0)]
        input: u64,
        /// Completion tokens.
        #[arg(long, default_value_t = 0)]
        output: u64,
        /// Cached prompt tokens.
        #[arg(long, default_value_t = 0)]
        cached: u64,
    },
    /// Record or resolve a phase error.
    #[command(subcommand)]
    Error(ErrorCommand),
    /// Add files to a phase's manifest.
    Files {
        /// Session id or prefix.
        session: String,
        /// Phase id.
        phase: PhaseId,
        /// A file the phase created (repeatable).
        #[arg(long)]
        created: Vec<String>,
        /// A file the phase modified (repeatable).
        #[arg(long)]
        modified: Vec<String>,
        /// A file the phase deleted (repeatable).
        #[arg(long)]
        deleted: Vec<String>,
    },
    /// Add to a phase's downstream context (at least one entry).
    #[command(group(
        clap::ArgGroup::new("entries")
            .required(true)
            .multiple(true)
            .args(["interface", "pattern", "integration", "assumption", "warning"])
    ))]
    Context {
        /// Session id or prefix.
        session: String,
        /// Phase id.
        phase: PhaseId,
        /// A key interface introduced (repeatable).
        #[arg(long)]
        interface: Vec<String>,
        /// A pattern established (repeatable).
        #[arg(long)]
        pattern: Vec<String>,
        /// An integration point (repeatable).
        #[arg(long)]
        integration: Vec<String>,
        /// An assumption (repeatable).
        #[arg(long)]
        assumption: Vec<String>,
        /// A warning (repeatable).
        #[arg(long)]
        warning: Vec<String>,
    },
    /// Set a plain field; `--clear` empties it.
    Set {
        /// Session id or prefix.
        session: String,
        /// Field name.
        #[arg(value_parser = values::settable_field())]
        field: String,
        /// New value.
        #[arg(required_unless_present = "clear")]
        value: Option<String>,
        /// Clear the field instead.
        #[arg(long)]
        clear: bool,
    },
    /// Archive a session (default: the active one) and its plan documents.
    Archive {
        /// Session id or prefix.
        session: Option<String>,
    },
    /// Make a non-terminal session the active one and continue it.
    Resume {
        /// Session id or prefix.
        session: String,
        /// Archive a non-terminal active session as paused instead of refusing.
        #[arg(long)]
        park: bool,
    },
    /// Copy a session into a new one (lands archived as paused).
    Fork {
        /// Session id or prefix.
        session: String,
        /// Make the fork the active session, in progress.
        #[arg(long)]
        activate: bool,
        /// With --activate: archive a non-terminal active session as paused.
        #[arg(long)]
        park: bool,
    },
    /// Pause a session.
    Pause {
        /// Session id or prefix.
        session: String,
    },
    /// Cancel a session (terminal).
    Cancel {
        /// Session id or prefix.
        session: String,
    },
    /// Delete one session file.
    Delete {
        /// Session id or prefix.
        session: String,
        /// Allow deleting the active session.
        #[arg(long)]
        force: bool,
    },
    /// Remove old archived sessions in a terminal status (completed, cancelled).
    Cleanup(CleanupArgs),
    /// Find (and with --fix repair) what interrupted or foreign writes left in the state dir:
    /// sessions in two places, unreadable session files, leftover temp files, unfinished
    /// moves, a stale list index, an unusable lock. Exit 1 when anything is left to repair.
    Doctor {
        /// Complete unfinished moves, keep the newest copy of a duplicated session, and move
        /// what cannot be kept in place to state/quarantine/ (never deletes session data).
        #[arg(long)]
        fix: bool,
    },
    /// Checkpoints of a session: create, list, restore, diff.
    #[command(subcommand)]
    Checkpoint(crate::commands::checkpoint::CheckpointCommand),
    /// Print a session's event log (state/events/<id>.jsonl): every change, who made it
    /// (cli, mcp, write-state, hook:<event>) and what changed.
    Log(crate::commands::events::LogArgs),
    /// Write a session, its event log, checkpoints and plan documents as one JSON file.
    Export(crate::commands::transfer::ExportArgs),
    /// Recreate an exported session here (archived; --activate to make it active).
    Import(crate::commands::transfer::ImportArgs),
    /// Watch a session live: phases with a progress bar, active agents, tokens by agent and
    /// the latest events, redrawn on every change (--json: a stream of JSON Lines).
    Watch(crate::commands::watch::WatchArgs),
    /// Write one self-contained HTML page of a session: a timeline of its phases (start, end,
    /// retries, errors), tokens by agent, event counts.
    Report(crate::commands::report::ReportArgs),
    /// Team sessions: a leader and specialists, each its own runtime in a tmux window (in a
    /// container if asked) and git worktree, that survive a killed tmux server and a reboot.
    #[command(subcommand)]
    Team(crate::commands::team::TeamCommand),
    /// Serve the session tools over MCP on stdin/stdout (JSON-RPC, one message per line):
    /// Maestro 1.6's initialize_workspace, create_session, update_session, transition_phase,
    /// get_session_status, archive_session, and list_sessions, show_session, resume_session,
    /// record_error, record_tokens. The project is $MAESTRO_WORKSPACE_PATH (else as for
    /// every command).
    Mcp,
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the JSON Schema of session frontmatter.
    Schema,
    /// Register the hooks with Gemini CLI or Claude Code (used by install.sh).
    #[command(subcommand)]
    Setup(crate::setup::Setup),
}

/// `create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The task.
    pub task: String,
    /// A phase as `NAME` or `NAME=agent1,agent2`, in order (repeatable); each waits for the
    /// previous one.
    #[arg(long = "phase", value_name = "NAME[=AGENTS]", value_parser = values::phase)]
    pub phases: Vec<maestro_session_core::session::phase_spec::PhaseSpec>,
    /// Read the phases from a plan file (YAML/JSON list, or Markdown `## Phase N:` headings).
    #[arg(long, conflicts_with = "phases")]
    pub plan: Option<PathBuf>,
    /// Design document path, project-relative.
    #[arg(long)]
    pub design_document: Option<String>,
    /// Implementation plan path, project-relative.
    #[arg(long)]
    pub implementation_plan: Option<String>,
    /// The workflow.
    #[arg(long, value_enum)]
    pub workflow_mode: Option<values::WorkflowMode>,
    /// How phases run.
    #[arg(long, value_enum)]
    pub execution_mode: Option<values::ExecutionMode>,
    /// The task's complexity.
    #[arg(long, value_enum)]
    pub complexity: Option<values::Complexity>,
    /// Archive a non-terminal active session as paused instead of refusing.
    #[arg(long)]
    pub park: bool,
}

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this status.
    #[arg(value_name = "STATUS", value_parser = values::state::<SessionStatus>())]
    pub status_arg: Option<SessionStatus>,
    /// Only this status.
    #[arg(long, conflicts_with = "status_arg", value_parser = values::state::<SessionStatus>())]
    pub status: Option<SessionStatus>,
    /// Only sessions created on this git branch.
    #[arg(long)]
    pub branch: Option<String>,
    /// Only sessions updated since (RFC 3339, a date, or an age: 12h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// Only sessions updated until (same forms).
    #[arg(long)]
    pub until: Option<String>,
    /// At most this many rows.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Show every column in full (by default the table fits 100 columns, long tasks and ids
    /// cut with `…`).
    #[arg(long)]
    pub wide: bool,
}

/// `search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words (all must occur, in any field; case-insensitive) and "quoted phrases".
    #[arg(required = true, num_args = 1.., value_name = "QUERY")]
    pub query: Vec<String>,
    /// At most this many hits (the best).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Only sessions of this status.
    #[arg(long, value_parser = values::state::<SessionStatus>())]
    pub status: Option<SessionStatus>,
    /// Only archived sessions.
    #[arg(long, conflicts_with = "active")]
    pub archived: bool,
    /// Only the active session.
    #[arg(long)]
    pub active: bool,
}

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

/// `cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Remove just this archived session (any status).
    pub session: Option<String>,
    /// Age after which archived terminal sessions go (90s, 30m, 12h, 7d, 2w); default 7d.
    #[arg(long, value_name = "AGE")]
    pub older_than: Option<String>,
    /// Remove every session of the state dir (needs --yes).
    #[arg(long, conflicts_with = "session")]
    pub all: bool,
    /// Confirm --all.
    #[arg(long)]
    pub yes: bool,
    /// Only list what would be removed.
    #[arg(long)]
    pub dry_run: bool,
}
