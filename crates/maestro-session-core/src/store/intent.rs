//! Multi-step moves and repairs that cannot half-happen, and whose records are never trusted
//! blindly (DESIGN 3).
//!
//! A move of sessions between the active slot and the archive (archive, resume, park, fork,
//! create over a finished session, import, write-state over a finished session) and every
//! multi-step repair of `doctor --fix` (setting a file aside in `state/quarantine/`, setting a
//! torn event-log line aside) touches several files. Before the first of them changes, the
//! whole change is written as one intent record, `state/intents/<nanos>-<op>-<session>.json` (a
//! durable replace, so it exists whole or not at all); its steps are applied; the record is
//! removed last. Every command that changes the state dir replays pending records first, under
//! the lock ([`recover`]), and so do listings that find one, so a kill at any step leaves each
//! session in exactly one place once the next command runs.
//!
//! **Validated.** A record is replayed only when it has this version's format ([`VERSION`]),
//! fits [`MAX_INTENT_BYTES`] and [`MAX_STEPS`], and every step has a shape its op may take over
//! paths of its own session ([`shape`]: an archive of session x writes `state/archive/x.md`, never
//! another session's file). A record that does not match is never replayed and never blocks a
//! command: commands warn and leave it; `doctor` reports it (`invalid_intent`) and `doctor --fix`
//! moves it to `state/quarantine/` with the reason.
//!
//! **Bounded by what was there.** A record also holds `expect`: for every file a step writes or
//! removes, what that file was when the record was written (`absent`, or `sha256:<hex>` of its
//! bytes). A replay changes a file only from one of the states the record itself leads it
//! through: the state before the step (then the step is applied) or a state a step of this
//! record leaves (then it is done already). A file in any other state (changed by someone since,
//! holding another session, unreadable) stops the replay: the record *cannot complete*. So a
//! replay never overwrites or removes bytes the record did not plan to.
//!
//! **Stuck.** A record that cannot complete is reported by every command that would replay it
//! with the record's file name, what is in the way and the way out: `maestro-session doctor
//! --fix`, which tries once more and otherwise sets the record aside (to quarantine, with why);
//! the steps already done stay done, and the doctor's checks that follow (sessions in two places,
//! ...) see the result. Writes wait for that: replaying such a record later, after other
//! writes, could revert them.
//!
//! Steps (paths relative to the state dir):
//! - `move`: a file to a new name, never over an existing one (`RENAME_NOREPLACE`); done when
//!   the source is gone and the target exists. Plan documents to `plans/archive/`; a file set
//!   aside to `state/quarantine/`.
//! - `copy`: a plan document is copied (a fork's own copy); done when the copy exists.
//! - `write`: a file gets exactly these bytes (durable replace). An event log is done when it
//!   starts with them (hooks may have appended since).
//! - `remove`: a session file is removed (when it still holds that session).
//! - `excerpt`: bytes `offset..offset+len` of a file are copied into a new file (a torn
//!   event-log line set aside); done when that file exists.
//! - `blank`: the same bytes are overwritten with spaces in place, the file's length unchanged
//!   (see [`crate::store::event_log`]); done when they are all spaces, refused when they are
//!   neither spaces nor the bytes set aside.

mod replay;
pub mod shape;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;
use maestro_session_fs::reader::ReadKind;
use replay::{Mode, Replay};

/// The folder of pending intent records, relative to the state dir.
pub const INTENTS_REL: &str = "state/intents";

/// Version of the record format. Version 1 records (no `expect`) are not replayed.
pub const VERSION: u32 = 2;

/// The most bytes one record may hold: it carries at most a few session files (an import: its
/// checkpoints too).
pub const MAX_INTENT_BYTES: u64 = ReadKind::INTENT.cap;

/// The most steps one record may hold: an import writes two per checkpoint, and a session
/// keeps at most `checkpoint::MAX_KEEP` (100,000) automatic ones.
pub const MAX_STEPS: usize = 2 * 100_000 + 64;

/// `expect` value of a file that did not exist.
pub const ABSENT: &str = "absent";

/// One multi-step change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    /// Record format version ([`VERSION`]).
    pub version: u32,
    /// The change ([`shape::Op`]: `archive`, `create`, `resume`, `fork`, `write-state`,
    /// `import`, `quarantine`, `repair-event-log`).
    pub op: String,
    /// The session the change is about; empty only for a `quarantine` of a file that belongs
    /// to no session (the lock, a temp file).
    pub session_id: String,
    /// When it was written, ISO 8601 UTC.
    pub created: String,
    /// What to do, in order.
    pub steps: Vec<Step>,
    /// For each path a `write` or `remove` step names: [`ABSENT`] or `sha256:<64 hex digits>`
    /// of the file when the record was written (filled in by [`run`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expect: BTreeMap<String, String>,
}

/// One idempotent step of an [`Intent`]; paths are relative to the state dir.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Move a file; never replaces an existing file.
    Move {
        /// Current path.
        from: String,
        /// New path.
        to: String,
    },
    /// Copy a plan document (a fork's own copy); done when `to` exists, never replaces it.
    Copy {
        /// The document copied.
        from: String,
        /// The copy.
        to: String,
    },
    /// Durably write a file with exactly `content`.
    Write {
        /// The file.
        path: String,
        /// Its whole new text.
        content: String,
    },
    /// Remove a session file if it still holds `session_id`.
    Remove {
        /// The session file.
        path: String,
        /// The session it must hold to be removed.
        session_id: String,
    },
    /// Copy bytes `offset..offset+len` of `from` into the new file `to`.
    Excerpt {
        /// The file read (an event log).
        from: String,
        /// First byte, from 0.
        offset: u64,
        /// How many bytes.
        len: u64,
        /// The new file (in `state/quarantine/`).
        to: String,
    },
    /// Overwrite bytes `offset..offset+len` of `path` with spaces, in place.
    Blank {
        /// The file (an event log).
        path: String,
        /// First byte, from 0.
        offset: u64,
        /// How many bytes.
        len: u64,
        /// The file holding those bytes as they were (the `to` of an `excerpt` before it).
        kept: String,
    },
}

impl Step {
    /// The step's name as records spell it (`move`, `write`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Move { .. } => "move",
            Step::Copy { .. } => "copy",
            Step::Write { .. } => "write",
            Step::Remove { .. } => "remove",
            Step::Excerpt { .. } => "excerpt",
            Step::Blank { .. } => "blank",
        }
    }

    /// The step in a few words, for messages: `write state/archive/x.md`.
    pub fn summary(&self) -> String {
        match self {
            Step::Move { from, to } | Step::Copy { from, to } => {
                format!("{} {} to {}", self.kind(), cut(from), cut(to))
            }
            Step::Write { path, .. } | Step::Remove { path, .. } => {
                format!("{} {}", self.kind(), cut(path))
            }
            Step::Excerpt {
                from, offset, len, ..
            } => format!("excerpt bytes {offset}+{len} of {}", cut(from)),
            Step::Blank {
                path, offset, len, ..
            } => format!("blank bytes {offset}+{len} of {}", cut(path)),
        }
    }

    /// The path this step writes or removes, when it is one `expect` covers.
    fn changed_path(&self) -> Option<&str> {
        match self {
            Step::Write { path, .. } | Step::Remove { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// At most 120 characters of `text` (a path or value from a record may be anything).
pub(crate) fn cut(text: &str) -> String {
    if text.chars().count() <= 120 {
        text.to_string()
    } else {
        format!("{}...", text.chars().take(120).collect::<String>())
    }
}

impl Intent {
    /// A new intent for `op` on `session_id`, stamped now.
    pub fn new(op: &str, session_id: &str, steps: Vec<Step>) -> Intent {
        Intent {
            version: VERSION,
            op: op.to_string(),
            session_id: session_id.to_string(),
            created: crate::clock::now_iso(),
            steps,
            expect: BTreeMap::new(),
        }
    }

    /// One line saying what the change was, for reports.
    pub fn describe(&self) -> String {
        let of = if self.session_id.is_empty() {
            String::new()
        } else {
            format!(" of session {}", cut(&self.session_id))
        };
        format!(
            "{}{of} started {} ({} steps)",
            cut(&self.op),
            cut(&self.created),
            self.steps.len()
        )
    }
}

/// `sha256:<hex>` of `bytes`, as `expect` holds it.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in hash.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Carries out `intent` in the state dir `root` (whose lock the caller holds): checks its
/// shape, writes its record with what each file it changes holds now, applies its steps,
/// removes the record. A single-step intent needs no record (each step is atomic on its own)
/// and is applied directly.
///
/// Errors: [`Error::Internal`] when the intent does not have its op's shape (a bug: the record
/// would not be replayed); [`Error::TooLarge`] when its record would exceed
/// [`MAX_INTENT_BYTES`]; those of reading the files it changes and of the file operations. After
/// the record is written, the record stays on error, so the next command completes the change.
/// Returns notes about steps that found nothing to do in an unexpected way.
pub fn run(root: &Root, intent: &Intent) -> Result<Vec<String>> {
    shape::check(intent).map_err(|why| {
        Error::Internal(format!(
            "the {} planned a step this version would not replay: {why}",
            intent.describe()
        ))
    })?;
    if intent.steps.len() <= 1 {
        return Replay::new(root, intent, Mode::First).run();
    }
    let expect = expectations(root, intent)?;
    let record = RecordRef {
        version: intent.version,
        op: &intent.op,
        session_id: &intent.session_id,
        created: &intent.created,
        steps: &intent.steps,
        expect: &expect,
    };
    let bytes = serde_json::to_vec(&record)
        .map_err(|e| Error::Invalid(format!("cannot encode intent record: {e}")))?;
    if bytes.len() as u64 > MAX_INTENT_BYTES {
        return Err(Error::TooLarge {
            path: root.join(INTENTS_REL),
            size: bytes.len() as u64,
            cap: MAX_INTENT_BYTES,
            kind: "an intent record",
        });
    }
    root.create_dirs(Path::new(INTENTS_REL))?;
    let rel = Path::new(INTENTS_REL).join(record_name(intent));
    root.replace(&rel, &bytes, durable::STATE_FILE_MODE, true)?;
    let notes = Replay::new(root, intent, Mode::First).run()?;
    root.remove(&rel)?;
    Ok(notes)
}

/// [`Intent`] by reference, with the `expect` [`run`] found: what is written as the record.
#[derive(Serialize)]
struct RecordRef<'a> {
    version: u32,
    op: &'a str,
    session_id: &'a str,
    created: &'a str,
    steps: &'a [Step],
    expect: &'a BTreeMap<String, String>,
}

/// What each file `intent` writes or removes holds now: [`ABSENT`] or its [`digest`].
///
/// Errors: those of reading it (a FIFO, a file over [`durable::MAX_SESSION_BYTES`]); an event
/// log that exists ([`Error::Refused`]: a record never replaces a log hooks append to).
fn expectations(root: &Root, intent: &Intent) -> Result<BTreeMap<String, String>> {
    let mut expect = BTreeMap::new();
    for path in intent.steps.iter().filter_map(Step::changed_path) {
        if expect.contains_key(path) {
            continue;
        }
        let rel = Path::new(path);
        let state = if shape::is_event_log(path) {
            if root.metadata(rel)?.is_some() {
                return Err(Error::refused(
                    &intent.session_id,
                    format!(
                        "{} already exists; an event log is only ever appended to",
                        root.join(rel).display()
                    ),
                ));
            }
            ABSENT.to_string()
        } else {
            match root.read_file(rel, durable::MAX_SESSION_BYTES, false) {
                Ok(bytes) => digest(&bytes),
                Err(e) if e.is_not_found() => ABSENT.to_string(),
                Err(e) => return Err(e.into()),
            }
        };
        expect.insert(path.to_string(), state);
    }
    Ok(expect)
}

fn record_name(intent: &Intent) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    if intent.session_id.is_empty() {
        format!("{nanos:020}-{}.json", intent.op)
    } else {
        format!("{nanos:020}-{}-{}.json", intent.op, intent.session_id)
    }
}

/// The pending records in `root`, oldest first: (record path relative to the state dir, the
/// record, or why it is not one this version replays: it cannot be read (a symlink, a FIFO,
/// over [`MAX_INTENT_BYTES`]), does not parse, or does not pass [`shape::check_record`]; each
/// an [`Error::Corrupt`] naming the record).
///
/// Errors: those of listing `state/intents/` (a symlink leading out of the project).
pub fn pending(root: &Root) -> Result<Vec<(String, Result<Intent>)>> {
    let mut out = Vec::new();
    for name in root.names(Path::new(INTENTS_REL))? {
        if name.starts_with('.') || !name.ends_with(".json") {
            continue;
        }
        let rel = format!("{INTENTS_REL}/{name}");
        let corrupt = |line, reason| Error::Corrupt {
            path: root.join(&rel),
            line,
            reason,
        };
        let parsed = root
            .read_file(Path::new(&rel), ReadKind::INTENT, false)
            .map_err(Error::from)
            .and_then(|bytes| {
                serde_json::from_slice::<Intent>(&bytes).map_err(|e| {
                    corrupt(
                        Some(e.line()),
                        format!("intent record does not parse: {}", json_problem(&e)),
                    )
                })
            })
            .and_then(|intent| {
                shape::check_record(&intent).map_err(|why| {
                    corrupt(
                        None,
                        format!("not an intent record this version replays: {why}"),
                    )
                })?;
                Ok(intent)
            });
        out.push((rel, parsed));
    }
    Ok(out)
}

/// What serde_json says went wrong, without quoting the record's content.
fn json_problem(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "cannot be read",
        serde_json::error::Category::Syntax => "is not JSON",
        serde_json::error::Category::Data => "does not have the fields of a record",
        serde_json::error::Category::Eof => "ends early",
    };
    format!("it {what} (line {}, column {})", e.line(), e.column())
}

/// Whether any record is pending (one listing of a folder that usually does not exist).
pub fn any_pending(root: &Root) -> bool {
    root.names(Path::new(INTENTS_REL))
        .map(|names| {
            names
                .iter()
                .any(|n| n.ends_with(".json") && !n.starts_with('.'))
        })
        .unwrap_or(false)
}

/// Completes every pending change in `root` (the caller holds the lock), oldest first, and
/// removes its record. A record that is not one this version replays is left alone, never
/// replayed, with a warning on stderr naming it and `doctor --fix`. Returns what was completed,
/// one line each.
///
/// Errors: for a record that cannot complete, [`Error::Corrupt`] naming the record, what is in
/// the way and `maestro-session doctor --fix`; those of listing `state/intents/`.
pub fn recover(root: &Root) -> Result<Vec<String>> {
    let mut done = Vec::new();
    let records = pending(root).map_err(|e| Error::Corrupt {
        path: root.join(INTENTS_REL),
        line: None,
        reason: format!(
            "cannot list the pending intent records: {e}; run `maestro-session doctor` to see why and `maestro-session doctor --fix` to repair it"
        ),
    })?;
    for (rel, parsed) in records {
        match parsed {
            Ok(intent) => done.extend(complete(root, &rel, &intent)?),
            Err(e) => eprintln!(
                "[WARN] maestro-session: {e}; it is never replayed; `maestro-session doctor --fix` moves it to state/quarantine/"
            ),
        }
    }
    Ok(done)
}

/// Completes the pending change `intent` whose record is `rel` (relative to the state dir) and
/// removes the record; the caller holds the lock and has checked the record
/// ([`pending`]). Returns what was done, one line each.
///
/// Errors: [`Error::Corrupt`] naming the record when it cannot complete (see the module docs);
/// the record stays.
pub fn complete(root: &Root, rel: &str, intent: &Intent) -> Result<Vec<String>> {
    let mut done = vec![format!("completed the interrupted {}", intent.describe())];
    // Every step is checked before the first is applied: a record that cannot complete
    // changes nothing (bar a failure of the file system itself half-way).
    let replayed = Replay::new(root, intent, Mode::Check)
        .run()
        .and_then(|_| Replay::new(root, intent, Mode::Replay).run())
        .and_then(|notes| Ok(root.remove(Path::new(rel)).map(|()| notes)?));
    match replayed {
        Ok(notes) => done.extend(notes),
        Err(e) => return Err(stuck(root, rel, intent, &e)),
    }
    Ok(done)
}

/// Whether the pending change `intent` (record `rel`) could complete now, changing nothing:
/// each step checked against the files as the steps before it would leave them.
///
/// Errors: why it cannot complete, as [`complete`] would say it.
pub fn try_complete(root: &Root, rel: &str, intent: &Intent) -> Result<()> {
    Replay::new(root, intent, Mode::Check)
        .run()
        .map(|_| ())
        .map_err(|e| stuck(root, rel, intent, &e))
}

/// The error of a record that cannot complete: the record, what is in the way, the way out.
fn stuck(root: &Root, rel: &str, intent: &Intent, e: &Error) -> Error {
    Error::Corrupt {
        path: root.join(rel),
        line: None,
        reason: format!(
            "the interrupted {} cannot be completed: {e}; run `maestro-session doctor --fix` to retry it or set the record aside in state/quarantine/ (steps already done stay done)",
            intent.describe()
        ),
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests;
