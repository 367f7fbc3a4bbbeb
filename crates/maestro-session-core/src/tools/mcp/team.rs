//! `get_team_status` (issue 19): what a lead model asks about its team. Read-only: it probes
//! tmux and the container engine and reads the team records; nothing is changed.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ToolError, Tools};
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

pub(super) fn get_team_status(t: &Tools, a: GetTeamStatusArgs) -> Result<Value, ToolError> {
    const TOOL: &str = "get_team_status";
    let store = t.store(TOOL)?;
    let teams = Teams::new(t.workspace(TOOL)?, t.env.clone(), "mcp");
    let (chosen, unreadable) = match &a.name {
        Some(n) => (vec![teams.get(n).map_err(|e| t.fail(TOOL, e))?], Vec::new()),
        None => teams.all().map_err(|e| t.fail(TOOL, e))?,
    };
    let mut out = Vec::new();
    for team in &chosen {
        let st = lifecycle::status(&t.env, team);
        let mut v = serde_json::to_value(&st).unwrap_or(Value::Null);
        if let Some(sid) = &team.session
            && let Ok(session) = store.get(sid)
            && let Some(members) = v.get_mut("members").and_then(Value::as_array_mut)
        {
            for m in members {
                let role = m["role"].as_str().unwrap_or_default().to_string();
                m["phase"] = json!(view::phase_of(&session.meta, &role));
            }
        }
        if let Some(cwd) = v.get_mut("members").and_then(Value::as_array_mut) {
            for m in cwd {
                let shown = t.rel(std::path::Path::new(m["cwd"].as_str().unwrap_or_default()));
                m["cwd"] = json!(shown);
            }
        }
        out.push(v);
    }
    Ok(json!({
        "teams": out,
        "unreadable": unreadable.iter().map(|e| t.sanitize(&e.to_string())).collect::<Vec<_>>(),
    }))
}
