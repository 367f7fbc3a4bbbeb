//! The hook executables are thin `main.rs` files in `src/bin/`; every rule is in `session-core`.
