//! Appending one record to a log file in one `write(2)` (the event log, issue 11).
//!
//! Part of the fs layer: it opens files for writing, which `clippy.toml` allows only here, in
//! [`crate::durable`] and in [`crate::beneath`] (whose [`crate::beneath::Root::append`]
//! calls [`append_in`] with the root's folder handle, so the path is resolved beneath the root).
//!
//! Why not a durable replace: a log only grows, and many writers append to it, some of them
//! (the hooks) without the state lock and within a millisecond. `O_APPEND` makes each `write(2)`
//! land at the end of the file atomically with respect to other appenders, so whole records of
//! concurrent writers never interleave; the cost is one open and one write.
//!
//! A crash in the middle of a write can leave a torn last record (no final `\n`). Before writing,
//! the last byte of a non-empty file is checked: when it is not `\n`, the record is written with
//! a `\n` first, so it starts on a line of its own and the torn one stays a single, skippable line.
#![allow(clippy::disallowed_methods)]

use std::io::Write;
use std::path::Path;

use cap_std::fs::{Dir, OpenOptions};

use crate::error::{Error, IoContext, Result};
use crate::platform;

/// The variable that makes the next append write only its first N bytes and then kill the
/// process (SIGKILL), in builds with the `fault-injection` feature only (tests). Listed with
/// every other variable in `maestro_session_core::EnvVars`.
pub const CRASH_MID_APPEND_VAR: &str = "MAESTRO_CRASH_MID_APPEND";
use crate::durable::DescribeType;

/// What one append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Whether the file ended in a torn record, so a `\n` was written first.
    pub repaired_torn_end: bool,
    /// Whether the file was empty (or new) before this append.
    pub was_empty: bool,
}

/// Appends `record` (one line, `\n`-terminated by the caller) to `name` in the open folder `dir`
/// (path `shown` for messages), creating it with `mode` when missing. The file is opened
/// `O_WRONLY|O_APPEND|O_CREAT|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC` (read too, for the last-byte
/// check); anything but a regular file is refused without writing. With `sync` the data is
/// `fdatasync`ed, and a new file's folder is fsynced, before this returns.
///
/// Errors: [`Error::NotRegular`] for a symlink, FIFO, device or folder; [`Error::Io`] naming the
/// step (open for append, inspect, read last byte of, append to, fdatasync, fsync folder).
pub fn append_in(
    dir: &Dir,
    name: &Path,
    shown: &Path,
    record: &[u8],
    mode: u32,
    sync: bool,
) -> Result<Appended> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    platform::set_mode_cap(&mut options, mode);
    platform::untrusted_cap(&mut options, false);
    let file = dir.open_with(name, &options).map_err(|e| {
        if platform::is_symlink_refusal(&e) {
            Error::NotRegular {
                path: shown.to_path_buf(),
                what: "a symlink",
            }
        } else {
            Error::io("open for append", shown, e)
        }
    })?;
    let mut file = file.into_std();
    let meta = file.metadata().ctx("inspect", shown)?;
    if !meta.is_file() {
        return Err(Error::NotRegular {
            path: shown.to_path_buf(),
            what: meta.file_type().describe(),
        });
    }
    let len = meta.len();
    let mut last = [0u8; 1];
    let torn = len > 0
        && platform::read_at(&file, &mut last, len - 1)
            .ctx("read last byte of", shown)
            .map(|n| n == 1 && last[0] != b'\n')?;
    let mut bytes = Vec::with_capacity(record.len() + 1);
    if torn {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(record);
    if let Some(keep) = crash_point() {
        let _ = file.write_all(&bytes[..keep.min(bytes.len())]);
        let _ = file.sync_data();
        platform::kill_self();
    }
    // One write(2) for a regular file; `write_all` only loops if the kernel writes short
    // (a full disk, a signal), and each further write is again at the end.
    file.write_all(&bytes).ctx("append to", shown)?;
    if sync {
        file.sync_data().ctx("fdatasync", shown)?;
        if len == 0 {
            platform::sync_open_folder(dir).ctx("fsync folder", shown)?;
        }
    }
    Ok(Appended {
        repaired_torn_end: torn,
        was_empty: len == 0,
    })
}

#[cfg(feature = "fault-injection")]
fn crash_point() -> Option<usize> {
    // [`CRASH_MID_APPEND_VAR`]: write only the first N bytes, then SIGKILL (crash injection
    // for the kill-mid-append tests). Unset or not a number: no effect.
    std::env::var_os(CRASH_MID_APPEND_VAR)?
        .to_str()?
        .trim()
        .parse()
        .ok()
}

/// Without the `fault-injection` feature (every release build) the variable is never read.
#[cfg(not(feature = "fault-injection"))]
fn crash_point() -> Option<usize> {
    None
}
