//! Checkpoints (issue 11): durable copies of a session file, taken by hand
//! (`maestro-session checkpoint create`) and automatically before every phase transition,
//! `resume`, `doctor --fix` and `restore`, so a change that went wrong can be rolled back and a
//! restore can itself be undone.
//!
//! Files, relative to the state dir:
//!
//! ```text
//! state/checkpoints/<session_id>/<seq>.md     the session file's exact bytes
//! state/checkpoints/<session_id>/<seq>.json   {"v":1,"id":<seq>,"name":null|"before-refactor",
//!                                             "automatic":bool,"reason":"phase start 3",
//!                                             "time":"<RFC 3339 UTC>","git_commit":null|"<sha>",
//!                                             "location":"active"|"archive","bytes":<N>}
//! ```
//!
//! `<seq>` is a decimal `u64`, one more than the highest number in the folder. The `.md` is
//! written first, the `.json` last (both durable replaces), so the `.json` marks a checkpoint
//! complete: an `.md` without its `.json` is a checkpoint a crash interrupted, which every
//! reader ignores and the next checkpoint of that session removes (under the lock).
//!
//! Retention: after an automatic checkpoint is taken, the automatic ones beyond the newest
//! [`DEFAULT_KEEP`] (or `MAESTRO_CHECKPOINTS_KEEP`, from the environment or the project's
//! `.env`) are removed; checkpoints taken by hand are never removed.
//!
//! Every write goes through the state dir's [`Root`] (beneath the project, no symlink out) and
//! happens under the state dir's lock; names are never used as paths. Restores, checkpoints
//! taken by hand and retention go to the session's event log.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::operations::Operation;
use crate::session::lifecycle::PhaseStatus;
use crate::session::model::{PhaseId, SessionMetadata};
use crate::session::session_file::Location;
use crate::workspace::paths::CHECKPOINTS_REL;
use maestro_session_fs::beneath::Root;
use maestro_session_fs::reader::ReadKind;

/// Version of the `.json` record ([`CheckpointMeta::v`]).
pub const FORMAT_VERSION: u32 = 1;

/// The setting that bounds how many automatic checkpoints each session keeps.
pub const KEEP_VAR: &str = crate::EnvVars::MAESTRO_CHECKPOINTS_KEEP;

/// Automatic checkpoints kept per session when [`KEEP_VAR`] is not set.
pub const DEFAULT_KEEP: usize = 20;

/// The largest accepted [`KEEP_VAR`].
pub const MAX_KEEP: usize = 100_000;

/// The longest checkpoint name, in bytes.
pub const MAX_NAME_BYTES: usize = 64;

/// The highest checkpoint number (2^53 - 1, the largest integer every JSON reader, JavaScript's
/// included, holds exactly). Numbers count up by one per checkpoint from 1, so only a hand
/// reaches it: a file named with a larger number (or 0) is not a checkpoint, and a session
/// whose folder holds this number takes no more (an error naming the file).
pub const MAX_ID: u64 = (1 << 53) - 1;

/// One complete checkpoint, as its `.json` record holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CheckpointMeta {
    /// Record format version, [`FORMAT_VERSION`].
    pub v: u32,
    /// The checkpoint's number within its session (`<seq>` of its file names), from 1.
    pub id: u64,
    /// The name given with `checkpoint create --name` (see [`validate_name`]).
    pub name: Option<String>,
    /// Taken automatically (subject to retention) or by hand (kept until removed by hand).
    pub automatic: bool,
    /// Why it was taken: `phase start 3`, `phase complete 2, phase start 3`, `resume`,
    /// `doctor --fix`, `restore`, `manual`, `write-state: phase 2 in_progress -> completed`.
    pub reason: String,
    /// When it was taken, RFC 3339 UTC with second precision.
    pub time: String,
    /// The project's `HEAD` commit then (40 hex digits), `None` outside git.
    pub git_commit: Option<String>,
    /// Where the session file lay when the checkpoint was taken.
    pub location: Location,
    /// The size of the copied session file, in bytes.
    pub bytes: u64,
}

/// Why a checkpoint is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Before a change of phase status; the text says which (`phase start 3`).
    Phase(String),
    /// Before `resume`.
    Resume,
    /// Before `doctor --fix` moves or renames the session's file.
    DoctorFix,
    /// Before `checkpoint restore` replaces the session file.
    Restore,
    /// `checkpoint create`, by hand.
    Manual,
}

impl Reason {
    /// The text kept in [`CheckpointMeta::reason`].
    pub fn text(&self) -> String {
        match self {
            Reason::Phase(what) => what.clone(),
            Reason::Resume => "resume".into(),
            Reason::DoctorFix => "doctor --fix".into(),
            Reason::Restore => "restore".into(),
            Reason::Manual => "manual".into(),
        }
    }

    /// Whether a checkpoint taken for this reason is automatic (and so subject to retention).
    pub fn automatic(&self) -> bool {
        !matches!(self, Reason::Manual)
    }
}

/// What happened to a session's checkpoints, for the per-session event log.
#[derive(Debug, Clone, Copy)]
pub enum CheckpointEvent<'a> {
    /// A checkpoint was taken.
    Taken(&'a CheckpointMeta),
    /// The session file was replaced by checkpoint `from`; `undo` holds what it replaced.
    Restored {
        /// The checkpoint restored.
        from: &'a CheckpointMeta,
        /// The automatic `restore` checkpoint of the file as it was before.
        undo: &'a CheckpointMeta,
        /// The frontmatter before the restore.
        before: &'a SessionMetadata,
        /// The frontmatter restored.
        after: &'a SessionMetadata,
    },
    /// Automatic checkpoints removed by retention (their ids).
    Pruned(&'a [u64]),
}

/// The checkpoints of one session, for `checkpoint list` (printed as
/// [`crate::outputs::command::CheckpointListOutput`]).
#[derive(Debug)]
pub struct CheckpointList {
    /// The session id.
    pub session: String,
    /// Complete checkpoints, newest first.
    pub checkpoints: Vec<CheckpointMeta>,
    /// Records that could not be read, each an [`Error::Corrupt`] naming the file and why
    /// (reported, never skipped silently; unfinished checkpoints are not listed here, they are
    /// not checkpoints).
    pub unreadable: Vec<Error>,
}

/// What `checkpoint create` took.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CheckpointTaken {
    /// The session id.
    pub session: String,
    /// The new checkpoint.
    pub checkpoint: CheckpointMeta,
    /// Its copy of the session file.
    pub path: PathBuf,
}

/// What `checkpoint restore` did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RestoreReport {
    /// The session id.
    pub session: String,
    /// The checkpoint whose bytes the session file now holds.
    pub restored: CheckpointMeta,
    /// The automatic `restore` checkpoint of the file as it was: restore it to undo this.
    pub undo: CheckpointMeta,
    /// The session file replaced.
    pub path: PathBuf,
    /// Where the session file lies (where it was restored, in place).
    pub location: Location,
    /// Set when the checkpoint was taken while the session lay elsewhere (active vs archive):
    /// it was restored where the session lies now, and this says so.
    pub note: Option<String>,
}

/// What `checkpoint diff` found.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DiffReport {
    /// The session id.
    pub session: String,
    /// What the diff is from: `checkpoint 3 (before-refactor)`.
    pub from: String,
    /// What it is to: `checkpoint 4`, or `current (state/active-session.md)`.
    pub to: String,
    /// The unified diff (3 lines of context), empty when nothing changed.
    pub diff: String,
    /// Whether the two differ in any byte.
    pub changed: bool,
    /// Whether `diff` is the smallest one: `false` when the search for it reached
    /// [`DIFF_DEADLINE`] and the rest was shown as removed and added lines (a correct diff,
    /// found in linear time, that may be longer than needed).
    pub minimal: bool,
}

/// How long `checkpoint diff` looks for the smallest diff (1 s) before it shows the rest as
/// removed and added lines: Myers' algorithm costs (lines x differences), so 40,000 changed
/// lines took 8 to 21 s and two different 16 MiB session files would take hours.
pub const DIFF_DEADLINE: std::time::Duration = std::time::Duration::from_secs(1);

/// What the checkpoint folder of one session holds.
#[derive(Debug, Default)]
pub(in crate::store) struct Scan {
    /// Complete checkpoints, newest first.
    pub(in crate::store) complete: Vec<CheckpointMeta>,
    /// Numbers of `.md` files without a `.json`: interrupted checkpoints.
    pub(in crate::store) unfinished: Vec<u64>,
    /// Records that could not be read: (file, why).
    pub(in crate::store) unreadable: Vec<(PathBuf, String)>,
    /// The highest number any file of the folder carries.
    pub(in crate::store) highest: Option<u64>,
}

/// Checks a checkpoint name: 1 to [`MAX_NAME_BYTES`] bytes of ASCII letters, digits, `-`, `_`
/// and `.`, not all digits (which would read as an id). Names live only inside `.json`
/// records, never in a path.
///
/// Errors: [`Error::Invalid`] saying which rule the name breaks.
pub fn validate_name(name: &str) -> Result<()> {
    let why = if name.is_empty() {
        Some("it is empty".to_string())
    } else if name.len() > MAX_NAME_BYTES {
        Some(format!(
            "it is {} bytes long; at most {MAX_NAME_BYTES} are allowed",
            name.len()
        ))
    } else if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        Some(format!(
            "it contains {bad:?}; only letters, digits, `-`, `_` and `.` are allowed"
        ))
    } else if name.bytes().all(|b| b.is_ascii_digit()) {
        Some("it is all digits, which would read as a checkpoint id".to_string())
    } else {
        None
    };
    match why {
        Some(why) => Err(Error::Invalid(format!(
            "checkpoint name {:?} refused: {why}",
            name.chars().take(MAX_NAME_BYTES).collect::<String>()
        ))),
        None => Ok(()),
    }
}

/// `state/checkpoints/<session_id>`; the id must be usable as a file name.
pub(in crate::store) fn folder_rel(session_id: &str) -> Result<PathBuf> {
    crate::session::session_id::check_file_id(session_id)?;
    Ok(Path::new(CHECKPOINTS_REL).join(session_id))
}

pub(in crate::store) fn md_rel(folder: &Path, id: u64) -> PathBuf {
    folder.join(format!("{id}.md"))
}

pub(in crate::store) fn json_rel(folder: &Path, id: u64) -> PathBuf {
    folder.join(format!("{id}.json"))
}

/// The number of a checkpoint file name `<seq>.md` / `<seq>.json` (canonical decimal: no
/// sign, no leading zero, from 1 to [`MAX_ID`]), and whether it is the record.
pub(in crate::store) fn parse_file_name(name: &str) -> Option<(u64, bool)> {
    let (seq, record) = numbered_name(name)?;
    (1..=MAX_ID).contains(&seq).then_some((seq, record))
}

/// `<digits>.md` / `<digits>.json` in canonical decimal, whatever the number (`None` past
/// `u64`): what [`parse_file_name`] takes for a checkpoint when the number is in range.
fn numbered_name(name: &str) -> Option<(u64, bool)> {
    let (stem, record) = match name.strip_suffix(".json") {
        Some(stem) => (stem, true),
        None => (name.strip_suffix(".md")?, false),
    };
    if stem.is_empty() || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Past u64 it is out of range all the same.
    let seq: u64 = stem.parse().unwrap_or(u64::MAX);
    (stem.len() > 20 || seq.to_string() == stem).then_some((seq, record))
}

/// Reads the checkpoint folder `folder` (a missing folder holds nothing).
pub(in crate::store) fn scan(root: &Root, folder: &Path) -> Result<Scan> {
    let mut files: BTreeMap<u64, (bool, bool)> = BTreeMap::new();
    let mut out = Scan::default();
    for name in root.names(folder)? {
        if parse_file_name(&name).is_none() && numbered_name(&name).is_some() {
            out.unreadable.push((
                folder.join(&name),
                format!("checkpoint numbers run from 1 to {MAX_ID}; this file is not a checkpoint"),
            ));
            continue;
        }
        if let Some((seq, record)) = parse_file_name(&name) {
            let entry = files.entry(seq).or_default();
            if record {
                entry.1 = true;
            } else {
                entry.0 = true;
            }
        }
    }
    out.highest = files.keys().next_back().copied();
    for (&seq, &(has_md, has_record)) in files.iter().rev() {
        if !has_record {
            out.unfinished.push(seq);
            continue;
        }
        let record = json_rel(folder, seq);
        match read_record(root, folder, seq, has_md) {
            Ok(meta) => out.complete.push(meta),
            Err(why) => out.unreadable.push((record, why)),
        }
    }
    Ok(out)
}

/// Reads and checks the record of checkpoint `seq`: it parses, names itself, and its `.md`
/// is a regular file of the recorded size. Errors: why not, in words.
pub(in crate::store) fn read_record(
    root: &Root,
    folder: &Path,
    seq: u64,
    has_md: bool,
) -> std::result::Result<CheckpointMeta, String> {
    let bytes = root
        .read_file(&json_rel(folder, seq), ReadKind::CHECKPOINT_RECORD, false)
        .map_err(|e| e.to_string())?;
    let meta: CheckpointMeta =
        serde_json::from_slice(&bytes).map_err(|e| format!("does not parse: {e}"))?;
    if meta.v != FORMAT_VERSION {
        return Err(format!("record version {} is not {FORMAT_VERSION}", meta.v));
    }
    if meta.id != seq {
        return Err(format!("record names checkpoint {}", meta.id));
    }
    if !has_md {
        return Err(format!("its copy {seq}.md is missing"));
    }
    match root.metadata(&md_rel(folder, seq)) {
        Ok(Some(m)) if m.is_file() && m.len() == meta.bytes => Ok(meta),
        Ok(Some(m)) if m.is_file() => Err(format!(
            "its copy {seq}.md is {} bytes, the record says {}",
            m.len(),
            meta.bytes
        )),
        Ok(_) => Err(format!("its copy {seq}.md is not a regular file")),
        Err(e) => Err(e.to_string()),
    }
}

/// The checkpoint `which` names among `list`: an id when it is all digits, else a name.
///
/// Errors: [`Error::Refused`] naming the session and how to list its checkpoints.
pub(in crate::store) fn find<'a>(
    list: &'a [CheckpointMeta],
    which: &str,
    session: &str,
) -> Result<&'a CheckpointMeta> {
    let by_id = !which.is_empty() && which.bytes().all(|b| b.is_ascii_digit());
    let found = if by_id {
        which
            .parse::<u64>()
            .ok()
            .and_then(|id| list.iter().find(|m| m.id == id))
    } else {
        list.iter().find(|m| m.name.as_deref() == Some(which))
    };
    found.ok_or_else(|| {
        Error::refused(
            session,
            format!(
                "no checkpoint {} {:?} ({}; `maestro-session checkpoint list {session}` lists them)",
                if by_id { "has the id" } else { "is named" },
                which.chars().take(MAX_NAME_BYTES).collect::<String>(),
                match list.len() {
                    0 => "the session has no checkpoints".to_string(),
                    1 => "the session has 1 checkpoint".to_string(),
                    n => format!("the session has {n} checkpoints"),
                }
            ),
        )
    })
}

/// Reads checkpoint `meta`'s copy and checks its size against the record.
pub(in crate::store) fn read_copy(
    root: &Root,
    folder: &Path,
    meta: &CheckpointMeta,
) -> Result<Vec<u8>> {
    let rel = md_rel(folder, meta.id);
    let bytes = root.read_file(&rel, ReadKind::CHECKPOINT, false)?;
    if bytes.len() as u64 != meta.bytes {
        return Err(Error::Corrupt {
            path: root.join(&rel),
            line: None,
            reason: format!(
                "checkpoint copy is {} bytes, its record says {}",
                bytes.len(),
                meta.bytes
            ),
        });
    }
    Ok(bytes)
}

/// Each phase's id and status, in order.
pub(in crate::store) fn statuses(meta: &SessionMetadata) -> Vec<(&PhaseId, PhaseStatus)> {
    meta.phases.iter().map(|p| (&p.id, p.status)).collect()
}

/// The phase transitions `ops` name, as a reason: `phase complete 1, phase start 2`.
pub(in crate::store) fn ops_reason(ops: &[Operation]) -> String {
    let named: Vec<String> = ops
        .iter()
        .filter_map(|op| match op {
            Operation::PhaseStart(id) => Some(format!("phase start {id}")),
            Operation::PhaseComplete { id, .. } => Some(format!("phase complete {id}")),
            Operation::PhaseFail { id, .. } => Some(format!("phase fail {id}")),
            Operation::PhaseRetry(id) => Some(format!("phase retry {id}")),
            Operation::PhaseSkip(id) => Some(format!("phase skip {id}")),
            _ => None,
        })
        .collect();
    if named.is_empty() {
        "phase change".into()
    } else {
        named.join(", ")
    }
}

/// The phase status changes from `before` to `after`: `phase 2 in_progress -> completed`.
pub(in crate::store) fn status_changes(
    before: &SessionMetadata,
    after: &SessionMetadata,
) -> String {
    let changes: Vec<String> = after
        .phases
        .iter()
        .filter_map(|p| {
            let was = before
                .phases
                .iter()
                .find(|b| b.id == p.id)
                .map(|b| b.status);
            (was != Some(p.status)).then(|| match was {
                Some(was) => format!("phase {} {was} -> {}", p.id, p.status),
                None => format!("phase {} added ({})", p.id, p.status),
            })
        })
        .collect();
    if changes.is_empty() {
        "phases changed".into()
    } else {
        changes.join(", ")
    }
}
