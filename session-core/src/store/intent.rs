//! Multi-step moves that cannot half-happen (DESIGN 3).
//!
//! A move of sessions between the active slot and the archive (archive, resume, park, fork,
//! create over a finished session) touches several files. Before the first of them changes,
//! the whole move is written as one intent record, `state/intents/<nanos>-<op>-<session>.json`
//! (a durable replace, so it exists whole or not at all). Its steps are idempotent and carry
//! everything they need (the exact bytes of each session file to write), so the move is
//! completed by replaying them; the record is removed last. Every command that changes the
//! state dir replays pending records first, under the lock ([`recover`]), and so do listings
//! that find one, so a kill at any step leaves each session in exactly one place once the next
//! command runs.
//!
//! Steps:
//! - `move`: a plan document from `plans/` to `plans/archive/`, never over an existing file
//!   (`RENAME_NOREPLACE`); done when the source is gone and the target exists.
//! - `copy`: a plan document is copied (a fork's own copy); done when the copy exists.
//! - `write`: a session file gets exactly these bytes (durable replace).
//! - `remove`: a session file is removed if it still holds that session; a file holding
//!   anything else (another session, unparsable bytes) is left alone.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fs::beneath::Root;
use crate::fs::durable;
use crate::fs::reader::ReadKind;
use crate::session::session_file::{Location, SessionFile};

/// The folder of pending intent records, relative to the state dir.
pub const INTENTS_REL: &str = "state/intents";

/// Version of the record format.
pub const VERSION: u32 = 1;

/// The most bytes one record may hold: it carries at most a few session files.
pub const MAX_INTENT_BYTES: u64 = ReadKind::INTENT.cap;

/// One multi-step move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    /// Record format version ([`VERSION`]).
    pub version: u32,
    /// The command that started it (`archive`, `resume`, `create`, `fork`, `write-state`).
    pub op: String,
    /// The session the command was about.
    pub session_id: String,
    /// When it was written, ISO 8601 UTC.
    pub created: String,
    /// What to do, in order.
    pub steps: Vec<Step>,
}

/// One idempotent step of an [`Intent`]; paths are relative to the state dir.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Move a plan document; never replaces an existing file.
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
    /// Durably write a session file with exactly `content`.
    Write {
        /// The session file.
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
        }
    }

    /// One line saying what the move was, for reports.
    pub fn describe(&self) -> String {
        format!(
            "{} of session {} started {} ({} steps)",
            self.op,
            self.session_id,
            self.created,
            self.steps.len()
        )
    }
}

/// Carries out `intent` in the state dir `root` (whose lock the caller holds): writes its
/// record, applies its steps, removes the record. A single-step intent needs no record (each
/// step is atomic on its own) and is applied directly.
///
/// Errors: those of the file operations; the record stays, so the next command completes the
/// move. Returns notes about steps that found nothing to do in an unexpected way.
pub fn run(root: &Root, intent: &Intent) -> Result<Vec<String>> {
    if intent.steps.len() <= 1 {
        return apply(root, intent);
    }
    root.create_dirs(Path::new(INTENTS_REL))?;
    let name = record_name(intent);
    let rel = Path::new(INTENTS_REL).join(&name);
    let bytes = serde_json::to_vec(intent)
        .map_err(|e| Error::Invalid(format!("cannot encode intent record: {e}")))?;
    root.replace(&rel, &bytes, durable::STATE_FILE_MODE, true)?;
    let notes = apply(root, intent)?;
    root.remove(&rel)?;
    Ok(notes)
}

fn record_name(intent: &Intent) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{nanos:020}-{}-{}.json", intent.op, intent.session_id)
}

/// The pending records in `root`, oldest first: (record path relative to the state dir, the
/// record or why it cannot be read).
pub fn pending(root: &Root) -> Result<Vec<(String, Result<Intent>)>> {
    let mut out = Vec::new();
    for name in root.names(Path::new(INTENTS_REL))? {
        if name.starts_with('.') || !name.ends_with(".json") {
            continue;
        }
        let rel = format!("{INTENTS_REL}/{name}");
        let parsed = root
            .read_file(Path::new(&rel), ReadKind::INTENT, false)
            .and_then(|bytes| {
                serde_json::from_slice::<Intent>(&bytes).map_err(|e| Error::Corrupt {
                    path: root.join(&rel),
                    line: Some(e.line()),
                    reason: format!("intent record does not parse: {e}"),
                })
            });
        out.push((rel, parsed));
    }
    Ok(out)
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

/// Completes every pending move in `root` (the caller holds the lock), oldest first, and
/// removes its record. Returns what was completed, one line each.
///
/// Errors: [`Error::Corrupt`] for a record that does not parse (it is left in place; `doctor
/// --fix` moves it to quarantine), or those of the file operations.
pub fn recover(root: &Root) -> Result<Vec<String>> {
    let mut done = Vec::new();
    for (rel, parsed) in pending(root)? {
        let intent = parsed.map_err(|e| match e {
            Error::Corrupt { path, line, reason } => Error::Corrupt {
                path,
                line,
                reason: format!(
                    "{reason}; run `maestro-session doctor --fix` to move it to state/quarantine/"
                ),
            },
            other => other,
        })?;
        done.extend(complete(root, &rel, &intent)?);
    }
    Ok(done)
}

/// Completes the pending move `intent` whose record is `rel` (relative to the state dir) and
/// removes the record; the caller holds the lock. Returns what was done, one line each.
pub fn complete(root: &Root, rel: &str, intent: &Intent) -> Result<Vec<String>> {
    let mut done = vec![format!("completed the interrupted {}", intent.describe())];
    done.extend(apply(root, intent)?);
    root.remove(Path::new(rel))?;
    Ok(done)
}

/// Applies the steps of `intent`, each idempotently; see the module docs.
fn apply(root: &Root, intent: &Intent) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    for step in &intent.steps {
        match step {
            Step::Move { from, to } => {
                let (from, to) = (Path::new(from), Path::new(to));
                let from_there = root.metadata(from)?.is_some();
                let to_there = root.metadata(to)?.is_some();
                match (from_there, to_there) {
                    (true, false) => root.rename(from, to, false)?,
                    (false, true) => {}
                    (false, false) => notes.push(format!(
                        "plan document {} was already gone; nothing moved",
                        from.display()
                    )),
                    (true, true) => notes.push(format!(
                        "both {} and {} exist; both kept",
                        from.display(),
                        to.display()
                    )),
                }
            }
            Step::Copy { from, to } => {
                let (from, to) = (Path::new(from), Path::new(to));
                if root.metadata(to)?.is_some() {
                    continue;
                }
                match root.read_file(from, ReadKind::SESSION, false) {
                    Ok(bytes) => root.replace(to, &bytes, durable::STATE_FILE_MODE, true)?,
                    Err(e) => notes.push(format!("{} not copied: {e}", from.display())),
                }
            }
            Step::Write { path, content } => {
                root.replace(
                    Path::new(path),
                    content.as_bytes(),
                    durable::STATE_FILE_MODE,
                    true,
                )?;
            }
            Step::Remove { path, session_id } => {
                let rel = Path::new(path);
                match SessionFile::read_in(root, rel, Location::Archive) {
                    Ok(s) if s.id() == session_id => root.remove(rel)?,
                    Ok(s) => notes.push(format!(
                        "{path} holds session {} instead of {session_id}; kept",
                        s.id()
                    )),
                    Err(e) if e.is_not_found() => {}
                    Err(e) => notes.push(format!("{path} kept: {e}")),
                }
            }
        }
    }
    Ok(notes)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;

    fn session(id: &str) -> String {
        format!("---\nsession_id: \"{id}\"\nstatus: \"completed\"\n---\nbody\n")
    }

    fn world() -> (tempfile::TempDir, Root) {
        let t = tempfile::tempdir().expect("tmp");
        for d in ["state/archive", "plans/archive"] {
            std::fs::create_dir_all(t.path().join(d)).expect("mkdir");
        }
        let root = Root::open(t.path()).expect("root");
        (t, root)
    }

    fn archive_intent() -> Intent {
        Intent::new(
            "archive",
            "s1",
            vec![
                Step::Move {
                    from: "plans/d.md".into(),
                    to: "plans/archive/s1--d.md".into(),
                },
                Step::Write {
                    path: "state/archive/s1.md".into(),
                    content: session("s1"),
                },
                Step::Remove {
                    path: "state/active-session.md".into(),
                    session_id: "s1".into(),
                },
            ],
        )
    }

    /// A crash after each possible number of mutations, then recovery: the move is either
    /// complete or (killed before its record was durable) not begun, never half done; and the
    /// record is gone.
    #[test]
    fn a_crash_at_any_step_is_completed_by_recovery() {
        let mut completed_by_recovery = 0;
        for crash_at in 0..8 {
            let (t, root) = world();
            let active = t.path().join("state/active-session.md");
            std::fs::write(t.path().join("plans/d.md"), "design").expect("write");
            std::fs::write(&active, session("s1")).expect("write");
            durable::fault::arm(crash_at);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run(&root, &archive_intent())
            }));
            let crashed = !durable::fault::disarm();
            assert_eq!(crashed, result.is_err(), "step {crash_at}");
            let recovered = recover(&root).expect("recover");
            completed_by_recovery += usize::from(!recovered.is_empty());
            assert!(pending(&root).expect("pending").is_empty(), "{crash_at}");
            let untouched = active.exists()
                && t.path().join("plans/d.md").exists()
                && !t.path().join("state/archive/s1.md").exists()
                && !t.path().join("plans/archive/s1--d.md").exists();
            let complete = !active.exists()
                && !t.path().join("plans/d.md").exists()
                && std::fs::read_to_string(t.path().join("plans/archive/s1--d.md"))
                    .is_ok_and(|d| d == "design")
                && std::fs::read_to_string(t.path().join("state/archive/s1.md"))
                    .is_ok_and(|s| s == session("s1"));
            assert!(
                untouched != complete,
                "half done after a crash at step {crash_at}"
            );
            assert!(
                complete || crash_at == 0,
                "only a crash before the record undoes"
            );
        }
        assert!(completed_by_recovery >= 3, "{completed_by_recovery}");
    }

    #[test]
    fn remove_keeps_a_file_holding_another_session_and_move_never_overwrites() {
        let (t, root) = world();
        std::fs::write(t.path().join("state/active-session.md"), session("other")).expect("write");
        std::fs::write(t.path().join("plans/d.md"), "new").expect("write");
        std::fs::write(t.path().join("plans/archive/s1--d.md"), "old").expect("write");
        let notes = run(&root, &archive_intent()).expect("run");
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert_eq!(
            std::fs::read_to_string(t.path().join("state/active-session.md")).expect("read"),
            session("other")
        );
        assert_eq!(
            std::fs::read_to_string(t.path().join("plans/archive/s1--d.md")).expect("read"),
            "old"
        );
        assert!(t.path().join("plans/d.md").exists());
    }

    #[test]
    fn a_corrupt_record_stops_recovery_naming_doctor() {
        let (t, root) = world();
        std::fs::create_dir_all(t.path().join(INTENTS_REL)).expect("mkdir");
        std::fs::write(t.path().join(INTENTS_REL).join("1-x-y.json"), "{").expect("write");
        let err = recover(&root).expect_err("corrupt");
        assert!(err.to_string().contains("doctor --fix"), "{err}");
        assert!(any_pending(&root));
    }
}
