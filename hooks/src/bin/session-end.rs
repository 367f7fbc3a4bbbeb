//! `session-end [--runtime gemini|claude|qwen]`: the SessionEnd hook; see `hooks::hook_main`.

fn main() {
    std::process::exit(hooks::hook_main::main(
        session_core::hooks::payload::HookEvent::SessionEnd,
    ));
}
