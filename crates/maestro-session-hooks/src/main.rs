//! `maestro-session-hook`: the hook executables and state tools in one binary, run under each of
//! their names (see `multicall`).

fn main() {
    let code = match maestro_session_hooks::multicall::dispatch(std::env::args_os().collect()) {
        Ok((tool, args)) => tool.run(args),
        Err(usage) => {
            eprintln!("ERROR: {usage}");
            2
        }
    };
    std::process::exit(code);
}
