//! The project's `.env`, read by Maestro's rules (Maestro 1.6.4's `env-file-parser.js`): a
//! missing one is no setting; a line that cannot be read is a warning on stderr naming
//! `file:line`, never its text and never a failure; only a bad value of a setting we use is an
//! error, naming the setting and `file:line`; a `.env` that cannot be read at all (a folder, a
//! FIFO, a link out of the project, over 1 MiB) is an error naming it and why, never silently
//! taken as empty (it may say where the sessions live).
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use e2e_tests::{World, before_agent_payload, maestro_ok, maestro_refused};

#[test]
fn the_state_dir_setting_in_dotenv_is_honoured() {
    let world = World::new();
    std::fs::write(
        world.project().join(".env"),
        "# where Maestro keeps its state\nexport MAESTRO_STATE_DIR=\"docs/orchestration\"\n",
    )
    .expect("write .env");
    maestro_ok(&world, &["create", "T"]);
    assert!(
        world
            .project()
            .join("docs/orchestration/state/active-session.md")
            .is_file()
    );
}

#[test]
fn lines_we_cannot_read_are_warnings_naming_file_and_line_never_their_text() {
    let world = World::new();
    let env = world.project().join(".env");
    std::fs::write(
        &env,
        "OTHER=1\nMAESTRO_STATE_DIR = docs/x\nghp_TOPSECRET_not_a_setting\n=orphan\n",
    )
    .expect("write .env");
    let ran = world.maestro(&["create", "T"]);
    ran.assert_ok();
    for line in [2, 3, 4] {
        let want = format!(".env:{line}: ");
        assert!(ran.stderr.contains(&want), "want {want:?}: {ran}");
    }
    assert!(!ran.stderr.contains("TOPSECRET"), "{ran}");
    assert!(!ran.stderr.contains("orphan"), "{ran}");
    // `MAESTRO_STATE_DIR ` (with the space) is not the setting, for Maestro as for us.
    assert!(world.state().join("active-session.md").is_file());
    assert!(!world.project().join("docs/x").exists());
}

#[test]
fn maestro_shaped_values_work_in_every_command_hook_and_tool() {
    // Maestro's own test writes exactly this line (issue 16): it used to fail every command.
    let world = World::new().with_active_session();
    std::fs::write(
        world.project().join(".env"),
        "MAESTRO_DISABLED_AGENTS=architect, tester\nexport MAESTRO_SPECIALISTS='coder' # ours\n",
    )
    .expect("write .env");
    let listed = world.maestro(&["list"]);
    listed.assert_ok();
    assert!(listed.stderr.is_empty(), "no warning: {listed}");
    let read = world.exec("read-active-session", &[] as &[&str], b"");
    read.assert_ok();
    assert!(read.stdout_text().contains("session_id"), "{read}");
    let hook = world.exec(
        "before-agent",
        &[] as &[&str],
        &before_agent_payload(&world),
    );
    hook.assert_ok();
    assert!(!hook.stderr.contains("ERROR"), "{hook}");
}

#[test]
fn a_bad_value_of_a_setting_we_use_names_the_setting_and_line_not_the_value() {
    let world = World::new();
    maestro_ok(&world, &["create", "T", "--phase", "A=coder"]);
    std::fs::write(
        world.project().join(".env"),
        "# retention\n\nMAESTRO_CHECKPOINTS_KEEP=ghp_TOPSECRET\n",
    )
    .expect("write .env");
    let message = maestro_refused(&world, &["phase", "start", "active", "1"], 2, ".env:3");
    assert!(message.contains("MAESTRO_CHECKPOINTS_KEEP"), "{message}");
    assert!(!message.contains("TOPSECRET"), "{message}");
}

#[test]
fn an_unreadable_dotenv_is_an_error_naming_it() {
    let world = World::new();
    // A folder named .env cannot be read as a file, whoever runs the test (root reads any file).
    std::fs::create_dir(world.project().join(".env")).expect("mkdir .env");
    let message = maestro_refused(&world, &["list"], 3, ".env");
    assert!(
        message.contains("is a folder, not a regular file"),
        "{message}"
    );
}
