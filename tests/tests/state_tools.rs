//! read-state, write-state, read-active-session and ensure-workspace over the built executables.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::os::unix::fs::symlink;

use e2e_tests::{World, fixture, run, stderr_lines};

fn stderr_one_line(out: &std::process::Output) -> String {
    let lines = stderr_lines(out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines[0].clone()
}

#[test]
fn write_then_read_round_trips_bytes() {
    let world = World::new();
    let content =
        b"---\nsession_id: \"x\"\nstatus: \"in_progress\"\n---\nbody \xe2\x9c\x85 without newline";
    let mut cmd = world.cmd("write-state");
    cmd.arg("docs/maestro/state/active-session.md");
    let out = run(cmd, content);
    assert!(out.status.success(), "{:?}", stderr_lines(&out));
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "silent on success"
    );
    let mut cmd = world.cmd("read-state");
    cmd.arg("docs/maestro/state/active-session.md");
    let out = run(cmd, b"");
    assert!(out.status.success());
    // The writer's bytes, and the session file's first `revision` (the marker of what a later
    // write-state is based on: see `write-state --help`).
    let want = b"---\nsession_id: \"x\"\nstatus: \"in_progress\"\nrevision: 1\n---\nbody \xe2\x9c\x85 without newline";
    assert_eq!(out.stdout, want, "nothing else added");
    let mut cmd = world.cmd("write-state");
    cmd.arg("notes/a..b.md");
    assert!(run(cmd, b"dots inside a name are fine").status.success());
}

#[test]
fn refused_paths_for_both_tools() {
    let world = World::new();
    symlink("/etc", world.project().join("etc-link")).expect("symlink");
    let cases = [
        ("/etc/hostname", "absolute paths are not allowed"),
        ("../outside.md", "`..` segments are not allowed"),
        ("docs/../../x.md", "`..` segments are not allowed"),
        ("docs\\..\\..\\x.md", "`..` segments are not allowed"),
        ("etc-link/hostname", "leads outside"),
    ];
    for tool in ["read-state", "write-state"] {
        for (path, want) in cases {
            if path == "etc-link/hostname" && e2e_tests::bins_for_windows() {
                // Under wine a symlink made by the Linux host is no reparse point: the Windows
                // executable sees the folder it leads to, so the escape cannot be built from
                // here (docs/platforms.md, "Windows: what the run cannot check").
                continue;
            }
            let mut cmd = world.cmd(tool);
            cmd.arg(path);
            let out = run(cmd, b"content");
            assert_eq!(out.status.code(), Some(1), "{tool} {path}");
            let line = stderr_one_line(&out);
            assert!(
                line.starts_with("ERROR: ") && line.contains(want),
                "{tool} {path}: {line}"
            );
        }
    }
    assert!(!std::path::Path::new("/etc/x.md").exists());
}

#[test]
fn write_state_errors() {
    let world = World::new().with_active_session();
    let mut cmd = world.cmd("write-state");
    cmd.arg("docs/maestro/state/active-session.md");
    let out = run(cmd, b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr_one_line(&out), "ERROR: stdin content is empty");

    // A mangled heredoc cannot corrupt the session: refused with the line, file untouched.
    let before = std::fs::read(world.state().join("active-session.md")).expect("read");
    let mangled = b"---\nsession_id: \"x\"\nstatus: \"in_progress\nphases: []\n---\n";
    let mut cmd = world.cmd("write-state");
    cmd.arg("docs/maestro/state/active-session.md");
    let out = run(cmd, mangled);
    assert_eq!(out.status.code(), Some(1));
    let line = stderr_one_line(&out);
    assert!(
        line.contains("active-session.md:4") && line.contains("invalid YAML frontmatter"),
        "{line}"
    );
    assert_eq!(
        std::fs::read(world.state().join("active-session.md")).expect("read"),
        before
    );

    // --no-validate is no way around the checks for a session file.
    let mut cmd = world.cmd("write-state");
    cmd.args(["--no-validate", "docs/maestro/state/active-session.md"]);
    let out = run(cmd, mangled);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_one_line(&out).contains("--no-validate"));
    assert_eq!(
        std::fs::read(world.state().join("active-session.md")).expect("read"),
        before
    );
    // Elsewhere it writes what it is given.
    let mut cmd = world.cmd("write-state");
    cmd.args(["--no-validate", "notes/raw.md"]);
    assert!(run(cmd, mangled).status.success());
    assert_eq!(
        std::fs::read(world.project().join("notes/raw.md")).expect("read"),
        mangled
    );

    let out = run(world.cmd("write-state"), b"x");
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing argument is a usage error"
    );
    assert!(stderr_one_line(&out).contains("missing argument"));
}

#[test]
fn read_active_session_prints_file_or_literal_line() {
    let world = World::new();
    let out = run(world.cmd("read-active-session"), b"");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, b"No active session\n");
    let world = world.with_active_session();
    let out = run(world.cmd("read-active-session"), b"");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, fixture("maestro-state/active-session.yaml.md"));
    // A custom state dir from the project's .env.
    std::fs::write(
        world.project().join(".env"),
        "export MAESTRO_STATE_DIR=.maestro\n",
    )
    .expect("write");
    let out = run(world.cmd("read-active-session"), b"");
    assert_eq!(out.stdout, b"No active session\n");
}

#[test]
fn ensure_workspace_creates_layout_and_refuses_escapes() {
    let world = World::new();
    let out = run(world.cmd("ensure-workspace"), b"");
    assert!(out.status.success(), "{:?}", stderr_lines(&out));
    for sub in ["state", "state/archive", "plans", "plans/archive"] {
        assert!(
            world.project().join("docs/maestro").join(sub).is_dir(),
            "{sub}"
        );
    }
    let mut cmd = world.cmd("ensure-workspace");
    cmd.arg(".maestro");
    assert!(run(cmd, b"").status.success());
    assert!(world.project().join(".maestro/plans/archive").is_dir());

    let outside = tempfile::tempdir().expect("tmp");
    symlink(outside.path(), world.project().join("linked")).expect("symlink");
    let windows = e2e_tests::bins_for_windows();
    for (arg, want) in [
        // On Windows `/tmp/elsewhere` has no drive, so it is not an absolute path there: the
        // lexical rule refuses it (a rooted path names no place the project could hold).
        (
            "/tmp/elsewhere",
            if windows {
                "absolute paths are not allowed"
            } else {
                "outside the project"
            },
        ),
        ("../up", "`..`"),
        ("linked", "symlink"),
    ] {
        if arg == "linked" && windows {
            // As in `refused_paths_for_both_tools`: wine shows a host-made symlink as its target.
            continue;
        }
        let mut cmd = world.cmd("ensure-workspace");
        cmd.arg(arg);
        let out = run(cmd, b"");
        assert_eq!(out.status.code(), Some(1), "{arg}");
        assert!(stderr_one_line(&out).contains(want), "{arg}");
    }
    assert!(
        std::fs::read_dir(outside.path())
            .expect("ls")
            .next()
            .is_none()
    );
}
