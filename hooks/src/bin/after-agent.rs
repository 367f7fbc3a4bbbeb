//! `after-agent`: the AfterAgent hook (Gemini CLI; see `session_core::hook_events` for the Claude Code
//! dialect behind `--runtime claude`).

fn main() {
    std::process::exit(session_core::hook_events::main(
        session_core::hook_io::HookEvent::AfterAgent,
        std::env::args_os(),
    ));
}
