//! The git context captured when a session is created: branch, commit, repo root, and whether
//! the work tree is a linked worktree (and its name). Outside git, or without a `git` program,
//! there is no context and nothing fails.

use maestro_session_fs::canonical::canonicalize;
use std::path::Path;
use std::process::Command;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::env_vars::EnvVars;

/// Git context of the project when the session was created.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct GitContext {
    /// Current branch (`HEAD` when detached).
    pub branch: Option<String>,
    /// Commit hash of HEAD.
    pub commit: Option<String>,
    /// Top folder of the work tree.
    pub repo_root: Option<String>,
    /// Whether the work tree is a linked worktree.
    pub is_worktree: bool,
    /// Name of the linked worktree, if one.
    pub worktree_name: Option<String>,
    /// Keys this tool does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The git context of `dir`, or `None` outside a git work tree.
pub fn capture(dir: &Path) -> Option<GitContext> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env(EnvVars::GIT_OPTIONAL_LOCKS, "0")
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let dirs = git(&[
        "rev-parse",
        "--show-toplevel",
        "--git-dir",
        "--git-common-dir",
    ])?;
    let lines: Vec<&str> = dirs.lines().collect();
    let [top, git_dir, common_dir] = lines[..] else {
        return None;
    };
    let abs = |p: &str| {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.join(p)
        }
    };
    let is_worktree = canonicalize(&abs(git_dir)).ok() != canonicalize(&abs(common_dir)).ok();
    // symbolic-ref works before the first commit; empty when HEAD is detached.
    let branch = git(&["symbolic-ref", "--short", "-q", "HEAD"])
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "HEAD".into());
    let commit = git(&["rev-parse", "--verify", "--quiet", "HEAD"]).filter(|c| !c.is_empty());
    Some(GitContext {
        branch: Some(branch),
        commit,
        repo_root: Some(top.to_string()),
        is_worktree,
        worktree_name: is_worktree
            .then(|| {
                Path::new(top)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .flatten(),
        extra: Default::default(),
    })
}

/// The commit `HEAD` of `dir`'s work tree points at (40 hex digits), or `None` outside git,
/// before the first commit, or without a `git` program. One `git` process, for checkpoints.
pub fn head_commit(dir: &Path) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let commit = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !commit.is_empty() && commit.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(commit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_git_is_none() {
        let t = tempfile::tempdir().expect("tmp");
        assert!(capture(t.path()).is_none());
    }

    #[test]
    fn inside_git_has_branch_and_root() {
        let t = tempfile::tempdir().expect("tmp");
        let ok = Command::new("git")
            .args(["init", "-q", "-b", "feature-x"])
            .current_dir(t.path())
            .status();
        if !ok.is_ok_and(|s| s.success()) {
            panic!("git is needed for this test");
        }
        let ctx = capture(t.path()).expect("git context");
        assert_eq!(ctx.branch.as_deref(), Some("feature-x"));
        assert_eq!(ctx.commit, None, "no commit yet");
        assert!(!ctx.is_worktree);
        assert_eq!(
            ctx.repo_root
                .map(std::path::PathBuf::from)
                .and_then(|p| canonicalize(&p).ok()),
            canonicalize(t.path()).ok()
        );
    }
}
