//! The one error type of `session-core`.
//!
//! Every variant names what was being done and to which path or session, so a message printed
//! at the binary edge is enough to act on. [`Error::kind`] groups the variants into the classes
//! the command line maps to exit codes (see [`ErrorKind::exit_code`]).

use std::io;
use std::path::{Path, PathBuf};

/// `; did you mean "a"?` or `; did you mean "a" or "b"?` for `ids`; empty when there are none.
fn did_you_mean(ids: &[String]) -> String {
    let quoted: Vec<String> = ids.iter().map(|id| format!("{id:?}")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => format!("; did you mean {last}?"),
        Some((last, rest)) => format!("; did you mean {} or {last}?", rest.join(", ")),
    }
}

/// Result alias used across `session-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `session-core`.
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
    /// A file exists but does not parse; it is never treated as empty nor overwritten.
    #[error("{}{}: {reason}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line in the file, when known.
        line: Option<usize>,
        /// What is wrong.
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
    /// A state-machine transition or an operation was refused.
    #[error("session {session}: {message}")]
    Refused {
        /// The session id.
        session: String,
        /// What was refused and what is allowed instead.
        message: String,
    },
    /// No session (or other named thing) matched.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `session "2026-11"`.
        what: String,
    },
    /// No session has the id (or id prefix) given; `suggestions` are the closest existing ids
    /// (see `store::did_you_mean`), named in the message when there are any.
    #[error("session {id:?} not found{}", did_you_mean(suggestions))]
    NoSuchSession {
        /// The id or prefix given.
        id: String,
        /// The closest existing session ids, best first; may be empty.
        suggestions: Vec<String>,
    },
    /// A partial session id matched more than one session.
    #[error("session id prefix {prefix:?} is ambiguous; candidates: {}", candidates.join(", "))]
    Ambiguous {
        /// The prefix given.
        prefix: String,
        /// Every matching session id.
        candidates: Vec<String>,
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

/// The classes of [`Error`], as the command line reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Refused: invalid transition, ambiguous id, not found, refused path. Exit 1.
    Refused,
    /// Bad usage or malformed argument value. Exit 2.
    Usage,
    /// I/O failure, lock timeout or corrupt state. Exit 3.
    Io,
}

impl ErrorKind {
    /// Process exit code of this class: 1 refused, 2 usage, 3 I/O or corrupt state.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Refused => 1,
            ErrorKind::Usage => 2,
            ErrorKind::Io => 3,
        }
    }

    /// Short machine name used in `--json` error objects.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Refused => "refused",
            ErrorKind::Usage => "usage",
            ErrorKind::Io => "io",
        }
    }
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

    /// Builds an [`Error::Refused`] for `session`.
    pub fn refused(session: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Refused {
            session: session.into(),
            message: message.into(),
        }
    }

    /// Whether this is an I/O error saying that the path (or a folder on its way) does not
    /// exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Io { source, .. } if crate::fs::beneath::is_missing(source))
    }

    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { .. }
            | Error::Corrupt { .. }
            | Error::LockTimeout { .. }
            | Error::NotRegular { .. }
            | Error::TooLarge { .. } => ErrorKind::Io,
            Error::PathRefused { .. }
            | Error::Refused { .. }
            | Error::NotFound { .. }
            | Error::NoSuchSession { .. }
            | Error::Ambiguous { .. } => ErrorKind::Refused,
            Error::Invalid(_) => ErrorKind::Usage,
        }
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
