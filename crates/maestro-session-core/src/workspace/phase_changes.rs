//! What changed in the project since a phase started: the candidates `scan_phase_changes`
//! offers the orchestrator when a phase's handoff recorded nothing (Maestro 1.6.3+'s recovery
//! protocol). Nothing here attributes a file to a phase; the user confirms, and
//! `reconcile_phase` records.
//!
//! **From git.** In a git work tree the candidates are what `git status` reports under the
//! project (untracked files included, ignored files not, so `.gitignore` keeps build output
//! out): untracked and added files are `created`, other changed ones `modified`, each only
//! when its modification time is at or after the phase's start; files deleted since `HEAD` are
//! `deleted` (a deletion has no time to compare, so every one is listed). `git` runs with
//! `core.fsmonitor` off, no optional locks, no terminal prompt, and the caller's `GIT_DIR`,
//! `GIT_WORK_TREE` and `GIT_INDEX_FILE` removed, so it reads this project's repository and
//! runs no hook of it; its output is read up to a cap.
//!
//! **Without git** (no `git` program, or the project is not a work tree) the project is
//! walked as Maestro 1.6.4 walks it (`src/mcp/handlers/reconciliation.js`): regular files
//! only (symlinks are neither followed nor listed), `created` when born (else modified) at or
//! after the start, `modified` when only modified since; the result says why git was not used.
//!
//! Either way: at most `max_files` files are examined (`MAESTRO_SCAN_MAX_FILES`, default
//! 5000, Maestro's), beyond which the scan stops and says `truncated`; folders named `.git`,
//! `node_modules`, `.worktrees` or `.claude` (Maestro's list), the state dir, and path prefixes
//! in `MAESTRO_SCAN_IGNORE` (colon-separated, Maestro's) are skipped and counted in
//! `ignored_count`. Every path is project-relative; the walk opens everything beneath the
//! project root ([`Root`]), so a symlink cannot lead it out.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use crate::env::Env;
use crate::env_vars::EnvVars;
use crate::error::{Error, Result};
use maestro_session_fs::beneath::Root;

/// Files examined at most when `MAESTRO_SCAN_MAX_FILES` is unset (Maestro 1.6.4's default).
pub const DEFAULT_MAX_FILES: usize = 5000;

/// The largest `MAESTRO_SCAN_MAX_FILES` accepted.
pub const MAX_MAX_FILES: usize = 1_000_000;

/// Folder names never scanned (Maestro 1.6.4's `DEFAULT_IGNORE_DIRS`).
pub const IGNORED_DIRS: [&str; 4] = [".git", "node_modules", ".worktrees", ".claude"];

/// The most bytes of `git status` output read per file examined (a path of up to 4 KiB and
/// its status), so the output read is bounded by `max_files`.
const GIT_BYTES_PER_FILE: usize = 4096 + 8;

/// The deepest folder the walk enters, counted from the project root.
const MAX_WALK_DEPTH: usize = 64;

/// Where the candidates came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `git status` of the project's work tree.
    Git,
    /// A walk of the project's files (no git).
    Files,
}

impl Source {
    /// `git` or `files`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Git => "git",
            Source::Files => "files",
        }
    }
}

/// What to scan.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// The project root (trusted).
    pub project_root: PathBuf,
    /// The state dir, relative to the project root (skipped).
    pub state_rel: PathBuf,
    /// When the phase started.
    pub since: jiff::Timestamp,
    /// At most this many files are examined.
    pub max_files: usize,
    /// Project-relative path prefixes skipped besides [`IGNORED_DIRS`] and the state dir.
    pub extra_ignore: Vec<String>,
}

impl ScanRequest {
    /// `max_files` and `extra_ignore` from `MAESTRO_SCAN_MAX_FILES` and `MAESTRO_SCAN_IGNORE`.
    ///
    /// Errors: [`Error::Invalid`] naming `MAESTRO_SCAN_MAX_FILES` when it is not an integer
    /// from 1 to [`MAX_MAX_FILES`].
    pub fn limits(env: &Env) -> Result<(usize, Vec<String>)> {
        let max = env.parse_or(EnvVars::MAESTRO_SCAN_MAX_FILES, DEFAULT_MAX_FILES)?;
        if !(1..=MAX_MAX_FILES).contains(&max) {
            return Err(Error::Invalid(format!(
                "environment variable {}={max} is out of range: give 1 to {MAX_MAX_FILES}",
                EnvVars::MAESTRO_SCAN_MAX_FILES
            )));
        }
        let ignore = env
            .get(EnvVars::MAESTRO_SCAN_IGNORE)
            .map(|v| {
                v.split(':')
                    .map(|p| p.trim().trim_end_matches('/').to_string())
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok((max, ignore))
    }
}

/// The candidates found.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// New files, project-relative, sorted.
    pub created: Vec<String>,
    /// Changed files, sorted.
    pub modified: Vec<String>,
    /// Files deleted since `HEAD` (git only), sorted.
    pub deleted: Vec<String>,
    /// Paths (git) or folders (walk) skipped by the ignore rules.
    pub ignored_count: usize,
    /// Whether the scan stopped at `max_files`.
    pub truncated: bool,
    /// Where the candidates came from.
    pub source: Source,
    /// Why git was not used, when [`Source::Files`].
    pub note: Option<String>,
}

/// Scans the project; see the module docs.
///
/// Errors: those of opening the project root; a failure of git itself (not installed, not a
/// work tree, an error status) is not one: the walk is used and `note` says why.
pub fn scan(req: &ScanRequest) -> Result<Scan> {
    let root = Root::open(&req.project_root)?;
    let since = SystemTime::from(req.since);
    match git_status(req) {
        Ok((entries, truncated)) => Ok(from_git(&root, req, since, entries, truncated)),
        Err(why) => {
            let mut scan = walk(&root, req, since)?;
            scan.note = Some(format!(
                "{why}; scanned the project's files by modification time instead"
            ));
            Ok(scan)
        }
    }
}

/// One `git status --porcelain` entry: its two status letters and its path relative to the
/// project root.
type GitEntry = ([u8; 2], String);

/// A `git` command for the project, isolated as the module docs say.
fn git(project: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(project)
        .args(["-c", "core.fsmonitor=false", "-c", "core.quotepath=off"])
        .env(EnvVars::GIT_OPTIONAL_LOCKS, "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// The first line of a failed git's stderr, cut to 200 characters.
fn first_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.trim().chars().take(200).collect()
}

/// `git status` of the project: its entries (paths made project-relative) and whether the
/// output was cut at the cap. `Err` says why git cannot be used.
fn git_status(req: &ScanRequest) -> std::result::Result<(Vec<GitEntry>, bool), String> {
    let probe = git(&req.project_root)
        .args(["rev-parse", "--is-inside-work-tree", "--show-prefix"])
        .stdout(Stdio::piped())
        .output()
        .map_err(|e| format!("git cannot be run ({e})"))?;
    if !probe.status.success() {
        return Err(format!(
            "the project is not a git work tree ({})",
            first_line(&probe.stderr)
        ));
    }
    let out = String::from_utf8_lossy(&probe.stdout).into_owned();
    let mut lines = out.lines();
    if lines.next() != Some("true") {
        return Err("the project is not a git work tree".into());
    }
    let prefix = lines.next().unwrap_or("").to_string();
    let mut child = git(&req.project_root)
        .args([
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--no-renames",
            "--ignore-submodules=all",
            "--",
            ".",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("git cannot be run ({e})"))?;
    let cap = req
        .max_files
        .saturating_add(1)
        .saturating_mul(GIT_BYTES_PER_FILE);
    let mut bytes = Vec::new();
    let read = match child.stdout.take() {
        Some(out) => out
            .take(u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| format!("git status could not be read ({e})")),
        None => Err("git status gave no output".into()),
    };
    let cut = bytes.len() > cap;
    if cut {
        // Enough read: stop git rather than wait for the rest.
        let _ended_anyway = child.kill();
    }
    let mut stderr = Vec::new();
    if let Some(mut err) = child.stderr.take() {
        let _partial_is_fine = err.by_ref().take(64 * 1024).read_to_end(&mut stderr);
    }
    let status = child
        .wait()
        .map_err(|e| format!("git status did not finish ({e})"))?;
    read?;
    if !cut && !status.success() {
        return Err(format!("git status failed ({})", first_line(&stderr)));
    }
    if cut {
        bytes.truncate(cap);
    }
    let mut entries = Vec::new();
    let mut records = bytes.split(|b| *b == 0).peekable();
    while let Some(record) = records.next() {
        // The last record of a cut output may be torn: drop it.
        if cut && records.peek().is_none() {
            break;
        }
        if record.len() < 4 || record[2] != b' ' {
            continue;
        }
        let path = String::from_utf8_lossy(&record[3..]).into_owned();
        let Some(rel) = path.strip_prefix(&prefix) else {
            continue;
        };
        if rel.is_empty() {
            continue;
        }
        entries.push(([record[0], record[1]], rel.to_string()));
    }
    Ok((entries, cut))
}

/// Whether a project-relative path (or folder) is skipped: a component in [`IGNORED_DIRS`],
/// inside the state dir, or under a prefix of `MAESTRO_SCAN_IGNORE`.
fn ignored(req: &ScanRequest, rel: &str) -> bool {
    let path = Path::new(rel);
    path.components()
        .any(|c| IGNORED_DIRS.iter().any(|d| c.as_os_str() == *d))
        || path.starts_with(&req.state_rel)
        || req
            .extra_ignore
            .iter()
            .any(|p| rel == p || rel.starts_with(&format!("{p}/")))
}

/// The modification time of `rel` (not following a final symlink), `None` when it is gone.
fn mtime(root: &Root, rel: &str) -> Option<SystemTime> {
    let meta = root.metadata(Path::new(rel)).ok().flatten()?;
    meta.modified()
        .ok()
        .map(cap_std::time::SystemTime::into_std)
}

fn from_git(
    root: &Root,
    req: &ScanRequest,
    since: SystemTime,
    entries: Vec<GitEntry>,
    cut: bool,
) -> Scan {
    let mut scan = Scan {
        created: Vec::new(),
        modified: Vec::new(),
        deleted: Vec::new(),
        ignored_count: 0,
        truncated: cut,
        source: Source::Git,
        note: None,
    };
    for (seen, ([x, y], rel)) in entries.into_iter().enumerate() {
        if seen >= req.max_files {
            scan.truncated = true;
            break;
        }
        if ignored(req, &rel) {
            scan.ignored_count += 1;
            continue;
        }
        let gone = root.metadata(Path::new(&rel)).ok().flatten().is_none();
        if x == b'D' || y == b'D' {
            if gone {
                scan.deleted.push(rel);
            }
            continue;
        }
        if mtime(root, &rel).is_none_or(|t| t < since) {
            continue;
        }
        if (x == b'?' && y == b'?') || x == b'A' || y == b'A' {
            scan.created.push(rel);
        } else {
            scan.modified.push(rel);
        }
    }
    for list in [&mut scan.created, &mut scan.modified, &mut scan.deleted] {
        list.sort();
        list.dedup();
    }
    scan
}

/// The walk without git; see the module docs.
fn walk(root: &Root, req: &ScanRequest, since: SystemTime) -> Result<Scan> {
    let mut scan = Scan {
        created: Vec::new(),
        modified: Vec::new(),
        deleted: Vec::new(),
        ignored_count: 0,
        truncated: false,
        source: Source::Files,
        note: None,
    };
    let mut seen = 0usize;
    // Folders to visit, project-relative ("" is the root), with their depth; depth first, in
    // name order, as Maestro's walk goes.
    let mut stack: Vec<(String, usize)> = vec![(String::new(), 0)];
    'walk: while let Some((dir, depth)) = stack.pop() {
        let folder = if dir.is_empty() {
            PathBuf::from(".")
        } else {
            PathBuf::from(&dir)
        };
        let Ok(names) = root.names(&folder) else {
            continue;
        };
        let mut subdirs = Vec::new();
        for name in names {
            let rel = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            let Ok(Some(meta)) = root.metadata(Path::new(&rel)) else {
                continue;
            };
            if meta.is_dir() {
                if ignored(req, &rel) || depth + 1 >= MAX_WALK_DEPTH {
                    scan.ignored_count += 1;
                } else {
                    subdirs.push(rel);
                }
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            if seen >= req.max_files {
                scan.truncated = true;
                break 'walk;
            }
            seen += 1;
            if ignored(req, &rel) {
                continue;
            }
            let modified = meta
                .modified()
                .ok()
                .map(cap_std::time::SystemTime::into_std);
            let born = meta.created().ok().map(cap_std::time::SystemTime::into_std);
            let new = match born {
                Some(b) => b >= since,
                None => modified.is_some_and(|m| m >= since),
            };
            if new {
                scan.created.push(rel);
            } else if modified.is_some_and(|m| m >= since) {
                scan.modified.push(rel);
            }
        }
        stack.extend(subdirs.into_iter().rev().map(|d| (d, depth + 1)));
    }
    scan.created.sort();
    scan.modified.sort();
    Ok(scan)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;

    fn request(root: &Path, since: jiff::Timestamp) -> ScanRequest {
        ScanRequest {
            project_root: root.to_path_buf(),
            state_rel: PathBuf::from("docs/maestro"),
            since,
            max_files: DEFAULT_MAX_FILES,
            extra_ignore: vec!["vendor".into()],
        }
    }

    fn git_ok(dir: &Path, args: &[&str]) -> bool {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn git_lists_new_changed_and_deleted_files_since_the_start_and_skips_the_ignored() {
        let t = tempfile::tempdir().expect("tmp");
        let root = t.path();
        if !git_ok(root, &["init", "-q"]) {
            eprintln!("skipped: git is not available");
            return;
        }
        write(root, "old.rs", "old");
        write(root, "gone.rs", "gone");
        write(root, "untouched.rs", "same");
        write(root, ".gitignore", "target/\n");
        assert!(git_ok(root, &["add", "-A"]) && git_ok(root, &["commit", "-qm", "base"]));
        write(root, "stale-untracked.rs", "before the phase");
        let old = SystemTime::now() - std::time::Duration::from_secs(3600);
        let f = std::fs::File::options()
            .write(true)
            .open(root.join("stale-untracked.rs"))
            .expect("open");
        f.set_modified(old).expect("set mtime");
        let since = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(5);
        write(root, "src/new.rs", "new");
        write(root, "old.rs", "changed");
        std::fs::remove_file(root.join("gone.rs")).expect("rm");
        write(root, "target/build.o", "ignored by .gitignore");
        write(root, "node_modules/x/index.js", "ignored dir");
        write(root, "docs/maestro/state/active-session.md", "state dir");
        write(root, "vendor/lib.rs", "MAESTRO_SCAN_IGNORE");
        let scan = scan(&request(root, since)).expect("scan");
        assert_eq!(scan.source, Source::Git, "{:?}", scan.note);
        assert_eq!(scan.created, vec!["src/new.rs"]);
        assert_eq!(scan.modified, vec!["old.rs"]);
        assert_eq!(scan.deleted, vec!["gone.rs"]);
        assert_eq!(scan.ignored_count, 3, "node_modules, the state dir, vendor");
        assert!(!scan.truncated);
    }

    #[test]
    fn git_output_is_bounded_by_max_files() {
        let t = tempfile::tempdir().expect("tmp");
        let root = t.path();
        if !git_ok(root, &["init", "-q"]) {
            eprintln!("skipped: git is not available");
            return;
        }
        for i in 0..20 {
            write(root, &format!("f{i:02}.rs"), "x");
        }
        let mut req = request(
            root,
            jiff::Timestamp::now() - jiff::SignedDuration::from_secs(5),
        );
        req.max_files = 3;
        let scan = scan(&req).expect("scan");
        assert!(scan.truncated);
        assert_eq!(scan.created.len(), 3, "{:?}", scan.created);
    }

    #[test]
    fn without_a_work_tree_the_files_are_walked_and_the_note_says_why() {
        let t = tempfile::tempdir().expect("tmp");
        let root = t.path().join("proj");
        // An empty `.git` folder is no repository: git refuses, the walk takes over.
        std::fs::create_dir_all(root.join(".git")).expect("mkdir");
        let since = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(5);
        write(&root, "index.html", "<html/>");
        write(&root, "assets/css/styles.css", "body{}");
        write(&root, ".git/HEAD", "ref");
        write(&root, "docs/maestro/notes.md", "state dir");
        std::fs::create_dir_all(t.path().join("outside")).expect("mkdir");
        write(t.path(), "outside/secret.txt", "not the project's");
        std::os::unix::fs::symlink(t.path().join("outside"), root.join("link")).expect("symlink");
        let scan = scan(&request(&root, since)).expect("scan");
        assert_eq!(scan.source, Source::Files);
        assert!(
            scan.note
                .as_deref()
                .is_some_and(|n| n.contains("not a git work tree")),
            "{:?}",
            scan.note
        );
        assert_eq!(scan.created, vec!["assets/css/styles.css", "index.html"]);
        assert!(scan.modified.is_empty() && scan.deleted.is_empty());
        assert_eq!(scan.ignored_count, 2, ".git and the state dir");
        let mut req = request(&root, since);
        req.max_files = 1;
        let cut = super::scan(&req).expect("scan");
        assert!(cut.truncated && cut.created.len() == 1, "{cut:?}");
    }

    #[test]
    fn scan_limits_come_from_the_environment_and_a_bad_value_is_named() {
        let env = Env::from_pairs([
            (EnvVars::MAESTRO_SCAN_MAX_FILES, "7"),
            (EnvVars::MAESTRO_SCAN_IGNORE, "vendor/:dist: :"),
        ]);
        let (max, ignore) = ScanRequest::limits(&env).expect("limits");
        assert_eq!(max, 7);
        assert_eq!(ignore, vec!["vendor", "dist"]);
        for bad in ["0", "-1", "many", "99999999"] {
            let env = Env::from_pairs([(EnvVars::MAESTRO_SCAN_MAX_FILES, bad)]);
            let err = ScanRequest::limits(&env).expect_err(bad);
            assert!(err.to_string().contains("MAESTRO_SCAN_MAX_FILES"), "{err}");
        }
        let (max, ignore) =
            ScanRequest::limits(&Env::from_pairs::<&str, &str>([])).expect("defaults");
        assert_eq!((max, ignore.len()), (DEFAULT_MAX_FILES, 0));
    }
}
