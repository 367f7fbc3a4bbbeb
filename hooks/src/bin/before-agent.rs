//! `before-agent [--runtime gemini|claude|qwen]`: the BeforeAgent hook (Claude Code, Qwen Code:
//! SubagentStart); see `hooks::hook_main`.

fn main() {
    std::process::exit(hooks::hook_main::main(
        session_core::hooks::payload::HookEvent::BeforeAgent,
    ));
}
