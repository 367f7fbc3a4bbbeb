//! Which runtime process owns the active session, and whether it went away without a
//! SessionEnd: an interrupted run (issue 11).
//!
//! The SessionStart hook records the owner in `<state dir>/state/owner.json`
//! ([`OWNER_REL`]), written with the durable replace beneath the state dir; the SessionEnd hook
//! removes it when it names the same process. The file:
//!
//! ```json
//! {"v":1,"session_id":"<runtime session id>","runtime":"claude"|"codex"|"gemini",
//!  "pid":4242,"start_ticks":987654,"boot_id":"<uuid>","since":"2026-12-01T19:44:47Z",
//!  "maestro_session_id":"2026-12-01-add-auth"}
//! ```
//!
//! `start_ticks` is the process's start time and `boot_id` names the boot, so neither a reused
//! pid nor a reboot is mistaken for the owner. Each platform reads them where its kernel keeps
//! them ([`maestro_session_fs::process`]): on Linux field 22 of `/proc/<pid>/stat` (clock
//! ticks since boot) and `/proc/sys/kernel/random/boot_id`; on macOS (`proc_pidinfo`) and
//! Windows (`GetProcessTimes`) a wall-clock start instant, which needs no boot id (empty). [`interrupted`] is the one place that decides.
//!
//! The record is bound to the session it ran (issue 15, case 22: after a runtime died and its
//! session was archived, a brand-new session was reported interrupted by the dead runtime):
//! `maestro_session_id` is the active session's id when SessionStart ran, and only that
//! session can be reported interrupted by this record ([`Owner::ran`]). A record written before
//! the field existed ran the active session only if it was recorded no earlier than the
//! session was created. A session created or resumed while the runtime runs (by an MCP tool)
//! is bound at the runtime's next SessionStart; until then its run is not known, which is
//! never reported as interrupted.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::clock;
use crate::error::{Error, Result};
use crate::session::lifecycle::SessionStatus;
use crate::session::model::SessionMetadata;
use crate::store::Store;
use crate::workspace::paths::OWNER_REL;
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;
use maestro_session_fs::process;
use maestro_session_fs::reader::ReadKind;

/// The version of the owner file's shape this code writes and reads.
pub const OWNER_VERSION: u32 = 1;

/// The runtime process that owns the active session: the contents of `state/owner.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Owner {
    /// Shape version, [`OWNER_VERSION`].
    pub v: u32,
    /// The runtime's session id (the hook payload's `session_id`).
    pub session_id: String,
    /// `claude`, `codex` or `gemini`.
    pub runtime: String,
    /// The runtime process's id.
    pub pid: u32,
    /// Its start time in the platform's unit: Linux clock ticks since boot (`/proc/<pid>/stat`
    /// field 22), macOS µs since the Unix epoch, Windows 100-ns intervals since 1601.
    pub start_ticks: u64,
    /// The boot it ran in (Linux `/proc/sys/kernel/random/boot_id`; empty on macOS and
    /// Windows).
    pub boot_id: String,
    /// When it was recorded, RFC 3339 UTC.
    pub since: String,
    /// The id of the session it ran: the active session when SessionStart recorded it
    /// (`None` in a record written before the field existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maestro_session_id: Option<String>,
}

/// Why a recorded owner is no longer running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Gone {
    /// The machine was rebooted since (another boot id).
    Rebooted,
    /// No process has the pid.
    Exited,
    /// The pid belongs to a later process (another start time).
    PidReused,
}

impl Gone {
    /// In words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Gone::Rebooted => "the machine was rebooted since",
            Gone::Exited => "the process has exited",
            Gone::PidReused => "the process has exited (its pid now names another process)",
        }
    }
}

impl Owner {
    /// Whether this owner is still running: `None` when it is, else why not.
    ///
    /// Errors: [`Error::Io`] when the processes cannot be read.
    pub fn gone(&self) -> Result<Option<Gone>> {
        if process::boot_id()? != self.boot_id {
            return Ok(Some(Gone::Rebooted));
        }
        Ok(match process::stat(self.pid)? {
            None => Some(Gone::Exited),
            Some(p) if p.start_ticks != self.start_ticks => Some(Gone::PidReused),
            Some(_) => None,
        })
    }

    /// Whether this record is about the run of `session`: its `maestro_session_id` is
    /// `session`'s id, or (a record without one) it was recorded no earlier than `session` was
    /// created.
    pub fn ran(&self, session: &SessionMetadata) -> bool {
        match &self.maestro_session_id {
            Some(id) => *id == session.session_id,
            None => matches!(
                (clock::parse_iso(&self.since), clock::parse_iso(&session.created)),
                (Some(since), Some(created)) if since >= created
            ),
        }
    }

    /// Whether `other` names the same process (pid, start time and boot).
    pub fn same_process(&self, other: &Owner) -> bool {
        (self.pid, self.start_ticks, &self.boot_id)
            == (other.pid, other.start_ticks, &other.boot_id)
    }
}

/// An in-progress active session whose owner went away without a SessionEnd.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Interrupted {
    /// The active session's id.
    pub session_id: String,
    /// The owner recorded at SessionStart.
    pub owner: Owner,
    /// Why it is no longer running.
    pub why: Gone,
}

impl Interrupted {
    /// One sentence for people: what happened and what to do.
    pub fn describe(&self) -> String {
        format!(
            "interrupted: the {} process {} that ran session {} (since {}) ended without a \
             SessionEnd ({}); continue with `maestro-session resume {}` in a new run, or pause \
             or cancel it",
            self.owner.runtime,
            self.owner.pid,
            self.session_id,
            self.owner.since,
            self.why.describe(),
            self.session_id
        )
    }
}

/// Reads the owner file beneath `root`: `Ok(None)` when there is none.
///
/// Errors: [`Error::Io`] / [`Error::NotRegular`] / [`Error::TooLarge`] when it cannot be read,
/// [`Error::Corrupt`] when it is not an owner record.
pub fn read(root: &Root) -> Result<Option<Owner>> {
    let rel = Path::new(OWNER_REL);
    let bytes = match root.read_file(rel, ReadKind::OWNER, false) {
        Err(e) if e.is_not_found() => return Ok(None),
        other => other?,
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| Error::Corrupt {
            path: root.join(rel),
            line: Some(e.line()),
            reason: format!("not an owner record: {e}"),
        })
}

/// Records `owner` beneath `root` with a durable replace, unless the file already names the
/// same process for the same runtime session (then nothing is written, so a repeated
/// SessionStart costs no fsync). Returns whether it wrote.
///
/// Errors: [`Error::Io`] when the file cannot be written.
pub fn record(root: &Root, owner: &Owner) -> Result<bool> {
    if let Ok(Some(old)) = read(root)
        && old.same_process(owner)
        && old.session_id == owner.session_id
        && old.maestro_session_id == owner.maestro_session_id
    {
        return Ok(false);
    }
    let mut bytes = serde_json::to_vec(owner)
        .map_err(|e| Error::Internal(format!("owner record does not serialize: {e}")))?;
    bytes.push(b'\n');
    root.replace(Path::new(OWNER_REL), &bytes, durable::STATE_FILE_MODE, true)?;
    Ok(true)
}

/// Removes the owner file beneath `root` when it names `owner`'s process (another run's record
/// is left alone). Returns whether it removed it.
///
/// Errors: [`Error::Io`] when it cannot be removed; an unreadable record is left in place.
pub fn clear(root: &Root, owner: &Owner) -> Result<bool> {
    match read(root)? {
        Some(old) if old.same_process(owner) => {
            root.remove(Path::new(OWNER_REL))?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

impl Store {
    /// The recorded owner of the active session, if any.
    ///
    /// Errors: as [`read`].
    pub fn owner(&self) -> Result<Option<Owner>> {
        match self.reader()? {
            Some(root) => read(&root),
            None => Ok(None),
        }
    }
}

/// Whether the active session's run was interrupted: the active session is `in_progress`, an
/// owner is recorded for its run ([`Owner::ran`]) and that process is gone (another boot, no
/// such pid, or another start time). No owner file, or one about another session's run, means
/// unknown, which is not interrupted.
///
/// Errors: the active session or the owner file cannot be read, or the processes cannot.
pub fn interrupted(store: &Store) -> Result<Option<Interrupted>> {
    match store.reader()? {
        Some(root) => interrupted_in(&root),
        None => Ok(None),
    }
}

/// [`interrupted`] for the state dir `root` as it is (no pending move is completed first; for
/// `doctor`, which holds the lock).
pub fn interrupted_in(root: &Root) -> Result<Option<Interrupted>> {
    let Some(owner) = read(root)? else {
        return Ok(None);
    };
    let Some(active) = super::resolve::active_in(root)? else {
        return Ok(None);
    };
    if active.meta.status != SessionStatus::InProgress || !owner.ran(&active.meta) {
        return Ok(None);
    }
    Ok(owner.gone()?.map(|why| Interrupted {
        session_id: active.meta.session_id.clone(),
        owner,
        why,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Owner {
        let p = process::stat(std::process::id())
            .expect("read")
            .expect("running");
        Owner {
            v: OWNER_VERSION,
            session_id: "s".into(),
            runtime: "claude".into(),
            pid: p.pid,
            start_ticks: p.start_ticks,
            boot_id: process::boot_id().expect("boot id"),
            since: "2026-12-01T00:00:00Z".into(),
            maestro_session_id: Some("m".into()),
        }
    }

    #[test]
    fn a_record_is_about_the_session_it_ran_only() {
        let owner = me();
        let mut session = SessionMetadata {
            session_id: "m".into(),
            created: "2026-12-02T00:00:00Z".into(),
            ..SessionMetadata::default()
        };
        assert!(owner.ran(&session), "bound by id, whatever the times");
        session.session_id = "new".into();
        assert!(!owner.ran(&session), "another session");
        let legacy = Owner {
            maestro_session_id: None,
            ..owner
        };
        assert!(!legacy.ran(&session), "recorded before the session existed");
        session.created = "2026-11-30T00:00:00Z".into();
        assert!(legacy.ran(&session), "recorded while it existed");
        session.created = "garbage".into();
        assert!(!legacy.ran(&session), "unknown is not interrupted");
        // A record without the field reads.
        let old: Owner = serde_json::from_str(
            r#"{"v":1,"session_id":"s","runtime":"claude","pid":1,"start_ticks":2,"boot_id":"b","since":"2026-12-01T00:00:00Z"}"#,
        )
        .expect("legacy record");
        assert_eq!(old.maestro_session_id, None);
    }

    #[test]
    fn a_running_owner_is_not_gone_and_each_change_is_noticed() {
        let owner = me();
        assert_eq!(owner.gone().expect("proc"), None);
        let reused = Owner {
            start_ticks: owner.start_ticks + 1,
            ..owner.clone()
        };
        assert_eq!(reused.gone().expect("proc"), Some(Gone::PidReused));
        let rebooted = Owner {
            boot_id: "another-boot".into(),
            ..owner.clone()
        };
        assert_eq!(rebooted.gone().expect("proc"), Some(Gone::Rebooted));
        let exited = Owner {
            pid: u32::MAX - 1,
            ..owner
        };
        assert_eq!(exited.gone().expect("proc"), Some(Gone::Exited));
    }

    #[test]
    fn record_writes_once_and_clear_removes_only_its_own() {
        let t = tempfile::tempdir().expect("tmp");
        durable::create_dirs(&t.path().join("state")).expect("mkdir");
        let root = Root::open(t.path()).expect("root");
        let owner = me();
        assert!(record(&root, &owner).expect("write"));
        assert!(!record(&root, &owner).expect("same"), "unchanged: no write");
        assert_eq!(read(&root).expect("read"), Some(owner.clone()));
        let other = Owner {
            pid: owner.pid + 1,
            ..owner.clone()
        };
        assert!(
            !clear(&root, &other).expect("clear"),
            "another process's record stays"
        );
        assert!(clear(&root, &owner).expect("clear"));
        assert_eq!(read(&root).expect("read"), None);
    }
}
