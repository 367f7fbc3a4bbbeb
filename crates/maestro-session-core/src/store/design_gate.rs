//! The design gate (Maestro 1.6.3+): before a medium or complex session is created, the
//! orchestrator enters the gate for the session id it will use (`enter_design_gate`), the user
//! approves the design (`record_design_approval`), and only then does `create_session` accept
//! that id. The gate is a sidecar file the tools own, `state/<session_id>.design-gate.json`:
//!
//! ```json
//! {"session_id": "2026-11-20-x", "entered_at": "2026-11-20T09:14:03Z",
//!  "approved_at": "2026-11-20T09:20:11Z", "design_document_path": "docs/maestro/plans/design.md",
//!  "session_created": "2026-11-20T09:21:00Z"}
//! ```
//!
//! Maestro 1.6.4 (`src/mcp/handlers/design-gate.js`) writes the first four keys; every key is
//! kept on a rewrite, so either tool reads the other's gates. Paths we write are
//! project-relative (Maestro's absolute ones are read too, and must lie inside the project).
//!
//! **Bound to one session.** A gate counts only for the session it was entered for:
//! - the file's `session_id` must be the id its name carries, else it is never used (a
//!   sidecar copied or renamed from another session cannot approve this one);
//! - `create_session` binds an approved gate to the session it creates, recording that
//!   session's `created` as `session_created` in the same intent as the session file; a gate
//!   entered for the active session is bound to it at once. A bound gate counts only while the
//!   active session is that session instance (same id, same `created`): a session recreated,
//!   imported or hand-made under a reused id never inherits the approval, nor does any other
//!   session (drift);
//! - a gate never bound (pending) counts until a session takes its id; once the id names a
//!   session that is not active (archived, or only an event log or checkpoints left), the
//!   pending gate is stale.
//!
//! A stale gate reads as no gate (`get_design_gate_status` shows nothing entered), is
//! replaced by a new one when its id may still be used, is removed by `archive`, and is
//! reported (and moved to `state/quarantine/` by `--fix`) by `doctor`. A gate file that cannot
//! be read (a symlink, a FIFO, over [`MAX_GATE_BYTES`], not JSON, another session's) is never
//! overwritten: every tool refuses it naming `doctor --fix`.
//!
//! **Changes** hold the state lock. Entering or approving by path writes the sidecar alone;
//! approving with content writes the document into `plans/` and the sidecar as one intent.
//! They are logged in the session's event log when the gate belongs to the active session; a
//! pending gate is logged with the `create` of its session (`design_gate` key), since a log of
//! its own would make its id look used.
//!
//! **`create_session`** ([`Store::design_gate_admission`]): with an approved gate of another
//! id pending and none of its own, it is refused (`DESIGN_GATE_SESSION_MISMATCH`: the
//! orchestrator drifted from the id it entered the gate with); with its own gate entered but
//! not approved, refused (`DESIGN_GATE_UNAPPROVED`); with its own approved gate, the design
//! document is the gate's when none is given, and must exist then (`NOT_FOUND`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::Store;
use super::lock::Locked;
use super::plan_names::plan_file_rel;
use super::resolve::active_in;
use crate::clock;
use crate::error::{Error, Result};
use crate::session::lifecycle::State;
use crate::session::model::SessionMetadata;
use crate::session::session_file::{Location, SessionFile};
use crate::session::session_id::SessionId;
use crate::store::intent::{self, Intent, Step};
use crate::workspace::paths::{ARCHIVE_REL, relative_to_project};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;

/// What every gate file's name ends with, after the session id.
pub const GATE_SUFFIX: &str = ".design-gate.json";

/// The largest gate file read, in bytes: a gate is a few hundred.
pub const MAX_GATE_BYTES: u64 = 64 * 1024;

/// The largest design document `record_design_approval` writes from content, in bytes.
pub const MAX_DESIGN_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;

/// How to repair a gate file that cannot be used.
const DOCTOR_HINT: &str = "it is never used nor overwritten; run `maestro-session doctor --fix` to move it to state/quarantine/";

/// One gate sidecar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignGate {
    /// The session the gate was entered for; must be the id in the file's name.
    pub session_id: String,
    /// When the gate was entered, ISO 8601 UTC.
    #[serde(default)]
    pub entered_at: Option<String>,
    /// When the design was approved.
    #[serde(default)]
    pub approved_at: Option<String>,
    /// The approved design document (project-relative when we wrote it).
    #[serde(default)]
    pub design_document_path: Option<String>,
    /// The `created` of the session the gate is bound to (ours; absent while pending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_created: Option<String>,
    /// Keys this tool does not know, kept.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DesignGate {
    fn new(id: &str, now: &str, bound_to: Option<&SessionMetadata>) -> DesignGate {
        DesignGate {
            session_id: id.to_string(),
            entered_at: Some(now.to_string()),
            approved_at: None,
            design_document_path: None,
            session_created: bound_to.map(|m| m.created.clone()),
            extra: Map::new(),
        }
    }

    /// The gate as Maestro's `get_design_gate_status` shows it: `session_id`, `entered_at`,
    /// `approved_at`, `design_document_path`.
    pub fn status(&self) -> Value {
        json!({
            "session_id": self.session_id,
            "entered_at": self.entered_at,
            "approved_at": self.approved_at,
            "design_document_path": self.design_document_path,
        })
    }

    /// The status of a session with no gate: every field null.
    pub fn none(id: &str) -> Value {
        json!({
            "session_id": id,
            "entered_at": null,
            "approved_at": null,
            "design_document_path": null,
        })
    }

    fn is_approved(&self) -> bool {
        self.approved_at.as_deref().is_some_and(|a| !a.is_empty())
    }

    fn is_entered(&self) -> bool {
        self.entered_at.as_deref().is_some_and(|a| !a.is_empty())
    }

    fn to_bytes(&self) -> Result<String> {
        serde_json::to_string_pretty(self)
            .map(|mut s| {
                s.push('\n');
                s
            })
            .map_err(|e| Error::Internal(format!("cannot encode a design gate: {e}")))
    }
}

/// Whether a gate counts, and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Not yet bound: counts for the session that will be created with its id.
    Pending,
    /// Belongs to the active session.
    Active,
    /// Counts for nothing (why).
    Stale(String),
}

/// `state/<id>.design-gate.json`, relative to the state dir.
///
/// Errors: [`Error::Invalid`] for an id that is not a session id.
pub fn gate_rel(id: &str) -> Result<PathBuf> {
    SessionId::parse(id)?;
    Ok(Path::new("state").join(format!("{id}{GATE_SUFFIX}")))
}

/// The gate of session `id` in the state dir `root`, `None` when there is none.
///
/// Errors: [`Error::Corrupt`] (naming `doctor --fix`) for a file that is not a regular file,
/// is over [`MAX_GATE_BYTES`], does not parse, or holds another session's gate.
pub fn read(root: &Root, id: &str) -> Result<Option<DesignGate>> {
    let rel = gate_rel(id)?;
    let corrupt = |line: Option<usize>, why: String| Error::Corrupt {
        path: root.join(&rel),
        line,
        reason: format!("{why}; {DOCTOR_HINT}"),
    };
    let bytes = match root
        .read_file(&rel, MAX_GATE_BYTES, false)
        .map_err(Error::from)
    {
        Ok(bytes) => bytes,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(Error::NotRegular { what, .. }) => {
            return Err(corrupt(None, format!("the design gate is {what}")));
        }
        Err(Error::TooLarge { size, cap, .. }) => {
            return Err(corrupt(
                None,
                format!("the design gate is {size} bytes, over the {cap}-byte limit"),
            ));
        }
        Err(e) => return Err(e),
    };
    let gate: DesignGate = serde_json::from_slice(&bytes).map_err(|e| {
        corrupt(
            Some(e.line()),
            format!("the design gate does not parse: {e}"),
        )
    })?;
    if gate.session_id != id {
        let shown: String = gate.session_id.chars().take(64).collect();
        return Err(corrupt(
            None,
            format!("the design gate of session {id} holds session {shown:?}"),
        ));
    }
    Ok(Some(gate))
}

/// Whether session id `id` names a session that is not the active one: an archived file, a
/// tombstone, an event log or checkpoints (a deleted session's); the one rule of
/// [`super::used_ids`].
fn used_elsewhere(root: &Root, id: &str) -> Result<bool> {
    Ok(!super::used_ids::is_free(root, id)?)
}

/// How `gate` stands, given the active session when it has the gate's id (`active`) and
/// whether the id names a session elsewhere (`used`). See the module docs.
pub fn standing(gate: &DesignGate, active: Option<&SessionMetadata>, used: bool) -> Standing {
    let id = &gate.session_id;
    match (&gate.session_created, active) {
        (Some(c), Some(a)) if *c == a.created => Standing::Active,
        (Some(c), Some(a)) => Standing::Stale(format!(
            "bound to session {id} created {c}; the active session {id} was created {}",
            a.created
        )),
        // Maestro writes no binding: its gate belongs to the active session of its id.
        (None, Some(_)) => Standing::Active,
        (Some(c), None) => Standing::Stale(format!(
            "bound to session {id} created {c}, which is not the active session"
        )),
        (None, None) if used => Standing::Stale(format!(
            "session id {id} already names a session that is not active"
        )),
        (None, None) => Standing::Pending,
    }
}

/// What is known of session id `id` in `root` for its gate: its gate, the active session when
/// it has this id, and whether the id is used elsewhere.
struct Context {
    gate: Option<DesignGate>,
    active: Option<SessionMetadata>,
    used: bool,
}

impl Context {
    fn of(root: &Root, id: &str) -> Result<Context> {
        let gate = read(root, id)?;
        let active = active_in(root)
            .map_err(super::resolve::doctor_hint)?
            .map(|s| s.meta)
            .filter(|m| m.session_id == id);
        let used = active.is_none() && used_elsewhere(root, id)?;
        Ok(Context { gate, active, used })
    }

    fn standing(&self) -> Option<Standing> {
        self.gate
            .as_ref()
            .map(|g| standing(g, self.active.as_ref(), self.used))
    }

    /// The gate when it counts (pending, or the active session's).
    fn live(&self) -> Option<&DesignGate> {
        match self.standing() {
            Some(Standing::Pending | Standing::Active) => self.gate.as_ref(),
            _ => None,
        }
    }

    /// Refuses a gate change for an id that already names a session that is not active.
    fn require_usable(&self, id: &str) -> Result<()> {
        if self.used {
            return Err(Error::refused(
                id,
                "this session id is already used by a session that is not active (archived, or its event log or checkpoints remain); a session id is used once: pick a new session_id",
            ));
        }
        Ok(())
    }
}

/// The design document an approval names.
#[derive(Debug, Clone, PartialEq)]
pub enum ApprovedDocument {
    /// A project-relative path (checked by the caller); it need not exist yet (Maestro: Plan
    /// Mode may still be writing it), `create_session` requires it.
    Path(String),
    /// Markdown to write as `<state dir>/plans/<file_name>`.
    Content {
        /// A bare `.md` file name (the rules of `implementation_plan_filename`).
        file_name: String,
        /// The document.
        content: String,
    },
}

/// What a gate change did.
#[derive(Debug, Clone, PartialEq)]
pub struct GateChange {
    /// The gate as it is now.
    pub gate: DesignGate,
    /// `enter_design_gate` found the gate already entered (nothing was written).
    pub already_entered: bool,
}

/// Why `create_session` may not create a session with an id, in Maestro 1.6.4's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateRefusal {
    /// Approved gates of other ids are pending and this id has none
    /// (`DESIGN_GATE_SESSION_MISMATCH`).
    SessionMismatch {
        /// The id `create_session` was given.
        current: String,
        /// The ids of the approved pending gates.
        orphaned: Vec<String>,
    },
    /// The id's gate is entered, not approved (`DESIGN_GATE_UNAPPROVED`).
    Unapproved {
        /// The id.
        current: String,
    },
    /// The approved design document does not exist (`NOT_FOUND`).
    DocumentMissing {
        /// The document, project-relative.
        path: String,
    },
}

impl GateRefusal {
    /// Maestro 1.6.4's error code.
    pub fn code(&self) -> &'static str {
        match self {
            GateRefusal::SessionMismatch { .. } => "DESIGN_GATE_SESSION_MISMATCH",
            GateRefusal::Unapproved { .. } => "DESIGN_GATE_UNAPPROVED",
            GateRefusal::DocumentMissing { .. } => "NOT_FOUND",
        }
    }

    /// Maestro 1.6.4's `details`, where it gives any.
    pub fn details(&self) -> Option<Value> {
        match self {
            GateRefusal::SessionMismatch { current, orphaned } => Some(json!({
                "current_session_id": current,
                "orphaned_session_ids": orphaned,
            })),
            _ => None,
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            GateRefusal::SessionMismatch { .. } => {
                "Call create_session with the session_id the design gate was entered and approved with; or, if that design was abandoned, run `maestro-session doctor` and enter the gate again with this session_id."
            }
            GateRefusal::Unapproved { .. } => {
                "Present the design to the user; when approved, call record_design_approval with this session_id, then create_session."
            }
            GateRefusal::DocumentMissing { .. } => {
                "Write the approved design document at that path (inside the project), or call record_design_approval again with design_document_content and design_document_filename, then create_session."
            }
        }
    }

    fn as_error(&self) -> Error {
        match self {
            GateRefusal::DocumentMissing { path } => Error::NotFound {
                what: format!("design document {path}"),
            },
            GateRefusal::SessionMismatch { current, .. } | GateRefusal::Unapproved { current } => {
                Error::refused(current, self.to_string())
            }
        }
    }
}

impl std::fmt::Display for GateRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GateRefusal::SessionMismatch { current, orphaned } => {
                let ids: Vec<String> = orphaned.iter().map(|id| format!("'{id}'")).collect();
                write!(
                    f,
                    "Approved design gate exists for session {} but create_session was called with '{current}'. Session IDs must match across enter_design_gate, record_design_approval, and create_session.",
                    ids.join(", ")
                )
            }
            GateRefusal::Unapproved { .. } => f.write_str(
                "Design gate entered but not approved. Call record_design_approval before create_session.",
            ),
            GateRefusal::DocumentMissing { path } => write!(
                f,
                "design_document does not exist: {path} (recorded via record_design_approval but not found at create_session time; write it inside the project first)"
            ),
        }
    }
}

/// What a gate lets `create_session` do: bind `gate` (when there is one) to the new session
/// and use `design_document` when the call names none.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Admission {
    /// The approved gate of this id, to bind.
    pub gate: Option<DesignGate>,
    /// The gate's design document, project-relative, when the call gave none.
    pub design_document: Option<String>,
}

impl Admission {
    /// The `design_gate` key of the `create` event: the gate bound.
    pub fn event(&self) -> Option<Value> {
        self.gate.as_ref().map(DesignGate::status)
    }

    /// The bound gate's file and bytes, for the create intent.
    pub(super) fn step(&self, created: &str) -> Result<Option<Step>> {
        let Some(gate) = &self.gate else {
            return Ok(None);
        };
        let mut bound = gate.clone();
        bound.session_created = Some(created.to_string());
        Ok(Some(Step::Write {
            path: maestro_session_fs::beneath::slash_text(&gate_rel(&gate.session_id)?),
            content: bound.to_bytes()?,
        }))
    }
}

/// Every gate file in `root`'s `state/`: (file name, the id its name carries).
fn gate_files(root: &Root) -> Result<Vec<(String, String)>> {
    Ok(root
        .names(Path::new("state"))?
        .into_iter()
        .filter_map(|name| {
            let id = name.strip_suffix(GATE_SUFFIX)?.to_string();
            Some((name, id))
        })
        .collect())
}

/// The gate rules `create_session` applies for session id `id` in `root`, the design document
/// it was given being `given`; see the module docs.
///
/// Errors: those of reading the id's own gate (a gate of another id that cannot be read is
/// not an approval, and is left to `doctor`); [`Error::PathRefused`] for an approved document
/// outside the project.
fn admit(
    root: &Root,
    project_root: &Path,
    id: &str,
    given: Option<&str>,
) -> Result<std::result::Result<Admission, GateRefusal>> {
    let ctx = Context::of(root, id)?;
    let own = match ctx.standing() {
        Some(Standing::Pending) => ctx.gate.clone(),
        _ => None,
    };
    let Some(own) = own else {
        let mut orphaned = Vec::new();
        for (_, other) in gate_files(root)? {
            if other == id {
                continue;
            }
            let Ok(ctx) = Context::of(root, &other) else {
                continue;
            };
            let approved = ctx.gate.as_ref().is_some_and(DesignGate::is_approved);
            if approved && ctx.standing() == Some(Standing::Pending) {
                orphaned.push(other);
            }
        }
        if !orphaned.is_empty() {
            return Ok(Err(GateRefusal::SessionMismatch {
                current: id.to_string(),
                orphaned,
            }));
        }
        return Ok(Ok(Admission::default()));
    };
    if !own.is_approved() {
        if own.is_entered() {
            return Ok(Err(GateRefusal::Unapproved {
                current: id.to_string(),
            }));
        }
        return Ok(Ok(Admission::default()));
    }
    let mut design_document = None;
    if given.is_none()
        && let Some(path) = own
            .design_document_path
            .as_deref()
            .filter(|p| !p.is_empty())
    {
        let rel = relative_to_project(project_root, Path::new(path)).map_err(|e| match e {
            Error::PathRefused { reason, .. } => Error::refused_path(
                "design_document_path",
                format!("the design gate's design document {reason}"),
            ),
            other => other,
        })?;
        let shown = rel.to_string_lossy().into_owned();
        let project = Root::open(project_root)?;
        let exists = match project.canonical(&rel).map_err(Error::from) {
            Ok(Some(found)) => project.metadata(&found)?.is_some_and(|m| m.is_file()),
            Ok(None) => false,
            Err(e @ Error::PathRefused { .. }) => return Err(e),
            Err(_) => false,
        };
        if !exists {
            return Ok(Err(GateRefusal::DocumentMissing { path: shown }));
        }
        design_document = Some(shown);
    }
    Ok(Ok(Admission {
        gate: Some(own),
        design_document,
    }))
}

impl Store {
    /// The design gate's verdict on `create_session` of session `id` with design document
    /// `given`, read now without the lock: `Err(refusal)` with Maestro's code, or what the
    /// gate adds. [`Store::create`] applies the same rules again under the lock.
    ///
    /// Errors: see `admit` (in this module).
    pub fn design_gate_admission(
        &self,
        id: &str,
        given: Option<&str>,
    ) -> Result<std::result::Result<Admission, GateRefusal>> {
        match self.ws.open_state_dir(false)? {
            Some(root) => admit(&root, &self.ws.project_root, id, given),
            None => Ok(Ok(Admission::default())),
        }
    }

    /// [`Store::design_gate_admission`] for `req` in the state dir `root` (locked), for
    /// [`Store::create`]: nothing unless `req.design_gate` is set and `req` names its session
    /// id; a refusal is an error ([`Error::Refused`], or [`Error::NotFound`] for a missing
    /// document).
    pub(super) fn design_gate_admit(
        &self,
        root: &Root,
        req: &super::CreateRequest,
    ) -> Result<Admission> {
        match (&req.session_id, req.design_gate) {
            (Some(id), true) => admit(
                root,
                &self.ws.project_root,
                id,
                req.design_document.as_deref(),
            )?
            .map_err(|r| r.as_error()),
            _ => Ok(Admission::default()),
        }
    }

    /// Removes session `id`'s gate after its archive, under the archive's lock (see
    /// `forget`).
    pub(super) fn forget_design_gate(&self, root: &Root, id: &str) {
        forget(root, id);
    }

    /// `get_design_gate_status` of session `id`: the gate when it counts (see [`Standing`]),
    /// else `None`.
    ///
    /// Errors: those of [`read`] (a gate that cannot be used is reported, never read as none).
    pub fn design_gate(&self, id: &str) -> Result<Option<DesignGate>> {
        SessionId::parse(id)?;
        let Some(root) = self.reader()? else {
            return Ok(None);
        };
        Ok(Context::of(&root, id)?.live().cloned())
    }

    /// `enter_design_gate` of session `id`: an entered gate is left as it is
    /// (`already_entered`); otherwise one is written, bound to the active session when it has
    /// this id, else pending. A stale gate is replaced.
    ///
    /// Errors: [`Error::Refused`] when the id names a session that is not active; those of
    /// [`read`] and the write.
    pub fn design_gate_enter(&self, id: &str) -> Result<GateChange> {
        SessionId::parse(id)?;
        let l = self.locked_created()?;
        let ctx = Context::of(&l.root, id)?;
        ctx.require_usable(id)?;
        if let Some(gate) = ctx.live().filter(|g| g.is_entered()) {
            return Ok(GateChange {
                gate: gate.clone(),
                already_entered: true,
            });
        }
        let now = clock::now_iso();
        let gate = match ctx.live() {
            Some(g) => DesignGate {
                entered_at: Some(now),
                ..g.clone()
            },
            None => DesignGate::new(id, &now, ctx.active.as_ref()),
        };
        let rel = gate_rel(id)?;
        l.root.replace(
            &rel,
            gate.to_bytes()?.as_bytes(),
            durable::STATE_FILE_MODE,
            true,
        )?;
        self.log_gate(&l, &ctx, "design gate enter", &gate);
        Ok(GateChange {
            gate,
            already_entered: false,
        })
    }

    /// `record_design_approval` of session `id` with the design document `doc`: the gate
    /// (entered now when it was not) gets `approved_at` and `design_document_path`; a
    /// document given as content is written into `plans/` (never over another file) in the
    /// same intent.
    ///
    /// Errors: as [`Store::design_gate_enter`]; [`Error::Invalid`] for a bad file name, a
    /// document over [`MAX_DESIGN_DOCUMENT_BYTES`], or a name another document holds.
    pub fn design_gate_approve(&self, id: &str, doc: &ApprovedDocument) -> Result<GateChange> {
        SessionId::parse(id)?;
        if let ApprovedDocument::Content { content, .. } = doc
            && content.len() > MAX_DESIGN_DOCUMENT_BYTES
        {
            return Err(Error::Invalid(format!(
                "design_document_content is {} bytes, over the {MAX_DESIGN_DOCUMENT_BYTES}-byte limit",
                content.len()
            )));
        }
        let plan_rel = match doc {
            ApprovedDocument::Content { file_name, .. } => Some(plan_file_rel(file_name)?),
            ApprovedDocument::Path(_) => None,
        };
        let l = self.locked_created()?;
        let ctx = Context::of(&l.root, id)?;
        ctx.require_usable(id)?;
        let now = clock::now_iso();
        let mut gate = ctx
            .live()
            .cloned()
            .unwrap_or_else(|| DesignGate::new(id, &now, ctx.active.as_ref()));
        if !gate.is_entered() {
            gate.entered_at = Some(now.clone());
        }
        let mut steps = Vec::new();
        let path = match (doc, &plan_rel) {
            (ApprovedDocument::Content { content, .. }, Some(rel)) => {
                match l.root.read_file(rel, durable::MAX_SESSION_BYTES, false) {
                    Ok(bytes) if bytes == content.as_bytes() => {}
                    Ok(_) => {
                        return Err(Error::Invalid(format!(
                            "{} already exists with other content; choose another design_document_filename",
                            self.ws.state_rel.join(rel).display()
                        )));
                    }
                    Err(e) if e.is_not_found() => steps.push(Step::Write {
                        path: maestro_session_fs::beneath::slash_text(rel),
                        content: content.clone(),
                    }),
                    Err(e) => return Err(e.into()),
                }
                maestro_session_fs::beneath::slash_text(&self.ws.state_rel.join(rel))
            }
            (ApprovedDocument::Path(p), _) => p.clone(),
            (ApprovedDocument::Content { .. }, None) => {
                return Err(Error::Internal("content without a plan file name".into()));
            }
        };
        gate.approved_at = Some(now);
        gate.design_document_path = Some(path);
        steps.push(Step::Write {
            path: maestro_session_fs::beneath::slash_text(&gate_rel(id)?),
            content: gate.to_bytes()?,
        });
        intent::run(&l.root, &Intent::new("design-approval", id, steps))?;
        self.log_gate(&l, &ctx, "design approval", &gate);
        Ok(GateChange {
            gate,
            already_entered: false,
        })
    }

    /// Logs a gate change in the session's event log when the gate belongs to the active
    /// session (see the module docs for why a pending gate is not logged on its own).
    fn log_gate(&self, l: &Locked, ctx: &Context, op: &str, gate: &DesignGate) {
        if ctx.active.is_some() {
            let file = gate_rel(&gate.session_id)
                .map(|r| Value::from(r.to_string_lossy()))
                .unwrap_or(Value::Null);
            self.record(
                l,
                &gate.session_id,
                op,
                None,
                None,
                &[("design_gate", gate.status()), ("file", file)],
            );
        }
    }
}

/// Removes session `id`'s gate after its archive (under the archive's lock): the gate did its
/// work. A file that is not a readable gate of `id` is left for `doctor`. A failure is
/// reported on stderr: the archive is already done, and a gate left behind is stale.
fn forget(root: &Root, id: &str) {
    let Ok(rel) = gate_rel(id) else {
        return;
    };
    if let Ok(Some(_)) = read(root, id)
        && let Err(e) = root.remove(&rel)
    {
        eprintln!(
            "[WARN] maestro-session: session {id} was archived, but its design gate could not be removed: {e}"
        );
    }
}

/// A gate file `doctor` reports: it cannot be read, or it is stale.
#[derive(Debug, Clone, PartialEq)]
pub struct GateProblem {
    /// The file, relative to the state dir.
    pub rel: PathBuf,
    /// What is wrong.
    pub detail: String,
}

/// The gate files of `root` that cannot be used or count for nothing, given every readable
/// session file (`sessions`). A gate bound to a paused archived session (parked) is kept: it
/// counts again when that session is resumed.
pub(super) fn problems(
    root: &Root,
    sessions: &[(PathBuf, SessionFile)],
) -> Result<Vec<GateProblem>> {
    let mut out = Vec::new();
    for (name, id) in gate_files(root)? {
        let rel = Path::new("state").join(&name);
        if SessionId::parse(&id).is_err() {
            out.push(GateProblem {
                rel,
                detail: format!("{name} does not name a session id; it is never used"),
            });
            continue;
        }
        let gate = match read(root, &id) {
            Ok(Some(gate)) => gate,
            Ok(None) => continue,
            Err(e) => {
                out.push(GateProblem {
                    rel,
                    detail: e.to_string(),
                });
                continue;
            }
        };
        let active = sessions
            .iter()
            .find(|(_, s)| s.location == Location::Active && s.id() == id)
            .map(|(_, s)| &s.meta);
        // What cannot be inspected (a symlinked checkpoints folder) is other checks' problem:
        // this one never aborts doctor.
        let used = active.is_none() && used_elsewhere(root, &id).unwrap_or(false);
        if let Standing::Stale(why) = standing(&gate, active, used) {
            let parked = sessions.iter().any(|(r, s)| {
                r.starts_with(ARCHIVE_REL)
                    && s.id() == id
                    && !s.meta.status.is_terminal()
                    && gate.session_created.as_deref() == Some(s.meta.created.as_str())
            });
            if !parked {
                out.push(GateProblem {
                    rel,
                    detail: format!("stale design gate: {why}; it counts for nothing"),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests;
