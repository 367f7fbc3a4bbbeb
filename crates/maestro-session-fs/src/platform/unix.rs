//! The Unix implementation of [`crate::platform`] (Linux, macOS): rustix and std's Unix
//! extensions.
#![allow(clippy::disallowed_methods)] // the fs layer: opens and renames are its job

use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt as _};

use cap_std::fs::{Dir, OpenOptionsExt as _};

/// The environment variables that name the temporary folder, in order of preference
/// (`TMPDIR`, POSIX).
pub const TEMP_VARS: &[&str] = &["TMPDIR"];

/// The temporary folder when none of [`TEMP_VARS`] is set.
pub const DEFAULT_TEMP: &str = "/tmp";

/// Whether the temporary folder is the user's own: on Unix `/tmp` is shared by every user, so
/// the hook base is the fixed `/tmp/maestro-hooks` Maestro's hooks use (checked to be private).
pub const TEMP_IS_PER_USER: bool = false;

/// Open flags for a file whose type is not trusted: `O_NONBLOCK` so opening a FIFO never waits
/// for a writer, `O_NOCTTY` so a terminal never becomes ours, and with `follow` off
/// `O_NOFOLLOW` (a final symlink fails with `ELOOP`).
fn untrusted_flags(follow: bool) -> i32 {
    let mut flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
    if !follow {
        flags |= rustix::fs::OFlags::NOFOLLOW;
    }
    flags.bits() as i32
}

/// Adds the untrusted-file flags (see the module) to std's `options`.
pub fn untrusted_std(
    options: &mut std::fs::OpenOptions,
    follow: bool,
) -> &mut std::fs::OpenOptions {
    options.custom_flags(untrusted_flags(follow))
}

/// Adds the untrusted-file flags to cap-std's `options`.
pub fn untrusted_cap(
    options: &mut cap_std::fs::OpenOptions,
    follow: bool,
) -> &mut cap_std::fs::OpenOptions {
    options.custom_flags(untrusted_flags(follow))
}

/// Sets the mode (e.g. 0o600) a file created by std's `options` gets.
pub fn set_mode_std(options: &mut std::fs::OpenOptions, mode: u32) -> &mut std::fs::OpenOptions {
    options.mode(mode)
}

/// Sets the mode a file created by cap-std's `options` gets.
pub fn set_mode_cap(
    options: &mut cap_std::fs::OpenOptions,
    mode: u32,
) -> &mut cap_std::fs::OpenOptions {
    options.mode(mode)
}

/// The permission bits (`& 0o7777`) of a file cap-std inspected.
pub fn mode_of(meta: &cap_std::fs::Metadata) -> u32 {
    use cap_std::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o7777
}

/// Sets the permission bits of the open `file` (umask does not apply).
pub fn set_file_mode(file: &cap_std::fs::File, mode: u32) -> io::Result<()> {
    use cap_std::fs::PermissionsExt as _;
    file.set_permissions(cap_std::fs::Permissions::from_mode(mode))
}

/// Creates the folder `path` with mode 0700, and its parents when `recursive` is set.
pub fn create_private_dir(path: &std::path::Path, recursive: bool) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(recursive)
        .mode(0o700)
        .create(path)
}

/// Opens the folder `path` (not following a final symlink) so its times can be set.
pub fn open_dir_for_times(path: &std::path::Path) -> io::Result<std::fs::File> {
    let flags = rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::NOFOLLOW;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
}

/// Reads into `buf` from `offset` of `file`; returns how many bytes were read.
pub fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    file.read_at(buf, offset)
}

/// Writes all of `bytes` at `offset` of `file`.
pub fn write_all_at(file: &std::fs::File, bytes: &[u8], offset: u64) -> io::Result<()> {
    file.write_all_at(bytes, offset)
}

/// The identity of the open `file`: `(st_dev, st_ino)`.
pub fn file_identity(file: &std::fs::File) -> io::Result<(u64, u64)> {
    let meta = file.metadata()?;
    Ok((meta.dev(), meta.ino()))
}

/// The identity of an inspected file, `(st_dev, st_ino)`; `None` where the platform's
/// metadata does not carry it (Windows).
pub fn metadata_identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    Some((meta.dev(), meta.ino()))
}

/// The inode number of an entry cap-std inspected (0 where the platform has none).
pub fn cap_inode(meta: &cap_std::fs::Metadata) -> u64 {
    use cap_std::fs::MetadataExt as _;
    meta.ino()
}

/// Fsyncs the open folder `dir`. `cap-std` holds folders as `O_PATH` descriptors on Linux,
/// which cannot be synced, so the folder is reopened for reading first (beneath itself: `.`).
pub fn sync_open_folder(dir: &Dir) -> io::Result<()> {
    dir.open(".")?.sync_all()
}

/// Fsyncs the folder at `path`.
pub fn sync_folder(path: &std::path::Path) -> io::Result<()> {
    std::fs::File::open(path)?.sync_all()
}

/// Moves `from_name` in `from` to `to_name` in `to`; with `overwrite` off an existing target
/// is never replaced (`renameat2(RENAME_NOREPLACE)` on Linux, `renameatx_np(RENAME_EXCL)` on
/// macOS) and the error's kind is `AlreadyExists`.
pub fn rename_in(
    from: &Dir,
    from_name: &str,
    to: &Dir,
    to_name: &str,
    overwrite: bool,
) -> io::Result<()> {
    let flags = if overwrite {
        rustix::fs::RenameFlags::empty()
    } else {
        rustix::fs::RenameFlags::NOREPLACE
    };
    rustix::fs::renameat_with(from, from_name, to, to_name, flags).map_err(io::Error::from)
}

/// Whether a process with `pid` exists (`kill(pid, 0)`); a process we may not signal exists.
/// A pid of 0 or below names no one process (`kill` would test a process group or every
/// process), so it is never running; a lock record or file name may hold any number.
pub fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e != rustix::io::Errno::SRCH,
    }
}

/// Ends this process at once, as a kill would (crash injection in tests).
pub fn kill_self() {
    let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
}

/// The id of the user running this process (`getuid`).
pub fn user_id() -> u32 {
    rustix::process::getuid().as_raw()
}

/// Metadata that names an owner and permission bits: std's and cap-std's.
pub trait Ownership {
    /// The owner's user id.
    fn owner(&self) -> u32;
    /// Whether group or others may write it (mode `& 0o022`).
    fn shared_writable(&self) -> bool;
    /// The permission bits (`& 0o777`), for messages.
    fn mode_bits(&self) -> u32;
}

impl Ownership for std::fs::Metadata {
    fn owner(&self) -> u32 {
        self.uid()
    }
    fn shared_writable(&self) -> bool {
        self.mode() & 0o022 != 0
    }
    fn mode_bits(&self) -> u32 {
        self.mode() & 0o777
    }
}

impl Ownership for cap_std::fs::Metadata {
    fn owner(&self) -> u32 {
        cap_std::fs::MetadataExt::uid(self)
    }
    fn shared_writable(&self) -> bool {
        cap_std::fs::MetadataExt::mode(self) & 0o022 != 0
    }
    fn mode_bits(&self) -> u32 {
        cap_std::fs::MetadataExt::mode(self) & 0o777
    }
}

/// The owner's user id of `meta` (see [`Ownership`]).
pub fn owner_of(meta: &impl Ownership) -> u32 {
    meta.owner()
}

/// Whether group or others may write `meta`'s file.
pub fn shared_writable(meta: &impl Ownership) -> bool {
    meta.shared_writable()
}

/// The device of an inspected file (`st_dev`), for "stop at a file-system boundary" walks.
pub fn device_of(meta: &std::fs::Metadata) -> Option<u64> {
    Some(meta.dev())
}

/// Whether an open error means a final symlink was refused (`ELOOP` under `O_NOFOLLOW`).
pub fn is_symlink_refusal(e: &io::Error) -> bool {
    e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
}

/// Whether an error means a path crossed out of a root (`EXDEV` from `openat2`).
pub fn is_cross_device(e: &io::Error) -> bool {
    e.raw_os_error() == Some(rustix::io::Errno::XDEV.raw_os_error())
}

/// Whether an error means the process is gone (`ESRCH`).
pub fn is_no_such_process(e: &io::Error) -> bool {
    e.raw_os_error() == Some(rustix::io::Errno::SRCH.raw_os_error())
}

/// The `(major, minor)` numbers of device `dev`.
pub fn major_minor(dev: u64) -> (u32, u32) {
    // `dev_t` is u64 on Linux, i32 on macOS: rustix takes the platform's.
    #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
    let d = dev as rustix::fs::Dev;
    (rustix::fs::major(d), rustix::fs::minor(d))
}

/// Whether std's file type `ft` is `(a FIFO, a socket, a device)`.
pub fn special_kind_std(ft: &std::fs::FileType) -> (bool, bool, bool) {
    use std::os::unix::fs::FileTypeExt as _;
    (
        ft.is_fifo(),
        ft.is_socket(),
        ft.is_char_device() || ft.is_block_device(),
    )
}

/// Whether cap-std's file type `ft` is `(a FIFO, a socket, a device)`.
pub fn special_kind_cap(ft: &cap_std::fs::FileType) -> (bool, bool, bool) {
    use cap_std::fs::FileTypeExt as _;
    (
        ft.is_fifo(),
        ft.is_socket(),
        ft.is_char_device() || ft.is_block_device(),
    )
}

/// Whether a folder can be opened and flushed (`fsync` of a folder): yes on Unix.
pub const FOLDERS_SYNC: bool = true;

/// The access a handle needs for a later `fdatasync`/`fsync`: reading is enough on Unix.
pub fn sync_access(options: &mut cap_std::fs::OpenOptions) -> &mut cap_std::fs::OpenOptions {
    options.read(true)
}

/// Whether an open error may mean the path is a folder opened as a file: never on Unix (a
/// folder opens for reading, and the type check on the descriptor names it).
pub fn may_be_folder_refusal(_e: &io::Error) -> bool {
    false
}

/// Renames `from_name` over `to_name` in the folder `dir` (`renameat`: atomic, whoever has the
/// old file open keeps reading it).
pub fn replace_in(dir: &Dir, from_name: &str, to_name: &str) -> io::Result<()> {
    dir.rename(from_name, dir, to_name)
}
