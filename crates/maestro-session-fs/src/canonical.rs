//! Canonical paths spelled as people and models spell them.
//!
//! `std::fs::canonicalize` on Windows returns the verbatim form (`\\?\C:\proj`), which no
//! user or model writes: a project root in that form never has `C:\proj\docs` beneath it by
//! `Path::strip_prefix`, so an absolute path inside the project was refused as outside it (seen
//! under wine with `MAESTRO_STATE_DIR`). [`canonicalize`] drops the prefix wherever the path
//! means the same without it (`dunce`), and is `std::fs::canonicalize` on Unix. `clippy.toml`
//! disallows the std function everywhere else.
#![allow(clippy::disallowed_methods)] // the one home of canonicalize

use std::path::{Path, PathBuf};

/// `path` absolute, with every symlink and `.`/`..` resolved, in its plain form (no `\\?\` on
/// Windows unless the path needs it, e.g. past 260 characters or with a reserved name).
///
/// Errors: as `std::fs::canonicalize` (the path does not exist, a component is not a folder,
/// permission denied).
pub fn canonicalize(path: &Path) -> std::io::Result<PathBuf> {
    dunce::canonicalize(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_links_and_dots_like_std() {
        let dir = std::env::temp_dir();
        let ours = canonicalize(&dir.join(".")).expect("canonical");
        assert_eq!(ours, std::fs::canonicalize(&dir).expect("std"));
        assert!(!ours.to_string_lossy().starts_with(r"\\?\"));
        assert!(canonicalize(Path::new("/no/such/path/here")).is_err());
    }
}
