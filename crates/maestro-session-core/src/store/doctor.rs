//! `maestro-session doctor [--fix]`: finds what an interrupted or foreign write left behind in
//! the state dir, and repairs it without destroying bytes.
//!
//! **It sees everything.** Every check runs, whatever the ones before it found; a check that
//! cannot look (an I/O error) is itself a finding (`unexamined`), and the exit code comes after
//! the whole report. It reports: a folder or file the tools own that is a symlink, a FIFO or of
//! the wrong kind (`state/quarantine`, `intents/`, `events/`, `checkpoints/` and each session's
//! checkpoint folder, each event log, the lock, the indexes, the owner record; `state/archive`,
//! `plans/` and `plans/archive/` when they lead out of the project or are no folder);
//! intent records not completed, ones this version does not replay, and ones that cannot
//! complete; temp files of writers that are gone; sessions in two places (the same
//! `session_id` in more than one file); session files that cannot be read or parsed; archive
//! files named after another id; a list index that disagrees with the files; torn event-log
//! lines; an interrupted run; design gate sidecars that cannot be read or count for nothing
//! (`--fix` moves them to quarantine: a gate is never rewritten). Each finding says what `--fix` does, or what the person must do.
//!
//! **`--fix`.** Renames a `state/quarantine` that is not a real folder aside (its target is not
//! touched), moves every other unusable place to `state/quarantine/<time>-<name>` with a
//! `<time>-<name>.why` beside it saying why (a symlink is moved, never followed; the next
//! command makes a new folder or file), completes pending intents (a record that cannot
//! complete, or that this version does not replay, is set aside the same way: never replayed),
//! keeps the newest copy of a duplicated session (by `updated`; the active slot wins a tie),
//! renames a misnamed archive file, rebuilds the index, and sets torn event-log lines aside
//! (see [`super::event_log`]: the log is never rewritten). Every repair of more than one step
//! is an intent record ([`crate::store::intent`]), so a crash mid-repair is completed by the
//! next command. It never deletes a byte of session data. What it could not repair is listed in
//! `unrepaired` (the run then exits 1).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Store;
use super::resolve::{archive_names, archive_rel};
use crate::clock;
use crate::error::{Error, Result};
use crate::session::session_file::{Location, SessionFile};
use crate::store::index;
use crate::store::intent::{self};
use crate::store::listing::SessionSummary;
use crate::store::quarantine::quarantine;
use crate::workspace::paths::{
    ACTIVE_REL, ARCHIVE_REL, CHECKPOINTS_REL, EVENTS_REL, LOCK_REL, OWNER_REL, PLANS_ARCHIVE_REL,
    PLANS_REL, QUARANTINE_REL,
};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;

mod event_logs;
mod places;

/// What kind of problem `doctor` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
    /// An intent record of a change that was not completed (and can be).
    PendingIntent,
    /// An intent record whose change cannot complete (a file it would change changed since).
    StuckIntent,
    /// An intent record this version never replays: unreadable, not JSON, another format, or
    /// a step its op may not take (another session's file, a path outside its places).
    InvalidIntent,
    /// A list index that disagrees with the files it caches.
    IndexDrift,
    /// A lock that is not a regular file (a symlink, a folder, a FIFO).
    UnusableLock,
    /// A folder or file the tools own (or a session folder) that is a symlink, a FIFO, a
    /// device or of the wrong kind, so commands refuse it or read past it.
    UnusablePlace,
    /// An event log line that is not a JSON object (a torn append); reads skip it.
    TornEvent,
    /// The in-progress active session's runtime process ended without a SessionEnd
    /// ([`crate::store::owner::interrupted`]); reported, never "fixed".
    InterruptedRun,
    /// A design gate sidecar (`state/<id>.design-gate.json`) that cannot be read or counts
    /// for nothing (see [`crate::store::design_gate`]).
    DesignGate,
    /// Something doctor could not examine (an I/O error); the other checks still ran.
    Unexamined,
    /// The event log or checkpoints of a session that no longer exists and has no tombstone,
    /// or checkpoints left beside a tombstone ([`crate::store::used_ids`]).
    LeftoverHistory,
    /// A team record (`state/teams/<name>.json`) that does not parse, or a team removal left
    /// half done ([`crate::team::doctor`]); reported, never rewritten.
    TeamRecord,
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
            ProblemKind::StuckIntent => "stuck_intent",
            ProblemKind::InvalidIntent => "invalid_intent",
            ProblemKind::IndexDrift => "index_drift",
            ProblemKind::UnusableLock => "unusable_lock",
            ProblemKind::UnusablePlace => "unusable_place",
            ProblemKind::TornEvent => "torn_event",
            ProblemKind::InterruptedRun => "interrupted_run",
            ProblemKind::DesignGate => "design_gate",
            ProblemKind::Unexamined => "unexamined",
            ProblemKind::LeftoverHistory => "leftover_history",
            ProblemKind::TeamRecord => "team_record",
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// Its kind.
    pub kind: ProblemKind,
    /// The file, relative to the state dir.
    pub path: String,
    /// What is wrong, in words.
    pub detail: String,
    /// What `--fix` does about it, or what the person must do.
    pub remedy: String,
}

/// One repair `--fix` made.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Fixed {
    /// The kind of problem repaired.
    pub kind: ProblemKind,
    /// The file, relative to the state dir.
    pub path: String,
    /// What was done, in words.
    pub action: String,
}

/// What `doctor` found and, with `--fix`, did.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct DoctorReport {
    /// The state dir examined.
    pub state_dir: PathBuf,
    /// Everything found (before fixing).
    pub problems: Vec<Problem>,
    /// What `--fix` did.
    pub fixed: Vec<Fixed>,
    /// What `--fix` could not repair: `detail` says why, `remedy` what the person must do.
    pub unrepaired: Vec<Problem>,
    /// Whether `--fix` was given.
    pub fix: bool,
}

impl DoctorReport {
    /// Whether nothing is left to repair: nothing was found, or `--fix` repaired all it found
    /// (an interrupted run is only reported).
    pub fn healthy(&self) -> bool {
        self.problems.is_empty() || (self.fix && self.unrepaired.is_empty())
    }
}

/// What `--fix` does with a file it moves to quarantine, for [`Problem::remedy`].
const SETS_ASIDE: &str = "--fix moves it to state/quarantine/ with a note saying why";

struct Doctor<'a> {
    root: &'a Root,
    fix: bool,
    report: DoctorReport,
}

impl Doctor<'_> {
    fn found(
        &mut self,
        kind: ProblemKind,
        path: impl AsRef<Path>,
        detail: impl Into<String>,
        remedy: impl Into<String>,
    ) {
        self.report.problems.push(Problem {
            kind,
            path: path.as_ref().to_string_lossy().into_owned(),
            detail: detail.into(),
            remedy: remedy.into(),
        });
    }

    fn repaired(&mut self, kind: ProblemKind, path: impl AsRef<Path>, action: impl Into<String>) {
        self.report.fixed.push(Fixed {
            kind,
            path: path.as_ref().to_string_lossy().into_owned(),
            action: action.into(),
        });
    }

    fn failed(
        &mut self,
        kind: ProblemKind,
        path: impl AsRef<Path>,
        why: impl Into<String>,
        remedy: impl Into<String>,
    ) {
        self.report.unrepaired.push(Problem {
            kind,
            path: path.as_ref().to_string_lossy().into_owned(),
            detail: why.into(),
            remedy: remedy.into(),
        });
    }

    /// Runs one check; an error it returns becomes an `unexamined` finding, and doctor goes on.
    fn examine(&mut self, what: &str, check: impl FnOnce(&mut Self) -> Result<()>) {
        if let Err(e) = check(self) {
            self.found(
                ProblemKind::Unexamined,
                ".",
                format!("could not examine {what}: {e}"),
                "repair what the error names (doctor --fix repairs the places it reports), then run doctor again",
            );
        }
    }

    /// Moves `rel` to quarantine (see [`quarantine`]); a failure is listed as unrepaired.
    /// Returns whether it moved.
    fn quarantine(&mut self, kind: ProblemKind, rel: &Path, reason: &str) -> bool {
        match quarantine(self.root, rel, reason) {
            Ok(to) => {
                self.repaired(kind, rel, format!("moved to {}", to.display()));
                true
            }
            Err(e) => {
                self.failed(
                    kind,
                    rel,
                    format!("could not move it to state/quarantine/: {e}"),
                    "move it out of the state dir by hand",
                );
                false
            }
        }
    }

    fn intents(&mut self) -> Result<()> {
        if !self.usable_folder(Path::new(intent::INTENTS_REL))? {
            return Ok(());
        }
        for (rel, parsed) in intent::pending(self.root)? {
            let intent = match parsed {
                Ok(intent) => intent,
                Err(e) => {
                    let why = reason_of(&e);
                    self.found(
                        ProblemKind::InvalidIntent,
                        &rel,
                        format!("{why}; it is never replayed"),
                        SETS_ASIDE,
                    );
                    if self.fix {
                        self.quarantine(ProblemKind::InvalidIntent, Path::new(&rel), &why);
                    }
                    continue;
                }
            };
            let (kind, detail, remedy) = match intent::try_complete(self.root, &rel, &intent) {
                Ok(()) => (
                    ProblemKind::PendingIntent,
                    intent.describe(),
                    "--fix completes it".to_string(),
                ),
                Err(e) => (
                    ProblemKind::StuckIntent,
                    reason_of(&e),
                    "--fix tries it once more, and otherwise moves the record to state/quarantine/ with why (steps already done stay done)".to_string(),
                ),
            };
            self.found(kind, &rel, detail, remedy);
            if !self.fix {
                continue;
            }
            match intent::complete(self.root, &rel, &intent) {
                Ok(done) => self.repaired(kind, &rel, done.join("; ")),
                Err(e) => {
                    let why = reason_of(&e);
                    if self.quarantine(ProblemKind::StuckIntent, Path::new(&rel), &why) {
                        self.repaired(
                            ProblemKind::StuckIntent,
                            &rel,
                            format!("it could not complete ({why}); it was set aside, never to be replayed"),
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// Temp files of dead writers in `state/intents/`: before any repair writes a record
    /// there (a durable replace sweeps its folder's dead temp files).
    fn record_temp_files(&mut self) -> Result<()> {
        self.temp_files_in(vec![PathBuf::from(intent::INTENTS_REL)])
    }

    fn temp_files(&mut self) -> Result<()> {
        let mut folders: Vec<PathBuf> = [
            "state",
            ARCHIVE_REL,
            PLANS_REL,
            PLANS_ARCHIVE_REL,
            intent::INTENTS_REL,
            EVENTS_REL,
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        if self.usable_folder(Path::new(CHECKPOINTS_REL))? {
            for name in self.root.names(Path::new(CHECKPOINTS_REL))? {
                folders.push(Path::new(CHECKPOINTS_REL).join(name));
            }
        }
        self.temp_files_in(folders)
    }

    fn temp_files_in(&mut self, folders: Vec<PathBuf>) -> Result<()> {
        for folder in folders {
            // A folder commands cannot use is reported by `places`.
            if !self.usable_folder(&folder)? {
                continue;
            }
            let Ok(names) = self.root.names(&folder) else {
                continue;
            };
            for name in names {
                let Some(pid) = durable::temp_owner(&name) else {
                    continue;
                };
                if durable::process_alive(pid) {
                    continue;
                }
                let rel = folder.join(&name);
                self.found(
                    ProblemKind::TempFile,
                    &rel,
                    format!("temp file of process {pid}, which no longer runs"),
                    SETS_ASIDE,
                );
                if self.fix {
                    self.quarantine(
                        ProblemKind::TempFile,
                        &rel,
                        "temp file of an interrupted write",
                    );
                }
            }
        }
        Ok(())
    }

    /// Reads every session file; reports (and with `fix` quarantines) the unreadable ones.
    /// Returns the readable ones with their files.
    fn sessions(&mut self) -> Result<Vec<(PathBuf, SessionFile)>> {
        let mut files = vec![(PathBuf::from(ACTIVE_REL), Location::Active)];
        // An archive commands cannot use is reported by `places`.
        if self.usable_folder(Path::new(ARCHIVE_REL))? {
            for name in archive_names(self.root)? {
                files.push((Path::new(ARCHIVE_REL).join(name), Location::Archive));
            }
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
            self.found(
                ProblemKind::CorruptSession,
                &rel,
                problem.clone(),
                SETS_ASIDE,
            );
            if self.fix {
                self.quarantine(ProblemKind::CorruptSession, &rel, &problem);
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
                        format!(
                            "--fix keeps the newest copy ({}) and moves the others to state/quarantine/",
                            keep.display()
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
                        );
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
                    format!("--fix renames it to {}", proper.display()),
                );
                if self.fix && self.root.metadata(&proper)?.is_none() {
                    match self.root.rename(rel, &proper, false) {
                        Ok(()) => self.repaired(
                            ProblemKind::MisnamedSession,
                            rel,
                            format!("renamed to {}", proper.display()),
                        ),
                        Err(e) => self.failed(
                            ProblemKind::MisnamedSession,
                            rel,
                            format!("could not rename it: {e}"),
                            format!("rename it to {} by hand", proper.display()),
                        ),
                    }
                }
            }
        }
        Ok(())
    }

    /// Design gate sidecars that cannot be read or are stale; `--fix` moves them to
    /// quarantine (a gate is never rewritten).
    fn design_gates(&mut self, sessions: &[(PathBuf, SessionFile)]) -> Result<()> {
        for p in super::design_gate::problems(self.root, sessions)? {
            self.found(
                ProblemKind::DesignGate,
                &p.rel,
                p.detail.clone(),
                "doctor --fix moves it to state/quarantine/ (a gate is never rewritten); enter the design gate again",
            );
            if self.fix {
                self.quarantine(ProblemKind::DesignGate, &p.rel, &p.detail);
            }
        }
        Ok(())
    }

    /// Tombstones and the history of removed sessions (see [`crate::store::used_ids`]).
    fn used_ids(&mut self, sessions: &[(PathBuf, SessionFile)]) -> Result<()> {
        let mut held: Vec<String> = sessions.iter().map(|(_, s)| s.id().to_string()).collect();
        // Without the archive's names no history can be called leftover (its session may be
        // there); an archive that cannot be listed is its own finding (`unusable_place`).
        let Ok(archived) = archive_names(self.root) else {
            return Ok(());
        };
        for name in archived {
            held.extend(name.strip_suffix(".md").map(str::to_string));
        }
        for f in super::used_ids::findings(self.root, &held, self.fix)? {
            self.found(
                ProblemKind::LeftoverHistory,
                &f.path,
                f.detail,
                "doctor --fix writes the tombstone and moves leftover checkpoints to state/quarantine/",
            );
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
            self.found(
                ProblemKind::IndexDrift,
                index::INDEX_REL,
                detail.clone(),
                "--fix removes the list index; the next listing rebuilds it",
            );
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

/// An error's reason without the path it starts with (the finding names the path).
fn reason_of(e: &Error) -> String {
    match e {
        Error::Corrupt { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

impl Store {
    /// Examines the state dir and, with `fix`, repairs it; see the module docs. Holds the
    /// lock while it reads (and while it fixes) when the lock is usable; when `fix` cannot take
    /// it, nothing is repaired and that is listed in `unrepaired`.
    ///
    /// Errors: only those of opening the state dir; everything else is a finding.
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
        // The places every repair needs come first: quarantine/ (where things are set
        // aside), intents/ (where a repair's record goes), then the lock.
        doctor.examine(QUARANTINE_REL, Doctor::quarantine_place);
        let lock_fine = matches!(doctor.wrong_kind(Path::new(LOCK_REL), false), Ok(None));
        let timeout = self.env.lock_timeout()?;
        let mut guard = None;
        if lock_fine {
            guard = doctor.take_lock(timeout);
        }
        doctor.examine(intent::INTENTS_REL, |d| {
            d.owned_place(Path::new(intent::INTENTS_REL), true, "intent records")
        });
        if !lock_fine {
            let mut usable = false;
            doctor.examine("the lock", |d| {
                usable = d.lock_usable()?;
                Ok(())
            });
            if usable {
                guard = doctor.take_lock(timeout);
            }
        }
        doctor.examine(
            "the temp files of intent records",
            Doctor::record_temp_files,
        );
        doctor.places();
        doctor.examine("the intent records", Doctor::intents);
        doctor.examine("the temp files", Doctor::temp_files);
        let mut sessions = Vec::new();
        doctor.examine("the session files", |d| {
            sessions = d.sessions()?;
            Ok(())
        });
        // Issue 19: team records are reported, never rewritten (they list what a team made).
        doctor.examine("the team records", |d| {
            for (path, detail, remedy) in crate::team::doctor::check(d.root) {
                d.found(
                    ProblemKind::TeamRecord,
                    &path,
                    detail.clone(),
                    remedy.clone(),
                );
                if d.fix {
                    d.failed(ProblemKind::TeamRecord, &path, detail, remedy);
                }
            }
            Ok(())
        });
        // Held (when usable) until the report is done; with --fix the checkpoints before the
        // repairs are taken, and logged, under it.
        let held = root
            .open_dir(Path::new("."))
            .map(|root| super::lock::Locked {
                root,
                _guard: guard,
                logs: super::event_log::PendingSyncs::default(),
            });
        let fixing = doctor.fix;
        if doctor.fix {
            let taken = held
                .as_ref()
                .map_err(|e| Error::Invalid(e.to_string()))
                .and_then(|held| self.checkpoint_before_doctor_fix(held, &sessions));
            if let Err(e) = taken {
                // No session file is moved without its checkpoint.
                doctor.failed(
                    ProblemKind::Unexamined,
                    CHECKPOINTS_REL,
                    format!("could not take the checkpoints taken before session files are moved, so none was moved: {e}"),
                    "repair what the error names, then run doctor --fix again",
                );
                doctor.fix = false;
            }
        }
        doctor.examine("sessions in two places", |d| {
            d.duplicates_and_names(&sessions)
        });
        doctor.fix = fixing;
        doctor.examine("the list index", |d| d.index(&sessions));
        doctor.examine("the event logs", Doctor::event_logs);
        doctor.examine("the design gates", |d| d.design_gates(&sessions));
        doctor.examine("the history of removed sessions", |d| d.used_ids(&sessions));
        // Reported only: what to do with an interrupted run is the user's call.
        if let Ok(Some(run)) = crate::store::owner::interrupted_in(&root) {
            doctor.found(
                ProblemKind::InterruptedRun,
                OWNER_REL,
                format!("{} (doctor --fix leaves it as it is)", run.describe()),
                "resume, pause or cancel the session",
            );
        }
        drop(held);
        Ok(doctor.report)
    }
}
