//! The state tools that models and people run: `read-state`, `write-state`,
//! `read-active-session`, `ensure-workspace`. They replace Maestro's Node.js scripts of the same
//! names and keep their contracts: paths are relative to the working directory, errors are one
//! line, and `read-active-session` prints exactly `No active session` when there is none.
//!
//! These are the tools' rules; their executables (arguments, stdin and stdout, `ERROR: ...`
//! and the exit codes of [`crate::error::ExitCodes::state_tool`]) are in the `hooks` crate.

use maestro_session_fs::canonical::canonicalize;
use std::path::{Component, Path, PathBuf};

use crate::env::Env;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::workspace::paths::{self, Workspace};
use maestro_session_fs::beneath::{self, Root};
use maestro_session_fs::durable;
use maestro_session_fs::reader::ReadKind;

/// What `read-active-session` prints when there is no active session (prompts test for it).
pub const NO_ACTIVE_SESSION: &str = "No active session";

/// The bytes of the file at `rel`, resolved beneath `cwd`: a regular file of at most
/// [`durable::MAX_SESSION_BYTES`] (a FIFO or device is refused without blocking). The
/// project root is resolved first, so a working directory in an extension cache is refused
/// like every other tool's.
///
/// Errors: those of [`paths::project_root`]; [`Error::PathRefused`] for a refused path,
/// [`Error::NotRegular`], [`Error::TooLarge`], [`Error::Io`] when it cannot be read.
pub fn read_state(env: &Env, cwd: &Path, rel: &str) -> Result<Vec<u8>> {
    paths::project_root(env, cwd)?;
    Root::open(cwd)?.read(rel).map_err(crate::Error::from)
}

/// Durably replaces the file at `rel` beneath `cwd` with `content`, creating parent folders.
///
/// A target that lands in the state dir (after resolving symlinks inside the working
/// directory) is handed to [`Store::write_document`]: only session files and plan documents
/// may be written there, session files are checked and written under the lock, and no write
/// may lose or duplicate a session. Elsewhere the content is written as given.
///
/// Returns the line to say on stderr when a session file's content, based on an older
/// revision, was merged with the changes recorded since (see [`Store::write_document`]).
///
/// Errors: [`Error::Invalid`] for empty content; those of [`Workspace::resolve`],
/// [`Store::write_document`] (a stale content it cannot merge is refused) and [`Root::write`].
pub fn write_state(
    cwd: &Path,
    env: &Env,
    rel: &str,
    content: &[u8],
    validate: bool,
) -> Result<Option<String>> {
    if content.is_empty() {
        return Err(Error::Invalid("stdin content is empty".into()));
    }
    let clean = beneath::validate_relative(rel)?;
    let root = Root::open(cwd)?;
    let ws = Workspace::resolve(env, cwd)?;
    let target = landing(&root, &clean)?;
    let state_dir = landing_ambient(&ws.state_dir);
    if let Ok(inside) = target.strip_prefix(&state_dir) {
        let inside = inside.to_path_buf();
        return Store::new(ws, env.clone())
            .with_actor(crate::store::event_log::Actor::WriteState)
            .write_document(&inside, content, validate)
            .map(|w| w.note);
    }
    root.write(rel, content, durable::STATE_FILE_MODE)?;
    Ok(None)
}

/// Where `rel` (clean, beneath `root`) lands: the canonical path (resolved beneath the root,
/// so a way out is refused) of its deepest existing folder joined with the rest. A final
/// component that is a symlink is resolved too, since [`Root::write`] writes through it; a
/// regular file is not (a concurrent replace would make its resolved name `... (deleted)`).
fn landing(root: &Root, rel: &Path) -> Result<PathBuf> {
    let base = canonicalize(root.path()).map_err(|e| Error::io("resolve", root.path(), e))?;
    let final_is_link = root
        .metadata(rel)?
        .is_some_and(|m| m.file_type().is_symlink());
    if final_is_link && let Some(found) = root.canonical(rel)? {
        return Ok(base.join(found));
    }
    let parts: Vec<Component> = rel.components().collect();
    for keep in (1..parts.len()).rev() {
        let prefix: PathBuf = parts[..keep].iter().collect();
        if let Some(found) = root.canonical(&prefix)? {
            let rest: PathBuf = parts[keep..].iter().collect();
            return Ok(base.join(found).join(rest));
        }
    }
    Ok(base.join(rel))
}

/// Like [`landing`] for a trusted absolute path (the state dir).
fn landing_ambient(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut cur = path;
    loop {
        if let Ok(canon) = canonicalize(cur) {
            return rest.iter().rev().fold(canon, |acc, c| acc.join(c));
        }
        match (cur.parent(), cur.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                cur = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// The active session file's bytes, or `None` when there is none. The state dir is opened
/// beneath the project root and the file beneath the state dir, so a symlink planted in
/// either cannot make it print a file from elsewhere; only a regular file of at most
/// [`durable::MAX_SESSION_BYTES`] is read.
pub fn read_active_session(env: &Env, cwd: &Path) -> Result<Option<Vec<u8>>> {
    let ws = Workspace::resolve(env, cwd)?;
    let Some(root) = ws.open_state_dir(false)? else {
        return Ok(None);
    };
    match root.read_file(Path::new(paths::ACTIVE_REL), ReadKind::SESSION, true) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Creates `state/`, `state/archive/`, `plans/` and `plans/archive/` under the state dir
/// (`state_dir`, else the resolved one), beneath the project root. Returns the state dir.
///
/// Errors: [`Error::PathRefused`] naming the setting for a state dir outside the project (an
/// absolute path elsewhere, a `..` segment, a symlink leading out).
pub fn ensure_workspace(env: &Env, cwd: &Path, state_dir: Option<&str>) -> Result<PathBuf> {
    let ws = match state_dir {
        Some(dir) => Workspace::with_state_dir(env, cwd, Path::new(dir))?,
        None => Workspace::resolve(env, cwd)?,
    };
    Store::new(ws.clone(), env.clone()).init()?;
    Ok(ws.state_dir)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;
    use crate::EnvVars;
    use std::os::unix::fs::symlink;

    fn env_for(root: &Path) -> Env {
        Env::from_pairs([(
            EnvVars::MAESTRO_WORKSPACE_PATH,
            root.to_str().expect("utf8"),
        )])
    }

    #[test]
    fn write_state_checks_session_files_and_refuses_tool_files() {
        let t = tempfile::tempdir().expect("tmp");
        let env = env_for(t.path());
        let active = "docs/maestro/state/active-session.md";
        let broken = b"---\nsession_id: x\nphases: [1, 2\n---\n";
        let err = write_state(t.path(), &env, active, broken, true).expect_err("broken");
        let msg = err.to_string();
        assert!(
            msg.contains("active-session.md:3") && msg.contains("unclosed"),
            "{msg}"
        );
        assert!(!t.path().join(active).exists());
        let err = write_state(t.path(), &env, active, broken, false).expect_err("no-validate");
        assert!(err.to_string().contains("--no-validate"), "{err}");
        let good = b"---\nsession_id: \"2026-a\"\nstatus: \"in_progress\"\n---\n";
        write_state(t.path(), &env, active, good, true).expect("a session");
        assert!(t.path().join("docs/maestro/state/.lock").exists());
        for owned in [
            "docs/maestro/state/.lock",
            "docs/maestro/state/.index.json",
            "docs/maestro/state/.list-index",
            "docs/maestro/state/.search-index",
            "docs/maestro/state/intents/1-x-y.json",
            "docs/maestro/state/notes.txt",
        ] {
            let err = write_state(t.path(), &env, owned, b"x", true).expect_err(owned);
            assert!(matches!(err, Error::PathRefused { .. }), "{owned}: {err}");
        }
        // The same files reached through a symlink inside the project are refused too.
        symlink("docs/maestro/state", t.path().join("alias")).expect("symlink");
        let err = write_state(t.path(), &env, "alias/.lock", b"x", true).expect_err("alias");
        assert!(matches!(err, Error::PathRefused { .. }), "{err}");
        write_state(t.path(), &env, "notes/x.md", broken, true).expect("not a session file");
        write_state(t.path(), &env, "docs/maestro/plans/d.md", b"# plan", true).expect("plan");
        let err = write_state(t.path(), &env, "x.md", b"", true).expect_err("empty");
        assert_eq!(err.to_string(), "stdin content is empty");
    }

    #[test]
    fn active_session_read_and_absent() {
        let t = tempfile::tempdir().expect("tmp");
        let env = env_for(t.path());
        assert_eq!(read_active_session(&env, t.path()).expect("none"), None);
        std::fs::create_dir_all(t.path().join("docs/maestro/state")).expect("mkdir");
        symlink(
            "/etc/hostname",
            t.path().join("docs/maestro/state/active-session.md"),
        )
        .expect("symlink");
        assert!(
            read_active_session(&env, t.path()).is_err(),
            "symlink out is refused"
        );
        std::fs::remove_file(t.path().join("docs/maestro/state/active-session.md")).expect("rm");
        std::fs::write(
            t.path().join("docs/maestro/state/active-session.md"),
            "---\n---\n",
        )
        .expect("write");
        assert_eq!(
            read_active_session(&env, t.path())
                .expect("some")
                .as_deref(),
            Some(&b"---\n---\n"[..])
        );
    }

    #[test]
    fn ensure_workspace_creates_and_refuses() {
        let t = tempfile::tempdir().expect("tmp");
        let env = env_for(t.path());
        let dir = ensure_workspace(&env, t.path(), None).expect("default");
        assert_eq!(dir, t.path().join("docs/maestro"));
        for sub in ["state", "state/archive", "plans", "plans/archive"] {
            assert!(dir.join(sub).is_dir(), "{sub}");
        }
        let abs_inside = t.path().join("custom");
        ensure_workspace(&env, t.path(), Some(abs_inside.to_str().expect("utf8")))
            .expect("absolute inside");
        assert!(abs_inside.join("plans/archive").is_dir());
        for bad in ["/etc/maestro", "../x", "a/../../x"] {
            let err = ensure_workspace(&env, t.path(), Some(bad)).expect_err(bad);
            assert!(matches!(err, Error::PathRefused { .. }), "{bad}: {err}");
        }
        let outside = tempfile::tempdir().expect("tmp");
        symlink(outside.path(), t.path().join("linked")).expect("symlink");
        let err =
            ensure_workspace(&env, t.path(), Some("linked")).expect_err("symlinked state dir");
        assert!(err.to_string().contains("symlink"), "{err}");
        assert!(
            std::fs::read_dir(outside.path())
                .expect("ls")
                .next()
                .is_none()
        );
    }
}
