//! `write-state [--no-validate] <relative-path>`: content on stdin, durable replace, parent
//! folders created, silent on success.

use std::io::Read;

fn main() {
    let code = session_core::tools::state_tools::cli::run(
        "write-state [--no-validate] <relative-path>",
        1,
        |cwd, env, args| {
            let mut content = Vec::new();
            std::io::stdin()
                .read_to_end(&mut content)
                .map_err(|e| session_core::Error::io("read", "stdin", e))?;
            let validate = !args.iter().any(|a| a == "--no-validate");
            let path = args
                .iter()
                .find(|a| *a != "--no-validate")
                .map(String::as_str)
                .unwrap_or_default();
            session_core::tools::state_tools::write_state(cwd, env, path, &content, validate)
        },
    );
    std::process::exit(code);
}
