//! `before-agent [--runtime gemini|claude]`: the BeforeAgent hook (Claude Code:
//! SubagentStart); see `hooks::hook_main`.

fn main() {
    std::process::exit(hooks::hook_main::main(
        session_core::hooks::payload::HookEvent::BeforeAgent,
    ));
}
