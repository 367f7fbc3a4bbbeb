//! The sidecar lock of read-modify-write under `state/` (DESIGN 3).
//!
//! An exclusive `flock`-style lock (std `File::lock`, Rust 1.89+) on a separate file such as
//! `state/.lock`, never on the file that gets renamed over. The wait is bounded: it polls with
//! `try_lock` until the timeout, then fails naming the lock and its holder.
//!
//! The lock file is opened without following symlinks (`O_NOFOLLOW`, beneath the state dir, see
//! [`crate::beneath::Root::lock_file`]) and is never truncated: a planted symlink is refused, and
//! the file's bytes are only ever overwritten in place. The holder writes a fixed-width record
//! `pid <pid> (<program>)` at offset 0 once it has the lock and blanks it before releasing, so
//! a record names a holder only while that holder has it. A timeout names the holder only when
//! the record agrees with the kernel's view (`/proc/locks`, on Linux) or, where that view is
//! missing, when the recorded process still runs; otherwise it says that an unknown process
//! holds the lock. The lock itself, not the record, is what excludes others, and the OS
//! releases it when the holder dies.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::durable;
use crate::error::{Error, Result};
use crate::reader::{self, ReadKind};

/// Default bounded wait for the lock, in ms (`MAESTRO_LOCK_TIMEOUT_MS` overrides).
pub const DEFAULT_LOCK_TIMEOUT_MS: u64 = 10_000;

/// Width of the holder record at the start of the lock file, in bytes (space padded, ending
/// in a newline).
pub const RECORD_LEN: usize = 96;

/// A held lock; dropping it blanks the holder record and releases the lock.
#[derive(Debug)]
pub struct LockGuard {
    file: File,
    path: PathBuf,
}

impl LockGuard {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = durable::write_at(&self.file, &blank_record(), 0);
        let _ = self.file.unlock();
    }
}

fn blank_record() -> [u8; RECORD_LEN] {
    let mut record = [b' '; RECORD_LEN];
    record[RECORD_LEN - 1] = b'\n';
    record
}

/// The record this process writes once it holds the lock: `pid <pid> (<program>)`.
fn own_record() -> [u8; RECORD_LEN] {
    let text = format!("pid {} ({})", std::process::id(), program_name());
    let mut record = blank_record();
    let n = text.len().min(RECORD_LEN - 1);
    record[..n].copy_from_slice(&text.as_bytes()[..n]);
    record
}

/// Most bytes of the program name in a holder record.
const MAX_PROGRAM_NAME: usize = 40;

/// This process's executable, as the kernel knows it (`/proc/self/exe`, through
/// [`std::env::current_exe`]), by its file name, kept to ASCII letters, digits, `.`, `_` and
/// `-` and at most [`MAX_PROGRAM_NAME`] bytes; `maestro-session` when it cannot be told.
///
/// Not `argv[0]`: whoever starts a process chooses its `argv[0]` (`exec -a`), so it could
/// name another program, another pid, or hold a newline that forges a second record line;
/// the executable's path is the kernel's, and the filter leaves nothing but a plain name.
fn program_name() -> String {
    let name: String = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(MAX_PROGRAM_NAME)
        .collect();
    if name.is_empty() {
        "maestro-session".to_string()
    } else {
        name
    }
}

/// Takes the exclusive lock on an opened (read-write, regular) lock `file` whose path, for
/// messages, is `path`, waiting at most `timeout`.
///
/// Errors: [`Error::Io`] ("lock") when locking fails; [`Error::LockTimeout`] naming the lock
/// and its holder (see the module docs) after `timeout`.
pub fn lock_file(file: File, path: &Path, timeout: Duration) -> Result<LockGuard> {
    let start = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                if start.elapsed() >= timeout {
                    return Err(Error::LockTimeout {
                        path: path.to_path_buf(),
                        waited_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
                        holder: describe_holder(&file),
                    });
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("lock", path, e)),
        }
    }
    // Best effort: the record only helps a person reading a timeout message.
    let _ = durable::write_at(&file, &own_record(), 0);
    Ok(LockGuard {
        file,
        path: path.to_path_buf(),
    })
}

/// Who holds the lock on `file`, in words.
fn describe_holder(file: &File) -> String {
    let mut record = [0u8; RECORD_LEN];
    let n = crate::platform::read_at(file, &mut record, 0).unwrap_or(0);
    let record = String::from_utf8_lossy(&record[..n]);
    let recorded_pid = record
        .trim()
        .strip_prefix("pid ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse::<i32>().ok());
    let kernel_pid = crate::platform::file_identity(file)
        .ok()
        .and_then(|(dev, ino)| flock_holder(dev, ino));
    match (recorded_pid, kernel_pid) {
        (Some(r), Some(k)) if r == k => record.trim().to_string(),
        (_, Some(k)) => format!("an unknown process (pid {k}, which wrote no holder record)"),
        (Some(r), None) if durable::process_alive(r) => record.trim().to_string(),
        _ => "an unknown process".to_string(),
    }
}

/// The pid holding a `FLOCK` on the file with device `dev` and inode `ino`, from Linux's
/// `/proc/locks` (`1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF`); `None` when unknown.
fn flock_holder(dev: u64, ino: u64) -> Option<i32> {
    let bytes = reader::read_path(Path::new("/proc/locks"), ReadKind::PROC).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let (major, minor) = crate::platform::major_minor(dev);
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let at = fields.iter().position(|f| *f == "FLOCK")?;
        let pid = fields.get(at + 3)?.parse::<i32>().ok()?;
        let mut id = fields.get(at + 4)?.split(':');
        let maj = u32::from_str_radix(id.next()?, 16).ok()?;
        let min = u32::from_str_radix(id.next()?, 16).ok()?;
        let inode = id.next()?.parse::<u64>().ok()?;
        (maj == major && min == minor && inode == ino).then_some(pid)
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;
    use crate::beneath::Root;

    fn take(root: &Root, timeout_ms: u64) -> Result<LockGuard> {
        root.lock_file(Path::new(".lock"), Duration::from_millis(timeout_ms))
    }

    #[test]
    fn contention_times_out_naming_lock_and_holder() {
        let t = tempfile::tempdir().expect("tmp");
        let root = Root::open(t.path()).expect("root");
        let held = take(&root, 100).expect("first lock");
        let err = take(&root, 50).expect_err("must time out");
        let msg = err.to_string();
        assert!(msg.contains(".lock"), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(matches!(err, Error::LockTimeout { .. }));
        drop(held);
        let text = std::fs::read_to_string(t.path().join(".lock")).expect("read");
        assert!(
            text.trim().is_empty(),
            "record blanked on release: {text:?}"
        );
        take(&root, 50).expect("free again");
    }

    #[test]
    fn a_holder_that_wrote_no_record_is_unknown() {
        let t = tempfile::tempdir().expect("tmp");
        let path = t.path().join(".lock");
        // A stale record of a process that is gone, and a holder that is not ours.
        std::fs::write(&path, "pid 999999 (ghost)").expect("write");
        let foreign = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .expect("open");
        foreign.lock().expect("foreign lock");
        let root = Root::open(t.path()).expect("root");
        let msg = take(&root, 50).expect_err("held").to_string();
        assert!(msg.contains("unknown process"), "{msg}");
        assert!(!msg.contains("999999"), "{msg}");
        drop(foreign);
        let guard = take(&root, 50).expect("free");
        drop(guard);
        assert_eq!(
            std::fs::metadata(&path).expect("meta").len(),
            RECORD_LEN as u64,
            "never truncated below what was there, record overwritten in place"
        );
    }

    #[test]
    fn the_record_names_the_executable_plainly() {
        let name = program_name();
        assert!(!name.is_empty() && name.len() <= MAX_PROGRAM_NAME, "{name}");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
            "{name}"
        );
        let exe = std::env::current_exe().expect("exe");
        let file = exe
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(file.starts_with(&name), "{name} is {file}, filtered");
        let record = String::from_utf8(own_record().to_vec()).expect("ascii");
        assert_eq!(record.matches('\n').count(), 1, "one line: {record:?}");
        assert!(record.starts_with(&format!("pid {} ({name})", std::process::id())));
    }

    #[test]
    fn lock_serialises_threads() {
        let t = tempfile::tempdir().expect("tmp");
        let counter = t.path().join("n");
        std::fs::write(&counter, "0").expect("write");
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (dir, counter) = (t.path().to_path_buf(), counter.clone());
                std::thread::spawn(move || {
                    let root = Root::open(&dir).expect("root");
                    for _ in 0..20 {
                        let _g = take(&root, 10_000).expect("lock");
                        let n: u32 = std::fs::read_to_string(&counter)
                            .expect("read")
                            .parse()
                            .expect("num");
                        std::fs::write(&counter, (n + 1).to_string()).expect("write");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("join");
        }
        assert_eq!(std::fs::read_to_string(&counter).expect("read"), "160");
    }
}
