//! Sessions on disk (DESIGN 2.1): the active session in `state/active-session.md`, every other
//! in `state/archive/<session_id>.md`. Every change is a locked read-modify-write (the sidecar
//! `state/.lock`) ending in a durable replace, with `updated` set.
//!
//! Partial ids: a session is named by a unique prefix of its id, matched over every session,
//! active and archived; an exact id always wins; an ambiguous prefix is an error listing the
//! candidates. A file that does not parse is reported by every listing and never skipped
//! silently, rewritten or deleted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::clock;
use crate::env::Env;
use crate::error::{Error, IoContext, Result};
use crate::fsx;
use crate::lifecycle::{self, PhaseStatus, SessionStatus, Stage, State};
use crate::list_index;
use crate::listing::SessionSummary;
use crate::lock::{self, LockGuard};
use crate::model::{ForkedFrom, Phase, SessionMetadata};
use crate::operations::{self, OpContext, Operation};
use crate::orchestration_log;
use crate::paths::Workspace;
pub use crate::session_file::{Location, SessionFile};

/// The name that always means the active session, wherever a session id is taken.
pub const ACTIVE_KEYWORD: &str = "active";

/// The sessions of one workspace.
#[derive(Debug, Clone)]
pub struct Store {
    ws: Workspace,
    env: Env,
}

/// A phase to create: name, agents, and the phases it waits for.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct PhaseSpec {
    /// Phase name.
    pub name: String,
    /// Assigned agents.
    pub agents: Vec<String>,
    /// Ids of phases that must finish first; `None` means the previous phase.
    pub blocked_by: Option<Vec<u32>>,
    /// Whether its agents run in parallel.
    pub parallel: bool,
}

/// What `create` needs.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    /// The task.
    pub task: String,
    /// The phases, in order.
    pub phases: Vec<PhaseSpec>,
    /// Design document path, project-relative.
    pub design_document: Option<String>,
    /// Implementation plan path, project-relative.
    pub implementation_plan: Option<String>,
    /// `standard` (default) or `express`.
    pub workflow_mode: Option<String>,
    /// `sequential` (default) or `parallel`.
    pub execution_mode: Option<String>,
    /// `simple`, `medium` or `complex`.
    pub task_complexity: Option<String>,
    /// Archive a non-terminal active session as `paused` instead of refusing.
    pub park: bool,
}

/// What an archive did.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveReport {
    /// The session archived.
    pub session_id: String,
    /// Where the session file now lies.
    pub path: PathBuf,
    /// Plan documents moved to `plans/archive/`: (from, to).
    pub moved: Vec<(PathBuf, PathBuf)>,
    /// True when the session was already archived and only unfinished moves were completed.
    pub already_archived: bool,
}

/// A manifest file that changed on disk after its phase recorded it.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    /// The unfinished phase.
    pub phase: u32,
    /// The file, project-relative.
    pub path: String,
    /// `modified after <time>` or `missing`.
    pub reason: String,
}

/// What a resume found.
#[derive(Debug, Clone, Serialize)]
pub struct ResumeReport {
    /// The session, now active and in progress.
    pub session_id: String,
    /// The session that was parked to make room, if any.
    pub parked: Option<String>,
    /// The last completed phase (id, name).
    pub last_completed: Option<(u32, String)>,
    /// The phase to continue (id, name).
    pub continue_with: Option<(u32, String)>,
    /// Failed phases (id, name).
    pub failed_phases: Vec<(u32, String)>,
    /// Unresolved errors: (phase, agent, type, message).
    pub unresolved_errors: Vec<(u32, String, String, String)>,
    /// Files of unfinished phases changed since they were recorded.
    pub conflicts: Vec<Conflict>,
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
    /// The store of workspace `ws`; `env` supplies `MAESTRO_MAX_RETRIES` and
    /// `MAESTRO_LOCK_TIMEOUT_MS`.
    pub fn new(ws: Workspace, env: Env) -> Store {
        Store { ws, env }
    }

    /// The workspace.
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    fn op_context(&self) -> Result<OpContext> {
        Ok(OpContext {
            now: clock::now_iso(),
            max_retries: lifecycle::max_retries(&self.env)?,
        })
    }

    /// Creates `state/`, `state/archive/`, `plans/`, `plans/archive/` (refusing a symlinked
    /// `state/`). Returns the state dir.
    pub fn init(&self) -> Result<PathBuf> {
        for dir in [self.ws.archive_dir(), self.ws.plans_dir().join("archive")] {
            std::fs::create_dir_all(&dir).ctx("create folder", &dir)?;
        }
        let state = self.ws.state_folder();
        let meta = std::fs::symlink_metadata(&state).ctx("inspect", &state)?;
        if meta.file_type().is_symlink() {
            return Err(Error::refused_path(
                state.display().to_string(),
                "the state folder is a symlink",
            ));
        }
        Ok(self.ws.state_dir.clone())
    }

    fn lock(&self) -> Result<LockGuard> {
        self.init()?;
        crate::beneath::Root::open(&self.ws.state_dir)?
            .lock_file(Path::new("state/.lock"), lock::timeout_from(&self.env)?)
    }

    /// The active session, if any.
    pub fn active(&self) -> Result<Option<SessionFile>> {
        let path = self.ws.active_session_path();
        match SessionFile::load(&path, Location::Active) {
            Err(Error::Io { source, .. }) if is_missing(&source) => Ok(None),
            other => other.map(Some),
        }
    }

    fn archive_path(&self, id: &str) -> Result<PathBuf> {
        check_file_id(id)?;
        Ok(self.ws.archive_dir().join(format!("{id}.md")))
    }

    /// The archive's session files (`*.md`, not hidden), sorted by name.
    fn archive_files(&self) -> Result<Vec<PathBuf>> {
        let dir = self.ws.archive_dir();
        let entries = match std::fs::read_dir(&dir) {
            Err(e) if is_missing(&e) => return Ok(Vec::new()),
            other => other.ctx("list", &dir)?,
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                name.ends_with(".md") && !name.starts_with('.')
            })
            .collect();
        files.sort();
        Ok(files)
    }

    /// The list row of every session, with the files that could not be read or parsed
    /// (reported, never skipped). Archived rows come from the list index when their file is
    /// unchanged (see [`crate::list_index`]).
    pub fn summaries(&self) -> Result<(Vec<SessionSummary>, Vec<Error>)> {
        let mut rows = Vec::new();
        let mut broken = Vec::new();
        match self.active() {
            Ok(Some(s)) => rows.push(SessionSummary::of(&s)),
            Ok(None) => {}
            Err(e) => broken.push(e),
        }
        let files = self.archive_files()?;
        let (archived, errors) =
            list_index::rows(&files, &self.ws.state_folder().join(list_index::INDEX_FILE));
        rows.extend(archived);
        broken.extend(errors);
        Ok((rows, broken))
    }

    /// Every session id with its path and location, without parsing the archive (ids are file
    /// names there). The active session is parsed for its id; when it does not parse, it has
    /// no id to match.
    fn ids(&self) -> Result<Vec<(String, PathBuf, Location)>> {
        let mut out = Vec::new();
        let active_id = match self.active() {
            Ok(Some(active)) => {
                let id = active.meta.session_id.clone();
                out.push((id.clone(), active.path.clone(), Location::Active));
                Some(id)
            }
            _ => None,
        };
        for path in self.archive_files()? {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                && Some(stem) != active_id.as_deref()
            {
                out.push((stem.to_string(), path, Location::Archive));
            }
        }
        Ok(out)
    }

    /// Resolves a full or partial session id to its file.
    ///
    /// Errors: [`Error::NotFound`]; [`Error::Ambiguous`] listing every candidate.
    pub fn resolve(&self, prefix: &str) -> Result<(String, PathBuf, Location)> {
        if prefix == ACTIVE_KEYWORD {
            let active = self.active()?.ok_or_else(|| Error::NotFound {
                what: "active session".into(),
            })?;
            return Ok((active.meta.session_id, active.path, Location::Active));
        }
        let ids = self.ids()?;
        if let Some(exact) = ids.iter().find(|(id, _, _)| id == prefix) {
            return Ok(exact.clone());
        }
        let mut matches: Vec<_> = ids
            .into_iter()
            .filter(|(id, _, _)| id.starts_with(prefix))
            .collect();
        if matches.len() > 1 {
            return Err(Error::Ambiguous {
                prefix: prefix.to_string(),
                candidates: matches.into_iter().map(|(id, _, _)| id).collect(),
            });
        }
        matches.pop().ok_or_else(|| Error::NotFound {
            what: format!("session {prefix:?}"),
        })
    }

    /// The session named by a full or partial id.
    pub fn get(&self, prefix: &str) -> Result<SessionFile> {
        let (_, path, location) = self.resolve(prefix)?;
        SessionFile::load(&path, location)
    }

    /// The session named by `prefix`, or the active session when `prefix` is `None`.
    pub fn get_or_active(&self, prefix: Option<&str>) -> Result<SessionFile> {
        match prefix.filter(|p| *p != ACTIVE_KEYWORD) {
            Some(p) => self.get(p),
            None => self.active()?.ok_or_else(|| Error::NotFound {
                what: "active session".into(),
            }),
        }
    }

    /// Applies `op` to the session named by `prefix` (or the active one) under the lock and
    /// durably writes the result. A refused operation changes nothing.
    pub fn apply(&self, prefix: Option<&str>, op: &Operation) -> Result<SessionFile> {
        let _guard = self.lock()?;
        let mut session = self.get_or_active(prefix)?;
        let mut meta = session.meta.clone();
        let mut body = session.doc.body.clone();
        operations::apply(&mut meta, &mut body, op, &self.op_context()?)?;
        session.meta = meta;
        session.doc.body = body;
        session.write_to(&session.path.clone())?;
        Ok(session)
    }

    /// Creates a new active session with id `YYYY-MM-DD-<slug of the task>` (made unique),
    /// git context captured.
    ///
    /// Errors: [`Error::Refused`] when a non-terminal session is active and `park` is off;
    /// [`Error::Invalid`] for an empty task or bad phase references.
    pub fn create(&self, req: &CreateRequest) -> Result<SessionFile> {
        if req.task.trim().is_empty() {
            return Err(Error::Invalid("task is empty".into()));
        }
        let _guard = self.lock()?;
        self.make_room(req.park, None)?;
        let now = jiff::Timestamp::now();
        let now_iso = clock::iso(now);
        let base = format!("{}-{}", now.strftime("%Y-%m-%d"), slug(&req.task));
        let session_id = self.unique_id(&base)?;
        let phases = build_phases(&req.phases)?;
        let meta = SessionMetadata {
            session_id: session_id.clone(),
            task: req.task.trim().to_string(),
            created: now_iso.clone(),
            updated: now_iso,
            status: SessionStatus::InProgress,
            workflow_mode: Some(
                req.workflow_mode
                    .clone()
                    .unwrap_or_else(|| "standard".into()),
            ),
            design_document: req.design_document.clone(),
            implementation_plan: req.implementation_plan.clone(),
            current_phase: phases.first().map(|p| p.id),
            total_phases: phases.len() as u32,
            execution_mode: Some(
                req.execution_mode
                    .clone()
                    .unwrap_or_else(|| "sequential".into()),
            ),
            execution_backend: None,
            task_complexity: req.task_complexity.clone(),
            phases,
            stage: Some(Stage::Initializing),
            git: crate::git::capture(&self.ws.project_root),
            ..SessionMetadata::default()
        };
        let doc = crate::document::Document {
            flavour: crate::document::Flavour::Yaml,
            frontmatter: Default::default(),
            body: orchestration_log::title(&meta.task),
        };
        let session = SessionFile {
            meta,
            doc,
            path: self.ws.active_session_path(),
            location: Location::Active,
        };
        session.write_to(&session.path)?;
        Ok(session)
    }

    /// Makes the active slot free for `incoming` (a session id that may already hold it):
    /// a terminal active session is archived; a non-terminal one is parked (archived as
    /// `paused`) when `park` is set, else refused. Returns the parked session's id.
    fn make_room(&self, park: bool, incoming: Option<&str>) -> Result<Option<String>> {
        let Some(mut active) = self.active()? else {
            return Ok(None);
        };
        if Some(active.id()) == incoming {
            return Ok(None);
        }
        if active.meta.status.is_terminal() {
            self.archive_session(active)?;
            return Ok(None);
        }
        if !park {
            return Err(Error::refused(
                active.id(),
                format!(
                    "it is the active session ({}); archive it, cancel it, or pass --park to archive it as paused",
                    active.meta.status
                ),
            ));
        }
        let id = active.id().to_string();
        let mut body = active.doc.body.clone();
        if active.meta.status.can_go(SessionStatus::Paused) {
            operations::apply(
                &mut active.meta,
                &mut body,
                &Operation::Pause,
                &self.op_context()?,
            )?;
        }
        active.doc.body = body;
        self.archive_session(active)?;
        Ok(Some(id))
    }

    fn unique_id(&self, base: &str) -> Result<String> {
        let taken: BTreeSet<String> = self.ids()?.into_iter().map(|(id, _, _)| id).collect();
        let mut candidate = base.to_string();
        let mut n = 2;
        while taken.contains(&candidate)
            || self
                .ws
                .archive_dir()
                .join(format!("{candidate}.md"))
                .exists()
        {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        Ok(candidate)
    }

    /// Archives the session named by `prefix`, or the active one: moves it to
    /// `state/archive/<id>.md` and its design document and implementation plan, when they lie
    /// in `<state dir>/plans/`, to `plans/archive/`; then verifies. Run again after an
    /// interruption, it completes what is left.
    pub fn archive(&self, prefix: Option<&str>) -> Result<ArchiveReport> {
        let _guard = self.lock()?;
        let session = self.get_or_active(prefix)?;
        self.archive_session(session)
    }

    fn archive_session(&self, mut session: SessionFile) -> Result<ArchiveReport> {
        let already_archived = session.location == Location::Archive;
        let mut moved = Vec::new();
        for field in [0, 1] {
            let slot = if field == 0 {
                &mut session.meta.design_document
            } else {
                &mut session.meta.implementation_plan
            };
            if let Some(rel) = slot.clone()
                && let Some((from, to, new_rel)) = self.plan_move(&rel)
            {
                if from.exists() {
                    fsx::durable_rename(&from, &to)?;
                    moved.push((from, to.clone()));
                }
                if to.exists() {
                    *slot = Some(new_rel);
                }
            }
        }
        let target = self.archive_path(session.id())?;
        if !already_archived || !moved.is_empty() {
            session.write_to(&target)?;
        }
        if session.location == Location::Active {
            fsx::durable_remove(&session.path)?;
        }
        // Verify: the active slot no longer holds this session, the archive copy reads back,
        // and every moved document is in place.
        if let Ok(Some(active)) = self.active()
            && active.id() == session.id()
        {
            return Err(verify_failed(
                &session.path,
                "the session is still in the active slot",
            ));
        }
        let back = SessionFile::load(&target, Location::Archive)?;
        if back.id() != session.id() {
            return Err(verify_failed(
                &target,
                "the archived file holds another session",
            ));
        }
        for (_, to) in &moved {
            if !to.is_file() {
                return Err(verify_failed(to, "the moved document is missing"));
            }
        }
        Ok(ArchiveReport {
            session_id: session.id().to_string(),
            path: target,
            moved,
            already_archived,
        })
    }

    /// For a plan document path (project-relative), its current and archived paths when it
    /// lies directly in `<state dir>/plans/`, plus the new project-relative path.
    fn plan_move(&self, rel: &str) -> Option<(PathBuf, PathBuf, String)> {
        let clean = crate::beneath::validate_relative(rel).ok()?;
        let plans = self.ws.plans_dir();
        let archive = plans.join("archive");
        let name = clean.file_name()?.to_owned();
        let abs = self.ws.project_root.join(&clean);
        let parent = abs.parent()?;
        let (from, to) = if parent == plans {
            (abs.clone(), archive.join(&name))
        } else if parent == archive {
            (plans.join(&name), abs.clone())
        } else {
            return None;
        };
        let new_rel = to
            .strip_prefix(&self.ws.project_root)
            .ok()?
            .to_string_lossy()
            .into_owned();
        Some((from, to, new_rel))
    }

    /// Makes a non-terminal session the active one and sets it in progress; see the module
    /// docs of the command line for the rules. Returns what to continue with.
    pub fn resume(&self, prefix: &str, park: bool) -> Result<ResumeReport> {
        let _guard = self.lock()?;
        let mut session = self.get(prefix)?;
        if session.meta.status.is_terminal() {
            return Err(Error::refused(
                session.id(),
                format!(
                    "a {} session cannot be resumed; fork it to continue its work",
                    session.meta.status
                ),
            ));
        }
        let parked = self.make_room(park, Some(session.id()))?;
        let ctx = self.op_context()?;
        if session.meta.status != SessionStatus::InProgress {
            let mut body = session.doc.body.clone();
            operations::apply(
                &mut session.meta,
                &mut body,
                &Operation::SetStatus(SessionStatus::InProgress),
                &ctx,
            )?;
            session.doc.body = body;
        }
        if session.meta.stage == Some(Stage::Paused) {
            session.meta.stage = Some(
                session
                    .meta
                    .paused_from_stage
                    .take()
                    .unwrap_or(Stage::Implementing),
            );
        }
        session.meta.updated = ctx.now.clone();
        let active_path = self.ws.active_session_path();
        session.write_to(&active_path)?;
        if session.location == Location::Archive {
            fsx::durable_remove(&session.path)?;
        }
        let meta = &session.meta;
        let named = |p: &Phase| (p.id, p.name.clone());
        Ok(ResumeReport {
            session_id: meta.session_id.clone(),
            parked,
            last_completed: meta
                .phases
                .iter()
                .rfind(|p| p.status == PhaseStatus::Completed)
                .map(named),
            continue_with: meta
                .phases
                .iter()
                .find(|p| !matches!(p.status, PhaseStatus::Completed | PhaseStatus::Skipped))
                .map(named),
            failed_phases: meta
                .phases
                .iter()
                .filter(|p| p.status == PhaseStatus::Failed)
                .map(named)
                .collect(),
            unresolved_errors: meta
                .unresolved_errors()
                .into_iter()
                .map(|(phase, _, e)| (phase, e.agent.clone(), e.kind.clone(), e.message.clone()))
                .collect(),
            conflicts: self.conflicts(meta),
        })
    }

    /// Files in the manifest of unfinished phases that changed on disk after the phase last
    /// recorded them (or are gone).
    pub fn conflicts(&self, meta: &SessionMetadata) -> Vec<Conflict> {
        let mut out = Vec::new();
        for phase in meta
            .phases
            .iter()
            .filter(|p| !matches!(p.status, PhaseStatus::Completed | PhaseStatus::Skipped))
        {
            let Some(recorded) = phase
                .files_recorded_at
                .as_deref()
                .and_then(clock::parse_iso)
            else {
                continue;
            };
            for file in phase.files_created.iter().chain(&phase.files_modified) {
                let Ok(clean) = crate::beneath::validate_relative(file) else {
                    continue;
                };
                let path = self.ws.project_root.join(clean);
                let reason = match std::fs::metadata(&path).and_then(|m| m.modified()) {
                    Err(_) => Some("missing".to_string()),
                    Ok(mtime) => {
                        let secs = mtime
                            .duration_since(std::time::UNIX_EPOCH)
                            .map(|d| d.as_secs() as i64)
                            .unwrap_or(0);
                        (secs > recorded.as_second())
                            .then(|| format!("modified after {}", clock::iso(recorded)))
                    }
                };
                if let Some(reason) = reason {
                    out.push(Conflict {
                        phase: phase.id,
                        path: file.clone(),
                        reason,
                    });
                }
            }
        }
        out
    }

    /// Forks any session into a new one (new id, `parent_session`, `forked_from`), phases and
    /// context kept, the original untouched. The fork lands archived as `paused`, or active and
    /// in progress with `activate`.
    pub fn fork(&self, prefix: &str, activate: bool, park: bool) -> Result<SessionFile> {
        let _guard = self.lock()?;
        let source = self.get(prefix)?;
        let now = jiff::Timestamp::now();
        let now_iso = clock::iso(now);
        let base = format!("{}-{}", now.strftime("%Y-%m-%d"), slug(&source.meta.task));
        let id = self.unique_id(&base)?;
        let mut meta = source.meta.clone();
        meta.session_id = id.clone();
        meta.parent_session = Some(source.id().to_string());
        meta.forked_from = Some(ForkedFrom {
            session_id: source.id().to_string(),
            at: now_iso.clone(),
            extra: Default::default(),
        });
        meta.created = now_iso.clone();
        meta.updated = now_iso.clone();
        meta.git = crate::git::capture(&self.ws.project_root).or(meta.git);
        let working_stage = match meta.stage {
            Some(Stage::Paused) => meta.paused_from_stage.unwrap_or(Stage::Implementing),
            Some(s) if !s.is_terminal() => s,
            _ => Stage::Implementing,
        };
        if activate {
            meta.status = SessionStatus::InProgress;
            meta.stage = Some(working_stage);
            meta.paused_from_stage = None;
        } else {
            meta.status = SessionStatus::Paused;
            meta.stage = Some(Stage::Paused);
            meta.paused_from_stage = Some(working_stage);
        }
        let mut doc = source.doc.clone();
        doc.body = orchestration_log::upsert_note(
            &doc.body,
            &format!("Forked from {} at {now_iso}.", source.id()),
        );
        let path = if activate {
            self.make_room(park, None)?;
            self.ws.active_session_path()
        } else {
            self.archive_path(&id)?
        };
        let session = SessionFile {
            meta,
            doc,
            path: path.clone(),
            location: if activate {
                Location::Active
            } else {
                Location::Archive
            },
        };
        session.write_to(&path)?;
        Ok(session)
    }

    /// Deletes one session file. The active session only with `force`.
    pub fn delete(&self, prefix: &str, force: bool) -> Result<(String, PathBuf)> {
        let _guard = self.lock()?;
        let (id, path, location) = self.resolve(prefix)?;
        if location == Location::Active && !force {
            return Err(Error::refused(
                &id,
                "it is the active session; archive it first or pass --force",
            ));
        }
        fsx::durable_remove(&path)?;
        Ok((id, path))
    }

    /// Removes sessions: by default archived ones in a terminal status (completed, cancelled)
    /// not updated for `older_than_secs`; `id` removes that one archived session whatever its
    /// status; `all` (with `yes`) removes every session. Broken files are never removed.
    pub fn cleanup(&self, req: &CleanupRequest) -> Result<CleanupReport> {
        let _guard = self.lock()?;
        let mut targets: Vec<(String, PathBuf)> = Vec::new();
        let mut kept_unreadable = Vec::new();
        if let Some(prefix) = &req.id {
            let (id, path, location) = self.resolve(prefix)?;
            if location == Location::Active {
                return Err(Error::refused(
                    &id,
                    "cleanup never removes the active session; archive it first",
                ));
            }
            targets.push((id, path));
        } else if req.all {
            if !req.yes {
                return Err(Error::Invalid(
                    "cleanup --all removes every session of this state dir; confirm with --yes"
                        .into(),
                ));
            }
            let (rows, broken) = self.summaries()?;
            kept_unreadable = broken.iter().map(ToString::to_string).collect();
            targets = rows
                .into_iter()
                .map(|r| (r.session_id, PathBuf::from(r.path)))
                .collect();
        } else {
            let age = req.older_than_secs.unwrap_or(DEFAULT_CLEANUP_AGE_SECS);
            let now = jiff::Timestamp::now().as_second();
            let (rows, broken) = self.summaries()?;
            kept_unreadable = broken.iter().map(ToString::to_string).collect();
            for r in rows {
                if r.location != Location::Archive || !r.status.is_terminal() {
                    continue;
                }
                let path = PathBuf::from(&r.path);
                let updated = clock::parse_iso(&r.updated)
                    .map(|t| t.as_second())
                    .or_else(|| file_mtime_secs(&path))
                    .unwrap_or(now);
                if clock::is_older_than(updated, now, age) {
                    targets.push((r.session_id, path));
                }
            }
        }
        if !req.dry_run {
            for (_, path) in &targets {
                fsx::durable_remove(path)?;
            }
        }
        Ok(CleanupReport {
            removed: targets,
            dry_run: req.dry_run,
            kept_unreadable,
        })
    }
}

fn verify_failed(path: &Path, what: &str) -> Error {
    Error::io(
        "verify archive of",
        path,
        std::io::Error::other(what.to_string()),
    )
}

fn is_missing(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

fn file_mtime_secs(path: &Path) -> Option<i64> {
    let mtime = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(mtime.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64)
}

/// A session id usable as a file name: no separators, no leading dot, no `..`.
fn check_file_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && !id.starts_with('.')
        && !id.contains("..")
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "session id {id:?} cannot name a file"
        )))
    }
}

/// The slug of a task: lower-case ASCII letters and digits joined by `-`, at most 48
/// characters; `session` when nothing is left.
pub fn slug(task: &str) -> String {
    let mut out = String::new();
    for c in task.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 48 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "session".into()
    } else {
        out
    }
}

fn build_phases(specs: &[PhaseSpec]) -> Result<Vec<Phase>> {
    let mut phases = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let id = i as u32 + 1;
        if spec.name.trim().is_empty() {
            return Err(Error::Invalid(format!("phase {id} has no name")));
        }
        let blocked_by = spec
            .blocked_by
            .clone()
            .unwrap_or_else(|| if id > 1 { vec![id - 1] } else { vec![] });
        if let Some(bad) = blocked_by.iter().find(|b| **b == 0 || **b >= id) {
            return Err(Error::Invalid(format!(
                "phase {id} ({}) cannot wait for phase {bad}: only earlier phases",
                spec.name
            )));
        }
        phases.push(Phase {
            id,
            name: spec.name.trim().to_string(),
            agents: spec
                .agents
                .iter()
                .map(|a| crate::agent::normalize(a))
                .filter(|a| !a.is_empty())
                .collect(),
            parallel: spec.parallel,
            blocked_by,
            ..Phase::default()
        });
    }
    Ok(phases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Add token authentication to the REST API"),
            "add-token-authentication-to-the-rest-api"
        );
        assert_eq!(slug("  ***  "), "session");
        assert_eq!(slug("Ünïcode & stuff!"), "n-code-stuff");
        assert!(slug(&"word ".repeat(40)).len() <= 48);
    }

    #[test]
    fn file_ids() {
        assert!(check_file_id("2026-11-20-x").is_ok());
        for bad in ["", "../x", ".hidden", "a/b", "a..b"] {
            assert!(check_file_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phases_default_to_a_chain() {
        let specs = vec![
            PhaseSpec {
                name: "A".into(),
                agents: vec!["Code-Reviewer".into()],
                ..Default::default()
            },
            PhaseSpec {
                name: "B".into(),
                ..Default::default()
            },
            PhaseSpec {
                name: "C".into(),
                blocked_by: Some(vec![1]),
                ..Default::default()
            },
        ];
        let phases = build_phases(&specs).expect("phases");
        assert_eq!(phases[0].agents, vec!["code_reviewer"]);
        assert_eq!(phases[1].blocked_by, vec![1]);
        assert_eq!(phases[2].blocked_by, vec![1]);
        let bad = vec![PhaseSpec {
            name: "A".into(),
            blocked_by: Some(vec![2]),
            ..Default::default()
        }];
        assert!(build_phases(&bad).is_err());
    }
}
