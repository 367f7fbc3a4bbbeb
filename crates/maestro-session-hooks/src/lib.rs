//! The process edge of the hook executables and state tools: arguments, stdin and stdout,
//! panics and exit codes. Every rule is in `maestro-session-core`; they are one binary,
//! `maestro-session-hook`, run under eight names ([`multicall`]).
//!
//! - [`hook_main`]: the four lifecycle hooks (`session-start`, `before-agent`, `after-agent`,
//!   `session-end`): never fail the runtime's turn.
//! - [`state_tool_main`]: `read-state`, `write-state`, `ensure-workspace` and
//!   `read-active-session`.
//! - [`args`]: what both share of argument parsing (`lexopt`, the one parser).
//! - [`panic_guard`]: turning a panic into one diagnostic line.
//!
//! Exit codes come from `maestro_session_core::error::EXIT_CODES`, the one table.

pub mod args;
pub mod hook_main;
pub mod multicall;
pub mod panic_guard;
pub mod state_tool_main;
