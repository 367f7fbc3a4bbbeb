use super::*;
use crate::session::document::Document;

const YAML: &str = include_str!("../../../../tests/fixtures/maestro-state/active-session.yaml.md");

fn fixture() -> (SessionMetadata, String) {
    let doc = Document::parse(YAML).expect("parse");
    (
        SessionMetadata::from_frontmatter(&doc.frontmatter).expect("typed"),
        doc.body,
    )
}

fn ctx() -> OpContext {
    OpContext {
        now: "2026-11-21T00:00:00Z".into(),
        max_retries: 2,
    }
}

#[test]
fn refused_transition_names_session_states_and_targets() {
    let (mut meta, mut body) = fixture();
    let err = apply(
        &mut meta,
        &mut body,
        &Operation::PhaseSkip(PhaseId::Number(1)),
        &ctx(),
    )
    .expect_err("completed -> skipped");
    assert_eq!(
        err.to_string(),
        "session 2026-11-20-rest-api-auth: phase 1 cannot go from completed to skipped; allowed from completed: none; it is terminal"
    );
    let err = apply(
        &mut meta,
        &mut body,
        &Operation::SetStage(Stage::Validating),
        &ctx(),
    )
    .expect_err("stage");
    assert!(err.to_string().contains("stage cannot go from initializing to validating; allowed from initializing: planning, failed, paused"), "{err}");
}

#[test]
fn blocked_phase_cannot_start() {
    let (mut meta, mut body) = fixture();
    let err = apply(
        &mut meta,
        &mut body,
        &Operation::PhaseStart(PhaseId::Number(3)),
        &ctx(),
    )
    .expect_err("blocked");
    assert!(
        err.to_string()
            .contains("phase 3 is blocked by phase 2 (in_progress)"),
        "{err}"
    );
}

#[test]
fn complete_fail_retry_bound() {
    let (mut meta, mut body) = fixture();
    let fail = Operation::PhaseFail {
        id: PhaseId::Number(2),
        kind: "runtime".into(),
        message: "boom".into(),
        agent: None,
    };
    apply(&mut meta, &mut body, &fail, &ctx()).expect("fail");
    assert!(
        body.contains("## Phase 2: Implement middleware ❌"),
        "{body}"
    );
    assert_eq!(meta.phases[1].errors.len(), 2);
    apply(
        &mut meta,
        &mut body,
        &Operation::PhaseRetry(PhaseId::Number(2)),
        &ctx(),
    )
    .expect("second retry");
    assert_eq!(meta.phases[1].retry_count, 2);
    apply(&mut meta, &mut body, &fail, &ctx()).expect("fail again");
    let err = apply(
        &mut meta,
        &mut body,
        &Operation::PhaseRetry(PhaseId::Number(2)),
        &ctx(),
    )
    .expect_err("bound");
    assert!(err.to_string().contains("used 2 of 2 retries"), "{err}");
    let err = apply(
        &mut meta,
        &mut body,
        &Operation::PhaseStart(PhaseId::Number(2)),
        &ctx(),
    )
    .expect_err("start failed");
    assert!(err.to_string().contains("retry it"), "{err}");
}

#[test]
fn complete_writes_section_and_moves_current_phase() {
    let (mut meta, mut body) = fixture();
    apply(
        &mut meta,
        &mut body,
        &Operation::AddFiles {
            phase: PhaseId::Number(2),
            created: vec!["src/auth.rs".into()],
            modified: vec![],
            deleted: vec![],
        },
        &ctx(),
    )
    .expect("files");
    apply(
        &mut meta,
        &mut body,
        &Operation::AddContext {
            phase: PhaseId::Number(2),
            key: "integration_points".into(),
            values: vec!["auth::layer".into()],
        },
        &ctx(),
    )
    .expect("context");
    let op = Operation::PhaseComplete {
        id: PhaseId::Number(2),
        output: Some("Middleware added.".into()),
        validation: None,
    };
    apply(&mut meta, &mut body, &op, &ctx()).expect("complete");
    assert_eq!(meta.current_phase, Some(PhaseId::Number(3)));
    assert_eq!(
        meta.phases[1].completed.as_deref(),
        Some("2026-11-21T00:00:00Z")
    );
    assert!(body.ends_with("## Phase 2: Implement middleware ✅\n### coder Output\nMiddleware added.\n### Files Changed\n- Created: src/auth.rs\n- Modified: src/server.rs\n### Downstream Context\n- Integration Points: auth::layer\n### Validation Result\nPass\n"), "{body}");
    assert_eq!(meta.updated, "2026-11-21T00:00:00Z");
}

#[test]
fn tokens_keep_totals_equal_to_sums() {
    let (mut meta, mut body) = fixture();
    let op = Operation::Tokens {
        agent: AgentName::parse("tester").expect("name"),
        input: 10,
        output: 5,
        cached: 1,
    };
    apply(&mut meta, &mut body, &op, &ctx()).expect("tokens");
    let u = &meta.token_usage;
    assert_eq!(
        (u.total_input, u.total_output, u.total_cached),
        (15010, 8005, 3001)
    );
    assert_eq!(
        u.by_agent.keys().collect::<Vec<_>>(),
        vec!["architect", "coder", "tester"]
    );
}

fn tokens(agent: &str, [input, output, cached]: [u64; 3]) -> Operation {
    Operation::Tokens {
        agent: AgentName::parse(agent).expect("name"),
        input,
        output,
        cached,
    }
}

fn assert_refused(err: Error, wants: &[&str]) {
    assert!(matches!(err, Error::Refused { .. }), "{err:?}");
    let msg = err.to_string();
    for want in wants {
        assert!(msg.contains(want), "want {want:?} in {msg}");
    }
}

#[test]
fn tokens_past_u64_are_refused_naming_agent_and_field_and_change_nothing() {
    let (mut meta, mut body) = fixture();
    let max = u64::MAX;
    meta.token_usage = Default::default();
    apply(
        &mut meta,
        &mut body,
        &tokens("tester", [max, 0, max]),
        &ctx(),
    )
    .expect("up to the maximum");
    assert_eq!(meta.token_usage.total_input, max);
    let before = (meta.clone(), body.clone());

    // The agent's own count.
    let err =
        apply(&mut meta, &mut body, &tokens("tester", [1, 0, 0]), &ctx()).expect_err("agent count");
    assert_refused(
        err,
        &["agent \"tester\"", "input count", "nothing recorded"],
    );
    // Another agent's count fits, but the total would not.
    let err = apply(&mut meta, &mut body, &tokens("coder", [1, 0, 0]), &ctx()).expect_err("total");
    assert_refused(err, &["agent \"coder\"", "total_input", "nothing recorded"]);
    let err = apply(&mut meta, &mut body, &tokens("newcomer", [0, 0, 1]), &ctx())
        .expect_err("total cached");
    assert_refused(err, &["agent \"newcomer\"", "total_cached"]);
    assert_eq!((meta.clone(), body.clone()), before, "nothing changed");

    // Other fields still add up.
    apply(&mut meta, &mut body, &tokens("coder", [0, 1, 0]), &ctx()).expect("output");
    let u = &meta.token_usage;
    assert_eq!(
        (u.total_input, u.total_output, u.total_cached),
        (max, 1, max)
    );
}

#[test]
fn a_file_whose_counts_already_overflow_their_sum_is_refused() {
    let (mut meta, mut body) = fixture();
    // Hand-written: every count fits u64, their sum does not.
    meta.token_usage.by_agent["architect"].output = u64::MAX;
    let before = (meta.clone(), body.clone());
    let err = apply(&mut meta, &mut body, &tokens("coder", [1, 0, 0]), &ctx())
        .expect_err("sum already overflows");
    assert_refused(
        err,
        &[
            "by_agent output counts already sum past",
            "correct the file",
        ],
    );
    assert_eq!((meta, body), before, "nothing changed");
}

#[test]
fn errors_resolve_once() {
    let (mut meta, mut body) = fixture();
    let op = Operation::ResolveError {
        phase: PhaseId::Number(2),
        index: 1,
        resolution: "fixed the test".into(),
    };
    apply(&mut meta, &mut body, &op, &ctx()).expect("resolve");
    assert!(meta.unresolved_errors().is_empty());
    assert!(
        apply(&mut meta, &mut body, &op, &ctx())
            .expect_err("twice")
            .to_string()
            .contains("already resolved")
    );
    let op = Operation::ResolveError {
        phase: PhaseId::Number(2),
        index: 5,
        resolution: "x".into(),
    };
    assert!(matches!(
        apply(&mut meta, &mut body, &op, &ctx()),
        Err(Error::NotFound { .. })
    ));
    let op = Operation::AddError {
        phase: PhaseId::Number(2),
        agent: AgentName::parse("coder").expect("name"),
        kind: "oops".into(),
        message: "m".into(),
    };
    assert!(matches!(
        apply(&mut meta, &mut body, &op, &ctx()),
        Err(Error::Invalid(_))
    ));
}

#[test]
fn pause_remembers_stage_and_phases_wait() {
    let (mut meta, mut body) = fixture();
    meta.stage = Some(Stage::Implementing);
    apply(&mut meta, &mut body, &Operation::Pause, &ctx()).expect("pause");
    assert_eq!(
        (meta.status, meta.stage, meta.paused_from_stage),
        (
            SessionStatus::Paused,
            Some(Stage::Paused),
            Some(Stage::Implementing)
        )
    );
    let err = apply(
        &mut meta,
        &mut body,
        &Operation::PhaseComplete {
            id: PhaseId::Number(2),
            output: None,
            validation: None,
        },
        &ctx(),
    )
    .expect_err("paused");
    assert!(err.to_string().contains("session is paused"), "{err}");
}
