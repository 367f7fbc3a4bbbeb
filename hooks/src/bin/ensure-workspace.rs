//! `ensure-workspace [state-dir]`: create `state/`, `state/archive/`, `plans/`,
//! `plans/archive/` beneath the project.

fn main() {
    std::process::exit(hooks::state_tool_main::ensure_workspace());
}
