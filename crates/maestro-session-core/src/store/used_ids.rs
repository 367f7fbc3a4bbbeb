//! A session id is used once in a project's history (DESIGN 3; issue 15, case 11).
//!
//! A session's event log (`state/events/<id>.jsonl`) and checkpoints
//! (`state/checkpoints/<id>/`) are keyed by its id. Were an id freed by `delete` taken again, the
//! new session would inherit the deleted one's log and checkpoints, and `checkpoint restore`
//! would put the deleted session back in its place. So an id, once used, is never given to
//! another session:
//!
//! - `delete` and `cleanup` first write a **tombstone**, `state/tombstones/<id>.json` (a
//!   durable replace, before anything is removed, so a kill at any later step still leaves
//!   the id used), then remove the session's checkpoints, then its file, last: a kill before
//!   that leaves the session where it was (some of its checkpoints may be gone; its tombstone
//!   then marks an id that is used anyway, and is rewritten when the session is removed), a
//!   kill after it leaves it removed. `delete` keeps the event log (the history, ending in the
//!   `delete` event), `cleanup` removes it too.
//! - Every new id passes `check_new_id`: `create` (`--id` and generated ids alike: a generated
//!   id takes the next free `-2`, `-3`, ... suffix, see `is_free`), MCP `create_session`,
//!   `fork`, `import` (with or without `--as`) and a `write-state` that brings in a session no
//!   file holds. An id is taken when a session (active or archived) holds it, when
//!   `state/archive/<id>.md` exists, when a tombstone names it, or when its event log or a
//!   checkpoint file is left (what an older version's `delete`, or a hand, left behind).
//!   `write-state` refuses only a tombstoned id: the log of a session whose file was removed by
//!   hand is its own history, which a model writing the same session back may continue.
//!
//! The tombstone:
//!
//! ```json
//! {"v":1,"session_id":"2026-12-06-reuse","removed":"2026-12-06T11:20:05Z","by":"delete","actor":"cli"}
//! ```
//!
//! Its presence is what counts: a tombstone that cannot be read still keeps its id used.
//! `doctor` reports the history of a session that no longer exists and has no tombstone, or
//! checkpoints left beside a tombstone (`leftover_history`: what an older version's `delete`
//! or a hand left; the order above never does); see `findings`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Store;
use crate::clock;
use crate::error::{Error, Result};
use crate::session::session_file::Location;
use crate::session::session_id::check_file_id;
use crate::store::checkpoint;
use crate::store::event_log;
use crate::workspace::paths::{CHECKPOINTS_REL, EVENTS_REL, TOMBSTONES_REL};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;

/// Version of the tombstone record ([`Tombstone::v`]).
pub const TOMBSTONE_VERSION: u32 = 1;

/// The most bytes a tombstone is read with (one is ~150 bytes).
const MAX_TOMBSTONE_BYTES: u64 = 64 * 1024;

/// The record that keeps a removed session's id used: `state/tombstones/<id>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// Record version, [`TOMBSTONE_VERSION`].
    pub v: u32,
    /// The removed session's id.
    pub session_id: String,
    /// When it was removed, RFC 3339 UTC (seconds).
    pub removed: String,
    /// The command that removed it: `delete` or `cleanup`.
    pub by: String,
    /// Who ran it: `cli`, `mcp`, ... (see [`crate::store::event_log::Actor::name`]).
    pub actor: String,
}

/// Why an id cannot be given to a new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// The active session has it.
    Active,
    /// An archived session has it (`state/archive/<id>.md` exists, whatever it holds).
    Archived,
    /// A removed session's tombstone names it (`removed` and `by` when it could be read).
    Tombstone {
        /// The tombstone file.
        path: PathBuf,
        /// `delete on 2026-12-06T11:20:05Z`, or why it could not be read.
        what: String,
    },
    /// A session that no longer exists left its event log.
    EventLog(PathBuf),
    /// A session that no longer exists left checkpoint files.
    Checkpoints(PathBuf),
}

impl Taken {
    /// In words, for an error message.
    pub fn describe(&self) -> String {
        match self {
            Taken::Active => "this id is already used by the active session".into(),
            Taken::Archived => "this id is already used by an archived session".into(),
            Taken::Tombstone { path, what } => format!(
                "a session with this id was removed ({what}; {}), and an id is used once so that a new session never inherits a removed one's event log and checkpoints",
                path.display()
            ),
            Taken::EventLog(p) => format!(
                "a session that no longer exists left its event log {}, and an id is used once so that a new session never inherits another's history",
                p.display()
            ),
            Taken::Checkpoints(p) => format!(
                "a session that no longer exists left its checkpoints in {}, and an id is used once so that a new session never inherits another's history",
                p.display()
            ),
        }
    }
}

/// `state/tombstones/<id>.json`, relative to the state dir.
///
/// Errors: [`Error::Invalid`] when `id` cannot name a file.
pub fn tombstone_rel(id: &str) -> Result<PathBuf> {
    check_file_id(id)?;
    Ok(Path::new(TOMBSTONES_REL).join(format!("{id}.json")))
}

/// Reads the tombstone of `id` beneath `root`: `Ok(None)` when there is none.
///
/// Errors: [`Error::Corrupt`] when it is not a tombstone; those of reading.
pub fn read(root: &Root, id: &str) -> Result<Option<Tombstone>> {
    let rel = tombstone_rel(id)?;
    let bytes = match root.read_file(&rel, MAX_TOMBSTONE_BYTES, false) {
        Err(e) if e.is_not_found() => return Ok(None),
        other => other?,
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| Error::Corrupt {
            path: root.join(&rel),
            line: Some(e.line()),
            reason: format!("not a tombstone record: {e}"),
        })
}

/// Writes the tombstone of `id` (removed by the command `by`, run by `actor`) beneath `root`
/// with a durable replace (over one a killed removal left). The caller holds the state lock
/// and removes the session's files only after this returns.
///
/// Errors: those of creating `state/tombstones/` and of the durable replace.
pub(super) fn bury(root: &Root, id: &str, by: &str, actor: &str) -> Result<()> {
    let rel = tombstone_rel(id)?;
    root.create_dirs(Path::new(TOMBSTONES_REL))?;
    let record = Tombstone {
        v: TOMBSTONE_VERSION,
        session_id: id.to_string(),
        removed: clock::now_iso(),
        by: by.to_string(),
        actor: actor.to_string(),
    };
    let mut bytes = serde_json::to_vec(&record)
        .map_err(|e| Error::Internal(format!("tombstone does not serialize: {e}")))?;
    bytes.push(b'\n');
    root.replace(&rel, &bytes, durable::STATE_FILE_MODE, true)
        .map_err(crate::Error::from)
}

/// What of `id`'s history is left beneath `root` (a tombstone first, then its event log, then
/// checkpoint files), `None` when nothing is.
///
/// Errors: those of inspecting the files.
pub fn history(root: &Root, id: &str) -> Result<Option<Taken>> {
    let tomb = tombstone_rel(id)?;
    if root.metadata(&tomb)?.is_some() {
        let what = match read(root, id) {
            Ok(Some(t)) => format!("by `{}` on {}", t.by, t.removed),
            Ok(None) => "its tombstone is gone".into(),
            Err(e) => format!("its tombstone cannot be read: {e}"),
        };
        return Ok(Some(Taken::Tombstone {
            path: root.join(tomb),
            what,
        }));
    }
    let log = event_log::log_rel(id)?;
    if root.metadata(&log)?.is_some() {
        return Ok(Some(Taken::EventLog(root.join(log))));
    }
    let folder = Path::new(CHECKPOINTS_REL).join(id);
    if root
        .names(&folder)?
        .iter()
        .any(|n| checkpoint::parse_file_name(n).is_some())
    {
        return Ok(Some(Taken::Checkpoints(root.join(folder))));
    }
    Ok(None)
}

/// Whether the id `id`, held by no session (the caller checked), may be given to a new
/// session: no `state/archive/<id>.md` and no history ([`history`]).
///
/// Errors: those of inspecting the files.
pub(super) fn is_free(root: &Root, id: &str) -> Result<bool> {
    Ok(root.metadata(&super::resolve::archive_rel(id)?)?.is_none() && history(root, id)?.is_none())
}

/// Why `id` cannot be given to a new session beneath `root`, or `None` when it can: a session
/// holds it (the archive's file names count, parsed or not), or it has history ([`history`]).
///
/// Errors: those of listing the sessions and inspecting the files.
pub fn why_taken(root: &Root, id: &str) -> Result<Option<Taken>> {
    if let Some((_, _, location)) = super::resolve::ids_in(root)?
        .into_iter()
        .find(|(t, _, _)| t == id)
    {
        return Ok(Some(match location {
            Location::Active => Taken::Active,
            Location::Archive => Taken::Archived,
        }));
    }
    history(root, id)
}

/// Refuses `id` for a new session when it is taken ([`why_taken`]); `how` says what to do
/// instead (`pick another session_id`, `import it under another id with --as <id>`).
///
/// Errors: [`Error::Refused`] naming the session id, why it is taken and `how`.
pub(super) fn check_new_id(root: &Root, id: &str, how: &str) -> Result<()> {
    match why_taken(root, id)? {
        Some(taken) => Err(Error::refused(id, format!("{}; {how}", taken.describe()))),
        None => Ok(()),
    }
}

/// Refuses `id` for a session `write-state` brings in when a tombstone names it.
///
/// Errors: [`Error::Refused`] naming the tombstone.
pub(super) fn check_not_buried(root: &Root, id: &str) -> Result<()> {
    match history(root, id)? {
        Some(t @ Taken::Tombstone { .. }) => Err(Error::refused(
            id,
            format!(
                "{}; write the session under another session_id",
                t.describe()
            ),
        )),
        _ => Ok(()),
    }
}

impl Store {
    /// Removes session `id`, whose file is `rel` (the caller re-read it under the lock): its
    /// tombstone first, then its checkpoints ([`remove_checkpoints`]), then the file. `by` is
    /// the command (`delete`, `cleanup`). The event log is the caller's to keep or remove.
    /// Returns how many checkpoints were removed.
    ///
    /// Errors: those of the writes and removals; what was done before stays done (the
    /// tombstone first, so the id stays used whatever step fails; the file last, so the
    /// session is either in place or removed).
    pub(super) fn remove_session(
        &self,
        root: &Root,
        id: &str,
        rel: &Path,
        by: &str,
    ) -> Result<usize> {
        bury(root, id, by, &self.actor().name())?;
        let removed = remove_checkpoints(root, id)?;
        root.remove(rel)?;
        Ok(removed)
    }

    /// `base`, or `base-2`, `base-3`, ... : the first id no session holds and no removed
    /// session used (`is_free`).
    ///
    /// Errors: those of listing the sessions and inspecting the files.
    pub(super) fn unique_id(&self, root: &Root, base: &str) -> Result<String> {
        let taken: BTreeSet<String> = super::resolve::ids_in(root)?
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        let mut candidate = base.to_string();
        let mut n = 2u64;
        while taken.contains(&candidate) || !is_free(root, &candidate)? {
            candidate = format!("{base}-{n}");
            n = n.saturating_add(1);
        }
        Ok(candidate)
    }

    /// Refuses the session id a caller gave for a new session (`create_session`'s
    /// `session_id`) when it is taken ([`why_taken`]).
    ///
    /// Errors: [`Error::Refused`] naming why and what to do.
    pub(super) fn check_given_id(&self, root: &Root, id: &str) -> Result<()> {
        let Some(taken) = why_taken(root, id)? else {
            return Ok(());
        };
        let how = match taken {
            Taken::Active | Taken::Archived => "pick another session_id, or resume that session",
            _ => "pick another session_id",
        };
        Err(Error::refused(id, format!("{}; {how}", taken.describe())))
    }
}

/// Removes the checkpoint files of session `id` (each record before its copy, as retention
/// does, so a kill in between leaves an unfinished checkpoint, never a record without its
/// copy), the temp files of writers that are gone, and then the folder if nothing else is in
/// it. A file that is not a checkpoint's is left where it is. Returns how many checkpoints
/// (records or copies) were removed.
///
/// Errors: those of removing the files.
pub(super) fn remove_checkpoints(root: &Root, id: &str) -> Result<usize> {
    let folder = Path::new(CHECKPOINTS_REL).join(id);
    root.sweep_stale_temps(&folder);
    let mut numbers: Vec<(u64, bool)> = root
        .names(&folder)?
        .iter()
        .filter_map(|n| checkpoint::parse_file_name(n))
        .collect();
    // Records (`true`) before copies, by number.
    numbers.sort_by_key(|&(seq, record)| (seq, !record));
    let mut removed = BTreeSet::new();
    for (seq, record) in numbers {
        let rel = if record {
            checkpoint::json_rel(&folder, seq)
        } else {
            checkpoint::md_rel(&folder, seq)
        };
        root.remove(&rel)?;
        removed.insert(seq);
    }
    root.remove_empty_dir(&folder)?;
    Ok(removed.len())
}

/// What `doctor` finds about used ids (`leftover_history`, see the module docs), and with
/// `fix` repairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The checkpoints folder or the event log, relative to the state dir.
    pub path: PathBuf,
    /// What is wrong, in words.
    pub detail: String,
    /// What `fix` did, when it did something.
    pub fixed: Option<String>,
}

/// Examines the ids beneath `root` for `doctor`: `sessions` are the ids the session files hold
/// (readable or not: an archive file's name counts). Reported: an id without a session whose
/// checkpoints are left, or whose event log is left without a tombstone. With `fix` (the
/// caller holds the lock) its tombstone is written and left checkpoints are moved to
/// quarantine (never deleted). A tombstone beside a live session (a removal killed before it
/// removed the file) is not a problem: the id is used anyway.
///
/// Errors: those of listing and of the repairs.
pub(super) fn findings(root: &Root, sessions: &[String], fix: bool) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    for (folder, suffix) in [(TOMBSTONES_REL, ".json"), (EVENTS_REL, ".jsonl")] {
        for name in root.names(Path::new(folder))? {
            if let Some(id) = name.strip_suffix(suffix)
                && !name.starts_with('.')
                && check_file_id(id).is_ok()
            {
                ids.insert(id.to_string());
            }
        }
    }
    for name in root.names(Path::new(CHECKPOINTS_REL))? {
        if check_file_id(&name).is_ok() && !name.starts_with('.') {
            ids.insert(name);
        }
    }
    for id in ids.into_iter().filter(|id| !sessions.contains(id)) {
        let tomb = tombstone_rel(&id)?;
        let buried = root.metadata(&tomb)?.is_some();
        let folder = Path::new(CHECKPOINTS_REL).join(&id);
        let copies = root
            .names(&folder)?
            .iter()
            .filter(|n| checkpoint::parse_file_name(n).is_some())
            .count();
        let log = event_log::log_rel(&id)?;
        let has_log = root.metadata(&log)?.is_some();
        let what = match (buried, has_log, copies) {
            (true, _, 0) | (false, false, 0) => continue,
            (true, _, n) => format!(
                "session {id} was removed, but {n} checkpoint file(s) of it are left in {}",
                folder.display()
            ),
            (false, true, 0) => format!(
                "session {id} no longer exists and has no tombstone; its event log {} keeps the id used",
                log.display()
            ),
            (false, _, n) => format!(
                "session {id} no longer exists and has no tombstone; {n} checkpoint file(s) of it are left in {}",
                folder.display()
            ),
        };
        let path = if copies > 0 { folder.clone() } else { log };
        let mut f = Finding {
            path,
            detail: format!(
                "{what} (doctor --fix writes its tombstone and moves left checkpoints to state/quarantine/)"
            ),
            fixed: None,
        };
        if fix {
            let mut done = Vec::new();
            if !buried {
                bury(root, &id, "doctor --fix", "cli")?;
                done.push(format!("wrote {}", tomb.display()));
            }
            if copies > 0 {
                let to = super::quarantine::quarantine(
                    root,
                    &folder,
                    &format!("checkpoints of session {id}, which no longer exists"),
                )?;
                done.push(format!("moved {} to {}", folder.display(), to.display()));
            }
            f.fixed = Some(done.join("; "));
        }
        out.push(f);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;

    fn root() -> (tempfile::TempDir, Root) {
        let t = tempfile::tempdir().expect("tmp");
        for d in ["state/archive", "state/events", "state/checkpoints/gone"] {
            std::fs::create_dir_all(t.path().join(d)).expect("mkdir");
        }
        let root = Root::open(t.path()).expect("root");
        (t, root)
    }

    #[test]
    fn every_kind_of_history_keeps_an_id_used() {
        let (t, root) = root();
        assert_eq!(why_taken(&root, "fresh").expect("check"), None);
        assert!(is_free(&root, "fresh").expect("free"));
        std::fs::write(t.path().join("state/events/logged.jsonl"), "{}\n").expect("log");
        assert!(matches!(
            why_taken(&root, "logged").expect("check"),
            Some(Taken::EventLog(_))
        ));
        // A foreign file in a checkpoints folder is not a checkpoint; a copy is.
        std::fs::write(t.path().join("state/checkpoints/gone/notes.txt"), "x").expect("w");
        assert_eq!(why_taken(&root, "gone").expect("check"), None);
        std::fs::write(t.path().join("state/checkpoints/gone/3.md"), "x").expect("w");
        assert!(matches!(
            why_taken(&root, "gone").expect("check"),
            Some(Taken::Checkpoints(_))
        ));
        bury(&root, "buried", "delete", "cli").expect("bury");
        let first = read(&root, "buried").expect("read").expect("some");
        assert_eq!((first.by.as_str(), first.v), ("delete", TOMBSTONE_VERSION));
        bury(&root, "buried", "cleanup", "mcp").expect("again");
        let second = read(&root, "buried").expect("read").expect("some");
        assert_eq!(
            (second.by.as_str(), second.actor.as_str()),
            ("cleanup", "mcp"),
            "the last removal"
        );
        let err = check_new_id(&root, "buried", "pick another").expect_err("buried");
        let text = err.to_string();
        assert!(
            text.contains("removed") && text.contains("pick another") && text.contains("cleanup"),
            "{text}"
        );
        assert!(check_not_buried(&root, "buried").is_err());
        assert!(
            check_not_buried(&root, "logged").is_ok(),
            "write-state: log only"
        );
        // An unreadable tombstone still counts.
        std::fs::write(t.path().join("state/tombstones/junk.json"), "not json").expect("w");
        assert!(matches!(
            why_taken(&root, "junk").expect("check"),
            Some(Taken::Tombstone { .. })
        ));
        std::fs::write(t.path().join("state/archive/file.md"), "x").expect("w");
        assert_eq!(
            why_taken(&root, "file").expect("check"),
            Some(Taken::Archived)
        );
    }

    #[test]
    fn checkpoints_are_removed_records_first_and_foreign_files_stay() {
        let (t, root) = root();
        let dir = t.path().join("state/checkpoints/gone");
        for n in ["1.md", "1.json", "2.md", "9.json"] {
            std::fs::write(dir.join(n), "x").expect("w");
        }
        assert_eq!(remove_checkpoints(&root, "gone").expect("remove"), 3);
        assert!(!dir.exists(), "an emptied folder goes");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("1.md"), "x").expect("w");
        std::fs::write(dir.join("keep.txt"), "x").expect("w");
        assert_eq!(remove_checkpoints(&root, "gone").expect("remove"), 1);
        assert!(dir.join("keep.txt").exists());
    }

    #[test]
    fn doctor_findings_and_their_fixes() {
        let (t, root) = root();
        // A live session with a tombstone (a removal killed before the file): not a problem.
        bury(&root, "live", "delete", "cli").expect("bury");
        // Left checkpoints of a removed session without a tombstone.
        std::fs::write(t.path().join("state/checkpoints/gone/1.md"), "x").expect("w");
        // A log without a session or tombstone.
        std::fs::write(t.path().join("state/events/old.jsonl"), "{}\n").expect("log");
        // A removed session whose log is kept: fine.
        bury(&root, "fine", "delete", "cli").expect("bury");
        std::fs::write(t.path().join("state/events/fine.jsonl"), "{}\n").expect("log");
        let found = findings(&root, &["live".into()], false).expect("find");
        let shown: Vec<String> = found.iter().map(|f| f.path.display().to_string()).collect();
        assert_eq!(shown, ["state/checkpoints/gone", "state/events/old.jsonl"]);
        let fixed = findings(&root, &["live".into()], true).expect("fix");
        assert!(fixed.iter().all(|f| f.fixed.is_some()), "{fixed:?}");
        assert!(t.path().join("state/tombstones/live.json").exists());
        assert!(t.path().join("state/tombstones/gone.json").exists());
        assert!(t.path().join("state/tombstones/old.json").exists());
        assert!(t.path().join("state/events/old.jsonl").exists(), "log kept");
        assert!(!t.path().join("state/checkpoints/gone").exists());
        let quarantined = std::fs::read_dir(t.path().join("state/quarantine"))
            .expect("quarantine")
            .count();
        assert_eq!(quarantined, 2, "the folder and its .why");
        assert!(
            findings(&root, &["live".into()], false)
                .expect("again")
                .is_empty()
        );
    }
}
