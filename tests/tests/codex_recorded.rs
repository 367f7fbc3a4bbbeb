//! The hooks over the payloads the real OpenAI Codex CLI 0.169.0 sent in `scripts/e2e-codex.sh`
//! (recorded with `--record` into tests/fixtures/codex/, paths made neutral: the project is
//! `/home/dev/proj`): one `coder` sub-agent spawned, its report blocked by SubagentStop for a
//! missing `## Downstream Context`, the retry allowed. Replayed in order through the built
//! executables with `--runtime claude`, as Codex runs them.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::Path;

use e2e_tests::{World, fixture, json_out, run, stderr_lines};
use serde_json::Value;

/// The recorded payloads, in the order Codex sent them: (file stem, hook executable).
fn recorded() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/codex");
    let mut stems: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures/codex")
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            n.as_bytes().first().is_some_and(u8::is_ascii_digit)
                && n.ends_with(".json")
                && !n.ends_with(".answer.json")
        })
        .map(|n| n.trim_end_matches(".json").to_string())
        .collect();
    stems.sort();
    stems
        .into_iter()
        .map(|stem| {
            let hook = stem.split_once('-').expect("NN-hook").1.to_string();
            (stem, hook)
        })
        .collect()
}

fn json_fixture(rel: &str) -> Value {
    serde_json::from_slice(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Runs `hook --runtime claude` in `world` with the recorded payload, its project path
/// replaced by the world's.
fn replay(world: &World, stem: &str, hook: &str) -> Value {
    let payload = String::from_utf8(fixture(&format!("codex/{stem}.json"))).expect("utf8");
    let payload = payload.replace(
        "\"/home/dev/proj\"",
        &serde_json::to_string(&world.project()).expect("path"),
    );
    let mut cmd = world.cmd(hook);
    cmd.args(["--runtime", "claude"]);
    let out = run(cmd, payload.as_bytes());
    assert!(
        out.status.success(),
        "{stem}: exit {:?}, stderr {:?}",
        out.status,
        stderr_lines(&out)
    );
    assert!(
        stderr_lines(&out).is_empty(),
        "{stem}: stderr {:?}",
        stderr_lines(&out)
    );
    json_out(&out)
}

#[test]
fn codex_spawn_block_retry_replays_through_the_hooks() {
    let world = World::new();
    std::fs::create_dir_all(world.state()).expect("mkdir state");
    let session_file = fixture("codex/active-session.md");
    std::fs::write(world.state().join("active-session.md"), &session_file).expect("write");
    let session = String::from_utf8_lossy(&session_file)
        .lines()
        .find_map(|l| l.strip_prefix("session_id: "))
        .map(|id| id.trim_matches('"').to_string())
        .expect("session_id line");

    let steps = recorded();
    let hooks: Vec<&str> = steps.iter().map(|(_, h)| h.as_str()).collect();
    assert_eq!(
        hooks,
        [
            "session-start",
            "before-agent",
            "after-agent",
            "after-agent",
            "session-end"
        ],
        "the recorded run"
    );
    let payload = |i: usize| json_fixture(&format!("codex/{}.json", steps[i].0));
    let recorded_answer = |i: usize| json_fixture(&format!("codex/{}.answer.json", steps[i].0));
    let codex_session = payload(0)["session_id"].as_str().expect("id").to_string();
    let agent_id = payload(1)["agent_id"]
        .as_str()
        .expect("agent_id")
        .to_string();
    assert_eq!(agent_id.len(), 36, "Codex agent ids are UUIDs");
    assert_eq!(payload(1)["agent_type"], "coder");
    assert_eq!(payload(3)["stop_hook_active"], true, "the retry is marked");

    // SessionStart: allowed, the hook-state folder made.
    assert_eq!(
        replay(&world, &steps[0].0, "session-start"),
        recorded_answer(0)
    );
    let folder = world.hooks().join(&codex_session);
    assert!(
        folder.is_dir(),
        "session-start creates {}",
        folder.display()
    );

    // SubagentStart: the coder is recorded and gets the session's context.
    let start = replay(&world, &steps[1].0, "before-agent");
    assert_eq!(
        start["hookSpecificOutput"]["hookEventName"],
        "SubagentStart"
    );
    let context = start["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap_or_else(|| panic!("no context: {start}"));
    assert!(
        context.contains(&format!("Maestro session {session}"))
            && context.contains("Implement the parser"),
        "{context}"
    );
    assert_ne!(start["decision"], "block");

    // SubagentStop without `## Downstream Context`: blocked, as recorded.
    let block = replay(&world, &steps[2].0, "after-agent");
    assert_eq!(block["decision"], "block", "{block}");
    assert_eq!(block["decision"], recorded_answer(2)["decision"]);
    assert!(
        block["reason"]
            .as_str()
            .is_some_and(|r| r.contains("Missing Downstream Context section")),
        "{block}"
    );

    // The retry (stop_hook_active, corrected report): allowed, as recorded.
    let retry = replay(&world, &steps[3].0, "after-agent");
    assert_ne!(retry["decision"], "block", "{retry}");
    assert_eq!(recorded_answer(3).get("decision"), None);

    // SessionEnd: allowed, the folder removed.
    assert_eq!(
        replay(&world, &steps[4].0, "session-end"),
        recorded_answer(4)
    );
    assert!(!folder.exists(), "session-end removes {}", folder.display());
}

#[test]
fn recorded_setup_files_are_what_setup_codex_writes() {
    // hooks.json as the e2e left it: the user's capture hook first, ours after it, each event.
    let hooks = json_fixture("codex/hooks.json");
    for (event, exe, timeout) in [
        ("SessionStart", "session-start", 5),
        ("SubagentStart", "before-agent", 5),
        ("SubagentStop", "after-agent", 5),
        ("SessionEnd", "session-end", 3),
    ] {
        let groups = hooks["hooks"][event].as_array().expect("groups");
        assert_eq!(groups.len(), 2, "{event}");
        assert_eq!(
            groups[1]["hooks"][0]["command"],
            format!("/tmp/e2e-codex/prefix/share/maestro-session/bin/{exe} --runtime claude")
        );
        assert_eq!(groups[1]["hooks"][0]["timeout"], timeout);
    }
    // No hook error item in the recorded --json stream.
    let stream = String::from_utf8(fixture("codex/stream.jsonl")).expect("utf8");
    for line in stream.lines() {
        let event: Value = serde_json::from_str(line).expect("jsonl");
        let item = &event["item"];
        if item["type"] == "error" {
            let message = item["message"].as_str().unwrap_or_default();
            assert!(
                !message.to_lowercase().contains("hook")
                    || message.starts_with("`--dangerously-bypass-hook-trust` is enabled"),
                "hook error item: {message}"
            );
        }
    }
}
