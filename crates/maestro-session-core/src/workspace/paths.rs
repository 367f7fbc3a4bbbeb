//! Resolving the project root and the orchestration state dir (DESIGN 2.1).
//!
//! Project root, as Maestro 1.6.4 resolves it (`src/core/project-root-resolver.js`): the start
//! folder is `$MAESTRO_WORKSPACE_PATH`, `$GEMINI_PROJECT_DIR` or `$CLAUDE_PROJECT_DIR`, the
//! first set (Gemini CLI 0.61 sets both of the latter for hooks; a relative value is relative
//! to the working directory; a value holding `${`, a runtime's template left unsubstituted, is
//! passed over as Maestro does), else the working directory. The project root is the start
//! folder's repository root, what `git rev-parse --show-toplevel` answers there
//! ([`repo_root::toplevel`]: found by walking up, no `git` process), else the start folder
//! itself. A start folder or root inside a runtime's extension or plugin cache is refused
//! ([`extension_cache`]), before anything is read or written.
//!
//! State dir: `$MAESTRO_STATE_DIR`, else `MAESTRO_STATE_DIR` in `<project>/.env`, else in the
//! `.env` of the extension folder (`$MAESTRO_EXTENSION_PATH`), else `.gemini` for a legacy
//! project holding `.gemini/state/active-session.md`, else `docs/maestro`. A relative value is
//! relative to the project root.

use maestro_session_fs::canonical::canonicalize;
use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::env_vars::EnvVars;
use crate::error::{Error, Result};
use crate::workspace::{dotenv, extension_cache, repo_root};
use maestro_session_fs::beneath::{self, Root};

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
    /// Errors: those of [`project_root`] (a project root in an extension cache, a variable
    /// naming no folder); [`Error::PathRefused`] naming the setting ([`StateDirSource`]) when
    /// the state dir would lie outside the project (`..`, an absolute path elsewhere) or be the
    /// project root itself.
    pub fn resolve(env: &Env, cwd: &Path) -> Result<Workspace> {
        let project_root = project_root(env, cwd)?;
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
        let project_root = project_root(env, cwd)?;
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

    fn name_source(&self, e: impl Into<Error>) -> Error {
        match e.into() {
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

/// The project root; see the module docs for the order and the rules.
///
/// # Errors
/// [`Error::InExtensionCache`] naming the folder, the variable (or the working directory) that
/// named it and the cache, when the start folder (as given or with its symlinks resolved) lies
/// in a runtime's extension or plugin cache; [`Error::Io`] naming the variable when the folder
/// a variable names does not exist or is not a folder.
pub fn project_root(env: &Env, cwd: &Path) -> Result<PathBuf> {
    for var in [
        EnvVars::MAESTRO_WORKSPACE_PATH,
        EnvVars::GEMINI_PROJECT_DIR,
        EnvVars::CLAUDE_PROJECT_DIR,
    ] {
        match env.get(var) {
            Some(value) if !value.contains("${") => {
                return root_of(env, &cwd.join(value), StartFrom::Variable(var));
            }
            _ => {}
        }
    }
    root_of(env, cwd, StartFrom::WorkingDirectory)
}

/// What named a start folder, for [`root_of`]'s errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartFrom {
    /// The process's working directory (or a hook payload's `cwd`).
    WorkingDirectory,
    /// An environment variable, by name.
    Variable(&'static str),
    /// An argument of a tool, by name (`workspace_path`).
    Argument(&'static str),
}

impl StartFrom {
    fn name(self) -> &'static str {
        match self {
            StartFrom::WorkingDirectory => "the working directory",
            StartFrom::Variable(name) | StartFrom::Argument(name) => name,
        }
    }
}

/// The project root for the start folder `start` (absolute, or relative to the process's
/// working directory), named by `from`: its repository root, else `start` itself with `.` and
/// `..` resolved lexically.
///
/// # Errors
/// As [`project_root`]. A working directory that cannot be inspected is no error (it is the
/// root, as it always was); one a variable or an argument names must be an existing folder.
pub fn root_of(env: &Env, start: &Path, from: StartFrom) -> Result<PathBuf> {
    let start = extension_cache::lexical(start);
    // The path that lies in the cache is the one named: `start`, or where its symlinks lead.
    let in_cache = |path: &Path| {
        extension_cache::find(env, path).map(|found| Error::InExtensionCache {
            path: path.to_path_buf(),
            from: from.name(),
            cache: found.cache,
            what: found.what,
        })
    };
    if let Some(refused) = in_cache(&start) {
        return Err(refused);
    }
    let real = match canonicalize(&start) {
        Ok(real) => real,
        Err(e) if from != StartFrom::WorkingDirectory => return Err(not_a_folder(from, &start, e)),
        Err(_) => return Ok(start),
    };
    if let Some(refused) = in_cache(&real) {
        return Err(refused);
    }
    if from != StartFrom::WorkingDirectory && !real.is_dir() {
        let e = std::io::Error::from(std::io::ErrorKind::NotADirectory);
        return Err(not_a_folder(from, &start, e));
    }
    Ok(repo_root::walk(env, &real).unwrap_or(start))
}

fn not_a_folder(from: StartFrom, start: &Path, e: std::io::Error) -> Error {
    let op = match from {
        StartFrom::Variable(EnvVars::MAESTRO_WORKSPACE_PATH) => {
            "use as the project folder the MAESTRO_WORKSPACE_PATH"
        }
        StartFrom::Variable(EnvVars::GEMINI_PROJECT_DIR) => {
            "use as the project folder the GEMINI_PROJECT_DIR"
        }
        StartFrom::Variable(EnvVars::CLAUDE_PROJECT_DIR) => {
            "use as the project folder the CLAUDE_PROJECT_DIR"
        }
        StartFrom::Argument("workspace_path") => "use as the project folder the workspace_path",
        _ => "use as the project folder",
    };
    Error::io(op, start, e)
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
        return beneath::validate_relative(text).map_err(crate::Error::from);
    }
    if text.split(['/', '\\']).any(|s| s == "..") {
        return Err(Error::refused_path(text, "`..` segments are not allowed"));
    }
    let canon_project = canonicalize(project).ok();
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
    beneath::validate_relative(&inside).map_err(crate::Error::from)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;
    use std::fs;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    /// `git init` in `dir` (git is needed for these tests).
    fn git_init(dir: &Path) {
        let out = std::process::Command::new("git")
            .args(["init", "-q"])
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .output()
            .unwrap_or_else(|e| panic!("git is needed for this test: {e}"));
        assert!(out.status.success(), "git init: {out:?}");
    }

    fn vars(pairs: &[(&'static str, &Path)]) -> Env {
        Env::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (*k, v.to_string_lossy().into_owned())),
        )
    }

    #[test]
    fn project_root_prefers_env_in_order() {
        let t = tmp();
        let [w, g, c] = ["w", "g", "c"].map(|d| {
            let p = t.path().join(d);
            fs::create_dir(&p).expect("mkdir");
            p
        });
        let root = |env: &Env| project_root(env, t.path()).expect("resolves");
        let env = vars(&[
            (EnvVars::GEMINI_PROJECT_DIR, &g),
            (EnvVars::CLAUDE_PROJECT_DIR, &c),
        ]);
        assert_eq!(root(&env), g);
        assert_eq!(root(&vars(&[(EnvVars::CLAUDE_PROJECT_DIR, &c)])), c);
        let env = vars(&[
            (EnvVars::MAESTRO_WORKSPACE_PATH, &w),
            (EnvVars::GEMINI_PROJECT_DIR, &g),
        ]);
        assert_eq!(root(&env), w);
        // A template the runtime left unsubstituted is passed over, as Maestro does.
        let env = Env::from_pairs([
            (
                EnvVars::MAESTRO_WORKSPACE_PATH,
                "${workspacePath}".to_string(),
            ),
            (EnvVars::GEMINI_PROJECT_DIR, g.display().to_string()),
        ]);
        assert_eq!(root(&env), g);
        // A relative value is relative to the working directory.
        let env = Env::from_pairs([(EnvVars::MAESTRO_WORKSPACE_PATH, "./w/../c")]);
        assert_eq!(root(&env), c);
    }

    #[test]
    fn a_variable_naming_no_folder_is_an_error_naming_it() {
        let t = tmp();
        let file = t.path().join("file");
        fs::write(&file, "x").expect("write");
        for (var, value) in [
            (EnvVars::MAESTRO_WORKSPACE_PATH, t.path().join("missing")),
            (EnvVars::CLAUDE_PROJECT_DIR, file),
        ] {
            let err = project_root(&vars(&[(var, &value)]), t.path()).expect_err("no folder");
            let text = err.to_string();
            assert!(text.contains(var), "{text}");
            assert!(text.contains(&value.display().to_string()), "{text}");
        }
    }

    /// Started anywhere in a repository, the project is the repository root, so sessions
    /// Maestro (`git rev-parse --show-toplevel`) left at the root are found; without git,
    /// the start folder itself.
    #[test]
    fn project_root_is_the_repository_root_else_the_start_folder() {
        let t = tmp();
        let base = t.path().canonicalize().expect("canonical");
        let repo = base.join("repo");
        let deep = repo.join("packages/app");
        fs::create_dir_all(&deep).expect("mkdir");
        let plain = base.join("plain/a/b");
        fs::create_dir_all(&plain).expect("mkdir");
        // No repository: the start folder itself (unless the temp folder lies in one).
        if repo_root::toplevel(&Env::default(), &plain).is_none() {
            assert_eq!(project_root(&Env::default(), &plain).expect("root"), plain);
            assert_eq!(project_root(&Env::default(), &deep).expect("root"), deep);
        }
        git_init(&repo);
        assert_eq!(project_root(&Env::default(), &deep).expect("root"), repo);
        let env = vars(&[(EnvVars::GEMINI_PROJECT_DIR, &deep)]);
        assert_eq!(project_root(&env, &plain).expect("root"), repo);
        // An empty `.git/` is no repository (git passes it over too).
        fs::create_dir_all(repo.join("packages/.git")).expect("mkdir");
        assert_eq!(project_root(&Env::default(), &deep).expect("root"), repo);
        // A symlinked start folder: the repository of the folder it leads to.
        std::os::unix::fs::symlink(&deep, base.join("link")).expect("symlink");
        let env = vars(&[(EnvVars::MAESTRO_WORKSPACE_PATH, &base.join("link"))]);
        assert_eq!(project_root(&env, &plain).expect("root"), repo);
        let ws = Workspace::resolve(&env, &plain).expect("workspace");
        assert_eq!(ws.state_dir, repo.join(DEFAULT_STATE_DIR));
    }

    /// Every kind of cache is refused, whatever names the folder: the working directory, a
    /// variable, a symlink leading in; the error names the folder, what named it and the cache.
    #[test]
    fn a_folder_in_an_extension_cache_is_refused() {
        let t = tmp();
        let home = t.path().canonicalize().expect("canonical");
        let project = home.join("proj");
        fs::create_dir_all(&project).expect("mkdir");
        let caches = [
            (
                ".gemini/extensions/maestro",
                "Gemini CLI's extension folder",
            ),
            (
                ".claude/plugins/cache/m/maestro/1.6.4",
                "Claude Code's plugin cache",
            ),
            (".codex/plugins/cache/maestro", "Codex's plugin cache"),
            (".qwen/extensions/maestro", "Qwen Code's extension folder"),
        ];
        for (rel, what) in caches {
            let folder = home.join(rel);
            fs::create_dir_all(folder.join("sub")).expect("mkdir");
            // A cache installed by `git clone` holds its own repository.
            git_init(&folder);
            let refused = |env: &Env, cwd: &Path, from: &str| {
                let err = project_root(env, cwd).expect_err(rel);
                assert!(matches!(err, Error::InExtensionCache { .. }), "{err}");
                let text = err.to_string();
                assert!(text.contains(what), "{text}");
                assert!(text.contains(from), "{text}");
                assert!(text.contains("never a project"), "{text}");
            };
            refused(
                &Env::default(),
                &folder.join("sub"),
                "the working directory",
            );
            refused(
                &vars(&[(EnvVars::MAESTRO_WORKSPACE_PATH, &folder)]),
                &project,
                EnvVars::MAESTRO_WORKSPACE_PATH,
            );
            refused(
                &vars(&[(EnvVars::CLAUDE_PROJECT_DIR, &folder.join("sub"))]),
                &project,
                EnvVars::CLAUDE_PROJECT_DIR,
            );
            let link = home.join(format!("link-{}", what.len()));
            std::os::unix::fs::symlink(&folder, &link).expect("symlink");
            refused(
                &vars(&[(EnvVars::GEMINI_PROJECT_DIR, &link)]),
                &project,
                EnvVars::GEMINI_PROJECT_DIR,
            );
            // Every resolver of the state dir refuses it alike.
            let env = vars(&[(EnvVars::MAESTRO_WORKSPACE_PATH, &folder)]);
            assert!(Workspace::resolve(&env, &project).is_err());
            assert!(Workspace::with_state_dir(&env, &project, Path::new("s")).is_err());
        }
        // A project beside the caches is fine.
        let env = vars(&[(EnvVars::MAESTRO_WORKSPACE_PATH, &project)]);
        assert_eq!(project_root(&env, &home).expect("root"), project);
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
        let t = tmp();
        let p = t.path().join("p");
        fs::create_dir(&p).expect("mkdir");
        let ws = Workspace::with_state_dir(
            &vars(&[(EnvVars::GEMINI_PROJECT_DIR, &p)]),
            Path::new("/"),
            Path::new("s"),
        )
        .expect("inside");
        assert_eq!(
            ws.active_session_path(),
            p.join("s/state/active-session.md")
        );
        assert_eq!(ws.archive_dir(), p.join("s/state/archive"));
        assert_eq!(ws.source, StateDirSource::Flag);
    }
}
