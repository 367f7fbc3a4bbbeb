//! `read-state <relative-path>`: print the file's bytes, nothing added.

use std::io::Write;

fn main() {
    let code = session_core::tools::state_tools::cli::run(
        "read-state <relative-path>",
        1,
        |cwd, _env, args| {
            let bytes = session_core::tools::state_tools::read_state(cwd, &args[0])?;
            std::io::stdout()
                .write_all(&bytes)
                .map_err(|e| session_core::Error::io("write", "stdout", e))
        },
    );
    std::process::exit(code);
}
