//! The state dir opened for reading, or created and locked for a change (pending moves
//! completed and stale temp files swept first).

use std::path::{Path, PathBuf};

use super::{Store, event_log, intent};
use crate::error::{Error, Result};
use crate::workspace::paths::{ARCHIVE_REL, LOCK_REL, PLANS_ARCHIVE_REL};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::lock::LockGuard;

/// The state dir opened for a change: created if missing, locked, pending moves completed.
pub(super) struct Locked {
    pub(super) root: Root,
    /// The lock; `None` only for `doctor --fix` when the lock file itself was unusable (it
    /// repairs without the lock then, as it always did).
    pub(super) _guard: Option<LockGuard>,
    /// Declared after the guard: dropped after the lock is released (see its type).
    pub(super) logs: event_log::PendingSyncs,
}

impl Store {
    /// How long [`Store::locked`] waits for the lock.
    pub(super) fn lock_timeout(&self) -> Result<std::time::Duration> {
        let configured = self.env.lock_timeout()?;
        Ok(self.lock_wait.map_or(configured, |w| w.min(configured)))
    }

    /// Creates `state/`, `state/archive/`, `plans/`, `plans/archive/` beneath the project
    /// (a symlink leading out of it is refused) and completes any interrupted move. Returns
    /// the state dir.
    pub fn init(&self) -> Result<PathBuf> {
        self.locked_created()?;
        Ok(self.ws.state_dir.clone())
    }

    /// The state dir, created with its layout when missing.
    pub(super) fn open_created(&self) -> Result<Root> {
        let root = self.ws.open_state_dir(true)?.ok_or_else(|| {
            Error::io(
                "open folder",
                &self.ws.state_dir,
                std::io::ErrorKind::NotFound.into(),
            )
        })?;
        for sub in [ARCHIVE_REL, PLANS_ARCHIVE_REL] {
            root.create_dirs(Path::new(sub))?;
        }
        Ok(root)
    }

    /// The state dir opened for a change to what it holds: [`Error::NotFound`] naming it when
    /// it does not exist (nothing is created: a command that changes a session, in a folder
    /// where none was ever recorded, fails and leaves no `docs/maestro/` behind).
    pub(super) fn locked(&self) -> Result<Locked> {
        self.locked_existing()?.ok_or_else(|| Error::NotFound {
            what: format!(
                "state dir {} (no session was recorded in this project yet; `maestro-session create` starts one)",
                self.ws.state_dir.display()
            ),
        })
    }

    /// [`Store::locked`], `None` when the state dir does not exist.
    pub(super) fn locked_existing(&self) -> Result<Option<Locked>> {
        if self.ws.open_state_dir(false)?.is_none() {
            return Ok(None);
        }
        self.locked_created().map(Some)
    }

    /// Opens (creating) and locks the state dir, then completes interrupted moves and removes
    /// the temp files killed writers left in its folders. Only for what makes a session
    /// (`create`, `import`, `write-state`, `init`, and Maestro's design gate, which comes
    /// before `create_session`).
    pub(super) fn locked_created(&self) -> Result<Locked> {
        let root = self.open_created()?;
        let guard = root.lock_file(Path::new(LOCK_REL), self.lock_timeout()?)?;
        intent::recover(&root)?;
        for folder in ["state", ARCHIVE_REL, intent::INTENTS_REL] {
            root.sweep_stale_temps(Path::new(folder));
        }
        Ok(Locked {
            root,
            _guard: Some(guard),
            logs: event_log::PendingSyncs::default(),
        })
    }

    /// The state dir for reading, `None` when it does not exist. When a move is pending, it is
    /// completed first (under the lock) so a listing never shows a session twice; if that
    /// fails (a read-only state dir, a corrupt record), reading goes on and `doctor` reports it.
    pub(super) fn reader(&self) -> Result<Option<Root>> {
        let Some(root) = self.ws.open_state_dir(false)? else {
            return Ok(None);
        };
        if intent::any_pending(&root) {
            let _completed_or_reported_by_doctor = self.locked();
        }
        Ok(Some(root))
    }
}
