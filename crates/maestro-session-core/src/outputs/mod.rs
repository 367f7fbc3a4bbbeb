//! The JSON the world reads from us: every `--json` result of the command line and every MCP
//! tool result is a `Serialize` type in this folder, with its JSON Schema derived by schemars
//! and checked in under `docs/schemas/<name>.json` ([`schemas::all`] lists them; a test fails
//! when a generated schema differs from the checked-in file, and the tests hold real outputs
//! to their schema).
//!
//! One folder for the concept, beside the logic rather than inside each operation: an output
//! is a contract with readers (scripts, models, Maestro's MCP clients), so its shape is read,
//! reviewed and versioned in one place, while the store and the operations return their own
//! reports, which these types wrap or rename (tuples become objects with named keys, so no
//! output is a bare array).
//!
//! | module | outputs |
//! |---|---|
//! | [`error`] | the one error object `{"error", "kind", …}` (CLI `--json` errors, unreadable files) |
//! | [`sessions`] | a session, its status, the list |
//! | [`lifecycle`] | archive, resume, cleanup |
//! | [`command`] | init, completions, setup, export, report, log, search |
//! | [`watch`] | the lines of `watch --json` |
//! | [`team`] | `team …` and MCP `get_team_status` |
//! | [`mcp`] | the MCP tools' results |
//! | [`schemas`] | every output's schema by the name of its file |
//!
//! Reports of the store and of `team` that are outputs as they are (`delete`, `doctor`,
//! `import`, the checkpoints, a team's status, actions and export) derive their schema where
//! they are defined and are listed in [`schemas`].

pub mod command;
pub mod error;
pub mod lifecycle;
pub mod mcp;
pub mod schemas;
pub mod sessions;
pub mod team;
pub mod watch;

pub use error::ErrorObject;
