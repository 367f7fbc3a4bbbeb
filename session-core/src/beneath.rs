//! Untrusted relative paths, resolved beneath a root with the kernel's help (DESIGN 3).
//!
//! A path from a runtime, a person or a model is first checked lexically: it must be non-empty,
//! hold no NUL byte, not be absolute (`/x`, `\x`, `C:\x`), and hold no `..` segment, splitting on
//! both `/` and `\` (so `a\..\b` is refused while `a..b.md` is a fine name). It is then opened
//! through a `cap-std` [`Dir`] of the root, which resolves every component beneath that root
//! (`openat2(RESOLVE_BENEATH)` where the kernel has it): a symlink that leads out of the root is
//! refused, one that stays inside is followed.

use std::io;
use std::path::{Component, Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

use crate::error::{Error, IoContext, Result};
use crate::fsx;

/// Checks `raw` lexically and returns it as a clean relative path (`.` segments dropped).
///
/// Errors: [`Error::PathRefused`] naming the rule that refused it.
pub fn validate_relative(raw: &str) -> Result<PathBuf> {
    let refuse = |reason: &str| Err(Error::refused_path(raw, reason));
    if raw.is_empty() {
        return refuse("it is empty");
    }
    if raw.contains('\0') {
        return refuse("it contains a NUL byte");
    }
    let bytes = raw.as_bytes();
    if raw.starts_with('/') || raw.starts_with('\\') {
        return refuse(
            "absolute paths are not allowed; give a path relative to the working directory",
        );
    }
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return refuse("drive-qualified paths are not allowed");
    }
    let mut clean = PathBuf::new();
    for segment in raw.split(['/', '\\']) {
        match segment {
            ".." => return refuse("`..` segments are not allowed"),
            "" | "." => {}
            s => clean.push(s),
        }
    }
    if clean.as_os_str().is_empty() {
        return refuse("it names no file");
    }
    debug_assert!(
        clean
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
    );
    Ok(clean)
}

/// A folder that untrusted relative paths are resolved beneath.
#[derive(Debug)]
pub struct Root {
    dir: Dir,
    path: PathBuf,
}

impl Root {
    /// Opens `path` (trusted: the working directory or the project root) as a root.
    pub fn open(path: &Path) -> Result<Root> {
        let dir = Dir::open_ambient_dir(path, ambient_authority()).ctx("open folder", path)?;
        Ok(Root {
            dir,
            path: path.to_path_buf(),
        })
    }

    /// The root's own path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file at `rel` beneath the root.
    ///
    /// Errors: [`Error::PathRefused`] for a refused shape or a symlink leading out;
    /// [`Error::Io`] ("read") otherwise, e.g. when the file does not exist.
    pub fn read(&self, rel: &str) -> Result<Vec<u8>> {
        let clean = validate_relative(rel)?;
        self.dir
            .read(&clean)
            .map_err(|e| self.map_err("read", rel, &clean, e))
    }

    /// Durably replaces the file at `rel` beneath the root with `bytes`, creating missing
    /// parent folders (0755). A final component that is a symlink staying inside the root is
    /// written through (its target is replaced); new files get `new_mode`.
    ///
    /// Errors: as [`Root::read`], plus those of [`fsx::durable_replace_in`].
    pub fn write(&self, rel: &str, bytes: &[u8], new_mode: u32) -> Result<()> {
        let mut clean = validate_relative(rel)?;
        if self
            .dir
            .symlink_metadata(&clean)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false)
        {
            clean = self
                .dir
                .canonicalize(&clean)
                .map_err(|e| self.map_err("resolve symlink", rel, &clean, e))?;
        }
        let (parent, name) = fsx::split_parent(&clean)?;
        let folder = match self.dir.open_dir(&parent) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.dir
                    .create_dir_all(&parent)
                    .map_err(|e| self.map_err("create folder", rel, &parent, e))?;
                self.dir.open_dir(&parent)
            }
            other => other,
        }
        .map_err(|e| self.map_err("open folder", rel, &parent, e))?;
        fsx::durable_replace_in(&folder, &self.path.join(&parent), &name, bytes, new_mode)
    }

    /// Takes the sidecar lock `<rel_dir>/.lock` beneath the root (see [`crate::lock`]),
    /// creating `rel_dir` if missing.
    pub fn lock(
        &self,
        rel_dir: &Path,
        timeout: std::time::Duration,
    ) -> Result<crate::lock::LockGuard> {
        let shown = rel_dir.display().to_string();
        match self.dir.open_dir(rel_dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => self
                .dir
                .create_dir_all(rel_dir)
                .map_err(|e| self.map_err("create folder", &shown, rel_dir, e))?,
            Err(e) => return Err(self.map_err("open folder", &shown, rel_dir, e)),
            Ok(_) => {}
        }
        let lock_rel = rel_dir.join(".lock");
        let mut options = cap_std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        let file = self
            .dir
            .open_with(&lock_rel, &options)
            .map_err(|e| self.map_err("open lock file", &shown, &lock_rel, e))?;
        crate::lock::lock_file(file.into_std(), &self.path.join(&lock_rel), timeout)
    }

    /// Creates the folder `rel` and its parents beneath the root. Refuses a path any of whose
    /// existing components is a symlink, so a state dir can never be redirected.
    pub fn create_dir_all_no_symlinks(&self, rel: &Path) -> Result<()> {
        let mut sofar = PathBuf::new();
        for component in rel.components() {
            sofar.push(component);
            match self.dir.symlink_metadata(&sofar) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(Error::refused_path(
                        rel.display().to_string(),
                        format!("{} is a symlink", sofar.display()),
                    ));
                }
                Ok(meta) if !meta.is_dir() => {
                    return Err(Error::refused_path(
                        rel.display().to_string(),
                        format!("{} exists and is not a folder", sofar.display()),
                    ));
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    self.dir.create_dir(&sofar).map_err(|e| {
                        self.map_err("create folder", &rel.display().to_string(), &sofar, e)
                    })?;
                }
                Err(e) => {
                    return Err(self.map_err("inspect", &rel.display().to_string(), &sofar, e));
                }
            }
        }
        Ok(())
    }

    fn map_err(&self, op: &'static str, raw: &str, clean: &Path, e: io::Error) -> Error {
        if leads_outside(&e) {
            Error::refused_path(
                raw,
                format!(
                    "it leads outside {} (through a symlink)",
                    self.path.display()
                ),
            )
        } else {
            Error::io(op, self.path.join(clean), e)
        }
    }
}

/// Whether an error from `cap-std` means the path escaped the root.
fn leads_outside(e: &io::Error) -> bool {
    e.to_string().contains("outside of the filesystem")
        || e.raw_os_error() == Some(rustix::io::Errno::XDEV.raw_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn refused_shapes() {
        for bad in [
            "",
            "/etc/passwd",
            "\\x",
            "C:\\x",
            "c:x",
            "..",
            "../x",
            "a/../b",
            "a\\..\\b",
            "a/..",
            "x\0y",
            ".",
            "./",
            "a/./..",
        ] {
            let err = validate_relative(bad).expect_err(bad);
            assert!(matches!(err, Error::PathRefused { .. }), "{bad:?}: {err}");
        }
    }

    #[test]
    fn accepted_shapes() {
        assert_eq!(
            validate_relative("a..b.md").expect("ok"),
            PathBuf::from("a..b.md")
        );
        assert_eq!(
            validate_relative("./a//b/./c.md").expect("ok"),
            PathBuf::from("a/b/c.md")
        );
        assert_eq!(
            validate_relative("..a/b..").expect("ok"),
            PathBuf::from("..a/b..")
        );
        assert_eq!(validate_relative("a\\b").expect("ok"), PathBuf::from("a/b"));
    }

    #[test]
    fn symlink_to_etc_is_refused_for_read_and_write() {
        let t = tempfile::tempdir().expect("tmp");
        symlink("/etc", t.path().join("etc-link")).expect("symlink");
        symlink("/etc/hostname", t.path().join("host-link")).expect("symlink");
        let root = Root::open(t.path()).expect("root");
        for rel in ["etc-link/hostname", "host-link"] {
            let err = root.read(rel).expect_err(rel);
            assert!(matches!(err, Error::PathRefused { .. }), "{rel}: {err}");
            let err = root.write(rel, b"x", 0o644).expect_err(rel);
            assert!(matches!(err, Error::PathRefused { .. }), "{rel}: {err}");
        }
        let err = root
            .write("etc-link/new-file", b"x", 0o644)
            .expect_err("write through link");
        assert!(matches!(err, Error::PathRefused { .. }), "{err}");
        assert!(!Path::new("/etc/new-file").exists());
    }

    #[test]
    fn symlinks_inside_are_followed() {
        let t = tempfile::tempdir().expect("tmp");
        std::fs::create_dir(t.path().join("real")).expect("mkdir");
        std::fs::write(t.path().join("real/f.md"), "inside").expect("write");
        symlink("real", t.path().join("alias")).expect("symlink");
        symlink("real/f.md", t.path().join("file-alias")).expect("symlink");
        let root = Root::open(t.path()).expect("root");
        assert_eq!(root.read("alias/f.md").expect("read"), b"inside");
        root.write("file-alias", b"through", 0o644).expect("write");
        assert_eq!(
            std::fs::read(t.path().join("real/f.md")).expect("read"),
            b"through"
        );
        assert!(
            std::fs::symlink_metadata(t.path().join("file-alias"))
                .expect("meta")
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn write_creates_parents_and_missing_read_is_io() {
        let t = tempfile::tempdir().expect("tmp");
        let root = Root::open(t.path()).expect("root");
        root.write("a/b/c.md", b"x", 0o644).expect("write");
        assert_eq!(
            std::fs::read(t.path().join("a/b/c.md")).expect("read"),
            b"x"
        );
        let err = root.read("missing.md").expect_err("missing");
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }

    #[test]
    fn create_dir_all_refuses_symlinked_component() {
        let t = tempfile::tempdir().expect("tmp");
        std::fs::create_dir(t.path().join("real")).expect("mkdir");
        symlink("real", t.path().join("docs")).expect("symlink");
        let root = Root::open(t.path()).expect("root");
        let err = root
            .create_dir_all_no_symlinks(Path::new("docs/maestro"))
            .expect_err("symlink");
        assert!(err.to_string().contains("symlink"), "{err}");
        root.create_dir_all_no_symlinks(Path::new("x/y/z"))
            .expect("plain");
        assert!(t.path().join("x/y/z").is_dir());
    }
}
