//! `read-active-session`: print the active session file verbatim, or exactly
//! `No active session` and a newline; always exit 0 (prompts test for that line).

use std::io::Write;

use session_core::tools::state_tools::{NO_ACTIVE_SESSION, read_active_session};

fn main() {
    let env = session_core::Env::process();
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let mut out = std::io::stdout().lock();
    let _ = match read_active_session(&env, &cwd) {
        Ok(Some(bytes)) => out.write_all(&bytes),
        Ok(None) => writeln!(out, "{NO_ACTIVE_SESSION}"),
        Err(e) => {
            eprintln!("ERROR: {e}");
            writeln!(out, "{NO_ACTIVE_SESSION}")
        }
    };
}
