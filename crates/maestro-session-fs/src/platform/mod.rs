//! The one home of platform differences: everything the other fs modules and the layers above
//! need that Unix and Windows do differently, behind one API, with a `unix` and a `windows`
//! implementation (`docs/platforms.md` lists what cannot hold on each platform and why).
//!
//! - Opening a file whose type is not trusted: never blocking, a final symlink refused
//!   ([`untrusted_std`], [`untrusted_cap`]).
//! - Owner-only permissions: modes on Unix ([`set_mode_std`], [`set_mode_cap`],
//!   [`mode_of`], [`set_file_mode`]); on Windows a file inherits its folder's ACL (the
//!   per-user profile's temp folder and the project), so modes are not applied.
//! - Positional reads and writes ([`read_at`], [`write_all_at`]).
//! - File identity ([`file_identity`]): `(st_dev, st_ino)` on Unix, `(volume serial number,
//!   file index)` on Windows.
//! - Folder durability ([`sync_open_folder`]): `fsync` of the folder on Unix; on Windows a
//!   folder cannot be flushed (NTFS journals its metadata), so it is a no-op.
//! - Durable rename without replacing ([`rename_in`]): `renameat2(RENAME_NOREPLACE)` on
//!   Linux, `renameatx_np(RENAME_EXCL)` on macOS (through rustix), a hard link then removal
//!   of the old name on Windows (a folder: checked, then moved).
//! - Process liveness ([`process_alive`]) and the user's id ([`user_id`], [`owner_of`],
//!   [`shared_writable`]).
//! - Error classification ([`is_symlink_refusal`], [`is_cross_device`]).

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

/// Whether an I/O error says a folder could not be removed because it is not an empty folder
/// (it holds something, or is not a folder): the same on every platform through
/// [`std::io::ErrorKind`].
pub fn is_not_empty_folder(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::DirectoryNotEmpty
            | std::io::ErrorKind::AlreadyExists
            | std::io::ErrorKind::NotADirectory
    )
}

/// A file's modification time as `(whole seconds, nanoseconds within the second)` since the
/// Unix epoch (negative seconds before it); `(0, 0)` when the platform cannot tell.
pub fn mtime_parts(modified: std::io::Result<std::time::SystemTime>) -> (i64, i64) {
    let Ok(t) = modified else { return (0, 0) };
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            i64::from(d.subsec_nanos()),
        ),
        Err(e) => (
            -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
            i64::from(e.duration().subsec_nanos()),
        ),
    }
}

/// Reads exactly `buf.len()` bytes from `offset` of `file` ([`read_at`] until full); a file
/// that ends first is an `UnexpectedEof` error.
pub fn read_exact_at(
    file: &std::fs::File,
    mut buf: &mut [u8],
    mut offset: u64,
) -> std::io::Result<()> {
    while !buf.is_empty() {
        match read_at(file, buf, offset) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
