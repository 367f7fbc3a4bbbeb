//! The transient hook-state folder of each runtime session (DESIGN 2.2).
//!
//! Base = `$MAESTRO_HOOKS_DIR`, else `/tmp/maestro-hooks`. The base and every session folder
//! are created 0700, files 0600. A base that is a symlink, is not owned by the current user, or
//! is writable by group or others is not used: the fallback is `<temp dir>/maestro-hooks-<uid>`
//! (temp dir = `$TMPDIR`, else `/tmp`), with the same checks, and the caller is told once.
//!
//! `<base>/<session_id>/active-agent` holds the bare agent name, no newline. Files here are
//! replaced atomically (temp file and rename) but not fsynced: the state is transient by
//! design and lives in /tmp, and the fsyncs would dominate a hook's run time. For runtimes
//! that run several sub-agents at once (Claude Code), `<base>/<session_id>/agents/<agent_id>`
//! holds each live sub-agent's name, so one finishing does not clear another.
//!
//! Pruning removes session folders idle longer than the TTL (2 hours,
//! `MAESTRO_HOOKS_TTL_SECS`), never the caller's own, never a symlink or a folder owned by
//! someone else, and runs at most once a minute (the mtime of `<base>/.last-prune`), so the
//! hot path stays constant-time however many folders the base holds.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::env::Env;
use crate::env_vars::EnvVars;
use crate::error::{Error, IoContext, Result};
use crate::fs::durable;
use crate::hooks::context::ContextCache;
use crate::session::session_id::SessionId;

/// The default base.
pub const DEFAULT_BASE: &str = "/tmp/maestro-hooks";

/// Where the hook base is, in order: `$MAESTRO_HOOKS_DIR`, else [`DEFAULT_BASE`]; and the
/// fallback used when that one is not a usable private folder,
/// `<$TMPDIR, else /tmp>/maestro-hooks-<uid>`. Nothing is checked or created.
pub fn base_candidates(env: &Env) -> (PathBuf, PathBuf) {
    let configured = env
        .get(EnvVars::MAESTRO_HOOKS_DIR)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_BASE));
    let uid = rustix::process::getuid().as_raw();
    let tmp = env
        .get(EnvVars::TMPDIR)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    (configured, tmp.join(format!("maestro-hooks-{uid}")))
}
/// Default idle time after which a session folder is pruned, in s.
pub const DEFAULT_TTL_SECS: u64 = 2 * 60 * 60;
/// Least time between two prunes, in s.
pub const PRUNE_INTERVAL_SECS: u64 = 60;
/// Name of the file whose mtime records the last prune.
pub const PRUNE_STAMP: &str = ".last-prune";
/// Name of the file that holds the active agent.
pub const ACTIVE_AGENT: &str = "active-agent";
/// Folder of per-sub-agent files.
pub const AGENTS_DIR: &str = "agents";
/// File caching what BeforeAgent and AfterAgent read of the active session: a
/// [`ContextCache`] as JSON, keyed by the identity of the session file it was made from (path,
/// device, inode, size, mtime in ns), holding the summary, the agents the phases name and each
/// agent's context once asked for. A durable replace always makes a new inode, so any rewrite
/// of the session misses the cache; parsing the YAML frontmatter in a fresh process costs
/// ~0.25 ms, which the cache saves on every turn.
pub const CONTEXT_CACHE: &str = "context-cache";
/// Largest context cache read, in bytes; a bigger file is a miss.
const MAX_CONTEXT_CACHE_BYTES: u64 = 1024 * 1024;

/// A usable hook base.
#[derive(Debug, Clone)]
pub struct HookBase {
    path: PathBuf,
    /// Set when the configured base was refused and the fallback is used: the message to
    /// print once on stderr.
    pub fallback_notice: Option<String>,
}

impl HookBase {
    /// Resolves and checks the base from `env` ([`base_candidates`]), creating it 0700 if
    /// missing.
    ///
    /// Errors: [`Error::Io`] / [`Error::Refused`] when neither the configured base nor the
    /// fallback is usable.
    pub fn resolve(env: &Env) -> Result<HookBase> {
        let (configured, fallback) = base_candidates(env);
        match ensure_private_dir(&configured) {
            Ok(()) => Ok(HookBase {
                path: configured,
                fallback_notice: None,
            }),
            Err(why) => {
                ensure_private_dir(&fallback).map_err(|e| {
                    Error::Invalid(format!(
                        "hook base {} is not usable ({why}) and neither is the fallback {} ({e})",
                        configured.display(),
                        fallback.display()
                    ))
                })?;
                Ok(HookBase {
                    fallback_notice: Some(format!(
                        "hook base {} is not usable ({why}); using {}",
                        configured.display(),
                        fallback.display()
                    )),
                    path: fallback,
                })
            }
        }
    }

    /// A base at `path`, checked like [`HookBase::resolve`] but with no fallback.
    pub fn at(path: &Path) -> Result<HookBase> {
        ensure_private_dir(path).map_err(Error::Invalid)?;
        Ok(HookBase {
            path: path.to_path_buf(),
            fallback_notice: None,
        })
    }

    /// The base folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder of runtime session `id` (not created).
    pub fn session(&self, id: &SessionId) -> SessionFolder {
        SessionFolder {
            path: self.path.join(id.as_str()),
        }
    }

    /// Prunes idle session folders if the last prune is older than [`PRUNE_INTERVAL_SECS`];
    /// never removes `keep`. Returns how many folders were removed. Best effort: a folder that
    /// cannot be inspected or removed is left alone.
    pub fn prune_if_due(&self, keep: Option<&SessionId>, ttl: Duration, now: SystemTime) -> usize {
        let stamp = self.path.join(PRUNE_STAMP);
        if let Ok(meta) = fs::metadata(&stamp)
            && let Ok(modified) = meta.modified()
            && now
                .duration_since(modified)
                .map(|d| d.as_secs() < PRUNE_INTERVAL_SECS)
                .unwrap_or(true)
        {
            return 0;
        }
        // Only the stamp's mtime matters; truncating it to empty sets that.
        if durable::touch_stamp(&stamp).is_err() {
            return 0;
        }
        self.prune(keep, ttl, now)
    }

    /// Removes session folders whose mtime is older than `ttl` before `now`, except `keep`,
    /// symlinks, non-folders, folders owned by another user and names that are not session ids.
    /// Returns how many were removed.
    pub fn prune(&self, keep: Option<&SessionId>, ttl: Duration, now: SystemTime) -> usize {
        self.prune_as(rustix::process::getuid().as_raw(), keep, ttl, now)
    }

    /// [`HookBase::prune`] as the user `uid`: only folders `uid` owns are removed. Tests pass
    /// another uid than the process's to check the owner rule without being root.
    fn prune_as(
        &self,
        uid: u32,
        keep: Option<&SessionId>,
        ttl: Duration,
        now: SystemTime,
    ) -> usize {
        let Ok(entries) = fs::read_dir(&self.path) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if SessionId::parse(name).is_err() || keep.is_some_and(|k| k.as_str() == name) {
                continue;
            }
            let Ok(meta) = fs::symlink_metadata(entry.path()) else {
                continue;
            };
            if !meta.is_dir() || meta.uid() != uid {
                continue;
            }
            let idle = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or_default();
            if idle > ttl && durable::remove_tree(&entry.path()).is_ok() {
                removed += 1;
            }
        }
        removed
    }
}

/// Hook-state TTL from `MAESTRO_HOOKS_TTL_SECS`, else [`DEFAULT_TTL_SECS`].
///
/// Errors: [`Error::Invalid`] when the variable is not a number.
pub fn ttl_from(env: &Env) -> Result<Duration> {
    env.parse_or(EnvVars::MAESTRO_HOOKS_TTL_SECS, DEFAULT_TTL_SECS)
        .map(Duration::from_secs)
}

/// Creates `path` 0700 if missing, then checks it is a real folder owned by us and not
/// writable by group or others. The error is a short reason.
fn ensure_private_dir(path: &Path) -> std::result::Result<(), String> {
    match durable::create_private_dir(path, true) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("cannot create it: {e}")),
    }
    let meta = fs::symlink_metadata(path).map_err(|e| format!("cannot inspect it: {e}"))?;
    if meta.file_type().is_symlink() {
        return Err("it is a symlink".into());
    }
    if !meta.is_dir() {
        return Err("it is not a folder".into());
    }
    let uid = rustix::process::getuid().as_raw();
    if meta.uid() != uid {
        return Err(format!("it is owned by uid {}, not {uid}", meta.uid()));
    }
    if meta.permissions().mode() & 0o022 != 0 {
        return Err(format!(
            "it is writable by group or others (mode {:o})",
            meta.permissions().mode() & 0o777
        ));
    }
    Ok(())
}

/// The hook-state folder of one runtime session.
#[derive(Debug, Clone)]
pub struct SessionFolder {
    path: PathBuf,
}

impl SessionFolder {
    /// The folder's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the folder (0700) if missing and marks it as just used (its mtime is the
    /// session's last activity).
    pub fn touch(&self) -> Result<()> {
        match durable::create_private_dir(&self.path, false) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io("create folder", &self.path, e)),
        }
        let meta = fs::symlink_metadata(&self.path).ctx("inspect", &self.path)?;
        if !meta.is_dir() {
            return Err(Error::refused_path(
                self.path.display().to_string(),
                "hook-state entry is not a real folder",
            ));
        }
        let dir = fs::File::open(&self.path).ctx("open folder", &self.path)?;
        dir.set_modified(SystemTime::now())
            .ctx("update mtime of", &self.path)
    }

    /// Whether the folder exists.
    pub fn exists(&self) -> bool {
        self.path.is_dir()
    }

    /// The active agent, if one is recorded and is an agent name
    /// ([`crate::session::agent_name::parse`]: the file is a boundary too).
    pub fn active_agent(&self) -> Option<String> {
        read_name(&self.path.join(ACTIVE_AGENT)).and_then(|n| crate::session::agent_name::parse(&n))
    }

    /// Creates the folder (0700) if missing.
    pub fn ensure(&self) -> Result<()> {
        match durable::create_private_dir(&self.path, false) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                Err(Error::io("create folder", &self.path, e))
            }
            _ => Ok(()),
        }
    }

    /// Records `agent` as the active agent (creating the folder; the rename of the new file
    /// into it updates its mtime, so no separate touch is needed).
    pub fn set_active_agent(&self, agent: &str) -> Result<()> {
        self.ensure()?;
        durable::atomic_replace(
            &self.path.join(ACTIVE_AGENT),
            agent.as_bytes(),
            durable::PRIVATE_FILE_MODE,
        )
    }

    /// Clears the active agent; clearing an absent one is fine.
    pub fn clear_active_agent(&self) -> Result<()> {
        durable::remove_if_present(&self.path.join(ACTIVE_AGENT))
    }

    /// The agent recorded for sub-agent `agent_id`.
    pub fn subagent(&self, agent_id: &SessionId) -> Option<String> {
        read_name(&self.path.join(AGENTS_DIR).join(agent_id.as_str()))
            .and_then(|n| crate::session::agent_name::parse(&n))
    }

    /// Records sub-agent `agent_id` running `agent`, and makes it the active agent.
    pub fn start_subagent(&self, agent_id: &SessionId, agent: &str) -> Result<()> {
        self.touch()?;
        let dir = self.path.join(AGENTS_DIR);
        match durable::create_private_dir(&dir, false) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io("create folder", &dir, e)),
        }
        durable::atomic_replace(
            &dir.join(agent_id.as_str()),
            agent.as_bytes(),
            durable::PRIVATE_FILE_MODE,
        )?;
        self.set_active_agent(agent)
    }

    /// Forgets sub-agent `agent_id`. The active agent becomes the most recently started of the
    /// sub-agents still alive, or is cleared when none is.
    pub fn stop_subagent(&self, agent_id: &SessionId) -> Result<()> {
        let dir = self.path.join(AGENTS_DIR);
        durable::remove_if_present(&dir.join(agent_id.as_str()))?;
        let newest = fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| SessionId::parse(n).is_ok())
            })
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .max_by_key(|(t, _)| *t)
            .and_then(|(_, p)| read_name(&p))
            .and_then(|n| crate::session::agent_name::parse(&n));
        match newest {
            Some(agent) => self.set_active_agent(&agent),
            None => self.clear_active_agent(),
        }
    }

    /// The context cache ([`CONTEXT_CACHE`]), if there is a readable one (at most 1 MiB).
    pub fn context_cache(&self) -> Option<ContextCache> {
        use std::io::Read;
        let file = fs::File::open(self.path.join(CONTEXT_CACHE)).ok()?;
        let len = file.metadata().ok()?.len();
        if len > MAX_CONTEXT_CACHE_BYTES {
            return None;
        }
        // Sized up front: one read, not a doubling series of them, on every turn.
        let mut text = String::with_capacity(usize::try_from(len).ok()? + 1);
        file.take(MAX_CONTEXT_CACHE_BYTES + 1)
            .read_to_string(&mut text)
            .ok()?;
        if text.len() as u64 > MAX_CONTEXT_CACHE_BYTES {
            return None;
        }
        ContextCache::parse(&text)
    }

    /// Stores `cache` when the folder exists. Best effort: a cache that cannot be written only
    /// costs the next run a parse; of two hooks storing at once, the later wins whole.
    pub fn store_context_cache(&self, cache: &ContextCache) {
        if self.exists() {
            let _ = durable::atomic_replace(
                &self.path.join(CONTEXT_CACHE),
                cache.to_text().as_bytes(),
                durable::PRIVATE_FILE_MODE,
            );
        }
    }

    /// Removes the folder and everything in it; a missing folder is fine.
    pub fn remove(&self) -> Result<()> {
        match fs::symlink_metadata(&self.path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("inspect", &self.path, e)),
            Ok(meta) if meta.file_type().is_symlink() || !meta.is_dir() => {
                durable::remove_if_present(&self.path)
            }
            Ok(_) => durable::remove_tree(&self.path),
        }
    }
}

fn read_name(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let name = text.trim();
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn id(s: &str) -> SessionId {
        SessionId::parse(s).expect("valid id")
    }

    fn set_mtime(path: &Path, ago: Duration) {
        let f = fs::File::open(path).expect("open");
        f.set_modified(SystemTime::now() - ago).expect("set mtime");
    }

    #[test]
    fn base_created_private() {
        let t = tempfile::tempdir().expect("tmp");
        let base = HookBase::at(&t.path().join("hooks")).expect("base");
        assert_eq!(
            fs::metadata(base.path())
                .expect("meta")
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        let folder = base.session(&id("s1"));
        folder.set_active_agent("coder").expect("set");
        assert_eq!(
            fs::read(folder.path().join(ACTIVE_AGENT)).expect("read"),
            b"coder"
        );
        assert_eq!(
            fs::metadata(folder.path())
                .expect("meta")
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        assert_eq!(
            fs::metadata(folder.path().join(ACTIVE_AGENT))
                .expect("meta")
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }

    #[test]
    fn unsafe_bases_fall_back() {
        let t = tempfile::tempdir().expect("tmp");
        let tmpdir = t.path().join("tmp");
        fs::create_dir(&tmpdir).expect("mkdir");
        let open = t.path().join("open");
        fs::create_dir(&open).expect("mkdir");
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).expect("chmod");
        let real = t.path().join("real");
        fs::create_dir(&real).expect("mkdir");
        fs::set_permissions(&real, fs::Permissions::from_mode(0o700)).expect("chmod");
        let link = t.path().join("link");
        symlink(&real, &link).expect("symlink");
        let file = t.path().join("file");
        fs::write(&file, "").expect("write");
        for (bad, why) in [
            (&open, "writable by group or others"),
            (&link, "symlink"),
            (&file, "not"),
        ] {
            let env = Env::from_pairs([
                (EnvVars::MAESTRO_HOOKS_DIR, bad.to_str().expect("utf8")),
                (EnvVars::TMPDIR, tmpdir.to_str().expect("utf8")),
            ]);
            let base = HookBase::resolve(&env).expect("fallback");
            assert!(
                base.path().starts_with(&tmpdir),
                "{}",
                base.path().display()
            );
            let notice = base.fallback_notice.expect("notice");
            assert!(notice.contains(why), "{notice}");
        }
        let env = Env::from_pairs([(EnvVars::MAESTRO_HOOKS_DIR, real.to_str().expect("utf8"))]);
        let base = HookBase::resolve(&env).expect("usable");
        assert_eq!(base.path(), real);
        assert!(base.fallback_notice.is_none());
    }

    #[test]
    fn prune_keeps_fresh_caller_symlinks_and_strangers() {
        let t = tempfile::tempdir().expect("tmp");
        let base = HookBase::at(&t.path().join("hooks")).expect("base");
        let hour = Duration::from_secs(3600);
        for name in ["old", "fresh", "caller"] {
            base.session(&id(name)).touch().expect("touch");
        }
        set_mtime(&base.path().join("old"), 3 * hour);
        set_mtime(&base.path().join("caller"), 3 * hour);
        let outside = t.path().join("outside");
        fs::create_dir(&outside).expect("mkdir");
        set_mtime(&outside, 3 * hour);
        symlink(&outside, base.path().join("linked")).expect("symlink");
        fs::create_dir(base.path().join("not.an.id")).expect("mkdir");
        set_mtime(&base.path().join("not.an.id"), 3 * hour);

        let removed = base.prune(Some(&id("caller")), 2 * hour, SystemTime::now());
        assert_eq!(removed, 1);
        assert!(!base.path().join("old").exists());
        for kept in ["fresh", "caller", "linked", "not.an.id"] {
            assert!(
                fs::symlink_metadata(base.path().join(kept)).is_ok(),
                "{kept}"
            );
        }
        assert!(outside.exists());
    }

    #[test]
    fn prune_skips_folders_of_other_users() {
        // Every folder here is ours; pruning as another user must see them all as someone
        // else's and keep them, while pruning as ourselves removes the idle one. No root needed.
        let t = tempfile::tempdir().expect("tmp");
        let base = HookBase::at(&t.path().join("hooks")).expect("base");
        let idle = base.path().join("idle");
        fs::create_dir(&idle).expect("mkdir");
        set_mtime(&idle, Duration::from_secs(10 * 3600));
        let me = rustix::process::getuid().as_raw();
        let ttl = Duration::from_secs(60);
        let stranger = me.wrapping_add(1);
        assert_eq!(base.prune_as(stranger, None, ttl, SystemTime::now()), 0);
        assert!(idle.exists(), "another user's folder is never removed");
        assert_eq!(base.prune_as(me, None, ttl, SystemTime::now()), 1);
        assert!(!idle.exists());
    }

    #[test]
    fn prune_is_rate_limited() {
        let t = tempfile::tempdir().expect("tmp");
        let base = HookBase::at(&t.path().join("hooks")).expect("base");
        let ttl = Duration::from_secs(60);
        base.session(&id("a")).touch().expect("touch");
        set_mtime(&base.path().join("a"), Duration::from_secs(3600));
        assert_eq!(base.prune_if_due(None, ttl, SystemTime::now()), 1);
        base.session(&id("b")).touch().expect("touch");
        set_mtime(&base.path().join("b"), Duration::from_secs(3600));
        assert_eq!(
            base.prune_if_due(None, ttl, SystemTime::now()),
            0,
            "second prune within a minute"
        );
        assert!(base.path().join("b").exists());
        let later = SystemTime::now() + Duration::from_secs(PRUNE_INTERVAL_SECS + 1);
        assert_eq!(base.prune_if_due(None, ttl, later), 1);
    }

    #[test]
    fn context_cache_round_trip_and_refusals() {
        let t = tempfile::tempdir().expect("tmp");
        let base = HookBase::at(&t.path().join("hooks")).expect("base");
        let f = base.session(&id("s"));
        let cache = ContextCache {
            key: "k".into(),
            session_id: "s".into(),
            summary: "line".into(),
            agents: vec!["coder".into()],
            contexts: [("coder".to_string(), "phase 2".to_string())].into(),
        };
        f.store_context_cache(&cache);
        assert_eq!(f.context_cache(), None, "no folder: nothing stored");
        f.ensure().expect("folder");
        f.store_context_cache(&cache);
        assert_eq!(f.context_cache().as_ref(), Some(&cache));
        let path = f.path().join(CONTEXT_CACHE);
        fs::write(&path, "key\nsummary of the old format").expect("write");
        assert_eq!(f.context_cache(), None, "old format is a miss");
        let mut big = cache;
        big.summary = "x".repeat(MAX_CONTEXT_CACHE_BYTES as usize);
        fs::write(&path, big.to_text()).expect("write");
        assert_eq!(f.context_cache(), None, "over the cap is a miss");
    }

    #[test]
    fn subagents_tracked_independently() {
        let t = tempfile::tempdir().expect("tmp");
        let base = HookBase::at(&t.path().join("hooks")).expect("base");
        let f = base.session(&id("s"));
        f.start_subagent(&id("a1"), "coder").expect("start");
        std::thread::sleep(Duration::from_millis(10));
        f.start_subagent(&id("a2"), "tester").expect("start");
        assert_eq!(f.active_agent().as_deref(), Some("tester"));
        f.stop_subagent(&id("a2")).expect("stop");
        assert_eq!(f.subagent(&id("a1")).as_deref(), Some("coder"));
        assert_eq!(f.active_agent().as_deref(), Some("coder"));
        f.stop_subagent(&id("a1")).expect("stop");
        assert_eq!(f.active_agent(), None);
        f.remove().expect("remove");
        assert!(!f.exists());
        f.remove().expect("remove twice");
    }
}
