//! SessionStart learns it runs as a team member (issue 19 item 3): `maestro-session team`
//! sets [`EnvVars::MAESTRO_TEAM_MEMBER`] (`<team>/<role>`), [`EnvVars::MAESTRO_TEAM_PROJECT`]
//! and [`EnvVars::MAESTRO_TEAM_STATE_DIR`] in each member's tmux window. When the first is set,
//! our SessionStart hook records the runtime's session id (all four runtimes report it in the
//! payload's `session_id`) into that member of the team record: one small locked write, within
//! the hook's lock budget. When it is not set, nothing is read or written.
//!
//! The team's state dir is resolved from the project root the variable names, with the same
//! rules as every state dir (beneath the project; a way out is refused), never from the hook's
//! cwd: a member works in a worktree of its own.

use std::path::Path;
use std::time::Duration;

use crate::clock;
use crate::env::Env;
use crate::env_vars::EnvVars;
use crate::error::{Error, Result};
use crate::team::name;
use crate::team::record::Teams;
use crate::workspace::paths::{DEFAULT_STATE_DIR, StateDirSource, Workspace};

/// The longest runtime session id recorded, in bytes.
pub const MAX_ID_BYTES: usize = 256;

/// Records `runtime_session_id` for the member `env` names; `Ok(None)` when `env` names none,
/// else the `<team>/<role>` recorded.
///
/// Errors: [`Error::Invalid`] for a malformed variable or id; [`Error::NotFound`] for a team or
/// member the record does not have; [`Error::PathRefused`] for a state dir outside the project;
/// [`Error::LockTimeout`] past `lock_wait`.
pub fn session_start(
    env: &Env,
    runtime_session_id: &str,
    lock_wait: Duration,
) -> Result<Option<String>> {
    let Some(member) = env
        .get(EnvVars::MAESTRO_TEAM_MEMBER)
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    let Some((team, role)) = member.split_once('/') else {
        return Err(Error::Invalid(format!(
            "{} {member:?} is not <team>/<role>",
            EnvVars::MAESTRO_TEAM_MEMBER
        )));
    };
    name::check("team name", team)?;
    name::check("role", role)?;
    if runtime_session_id.is_empty()
        || runtime_session_id.len() > MAX_ID_BYTES
        || runtime_session_id.chars().any(char::is_control)
    {
        return Err(Error::Invalid(format!(
            "runtime session id {:?} is empty, over {MAX_ID_BYTES} bytes or holds a control character",
            runtime_session_id.chars().take(64).collect::<String>()
        )));
    }
    let project = env
        .get(EnvVars::MAESTRO_TEAM_PROJECT)
        .filter(|p| Path::new(p).is_absolute())
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{} is set but {} is not an absolute path",
                EnvVars::MAESTRO_TEAM_MEMBER,
                EnvVars::MAESTRO_TEAM_PROJECT
            ))
        })?;
    let state_rel = env
        .get(EnvVars::MAESTRO_TEAM_STATE_DIR)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_STATE_DIR.to_string());
    // Only the project root named: not the member's MAESTRO_WORKSPACE_PATH or state dir.
    let clean = Env::from_pairs(std::iter::empty::<(String, String)>());
    let ws = Workspace::with_state_dir_from(
        &clean,
        Path::new(&project),
        Path::new(&state_rel),
        StateDirSource::EnvVar,
    )?;
    let teams = Teams::new(ws, env.clone(), "hook:SessionStart").with_lock_wait(lock_wait);
    let id = runtime_session_id.to_string();
    teams.update(team, "session id", Some(role), |t| {
        let m = t.member_mut(role)?;
        m.runtime_session_id = Some(id);
        m.started = true;
        m.last_activity = Some(clock::now_iso());
        Ok(())
    })?;
    Ok(Some(member))
}
