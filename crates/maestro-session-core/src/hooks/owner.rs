//! Which runtime process runs the hooks: the owner SessionStart records for the active
//! session and SessionEnd clears ([`crate::store::owner`]).
//!
//! The rule, in order:
//!
//! 1. `CLAUDE_PID` (Claude Code 2.1.330 sets it for its hooks) names a running process: that
//!    process, runtime `claude`.
//! 2. Otherwise the hook's ancestry (parent first, at most [`MAX_ANCESTORS`]) is walked,
//!    skipping the shells and launchers runtimes start hooks through ([`LAUNCHERS`]: Codex 0.169
//!    runs `$SHELL -lc COMMAND`); the first other process decides: a name starting with `codex`
//!    is Codex (its native binary, which an npm install starts from a `node` wrapper above it);
//!    `claude` is Claude Code; `node`, `nodejs`, `bun` or a name starting with `gemini` is
//!    Gemini CLI 0.61 under `--runtime gemini` and Claude Code under `--runtime claude`.
//! 3. Anything else (a test harness, a person running a hook by hand): no owner, nothing
//!    recorded, and the run cannot be reported as interrupted.
//!
//! Under `--runtime qwen` there is never an owner: Qwen Code 0.24.4 does not fire SessionEnd
//! under `qwen -p`, so every finished run would look interrupted ([`super::qwen`]).

use crate::clock;
use crate::env::Env;
use crate::env_vars::EnvVars;
use crate::error::Result;
use crate::hooks::payload::Runtime;
use crate::store::owner::{self, OWNER_VERSION, Owner};
use crate::workspace::paths::Workspace;
use maestro_session_fs::process::{self, ProcStat};

/// How many ancestors are looked at.
pub const MAX_ANCESTORS: usize = 8;

/// Process names skipped in the ancestry, compared ignoring ASCII case: shells and launchers
/// between a runtime and its hook. On Windows (names without `.exe`) Claude Code runs hooks
/// through Git Bash (`bash`), Gemini CLI's registration through PowerShell (`powershell`,
/// `pwsh`) and Codex's through `cmd`.
pub const LAUNCHERS: [&str; 17] = [
    "sh",
    "bash",
    "dash",
    "zsh",
    "fish",
    "ksh",
    "mksh",
    "busybox",
    "env",
    "timeout",
    "nice",
    "nohup",
    "stdbuf",
    "setsid",
    "cmd",
    "powershell",
    "pwsh",
];

/// Whether `comm` is one of the [`LAUNCHERS`].
pub fn is_launcher(comm: &str) -> bool {
    LAUNCHERS.iter().any(|l| l.eq_ignore_ascii_case(comm))
}

/// The runtime a process name means, under the hooks' `--runtime` (see the module rule).
pub fn runtime_of(comm: &str, runtime: Runtime) -> Option<&'static str> {
    let name = comm.to_ascii_lowercase();
    if name.starts_with("codex") {
        Some("codex")
    } else if name == "claude" {
        Some("claude")
    } else if ["node", "nodejs", "bun"].contains(&name.as_str()) || name.starts_with("gemini") {
        Some(match runtime {
            Runtime::Gemini => "gemini",
            Runtime::Claude => "claude",
            Runtime::Qwen => return None,
        })
    } else {
        None
    }
}

/// The runtime process running this hook and its runtime name, by the module's rule; `None`
/// when it cannot be told.
///
/// Errors: the processes cannot be read ([`process`]).
pub fn find(runtime: Runtime, env: &Env) -> Result<Option<(&'static str, ProcStat)>> {
    if runtime == Runtime::Qwen {
        return Ok(None);
    }
    if let Some(pid) = env
        .get(EnvVars::CLAUDE_PID)
        .and_then(|v| v.trim().parse::<u32>().ok())
        && let Some(p) = process::stat(pid)?
    {
        return Ok(Some(("claude", p)));
    }
    for p in process::ancestors(MAX_ANCESTORS)? {
        if is_launcher(&p.comm) {
            continue;
        }
        return Ok(runtime_of(&p.comm, runtime).map(|name| (name, p)));
    }
    Ok(None)
}

/// The owner record for this hook's runtime process and runtime session `session_id`, or
/// `None` when the process cannot be told.
///
/// Errors: the processes cannot be read ([`process`]).
pub fn current(runtime: Runtime, env: &Env, session_id: &str) -> Result<Option<Owner>> {
    let Some((name, p)) = find(runtime, env)? else {
        return Ok(None);
    };
    Ok(Some(Owner {
        v: OWNER_VERSION,
        session_id: session_id.to_string(),
        runtime: name.to_string(),
        pid: p.pid,
        start_ticks: p.start_ticks,
        boot_id: process::boot_id()?,
        since: clock::now_iso(),
        maestro_session_id: None,
    }))
}

/// SessionStart: records this runtime process as the owner of the workspace's active session
/// (the caller checked there is one), bound to that session's id
/// ([`Owner::maestro_session_id`]). Returns whether the file was written (an unchanged record
/// is not rewritten; nothing is recorded when the active session's id cannot be read).
///
/// Errors: the processes cannot be read ([`process`]), or the owner file cannot be written.
pub fn session_start(
    ws: &Workspace,
    runtime: Runtime,
    env: &Env,
    session_id: &str,
) -> Result<bool> {
    let Some(mut owner) = current(runtime, env, session_id)? else {
        return Ok(false);
    };
    let Some(root) = ws.open_state_dir(false)? else {
        return Ok(false);
    };
    let Some(active) = active_session_id(&root) else {
        return Ok(false);
    };
    owner.maestro_session_id = Some(active);
    owner::record(&root, &owner)
}

/// The active session's id, read from its frontmatter only; `None` when it cannot be read.
fn active_session_id(root: &maestro_session_fs::beneath::Root) -> Option<String> {
    use crate::session::session_file::{Location, SessionFile};
    let rel = std::path::Path::new(crate::workspace::paths::ACTIVE_REL);
    let front = root
        .read_frontmatter(rel, maestro_session_fs::durable::MAX_SESSION_BYTES)
        .ok()?;
    SessionFile::from_bytes(&front, &root.join(rel), Location::Active)
        .ok()
        .map(|s| s.id().to_string())
}

/// SessionEnd: removes the owner record when it names this runtime process. Returns whether
/// it did.
///
/// Errors: the processes cannot be read ([`process`]), or the owner file cannot be read or
/// removed.
pub fn session_end(ws: &Workspace, runtime: Runtime, env: &Env, session_id: &str) -> Result<bool> {
    let Some(root) = ws.open_state_dir(false)? else {
        return Ok(false);
    };
    if root
        .metadata(std::path::Path::new(crate::workspace::paths::OWNER_REL))?
        .is_none()
    {
        return Ok(false);
    }
    match current(runtime, env, session_id)? {
        Some(me) => owner::clear(&root, &me),
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_names() {
        assert_eq!(runtime_of("codex", Runtime::Claude), Some("codex"));
        assert_eq!(
            runtime_of("codex-x86_64-un", Runtime::Claude),
            Some("codex")
        );
        assert_eq!(runtime_of("node", Runtime::Gemini), Some("gemini"));
        assert_eq!(runtime_of("gemini", Runtime::Gemini), Some("gemini"));
        assert_eq!(runtime_of("claude", Runtime::Claude), Some("claude"));
        assert_eq!(runtime_of("cargo", Runtime::Claude), None);
        assert_eq!(runtime_of("node", Runtime::Qwen), None);
        // Windows names come without `.exe`, in the case they have on disk.
        assert_eq!(runtime_of("Claude", Runtime::Claude), Some("claude"));
        assert_eq!(runtime_of("Codex", Runtime::Claude), Some("codex"));
        for launcher in ["bash", "cmd", "PowerShell", "pwsh", "CMD"] {
            assert!(is_launcher(launcher), "{launcher}");
        }
        for runtime in ["node", "claude", "codex", "bashful", "cmdx"] {
            assert!(!is_launcher(runtime), "{runtime}");
        }
        let env = Env::from_pairs([(EnvVars::CLAUDE_PID, std::process::id().to_string())]);
        assert!(find(Runtime::Qwen, &env).expect("proc").is_none());
        assert!(find(Runtime::Claude, &env).expect("proc").is_some());
    }

    #[test]
    fn claude_pid_names_the_owner() {
        let env = Env::from_pairs([(EnvVars::CLAUDE_PID, std::process::id().to_string())]);
        let owner = current(Runtime::Claude, &env, "s")
            .expect("proc")
            .expect("found");
        assert_eq!(
            (owner.runtime.as_str(), owner.pid),
            ("claude", std::process::id())
        );
        assert_eq!(owner.gone().expect("proc"), None);
    }
}
