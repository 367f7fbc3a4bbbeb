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

use super::{Store, archive_names, archive_rel};
use crate::clock;
use crate::error::{Error, Result};
use crate::session::session_file::{Location, SessionFile};
use crate::store::event_log::{Damage, TornLine};
use crate::store::index;
use crate::store::intent::{self, Intent, Step, shape};
use crate::store::listing::SessionSummary;
use crate::store::quarantine::{self, free_name, quarantine, why_text};
use crate::workspace::paths::{
    ACTIVE_REL, ARCHIVE_REL, CHECKPOINTS_REL, EVENTS_REL, LOCK_REL, OWNER_REL, PLANS_ARCHIVE_REL,
    PLANS_REL, QUARANTINE_REL,
};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;
use maestro_session_fs::lock;

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

    /// What `rel` is when it is not what it should be: `None` when it is absent or of kind
    /// `want_dir` (a folder, else a regular file) and no symlink.
    fn wrong_kind(&self, rel: &Path, want_dir: bool) -> Result<Option<String>> {
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
    fn usable_folder(&self, rel: &Path) -> Result<bool> {
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
    fn quarantine_place(&mut self) -> Result<()> {
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

    fn lock_usable(&mut self) -> Result<bool> {
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
    fn take_lock(&mut self, timeout: std::time::Duration) -> Option<lock::LockGuard> {
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
    fn places(&mut self) {
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
    fn owned_place(&mut self, rel: &Path, want_dir: bool, holds: &str) -> Result<()> {
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
    fn session_place(&mut self, rel: &Path) -> Result<()> {
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

    /// Event logs with lines reads skip (see [`super::event_log`]); `--fix` sets each line
    /// aside and blanks it in place, as one intent per log: the log is never rewritten, so no
    /// line a hook appends meanwhile is lost.
    fn event_logs(&mut self) -> Result<()> {
        if !self.usable_folder(Path::new(EVENTS_REL))? {
            return Ok(());
        }
        for (rel, id, scanned) in super::event_log::damaged(self.root)? {
            // A log that is not a regular file is reported by `places`.
            let Ok(damage) = scanned else {
                continue;
            };
            if damage.lines.is_empty() {
                continue;
            }
            let shown: Vec<String> = damage.lines.iter().map(|l| l.line.to_string()).collect();
            let detail = format!(
                "event log of session {id}: line {} is not a JSON object (a torn append); reads skip it",
                shown.join(", ")
            );
            self.found(
                ProblemKind::TornEvent,
                &rel,
                detail.clone(),
                "--fix copies each such line to state/quarantine/ and blanks it in place; the log is never rewritten, so no line appended meanwhile is lost",
            );
            if self.fix {
                match self.repair_log(&rel, &id, damage) {
                    Ok(action) => self.repaired(ProblemKind::TornEvent, &rel, action),
                    Err(e) => self.failed(
                        ProblemKind::TornEvent,
                        &rel,
                        format!("could not set the torn lines aside: {e}"),
                        "reads skip them meanwhile; run doctor --fix again once the error is gone",
                    ),
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

    fn repair_log(&mut self, rel: &Path, id: &str, mut damage: Damage) -> Result<String> {
        if damage.unterminated {
            // Close the torn last line as the next append would; a line appended since is
            // already closed and gets nothing.
            self.root.append(rel, b"", durable::STATE_FILE_MODE, true)?;
            damage = super::event_log::torn_lines(self.root, rel)?;
        }
        let (fixable, too_long): (Vec<TornLine>, Vec<TornLine>) = damage
            .lines
            .into_iter()
            .partition(|l| l.len <= shape::MAX_EXCERPT_BYTES);
        quarantine::prepare(self.root)?;
        let path = rel.to_string_lossy().into_owned();
        let mut steps = Vec::new();
        let mut taken = Vec::new();
        for line in &fixable {
            let to = free_name(self.root, &format!("{id}.jsonl-line-{}", line.line), &taken)?;
            let why = why_text(
                self.root,
                rel,
                &format!(
                    "line {} (bytes {}..{}) of the event log of session {id} is not a JSON object (a torn append); doctor --fix copied it here and blanked it in the log",
                    line.line,
                    line.offset,
                    line.offset.saturating_add(line.len)
                ),
            );
            steps.push(Step::Excerpt {
                from: path.clone(),
                offset: line.offset,
                len: line.len,
                to: to.clone(),
            });
            steps.push(Step::Write {
                path: format!("{to}.why"),
                content: why,
            });
            steps.push(Step::Blank {
                path: path.clone(),
                offset: line.offset,
                len: line.len,
                kept: to.clone(),
            });
            taken.push(to);
        }
        if !steps.is_empty() {
            intent::run(
                self.root,
                &Intent::new(shape::Op::RepairEventLog.name(), id, steps),
            )?;
        }
        for line in &too_long {
            self.failed(
                ProblemKind::TornEvent,
                rel,
                format!(
                    "line {} is {} bytes, over the {} bytes doctor --fix sets aside",
                    line.line,
                    line.len,
                    shape::MAX_EXCERPT_BYTES
                ),
                "reads skip it; leave it, or move the log aside by hand",
            );
        }
        let lines: Vec<String> = fixable.iter().map(|l| l.line.to_string()).collect();
        Ok(format!(
            "set line {} aside in {} and blanked it in place",
            lines.join(", "),
            taken.join(", ")
        ))
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
        // Held (when usable) until the report is done; with --fix the checkpoints before the
        // repairs are taken, and logged, under it.
        let held = root.open_dir(Path::new(".")).map(|root| super::Locked {
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
