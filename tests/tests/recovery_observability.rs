//! Issue 11 through the built executables: the after-agent hook counts the usage the runtime
//! recorded in the sub-agent's transcript into the active session, once (Claude Code 2.1.330's
//! recorded SubagentStop payloads and transcript; a Codex 0.169 rollout written from the
//! documented `token_count` format, as no recorded rollout holds one); and SessionStart's owner
//! record makes `show`, `list`, `resume` and `doctor` say when a run was interrupted.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::process::{Child, Command, Stdio};

use e2e_tests::{World, fixture, maestro, maestro_ok, run, stderr_lines};
use serde_json::Value;

/// `payload` (a fixture) with `agent_transcript_path` pointing at `transcript` and `cwd` at the
/// world's project.
fn payload(world: &World, rel: &str, transcript: &std::path::Path) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&fixture(rel)).expect("payload JSON");
    v["agent_transcript_path"] = Value::from(transcript.to_string_lossy().into_owned());
    v["cwd"] = Value::from(world.project().to_string_lossy().into_owned());
    serde_json::to_vec(&v).expect("JSON")
}

fn after_agent(world: &World, stdin: &[u8]) {
    let out = run(
        {
            let mut c = world.cmd("after-agent");
            c.args(["--runtime", "claude"]);
            c
        },
        stdin,
    );
    assert!(out.status.success());
    assert_eq!(stderr_lines(&out), Vec::<String>::new(), "no diagnostics");
}

/// The human output of `maestro-session <command>`.
fn human(world: &World, command: &str) -> String {
    let mut cmd = world.cmd("maestro-session");
    cmd.arg(command);
    String::from_utf8_lossy(&run(cmd, b"").stdout).into_owned()
}

fn coder_tokens(world: &World) -> (Value, Value) {
    let s = maestro_ok(world, &["show"]);
    (
        s["token_usage"]["by_agent"]["coder"].clone(),
        s["transcript_usage"]["by_agent"]["coder"].clone(),
    )
}

#[test]
fn claude_subagent_stop_counts_the_transcript_once() {
    let world = World::new().with_active_session();
    let transcript = world.root().join("home/agent-a1.jsonl");
    std::fs::write(
        &transcript,
        fixture("claude-code/transcripts/agent-ab6e9f662501aaedc.jsonl"),
    )
    .expect("transcript");
    // The blocked stop, then the allowed retry: the same transcript, counted once.
    after_agent(
        &world,
        &payload(
            &world,
            "claude-code/transcripts/04-after-agent.json",
            &transcript,
        ),
    );
    after_agent(
        &world,
        &payload(
            &world,
            "claude-code/transcripts/05-after-agent.json",
            &transcript,
        ),
    );
    let (tokens, from_transcripts) = coder_tokens(&world);
    // The fixture session had coder 8000/4000/2000; the transcript has two replies of
    // 100 in / 20 out each.
    assert_eq!(tokens["input"], 8200);
    assert_eq!(tokens["output"], 4040);
    assert_eq!(from_transcripts["replies"], 2);
    assert_eq!(from_transcripts["input"], 200);
    let s = maestro_ok(&world, &["show"]);
    assert_eq!(
        s["token_usage"]["total_input"], 15200,
        "totals stay the sums"
    );
    // The event log has one `tokens` event from the hook, saying where the counts came from.
    let log = maestro_ok(&world, &["log", "active"]);
    let tokens: Vec<&Value> = log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["op"] == "tokens")
        .collect();
    assert_eq!(tokens.len(), 1, "{log}");
    assert_eq!(tokens[0]["actor"], "hook:SubagentStop");
    assert_eq!(tokens[0]["source"], "transcript");
    assert_eq!(tokens[0]["agent"], "coder");
    let text = human(&world, "show");
    assert!(
        text.contains("coder: 200 in / 40 out / 0 cached from transcripts (2 replies)"),
        "{text}"
    );
}

#[test]
fn codex_subagent_stop_counts_the_growth_of_the_rollout_total() {
    let world = World::new().with_active_session();
    let rollout = world.root().join("home/rollout-sub.jsonl");
    let full = fixture("codex/rollout-subagent.jsonl");
    // While the sub-agent is blocked only its first reply is in the rollout.
    let text = String::from_utf8(full.clone()).expect("utf8");
    let cut = text.find("\"role\":\"user\"").expect("the hook prompt");
    let cut = text[..cut].rfind('\n').expect("line") + 1;
    std::fs::write(&rollout, &full[..cut]).expect("rollout");
    let stop = payload(&world, "codex/04-after-agent.json", &rollout);
    after_agent(&world, &stop);
    let (_, first) = coder_tokens(&world);
    assert_eq!(
        (first["input"].clone(), first["output"].clone()),
        (1000.into(), 50.into())
    );
    // The retry's reply is appended; the same rollout grows, only the new bytes count.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&rollout)
        .expect("open");
    std::io::Write::write_all(&mut f, &full[cut..]).expect("append");
    after_agent(&world, &stop);
    after_agent(&world, &stop);
    let (tokens, from_transcripts) = coder_tokens(&world);
    assert_eq!(from_transcripts["input"], 2300);
    assert_eq!(from_transcripts["output"], 110);
    assert_eq!(from_transcripts["cached"], 1000);
    assert_eq!(from_transcripts["replies"], 2);
    assert_eq!(tokens["input"], 8000 + 2300);
}

/// A stand-in for the runtime process: a `sleep` whose pid is given as `CLAUDE_PID`.
fn runtime_process() -> Child {
    Command::new("sleep")
        .arg("60")
        .stdin(Stdio::null())
        .spawn()
        .expect("sleep")
}

fn lifecycle_hook(world: &World, hook: &str, pid: u32) {
    let mut cmd = world.cmd(hook);
    cmd.args(["--runtime", "claude"])
        .env("CLAUDE_PID", pid.to_string());
    let stdin = format!(
        r#"{{"session_id":"s1","cwd":{:?},"hook_event_name":"x"}}"#,
        world.project().to_string_lossy()
    );
    let out = run(cmd, stdin.as_bytes());
    assert_eq!(
        stderr_lines(&out),
        Vec::<String>::new(),
        "{hook}: no diagnostics"
    );
}

#[test]
fn a_runtime_gone_without_session_end_is_an_interrupted_run() {
    let world = World::new().with_active_session();
    let owner_file = world.state().join("owner.json");
    // Without an owner record nothing is known: not interrupted.
    assert_eq!(maestro_ok(&world, &["show"])["interrupted"], false);

    // A run that ends with SessionEnd leaves no record.
    let mut clean = runtime_process();
    lifecycle_hook(&world, "session-start", clean.id());
    assert!(owner_file.is_file());
    lifecycle_hook(&world, "session-end", clean.id());
    assert!(!owner_file.exists(), "SessionEnd clears its own record");
    clean.kill().expect("kill");
    clean.wait().expect("wait");

    // A run that dies without SessionEnd.
    let mut doomed = runtime_process();
    lifecycle_hook(&world, "session-start", doomed.id());
    let owner: Value =
        serde_json::from_slice(&std::fs::read(&owner_file).expect("owner")).expect("owner JSON");
    assert_eq!(owner["v"], 1);
    assert_eq!(owner["runtime"], "claude");
    assert_eq!(owner["pid"], doomed.id());
    assert!(owner["start_ticks"].as_u64().is_some() && owner["boot_id"].is_string());
    let s = maestro_ok(&world, &["show"]);
    assert_eq!(s["interrupted"], false, "the owner is running");
    assert_eq!(s["owner"]["gone"], Value::Null);
    doomed.kill().expect("kill");
    doomed.wait().expect("wait");

    let s = maestro_ok(&world, &["show"]);
    assert_eq!(s["interrupted"], true);
    assert_eq!(s["owner"]["gone"], "exited");
    let list = maestro_ok(&world, &["list"]);
    assert_eq!(list["sessions"][0]["interrupted"], true);
    assert!(human(&world, "list").contains("interrupted"));
    assert!(human(&world, "show").contains("ended without a SessionEnd"));
    let (code, doctor, _) = maestro(&world, &["doctor"]);
    assert_eq!(code, 1);
    assert_eq!(doctor["problems"][0]["kind"], "interrupted_run", "{doctor}");
    let (_, fixed, _) = maestro(&world, &["doctor", "--fix"]);
    assert_eq!(fixed["fixed"], Value::Array(Vec::new()), "--fix leaves it");
    assert!(owner_file.is_file());

    // `resume` says it; a paused session is no interrupted run.
    let resumed = maestro_ok(&world, &["resume", "2026-11-20-rest-api-auth"]);
    assert_eq!(resumed["interrupted"]["why"], "exited", "{resumed}");
    maestro_ok(&world, &["pause", "active"]);
    assert_eq!(maestro_ok(&world, &["show"])["interrupted"], false);
}
