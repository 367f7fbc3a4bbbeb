//! `after-agent [--runtime gemini|claude]`: the AfterAgent hook (Claude Code: SubagentStop);
//! see `hooks::hook_main`.

fn main() {
    std::process::exit(hooks::hook_main::main(
        session_core::hooks::payload::HookEvent::AfterAgent,
    ));
}
