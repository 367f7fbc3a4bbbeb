//! `read-state <relative-path>`: print the file's bytes, nothing added.

fn main() {
    std::process::exit(hooks::state_tool_main::read_state());
}
