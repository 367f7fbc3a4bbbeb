//! The outputs of the commands that neither read nor change a session's phases: `init`,
//! `completions`, `setup`, `export`, `report`, `log`, `search`, `checkpoint list`, and the lines
//! of `watch --json`.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::ErrorObject;
use crate::store::checkpoint::{CheckpointList, CheckpointMeta};
use crate::store::search::Hit;

/// `init`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InitOutput {
    /// The state dir, ready.
    pub state_dir: String,
}

/// `completions SHELL`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompletionsOutput {
    /// The shell.
    pub shell: String,
    /// The completion script.
    pub script: String,
}

/// `setup …`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupOutput {
    /// The `setup` subcommand run (`claude`, `codex`, …).
    pub setup: String,
    /// What it has to say (empty when it wrote files and has nothing to add).
    pub message: String,
}

/// `export SESSION --output FILE` (to stdout the export file itself is printed).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportOutput {
    /// The session exported.
    pub exported: String,
    /// The file written.
    pub output: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Events exported.
    pub events: usize,
    /// Checkpoints exported.
    pub checkpoints: usize,
    /// Plan documents exported.
    pub plans: usize,
    /// What was left out, and why.
    pub skipped: Vec<String>,
    /// Why the file is too large for `import` to take, or null.
    pub warning: Option<String>,
}

/// `report SESSION [--output FILE]`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportOutput {
    /// The file written, or `-` for stdout.
    pub report: String,
    /// The page's size in bytes.
    pub bytes: usize,
    /// The page, when it went to stdout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// `log SESSION` (without `--follow`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogOutput {
    /// The session's id.
    pub session: String,
    /// The events, each exactly as its line holds it.
    #[schemars(with = "Vec<EventLine>")]
    pub events: Vec<Value>,
    /// Line numbers (1-based) of lines that could not be read.
    pub skipped_lines: Vec<usize>,
}

/// One line of a session's event log (`state/events/<id>.jsonl`), as
/// [`crate::store::event_log::Event::to_json`] writes it. Only for the schema: the line is
/// printed as read.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EventLine {
    /// Line format version.
    pub v: u64,
    /// When, RFC 3339 with milliseconds, UTC.
    pub time: String,
    /// Who: `cli`, `mcp`, `write-state`, `hook:<event>`, `import`, `doctor`.
    pub actor: String,
    /// What: the operation's name.
    pub op: String,
    /// The session's id.
    pub session: String,
    /// What changed in the frontmatter.
    pub changes: Vec<ChangeLine>,
    /// Further keys of the operation (`checkpoint`, `from`, …).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

/// One change of an [`EventLine`]: a JSON pointer and its two sides, each a value
/// (`before`/`after`), a size in bytes when larger (`before_bytes`/`after_bytes`), or absent.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeLine {
    /// JSON pointer into the frontmatter.
    pub path: String,
    /// The value before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The size of the value before, in bytes of compact JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_bytes: Option<u64>,
    /// The value after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// The size of the value after, in bytes of compact JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_bytes: Option<u64>,
}

/// `search QUERY…`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchOutput {
    /// The words as given.
    pub query: String,
    /// The folded terms searched for.
    pub terms: Vec<String>,
    /// Sessions matched (before the limit).
    pub total: usize,
    /// The best hits, best first.
    pub hits: Vec<Hit>,
    /// Session files that could not be read.
    pub unreadable: Vec<ErrorObject>,
}

/// `checkpoint list`: the complete checkpoints of one session, newest first, and the records
/// that could not be read (the same error objects as `list`'s `unreadable`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointListOutput {
    /// The session id.
    pub session: String,
    /// Complete checkpoints, newest first.
    pub checkpoints: Vec<CheckpointMeta>,
    /// Checkpoint records that could not be read (kind `io`, the message naming the file and
    /// why); unfinished checkpoints are not listed, they are not checkpoints.
    pub unreadable: Vec<ErrorObject>,
}

impl CheckpointListOutput {
    /// The output of a checkpoint listing.
    pub fn of(l: &CheckpointList) -> CheckpointListOutput {
        CheckpointListOutput {
            session: l.session.clone(),
            checkpoints: l.checkpoints.clone(),
            unreadable: ErrorObject::list(&l.unreadable),
        }
    }
}
