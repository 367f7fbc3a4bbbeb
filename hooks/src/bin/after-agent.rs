//! `after-agent`: the AfterAgent hook (Gemini CLI; see `session_core::hooks::events` for the Claude Code
//! dialect behind `--runtime claude`).

fn main() {
    std::process::exit(session_core::hooks::events::main(
        session_core::hooks::payload::HookEvent::AfterAgent,
        std::env::args_os(),
    ));
}
