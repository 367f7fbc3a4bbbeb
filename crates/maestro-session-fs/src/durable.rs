//! The only place that writes, renames and fsyncs (DESIGN 3).
//!
//! With `beneath` (which resolves untrusted paths and calls into this module), this is the fs
//! layer: the only code allowed the file-system mutations that `clippy.toml` disallows
//! everywhere else, so every write keeps the rules below (durable replace, crash injection,
//! private modes) and no command can bypass them.
#![allow(clippy::disallowed_methods)]
//!
//! Durable replace: write a uniquely named temp file in the target's folder, `fsync` it, rename
//! it over the target, `fsync` the folder. A reader sees the old bytes or the new bytes, never a
//! mix; a crash leaves at most a temp file `.<name>.<pid>-<n>-<nanos>.maestro-tmp`, which the next
//! durable replace in that folder removes once its writer process is gone.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};

use crate::error::{Error, IoContext, Result};
use crate::platform;
use crate::reader::{self, ReadKind};

/// Suffix of every temp file a durable replace creates.
pub const TEMP_SUFFIX: &str = ".maestro-tmp";

/// Mode of a newly created state file (project files are shared like any source file).
pub const STATE_FILE_MODE: u32 = 0o644;
/// Mode of a newly created hook-state file (private to the user).
pub const PRIVATE_FILE_MODE: u32 = 0o600;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The most bytes a session file (or any file a state tool reads) may hold: 16 MiB
/// ([`ReadKind::SESSION`], where every cap is). A larger file is refused with
/// [`Error::TooLarge`] before any of it is read, so a runaway or hostile file cannot make a
/// command or a hook hold gigabytes in memory.
pub const MAX_SESSION_BYTES: u64 = ReadKind::SESSION.cap;

// The reading half of the fs layer lives in `crate::reader`; these names stay here so
// that older call sites compile.

pub use crate::reader::{DescribeType, read_frontmatter_opened};

/// Reads an opened file whole, at most `cap` bytes, `kind` naming the cap in errors: see
/// [`crate::reader::read_opened`].
pub fn read_opened(
    file: std::fs::File,
    path: &Path,
    cap: u64,
    kind: &'static str,
) -> Result<Vec<u8>> {
    reader::read_opened(file, path, ReadKind::new(kind, cap))
}

/// Reads the file at `path` (a path the caller trusts) with the checks of
/// [`crate::reader::read_path`]; symlinks are followed.
pub fn read_regular(path: &Path, cap: u64, kind: &'static str) -> Result<Vec<u8>> {
    reader::read_path(path, ReadKind::new(kind, cap))
}

/// Creates the folder `path` (a path the caller trusts, such as an install folder) and its
/// parents, mode 0755.
pub fn create_dirs(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).ctx("create folder", path)
}

/// Creates the folder `path` with mode 0700 (private hook state), and its parents when
/// `recursive` is set. The error is the OS's, so callers can accept `AlreadyExists`.
pub fn create_private_dir(path: &Path, recursive: bool) -> std::io::Result<()> {
    platform::create_private_dir(path, recursive)
}

/// Creates `path` 0700 (and its parents) if missing, then checks it is a real folder (not a
/// symlink) owned by this user and not writable by group or others (on Windows, where modes
/// and uids do not apply, that it is a real folder: see `crate::platform`). The error is a
/// short reason, for a message that names the folder.
pub fn ensure_private_dir(path: &Path) -> std::result::Result<(), String> {
    match create_private_dir(path, true) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("cannot create it: {e}")),
    }
    let meta = reader::lstat(path).map_err(|e| format!("cannot inspect it: {e}"))?;
    if meta.file_type().is_symlink() {
        return Err("it is a symlink".into());
    }
    if !meta.is_dir() {
        return Err("it is not a folder".into());
    }
    let (uid, owner) = (platform::user_id(), platform::owner_of(&meta));
    if owner != uid {
        return Err(format!("it is owned by uid {owner}, not {uid}"));
    }
    if platform::shared_writable(&meta) {
        return Err(format!(
            "it is writable by group or others (mode {:o})",
            platform::Ownership::mode_bits(&meta)
        ));
    }
    Ok(())
}

/// Removes the folder `path` and everything in it (transient hook state only).
pub fn remove_tree(path: &Path) -> Result<()> {
    std::fs::remove_dir_all(path).ctx("remove folder", path)
}

/// Removes the file `path`; a missing file is fine.
pub fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", path, e)),
        _ => Ok(()),
    }
}

/// Removes the folder `path` when it is empty (a folder of an install being taken apart);
/// returns whether it did. A missing folder, or one that still holds something, is left as it
/// is (`Ok(false)`).
pub fn remove_empty_dir(path: &Path) -> Result<bool> {
    match std::fs::remove_dir(path) {
        Ok(()) => Ok(true),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::DirectoryNotEmpty
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(Error::io("remove folder", path, e)),
    }
}

/// Opens `path` for writing with `options` plus `O_NONBLOCK | O_NOCTTY` (and `O_NOFOLLOW`
/// unless `follow`) and checks, on the descriptor, that it is a regular file: a final symlink
/// fails with `ELOOP`, a FIFO with no reader with `ENXIO`, a device or folder is refused before
/// anything is written; nothing blocks.
fn open_regular_for_write(
    options: &mut std::fs::OpenOptions,
    path: &Path,
    follow: bool,
) -> std::io::Result<std::fs::File> {
    let file = platform::untrusted_std(options, follow).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(file)
}

/// Sets the mtime of the stamp file `path` (0600, created empty when missing) to now; for
/// stamp files whose mtime is all that matters. The file is never truncated, a final symlink
/// is refused and only a regular file is touched, so a planted link or FIFO changes nothing.
pub fn touch_stamp(path: &Path) -> std::io::Result<()> {
    let file = open_regular_for_write(
        platform::set_mode_std(
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false),
            PRIVATE_FILE_MODE,
        ),
        path,
        false,
    )?;
    file.set_modified(std::time::SystemTime::now())
}

/// Creates the file `path` holding `bytes` (mode 0600), only when nothing is there
/// (`O_EXCL`: an existing file, folder or symlink is an `AlreadyExists` error and is left
/// alone). Not fsynced: for the transient hook state (its marker file).
pub fn create_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = open_regular_for_write(
        platform::set_mode_std(
            std::fs::OpenOptions::new().write(true).create_new(true),
            PRIVATE_FILE_MODE,
        ),
        path,
        false,
    )?;
    file.write_all(bytes)
}

/// Sets the mtime of the folder `path` to now. The folder is opened `O_DIRECTORY |
/// O_NOFOLLOW`: a symlink, a FIFO or a file there is an error, never opened as a folder.
pub fn touch_dir(path: &Path) -> Result<()> {
    let dir = platform::open_dir_for_times(path).ctx("open folder", path)?;
    dir.set_modified(std::time::SystemTime::now())
        .ctx("update mtime of", path)
}

/// Appends `line` to the file `path` (created 0644 when missing) in one `O_APPEND` write, so
/// lines of concurrent writers never interleave. `path` is named by the user (symlinks are
/// followed), but only a regular file is written: a FIFO or a device is refused without
/// blocking or writing (the hook log must never stall a turn).
pub fn append_line(path: &Path, line: &[u8]) -> Result<()> {
    open_regular_for_write(
        platform::set_mode_std(
            std::fs::OpenOptions::new().create(true).append(true),
            STATE_FILE_MODE,
        ),
        path,
        true,
    )
    .and_then(|mut file| file.write_all(line))
    .ctx("append to", path)
}

/// Writes `bytes` at `offset` of the open `file` (the lock's holder record), in place.
pub fn write_at(file: &std::fs::File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    platform::write_all_at(file, bytes, offset)
}

/// Crash injection for the kill-at-any-step property tests: every durable mutation (replace,
/// rename, remove, folder creation) of the state dir counts one step, and once armed with
/// `n`, the step after the `n`-th panics with [`fault::CRASH`], as if the process had been
/// killed there (no code after it runs; the lock is released like the kernel would). Unarmed
/// (always, outside those tests) it costs one thread-local read per mutation.
///
/// Only in builds with the cargo feature `fault-injection`, which the tests enable
/// (`session-core`'s dev-dependency on itself, the e2e tests' build of the executables) and
/// the release build never does: there a step is nothing at all.
#[cfg(feature = "fault-injection")]
#[doc(hidden)]
pub mod fault {
    use std::cell::Cell;

    /// The panic message of an injected crash.
    pub const CRASH: &str = "maestro-session: injected crash";

    thread_local! {
        // Per thread, so tests running in parallel never trip each other's crash.
        static REMAINING: Cell<i64> = const { Cell::new(-1) };
    }

    /// Arms a crash, in this thread, before the mutation after the next `n` ones (0: the very
    /// next one).
    pub fn arm(n: u32) {
        REMAINING.set(i64::from(n));
    }

    /// Disarms; returns whether the armed crash was not reached.
    pub fn disarm() -> bool {
        REMAINING.replace(-1) >= 0
    }

    /// Counts one durable mutation; panics when the armed count is used up.
    pub(crate) fn step() {
        let left = REMAINING.get();
        if left < 0 {
            return;
        }
        if left == 0 {
            REMAINING.set(-1);
            panic!("{CRASH}");
        }
        REMAINING.set(left - 1);
    }
}

/// Without the `fault-injection` feature (every release build) no crash can be injected.
#[cfg(not(feature = "fault-injection"))]
pub(crate) mod fault {
    /// Nothing.
    #[inline(always)]
    pub(crate) fn step() {}
}

/// Durably replaces `name` inside the open folder `dir` (whose path, for messages, is
/// `dir_path`) with `bytes`.
///
/// A file that already exists keeps its permission bits; a new one gets `new_mode`.
/// Stale temp files of dead writers in the folder are removed first.
///
/// Errors: [`Error::Io`] naming the step (create temp file, write, fsync, rename, fsync folder)
/// and the path. On error the target is untouched and the temp file is removed.
pub fn durable_replace_in(
    dir: &Dir,
    dir_path: &Path,
    name: &str,
    bytes: &[u8],
    new_mode: u32,
) -> Result<()> {
    replace_in(dir, dir_path, name, bytes, new_mode, true)
}

/// Like [`durable_replace_in`] but without the two fsyncs: readers still see the old or the
/// new bytes, never a mix, but a power loss may lose the write. For transient state only
/// (the hook-state folder under /tmp), where the fsyncs would cost about a third of a hook's
/// run time (~0.6 ms of ~2 ms, measured with scripts/bench.sh).
pub fn atomic_replace(path: &Path, bytes: &[u8], new_mode: u32) -> Result<()> {
    let (parent, name) = split_parent(path)?;
    let dir = Dir::open_ambient_dir(&parent, ambient_authority()).ctx("open folder", &parent)?;
    replace_in(&dir, &parent, &name, bytes, new_mode, false)
}

fn replace_in(
    dir: &Dir,
    dir_path: &Path,
    name: &str,
    bytes: &[u8],
    new_mode: u32,
    sync: bool,
) -> Result<()> {
    replace_in_with(dir, dir_path, name, new_mode, sync, &mut |w, temp| {
        w.write_all(bytes).ctx("write", temp)
    })
}

/// What writes the content of a durable replace: the temp file to write to and its path
/// (for messages).
/// Its error is the caller's (any error an fs [`Error`] converts into), so content produced by
/// the layer above fails with that layer's error.
pub type WriteContent<'a, E = Error> =
    dyn FnMut(&mut dyn Write, &Path) -> std::result::Result<(), E> + 'a;

/// Durably replaces the file at `path` (a path the caller trusts, such as a file named on the
/// command line) with what `write` writes to it: for output too large to hold in memory (an
/// export streaming its event log). See [`durable_replace_in`]; when `write` fails, the target
/// is untouched, the temp file removed, and its error returned. The parent folder must exist.
pub fn durable_replace_with<E: From<Error>>(
    path: &Path,
    new_mode: u32,
    write: &mut WriteContent<'_, E>,
) -> std::result::Result<(), E> {
    let (parent, name) = split_parent(path)?;
    let dir = Dir::open_ambient_dir(&parent, ambient_authority()).ctx("open folder", &parent)?;
    replace_in_with(&dir, &parent, &name, new_mode, true, write)
}

fn replace_in_with<E: From<Error>>(
    dir: &Dir,
    dir_path: &Path,
    name: &str,
    new_mode: u32,
    sync: bool,
    write: &mut WriteContent<'_, E>,
) -> std::result::Result<(), E> {
    if sync {
        fault::step();
    }
    if sweepable(dir_path) {
        remove_stale_temps(dir);
    }
    let target_path = dir_path.join(name);
    let mode = match dir.symlink_metadata(name) {
        Ok(meta) if meta.is_file() => platform::mode_of(&meta),
        _ => new_mode,
    };
    let temp = temp_name(name);
    let temp_path = dir_path.join(&temp);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    platform::set_mode_cap(&mut options, mode);
    let mut file = dir
        .open_with(&temp, &options)
        .ctx("create temp file", &temp_path)?;
    let result = (|| -> std::result::Result<(), E> {
        platform::set_file_mode(&file, mode).ctx("set permissions of", &temp_path)?;
        write(&mut file, &temp_path)?;
        if sync {
            file.sync_all().ctx("fsync", &temp_path)?;
        }
        drop(file);
        platform::replace_in(dir, &temp, name).ctx("rename temp file over", &target_path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = dir.remove_file(&temp);
        return result;
    }
    if sync {
        Ok(sync_open_folder(dir, dir_path)?)
    } else {
        Ok(())
    }
}

/// Like [`durable_replace_in`] without the fsyncs; for caches that are rebuilt when lost.
pub fn fast_replace_in(
    dir: &Dir,
    dir_path: &Path,
    name: &str,
    bytes: &[u8],
    new_mode: u32,
) -> Result<()> {
    replace_in(dir, dir_path, name, bytes, new_mode, false)
}

/// Moves `from` (an open folder, its path for messages, a name in it) to `to`, then fsyncs
/// both folders. With `overwrite` off an existing target is never replaced
/// (`renameat2(RENAME_NOREPLACE)`), and the error's kind is `AlreadyExists`.
pub fn durable_rename_in(
    from: (&Dir, &Path, &str),
    to: (&Dir, &Path, &str),
    overwrite: bool,
) -> Result<()> {
    fault::step();
    platform::rename_in(from.0, from.2, to.0, to.2, overwrite).map_err(|e| Error::Io {
        op: "move",
        path: PathBuf::from(format!(
            "{} -> {}",
            from.1.join(from.2).display(),
            to.1.join(to.2).display()
        )),
        source: e,
    })?;
    sync_open_folder(from.0, from.1)?;
    sync_open_folder(to.0, to.1)
}

/// Removes the entry `name` of the open folder `dir` (path `dir_path`, for messages), then
/// fsyncs the folder.
pub fn durable_remove_in(dir: &Dir, dir_path: &Path, name: &str) -> Result<()> {
    fault::step();
    dir.remove_file(name).ctx("remove", dir_path.join(name))?;
    sync_open_folder(dir, dir_path)
}

/// Fsyncs the open folder `dir`. `cap-std` holds folders as `O_PATH` descriptors, which cannot
/// be synced, so the folder is reopened for reading first (beneath itself: `.`).
fn sync_open_folder(dir: &Dir, dir_path: &Path) -> Result<()> {
    platform::sync_open_folder(dir).ctx("fsync folder", dir_path)
}

/// Durably replaces the file at `path` (an absolute or working-directory-relative path the
/// caller trusts, such as the hook base or the state dir) with `bytes`; see
/// [`durable_replace_in`]. The parent folder must exist.
pub fn durable_replace(path: &Path, bytes: &[u8], new_mode: u32) -> Result<()> {
    let (parent, name) = split_parent(path)?;
    let dir = Dir::open_ambient_dir(&parent, ambient_authority()).ctx("open folder", &parent)?;
    durable_replace_in(&dir, &parent, &name, bytes, new_mode)
}

/// Renames `from` to `to` (both trusted paths) and fsyncs both folders, so the move survives a
/// crash. Errors name both paths' operation.
pub fn durable_rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| Error::Io {
        op: "move",
        path: PathBuf::from(format!("{} -> {}", from.display(), to.display())),
        source: e,
    })?;
    for folder in [from.parent(), to.parent()].into_iter().flatten() {
        sync_folder(folder)?;
    }
    Ok(())
}

/// Removes `path` and fsyncs its folder.
pub fn durable_remove(path: &Path) -> Result<()> {
    std::fs::remove_file(path).ctx("remove", path)?;
    if let Some(folder) = path.parent() {
        sync_folder(folder)?;
    }
    Ok(())
}

/// Fsyncs a folder so renames and removals inside it are durable.
pub fn sync_folder(folder: &Path) -> Result<()> {
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    platform::sync_folder(folder).ctx("fsync folder", folder)
}

/// Splits `path` into its parent folder (`.` when none) and its file name.
pub fn split_parent(path: &Path) -> Result<(PathBuf, String)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::refused_path(path.display().to_string(), "has no file name"))?
        .to_string();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

fn temp_name(name: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(".{name}.{}-{n}-{nanos}{TEMP_SUFFIX}", std::process::id())
}

/// The writer pid recorded in a temp file name made by [`durable_replace_in`]: only a name of
/// exactly that shape, `.<name>.<pid>-<n>-<nanos>.maestro-tmp` (a leading dot, a non-empty
/// name, three decimal numbers), is one of ours. Anything else (a file a person named, a temp
/// file `doctor --fix` set aside as `<time>-.<name>....maestro-tmp` in `quarantine/`) is not,
/// so no sweep ever removes it.
pub fn temp_owner(file_name: &str) -> Option<i32> {
    let stem = file_name.strip_suffix(TEMP_SUFFIX)?.strip_prefix('.')?;
    let (name, tail) = stem.rsplit_once('.')?;
    if name.is_empty() {
        return None;
    }
    let mut parts = tail.split('-');
    let pid = parts.next()?;
    let numbers = [pid, parts.next()?, parts.next()?];
    let decimal = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || !numbers.iter().all(|n| decimal(n)) {
        return None;
    }
    pid.parse().ok().filter(|pid| *pid > 0)
}

/// The name of the folder that holds what was set aside (`state/quarantine/`, DESIGN 3): it
/// is never swept, whatever its files are named.
pub const NEVER_SWEPT: &str = "quarantine";

/// Whether temp files in the folder at `dir_path` may be swept (see [`NEVER_SWEPT`]).
pub fn sweepable(dir_path: &Path) -> bool {
    dir_path.file_name().is_none_or(|n| n != NEVER_SWEPT)
}

/// Removes the temp files in `dir` left by writers that no longer run (names of the shape
/// [`temp_owner`] accepts only). Temp files of live processes (including this one) are in
/// flight and left alone. Best effort: a failure to list or remove never fails the write that
/// triggered it. Callers never pass the quarantine folder ([`sweepable`]).
pub fn remove_stale_temps(dir: &Dir) {
    let Ok(entries) = dir.entries() else { return };
    let me = std::process::id() as i32;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(pid) = temp_owner(name) else {
            continue;
        };
        if pid != me && !process_alive(pid) {
            let _ = dir.remove_file(name);
        }
    }
}

/// Whether a process with `pid` runs: `kill(pid, 0)` on Unix, where a process we may not
/// signal exists; on Windows one that can be opened and has not exited, or exists but is
/// another user's. Never for a pid of 0 or below, whatever a file recorded.
pub fn process_alive(pid: i32) -> bool {
    platform::process_alive(pid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replace_creates_with_mode_and_leaves_no_temp() {
        let t = tempfile::tempdir().expect("tmp");
        let p = t.path().join("f.md");
        durable_replace(&p, b"one", STATE_FILE_MODE).expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"one");
        assert_eq!(
            std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777,
            0o644
        );
        let q = t.path().join("private");
        durable_replace(&q, b"x", PRIVATE_FILE_MODE).expect("write");
        assert_eq!(
            std::fs::metadata(&q).expect("meta").permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(names(t.path()), vec!["f.md", "private"]);
    }

    #[test]
    fn replace_keeps_existing_mode() {
        let t = tempfile::tempdir().expect("tmp");
        let p = t.path().join("f");
        std::fs::write(&p, "old").expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        durable_replace(&p, b"new", STATE_FILE_MODE).expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"new");
        assert_eq!(
            std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn stale_temp_of_dead_writer_is_removed_live_one_kept() {
        let t = tempfile::tempdir().expect("tmp");
        // pid 0x7ffffffe is far above pid_max, so no such process exists.
        let dead = format!(".f.{}-0-1{TEMP_SUFFIX}", i32::MAX - 1);
        let live = format!(".f.{}-0-1{TEMP_SUFFIX}", std::process::id());
        std::fs::write(t.path().join(&dead), "torn").expect("write");
        std::fs::write(t.path().join(&live), "in flight").expect("write");
        durable_replace(&t.path().join("f"), b"x", STATE_FILE_MODE).expect("write");
        assert_eq!(names(t.path()), vec![live, "f".to_string()]);
    }

    #[test]
    fn temp_owner_parses_pid_of_our_names_only() {
        assert_eq!(temp_owner(".a.b.md.123-4-5.maestro-tmp"), Some(123));
        assert_eq!(
            temp_owner(&temp_name("f.md")),
            Some(std::process::id() as i32)
        );
        for foreign in [
            "a.md",
            "x.123.maestro-tmp",
            ".123-4-5.maestro-tmp",
            "..123-4-5.maestro-tmp",
            ".a.123.maestro-tmp",
            ".a.123-4.maestro-tmp",
            ".a.123-4-5-6.maestro-tmp",
            ".a.-4-5.maestro-tmp",
            ".a.12x-4-5.maestro-tmp",
            ".a.0-4-5.maestro-tmp",
            ".a.99999999999999999999-4-5.maestro-tmp",
        ] {
            assert_eq!(temp_owner(foreign), None, "{foreign}");
        }
        // Only our exact shape: a set-aside temp file, a person's file, odd numbers.
        for other in [
            "20261206T112105Z-.s1.md.123-0-1.maestro-tmp",
            "notes.123-0-1.maestro-tmp",
            "..123-0-1.maestro-tmp",
            ".a.md.123-0.maestro-tmp",
            ".a.md.123-0-1-2.maestro-tmp",
            ".a.md.12x-0-1.maestro-tmp",
            ".a.md.-0-1.maestro-tmp",
        ] {
            assert_eq!(temp_owner(other), None, "{other}");
        }
    }

    #[test]
    fn a_write_in_quarantine_sweeps_nothing() {
        let t = tempfile::tempdir().expect("tmp");
        let q = t.path().join(NEVER_SWEPT);
        std::fs::create_dir(&q).expect("mkdir");
        let dead = format!(".f.{}-0-1{TEMP_SUFFIX}", i32::MAX - 1);
        std::fs::write(q.join(&dead), "kept").expect("write");
        durable_replace(&q.join("f.why"), b"x", STATE_FILE_MODE).expect("write");
        assert_eq!(names(&q), vec![dead, "f.why".to_string()]);
    }

    #[test]
    fn missing_parent_is_an_error_naming_the_folder() {
        let t = tempfile::tempdir().expect("tmp");
        let err =
            durable_replace(&t.path().join("no/f"), b"x", STATE_FILE_MODE).expect_err("must fail");
        let msg = err.to_string();
        assert!(msg.contains("open folder") && msg.contains("/no"), "{msg}");
    }
}
