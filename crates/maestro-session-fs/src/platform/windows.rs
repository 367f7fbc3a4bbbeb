//! The Windows implementation of [`crate::platform`]: std's Windows extensions, cap-std and
//! winapi-util (no unsafe code of ours). What cannot hold here is listed in
//! `docs/platforms.md`.
#![allow(clippy::disallowed_methods)] // the fs layer: opens and renames are its job

use std::io;
use std::os::windows::fs::OpenOptionsExt as _;

use cap_std::fs::{Dir, OpenOptionsExt as _};

/// The environment variables that name the temporary folder, in order of preference:
/// `TMPDIR` (set by POSIX shells on Windows, and by the tests), then Windows' own `TMP` and
/// `TEMP`, in the order `GetTempPathW` reads them (both name the user's `%LOCALAPPDATA%\Temp`
/// on a standard install).
pub const TEMP_VARS: &[&str] = &["TMPDIR", "TMP", "TEMP"];

/// The temporary folder when none of [`TEMP_VARS`] is set (the system's).
pub const DEFAULT_TEMP: &str = r"C:\Windows\Temp";

/// Whether the temporary folder is the user's own: on Windows `%TEMP%` is under the user's
/// profile, so the hook base is `%TEMP%\maestro-hooks` (there is no shared `/tmp`).
pub const TEMP_IS_PER_USER: bool = true;

/// `FILE_FLAG_OPEN_REPARSE_POINT`: open a symlink (a reparse point) itself, not its target,
/// so the type check on the handle sees the link and refuses it.
const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
/// `FILE_FLAG_BACKUP_SEMANTICS`: needed to open a folder.
const FILE_FLAG_BACKUP_SEMANTICS: u32 = 0x0200_0000;
/// `FILE_WRITE_ATTRIBUTES`: enough access to set a folder's times.
const FILE_WRITE_ATTRIBUTES: u32 = 0x0100;
/// `ERROR_CANT_ACCESS_FILE`, what opening some reparse points without following gives.
const ERROR_CANT_ACCESS_FILE: i32 = 1920;
/// `ERROR_CANT_RESOLVE_FILENAME`: a symlink loop.
const ERROR_CANT_RESOLVE_FILENAME: i32 = 1921;
/// `ERROR_INVALID_PARAMETER` (the pid of a process that is not running).
const ERROR_INVALID_PARAMETER: i32 = 87;

/// Windows has no FIFOs that a path opens, and no `O_NONBLOCK`; with `follow` off a final
/// symlink is opened as itself (`FILE_FLAG_OPEN_REPARSE_POINT`) and refused by the caller's
/// type check.
pub fn untrusted_std(
    options: &mut std::fs::OpenOptions,
    follow: bool,
) -> &mut std::fs::OpenOptions {
    if follow {
        options
    } else {
        options.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
    }
}

/// As [`untrusted_std`] for cap-std's options.
pub fn untrusted_cap(
    options: &mut cap_std::fs::OpenOptions,
    follow: bool,
) -> &mut cap_std::fs::OpenOptions {
    if follow {
        options
    } else {
        options.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
    }
}

/// No modes on Windows: a new file inherits its folder's ACL.
pub fn set_mode_std(options: &mut std::fs::OpenOptions, _mode: u32) -> &mut std::fs::OpenOptions {
    options
}

/// No modes on Windows: a new file inherits its folder's ACL.
pub fn set_mode_cap(
    options: &mut cap_std::fs::OpenOptions,
    _mode: u32,
) -> &mut cap_std::fs::OpenOptions {
    options
}

/// Windows has no mode bits: 0o600 for a file, 0o700 for a folder (what the folder's ACL
/// gives its owner), so a mode carried over on a replace is the same everywhere.
pub fn mode_of(meta: &cap_std::fs::Metadata) -> u32 {
    if meta.is_dir() { 0o700 } else { 0o600 }
}

/// No modes on Windows: nothing to set.
pub fn set_file_mode(_file: &cap_std::fs::File, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Creates the folder `path` (and its parents when `recursive` is set); it inherits the ACL
/// of its parent (under the user's profile, private to the user).
pub fn create_private_dir(path: &std::path::Path, recursive: bool) -> io::Result<()> {
    std::fs::DirBuilder::new().recursive(recursive).create(path)
}

/// Opens the folder `path` (a final symlink as itself) so its times can be set.
pub fn open_dir_for_times(path: &std::path::Path) -> io::Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .access_mode(FILE_WRITE_ATTRIBUTES)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_dir() || meta.file_type().is_symlink() {
        return Err(io::Error::new(io::ErrorKind::NotADirectory, "not a folder"));
    }
    Ok(file)
}

/// Reads into `buf` from `offset` of `file` (`seek_read`: the handle's position moves, which
/// no caller relies on).
pub fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

/// Writes all of `bytes` at `offset` of `file`.
pub fn write_all_at(file: &std::fs::File, mut bytes: &[u8], mut offset: u64) -> io::Result<()> {
    while !bytes.is_empty() {
        match std::os::windows::fs::FileExt::seek_write(file, bytes, offset) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) => {
                bytes = &bytes[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The identity of the open `file`: `(volume serial number, file index)`
/// (`GetFileInformationByHandle`).
pub fn file_identity(file: &std::fs::File) -> io::Result<(u64, u64)> {
    let info = winapi_util::file::information(file)?;
    Ok((info.volume_serial_number(), info.file_index()))
}

/// Std's metadata on Windows does not carry the identity (that API is unstable): `None`;
/// callers open the file and use [`file_identity`].
pub fn metadata_identity(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// No inode number in cap-std's Windows metadata: 0 (caches then key by size and mtime).
pub fn cap_inode(_meta: &cap_std::fs::Metadata) -> u64 {
    0
}

/// A folder cannot be flushed on Windows (`FlushFileBuffers` needs a writable file); NTFS
/// journals the rename itself. Nothing to do.
pub fn sync_open_folder(_dir: &Dir) -> io::Result<()> {
    Ok(())
}

/// As [`sync_open_folder`]: nothing to do on Windows.
pub fn sync_folder(_path: &std::path::Path) -> io::Result<()> {
    Ok(())
}

/// Moves `from_name` in `from` to `to_name` in `to`. With `overwrite` the target is replaced
/// (`MoveFileExW(MOVEFILE_REPLACE_EXISTING)` through std). Without it a file is hard-linked to
/// the new name (which fails with `AlreadyExists` when taken) and the old name removed; a
/// folder is checked to be absent, then moved (a race another writer could win: Windows has
/// no no-replace rename of folders).
pub fn rename_in(
    from: &Dir,
    from_name: &str,
    to: &Dir,
    to_name: &str,
    overwrite: bool,
) -> io::Result<()> {
    if overwrite {
        if std::ptr::eq(from, to) {
            return replace_in(from, from_name, to_name);
        }
        return from.rename(from_name, to, to_name);
    }
    let meta = from.symlink_metadata(from_name)?;
    if meta.is_file() {
        from.hard_link(from_name, to, to_name)?;
        return from.remove_file(from_name);
    }
    if to.symlink_metadata(to_name).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the target exists",
        ));
    }
    from.rename(from_name, to, to_name)
}

/// Whether a process with `pid` is running (`crate::process`'s Windows module: the process
/// can be opened and has not exited, or exists but is another user's).
pub fn process_alive(pid: i32) -> bool {
    crate::process::alive(pid)
}

/// Ends this process at once (crash injection in tests).
pub fn kill_self() {
    std::process::abort();
}

/// Windows has no uid: every file under the user's profile is the user's (0 here and in
/// [`Ownership::owner`]).
pub fn user_id() -> u32 {
    0
}

/// Metadata that names an owner and permission bits: std's and cap-std's. On Windows the
/// owner is the running user and nothing is shared-writable (ACLs are not read; see
/// `docs/platforms.md`).
pub trait Ownership {
    /// The owner's user id (always [`user_id`]).
    fn owner(&self) -> u32 {
        user_id()
    }
    /// Whether group or others may write it (never, as far as modes go).
    fn shared_writable(&self) -> bool {
        false
    }
    /// The permission bits, for messages.
    fn mode_bits(&self) -> u32 {
        0o700
    }
}

impl Ownership for std::fs::Metadata {}
impl Ownership for cap_std::fs::Metadata {}

/// The owner's user id of `meta` (see [`Ownership`]).
pub fn owner_of(meta: &impl Ownership) -> u32 {
    meta.owner()
}

/// Whether group or others may write `meta`'s file.
pub fn shared_writable(meta: &impl Ownership) -> bool {
    meta.shared_writable()
}

/// No device numbers in std's Windows metadata: `None` (walks do not stop at volumes).
pub fn device_of(_meta: &std::fs::Metadata) -> Option<u64> {
    None
}

/// Whether an open error means a final symlink was refused.
pub fn is_symlink_refusal(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(ERROR_CANT_ACCESS_FILE | ERROR_CANT_RESOLVE_FILENAME)
    )
}

/// Cap-std names an escape in its message on Windows; no OS code means it.
pub fn is_cross_device(_e: &io::Error) -> bool {
    false
}

/// Whether an error means the process is gone.
pub fn is_no_such_process(e: &io::Error) -> bool {
    e.raw_os_error() == Some(ERROR_INVALID_PARAMETER)
}

/// No device numbers on Windows: `(0, 0)`.
pub fn major_minor(_dev: u64) -> (u32, u32) {
    (0, 0)
}

/// Windows paths open no FIFOs, sockets or devices as files: all false.
pub fn special_kind_std(_ft: &std::fs::FileType) -> (bool, bool, bool) {
    (false, false, false)
}

/// As [`special_kind_std`].
pub fn special_kind_cap(_ft: &cap_std::fs::FileType) -> (bool, bool, bool) {
    (false, false, false)
}

/// Whether a folder can be opened and flushed: no on Windows (see [`sync_open_folder`]).
pub const FOLDERS_SYNC: bool = false;

/// The access a handle needs for a later flush: `FlushFileBuffers` needs write access on
/// Windows (a read-only handle gets `ERROR_ACCESS_DENIED`). Nothing is written through it.
pub fn sync_access(options: &mut cap_std::fs::OpenOptions) -> &mut cap_std::fs::OpenOptions {
    options.write(true)
}

/// `ERROR_ACCESS_DENIED`: also what opening a folder as a file gives.
const ERROR_ACCESS_DENIED: i32 = 5;

/// Whether an open error may mean the path is a folder opened as a file: Windows refuses that
/// open with `ERROR_ACCESS_DENIED` (a folder opens only with `FILE_FLAG_BACKUP_SEMANTICS`), so
/// the caller checks the path's type to name it.
pub fn may_be_folder_refusal(e: &io::Error) -> bool {
    e.raw_os_error() == Some(ERROR_ACCESS_DENIED)
}

/// `ERROR_SHARING_VIOLATION`.
const ERROR_SHARING_VIOLATION: i32 = 32;
/// How long [`replace_in`] keeps retrying a replace another handle blocks, in ms.
const REPLACE_RETRY_MS: u64 = 2_000;

/// Renames `from_name` over `to_name` in the folder `dir`. Windows refuses to replace a file
/// while another handle has it open without `FILE_SHARE_DELETE`, or (wine, older Windows
/// without POSIX rename semantics) open at all, with `ERROR_ACCESS_DENIED` or
/// `ERROR_SHARING_VIOLATION`; readers hold the session file for a moment, so the replace is
/// retried, backing off from 1 ms to 64 ms, for up to 2 s ([`REPLACE_RETRY_MS`]) before the
/// error is returned. The old file stays whole until the rename succeeds.
pub fn replace_in(dir: &Dir, from_name: &str, to_name: &str) -> io::Result<()> {
    let start = std::time::Instant::now();
    let mut pause_ms = 1;
    loop {
        match dir.rename(from_name, dir, to_name) {
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(ERROR_ACCESS_DENIED | ERROR_SHARING_VIOLATION)
                ) && start.elapsed() < std::time::Duration::from_millis(REPLACE_RETRY_MS) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(pause_ms));
                pause_ms = (pause_ms * 2).min(64);
            }
            other => return other,
        }
    }
}
