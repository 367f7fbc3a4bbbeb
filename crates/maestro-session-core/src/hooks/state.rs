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
//! holds each live sub-agent's name, so one finishing does not clear another. Every file here
//! is read through the one reader beneath the base ([`maestro_session_fs::reader`]): a symlink, FIFO or
//! device in place of one of our files is never followed or opened, and reads are capped.
//!
//! **We delete only what we made.** A session folder the hooks create gets a marker file,
//! [`MARKER`] (holding [`MARKER_TEXT`]), written right after the `mkdir` that made it. A folder
//! that existed before (whatever its name) is used but never marked, so never removed.
//! Pruning removes session folders idle longer than the TTL (2 hours,
//! `MAESTRO_HOOKS_TTL_SECS`) that carry our marker (a regular file, not a symlink, with our
//! text), never the caller's own, never a symlink, a folder owned by someone else or a name
//! that is not a session id, and runs at most once a minute (the mtime of
//! `<base>/.last-prune`), so the hot path stays constant-time however many folders the base
//! holds. SessionEnd removes its own folder by the same rule. Temp files are swept only by
//! their exact names ([`durable::temp_owner`]).

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::env::Env;
use crate::env_vars::EnvVars;
use crate::error::{Error, Result};
use crate::hooks::context::ContextCache;
use crate::session::session_id::SessionId;
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;
use maestro_session_fs::platform;
use maestro_session_fs::reader::{self, ReadKind};

pub use super::base_location::{DEFAULT_BASE, base_candidates, default_base, temp_dir};

/// Default idle time after which a session folder is pruned, in s.
pub const DEFAULT_TTL_SECS: u64 = 2 * 60 * 60;
/// Least time between two prunes, in s.
pub const PRUNE_INTERVAL_SECS: u64 = 60;
/// Name of the file whose mtime records the last prune.
pub const PRUNE_STAMP: &str = ".last-prune";
/// Name of the marker file in each session folder the hooks made: only folders holding it are
/// ever removed.
pub const MARKER: &str = ".maestro-hook-state";
/// What the marker file holds, exactly.
pub const MARKER_TEXT: &[u8] =
    b"maestro-session hook state: made by the hooks, removed by them once idle\n";
/// Name of the file that holds the active agent.
pub const ACTIVE_AGENT: &str = "active-agent";
/// Folder of per-sub-agent files.
pub const AGENTS_DIR: &str = "agents";
/// Folder of the transcripts whose tokens a hook could not count within its lock budget
/// (`crate::hooks::budget`): one `<dev>-<ino>` file each, `{"transcript", "agent"}`, counted
/// by the next AfterAgent of the runtime session.
pub const PENDING_DIR: &str = "pending";
/// File caching what BeforeAgent and AfterAgent read of the active session: a
/// [`ContextCache`] as JSON, keyed by the identity of the session file it was made from (path,
/// device, inode, size, mtime in ns), holding the summary, the agents the phases name and each
/// agent's context once asked for. A durable replace always makes a new inode, so any rewrite
/// of the session misses the cache; parsing the YAML frontmatter in a fresh process costs
/// ~0.25 ms, which the cache saves on every turn. At most [`ReadKind::CONTEXT_CACHE`]'s cap is
/// read; a bigger file is a miss.
pub const CONTEXT_CACHE: &str = "context-cache";

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
            base: self.path.clone(),
            name: id.as_str().to_string(),
            path: self.path.join(id.as_str()),
        }
    }

    /// Prunes idle session folders if the last prune is older than [`PRUNE_INTERVAL_SECS`];
    /// never removes `keep`. Returns how many folders were removed. Best effort: a folder that
    /// cannot be inspected or removed is left alone.
    pub fn prune_if_due(&self, keep: Option<&SessionId>, ttl: Duration, now: SystemTime) -> usize {
        let stamp = self.path.join(PRUNE_STAMP);
        if let Ok(meta) = reader::lstat(&stamp)
            && meta.is_file()
            && let Ok(modified) = meta.modified()
            && now
                .duration_since(modified)
                .map(|d| d.as_secs() < PRUNE_INTERVAL_SECS)
                .unwrap_or(true)
        {
            return 0;
        }
        // Only the stamp's mtime matters; a stamp that cannot be set (a symlink or a FIFO put
        // there) means no prune at all.
        if durable::touch_stamp(&stamp).is_err() {
            return 0;
        }
        self.prune(keep, ttl, now)
    }

    /// Removes session folders whose mtime is older than `ttl` before `now` and that carry our
    /// marker, except `keep`, symlinks, non-folders, folders owned by another user and names
    /// that are not session ids. Returns how many were removed.
    pub fn prune(&self, keep: Option<&SessionId>, ttl: Duration, now: SystemTime) -> usize {
        self.prune_as(platform::user_id(), keep, ttl, now)
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
        let Ok(root) = Root::open(&self.path) else {
            return 0;
        };
        let Ok(names) = root.names(Path::new(".")) else {
            return 0;
        };
        let mut removed = 0;
        for name in names {
            if SessionId::parse(&name).is_err() || keep.is_some_and(|k| k.as_str() == name) {
                continue;
            }
            let Ok(Some(meta)) = root.metadata(Path::new(&name)) else {
                continue;
            };
            if !meta.is_dir() || platform::owner_of(&meta) != uid {
                continue;
            }
            let idle = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m.into_std()).ok())
                .unwrap_or_default();
            if idle > ttl
                && is_marked(&root, &name, uid)
                && durable::remove_tree(&self.path.join(&name)).is_ok()
            {
                removed += 1;
            }
        }
        removed
    }
}

/// Whether the folder `name` of the base `root` carries our marker: a regular file (not a
/// symlink), owned by `uid`, holding exactly [`MARKER_TEXT`].
fn is_marked(root: &Root, name: &str, uid: u32) -> bool {
    let rel = Path::new(name).join(MARKER);
    let owned =
        matches!(root.metadata(&rel), Ok(Some(m)) if m.is_file() && platform::owner_of(&m) == uid);
    owned
        && root
            .read_file(&rel, ReadKind::HOOK_MARKER, false)
            .is_ok_and(|bytes| bytes == MARKER_TEXT)
}

/// Hook-state TTL from `MAESTRO_HOOKS_TTL_SECS`, else [`DEFAULT_TTL_SECS`].
///
/// Errors: [`Error::Invalid`] when the variable is not a number.
pub fn ttl_from(env: &Env) -> Result<Duration> {
    env.parse_or(EnvVars::MAESTRO_HOOKS_TTL_SECS, DEFAULT_TTL_SECS)
        .map(Duration::from_secs)
}

/// Creates `path` 0700 if missing and checks it is a real folder owned by us and not
/// writable by group or others ([`durable::ensure_private_dir`]). The error is a short reason.
fn ensure_private_dir(path: &Path) -> std::result::Result<(), String> {
    durable::ensure_private_dir(path)
}

/// The hook-state folder of one runtime session.
#[derive(Debug, Clone)]
pub struct SessionFolder {
    base: PathBuf,
    name: String,
    path: PathBuf,
}

impl SessionFolder {
    /// The folder's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the folder (0700, marked as ours) if missing and marks it as just used (its
    /// mtime is the session's last activity).
    ///
    /// Errors: [`Error::Io`]; a folder there that is a symlink or not a folder fails to open.
    pub fn touch(&self) -> Result<()> {
        if self.create()? {
            return Ok(());
        }
        durable::touch_dir(&self.path).map_err(crate::Error::from)
    }

    /// Creates the folder 0700 and writes its marker; `Ok(false)` when something was already
    /// there (then nothing is marked: a folder we did not make is never ours to remove).
    fn create(&self) -> Result<bool> {
        match durable::create_private_dir(&self.path, false) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(Error::io("create folder", &self.path, e)),
        }
        let marker = self.path.join(MARKER);
        durable::create_new_private(&marker, MARKER_TEXT)
            .map_err(|e| Error::io("mark", &marker, e))?;
        Ok(true)
    }

    /// Whether the folder exists (a symlink in its place does not count).
    pub fn exists(&self) -> bool {
        reader::lstat(&self.path).is_ok_and(|m| m.is_dir())
    }

    /// Whether the folder carries our marker (see the module docs).
    pub fn is_marked(&self) -> bool {
        Root::open(&self.base).is_ok_and(|root| is_marked(&root, &self.name, platform::user_id()))
    }

    /// The active agent, if one is recorded and is an agent name
    /// ([`crate::session::agent_name::parse`]: the file is a boundary too).
    pub fn active_agent(&self) -> Option<String> {
        self.read_name(&Path::new(&self.name).join(ACTIVE_AGENT))
            .and_then(|n| crate::session::agent_name::parse(&n))
    }

    /// Creates the folder (0700, marked) if missing.
    pub fn ensure(&self) -> Result<()> {
        self.create().map(drop)
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
        .map_err(crate::Error::from)
    }

    /// Clears the active agent; clearing an absent one is fine.
    pub fn clear_active_agent(&self) -> Result<()> {
        durable::remove_if_present(&self.path.join(ACTIVE_AGENT)).map_err(crate::Error::from)
    }

    /// The agent recorded for sub-agent `agent_id`.
    pub fn subagent(&self, agent_id: &SessionId) -> Option<String> {
        self.read_name(
            &Path::new(&self.name)
                .join(AGENTS_DIR)
                .join(agent_id.as_str()),
        )
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
        let rel = Path::new(&self.name).join(AGENTS_DIR);
        let newest = Root::open(&self.base)
            .ok()
            .and_then(|root| {
                let names = root.names(&rel).ok()?;
                names
                    .iter()
                    .filter(|n| SessionId::parse(n).is_ok())
                    .filter_map(|n| {
                        let meta = root.metadata(&rel.join(n)).ok()??;
                        meta.is_file()
                            .then(|| Some((meta.modified().ok()?.into_std(), n.clone())))?
                    })
                    .max_by_key(|(t, _)| *t)
                    .and_then(|(_, n)| self.read_name(&rel.join(n)))
            })
            .and_then(|n| crate::session::agent_name::parse(&n));
        match newest {
            Some(agent) => self.set_active_agent(&agent),
            None => self.clear_active_agent(),
        }
    }

    /// Records that the transcript `transcript` (of the file identity `(dev, ino)`) is owed a
    /// count under `agent` ([`PENDING_DIR`]); recording it again replaces the record.
    ///
    /// Errors: [`Error::Io`] when the folder or the record cannot be written.
    pub fn add_pending(
        &self,
        (dev, ino): (u64, u64),
        transcript: &Path,
        agent: Option<&str>,
    ) -> Result<()> {
        self.ensure()?;
        let dir = self.path.join(PENDING_DIR);
        match durable::create_private_dir(&dir, false) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                return Err(Error::io("create folder", &dir, e));
            }
            _ => {}
        }
        let record = serde_json::json!({
            "transcript": transcript.to_string_lossy(),
            "agent": agent,
        });
        durable::atomic_replace(
            &dir.join(format!("{dev}-{ino}")),
            record.to_string().as_bytes(),
            durable::PRIVATE_FILE_MODE,
        )
        .map_err(crate::Error::from)
    }

    /// The transcripts owed a count ([`PENDING_DIR`]): `(record name, transcript, agent)`.
    /// Records that cannot be read (a link, a FIFO, over [`ReadKind::PENDING_COUNT`]'s cap, not
    /// our shape) are left out.
    pub fn pending(&self) -> Vec<(String, PathBuf, Option<String>)> {
        let rel = Path::new(&self.name).join(PENDING_DIR);
        let Ok(root) = Root::open(&self.base) else {
            return Vec::new();
        };
        let names = root.names(&rel).unwrap_or_default();
        names
            .into_iter()
            .filter(|n| SessionId::parse(n).is_ok())
            .filter_map(|n| {
                let bytes = root
                    .read_file(&rel.join(&n), ReadKind::PENDING_COUNT, false)
                    .ok()?;
                let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
                let transcript = PathBuf::from(v.get("transcript")?.as_str()?);
                let agent = v.get("agent")?.as_str().map(str::to_string);
                transcript.is_absolute().then_some((n, transcript, agent))
            })
            .collect()
    }

    /// Forgets the pending record `name` (see [`SessionFolder::pending`]); a missing one is
    /// fine.
    pub fn remove_pending(&self, name: &str) -> Result<()> {
        durable::remove_if_present(&self.path.join(PENDING_DIR).join(name))
            .map_err(crate::Error::from)
    }

    /// The context cache ([`CONTEXT_CACHE`]), if there is a readable one (a regular file of at
    /// most [`ReadKind::CONTEXT_CACHE`]'s cap).
    pub fn context_cache(&self) -> Option<ContextCache> {
        let rel = Path::new(&self.name).join(CONTEXT_CACHE);
        let bytes = Root::open(&self.base)
            .ok()?
            .read_file(&rel, ReadKind::CONTEXT_CACHE, false)
            .ok()?;
        ContextCache::parse(std::str::from_utf8(&bytes).ok()?)
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

    /// Removes the folder and everything in it when the hooks made it (it carries our
    /// marker); a missing folder is fine. A folder we did not make is left as it is, and a
    /// symlink in its place is left too (never followed).
    pub fn remove(&self) -> Result<()> {
        match reader::lstat(&self.path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("inspect", &self.path, e)),
            Ok(meta) if meta.is_dir() && self.is_marked() => {
                durable::remove_tree(&self.path).map_err(Error::from)
            }
            Ok(_) => Ok(()),
        }
    }

    /// The agent name in the file `rel` beneath the base (not following a final symlink, at
    /// most [`ReadKind::AGENT_RECORD`]'s cap), trimmed; `None` when it is missing, refused or
    /// empty.
    fn read_name(&self, rel: &Path) -> Option<String> {
        let bytes = Root::open(&self.base)
            .ok()?
            .read_file(rel, ReadKind::AGENT_RECORD, false)
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let name = text.trim();
        (!name.is_empty()).then(|| name.to_string())
    }
}

#[cfg(all(test, unix))]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{PermissionsExt, symlink};

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
    fn prune_and_session_end_remove_only_marked_folders() {
        let t = tempfile::tempdir().expect("tmp");
        let base = HookBase::at(&t.path().join("hooks")).expect("base");
        let hour = Duration::from_secs(3600);
        // The user's folders, in a base pointed at the wrong place: session-id-like names.
        for name in ["Documents", "projects"] {
            fs::create_dir_all(base.path().join(name).join("src")).expect("mkdir");
            fs::write(base.path().join(name).join("src/main.rs"), "fn main() {}").expect("write");
            set_mtime(&base.path().join(name), 3 * hour);
        }
        // A folder a hook used but did not make stays unmarked.
        base.session(&id("Documents")).touch().expect("touch");
        set_mtime(&base.path().join("Documents"), 3 * hour);
        // Markers that are not ours: a symlink to a real marker, and another text.
        base.session(&id("real")).touch().expect("touch");
        for (name, marker) in [("linked", true), ("other-text", false)] {
            fs::create_dir(base.path().join(name)).expect("mkdir");
            let at = base.path().join(name).join(MARKER);
            if marker {
                symlink(base.path().join("real").join(MARKER), &at).expect("symlink");
            } else {
                fs::write(&at, "something else").expect("write");
            }
            set_mtime(&base.path().join(name), 3 * hour);
        }
        base.session(&id("ours")).touch().expect("touch");
        set_mtime(&base.path().join("ours"), 3 * hour);
        assert_eq!(base.prune(None, 2 * hour, SystemTime::now()), 1);
        assert!(!base.path().join("ours").exists());
        for kept in ["Documents", "projects", "linked", "other-text", "real"] {
            assert!(base.path().join(kept).is_dir(), "{kept}");
        }
        assert!(base.path().join("projects/src/main.rs").is_file());
        // SessionEnd of an unmarked folder leaves it; of a marked one removes it.
        base.session(&id("Documents")).remove().expect("remove");
        assert!(base.path().join("Documents/src/main.rs").is_file());
        base.session(&id("real")).remove().expect("remove");
        assert!(!base.path().join("real").exists());
    }

    #[test]
    fn planted_links_and_fifos_in_the_hook_state_are_never_followed() {
        let t = tempfile::tempdir().expect("tmp");
        let base = HookBase::at(&t.path().join("hooks")).expect("base");
        let outside = t.path().join("outside.txt");
        fs::write(&outside, "coder").expect("write");
        let f = base.session(&id("s"));
        f.ensure().expect("folder");
        symlink(&outside, f.path().join(ACTIVE_AGENT)).expect("symlink");
        assert_eq!(f.active_agent(), None, "a symlinked record is not read");
        fs::remove_file(f.path().join(ACTIVE_AGENT)).expect("rm");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(f.path().join(ACTIVE_AGENT))
                .status()
                .is_ok_and(|s| s.success()),
            "mkfifo"
        );
        assert_eq!(f.active_agent(), None, "a FIFO is refused without blocking");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(f.path().join(CONTEXT_CACHE))
                .status()
                .is_ok_and(|s| s.success()),
            "mkfifo"
        );
        assert_eq!(f.context_cache(), None);
        // A stamp symlinked to an outside file: the file is never truncated or touched.
        symlink(&outside, base.path().join(PRUNE_STAMP)).expect("symlink");
        assert_eq!(
            base.prune_if_due(None, Duration::from_secs(1), SystemTime::now()),
            0
        );
        assert_eq!(fs::read(&outside).expect("read"), b"coder");
        // A session folder that is a symlink out of the base: nothing read through it.
        let elsewhere = t.path().join("elsewhere");
        fs::create_dir(&elsewhere).expect("mkdir");
        fs::write(elsewhere.join(ACTIVE_AGENT), "tester").expect("write");
        symlink(&elsewhere, base.path().join("out")).expect("symlink");
        assert_eq!(base.session(&id("out")).active_agent(), None);
        assert!(
            base.session(&id("out")).touch().is_err(),
            "not opened as a folder"
        );
        base.session(&id("out")).remove().expect("left alone");
        assert!(elsewhere.join(ACTIVE_AGENT).is_file());
    }

    #[test]
    fn prune_skips_folders_of_other_users() {
        // Every folder here is ours; pruning as another user must see them all as someone
        // else's and keep them, while pruning as ourselves removes the idle one. No root needed.
        let t = tempfile::tempdir().expect("tmp");
        let base = HookBase::at(&t.path().join("hooks")).expect("base");
        let idle = base.path().join("idle");
        base.session(&id("idle"))
            .touch()
            .expect("made by the hooks");
        set_mtime(&idle, Duration::from_secs(10 * 3600));
        let me = platform::user_id();
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
        big.summary = "x".repeat(ReadKind::CONTEXT_CACHE.cap as usize);
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
