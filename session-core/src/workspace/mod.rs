//! Where a project's state lives: the project root, the state dir and the settings that move it.
//!
//! - [`paths`]: the one resolver every command, hook and tool uses (`--state-dir`,
//!   `MAESTRO_STATE_DIR`, `.env`), refusing anything outside the project.
//! - [`dotenv`]: the project's `.env` file.
//! - [`env`]: the process environment, captured once and passed down.
//! - [`env_vars`]: the name of every environment variable read, in one place.
//! - [`git`]: the git facts a session records (branch, commit).
pub mod dotenv;
pub mod env;
pub mod env_vars;
pub mod git;
pub mod paths;
