//! Processes on macOS, through `proc_pidinfo(pid, PROC_PIDTBSDINFO, …)` (`<libproc.h>`,
//! libSystem): one call gives a process's parent (`pbi_ppid`), names (`pbi_name`, at most 32
//! bytes, and `pbi_comm`, at most 16) and start time (`pbi_start_tvsec`, `pbi_start_tvusec`: a
//! wall-clock instant, kept here as µs since the Unix epoch). A zombie has no BSD info
//! (`ESRCH`), so it is not found, as on Linux where it is gone for the owner check.
//!
//! Why this module holds unsafe code (the workspace denies it elsewhere): `proc_pidinfo` has
//! no safe wrapper in the crates this project uses; the one call writes at most the size it
//! is given into a `proc_bsdinfo` this module owns.
#![allow(unsafe_code)]

use std::io;

use super::ProcStat;
use crate::error::{Error, Result};

/// The C string in `chars` up to its first NUL.
fn c_text(chars: &[libc::c_char]) -> String {
    let bytes: Vec<u8> = chars
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Running process `pid` from its BSD info; `Ok(None)` for no such process (or a zombie) and
/// for one this user may not inspect (`EPERM`).
pub fn stat(pid: u32) -> Result<Option<ProcStat>> {
    let Ok(raw_pid) = libc::c_int::try_from(pid) else {
        return Ok(None);
    };
    let size = size_of::<libc::proc_bsdinfo>();
    // SAFETY: proc_bsdinfo is plain integers and arrays, for which all zeros is a value.
    let mut info: libc::proc_bsdinfo = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is writable for `size` bytes, the most the call writes.
    let written = unsafe {
        libc::proc_pidinfo(
            raw_pid,
            libc::PROC_PIDTBSDINFO,
            0,
            (&mut info as *mut libc::proc_bsdinfo).cast(),
            size as libc::c_int,
        )
    };
    if written <= 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ESRCH | libc::EPERM) => Ok(None),
            _ => Err(Error::io(
                "read the BSD info of",
                format!("process {pid}"),
                e,
            )),
        };
    }
    if usize::try_from(written).ok() != Some(size) {
        return Ok(None);
    }
    let name = c_text(&info.pbi_name);
    let comm = if name.is_empty() {
        c_text(&info.pbi_comm)
    } else {
        name
    };
    Ok(Some(ProcStat {
        pid,
        comm,
        ppid: info.pbi_ppid,
        start_ticks: info
            .pbi_start_tvsec
            .saturating_mul(1_000_000)
            .saturating_add(info.pbi_start_tvusec),
    }))
}

/// macOS start times are wall-clock instants: no boot id is needed (empty).
pub fn boot_id() -> Result<String> {
    Ok(String::new())
}
