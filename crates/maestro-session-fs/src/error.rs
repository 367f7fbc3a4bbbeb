//! The error type of the fs layer.
//!
//! Every variant names the operation and the path, so a message printed at an executable's edge
//! is enough to act on. `maestro_session_core::Error` has a variant of the same name and shape
//! for each of these (its `From<Error>` maps them one to one), so what the layer above matches
//! on and how an error becomes an exit code are decided there, in one table.

use std::io;
use std::path::{Path, PathBuf};

/// Result alias of the fs layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong touching the file system.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file-system operation failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done, as a verb phrase ("read", "rename temp file over").
        op: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// An untrusted path was refused by the beneath-root rules.
    #[error("path {path:?} refused: {reason}")]
    PathRefused {
        /// The path as given.
        path: String,
        /// Why it was refused.
        reason: String,
    },
    /// The sidecar lock could not be taken within the bounded wait.
    #[error("timed out after {waited_ms} ms waiting for the lock {} (held by {holder})", path.display())]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long we waited, in ms.
        waited_ms: u64,
        /// Who holds it, as recorded in the lock file.
        holder: String,
    },
    /// A path that must be a regular file is something else (a FIFO, a device, a socket, a
    /// folder or, where symlinks are not followed, a symlink). It is refused without reading, so
    /// a FIFO never blocks a command.
    #[error("{} is {what}, not a regular file; refusing to read it", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is instead (`a FIFO`, `a device`, `a symlink`, ...).
        what: &'static str,
    },
    /// A file is larger than the cap for its kind, in bytes.
    #[error("{} is {size} bytes, over the {cap}-byte limit of {kind}", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// The cap in bytes.
        cap: u64,
        /// What kind of file the cap is for (`a session file`).
        kind: &'static str,
    },
    /// An argument or input value is malformed.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// Builds an [`Error::Io`] for `op` on `path`.
    pub fn io(op: &'static str, path: impl AsRef<Path>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// Builds an [`Error::PathRefused`].
    pub fn refused_path(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::PathRefused {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// Whether this is an I/O error saying that the path (or a folder on its way) does not
    /// exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Io { source, .. } if crate::beneath::is_missing(source))
    }
}

/// Attaches an operation and a path to an `io::Result`.
pub trait IoContext<T> {
    /// Maps the error to [`Error::Io`] with `op` and `path`.
    fn ctx(self, op: &'static str, path: impl AsRef<Path>) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn ctx(self, op: &'static str, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| Error::io(op, path, e))
    }
}
