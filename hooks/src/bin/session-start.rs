//! `session-start`: the SessionStart hook (Gemini CLI; see `session_core::hook_events` for the Claude Code
//! dialect behind `--runtime claude`).

fn main() {
    std::process::exit(session_core::hook_events::main(
        session_core::hook_io::HookEvent::SessionStart,
        std::env::args_os(),
    ));
}
