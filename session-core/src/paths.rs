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

use crate::dotenv;
use crate::env::Env;

/// Name of the variable that sets the state dir.
pub const STATE_DIR_VAR: &str = "MAESTRO_STATE_DIR";
/// The state dir when nothing sets one, relative to the project root.
pub const DEFAULT_STATE_DIR: &str = "docs/maestro";
/// The state dir of legacy projects, relative to the project root.
pub const LEGACY_STATE_DIR: &str = ".gemini";

/// Where a workspace keeps its orchestration state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// The project root (absolute when the working directory is).
    pub project_root: PathBuf,
    /// The state dir (absolute when the project root is).
    pub state_dir: PathBuf,
}

impl Workspace {
    /// Resolves both from `env`, starting the `.git` search at `cwd`.
    pub fn resolve(env: &Env, cwd: &Path) -> Workspace {
        let project_root = project_root(env, cwd);
        let state_dir = state_dir(env, &project_root);
        Workspace {
            project_root,
            state_dir,
        }
    }

    /// Resolves the project root from `env` and `cwd`, with the state dir given explicitly
    /// (e.g. `--state-dir`); a relative `state_dir` is taken relative to the project root.
    pub fn with_state_dir(env: &Env, cwd: &Path, state_dir: &Path) -> Workspace {
        let project_root = project_root(env, cwd);
        let state_dir = project_root.join(state_dir);
        Workspace {
            project_root,
            state_dir,
        }
    }

    /// `<state dir>/state`.
    pub fn state_folder(&self) -> PathBuf {
        self.state_dir.join("state")
    }

    /// `<state dir>/state/active-session.md`.
    pub fn active_session_path(&self) -> PathBuf {
        self.state_dir.join("state").join("active-session.md")
    }

    /// `<state dir>/state/archive`.
    pub fn archive_dir(&self) -> PathBuf {
        self.state_dir.join("state").join("archive")
    }

    /// `<state dir>/state/.lock`, the sidecar lock of every read-modify-write under `state/`.
    pub fn lock_path(&self) -> PathBuf {
        self.state_dir.join("state").join(".lock")
    }

    /// `<state dir>/plans`.
    pub fn plans_dir(&self) -> PathBuf {
        self.state_dir.join("plans")
    }
}

/// The project root; see the module docs for the order.
pub fn project_root(env: &Env, cwd: &Path) -> PathBuf {
    for var in [
        "MAESTRO_WORKSPACE_PATH",
        "GEMINI_PROJECT_DIR",
        "CLAUDE_PROJECT_DIR",
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

/// The state dir for `project_root`; see the module docs for the order.
pub fn state_dir(env: &Env, project_root: &Path) -> PathBuf {
    let configured = env
        .get(STATE_DIR_VAR)
        .or_else(|| dotenv::lookup(&project_root.join(".env"), STATE_DIR_VAR))
        .or_else(|| {
            env.get("MAESTRO_EXTENSION_PATH")
                .and_then(|ext| dotenv::lookup(&Path::new(&ext).join(".env"), STATE_DIR_VAR))
        });
    match configured {
        Some(dir) => project_root.join(dir),
        None => {
            let legacy = project_root.join(LEGACY_STATE_DIR);
            if legacy.join("state").join("active-session.md").is_file() {
                legacy
            } else {
                project_root.join(DEFAULT_STATE_DIR)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    #[test]
    fn project_root_prefers_env_in_order() {
        let t = tmp();
        let env = Env::from_pairs([("GEMINI_PROJECT_DIR", "/g"), ("CLAUDE_PROJECT_DIR", "/c")]);
        assert_eq!(project_root(&env, t.path()), PathBuf::from("/g"));
        let env = Env::from_pairs([("CLAUDE_PROJECT_DIR", "/c")]);
        assert_eq!(project_root(&env, t.path()), PathBuf::from("/c"));
        let env = Env::from_pairs([
            ("MAESTRO_WORKSPACE_PATH", "/w"),
            ("GEMINI_PROJECT_DIR", "/g"),
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
        let env_ext = Env::from_pairs([("MAESTRO_EXTENSION_PATH", ext.to_str().expect("utf8"))]);

        assert_eq!(state_dir(&env_ext, &root), root.join("docs/maestro"));

        fs::create_dir_all(root.join(".gemini/state")).expect("mkdir");
        fs::write(root.join(".gemini/state/active-session.md"), "---\n---\n").expect("write");
        assert_eq!(state_dir(&env_ext, &root), root.join(".gemini"));

        fs::write(ext.join(".env"), "MAESTRO_STATE_DIR=from-ext\n").expect("write");
        assert_eq!(state_dir(&env_ext, &root), root.join("from-ext"));

        fs::write(
            root.join(".env"),
            "export MAESTRO_STATE_DIR=\"from project\" \n",
        )
        .expect("write");
        assert_eq!(state_dir(&env_ext, &root), root.join("from project"));

        let env = Env::from_pairs([("MAESTRO_STATE_DIR", "/abs/state")]);
        assert_eq!(state_dir(&env, &root), PathBuf::from("/abs/state"));
    }

    #[test]
    fn workspace_paths() {
        let ws = Workspace::with_state_dir(
            &Env::from_pairs([("GEMINI_PROJECT_DIR", "/p")]),
            Path::new("/"),
            Path::new("s"),
        );
        assert_eq!(
            ws.active_session_path(),
            PathBuf::from("/p/s/state/active-session.md")
        );
        assert_eq!(ws.lock_path(), PathBuf::from("/p/s/state/.lock"));
        assert_eq!(ws.archive_dir(), PathBuf::from("/p/s/state/archive"));
    }
}
