//! Removing sessions: `delete` (one session, an unparsable active one quarantined instead) and
//! `cleanup` (old terminal sessions, one by id, or all), with their event logs and checkpoints
//! as each says.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::resolve::{ACTIVE_KEYWORD, active_in, resolve_in, summaries_in};
use super::{Store, quarantine};
use crate::clock;
use crate::error::{Error, Result};
use crate::session::lifecycle::State;
use crate::session::session_file::{Location, SessionFile};
use crate::workspace::paths::{ACTIVE_REL, ARCHIVE_REL};

/// What `delete` did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeleteReport {
    /// The session removed (`active` when the active session did not parse).
    pub session_id: String,
    /// The file removed, or moved to quarantine.
    pub path: PathBuf,
    /// Where an unparsable active session went instead of being deleted (`delete --force`
    /// never destroys bytes it cannot read).
    pub quarantined: Option<PathBuf>,
}

/// What `cleanup` removes.
#[derive(Debug, Clone, Default)]
pub struct CleanupRequest {
    /// Remove archived terminal sessions not updated for this many seconds (default 7 days).
    pub older_than_secs: Option<u64>,
    /// Remove this one session (any status, archived).
    pub id: Option<String>,
    /// Remove every session, active included (needs `yes`).
    pub all: bool,
    /// Confirms `all`.
    pub yes: bool,
    /// Only report what would go.
    pub dry_run: bool,
}

/// Default age after which archived terminal sessions are cleaned up, in s (7 days).
pub const DEFAULT_CLEANUP_AGE_SECS: u64 = 7 * 86_400;

/// What `cleanup` removed (or would remove).
#[derive(Debug, Clone, Serialize)]
pub struct CleanupReport {
    /// (session id, path) of each removed session.
    pub removed: Vec<(String, PathBuf)>,
    /// Whether nothing was actually removed.
    pub dry_run: bool,
    /// Files that could not be read or parsed: kept, never removed, reported here.
    pub kept_unreadable: Vec<String>,
}

impl Store {
    /// Deletes one session file, re-read under the lock, and its checkpoints, after writing its
    /// tombstone (its id is never used again; its event log is kept: see [`super::used_ids`]). The
    /// active session only with `force`. A file that does not parse (or holds another session
    /// than its name says) is moved to `state/quarantine/` instead of deleted: bytes that
    /// cannot be read are never destroyed.
    pub fn delete(&self, prefix: &str, force: bool) -> Result<DeleteReport> {
        let l = self.locked()?;
        let target = if force && prefix == ACTIVE_KEYWORD && active_in(&l.root).is_err() {
            None
        } else {
            Some(resolve_in(&l.root, prefix)?)
        };
        let (id, rel, location) = target.unwrap_or_else(|| {
            (
                ACTIVE_KEYWORD.to_string(),
                PathBuf::from(ACTIVE_REL),
                Location::Active,
            )
        });
        if location == Location::Active && !force {
            return Err(Error::refused(
                &id,
                "it is the active session; archive it first or pass --force",
            ));
        }
        let read = SessionFile::read_in(&l.root, &rel, location);
        let unreadable = match &read {
            Ok(s) if s.id() == id => None,
            Ok(s) => Some(format!("it holds session {} instead", s.id())),
            Err(e) => Some(e.to_string()),
        };
        let quarantined = match unreadable {
            None => {
                // Tombstone, file, checkpoints; the log is kept (see `used_ids`).
                let n = self.remove_session(&l.root, &id, &rel, "delete")?;
                let before = read.as_ref().ok().map(|s| &s.meta);
                let extra = [("checkpoints_removed", Value::from(n))];
                self.record(&l, &id, "delete", before, None, &extra);
                None
            }
            Some(why) => Some(l.root.join(quarantine::quarantine(
                &l.root,
                &rel,
                &format!("deleted with `delete` while it could not be read: {why}"),
            )?)),
        };
        Ok(DeleteReport {
            session_id: id,
            path: l.root.join(&rel),
            quarantined,
        })
    }

    /// Removes sessions: by default archived ones in a terminal status (completed, cancelled)
    /// not updated for `older_than_secs`; `id` removes that one archived session whatever its
    /// status; `all` (with `yes`) removes every session. Candidates come from the listing
    /// (whose index is only a cache); each is re-read under the lock and removed only if it
    /// still is what was chosen, with its checkpoints and event log, after its tombstone is
    /// written (see [`super::used_ids`]). Broken files are never removed.
    pub fn cleanup(&self, req: &CleanupRequest) -> Result<CleanupReport> {
        let age = req.older_than_secs.unwrap_or(DEFAULT_CLEANUP_AGE_SECS);
        let now = jiff::Timestamp::now().as_second();
        if req.all && !req.yes {
            return Err(Error::Invalid(
                "cleanup --all removes every session of this state dir; confirm with --yes".into(),
            ));
        }
        let l = match (self.locked_existing()?, &req.id) {
            (Some(l), _) => l,
            (None, Some(_)) => self.locked()?,
            // No state dir: nothing to remove, and nothing created.
            (None, None) => {
                return Ok(CleanupReport {
                    removed: Vec::new(),
                    dry_run: req.dry_run,
                    kept_unreadable: Vec::new(),
                });
            }
        };
        let mut candidates: Vec<(String, PathBuf, Location)> = Vec::new();
        let mut kept_unreadable = Vec::new();
        if let Some(prefix) = &req.id {
            let (id, rel, location) = resolve_in(&l.root, prefix)?;
            if location == Location::Active {
                return Err(Error::refused(
                    &id,
                    "cleanup never removes the active session; archive it first",
                ));
            }
            candidates.push((id, rel, location));
        } else {
            if req.all && !req.yes {
                return Err(Error::Invalid(
                    "cleanup --all removes every session of this state dir; confirm with --yes"
                        .into(),
                ));
            }
            let (rows, broken) = summaries_in(&l.root)?;
            kept_unreadable = broken.iter().map(ToString::to_string).collect();
            for r in rows {
                let rel = match r.location {
                    Location::Active => PathBuf::from(ACTIVE_REL),
                    Location::Archive => match Path::new(&r.path).file_name() {
                        Some(name) => Path::new(ARCHIVE_REL).join(name),
                        None => continue,
                    },
                };
                candidates.push((r.session_id, rel, r.location));
            }
        }
        let mut removed = Vec::new();
        for (id, rel, location) in candidates {
            // Re-read under the lock: the index is a cache, and the file may have changed.
            let session = match SessionFile::read_in(&l.root, &rel, location) {
                Ok(s) => s,
                Err(e) if e.is_not_found() => continue,
                Err(e) => {
                    kept_unreadable.push(e.to_string());
                    continue;
                }
            };
            if session.id() != id {
                continue;
            }
            let chosen = req.id.is_some()
                || req.all
                || (location == Location::Archive
                    && session.meta.status.is_terminal()
                    && clock::parse_iso(&session.meta.updated)
                        .map(|t| t.as_second())
                        .or_else(|| l.root.modified_secs(&rel))
                        .is_some_and(|updated| clock::is_older_than(updated, now, age)));
            if !chosen {
                continue;
            }
            if !req.dry_run {
                self.remove_session(&l.root, &id, &rel, "cleanup")?;
                self.forget_log(&l.root, &id);
            }
            removed.push((id, l.root.join(&rel)));
        }
        Ok(CleanupReport {
            removed,
            dry_run: req.dry_run,
            kept_unreadable,
        })
    }
}
