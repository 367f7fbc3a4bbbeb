//! `session-start [--runtime gemini|claude|qwen]`: the SessionStart hook; see `hooks::hook_main`.

fn main() {
    std::process::exit(hooks::hook_main::main(
        session_core::hooks::payload::HookEvent::SessionStart,
    ));
}
