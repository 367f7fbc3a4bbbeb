//! The Store's side of checkpoints: taking them under the lock before each change, listing,
//! restoring and diffing. The files themselves (names, records, retention) are
//! [`super::format`], which knows nothing of the store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::format::*;
use crate::clock;
use crate::error::{Error, Result};
use crate::operations::{self, Operation};
use crate::session::session_file::{Location, SessionFile};
use crate::store::Store;
use crate::store::lock::Locked;
use crate::store::resolve::{archive_rel, get_in, resolve_in};
use crate::workspace::dotenv;
use crate::workspace::paths::ACTIVE_REL;
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;
use maestro_session_fs::reader::ReadKind;

impl Store {
    /// How many automatic checkpoints each session keeps: [`KEEP_VAR`] from the environment,
    /// else from the project's `.env`, else [`DEFAULT_KEEP`].
    ///
    /// Errors: [`Error::Invalid`] (a usage error) naming the setting and its value when it is
    /// not a whole number from 1 to [`MAX_KEEP`].
    pub fn checkpoints_keep(&self) -> Result<usize> {
        let dotenv_path = self.ws.project_root.join(".env");
        // A value from the environment is quoted (the caller typed it); one from `.env` is
        // named by file and line only: errors quote no file content.
        let (raw, source) = match self.env.get(KEEP_VAR) {
            Some(v) => {
                let shown = format!(
                    "environment variable {KEEP_VAR}={:?}",
                    v.chars().take(40).collect::<String>()
                );
                (v, shown)
            }
            None => match dotenv::setting(&dotenv_path, KEEP_VAR)? {
                Some(s) => (s.value.clone(), format!("the value of {s}")),
                None => return Ok(DEFAULT_KEEP),
            },
        };
        match raw.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_KEEP).contains(&n) => Ok(n),
            _ => Err(Error::Invalid(format!(
                "{source} is not a valid number of automatic checkpoints to keep per session; give a whole number from 1 to {MAX_KEEP}"
            ))),
        }
    }

    /// The automatic checkpoint `resume` takes, under its lock, before it changes anything.
    ///
    /// Errors: those of [`Store::checkpoint_before`].
    pub(in crate::store) fn checkpoint_before_resume(
        &self,
        l: &Locked,
        session: &SessionFile,
        rel: &Path,
    ) -> Result<()> {
        self.checkpoint_before(l, session, rel, Reason::Resume)
            .map(|_| ())
    }

    /// Takes an automatic checkpoint of `session` (read from `rel`, state-dir relative) for
    /// `reason`, then applies retention. The one entry point of every automatic checkpoint;
    /// the caller holds the state dir's lock on `root` and changes the file only after this
    /// returns, so a failed checkpoint leaves the session unchanged.
    ///
    /// Errors: [`Error::Invalid`] for a bad [`KEEP_VAR`]; those of reading the session file and
    /// writing the checkpoint.
    pub(in crate::store) fn checkpoint_before(
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
        let bytes = root.read_file(rel, ReadKind::SESSION, false)?;
        let meta = self.take(l, session.id(), &bytes, session.location, &reason, None)?;
        self.prune(l, session.id(), keep, exempt)?;
        Ok(meta)
    }

    /// Hook of [`Store::apply`] and [`Store::apply_with`]: when `ops` would change the status of
    /// any phase of `session` (read from `rel`), takes an automatic checkpoint first. `ops` are
    /// tried on a copy; when one is refused nothing is taken (the real apply refuses the same
    /// way and nothing changes).
    pub(in crate::store) fn checkpoint_before_ops(
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
    pub(in crate::store) fn checkpoint_before_write(
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
        let Ok(front) = root.read_frontmatter(rel, ReadKind::FRONTMATTER.cap) else {
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
    pub(in crate::store) fn checkpoint_before_doctor_fix(
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
            Some(n) => n.checked_add(1).filter(|&next| next <= MAX_ID).ok_or_else(|| {
                // Only a hand gets here (numbers count up by one, import takes at most
                // MAX_IMPORTED_ID): the state is wrong, not the arguments.
                Error::Corrupt {
                    path: root.join(json_rel(&folder, n)),
                    line: None,
                    reason: format!(
                        "checkpoint {n} is the highest number a checkpoint can have ({MAX_ID}), so session {session_id} can take no more; move the folder {} aside to go on",
                        root.join(&folder).display()
                    ),
                }
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
                .map(|(rel, why)| Error::Corrupt {
                    path: root.join(rel),
                    line: None,
                    reason: why.clone(),
                })
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
        let bytes = l.root.read_file(&rel, ReadKind::CHECKPOINT, false)?;
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
        let mut restored = SessionFile::from_bytes(&bytes, &copy_path, session.location)?;
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
        // The checkpoint's content as the session's next revision (only its `revision` line
        // differs from the copy), so a `write-state` based on a read from before the restore
        // is seen as stale, never as current.
        restored.meta.revision = session.meta.revision;
        let bytes = restored.emit()?;
        l.root
            .replace(&rel, bytes.as_bytes(), durable::STATE_FILE_MODE, true)?;
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
    /// against the session file as it is now when `b` is `None`. The search for the smallest
    /// diff stops after [`DIFF_DEADLINE`] (see [`DiffReport::minimal`]).
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
                root.read_file(&rel, ReadKind::CHECKPOINT, false)?,
            ),
        };
        let from = label(from_meta);
        let old = String::from_utf8_lossy(&from_bytes);
        let new = String::from_utf8_lossy(&to_bytes);
        let changed = from_bytes != to_bytes;
        let mut minimal = true;
        let diff = if changed {
            // Myers' algorithm costs (lines x differences): two different 16 MiB files
            // would take hours (case 17). Past the deadline it stops looking for the
            // smallest diff and shows what is left as removed and added lines, in linear
            // time: still a correct diff.
            let deadline = std::time::Instant::now() + DIFF_DEADLINE;
            let lines = similar::TextDiff::configure()
                .algorithm(similar::Algorithm::Myers)
                .deadline(deadline)
                .diff_lines(old.as_ref(), new.as_ref());
            minimal = std::time::Instant::now() < deadline;
            lines
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
            minimal,
        })
    }
}

#[cfg(test)]
mod tests;
