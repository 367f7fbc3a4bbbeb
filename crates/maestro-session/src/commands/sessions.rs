//! `init`, `create`, `list`, `show`, `status ID`: making and reading sessions.

use maestro_session_core::error::Error;
use maestro_session_core::session::plan;
use maestro_session_core::store::listing::{self, ListFilter};
use maestro_session_core::store::{CreateRequest, Store};
use maestro_session_fs::reader::{self, ReadKind};
use serde_json::json;

use crate::args::{Command, CreateArgs, ListArgs};
use crate::output::Report;
use crate::{json, observe, render};

/// Runs one of this module's commands.
/// `json_mode` chooses how unreadable session files are warned about on stderr.
pub fn run(store: &Store, command: Command, json_mode: bool) -> anyhow::Result<Report> {
    Ok(match command {
        Command::Init => {
            let dir = store.init()?;
            let human = format!("state dir ready: {}\n", dir.display());
            Report::new(json!({"state_dir": dir}), human)
        }
        Command::Create(a) => create(store, a)?,
        Command::List(a) => list(store, a, json_mode)?,
        Command::Show { session, log } => {
            let s = store.get_or_active(session.as_deref())?;
            let conflicts = store.conflicts(&s.meta);
            let mut value = json::session(&s, log);
            observe::add_to_session_json(store, &s, &mut value);
            let run = observe::interrupted_for(store, &s);
            let human =
                render::show(&s, &conflicts, log) + &observe::interrupted_line(run.as_ref());
            Report::new(value, human)
        }
        Command::Status { session, new: None } => {
            let s = store.get(&session)?;
            Report::new(json::status(&s), render::status(&s))
        }
        other => return Err(super::misrouted(&other)),
    })
}

fn create(store: &Store, a: CreateArgs) -> anyhow::Result<Report> {
    let phases = match &a.plan {
        Some(path) => {
            // A regular file of bounded size: a FIFO or a device is refused, never read.
            let bytes = reader::read_path(path, ReadKind::PLAN)?;
            let text = String::from_utf8(bytes).map_err(|e| Error::Corrupt {
                path: path.clone(),
                line: None,
                reason: format!("a plan file must be UTF-8 text ({e})"),
            })?;
            plan::parse_plan(&path.display().to_string(), &text)?
        }
        None => a.phases,
    };
    let req = CreateRequest {
        task: a.task,
        phases,
        design_document: a.design_document,
        implementation_plan: a.implementation_plan,
        workflow_mode: a.workflow_mode.map(|m| m.as_str().to_string()),
        execution_mode: a.execution_mode.map(|m| m.as_str().to_string()),
        task_complexity: a.complexity.map(|c| c.as_str().to_string()),
        park: a.park,
        ..CreateRequest::default()
    };
    let s = store.create(&req)?;
    Ok(Report::new(json::session(&s, false), render::created(&s)))
}

fn list(store: &Store, a: ListArgs, json_mode: bool) -> anyhow::Result<Report> {
    let (rows, broken) = store.summaries()?;
    let filter = ListFilter {
        status: a.status.or(a.status_arg),
        branch: a.branch,
        since: a.since,
        until: a.until,
        limit: a.limit,
    };
    let rows = listing::filter(rows, &filter)?;
    render::broken(&broken, json_mode);
    let run = observe::interrupted(store);
    let interrupted = run.as_ref().map(|r| r.session_id.as_str());
    // Only the rendering printed: for 10,000 rows each costs tens of ms.
    Ok(if json_mode {
        let mut value = json::list(&rows, &broken)?;
        observe::mark_list_json(&mut value, run.as_ref());
        Report::new(value, String::new())
    } else {
        Report {
            json: None,
            human: render::list(&rows, a.wide, interrupted),
            unhealthy: false,
        }
    })
}
