//! The Store's side of export and import (issue 11, item 5): reading a session with its
//! checkpoints and plan documents under the lock and writing them, with its event log streamed
//! line by line, as an export file; and recreating one in this project as one intent. The
//! file format and its validation are [`super::format`], which knows nothing of the store.
//!
//! Import rules:
//! - the session lands in the archive (`state/archive/<id>.md`), never replacing the active
//!   session; with `activate` it becomes the active session when the slot is free, a finished
//!   active session is archived to make room, and an unfinished one is parked with `park`;
//! - an id that any session here holds (active or archived), or that a removed session used
//!   (its tombstone, event log or checkpoints are left: see [`crate::store::used_ids`]), is refused;
//!   `as_id` imports under another id, rewritten in the session file and in every checkpoint
//!   copy through the session model (unknown keys, key order and formatting kept);
//! - the session and its checkpoint copies are written in this project's flavour for a new
//!   session ([`crate::store::flavour`]): converted (unknown keys and key order kept) when the export
//!   holds the other one;
//! - plan documents keep their name in `plans/` (or `plans/archive/`) when it is free or holds
//!   the same bytes, else get a free `<id>--<name>`, and the session's field points at them;
//! - the event log gets one more line, an `import` event (`from`: the exported id, `exported`,
//!   `tool`, `file`);
//! - every file is written by one intent record under the lock, beneath the state dir, so a
//!   crash leaves nothing half imported: the next locked command completes it.

use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};

use super::format::{
    ExportFile, ExportOptions, ExportSummary, ExportedCheckpoint, ExportedPlan, ExportedSession,
    FORMAT, ImportOptions, ImportReport, PlanSlot, VERSION, path_text, utf8, validate_id,
};
use crate::clock;
use crate::error::{Error, Result};
use crate::session::session_file::{Location, SessionFile};
use crate::store::Store;
use crate::store::checkpoint::{FORMAT_VERSION, folder_rel, json_rel, md_rel, read_copy, scan};
use crate::store::event_log::{self, Event, log_rel};
use crate::store::import_bounds;
use crate::store::intent::{self, Intent, Step};
use crate::store::plan_names::free_plan_name;
use crate::store::resolve::{archive_rel, resolve_in};
use crate::workspace::paths::{ACTIVE_REL, EVENTS_REL, PLANS_ARCHIVE_REL, PLANS_REL};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::reader::ReadKind;

impl Store {
    /// Exports the session `prefix` names (a full or partial id, or `active`) with its event
    /// log, complete checkpoints (oldest first) and the plan documents it names that lie in the
    /// state dir's `plans/` or `plans/archive/`, writing the export file to `out` (`out_path`
    /// names it in errors). The session file, checkpoints and plans are read under the lock
    /// (held only while they are read); the event log is then streamed from the descriptor
    /// opened under the lock, up to its length then, one line at a time (see
    /// [`crate::store::export`]), so memory does not grow with the log. Plans elsewhere, unreadable
    /// checkpoints and log lines that are not events are listed in [`ExportFile::skipped`].
    ///
    /// Errors: those of resolving and reading the session; [`Error::Io`] naming `out_path`
    /// when writing fails (what was written is then incomplete: write to a temp file, as
    /// [`maestro_session_fs::durable::durable_replace_with`] does, to keep a whole file or none).
    pub fn export_to(
        &self,
        prefix: &str,
        opts: &ExportOptions,
        out: &mut dyn Write,
        out_path: &Path,
    ) -> Result<ExportSummary> {
        let snapshot = self.export_snapshot(prefix, opts)?;
        let mut w = Counted { out, bytes: 0 };
        let (events, skipped) = snapshot.write(&mut w).map_err(|e| e.into_error(out_path))?;
        Ok(ExportSummary {
            exported: snapshot.session.id,
            bytes: w.bytes,
            events,
            checkpoints: snapshot.checkpoints.len(),
            plans: snapshot.plans.len(),
            skipped,
        })
    }

    /// [`Store::export_to`] into memory, read back as an [`ExportFile`] (for tests and
    /// callers that want the document; its size is that of the export).
    ///
    /// Errors: those of [`Store::export_to`].
    pub fn export(&self, prefix: &str) -> Result<ExportFile> {
        let mut bytes = Vec::new();
        let shown = Path::new("(memory)");
        self.export_to(prefix, &ExportOptions::default(), &mut bytes, shown)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::Internal(format!("an export does not read back: {e}")))
    }

    /// What an export carries, read under the lock: everything but the event log's lines,
    /// whose file is opened (and its length taken) under the lock and read after it.
    fn export_snapshot(&self, prefix: &str, opts: &ExportOptions) -> Result<Snapshot> {
        let l = self.locked()?;
        let root = &l.root;
        let (id, rel, location) = resolve_in(root, prefix)?;
        let bytes = root.read_file(&rel, ReadKind::SESSION, false)?;
        let session = SessionFile::from_bytes(&bytes, &root.join(&rel), location)?;
        let file = utf8(bytes, root, &rel, "a session file")?;
        let mut skipped = Vec::new();
        let log_rel = log_rel(&id)?;
        let log = if opts.no_events {
            skipped.push("the event log: left out (--no-events)".to_string());
            None
        } else {
            match root.open_read(&log_rel, false) {
                Ok(f) => {
                    let path = root.join(&log_rel);
                    let meta = maestro_session_fs::reader::check_regular(&f, &path)?;
                    Some(LogSource {
                        file: f,
                        len: meta.len(),
                        path,
                    })
                }
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e.into()),
            }
        };
        let folder = folder_rel(&id)?;
        let found = scan(root, &folder)?;
        for (record, why) in &found.unreadable {
            skipped.push(format!(
                "checkpoint record {}: {why}",
                root.join(record).display()
            ));
        }
        let mut checkpoints = Vec::new();
        for meta in found.complete.iter().rev() {
            let copy = read_copy(root, &folder, meta)?;
            let md = md_rel(&folder, meta.id);
            checkpoints.push(ExportedCheckpoint {
                record: meta.clone(),
                file: utf8(copy, root, &md, "a checkpoint copy")?,
            });
        }
        let mut plans = Vec::new();
        for (slot, value) in [
            (PlanSlot::DesignDocument, &session.meta.design_document),
            (
                PlanSlot::ImplementationPlan,
                &session.meta.implementation_plan,
            ),
        ] {
            let Some(value) = value else { continue };
            match self.plan_in_state(root, value)? {
                Some((rel, name, archived)) => {
                    let bytes = root.read_file(Path::new(&rel), ReadKind::PLAN, false)?;
                    plans.push(ExportedPlan {
                        name,
                        slot,
                        archived,
                        file: utf8(bytes, root, Path::new(&rel), "a plan document")?,
                    });
                }
                None => skipped.push(format!(
                    "{} {value}: not a file in the state dir's plans/ or plans/archive/; not exported",
                    slot.as_str()
                )),
            }
        }
        let gate = crate::store::design_gate::gate_rel(&id)?;
        if root.metadata(&gate)?.is_some() {
            skipped.push(format!(
                "design gate {}: not exported; it only admits create_session, which an imported session never goes through (its approval is in the session's design_document and its create event)",
                gate.display()
            ));
        }
        Ok(Snapshot {
            exported: clock::now_iso(),
            session: ExportedSession { id, location, file },
            log,
            checkpoints,
            plans,
            skipped,
        })
    }

    /// For a plan document path (project-relative) that is a regular file directly in the
    /// state dir's `plans/` or `plans/archive/`: (state-dir relative path, file name, whether
    /// archived).
    fn plan_in_state(&self, root: &Root, value: &str) -> Result<Option<(String, String, bool)>> {
        let Ok(clean) = maestro_session_fs::beneath::validate_relative(value) else {
            return Ok(None);
        };
        let Ok(inside) = clean.strip_prefix(&self.ws.state_rel) else {
            return Ok(None);
        };
        let parts: Vec<&str> = inside
            .components()
            .map(|c| c.as_os_str().to_str().unwrap_or("/"))
            .collect();
        let (name, archived) = match parts.as_slice() {
            [p, name] if *p == PLANS_REL => (*name, false),
            [p, a, name] if *p == PLANS_REL && *a == "archive" => (*name, true),
            _ => return Ok(None),
        };
        if super::format::validate_plan_name(name).is_err() {
            return Ok(None);
        }
        let folder = if archived {
            PLANS_ARCHIVE_REL
        } else {
            PLANS_REL
        };
        let rel = format!("{folder}/{name}");
        if !root.metadata(Path::new(&rel))?.is_some_and(|m| m.is_file()) {
            return Ok(None);
        }
        Ok(Some((rel, name.to_string(), archived)))
    }

    /// Imports `file` (already validated by [`crate::store::export::parse`]) into this project as
    /// one intent under the lock; see the module docs for the rules.
    ///
    /// Errors: [`Error::Invalid`] for a bad `as_id`; [`Error::Refused`] when the id is taken
    /// (active, archived, or by a deleted session's log or checkpoints), or the active slot is
    /// held by an unfinished session (`activate` without `park`); [`Error::TooLarge`] when the
    /// import would not fit one intent record; those of the file operations.
    pub fn import(&self, file: &ExportFile, opts: &ImportOptions) -> Result<ImportReport> {
        let id = opts
            .as_id
            .clone()
            .unwrap_or_else(|| file.session.id.clone());
        validate_id(&id)?;
        let renamed = id != file.session.id;
        let l = self.locked_created()?;
        let root = &l.root;
        self.check_free(root, &id, renamed)?;
        let mut steps = Vec::new();
        let mut planned: Vec<(String, String)> = Vec::new();

        // The session, renamed and pointed at its plans through the session model.
        let target_rel = if opts.activate {
            Path::new(ACTIVE_REL).to_path_buf()
        } else {
            archive_rel(&id)?
        };
        let location = if opts.activate {
            Location::Active
        } else {
            Location::Archive
        };
        let mut session = SessionFile::from_bytes(
            file.session.file.as_bytes(),
            &root.join(&target_rel),
            location,
        )?;
        // A session new to this project takes the project's flavour (see `flavour`).
        let flavour = self.new_session_flavour(root)?.flavour;
        let mut changed = renamed || session.flavour() != flavour;
        session.set_flavour(flavour);
        session.meta.session_id = id.clone();
        let mut plans = Vec::new();
        for plan in &file.plans {
            let to = self.plan_target(root, &id, plan, &mut planned, &mut steps)?;
            let shown = maestro_session_fs::beneath::slash_text(&self.ws.state_rel.join(&to));
            let slot = match plan.slot {
                PlanSlot::DesignDocument => &mut session.meta.design_document,
                PlanSlot::ImplementationPlan => &mut session.meta.implementation_plan,
            };
            if slot.as_deref() != Some(shown.as_str()) {
                *slot = Some(shown.clone());
                changed = true;
            }
            if !plans.contains(&shown) {
                plans.push(shown);
            }
        }
        let session_text = if changed {
            session.emit()?
        } else {
            file.session.file.clone()
        };

        // Checkpoints, their copies renamed too (restore checks the id).
        let folder = folder_rel(&id)?;
        for c in &file.checkpoints {
            // Renamed, and in the session's flavour too: a restore writes the copy back.
            let what = root.join(md_rel(&folder, c.record.id));
            let copy = if renamed {
                let mut s = SessionFile::from_bytes(c.file.as_bytes(), &what, c.record.location)?;
                s.set_flavour(flavour);
                s.meta.session_id = id.clone();
                s.emit_copy()?
            } else {
                match SessionFile::from_bytes(c.file.as_bytes(), &what, c.record.location) {
                    Ok(mut s) if s.flavour() != flavour => {
                        s.set_flavour(flavour);
                        s.render()
                    }
                    _ => c.file.clone(),
                }
            };
            let mut record = c.record.clone();
            record.v = FORMAT_VERSION;
            record.bytes = copy.len() as u64;
            let mut text = serde_json::to_string_pretty(&record)
                .map_err(|e| Error::Invalid(format!("cannot encode checkpoint record: {e}")))?;
            text.push('\n');
            steps.push(Step::Write {
                path: path_text(&md_rel(&folder, record.id)),
                content: copy,
            });
            steps.push(Step::Write {
                path: path_text(&json_rel(&folder, record.id)),
                content: text,
            });
        }

        // Make room in the active slot (activate), then the event log with its import event.
        let displaced = if opts.activate {
            self.make_room(root, opts.park, None, &mut steps)?
        } else {
            None
        };
        let mut log = file.events.clone().unwrap_or_default();
        if !log.is_empty() && !log.ends_with('\n') {
            log.push('\n');
        }
        let mut event = Event::new(&self.actor, "import", &id, Vec::new())
            .with("file", path_text(&target_rel))
            .with("exported", file.exported.clone())
            .with("tool", file.tool.clone());
        if renamed {
            event = event.with("from", file.session.id.clone());
        }
        let parked = event_log::parked_id(displaced.as_ref());
        for (k, v) in event_log::parked_extra(displaced.as_ref()) {
            event = event.with(k, v);
        }
        log.push_str(&String::from_utf8_lossy(&event.to_line()));
        steps.push(Step::Write {
            path: path_text(&log_rel(&id)?),
            content: log,
        });
        steps.push(Step::Write {
            path: path_text(&target_rel),
            content: session_text,
        });

        let intent = Intent::new("import", &id, steps);
        let size = serde_json::to_vec(&intent)
            .map(|v| v.len() as u64)
            .unwrap_or(u64::MAX);
        if size > intent::MAX_INTENT_BYTES {
            return Err(Error::TooLarge {
                path: root.join(intent::INTENTS_REL),
                size,
                cap: intent::MAX_INTENT_BYTES,
                kind: "one import (its intent record)",
            });
        }
        root.create_dirs(Path::new(EVENTS_REL))?;
        if !file.checkpoints.is_empty() {
            root.create_dirs(&folder)?;
        }
        intent::run(root, &intent)?;
        self.record_displaced(&l, displaced.as_ref());
        Ok(ImportReport {
            imported: id,
            from: renamed.then(|| file.session.id.clone()),
            location,
            file: path_text(&target_rel),
            events: file.event_count(),
            checkpoints: file.checkpoints.len(),
            plans,
            parked,
        })
    }

    /// Refuses `id` when any session here holds it, or a removed session used it (its
    /// tombstone, event log or checkpoints are left): see [`crate::store::used_ids`].
    fn check_free(&self, root: &Root, id: &str, renamed: bool) -> Result<()> {
        let how = if renamed {
            "choose another id for --as"
        } else {
            "import it under another id with --as <id>"
        };
        crate::store::used_ids::check_new_id(root, id, how)
    }

    /// Where plan `plan` goes (state-dir relative): its own name in `plans/` (or
    /// `plans/archive/`) when free or holding the same bytes, else a free `<id>--<name>`
    /// there ([`free_plan_name`]). Adds the write to `steps` and `planned` unless the bytes
    /// are already there or planned.
    fn plan_target(
        &self,
        root: &Root,
        id: &str,
        plan: &ExportedPlan,
        planned: &mut Vec<(String, String)>,
        steps: &mut Vec<Step>,
    ) -> Result<String> {
        let folder = if plan.archived {
            PLANS_ARCHIVE_REL
        } else {
            PLANS_REL
        };
        let own = format!("{folder}/{}", plan.name);
        // The other slot's plan with the same name and bytes: one file for both.
        if let Some((_, to)) = planned.iter().find(|(from, _)| *from == own)
            && steps.iter().any(
                |s| matches!(s, Step::Write { path, content } if path == to && *content == plan.file),
            )
        {
            return Ok(to.clone());
        }
        let taken_by_plan = planned.iter().any(|(_, to)| *to == own);
        if !taken_by_plan {
            match root.read_file(Path::new(&own), ReadKind::SESSION, false) {
                Ok(bytes) if bytes == plan.file.as_bytes() => return Ok(own),
                Ok(_) => {}
                Err(e) if e.is_not_found() => {
                    steps.push(Step::Write {
                        path: own.clone(),
                        content: plan.file.clone(),
                    });
                    planned.push((own.clone(), own.clone()));
                    return Ok(own);
                }
                Err(_) => {}
            }
        }
        let to = free_plan_name(root, folder, id, &plan.name, planned)?;
        steps.push(Step::Write {
            path: to.clone(),
            content: plan.file.clone(),
        });
        planned.push((own, to.clone()));
        Ok(to)
    }
}

/// The event log as opened under the lock: read up to `len`, its length then (hooks append
/// without the lock; what they append later is not exported).
struct LogSource {
    file: std::fs::File,
    len: u64,
    path: PathBuf,
}

/// What [`Store::export_to`] writes, read under the lock.
struct Snapshot {
    exported: String,
    session: ExportedSession,
    log: Option<LogSource>,
    checkpoints: Vec<ExportedCheckpoint>,
    plans: Vec<ExportedPlan>,
    skipped: Vec<String>,
}

/// Why writing an export stopped: the output failed, or reading the event log did.
enum WriteError {
    Output(std::io::Error),
    Read(Error),
}

impl WriteError {
    fn into_error(self, out_path: &Path) -> Error {
        match self {
            WriteError::Output(e) => Error::io("write", out_path, e),
            WriteError::Read(e) => e,
        }
    }
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        WriteError::Output(e)
    }
}

/// A writer that counts the bytes written.
struct Counted<'a> {
    out: &'a mut dyn Write,
    bytes: u64,
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.bytes = self.bytes.saturating_add(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// How many left-out log lines are named one by one in `skipped`.
const SKIPPED_LINES_NAMED: usize = 5;

impl Snapshot {
    /// Writes the export file: the keys in [`ExportFile`]'s order, the event log streamed.
    /// Returns the events carried and everything left out.
    fn write(&self, w: &mut dyn Write) -> std::result::Result<(usize, Vec<String>), WriteError> {
        fn json(w: &mut dyn Write, v: &impl serde::Serialize) -> std::io::Result<()> {
            // An output error keeps its kind (a closed stdout is a BrokenPipe the command line
            // ends quietly on).
            serde_json::to_writer(w, v).map_err(|e| match e.io_error_kind() {
                Some(kind) => std::io::Error::new(kind, e),
                None => std::io::Error::other(e),
            })
        }
        w.write_all(b"{\"format\":")?;
        json(w, &FORMAT)?;
        write!(w, ",\"version\":{VERSION},\"exported\":")?;
        json(w, &self.exported)?;
        w.write_all(b",\"tool\":")?;
        json(w, &format!("maestro-session {}", env!("CARGO_PKG_VERSION")))?;
        w.write_all(b",\"session\":")?;
        json(w, &self.session)?;
        w.write_all(b",\"events\":")?;
        let mut skipped = self.skipped.clone();
        let events = match &self.log {
            None => {
                w.write_all(b"null")?;
                0
            }
            Some(log) => {
                let (n, left_out) = stream_events(log, w)?;
                skipped.extend(left_out);
                n
            }
        };
        w.write_all(b",\"checkpoints\":")?;
        json(w, &self.checkpoints)?;
        w.write_all(b",\"plans\":")?;
        json(w, &self.plans)?;
        if !skipped.is_empty() {
            w.write_all(b",\"skipped\":")?;
            json(w, &skipped)?;
        }
        w.write_all(b"}\n")?;
        w.flush()?;
        Ok((events, skipped))
    }
}

/// Writes the event log `log` as one JSON string to `w`, one complete line at a time: each
/// line an import takes ([`import_bounds::check_event_line`]) exactly, `\n`-terminated.
/// Returns how many it wrote and, when lines were left out, one `skipped` entry naming them.
fn stream_events(
    log: &LogSource,
    w: &mut dyn Write,
) -> std::result::Result<(usize, Vec<String>), WriteError> {
    let reader = (&log.file).take(log.len);
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, reader);
    w.write_all(b"\"")?;
    let (mut written, mut line_no) = (0usize, 0usize);
    let mut left_out: Vec<(usize, String)> = Vec::new();
    while let Some(line) = event_log::next_line(&mut reader, &log.path).map_err(WriteError::Read)? {
        line_no += 1;
        let why = if line.too_long {
            Some(format!("longer than {} bytes", event_log::MAX_LINE_BYTES))
        } else if line.consumed == line.text.len() as u64 {
            // No `\n`: an append in progress, or torn.
            Some("incomplete (an append in progress, or torn)".to_string())
        } else if line.text.iter().all(u8::is_ascii_whitespace) {
            continue;
        } else {
            match std::str::from_utf8(&line.text) {
                Err(e) => Some(format!("not UTF-8 (at byte {})", e.valid_up_to())),
                Ok(text) => match import_bounds::check_event_line(text) {
                    Err(why) => Some(why),
                    Ok(()) => {
                        let quoted = serde_json::to_string(text).map_err(std::io::Error::other)?;
                        let inner = quoted
                            .strip_prefix('"')
                            .and_then(|q| q.strip_suffix('"'))
                            .unwrap_or(&quoted);
                        w.write_all(inner.as_bytes())?;
                        w.write_all(b"\\n")?;
                        written += 1;
                        None
                    }
                },
            }
        };
        if let Some(why) = why {
            left_out.push((line_no, why));
        }
    }
    w.write_all(b"\"")?;
    let mut notes = Vec::new();
    if !left_out.is_empty() {
        let named: Vec<String> = left_out
            .iter()
            .take(SKIPPED_LINES_NAMED)
            .map(|(n, why)| format!("line {n}: {why}"))
            .collect();
        let more = left_out.len().saturating_sub(SKIPPED_LINES_NAMED);
        notes.push(format!(
            "event log {}: {} line(s) not exported, not events an import takes ({}{})",
            log.path.display(),
            left_out.len(),
            named.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    Ok((written, notes))
}

#[cfg(test)]
mod tests;
