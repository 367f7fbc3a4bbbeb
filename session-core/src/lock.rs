//! The sidecar lock of read-modify-write under `state/` (DESIGN 3).
//!
//! An exclusive `flock`-style lock (std `File::lock`, Rust 1.89+) on a separate file such as
//! `state/.lock`, never on the file that gets renamed over. The wait is bounded: it polls with
//! `try_lock` until the timeout, then fails naming the lock and its holder. The holder writes
//! `pid <pid> (<program>)` into the lock file once it has the lock; the lock itself, not that
//! text, is what excludes others, and the OS releases it when the holder dies.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, IoContext, Result};
use crate::fsx;

/// Default bounded wait for the lock, in ms (`MAESTRO_LOCK_TIMEOUT_MS` overrides).
pub const DEFAULT_LOCK_TIMEOUT_MS: u64 = 10_000;

/// A held lock; dropping it releases the lock.
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
        let _ = self.file.unlock();
    }
}

/// Takes the exclusive lock on `path` (created 0644 if missing; its folder must exist),
/// waiting at most `timeout`.
///
/// Errors: [`Error::Io`] when the lock file cannot be opened or locked;
/// [`Error::LockTimeout`] naming the lock and the holder after `timeout`.
pub fn lock_exclusive(path: &Path, timeout: Duration) -> Result<LockGuard> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .ctx("open lock file", path)?;
    lock_file(file, path, timeout)
}

/// Takes the exclusive lock on an already opened (read-write) lock `file` whose path, for
/// messages, is `path`; see [`lock_exclusive`].
pub fn lock_file(mut file: File, path: &Path, timeout: Duration) -> Result<LockGuard> {
    let start = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                if start.elapsed() >= timeout {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = describe_holder(holder.trim());
                    return Err(Error::LockTimeout {
                        path: path.to_path_buf(),
                        waited_ms: start.elapsed().as_millis() as u64,
                        holder,
                    });
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("lock", path, e)),
        }
    }
    let program = std::env::args().next().unwrap_or_default();
    let program = Path::new(&program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Best effort: the text only helps a person reading a timeout message.
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(file, "pid {} ({program})", std::process::id());
    Ok(LockGuard {
        file,
        path: path.to_path_buf(),
    })
}

fn describe_holder(recorded: &str) -> String {
    if recorded.is_empty() {
        return "an unknown process".to_string();
    }
    let pid = recorded
        .strip_prefix("pid ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse::<i32>().ok());
    match pid {
        Some(pid) if !fsx::process_alive(pid) => format!("{recorded}, which no longer runs"),
        _ => recorded.to_string(),
    }
}

/// The lock timeout from `MAESTRO_LOCK_TIMEOUT_MS` in `env`, else [`DEFAULT_LOCK_TIMEOUT_MS`].
///
/// Errors: [`Error::Invalid`] when the variable is not a number.
pub fn timeout_from(env: &crate::env::Env) -> Result<Duration> {
    env.parse_or("MAESTRO_LOCK_TIMEOUT_MS", DEFAULT_LOCK_TIMEOUT_MS)
        .map(Duration::from_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contention_times_out_naming_lock_and_holder() {
        let t = tempfile::tempdir().expect("tmp");
        let p = t.path().join(".lock");
        let held = lock_exclusive(&p, Duration::from_millis(100)).expect("first lock");
        let err = lock_exclusive(&p, Duration::from_millis(50)).expect_err("must time out");
        let msg = err.to_string();
        assert!(msg.contains(".lock"), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(matches!(err, Error::LockTimeout { .. }));
        drop(held);
        lock_exclusive(&p, Duration::from_millis(50)).expect("free again");
    }

    #[test]
    fn lock_serialises_threads() {
        let t = tempfile::tempdir().expect("tmp");
        let p = t.path().join(".lock");
        let counter = t.path().join("n");
        std::fs::write(&counter, "0").expect("write");
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (p, counter) = (p.clone(), counter.clone());
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        let _g = lock_exclusive(&p, Duration::from_secs(10)).expect("lock");
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
