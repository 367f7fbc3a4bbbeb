//! `maestro-session-core`: every rule of maestro-session lives here.
//!
//! The executables (`maestro-session-hooks`, `maestro-session`) parse their input, call into
//! this crate and print; they hold no rule of their own. Below it is `maestro-session-fs`
//! (beneath-root resolution, durable replace, `O_APPEND` records, the lock, bounded reads);
//! above it `maestro-session-setup` (registering with the runtimes). Inside, imports go one
//! way: a folder uses only folders above it in this list (`tests/architecture.rs` fails on an
//! upward import):
//!
//! | folder | what it holds |
//! |---|---|
//! | [`workspace`] | project root, state dir, `.env`, git |
//! | [`session`] | the document, frontmatter flavours, the state machines, phase rules |
//! | [`operations`] | what each command does to a session |
//! | [`team`] | team sessions: members in tmux (and containers), worktrees, the team record |
//! | [`store`] | active and archived sessions, the index, listing, move intents, the event log, doctor |
//! | [`outputs`] | every JSON result of the command line and the MCP tools, with its schema |
//! | [`hooks`] | hook payloads, dialects, hook state, per-phase context |
//! | [`tools`] | the state tools and the MCP tools |
//!
//! [`error`], [`clock`], the environment snapshot [`env`](mod@crate::env) and the variable names [`env_vars`]
//! are used by all of them.

pub mod clock;
pub mod env;
pub mod env_vars;
pub mod error;
pub mod hooks;
pub mod operations;
pub mod outputs;
pub mod session;
pub mod store;
pub mod team;
pub mod tools;
pub mod workspace;

pub use env::Env;
pub use env_vars::EnvVars;
pub use error::{Error, ErrorKind, Result};
