//! `after-agent [--runtime gemini|claude|qwen]`: the AfterAgent hook (Claude Code, Qwen Code:
//! SubagentStop); see `hooks::hook_main`.

fn main() {
    std::process::exit(hooks::hook_main::main(
        session_core::hooks::payload::HookEvent::AfterAgent,
    ));
}
