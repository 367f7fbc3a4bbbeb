//! The whole life of a hook executable: parse `--runtime`, read stdin, run the event, print
//! the answer, append the hook log, exit 0.
//!
//! A hook never fails the runtime's turn (see `maestro_session_core::hooks::events`): a usage error, a
//! bad payload, any error of the run and a panic each become one line on stderr
//! (`[ERROR] maestro: <hook>: ...`) beside an answer on stdout that allows the turn, and the
//! exit code is always [`EXIT_CODE`].

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use lexopt::Arg;
use maestro_session_core::hooks::events::{self, Answer};
use maestro_session_core::hooks::payload::{HookEvent, HookInput, Runtime};
use maestro_session_core::session::terminal_text;
use maestro_session_core::{Env, EnvVars, ErrorKind};

use crate::{args, panic_guard};

/// A hook's exit code, whatever happened: the `hook` column of `EXIT_CODES`, the same (0) for
/// every kind of error.
pub const EXIT_CODE: i32 = ErrorKind::Internal.hook_exit_code();

/// What a hook's arguments say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookArgs {
    /// The dialect to answer in: the last valid `--runtime`, else Gemini CLI's.
    pub runtime: Runtime,
    /// The last argument error, if any: reported as a diagnostic, never a failure.
    pub usage_error: Option<String>,
}

/// Parses a hook's arguments (after the program name): `--runtime gemini|claude|qwen` or
/// `--runtime=...`, any number of times. Never fails: an unknown argument, a missing or unknown
/// runtime, or one that is not valid UTF-8 (shown by its bytes) is kept as
/// [`HookArgs::usage_error`], naming it and, for a misspelled command line, the usage.
pub fn parse_args(hook: &str, args: impl IntoIterator<Item = OsString>) -> HookArgs {
    let usage = format!("usage: {hook} [--runtime gemini|claude|qwen]");
    let mut parsed = HookArgs {
        runtime: Runtime::Gemini,
        usage_error: None,
    };
    let mut parser = args::parser(args);
    loop {
        let result = match parser.next() {
            Ok(None) => break,
            // Only `--name=value` where no value is taken: the argument is unknown.
            Err(e) => Err(format!("{e}; {usage}")),
            Ok(Some(Arg::Long("runtime"))) => match parser.value() {
                Ok(value) => match value.to_str() {
                    Some(name) => Runtime::parse(name).map_err(|e| e.to_string()),
                    None => Err(format!(
                        "--runtime value {value:?} is not valid UTF-8; expected gemini, claude or qwen"
                    )),
                },
                Err(_) => Err(format!("--runtime needs a value; {usage}")),
            },
            Ok(Some(other)) => {
                let arg = args::Unknown::from(other).spelled(&mut parser);
                Err(format!("unknown argument {arg:?}; {usage}"))
            }
        };
        match result {
            Ok(runtime) => parsed.runtime = runtime,
            Err(e) => parsed.usage_error = Some(e),
        }
    }
    parsed
}

/// Runs the hook for `event` as this process: `args` (the arguments after the executable's
/// name), the payload from stdin, the answer to stdout, diagnostics to stderr, a line to
/// [`EnvVars::MAESTRO_HOOK_LOG`] when set. Returns the exit code, [`EXIT_CODE`].
pub fn main(event: HookEvent, args: Vec<OsString>) -> i32 {
    panic_guard::silence();
    let args = parse_args(events::executable_name(event), args);
    let answer = panic_guard::catch(|| {
        let env = Env::process();
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let stdin = std::io::stdin();
        let terminal = stdin.is_terminal();
        let input = HookInput::read(stdin.lock(), terminal);
        events::run(event, args.runtime, input, &env, &cwd, SystemTime::now())
    })
    .unwrap_or_else(|e| Answer::safe(event, args.runtime, e));
    let answer = match args.usage_error {
        Some(e) => answer.with_error(e),
        None => answer,
    };
    print(events::executable_name(event), &answer);
    if let Some(log) = std::env::var_os(EnvVars::MAESTRO_HOOK_LOG).filter(|v| !v.is_empty()) {
        // Logging cannot fail the turn either: a panic in it is dropped.
        let _ = panic_guard::catch(|| events::append_log(Path::new(&log), &answer));
    }
    EXIT_CODE
}

/// Prints the diagnostics on stderr, one line each, then the answer on stdout. An answer that
/// cannot be written is said on stderr (the runtime logs it; the exit code stays
/// [`EXIT_CODE`]); a stderr that cannot be written is ignored (there is nobody left to tell).
fn print(hook: &str, answer: &Answer) {
    let mut err = std::io::stderr().lock();
    for line in &answer.outcome.diagnostics {
        // One line each, whatever a payload or a session put in it (no control or bidi
        // character reaches the terminal the runtime shows it on).
        let _ = writeln!(err, "{}", terminal_text::line(line));
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{}", answer.json()).and_then(|()| out.flush()) {
        let _ = writeln!(
            err,
            "[ERROR] maestro: {hook}: cannot write the answer to stdout: {e}"
        );
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::ffi::OsStringExt;

    use super::*;

    fn parse(args: &[&[u8]]) -> HookArgs {
        parse_args(
            "before-agent",
            args.iter().map(|a| OsString::from_vec(a.to_vec())),
        )
    }

    #[test]
    fn runtime_flag_forms() {
        assert_eq!(parse(&[]).runtime, Runtime::Gemini);
        for args in [&[&b"--runtime"[..], b"claude"][..], &[b"--runtime=claude"]] {
            assert_eq!(
                parse(args),
                HookArgs {
                    runtime: Runtime::Claude,
                    usage_error: None
                }
            );
        }
        // The last one wins.
        let p = parse(&[b"--runtime", b"claude", b"--runtime=gemini"]);
        assert_eq!(p.runtime, Runtime::Gemini);
    }

    #[test]
    fn argument_errors_are_kept_and_the_hook_goes_on() {
        let usage = "usage: before-agent [--runtime gemini|claude|qwen]";
        let cases: [(&[&[u8]], String); 6] = [
            (
                &[b"--runtime", b"vim"],
                r#"unknown runtime "vim"; expected gemini, claude or qwen"#.into(),
            ),
            (&[b"--runtime"], format!("--runtime needs a value; {usage}")),
            (
                &[b"--runtime=\xff"],
                r#"--runtime value "\xFF" is not valid UTF-8; expected gemini, claude or qwen"#
                    .into(),
            ),
            (
                &[b"--runtime", b"\xff"],
                r#"--runtime value "\xFF" is not valid UTF-8; expected gemini, claude or qwen"#
                    .into(),
            ),
            (&[b"extra"], format!(r#"unknown argument "extra"; {usage}"#)),
            (
                &[b"--runtime", b"claude", b"-xy=1"],
                format!(r#"unknown argument "-xy=1"; {usage}"#),
            ),
        ];
        for (args, want) in cases {
            let p = parse(args);
            assert_eq!(p.usage_error.as_deref(), Some(want.as_str()), "{args:?}");
        }
        // A valid runtime before an error is kept.
        let p = parse(&[b"--runtime", b"claude", b"--verbose=1"]);
        assert_eq!(p.runtime, Runtime::Claude);
        assert_eq!(
            p.usage_error,
            Some(format!(r#"unknown argument "--verbose=1"; {usage}"#))
        );
    }

    #[test]
    fn hooks_always_exit_0() {
        assert_eq!(EXIT_CODE, 0);
    }
}
