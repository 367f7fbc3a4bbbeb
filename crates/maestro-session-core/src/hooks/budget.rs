//! How long a hook may wait: the one budget every hook that takes the state lock keeps
//! (DESIGN 3, issue 15).
//!
//! The runtimes kill a hook at the timeout we register for it (5 s for every hook in Gemini
//! CLI and Claude Code, 3 s for Codex's SessionEnd: `maestro_session_setup`), and the user's
//! turn waits for it meanwhile. A hook's own work takes about a millisecond, so a hook still
//! waiting for the state lock after [`HOOK_LOCK_BUDGET_MS`] is waiting on someone else (an
//! import holding the lock for a minute, `doctor --fix`, a crashed editor's tool): it then
//! records nothing, says so on stderr, and answers the runtime as usual. What it did not record
//! is caught up where it can be: a transcript's tokens are counted at its next SubagentStop
//! (the offset did not move). `MAESTRO_LOCK_TIMEOUT_MS` still applies when it is shorter.

use std::time::Duration;

/// The most a hook waits for the state lock, in ms: 500, a tenth of the 5 s hook timeout and
/// a sixth of Codex's 3 s SessionEnd timeout, and still hundreds of times what a normal holder
/// keeps the lock (a command's locked write takes about a millisecond).
pub const HOOK_LOCK_BUDGET_MS: u64 = 500;

/// [`HOOK_LOCK_BUDGET_MS`] as a duration.
pub const HOOK_LOCK_BUDGET: Duration = Duration::from_millis(HOOK_LOCK_BUDGET_MS);
