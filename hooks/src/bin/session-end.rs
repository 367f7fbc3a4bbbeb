//! `session-end`: the SessionEnd hook (Gemini CLI; see `session_core::hooks::events` for the Claude Code
//! dialect behind `--runtime claude`).

fn main() {
    std::process::exit(session_core::hooks::events::main(
        session_core::hooks::payload::HookEvent::SessionEnd,
        std::env::args_os(),
    ));
}
