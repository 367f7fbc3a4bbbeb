//! Reading a byte range of a file, and overwriting a range in place without changing the
//! file's length: how `doctor --fix` sets aside a torn event-log line (see
//! `crate::store::event_log`) without ever rewriting, truncating or renaming the log that
//! hooks append to without a lock.
//!
//! Part of the fs layer: it opens a file for writing, which `clippy.toml` allows only here and
//! in the other fs modules. The file is opened `O_WRONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC`, never
//! `O_CREAT`, `O_TRUNC` or `O_APPEND`, and checked to be a regular file long enough for the range
//! before one `pwrite(2)`; so an overwrite touches only bytes that already exist and never moves
//! the end of the file, where `O_APPEND` writers add their records.
#![allow(clippy::disallowed_methods)]

use std::path::Path;

use cap_std::fs::{Dir, OpenOptions};

use crate::durable::{self, DescribeType};
use crate::error::{Error, IoContext, Result};

/// Reads `len` bytes of the regular file `file` (path `shown`, for messages) from `offset`.
///
/// Errors: [`Error::NotRegular`]; [`Error::Invalid`] when the file ends before
/// `offset + len`; [`Error::Io`] ("inspect", "read").
pub fn read_range(file: &std::fs::File, shown: &Path, offset: u64, len: u64) -> Result<Vec<u8>> {
    let meta = file.metadata().ctx("inspect", shown)?;
    if !meta.is_file() {
        return Err(Error::NotRegular {
            path: shown.to_path_buf(),
            what: meta.file_type().describe(),
        });
    }
    let end = offset.checked_add(len).filter(|end| *end <= meta.len());
    let (Some(_), Ok(size)) = (end, usize::try_from(len)) else {
        return Err(short(shown, offset, len, meta.len()));
    };
    let mut bytes = vec![0u8; size];
    crate::platform::read_exact_at(file, &mut bytes, offset).ctx("read", shown)?;
    Ok(bytes)
}

fn short(shown: &Path, offset: u64, len: u64, size: u64) -> Error {
    Error::Invalid(format!(
        "{} is {size} bytes long; it has no bytes {offset}..{} to read or overwrite",
        shown.display(),
        offset.saturating_add(len)
    ))
}

/// Overwrites `bytes.len()` bytes of the existing regular file `name` in the open folder `dir`
/// (path `shown`, for messages) at `offset`, in place, then `fdatasync`s it. The range must lie
/// wholly inside the file: its length never changes. Counts as one durable mutation for
/// `durable::fault`.
///
/// Errors: [`Error::NotRegular`] for a symlink, FIFO, device or folder; [`Error::Invalid`]
/// when the file is shorter than `offset + bytes.len()`; [`Error::Io`] ("open for overwrite",
/// "inspect", "overwrite", "fdatasync"; not-found when it does not exist).
pub fn overwrite_at_in(
    dir: &Dir,
    name: &Path,
    shown: &Path,
    offset: u64,
    bytes: &[u8],
) -> Result<()> {
    durable::fault::step();
    let mut options = OpenOptions::new();
    options.write(true);
    crate::platform::untrusted_cap(&mut options, false);
    let file = dir.open_with(name, &options).map_err(|e| {
        if crate::platform::is_symlink_refusal(&e) {
            Error::NotRegular {
                path: shown.to_path_buf(),
                what: "a symlink",
            }
        } else {
            Error::io("open for overwrite", shown, e)
        }
    })?;
    let file = file.into_std();
    let meta = file.metadata().ctx("inspect", shown)?;
    if !meta.is_file() {
        return Err(Error::NotRegular {
            path: shown.to_path_buf(),
            what: meta.file_type().describe(),
        });
    }
    let len = bytes.len() as u64;
    if offset.checked_add(len).is_none_or(|end| end > meta.len()) {
        return Err(short(shown, offset, len, meta.len()));
    }
    crate::platform::write_all_at(&file, bytes, offset).ctx("overwrite", shown)?;
    file.sync_data().ctx("fdatasync", shown)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;
    use crate::beneath::Root;

    #[test]
    fn overwrites_inside_the_file_only_and_reads_ranges() {
        let t = tempfile::tempdir().expect("tmp");
        std::fs::write(t.path().join("log"), b"one\nxx\nthree\n").expect("write");
        let root = Root::open(t.path()).expect("root");
        root.overwrite_at(Path::new("log"), 4, b"  ")
            .expect("overwrite");
        assert_eq!(
            std::fs::read(t.path().join("log")).expect("read"),
            b"one\n  \nthree\n"
        );
        let past = root.overwrite_at(Path::new("log"), 12, b"ab");
        assert!(matches!(past, Err(Error::Invalid(_))), "{past:?}");
        assert!(
            root.overwrite_at(Path::new("none"), 0, b"a")
                .is_err_and(|e| e.is_not_found())
        );
        let file = root.open_read(Path::new("log"), false).expect("open");
        let shown = t.path().join("log");
        assert_eq!(read_range(&file, &shown, 7, 5).expect("range"), b"three");
        assert!(read_range(&file, &shown, 10, 10).is_err());
        assert!(read_range(&file, &shown, u64::MAX, 2).is_err());
    }

    #[test]
    fn a_symlink_or_fifo_is_never_written_through() {
        let t = tempfile::tempdir().expect("tmp");
        std::fs::write(t.path().join("target"), b"keep").expect("write");
        std::os::unix::fs::symlink(t.path().join("target"), t.path().join("link"))
            .expect("symlink");
        let root = Root::open(t.path()).expect("root");
        let err = root
            .overwrite_at(Path::new("link"), 0, b"x")
            .expect_err("symlink");
        assert!(matches!(err, Error::NotRegular { .. }), "{err}");
        assert_eq!(
            std::fs::read(t.path().join("target")).expect("read"),
            b"keep"
        );
        let made = std::process::Command::new("mkfifo")
            .arg(t.path().join("fifo"))
            .status()
            .expect("mkfifo");
        assert!(made.success());
        // Opened without blocking: refused (no reader: ENXIO), never waited on.
        assert!(root.overwrite_at(Path::new("fifo"), 0, b"x").is_err());
    }
}
