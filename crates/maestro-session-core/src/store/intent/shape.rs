//! The step shapes of each intent op (DESIGN 3: "Intent records are validated against the
//! step shapes of their op and their own session's paths before any replay").
//!
//! A record is about one session, S (its `session_id`). Paths are relative to the state dir,
//! plain (`/`-separated names, no `.`, `..`, empty name, NUL or backslash) and each names one
//! place of the state dir. What each op may do:
//!
//! | op | steps |
//! |---|---|
//! | `archive` | move `plans/<n>` to `plans/archive/S--<m>`; write `state/archive/S.md` (holding S); remove S's old file (`state/active-session.md` or `state/archive/<any>.md`) |
//! | `create` | write `plans/<n>`; write `state/active-session.md` (holding S); the displacement below |
//! | `resume` | write `state/active-session.md` (holding S); remove `state/archive/<any>.md` holding S; the displacement |
//! | `fork` | copy `plans/<n>` to `plans/S--<m>`; write `state/active-session.md` or `state/archive/S.md` (holding S); the displacement |
//! | `write-state` | write `state/active-session.md` or `state/archive/S.md` (holding S); the displacement |
//! | `import` | write `plans/<n>`, `plans/archive/<n>`, `state/checkpoints/S/<seq>.md` (holding S) and `.json` (a JSON object), `state/events/S.jsonl`, `state/active-session.md` or `state/archive/S.md` (holding S); the displacement |
//! | `quarantine` | exactly: write `state/quarantine/<q>.why`, then move a file the tools own (a session file, an event log, a checkpoint, an intent record, the lock, an index, a temp file, or the `events/`, `checkpoints/` folders) to `state/quarantine/<q>`, where `<q>` ends in that file's name |
//! | `repair-event-log` | per torn line: excerpt bytes of `state/events/S.jsonl` into `state/quarantine/<q>`, write `<q>.why`, blank the same bytes |
//!
//! The displacement (the ops marked so, never `archive`): the session D in the active slot
//! moves to the archive: write `state/archive/D.md` (holding D), move D's plans to
//! `plans/archive/D--<m>`, remove `state/active-session.md` holding D. One D at most, and
//! only when a step removes the active slot's D; the write of the active slot comes after.
//!
//! And for every op: a step removes a session's file only after a step wrote that session
//! elsewhere; a file is written by one step at most; a file a `move` or `copy` names is named
//! by no other step; at least one step writes S (bar `quarantine` and `repair-event-log`).
//! A record read from disk ([`check_record`]) must also have this version's format and an
//! `expect` entry for exactly the files its `write` and `remove` steps name: `absent` for every
//! file but the active slot, S's archive file and the files it removes (a record never replaces
//! a file it did not find there: a plan, a checkpoint, an event log, a note, the archive copy of
//! the session it moves out of the active slot).

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use crate::session::session_file::{Location, SessionFile};
use crate::session::session_id::check_file_id;
use crate::store::intent::{ABSENT, Intent, MAX_STEPS, Step, VERSION, cut};
use crate::workspace::paths::{LOCK_REL, OWNER_REL};

/// The longest path a record may name, in bytes.
const MAX_PATH_BYTES: usize = 1024;
/// The longest name in a path, in bytes.
const MAX_NAME_BYTES: usize = 255;
/// The largest torn line a `repair-event-log` sets aside, in bytes.
pub const MAX_EXCERPT_BYTES: u64 = maestro_session_fs::durable::MAX_SESSION_BYTES;

/// What an intent record does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Archive a session.
    Archive,
    /// Create a session.
    Create,
    /// Resume an archived session into the active slot.
    Resume,
    /// Fork a session.
    Fork,
    /// `write-state` of a session file.
    WriteState,
    /// Import an exported session.
    Import,
    /// Set a file aside in `state/quarantine/` (`doctor --fix`, `delete --force`).
    Quarantine,
    /// Set torn event-log lines aside and blank them (`doctor --fix`).
    RepairEventLog,
    /// Record a design approval (MCP `record_design_approval`): the design document written
    /// by content, then the session's design gate sidecar.
    DesignApproval,
}

/// Every op, in the order of [`Op`].
pub const OPS: [Op; 9] = [
    Op::Archive,
    Op::Create,
    Op::Resume,
    Op::Fork,
    Op::WriteState,
    Op::Import,
    Op::Quarantine,
    Op::RepairEventLog,
    Op::DesignApproval,
];

impl Op {
    /// The name records use (`archive`, `write-state`, `repair-event-log`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Op::Archive => "archive",
            Op::Create => "create",
            Op::Resume => "resume",
            Op::Fork => "fork",
            Op::WriteState => "write-state",
            Op::Import => "import",
            Op::Quarantine => "quarantine",
            Op::RepairEventLog => "repair-event-log",
            Op::DesignApproval => "design-approval",
        }
    }

    /// The op named `name`.
    pub fn parse(name: &str) -> Option<Op> {
        OPS.into_iter().find(|op| op.name() == name)
    }

    /// Whether the op may move the active slot's session to the archive (make room).
    fn displaces(self) -> bool {
        matches!(
            self,
            Op::Create | Op::Resume | Op::Fork | Op::WriteState | Op::Import
        )
    }
}

/// A place of the state dir a record may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place<'a> {
    /// `state/active-session.md`.
    Active,
    /// `state/archive/<stem>.md`.
    Archive(&'a str),
    /// `plans/<name>`.
    Plan(&'a str),
    /// `plans/archive/<name>`.
    PlanArchive(&'a str),
    /// `state/checkpoints`.
    Checkpoints,
    /// `state/checkpoints/<session>`.
    CheckpointFolder(&'a str),
    /// `state/checkpoints/<session>/<file>`.
    Checkpoint(&'a str, &'a str),
    /// `state/events`.
    Events,
    /// `state/events/<name>`.
    EventLog(&'a str),
    /// `state/quarantine/<name>`.
    Quarantine(&'a str),
    /// `state/intents/<name>`.
    Record(&'a str),
    /// `state/<session>.design-gate.json`, the design gate sidecar of a session.
    DesignGate(&'a str),
    /// The lock, an index, the owner record: files of `state/` the tools own.
    Owned,
    /// A temp file of a durable replace in one of the folders above.
    Temp,
}

/// Why `intent` does not have its op's shape (see the module docs), `Ok` when it does. Checks
/// what the command that plans an intent controls; [`check_record`] adds what a record read
/// from disk must also have.
///
/// Errors: one sentence naming the step (from 1) and the rule it breaks.
pub fn check(intent: &Intent) -> Result<(), String> {
    let op = Op::parse(&intent.op).ok_or_else(|| {
        let known: Vec<&str> = OPS.iter().map(|o| o.name()).collect();
        format!(
            "op {:?} is not one of {}",
            cut(&intent.op),
            known.join(", ")
        )
    })?;
    let own = intent.session_id.as_str();
    if !(op == Op::Quarantine && own.is_empty()) {
        session(own).map_err(|why| format!("session_id: {why}"))?;
    }
    if intent.created.len() > 64 {
        return Err("created is longer than 64 bytes".into());
    }
    if intent.steps.is_empty() {
        return Err("it has no steps".into());
    }
    if intent.steps.len() > MAX_STEPS {
        return Err(format!(
            "it has {} steps, more than the {MAX_STEPS} a record may hold",
            intent.steps.len()
        ));
    }
    let mut places = Vec::with_capacity(intent.steps.len());
    for (i, step) in intent.steps.iter().enumerate() {
        let at = |why: String| format!("step {} ({}): {why}", i + 1, step.kind());
        let (a, b) = match step {
            Step::Move { from, to } | Step::Copy { from, to } => (from, Some(to)),
            Step::Write { path, .. } | Step::Remove { path, .. } => (path, None),
            Step::Excerpt { from, to, .. } => (from, Some(to)),
            Step::Blank { path, kept, .. } => (path, Some(kept)),
        };
        let a = place(a).map_err(at)?;
        let b = b.map(|p| place(p)).transpose().map_err(at)?;
        places.push((a, b));
    }
    match op {
        Op::Quarantine => set_aside_shape(intent, &places),
        Op::RepairEventLog => repair_shape(intent, &places),
        Op::DesignApproval => approval_shape(intent, &places),
        _ => move_shape(op, intent, &places),
    }
}

/// [`check`], plus what a record read from disk must have: this [`VERSION`] and an `expect`
/// entry for exactly the files its `write` and `remove` steps name, each [`ABSENT`] or
/// `sha256:` and 64 lowercase hex digits; [`ABSENT`] for every file but the active slot, the
/// session's own archive file and the files a `remove` names.
///
/// Errors: one sentence naming what is wrong.
pub fn check_record(intent: &Intent) -> Result<(), String> {
    if intent.version != VERSION {
        return Err(format!(
            "record format {} (this version replays format {VERSION} only, whose records say what each file held before)",
            intent.version
        ));
    }
    check(intent)?;
    let changed: BTreeSet<&str> = intent.steps.iter().filter_map(Step::changed_path).collect();
    let listed: BTreeSet<&str> = intent.expect.keys().map(String::as_str).collect();
    if let Some(missing) = changed.difference(&listed).next() {
        return Err(format!(
            "expect says nothing of {}, which a step changes",
            cut(missing)
        ));
    }
    if let Some(extra) = listed.difference(&changed).next() {
        return Err(format!(
            "expect names {}, which no step writes or removes",
            cut(extra)
        ));
    }
    // Files a step may find there and change: the active slot, the own session's archive
    // file, and any file a `remove` names. Everything else a record writes is new (a
    // displaced session's archive copy, a plan, a checkpoint, an event log, a note).
    let own_archive = format!("state/archive/{}.md", intent.session_id);
    let removed: BTreeSet<&str> = intent
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Remove { path, .. } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    for (path, value) in &intent.expect {
        let digest = value.strip_prefix("sha256:").is_some_and(|hex| {
            hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        let own_gate = format!(
            "state/{}{}",
            intent.session_id,
            crate::store::design_gate::GATE_SUFFIX
        );
        let may_exist = path == "state/active-session.md"
            || *path == own_archive
            || *path == own_gate
            || removed.contains(path.as_str());
        // A file a step removes was there: the command read the session from it.
        let must_exist = removed.contains(path.as_str());
        let (ok, want) = match (may_exist, must_exist) {
            (_, true) => (
                digest,
                "\"sha256:<64 hex digits>\" (a removed file was there)",
            ),
            (true, false) => (
                value == ABSENT || digest,
                "\"absent\" or \"sha256:<64 hex digits>\"",
            ),
            (false, false) => (value == ABSENT, "\"absent\" (a record never replaces it)"),
        };
        if !ok {
            return Err(format!(
                "expect of {} is {:?}, not {want}",
                cut(path),
                cut(value)
            ));
        }
    }
    Ok(())
}

/// Whether `rel` (state-dir relative) is an event log (`state/events/<name>`).
pub fn is_event_log(rel: &str) -> bool {
    matches!(place(rel), Ok(Place::EventLog(_)))
}

/// Whether `rel` is a session file (the active slot or `state/archive/<stem>.md`).
pub fn is_session_file(rel: &str) -> bool {
    matches!(place(rel), Ok(Place::Active | Place::Archive(_)))
}

/// Whether the folder of `rel` is created when a step writes into it (a checkpoint's session
/// folder, `state/events/`).
pub fn created_on_demand(rel: &str) -> bool {
    matches!(place(rel), Ok(Place::Checkpoint(..) | Place::EventLog(_)))
}

/// The session a `quarantine` of `rel` is about, as [`check`] requires it: the session an
/// event log or a checkpoint is named after, else none (empty: a session file's session is
/// read from it, not from its name; the lock, an index or a temp file belong to none).
pub fn owner_of(rel: &str) -> String {
    let id = match place(rel) {
        Ok(Place::CheckpointFolder(id) | Place::Checkpoint(id, _) | Place::DesignGate(id)) => id,
        Ok(Place::EventLog(n)) => n.strip_suffix(".jsonl").unwrap_or(n),
        _ => "",
    };
    if check_file_id(id).is_ok() {
        id.to_string()
    } else {
        String::new()
    }
}

/// The session id rule of file names ([`check_file_id`]), as a sentence.
fn session(id: &str) -> Result<(), String> {
    check_file_id(id).map_err(|_| format!("{:?} is not a session id that can name a file", cut(id)))
}

/// Whether `name` is a temp file name of a durable replace.
fn temp(name: &str) -> bool {
    maestro_session_fs::durable::temp_owner(name).is_some()
}

/// The place `path` names.
fn place(path: &str) -> Result<Place<'_>, String> {
    if path.len() > MAX_PATH_BYTES {
        return Err(format!("a path is longer than {MAX_PATH_BYTES} bytes"));
    }
    let parts: Vec<&str> = path.split('/').collect();
    for part in &parts {
        if part.is_empty()
            || *part == "."
            || *part == ".."
            || part.len() > MAX_NAME_BYTES
            || part.contains(['\0', '\\'])
        {
            return Err(format!(
                "{} is not a plain relative path (an empty, `.` or `..` name, a backslash, NUL or a name over {MAX_NAME_BYTES} bytes)",
                cut(path)
            ));
        }
    }
    let plain = |name: &str| !name.starts_with('.');
    let outside = || {
        format!(
            "{} is not a place of the state dir an intent may name",
            cut(path)
        )
    };
    let found = match parts.as_slice() {
        ["state", "active-session.md"] => Place::Active,
        ["state", "archive", n] if temp(n) => Place::Temp,
        ["state", "archive", n] if plain(n) && n.len() > 3 && n.ends_with(".md") => {
            Place::Archive(&n[..n.len() - 3])
        }
        ["plans", n] | ["plans", "archive", n] if temp(n) => Place::Temp,
        ["plans", "archive", n] if plain(n) => Place::PlanArchive(n),
        ["plans", n] if plain(n) && *n != "archive" => Place::Plan(n),
        ["state", "checkpoints"] => Place::Checkpoints,
        ["state", "checkpoints", id] => Place::CheckpointFolder(id),
        ["state", "checkpoints", _, n] if temp(n) => Place::Temp,
        ["state", "checkpoints", id, n] if plain(n) => Place::Checkpoint(id, n),
        ["state", "events"] => Place::Events,
        ["state", "events", n] if temp(n) => Place::Temp,
        ["state", "events", n] if plain(n) => Place::EventLog(n),
        ["state", "quarantine", n] if plain(n) => Place::Quarantine(n),
        ["state", "intents", n] if temp(n) => Place::Temp,
        ["state", "intents", n] if plain(n) => Place::Record(n),
        ["state", n] if temp(n) => Place::Temp,
        ["state", _] if owned_file(path) => Place::Owned,
        ["state", n] => match gate_of(n) {
            Some(id) => Place::DesignGate(id),
            None => return Err(outside()),
        },
        _ => return Err(outside()),
    };
    Ok(found)
}

/// The session whose design gate sidecar `name` is (`<session>.design-gate.json`, the session
/// an id that can name a file).
fn gate_of(name: &str) -> Option<&str> {
    name.strip_suffix(crate::store::design_gate::GATE_SUFFIX)
        .filter(|id| check_file_id(id).is_ok())
}

/// The files directly in `state/` the tools own, bar session files (DESIGN 2.1).
fn owned_file(path: &str) -> bool {
    use crate::store::{index, search};
    [
        LOCK_REL,
        OWNER_REL,
        index::INDEX_REL,
        index::LEGACY_INDEX_REL,
        search::SEARCH_INDEX_REL,
    ]
    .contains(&path)
}

/// The session id a session file's `content` holds.
fn holds(content: &str, path: &str) -> Result<String, String> {
    let location = if path.ends_with("active-session.md") {
        Location::Active
    } else {
        Location::Archive
    };
    SessionFile::from_bytes(content.as_bytes(), Path::new(path), location)
        .map(|s| s.id().to_string())
        .map_err(|_| {
            format!(
                "its content is not a session file that parses ({} bytes)",
                content.len()
            )
        })
}

fn move_shape(op: Op, intent: &Intent, places: &[(Place, Option<Place>)]) -> Result<(), String> {
    let own = intent.session_id.as_str();
    let mut displaced: Option<&str> = None;
    for step in &intent.steps {
        if let Step::Remove { path, session_id } = step
            && place(path) == Ok(Place::Active)
            && session_id != own
        {
            if displaced.is_some_and(|d| d != session_id) {
                return Err("it moves two sessions out of the active slot".into());
            }
            if !op.displaces() {
                return Err(format!(
                    "{} never moves another session ({}) out of the active slot",
                    op.name(),
                    cut(session_id)
                ));
            }
            session(session_id).map_err(|why| format!("the session it moves: {why}"))?;
            displaced = Some(session_id);
        }
    }
    // The sessions whose plan documents a move may take: S for an archive, D otherwise.
    let movers: Vec<&str> = match op {
        Op::Archive => vec![own],
        _ => displaced.into_iter().collect(),
    };
    // Sessions written so far: (id, path).
    let mut written: Vec<(String, &str)> = Vec::new();
    let mut write_paths: HashSet<&str> = HashSet::new();
    let mut named_by_moves: HashSet<&str> = HashSet::new();
    let mut active_removed = false;
    let mut wrote_own = false;
    for (i, (step, (a, b))) in intent.steps.iter().zip(places).enumerate() {
        let at = |why: String| format!("step {} ({}): {why}", i + 1, step.kind());
        let never = || at(format!("{} never takes this step", op.name()));
        match step {
            Step::Write { path, content } => {
                if !write_paths.insert(path) {
                    return Err(at(format!("{} is written twice", cut(path))));
                }
                match *a {
                    Place::Active => {
                        if op == Op::Archive {
                            return Err(never());
                        }
                        if displaced.is_some() && !active_removed {
                            return Err(at(
                                "it writes the active slot before moving its session out".into(),
                            ));
                        }
                        let id = holds(content, path).map_err(at)?;
                        if id != own {
                            return Err(at(format!(
                                "the active slot would hold session {}, not {own}",
                                cut(&id)
                            )));
                        }
                        wrote_own = true;
                        written.push((id, path));
                    }
                    Place::Archive(stem) => {
                        let own_file = stem == own && op != Op::Create && op != Op::Resume;
                        if !own_file && displaced != Some(stem) {
                            return Err(at(format!(
                                "{} is the file of session {}, which this {} of session {own} may not write",
                                cut(path),
                                cut(stem),
                                op.name()
                            )));
                        }
                        let id = holds(content, path).map_err(at)?;
                        if id != stem {
                            return Err(at(format!(
                                "{} would hold session {}",
                                cut(path),
                                cut(&id)
                            )));
                        }
                        wrote_own |= stem == own;
                        written.push((id, path));
                    }
                    Place::Plan(_) if matches!(op, Op::Create | Op::Import) => {}
                    // create_session binds a pending design gate to the session it creates.
                    Place::DesignGate(id) if op == Op::Create => {
                        if id != own {
                            return Err(at(format!(
                                "the design gate of session {}, not {own}",
                                cut(id)
                            )));
                        }
                    }
                    Place::PlanArchive(_) if op == Op::Import => {}
                    Place::Checkpoint(id, file) if op == Op::Import => {
                        if id != own {
                            return Err(at(format!(
                                "a checkpoint of session {}, not {own}",
                                cut(id)
                            )));
                        }
                        match file.split_once('.') {
                            Some((seq, "md")) if seq.parse::<u64>().is_ok() => {
                                let held = holds(content, path).map_err(at)?;
                                if held != own {
                                    return Err(at(format!(
                                        "the checkpoint holds session {}",
                                        cut(&held)
                                    )));
                                }
                            }
                            Some((seq, "json")) if seq.parse::<u64>().is_ok() => {
                                if !serde_json::from_str::<serde_json::Value>(content)
                                    .is_ok_and(|v| v.is_object())
                                {
                                    return Err(at(
                                        "a checkpoint record that is not a JSON object".into(),
                                    ));
                                }
                            }
                            _ => {
                                return Err(at(format!(
                                    "{} is not `<number>.md` or `<number>.json`",
                                    cut(file)
                                )));
                            }
                        }
                    }
                    Place::EventLog(name) if op == Op::Import => {
                        if name.strip_suffix(".jsonl") != Some(own) {
                            return Err(at(format!(
                                "{} is not the event log of session {own}",
                                cut(path)
                            )));
                        }
                    }
                    _ => return Err(never()),
                }
            }
            Step::Remove { path, session_id } => {
                match *a {
                    Place::Active if session_id == own && op == Op::Archive => {}
                    Place::Active if displaced == Some(session_id.as_str()) => {
                        active_removed = true
                    }
                    Place::Archive(_)
                        if session_id == own && matches!(op, Op::Archive | Op::Resume) => {}
                    _ => return Err(never()),
                }
                if !written
                    .iter()
                    .any(|(id, p)| id == session_id && *p != path.as_str())
                {
                    return Err(at(format!(
                        "it removes a file of session {} before a step writes that session elsewhere",
                        cut(session_id)
                    )));
                }
            }
            Step::Move { from, to } => {
                let (Place::Plan(_), Some(Place::PlanArchive(name))) = (*a, *b) else {
                    return Err(at(
                        "only a plan document moves, from plans/ to plans/archive/".into(),
                    ));
                };
                if !movers.iter().any(|id| name.starts_with(&format!("{id}--"))) {
                    return Err(at(format!(
                        "{} is not named `<session_id>--<name>` after a session this record archives",
                        cut(to)
                    )));
                }
                named_by_moves.extend([from.as_str(), to.as_str()]);
            }
            Step::Copy { from, to } => {
                let (true, Place::Plan(_), Some(Place::Plan(name))) = (op == Op::Fork, *a, *b)
                else {
                    return Err(never());
                };
                if !name.starts_with(&format!("{own}--")) {
                    return Err(at(format!(
                        "the copy {} is not named `{own}--<name>`",
                        cut(to)
                    )));
                }
                named_by_moves.extend([from.as_str(), to.as_str()]);
            }
            Step::Excerpt { .. } | Step::Blank { .. } => return Err(never()),
        }
    }
    let crossing = intent
        .steps
        .iter()
        .filter_map(Step::changed_path)
        .find(|p| named_by_moves.contains(p));
    if let Some(path) = crossing {
        return Err(format!(
            "{} is both moved and written or removed",
            cut(path)
        ));
    }
    if !wrote_own {
        return Err(format!("no step writes session {own}"));
    }
    Ok(())
}

/// `design-approval`: at most one new plan document (the design written by content), then the
/// session's own design gate sidecar.
fn approval_shape(intent: &Intent, places: &[(Place, Option<Place>)]) -> Result<(), String> {
    let own = intent.session_id.as_str();
    let shape_err = || {
        format!(
            "a design approval writes at most one plans/<name> and then state/{own}.design-gate.json"
        )
    };
    let (last, rest) = places.split_last().ok_or_else(shape_err)?;
    if rest.len() > 1 {
        return Err(shape_err());
    }
    for (step, place) in intent.steps.iter().zip(places) {
        if !matches!(step, Step::Write { .. }) {
            return Err(shape_err());
        }
        let ok = match place {
            (Place::Plan(_), None) => !std::ptr::eq(place, last),
            (Place::DesignGate(id), None) => std::ptr::eq(place, last) && *id == own,
            _ => false,
        };
        if !ok {
            return Err(shape_err());
        }
    }
    Ok(())
}

/// `quarantine`: write `<q>.why`, then move a file the tools own to `<q>`.
fn set_aside_shape(intent: &Intent, places: &[(Place, Option<Place>)]) -> Result<(), String> {
    let own = intent.session_id.as_str();
    let (
        [Step::Write { path: why, .. }, Step::Move { from, to }],
        [
            (Place::Quarantine(why_name), None),
            (source, Some(Place::Quarantine(name))),
        ],
    ) = (intent.steps.as_slice(), places)
    else {
        return Err(
            "a quarantine is exactly two steps: write state/quarantine/<name>.why, then move a file to state/quarantine/<name>"
                .into(),
        );
    };
    if *why_name != format!("{name}.why") {
        return Err(format!("the note {} is not {}.why", cut(why), cut(to)));
    }
    let file_name = from.rsplit('/').next().unwrap_or(from);
    if !name.ends_with(&format!("-{file_name}")) {
        return Err(format!(
            "{} does not keep the name of {}",
            cut(to),
            cut(from)
        ));
    }
    let of_session = match *source {
        Place::Active | Place::Archive(_) | Place::Record(_) | Place::Owned | Place::Temp => None,
        Place::Checkpoints | Place::Events => None,
        Place::CheckpointFolder(id) | Place::Checkpoint(id, _) => Some(id),
        Place::EventLog(n) => Some(n.strip_suffix(".jsonl").unwrap_or(n)),
        Place::DesignGate(id) => Some(id),
        Place::Plan(_) | Place::PlanArchive(_) | Place::Quarantine(_) => {
            return Err(format!(
                "{} is not a file a quarantine sets aside",
                cut(from)
            ));
        }
    };
    if let Some(id) = of_session
        && check_file_id(id).is_ok()
        && id != own
    {
        return Err(format!(
            "{} belongs to session {}, not {}",
            cut(from),
            cut(id),
            cut(own)
        ));
    }
    Ok(())
}

/// `repair-event-log`: per torn line, excerpt, `.why`, blank, over S's event log.
fn repair_shape(intent: &Intent, places: &[(Place, Option<Place>)]) -> Result<(), String> {
    let own = intent.session_id.as_str();
    let log = format!("state/events/{own}.jsonl");
    if !intent.steps.len().is_multiple_of(3) {
        return Err("a repair of an event log is excerpt, write, blank per line".into());
    }
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    for (n, (steps, places)) in intent.steps.chunks(3).zip(places.chunks(3)).enumerate() {
        let at = |why: String| format!("line {} of the repair: {why}", n + 1);
        let (
            [
                Step::Excerpt {
                    from,
                    offset,
                    len,
                    to,
                },
                Step::Write { path: why, .. },
                Step::Blank {
                    path,
                    offset: blank_offset,
                    len: blank_len,
                    kept,
                },
            ],
            [
                (_, Some(Place::Quarantine(_))),
                (Place::Quarantine(_), None),
                _,
            ],
        ) = (steps, places)
        else {
            return Err(at(
                "not excerpt to state/quarantine/, write its .why, blank".into(),
            ));
        };
        if *from != log || *path != log {
            return Err(at(format!("it names {} instead of {log}", cut(from))));
        }
        if *why != format!("{to}.why") || kept != to {
            return Err(at(
                "the note and the kept bytes must be the excerpt's".into()
            ));
        }
        if (offset, len) != (blank_offset, blank_len) || *len == 0 || *len > MAX_EXCERPT_BYTES {
            return Err(at(format!(
                "the excerpt and the blank must be the same 1 to {MAX_EXCERPT_BYTES} bytes"
            )));
        }
        let end = offset
            .checked_add(*len)
            .ok_or_else(|| at("the range overflows".into()))?;
        if ranges.iter().any(|(a, b)| *offset < *b && *a < end) {
            return Err(at("its bytes overlap another line's".into()));
        }
        ranges.push((*offset, end));
    }
    let names: HashSet<&str> = intent
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Excerpt { to, .. } => Some(to.as_str()),
            _ => None,
        })
        .collect();
    if names.len() * 3 != intent.steps.len() {
        return Err("two lines are set aside under one name".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
