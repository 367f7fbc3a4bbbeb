//! Every read of a file goes through here (DESIGN 3, issue 15): the one reader.
//!
//! The rules, for every kind of file the tools read (sessions, `.env`, hook state, transcripts,
//! export files, event logs, checkpoints, intents, indexes, plans, the owner record, runtime
//! configs, `/proc`):
//!
//! - **Regular files only, never blocking.** A file is opened with `O_NONBLOCK | O_NOCTTY`
//!   (so opening a FIFO never waits for a writer and a terminal never becomes ours), then its
//!   type is checked on the opened descriptor (`fstat`, no race with a swap of the name): a
//!   FIFO, socket, device or folder is refused ([`Error::NotRegular`]) before a byte is read.
//! - **A cap per kind.** Each read names its [`ReadKind`]: what the file is, in words, and the
//!   most bytes it may hold. A file over the cap is refused ([`Error::TooLarge`], naming the
//!   kind and the cap) from its size, before it is read; a file that grows while being read
//!   (or a `/proc` file whose size says 0) is read to at most `cap + 1` bytes, so `/dev/zero`
//!   behind a regular-looking name still ends.
//! - **Beneath a root.** Reads of files named relative to a folder (the state dir, a project's
//!   `.env`, the hook base) go through [`crate::beneath::Root`], which resolves the name
//!   beneath that folder with the kernel's help, so a symlink leading out is refused
//!   ([`Error::PathRefused`]); files the tools own are read without following a final symlink.
//!   Paths a person or a runtime names outright (an export file on the command line, a
//!   transcript path in a hook payload) are read with [`read_path`]: symlinks followed, the
//!   other rules kept.
//! - **No content in errors.** Every error of this module names the file, the operation and the
//!   rule; none holds a byte of the file. Parsers built on top name the line and column, never
//!   the text (a secret on the first bad line of a `.env` was once quoted to the model).
//!
//! `clippy.toml` disallows `std::fs::read`, `read_to_string`, `File::open`, `read_dir`,
//! `metadata` and cap-std's reading opens everywhere but the fs layer; this module is the one
//! that opens files for reading, hence its allow.
#![allow(clippy::disallowed_methods)]

use std::io::{BufRead, Read};
use std::path::Path;

use crate::error::{Error, IoContext, Result};

/// What a file is, for the reader: its name in errors and its cap in bytes.
///
/// The table of the product's kinds is the associated constants; a module that reads a kind of
/// its own may declare it with [`ReadKind::new`], but the caps live here so they can be read in
/// one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadKind {
    /// The kind in words, as errors name it (`a session file`).
    pub name: &'static str,
    /// The most bytes a file of this kind may hold.
    pub cap: u64,
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

impl ReadKind {
    /// A kind named `name` with a cap of `cap` bytes.
    pub const fn new(name: &'static str, cap: u64) -> ReadKind {
        ReadKind { name, cap }
    }

    /// A session file (active, archived, a `read-state`/`write-state` target): 16 MiB, far over
    /// any real session (the largest seen are under 1 MiB), so a runaway or hostile file cannot
    /// make a command or a hook hold gigabytes.
    pub const SESSION: ReadKind = ReadKind::new("a session file", 16 * MIB);
    /// The frontmatter block of a session file, read up to its closing `---`: the session cap.
    pub const FRONTMATTER: ReadKind = ReadKind::new("a session frontmatter", 16 * MIB);
    /// A plan document (`create --plan`, `plans/`): the session cap.
    pub const PLAN: ReadKind = ReadKind::new("a plan file", 16 * MIB);
    /// A `.env` settings file (the project's, the extension folder's): 1 MiB. Maestro reads a
    /// few `MAESTRO_*` keys from it; a bigger one is not a settings file.
    pub const DOTENV: ReadKind = ReadKind::new("a .env settings file", MIB);
    /// A hook-state agent record (`<base>/<id>/active-agent`, `agents/<agent id>`): an agent
    /// name, 4 KiB.
    pub const AGENT_RECORD: ReadKind = ReadKind::new("a hook-state agent record", 4 * KIB);
    /// A hook-state marker (`<base>/<id>/.maestro-hook-state`): 4 KiB.
    pub const HOOK_MARKER: ReadKind = ReadKind::new("a hook-state marker", 4 * KIB);
    /// A transcript the hooks still owe a count (`<base>/<id>/pending/<dev>-<ino>`): its path
    /// and agent, 16 KiB.
    pub const PENDING_COUNT: ReadKind = ReadKind::new("a pending-count record", 16 * KIB);
    /// The hooks' context cache (`<base>/<id>/context-cache`): 1 MiB.
    pub const CONTEXT_CACHE: ReadKind = ReadKind::new("a hook context cache", MIB);
    /// A git pointer file: a `.git` file (`gitdir: <path>`, worktrees and submodules) or a
    /// git folder's `commondir`: 16 KiB, git's own limit for a `.git` file (`4 * PATH_MAX`,
    /// `setup.c` `read_gitfile_gently`).
    pub const GIT_POINTER: ReadKind = ReadKind::new("a git pointer file", 16 * KIB);
    /// One window of a runtime transcript (the new bytes since the last count are read window
    /// by window): 16 MiB, also the longest transcript line counted (a longer one is skipped).
    pub const TRANSCRIPT_WINDOW: ReadKind = ReadKind::new("a transcript read window", 16 * MIB);
    /// An export file (`maestro-session import`): 48 MiB.
    pub const EXPORT: ReadKind = ReadKind::new("an export file", 48 * MIB);
    /// A session's event log read whole for a repair (`doctor --fix` of a torn log): 256 MiB.
    pub const EVENT_LOG_REWRITE: ReadKind = ReadKind::new("an event log to repair", 256 * MIB);
    /// A checkpoint's copy of a session: the session cap.
    pub const CHECKPOINT: ReadKind = ReadKind::new("a checkpoint copy", 16 * MIB);
    /// A checkpoint's record (`<seq>.json`): 64 KiB.
    pub const CHECKPOINT_RECORD: ReadKind = ReadKind::new("a checkpoint record", 64 * KIB);
    /// An intent record of a multi-step move (it may carry a session's bytes): 64 MiB.
    pub const INTENT: ReadKind = ReadKind::new("an intent record", 64 * MIB);
    /// The list index: 64 MiB.
    pub const INDEX: ReadKind = ReadKind::new("a list index", 64 * MIB);
    /// The search index: 256 MiB.
    pub const SEARCH_INDEX: ReadKind = ReadKind::new("a search index", 256 * MIB);
    /// The owner record (`state/owner.json`): 64 KiB.
    pub const OWNER: ReadKind = ReadKind::new("an owner record", 64 * KIB);
    /// A runtime's config file we edit (Codex `config.toml`/`hooks.json`, Claude Code
    /// `settings.json`): 4 MiB.
    pub const RUNTIME_CONFIG: ReadKind = ReadKind::new("a runtime config file", 4 * MIB);
    /// A Gemini CLI policy file: 1 MiB.
    pub const GEMINI_POLICY: ReadKind = ReadKind::new("a Gemini CLI policy file", MIB);
    /// A file of Linux's `/proc` (`/proc/<pid>/stat`, `/proc/locks`, the boot id): 4 MiB (a
    /// machine with tens of thousands of locks still fits).
    pub const PROC: ReadKind = ReadKind::new("a /proc file", 4 * MIB);
}

/// A bare cap, for callers that have not named their kind yet (kept so that older call sites
/// compile); errors then say `a file`. Product code names its kind.
impl From<u64> for ReadKind {
    fn from(cap: u64) -> ReadKind {
        ReadKind::new("a file", cap)
    }
}

/// Open flags for reading a file whose type is not trusted: `O_NONBLOCK` so opening a FIFO
/// never waits for a writer, `O_NOCTTY` so a terminal device never becomes ours, and with
/// `follow` off `O_NOFOLLOW` (a final symlink fails with `ELOOP`). The type is checked on the
/// opened descriptor before anything is read ([`read_opened`]).
pub(crate) fn untrusted_read_flags(
    options: &mut cap_std::fs::OpenOptions,
    follow: bool,
) -> &mut cap_std::fs::OpenOptions {
    crate::platform::untrusted_cap(options, follow)
}

/// What a file type is, in words, for [`Error::NotRegular`]; for std's and cap-std's file
/// types alike.
pub trait DescribeType {
    /// `a folder`, `a symlink`, `a FIFO`, `a socket`, `a device`, or `not a regular file`.
    fn describe(&self) -> &'static str;
}

fn describe_kinds(
    dir: bool,
    symlink: bool,
    fifo: bool,
    socket: bool,
    device: bool,
) -> &'static str {
    match (dir, symlink, fifo, socket, device) {
        (true, ..) => "a folder",
        (_, true, ..) => "a symlink",
        (_, _, true, ..) => "a FIFO",
        (_, _, _, true, _) => "a socket",
        (_, _, _, _, true) => "a device",
        _ => "not a regular file",
    }
}

/// One implementation for both file types: they answer the same questions through their own
/// `FileTypeExt` traits.
macro_rules! describe_type_for {
    ($ty:ty, $special:path) => {
        impl DescribeType for $ty {
            fn describe(&self) -> &'static str {
                let (fifo, socket, device) = $special(self);
                describe_kinds(self.is_dir(), self.is_symlink(), fifo, socket, device)
            }
        }
    };
}

describe_type_for!(std::fs::FileType, crate::platform::special_kind_std);
describe_type_for!(cap_std::fs::FileType, crate::platform::special_kind_cap);

/// Checks, on the opened descriptor, that `file` is a regular file; returns its metadata.
///
/// Errors: [`Error::NotRegular`] naming what it is; [`Error::Io`] ("inspect").
pub fn check_regular(file: &std::fs::File, path: &Path) -> Result<std::fs::Metadata> {
    let meta = file.metadata().ctx("inspect", path)?;
    if !meta.is_file() {
        return Err(Error::NotRegular {
            path: path.to_path_buf(),
            what: meta.file_type().describe(),
        });
    }
    Ok(meta)
}

fn too_large(path: &Path, size: u64, kind: ReadKind) -> Error {
    Error::TooLarge {
        path: path.to_path_buf(),
        size,
        cap: kind.cap,
        kind: kind.name,
    }
}

/// Reads an opened file whole after checking, on the descriptor, that it is a regular file of
/// at most `kind.cap` bytes. Reads at most `cap + 1` bytes even when the file grows while being
/// read (or says it is empty, as `/proc` files do).
///
/// Errors: [`Error::NotRegular`], [`Error::TooLarge`], [`Error::Io`] ("inspect", "read").
pub fn read_opened(file: std::fs::File, path: &Path, kind: ReadKind) -> Result<Vec<u8>> {
    let meta = check_regular(&file, path)?;
    if meta.len() > kind.cap {
        return Err(too_large(path, meta.len(), kind));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(kind.cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .ctx("read", path)?;
    if bytes.len() as u64 > kind.cap {
        return Err(too_large(path, bytes.len() as u64, kind));
    }
    Ok(bytes)
}

/// Reads the frontmatter block of an opened session file: from the start up to and including
/// the closing `---` line, or everything when the file ends first; never more than `cap`
/// bytes, whatever the file's size, so a hook that needs only the frontmatter never reads a
/// large body (or a 2 GB file) whole. Checks the type on the descriptor like [`read_opened`].
///
/// Errors: [`Error::NotRegular`]; [`Error::TooLarge`] ([`ReadKind::FRONTMATTER`]) when no
/// closing line comes within `cap` bytes; [`Error::Io`].
pub fn read_frontmatter_opened(file: std::fs::File, path: &Path, cap: u64) -> Result<Vec<u8>> {
    let meta = check_regular(&file, path)?;
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, file.take(cap));
    let mut bytes = Vec::new();
    let mut line_no = 0usize;
    loop {
        let start = bytes.len();
        let n = reader.read_until(b'\n', &mut bytes).ctx("read", path)?;
        if n == 0 {
            if bytes.len() as u64 >= cap {
                let kind = ReadKind::new(ReadKind::FRONTMATTER.name, cap);
                return Err(too_large(path, meta.len(), kind));
            }
            return Ok(bytes);
        }
        line_no += 1;
        let line = &bytes[start..];
        let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        if line_no > 1 && trimmed == b"---" {
            return Ok(bytes);
        }
        if line_no == 1 && trimmed != b"---" && trimmed != "\u{feff}---".as_bytes() {
            // Not a session document: the parser reports it from what was read.
            return Ok(bytes);
        }
    }
}

/// Opens the file at `path` (a path a person or a runtime named outright: an export file, a
/// transcript, a `/proc` file) for reading without blocking, symlinks followed, and checks on
/// the descriptor that it is a regular file.
///
/// Errors: [`Error::NotRegular`]; [`Error::Io`] ("read"; [`Error::is_not_found`] when it does
/// not exist).
pub fn open_path(path: &Path) -> Result<Opened> {
    let file = match crate::platform::untrusted_std(std::fs::OpenOptions::new().read(true), true)
        .open(path)
    {
        Ok(file) => file,
        Err(e)
            if crate::platform::may_be_folder_refusal(&e)
                && std::fs::metadata(path).is_ok_and(|m| m.is_dir()) =>
        {
            return Err(Error::NotRegular {
                path: path.to_path_buf(),
                what: "a folder",
            });
        }
        Err(e) => return Err(e).ctx("read", path),
    };
    let meta = check_regular(&file, path)?;
    Ok(Opened {
        file,
        meta,
        path: path.to_path_buf(),
    })
}

/// Reads the file at `path` (see [`open_path`]) whole, at most `kind.cap` bytes.
///
/// Errors: as [`open_path`] and [`read_opened`].
pub fn read_path(path: &Path, kind: ReadKind) -> Result<Vec<u8>> {
    let opened = open_path(path)?;
    read_opened(opened.file, path, kind)
}

/// The metadata of `path` itself (`lstat`: a final symlink is described, not followed). No
/// content is read and nothing is opened, so a FIFO never blocks.
pub fn lstat(path: &Path) -> std::io::Result<std::fs::Metadata> {
    std::fs::symlink_metadata(path)
}

/// The metadata of what `path` names, symlinks followed (`stat`), as git's repository
/// discovery sees it (`crate::workspace::repo_root`). No content is read and nothing is
/// opened, so a FIFO never blocks.
pub fn stat(path: &Path) -> std::io::Result<std::fs::Metadata> {
    std::fs::metadata(path)
}

/// A regular file opened for reading by [`open_path`]: read it window by window, at offsets
/// ([`Opened::read_window`]), as the transcript counter does.
#[derive(Debug)]
pub struct Opened {
    file: std::fs::File,
    meta: std::fs::Metadata,
    path: std::path::PathBuf,
}

impl Opened {
    /// The file's identity, `(st_dev, st_ino)`: with it, a replaced file is told from the one
    /// that was read before, whatever its path.
    pub fn identity(&self) -> (u64, u64) {
        crate::platform::metadata_identity(&self.meta)
            .or_else(|| crate::platform::file_identity(&self.file).ok())
            .unwrap_or((0, 0))
    }

    /// The file's length when it was opened, in bytes.
    pub fn len(&self) -> u64 {
        self.meta.len()
    }

    /// Whether the file was empty when it was opened.
    pub fn is_empty(&self) -> bool {
        self.meta.len() == 0
    }

    /// The path it was opened at, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The bytes from `offset`, at most `max` of them and never past [`Opened::len`] (what was
    /// appended after the open waits for the next read), capped by `kind` (a `max` over
    /// `kind.cap` reads `kind.cap`). Positional reads: the descriptor's offset is not used.
    ///
    /// Errors: [`Error::Io`] ("read").
    pub fn read_window(&self, offset: u64, max: u64, kind: ReadKind) -> Result<Vec<u8>> {
        let want = self.len().saturating_sub(offset).min(max).min(kind.cap);
        let want = usize::try_from(want).unwrap_or(usize::MAX);
        let mut bytes = vec![0u8; want];
        let mut filled = 0usize;
        while filled < want {
            let at = offset.saturating_add(filled as u64);
            match crate::platform::read_at(&self.file, &mut bytes[filled..], at) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io("read", &self.path, e)),
            }
        }
        bytes.truncate(filled);
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_is_refused_without_blocking_and_devices_too() {
        let t = tempfile::tempdir().expect("tmp");
        let fifo = t.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .is_ok_and(|s| s.success()),
            "mkfifo"
        );
        let err = read_path(&fifo, ReadKind::DOTENV).expect_err("a FIFO");
        assert!(
            matches!(err, Error::NotRegular { what: "a FIFO", .. }),
            "{err}"
        );
        let err = read_path(Path::new("/dev/zero"), ReadKind::DOTENV).expect_err("a device");
        assert!(
            matches!(
                err,
                Error::NotRegular {
                    what: "a device",
                    ..
                }
            ),
            "{err}"
        );
        let err = read_path(t.path(), ReadKind::DOTENV).expect_err("a folder");
        assert!(
            matches!(
                err,
                Error::NotRegular {
                    what: "a folder",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn over_the_cap_is_refused_naming_kind_and_cap_and_no_content() {
        let t = tempfile::tempdir().expect("tmp");
        let path = t.path().join("big");
        std::fs::write(&path, "SECRET=".repeat(10)).expect("write");
        let kind = ReadKind::new("a test file", 16);
        let err = read_path(&path, kind).expect_err("too large");
        let msg = err.to_string();
        assert!(matches!(
            err,
            Error::TooLarge {
                size: 70,
                cap: 16,
                ..
            }
        ));
        assert!(
            msg.contains("a test file") && msg.contains("16-byte"),
            "{msg}"
        );
        assert!(!msg.contains("SECRET"), "{msg}");
        assert_eq!(
            read_path(&path, ReadKind::new("k", 70)).expect("at the cap"),
            "SECRET=".repeat(10).as_bytes()
        );
    }

    #[test]
    fn proc_files_that_say_they_are_empty_are_read_to_the_cap() {
        let bytes = read_path(Path::new("/proc/self/stat"), ReadKind::PROC).expect("stat");
        assert!(!bytes.is_empty());
        let err = read_path(Path::new("/proc/self/stat"), ReadKind::new("tiny", 3))
            .expect_err("over a tiny cap");
        assert!(matches!(err, Error::TooLarge { size: 4, .. }), "{err}");
    }

    #[test]
    fn windows_stop_at_the_length_seen_at_open() {
        let t = tempfile::tempdir().expect("tmp");
        let path = t.path().join("t");
        std::fs::write(&path, b"0123456789").expect("write");
        let opened = open_path(&path).expect("open");
        assert_eq!(opened.len(), 10);
        let k = ReadKind::TRANSCRIPT_WINDOW;
        assert_eq!(opened.read_window(2, 3, k).expect("read"), b"234");
        assert_eq!(opened.read_window(8, 100, k).expect("read"), b"89");
        assert_eq!(
            opened
                .read_window(1, 100, ReadKind::new("k", 2))
                .expect("read"),
            b"12"
        );
        assert!(opened.read_window(10, 5, k).expect("read").is_empty());
        assert!(opened.read_window(u64::MAX, 5, k).expect("read").is_empty());
        std::fs::write(&path, b"0123456789abc").expect("grow");
        assert_eq!(opened.read_window(8, 100, k).expect("read"), b"89");
    }
}
