use super::create::{build_phases, slug};
use super::resolve::{did_you_mean, not_found};
use crate::session::model::PhaseId;
use crate::session::phase_spec::PhaseSpec;
use crate::session::session_id;

#[test]
fn slugs() {
    assert_eq!(
        slug("Add token authentication to the REST API"),
        "add-token-authentication-to-the-rest-api"
    );
    assert_eq!(slug("  ***  "), "session");
    assert_eq!(slug("Ünïcode & stuff!"), "n-code-stuff");
    assert!(slug(&"word ".repeat(40)).len() <= 48);
}

#[test]
fn did_you_mean_names_the_closest_ids_within_reach() {
    let known: Vec<String> = [
        "2026-01-01-feat-tokenizer",
        "2026-01-01-feat-tokenizer-2",
        "2026-01-02-fix-parser",
        "abc",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(
        did_you_mean("2026-01-01-feat-tokenzier", &known),
        ["2026-01-01-feat-tokenizer"]
    );
    // A mistyped prefix is compared with the ids' heads; the id closer as a whole wins.
    assert_eq!(
        did_you_mean("2026-01-01-feat-tokne", &known),
        ["2026-01-01-feat-tokenizer"]
    );
    assert_eq!(
        did_you_mean("2026-01-01-feat-tokenizer-3", &known),
        ["2026-01-01-feat-tokenizer-2"]
    );
    assert_eq!(did_you_mean("abd", &known), ["abc"]);
    assert!(
        did_you_mean("xyz", &known).is_empty(),
        "3 edits of 3 letters"
    );
    assert!(did_you_mean("2026-02-09-something-else", &known).is_empty());
    assert!(did_you_mean("x", &[]).is_empty());
    let err = not_found("2026-01-01-feat-tokenzier", &known);
    assert_eq!(
        err.to_string(),
        "session \"2026-01-01-feat-tokenzier\" not found; did you mean \"2026-01-01-feat-tokenizer\"?"
    );
    assert_eq!(
        not_found("abd", &["abc".into(), "abe".into()]).to_string(),
        "session \"abd\" not found; did you mean \"abc\" or \"abe\"?"
    );
}

#[test]
fn file_ids() {
    assert!(session_id::check_file_id("2026-11-20-x").is_ok());
    for bad in ["", "../x", ".hidden", "a/b", "a..b"] {
        assert!(session_id::check_file_id(bad).is_err(), "{bad}");
    }
}

#[test]
fn phases_default_to_a_chain() {
    let specs = vec![
        PhaseSpec {
            name: "A".into(),
            agents: vec!["Code-Reviewer".into()],
            ..Default::default()
        },
        PhaseSpec {
            name: "B".into(),
            ..Default::default()
        },
        PhaseSpec {
            name: "C".into(),
            blocked_by: Some(vec![PhaseId::Number(1)]),
            ..Default::default()
        },
    ];
    let phases = build_phases(&specs).expect("phases");
    assert_eq!(phases[0].agents, vec!["code_reviewer"]);
    assert_eq!(phases[1].blocked_by, vec![PhaseId::Number(1)]);
    assert_eq!(phases[2].blocked_by, vec![PhaseId::Number(1)]);
    let bad = vec![PhaseSpec {
        name: "A".into(),
        blocked_by: Some(vec![PhaseId::Number(2)]),
        ..Default::default()
    }];
    assert!(build_phases(&bad).is_err());
}
