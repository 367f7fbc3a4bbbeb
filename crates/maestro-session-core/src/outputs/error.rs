//! The one error object: `{"error": "<message>", "kind": "<ErrorKind name>"}`, plus `"usage"`
//! (the usage line) for a command-line usage error and `"warning"` for a file skipped from a
//! listing. The command line prints it on stderr with `--json`; `list`, `search` and MCP's
//! `list_sessions` report unreadable session files as a list of them (`"unreadable"`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// An error as JSON. `kind` is one of [`crate::ErrorKind`]'s names (`usage`, `refused`,
/// `conflict`, `io`, `corrupt`, `lock_timeout`, …), which the exit code follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorObject {
    /// What went wrong, naming the file, value or argument.
    pub error: String,
    /// The error's kind ([`crate::ErrorKind::name`]).
    pub kind: String,
    /// A usage error's usage line (`Usage: maestro-session …`), when clap gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<String>,
    /// Set on a warning line (a session file skipped from a listing): what was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl ErrorObject {
    /// The object of a `session-core` error (its message and kind).
    pub fn of(e: &Error) -> ErrorObject {
        ErrorObject::new(e.to_string(), e.kind().name())
    }

    /// An object with `message` and the kind named `kind`.
    pub fn new(message: impl Into<String>, kind: &str) -> ErrorObject {
        ErrorObject {
            error: message.into(),
            kind: kind.to_string(),
            usage: None,
            warning: None,
        }
    }

    /// The warning printed (with `--json`, on stderr) for a session file a listing skipped.
    pub fn skipped_file(e: &Error) -> ErrorObject {
        ErrorObject {
            warning: Some("session file skipped from the listing because it cannot be read".into()),
            ..ErrorObject::of(e)
        }
    }

    /// The unreadable files of a listing, as error objects.
    pub fn list(errors: &[Error]) -> Vec<ErrorObject> {
        errors.iter().map(ErrorObject::of).collect()
    }

    /// As one line of JSON.
    pub fn to_json_line(&self) -> String {
        // Strings and optional strings only: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| format!("{{\"error\":{:?}}}", self.error))
    }
}
