//! The Store's side of the event log: recording each change under the lock that made it, and
//! reading a session's log. The log itself (line shape, diff, append, read) is
//! [`super::format`], which knows nothing of the store.

use std::path::PathBuf;

use serde_json::Value;

use super::format::*;
use super::read::{EventLog, Tail, read};
use crate::error::Result;
use crate::session::model::SessionMetadata;
use crate::store::Store;
use crate::store::lock::Locked;
use maestro_session_fs::beneath::Root;

impl Store {
    /// Logs a change this store made to session `id`, from frontmatter `before` to `after`
    /// (`None`: it did not exist / no longer exists), under the lock `l` the change was made
    /// with; the log is `fdatasync`ed when `l` is released. `extra` adds keys (see the module docs). No line is written when the
    /// frontmatter did not change and there is no `extra` (an operation that changed nothing);
    /// a move (`archive`, `resume`, `park`: `extra` names the file) is always logged.
    ///
    /// The change is already durable when this runs, so a failure to log cannot undo it or
    /// make the caller retry it: it is reported on stderr (`[WARN] maestro-session: ...`) and
    /// otherwise ignored.
    pub(in crate::store) fn record(
        &self,
        l: &Locked,
        id: &str,
        op: &str,
        before: Option<&SessionMetadata>,
        after: Option<&SessionMetadata>,
        extra: &[(&str, Value)],
    ) {
        let as_json = |m: Option<&SessionMetadata>| m.and_then(|m| serde_json::to_value(m).ok());
        let mut changes = diff(as_json(before).as_ref(), as_json(after).as_ref());
        // The revision first: a line too long for every change drops them from the end, and
        // the revision is what a stale write-state is checked against.
        if let Some(at) = changes.iter().position(|c| c.path == "/revision") {
            let revision = changes.remove(at);
            changes.insert(0, revision);
        }
        if changes.is_empty() && before.is_some() && after.is_some() && extra.is_empty() {
            return;
        }
        let mut event = Event::new(&self.actor, op, id, changes);
        for (k, v) in extra {
            event = event.with(k, v.clone());
        }
        let appended = append(&l.root, &event, false)
            .and_then(|a| l.logs.defer(&l.root, &log_rel(id)?, a.was_empty));
        if let Err(e) = appended {
            eprintln!(
                "[WARN] maestro-session: {op} of session {id} was made, but its event could not be logged: {e}"
            );
        }
    }

    /// This store, its changes logged as made by `actor` (the default is [`Actor::Cli`]: the
    /// command line's store; the MCP tools and `write-state` say who they are).
    pub fn with_actor(mut self, actor: Actor) -> Store {
        self.actor = actor;
        self
    }

    /// Who this store's changes are logged as made by.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Logs the session a command moved out of the active slot (see [`Displaced`]).
    pub(in crate::store) fn record_displaced(&self, l: &Locked, displaced: Option<&Displaced>) {
        if let Some(d) = displaced {
            let file = Value::from(format!(
                "{}/{}.md",
                crate::workspace::paths::ARCHIVE_REL,
                d.after.session_id
            ));
            self.record(
                l,
                &d.after.session_id,
                d.op,
                Some(&d.before),
                Some(&d.after),
                &[("file", file)],
            );
        }
    }

    /// Logs a session that did not exist before (`create`, `fork`), naming its file and the
    /// session parked to make room.
    pub(in crate::store) fn record_new(
        &self,
        l: &Locked,
        op: &str,
        session: &crate::session::session_file::SessionFile,
        displaced: Option<&Displaced>,
        extra: &[(&str, Value)],
    ) {
        let mut all: Vec<(&str, Value)> = extra.to_vec();
        if let Ok(rel) = session.path.strip_prefix(l.root.path()) {
            all.push(("file", Value::from(rel.to_string_lossy())));
        }
        all.extend(parked_extra(displaced));
        self.record(l, session.id(), op, None, Some(&session.meta), &all);
    }

    /// Removes the log of session `id` (for `cleanup`, after the session file went); a missing
    /// log is fine, and a failure is reported on stderr (the session is already removed).
    pub(in crate::store) fn forget_log(&self, root: &Root, id: &str) {
        let removed = log_rel(id).and_then(|rel| Ok(root.remove_unsynced(&rel)?));
        if let Err(e) = removed {
            eprintln!(
                "[WARN] maestro-session: session {id} was removed, but not its event log: {e}"
            );
        }
    }

    /// The events of the session named by `prefix` (resolved like `show`: id, unique prefix, or
    /// `active`, active or archived). A session that no longer exists is found by its exact id
    /// when its log is left (after `delete`), also when that id is the prefix of a live one
    /// (`x` deleted, `x-2` created after it).
    ///
    /// Errors: those of [`Store::resolve`] when no log has that exact id; those of [`read`].
    pub fn events(&self, prefix: &str) -> Result<(String, EventLog)> {
        let exact_log = || {
            prefix != crate::store::ACTIVE_KEYWORD && matches!(self.log_path(prefix), Ok(Some(_)))
        };
        let id = match self.resolve(prefix) {
            Ok((id, _, _)) if id != prefix && exact_log() => prefix.to_string(),
            Ok((id, _, _)) => id,
            Err(e) => match exact_log() {
                true => prefix.to_string(),
                false => return Err(e),
            },
        };
        let log = match self.ws.open_state_dir(false)? {
            Some(root) => read(&root, &id)?,
            None => EventLog::default(),
        };
        Ok((id, log))
    }

    /// The path of session `id`'s log when it exists.
    pub fn log_path(&self, id: &str) -> Result<Option<PathBuf>> {
        let rel = log_rel(id)?;
        let Some(root) = self.ws.open_state_dir(false)? else {
            return Ok(None);
        };
        Ok(root.metadata(&rel)?.map(|_| root.join(&rel)))
    }

    /// A follower of session `id`'s log from `offset` (0: from the start); see [`Tail`].
    pub fn tail(&self, id: &str, offset: u64) -> Result<Tail> {
        Tail::new(self.ws.clone(), id, offset)
    }
}
