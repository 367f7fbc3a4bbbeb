//! What `write-state` may write under the state dir, and how (the issue's "files the tools
//! own are theirs").
//!
//! Under the state dir, `write-state` writes only session files (`state/active-session.md`,
//! `state/archive/<session_id>.md`) and plan documents (`plans/<name>.md`,
//! `plans/archive/<name>.md`); the lock, the list index, intent records, quarantine, temp files
//! and anything else there belong to maestro-session and are refused. A session file must
//! start with a `---` line (no BOM, no blank line first) and hold a session: a valid
//! `session_id`, a known `status`, phases that parse. It is written under the lock, after
//! pending moves are completed, and never so that a session is lost or listed twice:
//! - `active-session.md` is refused when the live (non-terminal) active session has another
//!   id (archive or park it first), when the incoming session is archived (resume it), and when
//!   the current file does not parse (`doctor --fix` first); a finished active session with
//!   another id is archived first, in the same intent.
//! - `archive/<name>.md` is refused when `<name>` is not the file's `session_id`, and when
//!   that session is the active one.
//! - a session no file holds is refused when its id is a removed session's (a tombstone names
//!   it, see [`super::used_ids`]).
//!
//! A session whose `status` and `stage` contradict each other (see
//! [`crate::session::lifecycle::check_pair`], e.g. `cancelled` with stage `paused`) is refused
//! naming both values, like every other invalid state: write-state never rewrites what a model
//! wrote.

use std::path::{Component, Path};

use super::resolve::{active_in, archive_rel, doctor_hint};
use super::{Store, event_log, stale_write};
use crate::error::{Error, Result};
use crate::session::lifecycle::{self, State};
use crate::session::session_file::{Location, SessionFile};
use crate::store::intent::{self, Intent, Step};
use crate::workspace::paths::{ACTIVE_REL, ARCHIVE_REL, PLANS_ARCHIVE_REL, PLANS_REL};
use maestro_session_fs::durable;

/// What a path under the state dir is, for `write-state`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Active,
    Archive(String),
    Plan,
}

/// Classifies `rel` (relative to the state dir); `None` for everything `write-state` must not
/// write.
fn classify(rel: &Path) -> Option<Kind> {
    let parts: Vec<&str> = rel
        .components()
        .map(|c| match c {
            Component::Normal(n) => n.to_str(),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let (folder, name) = parts.split_last().map(|(n, f)| (f.join("/"), *n))?;
    let document =
        name.ends_with(".md") && !name.starts_with('.') && !name.ends_with(durable::TEMP_SUFFIX);
    if !document {
        return None;
    }
    match folder.as_str() {
        "state" if name == "active-session.md" => Some(Kind::Active),
        ARCHIVE_REL => Some(Kind::Archive(name.trim_end_matches(".md").to_string())),
        PLANS_REL | PLANS_ARCHIVE_REL => Some(Kind::Plan),
        _ => None,
    }
}

/// Checks that `content` is a session file `write-state` may write; returns it parsed.
fn parse_session(shown: &Path, content: &[u8]) -> Result<SessionFile> {
    if !(content.starts_with(b"---\n") || content.starts_with(b"---\r\n")) {
        return Err(Error::Corrupt {
            path: shown.to_path_buf(),
            line: Some(1),
            reason: "a session file must start with a `---` line (no byte-order mark, no blank line before it)".into(),
        });
    }
    let session = SessionFile::from_bytes(content, shown, Location::Archive)?;
    let schema = |reason: String| Error::Corrupt {
        path: shown.to_path_buf(),
        line: None,
        reason,
    };
    if session.id().is_empty() {
        return Err(schema("frontmatter has no session_id".into()));
    }
    archive_rel(session.id()).map_err(|e| schema(e.to_string()))?;
    if !session.read_with_key("status") {
        return Err(schema("frontmatter has no status".into()));
    }
    // The file is a boundary of agent names too: a key of `token_usage.by_agent` is one.
    for agent in session.meta.token_usage.by_agent.keys() {
        crate::session::agent_name::AgentName::parse(agent)
            .map_err(|e| schema(format!("token_usage.by_agent: {e}")))?;
    }
    lifecycle::check_pair(session.meta.status, session.meta.stage).map_err(|why| {
        schema(format!(
            "{why}; write-state refuses an inconsistent pair as it refuses any other invalid state (nothing is normalised)"
        ))
    })?;
    Ok(session)
}

impl Store {
    /// Writes `content` as `rel` (relative to the state dir) for `write-state`; see the module
    /// docs for what is refused. `validate` off (`--no-validate`) is refused for session files.
    ///
    /// Errors: [`Error::PathRefused`] for a file maestro-session owns; [`Error::Corrupt`] for
    /// content that is not a session; [`Error::Refused`] when the write would lose or duplicate
    /// a session; those of the lock and the write.
    pub fn write_document(&self, rel: &Path, content: &[u8], validate: bool) -> Result<Written> {
        let shown = self.ws.state_dir.join(rel);
        let kind = classify(rel).ok_or_else(|| {
            Error::refused_path(
                shown.display().to_string(),
                format!(
                    "under the state dir write-state writes only session files ({ACTIVE_REL}, {ARCHIVE_REL}/<session_id>.md) and plan documents ({PLANS_REL}/*.md, {PLANS_ARCHIVE_REL}/*.md); {} belongs to maestro-session",
                    rel.display()
                ),
            )
        })?;
        if kind == Kind::Plan {
            let root = self.open_created()?;
            root.replace(rel, content, durable::STATE_FILE_MODE, true)?;
            return Ok(Written::default());
        }
        if !validate {
            return Err(Error::Invalid(format!(
                "--no-validate cannot be used for the session file {}: session files are always checked",
                shown.display()
            )));
        }
        let mut incoming = parse_session(&shown, content)?;
        let id = incoming.id().to_string();
        let l = self.locked_created()?;
        let current = active_in(&l.root).map_err(doctor_hint)?;
        // The same session as on disk at `rel`: the content must not revert what was recorded
        // since the read it is based on (see `stale_write`).
        let on_disk = match &kind {
            Kind::Active => current.clone().filter(|a| a.id() == id),
            Kind::Archive(_) => match SessionFile::read_in(&l.root, rel, Location::Archive) {
                Ok(s) => Some(s).filter(|s| s.id() == id),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(doctor_hint(e)),
            },
            Kind::Plan => None,
        };
        let mut note = None;
        if let Some(disk) = &on_disk {
            if let stale_write::Outcome::Merged { file, note: said } =
                stale_write::check(&l.root, &shown, disk, &incoming)?
            {
                incoming = *file;
                lifecycle::check_pair(incoming.meta.status, incoming.meta.stage).map_err(|why| {
                    Error::refused(
                        &id,
                        format!("write-state refused: merged with the changes recorded since its revision, the session would be inconsistent ({why}); read it again and write your change to it"),
                    )
                })?;
                note = Some(said);
            }
            // Nothing to change: nothing written, no new revision, no event.
            if incoming.frontmatter_json() == disk.frontmatter_json() && incoming.body == disk.body
            {
                return Ok(Written { note });
            }
        }
        // The file's next revision; the writer's text is kept but for its `revision` line.
        let next = on_disk
            .as_ref()
            .and_then(|d| d.meta.revision)
            .or(incoming.meta.revision)
            .unwrap_or(0)
            .saturating_add(1);
        let before = event_log::prior(&l.root, rel, current.as_ref(), &id);
        let mut displaced = None;
        let mut steps = Vec::new();
        match kind {
            Kind::Active => {
                if let Some(mut active) = current
                    && active.id() != id
                {
                    if !active.meta.status.is_terminal() {
                        return Err(Error::refused(
                            &id,
                            format!(
                                "session {} is active ({}); archive it (`maestro-session archive`) or park it (`maestro-session resume {id} --park`) before writing another session to {ACTIVE_REL}",
                                active.id(),
                                active.meta.status
                            ),
                        ));
                    }
                    let was = active.meta.clone();
                    self.archive_steps(&l.root, &mut active, Path::new(ACTIVE_REL), &mut steps)?;
                    displaced = Some(event_log::Displaced::new("archive", was, active.meta));
                }
                if l.root.metadata(&archive_rel(&id)?)?.is_some() {
                    return Err(Error::refused(
                        &id,
                        format!(
                            "the session is archived; resume it with `maestro-session resume {id}` instead of writing it to {ACTIVE_REL}"
                        ),
                    ));
                }
            }
            Kind::Archive(name) => {
                if name != id {
                    return Err(Error::refused(
                        &id,
                        format!(
                            "{} must hold session {name}: an archived session's file is named after its session_id",
                            shown.display()
                        ),
                    ));
                }
                if current.as_ref().is_some_and(|a| a.id() == id) {
                    return Err(Error::refused(
                        &id,
                        format!("it is the active session; write {ACTIVE_REL} instead"),
                    ));
                }
            }
            Kind::Plan => {}
        }
        if before.is_none() {
            // A session no file held: its id must not be a removed session's.
            super::used_ids::check_not_buried(&l.root, &id)?;
        }
        self.checkpoint_before_write(&l, rel, &incoming)?;
        steps.push(Step::Write {
            path: maestro_session_fs::beneath::slash_text(rel),
            content: incoming.emit_with_revision(next)?,
        });
        intent::run(&l.root, &Intent::new("write-state", &id, steps))?;
        self.record_displaced(&l, displaced.as_ref());
        let file = [(
            "file",
            serde_json::Value::from(maestro_session_fs::beneath::slash_text(rel)),
        )];
        self.record(
            &l,
            &id,
            "write",
            before.as_ref(),
            Some(&incoming.meta),
            &file,
        );
        Ok(Written { note })
    }
}

/// What [`Store::write_document`] did beyond writing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// One line for stderr when the content was merged with changes recorded since the
    /// revision it was based on (see `stale_write`).
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_what_write_state_may_write() {
        assert_eq!(
            classify(Path::new("state/active-session.md")),
            Some(Kind::Active)
        );
        assert_eq!(
            classify(Path::new("state/archive/2026-x.md")),
            Some(Kind::Archive("2026-x".into()))
        );
        assert_eq!(classify(Path::new("plans/design.md")), Some(Kind::Plan));
        assert_eq!(
            classify(Path::new("plans/archive/design.md")),
            Some(Kind::Plan)
        );
        for refused in [
            "state/.lock",
            "state/.index.json",
            "state/.list-index",
            "state/.search-index",
            "state/.active-session.md.1-0-1.maestro-tmp",
            "state/intents/1-archive-x.json",
            "state/intents/x.md",
            "state/2026-x.design-gate.json",
            "state/2026-x.design-gate.md",
            "state/quarantine/x.md",
            "state/notes.txt",
            "state/archive/.hidden.md",
            "state/archive/sub/x.md",
            "notes.md",
            "plans/sub/x.md",
            "plans/x.txt",
        ] {
            assert_eq!(classify(Path::new(refused)), None, "{refused}");
        }
    }

    #[test]
    fn session_content_must_be_a_session() {
        let shown = Path::new("s/state/active-session.md");
        for bad in [
            "---\nfoo: bar\n---\n",
            "\u{feff}---\nsession_id: \"a\"\nstatus: \"in_progress\"\n---\n",
            "\n---\nsession_id: \"a\"\nstatus: \"in_progress\"\n---\n",
            "---\nsession_id: \"a\"\n---\n",
            "---\nsession_id: \"../a\"\nstatus: \"in_progress\"\n---\n",
            "---\nsession_id: \"a\"\nstatus: \"sleeping\"\n---\n",
            "---\nsession_id: \"a\"\nstatus: \"in_progress\"\nphases: [{id: [1]}]\n---\n",
        ] {
            assert!(parse_session(shown, bad.as_bytes()).is_err(), "{bad:?}");
        }
        parse_session(
            shown,
            b"---\nsession_id: \"a\"\nstatus: \"in_progress\"\n---\n",
        )
        .expect("a session");
    }

    #[test]
    fn an_inconsistent_status_and_stage_is_refused_naming_both() {
        let shown = Path::new("s/state/active-session.md");
        for (status, stage) in [("cancelled", "paused"), ("completed", "initializing")] {
            let text =
                format!("---\nsession_id: \"a\"\nstatus: \"{status}\"\nstage: \"{stage}\"\n---\n");
            let err = parse_session(shown, text.as_bytes()).expect_err("inconsistent");
            let msg = err.to_string();
            assert!(
                msg.contains(&format!(
                    "status {status} with stage {stage} is inconsistent"
                )),
                "{msg}"
            );
        }
        for ok in [
            "---\nsession_id: \"a\"\nstatus: \"cancelled\"\nstage: \"failed\"\n---\n",
            "---\nsession_id: \"a\"\nstatus: \"completed\"\n---\n",
        ] {
            parse_session(shown, ok.as_bytes()).expect("consistent");
        }
    }
}
