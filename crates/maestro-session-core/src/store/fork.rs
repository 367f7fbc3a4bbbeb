//! Forking a session: a copy under a new id, its unfinished phases reset, optionally made the
//! active session.

use std::path::PathBuf;

use serde_json::Value;

use super::create::slug;
use super::plan_names::free_plan_name;
use super::resolve::{archive_rel, get_in};
use super::{Store, intent};
use crate::clock;
use crate::error::Result;
use crate::session::lifecycle::{self};
use crate::session::model::ForkedFrom;
use crate::session::orchestration_log;
use crate::session::session_file::{Location, SessionFile};
use crate::store::intent::{Intent, Step};
use crate::workspace::paths::{ACTIVE_REL, PLANS_REL};

impl Store {
    /// Forks any session into a new one (new id, `parent_session`, `forked_from`), phases and
    /// context kept, the original untouched. The fork lands archived as `paused`, or active and
    /// in progress with `activate`.
    pub fn fork(&self, prefix: &str, activate: bool, park: bool) -> Result<SessionFile> {
        let l = self.locked()?;
        let (source, _) = get_in(&l.root, Some(prefix))?;
        let now = jiff::Timestamp::now();
        let now_iso = clock::iso(now);
        let base = format!("{}-{}", now.strftime("%Y-%m-%d"), slug(&source.meta.task));
        let id = self.unique_id(&l.root, &base)?;
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
        meta.git = crate::workspace::git::capture(&self.ws.project_root).or(meta.git);
        let forked = lifecycle::fork_state(
            lifecycle::StatusStage {
                status: meta.status,
                stage: meta.stage,
                paused_from_stage: meta.paused_from_stage,
            },
            activate,
        );
        meta.status = forked.status;
        meta.stage = forked.stage;
        meta.paused_from_stage = forked.paused_from_stage;
        let body = orchestration_log::upsert_note(
            &source.body,
            &format!("Forked from {} at {now_iso}.", source.id()),
        );
        let flavour = self.new_session_flavour(&l.root)?.flavour;
        let mut steps = Vec::new();
        // The fork gets its own copies of plan documents still in plans/, so archiving either
        // session never moves a document the other names.
        let mut copied: Vec<(String, String)> = Vec::new();
        for slot in [&mut meta.design_document, &mut meta.implementation_plan] {
            let Some(current) = slot.clone() else {
                continue;
            };
            let Some((from, name)) = self.plan_in_plans(&l.root, &current)? else {
                continue;
            };
            let to = match copied.iter().find(|(f, _)| *f == from) {
                Some((_, to)) => to.clone(),
                None => {
                    let to = free_plan_name(&l.root, PLANS_REL, &id, &name, &copied)?;
                    steps.push(Step::Copy {
                        from: from.clone(),
                        to: to.clone(),
                    });
                    copied.push((from, to.clone()));
                    to
                }
            };
            *slot = Some(maestro_session_fs::beneath::slash_text(
                &self.ws.state_rel.join(&to),
            ));
        }
        let (rel, displaced) = if activate {
            let displaced = self.make_room(&l.root, park, None, &mut steps)?;
            (PathBuf::from(ACTIVE_REL), displaced)
        } else {
            (archive_rel(&id)?, None)
        };
        // The fork keeps the source's layout (unknown keys, key order), in the project's
        // flavour (see `flavour`).
        let parent_id = source.id().to_string();
        let mut session = source;
        session.set_flavour(flavour);
        session.meta = meta;
        session.body = body;
        session.path = l.root.join(&rel);
        session.location = if activate {
            Location::Active
        } else {
            Location::Archive
        };
        steps.push(Step::Write {
            path: maestro_session_fs::beneath::slash_text(&rel),
            content: session.emit()?,
        });
        intent::run(&l.root, &Intent::new("fork", &id, steps))?;
        self.record_displaced(&l, displaced.as_ref());
        let parent = [("parent", Value::from(parent_id))];
        self.record_new(&l, "fork", &session, displaced.as_ref(), &parent);
        Ok(session)
    }
}
