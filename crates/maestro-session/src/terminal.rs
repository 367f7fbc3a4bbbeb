//! The terminal questions `watch` asks, per platform: its size, whether a piped reader has
//! gone, and the resize signal. On Unix through rustix (`TIOCGWINSZ`, `poll`) and SIGWINCH;
//! on Windows the size is unknown (the default width is used), a gone reader is found by the
//! next write, and there is no resize signal (`docs/platforms.md`).

/// The terminal's `(columns, rows)` when stdout is one and says so.
#[cfg(unix)]
pub fn size() -> Option<(u16, u16)> {
    rustix::termios::tcgetwinsize(std::io::stdout())
        .ok()
        .map(|size| (size.ws_col, size.ws_row))
}

/// The terminal's size: unknown on Windows.
#[cfg(not(unix))]
pub fn size() -> Option<(u16, u16)> {
    None
}

/// Whether the reader of a piped stdout has gone (`poll` reports an error or hang-up).
#[cfg(unix)]
pub fn reader_gone() -> bool {
    let stdout = std::io::stdout();
    let mut fds = [rustix::event::PollFd::new(
        &stdout,
        rustix::event::PollFlags::empty(),
    )];
    let zero = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(rustix::event::poll(&mut fds, Some(&zero)), Ok(n) if n > 0)
        && fds[0]
            .revents()
            .intersects(rustix::event::PollFlags::ERR | rustix::event::PollFlags::HUP)
}

/// Not known on Windows before the next write fails.
#[cfg(not(unix))]
pub fn reader_gone() -> bool {
    false
}

/// Sets `flag` when the terminal is resized (SIGWINCH).
///
/// Errors: the handler cannot be installed.
#[cfg(unix)]
pub fn on_resize(flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> std::io::Result<()> {
    signal_hook::flag::register(signal_hook::consts::SIGWINCH, flag).map(|_| ())
}

/// No resize signal on Windows: nothing to install.
#[cfg(not(unix))]
pub fn on_resize(_flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> std::io::Result<()> {
    Ok(())
}
