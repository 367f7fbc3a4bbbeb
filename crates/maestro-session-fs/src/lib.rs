//! `maestro-session-fs`: the file-system layer of maestro-session, the only code that reads,
//! writes, renames or removes files (`clippy.toml` disallows those calls everywhere else). It
//! knows nothing of sessions: it gives the layer above (`maestro-session-core`) roots it cannot
//! leave, durable writes, bounded reads and a lock that names its holder.
//!
//! - [`beneath`]: a directory handle that resolves every path beneath it (`openat2(RESOLVE_BENEATH)`
//!   via cap-std), so no symlink or `..` leads out of the project.
//! - [`reader`]: the one reader: regular files only, opened without blocking, a cap per kind,
//!   no file content in errors.
//! - [`durable`]: durable replace (temp file, fsync, rename, directory fsync) and the
//!   crash-injection points the kill tests use.
//! - [`lock`]: the state dir's advisory lock that names its holder.
//! - [`process`]: a process's parent, name and start time, and the boot id (`/proc` on Linux,
//!   `proc_pidinfo` on macOS, Toolhelp and `GetProcessTimes` on Windows).
//! - [`append`]: one-`write(2)` `O_APPEND` records (the event log), torn ends repaired.
//! - [`in_place`]: byte ranges read, and overwritten in place without changing a file's length.
//! - [`canonical`]: a path with symlinks resolved, spelled as users spell paths (no `\\?\` on
//!   Windows).
pub mod append;
pub mod beneath;
pub mod canonical;
pub mod durable;
pub mod error;
pub mod in_place;
pub mod lock;
pub mod platform;
pub mod process;
pub mod reader;

pub use error::{Error, IoContext, Result};
