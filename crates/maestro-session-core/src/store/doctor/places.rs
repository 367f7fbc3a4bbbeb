//! The doctor's checks of the state dir's places: each folder and file where it belongs and of
//! the right kind, the quarantine folder usable, the lock file usable and taken.

use std::path::{Path, PathBuf};

use super::{Doctor, ProblemKind, SETS_ASIDE};
use crate::error::Result;
use crate::store::index;
use crate::workspace::paths::{
    ARCHIVE_REL, CHECKPOINTS_REL, EVENTS_REL, LOCK_REL, OWNER_REL, PLANS_ARCHIVE_REL, PLANS_REL,
    QUARANTINE_REL,
};
use maestro_session_fs::durable;
use maestro_session_fs::lock;

impl Doctor<'_> {
    /// What `rel` is when it is not what it should be: `None` when it is absent or of kind
    /// `want_dir` (a folder, else a regular file) and no symlink.
    pub(super) fn wrong_kind(&self, rel: &Path, want_dir: bool) -> Result<Option<String>> {
        let Some(meta) = self.root.metadata(rel)? else {
            return Ok(None);
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let whither = match self.root.canonical(rel) {
                Ok(Some(p)) => format!("a symlink to {} inside the project", p.display()),
                Ok(None) => "a symlink to nothing".to_string(),
                Err(_) => "a symlink leading outside the project".to_string(),
            };
            return Ok(Some(whither));
        }
        if (want_dir && meta.is_dir()) || (!want_dir && meta.is_file()) {
            return Ok(None);
        }
        Ok(Some(
            durable::DescribeType::describe(&kind)
                .trim_start_matches("not ")
                .to_string(),
        ))
    }

    /// Whether commands can use the folder `rel`: absent, a folder, or a symlink to one inside
    /// the project. One they cannot use is reported by [`Doctor::places`], and the checks of
    /// its contents skip it.
    pub(super) fn usable_folder(&self, rel: &Path) -> Result<bool> {
        Ok(match self.root.metadata(rel)? {
            None => true,
            Some(meta) if meta.is_dir() => true,
            Some(meta) if meta.file_type().is_symlink() => self
                .root
                .canonical(rel)
                .ok()
                .flatten()
                .is_some_and(|_| self.root.names(rel).is_ok()),
            Some(_) => false,
        })
    }

    /// `state/quarantine`: a real folder, or nothing can be set aside. `--fix` renames what is
    /// there aside to `state/quarantine-set-aside-<time>` (one rename; a symlink's target is
    /// not touched), so the next set-aside makes a new folder.
    pub(super) fn quarantine_place(&mut self) -> Result<()> {
        let rel = Path::new(QUARANTINE_REL);
        let Some(what) = self.wrong_kind(rel, true)? else {
            return Ok(());
        };
        self.found(
            ProblemKind::UnusablePlace,
            rel,
            format!("{QUARANTINE_REL} is {what}, not a folder: nothing can be set aside in it"),
            format!(
                "--fix renames it to {QUARANTINE_REL}-set-aside-<time> (a symlink's target is not touched) and makes a new folder"
            ),
        );
        if self.fix {
            let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ");
            let to = PathBuf::from(format!("{QUARANTINE_REL}-set-aside-{stamp}"));
            match self.root.rename(rel, &to, false) {
                Ok(()) => self.repaired(
                    ProblemKind::UnusablePlace,
                    rel,
                    format!(
                        "renamed to {}; remove it when you no longer need it",
                        to.display()
                    ),
                ),
                Err(e) => self.failed(
                    ProblemKind::UnusablePlace,
                    rel,
                    format!("could not rename it: {e}"),
                    format!("rename or remove {QUARANTINE_REL} by hand"),
                ),
            }
        }
        Ok(())
    }

    pub(super) fn lock_usable(&mut self) -> Result<bool> {
        let rel = Path::new(LOCK_REL);
        let Some(what) = self.wrong_kind(rel, false)? else {
            return Ok(true);
        };
        self.found(
            ProblemKind::UnusableLock,
            rel,
            format!("the lock is {what}, not a regular file"),
            SETS_ASIDE,
        );
        if self.fix {
            return Ok(self.quarantine(
                ProblemKind::UnusableLock,
                rel,
                &format!("the lock was {what}"),
            ));
        }
        Ok(false)
    }

    /// The state dir's lock; when `--fix` cannot take it, nothing is repaired (listed in
    /// `unrepaired`) and doctor goes on reading: each file is replaced atomically.
    pub(super) fn take_lock(&mut self, timeout: std::time::Duration) -> Option<lock::LockGuard> {
        match self.root.lock_file(Path::new(LOCK_REL), timeout) {
            Ok(guard) => Some(guard),
            Err(e) => {
                if self.fix {
                    self.failed(
                        ProblemKind::Unexamined,
                        LOCK_REL,
                        format!("could not take the lock, so nothing was repaired: {e}"),
                        "run doctor --fix again when the lock is free",
                    );
                    self.fix = false;
                }
                None
            }
        }
    }

    /// The folders and files the tools own, and the session folders (see the module docs).
    pub(super) fn places(&mut self) {
        for (folder, what) in [(EVENTS_REL, "event logs"), (CHECKPOINTS_REL, "checkpoints")] {
            self.examine(folder, |d| d.owned_place(Path::new(folder), true, what));
        }
        for file in [
            OWNER_REL,
            index::INDEX_REL,
            index::LEGACY_INDEX_REL,
            crate::store::search::SEARCH_INDEX_REL,
        ] {
            self.examine(file, |d| {
                d.owned_place(Path::new(file), false, "a cache or record")
            });
        }
        for folder in [ARCHIVE_REL, PLANS_REL, PLANS_ARCHIVE_REL] {
            self.examine(folder, |d| d.session_place(Path::new(folder)));
        }
        self.examine("the event logs", |d| {
            if !d.usable_folder(Path::new(EVENTS_REL))? {
                return Ok(());
            }
            for name in d.root.names(Path::new(EVENTS_REL))? {
                if name.ends_with(".jsonl") && !name.starts_with('.') {
                    let rel = Path::new(EVENTS_REL).join(&name);
                    d.owned_place(&rel, false, "an event log")?;
                }
            }
            Ok(())
        });
        self.examine("the checkpoint folders", |d| {
            if !d.usable_folder(Path::new(CHECKPOINTS_REL))? {
                return Ok(());
            }
            for name in d.root.names(Path::new(CHECKPOINTS_REL))? {
                let rel = Path::new(CHECKPOINTS_REL).join(&name);
                if name.starts_with('.') {
                    continue;
                }
                d.owned_place(&rel, true, "a session's checkpoints")?;
                if d.wrong_kind(&rel, true)?.is_some() {
                    continue;
                }
                for file in d.root.names(&rel)? {
                    let plain = !file.starts_with('.')
                        && (file.ends_with(".md") || file.ends_with(".json"));
                    if plain {
                        d.owned_place(&rel.join(&file), false, "a checkpoint")?;
                    }
                }
            }
            Ok(())
        });
    }

    /// A place the tools own: reported when it is of the wrong kind; `--fix` moves it (the
    /// entry itself, never a symlink's target) to quarantine.
    pub(super) fn owned_place(&mut self, rel: &Path, want_dir: bool, holds: &str) -> Result<()> {
        let Some(what) = self.wrong_kind(rel, want_dir)? else {
            return Ok(());
        };
        let should = if want_dir {
            "a folder"
        } else {
            "a regular file"
        };
        let detail = format!(
            "{} ({holds}) is {what}, not {should}; commands refuse it or cannot use it",
            rel.display()
        );
        self.found(
            ProblemKind::UnusablePlace,
            rel,
            detail.clone(),
            format!("{SETS_ASIDE} (a symlink is moved, its target is not touched); the next command makes a new one"),
        );
        if self.fix {
            self.quarantine(ProblemKind::UnusablePlace, rel, &detail);
        }
        Ok(())
    }

    /// A folder of session data: reported when commands cannot use it; never moved (the
    /// sessions in it are the person's to put back).
    pub(super) fn session_place(&mut self, rel: &Path) -> Result<()> {
        let Some(what) = self.wrong_kind(rel, true)? else {
            return Ok(());
        };
        if what.contains("inside the project") {
            return Ok(());
        }
        self.found(
            ProblemKind::UnusablePlace,
            rel,
            format!("{} is {what}, not a folder", rel.display()),
            format!(
                "--fix does not move session data: replace {} with a folder holding its files",
                rel.display()
            ),
        );
        if self.fix {
            self.failed(
                ProblemKind::UnusablePlace,
                rel,
                format!("{} is {what}", rel.display()),
                format!("replace {} with a folder holding its files", rel.display()),
            );
        }
        Ok(())
    }
}
