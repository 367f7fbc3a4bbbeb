//! The one error type of `session-core`.
//!
//! Every variant names what was being done and to which path or session, so a message printed
//! at the binary edge is enough to act on. [`Error::kind`] groups the variants into classes,
//! and [`EXIT_CODES`], the one table of exit codes, says what each executable exits with for
//! each class (modelled on jj's `cli/src/command_error.rs`).

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
    /// The project root would lie inside a runtime's extension or plugin cache, which is never
    /// a project (`crate::workspace::extension_cache`): nothing is read or written there.
    #[error(
        "the project root {} (from {from}) is inside {what} {}: a runtime's extension or plugin \
         cache is never a project, so no session is kept there; run from your project, or set \
         MAESTRO_WORKSPACE_PATH to it",
        path.display(),
        cache.display()
    )]
    InExtensionCache {
        /// The folder refused, as given.
        path: PathBuf,
        /// What named it: `the working directory`, `MAESTRO_WORKSPACE_PATH`, an argument.
        from: &'static str,
        /// The cache folder it lies in.
        cache: PathBuf,
        /// Whose cache it is, in words (`Gemini CLI's extension folder`).
        what: &'static str,
    },
    /// An argument or input value is malformed.
    #[error("{0}")]
    Invalid(String),
    /// A bug: a panic caught at an executable's edge, or a broken invariant. The message is
    /// the panic's first line.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The classes of [`Error`]; [`EXIT_CODES`] gives each its exit codes and `--json` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Refused: invalid transition, ambiguous id, refused path.
    Refused,
    /// Nothing matches what was named: a session id (or prefix), a phase, an error record.
    NotFound,
    /// Bad usage or malformed argument value.
    Usage,
    /// I/O failure, lock timeout or corrupt state.
    Io,
    /// A bug: a panic or a broken invariant.
    Internal,
}

/// One row of [`EXIT_CODES`]: what each kind of executable exits with when it fails with an
/// error of [`ExitCodes::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitCodes {
    /// The class.
    pub kind: ErrorKind,
    /// Its machine name, the `kind` of `maestro-session --json` error objects.
    pub name: &'static str,
    /// `maestro-session`'s exit code (docs/cli.md "Exit codes").
    pub cli: i32,
    /// What `read-state`, `write-state` and `ensure-workspace` exit with when their *work*
    /// fails with an error of this kind. Their contract (Maestro's Node scripts, kept;
    /// docs/hooks.md "The state tools"): `ERROR: <message>` and exit 1 for any failure, so malformed *input*
    /// (empty stdin) is 1 there, not 2. Their *arguments* are checked before any work, and an
    /// argument error exits with the command line's usage code, [`ErrorKind::Usage`]'s `cli`
    /// (2), as in `maestro-session`.
    pub state_tool: i32,
    /// What a hook (`session-start`, `before-agent`, `after-agent`, `session-end`) exits with:
    /// always 0, with the error as one stderr line and an answer that allows the turn. Gemini
    /// CLI 0.61 blocks the user's turn on any other code than 0 or 1 and Claude Code on 2, so a
    /// hook never fails the turn (docs/hooks.md).
    pub hook: i32,
    /// What the code means, as docs/cli.md "Exit codes" says it.
    pub meaning: &'static str,
}

/// Exit code of success, in every executable.
pub const SUCCESS_EXIT_CODE: i32 = 0;

/// The one table of exit codes, one row per [`ErrorKind`] in declaration order (checked at
/// compile time). `maestro-session` distinguishes refused (1, with not found), usage (2) and
/// I/O (3); the state tools only usage (2) and failure (1); hooks never fail. 101 is what a
/// Rust panic exits with, so a caught panic and an uncaught one look the same.
pub const EXIT_CODES: [ExitCodes; 5] = [
    ExitCodes {
        kind: ErrorKind::Refused,
        name: "refused",
        cli: 1,
        state_tool: 1,
        hook: SUCCESS_EXIT_CODE,
        meaning: "refused: an invalid transition, an ambiguous id, a refused path; nothing changed",
    },
    ExitCodes {
        kind: ErrorKind::NotFound,
        name: "not_found",
        cli: 1,
        state_tool: 1,
        hook: SUCCESS_EXIT_CODE,
        meaning: "refused: no session (phase, error record) matches the id given; nothing changed",
    },
    ExitCodes {
        kind: ErrorKind::Usage,
        name: "usage",
        cli: 2,
        state_tool: 1,
        hook: SUCCESS_EXIT_CODE,
        meaning: "usage: an unknown, missing or malformed argument; nothing was done",
    },
    ExitCodes {
        kind: ErrorKind::Io,
        name: "io",
        cli: 3,
        state_tool: 1,
        hook: SUCCESS_EXIT_CODE,
        meaning: "I/O failure, lock timeout, or a session file that does not parse",
    },
    ExitCodes {
        kind: ErrorKind::Internal,
        name: "internal",
        cli: 101,
        state_tool: 101,
        hook: SUCCESS_EXIT_CODE,
        meaning: "a bug: a panic or a broken invariant",
    },
];

// Row i is the kind whose discriminant is i, so a lookup is an index.
const _: () = {
    let mut i = 0;
    while i < EXIT_CODES.len() {
        assert!(EXIT_CODES[i].kind as usize == i, "EXIT_CODES out of order");
        i += 1;
    }
    assert!(EXIT_CODES.len() == ErrorKind::ALL.len(), "one row per kind");
};

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 5] = [
        ErrorKind::Refused,
        ErrorKind::NotFound,
        ErrorKind::Usage,
        ErrorKind::Io,
        ErrorKind::Internal,
    ];

    /// This kind's row of [`EXIT_CODES`].
    pub const fn exit_codes(self) -> ExitCodes {
        EXIT_CODES[self as usize]
    }

    /// `maestro-session`'s exit code for this kind: 1 refused or not found, 2 usage, 3 I/O or
    /// corrupt state, 101 internal ([`ExitCodes::cli`]).
    pub const fn exit_code(self) -> i32 {
        self.exit_codes().cli
    }

    /// A state tool's exit code when its work fails with this kind: 1, or 101 for an internal
    /// error ([`ExitCodes::state_tool`]).
    pub const fn state_tool_exit_code(self) -> i32 {
        self.exit_codes().state_tool
    }

    /// A hook's exit code whatever went wrong: 0 ([`ExitCodes::hook`]).
    pub const fn hook_exit_code(self) -> i32 {
        self.exit_codes().hook
    }

    /// Short machine name used in `--json` error objects.
    pub const fn name(self) -> &'static str {
        self.exit_codes().name
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
        matches!(self, Error::Io { source, .. } if maestro_session_fs::beneath::is_missing(source))
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
            | Error::InExtensionCache { .. }
            | Error::Refused { .. }
            | Error::Ambiguous { .. } => ErrorKind::Refused,
            Error::NotFound { .. } | Error::NoSuchSession { .. } => ErrorKind::NotFound,
            Error::Invalid(_) => ErrorKind::Usage,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }
}

/// The fs layer's errors are ours, variant for variant (each has the same name and shape
/// here), so a caller matches one type and one table gives the exit code.
impl From<maestro_session_fs::Error> for Error {
    fn from(e: maestro_session_fs::Error) -> Self {
        use maestro_session_fs::Error as Fs;
        match e {
            Fs::Io { op, path, source } => Error::Io { op, path, source },
            Fs::PathRefused { path, reason } => Error::PathRefused { path, reason },
            Fs::LockTimeout {
                path,
                waited_ms,
                holder,
            } => Error::LockTimeout {
                path,
                waited_ms,
                holder,
            },
            Fs::NotRegular { path, what } => Error::NotRegular { path, what },
            Fs::TooLarge {
                path,
                size,
                cap,
                kind,
            } => Error::TooLarge {
                path,
                size,
                cap,
                kind,
            },
            Fs::Invalid(message) => Error::Invalid(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    #[test]
    fn every_kind_has_exactly_one_row() {
        for kind in ErrorKind::ALL {
            // An exhaustive match: a new kind fails to compile here until ALL names it.
            match kind {
                ErrorKind::Refused
                | ErrorKind::NotFound
                | ErrorKind::Usage
                | ErrorKind::Io
                | ErrorKind::Internal => {}
            }
            let rows = EXIT_CODES.iter().filter(|r| r.kind == kind).count();
            assert_eq!(rows, 1, "{kind:?}");
            assert_eq!(kind.exit_codes().kind, kind);
        }
        let names: HashSet<_> = EXIT_CODES.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), EXIT_CODES.len(), "names are distinct");
    }

    #[test]
    fn codes_are_distinct_where_they_should_be() {
        // maestro-session: one code per kind, except that not found is a refusal (README).
        let mut by_code: HashMap<i32, Vec<ErrorKind>> = HashMap::new();
        for row in EXIT_CODES {
            by_code.entry(row.cli).or_default().push(row.kind);
        }
        for (code, kinds) in &by_code {
            let shared_ok = kinds == &[ErrorKind::Refused, ErrorKind::NotFound];
            assert!(kinds.len() == 1 || shared_ok, "cli code {code}: {kinds:?}");
        }
        for row in EXIT_CODES {
            assert_ne!(row.cli, SUCCESS_EXIT_CODE, "{:?} fails", row.kind);
            assert_ne!(row.state_tool, SUCCESS_EXIT_CODE, "{:?} fails", row.kind);
            assert_eq!(row.hook, SUCCESS_EXIT_CODE, "hooks never fail a turn");
            // A state tool's work never exits with the usage code: that is for its arguments.
            assert_ne!(
                row.state_tool,
                ErrorKind::Usage.exit_code(),
                "{:?}",
                row.kind
            );
        }
        assert_eq!(
            (
                ErrorKind::Refused.exit_code(),
                ErrorKind::Usage.exit_code(),
                ErrorKind::Io.exit_code()
            ),
            (1, 2, 3),
            "the documented codes"
        );
    }

    #[test]
    fn errors_fall_in_their_kinds() {
        let not_found = Error::NotFound {
            what: "session \"x\"".into(),
        };
        assert_eq!(not_found.kind(), ErrorKind::NotFound);
        assert_eq!(not_found.kind().exit_code(), 1);
        let internal = Error::Internal("boom".into());
        assert_eq!(internal.to_string(), "internal error: boom");
        assert_eq!(internal.kind().exit_code(), 101);
        assert_eq!(Error::Invalid("x".into()).kind().state_tool_exit_code(), 1);
    }
}
