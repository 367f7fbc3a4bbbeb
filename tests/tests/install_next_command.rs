//! `install.sh` ends by telling a new user what to type first. This runs that command as
//! install.sh prints it (the `next='…'` line), through `sh -c` with the built
//! `maestro-session` first on PATH, in a fresh project, and holds it to what the user needs
//! next: a session with phases, each naming a specialist, whose first phase starts.
//! (`scripts/demo.sh` runs the line an actual install printed.)

use std::process::Command;

use e2e_tests::{World, bin, maestro_ok, run};

const INSTALL_SH: &str = include_str!("../../install.sh");

/// The command of install.sh's `next='…'` line.
fn next_command() -> String {
    let line = INSTALL_SH
        .lines()
        .find(|l| l.starts_with("next='"))
        .expect("install.sh has a line next='…'");
    line.strip_prefix("next='")
        .and_then(|l| l.strip_suffix('\''))
        .expect("next='…' is one single-quoted string")
        .to_owned()
}

#[test]
fn install_next_command_makes_a_session_whose_first_phase_starts() {
    let next = next_command();
    assert!(
        next.starts_with("maestro-session create ")
            || next.starts_with("maestro-session phase add "),
        "install.sh suggests {next:?}"
    );
    // install.sh prints the line as it stands, on PATH or not.
    assert!(INSTALL_SH.contains("Next, in a project: $next"));
    assert!(INSTALL_SH.contains("then, in a project: $next"));

    let world = World::new();
    let exe = bin("maestro-session");
    let dir = exe.parent().expect("the executable's folder");
    let mut cmd = Command::new("sh");
    world.configure(&mut cmd);
    let path = std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");
    cmd.env("PATH", path).arg("-c").arg(&next);
    let out = run(cmd, b"");
    assert!(
        out.status.success(),
        "{next}: exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );

    let session = maestro_ok(&world, &["show", "active"]);
    let phases = session["phases"].as_array().expect("phases");
    assert!(phases.len() >= 2, "a plan of phases: {session}");
    for phase in phases {
        let agents = phase["agents"].as_array().expect("agents");
        assert!(
            !agents.is_empty(),
            "each phase names its specialist: {phase}"
        );
    }
    let started = maestro_ok(&world, &["phase", "start", "active", "1"]);
    assert_eq!(started["phases"][0]["status"], "in_progress", "{started}");
}
