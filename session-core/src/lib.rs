//! `session-core`: every rule of maestro-session lives here.
//!
//! The executables in `hooks/` and `session-cli/` parse their input, call into this crate and
//! print; they hold no rule of their own. See DESIGN.md section 1 for the map of modules.

pub mod agent;
pub mod beneath;
pub mod clock;
pub mod document;
pub mod dotenv;
pub mod env;
pub mod error;
pub mod fsx;
pub mod gemini_commands;
pub mod gemini_policy;
pub mod git;
pub mod handoff;
pub mod hook_context;
pub mod hook_events;
pub mod hook_io;
pub mod hook_state;
pub mod integration;
pub mod intent;
mod json_emit;
pub mod lifecycle;
pub mod list_index;
pub mod listing;
pub mod lock;
pub mod mcp_tools;
pub mod model;
pub mod operations;
pub mod orchestration_log;
pub mod paths;
pub mod plan;
pub mod schema;
pub mod session_file;
pub mod session_id;
pub mod state_tools;
pub mod store;
pub mod yaml_emit;
mod yaml_splice;

pub use env::Env;
pub use error::{Error, ErrorKind, Result};
