//! `session-core`: every rule of maestro-session lives here.
//!
//! The executables in `hooks/` and `session-cli/` parse their input, call into this crate and
//! print; they hold no rule of their own. Imports go one way, down this list:
//!
//! | folder | what it holds |
//! |---|---|
//! | [`fs`] | beneath-root resolution, durable replace, `O_APPEND` records, the lock, bounded reads |
//! | [`workspace`] | project root, state dir, `.env`, environment, git |
//! | [`session`] | the document, frontmatter flavours, the state machines, phase rules |
//! | [`store`] | active and archived sessions, the index, listing, move intents, the event log, doctor |
//! | [`operations`] | what each command does to a session |
//! | [`hooks`] | hook payloads, dialects, hook state, per-phase context |
//! | [`tools`] | the state tools and the MCP tools |
//! | [`integration`] | installing into Gemini CLI, Claude Code and Codex |
//!
//! [`error`] and [`clock`] are used by all of them.

pub mod clock;
pub mod error;
pub mod fs;
pub mod hooks;
pub mod integration;
pub mod operations;
pub mod session;
pub mod store;
pub mod tools;
pub mod workspace;

pub use error::{Error, ErrorKind, Result};
pub use workspace::env::Env;
