//! Property test: a process killed at any step of any store operation never loses, duplicates
//! or half-moves a session.
//!
//! Each case runs a random sequence of store operations (create with and without `park`,
//! updates through `apply`, archive, resume, fork, delete, cleanup) on sessions picked among
//! those that exist, against a model that knows only which session ids exist and which one is
//! active. One crash is injected per case with [`fault::arm`]: armed with a random `k` before
//! a random operation, and again before each later one until it fires, it makes the first of
//! them that changes more than `k` files panic at its `k`-th durable file mutation (counting
//! from 0), as if the process had been killed there; `catch_unwind` stands for the restart.
//! Every other operation runs normally and may be refused.
//!
//! Checked:
//! - every operation that runs to its end is refused exactly when the model says it must be
//!   (a missing session, a live active session without `park`/`force`, ...), succeeds when it
//!   must, moves the sessions the model predicts, and a refused one changes no byte;
//! - the crashed operation is all or nothing once `doctor --fix` ran (which finds nothing but
//!   the pending intent, or nothing at all when a listing, the next command, ran first and
//!   showed each session once): a crash before the first mutation changes no byte, a crash
//!   after it (the intent record is durable) is completed; a crashed delete leaves the session
//!   in place (its file is removed last, after its tombstone and checkpoints); a crashed
//!   cleanup removed exactly the sessions whose file it got to remove, each of them wholly;
//! - after every operation, and after `doctor --fix` following the crash and the sequence:
//!   each session the model holds is in exactly one parsable file (the active slot or
//!   `state/archive/<id>.md`) and no other session is; no intent record is pending; no temp
//!   file or quarantine is left; `doctor` finds nothing; every plan document is still there
//!   (whole; a fork has its own copy) and every session's documents exist; nothing was written outside the project (the temp dir holds only the
//!   project and an empty sibling folder).
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use maestro_session_core::operations::Operation;
use maestro_session_core::session::lifecycle::{SessionStatus as S, State};
use maestro_session_core::session::model::PhaseId;
use maestro_session_core::session::phase_spec::PhaseSpec;
use maestro_session_core::session::session_file::{Location, SessionFile};
use maestro_session_core::store::doctor::ProblemKind;
use maestro_session_core::store::{CleanupRequest, CreateRequest, Store};
use maestro_session_core::workspace::paths::Workspace;
use maestro_session_core::{Env, EnvVars};
use maestro_session_fs::durable::{self, fault};
use proptest::prelude::*;
use proptest::sample::Index;

/// The state dir, relative to the project root.
const STATE_DIR: &str = "docs/maestro";
/// Tasks of created sessions; few, so ids collide and get `-2`, `-3` suffixes.
const TASKS: [&str; 2] = ["Add login", "Fix the cache"];
/// A name no session ever has (ids start with today's date).
const MISSING: &str = "1999-01-01-no-such-session";
/// The most durable mutations an operation here makes, bar cleanups (resume parking a session
/// with a plan document: its checkpoint's copy and record, then the intent record, plan move,
/// two writes, two removals, record removal); a crash is armed at a step in `0..MAX_STEP`.
const MAX_STEP: u32 = 9;
/// The durable mutations of the checkpoint `resume` takes before its intent record (the copy,
/// then the record; see `store/checkpoint.rs`).
const RESUME_CHECKPOINT_STEPS: u32 = 2;

/// Where a session lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loc {
    Active,
    Archived,
}

/// The model: every session id expected to exist, and where.
type Model = BTreeMap<String, Loc>;

/// A session as found on disk.
#[derive(Debug, Clone)]
struct Seen {
    loc: Loc,
    status: S,
}

/// Every session on disk, by id.
type Disk = BTreeMap<String, Seen>;

/// A session named by the generated operation.
#[derive(Debug, Clone)]
enum Target {
    /// The active session (no name given).
    Active,
    /// One of the sessions that exist.
    Named(Index),
}

/// What an update through `apply` does.
#[derive(Debug, Clone)]
enum Update {
    Tokens,
    StartPhase,
    Status(S),
    Pause,
}

/// What a cleanup removes.
#[derive(Debug, Clone)]
enum Sweep {
    /// Archived terminal sessions older than 0 s.
    Age0,
    /// Everything (`--all --yes`).
    All,
    /// One session by id.
    Id(Index),
}

/// A generated operation; names are picked when it runs, among the sessions then existing.
#[derive(Debug, Clone)]
enum Op {
    Create {
        task: usize,
        park: bool,
        plan: bool,
    },
    Update {
        target: Target,
        update: Update,
    },
    Archive(Target),
    Resume {
        pick: Index,
        park: bool,
    },
    Fork {
        pick: Index,
        activate: bool,
        park: bool,
    },
    Delete {
        pick: Index,
        force: bool,
    },
    Cleanup(Sweep),
}

/// An operation with its names resolved.
#[derive(Debug, Clone)]
enum Cmd {
    Create {
        task: &'static str,
        park: bool,
        /// The design document written for it, project-relative.
        plan: Option<String>,
    },
    Update {
        target: Option<String>,
        op: Operation,
    },
    Archive(Option<String>),
    Resume {
        id: String,
        park: bool,
    },
    Fork {
        id: String,
        activate: bool,
        park: bool,
    },
    Delete {
        id: String,
        force: bool,
    },
    Cleanup(CleanupBy),
}

#[derive(Debug, Clone)]
enum CleanupBy {
    Age0,
    All,
    Id(String),
}

/// What a successful operation reported.
#[derive(Debug, Clone)]
enum Effect {
    Created(String),
    Updated,
    Archived(String),
    Resumed { id: String, parked: Option<String> },
    Forked(String),
    Deleted(String),
    Cleaned(Vec<String>),
}

/// What the model says of an operation before it runs.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    /// It must be refused, for this reason.
    Refuse(&'static str),
    /// It must succeed.
    Succeed,
    /// Either (an update whose legality depends on phases the model does not track).
    Either,
}

/// How the crashed operation ended up, once `doctor --fix` completed what was pending.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Every session where it was.
    Nothing,
    /// The whole operation took effect.
    Happened,
    /// A cleanup removed this many sessions, each wholly.
    Removed(usize),
    /// The operation moves no session, so nothing and all of it look the same.
    Either,
}

fn target_strategy() -> impl Strategy<Value = Target> {
    prop_oneof![Just(Target::Active), any::<Index>().prop_map(Target::Named)]
}

fn update_strategy() -> impl Strategy<Value = Update> {
    prop_oneof![
        Just(Update::Tokens),
        Just(Update::StartPhase),
        Just(Update::Pause),
        prop::sample::select(S::ALL.to_vec()).prop_map(Update::Status),
    ]
}

fn create_strategy() -> impl Strategy<Value = Op> {
    (0..TASKS.len(), any::<bool>(), any::<bool>()).prop_map(|(task, park, plan)| Op::Create {
        task,
        park,
        plan,
    })
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => create_strategy(),
        3 => (target_strategy(), update_strategy())
            .prop_map(|(target, update)| Op::Update { target, update }),
        2 => target_strategy().prop_map(Op::Archive),
        2 => (any::<Index>(), any::<bool>()).prop_map(|(pick, park)| Op::Resume { pick, park }),
        2 => (any::<Index>(), any::<bool>(), any::<bool>())
            .prop_map(|(pick, activate, park)| Op::Fork { pick, activate, park }),
        1 => (any::<Index>(), any::<bool>()).prop_map(|(pick, force)| Op::Delete { pick, force }),
        1 => prop_oneof![
            Just(Sweep::Age0),
            Just(Sweep::All),
            any::<Index>().prop_map(Sweep::Id),
        ]
        .prop_map(Op::Cleanup),
    ]
}

/// The temp dir of one case: the project in `project/`, and `outside/`, which must stay empty.
struct World {
    tmp: tempfile::TempDir,
    store: Store,
    /// The contents of every plan document written, each expected on disk (forks copy them).
    plans: Vec<String>,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().expect("temp dir");
        let project = tmp.path().join("project");
        std::fs::create_dir(&project).expect("create the project folder");
        std::fs::create_dir(tmp.path().join("outside")).expect("create the sibling folder");
        let env = Env::from_pairs([(
            EnvVars::MAESTRO_WORKSPACE_PATH,
            project.to_str().expect("temp paths are UTF-8"),
        )]);
        let ws = Workspace::with_state_dir(&env, &project, Path::new(STATE_DIR))
            .expect("the state dir lies inside the project");
        World {
            tmp,
            store: Store::new(ws, Env::default()),
            plans: Vec::new(),
        }
    }

    fn project(&self) -> PathBuf {
        self.tmp.path().join("project")
    }

    fn state_dir(&self) -> PathBuf {
        self.project().join(STATE_DIR)
    }

    /// Writes a new plan document into `plans/` and returns its project-relative path.
    fn new_plan(&mut self) -> String {
        let n = self.plans.len();
        let dir = self.state_dir().join("plans");
        std::fs::create_dir_all(&dir).expect("create plans/");
        let content = format!("design {n}\n");
        std::fs::write(dir.join(format!("design-{n}.md")), &content).expect("write a plan");
        self.plans.push(content);
        format!("{STATE_DIR}/plans/design-{n}.md")
    }
}

/// The names picked from: the sorted ids of `list`, or a missing name when it is empty.
fn pick(index: &Index, list: &[&String]) -> String {
    if list.is_empty() {
        MISSING.to_string()
    } else {
        list[index.index(list.len())].clone()
    }
}

fn resolve(op: &Op, model: &Model, world: &mut World) -> Cmd {
    let all: Vec<&String> = model.keys().collect();
    let archived: Vec<&String> = model
        .iter()
        .filter(|(_, loc)| **loc == Loc::Archived)
        .map(|(id, _)| id)
        .collect();
    let target = |t: &Target| match t {
        Target::Active => None,
        Target::Named(i) => Some(pick(i, &all)),
    };
    match op {
        Op::Create { task, park, plan } => Cmd::Create {
            task: TASKS[*task],
            park: *park,
            plan: plan.then(|| world.new_plan()),
        },
        Op::Update { target: t, update } => Cmd::Update {
            target: target(t),
            op: match update {
                Update::Tokens => Operation::Tokens {
                    agent: maestro_session_core::session::agent_name::AgentName::parse("coder")
                        .expect("name"),
                    input: 10,
                    output: 20,
                    cached: 0,
                },
                Update::StartPhase => Operation::PhaseStart(PhaseId::Number(1)),
                Update::Status(s) => Operation::SetStatus(*s),
                Update::Pause => Operation::Pause,
            },
        },
        Op::Archive(t) => Cmd::Archive(target(t)),
        Op::Resume { pick: i, park } => Cmd::Resume {
            id: pick(i, if archived.is_empty() { &all } else { &archived }),
            park: *park,
        },
        Op::Fork {
            pick: i,
            activate,
            park,
        } => Cmd::Fork {
            id: pick(i, &all),
            activate: *activate,
            park: *park,
        },
        Op::Delete { pick: i, force } => Cmd::Delete {
            id: pick(i, &all),
            force: *force,
        },
        Op::Cleanup(Sweep::Age0) => Cmd::Cleanup(CleanupBy::Age0),
        Op::Cleanup(Sweep::All) => Cmd::Cleanup(CleanupBy::All),
        Op::Cleanup(Sweep::Id(i)) => Cmd::Cleanup(CleanupBy::Id(pick(i, &all))),
    }
}

fn execute(store: &Store, cmd: &Cmd) -> maestro_session_core::Result<Effect> {
    match cmd {
        Cmd::Create { task, park, plan } => {
            let phases = ["Design", "Build"]
                .iter()
                .map(|name| PhaseSpec {
                    name: (*name).into(),
                    agents: vec!["coder".into()],
                    ..PhaseSpec::default()
                })
                .collect();
            let s = store.create(&CreateRequest {
                task: (*task).into(),
                phases,
                design_document: plan.clone(),
                park: *park,
                ..Default::default()
            })?;
            Ok(Effect::Created(s.id().to_string()))
        }
        Cmd::Update { target, op } => {
            store.apply(target.as_deref(), op)?;
            Ok(Effect::Updated)
        }
        Cmd::Archive(target) => Ok(Effect::Archived(
            store.archive(target.as_deref())?.session_id,
        )),
        Cmd::Resume { id, park } => {
            let r = store.resume(id, *park)?;
            Ok(Effect::Resumed {
                id: r.session_id,
                parked: r.parked,
            })
        }
        Cmd::Fork { id, activate, park } => Ok(Effect::Forked(
            store.fork(id, *activate, *park)?.id().to_string(),
        )),
        Cmd::Delete { id, force } => Ok(Effect::Deleted(store.delete(id, *force)?.session_id)),
        Cmd::Cleanup(by) => {
            let req = match by {
                CleanupBy::Age0 => CleanupRequest {
                    older_than_secs: Some(0),
                    ..Default::default()
                },
                CleanupBy::All => CleanupRequest {
                    all: true,
                    yes: true,
                    ..Default::default()
                },
                CleanupBy::Id(id) => CleanupRequest {
                    id: Some(id.clone()),
                    ..Default::default()
                },
            };
            let r = store.cleanup(&req)?;
            Ok(Effect::Cleaned(
                r.removed.into_iter().map(|(id, _)| id).collect(),
            ))
        }
    }
}

fn locations(disk: &Disk) -> Model {
    disk.iter().map(|(id, s)| (id.clone(), s.loc)).collect()
}

fn active_of(disk: &Disk) -> Option<(&String, &Seen)> {
    disk.iter().find(|(_, s)| s.loc == Loc::Active)
}

/// Whether the active session, if any, is one that must not be replaced without `park`.
fn live_active(disk: &Disk) -> Option<&String> {
    active_of(disk)
        .filter(|(_, s)| !s.status.is_terminal())
        .map(|(id, _)| id)
}

/// What the model says of `cmd` on `disk`: the rules of the store's docs, nothing more.
fn verdict(disk: &Disk, cmd: &Cmd) -> Verdict {
    let exists = |id: &str| disk.contains_key(id);
    let is_active = |id: &str| disk.get(id).is_some_and(|s| s.loc == Loc::Active);
    match cmd {
        Cmd::Create { park, .. } => {
            if !park && live_active(disk).is_some() {
                return Verdict::Refuse("a live active session without --park");
            }
            Verdict::Succeed
        }
        Cmd::Update { target, op } => {
            let there = match target {
                None => active_of(disk).is_some(),
                Some(id) => exists(id),
            };
            if !there {
                Verdict::Refuse("no such session")
            } else if matches!(op, Operation::Tokens { .. }) {
                Verdict::Succeed
            } else {
                Verdict::Either
            }
        }
        Cmd::Archive(target) => {
            let there = match target {
                None => active_of(disk).is_some(),
                Some(id) => exists(id),
            };
            if there {
                Verdict::Succeed
            } else {
                Verdict::Refuse("no such session")
            }
        }
        Cmd::Resume { id, park } => match disk.get(id) {
            None => Verdict::Refuse("no such session"),
            Some(s) if s.status.is_terminal() => Verdict::Refuse("a finished session"),
            Some(_) if !park && live_active(disk).is_some_and(|a| a != id) => {
                Verdict::Refuse("a live active session without --park")
            }
            Some(_) => Verdict::Succeed,
        },
        Cmd::Fork { id, activate, park } => {
            if !exists(id) {
                Verdict::Refuse("no such session")
            } else if *activate && !park && live_active(disk).is_some() {
                Verdict::Refuse("a live active session without --park")
            } else {
                Verdict::Succeed
            }
        }
        Cmd::Delete { id, force } => {
            if !exists(id) {
                Verdict::Refuse("no such session")
            } else if !force && is_active(id) {
                Verdict::Refuse("the active session without --force")
            } else {
                Verdict::Succeed
            }
        }
        Cmd::Cleanup(CleanupBy::Id(id)) => {
            if !exists(id) {
                Verdict::Refuse("no such session")
            } else if is_active(id) {
                Verdict::Refuse("cleanup of the active session")
            } else {
                Verdict::Succeed
            }
        }
        Cmd::Cleanup(_) => Verdict::Succeed,
    }
}

/// The sessions a cleanup may remove.
fn cleanup_candidates(disk: &Disk, by: &CleanupBy) -> BTreeSet<String> {
    disk.iter()
        .filter(|(id, s)| match by {
            CleanupBy::Age0 => s.loc == Loc::Archived && s.status.is_terminal(),
            CleanupBy::All => true,
            CleanupBy::Id(target) => *id == target,
        })
        .map(|(id, _)| id.clone())
        .collect()
}

/// `model` with its active session (other than `except`) moved to the archive.
fn active_archived(model: &mut Model, except: Option<&str>) {
    for (id, loc) in model.iter_mut() {
        if *loc == Loc::Active && Some(id.as_str()) != except {
            *loc = Loc::Archived;
        }
    }
}

/// The model after `cmd` succeeded on `disk` reporting `effect`, or why the report is wrong.
fn after_success(disk: &Disk, cmd: &Cmd, effect: &Effect) -> Result<Model, String> {
    let mut model = locations(disk);
    let active = active_of(disk).map(|(id, _)| id.clone());
    match (cmd, effect) {
        (Cmd::Create { .. }, Effect::Created(new)) | (Cmd::Fork { .. }, Effect::Forked(new)) => {
            if model.contains_key(new) {
                return Err(format!("new session {new} reuses an existing id"));
            }
            let activate = match cmd {
                Cmd::Fork { activate, .. } => *activate,
                _ => true,
            };
            if activate {
                active_archived(&mut model, None);
                model.insert(new.clone(), Loc::Active);
            } else {
                model.insert(new.clone(), Loc::Archived);
            }
        }
        (Cmd::Update { .. }, Effect::Updated) => {}
        (Cmd::Archive(target), Effect::Archived(id)) => {
            let expected = target.clone().or(active);
            if expected.as_ref() != Some(id) {
                return Err(format!("archive of {expected:?} reported {id}"));
            }
            model.insert(id.clone(), Loc::Archived);
        }
        (Cmd::Resume { id: wanted, .. }, Effect::Resumed { id, parked }) => {
            if wanted != id {
                return Err(format!("resume of {wanted} reported {id}"));
            }
            let should_park = live_active(disk).filter(|a| *a != id).cloned();
            if *parked != should_park {
                return Err(format!(
                    "resume of {id} reported parking {parked:?}, expected {should_park:?}"
                ));
            }
            active_archived(&mut model, Some(id));
            model.insert(id.clone(), Loc::Active);
        }
        (Cmd::Delete { id: wanted, .. }, Effect::Deleted(id)) => {
            if wanted != id {
                return Err(format!("delete of {wanted} reported {id}"));
            }
            model.remove(id);
        }
        (Cmd::Cleanup(by), Effect::Cleaned(removed)) => {
            let removed_set: BTreeSet<String> = removed.iter().cloned().collect();
            if removed_set.len() != removed.len() {
                return Err(format!("cleanup reported a session twice: {removed:?}"));
            }
            let candidates = cleanup_candidates(disk, by);
            if removed_set != candidates {
                return Err(format!(
                    "cleanup {by:?} removed {removed_set:?}, expected {candidates:?}"
                ));
            }
            for id in removed {
                model.remove(id);
            }
        }
        (cmd, effect) => return Err(format!("{cmd:?} reported {effect:?}")),
    }
    Ok(model)
}

/// How the crashed `cmd` ended, judged from the sessions `after` it (and `doctor --fix`)
/// against those `before` it; an error when it is neither nothing nor all of it.
fn crash_outcome(before: &Disk, cmd: &Cmd, after: &Model) -> Result<Outcome, String> {
    let old = locations(before);
    if let Cmd::Cleanup(by) = cmd {
        let candidates = cleanup_candidates(before, by);
        let gone: BTreeSet<String> = old
            .keys()
            .filter(|id| !after.contains_key(*id))
            .cloned()
            .collect();
        let kept_in_place = after.iter().all(|(id, loc)| old.get(id) == Some(loc));
        if !kept_in_place || !gone.is_subset(&candidates) {
            return Err(format!(
                "crashed cleanup {by:?}: before {old:?}, after {after:?}, candidates {candidates:?}"
            ));
        }
        return Ok(Outcome::Removed(gone.len()));
    }
    let nothing = *after == old;
    let new: Vec<&String> = after.keys().filter(|id| !old.contains_key(*id)).collect();
    let effect = match cmd {
        Cmd::Create { .. } | Cmd::Fork { .. } => match new[..] {
            [id] if matches!(cmd, Cmd::Create { .. }) => Some(Effect::Created(id.clone())),
            [id] => Some(Effect::Forked(id.clone())),
            _ => None,
        },
        Cmd::Update { .. } => Some(Effect::Updated),
        Cmd::Archive(target) => Some(Effect::Archived(
            target
                .clone()
                .or_else(|| active_of(before).map(|(id, _)| id.clone()))
                .unwrap_or_default(),
        )),
        Cmd::Resume { id, .. } => Some(Effect::Resumed {
            id: id.clone(),
            parked: live_active(before).filter(|a| *a != id).cloned(),
        }),
        Cmd::Delete { id, .. } => Some(Effect::Deleted(id.clone())),
        Cmd::Cleanup(_) => unreachable!("handled above"),
    };
    let whole = match effect {
        Some(effect) => Some(after_success(before, cmd, &effect)?),
        None => None,
    };
    let happened = whole.as_ref() == Some(after);
    match (nothing, happened) {
        // The operation moves no session (an update, an archive of an archived session): both
        // outcomes look the same.
        (true, true) => Ok(Outcome::Either),
        (true, false) => Ok(Outcome::Nothing),
        (false, true) => Ok(Outcome::Happened),
        (false, false) => Err(format!(
            "half done: before {old:?}, after {after:?}, done would be {whole:?}"
        )),
    }
}

/// Every session on disk; an error for a file that does not parse, an archive file not named
/// after its session, anything else in the archive, or a session in two places.
/// Every plan document session `s` names exists: archiving or forking one session never moves
/// a document another still names.
fn plans_exist(world: &World, s: &SessionFile) -> Result<(), String> {
    for doc in [&s.meta.design_document, &s.meta.implementation_plan]
        .into_iter()
        .flatten()
    {
        if !world.project().join(doc).is_file() {
            return Err(format!(
                "session {} names {doc}, which does not exist",
                s.id()
            ));
        }
    }
    Ok(())
}

fn observe(world: &World) -> Result<Disk, String> {
    let mut disk = Disk::new();
    let ws = world.store.workspace();
    match SessionFile::load(&ws.active_session_path(), Location::Active) {
        Ok(s) => {
            plans_exist(world, &s)?;
            disk.insert(
                s.id().to_string(),
                Seen {
                    loc: Loc::Active,
                    status: s.meta.status,
                },
            );
        }
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(format!("the active session does not parse: {e}")),
    }
    for name in names(&ws.archive_dir()) {
        let Some(stem) = name.strip_suffix(".md").filter(|_| !name.starts_with('.')) else {
            return Err(format!("unexpected file in the archive: {name}"));
        };
        let path = ws.archive_dir().join(&name);
        let s = SessionFile::load(&path, Location::Archive)
            .map_err(|e| format!("{name} does not parse: {e}"))?;
        if s.id() != stem {
            return Err(format!("{name} holds session {}", s.id()));
        }
        plans_exist(world, &s)?;
        let seen = Seen {
            loc: Loc::Archived,
            status: s.meta.status,
        };
        if disk.insert(stem.to_string(), seen).is_some() {
            return Err(format!("session {stem} is in two places"));
        }
    }
    Ok(disk)
}

/// The names in `dir`, sorted; empty when it does not exist.
fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| {
                e.expect("read a folder entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("cannot list {}: {e}", dir.display()),
    };
    out.sort();
    out
}

/// Every regular file beneath `dir` with its bytes, by path relative to `dir`.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for name in names(dir) {
            let path = dir.join(&name);
            let meta = std::fs::symlink_metadata(&path).expect("inspect a file");
            if meta.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("beneath").to_path_buf();
                out.insert(rel, std::fs::read(&path).expect("read a file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The project's files a refused operation must leave alone (the lock and the list index,
/// a cache, may change).
fn content(world: &World) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut all = files(&world.project());
    let state = Path::new(STATE_DIR).join("state");
    all.remove(&state.join(".lock"));
    all.remove(&state.join(".index.json"));
    all.remove(&state.join(".list-index"));
    all.remove(&state.join(".search-index"));
    all
}

/// The invariants that hold between operations; see the module docs.
fn check_all(world: &World, model: &Model) -> Result<(), String> {
    let disk = observe(world)?;
    let found = locations(&disk);
    if found != *model {
        return Err(format!("sessions on disk {found:?}, model {model:?}"));
    }
    let state = world.state_dir().join("state");
    let pending = names(&state.join("intents"));
    if !pending.is_empty() {
        return Err(format!("intent records left: {pending:?}"));
    }
    let allowed = [
        ".index.json",
        ".list-index",
        ".lock",
        "active-session.md",
        "archive",
        // Checkpoints taken before resume and phase transitions (store/checkpoint.rs).
        "checkpoints",
        // The per-session event logs (store/event_log.rs).
        "events",
        // The ids of removed sessions, never used again (store/used_ids.rs).
        "tombstones",
        "intents",
    ];
    let extra: Vec<String> = names(&state)
        .into_iter()
        .filter(|n| !allowed.contains(&n.as_str()))
        .collect();
    if !extra.is_empty() {
        return Err(format!(
            "unexpected in state/ (quarantine? temp files?): {extra:?}"
        ));
    }
    let temps: Vec<PathBuf> = files(&world.project())
        .into_keys()
        .filter(|p| p.to_string_lossy().ends_with(durable::TEMP_SUFFIX))
        .collect();
    if !temps.is_empty() {
        return Err(format!("temp files left: {temps:?}"));
    }
    let report = world
        .store
        .doctor(false)
        .map_err(|e| format!("doctor: {e}"))?;
    if !report.problems.is_empty() {
        return Err(format!("doctor found {:?}", report.problems));
    }
    // Every plan document written is still there, and nothing else is (a fork has its own
    // copy, so a document may be there more than once, always whole).
    let plans: std::collections::BTreeSet<String> = files(&world.state_dir().join("plans"))
        .into_values()
        .map(|b| String::from_utf8(b).expect("plans are UTF-8"))
        .collect();
    let written: std::collections::BTreeSet<String> = world.plans.iter().cloned().collect();
    if plans != written {
        return Err(format!("plan documents {plans:?}, written {written:?}"));
    }
    let top = names(world.tmp.path());
    let outside = names(&world.tmp.path().join("outside"));
    if top != ["outside", "project"] || !outside.is_empty() {
        return Err(format!(
            "written outside the project: temp dir {top:?}, sibling {outside:?}"
        ));
    }
    let project = names(&world.project());
    let state_dir = names(&world.state_dir());
    if project != ["docs"] || state_dir.iter().any(|n| n != "plans" && n != "state") {
        return Err(format!(
            "written outside the state dir: project {project:?}, state dir {state_dir:?}"
        ));
    }
    Ok(())
}

/// Runs `cmd` with a crash armed after `k` mutations: `Some(result)` when the crash was not
/// reached (the operation ran to its end), `None` when it crashed; an error for any other
/// panic.
fn run_crashed(
    store: &Store,
    cmd: &Cmd,
    k: u32,
) -> Result<Option<maestro_session_core::Result<Effect>>, String> {
    fault::arm(k);
    let result = panic::catch_unwind(AssertUnwindSafe(|| execute(store, cmd)));
    let not_reached = fault::disarm();
    match result {
        Ok(r) if not_reached => Ok(Some(r)),
        Ok(_) => Err("the crash was reached but did not unwind".into()),
        Err(payload) => {
            let msg = panic_text(payload.as_ref()).unwrap_or("<not a string>");
            if !not_reached && msg == fault::CRASH {
                Ok(None)
            } else {
                Err(format!("a panic that is not the injected crash: {msg}"))
            }
        }
    }
}

/// What follows the crash of `cmd` at step `k`, run on the sessions `before` it (the project's
/// files were `bytes`): with `list_first`, a listing (the next command, which completes the
/// pending move) must show each session once; then `doctor --fix` must find nothing but the
/// pending move, and the sessions must be where nothing or all of `cmd` put them, as `k` says.
/// Returns the model after it.
fn after_crash(
    world: &World,
    before: &Disk,
    bytes: &BTreeMap<PathBuf, Vec<u8>>,
    cmd: &Cmd,
    k: u32,
    list_first: bool,
    removal_costs: &[u32],
) -> Result<Model, String> {
    if list_first {
        let (rows, broken) = world
            .store
            .summaries()
            .map_err(|e| format!("list after the crash: {e}"))?;
        let ids: BTreeSet<&str> = rows.iter().map(|r| r.session_id.as_str()).collect();
        if !broken.is_empty() || ids.len() != rows.len() {
            return Err(format!(
                "list after the crash: {:?}, unreadable {broken:?}",
                rows.iter().map(|r| &r.session_id).collect::<Vec<_>>()
            ));
        }
    }
    let report = world
        .store
        .doctor(true)
        .map_err(|e| format!("doctor --fix after the crash: {e}"))?;
    let only_pending = report
        .problems
        .iter()
        .all(|p| p.kind == ProblemKind::PendingIntent && !list_first);
    if !only_pending {
        return Err(format!(
            "after a crash at step {k} doctor found {:?}",
            report.problems
        ));
    }
    let after = locations(&observe(world)?);
    let outcome = crash_outcome(before, cmd, &after)?;
    // The first mutation is the intent record (or the only step): a crash before it undoes,
    // after it the move is completed. Resume first writes its checkpoint, which moves nothing.
    // A delete removes the session's file last, so a crashed one removed nothing; a cleanup
    // removes its sessions one after the other, each costing its tombstone, its checkpoint
    // files and its file (last).
    let expected = match (cmd, k) {
        (Cmd::Cleanup(_), k) => Outcome::Removed(removed_within(removal_costs, k)),
        (Cmd::Delete { .. }, _) => Outcome::Nothing,
        (Cmd::Resume { .. }, k) if k <= RESUME_CHECKPOINT_STEPS => Outcome::Nothing,
        (_, 0) => Outcome::Nothing,
        _ => Outcome::Happened,
    };
    if outcome != expected && outcome != Outcome::Either {
        return Err(format!(
            "crash at step {k}: {outcome:?}, expected {expected:?}"
        ));
    }
    if k == 0 && content(world) != *bytes {
        return Err("a crash before the first mutation changed files".into());
    }
    Ok(after)
}

/// How many of the sessions a cleanup removes in turn, each costing `costs[i]` mutations with
/// its file removed by the last, are removed when it crashes at its `k`-th mutation.
fn removed_within(costs: &[u32], k: u32) -> usize {
    let mut done = 0u32;
    costs
        .iter()
        .take_while(|&&c| {
            done += c;
            done <= k
        })
        .count()
}

/// The mutations each session `cmd` (a cleanup) removes costs, in the order it removes them
/// (the listing's): its tombstone, its checkpoint files, its file. Empty for other commands.
fn removal_costs(world: &World, before: &Disk, cmd: &Cmd) -> Result<Vec<u32>, String> {
    let Cmd::Cleanup(by) = cmd else {
        return Ok(Vec::new());
    };
    let candidates = cleanup_candidates(before, by);
    let (rows, _) = world
        .store
        .summaries()
        .map_err(|e| format!("list before a cleanup: {e}"))?;
    Ok(rows
        .iter()
        .filter(|r| candidates.contains(&r.session_id))
        .map(|r| {
            let folder = world
                .state_dir()
                .join("state/checkpoints")
                .join(&r.session_id);
            let copies = names(&folder)
                .iter()
                .filter(|n| {
                    let stem = n.strip_suffix(".md").or_else(|| n.strip_suffix(".json"));
                    stem.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                })
                .count();
            2 + u32::try_from(copies).unwrap_or(u32::MAX)
        })
        .collect())
}

/// One case: `ops`, with a crash after `k` mutations of the first operation from `crash_from`
/// on that makes more than `k` (the crash is armed before each until one reaches it; those
/// that do not run to their end as if unarmed); `list_first`: see [`after_crash`].
fn run_case(ops: &[Op], crash_from: usize, k: u32, list_first: bool) -> Result<(), String> {
    let mut world = World::new();
    let mut model = Model::new();
    let mut crashed = false;
    for (n, op) in ops.iter().enumerate() {
        let before = observe(&world)?;
        let cmd = resolve(op, &model, &mut world);
        let verdict = verdict(&before, &cmd);
        let bytes = content(&world);
        let at = |what: String| format!("op {n} {cmd:?} (verdict {verdict:?}): {what}");
        let result = if n >= crash_from && !crashed {
            let costs = removal_costs(&world, &before, &cmd).map_err(at)?;
            match run_crashed(&world.store, &cmd, k).map_err(at)? {
                Some(result) => result,
                None => {
                    crashed = true;
                    if let Verdict::Refuse(why) = verdict {
                        return Err(at(format!("crashed at step {k} though refused: {why}")));
                    }
                    model = after_crash(&world, &before, &bytes, &cmd, k, list_first, &costs)
                        .map_err(at)?;
                    check_all(&world, &model).map_err(|e| at(format!("after the crash: {e}")))?;
                    continue;
                }
            }
        } else {
            execute(&world.store, &cmd)
        };
        match (result, &verdict) {
            (Err(e), Verdict::Succeed) => return Err(at(format!("refused: {e}"))),
            (Ok(effect), Verdict::Refuse(why)) => {
                return Err(at(format!("succeeded ({effect:?}) though {why}")));
            }
            (Err(_), _) => {
                if content(&world) != bytes {
                    return Err(at("a refused operation changed files".into()));
                }
            }
            (Ok(effect), _) => model = after_success(&before, &cmd, &effect).map_err(at)?,
        }
        check_all(&world, &model).map_err(at)?;
    }
    let report = world
        .store
        .doctor(true)
        .map_err(|e| format!("final doctor --fix: {e}"))?;
    if !report.problems.is_empty() {
        return Err(format!("final doctor --fix found {:?}", report.problems));
    }
    check_all(&world, &model).map_err(|e| format!("at the end: {e}"))
}

/// The message of a panic, when it is text.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
}

/// Keeps the injected crashes out of the test output; every other panic is printed.
fn quiet_injected_crashes() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if panic_text(info.payload()) != Some(fault::CRASH) {
                default(info);
            }
        }));
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_kill_at_any_step_loses_and_duplicates_nothing(
        ops in (create_strategy(), prop::collection::vec(op_strategy(), 0..12))
            .prop_map(|(first, rest)| [vec![first], rest].concat()),
        crash_from in any::<Index>(),
        // Small steps are reachable in every operation that changes anything; the large ones
        // only in the longest moves.
        k in prop_oneof![2 => Just(0u32), 3 => 1..3u32, 2 => 3..MAX_STEP],
        list_first in any::<bool>(),
    ) {
        quiet_injected_crashes();
        let crash_from = crash_from.index(ops.len());
        run_case(&ops, crash_from, k, list_first).map_err(TestCaseError::fail)?;
    }
}
