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

use super::Locked;
use super::{Store, archive_rel, get_in, resolve_in};
use crate::clock;
use crate::error::{Error, Result};
use crate::fs::beneath::Root;
use crate::fs::durable;
use crate::operations::{self, Operation};
use crate::session::lifecycle::PhaseStatus;
use crate::session::model::{PhaseId, SessionMetadata};
use crate::session::session_file::{Location, SessionFile};
use crate::workspace::dotenv;
use crate::workspace::paths::{ACTIVE_REL, CHECKPOINTS_REL};

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

/// The most bytes a `.json` record may hold (a record is ~250 bytes).
const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// One complete checkpoint, as its `.json` record holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// The checkpoints of one session, for `checkpoint list`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointList {
    /// The session id.
    pub session: String,
    /// Complete checkpoints, newest first.
    pub checkpoints: Vec<CheckpointMeta>,
    /// Records that could not be read, each `<path>: <why>` (reported, never skipped
    /// silently; unfinished checkpoints are not listed here, they are not checkpoints).
    pub unreadable: Vec<String>,
}

/// What `checkpoint create` took.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointTaken {
    /// The session id.
    pub session: String,
    /// The new checkpoint.
    pub checkpoint: CheckpointMeta,
    /// Its copy of the session file.
    pub path: PathBuf,
}

/// What `checkpoint restore` did.
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
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
}

/// What the checkpoint folder of one session holds.
#[derive(Debug, Default)]
struct Scan {
    /// Complete checkpoints, newest first.
    complete: Vec<CheckpointMeta>,
    /// Numbers of `.md` files without a `.json`: interrupted checkpoints.
    unfinished: Vec<u64>,
    /// Records that could not be read: (file, why).
    unreadable: Vec<(PathBuf, String)>,
    /// The highest number any file of the folder carries.
    highest: Option<u64>,
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
fn folder_rel(session_id: &str) -> Result<PathBuf> {
    archive_rel(session_id)?;
    Ok(Path::new(CHECKPOINTS_REL).join(session_id))
}

fn md_rel(folder: &Path, id: u64) -> PathBuf {
    folder.join(format!("{id}.md"))
}

fn json_rel(folder: &Path, id: u64) -> PathBuf {
    folder.join(format!("{id}.json"))
}

/// The number of a checkpoint file name `<seq>.md` / `<seq>.json` (canonical decimal: no
/// sign, no leading zero), and whether it is the record.
fn parse_file_name(name: &str) -> Option<(u64, bool)> {
    let (stem, record) = match name.strip_suffix(".json") {
        Some(stem) => (stem, true),
        None => (name.strip_suffix(".md")?, false),
    };
    let seq: u64 = stem.parse().ok()?;
    (seq.to_string() == stem).then_some((seq, record))
}

/// Reads the checkpoint folder `folder` (a missing folder holds nothing).
fn scan(root: &Root, folder: &Path) -> Result<Scan> {
    let mut files: BTreeMap<u64, (bool, bool)> = BTreeMap::new();
    for name in root.names(folder)? {
        if let Some((seq, record)) = parse_file_name(&name) {
            let entry = files.entry(seq).or_default();
            if record {
                entry.1 = true;
            } else {
                entry.0 = true;
            }
        }
    }
    let mut out = Scan {
        highest: files.keys().next_back().copied(),
        ..Scan::default()
    };
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
fn read_record(
    root: &Root,
    folder: &Path,
    seq: u64,
    has_md: bool,
) -> std::result::Result<CheckpointMeta, String> {
    let bytes = root
        .read_file(&json_rel(folder, seq), MAX_RECORD_BYTES, false)
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
fn find<'a>(list: &'a [CheckpointMeta], which: &str, session: &str) -> Result<&'a CheckpointMeta> {
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
fn read_copy(root: &Root, folder: &Path, meta: &CheckpointMeta) -> Result<Vec<u8>> {
    let rel = md_rel(folder, meta.id);
    let bytes = root.read_file(&rel, durable::MAX_SESSION_BYTES, false)?;
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
fn statuses(meta: &SessionMetadata) -> Vec<(&PhaseId, PhaseStatus)> {
    meta.phases.iter().map(|p| (&p.id, p.status)).collect()
}

/// The phase transitions `ops` name, as a reason: `phase complete 1, phase start 2`.
fn ops_reason(ops: &[Operation]) -> String {
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
fn status_changes(before: &SessionMetadata, after: &SessionMetadata) -> String {
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

impl Store {
    /// How many automatic checkpoints each session keeps: [`KEEP_VAR`] from the environment,
    /// else from the project's `.env`, else [`DEFAULT_KEEP`].
    ///
    /// Errors: [`Error::Invalid`] (a usage error) naming the setting and its value when it is
    /// not a whole number from 1 to [`MAX_KEEP`].
    pub fn checkpoints_keep(&self) -> Result<usize> {
        let dotenv_path = self.ws.project_root.join(".env");
        let (raw, source) = match self.env.get(KEEP_VAR) {
            Some(v) => (v, format!("environment variable {KEEP_VAR}")),
            None => match dotenv::lookup(&dotenv_path, KEEP_VAR)? {
                Some(v) => (v, format!("{KEEP_VAR} in {}", dotenv_path.display())),
                None => return Ok(DEFAULT_KEEP),
            },
        };
        match raw.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_KEEP).contains(&n) => Ok(n),
            _ => Err(Error::Invalid(format!(
                "{source}={:?} is not a valid number of automatic checkpoints to keep per session; give a whole number from 1 to {MAX_KEEP}",
                raw.chars().take(40).collect::<String>()
            ))),
        }
    }

    /// Takes an automatic checkpoint of `session` (read from `rel`, state-dir relative) for
    /// `reason`, then applies retention. The one entry point of every automatic checkpoint;
    /// the caller holds the state dir's lock on `root` and changes the file only after this
    /// returns, so a failed checkpoint leaves the session unchanged.
    ///
    /// Errors: [`Error::Invalid`] for a bad [`KEEP_VAR`]; those of reading the session file and
    /// writing the checkpoint.
    pub(super) fn checkpoint_before(
        &self,
        l: &Locked,
        session: &SessionFile,
        rel: &Path,
        reason: Reason,
    ) -> Result<CheckpointMeta> {
        self.snapshot(l, session, rel, reason, None)
    }

    /// [`Store::checkpoint_before`], with checkpoint `exempt` kept whatever retention says.
    fn snapshot(
        &self,
        l: &Locked,
        session: &SessionFile,
        rel: &Path,
        reason: Reason,
        exempt: Option<u64>,
    ) -> Result<CheckpointMeta> {
        let root = &l.root;
        let keep = self.checkpoints_keep()?;
        let bytes = root.read_file(rel, durable::MAX_SESSION_BYTES, false)?;
        let meta = self.take(l, session.id(), &bytes, session.location, &reason, None)?;
        self.prune(l, session.id(), keep, exempt)?;
        Ok(meta)
    }

    /// Hook of [`Store::apply`] and [`Store::apply_with`]: when `ops` would change the status of
    /// any phase of `session` (read from `rel`), takes an automatic checkpoint first. `ops` are
    /// tried on a copy; when one is refused nothing is taken (the real apply refuses the same
    /// way and nothing changes).
    pub(super) fn checkpoint_before_ops(
        &self,
        l: &Locked,
        rel: &Path,
        session: &SessionFile,
        ops: &[Operation],
    ) -> Result<()> {
        let Ok(ctx) = self.op_context() else {
            return Ok(());
        };
        let mut meta = session.meta.clone();
        // The log body does not decide phase statuses; a scratch one is enough.
        let mut scratch = String::new();
        for op in ops {
            if operations::apply(&mut meta, &mut scratch, op, &ctx).is_err() {
                return Ok(());
            }
        }
        if statuses(&session.meta) == statuses(&meta) {
            return Ok(());
        }
        self.checkpoint_before(l, session, rel, Reason::Phase(ops_reason(ops)))
            .map(|_| ())
    }

    /// Hook of `write-state`: before `incoming` replaces the session file `rel` holding the same
    /// session with other phase statuses, takes an automatic checkpoint of it.
    pub(super) fn checkpoint_before_write(
        &self,
        l: &Locked,
        rel: &Path,
        incoming: &SessionFile,
    ) -> Result<()> {
        let root = &l.root;
        let location = if rel == Path::new(ACTIVE_REL) {
            Location::Active
        } else {
            Location::Archive
        };
        // Only the frontmatter decides; the whole file is read only when a checkpoint is taken.
        let Ok(front) = root.read_frontmatter(rel, durable::MAX_SESSION_BYTES) else {
            return Ok(());
        };
        let Ok(current) = SessionFile::from_bytes(&front, &root.join(rel), location) else {
            return Ok(());
        };
        if current.id() != incoming.id() || statuses(&current.meta) == statuses(&incoming.meta) {
            return Ok(());
        }
        let reason = format!(
            "write-state: {}",
            status_changes(&current.meta, &incoming.meta)
        );
        self.checkpoint_before(l, &current, rel, Reason::Phase(reason))
            .map(|_| ())
    }

    /// Hook of `doctor --fix`: an automatic checkpoint of every readable session file it may
    /// move or rename (a session held by more than one file, an archive file named after
    /// another id). `sessions` are the readable files, state-dir relative.
    pub(super) fn checkpoint_before_doctor_fix(
        &self,
        l: &Locked,
        sessions: &[(PathBuf, SessionFile)],
    ) -> Result<()> {
        let mut copies: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, s) in sessions {
            *copies.entry(s.id()).or_default() += 1;
        }
        for (rel, s) in sessions {
            let misnamed = s.location == Location::Archive
                && archive_rel(s.id()).is_ok_and(|proper| proper != *rel);
            if copies.get(s.id()).copied().unwrap_or(0) > 1 || misnamed {
                self.checkpoint_before(l, s, rel, Reason::DoctorFix)?;
            }
        }
        Ok(())
    }

    /// Writes checkpoint `<next seq>` of `session_id` holding `bytes`: the copy, then the
    /// record. Returns the record.
    fn take(
        &self,
        l: &Locked,
        session_id: &str,
        bytes: &[u8],
        location: Location,
        reason: &Reason,
        name: Option<String>,
    ) -> Result<CheckpointMeta> {
        let root = &l.root;
        let folder = folder_rel(session_id)?;
        root.create_dirs(&folder)?;
        root.sweep_stale_temps(&folder);
        let id = match scan(root, &folder)?.highest {
            None => 1,
            Some(n) => n.checked_add(1).ok_or_else(|| {
                Error::Invalid(format!(
                    "{} holds checkpoint number {n}, the largest there can be; remove it to take more",
                    root.join(&folder).display()
                ))
            })?,
        };
        let meta = CheckpointMeta {
            v: FORMAT_VERSION,
            id,
            name,
            automatic: reason.automatic(),
            reason: reason.text(),
            time: clock::now_iso(),
            git_commit: crate::workspace::git::head_commit(&self.ws.project_root),
            location,
            bytes: bytes.len() as u64,
        };
        root.replace(&md_rel(&folder, id), bytes, durable::STATE_FILE_MODE, true)?;
        let record = json_rel(&folder, id);
        let mut text = serde_json::to_vec_pretty(&meta)
            .map_err(|e| Error::io("serialize", root.join(&record), e.into()))?;
        text.push(b'\n');
        root.replace(&record, &text, durable::STATE_FILE_MODE, true)?;
        self.on_checkpoint_event(l, session_id, CheckpointEvent::Taken(&meta));
        Ok(meta)
    }

    /// Retention: removes the automatic checkpoints of `session_id` beyond the newest `keep`
    /// (never `exempt`, never one taken by hand), and the copies interrupted checkpoints left
    /// (safe: the caller holds the lock, so no checkpoint is being written). A record is
    /// removed before its copy, so a crash in between leaves an unfinished checkpoint.
    fn prune(&self, l: &Locked, session_id: &str, keep: usize, exempt: Option<u64>) -> Result<()> {
        let root = &l.root;
        let folder = folder_rel(session_id)?;
        let found = scan(root, &folder)?;
        let mut pruned = Vec::new();
        for old in found
            .complete
            .iter()
            .filter(|m| m.automatic)
            .skip(keep)
            .filter(|m| Some(m.id) != exempt)
        {
            root.remove(&json_rel(&folder, old.id))?;
            root.remove(&md_rel(&folder, old.id))?;
            pruned.push(old.id);
        }
        for seq in found.unfinished {
            root.remove(&md_rel(&folder, seq))?;
        }
        if !pruned.is_empty() {
            self.on_checkpoint_event(l, session_id, CheckpointEvent::Pruned(&pruned));
        }
        Ok(())
    }

    /// EVENT LOG HOOK: every checkpoint taken, restored or pruned passes here, under the lock,
    /// after the files are written, and goes to the session's event log
    /// ([`crate::store::event_log`]): `checkpoint` (one taken by hand: `checkpoint`, `name`),
    /// `checkpoint restore` (the frontmatter's changes, `checkpoint`, `undo`) and `checkpoint
    /// prune` (`checkpoints`: the ids removed). Automatic checkpoints are not logged one by
    /// one: the change each precedes is, and `checkpoint list` shows them.
    fn on_checkpoint_event(&self, l: &Locked, session_id: &str, event: CheckpointEvent<'_>) {
        use serde_json::json;
        match event {
            CheckpointEvent::Taken(m) if !m.automatic => self.record(
                l,
                session_id,
                "checkpoint",
                None,
                None,
                &[("checkpoint", json!(m.id)), ("name", json!(m.name))],
            ),
            CheckpointEvent::Taken(_) => {}
            CheckpointEvent::Restored {
                from,
                undo,
                before,
                after,
            } => self.record(
                l,
                session_id,
                "checkpoint restore",
                Some(before),
                Some(after),
                &[("checkpoint", json!(from.id)), ("undo", json!(undo.id))],
            ),
            CheckpointEvent::Pruned(ids) => self.record(
                l,
                session_id,
                "checkpoint prune",
                None,
                None,
                &[("checkpoints", json!(ids))],
            ),
        }
    }

    /// The state dir for reading and the session `prefix` names: (root, id, file, location).
    fn checkpoint_reader(&self, prefix: &str) -> Result<(Root, String, PathBuf, Location)> {
        let root = self.reader()?.ok_or_else(|| Error::NotFound {
            what: format!("session {prefix:?}"),
        })?;
        let (id, rel, location) = resolve_in(&root, prefix)?;
        Ok((root, id, rel, location))
    }

    /// The complete checkpoints of the session `prefix` names (a full or partial id, or
    /// `active`), newest first. Unfinished and unreadable ones are left out (see
    /// [`Store::checkpoint_list`] for the latter).
    pub fn checkpoints(&self, prefix: &str) -> Result<Vec<CheckpointMeta>> {
        Ok(self.checkpoint_list(prefix)?.checkpoints)
    }

    /// `checkpoint list`: the complete checkpoints of a session, newest first, with the
    /// records that could not be read.
    pub fn checkpoint_list(&self, prefix: &str) -> Result<CheckpointList> {
        let (root, session, _, _) = self.checkpoint_reader(prefix)?;
        let found = scan(&root, &folder_rel(&session)?)?;
        Ok(CheckpointList {
            unreadable: found
                .unreadable
                .iter()
                .map(|(rel, why)| format!("{}: {why}", root.join(rel).display()))
                .collect(),
            session,
            checkpoints: found.complete,
        })
    }

    /// The bytes of checkpoint `id` of the session with exactly the id `session_id` (for
    /// export); the session file itself need not exist any more.
    ///
    /// Errors: [`Error::Refused`] when there is no complete checkpoint `id`;
    /// [`Error::Corrupt`] when its copy does not match its record.
    pub fn checkpoint_bytes(&self, session_id: &str, id: u64) -> Result<Vec<u8>> {
        let folder = folder_rel(session_id)?;
        let root = self.reader()?.ok_or_else(|| Error::NotFound {
            what: format!("checkpoint {id} of session {session_id}"),
        })?;
        let found = scan(&root, &folder)?;
        let meta = find(&found.complete, &id.to_string(), session_id)?;
        read_copy(&root, &folder, meta)
    }

    /// `checkpoint create [--name N]`: a checkpoint taken by hand (never removed by
    /// retention) of the session `prefix` names.
    ///
    /// Errors: [`Error::Invalid`] for a bad name (see [`validate_name`]); [`Error::Refused`]
    /// when the session already has a checkpoint of that name.
    pub fn checkpoint_create(&self, prefix: &str, name: Option<&str>) -> Result<CheckpointTaken> {
        if let Some(name) = name {
            validate_name(name)?;
        }
        let keep = self.checkpoints_keep()?;
        let l = self.locked()?;
        let (session, rel) = get_in(&l.root, Some(prefix))?;
        let folder = folder_rel(session.id())?;
        if let Some(name) = name
            && let Some(taken) = scan(&l.root, &folder)?
                .complete
                .iter()
                .find(|m| m.name.as_deref() == Some(name))
        {
            return Err(Error::refused(
                session.id(),
                format!(
                    "checkpoint {} is already named {name:?}; choose another name",
                    taken.id
                ),
            ));
        }
        let bytes = l.root.read_file(&rel, durable::MAX_SESSION_BYTES, false)?;
        let checkpoint = self.take(
            &l,
            session.id(),
            &bytes,
            session.location,
            &Reason::Manual,
            name.map(str::to_string),
        )?;
        self.prune(&l, session.id(), keep, None)?;
        Ok(CheckpointTaken {
            session: session.id().to_string(),
            path: l.root.join(md_rel(&folder, checkpoint.id)),
            checkpoint,
        })
    }

    /// `checkpoint restore`: under the lock, takes an automatic `restore` checkpoint of the
    /// session file, then durably replaces the file, where it lies now, with the bytes of the
    /// checkpoint `which` names (an id, or a name). Restoring that `restore` checkpoint undoes
    /// the restore.
    ///
    /// Errors: [`Error::Refused`] for an unknown checkpoint; [`Error::Corrupt`] when its copy
    /// no longer parses as a session or does not match its record; [`Error::Refused`] when it
    /// holds another session.
    pub fn checkpoint_restore(&self, prefix: &str, which: &str) -> Result<RestoreReport> {
        let l = self.locked()?;
        let (session, rel) = get_in(&l.root, Some(prefix))?;
        let folder = folder_rel(session.id())?;
        let found = scan(&l.root, &folder)?;
        let target = find(&found.complete, which, session.id())?.clone();
        let bytes = read_copy(&l.root, &folder, &target)?;
        let copy_path = l.root.join(md_rel(&folder, target.id));
        let restored = SessionFile::from_bytes(&bytes, &copy_path, session.location)?;
        if restored.id() != session.id() {
            return Err(Error::refused(
                session.id(),
                format!(
                    "checkpoint {} ({}) holds session {}, not this one; it was not restored",
                    target.id,
                    copy_path.display(),
                    restored.id()
                ),
            ));
        }
        let undo = self.snapshot(&l, &session, &rel, Reason::Restore, Some(target.id))?;
        l.root
            .replace(&rel, &bytes, durable::STATE_FILE_MODE, true)?;
        self.on_checkpoint_event(
            &l,
            session.id(),
            CheckpointEvent::Restored {
                from: &target,
                undo: &undo,
                before: &session.meta,
                after: &restored.meta,
            },
        );
        let note = (target.location != session.location).then(|| {
            format!(
                "checkpoint {} was taken while the session was {}; it was restored where the session is now ({})",
                target.id,
                match target.location {
                    Location::Active => "the active session",
                    Location::Archive => "archived",
                },
                rel.display()
            )
        });
        Ok(RestoreReport {
            session: session.id().to_string(),
            restored: target,
            undo,
            path: l.root.join(&rel),
            location: session.location,
            note,
        })
    }

    /// `checkpoint diff`: the unified diff of checkpoint `a` against checkpoint `b`, or
    /// against the session file as it is now when `b` is `None`.
    ///
    /// Errors: [`Error::Refused`] for an unknown checkpoint; those of reading.
    pub fn checkpoint_diff(&self, prefix: &str, a: &str, b: Option<&str>) -> Result<DiffReport> {
        let (root, session, rel, _) = self.checkpoint_reader(prefix)?;
        let folder = folder_rel(&session)?;
        let found = scan(&root, &folder)?;
        let label = |m: &CheckpointMeta| match &m.name {
            Some(name) => format!("checkpoint {} ({name})", m.id),
            None => format!("checkpoint {}", m.id),
        };
        let from_meta = find(&found.complete, a, &session)?;
        let from_bytes = read_copy(&root, &folder, from_meta)?;
        let (to, to_bytes) = match b {
            Some(b) => {
                let m = find(&found.complete, b, &session)?;
                (label(m), read_copy(&root, &folder, m)?)
            }
            None => (
                format!("current ({})", rel.display()),
                root.read_file(&rel, durable::MAX_SESSION_BYTES, false)?,
            ),
        };
        let from = label(from_meta);
        let old = String::from_utf8_lossy(&from_bytes);
        let new = String::from_utf8_lossy(&to_bytes);
        let changed = from_bytes != to_bytes;
        let diff = if changed {
            similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
                .unified_diff()
                .context_radius(3)
                .header(&from, &to)
                .to_string()
        } else {
            String::new()
        };
        Ok(DiffReport {
            session,
            from,
            to,
            diff,
            changed,
        })
    }
}

#[cfg(test)]
mod tests;
