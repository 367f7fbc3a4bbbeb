//! Reading what was appended to a file since an offset: for the runtimes' append-only JSONL
//! transcripts, of which only the new bytes are read (see [`crate::store::usage`]).

#![allow(clippy::disallowed_methods)] // opens for reading only, non-blocking, checked on the descriptor

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::error::{Error, IoContext, Result};
use crate::fs::durable::{self, DescribeType};

/// What [`read_from`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Device of the file (`st_dev`): with `ino`, the file's identity, so a replaced file is
    /// noticed.
    pub dev: u64,
    /// Inode number (`st_ino`).
    pub ino: u64,
    /// The file's length when it was opened, in bytes.
    pub len: u64,
    /// Where `bytes` starts: the offset asked for, or 0 when the file is another one than
    /// `identity` named or shorter than the offset (it was replaced or truncated).
    pub start: u64,
    /// The bytes from `start`, at most `cap` of them.
    pub bytes: Vec<u8>,
}

/// Reads the regular file `path` from `offset` (at most `cap` bytes), when `identity`
/// (`(dev, ino)`) still names it and it is at least `offset` long; otherwise from 0. Opened
/// non-blocking and checked on the descriptor, so a FIFO or a device is refused, never read;
/// symlinks are followed (the runtime names the file).
///
/// Errors: [`Error::NotRegular`]; [`Error::Io`] ("read", "inspect", "seek"; not-found when
/// it does not exist).
pub fn read_from(
    path: &Path,
    identity: Option<(u64, u64)>,
    offset: u64,
    cap: u64,
) -> Result<Appended> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(durable::untrusted_read_flags(true))
        .open(path)
        .ctx("read", path)?;
    let meta = file.metadata().ctx("inspect", path)?;
    if !meta.is_file() {
        return Err(Error::NotRegular {
            path: path.to_path_buf(),
            what: meta.file_type().describe(),
        });
    }
    let same = identity == Some((meta.dev(), meta.ino())) && meta.len() >= offset;
    let start = if same { offset } else { 0 };
    file.seek(SeekFrom::Start(start)).ctx("seek", path)?;
    let want = meta.len().saturating_sub(start).min(cap);
    let mut bytes = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
    file.take(want).read_to_end(&mut bytes).ctx("read", path)?;
    Ok(Appended {
        dev: meta.dev(),
        ino: meta.ino(),
        len: meta.len(),
        start,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_from_the_offset_unless_the_file_was_replaced_or_truncated() {
        let t = tempfile::tempdir().expect("tmp");
        let path = t.path().join("t.jsonl");
        durable::atomic_replace(&path, b"one\ntwo\n", 0o600).expect("write");
        let first = read_from(&path, None, 4, 1024).expect("read");
        assert_eq!(
            (first.start, first.bytes.as_slice()),
            (0, &b"one\ntwo\n"[..])
        );
        let id = Some((first.dev, first.ino));
        let next = read_from(&path, id, 4, 1024).expect("read");
        assert_eq!((next.start, next.bytes.as_slice()), (4, &b"two\n"[..]));
        let capped = read_from(&path, id, 0, 3).expect("read");
        assert_eq!(capped.bytes, b"one");
        let beyond = read_from(&path, id, 100, 1024).expect("read");
        assert_eq!(
            beyond.start, 0,
            "shorter than the offset: read again from 0"
        );
        durable::atomic_replace(&path, b"new\n", 0o600).expect("replace");
        let replaced = read_from(&path, id, 4, 1024).expect("read");
        assert_eq!(replaced.start, 0, "another inode: read from 0");
        assert!(read_from(&t.path().join("none"), None, 0, 1).is_err_and(|e| e.is_not_found()));
        assert!(matches!(
            read_from(t.path(), None, 0, 1),
            Err(Error::NotRegular { .. })
        ));
    }
}
