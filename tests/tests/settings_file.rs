//! The project's `.env`: read with dotenvy; a missing one is no setting, but one that exists and
//! cannot be read or parsed is an error naming it, never silently ignored (it may say where the
//! sessions live, and ignoring it would write them somewhere else).
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use e2e_tests::{World, maestro_ok, maestro_refused};

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
fn an_unparsable_dotenv_is_an_error_naming_file_and_line_and_writes_nothing() {
    let world = World::new();
    let env = world.project().join(".env");
    std::fs::write(
        &env,
        "OTHER=1\nMAESTRO_STATE_DIR = docs/x\nthis is not a setting\n",
    )
    .expect("write .env");
    let message = maestro_refused(&world, &["create", "T"], 3, ".env:");
    assert!(message.contains(".env:3"), "{message}");
    assert!(!world.project().join("docs").exists());
    assert!(
        !world.state().exists(),
        "nothing written to the default state dir"
    );
}

#[test]
fn an_unreadable_dotenv_is_an_error_naming_it() {
    let world = World::new();
    // A folder named .env cannot be read as a file, whoever runs the test (root reads any file).
    std::fs::create_dir(world.project().join(".env")).expect("mkdir .env");
    let message = maestro_refused(&world, &["list"], 3, ".env");
    assert!(message.contains("cannot read"), "{message}");
}
