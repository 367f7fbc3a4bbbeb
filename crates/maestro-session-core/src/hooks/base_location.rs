//! Where the hook base is: `$MAESTRO_HOOKS_DIR`, else the platform's default (Maestro's
//! `/tmp/maestro-hooks` on Unix, `%TEMP%\maestro-hooks` on Windows), and the per-user fallback
//! under the temporary folder. Only paths: nothing is checked or created here (see
//! [`crate::hooks::state::HookBase`]).

use std::path::PathBuf;

use crate::env::Env;
use crate::env_vars::EnvVars;
use maestro_session_fs::platform;

/// The default base on Unix (Maestro's hooks use the same); on Windows it is
/// `%TEMP%\maestro-hooks` ([`default_base`]).
pub const DEFAULT_BASE: &str = "/tmp/maestro-hooks";

/// The temporary folder: the first of the platform's variables that is set and not empty
/// (`$TMPDIR` on Unix; `%TMPDIR%`, `%TMP%`, `%TEMP%` on Windows), else `/tmp` on Unix and
/// `C:\Windows\Temp` on Windows ([`platform::TEMP_VARS`], [`platform::DEFAULT_TEMP`]).
pub fn temp_dir(env: &Env) -> PathBuf {
    platform::TEMP_VARS
        .iter()
        .find_map(|var| env.get(var).filter(|v| !v.is_empty()))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(platform::DEFAULT_TEMP))
}

/// The base when `$MAESTRO_HOOKS_DIR` is not set: [`DEFAULT_BASE`] where the temporary
/// folder is shared by every user (Unix), `<temp>/maestro-hooks` where it is the user's own
/// (Windows, [`temp_dir`]).
pub fn default_base(env: &Env) -> PathBuf {
    if platform::TEMP_IS_PER_USER {
        temp_dir(env).join("maestro-hooks")
    } else {
        PathBuf::from(DEFAULT_BASE)
    }
}

/// Where the hook base is, in order: `$MAESTRO_HOOKS_DIR`, else [`default_base`]; and the
/// fallback used when that one is not a usable private folder,
/// `<temp>/maestro-hooks-<uid>` ([`temp_dir`]). Nothing is checked or created.
pub fn base_candidates(env: &Env) -> (PathBuf, PathBuf) {
    let configured = env
        .get(EnvVars::MAESTRO_HOOKS_DIR)
        .map(PathBuf::from)
        .unwrap_or_else(|| default_base(env));
    let uid = platform::user_id();
    (
        configured,
        temp_dir(env).join(format!("maestro-hooks-{uid}")),
    )
}
