//! Processes from Linux's `/proc` (`proc(5)`).
//!
//! `/proc/<pid>/stat` is `pid (comm) state ppid …`, where `comm` (at most 15 bytes) may itself
//! hold spaces and parentheses, so the fields are read after the *last* `)`: `ppid` is field 4
//! and `starttime` field 22 (clock ticks since boot). (pid, start ticks) names one process
//! within one boot, and `/proc/sys/kernel/random/boot_id` (a UUID, new at each boot) names the
//! boot.

use std::path::{Path, PathBuf};

use super::ProcStat;
use crate::error::Result;
use crate::reader::{self, ReadKind};

/// Parses the text of a `/proc/<pid>/stat` file; `None` when it does not have the shape.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text.get(..open)?.trim().parse().ok()?;
    let comm = text.get(open + 1..close)?.to_string();
    // After ") ": field 3 (state) is index 0, so field N is index N - 3.
    let rest: Vec<&str> = text.get(close + 1..)?.split_ascii_whitespace().collect();
    let ppid = rest.get(4 - 3)?.parse().ok()?;
    let start_ticks = rest.get(22 - 3)?.parse().ok()?;
    Some(ProcStat {
        pid,
        comm,
        ppid,
        start_ticks,
    })
}

/// The `/proc/<pid>/stat` of a running process: `Ok(None)` when there is no such process (or
/// the file has an unexpected shape, which is treated the same).
pub fn stat(pid: u32) -> Result<Option<ProcStat>> {
    let path = PathBuf::from(format!("/proc/{pid}/stat"));
    match reader::read_path(&path, ReadKind::PROC) {
        Ok(bytes) => Ok(std::str::from_utf8(&bytes).ok().and_then(parse_stat)),
        Err(e) if e.is_not_found() => Ok(None),
        // ESRCH: the process ended while the file was read.
        Err(crate::error::Error::Io { source, .. })
            if crate::platform::is_no_such_process(&source) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// `/proc/sys/kernel/random/boot_id`, trimmed.
pub fn boot_id() -> Result<String> {
    let bytes = reader::read_path(Path::new("/proc/sys/kernel/random/boot_id"), ReadKind::PROC)?;
    Ok(String::from_utf8_lossy(&bytes).trim().to_string())
}
