//! The agents the hooks see running, read-only (for `maestro-session watch`).
//!
//! The hook state ([`crate::hooks::state`]) is kept per *runtime* session: `<base>/<runtime
//! id>/active-agent` and `<base>/<runtime id>/agents/<agent id>`. Which orchestration session a
//! runtime session works on is in its context cache (`session_id`); a folder without a cache
//! belongs to the active session (the hooks only ever serve the active one). Folders idle
//! longer than the hook TTL are ignored, as pruning would remove them.
//!
//! Nothing here creates, repairs or prunes anything: a missing, symlinked or unreadable base
//! simply has no agents.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::env::Env;
use crate::hooks::context::ContextCache;
use crate::hooks::state::{ACTIVE_AGENT, AGENTS_DIR, CONTEXT_CACHE, ttl_from};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::reader::{self, ReadKind};

/// Most runtime folders looked at (a base full of junk must not stall a redraw).
const MAX_FOLDERS: usize = 1000;

/// One agent a runtime session is running.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LiveAgent {
    /// The agent's name.
    pub agent: String,
    /// The runtime session's id (the hook-state folder's name).
    pub runtime_session: String,
    /// Whether it is the runtime session's active agent (else a sub-agent still running).
    pub active: bool,
}

/// The hook base as configured (`$MAESTRO_HOOKS_DIR`, else `DEFAULT_BASE`), or the fallback
/// `<TMPDIR>/maestro-hooks-<uid>` when the configured one is not a real folder; `None` when
/// neither is. Nothing is created.
pub fn base(env: &Env) -> Option<PathBuf> {
    let (configured, fallback) = super::state::base_candidates(env);
    if is_real_dir(&configured) {
        return Some(configured);
    }
    is_real_dir(&fallback).then_some(fallback)
}

/// The agents running for orchestration session `session_id` (`is_active`: whether it is the
/// active session), sorted by agent name. Best effort: anything unreadable is skipped. Every
/// file is read beneath the base through the one reader: no symlink followed, no FIFO opened,
/// each read capped by its kind.
pub fn agents(env: &Env, session_id: &str, is_active: bool) -> Vec<LiveAgent> {
    let Some(root) = base(env).and_then(|b| Root::open(&b).ok()) else {
        return Vec::new();
    };
    let ttl = ttl_from(env).unwrap_or(std::time::Duration::from_secs(
        crate::hooks::state::DEFAULT_TTL_SECS,
    ));
    let now = SystemTime::now();
    let mut out = Vec::new();
    let Ok(names) = root.names(Path::new(".")) else {
        return out;
    };
    for name in names.into_iter().take(MAX_FOLDERS) {
        if name.starts_with('.') {
            continue;
        }
        let folder = Path::new(&name);
        let Ok(Some(meta)) = root.metadata(folder) else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        let fresh = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m.into_std()).ok())
            .is_none_or(|idle| idle <= ttl);
        if !fresh {
            continue;
        }
        let cache = read_text(&root, &folder.join(CONTEXT_CACHE), ReadKind::CONTEXT_CACHE)
            .and_then(|t| ContextCache::parse(&t));
        let serves = match cache {
            Some(cache) => cache.session_id == session_id,
            None => is_active,
        };
        if !serves {
            continue;
        }
        let active = read_name(&root, &folder.join(ACTIVE_AGENT));
        if let Some(agent) = &active {
            out.push(LiveAgent {
                agent: agent.clone(),
                runtime_session: name.clone(),
                active: true,
            });
        }
        let agents_dir = folder.join(AGENTS_DIR);
        if let Ok(subs) = root.names(&agents_dir) {
            for sub in subs.into_iter().take(MAX_FOLDERS) {
                if let Some(agent) = read_name(&root, &agents_dir.join(sub))
                    && active.as_deref() != Some(agent.as_str())
                    && !out
                        .iter()
                        .any(|a| a.agent == agent && a.runtime_session == name)
                {
                    out.push(LiveAgent {
                        agent,
                        runtime_session: name.clone(),
                        active: false,
                    });
                }
            }
        }
    }
    out.sort();
    out
}

fn is_real_dir(path: &Path) -> bool {
    reader::lstat(path).is_ok_and(|m| m.is_dir())
}

/// A regular file's text beneath `root` (no final symlink followed, no FIFO opened), at most
/// `kind`'s cap.
fn read_text(root: &Root, rel: &Path, kind: ReadKind) -> Option<String> {
    String::from_utf8(root.read_file(rel, kind, false).ok()?).ok()
}

fn read_name(root: &Root, rel: &Path) -> Option<String> {
    let text = read_text(root, rel, ReadKind::AGENT_RECORD)?;
    let name: String = text.trim().chars().filter(|c| !c.is_control()).collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;
    use crate::env_vars::EnvVars;
    use std::fs;

    fn env_with(base: &Path) -> Env {
        Env::from_pairs([(
            EnvVars::MAESTRO_HOOKS_DIR,
            base.to_string_lossy().into_owned(),
        )])
    }

    #[test]
    fn agents_of_the_active_session_and_of_a_cached_one() {
        let dir = tempfile::tempdir().expect("tmp");
        let base = dir.path();
        fs::create_dir_all(base.join("rt-1/agents")).expect("mkdir");
        fs::write(base.join("rt-1/active-agent"), "coder").expect("write");
        fs::write(base.join("rt-1/agents/a1"), "tester\n").expect("write");
        fs::create_dir_all(base.join("rt-2")).expect("mkdir");
        fs::write(base.join("rt-2/active-agent"), "architect").expect("write");
        let cache = ContextCache {
            key: String::new(),
            session_id: "other".into(),
            summary: String::new(),
            agents: Vec::new(),
            contexts: Default::default(),
        };
        fs::write(base.join("rt-2/context-cache"), cache.to_text()).expect("write");
        let env = env_with(base);
        let mine = agents(&env, "mine", true);
        let names: Vec<(&str, bool)> = mine.iter().map(|a| (a.agent.as_str(), a.active)).collect();
        assert_eq!(names, [("coder", true), ("tester", false)]);
        let other = agents(&env, "other", false);
        assert_eq!(other.len(), 1);
        assert_eq!(other[0].agent, "architect");
        assert!(agents(&env, "mine", false).is_empty());
    }

    #[test]
    fn no_base_no_agents() {
        let dir = tempfile::tempdir().expect("tmp");
        let env = Env::from_pairs([
            (
                EnvVars::MAESTRO_HOOKS_DIR,
                dir.path().join("missing").to_string_lossy().into_owned(),
            ),
            (EnvVars::TMPDIR, dir.path().to_string_lossy().into_owned()),
        ]);
        assert!(agents(&env, "x", true).is_empty());
        assert!(!dir.path().join("missing").exists());
    }
}
