//! Running the programs a team is made of (tmux, git, podman, docker): their output, or an
//! error quoting what they said. No file is touched here; the programs do their own work.

use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// The most bytes of a program's message quoted in an error.
const MAX_MESSAGE_BYTES: usize = 2000;

/// Runs `c` (whose program is `program`, arguments `args` for the message) and returns its
/// stdout.
///
/// Errors: [`Error::Io`] ("run") when it cannot start, or when it exits non-zero (its stderr
/// quoted, cut at 2000 bytes).
pub fn run(mut c: Command, program: &str, args: &[String]) -> Result<String> {
    c.stdin(Stdio::null());
    let what = format!("{program} {}", args.first().map_or("", String::as_str));
    let out = c
        .output()
        .map_err(|e| Error::io("run", std::path::Path::new(&what), e))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let mut msg = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if msg.len() > MAX_MESSAGE_BYTES {
        let mut cut = MAX_MESSAGE_BYTES;
        while !msg.is_char_boundary(cut) {
            cut -= 1;
        }
        msg.truncate(cut);
    }
    Err(Error::io(
        "run",
        std::path::Path::new(&what),
        std::io::Error::other(format!("{} ({})", msg, out.status)),
    ))
}

/// Whether `c` runs and exits 0 (its output discarded).
pub fn succeeds(mut c: Command) -> bool {
    c.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c.status().is_ok_and(|s| s.success())
}

/// `c`'s stdout when it runs and exits 0, else `None` (a probe: failing is an answer).
pub fn output(mut c: Command) -> Option<String> {
    c.stdin(Stdio::null()).stderr(Stdio::null());
    let out = c.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
