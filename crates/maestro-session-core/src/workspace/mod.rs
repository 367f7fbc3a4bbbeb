//! Where a project's state lives: the project root, the state dir and the settings that move it.
//!
//! - [`paths`]: the one resolver every command, hook and tool uses (`--state-dir`,
//!   `MAESTRO_STATE_DIR`, `.env`), refusing anything outside the project.
//! - [`repo_root`]: the repository root of a folder, as `git rev-parse --show-toplevel`
//!   answers it, without a `git` process.
//! - [`extension_cache`]: a runtime's extension or plugin cache is never a project.
//! - [`dotenv`]: the project's `.env` file.
//! - [`git`]: the git facts a session records (branch, commit).
//! - [`phase_changes`]: what changed in the project since a phase started (from git).
pub mod dotenv;
pub mod extension_cache;
pub mod git;
pub mod paths;
pub mod phase_changes;
pub mod repo_root;
