//! Commands that move, copy or remove whole sessions: `archive`, `resume`, `fork`, `delete`,
//! `cleanup`, `doctor`.

use maestro_session_core::clock;
use maestro_session_core::store::{CleanupRequest, Store};

use crate::args::Command;
use crate::output::Report;
use crate::{json, observe, render};

/// Runs one of this module's commands.
pub fn run(store: &Store, command: Command) -> anyhow::Result<Report> {
    Ok(match command {
        Command::Archive { session } => {
            let r = store.archive(session.as_deref())?;
            Report::new(json::archive(&r), render::archived(&r))
        }
        Command::Resume { session, park } => {
            // Asked before the resume, which makes the session active and in progress.
            let run = observe::interrupted(store);
            let r = store.resume(&session, park)?;
            let run = run.filter(|i| i.session_id == r.session_id);
            let mut value = json::resume(&r);
            if let Some(obj) = value.as_object_mut() {
                obj.insert("interrupted".into(), serde_json::to_value(&run)?);
            }
            let human = render::resumed(&r) + &observe::interrupted_line(run.as_ref());
            Report::new(value, human)
        }
        Command::Fork {
            session,
            activate,
            park,
        } => {
            let s = store.fork(&session, activate, park)?;
            Report::new(json::session(&s, false), render::forked(&s))
        }
        Command::Delete { session, force } => {
            let r = store.delete(&session, force)?;
            Report::new(serde_json::to_value(&r)?, render::deleted(&r))
        }
        Command::Cleanup(a) => {
            let older_than_secs = a
                .older_than
                .as_deref()
                .map(|age| clock::parse_age(age, jiff::Timestamp::now()))
                .transpose()?;
            let req = CleanupRequest {
                older_than_secs,
                id: a.session,
                all: a.all,
                yes: a.yes,
                dry_run: a.dry_run,
            };
            let r = store.cleanup(&req)?;
            Report::new(json::cleanup(&r), render::cleaned(&r))
        }
        Command::Doctor { fix } => {
            let r = store.doctor(fix)?;
            Report {
                unhealthy: !r.healthy(),
                ..Report::new(serde_json::to_value(&r)?, render::doctor(&r))
            }
        }
        other => return Err(super::misrouted(&other)),
    })
}
