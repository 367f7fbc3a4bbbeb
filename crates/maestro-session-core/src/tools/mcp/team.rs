//! `get_team_status` (issue 19): what a lead model asks about its team. Read-only: it probes
//! tmux and the container engine and reads the team records; nothing is changed.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;

use super::{ToolError, Tools};
use crate::outputs::ErrorObject;
use crate::outputs::team::GetTeamStatusOutput;
use crate::team::lifecycle;
use crate::team::record::Teams;
use crate::team::view;

/// `get_team_status`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetTeamStatusArgs {
    /// A team's name; every team when absent.
    pub name: Option<String>,
}

pub(super) fn get_team_status(
    t: &Tools,
    a: GetTeamStatusArgs,
) -> Result<GetTeamStatusOutput, ToolError> {
    const TOOL: &str = "get_team_status";
    let store = t.store(TOOL)?;
    let teams = Teams::new(t.workspace(TOOL)?, t.env.clone(), "mcp");
    let (chosen, unreadable) = match &a.name {
        Some(n) => (vec![teams.get(n).map_err(|e| t.fail(TOOL, e))?], Vec::new()),
        None => teams.all().map_err(|e| t.fail(TOOL, e))?,
    };
    let mut out = GetTeamStatusOutput {
        teams: Vec::new(),
        unreadable: ErrorObject::list(&unreadable),
    };
    // Project-relative paths in the messages, as every tool result has them.
    for e in &mut out.unreadable {
        e.error = t.sanitize(&e.error);
    }
    for team in &chosen {
        let mut st = lifecycle::status(&t.env, team);
        let session = team.session.as_deref().and_then(|sid| store.get(sid).ok());
        for m in &mut st.members {
            if let Some(session) = &session {
                m.phase = Some(view::phase_of(&session.meta, &m.role));
            }
            m.cwd = PathBuf::from(t.rel(&m.cwd));
        }
        out.teams.push(st);
    }
    Ok(out)
}
