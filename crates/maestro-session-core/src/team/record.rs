//! The team record, `<state dir>/state/teams/<name>.json`, and its event log
//! `state/teams/<name>.events.jsonl` (issue 19 item 1).
//!
//! Same rules as every other state file: opened beneath the project (a symlink out is
//! refused), every change a read-modify-write under the state lock (`state/.lock`) ending in
//! a durable replace, a record that does not parse is never overwritten (the change is refused
//! naming it; `doctor` reports it), and each change appends one JSON line ([`TeamEvent`]) to
//! the team's log: `{"v":1,"time":"…","actor":"cli","op":"create","team":"review",…}`.
//!
//! What a probe (tmux, podman) finds is never written here: a member is removed from the
//! record only by `team cleanup --remove`, never because a window or a container is missing.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::team::member::Runtime;
use crate::team::name;
use crate::workspace::paths::{LOCK_REL, Workspace};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable::STATE_FILE_MODE;
use maestro_session_fs::reader::ReadKind;

/// The folder of team records, relative to the state dir.
pub const TEAMS_REL: &str = "state/teams";
/// Version of the record format (`"version"`).
pub const VERSION: u32 = 1;
/// The largest team record read, in bytes.
pub const RECORD_CAP: u64 = 1024 * 1024;
/// The most members a team may have.
pub const MAX_MEMBERS: usize = 32;

/// What a container engine member set-up asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ContainerSpec {
    /// `podman` or `docker`.
    pub engine: String,
    /// The image each member's container runs.
    pub image: String,
    /// `--memory` as given to the engine (e.g. `2g`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// `--cpus` as given to the engine (e.g. `1.5`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<String>,
    /// Host paths mounted read-only at the same path (runtime binaries), if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<String>,
    /// Extra `KEY=VALUE` environment for the runtime, if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
}

/// What we created for a member, so cleanup removes only that.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Created {
    /// We added the worktree.
    #[serde(default)]
    pub worktree: bool,
    /// We created the branch.
    #[serde(default)]
    pub branch: bool,
    /// We created the container.
    #[serde(default)]
    pub container: bool,
    /// We created the HOME volume.
    #[serde(default)]
    pub volume: bool,
}

/// One member of a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Member {
    /// The role ([`name`] rules), also the tmux window's name.
    pub role: String,
    /// What it runs.
    pub runtime: Runtime,
    /// The runtime's own session id: chosen at create (Claude Code), else captured by our
    /// SessionStart hook; `None` until known. Resume uses it.
    #[serde(default)]
    pub runtime_session_id: Option<String>,
    /// Whether the runtime has started with `runtime_session_id` at least once (so the next
    /// start resumes it).
    #[serde(default)]
    pub started: bool,
    /// When SessionStart last reported the id, ISO 8601 UTC.
    #[serde(default)]
    pub last_activity: Option<String>,
    /// The member's working directory (its worktree, or the project root).
    pub cwd: PathBuf,
    /// Its branch (`team/<team>/<role>`), when it has a worktree.
    #[serde(default)]
    pub branch: Option<String>,
    /// The commit its branch started from.
    #[serde(default)]
    pub base: Option<String>,
    /// Its container's name, when the team runs in containers.
    #[serde(default)]
    pub container: Option<String>,
    /// Its HOME volume's name, when the team runs in containers.
    #[serde(default)]
    pub volume: Option<String>,
    /// What we created for it.
    #[serde(default)]
    pub created: Created,
}

/// A pending removal: the steps left, run in order, each dropped from the record once done
/// (so a crash midway resumes with the next `cleanup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Removal {
    /// When it began.
    pub started: String,
    /// Also remove the members' HOME volumes.
    #[serde(default)]
    pub volumes: bool,
    /// The steps left.
    pub steps: Vec<crate::team::cleanup::CleanupStep>,
}

/// Version of the event log's line format (`"v"`).
pub const EVENT_VERSION: u32 = 1;

/// One line of a team's event log `state/teams/<name>.events.jsonl` (see `docs/formats.md`):
/// `{"v":1,"time":"…","actor":"cli","op":"create","team":"review","members":["lead"]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TeamEvent {
    /// Line format version ([`EVENT_VERSION`]).
    pub v: u32,
    /// When, ISO 8601 UTC.
    pub time: String,
    /// Who: `cli`, `mcp`, `hook:SessionStart`, …
    pub actor: String,
    /// What: `create`, `start`, `stop`, `session id`, `cleanup begin`, `cleanup step`,
    /// `remove`.
    pub op: String,
    /// The team.
    pub team: String,
    /// The member the change is about, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// `create`: the members' roles, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<String>>,
    /// Keys of a later line format, kept as read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A team record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Team {
    /// Record format ([`VERSION`]).
    pub version: u32,
    /// The team's name ([`name`] rules; the file's stem).
    pub name: String,
    /// The project root it belongs to.
    pub project_root: PathBuf,
    /// The maestro session it is tied to, if any.
    #[serde(default)]
    pub session: Option<String>,
    /// The tmux session its windows live in.
    pub tmux_session: String,
    /// Containers, when asked for.
    #[serde(default)]
    pub containers: Option<ContainerSpec>,
    /// When created, ISO 8601 UTC.
    pub created: String,
    /// When last changed, ISO 8601 UTC.
    pub updated: String,
    /// Whether `team stop` stopped it (until `resume`).
    #[serde(default)]
    pub stopped: bool,
    /// The members, in creation order.
    pub members: Vec<Member>,
    /// A removal under way, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal: Option<Removal>,
}

impl Team {
    /// The member playing `role`.
    ///
    /// Errors: [`Error::NotFound`] naming the team, the role and the roles it has.
    pub fn member(&self, role: &str) -> Result<&Member> {
        self.members
            .iter()
            .find(|m| m.role == role)
            .ok_or_else(|| self.no_member(role))
    }

    /// [`Team::member`], mutable.
    pub fn member_mut(&mut self, role: &str) -> Result<&mut Member> {
        let e = self.no_member(role);
        self.members.iter_mut().find(|m| m.role == role).ok_or(e)
    }

    fn no_member(&self, role: &str) -> Error {
        let roles: Vec<&str> = self.members.iter().map(|m| m.role.as_str()).collect();
        Error::NotFound {
            what: format!(
                "member {role:?} of team {:?} (it has {})",
                self.name,
                roles.join(", ")
            ),
        }
    }

    /// Checks what the file holds: its version, its name against the file's stem, every
    /// role's name, no role twice, at most [`MAX_MEMBERS`].
    ///
    /// Errors: [`Error::Invalid`] saying which.
    pub fn check(&self, stem: &str) -> Result<()> {
        if self.version != VERSION {
            return Err(Error::Invalid(format!(
                "version {} (this build reads {VERSION})",
                self.version
            )));
        }
        name::check("team name", &self.name)?;
        if self.name != stem {
            return Err(Error::Invalid(format!(
                "holds team {:?}, not {stem:?}",
                self.name
            )));
        }
        if self.members.len() > MAX_MEMBERS {
            return Err(Error::Invalid(format!(
                "{} members, over {MAX_MEMBERS}",
                self.members.len()
            )));
        }
        let mut seen = std::collections::BTreeSet::new();
        for m in &self.members {
            name::check("role", &m.role)?;
            if !seen.insert(&m.role) {
                return Err(Error::Invalid(format!("role {:?} twice", m.role)));
            }
        }
        Ok(())
    }
}

/// `state/teams/<name>.json`.
pub fn record_rel(team: &str) -> Result<PathBuf> {
    name::check("team name", team)?;
    Ok(Path::new(TEAMS_REL).join(format!("{team}.json")))
}

/// `state/teams/<name>.events.jsonl`.
pub fn log_rel(team: &str) -> Result<PathBuf> {
    name::check("team name", team)?;
    Ok(Path::new(TEAMS_REL).join(format!("{team}.events.jsonl")))
}

/// Parses the record file `rel` (its bytes `bytes`), checked against the stem.
///
/// Errors: [`Error::Corrupt`] naming the file and what is wrong.
pub fn parse(path: &Path, stem: &str, bytes: &[u8]) -> Result<Team> {
    let corrupt = |reason: String| Error::Corrupt {
        path: path.to_path_buf(),
        line: None,
        reason,
    };
    let team: Team =
        serde_json::from_slice(bytes).map_err(|e| corrupt(format!("not a team record: {e}")))?;
    team.check(stem).map_err(|e| corrupt(e.to_string()))?;
    Ok(team)
}

/// The team records of one workspace.
#[derive(Debug, Clone)]
pub struct Teams {
    ws: Workspace,
    env: Env,
    actor: String,
    lock_wait: Option<std::time::Duration>,
}

/// A locked state dir.
struct Locked {
    root: Root,
    _guard: maestro_session_fs::lock::LockGuard,
}

impl Teams {
    /// The teams of `ws`; `env` supplies `MAESTRO_LOCK_TIMEOUT_MS`; `actor` is what the event
    /// log names (`cli`, `mcp`, `hook:SessionStart`).
    pub fn new(ws: Workspace, env: Env, actor: &str) -> Teams {
        Teams {
            ws,
            env,
            actor: actor.to_string(),
            lock_wait: None,
        }
    }

    /// These teams, waiting at most `wait` for the lock (a hook's budget).
    pub fn with_lock_wait(mut self, wait: std::time::Duration) -> Teams {
        self.lock_wait = Some(wait);
        self
    }

    /// The workspace.
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    fn locked(&self, create: bool) -> Result<Locked> {
        let root = self
            .ws
            .open_state_dir(create)?
            .ok_or_else(|| Error::NotFound {
                what: format!("state dir {}", self.ws.state_dir.display()),
            })?;
        root.create_dirs(Path::new(TEAMS_REL))?;
        let configured = self.env.lock_timeout()?;
        let wait = self.lock_wait.map_or(configured, |w| w.min(configured));
        let guard = root.lock_file(Path::new(LOCK_REL), wait)?;
        Ok(Locked {
            root,
            _guard: guard,
        })
    }

    fn read_in(root: &Root, team: &str) -> Result<Option<Team>> {
        let rel = record_rel(team)?;
        match root.read_file(&rel, ReadKind::new("a team record", RECORD_CAP), false) {
            Ok(bytes) => parse(&root.join(&rel), team, &bytes).map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The team named `team`.
    ///
    /// Errors: [`Error::Invalid`] for a bad name; [`Error::NotFound`] naming the teams there
    /// are; [`Error::Corrupt`] for a record that does not parse.
    pub fn get(&self, team: &str) -> Result<Team> {
        name::check("team name", team)?;
        let root = self.ws.open_state_dir(false)?;
        let found = match &root {
            Some(root) => Self::read_in(root, team)?,
            None => None,
        };
        found.ok_or_else(|| {
            let known = self.names().unwrap_or_default();
            Error::NotFound {
                what: format!(
                    "team {team:?} (teams here: {})",
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                ),
            }
        })
    }

    /// The names of the teams recorded, sorted.
    pub fn names(&self) -> Result<Vec<String>> {
        let Some(root) = self.ws.open_state_dir(false)? else {
            return Ok(Vec::new());
        };
        let names = match root.names(Path::new(TEAMS_REL)) {
            Ok(n) => n,
            Err(e) if e.is_not_found() => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out: Vec<String> = names
            .iter()
            .filter_map(|n| n.strip_suffix(".json"))
            .map(String::from)
            .collect();
        out.sort();
        Ok(out)
    }

    /// Every team, with the records that could not be read (reported, never skipped).
    pub fn all(&self) -> Result<(Vec<Team>, Vec<Error>)> {
        let mut teams = Vec::new();
        let mut bad = Vec::new();
        for n in self.names()? {
            match self.get(&n) {
                Ok(t) => teams.push(t),
                Err(e) => bad.push(e),
            }
        }
        Ok((teams, bad))
    }

    /// Writes a new team record.
    ///
    /// Errors: [`Error::Refused`] when a team of that name exists (unless `replace`);
    /// [`Error::Corrupt`] when the existing record does not parse (never overwritten).
    pub fn create(&self, team: &Team, replace: bool) -> Result<()> {
        team.check(&team.name)?;
        let l = self.locked(true)?;
        if Self::read_in(&l.root, &team.name)?.is_some() && !replace {
            return Err(Error::Refused {
                session: format!("team {}", team.name),
                message: "it exists; `team resume` restarts it, `--force` recreates it".into(),
            });
        }
        self.write(&l.root, team)?;
        self.log(
            &l.root,
            &team.name,
            "create",
            None,
            Some(team.members.iter().map(|m| m.role.clone()).collect()),
        );
        Ok(())
    }

    /// Applies `change` to the team under the lock and writes it durably, logging `op`
    /// (`member`: the member it is about). `change` returning an error changes nothing.
    pub fn update<T>(
        &self,
        team: &str,
        op: &str,
        member: Option<&str>,
        change: impl FnOnce(&mut Team) -> Result<T>,
    ) -> Result<T> {
        let l = self.locked(false)?;
        let mut t = Self::read_in(&l.root, team)?.ok_or_else(|| Error::NotFound {
            what: format!("team {team:?}"),
        })?;
        let before = t.clone();
        let out = change(&mut t)?;
        if t != before {
            t.updated = clock::now_iso();
            self.write(&l.root, &t)?;
            self.log(&l.root, team, op, member, None);
        }
        Ok(out)
    }

    /// Removes the record (its log stays, ending in a `remove` event).
    pub fn remove(&self, team: &str) -> Result<()> {
        let l = self.locked(false)?;
        let rel = record_rel(team)?;
        match l.root.remove(&rel) {
            Ok(()) => {}
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        self.log(&l.root, team, "remove", None, None);
        Ok(())
    }

    fn write(&self, root: &Root, team: &Team) -> Result<()> {
        let rel = record_rel(&team.name)?;
        let mut bytes = serde_json::to_vec_pretty(team)
            .map_err(|e| Error::Internal(format!("serialise team record: {e}")))?;
        bytes.push(b'\n');
        Ok(root.replace(&rel, &bytes, STATE_FILE_MODE, true)?)
    }

    /// One line in the team's log; a line that cannot be written is reported on stderr, the
    /// change stands (as for the sessions' event log).
    fn log(
        &self,
        root: &Root,
        team: &str,
        op: &str,
        member: Option<&str>,
        members: Option<Vec<String>>,
    ) {
        let line = TeamEvent {
            v: EVENT_VERSION,
            time: clock::now_iso(),
            actor: self.actor.clone(),
            op: op.to_string(),
            team: team.to_string(),
            member: member.map(str::to_string),
            members,
            extra: Map::new(),
        };
        // Strings, numbers and lists of strings only: serialising cannot fail.
        let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
        bytes.push(b'\n');
        if let Err(e) =
            log_rel(team).and_then(|rel| Ok(root.append(&rel, &bytes, STATE_FILE_MODE, false)?))
        {
            eprintln!("[WARN] maestro-session: cannot log team {team} {op}: {e}");
        }
    }

    /// The team's events, oldest first (lines that are not a JSON event object, say one
    /// torn by a crash, are skipped; unknown keys are kept in [`TeamEvent::extra`]).
    pub fn events(&self, team: &str) -> Result<Vec<TeamEvent>> {
        let Some(root) = self.ws.open_state_dir(false)? else {
            return Ok(Vec::new());
        };
        let rel = log_rel(team)?;
        let bytes = match root.read_file(&rel, ReadKind::EVENT_LOG_REWRITE, false) {
            Ok(b) => b,
            Err(e) if e.is_not_found() => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        Ok(bytes
            .split(|b| *b == b'\n')
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn member(role: &str) -> Member {
        Member {
            role: role.into(),
            runtime: Runtime::Claude,
            runtime_session_id: None,
            started: false,
            last_activity: None,
            cwd: PathBuf::from("/p"),
            branch: None,
            base: None,
            container: None,
            volume: None,
            created: Created::default(),
        }
    }

    pub(crate) fn team(name: &str, roles: &[&str]) -> Team {
        Team {
            version: VERSION,
            name: name.into(),
            project_root: PathBuf::from("/p"),
            session: None,
            tmux_session: format!("maestro-p-{name}"),
            containers: None,
            created: String::new(),
            updated: String::new(),
            stopped: false,
            members: roles.iter().map(|r| member(r)).collect(),
            removal: None,
        }
    }

    #[test]
    fn a_record_round_trips_and_is_checked_against_its_file_name() {
        let t = team("rev", &["lead", "coder"]);
        let bytes = serde_json::to_vec(&t).expect("json");
        assert_eq!(parse(Path::new("x"), "rev", &bytes).expect("parses"), t);
        let e = parse(Path::new("teams/other.json"), "other", &bytes)
            .expect_err("stem")
            .to_string();
        assert!(
            e.contains("teams/other.json") && e.contains("holds team \"rev\""),
            "{e}"
        );
        let twice = team("rev", &["lead", "lead"]);
        let e = parse(
            Path::new("x"),
            "rev",
            &serde_json::to_vec(&twice).expect("json"),
        )
        .expect_err("twice")
        .to_string();
        assert!(e.contains("role \"lead\" twice"), "{e}");
        let mut future = t.clone();
        future.version = 9;
        assert!(
            parse(
                Path::new("x"),
                "rev",
                &serde_json::to_vec(&future).expect("json")
            )
            .expect_err("version")
            .to_string()
            .contains("version 9")
        );
        assert!(parse(Path::new("x"), "rev", b"{").is_err());
    }

    #[test]
    fn names_of_records_and_logs_are_refused_unless_valid() {
        assert_eq!(
            record_rel("rev").expect("ok"),
            Path::new("state/teams/rev.json")
        );
        assert_eq!(
            log_rel("rev").expect("ok"),
            Path::new("state/teams/rev.events.jsonl")
        );
        assert!(record_rel("../x").is_err());
        assert!(log_rel("a/b").is_err());
    }

    #[test]
    fn a_missing_member_is_named_with_the_roles_there_are() {
        let t = team("rev", &["lead", "coder"]);
        let e = t.member("tester").expect_err("none").to_string();
        assert!(e.contains("\"tester\"") && e.contains("lead, coder"), "{e}");
    }
}
