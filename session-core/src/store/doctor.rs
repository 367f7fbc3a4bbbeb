//! `maestro-session doctor [--fix]`: finds what an interrupted or foreign write left behind in
//! the state dir, and repairs it without destroying bytes.
//!
//! It reports sessions in two places (the same `session_id` in more than one file), session
//! files that cannot be read or parsed, archive files named after another id, temp files of
//! writers that are gone, intent records not completed, a list index that disagrees with the
//! files, and a lock that is not a regular file. `--fix` completes pending moves, keeps the
//! newest copy of a duplicated session (by `updated`; the active slot wins a tie), renames a
//! misnamed archive file, rebuilds the index, and moves everything it cannot keep in place to
//! `state/quarantine/<time>-<name>`, with a `<time>-<name>.why` beside it saying why: it never
//! deletes a byte of session data.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Store, archive_names, archive_rel};
use crate::clock;
use crate::error::Result;
use crate::fs::beneath::Root;
use crate::fs::durable;
use crate::fs::lock;
use crate::session::session_file::{Location, SessionFile};
use crate::store::index;
use crate::store::intent;
use crate::store::listing::SessionSummary;
use crate::store::quarantine::quarantine;
use crate::workspace::paths::{ACTIVE_REL, ARCHIVE_REL, LOCK_REL, PLANS_ARCHIVE_REL, PLANS_REL};

/// What kind of problem `doctor` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// One session id held by more than one file.
    DuplicateSession,
    /// A session file that cannot be read (not a regular file, too large) or parsed.
    CorruptSession,
    /// An archive file whose name is not `<session_id>.md`.
    MisnamedSession,
    /// A temp file of a durable replace whose writer is gone.
    TempFile,
    /// An intent record of a move that was not completed.
    PendingIntent,
    /// A list index that disagrees with the files it caches.
    IndexDrift,
    /// A lock that is not a regular file (a symlink, a folder, a FIFO).
    UnusableLock,
    /// An event log line that is not a JSON object (a torn append); reads skip it.
    TornEvent,
    /// The in-progress active session's runtime process ended without a SessionEnd
    /// ([`crate::store::owner::interrupted`]); reported, never "fixed".
    InterruptedRun,
    /// The event log or checkpoints of a session that no longer exists and has no tombstone,
    /// or checkpoints left beside a tombstone ([`crate::store::used_ids`]).
    LeftoverHistory,
}

impl ProblemKind {
    /// The name `--json` uses (`duplicate_session`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::DuplicateSession => "duplicate_session",
            ProblemKind::CorruptSession => "corrupt_session",
            ProblemKind::MisnamedSession => "misnamed_session",
            ProblemKind::TempFile => "temp_file",
            ProblemKind::PendingIntent => "pending_intent",
            ProblemKind::IndexDrift => "index_drift",
            ProblemKind::UnusableLock => "unusable_lock",
            ProblemKind::TornEvent => "torn_event",
            ProblemKind::InterruptedRun => "interrupted_run",
            ProblemKind::LeftoverHistory => "leftover_history",
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// Its kind.
    pub kind: ProblemKind,
    /// The file, relative to the state dir.
    pub path: String,
    /// What is wrong, in words.
    pub detail: String,
}

/// One repair `--fix` made.
#[derive(Debug, Clone, Serialize)]
pub struct Fixed {
    /// The kind of problem repaired.
    pub kind: ProblemKind,
    /// The file, relative to the state dir.
    pub path: String,
    /// What was done, in words.
    pub action: String,
}

/// What `doctor` found and, with `--fix`, did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DoctorReport {
    /// The state dir examined.
    pub state_dir: PathBuf,
    /// Everything found (before fixing).
    pub problems: Vec<Problem>,
    /// What `--fix` did.
    pub fixed: Vec<Fixed>,
    /// Whether `--fix` was given.
    pub fix: bool,
}

impl DoctorReport {
    /// Whether nothing is left to repair: nothing was found, or `--fix` repaired it all.
    pub fn healthy(&self) -> bool {
        self.problems.is_empty() || self.fix
    }
}

struct Doctor<'a> {
    root: &'a Root,
    fix: bool,
    report: DoctorReport,
}

impl Doctor<'_> {
    fn found(&mut self, kind: ProblemKind, path: impl AsRef<Path>, detail: impl Into<String>) {
        self.report.problems.push(Problem {
            kind,
            path: path.as_ref().to_string_lossy().into_owned(),
            detail: detail.into(),
        });
    }

    fn repaired(&mut self, kind: ProblemKind, path: impl AsRef<Path>, action: impl Into<String>) {
        self.report.fixed.push(Fixed {
            kind,
            path: path.as_ref().to_string_lossy().into_owned(),
            action: action.into(),
        });
    }

    fn quarantine(&mut self, kind: ProblemKind, rel: &Path, reason: &str) -> Result<()> {
        let to = quarantine(self.root, rel, reason)?;
        self.repaired(kind, rel, format!("moved to {}", to.display()));
        Ok(())
    }

    fn lock_usable(&mut self) -> Result<bool> {
        let rel = Path::new(LOCK_REL);
        let Some(meta) = self.root.metadata(rel)? else {
            return Ok(true);
        };
        if meta.is_file() {
            return Ok(true);
        }
        let what = durable::DescribeType::describe(&meta.file_type());
        self.found(
            ProblemKind::UnusableLock,
            rel,
            format!("the lock is {what}, not a regular file"),
        );
        if self.fix {
            self.quarantine(
                ProblemKind::UnusableLock,
                rel,
                &format!("the lock was {what}"),
            )?;
            return Ok(true);
        }
        Ok(false)
    }

    fn intents(&mut self) -> Result<()> {
        for (rel, parsed) in intent::pending(self.root)? {
            match parsed {
                Ok(intent) => {
                    self.found(ProblemKind::PendingIntent, &rel, intent.describe());
                    if self.fix {
                        let done = intent::complete(self.root, &rel, &intent)?;
                        self.repaired(ProblemKind::PendingIntent, &rel, done.join("; "));
                    }
                }
                Err(e) => {
                    self.found(
                        ProblemKind::PendingIntent,
                        &rel,
                        format!("cannot be read: {e}"),
                    );
                    if self.fix {
                        self.quarantine(
                            ProblemKind::PendingIntent,
                            Path::new(&rel),
                            &e.to_string(),
                        )?;
                    }
                }
            }
        }
        Ok(())
    }

    fn temp_files(&mut self) -> Result<()> {
        for folder in [
            "state",
            ARCHIVE_REL,
            PLANS_REL,
            PLANS_ARCHIVE_REL,
            intent::INTENTS_REL,
        ] {
            for name in self.root.names(Path::new(folder))? {
                let Some(pid) = durable::temp_owner(&name) else {
                    continue;
                };
                if durable::process_alive(pid) {
                    continue;
                }
                let rel = Path::new(folder).join(&name);
                self.found(
                    ProblemKind::TempFile,
                    &rel,
                    format!("temp file of process {pid}, which no longer runs"),
                );
                if self.fix {
                    self.quarantine(
                        ProblemKind::TempFile,
                        &rel,
                        "temp file of an interrupted write",
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Reads every session file; reports (and with `fix` quarantines) the unreadable ones.
    /// Returns the readable ones with their files.
    fn sessions(&mut self) -> Result<Vec<(PathBuf, SessionFile)>> {
        let mut files = vec![(PathBuf::from(ACTIVE_REL), Location::Active)];
        for name in archive_names(self.root)? {
            files.push((Path::new(ARCHIVE_REL).join(name), Location::Archive));
        }
        let mut out = Vec::new();
        for (rel, location) in files {
            let problem = match SessionFile::read_in(self.root, &rel, location) {
                Err(e) if e.is_not_found() => continue,
                Err(e) => e.to_string(),
                Ok(s) if archive_rel(s.id()).is_err() => {
                    format!("session_id {:?} cannot name a session", s.id())
                }
                Ok(s) => {
                    out.push((rel, s));
                    continue;
                }
            };
            self.found(ProblemKind::CorruptSession, &rel, problem.clone());
            if self.fix {
                self.quarantine(ProblemKind::CorruptSession, &rel, &problem)?;
            }
        }
        Ok(out)
    }

    fn duplicates_and_names(&mut self, sessions: &[(PathBuf, SessionFile)]) -> Result<()> {
        let mut by_id: BTreeMap<&str, Vec<&(PathBuf, SessionFile)>> = BTreeMap::new();
        for entry in sessions {
            by_id.entry(entry.1.id()).or_default().push(entry);
        }
        for (id, mut copies) in by_id {
            let Ok(proper) = archive_rel(id) else {
                continue;
            };
            // Newest first; the active slot, then the properly named file, wins a tie.
            copies.sort_by_key(|(rel, s)| {
                (
                    std::cmp::Reverse(clock::parse_iso(&s.meta.updated)),
                    s.location != Location::Active,
                    *rel != proper,
                )
            });
            let keep = &copies[0].0;
            if copies.len() > 1 {
                let places: Vec<String> = copies
                    .iter()
                    .map(|(rel, _)| rel.display().to_string())
                    .collect();
                for (rel, _) in &copies {
                    self.found(
                        ProblemKind::DuplicateSession,
                        rel,
                        format!(
                            "session {id} is in {} places: {}",
                            copies.len(),
                            places.join(", ")
                        ),
                    );
                }
                if self.fix {
                    for (rel, _) in &copies[1..] {
                        self.quarantine(
                            ProblemKind::DuplicateSession,
                            rel,
                            &format!(
                                "an older copy of session {id}; the newest is kept at {}",
                                keep.display()
                            ),
                        )?;
                    }
                }
            }
            let (rel, s) = copies[0];
            if s.location == Location::Archive && *rel != proper {
                self.found(
                    ProblemKind::MisnamedSession,
                    rel,
                    format!(
                        "holds session {id}, so it should be named {}",
                        proper.display()
                    ),
                );
                if self.fix && self.root.metadata(&proper)?.is_none() {
                    self.root.rename(rel, &proper, false)?;
                    self.repaired(
                        ProblemKind::MisnamedSession,
                        rel,
                        format!("renamed to {}", proper.display()),
                    );
                }
            }
        }
        Ok(())
    }

    /// Event logs with lines reads skip (see [`super::event_log`]); `--fix` moves the log to
    /// quarantine and writes it back without them. The state lock is held, so no command
    /// appends meanwhile; a hook appending between the two steps would lose its line.
    fn event_logs(&mut self) -> Result<()> {
        for (rel, id, lines) in super::event_log::damaged(self.root)? {
            let shown: Vec<String> = lines.iter().map(ToString::to_string).collect();
            let detail = format!(
                "event log of session {id}: line {} is not a JSON object (a torn append); reads skip it",
                shown.join(", ")
            );
            self.found(ProblemKind::TornEvent, &rel, detail.clone());
            if self.fix {
                let kept = super::event_log::without_lines(self.root, &rel, &lines)?;
                self.quarantine(ProblemKind::TornEvent, &rel, &detail)?;
                self.root
                    .replace(&rel, &kept, durable::STATE_FILE_MODE, true)?;
                self.repaired(
                    ProblemKind::TornEvent,
                    &rel,
                    format!(
                        "rewrote {} without line {}",
                        rel.display(),
                        shown.join(", ")
                    ),
                );
            }
        }
        Ok(())
    }

    /// Tombstones and the history of removed sessions (see [`crate::store::used_ids`]).
    fn used_ids(&mut self, sessions: &[(PathBuf, SessionFile)]) -> Result<()> {
        let mut held: Vec<String> = sessions.iter().map(|(_, s)| s.id().to_string()).collect();
        for name in archive_names(self.root)? {
            held.extend(name.strip_suffix(".md").map(str::to_string));
        }
        for f in super::used_ids::findings(self.root, &held, self.fix)? {
            self.found(ProblemKind::LeftoverHistory, &f.path, f.detail);
            if let Some(action) = f.fixed {
                self.repaired(ProblemKind::LeftoverHistory, &f.path, action);
            }
        }
        Ok(())
    }

    fn index(&mut self, sessions: &[(PathBuf, SessionFile)]) -> Result<()> {
        let fresh: HashMap<String, SessionSummary> = sessions
            .iter()
            .filter(|(_, s)| s.location == Location::Archive)
            .filter_map(|(rel, s)| {
                let name = rel.file_name()?.to_string_lossy().into_owned();
                Some((name, SessionSummary::of(s)))
            })
            .collect();
        let drift = index::drift(self.root, &fresh);
        for detail in &drift {
            self.found(ProblemKind::IndexDrift, index::INDEX_REL, detail.clone());
        }
        if self.fix && !drift.is_empty() {
            index::forget(self.root)?;
            self.repaired(
                ProblemKind::IndexDrift,
                index::INDEX_REL,
                "removed the list index; the next listing rebuilds it",
            );
        }
        Ok(())
    }
}

impl Store {
    /// Examines the state dir and, with `fix`, repairs it; see the module docs. Holds the
    /// lock while it reads (and while it fixes) when the lock is usable.
    ///
    /// Errors: those of reading the state dir; with `fix`, those of the repairs.
    pub fn doctor(&self, fix: bool) -> Result<DoctorReport> {
        let Some(root) = self.ws.open_state_dir(false)? else {
            return Ok(DoctorReport {
                state_dir: self.ws.state_dir.clone(),
                fix,
                ..DoctorReport::default()
            });
        };
        let mut doctor = Doctor {
            root: &root,
            fix,
            report: DoctorReport {
                state_dir: self.ws.state_dir.clone(),
                fix,
                ..DoctorReport::default()
            },
        };
        let usable = doctor.lock_usable()?;
        let guard = if usable {
            let timeout = lock::timeout_from(&self.env)?;
            match doctor.root.lock_file(Path::new(LOCK_REL), timeout) {
                Ok(guard) => Some(guard),
                Err(e) if fix => return Err(e),
                // Reading alone needs no lock: each file is replaced atomically.
                Err(_) => None,
            }
        } else {
            None
        };
        doctor.intents()?;
        doctor.temp_files()?;
        let sessions = doctor.sessions()?;
        // Held (when usable) until the report is done; with --fix the checkpoints before the
        // repairs are taken, and logged, under it.
        let held = super::Locked {
            root: root.open_dir(Path::new("."))?,
            _guard: guard,
            logs: super::event_log::PendingSyncs::default(),
        };
        if fix {
            self.checkpoint_before_doctor_fix(&held, &sessions)?;
        }
        doctor.duplicates_and_names(&sessions)?;
        doctor.index(&sessions)?;
        doctor.event_logs()?;
        doctor.used_ids(&sessions)?;
        // Reported only: what to do with an interrupted run is the user's call.
        if let Ok(Some(run)) = crate::store::owner::interrupted_in(&root) {
            doctor.found(
                ProblemKind::InterruptedRun,
                crate::workspace::paths::OWNER_REL,
                format!("{} (doctor --fix leaves it as it is)", run.describe()),
            );
        }
        Ok(doctor.report)
    }
}
