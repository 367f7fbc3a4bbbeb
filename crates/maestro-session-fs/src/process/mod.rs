//! Which process is which: a process's parent, name and start time, and the boot it belongs
//! to. Used to record which runtime process owns the active session and to tell later whether
//! that very process is still running (`maestro_session_core::store::owner`), and to find the
//! runtime above a hook (`maestro_session_core::hooks::owner`).
//!
//! A pid can be reused after its process ends, so a process is named by (pid, start time) and
//! the boot: each platform reads them where its kernel keeps them, one module each:
//!
//! - Linux (and any other Unix with a Linux `/proc`): `procfs.rs` reads `/proc/<pid>/stat`;
//!   the start time is in clock ticks since boot, so the boot is named by
//!   `/proc/sys/kernel/random/boot_id`.
//! - macOS: `proc_pidinfo(PROC_PIDTBSDINFO)` (`<libproc.h>`); the start time is a wall-clock
//!   instant in µs since the Unix epoch, which already tells one boot's processes from
//!   another's, so the boot id is empty.
//! - Windows: a Toolhelp process snapshot (parents and executable names) and
//!   `GetProcessTimes` (the creation time, 100-ns intervals since 1601-01-01 UTC); the boot id
//!   is empty for the same reason as on macOS.
//!
//! A platform that has none of these (a Unix without `/proc`) finds no process ([`stat`] is
//! `Ok(None)`) and has no boot id ([`boot_id`] fails), so no owner is recorded there.

use std::path::PathBuf;

use crate::error::Result;
use crate::reader::{self, ReadKind};

#[cfg(not(any(target_os = "macos", windows)))]
mod procfs;
#[cfg(not(any(target_os = "macos", windows)))]
use procfs as imp;
#[cfg(not(any(target_os = "macos", windows)))]
pub use procfs::parse_stat;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
use macos as imp;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;
#[cfg(windows)]
pub(crate) use windows::alive;

/// One process: its pid, name, parent and start time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcStat {
    /// The process id.
    pub pid: u32,
    /// The command name: Linux's `comm` (at most 15 bytes, as the kernel truncates it),
    /// macOS's `pbi_name` (at most 32 bytes), on Windows the executable's file name without
    /// `.exe`.
    pub comm: String,
    /// The parent's process id (0 for none).
    pub ppid: u32,
    /// The start time, in the platform's unit (see the module): Linux clock ticks since boot
    /// (`/proc/<pid>/stat` field 22), macOS µs since the Unix epoch, Windows 100-ns intervals
    /// since 1601-01-01 UTC. Equal values of one pid in one boot are one process.
    pub start_ticks: u64,
}

/// The running process `pid`: `Ok(None)` when there is no such process, it has exited, or its
/// start time cannot be read (another user's process), which is treated the same: nothing to
/// match.
///
/// Errors: [`crate::error::Error::Io`] for any other failure to read it.
pub fn stat(pid: u32) -> Result<Option<ProcStat>> {
    imp::stat(pid)
}

/// The id of the current boot: Linux's `/proc/sys/kernel/random/boot_id` (a UUID), trimmed;
/// empty on macOS and Windows, whose start times are wall-clock instants (see the module).
///
/// Errors: [`crate::error::Error::Io`] ("read") when it cannot be read (no `/proc`).
pub fn boot_id() -> Result<String> {
    imp::boot_id()
}

/// The ancestors of this process, parent first, at most `max` of them. The walk stops at pid
/// 1 (or 0), at a process that is gone, and on Windows at a parent pid that now names a
/// process started after its child (the parent exited and its pid was reused).
///
/// Errors: [`crate::error::Error::Io`] when the processes cannot be read.
pub fn ancestors(max: usize) -> Result<Vec<ProcStat>> {
    #[cfg(windows)]
    {
        imp::ancestors(max)
    }
    #[cfg(unix)]
    {
        let mut out = Vec::new();
        let mut pid = std::os::unix::process::parent_id();
        while out.len() < max && pid > 1 {
            let Some(p) = stat(pid)? else { break };
            pid = p.ppid;
            out.push(p);
        }
        Ok(out)
    }
}

/// The live processes (state not `Z`) whose working directory is `dir` or lies beneath it:
/// (pid, cwd). Read from `/proc/<pid>/cwd` (`proc(5)`); processes whose cwd cannot be read
/// (another user's, or gone meanwhile) are not listed. Used before a team member's worktree is
/// removed (a zombie keeps its `/proc` entry but holds no folder, so it is not counted).
///
/// Errors: [`crate::error::Error::Io`] ("list") when `/proc` cannot be listed.
pub fn cwds_under(dir: &std::path::Path) -> Result<Vec<(u32, PathBuf)>> {
    let proc_dir = std::path::Path::new("/proc");
    #[allow(clippy::disallowed_methods)] // the fs layer: /proc is listed here and nowhere else
    let entries =
        std::fs::read_dir(proc_dir).map_err(|e| crate::error::Error::io("list", proc_dir, e))?;
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cwd) = std::fs::read_link(entry.path().join("cwd")) else {
            continue;
        };
        if !cwd.starts_with(dir) {
            continue;
        }
        let zombie = reader::read_path(&entry.path().join("stat"), ReadKind::PROC)
            .ok()
            .and_then(|b| {
                let t = String::from_utf8_lossy(&b).into_owned();
                let close = t.rfind(')')?;
                t.get(close + 1..)?
                    .split_ascii_whitespace()
                    .next()
                    .map(|s| s == "Z")
            })
            .unwrap_or(false);
        if !zombie {
            out.push((pid, cwd));
        }
    }
    Ok(out)
}

// The platforms' reads are tested across processes in `tests/process_identity.rs`.
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_read_after_the_last_parenthesis() {
        let line = "4242 (we ird) (x)) S 17 4242 4242 0 -1 4194304 100 0 0 0 1 2 0 0 20 0 1 0 \
                    987654 1000000 200 18446744073709551615";
        let p = parse_stat(line).expect("parses");
        assert_eq!(p.pid, 4242);
        assert_eq!(p.comm, "we ird) (x)");
        assert_eq!(p.ppid, 17);
        assert_eq!(p.start_ticks, 987654);
        assert_eq!(parse_stat("12 (x) S"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn a_process_working_in_a_folder_is_found_there() {
        let here = std::env::current_dir().expect("cwd");
        let found = cwds_under(&here).expect("scan");
        assert!(
            found.iter().any(|(pid, _)| *pid == std::process::id()),
            "{found:?}"
        );
        let elsewhere = cwds_under(std::path::Path::new("/nonexistent-folder-x")).expect("scan");
        assert!(elsewhere.is_empty());
    }
}
