//! A session id that names no session: every command that takes one says so and names the
//! closest existing ids, active or archived ("did you mean"), but only within a sensible edit
//! distance.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use e2e_tests::{World, maestro_ok, maestro_refused};

/// A world with `feat tokenizer` archived and `fix parser` active; returns their ids.
fn world() -> (World, String, String) {
    let world = World::new();
    let id = |v: serde_json::Value| v["session_id"].as_str().expect("id").to_string();
    let tokenizer = id(maestro_ok(
        &world,
        &["create", "feat tokenizer", "--phase", "Build=coder"],
    ));
    maestro_ok(&world, &["pause", &tokenizer]);
    maestro_ok(&world, &["archive"]);
    let parser = id(maestro_ok(
        &world,
        &["create", "fix parser", "--phase", "Fix=coder"],
    ));
    (world, tokenizer, parser)
}

/// `<date>-feat-tokenzier` for `<date>-feat-tokenizer`: two letters swapped.
fn typo(id: &str) -> String {
    id.replace("tokenizer", "tokenzier")
}

#[test]
fn every_command_naming_a_session_suggests_the_closest_id() {
    let (world, tokenizer, parser) = world();
    let wrong = typo(&tokenizer);
    let want = format!("session {wrong:?} not found; did you mean {tokenizer:?}?");
    let commands: Vec<Vec<&str>> = vec![
        vec!["show", &wrong],
        vec!["resume", &wrong],
        vec!["archive", &wrong],
        vec!["delete", &wrong],
        vec!["fork", &wrong],
        vec!["phase", "start", &wrong, "1"],
        vec!["status", &wrong],
    ];
    for args in commands {
        maestro_refused(&world, &args, 1, &want);
    }
    // The active session is suggested too, and a mistyped prefix finds its session.
    let wrong_active = parser.replace("parser", "parsre");
    maestro_refused(
        &world,
        &["show", &wrong_active],
        1,
        &format!("did you mean {parser:?}?"),
    );
    let prefix = &tokenizer[..tokenizer.len() - 3];
    let wrong_prefix = prefix.replace("token", "tokne");
    maestro_refused(
        &world,
        &["show", &wrong_prefix],
        1,
        &format!("did you mean {tokenizer:?}?"),
    );
}

#[test]
fn nothing_close_means_no_suggestion() {
    let (world, _, _) = world();
    let message = maestro_refused(
        &world,
        &["show", "2001-01-01-something-else-entirely"],
        1,
        "session \"2001-01-01-something-else-entirely\" not found",
    );
    assert!(!message.contains("did you mean"), "{message}");
}
