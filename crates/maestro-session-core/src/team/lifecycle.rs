//! What `team create`, `list`, `health`, `stop`, `resume` and `export` do (issue 19 items 2-4).
//!
//! **Probes never write.** [`status`] asks tmux and the container engine what is there and
//! reports each member `running`, `stopped` or `missing`; nothing it finds changes the record,
//! so a failed probe (a killed tmux server, an engine that does not answer) never forgets a
//! member.
//!
//! **Resume.** [`resume`] starts stopped containers and opens a window for every member that
//! has none (or whose pane ended), with the runtime's resume flag and the session id the record
//! holds ([`crate::team::member::Runtime::argv`]); running windows are left alone. A container
//! that no longer exists is recreated only by `--fix-broken` ([`resume`] with `fix_broken`): its HOME volume,
//! and with it the conversation, survived.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::clock;
use crate::env::Env;
use crate::env_vars::EnvVars;
use crate::error::{Error, Result};
use crate::team::container::{self, ContainerState};
use crate::team::member::{MemberSpec, RESUME_ID_VAR, Runtime};
use crate::team::record::{
    ContainerSpec, Created, MAX_MEMBERS, Member, Team, TeamEvent, Teams, VERSION,
};
use crate::team::tmux::Tmux;
use crate::team::{name, worktree};

/// What `team create` needs.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    /// The team's name.
    pub name: String,
    /// Its members, in order.
    pub members: Vec<MemberSpec>,
    /// The maestro session it is tied to (already resolved to a full id).
    pub session: Option<String>,
    /// Run each member in a container.
    pub containers: Option<ContainerSpec>,
    /// Give each member its own worktree and branch (when the project is a git repo with a
    /// commit).
    pub worktrees: bool,
    /// Replace an existing record and tmux session.
    pub force: bool,
}

/// A member's state, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberState {
    /// Its window's process (and container) run.
    Running,
    /// Its window's process ended, or its container is stopped.
    Stopped,
    /// No window, or no container.
    Missing,
}

impl MemberState {
    /// `running`, `stopped`, `missing`.
    pub fn name(self) -> &'static str {
        match self {
            MemberState::Running => "running",
            MemberState::Stopped => "stopped",
            MemberState::Missing => "missing",
        }
    }
}

/// What a probe found for one member.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberStatus {
    /// The role.
    pub role: String,
    /// Its runtime (`claude`, `command:…`).
    pub runtime: String,
    /// The overall state.
    pub state: MemberState,
    /// The tmux window: `running`, `exited` or `missing`.
    pub window: &'static str,
    /// The container: `running`, `stopped`, `missing`; `None` without containers.
    pub container: Option<&'static str>,
    /// Its working directory.
    pub cwd: PathBuf,
    /// Its branch, if it has a worktree.
    pub branch: Option<String>,
    /// The runtime's session id, when known.
    pub runtime_session_id: Option<String>,
    /// When SessionStart last reported, ISO 8601 UTC.
    pub last_activity: Option<String>,
    /// MCP `get_team_status` only, for a team tied to a session: `<phase id> <phase name>
    /// (<status>)` of the phase the member's role is on, or null (absent elsewhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<Option<String>>,
}

/// What a probe found for a team (`team health`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamStatus {
    /// The team.
    pub name: String,
    /// The tmux session.
    pub tmux_session: String,
    /// The maestro session it is tied to.
    pub session: Option<String>,
    /// The container engine, if any.
    pub engine: Option<String>,
    /// Per member.
    pub members: Vec<MemberStatus>,
    /// The worst member state (`running` for a team without members).
    pub worst: MemberState,
    /// A removal under way (steps left), if any.
    pub removal_pending: Option<usize>,
}

impl TeamStatus {
    /// How many members are in `state`.
    pub fn count(&self, state: MemberState) -> usize {
        self.members.iter().filter(|m| m.state == state).count()
    }
}

/// The tmux session of a team: `maestro-<project>-<team>`, the project's folder name reduced to
/// letters, digits, `-` and `_` (tmux reads `.` and `:` in a target as separators).
pub fn tmux_session_name(project_root: &Path, team: &str) -> String {
    let project: String = project_root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(48)
        .collect();
    format!("maestro-{project}-{team}")
}

/// A version 4 UUID made from the time, the process and the member (for Claude Code's
/// `--session-id`, which takes a UUID).
pub fn new_uuid(seed: &str) -> String {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.update(jiff::Timestamp::now().as_nanosecond().to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    let mut b: [u8; 16] = [0; 16];
    b.copy_from_slice(&h.finalize()[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn container_name(team: &Team, role: &str) -> String {
    format!("{}-{role}", team.tmux_session)
}

/// Creates the team: validates everything first, then per member its worktree and container,
/// then writes the record (so what was made is known before any runtime starts), then opens
/// the windows. A tmux session of that name that exists is used (its other windows left
/// alone), and replaced only with `force`.
///
/// Errors: [`Error::Invalid`] for a bad name, no member, a role twice; [`Error::Refused`] when
/// the team exists (without `force`); [`Error::Io`] quoting git, tmux or the engine.
pub fn create(teams: &Teams, env: &Env, req: &CreateRequest) -> Result<Team> {
    name::check("team name", &req.name)?;
    if req.members.is_empty() {
        return Err(Error::Invalid(
            "a team needs at least one --member role=runtime".into(),
        ));
    }
    if req.members.len() > MAX_MEMBERS {
        return Err(Error::Invalid(format!(
            "{} members, over the {MAX_MEMBERS} a team may have",
            req.members.len()
        )));
    }
    let mut roles = std::collections::BTreeSet::new();
    for m in &req.members {
        if !roles.insert(m.role.as_str()) {
            return Err(Error::Invalid(format!("role {:?} is given twice", m.role)));
        }
    }
    if let Some(c) = &req.containers {
        container::check_engine(&c.engine)?;
    }
    let existing = teams.get(&req.name);
    match &existing {
        Ok(_) if !req.force => {
            return Err(Error::refused(
                format!("team {}", req.name),
                "it exists; `team resume` restarts it, `team create --force` replaces its record",
            ));
        }
        Err(e @ Error::Corrupt { .. }) => {
            return Err(Error::Invalid(format!(
                "the record of team {:?} does not parse ({e}); `maestro-session doctor` reports it, nothing was overwritten",
                req.name
            )));
        }
        _ => {}
    }
    let project = teams.workspace().project_root.clone();
    let tmux = Tmux::from_env(env);
    let now = clock::now_iso();
    let mut team = Team {
        version: VERSION,
        name: req.name.clone(),
        project_root: project.clone(),
        session: req.session.clone(),
        tmux_session: tmux_session_name(&project, &req.name),
        containers: req.containers.clone(),
        created: now.clone(),
        updated: now,
        stopped: false,
        members: Vec::new(),
        removal: None,
    };
    if req.force {
        tmux.kill_session(&team.tmux_session)?;
    }
    let use_worktrees = req.worktrees && worktree::has_commits(&project);
    for spec in &req.members {
        let mut m = Member {
            role: spec.role.clone(),
            runtime: spec.runtime.clone(),
            runtime_session_id: spec
                .runtime
                .takes_session_id()
                .then(|| new_uuid(&format!("{}/{}", req.name, spec.role))),
            started: false,
            last_activity: None,
            cwd: project.clone(),
            branch: None,
            base: None,
            container: None,
            volume: None,
            created: Created::default(),
        };
        if use_worktrees {
            let path = worktree::default_path(&project, &req.name, &spec.role);
            let branch = worktree::branch_name(&req.name, &spec.role);
            // An earlier --force run may have left them: reuse, never replace.
            if worktree::has_commits(&path) {
                m.cwd = path;
                m.branch = Some(branch);
            } else {
                m.base = Some(worktree::add(&project, &path, &branch)?);
                m.cwd = path;
                m.branch = Some(branch);
                m.created.worktree = true;
                m.created.branch = true;
            }
        }
        if let Some(spec) = &req.containers {
            let cname = container_name(&team, &m.role);
            let vname = format!("{cname}-home");
            m.created.volume = container::create_volume(&spec.engine, &vname)?;
            if container::state(&spec.engine, &cname) == ContainerState::Missing {
                container::create(spec, &cname, &vname, &m.cwd)?;
                m.created.container = true;
            }
            m.container = Some(cname);
            m.volume = Some(vname);
        }
        team.members.push(m);
    }
    teams.create(&team, req.force)?;
    start_missing(teams, env, &team.name, &[])?;
    teams.get(&team.name)
}

/// The environment a member's window gets: who it is and where its team lives (read by our
/// SessionStart hook, [`crate::team::capture`]), and for a `command:` runtime the id to resume.
pub fn member_env(teams: &Teams, team: &Team, m: &Member, resume: bool) -> Vec<(String, String)> {
    let ws = teams.workspace();
    let mut env = vec![
        (
            EnvVars::MAESTRO_TEAM_MEMBER.to_string(),
            format!("{}/{}", team.name, m.role),
        ),
        (
            EnvVars::MAESTRO_TEAM_PROJECT.to_string(),
            ws.project_root.to_string_lossy().into_owned(),
        ),
        (
            EnvVars::MAESTRO_TEAM_STATE_DIR.to_string(),
            ws.state_rel.to_string_lossy().into_owned(),
        ),
    ];
    if let (true, Runtime::Command(_), Some(id)) = (resume, &m.runtime, &m.runtime_session_id) {
        env.push((RESUME_ID_VAR.to_string(), id.clone()));
    }
    env
}

/// Opens a window for every member without a live one, resuming where an id is known; returns
/// the roles started. Marks them started in the record. Members in `skip` (their container is
/// gone) are left alone.
fn start_missing(
    teams: &Teams,
    env: &Env,
    team_name: &str,
    skip: &[String],
) -> Result<Vec<String>> {
    let team = teams.get(team_name)?;
    let tmux = Tmux::from_env(env);
    let windows = tmux.windows(&team.tmux_session).unwrap_or_default();
    let mut started = Vec::new();
    for m in team.members.iter().filter(|m| !skip.contains(&m.role)) {
        if windows.iter().any(|w| w.name == m.role && !w.dead) {
            continue;
        }
        let resume_id = m
            .started
            .then_some(m.runtime_session_id.as_deref())
            .flatten();
        let argv = m.runtime.argv(m.runtime_session_id.as_deref(), resume_id);
        let wenv = member_env(teams, &team, m, resume_id.is_some());
        let argv = match (&team.containers, &m.container) {
            (Some(spec), Some(c)) => container::exec_argv(spec, c, &m.cwd, &wenv, &argv),
            _ => argv,
        };
        tmux.start(&team.tmux_session, &m.role, &m.cwd, &wenv, &argv)?;
        started.push(m.role.clone());
    }
    if !started.is_empty() || (team.stopped && skip.is_empty()) {
        let roles = started.clone();
        teams.update(team_name, "start", None, move |t| {
            t.stopped = false;
            for m in t.members.iter_mut().filter(|m| roles.contains(&m.role)) {
                m.started = true;
            }
            Ok(())
        })?;
    }
    Ok(started)
}

/// What tmux and the engine say about each member (see the module docs: nothing is written).
pub fn status(env: &Env, team: &Team) -> TeamStatus {
    let tmux = Tmux::from_env(env);
    let windows = tmux.windows(&team.tmux_session).unwrap_or_default();
    let members: Vec<MemberStatus> = team
        .members
        .iter()
        .map(|m| {
            let window = match windows.iter().find(|w| w.name == m.role) {
                Some(w) if w.dead => "exited",
                Some(_) => "running",
                None => "missing",
            };
            let ctr = match (&team.containers, &m.container) {
                (Some(spec), Some(c)) => Some(container::state(&spec.engine, c)),
                _ => None,
            };
            let state = match (window, ctr) {
                (_, Some(ContainerState::Missing)) => MemberState::Missing,
                // `team stop` closed it: stopped on purpose, not lost.
                ("missing", _) if team.stopped => MemberState::Stopped,
                ("missing", _) => MemberState::Missing,
                (_, Some(ContainerState::Stopped)) | ("exited", _) => MemberState::Stopped,
                _ => MemberState::Running,
            };
            MemberStatus {
                role: m.role.clone(),
                runtime: m.runtime.label(),
                state,
                window,
                container: ctr.map(ContainerState::name),
                cwd: m.cwd.clone(),
                branch: m.branch.clone(),
                runtime_session_id: m.runtime_session_id.clone(),
                last_activity: m.last_activity.clone(),
                phase: None,
            }
        })
        .collect();
    let worst = members
        .iter()
        .map(|m| m.state)
        .max()
        .unwrap_or(MemberState::Running);
    TeamStatus {
        name: team.name.clone(),
        tmux_session: team.tmux_session.clone(),
        session: team.session.clone(),
        engine: team.containers.as_ref().map(|c| c.engine.clone()),
        members,
        worst,
        removal_pending: team.removal.as_ref().map(|r| r.steps.len()),
    }
}

/// What `stop` and `resume` did.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Actions {
    /// The team.
    pub team: String,
    /// One line per thing done.
    pub done: Vec<String>,
    /// Members left as they were, with why.
    pub skipped: Vec<String>,
}

/// Stops the team: kills each member's window and stops (never removes) its container. The
/// record keeps every member and id, so `resume` continues them.
pub fn stop(teams: &Teams, env: &Env, team_name: &str) -> Result<Actions> {
    let team = teams.get(team_name)?;
    let tmux = Tmux::from_env(env);
    let mut a = Actions {
        team: team.name.clone(),
        ..Actions::default()
    };
    for m in &team.members {
        if tmux.kill_window(&team.tmux_session, &m.role)? {
            a.done.push(format!("{}: window closed", m.role));
        }
        if let (Some(spec), Some(c)) = (&team.containers, &m.container)
            && container::state(&spec.engine, c) == ContainerState::Running
        {
            container::stop(&spec.engine, c)?;
            a.done.push(format!("{}: container {c} stopped", m.role));
        }
    }
    teams.update(team_name, "stop", None, |t| {
        t.stopped = true;
        Ok(())
    })?;
    Ok(a)
}

/// Resumes the team: starts stopped containers, then opens a window with the runtime's resume
/// flag for each member without a live one. A member whose container is gone is skipped and
/// reported (`cleanup --fix-broken` recreates it); with `fix_broken` it is recreated first.
pub fn resume(teams: &Teams, env: &Env, team_name: &str, fix_broken: bool) -> Result<Actions> {
    let team = teams.get(team_name)?;
    let mut a = Actions {
        team: team.name.clone(),
        ..Actions::default()
    };
    let mut missing = Vec::new();
    if let Some(spec) = &team.containers {
        for m in &team.members {
            let Some(c) = &m.container else { continue };
            match container::state(&spec.engine, c) {
                ContainerState::Running => {}
                ContainerState::Stopped => {
                    container::start(&spec.engine, c)?;
                    a.done.push(format!("{}: container {c} started", m.role));
                }
                ContainerState::Missing if fix_broken => {
                    let volume = m.volume.clone().unwrap_or_else(|| format!("{c}-home"));
                    container::create_volume(&spec.engine, &volume)?;
                    container::create(spec, c, &volume, &m.cwd)?;
                    a.done.push(format!(
                        "{}: container {c} recreated from the record",
                        m.role
                    ));
                }
                ContainerState::Missing => {
                    missing.push(m.role.clone());
                    a.skipped.push(format!(
                        "{}: container {c} is missing; `team cleanup --fix-broken` recreates it",
                        m.role
                    ));
                }
            }
        }
    }
    for role in start_missing(teams, env, team_name, &missing)? {
        a.done.push(format!("{role}: window started"));
    }
    Ok(a)
}

/// `format` of a team export.
pub const EXPORT_FORMAT: &str = "maestro-session team export";

/// A team as one JSON document (`team export`): its record, what a probe finds now and its
/// event log.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamExport {
    /// Always `maestro-session team export` ([`EXPORT_FORMAT`]).
    pub format: String,
    /// Version of this document's format: 1.
    pub version: u32,
    /// When exported, ISO 8601 UTC.
    pub exported: String,
    /// The team record as stored.
    pub record: Team,
    /// What a probe found at export time.
    pub status: TeamStatus,
    /// The team's event log, oldest first.
    pub events: Vec<TeamEvent>,
}

/// The team as one JSON document: its record, what a probe finds now and its event log.
///
/// Errors: as [`Teams::get`] and [`Teams::events`].
pub fn export(teams: &Teams, env: &Env, team_name: &str) -> Result<TeamExport> {
    let team = teams.get(team_name)?;
    let st = status(env, &team);
    Ok(TeamExport {
        format: EXPORT_FORMAT.into(),
        version: 1,
        exported: clock::now_iso(),
        events: teams.events(team_name)?,
        record: team,
        status: st,
    })
}
