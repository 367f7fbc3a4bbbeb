//! The hooks over payloads recorded from the real Gemini CLI 0.61 (tests/fixtures/gemini-cli-0.61,
//! made by scripts/record-fixtures.sh), and the Claude Code dialect.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use e2e_tests::{World, fixture, json_out, run, stderr_lines};
use serde_json::{Value, json};

const REPORT_SESSION: &str = "74de4db0-237e-4780-bb9f-307c46acc044";
const DENY_SESSION: &str = "827acd30-ed91-4799-8a9f-dbf7dc3d6769";
/// What the coder of the fixture session is told: its own phase 2.
const CONTEXT: &str = "Maestro session 2026-11-20-rest-api-auth: status in_progress; your phase 2 of 3 \"Implement middleware\" (in_progress), agent coder; retries 1.\n\
    Blocked by: phase 1 \"Design the token model\" (completed).\n\
    Unresolved errors of phase 2 (1): coder, validation: cargo test: 2 failures in auth::tests.\n\
    From phase 1: key interfaces: TokenStore trait; patterns: errors as enums; integration points: middleware::auth; assumptions: tokens expire after 1h.";
/// What the tester of the fixture session is told: its own phase 3, waiting for phase 2.
const TESTER_CONTEXT: &str = "Maestro session 2026-11-20-rest-api-auth: status in_progress; your phase 3 of 3 \"Write integration tests\" (pending), agent tester; retries 0.\n\
    Blocked by: phase 2 \"Implement middleware\" (in_progress).";
/// The session summary, given when no agent is known.
const SUMMARY: &str = "Maestro session 2026-11-20-rest-api-auth: status in_progress; phase 2/3 \"Implement middleware\" (in_progress), agent coder; retries 1; unresolved errors 1.";

fn hook(world: &World, name: &str, payload: &str) -> Value {
    let out = run(
        world.cmd(name),
        &fixture(&format!("gemini-cli-0.61/{payload}.json")),
    );
    assert!(
        out.status.success(),
        "{name} exit {:?}, stderr {:?}",
        out.status,
        stderr_lines(&out)
    );
    assert!(
        stderr_lines(&out).is_empty(),
        "{name} stderr: {:?}",
        stderr_lines(&out)
    );
    json_out(&out)
}

fn active_agent(world: &World, session: &str) -> Option<String> {
    std::fs::read_to_string(world.hooks().join(session).join("active-agent")).ok()
}

#[test]
fn report_run_records_agent_and_cleans_up() {
    let world = World::new().with_active_session();
    assert_eq!(hook(&world, "session-start", "session-start"), json!({}));
    assert!(
        world.hooks().join(REPORT_SESSION).is_dir(),
        "session-start creates the folder"
    );

    let answer = hook(&world, "before-agent", "before-agent");
    assert_eq!(
        answer,
        json!({"decision": "allow", "hookSpecificOutput": {"hookEventName": "BeforeAgent", "additionalContext": CONTEXT}})
    );
    assert_eq!(
        active_agent(&world, REPORT_SESSION).as_deref(),
        Some("coder")
    );

    assert_eq!(
        hook(&world, "after-agent", "after-agent"),
        json!({"decision": "allow"})
    );
    assert_eq!(
        active_agent(&world, REPORT_SESSION),
        None,
        "after-agent clears the agent"
    );

    assert_eq!(hook(&world, "session-end", "session-end"), json!({}));
    assert!(
        !world.hooks().join(REPORT_SESSION).exists(),
        "session-end removes the folder"
    );
}

#[test]
fn deny_then_retry_is_allowed() {
    let world = World::new().with_active_session();
    hook(&world, "before-agent", "before-agent-deny-run");
    assert_eq!(active_agent(&world, DENY_SESSION).as_deref(), Some("coder"));

    let deny = hook(&world, "after-agent", "after-agent-missing-section");
    assert_eq!(
        deny,
        json!({"decision": "deny", "reason": "Handoff report validation failed: Missing Downstream Context section. Please include both a ## Task Report section and a ## Downstream Context section in your response."})
    );
    assert_eq!(
        active_agent(&world, DENY_SESSION),
        None,
        "deny clears the agent"
    );

    // Gemini re-prompts with the reason: no delegation in it, so no agent is recorded.
    let again = hook(&world, "before-agent", "before-agent-after-deny");
    assert_eq!(again["decision"], "allow");
    assert_eq!(active_agent(&world, DENY_SESSION), None);
    assert_eq!(
        hook(&world, "after-agent", "after-agent-retry"),
        json!({"decision": "allow"})
    );
    assert_eq!(
        hook(&world, "session-end", "session-end-deny-run"),
        json!({})
    );
    assert!(!world.hooks().join(DENY_SESSION).exists());
}

#[test]
fn a_turn_with_no_agent_gets_the_session_summary() {
    let world = World::new().with_active_session();
    let answer = hook(&world, "before-agent", "before-agent-after-deny");
    assert_eq!(answer["hookSpecificOutput"]["additionalContext"], SUMMARY);
    // An agent no phase names (detected from the roster) gets the summary as well.
    let mut payload: Value =
        serde_json::from_slice(&fixture("gemini-cli-0.61/before-agent.json")).expect("json");
    payload["prompt"] = json!("delegate to the debugger");
    let out = run(world.cmd("before-agent"), payload.to_string().as_bytes());
    assert_eq!(
        json_out(&out)["hookSpecificOutput"]["additionalContext"],
        SUMMARY
    );
}

#[test]
fn gemini_checks_maestros_roster_and_the_configured_agents() {
    let world = World::new().with_active_session();
    let mut start: Value =
        serde_json::from_slice(&fixture("gemini-cli-0.61/before-agent-deny-run.json"))
            .expect("json");
    start["prompt"] = json!("delegate to the debugger");
    run(world.cmd("before-agent"), start.to_string().as_bytes());
    assert_eq!(
        active_agent(&world, DENY_SESSION).as_deref(),
        Some("debugger")
    );
    // The debugger is in Maestro's roster, in no phase of this session: checked all the same
    // (issue 16: a roster agent not yet in the plan was let through).
    assert_eq!(
        hook(&world, "after-agent", "after-agent-missing-section")["decision"],
        "deny"
    );
    // An agent outside the roster (detected through MAESTRO_AGENTS) is checked only when the
    // project configures it as a specialist.
    start["prompt"] = json!("delegate to the qa-lead");
    let mut cmd = world.cmd("before-agent");
    cmd.env("MAESTRO_AGENTS", "qa-lead");
    run(cmd, start.to_string().as_bytes());
    assert_eq!(
        active_agent(&world, DENY_SESSION).as_deref(),
        Some("qa_lead")
    );
    assert_eq!(
        hook(&world, "after-agent", "after-agent-missing-section"),
        json!({"decision": "allow"})
    );
    let mut cmd = world.cmd("before-agent");
    cmd.env("MAESTRO_AGENTS", "qa-lead");
    run(cmd, start.to_string().as_bytes());
    std::fs::write(
        world.project().join(".env"),
        "MAESTRO_SPECIALISTS=qa-lead\n",
    )
    .expect("env");
    assert_eq!(
        hook(&world, "after-agent", "after-agent-missing-section")["decision"],
        "deny"
    );
}

#[test]
fn retry_flag_allows_even_an_incomplete_report() {
    let world = World::new().with_active_session();
    hook(&world, "before-agent", "before-agent-deny-run");
    let mut payload: Value =
        serde_json::from_slice(&fixture("gemini-cli-0.61/after-agent-missing-section.json"))
            .expect("json");
    payload["stop_hook_active"] = json!(true);
    let out = run(world.cmd("after-agent"), payload.to_string().as_bytes());
    assert_eq!(json_out(&out), json!({"decision": "allow"}));
}

#[test]
fn without_active_session_agent_is_recorded_but_no_context() {
    let world = World::new();
    assert_eq!(hook(&world, "session-start", "session-start"), json!({}));
    assert!(
        !world.hooks().join(REPORT_SESSION).exists(),
        "no active session: no folder"
    );
    assert_eq!(
        hook(&world, "before-agent", "before-agent"),
        json!({"decision": "allow"})
    );
    assert_eq!(
        active_agent(&world, REPORT_SESSION).as_deref(),
        Some("coder")
    );
}

#[test]
fn validation_can_be_turned_off_and_lead_agents_are_not_checked() {
    let world = World::new().with_active_session();
    hook(&world, "before-agent", "before-agent-deny-run");
    let mut cmd = world.cmd("after-agent");
    cmd.env("MAESTRO_VALIDATE_HANDOFF", "0");
    let out = run(
        cmd,
        &fixture("gemini-cli-0.61/after-agent-missing-section.json"),
    );
    assert_eq!(json_out(&out), json!({"decision": "allow"}));

    let lead = json!({"session_id": "lead-1", "prompt": "agent: techlead\nplan the work"});
    let mut cmd = world.cmd("before-agent");
    cmd.env("MAESTRO_AGENTS", "techlead");
    run(cmd, lead.to_string().as_bytes());
    assert_eq!(active_agent(&world, "lead-1").as_deref(), Some("techlead"));
    let stop = json!({"session_id": "lead-1", "prompt_response": "no sections", "stop_hook_active": false});
    let out = run(world.cmd("after-agent"), stop.to_string().as_bytes());
    assert_eq!(json_out(&out), json!({"decision": "allow"}));
}

#[test]
fn json_frontmatter_session_gives_the_same_context() {
    let world = World::new();
    std::fs::create_dir_all(world.state()).expect("mkdir");
    std::fs::write(
        world.state().join("active-session.md"),
        fixture("maestro-state/active-session.json.md"),
    )
    .expect("write");
    let answer = hook(&world, "before-agent", "before-agent");
    assert_eq!(answer["hookSpecificOutput"]["additionalContext"], CONTEXT);
}

fn claude(world: &World, name: &str, payload: Value) -> Value {
    let mut cmd = world.cmd(name);
    cmd.args(["--runtime", "claude"]);
    let out = run(cmd, payload.to_string().as_bytes());
    assert!(out.status.success());
    assert!(stderr_lines(&out).is_empty(), "{:?}", stderr_lines(&out));
    json_out(&out)
}

#[test]
fn claude_parallel_subagents_are_tracked_independently() {
    let world = World::new().with_active_session();
    let sid = "claude-session-1";
    assert_eq!(
        claude(
            &world,
            "session-start",
            json!({"session_id": sid, "hook_event_name": "SessionStart"})
        ),
        json!({})
    );
    let start_a = claude(
        &world,
        "before-agent",
        json!({"session_id": sid, "hook_event_name": "SubagentStart", "agent_id": "a1", "agent_type": "coder"}),
    );
    assert_eq!(
        start_a,
        json!({"hookSpecificOutput": {"hookEventName": "SubagentStart", "additionalContext": CONTEXT}})
    );
    let start_b = claude(
        &world,
        "before-agent",
        json!({"session_id": sid, "hook_event_name": "SubagentStart", "agent_id": "a2", "agent_type": "maestro:tester"}),
    );
    assert_eq!(
        start_b["hookSpecificOutput"]["additionalContext"], TESTER_CONTEXT,
        "the tester is told about its own phase, not the coder's"
    );

    let block = claude(
        &world,
        "after-agent",
        json!({"session_id": sid, "hook_event_name": "SubagentStop", "agent_id": "a2", "agent_type": "maestro:tester", "stop_hook_active": false, "last_assistant_message": "## Task Report\ndone"}),
    );
    assert_eq!(block["decision"], "block");
    assert!(
        block["reason"]
            .as_str()
            .expect("reason")
            .contains("Missing Downstream Context section")
    );
    let agents = world.hooks().join(sid).join("agents");
    assert_eq!(
        std::fs::read_to_string(agents.join("a1")).expect("a1 kept"),
        "coder"
    );
    assert_eq!(
        std::fs::read_to_string(agents.join("a2")).expect("a blocked agent keeps its record"),
        "tester"
    );
    let retry = claude(
        &world,
        "after-agent",
        json!({"session_id": sid, "hook_event_name": "SubagentStop", "agent_id": "a2", "agent_type": "maestro:tester", "stop_hook_active": true, "last_assistant_message": "## Task Report\ndone"}),
    );
    assert_eq!(retry, json!({}), "the retry is allowed");
    assert!(
        !agents.join("a2").exists(),
        "an allowed stop forgets the agent"
    );
    assert_eq!(
        std::fs::read_to_string(world.hooks().join(sid).join("active-agent")).expect("active"),
        "coder"
    );

    let ok = claude(
        &world,
        "after-agent",
        json!({"session_id": sid, "hook_event_name": "SubagentStop", "agent_id": "a1", "agent_type": "coder", "stop_hook_active": false, "last_assistant_message": "## Task Report\nx\n## Downstream Context\ny"}),
    );
    assert_eq!(ok, json!({}));
    assert!(!world.hooks().join(sid).join("active-agent").exists());
    assert_eq!(
        claude(
            &world,
            "session-end",
            json!({"session_id": sid, "hook_event_name": "SessionEnd"})
        ),
        json!({})
    );
    assert!(!world.hooks().join(sid).exists());
}

#[test]
fn context_follows_every_change_of_the_session_file() {
    let world = World::new().with_active_session();
    let first = hook(&world, "before-agent", "before-agent");
    assert_eq!(first["hookSpecificOutput"]["additionalContext"], CONTEXT);
    assert!(
        world
            .hooks()
            .join(REPORT_SESSION)
            .join("context-cache")
            .is_file()
    );
    // A cache hit gives the same answer.
    assert_eq!(hook(&world, "before-agent", "before-agent"), first);

    // Rewritten through write-state (a new inode).
    let session = world.state().join("active-session.md");
    let paused = std::fs::read_to_string(&session).expect("read").replace(
        "status: \"in_progress\"\nworkflow_mode",
        "status: \"paused\"\nworkflow_mode",
    );
    let mut cmd = world.cmd("write-state");
    cmd.arg("docs/maestro/state/active-session.md");
    assert!(run(cmd, paused.as_bytes()).status.success());
    let answer = hook(&world, "before-agent", "before-agent");
    let context = answer["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .expect("context");
    assert!(context.contains("status paused;"), "{context}");

    // Edited in place (same inode), as an editor might.
    let failed = paused.replace(
        "status: \"paused\"\nworkflow_mode",
        "status: \"failed\"\nworkflow_mode",
    );
    std::fs::write(&session, failed).expect("write in place");
    let answer = hook(&world, "before-agent", "before-agent");
    let context = answer["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .expect("context");
    assert!(context.contains("status failed;"), "{context}");
}
