//! Export files (issue 11, item 5): one self-contained, versioned JSON document holding a
//! session, its event log, its checkpoints and its plan documents, so that `import` can
//! recreate it in another project. This module is the file format and its validation; it knows
//! nothing of the store (the store's half is `export/store.rs`).
//!
//! ```json
//! {"format":"maestro-session-export","version":1,
//!  "exported":"2026-11-20T09:14:03Z","tool":"maestro-session 0.1.0",
//!  "session":{"id":"2026-11-20-x","location":"active"|"archive","file":"---\nsession_id: ..."},
//!  "events":"{\"v\":1,...}\n"|null,
//!  "checkpoints":[{"record":{"v":1,"id":1,...,"bytes":812},"file":"---\n..."}],
//!  "plans":[{"name":"design.md","slot":"design_document"|"implementation_plan",
//!            "archived":false,"file":"# Design\n..."}],
//!  "skipped":["implementation_plan docs/plan.md: outside the state dir's plans/; not exported"]}
//! ```
//!
//! Every file is carried as JSON text holding its exact bytes: session files must be UTF-8 to
//! parse at all ([`crate::session::document::Document::from_bytes`] refuses anything else), so
//! text loses nothing and keeps the export readable and diffable; plan documents are exported
//! only when they are UTF-8 (export says why not otherwise). The event log is streamed from its
//! file to the output line by line, so its size is bounded by nothing but the disk (case 27: a
//! 32 MiB wall stopped sessions with ~220,000 hook runs); its complete lines that are events
//! an import takes ([`crate::store::import_bounds::check_event_line`]) are carried exactly, and
//! the others (a torn append, bytes that are not UTF-8) are left out and named in `skipped`.
//! `export --no-events` leaves the whole log out.
//!
//! An export file may come from anywhere, so [`parse`] trusts nothing in it: the whole file is
//! capped at [`MAX_EXPORT_BYTES`], an unknown `format` or `version` is refused by name before
//! anything else is read, the session id must be a valid id that can name a file, the session
//! file (and every checkpoint copy) must parse as a session holding that id, checkpoint records
//! must be well formed, plan names must be bare file names, and every number must keep the
//! bounds of [`crate::store::import_bounds`]. Names are never used as paths beyond that; the
//! store writes only beneath its state dir.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::session::session_file::{Location, SessionFile};
use crate::session::session_id::{SessionId, check_file_id};
use crate::store::checkpoint::{self, CheckpointMeta};
use crate::store::import_bounds;
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;
use maestro_session_fs::reader::ReadKind;

/// The `format` every export file names.
pub const FORMAT: &str = "maestro-session-export";

/// The export format version this build writes and reads.
pub const VERSION: u64 = 1;

/// The largest export file `import` reads, in bytes (48 MiB, [`ReadKind::EXPORT`]), with a
/// capped reader: an import is one intent record, which holds at most
/// [`crate::store::intent::MAX_INTENT_BYTES`] (64 MiB), and the export's files (escaped the
/// same way), the import's event and a session parked to make room (up to 16 MiB) must fit in
/// it. `export` writes larger files (its event log is streamed) and says so; `export
/// --no-events` leaves the log out.
pub const MAX_EXPORT_BYTES: u64 = ReadKind::EXPORT.cap;

/// The most checkpoints one export file may carry.
pub const MAX_CHECKPOINTS: usize = checkpoint::MAX_KEEP;

/// The longest plan document name, in bytes.
pub const MAX_PLAN_NAME_BYTES: usize = 200;

/// A whole export file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u64,
    /// When it was written, RFC 3339 UTC.
    pub exported: String,
    /// What wrote it: `maestro-session <version>`.
    pub tool: String,
    /// The session file.
    pub session: ExportedSession,
    /// The event log's exact text (`state/events/<id>.jsonl`), `None` when it had none.
    pub events: Option<String>,
    /// Its complete checkpoints, oldest first.
    #[serde(default)]
    pub checkpoints: Vec<ExportedCheckpoint>,
    /// The plan documents it names that lay in the state dir's `plans/` (or `plans/archive/`).
    #[serde(default)]
    pub plans: Vec<ExportedPlan>,
    /// What was left out and why, one line each (plans outside the state dir, unreadable
    /// checkpoints). Informational; `import` ignores it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

/// The session file of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedSession {
    /// Its `session_id`.
    pub id: String,
    /// Where it lay in the exporting project.
    pub location: Location,
    /// Its exact bytes (UTF-8).
    pub file: String,
}

/// One checkpoint of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedCheckpoint {
    /// Its `.json` record.
    pub record: CheckpointMeta,
    /// Its `.md` copy's exact bytes (UTF-8; `record.bytes` long).
    pub file: String,
}

/// Which frontmatter field names a plan document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanSlot {
    /// `design_document`.
    DesignDocument,
    /// `implementation_plan`.
    ImplementationPlan,
}

impl PlanSlot {
    /// The frontmatter field's name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanSlot::DesignDocument => "design_document",
            PlanSlot::ImplementationPlan => "implementation_plan",
        }
    }
}

/// One plan document of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedPlan {
    /// Its file name only (see [`validate_plan_name`]).
    pub name: String,
    /// The field that names it.
    pub slot: PlanSlot,
    /// Whether it lay in `plans/archive/` (else `plans/`).
    #[serde(default)]
    pub archived: bool,
    /// Its exact bytes (UTF-8).
    pub file: String,
}

/// Just enough of a file to tell whether it is an export this build reads.
#[derive(Deserialize)]
struct Header {
    format: Option<Value>,
    version: Option<Value>,
}

/// Parses and validates export file `bytes` read from `source` (for messages). Trusts nothing
/// in it; see the module docs for the rules.
///
/// Errors: [`Error::TooLarge`] over [`MAX_EXPORT_BYTES`]; [`Error::Corrupt`] naming `source`
/// and what is wrong (not JSON, truncated, another format, an unsupported version, a bad id,
/// a session file that does not parse or holds another id, a bad checkpoint or plan name).
pub fn parse(bytes: &[u8], source: &Path) -> Result<ExportFile> {
    if bytes.len() as u64 > MAX_EXPORT_BYTES {
        return Err(Error::TooLarge {
            path: source.to_path_buf(),
            size: bytes.len() as u64,
            cap: MAX_EXPORT_BYTES,
            kind: "an export file",
        });
    }
    let bad = |reason: String| Error::Corrupt {
        path: source.to_path_buf(),
        line: None,
        reason,
    };
    let header: Header = serde_json::from_slice(bytes)
        .map_err(|e| bad(format!("not a maestro-session export file (JSON: {e})")))?;
    match header.format {
        Some(Value::String(f)) if f == FORMAT => {}
        other => {
            return Err(bad(format!(
                "not a maestro-session export file: \"format\" is {}, not {FORMAT:?}",
                shown(other.as_ref())
            )));
        }
    }
    match header.version.as_ref().and_then(Value::as_u64) {
        Some(VERSION) => {}
        _ => {
            return Err(bad(format!(
                "export format version {} is not supported: this maestro-session reads version {VERSION}",
                shown(header.version.as_ref())
            )));
        }
    }
    // The path of a field that does not fit (`checkpoints[0].record.id`: a number past u64,
    // negative or fractional) is named, not only its line and column.
    let file: ExportFile =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(bytes))
            .map_err(|e| {
                bad(format!(
                    "export file does not parse: {}: {}",
                    e.path(),
                    e.inner()
                ))
            })?;
    file.validate().map_err(bad)?;
    Ok(file)
}

/// A JSON value for a message, cut to 40 characters (`absent` for none).
fn shown(v: Option<&Value>) -> String {
    match v {
        None => "absent".into(),
        Some(v) => v.to_string().chars().take(40).collect(),
    }
}

/// Checks a plan document name from an export: a bare file name of 1 to
/// [`MAX_PLAN_NAME_BYTES`] bytes of ASCII letters, digits, `.`, `_` and `-`, without `..` and
/// not starting with `.` (so never a folder, a way up, or a hidden file).
///
/// Errors: why not, in words.
pub fn validate_plan_name(name: &str) -> std::result::Result<(), String> {
    let why = if name.is_empty() {
        "it is empty"
    } else if name.len() > MAX_PLAN_NAME_BYTES {
        "it is too long"
    } else if name.contains(['/', '\\']) {
        "it must be a file name only, without folders"
    } else if name.contains("..") {
        "it must not contain `..`"
    } else if name.starts_with('.') {
        "it must not start with `.`"
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        "only letters, digits, `.`, `_` and `-` are allowed"
    } else {
        return Ok(());
    };
    Err(format!(
        "plan name {:?} refused: {why}",
        name.chars().take(64).collect::<String>()
    ))
}

/// Checks that `id` is a session id that can name a file.
///
/// Errors: [`Error::Invalid`] naming the rule.
pub fn validate_id(id: &str) -> Result<()> {
    SessionId::parse(id)?;
    check_file_id(id)
}

/// Parses session file `text` (from the export `what`) and checks it holds session `id`.
fn session_holding(text: &str, id: &str, what: &str) -> std::result::Result<(), String> {
    if text.len() as u64 > durable::MAX_SESSION_BYTES {
        return Err(format!(
            "{what} is {} bytes, over the {}-byte limit of a session file",
            text.len(),
            durable::MAX_SESSION_BYTES
        ));
    }
    let session = SessionFile::from_bytes(text.as_bytes(), Path::new(what), Location::Archive)
        .map_err(|e| format!("{what} is not a session file: {e}"))?;
    if session.id() != id {
        return Err(format!(
            "{what} holds session {:?}, not {id:?} as the export says",
            session.id().chars().take(64).collect::<String>()
        ));
    }
    import_bounds::check_session(&session.meta, what)
}

impl ExportFile {
    /// Checks everything [`parse`] promises beyond the JSON shape. Errors: why not, in words.
    fn validate(&self) -> std::result::Result<(), String> {
        let id = &self.session.id;
        validate_id(id).map_err(|e| format!("the export's session id: {e}"))?;
        session_holding(&self.session.file, id, "the session file")?;
        if self.checkpoints.len() > MAX_CHECKPOINTS {
            return Err(format!(
                "{} checkpoints; at most {MAX_CHECKPOINTS} are accepted",
                self.checkpoints.len()
            ));
        }
        let mut seen = BTreeSet::new();
        for c in &self.checkpoints {
            let r = &c.record;
            let what = format!("checkpoint {}", r.id);
            if r.v != checkpoint::FORMAT_VERSION {
                return Err(format!(
                    "{what}: record version {} is not {}",
                    r.v,
                    checkpoint::FORMAT_VERSION
                ));
            }
            import_bounds::check_checkpoint_record(r)?;
            if !seen.insert(r.id) {
                return Err(format!("{what}: its number is used twice"));
            }
            if let Some(name) = &r.name {
                checkpoint::validate_name(name).map_err(|e| format!("{what}: {e}"))?;
            }
            if r.bytes != c.file.len() as u64 {
                return Err(format!(
                    "{what}: its copy is {} bytes, its record says {}",
                    c.file.len(),
                    r.bytes
                ));
            }
            session_holding(&c.file, id, &what)?;
        }
        if let Some(events) = &self.events {
            import_bounds::check_events(events)?;
        }
        let mut slots = BTreeSet::new();
        for p in &self.plans {
            validate_plan_name(&p.name)?;
            if !slots.insert(p.slot) {
                return Err(format!("two plans fill {}", p.slot.as_str()));
            }
            if p.file.len() as u64 > durable::MAX_SESSION_BYTES {
                return Err(format!(
                    "plan {} is {} bytes, over the {}-byte limit",
                    p.name,
                    p.file.len(),
                    durable::MAX_SESSION_BYTES
                ));
            }
        }
        Ok(())
    }

    /// The number of events in [`ExportFile::events`]: its non-blank lines.
    pub fn event_count(&self) -> usize {
        self.events
            .as_deref()
            .map_or(0, |t| t.lines().filter(|l| !l.trim().is_empty()).count())
    }
}

/// What `export` leaves out.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Leave the event log out (`"events": null`; `skipped` says so).
    pub no_events: bool,
}

/// What `export` wrote; the `--json` shape of an export to a file.
#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    /// The session exported.
    pub exported: String,
    /// Bytes written.
    pub bytes: u64,
    /// Events carried.
    pub events: usize,
    /// Checkpoints carried.
    pub checkpoints: usize,
    /// Plan documents carried.
    pub plans: usize,
    /// What was left out and why (as [`ExportFile::skipped`]).
    pub skipped: Vec<String>,
}

impl ExportSummary {
    /// A warning when the file is larger than `import` reads ([`MAX_EXPORT_BYTES`]), saying
    /// what to do.
    pub fn too_large_to_import(&self) -> Option<String> {
        (self.bytes > MAX_EXPORT_BYTES).then(|| {
            format!(
                "the export is {} bytes, over the {MAX_EXPORT_BYTES} bytes `import` reads; export with --no-events to leave the event log out",
                self.bytes
            )
        })
    }
}

/// How `import` places the session.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Import under this id instead of the exported one.
    pub as_id: Option<String>,
    /// Make it the active session (see the module docs).
    pub activate: bool,
    /// With `activate`: park a non-terminal active session (archive it as paused).
    pub park: bool,
}

/// What `import` did; the `--json` shape.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ImportReport {
    /// The session id it now has.
    pub imported: String,
    /// The id it was exported with, when `as_id` changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `active` or `archive`.
    pub location: Location,
    /// The session file, state-dir relative.
    pub file: String,
    /// Events imported (lines of the exported log, without the `import` event added).
    pub events: usize,
    /// Checkpoints imported.
    pub checkpoints: usize,
    /// Plan documents written or reused, project-relative.
    pub plans: Vec<String>,
    /// The session parked to make room (`activate` with `park`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parked: Option<String>,
}

/// `bytes` of the file `rel` beneath `root` as text, or [`Error::Corrupt`] saying it is not
/// UTF-8 and so cannot be exported (`what`: what the file is, and what to do).
pub(in crate::store) fn utf8(
    bytes: Vec<u8>,
    root: &Root,
    rel: &Path,
    what: &str,
) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| Error::Corrupt {
        path: root.join(rel),
        line: None,
        reason: format!(
            "not valid UTF-8 (at byte {}), so it cannot be exported as {what}",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// A state-dir relative path as intent records and reports hold it.
pub(in crate::store) fn path_text(rel: &Path) -> String {
    maestro_session_fs::beneath::slash_text(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str) -> String {
        format!("---\nsession_id: \"{id}\"\ntask: \"t\"\nstatus: \"in_progress\"\n---\nbody\n")
    }

    fn file() -> ExportFile {
        ExportFile {
            format: FORMAT.into(),
            version: VERSION,
            exported: "2026-01-01T00:00:00Z".into(),
            tool: "maestro-session test".into(),
            session: ExportedSession {
                id: "s1".into(),
                location: Location::Archive,
                file: session("s1"),
            },
            events: None,
            checkpoints: vec![ExportedCheckpoint {
                record: CheckpointMeta {
                    v: 1,
                    id: 1,
                    name: None,
                    automatic: true,
                    reason: "resume".into(),
                    time: "2026-01-01T00:00:00Z".into(),
                    git_commit: None,
                    location: Location::Active,
                    bytes: session("s1").len() as u64,
                },
                file: session("s1"),
            }],
            plans: vec![ExportedPlan {
                name: "design.md".into(),
                slot: PlanSlot::DesignDocument,
                archived: false,
                file: "# d\n".into(),
            }],
            skipped: Vec::new(),
        }
    }

    fn parsed(f: &ExportFile) -> Result<ExportFile> {
        parse(&serde_json::to_vec(f).expect("encode"), Path::new("x.json"))
    }

    #[test]
    fn round_trips() {
        assert_eq!(parsed(&file()).expect("parse"), file());
    }

    type Change = Box<dyn Fn(&mut ExportFile)>;

    #[test]
    fn refuses_what_it_cannot_trust() {
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|f| f.version = 2), "version 2 is not supported"),
            (
                Box::new(|f| f.format = "x".into()),
                "not a maestro-session export",
            ),
            (Box::new(|f| f.session.id = "../x".into()), "session id"),
            (Box::new(|f| f.session.id = "s2".into()), "holds session"),
            (
                Box::new(|f| f.session.file = "nope".into()),
                "not a session file",
            ),
            (
                Box::new(|f| f.plans[0].name = "../../evil".into()),
                "without folders",
            ),
            (
                Box::new(|f| f.plans[0].name = "/abs".into()),
                "without folders",
            ),
            (
                Box::new(|f| f.plans[0].name = ".hidden".into()),
                "start with `.`",
            ),
            (Box::new(|f| f.plans[0].name = "a..b".into()), "`..`"),
            (
                Box::new(|f| f.checkpoints[0].record.bytes = 1),
                "record says",
            ),
            (
                Box::new(|f| f.checkpoints[0].file = session("zz")),
                "holds session",
            ),
            (
                Box::new(|f| {
                    let other = f.checkpoints[0].clone();
                    f.checkpoints.push(other);
                }),
                "used twice",
            ),
        ];
        for (change, expected) in cases {
            let mut f = file();
            change(&mut f);
            let err = parsed(&f).expect_err(expected).to_string();
            assert!(err.contains(expected), "{err} lacks {expected}");
            assert!(err.contains("x.json"), "{err} names the file");
        }
    }

    /// Case 21 and its class: every number of an export file, set to a value past its bound,
    /// refuses the file naming the field.
    #[test]
    fn every_number_is_bounded_and_named() {
        let big_session = |id: &str, field: &str| {
            format!(
                "---\nsession_id: \"{id}\"\ntask: \"t\"\nstatus: \"in_progress\"\ntoken_usage:\n  {field}\n---\nbody\n"
            )
        };
        let cases: Vec<(&str, serde_json::Value, &str)> = vec![
            (
                "/version",
                serde_json::json!(u64::MAX),
                "version 18446744073709551615",
            ),
            (
                "/checkpoints/0/record/id",
                serde_json::json!(u64::MAX),
                "record.id is 18446744073709551615",
            ),
            (
                "/checkpoints/0/record/id",
                serde_json::json!(0),
                "record.id is 0",
            ),
            (
                "/checkpoints/0/record/id",
                serde_json::json!(-1),
                "checkpoints[0].record.id",
            ),
            (
                "/checkpoints/0/record/id",
                serde_json::json!(1.5),
                "checkpoints[0].record.id",
            ),
            (
                "/checkpoints/0/record/v",
                serde_json::json!(u64::MAX),
                "checkpoints[0].record.v",
            ),
            (
                "/checkpoints/0/record/bytes",
                serde_json::json!(u64::MAX),
                "record says 18446744073709551615",
            ),
            (
                "/checkpoints/0/record/time",
                serde_json::json!("+999999-01-01T00:00:00Z"),
                "record.time",
            ),
            (
                "/events",
                serde_json::json!(
                    "{\"v\":1,\"time\":\"2026-01-01T00:00:00Z\",\"checkpoint\":18446744073709551615}\n"
                ),
                "line 1: `checkpoint` is 18446744073709551615",
            ),
            (
                "/session/file",
                serde_json::json!(big_session("s1", "total_input: 18446744073709551615")),
                "the session file: token_usage.total_input is 18446744073709551615",
            ),
            (
                "/checkpoints/0/file",
                serde_json::json!(big_session(
                    "s1",
                    "by_agent: {coder: {input: 9007199254740992}}"
                )),
                "checkpoint 1: token_usage.by_agent.coder.input is 9007199254740992",
            ),
        ];
        for (pointer, value, want) in cases {
            let mut doc = serde_json::to_value(file()).expect("value");
            *doc.pointer_mut(pointer).expect(pointer) = value.clone();
            if pointer == "/checkpoints/0/file" {
                let len = value.as_str().map_or(0, str::len);
                doc["checkpoints"][0]["record"]["bytes"] = serde_json::json!(len);
            }
            let bytes = serde_json::to_vec(&doc).expect("encode");
            let err = parse(&bytes, Path::new("x.json"))
                .expect_err(want)
                .to_string();
            assert!(err.contains(want), "{pointer}: {err} lacks {want}");
            assert!(err.contains("x.json"), "{err} names the file");
        }
    }

    #[test]
    fn truncated_and_empty_files_are_refused() {
        let whole = serde_json::to_vec(&file()).expect("encode");
        let err = parse(&whole[..whole.len() / 2], Path::new("x.json")).expect_err("truncated");
        assert!(err.to_string().contains("EOF"), "{err}");
        assert!(parse(b"[]", Path::new("x")).is_err());
        assert!(parse(b"", Path::new("x")).is_err());
    }
}
