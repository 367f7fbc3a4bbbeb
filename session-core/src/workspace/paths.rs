//! Resolving the project root and the orchestration state dir (DESIGN 2.1).
//!
//! Project root: `$MAESTRO_WORKSPACE_PATH`, `$GEMINI_PROJECT_DIR` or `$CLAUDE_PROJECT_DIR` if
//! set (Gemini CLI 0.61 sets both of the latter for hooks), else the nearest ancestor of the
//! working directory holding `.git`, found by walking up (no `git` process), else the working
//! directory.
//!
//! State dir: `$MAESTRO_STATE_DIR`, else `MAESTRO_STATE_DIR` in `<project>/.env`, else in the
//! `.env` of the extension folder (`$MAESTRO_EXTENSION_PATH`), else `.gemini` for a legacy
//! project holding `.gemini/state/active-session.md`, else `docs/maestro`. A relative value is
//! relative to the project root.

use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::env_vars::EnvVars;
use crate::error::{Error, Result};
use crate::fs::beneath::{self, Root};
use crate::workspace::dotenv;

/// The state dir when nothing sets one, relative to the project root.
pub const DEFAULT_STATE_DIR: &str = "docs/maestro";
/// The state dir of legacy projects, relative to the project root.
pub const LEGACY_STATE_DIR: &str = ".gemini";

/// Where the state dir setting came from; a refusal names it, so a person knows what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateDirSource {
    /// The command line's `--state-dir` (or `ensure-workspace`'s argument).
    Flag,
    /// The `MAESTRO_STATE_DIR` environment variable.
    EnvVar,
    /// `MAESTRO_STATE_DIR` in a `.env` file (the project's or the extension's): the file and
    /// the line.
    DotEnv(dotenv::Setting),
    /// An argument of an MCP tool (`initialize_workspace`'s `state_dir`), by name.
    Argument(&'static str),
    /// The legacy `.gemini` folder.
    Legacy,
    /// The default, `docs/maestro`.
    Default,
}

impl std::fmt::Display for StateDirSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateDirSource::Flag => f.write_str("--state-dir"),
            StateDirSource::EnvVar => f.write_str(EnvVars::MAESTRO_STATE_DIR),
            StateDirSource::DotEnv(setting) => write!(f, "{setting}"),
            StateDirSource::Argument(name) => write!(f, "the {name} argument"),
            StateDirSource::Legacy => f.write_str("the legacy .gemini state dir"),
            StateDirSource::Default => f.write_str("the default state dir"),
        }
    }
}

/// Where a workspace keeps its orchestration state. Built only by [`Workspace::resolve`] and
/// [`Workspace::with_state_dir`], so the state dir always lies beneath the project root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// The project root (absolute when the working directory is).
    pub project_root: PathBuf,
    /// The state dir, `project_root` joined with [`Workspace::state_rel`]; for messages.
    pub state_dir: PathBuf,
    /// The state dir relative to the project root: no `..`, not absolute, not empty.
    pub state_rel: PathBuf,
    /// Where the setting came from.
    pub source: StateDirSource,
}

impl Workspace {
    /// Resolves both from `env`, starting the `.git` search at `cwd`.
    ///
    /// Errors: [`Error::PathRefused`] naming the setting ([`StateDirSource`]) when the state
    /// dir would lie outside the project (`..`, an absolute path elsewhere) or be the project
    /// root itself.
    pub fn resolve(env: &Env, cwd: &Path) -> Result<Workspace> {
        let project_root = project_root(env, cwd);
        let (requested, source) = configured_state_dir(env, &project_root)?;
        Workspace::build(project_root, &requested, source)
    }

    /// Resolves the project root from `env` and `cwd`, with the state dir given explicitly
    /// (`--state-dir`); a relative `state_dir` is taken relative to the project root.
    ///
    /// Errors: as [`Workspace::resolve`], naming `--state-dir`.
    pub fn with_state_dir(env: &Env, cwd: &Path, state_dir: &Path) -> Result<Workspace> {
        Workspace::with_state_dir_from(env, cwd, state_dir, StateDirSource::Flag)
    }

    /// [`Workspace::with_state_dir`] for a state dir given by `source` (which a refusal
    /// names), such as an MCP tool's argument.
    pub fn with_state_dir_from(
        env: &Env,
        cwd: &Path,
        state_dir: &Path,
        source: StateDirSource,
    ) -> Result<Workspace> {
        let project_root = project_root(env, cwd);
        Workspace::build(project_root, state_dir, source)
    }

    fn build(project_root: PathBuf, requested: &Path, source: StateDirSource) -> Result<Workspace> {
        let state_rel = relative_to_project(&project_root, requested).map_err(|e| match e {
            Error::PathRefused { path, reason } => Error::PathRefused {
                path,
                reason: format!("{reason} (set by {source})"),
            },
            other => other,
        })?;
        Ok(Workspace {
            state_dir: project_root.join(&state_rel),
            project_root,
            state_rel,
            source,
        })
    }

    /// Opens the state dir beneath the project root (kernel-enforced: a symlinked component
    /// that leads out of the project is refused), creating it first when `create` is set.
    /// `Ok(None)` when it does not exist and `create` is off.
    ///
    /// Errors: [`Error::PathRefused`] naming the setting for a way out; [`Error::Io`].
    pub fn open_state_dir(&self, create: bool) -> Result<Option<Root>> {
        let project = Root::open(&self.project_root)?;
        if create {
            project
                .create_dirs(&self.state_rel)
                .map_err(|e| self.name_source(e))?;
        }
        match project.open_dir(&self.state_rel) {
            Ok(root) => Ok(Some(root)),
            Err(e) if !create && e.is_not_found() => Ok(None),
            Err(e) => Err(self.name_source(e)),
        }
    }

    fn name_source(&self, e: Error) -> Error {
        match e {
            Error::PathRefused { path, reason } => Error::PathRefused {
                path,
                reason: format!("{reason}; the state dir is set by {}", self.source),
            },
            other => other,
        }
    }

    /// `<state dir>/state`.
    pub fn state_folder(&self) -> PathBuf {
        self.state_dir.join("state")
    }

    /// `<state dir>/state/active-session.md`.
    pub fn active_session_path(&self) -> PathBuf {
        self.state_dir.join(ACTIVE_REL)
    }

    /// `<state dir>/state/archive`.
    pub fn archive_dir(&self) -> PathBuf {
        self.state_dir.join(ARCHIVE_REL)
    }

    /// `<state dir>/plans`.
    pub fn plans_dir(&self) -> PathBuf {
        self.state_dir.join(PLANS_REL)
    }
}

/// The active session, relative to the state dir.
pub const ACTIVE_REL: &str = "state/active-session.md";
/// Which runtime process owns the active session (`crate::store::owner`), beneath the state dir.
pub const OWNER_REL: &str = "state/owner.json";
/// The archive folder, relative to the state dir.
pub const ARCHIVE_REL: &str = "state/archive";
/// The checkpoints folder (`<session_id>/<seq>.md` + `<seq>.json`), relative to the state dir.
pub const CHECKPOINTS_REL: &str = "state/checkpoints";
/// The sidecar lock, relative to the state dir.
pub const LOCK_REL: &str = "state/.lock";
/// The event logs, one `<session_id>.jsonl` per session, relative to the state dir.
pub const EVENTS_REL: &str = "state/events";
/// Where `doctor --fix` moves what it cannot keep in place, relative to the state dir.
pub const QUARANTINE_REL: &str = "state/quarantine";
/// The tombstones of deleted sessions, one `<session_id>.json` each (`crate::store::used_ids`),
/// relative to the state dir.
pub const TOMBSTONES_REL: &str = "state/tombstones";
/// The plans folder, relative to the state dir.
pub const PLANS_REL: &str = "plans";
/// The archived plans folder, relative to the state dir.
pub const PLANS_ARCHIVE_REL: &str = "plans/archive";

/// The project root; see the module docs for the order.
pub fn project_root(env: &Env, cwd: &Path) -> PathBuf {
    for var in [
        EnvVars::MAESTRO_WORKSPACE_PATH,
        EnvVars::GEMINI_PROJECT_DIR,
        EnvVars::CLAUDE_PROJECT_DIR,
    ] {
        if let Some(value) = env.get(var) {
            return cwd.join(value);
        }
    }
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}

/// The configured state dir for `project_root` and where it came from, not yet checked; see
/// the module docs for the order.
fn configured_state_dir(env: &Env, project_root: &Path) -> Result<(PathBuf, StateDirSource)> {
    if let Some(dir) = env.get(EnvVars::MAESTRO_STATE_DIR) {
        return Ok((PathBuf::from(dir), StateDirSource::EnvVar));
    }
    let project_env = project_root.join(".env");
    if let Some(s) = dotenv::setting(&project_env, EnvVars::MAESTRO_STATE_DIR)? {
        return Ok((PathBuf::from(&s.value), StateDirSource::DotEnv(s)));
    }
    if let Some(ext) = env.get(EnvVars::MAESTRO_EXTENSION_PATH) {
        let ext_env = Path::new(&ext).join(".env");
        if let Some(s) = dotenv::setting(&ext_env, EnvVars::MAESTRO_STATE_DIR)? {
            return Ok((PathBuf::from(&s.value), StateDirSource::DotEnv(s)));
        }
    }
    let legacy = project_root.join(LEGACY_STATE_DIR);
    Ok(
        if legacy.join("state").join("active-session.md").is_file() {
            (PathBuf::from(LEGACY_STATE_DIR), StateDirSource::Legacy)
        } else {
            (PathBuf::from(DEFAULT_STATE_DIR), StateDirSource::Default)
        },
    )
}

/// The state dir for `project_root` (joined, unchecked), for callers that only display it.
///
/// # Errors
/// A `.env` that is refused or cannot be read (see [`dotenv::setting`]).
pub fn state_dir(env: &Env, project_root: &Path) -> Result<PathBuf> {
    Ok(project_root.join(configured_state_dir(env, project_root)?.0))
}

/// `requested` as a clean path beneath `project`: a relative path must hold no `..`; an
/// absolute one must lie inside the project (compared as given and canonicalized).
///
/// Errors: [`Error::PathRefused`] saying why.
pub fn relative_to_project(project: &Path, requested: &Path) -> Result<PathBuf> {
    let shown = requested.to_string_lossy().into_owned();
    let Some(text) = requested.to_str() else {
        return Err(Error::refused_path(shown, "it is not valid UTF-8"));
    };
    if !requested.is_absolute() {
        return beneath::validate_relative(text);
    }
    if text.split(['/', '\\']).any(|s| s == "..") {
        return Err(Error::refused_path(text, "`..` segments are not allowed"));
    }
    let canon_project = project.canonicalize().ok();
    let inside = requested
        .strip_prefix(project)
        .ok()
        .or_else(|| {
            canon_project
                .as_deref()
                .and_then(|c| requested.strip_prefix(c).ok())
        })
        .ok_or_else(|| {
            Error::refused_path(
                text,
                format!("it is outside the project {}", project.display()),
            )
        })?;
    let inside = inside.to_string_lossy();
    if inside.is_empty() {
        return Err(Error::refused_path(
            text,
            "the state dir cannot be the project root itself",
        ));
    }
    beneath::validate_relative(&inside)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;
    use std::fs;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    #[test]
    fn project_root_prefers_env_in_order() {
        let t = tmp();
        let env = Env::from_pairs([
            (EnvVars::GEMINI_PROJECT_DIR, "/g"),
            (EnvVars::CLAUDE_PROJECT_DIR, "/c"),
        ]);
        assert_eq!(project_root(&env, t.path()), PathBuf::from("/g"));
        let env = Env::from_pairs([(EnvVars::CLAUDE_PROJECT_DIR, "/c")]);
        assert_eq!(project_root(&env, t.path()), PathBuf::from("/c"));
        let env = Env::from_pairs([
            (EnvVars::MAESTRO_WORKSPACE_PATH, "/w"),
            (EnvVars::GEMINI_PROJECT_DIR, "/g"),
        ]);
        assert_eq!(project_root(&env, t.path()), PathBuf::from("/w"));
    }

    #[test]
    fn project_root_walks_up_to_git_else_cwd() {
        let t = tmp();
        let deep = t.path().join("a/b/c");
        fs::create_dir_all(&deep).expect("mkdir");
        assert_eq!(project_root(&Env::default(), &deep), deep);
        fs::create_dir(t.path().join("a/.git")).expect("mkdir");
        assert_eq!(project_root(&Env::default(), &deep), t.path().join("a"));
        // A `.git` file (worktrees, submodules) counts as well.
        fs::write(t.path().join("a/b/.git"), "gitdir: elsewhere").expect("write");
        assert_eq!(project_root(&Env::default(), &deep), t.path().join("a/b"));
    }

    #[test]
    fn state_dir_order_env_dotenv_extension_legacy_default() {
        let t = tmp();
        let root = t.path().join("proj");
        let ext = t.path().join("ext");
        fs::create_dir_all(&root).expect("mkdir");
        fs::create_dir_all(&ext).expect("mkdir");
        let env_ext =
            Env::from_pairs([(EnvVars::MAESTRO_EXTENSION_PATH, ext.to_str().expect("utf8"))]);

        assert_eq!(
            state_dir(&env_ext, &root).expect("resolves"),
            root.join("docs/maestro")
        );

        fs::create_dir_all(root.join(".gemini/state")).expect("mkdir");
        fs::write(root.join(".gemini/state/active-session.md"), "---\n---\n").expect("write");
        assert_eq!(
            state_dir(&env_ext, &root).expect("resolves"),
            root.join(".gemini")
        );

        fs::write(ext.join(".env"), "MAESTRO_STATE_DIR=from-ext\n").expect("write");
        assert_eq!(
            state_dir(&env_ext, &root).expect("resolves"),
            root.join("from-ext")
        );

        fs::write(
            root.join(".env"),
            "export MAESTRO_STATE_DIR=\"from project\" \n",
        )
        .expect("write");
        assert_eq!(
            state_dir(&env_ext, &root).expect("resolves"),
            root.join("from project")
        );

        let env = Env::from_pairs([("MAESTRO_STATE_DIR", "/abs/state")]);
        assert_eq!(
            state_dir(&env, &root).expect("resolves"),
            PathBuf::from("/abs/state")
        );
    }

    #[test]
    fn every_setting_must_stay_inside_the_project_and_a_refusal_names_it() {
        let t = tmp();
        let root = t.path().join("proj");
        fs::create_dir_all(&root).expect("mkdir");
        let root_s = root.to_str().expect("utf8");
        let at = |pairs: Vec<(&str, String)>| {
            let mut all = vec![(EnvVars::MAESTRO_WORKSPACE_PATH, root_s.to_string())];
            all.extend(pairs);
            Env::from_pairs(all)
        };
        let err = Workspace::resolve(
            &at(vec![(EnvVars::MAESTRO_STATE_DIR, "/elsewhere".into())]),
            &root,
        )
        .expect_err("absolute outside");
        assert!(
            err.to_string().contains(EnvVars::MAESTRO_STATE_DIR),
            "{err}"
        );
        let err = Workspace::resolve(
            &at(vec![(EnvVars::MAESTRO_STATE_DIR, "../out".into())]),
            &root,
        )
        .expect_err("dot dot");
        assert!(
            err.to_string().contains(EnvVars::MAESTRO_STATE_DIR),
            "{err}"
        );
        let err =
            Workspace::with_state_dir(&at(vec![]), &root, Path::new("../out")).expect_err("flag");
        assert!(err.to_string().contains("--state-dir"), "{err}");
        fs::write(
            root.join(".env"),
            format!("{}=../x\n", EnvVars::MAESTRO_STATE_DIR),
        )
        .expect("write");
        let err = Workspace::resolve(&at(vec![]), &root).expect_err(".env");
        assert!(err.to_string().contains(".env"), "{err}");
        fs::remove_file(root.join(".env")).expect("rm");
        let inside = root.join("custom/state");
        let ws = Workspace::resolve(
            &at(vec![(
                EnvVars::MAESTRO_STATE_DIR,
                inside.to_str().expect("utf8").into(),
            )]),
            &root,
        )
        .expect("absolute inside");
        assert_eq!(ws.state_rel, PathBuf::from("custom/state"));
        let err = Workspace::resolve(
            &at(vec![(EnvVars::MAESTRO_STATE_DIR, root_s.into())]),
            &root,
        )
        .expect_err("the root itself");
        assert!(err.to_string().contains("project root"), "{err}");
    }

    #[test]
    fn a_symlinked_component_leading_out_is_refused_when_opened() {
        let t = tmp();
        let root = t.path().join("proj");
        let outside = t.path().join("outside");
        fs::create_dir_all(&root).expect("mkdir");
        fs::create_dir_all(&outside).expect("mkdir");
        std::os::unix::fs::symlink(&outside, root.join("docs")).expect("symlink");
        let env = Env::from_pairs([(
            EnvVars::MAESTRO_WORKSPACE_PATH,
            root.to_str().expect("utf8"),
        )]);
        let ws = Workspace::resolve(&env, &root).expect("lexically fine");
        for create in [false, true] {
            let err = ws.open_state_dir(create).expect_err("leads out");
            assert!(matches!(err, Error::PathRefused { .. }), "{err}");
            assert!(err.to_string().contains("default state dir"), "{err}");
        }
        assert!(fs::read_dir(&outside).expect("ls").next().is_none());
    }

    #[test]
    fn workspace_paths() {
        let ws = Workspace::with_state_dir(
            &Env::from_pairs([(EnvVars::GEMINI_PROJECT_DIR, "/p")]),
            Path::new("/"),
            Path::new("s"),
        )
        .expect("inside");
        assert_eq!(
            ws.active_session_path(),
            PathBuf::from("/p/s/state/active-session.md")
        );
        assert_eq!(ws.archive_dir(), PathBuf::from("/p/s/state/archive"));
        assert_eq!(ws.source, StateDirSource::Flag);
    }
}
