//! Processes on Windows, through kernel32 (`windows-sys`).
//!
//! - Parents and executable names: a Toolhelp snapshot of the processes
//!   (`CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS)`, `Process32FirstW`/`Process32NextW`): the
//!   documented way to read another process's parent id and executable name.
//! - Start time and liveness: `OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE)`,
//!   `GetProcessTimes` (the creation time as a `FILETIME`, 100-ns intervals since
//!   1601-01-01 UTC) and `WaitForSingleObject(handle, 0)` (`WAIT_TIMEOUT` while it runs; a
//!   process object outlives its process while any handle to it is open, so an exited process
//!   is told by its signalled state, never by the open succeeding).
//! - A parent id is not updated when the parent exits, and pids are reused: a parent that was
//!   created after its child is not its parent, and the ancestry walk stops there (the check
//!   Microsoft documents for `th32ParentProcessID`).
//!
//! Why this module holds unsafe code (the workspace denies it elsewhere): these are plain
//! kernel32 calls with no safe wrapper in the crates this project uses, each on a buffer or
//! handle this module owns for the length of the call; every handle is closed by an
//! [`OwnedHandle`].
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::io;
use std::os::windows::io::{FromRawHandle, OwnedHandle, RawHandle};

use windows_sys::Win32::Foundation::{
    ERROR_INVALID_PARAMETER, FILETIME, HANDLE, INVALID_HANDLE_VALUE, WAIT_TIMEOUT,
};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};
use windows_sys::Win32::System::Threading::{
    GetProcessTimes, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_SYNCHRONIZE,
    WaitForSingleObject,
};

use super::ProcStat;
use crate::error::{Error, Result};

/// What the snapshot says of one process: (parent pid, executable name without `.exe`).
type Entry = (u32, String);

/// Every process in a Toolhelp snapshot, by pid.
fn snapshot() -> Result<HashMap<u32, Entry>> {
    // SAFETY: no pointer arguments; the result is checked before use.
    let raw = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) };
    if raw == INVALID_HANDLE_VALUE || raw.is_null() {
        return Err(os_error("list", "the processes (Toolhelp snapshot)"));
    }
    // SAFETY: `raw` is a valid handle this function owns from here on.
    let snap = unsafe { OwnedHandle::from_raw_handle(raw as RawHandle) };
    let mut entry = PROCESSENTRY32W {
        dwSize: size_of::<PROCESSENTRY32W>() as u32,
        ..PROCESSENTRY32W::default()
    };
    let mut out = HashMap::new();
    // SAFETY: `entry` is a PROCESSENTRY32W with dwSize set, writable for the call.
    let mut more = unsafe { Process32FirstW(handle(&snap), &mut entry) } != 0;
    while more {
        let len = entry
            .szExeFile
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(entry.szExeFile.len());
        let exe = String::from_utf16_lossy(&entry.szExeFile[..len]);
        out.insert(
            entry.th32ProcessID,
            (entry.th32ParentProcessID, stem(&exe).to_string()),
        );
        // SAFETY: as for Process32FirstW.
        more = unsafe { Process32NextW(handle(&snap), &mut entry) } != 0;
    }
    Ok(out)
}

/// `exe` without a final `.exe` in any case (`node.exe` → `node`).
fn stem(exe: &str) -> &str {
    match exe.len().checked_sub(4) {
        Some(cut)
            if exe
                .get(cut..)
                .is_some_and(|t| t.eq_ignore_ascii_case(".exe")) =>
        {
            exe.get(..cut).unwrap_or(exe)
        }
        _ => exe,
    }
}

/// The raw handle of `h` for a kernel32 call.
fn handle(h: &OwnedHandle) -> HANDLE {
    use std::os::windows::io::AsRawHandle;
    h.as_raw_handle() as HANDLE
}

/// The last OS error as [`Error::Io`] with `op` on `what`.
fn os_error(op: &'static str, what: &str) -> Error {
    Error::io(op, what, io::Error::last_os_error())
}

/// The creation time of running process `pid` (100-ns intervals since 1601): `Ok(None)` when
/// no such process runs or it may not be opened for querying (another user's, a protected
/// one).
fn started(pid: u32) -> Result<Option<u64>> {
    // SAFETY: no pointer arguments; the result is checked before use.
    let raw = unsafe {
        OpenProcess(
            PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_SYNCHRONIZE,
            0,
            pid,
        )
    };
    if raw.is_null() {
        return Ok(None);
    }
    // SAFETY: `raw` is a valid process handle this function owns from here on.
    let process = unsafe { OwnedHandle::from_raw_handle(raw as RawHandle) };
    // SAFETY: a valid handle; a zero timeout never blocks.
    if unsafe { WaitForSingleObject(handle(&process), 0) } != WAIT_TIMEOUT {
        // Signalled: the process has exited (only its object is left).
        return Ok(None);
    }
    let mut times = [FILETIME::default(); 4];
    let [created, exited, kernel, user] = &mut times;
    // SAFETY: four writable FILETIMEs owned here, a valid handle.
    let ok = unsafe { GetProcessTimes(handle(&process), created, exited, kernel, user) } != 0;
    if !ok {
        return Err(os_error(
            "read the start time of",
            &format!("process {pid}"),
        ));
    }
    Ok(Some(
        (u64::from(times[0].dwHighDateTime) << 32) | u64::from(times[0].dwLowDateTime),
    ))
}

/// Whether a process with `pid` is running: it can be opened and has not exited, or it
/// exists but may not be opened (another user's, which is not ours to judge dead). Only "no
/// such process" (`ERROR_INVALID_PARAMETER`) and an exited one read as not running.
pub(crate) fn alive(pid: i32) -> bool {
    let Ok(pid) = u32::try_from(pid) else {
        return false;
    };
    if pid == 0 {
        return false;
    }
    // SAFETY: no pointer arguments; the result is checked before use.
    let raw = unsafe { OpenProcess(PROCESS_SYNCHRONIZE, 0, pid) };
    if raw.is_null() {
        let e = io::Error::last_os_error();
        return e.raw_os_error() != Some(ERROR_INVALID_PARAMETER as i32);
    }
    // SAFETY: `raw` is a valid process handle this function owns from here on.
    let process = unsafe { OwnedHandle::from_raw_handle(raw as RawHandle) };
    // SAFETY: a valid handle; a zero timeout never blocks.
    unsafe { WaitForSingleObject(handle(&process), 0) == WAIT_TIMEOUT }
}

/// `pid` as `entry` says, with its start time; `None` when it no longer runs.
fn with_start(pid: u32, entry: &Entry) -> Result<Option<ProcStat>> {
    Ok(started(pid)?.map(|start_ticks| ProcStat {
        pid,
        comm: entry.1.clone(),
        ppid: entry.0,
        start_ticks,
    }))
}

/// Running process `pid`: its snapshot entry and start time.
pub fn stat(pid: u32) -> Result<Option<ProcStat>> {
    match snapshot()?.get(&pid) {
        Some(entry) => with_start(pid, entry),
        None => Ok(None),
    }
}

/// Windows start times are wall-clock instants: no boot id is needed (empty).
pub fn boot_id() -> Result<String> {
    Ok(String::new())
}

/// The parent chain from one snapshot, each parent checked to be older than its child.
pub fn ancestors(max: usize) -> Result<Vec<ProcStat>> {
    let all = snapshot()?;
    let me = std::process::id();
    let (Some(mut child_start), Some(mine)) = (started(me)?, all.get(&me)) else {
        return Ok(Vec::new());
    };
    let mut pid = mine.0;
    let mut out = Vec::new();
    while out.len() < max && pid != 0 && pid != me {
        let Some(entry) = all.get(&pid) else { break };
        let Some(p) = with_start(pid, entry)? else {
            break;
        };
        if p.start_ticks > child_start || out.iter().any(|q: &ProcStat| q.pid == p.pid) {
            // A reused pid (created after its "child"), or a loop: not an ancestor.
            break;
        }
        child_start = p.start_ticks;
        pid = p.ppid;
        out.push(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::stem;

    #[test]
    fn the_exe_suffix_goes_in_any_case() {
        assert_eq!(stem("node.exe"), "node");
        assert_eq!(stem("Claude.EXE"), "Claude");
        assert_eq!(stem("codex"), "codex");
        assert_eq!(stem(".exe"), "");
        assert_eq!(stem("ab"), "ab");
    }
}
