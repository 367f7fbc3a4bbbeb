//! Untrusted relative paths, resolved beneath a root with the kernel's help (DESIGN 3).
//!
//! A path from a runtime, a person or a model is first checked lexically: it must be non-empty,
//! hold no NUL byte, not be absolute (`/x`, `\x`, `C:\x`), and hold no `..` segment, splitting on
//! both `/` and `\` (so `a\..\b` is refused while `a..b.md` is a fine name). It is then opened
//! through a `cap-std` [`Dir`] of the root, which resolves every component beneath that root
//! (`openat2(RESOLVE_BENEATH)` where the kernel has it): a symlink that leads out of the root is
//! refused, one that stays inside is followed.
//!
//! Part of the fs layer with [`crate::durable`]: it opens, creates and removes beneath a root,
//! which `clippy.toml` allows nowhere else.
#![allow(clippy::disallowed_methods)]

use std::io;
use std::path::{Component, Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

use crate::durable;
use crate::error::{Error, IoContext, Result};
use crate::reader::{self, ReadKind};

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

/// `rel` as text with `/` between its components on every platform: the spelling of a
/// relative path in the state folder's records and intents (a Windows `PathBuf` joins with
/// `\`, which those refuse as not plain). A component that is not valid UTF-8 is shown
/// lossily.
pub fn slash_text(rel: &Path) -> String {
    let parts: Vec<_> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
}

/// What identifies one version of a file on disk for a cache: inode, size in bytes and
/// modification time (s and ns since the Unix epoch). A durable replace makes a new inode and
/// an edit in place moves the mtime, so a changed file never keeps its stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    /// Inode number.
    pub ino: u64,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, whole seconds.
    pub mtime_s: i64,
    /// Modification time, nanoseconds within the second.
    pub mtime_ns: i64,
}

impl std::fmt::Display for FileStamp {
    /// `ino:size:mtime_s.mtime_ns`, the key caches store.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}.{}",
            self.ino, self.size, self.mtime_s, self.mtime_ns
        )
    }
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
        self.read_file(&clean, ReadKind::SESSION, true)
            .map_err(|e| match e {
                Error::Io { op, source, .. } => self.map_err(op, rel, &clean, source),
                other => other,
            })
    }

    /// Durably replaces the file at `rel` beneath the root with `bytes`, creating missing
    /// parent folders (0755). A final component that is a symlink staying inside the root is
    /// written through (its target is replaced); new files get `new_mode`.
    ///
    /// Errors: as [`Root::read`], plus those of [`durable::durable_replace_in`].
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
        let (parent, name) = durable::split_parent(&clean)?;
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
        durable::durable_replace_in(&folder, &self.path.join(&parent), &name, bytes, new_mode)
    }

    /// Takes the sidecar lock `<rel_dir>/.lock` beneath the root (see [`crate::lock`]),
    /// creating `rel_dir` if missing.
    pub fn lock(
        &self,
        rel_dir: &Path,
        timeout: std::time::Duration,
    ) -> Result<crate::lock::LockGuard> {
        self.create_dirs(rel_dir)?;
        self.lock_file(&rel_dir.join(".lock"), timeout)
    }

    /// Takes the exclusive lock on the file `rel` beneath the root, creating it (0644) when
    /// missing. The file is opened without following a symlink and never truncated; anything
    /// but a regular file is refused.
    ///
    /// Errors: [`Error::NotRegular`] for a symlink, FIFO, device or folder; [`Error::Io`];
    /// [`Error::LockTimeout`] (see [`crate::lock::lock_file`]).
    pub fn lock_file(
        &self,
        rel: &Path,
        timeout: std::time::Duration,
    ) -> Result<crate::lock::LockGuard> {
        let mut options = cap_std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        crate::platform::set_mode_cap(&mut options, durable::STATE_FILE_MODE);
        reader::untrusted_read_flags(&mut options, false);
        let file = self
            .dir
            .open_with(rel, &options)
            .map_err(|e| self.open_err("open lock file", rel, e))?
            .into_std();
        let meta = file.metadata().ctx("inspect", self.join(rel))?;
        if !meta.is_file() {
            return Err(Error::NotRegular {
                path: self.join(rel),
                what: reader::DescribeType::describe(&meta.file_type()),
            });
        }
        crate::lock::lock_file(file, &self.join(rel), timeout)
    }

    /// The path of `rel` beneath the root, for messages and reports.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path.join(rel)
    }

    /// Opens the folder `rel` beneath this root as a root of its own. Symlinks that stay
    /// inside this root are followed; one that leads out is refused.
    ///
    /// Errors: [`Error::PathRefused`] for a way out; [`Error::Io`] ("open folder"), e.g. when it
    /// does not exist.
    pub fn open_dir(&self, rel: &Path) -> Result<Root> {
        let dir = self
            .dir
            .open_dir(rel)
            .map_err(|e| self.open_err("open folder", rel, e))?;
        Ok(Root {
            dir,
            path: self.join(rel),
        })
    }

    /// Creates the folder `rel` and its missing parents beneath the root (0755), one
    /// component at a time. A component that is a symlink is followed only when it stays
    /// inside the root; one leading out is refused, and nothing is created through it.
    ///
    /// Errors: [`Error::PathRefused`] for a way out or a component that is not a folder;
    /// [`Error::Io`] ("create folder").
    pub fn create_dirs(&self, rel: &Path) -> Result<()> {
        let shown = rel.display().to_string();
        let mut sofar = PathBuf::new();
        for component in rel.components() {
            if matches!(component, Component::CurDir) {
                continue;
            }
            sofar.push(component);
            match self.dir.symlink_metadata(&sofar) {
                Ok(meta) if meta.is_dir() => {}
                Ok(meta) if meta.file_type().is_symlink() => {
                    let target = self
                        .dir
                        .metadata(&sofar)
                        .map_err(|e| self.map_err("inspect", &shown, &sofar, e))?;
                    if !target.is_dir() {
                        return Err(Error::refused_path(
                            shown,
                            format!("{} is a symlink to something not a folder", sofar.display()),
                        ));
                    }
                }
                Ok(_) => {
                    return Err(Error::refused_path(
                        shown,
                        format!("{} exists and is not a folder", sofar.display()),
                    ));
                }
                Err(e) if is_missing(&e) => match self.dir.create_dir(&sofar) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                        return Err(self.map_err("create folder", &shown, &sofar, e));
                    }
                    _ => {}
                },
                Err(e) => return Err(self.map_err("inspect", &shown, &sofar, e)),
            }
        }
        Ok(())
    }

    /// Reads the regular file `rel` beneath the root, at most the cap of `kind` (see
    /// [`reader::read_opened`]), which errors name. With `follow` off, a final symlink is
    /// refused, as for the files the tools own; a symlink that stays inside is otherwise
    /// followed.
    ///
    /// Errors: [`Error::PathRefused`], [`Error::NotRegular`], [`Error::TooLarge`],
    /// [`Error::Io`] ("read"; [`Error::is_not_found`] when it does not exist).
    pub fn read_file(
        &self,
        rel: &Path,
        kind: impl Into<ReadKind>,
        follow: bool,
    ) -> Result<Vec<u8>> {
        let file = self.open_read(rel, follow)?;
        reader::read_opened(file, &self.join(rel), kind.into())
    }

    /// Reads only the frontmatter block of the session file `rel` (see
    /// [`reader::read_frontmatter_opened`]), at most `cap` bytes.
    pub fn read_frontmatter(&self, rel: &Path, cap: u64) -> Result<Vec<u8>> {
        let file = self.open_read(rel, true)?;
        reader::read_frontmatter_opened(file, &self.join(rel), cap)
    }

    /// Opens the file `rel` beneath the root for reading without blocking (a FIFO opens at
    /// once); the caller checks the type on the descriptor ([`reader::read_opened`],
    /// [`reader::read_frontmatter_opened`], [`reader::check_regular`]). With `follow` off a
    /// final symlink is refused ([`Error::NotRegular`], `a symlink`).
    pub fn open_read(&self, rel: &Path, follow: bool) -> Result<std::fs::File> {
        let mut options = cap_std::fs::OpenOptions::new();
        options.read(true);
        reader::untrusted_read_flags(&mut options, follow);
        Ok(self
            .dir
            .open_with(rel, &options)
            .map_err(|e| self.open_err("read", rel, e))?
            .into_std())
    }

    /// Opens the file `rel` beneath the root (a final symlink refused), or with `folder` set
    /// the folder `rel` (followed), for a later `sync_data`: read access on Unix; on Windows
    /// write access, which `FlushFileBuffers` needs, and `None` for a folder, which Windows
    /// cannot flush ([`crate::platform::FOLDERS_SYNC`], [`crate::platform::sync_open_folder`]).
    pub fn open_for_sync(&self, rel: &Path, folder: bool) -> Result<Option<std::fs::File>> {
        if folder && !crate::platform::FOLDERS_SYNC {
            return Ok(None);
        }
        let mut options = cap_std::fs::OpenOptions::new();
        crate::platform::sync_access(&mut options);
        reader::untrusted_read_flags(&mut options, folder);
        Ok(Some(
            self.dir
                .open_with(rel, &options)
                .map_err(|e| self.open_err("open for sync", rel, e))?
                .into_std(),
        ))
    }

    /// Durably replaces the file `rel` beneath the root (its folder must exist): see
    /// [`durable::durable_replace_in`]. The directory entry is replaced, so a symlink there is
    /// replaced, never written through. With `durable` off the two fsyncs are skipped (for
    /// caches such as the list index).
    pub fn replace(&self, rel: &Path, bytes: &[u8], mode: u32, durable: bool) -> Result<()> {
        let (parent, name) = durable::split_parent(rel)?;
        let folder = self.folder(&parent)?;
        if durable {
            durable::durable_replace_in(&folder, &self.join(&parent), &name, bytes, mode)
        } else {
            durable::fast_replace_in(&folder, &self.join(&parent), &name, bytes, mode)
        }
    }

    /// Appends `record` to the file `rel` beneath the root (its folder must exist), creating it
    /// with `mode`; a final symlink is refused. One `O_APPEND` write: see
    /// [`crate::append::append_in`] (here because it needs the root's folder handle).
    pub fn append(
        &self,
        rel: &Path,
        record: &[u8],
        mode: u32,
        sync: bool,
    ) -> Result<crate::append::Appended> {
        let (parent, name) = durable::split_parent(rel)?;
        let folder = self.folder(&parent)?;
        crate::append::append_in(
            &folder,
            Path::new(&name),
            &self.join(rel),
            record,
            mode,
            sync,
        )
    }

    /// Overwrites bytes of the existing regular file `rel` beneath the root at `offset`, in
    /// place, never changing its length (a final symlink is refused); see
    /// [`crate::in_place::overwrite_at_in`].
    pub fn overwrite_at(&self, rel: &Path, offset: u64, bytes: &[u8]) -> Result<()> {
        let (parent, name) = durable::split_parent(rel)?;
        let folder = self.folder(&parent)?;
        crate::in_place::overwrite_at_in(&folder, Path::new(&name), &self.join(rel), offset, bytes)
    }

    /// `len` bytes of the regular file `rel` beneath the root from `offset` (a final symlink is
    /// refused; a FIFO is never waited on); see [`crate::in_place::read_range`].
    pub fn read_range(&self, rel: &Path, offset: u64, len: u64) -> Result<Vec<u8>> {
        let file = self.open_read(rel, false)?;
        crate::in_place::read_range(&file, &self.join(rel), offset, len)
    }

    /// Durably moves `from` to `to` beneath the root (both folders fsynced). With `overwrite`
    /// off an existing `to` is never replaced (`RENAME_NOREPLACE`).
    ///
    /// Errors: [`Error::Io`] ("move"), `AlreadyExists` when `to` exists and `overwrite` is off.
    pub fn rename(&self, from: &Path, to: &Path, overwrite: bool) -> Result<()> {
        let (from_parent, from_name) = durable::split_parent(from)?;
        let (to_parent, to_name) = durable::split_parent(to)?;
        let from_dir = self.folder(&from_parent)?;
        let to_dir = self.folder(&to_parent)?;
        durable::durable_rename_in(
            (&from_dir, &self.join(&from_parent), &from_name),
            (&to_dir, &self.join(&to_parent), &to_name),
            overwrite,
        )
    }

    /// Durably removes the file `rel` beneath the root (its folder fsynced).
    pub fn remove(&self, rel: &Path) -> Result<()> {
        let (parent, name) = durable::split_parent(rel)?;
        let folder = self.folder(&parent)?;
        durable::durable_remove_in(&folder, &self.join(&parent), &name)
    }

    /// Removes the file `rel` beneath the root without fsyncing its folder and without
    /// counting as a step of `durable::fault` (the crash injection of the tests): for files whose return after a power loss is
    /// harmless (the event log of a session `cleanup` removed), so the kill tests' model of
    /// session mutations stays exact. A missing file is fine.
    pub fn remove_unsynced(&self, rel: &Path) -> Result<()> {
        let (parent, name) = durable::split_parent(rel)?;
        let folder = match self.folder(&parent) {
            Err(e) if e.is_not_found() => return Ok(()),
            other => other?,
        };
        match folder.remove_file(&name) {
            Err(e) if is_missing(&e) => Ok(()),
            other => other.map_err(|e| self.open_err("remove", rel, e)),
        }
    }

    /// Removes the folder `rel` beneath the root when it is empty (`rmdir`: a folder that still
    /// holds anything, or a symlink, is left and `Ok(false)` returned), then fsyncs its parent.
    /// A missing folder is fine (`Ok(false)`).
    ///
    /// Errors: [`Error::Io`] ("remove folder") for any other failure.
    pub fn remove_empty_dir(&self, rel: &Path) -> Result<bool> {
        let (parent, name) = durable::split_parent(rel)?;
        let folder = match self.folder(&parent) {
            Err(e) if e.is_not_found() => return Ok(false),
            other => other?,
        };
        match folder.remove_dir(&name) {
            Ok(()) => {}
            Err(e) if is_missing(&e) || crate::platform::is_not_empty_folder(&e) => {
                return Ok(false);
            }
            Err(e) => return Err(self.open_err("remove folder", rel, e)),
        }
        let parent_path = self.join(&parent);
        crate::platform::sync_open_folder(&folder)
            .map_err(|e| Error::io("fsync folder", &parent_path, e))?;
        Ok(true)
    }

    /// The names in the folder `rel` (empty when it does not exist), sorted. Names that are
    /// not UTF-8 are returned lossily (they never name a session).
    pub fn names(&self, rel: &Path) -> Result<Vec<String>> {
        let entries = match self.dir.read_dir(rel) {
            Err(e) if is_missing(&e) => return Ok(Vec::new()),
            other => other.map_err(|e| self.open_err("list", rel, e))?,
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    /// The identity of each entry `names` of the folder `rel` (symlinks not followed): one
    /// `statx` per name on the folder opened once, for caches keyed by file identity (the
    /// list index). A name that is not a single plain component (`/`, `.`, `..`, empty, NUL),
    /// is missing or cannot be inspected gets `None`. The folder is opened beneath the root.
    ///
    /// Errors: [`Error::PathRefused`] or [`Error::Io`] ("open folder") for the folder only.
    pub fn entry_stamps(&self, rel: &Path, names: &[String]) -> Result<Vec<Option<FileStamp>>> {
        let folder = self.folder(rel)?;
        Ok(names
            .iter()
            .map(|name| {
                let plain =
                    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0']);
                if !plain {
                    return None;
                }
                let meta = folder.symlink_metadata(name.as_str()).ok()?;
                let (mtime_s, mtime_ns) =
                    crate::platform::mtime_parts(meta.modified().map(|t| t.into_std()));
                Some(FileStamp {
                    ino: crate::platform::cap_inode(&meta),
                    size: meta.len(),
                    mtime_s,
                    mtime_ns,
                })
            })
            .collect())
    }

    /// The metadata of `rel` itself (a symlink is not followed), or `None` when it does not
    /// exist.
    pub fn metadata(&self, rel: &Path) -> Result<Option<cap_std::fs::Metadata>> {
        match self.dir.symlink_metadata(rel) {
            Ok(meta) => Ok(Some(meta)),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(self.open_err("inspect", rel, e)),
        }
    }

    /// The path of `rel` relative to the root with every symlink resolved (beneath the root),
    /// or `None` when it does not exist.
    ///
    /// Errors: [`Error::PathRefused`] when it leads out of the root.
    pub fn canonical(&self, rel: &Path) -> Result<Option<PathBuf>> {
        match self.dir.canonicalize(rel) {
            Ok(p) => Ok(Some(p)),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(self.open_err("resolve", rel, e)),
        }
    }

    /// Removes the temp files of writers that are gone from the folder `rel` (see
    /// [`durable::remove_stale_temps`]); a missing folder is fine. Best effort.
    pub fn sweep_stale_temps(&self, rel: &Path) {
        if !durable::sweepable(&self.join(rel)) {
            return;
        }
        if let Ok(folder) = self.folder(rel) {
            durable::remove_stale_temps(&folder);
        }
    }

    /// The modification time of `rel` (symlinks inside the root followed) in s since the Unix
    /// epoch, or `None` when it cannot be found or read.
    pub fn modified_secs(&self, rel: &Path) -> Option<i64> {
        let modified = self.dir.metadata(rel).ok()?.modified().ok()?.into_std();
        let secs = modified
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        i64::try_from(secs).ok()
    }

    fn folder(&self, rel: &Path) -> Result<Dir> {
        if rel == Path::new(".") || rel.as_os_str().is_empty() {
            return self
                .dir
                .try_clone()
                .map_err(|e| Error::io("open folder", &self.path, e));
        }
        self.dir
            .open_dir(rel)
            .map_err(|e| self.open_err("open folder", rel, e))
    }

    fn open_err(&self, op: &'static str, rel: &Path, e: io::Error) -> Error {
        if crate::platform::is_symlink_refusal(&e) {
            return Error::NotRegular {
                path: self.join(rel),
                what: "a symlink",
            };
        }
        if crate::platform::may_be_folder_refusal(&e)
            && self.dir.metadata(rel).is_ok_and(|m| m.is_dir())
        {
            return Error::NotRegular {
                path: self.join(rel),
                what: "a folder",
            };
        }
        self.map_err(op, &rel.display().to_string(), rel, e)
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

/// Whether an I/O error means the path (or a folder on the way) does not exist.
pub fn is_missing(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// Whether an error from `cap-std` means the path escaped the root.
fn leads_outside(e: &io::Error) -> bool {
    e.to_string().contains("outside of the filesystem") || crate::platform::is_cross_device(e)
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
    fn create_dirs_follows_inside_links_and_refuses_ways_out() {
        let t = tempfile::tempdir().expect("tmp");
        let outside = tempfile::tempdir().expect("tmp");
        std::fs::create_dir(t.path().join("real")).expect("mkdir");
        symlink("real", t.path().join("inside")).expect("symlink");
        symlink(outside.path(), t.path().join("docs")).expect("symlink");
        let root = Root::open(t.path()).expect("root");
        let err = root
            .create_dirs(Path::new("docs/maestro/state"))
            .expect_err("leads out");
        assert!(matches!(err, Error::PathRefused { .. }), "{err}");
        assert!(
            std::fs::read_dir(outside.path())
                .expect("ls")
                .next()
                .is_none()
        );
        root.create_dirs(Path::new("inside/a/b")).expect("inside");
        assert!(t.path().join("real/a/b").is_dir());
        root.create_dirs(Path::new("x/y/z")).expect("plain");
        assert!(t.path().join("x/y/z").is_dir());
    }
}
