//! `maestro-session`: the people-facing command line over orchestration sessions.

fn main() {
    println!("maestro-session {}", env!("CARGO_PKG_VERSION"));
}
