//! A panic at the process edge becomes one line, never a backtrace and never Rust's exit 101
//! where the contract says otherwise: a hook answers allow and exits 0, a state tool prints
//! `ERROR: internal error: ...` (see `maestro_session_core::error::ErrorKind::Internal`).

use std::any::Any;

use maestro_session_core::Error;

/// Stops Rust's default panic message (several lines on stderr): the caller of [`catch`]
/// reports the panic in its own one-line format. Call once, first thing in `main`.
pub fn silence() {
    std::panic::set_hook(Box::new(|_| {}));
}

/// Runs `f`; a panic becomes [`Error::Internal`] holding the first line of its message.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|payload| Error::Internal(first_line(payload.as_ref())))
}

/// The first line of a panic's message (`panic!("...")` gives a `&str` or a `String`).
fn first_line(payload: &(dyn Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic");
    what.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_one_line() {
        let err = catch(|| panic!("boom\nsecond line")).expect_err("panicked");
        assert_eq!(err.to_string(), "internal error: boom");
        let what = String::from("formatted");
        let err = catch(|| panic!("{what}")).expect_err("panicked");
        assert_eq!(err.to_string(), "internal error: formatted");
        let err = catch(|| std::panic::panic_any(42_u8)).expect_err("panicked");
        assert_eq!(err.to_string(), "internal error: unknown panic");
        assert_eq!(catch(|| 7).expect("no panic"), 7);
    }
}
