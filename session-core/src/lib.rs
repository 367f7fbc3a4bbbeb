//! `session-core`: every rule of maestro-session lives here.
//!
//! The executables in `hooks/` and `session-cli/` parse their input, call into this crate and
//! print; they hold no rule of their own. See DESIGN.md section 1 for the map of modules.

pub mod beneath;
pub mod dotenv;
pub mod env;
pub mod error;
pub mod fsx;
pub mod lock;
pub mod paths;

pub use env::Env;
pub use error::{Error, ErrorKind, Result};
