//! What Linux's `/proc` says about a process: its parent, name and start time, and the boot it
//! belongs to. Where there is no `/proc` (macOS, Windows) no process is found ([`stat`] is
//! `Ok(None)`, [`ancestors`] empty) and [`boot_id`] fails, so no owner is recorded there
//! (`docs/platforms.md`). Used to record which runtime process owns the active session and to tell later
//! whether that very process is still running (`crate::store::owner`).
//!
//! Sources (Linux `proc(5)`): `/proc/<pid>/stat` is `pid (comm) state ppid …`, where `comm`
//! (at most 15 bytes) may itself hold spaces and parentheses, so the fields are read after the
//! *last* `)`: `ppid` is field 4 and `starttime` field 22 (clock ticks since boot). A pid can be
//! reused after its process ends; (pid, start ticks) names one process within one boot, and
//! `/proc/sys/kernel/random/boot_id` (a UUID, new at each boot) names the boot.

use std::path::PathBuf;

use crate::error::Result;
use crate::reader::{self, ReadKind};

/// One process as `/proc/<pid>/stat` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcStat {
    /// The process id.
    pub pid: u32,
    /// The command name (`comm`, at most 15 bytes, as the kernel truncates it).
    pub comm: String,
    /// The parent's process id (0 for the kernel's own).
    pub ppid: u32,
    /// Start time in clock ticks since boot (field 22).
    pub start_ticks: u64,
}

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
/// the file has an unexpected shape, which is treated the same: nothing to match).
///
/// Errors: [`crate::error::Error::Io`] ("read") for any other failure to read it.
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

/// The current boot's id (`/proc/sys/kernel/random/boot_id`, a UUID), trimmed.
///
/// Errors: [`crate::error::Error::Io`] ("read") when it cannot be read (no `/proc`).
pub fn boot_id() -> Result<String> {
    let path = std::path::Path::new("/proc/sys/kernel/random/boot_id");
    let bytes = reader::read_path(path, ReadKind::PROC)?;
    Ok(String::from_utf8_lossy(&bytes).trim().to_string())
}

/// The ancestors of this process, parent first, at most `max` of them (the walk stops at pid 1
/// or at a process that is gone).
///
/// Errors: [`crate::error::Error::Io`] when a `stat` file cannot be read.
pub fn ancestors(max: usize) -> Result<Vec<ProcStat>> {
    let mut out = Vec::new();
    let mut pid = crate::platform::parent_pid();
    while out.len() < max && pid > 1 {
        let Some(p) = stat(pid)? else { break };
        pid = p.ppid;
        out.push(p);
    }
    Ok(out)
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

#[cfg(test)]
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
    fn this_process_and_its_ancestry_are_found() {
        let me = stat(std::process::id()).expect("read").expect("running");
        assert_eq!(me.pid, std::process::id());
        assert_eq!(me.ppid, std::os::unix::process::parent_id());
        let again = stat(me.pid).expect("read").expect("running");
        assert_eq!(again.start_ticks, me.start_ticks, "start time is stable");
        let up = ancestors(3).expect("ancestry");
        assert_eq!(up.first().map(|p| p.pid), Some(me.ppid));
        assert!(!boot_id().expect("boot id").is_empty());
        assert_eq!(stat(u32::MAX - 1).expect("no such pid"), None);
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
