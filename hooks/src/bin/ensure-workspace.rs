//! `ensure-workspace [state-dir]`: create `state/`, `state/archive/`, `plans/`,
//! `plans/archive/` beneath the project.

fn main() {
    let code = session_core::tools::state_tools::cli::run(
        "ensure-workspace [state-dir]",
        0,
        |cwd, env, args| {
            session_core::tools::state_tools::ensure_workspace(
                env,
                cwd,
                args.first().map(String::as_str),
            )
            .map(|_| ())
        },
    );
    std::process::exit(code);
}
