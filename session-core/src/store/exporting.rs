//! The Store's side of export and import (issue 11, item 5): reading a session with its event
//! log, checkpoints and plan documents under the lock into an [`ExportFile`], and recreating
//! one in this project as one intent. The file format and its validation are
//! [`super::export`], which knows nothing of the store.
//!
//! Import rules:
//! - the session lands in the archive (`state/archive/<id>.md`), never replacing the active
//!   session; with `activate` it becomes the active session when the slot is free, a finished
//!   active session is archived to make room, and an unfinished one is parked with `park`;
//! - an id that any session here holds (active or archived), or that a deleted session's event
//!   log or checkpoints still use, is refused; `as_id` imports under another id, rewritten in
//!   the session file and in every checkpoint copy through the session model (unknown keys,
//!   key order and formatting kept);
//! - plan documents keep their name in `plans/` (or `plans/archive/`) when it is free or holds
//!   the same bytes, else get a free `<id>--<name>`, and the session's field points at them;
//! - the event log gets one more line, an `import` event (`from`: the exported id, `exported`,
//!   `tool`, `file`);
//! - every file is written by one intent record under the lock, beneath the state dir, so a
//!   crash leaves nothing half imported: the next locked command completes it.

use std::path::Path;

use super::checkpoint::{FORMAT_VERSION, folder_rel, json_rel, md_rel, read_copy, scan};
use super::event_log::{self, Event, log_rel};
use super::export::{
    ExportFile, ExportedCheckpoint, ExportedPlan, ExportedSession, FORMAT, ImportOptions,
    ImportReport, MAX_EVENTS_BYTES, PlanSlot, VERSION, path_text, utf8, validate_id,
};
use super::intent::{self, Intent, Step};
use super::{Store, archive_rel, free_plan_name, ids_in, resolve_in};
use crate::clock;
use crate::error::{Error, Result};
use crate::fs::beneath::Root;
use crate::fs::durable;
use crate::session::session_file::{Location, SessionFile};
use crate::workspace::paths::{ACTIVE_REL, EVENTS_REL, PLANS_ARCHIVE_REL, PLANS_REL};

impl Store {
    /// Exports the session `prefix` names (a full or partial id, or `active`) with its event
    /// log, complete checkpoints (oldest first) and the plan documents it names that lie in the
    /// state dir's `plans/` or `plans/archive/`, all read under the lock. Plans elsewhere and
    /// unreadable checkpoints are listed in [`ExportFile::skipped`].
    ///
    /// Errors: those of resolving and reading the session; [`Error::Corrupt`] when its event log
    /// is not UTF-8 (`doctor --fix` rewrites it without its broken lines);
    /// [`Error::TooLarge`] for a log over [`MAX_EVENTS_BYTES`].
    pub fn export(&self, prefix: &str) -> Result<ExportFile> {
        let l = self.locked()?;
        let root = &l.root;
        let (id, rel, location) = resolve_in(root, prefix)?;
        let bytes = root.read_file(&rel, durable::MAX_SESSION_BYTES, false)?;
        let session = SessionFile::from_bytes(&bytes, &root.join(&rel), location)?;
        let file = utf8(bytes, root, &rel, "a session file")?;
        let mut skipped = Vec::new();
        let log = log_rel(&id)?;
        let events = match root.read_file(&log, MAX_EVENTS_BYTES, false) {
            Ok(bytes) => Some(utf8(
                bytes,
                root,
                &log,
                "an event log; run `maestro-session doctor --fix` to rewrite it without its broken lines",
            )?),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
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
                    let bytes = root.read_file(Path::new(&rel), durable::MAX_SESSION_BYTES, false)?;
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
        Ok(ExportFile {
            format: FORMAT.into(),
            version: VERSION,
            exported: clock::now_iso(),
            tool: format!("maestro-session {}", env!("CARGO_PKG_VERSION")),
            session: ExportedSession { id, location, file },
            events,
            checkpoints,
            plans,
            skipped,
        })
    }

    /// For a plan document path (project-relative) that is a regular file directly in the
    /// state dir's `plans/` or `plans/archive/`: (state-dir relative path, file name, whether
    /// archived).
    fn plan_in_state(&self, root: &Root, value: &str) -> Result<Option<(String, String, bool)>> {
        let Ok(clean) = crate::fs::beneath::validate_relative(value) else {
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
        if super::export::validate_plan_name(name).is_err() {
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

    /// Imports `file` (already validated by [`super::export::parse`]) into this project as
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
        let mut changed = renamed;
        session.meta.session_id = id.clone();
        let mut plans = Vec::new();
        for plan in &file.plans {
            let to = self.plan_target(root, &id, plan, &mut planned, &mut steps)?;
            let shown = self.ws.state_rel.join(&to).to_string_lossy().into_owned();
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
            let copy = if renamed {
                let what = root.join(md_rel(&folder, c.record.id));
                let mut s = SessionFile::from_bytes(c.file.as_bytes(), &what, c.record.location)?;
                s.meta.session_id = id.clone();
                s.emit_copy()?
            } else {
                c.file.clone()
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

    /// Refuses `id` when any session here holds it, or a deleted session's event log or
    /// checkpoints still use it.
    fn check_free(&self, root: &Root, id: &str, renamed: bool) -> Result<()> {
        let how = if renamed {
            "choose another id for --as"
        } else {
            "import it under another id with --as <id>"
        };
        if let Some((_, _, location)) = ids_in(root)?.into_iter().find(|(taken, _, _)| taken == id)
        {
            let place = match location {
                Location::Active => "the active session",
                Location::Archive => "an archived session",
            };
            return Err(Error::refused(
                id,
                format!("this project already has it as {place}; {how}"),
            ));
        }
        if root.metadata(&archive_rel(id)?)?.is_some() {
            return Err(Error::refused(
                id,
                format!(
                    "{} already exists; {how}",
                    root.join(archive_rel(id)?).display()
                ),
            ));
        }
        let log = log_rel(id)?;
        let leftover_checkpoints = !root.names(&folder_rel(id)?)?.is_empty();
        if root.metadata(&log)?.is_some() || leftover_checkpoints {
            return Err(Error::refused(
                id,
                format!(
                    "a deleted session's event log or checkpoints still use this id ({}); {how}",
                    root.join(if leftover_checkpoints {
                        folder_rel(id)?
                    } else {
                        log
                    })
                    .display()
                ),
            ));
        }
        Ok(())
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
            match root.read_file(Path::new(&own), durable::MAX_SESSION_BYTES, false) {
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

#[cfg(test)]
mod tests;
