//! `write-state [--no-validate] <relative-path>`: content on stdin, durable replace, parent
//! folders created, silent on success.

fn main() {
    std::process::exit(hooks::state_tool_main::write_state());
}
