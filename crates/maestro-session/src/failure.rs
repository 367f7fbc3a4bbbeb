//! How a failed command ends: every error is classified into one
//! [`maestro_session_core::ErrorKind`] by [`classify`] (the one place that does it), reported on stderr
//! (a line, or with `--json` an `{"error", "kind"}` object), and its exit code is the kind's,
//! from the one table [`ErrorKind::exit_code`].
//!
//! A closed stdout (`maestro-session list | head -1`) is not a failure: the command ends
//! quietly with exit 0, as it would have had the reader kept reading.

use maestro_session_core::error::{Error, ErrorKind};
use maestro_session_core::outputs::ErrorObject;

/// What went wrong, as far as exit codes are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// An error of this kind.
    Error(ErrorKind),
    /// The reader of stdout went away: end quietly.
    ClosedStdout,
}

/// The class of `err`: a `session-core` error anywhere in its chain has that error's kind
/// (also when the command line added context to it); a clap error is a usage error; a closed
/// stdout is [`Class::ClosedStdout`]; any other I/O error, or an output that cannot be
/// serialised, is [`ErrorKind::Io`].
pub fn classify(err: &anyhow::Error) -> Class {
    for cause in err.chain() {
        if let Some(core) = cause.downcast_ref::<Error>() {
            return Class::Error(core.kind());
        }
        if cause.downcast_ref::<clap::Error>().is_some() {
            return Class::Error(ErrorKind::Usage);
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return Class::ClosedStdout;
        }
    }
    Class::Error(ErrorKind::Io)
}

/// Reports `err` on stderr and returns the exit code.
pub fn report(err: &anyhow::Error, json_mode: bool) -> i32 {
    let kind = match classify(err) {
        Class::ClosedStdout => return 0,
        Class::Error(kind) => kind,
    };
    // A core error says everything itself (its source is already in its message).
    let message = match err.downcast_ref::<Error>() {
        Some(core) => core.to_string(),
        None => format!("{err:#}"),
    };
    if json_mode {
        eprintln_quiet(&ErrorObject::new(message, kind.name()).to_json_line());
    } else {
        crate::render::error_line(&message);
    }
    kind.exit_code()
}

/// Reports a failed parse of the arguments: `--help` and `--version` print and succeed;
/// anything else is a usage error, with `--json` an object carrying clap's whole message
/// (without styles) and the usage line.
pub fn usage(err: clap::Error, json_mode: bool) -> i32 {
    use clap::error::ErrorKind as Clap;
    if matches!(err.kind(), Clap::DisplayHelp | Clap::DisplayVersion) {
        return match err.print() {
            Ok(()) => 0,
            Err(e) => report(&e.into(), false),
        };
    }
    if json_mode {
        let text = err.render().to_string();
        let usage = text
            .lines()
            .find(|l| l.starts_with("Usage:"))
            .map(str::to_string);
        let message = text.trim_end().trim_start_matches("error: ").to_string();
        let object = ErrorObject {
            usage,
            ..ErrorObject::new(message, ErrorKind::Usage.name())
        };
        eprintln_quiet(&object.to_json_line());
    } else {
        let _ = err.print();
    }
    match classify(&anyhow::Error::new(err)) {
        Class::Error(kind) => kind.exit_code(),
        Class::ClosedStdout => 0,
    }
}

/// Whether `--json` is among the arguments before a `--`: asked before they are parsed, so
/// that a usage error is reported as JSON too.
pub fn json_requested(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    args.into_iter()
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// One line on stderr; a closed stderr is ignored (there is nowhere left to say it).
fn eprintln_quiet(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn every_error_is_classified_through_its_chain() {
        let core = anyhow::Error::new(Error::Invalid("bad".into())).context("while doing x");
        assert_eq!(classify(&core), Class::Error(ErrorKind::Usage));
        let refused = anyhow::Error::new(Error::refused("s", "no"));
        assert_eq!(classify(&refused), Class::Error(ErrorKind::Refused));
        let pipe = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(classify(&pipe), Class::ClosedStdout);
        let io: anyhow::Result<()> =
            Err(std::io::Error::other("disk on fire")).context("write output");
        assert_eq!(classify(&io.expect_err("io")), Class::Error(ErrorKind::Io));
        let clap = clap::Error::new(clap::error::ErrorKind::InvalidValue);
        assert_eq!(
            classify(&anyhow::Error::new(clap)),
            Class::Error(ErrorKind::Usage)
        );
    }

    #[test]
    fn json_is_seen_before_the_end_of_options_only() {
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert!(json_requested(args(&["m", "--json", "list"])));
        assert!(!json_requested(args(&["m", "create", "--", "--json"])));
    }
}
