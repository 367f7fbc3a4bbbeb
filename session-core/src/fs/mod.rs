//! File-system primitives, the only place that writes, renames or removes files.
//!
//! - [`beneath`]: a directory handle that resolves every path beneath it (`openat2(RESOLVE_BENEATH)`
//!   via cap-std), so no symlink or `..` leads out of the project.
//! - [`durable`]: durable replace (temp file, fsync, rename, directory fsync), bounded reads and
//!   the crash-injection points the kill tests use.
//! - [`lock`]: the state dir's advisory lock that names its holder.
//! - [`append`]: one-`write(2)` `O_APPEND` records (the event log), torn ends repaired.
pub mod append;
pub mod beneath;
pub mod durable;
pub mod lock;
