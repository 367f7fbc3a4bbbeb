//! Members in containers (issue 19 item 2), podman or docker with the same verbs.
//!
//! Each member gets one persistent container, `run -d --init` (so `stop` takes 0.1 s instead of
//! the whole timeout: the fixture recipe measured 0.2 s against 2.2 s), kept alive by `sleep`,
//! with:
//! - its HOME (`/root`) a named volume of its own, so the runtime's own state (`~/.claude`,
//!   `~/.codex`: the transcripts resume needs) survives a stop, a start and even a removal;
//! - its worktree bind-mounted at the same path as on the host (Claude Code keys its
//!   transcripts by the cwd inside the container, so it must not change);
//! - `--network host` (the runtime reaches a proxy or mock on 127.0.0.1; netavark's bridge
//!   would edit the host's iptables);
//! - the extra read-only mounts (runtime binaries) and `--memory`/`--cpus` asked for.
//!
//! The runtime runs in the member's tmux window as `<engine> exec -it … <container> <argv>`.
//! `team stop` stops containers, never removes them.

use std::path::Path;
use std::process::Command;

use crate::error::Result;
use crate::team::external;
use crate::team::record::ContainerSpec;

/// HOME inside a member's container.
pub const CONTAINER_HOME: &str = "/root";

/// What a probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    /// Running.
    Running,
    /// Exists, not running.
    Stopped,
    /// No such container (or the engine did not answer).
    Missing,
}

impl ContainerState {
    /// `running`, `stopped`, `missing`.
    pub fn name(self) -> &'static str {
        match self {
            ContainerState::Running => "running",
            ContainerState::Stopped => "stopped",
            ContainerState::Missing => "missing",
        }
    }
}

fn engine(program: &str, args: &[String]) -> Result<String> {
    let mut c = Command::new(program);
    c.args(args);
    external::run(c, program, args)
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|a| (*a).to_string()).collect()
}

/// Checks an engine name: `podman` or `docker`.
///
/// Errors: [`crate::Error::Invalid`] naming the value.
pub fn check_engine(name: &str) -> Result<()> {
    match name {
        "podman" | "docker" => Ok(()),
        _ => Err(crate::Error::Invalid(format!(
            "--containers {name:?}: use podman or docker"
        ))),
    }
}

/// The state of container `name`.
pub fn state(program: &str, name: &str) -> ContainerState {
    let mut c = Command::new(program);
    c.args(["inspect", "-f", "{{.State.Running}}", name]);
    match external::output(c).as_deref().map(str::trim) {
        Some("true") => ContainerState::Running,
        Some(_) => ContainerState::Stopped,
        None => ContainerState::Missing,
    }
}

/// Whether volume `name` exists.
pub fn volume_exists(program: &str, name: &str) -> bool {
    let mut c = Command::new(program);
    c.args(["volume", "inspect", name]);
    external::succeeds(c)
}

/// Creates the volume `name` (when missing; `Ok(false)` then) .
pub fn create_volume(program: &str, name: &str) -> Result<bool> {
    if volume_exists(program, name) {
        return Ok(false);
    }
    engine(program, &s(&["volume", "create", name])).map(|_| true)
}

/// Creates and starts the member container `name` (see the module docs).
///
/// Errors: [`crate::Error::Io`] quoting the engine.
pub fn create(spec: &ContainerSpec, name: &str, volume: &str, workdir: &Path) -> Result<()> {
    let wd = workdir.to_string_lossy().into_owned();
    let mut args = s(&["run", "-d", "--init", "--name", name, "--network", "host"]);
    args.extend(["-v".into(), format!("{volume}:{CONTAINER_HOME}")]);
    args.extend(["-v".into(), format!("{wd}:{wd}"), "-w".into(), wd.clone()]);
    for m in &spec.mounts {
        args.extend(["-v".into(), format!("{m}:{m}:ro")]);
    }
    if let Some(m) = &spec.memory {
        args.extend(["--memory".into(), m.clone()]);
    }
    if let Some(c) = &spec.cpus {
        args.extend(["--cpus".into(), c.clone()]);
    }
    args.extend(["-e".into(), format!("HOME={CONTAINER_HOME}")]);
    args.push(spec.image.clone());
    args.extend(s(&["sleep", "2147483647"]));
    engine(&spec.engine, &args).map(|_| ())
}

/// Starts a stopped container.
pub fn start(program: &str, name: &str) -> Result<()> {
    engine(program, &s(&["start", name])).map(|_| ())
}

/// Stops a container (never removes it).
pub fn stop(program: &str, name: &str) -> Result<()> {
    engine(program, &s(&["stop", "-t", "5", name])).map(|_| ())
}

/// Removes a stopped container (`rm`, no `-f`).
pub fn remove(program: &str, name: &str) -> Result<()> {
    engine(program, &s(&["rm", name])).map(|_| ())
}

/// Removes a volume.
pub fn remove_volume(program: &str, name: &str) -> Result<()> {
    engine(program, &s(&["volume", "rm", name])).map(|_| ())
}

/// The argv a member window runs: `<engine> exec -it -e … -w <cwd> <container> <argv>`.
pub fn exec_argv(
    spec: &ContainerSpec,
    container: &str,
    cwd: &Path,
    env: &[(String, String)],
    argv: &[String],
) -> Vec<String> {
    let mut out = s(&[&spec.engine, "exec", "-it"]);
    for (k, v) in env {
        out.extend(["-e".into(), format!("{k}={v}")]);
    }
    for e in &spec.env {
        out.extend(["-e".into(), e.clone()]);
    }
    out.extend(["-e".into(), format!("HOME={CONTAINER_HOME}")]);
    out.extend(["-w".into(), cwd.to_string_lossy().into_owned()]);
    out.push(container.into());
    out.extend(argv.iter().cloned());
    out
}

/// (container, mount source) of every container of `program`, in any state; empty when the
/// engine is not there or does not answer.
pub fn mounts(program: &str) -> Vec<(String, String)> {
    let mut c = Command::new(program);
    c.args(["ps", "-a", "--format", "{{.Names}}"]);
    let Some(names) = external::output(c) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in names.split_whitespace() {
        let mut c = Command::new(program);
        c.args([
            "inspect",
            "-f",
            "{{range .Mounts}}{{.Source}}\n{{end}}",
            name,
        ]);
        if let Some(sources) = external::output(c) {
            for src in sources.lines().filter(|l| !l.trim().is_empty()) {
                out.push((name.to_string(), src.trim().to_string()));
            }
        }
    }
    out
}
