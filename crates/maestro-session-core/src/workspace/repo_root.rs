//! The repository root of a folder: the answer `git rev-parse --show-toplevel` gives there,
//! found by walking up the folder's ancestors, without a `git` process.
//!
//! Maestro 1.6.4 (`src/core/project-root-resolver.js`) runs `git rev-parse --show-toplevel` in
//! the start folder and uses the start folder itself when git fails. A `git` process costs
//! about a millisecond, the whole budget of a hook, so this module follows git's own discovery
//! (git 2.47 `setup.c`, `setup_git_directory_gently_1`) instead:
//!
//! - The walk starts at the start folder with its symlinks resolved (git works in
//!   `getcwd()`, the physical path), and the answer is a physical path.
//! - In each folder, `.git` is looked at first:
//!   - a **folder** that is a git folder (below) makes this folder the root; a `.git` folder
//!     that is not one (an empty `.git/`) is passed over and the walk goes on;
//!   - a **file** (a linked worktree's or a submodule's `gitdir: <path>`) makes this folder the
//!     root when the path it names is a git folder; a `.git` file that does not parse, is over
//!     16 KiB or names no git folder makes git fail (`invalid gitfile format`, `not a git
//!     repository`): no root;
//!   - anything else (missing, a FIFO) is passed over.
//! - A folder that is itself a git folder (a bare repository, or a folder inside `.git`) has no
//!   work tree: git fails (`this operation must be run in a work tree`): no root.
//! - The walk stops at a file-system boundary, as git does unless
//!   [`EnvVars::GIT_DISCOVERY_ACROSS_FILESYSTEM`] is true, and at `/`: no root.
//!
//! A git folder is one holding `HEAD`, and `objects/` and `refs/` in its common folder (the
//! folder its `commondir` file names, for a linked worktree's git folder; else itself), git's
//! `is_git_directory`; the content of `HEAD` is not checked. Not followed: `GIT_DIR`,
//! `GIT_WORK_TREE`, `GIT_CEILING_DIRECTORIES`, `GIT_COMMON_DIR` and git's `safe.directory`
//! ownership check, none of which a runtime sets for its hooks.
//!
//! Cost: one `realpath` of the start folder, then three or four `stat` calls per folder walked
//! up, and one small read per `.git` file met.

use maestro_session_fs::canonical::canonicalize;
use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::env_vars::EnvVars;
use maestro_session_fs::reader::{self, ReadKind};

/// The repository root of `start` as `git rev-parse --show-toplevel` run there would print it
/// (a physical path), or `None` where git would fail: no repository above `start`, a bare
/// repository, a folder inside a `.git` folder, a `.git` file that names no git folder, or a
/// `start` that does not exist. See the module docs for the rules.
pub fn toplevel(env: &Env, start: &Path) -> Option<PathBuf> {
    walk(env, &canonicalize(start).ok()?)
}

/// [`toplevel`] for a start folder whose symlinks are already resolved (`real` is what
/// [`Path::canonicalize`] returned), so the resolver that has it pays no second `realpath`.
pub fn walk(env: &Env, real: &Path) -> Option<PathBuf> {
    let start = real;
    let across = env
        .get(EnvVars::GIT_DISCOVERY_ACROSS_FILESYSTEM)
        .is_some_and(|v| git_bool(&v));
    let device = maestro_session_fs::platform::device_of(&reader::stat(start).ok()?);
    let mut dir = start;
    loop {
        let dot_git = dir.join(".git");
        match reader::stat(&dot_git) {
            Ok(meta) if meta.is_file() => {
                return gitfile_target(&dot_git)
                    .filter(|target| is_git_folder(target))
                    .map(|_| dir.to_path_buf());
            }
            Ok(meta) if meta.is_dir() && is_git_folder(&dot_git) => {
                return Some(dir.to_path_buf());
            }
            _ => {}
        }
        if is_git_folder(dir) {
            return None;
        }
        let parent = dir.parent()?;
        if !across && maestro_session_fs::platform::device_of(&reader::stat(parent).ok()?) != device
        {
            return None;
        }
        dir = parent;
    }
}

/// git's boolean environment values (`git_parse_maybe_bool`): `true`, `yes`, `on` or a non-zero
/// number are true; anything else here is false.
fn git_bool(value: &str) -> bool {
    let v = value.trim();
    ["true", "yes", "on"]
        .iter()
        .any(|t| v.eq_ignore_ascii_case(t))
        || v.parse::<i64>().is_ok_and(|n| n != 0)
}

/// The folder a `.git` file names (`gitdir: <path>`, relative to the file's folder), or `None`
/// when it cannot be read, is over [`ReadKind::GIT_POINTER`]'s cap, or has another format.
fn gitfile_target(dot_git: &Path) -> Option<PathBuf> {
    let bytes = reader::read_path(dot_git, ReadKind::GIT_POINTER).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let named = text
        .strip_prefix("gitdir: ")?
        .trim_end_matches(['\n', '\r']);
    if named.is_empty() {
        return None;
    }
    Some(dot_git.parent()?.join(named))
}

/// Whether `dir` is a git folder: `HEAD` in it, `objects/` and `refs/` in its common folder
/// (git's `is_git_directory`, `HEAD`'s content not checked).
fn is_git_folder(dir: &Path) -> bool {
    if reader::lstat(&dir.join("HEAD")).is_err() {
        return false;
    }
    let common = match reader::read_path(&dir.join("commondir"), ReadKind::GIT_POINTER) {
        Ok(bytes) => match std::str::from_utf8(&bytes) {
            Ok(text) => dir.join(text.trim_end_matches(['\n', '\r'])),
            Err(_) => return false,
        },
        Err(e) if e.is_not_found() => dir.to_path_buf(),
        Err(_) => return false,
    };
    common.join("objects").is_dir() && common.join("refs").is_dir()
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;
    use std::fs;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .output()
            .unwrap_or_else(|e| panic!("git is needed for this test: {e}"));
        assert!(ok.status.success(), "git {args:?}: {:?}", ok);
    }

    /// What `git rev-parse --show-toplevel` prints in `dir`, `None` when it fails.
    fn git_says(dir: &Path) -> Option<PathBuf> {
        let out = Command::new("git")
            .args(["rev-parse", "--show-toplevel"])
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("git runs");
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (out.status.success() && !text.is_empty()).then(|| PathBuf::from(text))
    }

    /// A layout of every case the module docs name, each compared with git itself: nested
    /// folders, an empty `.git/`, a linked worktree, a submodule, a bare repository, a folder
    /// inside `.git`, `.git` files that do not parse or name nothing, a symlinked start folder,
    /// no repository at all.
    #[test]
    fn answers_what_git_rev_parse_show_toplevel_answers() {
        let t = tempfile::tempdir().expect("tmp");
        let w = t.path().canonicalize().expect("canonical");
        let repo = w.join("repo");
        fs::create_dir_all(repo.join("packages/app/src")).expect("mkdir");
        git(&repo, &["init", "-q"]);
        git(&repo, &["commit", "-q", "--allow-empty", "-m", "one"]);
        git(&repo, &["worktree", "add", "-q", "../wt"]);
        fs::create_dir_all(w.join("wt/deep/er")).expect("mkdir");
        let sub_src = w.join("subsrc");
        fs::create_dir_all(&sub_src).expect("mkdir");
        git(&sub_src, &["init", "-q"]);
        git(&sub_src, &["commit", "-q", "--allow-empty", "-m", "s"]);
        git(
            &repo,
            &[
                "-c",
                "protocol.file.allow=always",
                "submodule",
                "add",
                "-q",
                "../subsrc",
                "mods/sub",
            ],
        );
        fs::create_dir_all(repo.join("mods/sub/inner")).expect("mkdir");
        // An empty `.git/` between the start and the repository is passed over.
        fs::create_dir_all(repo.join("packages/.git")).expect("mkdir");
        // `.git` files git refuses.
        fs::create_dir_all(repo.join("bad-format/x")).expect("mkdir");
        fs::write(repo.join("bad-format/.git"), "not a pointer\n").expect("write");
        fs::create_dir_all(repo.join("bad-target")).expect("mkdir");
        fs::write(repo.join("bad-target/.git"), "gitdir: /nonexistent/x\n").expect("write");
        git(&w, &["init", "-q", "--bare", "bare.git"]);
        fs::create_dir_all(w.join("bare.git/x")).expect("mkdir");
        fs::create_dir_all(w.join("plain/a/b")).expect("mkdir");
        std::os::unix::fs::symlink(repo.join("packages/app"), w.join("link")).expect("symlink");

        let env = Env::default();
        let cases: Vec<(PathBuf, Option<PathBuf>)> = vec![
            (repo.clone(), Some(repo.clone())),
            (repo.join("packages/app/src"), Some(repo.clone())),
            (w.join("link"), Some(repo.clone())),
            (w.join("wt/deep/er"), Some(w.join("wt"))),
            (repo.join("mods/sub/inner"), Some(repo.join("mods/sub"))),
            (repo.join("mods/sub"), Some(repo.join("mods/sub"))),
            (repo.join("bad-format/x"), None),
            (repo.join("bad-target"), None),
            (repo.join(".git/refs"), None),
            (w.join("bare.git/x"), None),
            (w.join("plain/a/b"), None),
            (w.join("missing"), None),
        ];
        for (start, want) in cases {
            // `plain` sits in the temp folder, which may itself lie in a repository: git and
            // this module must agree either way, and only the cases above the temp folder are
            // stated outright.
            let ours = toplevel(&env, &start);
            if start.exists() {
                assert_eq!(
                    ours,
                    git_says(&start),
                    "git disagrees at {}",
                    start.display()
                );
            }
            if want.is_some() || !start.starts_with(w.join("plain")) {
                assert_eq!(ours, want, "{}", start.display());
            }
        }
    }

    #[test]
    fn git_booleans() {
        for t in ["1", "true", "YES", "on", " 2 "] {
            assert!(git_bool(t), "{t}");
        }
        for f in ["0", "false", "no", "off", "", "maybe"] {
            assert!(!git_bool(f), "{f}");
        }
    }
}
