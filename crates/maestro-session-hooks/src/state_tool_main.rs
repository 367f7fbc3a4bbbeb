//! The state-tool executables: `read-state`, `write-state`, `ensure-workspace` and
//! `read-active-session`. Paths are relative to the working directory; the rules are
//! `maestro_session_core::tools::state_tools`.
//!
//! Contract (Maestro's Node scripts of the same names, kept): `--help`/`-h` prints the usage
//! and exits 0; an argument error (missing, unknown, extra, or not valid UTF-8) prints
//! `ERROR: <message>` and exits with the usage code (2) before any work; a failure of the work
//! prints `ERROR: <message>` and exits with its kind's `state_tool` code of `EXIT_CODES` (1;
//! 101 for a panic). `read-active-session` takes no arguments and always exits 0.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use lexopt::Arg;
use maestro_session_core::error::SUCCESS_EXIT_CODE;
use maestro_session_core::tools::state_tools::{self, NO_ACTIVE_SESSION};
use maestro_session_core::{Env, Error, ErrorKind, Result};

use crate::{args, panic_guard};

/// The command line a state tool accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The usage line, after `usage: ` (`read-state <relative-path>`).
    pub usage: &'static str,
    /// How many positional arguments are needed.
    pub required: usize,
    /// How many positional arguments are accepted at most.
    pub max: usize,
    /// Whether `--no-validate` is accepted.
    pub no_validate: bool,
    /// What `--help` says after the usage line (empty: nothing).
    pub help: &'static str,
}

/// `read-state <relative-path>`.
pub const READ_STATE: Spec = Spec {
    usage: "read-state <relative-path>",
    required: 1,
    max: 1,
    no_validate: false,
    help: "",
};

/// `write-state [--no-validate] <relative-path>`.
pub const WRITE_STATE: Spec = Spec {
    usage: "write-state [--no-validate] <relative-path>",
    required: 1,
    max: 1,
    no_validate: true,
    help: WRITE_STATE_HELP,
};

/// `write-state --help` after the usage line: what a stale write gets (the README's "What is
/// never lost" says the same).
const WRITE_STATE_HELP: &str = "\
Writes stdin to <relative-path> (relative to the working directory) by durable replace.
Under the state dir only session files and plan documents are written, and a session file
must hold a session (`--no-validate` applies only outside the state dir).

A session file has a `revision` that every write by maestro-session counts up. Keep the
`revision` line you read: it says which read your content is based on.
  - your revision is the file's: written, as the next revision;
  - your revision is older (a hook, a command or a tool changed the session since your
    read): merged field by field: every change recorded since is kept unless you changed
    the same field; written, and stderr says which changes were kept;
  - no `revision`: taken as based on the last revision write-state wrote (else the oldest
    the event log knows), and merged the same way;
  - both you and a change since changed one field, yours is newer than the file's, or the
    event log lost a change since: refused (exit 1), naming the fields; read the file
    again, make your change to it and write it back.";

/// `ensure-workspace [state-dir]`.
pub const ENSURE_WORKSPACE: Spec = Spec {
    usage: "ensure-workspace [state-dir]",
    required: 0,
    max: 1,
    no_validate: false,
    help: "",
};

/// The arguments of a state tool, checked against its [`Spec`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// The positional arguments, in order (at least `required`, at most `max`).
    pub positional: Vec<String>,
    /// `--no-validate` was given.
    pub no_validate: bool,
}

impl Args {
    /// The first positional argument, or `""` when there is none.
    pub fn first(&self) -> &str {
        self.positional.first().map_or("", String::as_str)
    }
}

/// What the arguments ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// `--help` or `-h`.
    Help,
    /// The work, with these arguments.
    Run(Args),
}

/// A state tool's command line is wrong; each message ends with the usage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// An argument is not valid UTF-8: its 1-based position and its bytes.
    #[error("argument {position} ({arg:?}) is not valid UTF-8; usage: {usage}")]
    NotUtf8 {
        /// 1-based, after the program name.
        position: usize,
        /// The argument as given.
        arg: OsString,
        /// The tool's usage line.
        usage: &'static str,
    },
    /// Fewer positional arguments than the tool needs.
    #[error("missing argument; usage: {usage}")]
    Missing {
        /// The tool's usage line.
        usage: &'static str,
    },
    /// An option the tool does not take (`--verbose`, `-x`, `--no-validate=1`).
    #[error("unknown argument {arg:?}; usage: {usage}")]
    Unknown {
        /// The argument as given.
        arg: String,
        /// The tool's usage line.
        usage: &'static str,
    },
    /// More positional arguments than the tool takes.
    #[error("extra argument {arg:?}; usage: {usage}")]
    Extra {
        /// The first one too many.
        arg: String,
        /// The tool's usage line.
        usage: &'static str,
    },
}

impl UsageError {
    /// The exit code of a usage error: the command line's usage code, [`ErrorKind::Usage`]'s
    /// `cli` column of `EXIT_CODES` (2), as in `maestro-session`.
    pub const EXIT_CODE: i32 = ErrorKind::Usage.exit_code();
}

/// Parses a state tool's arguments (after the program name) against `spec`.
///
/// Every argument must be valid UTF-8 (checked first, so that error wins); then `--help`/`-h`
/// anywhere asks for the usage; then the first unknown or extra argument, then too few
/// positional ones, is the error. `--` ends the options (a path may then start with `-`).
///
/// Errors: the [`UsageError`] found.
pub fn parse(args: impl IntoIterator<Item = OsString>, spec: &Spec) -> Result<Parsed, UsageError> {
    let args: Vec<OsString> = args.into_iter().collect();
    if let Some((i, arg)) = args.iter().enumerate().find(|(_, a)| a.to_str().is_none()) {
        return Err(UsageError::NotUtf8 {
            position: i + 1,
            arg: arg.clone(),
            usage: spec.usage,
        });
    }
    let mut parser = args::parser(args);
    let mut help = false;
    let mut first_error = None;
    let mut parsed = Args::default();
    let unknown = |arg: OsString| UsageError::Unknown {
        arg: arg.to_string_lossy().into_owned(),
        usage: spec.usage,
    };
    loop {
        let error = match parser.next() {
            Ok(None) => break,
            Ok(Some(Arg::Long("help") | Arg::Short('h'))) => {
                help = true;
                continue;
            }
            Ok(Some(Arg::Long("no-validate"))) if spec.no_validate => {
                parsed.no_validate = true;
                continue;
            }
            Ok(Some(Arg::Value(value))) if parsed.positional.len() < spec.max => {
                parsed.positional.push(value.to_string_lossy().into_owned());
                continue;
            }
            Ok(Some(Arg::Value(value))) => UsageError::Extra {
                arg: value.to_string_lossy().into_owned(),
                usage: spec.usage,
            },
            Ok(Some(other)) => unknown(args::Unknown::from(other).spelled(&mut parser)),
            // `--option=value` for an option that takes none.
            Err(lexopt::Error::UnexpectedValue { option, value }) => {
                let mut arg = OsString::from(format!("{option}="));
                arg.push(value);
                unknown(arg)
            }
            Err(e) => unknown(OsString::from(e.to_string())),
        };
        first_error.get_or_insert(error);
    }
    if help {
        return Ok(Parsed::Help);
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if parsed.positional.len() < spec.required {
        return Err(UsageError::Missing { usage: spec.usage });
    }
    Ok(Parsed::Run(parsed))
}

/// Runs a state tool as this process: `args` (after the executable's name), the process's
/// working directory and environment; see [`run_with`]. Returns the exit code.
pub fn run(
    spec: &Spec,
    args: Vec<OsString>,
    work: impl FnOnce(&Path, &Env, &Args) -> Result<()>,
) -> i32 {
    panic_guard::silence();
    run_with(args, spec, work)
}

/// Runs `work` with the working directory, the process environment and `args` (the
/// arguments after the program name) checked against `spec`.
///
/// Returns the exit code: [`SUCCESS_EXIT_CODE`] after `work` succeeds or after printing the
/// usage for `--help`; [`UsageError::EXIT_CODE`] (2) after printing `ERROR: <message>` for an
/// argument error, before any work; the error kind's `state_tool` code (1; 101 for a panic,
/// as [`ErrorKind::Internal`]) after printing `ERROR: <message>` when `work` fails.
pub fn run_with(
    args: impl IntoIterator<Item = OsString>,
    spec: &Spec,
    work: impl FnOnce(&Path, &Env, &Args) -> Result<()>,
) -> i32 {
    let args = match parse(args, spec) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "usage: {}", spec.usage);
            if !spec.help.is_empty() {
                let _ = writeln!(out, "\n{}", spec.help);
            }
            return SUCCESS_EXIT_CODE;
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "ERROR: {}", terminal_line(&e));
            return UsageError::EXIT_CODE;
        }
    };
    let result = panic_guard::catch(|| match std::env::current_dir() {
        Ok(cwd) => work(&cwd, &Env::process(), &args),
        Err(e) => Err(Error::io("read working directory", ".", e)),
    })
    .and_then(|result| result);
    match result {
        Ok(()) => SUCCESS_EXIT_CODE,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "ERROR: {}", terminal_line(&e));
            e.kind().state_tool_exit_code()
        }
    }
}

/// `read-state <relative-path>`: prints the file's bytes, nothing added.
pub fn read_state(args: Vec<OsString>) -> i32 {
    run(&READ_STATE, args, |cwd, env, args| {
        let bytes = state_tools::read_state(env, cwd, args.first())?;
        let mut out = std::io::stdout().lock();
        out.write_all(&bytes)
            .and_then(|()| out.flush())
            .map_err(|e| Error::io("write", "stdout", e))
    })
}

/// `write-state [--no-validate] <relative-path>`: the content from stdin, durably replaced,
/// parent folders created; silent on success.
pub fn write_state(args: Vec<OsString>) -> i32 {
    run(&WRITE_STATE, args, |cwd, env, args| {
        let mut content = Vec::new();
        std::io::stdin()
            .read_to_end(&mut content)
            .map_err(|e| Error::io("read", "stdin", e))?;
        let validate = !args.no_validate;
        let note = state_tools::write_state(cwd, env, args.first(), &content, validate)?;
        if let Some(note) = note {
            let _ = writeln!(std::io::stderr(), "{}", terminal_line(&note));
        }
        Ok(())
    })
}

/// `ensure-workspace [state-dir]`: creates `state/`, `state/archive/`, `plans/`,
/// `plans/archive/` under the state dir, beneath the project.
pub fn ensure_workspace(args: Vec<OsString>) -> i32 {
    run(&ENSURE_WORKSPACE, args, |cwd, env, args| {
        let state_dir = args.positional.first().map(String::as_str);
        state_tools::ensure_workspace(env, cwd, state_dir).map(|_| ())
    })
}

/// `read-active-session`: prints the active session file verbatim, or exactly
/// [`NO_ACTIVE_SESSION`] and a newline, also after an error (printed as `ERROR: ...` on
/// stderr) or a panic; its arguments are ignored. Always returns [`SUCCESS_EXIT_CODE`]: the
/// runtimes' command templates inject what it prints and test for that line.
pub fn read_active_session() -> i32 {
    panic_guard::silence();
    let found = panic_guard::catch(|| {
        let env = Env::process();
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        state_tools::read_active_session(&env, &cwd)
    })
    .and_then(|found| found);
    let mut out = std::io::stdout().lock();
    let _ = match found {
        Ok(Some(bytes)) => out.write_all(&bytes),
        Ok(None) => writeln!(out, "{NO_ACTIVE_SESSION}"),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "ERROR: {}", terminal_line(&e));
            writeln!(out, "{NO_ACTIVE_SESSION}")
        }
    };
    let _ = out.flush();
    SUCCESS_EXIT_CODE
}

/// An error as one terminal line: no control or bidirectional formatting character a path or
/// a file's content put in it.
fn terminal_line(e: &impl std::fmt::Display) -> String {
    maestro_session_core::session::terminal_text::line(&e.to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use std::os::unix::ffi::OsStringExt;

    use super::*;

    const TOOL: Spec = Spec {
        usage: "tool <path>",
        required: 1,
        max: 1,
        no_validate: true,
        help: "",
    };

    fn os(args: &[&[u8]]) -> Vec<OsString> {
        args.iter()
            .map(|a| OsString::from_vec(a.to_vec()))
            .collect()
    }

    fn run_args(paths: &[&str], no_validate: bool) -> Parsed {
        Parsed::Run(Args {
            positional: paths.iter().map(|p| p.to_string()).collect(),
            no_validate,
        })
    }

    #[test]
    fn non_utf8_and_missing_arguments_are_usage_errors_naming_them() {
        let err = parse(os(&[b"--no-validate", b"a\xffb.md"]), &TOOL).expect_err("non-UTF-8");
        assert_eq!(
            err.to_string(),
            "argument 2 (\"a\\xFFb.md\") is not valid UTF-8; usage: tool <path>"
        );
        // Non-UTF-8 wins over --help, as before any parsing.
        let err = parse(os(&[b"--help", b"\xff"]), &TOOL).expect_err("non-UTF-8");
        assert!(
            matches!(err, UsageError::NotUtf8 { position: 2, .. }),
            "{err:?}"
        );
        let err = parse(os(&[b"--no-validate"]), &TOOL).expect_err("missing");
        assert_eq!(err.to_string(), "missing argument; usage: tool <path>");
        assert_eq!(parse(os(&[b"--help", b"x"]), &TOOL), Ok(Parsed::Help));
        assert_eq!(parse(os(&[b"-h"]), &TOOL), Ok(Parsed::Help));
        assert_eq!(parse(os(&[b"a.md"]), &TOOL), Ok(run_args(&["a.md"], false)));
    }

    #[test]
    fn flags_anywhere_and_paths_after_double_dash() {
        assert_eq!(
            parse(os(&[b"a.md", b"--no-validate"]), &TOOL),
            Ok(run_args(&["a.md"], true))
        );
        assert_eq!(
            parse(os(&[b"--", b"-odd.md"]), &TOOL),
            Ok(run_args(&["-odd.md"], false))
        );
    }

    #[test]
    fn unknown_and_extra_arguments_are_usage_errors() {
        let cases: [(&[&[u8]], &str); 5] = [
            (&[b"--verbose", b"a.md"], r#"unknown argument "--verbose""#),
            (&[b"-x", b"a.md"], r#"unknown argument "-x""#),
            (
                &[b"--no-validate=1", b"a.md"],
                r#"unknown argument "--no-validate=1""#,
            ),
            (&[b"a.md", b"b.md"], r#"extra argument "b.md""#),
            (&[b"-xy=z", b"a.md"], r#"unknown argument "-xy=z""#),
        ];
        for (args, want) in cases {
            let err = parse(os(args), &TOOL).expect_err(want);
            assert_eq!(err.to_string(), format!("{want}; usage: tool <path>"));
        }
        // --no-validate is only for the tool that takes it.
        let err = parse(os(&[b"--no-validate", b"a.md"]), &READ_STATE).expect_err("read-state");
        assert!(matches!(err, UsageError::Unknown { .. }), "{err:?}");
        assert_eq!(
            parse(os(&[]), &ENSURE_WORKSPACE),
            Ok(run_args(&[], false)),
            "the state dir is optional"
        );
    }

    #[test]
    fn usage_errors_exit_2_before_the_work_and_failures_exit_1() {
        let mut ran = false;
        let code = run_with(os(&[b"\xff"]), &TOOL, |_, _, _| {
            ran = true;
            Ok(())
        });
        assert_eq!((code, ran), (UsageError::EXIT_CODE, false));
        assert_eq!(UsageError::EXIT_CODE, 2);
        let code = run_with(os(&[]), &TOOL, |_, _, _| Ok(()));
        assert_eq!(code, UsageError::EXIT_CODE);
        let code = run_with(os(&[b"a.md"]), &TOOL, |_, _, args| {
            assert_eq!(args.first(), "a.md");
            Err(Error::Invalid("refused by the tool".into()))
        });
        assert_eq!(code, 1, "errors of the work itself stay exit 1");
        let code = run_with(os(&[b"a.md"]), &TOOL, |_, _, _| panic!("bug"));
        assert_eq!(code, 101, "a panic exits as Rust's own would, in one line");
        assert_eq!(run_with(os(&[b"a.md"]), &TOOL, |_, _, _| Ok(())), 0);
    }
}
