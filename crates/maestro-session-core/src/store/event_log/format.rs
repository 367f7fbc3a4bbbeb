//! The event log (issue 11, "Recovery and observability"): one JSON line per change to a
//! session, in `<state dir>/state/events/<session_id>.jsonl`.
//!
//! **Where.** Keyed by session id, so a session's log stays put when it is archived, resumed or
//! parked; a fork starts its own log with a `fork` event naming the parent. `delete` keeps the
//! log (ending in a `delete` event: what was removed stays explained); `cleanup` removes the
//! logs of the sessions it removes.
//!
//! **Line** (one JSON object, keys in this order, at most [`MAX_LINE_BYTES`]):
//!
//! ```json
//! {"v":1,"time":"2026-11-20T09:14:03.123Z","actor":"cli","op":"phase complete",
//!  "session":"2026-11-20-x","changes":[{"path":"/phases/1/status","before":"in_progress","after":"completed"}]}
//! ```
//!
//! - `time`: RFC 3339 UTC with milliseconds, when the line was made.
//! - `actor`: `cli`, `mcp`, `write-state`, or `hook:<event as the runtime spells it>`
//!   (`hook:BeforeAgent`, `hook:SubagentStop`, ...).
//! - `op`: what happened: the command (`create`, `archive`, `resume`, `park`, `fork`, `delete`,
//!   `write`), the operations applied (`phase complete`, `tokens`, ... joined by `, `; see
//!   [`op_name`]), or a hook's `agent started`, `agent blocked`, `agent allowed`.
//! - `changes`: the frontmatter's differences, as JSON pointers (RFC 6901) into the frontmatter
//!   as JSON; `before`/`after` hold a side's value when its JSON is at most
//!   [`MAX_VALUE_BYTES`], else `before_bytes`/`after_bytes` its size in bytes; a side that is
//!   absent (a key added or removed) has neither. A line that would exceed [`MAX_LINE_BYTES`]
//!   keeps only sizes, then drops changes from the end and says how many in
//!   `changes_omitted`.
//! - further keys, by op: `parent` (fork), `file` (where the session file now is), `agent`
//!   and `reason` (hooks), `parked` (the session a command parked).
//!
//! **Writing.** Each line is one `O_APPEND` `write(2)` ([`maestro_session_fs::append`]), so lines of
//! concurrent writers never interleave. Commands, MCP tools and `write-state` append while they
//! still hold the state lock, right after the session file's durable replace (so the log's
//! order is the order of the changes), and `fdatasync` the log as soon as the lock is released,
//! before they return (`PendingSyncs`): a line is never logged for a change that did not
//! happen, and a change is logged unless the process dies between the two (the change is kept;
//! its line is lost). Hooks append
//! without the lock and without a sync: they have a budget of about a millisecond, and an
//! `O_APPEND` write needs no lock to stay whole.
//!
//! **Reading.** [`super::read::read`] returns the events and the numbers of the lines it
//! skipped: a line that is not a JSON object, such as the torn last line a crash mid-append
//! leaves. The next append starts with a `\n` when the file does not end in one, so a torn line
//! never swallows the next event. A line of spaces is no event and no skipped line either.
//!
//! **Repairing: never a rewrite.** `doctor` reports skipped lines ([`super::read::torn_lines`]);
//! `doctor --fix` sets each aside without moving, truncating or replacing the log. It first closes
//! a torn last line the way an append would (an `O_APPEND` write of `\n` when the file does not end
//! in one), then, as one intent record (`repair-event-log`, see [`crate::store::intent`]), per
//! line: copies its bytes to `state/quarantine/<time>-<id>.jsonl-line-<n>` (with a `.why`), then
//! overwrites the same bytes with spaces in place, one `pwrite(2)` that never changes the file's
//! length ([`maestro_session_fs::in_place`]).
//!
//! Why no lock for the hooks: the hooks append without the state lock (their budget is about a
//! millisecond), and a repair that rewrote the log (move it aside, write a cleaned copy back)
//! would lose whatever a hook appended between the two (the old `doctor --fix` lost 14 to 62 of
//! 800 such lines). A lock the hooks take would close that window, at the cost of a lock per
//! hook and a hook waiting out a repair of a large log. Overwriting in place needs no lock at
//! all: an append only ever writes at the end, a repair only ever writes bytes before a `\n`
//! that was already there (so lines that were complete when it looked, which no appender
//! touches again), and the file is never replaced, so every line appended before, during or
//! after a repair stays in the one live log. A crash between the copy and the overwrite leaves
//! the record, which the next command completes; a crash mid-overwrite leaves a line of spaces
//! and torn bytes, still skipped, which the replay finishes (it blanks only bytes that are
//! either spaces or the ones set aside). Nothing else rewrites a log: `import` creates one that
//! did not exist, `cleanup` removes one with its session.
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::Result;
use crate::operations::Operation;
use crate::session::model::SessionMetadata;
use crate::session::session_id::check_file_id;
use crate::workspace::paths::{EVENTS_REL, Workspace};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;

/// Version of the line format (`"v"`).
pub const LINE_VERSION: u64 = 1;
/// The largest value, as compact JSON in bytes, a change quotes as `before`/`after`.
pub const MAX_VALUE_BYTES: usize = 256;
/// The largest line, in bytes with its `\n`; see the module docs for how a bigger one is cut.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Nesting depth below which changes are not broken down further (the whole value is reported
/// at that path), so a deeply nested unknown value cannot exhaust the stack.
const MAX_DIFF_DEPTH: usize = 32;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Actor {
    /// `maestro-session` on the command line.
    #[default]
    Cli,
    /// A tool of `maestro-session mcp`.
    Mcp,
    /// The `write-state` tool.
    WriteState,
    /// A hook, with the event name as its runtime spells it (`BeforeAgent`, `SubagentStop`).
    Hook(String),
}

impl Actor {
    /// The `actor` of a line: `cli`, `mcp`, `write-state`, `hook:<event>`.
    pub fn name(&self) -> String {
        match self {
            Actor::Cli => "cli".into(),
            Actor::Mcp => "mcp".into(),
            Actor::WriteState => "write-state".into(),
            Actor::Hook(event) => format!("hook:{event}"),
        }
    }
}

/// One side of a [`Change`].
#[derive(Debug, Clone, PartialEq)]
pub enum Side {
    /// The key or element did not exist.
    Absent,
    /// Its value (compact JSON at most [`MAX_VALUE_BYTES`]).
    Value(Value),
    /// Its size as compact JSON, in bytes, when larger.
    Bytes(usize),
}

impl Side {
    fn of(v: Option<&Value>) -> Side {
        match v {
            None => Side::Absent,
            Some(v) => {
                let size = json_len(v);
                if size <= MAX_VALUE_BYTES {
                    Side::Value(v.clone())
                } else {
                    Side::Bytes(size)
                }
            }
        }
    }

    fn shrunk(&self) -> Side {
        match self {
            Side::Value(v) => Side::Bytes(json_len(v)),
            other => other.clone(),
        }
    }

    fn put(&self, key: &str, out: &mut Map<String, Value>) {
        match self {
            Side::Absent => {}
            Side::Value(v) => {
                out.insert(key.into(), v.clone());
            }
            Side::Bytes(n) => {
                out.insert(format!("{key}_bytes"), Value::from(*n));
            }
        }
    }

    fn take(key: &str, from: &Map<String, Value>) -> Side {
        if let Some(v) = from.get(key) {
            return Side::Value(v.clone());
        }
        match from.get(&format!("{key}_bytes")).and_then(Value::as_u64) {
            Some(n) => Side::Bytes(usize::try_from(n).unwrap_or(usize::MAX)),
            None => Side::Absent,
        }
    }
}

/// One difference between the frontmatter before and after a change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// JSON pointer into the frontmatter (`/phases/1/status`; `/token_usage/by_agent/coder`).
    pub path: String,
    /// The value before.
    pub before: Side,
    /// The value after.
    pub after: Side,
}

impl Change {
    /// `{"path", "before"|"before_bytes", "after"|"after_bytes"}`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("path".into(), Value::from(self.path.clone()));
        self.before.put("before", &mut m);
        self.after.put("after", &mut m);
        Value::Object(m)
    }

    fn from_json(v: &Value) -> Option<Change> {
        let m = v.as_object()?;
        Some(Change {
            path: m.get("path")?.as_str()?.to_string(),
            before: Side::take("before", m),
            after: Side::take("after", m),
        })
    }
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Line format version ([`LINE_VERSION`]).
    pub v: u64,
    /// RFC 3339 UTC, milliseconds.
    pub time: String,
    /// [`Actor::name`].
    pub actor: String,
    /// What happened (see the module docs).
    pub op: String,
    /// The session's id.
    pub session: String,
    /// What changed in the frontmatter.
    pub changes: Vec<Change>,
    /// Further keys (`parent`, `file`, `agent`, `reason`, `parked`, `changes_omitted`, ...).
    pub extra: Map<String, Value>,
}

impl Event {
    /// A new event at the current time.
    pub fn new(actor: &Actor, op: &str, session: &str, changes: Vec<Change>) -> Event {
        Event {
            v: LINE_VERSION,
            time: now_ms(),
            actor: actor.name(),
            op: op.to_string(),
            session: session.to_string(),
            changes,
            extra: Map::new(),
        }
    }

    /// Adds a further key.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Event {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// The line's JSON object, keys in the documented order.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("v".into(), Value::from(self.v));
        m.insert("time".into(), Value::from(self.time.clone()));
        m.insert("actor".into(), Value::from(self.actor.clone()));
        m.insert("op".into(), Value::from(self.op.clone()));
        m.insert("session".into(), Value::from(self.session.clone()));
        m.insert(
            "changes".into(),
            Value::Array(self.changes.iter().map(Change::to_json).collect()),
        );
        for (k, v) in &self.extra {
            m.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(m)
    }

    /// Reads a line's object leniently: a missing or mistyped field is empty, unknown keys are
    /// kept in `extra` (a later version's line is still shown).
    pub fn from_json(m: &Map<String, Value>) -> Event {
        let text = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let known = ["v", "time", "actor", "op", "session", "changes"];
        Event {
            v: m.get("v").and_then(Value::as_u64).unwrap_or(0),
            time: text("time"),
            actor: text("actor"),
            op: text("op"),
            session: text("session"),
            changes: m
                .get("changes")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Change::from_json).collect())
                .unwrap_or_default(),
            extra: m
                .iter()
                .filter(|(k, _)| !known.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// The line, `\n`-terminated, at most [`MAX_LINE_BYTES`] (see the module docs).
    pub fn to_line(&self) -> Vec<u8> {
        let line = |e: &Event| {
            let mut bytes = serde_json::to_vec(&e.to_json()).unwrap_or_default();
            bytes.push(b'\n');
            bytes
        };
        let full = line(self);
        if full.len() <= MAX_LINE_BYTES {
            return full;
        }
        let mut small = self.clone();
        for c in &mut small.changes {
            c.before = c.before.shrunk();
            c.after = c.after.shrunk();
        }
        let mut omitted = 0usize;
        loop {
            let bytes = line(&small);
            if bytes.len() <= MAX_LINE_BYTES || small.changes.is_empty() {
                return bytes;
            }
            // Drop half of what is left each round: a few rounds even for 10^5 changes.
            let drop = small.changes.len().div_ceil(2);
            let keep = small.changes.len() - drop;
            small.changes.truncate(keep);
            omitted = omitted.saturating_add(drop);
            small
                .extra
                .insert("changes_omitted".into(), Value::from(omitted));
        }
    }
}

/// The time of a line: RFC 3339 UTC with milliseconds (`2026-11-20T09:14:03.123Z`).
pub fn now_ms() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX)
}

/// The differences from `before` to `after` (frontmatters as JSON; `None` is a session that
/// does not exist, read as `{}`), as JSON pointers, in document order: objects key by key,
/// arrays index by index (so a grown array shows its new elements).
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<Change> {
    let empty = Value::Object(Map::new());
    let mut out = Vec::new();
    let mut path = String::new();
    diff_into(
        &mut path,
        Some(before.unwrap_or(&empty)),
        Some(after.unwrap_or(&empty)),
        0,
        &mut out,
    );
    out
}

fn diff_into(
    path: &mut String,
    a: Option<&Value>,
    b: Option<&Value>,
    depth: usize,
    out: &mut Vec<Change>,
) {
    if a == b {
        return;
    }
    let mut child = |path: &mut String, key: &str, a: Option<&Value>, b: Option<&Value>| {
        let len = path.len();
        path.push('/');
        path.push_str(&key.replace('~', "~0").replace('/', "~1"));
        diff_into(path, a, b, depth + 1, out);
        path.truncate(len);
    };
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) if depth < MAX_DIFF_DEPTH => {
            for (k, va) in x {
                child(path, k, Some(va), y.get(k));
            }
            for (k, vb) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                child(path, k, None, Some(vb));
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) if depth < MAX_DIFF_DEPTH => {
            for i in 0..x.len().max(y.len()) {
                child(path, &i.to_string(), x.get(i), y.get(i));
            }
        }
        _ => out.push(Change {
            path: path.clone(),
            before: Side::of(a),
            after: Side::of(b),
        }),
    }
}

/// The `op` of a change made by `ops` (in order, each named once): `status`, `transition`,
/// `phase start`, `phase complete`, `phase fail`, `phase retry`, `phase skip`, `tokens`,
/// `error add`, `error resolve`, `files`, `context`, `set`, `reconciliation needed`,
/// `phase reconcile`, `pause`, `cancel`; `update` when there are none.
pub fn op_name(ops: &[Operation]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for op in ops {
        let name = match op {
            Operation::SetStatus(_) => "status",
            Operation::SetStage(_) => "transition",
            Operation::PhaseStart(_) => "phase start",
            Operation::PhaseComplete { .. } => "phase complete",
            Operation::PhaseFail { .. } => "phase fail",
            Operation::PhaseRetry(_) => "phase retry",
            Operation::PhaseSkip(_) => "phase skip",
            Operation::Tokens { .. } => "tokens",
            Operation::AddError { .. } => "error add",
            Operation::ResolveError { .. } => "error resolve",
            Operation::AddFiles { .. } => "files",
            Operation::AddContext { .. } => "context",
            Operation::SetField { .. } => "set",
            Operation::RequireReconciliation(_) => "reconciliation needed",
            Operation::Reconcile(_) => "phase reconcile",
            Operation::Pause => "pause",
            Operation::Cancel => "cancel",
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        "update".into()
    } else {
        names.join(", ")
    }
}

/// `state/events/<id>.jsonl`, relative to the state dir.
///
/// Errors: [`Error::Invalid`](crate::error::Error::Invalid) when `id` cannot name a file.
pub fn log_rel(id: &str) -> Result<PathBuf> {
    check_file_id(id)?;
    Ok(Path::new(EVENTS_REL).join(format!("{id}.jsonl")))
}

/// Appends `event` to its session's log beneath `root` (the state dir), creating
/// `state/events/` when missing; with `sync`, durably (see the module docs).
///
/// Errors: those of [`log_rel`] and [`Root::append`].
pub fn append(
    root: &Root,
    event: &Event,
    sync: bool,
) -> Result<maestro_session_fs::append::Appended> {
    let rel = log_rel(&event.session)?;
    let line = event.to_line();
    match root.append(&rel, &line, durable::STATE_FILE_MODE, sync) {
        Err(e) if e.is_not_found() => {
            root.create_dirs(Path::new(EVENTS_REL))?;
            Ok(root.append(&rel, &line, durable::STATE_FILE_MODE, sync)?)
        }
        other => Ok(other?),
    }
}

/// The logs a locked change appended to, `fdatasync`ed when dropped: [`Locked`] holds this
/// after its lock guard, so the syncs run right after the lock is released and before the
/// command returns. Syncing under the lock made 32 concurrent `write-state`s wait past the
/// lock timeout; the line itself is still written under the lock, so the log's order is the
/// order of the changes.
#[derive(Debug, Default)]
pub(in crate::store) struct PendingSyncs(std::cell::RefCell<Vec<(PathBuf, std::fs::File)>>);

impl PendingSyncs {
    /// Remembers the log `rel` beneath `root` (and its folder, when the log is new) for the
    /// sync.
    pub(in crate::store) fn defer(&self, root: &Root, rel: &Path, new: bool) -> Result<()> {
        let mut files = self.0.borrow_mut();
        if let Some(file) = root.open_for_sync(rel, false)? {
            files.push((root.join(rel), file));
        }
        if new {
            let folder = Path::new(EVENTS_REL);
            if let Some(file) = root.open_for_sync(folder, true)? {
                files.push((root.join(folder), file));
            }
        }
        Ok(())
    }
}

impl Drop for PendingSyncs {
    fn drop(&mut self) {
        for (path, file) in self.0.get_mut().drain(..) {
            if let Err(e) = file.sync_data() {
                eprintln!(
                    "[WARN] maestro-session: cannot fdatasync the event log {}: {e}",
                    path.display()
                );
            }
        }
    }
}

/// The session a command moved out of the active slot to make room: archived (it was
/// finished) or parked (archived as paused), with its frontmatter before and after.
#[derive(Debug, Clone)]
pub struct Displaced {
    /// `archive` or `park`.
    pub op: &'static str,
    /// The frontmatter before.
    pub before: SessionMetadata,
    /// The frontmatter after.
    pub after: SessionMetadata,
}

impl Displaced {
    /// See the type.
    pub fn new(op: &'static str, before: SessionMetadata, after: SessionMetadata) -> Displaced {
        Displaced { op, before, after }
    }
}

/// The frontmatter of session `id` as the file `rel` held it before a `write-state` over it
/// (`current`: the active session as read under the lock), if that file held that session.
pub(in crate::store) fn prior(
    root: &Root,
    rel: &Path,
    current: Option<&crate::session::session_file::SessionFile>,
    id: &str,
) -> Option<SessionMetadata> {
    use crate::session::session_file::{Location, SessionFile};
    let held = if rel == Path::new(crate::workspace::paths::ACTIVE_REL) {
        current.cloned()
    } else {
        SessionFile::read_in(root, rel, Location::Archive).ok()
    };
    held.filter(|s| s.id() == id).map(|s| s.meta)
}

/// The id of the session parked to make room, if one was.
pub fn parked_id(displaced: Option<&Displaced>) -> Option<String> {
    displaced
        .filter(|d| d.op == "park")
        .map(|d| d.after.session_id.clone())
}

/// `[("parked", id)]` when a session was parked to make room.
pub fn parked_extra(displaced: Option<&Displaced>) -> Vec<(&'static str, Value)> {
    parked_id(displaced)
        .map(|id| ("parked", Value::from(id)))
        .into_iter()
        .collect()
}

/// Logs a hook's event about the workspace's active session `session` (no lock, no sync; see
/// the module docs): `op` is `agent started`, `agent blocked` or `agent allowed`, `event_name`
/// the hook event as the runtime spells it. Best effort: a hook never fails the turn over its
/// log, so the error is returned for the caller's diagnostics only.
pub fn record_hook(
    ws: &Workspace,
    event_name: &str,
    op: &str,
    session: &str,
    extra: &[(&str, Value)],
) -> Result<()> {
    let Some(root) = ws.open_state_dir(false)? else {
        return Ok(());
    };
    let mut event = Event::new(
        &Actor::Hook(event_name.to_string()),
        op,
        session,
        Vec::new(),
    );
    for (k, v) in extra {
        event = event.with(k, v.clone());
    }
    append(&root, &event, false).map(|_| ())
}

#[cfg(test)]
mod tests;
