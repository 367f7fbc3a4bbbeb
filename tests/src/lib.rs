//! Helpers of the end-to-end tests: a hermetic scratch world (project, hook base, temp dir,
//! home) and commands for the built executables with an explicit environment.
//!
//! The executables are the ones `cargo build` put beside this test binary's `deps/` folder;
//! the first use in a test process runs `cargo build --workspace --bins` so they are current.
//!
//! For tests that attack the state (`tests/attacks.rs`): [`Ran`] runs a command under a hang
//! guard ([`HANG_GUARD`]); [`World::watch`] snapshots what lies outside the project ([`Tree`])
//! and every session file, and [`Watch::check`] proves afterwards that nothing outside changed
//! and no session was lost; [`World::bounded`] runs a command with a capped address space and
//! measures its peak RSS.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

pub mod mcp_client;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fmt;
use std::hash::Hasher;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The built executable `name` (`target/<profile>/<name>`), or the one found in the folders of
/// `$MAESTRO_BIN_DIR` (a PATH-style list) when that is set.
///
/// Panics with instructions when it has not been built.
pub fn bin(name: &str) -> PathBuf {
    if let Some(dirs) = std::env::var_os("MAESTRO_BIN_DIR") {
        // Prebuilt (e.g. installed) executables: scripts/bench.sh measures what users run.
        return std::env::split_paths(&dirs)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("{name} not found in MAESTRO_BIN_DIR"));
    }
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    build_bins_once(profile_dir);
    let path = match maestro_session_hooks::multicall::Tool::named(name) {
        Some(tool) => hook_link(profile_dir, tool.name()),
        None => profile_dir.join(name),
    };
    assert!(
        path.is_file(),
        "{} is not built; run `cargo build --workspace --bins` first",
        path.display()
    );
    path
}

/// Whether the executables under test were built for Windows: `$MAESTRO_BIN_TARGET` (the
/// target triple of the executables in `$MAESTRO_BIN_DIR`, set by `scripts/cross.sh` for the
/// run under wine) names a Windows target. Tests leave out, with this, the checks that have no
/// meaning there (Unix modes and uids, FIFOs, terminals, host-made symlinks), saying why.
pub fn bins_for_windows() -> bool {
    std::env::var("MAESTRO_BIN_TARGET").is_ok_and(|t| t.contains("-windows"))
}

/// `path` spelled as an absolute path for the executables under test: as it is, or for Windows
/// executables under wine ([`bins_for_windows`]) on wine's `Z:` drive (the host's `/`) with
/// `\\`, since on Windows a path without a drive is not absolute.
pub fn native_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    if bins_for_windows() {
        format!("Z:{}", text.replace('/', "\\"))
    } else {
        text.into_owned()
    }
}

/// `target/<profile>/hook-names/<name>`: a symlink to `maestro-session-hook` under one of its
/// eight names (as install.sh installs it), made when missing.
fn hook_link(profile_dir: &Path, name: &str) -> PathBuf {
    let dir = profile_dir.join("hook-names");
    let link = dir.join(name);
    if !link.exists() {
        std::fs::create_dir_all(&dir).expect("mkdir hook-names");
        let target = Path::new("..").join(maestro_session_hooks::multicall::BINARY);
        match std::os::unix::fs::symlink(&target, &link) {
            Ok(()) => {}
            // Another test process made it first.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => panic!("link {}: {e}", link.display()),
        }
    }
    link
}

/// `cargo test` builds only the binaries of the package under test; the executables of the
/// other packages are built (or found up to date) here, once per test process, so a test never
/// runs a stale executable.
fn build_bins_once(profile_dir: &Path) {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let target_dir = profile_dir.parent().expect("target dir");
        let mut cmd = Command::new(cargo);
        // With crash injection (`MAESTRO_CRASH_MID_APPEND`): the tests' executables, never a
        // release build's. `cargo test --workspace` builds them the same way.
        cmd.args([
            "build",
            "--workspace",
            "--bins",
            "--quiet",
            "--features",
            "maestro-session-core/fault-injection",
        ])
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build --workspace --bins failed");
    });
}

/// A recorded fixture file's bytes (`tests/fixtures/<rel>`).
pub fn fixture(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A scratch world in a temp dir: `proj/` (a git project), `hooks/` (hook base), `tmp/`
/// (TMPDIR), `home/` (HOME). Removed on drop.
pub struct World {
    dir: tempfile::TempDir,
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}

impl World {
    /// A new, empty world. `proj/.git` holds what makes git (and the project-root walk) take
    /// `proj` for a repository root (`HEAD`, `objects/`, `refs/`), so the project stays `proj`
    /// even when the temp folder lies inside another repository.
    pub fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["proj/.git/objects", "proj/.git/refs", "tmp", "home"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
        std::fs::write(dir.path().join("proj/.git/HEAD"), "ref: refs/heads/main\n").expect("HEAD");
        World { dir }
    }

    /// The world's root folder.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The project folder.
    pub fn project(&self) -> PathBuf {
        self.root().join("proj")
    }

    /// The hook base (not created until a hook creates it).
    pub fn hooks(&self) -> PathBuf {
        self.root().join("hooks")
    }

    /// The default state folder `proj/docs/maestro/state`.
    pub fn state(&self) -> PathBuf {
        self.project().join("docs/maestro/state")
    }

    /// Puts the YAML fixture session in place as the active session.
    pub fn with_active_session(self) -> World {
        std::fs::create_dir_all(self.state()).expect("mkdir state");
        std::fs::write(
            self.state().join("active-session.md"),
            fixture("maestro-state/active-session.yaml.md"),
        )
        .expect("write");
        self
    }

    /// A command for executable `name` with a cleared environment holding only PATH, HOME,
    /// TMPDIR, MAESTRO_HOOKS_DIR and GEMINI_PROJECT_DIR of this world, run in the project.
    pub fn cmd(&self, name: &str) -> Command {
        let mut cmd = Command::new(bin(name));
        self.configure(&mut cmd);
        cmd
    }

    /// Gives `cmd` this world's environment (see [`World::cmd`]) and working directory, for a
    /// command that is not one of our executables (a wrapper such as `sh` or `time`).
    pub fn configure<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.root().join("home"))
            .env("TMPDIR", self.root().join("tmp"))
            .env("MAESTRO_HOOKS_DIR", self.hooks())
            .env("GEMINI_PROJECT_DIR", self.project())
            // Concurrency tests queue dozens of writers on one lock; on a loaded 2-core machine
            // the queue can outlast the 10 s default and a writer gives up (refused, nothing
            // lost, but the test counts it). The timeout itself is tested with explicit values.
            .env("MAESTRO_LOCK_TIMEOUT_MS", "120000")
            .current_dir(self.project())
    }

    /// A folder of the world outside the project (`<world>/outside`), created if missing: the
    /// place for targets that a command must never read, write or delete.
    pub fn outside(&self) -> PathBuf {
        let dir = self.root().join("outside");
        std::fs::create_dir_all(&dir).expect("mkdir outside");
        dir
    }

    /// A [`Tree`] of everything in the world outside the project and the hook base (`home/`,
    /// `tmp/`, `outside/`, and anything a command created beside them).
    pub fn snapshot_outside_project(&self) -> Tree {
        Tree::of_skipping(self.root(), &[self.project(), self.hooks()])
    }

    /// The live session files of the default state folder: `active-session.md` and
    /// `archive/*.md`, keyed by their path relative to the state folder. Only regular files are
    /// read (a FIFO, device or symlink in the active slot is skipped, never opened), and only
    /// up to 16 MiB.
    pub fn sessions(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let state = self.state();
        let mut out = BTreeMap::new();
        let mut candidates = vec![PathBuf::from("active-session.md")];
        if let Ok(entries) = std::fs::read_dir(state.join("archive")) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.ends_with(".md") && !name.starts_with('.') {
                    candidates.push(Path::new("archive").join(&*name));
                }
            }
        }
        for rel in candidates {
            if let Some(bytes) = read_regular(&state.join(&rel), SESSION_READ_CAP) {
                out.insert(rel, bytes);
            }
        }
        out
    }

    /// Starts watching this world: snapshots what lies outside the project and every live
    /// session file, for [`Watch::check`] at the end of a test.
    pub fn watch(&self) -> Watch {
        Watch {
            outside: self.snapshot_outside_project(),
            sessions: self.sessions(),
        }
    }

    /// Runs executable `name` with `args` and `stdin` in this world under [`HANG_GUARD`].
    pub fn exec<S: AsRef<OsStr>>(&self, name: &str, args: &[S], stdin: &[u8]) -> Ran {
        let mut cmd = self.cmd(name);
        cmd.args(args);
        Ran::of(cmd, stdin)
    }

    /// Runs `maestro-session --json <args>` in this world under [`HANG_GUARD`].
    pub fn maestro<S: AsRef<OsStr>>(&self, args: &[S]) -> Ran {
        let mut cmd = self.cmd("maestro-session");
        cmd.arg("--json").args(args);
        Ran::of(cmd, b"")
    }

    /// A command that runs executable `name` (arguments to be added by the caller) with its
    /// address space capped at `max_vm_kib` KiB (`ulimit -v`, so a command that reads without
    /// bound fails instead of exhausting the machine's memory) and, when `rss_file` is given,
    /// under GNU time, which writes the peak resident set size in KiB to that file (see
    /// [`gnu_time`] and [`read_peak_rss_kib`]).
    pub fn capped(&self, name: &str, max_vm_kib: u64, rss_file: Option<&Path>) -> Command {
        let mut cmd = Command::new("sh");
        self.configure(&mut cmd);
        // sh -c SCRIPT sh WRAPPER... BIN ARGS...: the script shifts its own arguments away.
        match rss_file {
            Some(file) => {
                let time = gnu_time().expect("GNU time");
                cmd.arg("-c")
                    .arg(format!(
                        "ulimit -v {max_vm_kib} && t=\"$1\" o=\"$2\" && shift 2 && exec \"$t\" -f %M -o \"$o\" \"$@\""
                    ))
                    .arg("sh")
                    .arg(time)
                    .arg(file);
            }
            None => {
                cmd.arg("-c")
                    .arg(format!("ulimit -v {max_vm_kib} && exec \"$@\""))
                    .arg("sh");
            }
        }
        cmd.arg(bin(name));
        cmd
    }

    /// Every file and folder under the world except the hook base, as sorted relative paths
    /// with file contents, to show that nothing was written outside the hook base.
    pub fn snapshot_outside_hooks(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        walk(self.root(), self.root(), &self.hooks(), &mut out);
        out.sort();
        out
    }
}

fn walk(root: &Path, dir: &Path, skip: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path == skip {
            continue;
        }
        let rel = path.strip_prefix(root).expect("under root").to_path_buf();
        let meta = std::fs::symlink_metadata(&path).expect("meta");
        if meta.is_dir() {
            out.push((rel, Vec::new()));
            walk(root, &path, skip, out);
        } else {
            out.push((rel, std::fs::read(&path).unwrap_or_default()));
        }
    }
}

/// Runs `cmd` with `stdin` bytes, returning its output.
pub fn run(mut cmd: Command, stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut pipe = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    // Write from a thread: a hook may stop reading (1 MiB limit) before all is written.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&data);
    });
    let output = child.wait_with_output().expect("wait");
    let _ = writer.join();
    output
}

/// Stdout parsed as exactly one JSON value (panics otherwise).
pub fn json_out(output: &Output) -> serde_json::Value {
    let text = String::from_utf8(output.stdout.clone()).expect("utf8 stdout");
    let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>();
    let first = stream
        .next()
        .unwrap_or_else(|| panic!("no JSON on stdout: {text:?}"))
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {text:?}"));
    assert!(
        stream.next().is_none(),
        "more than one JSON value on stdout: {text:?}"
    );
    first
}

/// Stderr as lines.
pub fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Runs `maestro-session <args>` in `world` and returns (exit code, stdout JSON or Null,
/// stderr text). `--json` is added.
pub fn maestro(world: &World, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut cmd = world.cmd("maestro-session");
    cmd.arg("--json").args(args);
    let out = run(cmd, b"");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let value = if stdout.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("stdout of {args:?} is not JSON ({e}): {stdout}"))
    };
    (
        out.status.code().unwrap_or(-1),
        value,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Like [`maestro`], asserting success and returning the JSON.
pub fn maestro_ok(world: &World, args: &[&str]) -> serde_json::Value {
    let (code, value, stderr) = maestro(world, args);
    assert_eq!(code, 0, "maestro-session {args:?} failed: {stderr}");
    value
}

/// Asserts that `maestro-session <args>` exits with `code` and an error JSON whose message
/// contains `want`; returns the message.
pub fn maestro_refused(world: &World, args: &[&str], code: i32, want: &str) -> String {
    let (got, _, stderr) = maestro(world, args);
    assert_eq!(got, code, "maestro-session {args:?}: {stderr}");
    let err: serde_json::Value = serde_json::from_str(stderr.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("stderr is not a JSON error ({e}): {stderr}"));
    let message = err["error"].as_str().unwrap_or_default().to_string();
    assert!(
        message.contains(want),
        "{args:?}: want {want:?} in {message:?}"
    );
    assert!(err["kind"].is_string());
    message
}

/// How long a command may run before it is taken for hung: it is then killed (with its process
/// group) and the test fails naming it. A guard against a blocked read (a FIFO, `/dev/zero`),
/// not a measure of speed.
pub const HANG_GUARD: Duration = Duration::from_secs(20);

/// What a finished command gave, with a label (program and arguments) for messages.
#[derive(Debug, Clone)]
pub struct Ran {
    /// The program and its arguments, lossily, for messages.
    pub label: String,
    /// The exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    /// Stdout's bytes.
    pub stdout: Vec<u8>,
    /// Stderr, lossily decoded.
    pub stderr: String,
}

impl fmt::Display for Ran {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` exited with {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.label,
            self.code,
            String::from_utf8_lossy(&self.stdout),
            self.stderr
        )
    }
}

impl Ran {
    /// Runs `cmd` with `stdin` under [`HANG_GUARD`].
    pub fn of(cmd: Command, stdin: &[u8]) -> Ran {
        Ran::within(cmd, stdin, HANG_GUARD)
    }

    /// Runs `cmd` with `stdin` bytes. When it has not exited after `limit`, its process group
    /// (it runs in a new one, so wrappers' children go too) is killed and this panics naming
    /// the command: a hang is a failure, never a stuck test.
    pub fn within(mut cmd: Command, stdin: &[u8], limit: Duration) -> Ran {
        use std::io::Write;
        use std::os::unix::process::CommandExt;
        let label = std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let mut child = cmd
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn `{label}`: {e}"));
        let mut pipe = child.stdin.take().expect("stdin");
        let data = stdin.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
        let mut out = child.stdout.take().expect("stdout");
        let mut err = child.stderr.take().expect("stderr");
        let out_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out.read_to_end(&mut buf);
            buf
        });
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.read_to_end(&mut buf);
            buf
        });
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                break status;
            }
            if start.elapsed() > limit {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                let _ = writer.join();
                let stderr = err_reader.join().unwrap_or_default();
                panic!(
                    "`{label}` still ran after {limit:?} and was killed (hung); stderr so far: {}",
                    String::from_utf8_lossy(&stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let _ = writer.join();
        Ran {
            label,
            code: status.code(),
            stdout: out_reader.join().unwrap_or_default(),
            stderr: String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned(),
        }
    }

    /// Stdout, lossily decoded.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Asserts the exit code is `want`.
    pub fn assert_code(&self, want: i32) -> &Ran {
        assert_eq!(self.code, Some(want), "want exit {want}: {self}");
        self
    }

    /// Asserts success (exit 0).
    pub fn assert_ok(&self) -> &Ran {
        self.assert_code(0)
    }

    /// Stdout parsed as one JSON value (panics with the whole run otherwise).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}): {self}"))
    }

    /// The `{"error", "kind"}` object on the last stderr line (panics otherwise).
    pub fn json_error(&self) -> serde_json::Value {
        let line = self.stderr.lines().last().unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("last stderr line is not a JSON error ({e}): {self}"));
        assert!(
            value["error"].is_string() && value["kind"].is_string(),
            "not an {{\"error\", \"kind\"}} object: {self}"
        );
        value
    }
}

/// One entry of a [`Tree`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A folder.
    Dir,
    /// A regular file: its length and a digest of its bytes (over 64 MiB: of the first and
    /// last MiB).
    File {
        /// Length in bytes.
        len: u64,
        /// Digest of the bytes.
        digest: u64,
    },
    /// A symlink and its target (never followed).
    Symlink(PathBuf),
    /// A FIFO, socket or device, by type (never opened).
    Other(String),
}

/// Everything under a folder: relative path to [`Node`], sorted. Symlinks are recorded, not
/// followed; FIFOs and devices are never opened, so taking a snapshot cannot block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tree(pub BTreeMap<PathBuf, Node>);

impl Tree {
    /// The snapshot of `dir` (empty when it does not exist).
    pub fn of(dir: &Path) -> Tree {
        Tree::of_skipping(dir, &[])
    }

    /// The snapshot of `dir` without the subtrees at `skip`.
    pub fn of_skipping(dir: &Path, skip: &[PathBuf]) -> Tree {
        let mut tree = Tree::default();
        tree.walk(dir, dir, skip);
        tree
    }

    fn walk(&mut self, root: &Path, dir: &Path, skip: &[PathBuf]) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if skip.contains(&path) {
                continue;
            }
            let rel = path.strip_prefix(root).expect("under root").to_path_buf();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let kind = meta.file_type();
            let node = if kind.is_dir() {
                self.walk(root, &path, skip);
                Node::Dir
            } else if kind.is_symlink() {
                Node::Symlink(std::fs::read_link(&path).unwrap_or_default())
            } else if kind.is_file() {
                Node::File {
                    len: meta.len(),
                    digest: digest_file(&path, meta.len()),
                }
            } else {
                Node::Other(format!("{kind:?}"))
            };
            self.0.insert(rel, node);
        }
    }

    /// The paths added, removed and changed from this snapshot to `after`, one line each.
    pub fn diff(&self, after: &Tree) -> Vec<String> {
        let paths: BTreeSet<&PathBuf> = self.0.keys().chain(after.0.keys()).collect();
        let mut diffs = Vec::new();
        for path in paths {
            match (self.0.get(path), after.0.get(path)) {
                (Some(a), Some(b)) if a == b => {}
                (Some(_), Some(b)) => diffs.push(format!("changed {}: now {b:?}", path.display())),
                (Some(_), None) => diffs.push(format!("removed {}", path.display())),
                (None, Some(b)) => diffs.push(format!("added {}: {b:?}", path.display())),
                (None, None) => {}
            }
        }
        diffs
    }

    /// Asserts `after` equals this snapshot, listing the paths added, removed and changed.
    pub fn assert_same(&self, after: &Tree, what: &str) {
        let diffs = self.diff(after);
        assert!(diffs.is_empty(), "{what}:\n  {}", diffs.join("\n  "));
    }
}

fn digest_file(path: &Path, len: u64) -> u64 {
    use std::io::{Seek, SeekFrom};
    const WHOLE: u64 = 64 << 20;
    const PART: usize = 1 << 20;
    let mut hasher = std::hash::DefaultHasher::new();
    let Ok(mut file) = std::fs::File::open(path) else {
        return 0;
    };
    if len <= WHOLE {
        let mut bytes = Vec::new();
        let _ = file.read_to_end(&mut bytes);
        hasher.write(&bytes);
    } else {
        let mut part = vec![0; PART];
        let _ = file.read_exact(&mut part);
        hasher.write(&part);
        let _ = file.seek(SeekFrom::End(-(PART as i64)));
        let _ = file.read_exact(&mut part);
        hasher.write(&part);
    }
    hasher.finish()
}

/// The most of a session file that [`World::sessions`] reads.
const SESSION_READ_CAP: u64 = 16 << 20;

/// The bytes of `path` when it is a regular file (not followed if it is a symlink) of at most
/// `cap` bytes.
fn read_regular(path: &Path, cap: u64) -> Option<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    (meta.is_file() && meta.len() <= cap)
        .then(|| std::fs::read(path).ok())
        .flatten()
}

/// The `session_id` a session file's frontmatter names (YAML `session_id: x` or JSON
/// `"session_id": "x"`), read line by line without the implementation's parser; `None` when
/// the bytes do not open with a `---` frontmatter or name no id.
pub fn session_id_of(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.lines();
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    for line in lines {
        if line.trim_end() == "---" {
            break;
        }
        let line = line.trim();
        let rest = line
            .strip_prefix("session_id:")
            .or_else(|| line.strip_prefix("\"session_id\":"));
        if let Some(rest) = rest {
            let id = rest
                .trim()
                .trim_end_matches(',')
                .trim()
                .trim_matches(['"', '\'']);
            return (!id.is_empty()).then(|| id.to_string());
        }
    }
    None
}

/// Every regular file under `dir` (recursively, symlinks not followed), with its bytes; files
/// over 16 MiB and temp files (`*.maestro-tmp`) are left out.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path);
            } else if !path.to_string_lossy().ends_with(".maestro-tmp")
                && let Some(bytes) = read_regular(&path, SESSION_READ_CAP)
            {
                out.push((path, bytes));
            }
        }
    }
    out
}

/// What a test saw before it attacked: the world outside the project and every live session
/// file (see [`World::watch`]).
#[derive(Debug, Clone)]
pub struct Watch {
    /// [`World::snapshot_outside_project`] at the start.
    pub outside: Tree,
    /// [`World::sessions`] at the start.
    pub sessions: BTreeMap<PathBuf, Vec<u8>>,
}

impl Watch {
    /// Both checks: nothing outside the project changed, and no session was lost.
    pub fn check(&self, world: &World) {
        let problems = self.problems(world);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// What [`Watch::check`] would complain about, one line each (for tests that collect the
    /// failures of several cases before asserting).
    pub fn problems(&self, world: &World) -> Vec<String> {
        let mut out = self.outside_changes(world);
        out.extend(self.lost_sessions(world));
        out
    }

    /// Asserts that nothing outside the project (and the hook base) was added, removed or
    /// changed.
    pub fn assert_outside_unchanged(&self, world: &World) {
        let changes = self.outside_changes(world);
        assert!(changes.is_empty(), "{}", changes.join("\n"));
    }

    /// What was added, removed or changed outside the project (and the hook base).
    pub fn outside_changes(&self, world: &World) -> Vec<String> {
        self.outside
            .diff(&world.snapshot_outside_project())
            .into_iter()
            .map(|d| format!("outside the project: {d}"))
            .collect()
    }

    /// Asserts that no session seen at the start was lost (see [`Watch::lost_sessions`]).
    pub fn assert_no_session_lost(&self, world: &World) {
        let lost = self.lost_sessions(world);
        assert!(lost.is_empty(), "{}", lost.join("\n"));
    }

    /// The sessions seen at the start that are gone. A session is kept when its id is named by
    /// a live session file (`active-session.md` or `archive/*.md`), or, for a file whose id
    /// cannot be read (a corrupt one), when its exact bytes are in some file under the state
    /// folder (for instance moved to `quarantine/`).
    pub fn lost_sessions(&self, world: &World) -> Vec<String> {
        let live: BTreeSet<String> = world
            .sessions()
            .values()
            .filter_map(|b| session_id_of(b))
            .collect();
        let mut everything: Option<Vec<(PathBuf, Vec<u8>)>> = None;
        let mut lost = Vec::new();
        for (rel, bytes) in &self.sessions {
            if let Some(id) = session_id_of(bytes)
                && live.contains(&id)
            {
                continue;
            }
            let all = everything.get_or_insert_with(|| files_under(&world.state()));
            if !all.iter().any(|(_, b)| b == bytes) {
                lost.push(format!(
                    "session lost: {} ({:?}) is neither live nor kept anywhere under {}; live: {live:?}",
                    rel.display(),
                    session_id_of(bytes),
                    world.state().display()
                ));
            }
        }
        lost
    }

    /// Asserts every live session file is byte for byte what it was, and no live session file
    /// appeared.
    pub fn assert_sessions_unchanged(&self, world: &World) {
        let now = world.sessions();
        let before: Vec<&PathBuf> = self.sessions.keys().collect();
        let after: Vec<&PathBuf> = now.keys().collect();
        assert_eq!(before, after, "the set of live session files changed");
        for (rel, bytes) in &self.sessions {
            assert!(
                now.get(rel) == Some(bytes),
                "{} changed:\n{}",
                rel.display(),
                String::from_utf8_lossy(now.get(rel).map(Vec::as_slice).unwrap_or_default())
            );
        }
    }
}

/// A session file as Maestro's template writes it (YAML frontmatter, no phases, no tokens)
/// with the given id, status and `created`/`updated` time (ISO 8601 UTC).
pub fn session_doc(id: &str, status: &str, updated: &str) -> String {
    format!(
        "---\nsession_id: \"{id}\"\ntask: \"Task of {id}\"\ncreated: \"{updated}\"\nupdated: \"{updated}\"\nstatus: \"{status}\"\nworkflow_mode: \"standard\"\ndesign_document: null\nimplementation_plan: null\ncurrent_phase: null\ntotal_phases: 0\nexecution_mode: null\nexecution_backend: null\ntask_complexity: null\ntoken_usage:\n  total_input: 0\n  total_output: 0\n  total_cached: 0\n  by_agent: {{}}\nphases: []\n---\n# Task of {id} Orchestration Log\n"
    )
}

/// The session ids `maestro-session --json list` prints, in its order (asserts it succeeds).
pub fn listed_ids(world: &World) -> Vec<String> {
    let ran = world.maestro(&["list"]);
    ran.assert_ok();
    let value = ran.json();
    let rows = value
        .as_array()
        .or_else(|| value["sessions"].as_array())
        .unwrap_or_else(|| panic!("list --json is not a list of rows: {ran}"));
    rows.iter()
        .map(|r| {
            r["session_id"]
                .as_str()
                .unwrap_or_else(|| panic!("row without session_id: {ran}"))
                .to_string()
        })
        .collect()
}

/// A Gemini CLI BeforeAgent payload (as recorded in `fixtures/gemini-cli-0.61/before-agent.json`)
/// whose `cwd` is this world's project.
pub fn before_agent_payload(world: &World) -> Vec<u8> {
    serde_json::json!({
        "session_id": "74de4db0-237e-4780-bb9f-307c46acc044",
        "transcript_path": world.root().join("home/chat.jsonl"),
        "cwd": world.project(),
        "hook_event_name": "BeforeAgent",
        "timestamp": "2026-11-22T03:48:52.220Z",
        "prompt": "delegate to coder: implement phase 2 (the parser)"
    })
    .to_string()
    .into_bytes()
}

/// `/usr/bin/time` when it is GNU time (which reports the peak RSS with `-f %M`), else `None`.
pub fn gnu_time() -> Option<PathBuf> {
    let path = PathBuf::from("/usr/bin/time");
    let out = Command::new(&path).arg("--version").output().ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.contains("GNU").then_some(path)
}

/// The peak RSS in KiB that GNU time wrote to `file` (its last line that is a number).
pub fn read_peak_rss_kib(file: &Path) -> Option<u64> {
    std::fs::read_to_string(file)
        .ok()?
        .lines()
        .rev()
        .find_map(|l| l.trim().parse().ok())
}

/// A corrupt session file: its frontmatter does not parse (an unclosed `[`).
pub const CORRUPT_SESSION: &[u8] = b"---\nsession_id: [broken\n---\n";

impl World {
    /// `maestro-session --json create <task> <extra>...`, asserting success; the new session's
    /// id.
    pub fn create(&self, task: &str, extra: &[&str]) -> String {
        let mut args = vec!["create", task];
        args.extend_from_slice(extra);
        let ran = self.maestro(&args);
        ran.assert_ok();
        ran.json()["session_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no session_id: {ran}"))
            .to_string()
    }

    /// `maestro-session --json <args>` with extra environment variables, under [`HANG_GUARD`].
    pub fn maestro_env(&self, env: &[(&str, &OsStr)], args: &[&str]) -> Ran {
        let mut cmd = self.cmd("maestro-session");
        for (key, value) in env {
            cmd.env(key, value);
        }
        cmd.arg("--json").args(args);
        Ran::of(cmd, b"")
    }

    /// A session's frontmatter as `maestro-session --json show <id>` prints it (asserts
    /// success).
    pub fn show(&self, id: &str) -> serde_json::Value {
        let ran = self.maestro(&["show", id]);
        ran.assert_ok();
        ran.json()
    }

    /// The bytes of the default state folder's `active-session.md` (panics when absent).
    pub fn active_bytes(&self) -> Vec<u8> {
        std::fs::read(self.state().join("active-session.md")).expect("read active session")
    }

    /// The regular files in `<state>/quarantine/` as (name, bytes), sorted by name.
    pub fn quarantined(&self) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(self.state().join("quarantine"))
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .map(|e| {
                        (
                            e.file_name().to_string_lossy().into_owned(),
                            std::fs::read(e.path()).unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Initialises the state dir, archives a paused session `2026-01-01-parked`, and puts
    /// [`CORRUPT_SESSION`] in the active slot.
    pub fn with_corrupt_active(self) -> World {
        self.maestro(&["init"]).assert_ok();
        std::fs::write(
            self.state().join("archive/2026-01-01-parked.md"),
            session_doc("2026-01-01-parked", "paused", "2026-01-01T00:00:00Z"),
        )
        .expect("write archived session");
        std::fs::write(self.state().join("active-session.md"), CORRUPT_SESSION)
            .expect("write corrupt session");
        self
    }

    /// Runs executable `name` with `args` and `stdin` with its address space capped at
    /// `vm_cap_kib` KiB (see [`World::capped`]) under [`HANG_GUARD`], and under GNU time when
    /// there is one; returns the run and its peak RSS in KiB (`None` without GNU time).
    pub fn bounded(
        &self,
        name: &str,
        args: &[&str],
        stdin: &[u8],
        vm_cap_kib: u64,
    ) -> (Ran, Option<u64>) {
        // Outside the world, so the world's snapshots do not see it; removed on drop.
        let rss = tempfile::NamedTempFile::new().expect("temp file");
        let time = gnu_time();
        let mut cmd = self.capped(name, vm_cap_kib, time.as_ref().map(|_| rss.path()));
        cmd.args(args);
        let ran = Ran::of(cmd, stdin);
        let peak = time.and_then(|_| read_peak_rss_kib(rss.path()));
        (ran, peak)
    }
}

impl Ran {
    /// Asserts a state tool's refusal: exit `code` and stderr starting with `ERROR: `.
    pub fn assert_tool_refused(&self, code: i32) -> &Ran {
        self.assert_code(code);
        assert!(
            self.stderr.starts_with("ERROR: "),
            "want an `ERROR: ` line: {self}"
        );
        self
    }
}

/// The objects of the `list` array (`problems` or `fixed`) of a `doctor --json` report whose
/// `kind` is `kind`.
pub fn doctor_problems<'v>(
    report: &'v serde_json::Value,
    list: &str,
    kind: &str,
) -> Vec<&'v serde_json::Value> {
    report[list]
        .as_array()
        .map(|a| a.iter().filter(|p| p["kind"] == kind).collect())
        .unwrap_or_default()
}

/// The lines a spawned `child` writes on stdout, as they come (a reader thread; the child's
/// stdout must be piped). For commands that stream: `log --follow`, `watch`.
pub fn lines_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("the child's stdout is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The next line from [`lines_of`], failing the test after [`HANG_GUARD`].
pub fn next_line(lines: &std::sync::mpsc::Receiver<String>) -> String {
    lines
        .recv_timeout(HANG_GUARD)
        .unwrap_or_else(|e| panic!("no line within {HANG_GUARD:?}: {e}"))
}

/// Waits for `child` to end; after [`HANG_GUARD`] kills it and fails the test with `what`.
pub fn wait_child(child: &mut std::process::Child, what: &str) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + HANG_GUARD;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            panic!("{what}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Sends SIGINT (Ctrl-C) to `child` and waits for it to end (see [`wait_child`]).
pub fn interrupt(child: &mut std::process::Child, what: &str) -> std::process::ExitStatus {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success(), "kill -INT {}", child.id());
    wait_child(child, what)
}
