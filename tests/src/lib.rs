//! Helpers of the end-to-end tests: a hermetic scratch world (project, hook base, temp dir,
//! home) and commands for the built executables with an explicit environment.
//!
//! The executables are the ones `cargo build` put beside this test binary's `deps/` folder;
//! the first use in a test process runs `cargo build --workspace --bins` so they are current.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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
    let path = profile_dir.join(name);
    build_bins_once(profile_dir);
    assert!(
        path.is_file(),
        "{} is not built; run `cargo build --workspace --bins` first",
        path.display()
    );
    path
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
        cmd.args(["build", "--workspace", "--bins", "--quiet"])
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
    /// A new, empty world.
    pub fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["proj/.git", "tmp", "home"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
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
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.root().join("home"))
            .env("TMPDIR", self.root().join("tmp"))
            .env("MAESTRO_HOOKS_DIR", self.hooks())
            .env("GEMINI_PROJECT_DIR", self.project())
            .current_dir(self.project());
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
