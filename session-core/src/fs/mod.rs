//! File-system primitives, the only place that reads, writes, renames or removes files.
//!
//! - [`beneath`]: a directory handle that resolves every path beneath it (`openat2(RESOLVE_BENEATH)`
//!   via cap-std), so no symlink or `..` leads out of the project.
//! - [`reader`]: the one reader: regular files only, opened without blocking, a cap per kind,
//!   no file content in errors.
//! - [`durable`]: durable replace (temp file, fsync, rename, directory fsync) and the
//!   crash-injection points the kill tests use.
//! - [`lock`]: the state dir's advisory lock that names its holder.
//! - [`process`]: a process's parent, name and start time, and the boot id, from `/proc`.
//! - [`append`]: one-`write(2)` `O_APPEND` records (the event log), torn ends repaired.
pub mod append;
pub mod beneath;
pub mod durable;
pub mod lock;
pub mod process;
pub mod reader;
