//! Each member's git worktree on a branch of its own (issue 19 item 2), and the check that
//! guards its removal (item 5: cleanup never destroys work).
//!
//! A worktree is added with `git worktree add -b team/<team>/<role> <path> HEAD` beside the
//! project (`<parent>/<project>.worktrees/<team>-<role>`). It is removed only with `git worktree
//! remove` without `--force` (git itself refuses a dirty one too), and only after
//! [`removal_refusals`] finds nothing, checked again right before the removal.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::env_vars::EnvVars;
use crate::error::Result;
use crate::team::external;

fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir).env(EnvVars::GIT_OPTIONAL_LOCKS, "0");
    c
}

fn run(dir: &Path, args: &[&str]) -> Result<String> {
    let mut c = git(dir);
    c.args(args);
    let owned: Vec<String> = args.iter().map(|s| (*s).to_string()).collect();
    external::run(c, "git", &owned)
}

fn probe(dir: &Path, args: &[&str]) -> Option<String> {
    let mut c = git(dir);
    c.args(args);
    external::output(c).map(|s| s.trim().to_string())
}

/// Whether `dir` is inside a git work tree with at least one commit.
pub fn has_commits(dir: &Path) -> bool {
    probe(dir, &["rev-parse", "--verify", "-q", "HEAD"]).is_some()
}

/// Where a member's worktree goes: `<parent of project>/<project name>.worktrees/<team>-<role>`.
pub fn default_path(project_root: &Path, team: &str, role: &str) -> PathBuf {
    let name = project_root
        .file_name()
        .map_or_else(|| "project".into(), |n| n.to_string_lossy().into_owned());
    project_root
        .parent()
        .unwrap_or(project_root)
        .join(format!("{name}.worktrees"))
        .join(format!("{team}-{role}"))
}

/// The branch of a member: `team/<team>/<role>`.
pub fn branch_name(team: &str, role: &str) -> String {
    format!("team/{team}/{role}")
}

/// Adds the worktree `path` on a new branch `branch` at the project's HEAD; returns the commit
/// it starts from.
///
/// Errors: [`crate::Error::Io`] quoting git (the branch or the folder exists, ...).
pub fn add(project_root: &Path, path: &Path, branch: &str) -> Result<String> {
    let base = run(project_root, &["rev-parse", "HEAD"])?
        .trim()
        .to_string();
    let p = path.to_string_lossy();
    run(
        project_root,
        &["worktree", "add", "-q", "-b", branch, &p, &base],
    )?;
    Ok(base)
}

/// Why the worktree `path` (on `branch`) must not be removed now; empty when it may. Each
/// reason is one sentence:
/// - uncommitted changes to tracked files, or untracked files (ignored files do not count);
/// - commits not pushed to its upstream, or (without an upstream) commits on no other branch
///   or remote-tracking branch (work that exists only there);
/// - a live process whose working directory is inside it (`/proc/<pid>/cwd`);
/// - a container (any state) of `engines` that mounts it (a containerized process shows its
///   path inside the container as its cwd, so the `/proc` scan alone misses it).
///
/// A worktree that git does not recognise is refused too: we cannot tell what is in it.
pub fn removal_refusals(path: &Path, branch: Option<&str>, engines: &[String]) -> Vec<String> {
    let mut why = Vec::new();
    if probe(path, &["rev-parse", "--is-inside-work-tree"]).as_deref() != Some("true") {
        why.push(format!(
            "{} is not a git work tree git can read; remove it by hand if it holds nothing",
            path.display()
        ));
        return why;
    }
    match probe(path, &["status", "--porcelain=v1", "--untracked-files=all"]) {
        None => why.push("git status failed in it".into()),
        Some(status) => {
            let untracked = status.lines().filter(|l| l.starts_with("??")).count();
            let changed = status.lines().filter(|l| !l.starts_with("??")).count();
            if changed > 0 {
                why.push(format!("{changed} uncommitted change(s)"));
            }
            if untracked > 0 {
                why.push(format!("{untracked} untracked file(s)"));
            }
        }
    }
    let unpushed = if probe(path, &["rev-parse", "--abbrev-ref", "@{u}"]).is_some() {
        probe(path, &["rev-list", "--count", "@{u}..HEAD"])
            .map(|n| (n, "not pushed to its upstream"))
    } else {
        let mut args = vec![
            "rev-list".to_string(),
            "--count".into(),
            "HEAD".into(),
            "--not".into(),
        ];
        if let Some(b) = branch {
            // git 2.47 matches `--exclude` before `--branches` against the name without
            // `refs/heads/`; both spellings, so either reading excludes only this branch.
            args.push(format!("--exclude={b}"));
            args.push(format!("--exclude=refs/heads/{b}"));
        }
        args.extend(["--branches".into(), "--remotes".into()]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        probe(path, &refs).map(|n| (n, "on no other branch (unpushed, unmerged)"))
    };
    match unpushed {
        None => why.push("cannot count its unpushed commits".into()),
        Some((n, what)) if n != "0" => why.push(format!("{n} commit(s) {what}")),
        Some(_) => {}
    }
    match maestro_session_fs::process::cwds_under(path) {
        Ok(live) if !live.is_empty() => {
            let pids: Vec<String> = live.iter().map(|(p, _)| p.to_string()).collect();
            why.push(format!(
                "live process(es) working in it: pid {}",
                pids.join(", ")
            ));
        }
        Ok(_) => {}
        Err(e) => why.push(format!("cannot look for processes working in it: {e}")),
    }
    for engine in engines {
        for (container, source) in crate::team::container::mounts(engine) {
            if Path::new(&source).starts_with(path) {
                why.push(format!("{engine} container {container} mounts it"));
            }
        }
    }
    why
}

/// Removes the worktree (never with `--force`).
///
/// Errors: [`crate::Error::Io`] quoting git.
pub fn remove(project_root: &Path, path: &Path) -> Result<()> {
    run(
        project_root,
        &["worktree", "remove", &path.to_string_lossy()],
    )
    .map(|_| ())
}

/// Deletes `branch` when git agrees it is merged (`git branch -d`); `Ok(false)` when git
/// refuses (it is kept).
pub fn delete_merged_branch(project_root: &Path, branch: &str) -> bool {
    let mut c = git(project_root);
    c.args(["branch", "-d", branch]);
    external::succeeds(c)
}
