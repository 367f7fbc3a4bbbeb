//! The hooks under `--runtime qwen` over payloads the real Qwen Code 0.24.4 wrote
//! (tests/fixtures/qwen-code/captured/<scenario>/: `NN-<Event>.json` as Qwen Code wrote it on a
//! hook's stdin, and the lead's and the sub-agent's transcripts under `qwen-home/`; home and
//! project renamed /home/dev and /home/dev/proj; see that folder's README). Each scenario is
//! replayed in order through the built executables on a world whose active session names the
//! coder, with the paths moved into the world and the sub-agent's transcript growing as it did
//! (its first reply before the first SubagentStop, the retry before the second).
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::{Path, PathBuf};

use e2e_tests::{World, json_out, run, stderr_lines};
use serde_json::{Value, json};

/// The Qwen Code 0.24.4 built-in agent types (`hooks::qwen::BUILTIN_AGENTS`), as the lead names
/// them in `subagent_type`.
const BUILTINS: [&str; 7] = [
    "general-purpose",
    "Explore",
    "statusline-setup",
    "review-agent",
    "claude-code",
    "codex",
    "fork",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/qwen-code/captured")
}

/// A recorded scenario moved into a world: its payloads with `/home/dev` as the world's home,
/// and its transcripts.
struct Scenario {
    world: World,
    /// (event, payload), in order.
    steps: Vec<(String, Value)>,
    /// The sub-agent's transcript in the world, and its recorded lines.
    subagent: (PathBuf, Vec<String>),
    /// The lead's transcript in the world (copied whole).
    lead: PathBuf,
}

impl Scenario {
    fn load(name: &str) -> Scenario {
        Scenario::load_with(name, &["Implement the parser=coder"])
    }

    /// [`Scenario::load`] with an active session of `phases` (`name=agent`), phase 1 started.
    fn load_with(name: &str, phases: &[&str]) -> Scenario {
        let world = World::new();
        let mut args = Vec::new();
        for phase in phases {
            args.extend(["--phase", *phase]);
        }
        world.create("Build the pretty printer", &args);
        world
            .maestro(&["phase", "start", "active", "1"])
            .assert_ok();
        let home = world.root().join("home");
        let dir = fixtures().join(name);
        // The transcripts' paths as the executables under test spell them (on wine's drive
        // for Windows executables), inside JSON text.
        let home_json = e2e_tests::native_path(&home).replace('\\', "\\\\");
        let rename = |text: &str| {
            text.replace("/home/dev/proj", &world.project().to_string_lossy())
                .replace("/home/dev/", &format!("{home_json}/"))
        };
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("scenario")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json"))
            .collect();
        files.sort();
        let steps = files
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(dir.join(f)).expect("payload");
                let event = f
                    .trim_end_matches(".json")
                    .split_once('-')
                    .expect("NN-Event")
                    .1;
                (
                    event.to_string(),
                    serde_json::from_str(&rename(&text)).expect("json"),
                )
            })
            .collect::<Vec<_>>();
        let find = |part: &str| -> PathBuf {
            let root = dir.join("qwen-home");
            let mut stack = vec![root.clone()];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).expect("dir").flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.to_string_lossy().contains(part) {
                        return p;
                    }
                }
            }
            panic!("no {part} in {}", root.display())
        };
        let moved = |p: &Path| {
            home.join(".qwen")
                .join(p.strip_prefix(dir.join("qwen-home")).expect("inside"))
        };
        let (sub_src, lead_src) = (find("/subagents/"), find("/chats/"));
        let lead = moved(&lead_src);
        std::fs::create_dir_all(lead.parent().expect("dir")).expect("mkdir");
        std::fs::copy(&lead_src, &lead).expect("lead transcript");
        let lines = std::fs::read_to_string(&sub_src)
            .expect("sub-agent transcript")
            .split_inclusive('\n')
            .map(str::to_string)
            .collect();
        Scenario {
            world,
            steps,
            subagent: (moved(&sub_src), lines),
            lead,
        }
    }

    /// How the payloads spell `path` in the world's home: as it is, or for Windows executables
    /// under wine with the home on wine's `Z:` drive ([`e2e_tests::native_path`]).
    fn spelled(&self, path: &Path) -> String {
        let home = self.world.root().join("home");
        match path.strip_prefix(&home) {
            Ok(rest) => format!(
                "{}/{}",
                e2e_tests::native_path(&home),
                rest.to_string_lossy()
            ),
            Err(_) => path.to_string_lossy().into_owned(),
        }
    }

    /// Writes the first `n` lines of the sub-agent's transcript (appending, as Qwen does).
    fn transcript_lines(&self, n: usize) {
        let (path, lines) = &self.subagent;
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        let have = std::fs::read_to_string(path).unwrap_or_default();
        let want: String = lines[..n].concat();
        assert!(want.starts_with(&have), "the transcript only grows");
        use std::io::Write as _;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open")
            .write_all(&want.as_bytes()[have.len()..])
            .expect("append");
    }

    fn session_id(&self) -> String {
        self.steps[0].1["session_id"]
            .as_str()
            .expect("session_id")
            .to_string()
    }
}

fn hook_of(event: &str) -> &'static str {
    match event {
        "SessionStart" => "session-start",
        "SubagentStart" => "before-agent",
        "SubagentStop" => "after-agent",
        "SessionEnd" => "session-end",
        other => panic!("not one of our events: {other}"),
    }
}

/// Runs the hook for `event` with `--runtime qwen`; asserts exit 0 and a clean stderr.
fn answer(world: &World, event: &str, payload: &Value, env: &[(&str, &str)]) -> Value {
    let mut cmd = world.cmd(hook_of(event));
    cmd.args(["--runtime", "qwen"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(cmd, payload.to_string().as_bytes());
    assert!(
        out.status.success(),
        "{event} exit {:?}, stderr {:?}",
        out.status,
        stderr_lines(&out)
    );
    assert!(
        stderr_lines(&out).is_empty(),
        "{event} stderr: {:?}",
        stderr_lines(&out)
    );
    json_out(&out)
}

/// `agents/*` record names of the runtime session.
fn records(world: &World, session: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(world.hooks().join(session).join("agents"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// (input, output) tokens of `agent` in the active session, and the transcripts counted.
fn tokens(world: &World, agent: &str) -> ((u64, u64), Vec<String>) {
    let s = world.show("active");
    let by = &s["token_usage"]["by_agent"][agent];
    let counts = (
        by["input"].as_u64().unwrap_or(0),
        by["output"].as_u64().unwrap_or(0),
    );
    // Marks are keyed by the file's identity (dev:ino) and name the path they counted, which
    // Windows executables join with `\` ([`slashes`]).
    let counted = s["transcript_usage"]["transcripts"]
        .as_object()
        .map(|m| {
            m.values()
                .filter_map(|mark| mark["path"].as_str().map(slashes))
                .collect()
        })
        .unwrap_or_default();
    (counts, counted)
}

/// `path` with `/` for every separator: how the tests compare the paths Windows executables
/// join with `\` (wine's `Z:\...`) and the ones the payloads gave with `/`.
fn slashes(path: &str) -> String {
    path.replace('\\', "/")
}

/// Replays a block-then-retry scenario, checking the answers, the records and the counts.
fn block_then_retry(name: &str) {
    let s = Scenario::load(name);
    let events: Vec<&str> = s.steps.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        events,
        [
            "SessionStart",
            "SubagentStart",
            "SubagentStop",
            "SubagentStop"
        ]
    );
    let sid = s.session_id();
    let agent_id = s.steps[1].1["agent_id"]
        .as_str()
        .expect("agent_id")
        .to_string();
    let own = slashes(&s.spelled(&s.subagent.0));

    // Even with a runtime process to name (Claude Code's variable, pointing at a live
    // process), no owner is recorded: no SessionEnd under `qwen -p` would clear it.
    let me = std::process::id().to_string();
    let env = [("CLAUDE_PID", me.as_str())];
    assert_eq!(
        answer(&s.world, "SessionStart", &s.steps[0].1, &env),
        json!({})
    );
    assert!(s.world.hooks().join(&sid).is_dir(), "hook state kept");
    assert!(!s.world.state().join("owner.json").exists(), "no owner");

    let started = answer(&s.world, "SubagentStart", &s.steps[1].1, &[]);
    let context = started["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .expect("context");
    assert_eq!(
        started["hookSpecificOutput"]["hookEventName"],
        "SubagentStart"
    );
    assert!(
        context.contains("your phase 1 of 1 \"Implement the parser\" (in_progress)"),
        "{context}"
    );
    assert_eq!(records(&s.world, &sid), std::slice::from_ref(&agent_id));

    // The coder's first reply is in its transcript when its first SubagentStop fires.
    s.transcript_lines(2);
    let blocked = answer(&s.world, "SubagentStop", &s.steps[2].1, &[]);
    assert_eq!(blocked["decision"], "block", "{blocked}");
    assert!(
        blocked["reason"]
            .as_str()
            .is_some_and(|r| r.contains("Missing Downstream Context")),
        "{blocked}"
    );
    assert_eq!(
        blocked.as_object().map(|o| o.len()),
        Some(2),
        "only decision and reason: {blocked}"
    );
    assert_eq!(
        records(&s.world, &sid),
        std::slice::from_ref(&agent_id),
        "blocked: record kept"
    );
    assert_eq!(tokens(&s.world, "coder"), ((700, 40), vec![own.clone()]));

    // Qwen re-prompts the same agent; its retry is appended before the second SubagentStop.
    s.transcript_lines(4);
    assert_eq!(s.steps[3].1["stop_hook_active"], true);
    assert_eq!(
        answer(&s.world, "SubagentStop", &s.steps[3].1, &[]),
        json!({})
    );
    assert!(records(&s.world, &sid).is_empty(), "allowed: record gone");
    let (counts, counted) = tokens(&s.world, "coder");
    assert_eq!(counts, (1460, 100), "both replies, once each");
    assert_eq!(counted, [own], "the sub-agent's transcript only");
    assert!(!counted.contains(&slashes(&s.spelled(&s.lead))));

    // The same stop again counts nothing more.
    answer(&s.world, "SubagentStop", &s.steps[3].1, &[]);
    assert_eq!(tokens(&s.world, "coder").0, (1460, 100));
}

#[test]
fn foreground_block_retry_counts_the_subagents_own_transcript() {
    let s = Scenario::load("block-json");
    // The recorded surprise this test depends on: in the foreground path the payload's
    // agent_transcript_path is the lead's chat record.
    let stop = &s.steps[2].1;
    assert_eq!(stop["agent_transcript_path"], stop["transcript_path"]);
    assert_eq!(stop["agent_transcript_path"], json!(s.spelled(&s.lead)));
    block_then_retry("block-json");
}

#[test]
fn background_block_retry_counts_the_named_transcript() {
    let s = Scenario::load("background-block-json");
    let stop = &s.steps[2].1;
    assert_eq!(
        stop["agent_transcript_path"],
        json!(s.spelled(&s.subagent.0))
    );
    block_then_retry("background-block-json");
}

#[test]
fn builtin_agents_are_never_blocked_nor_told_the_session() {
    // Even a project whose phases and settings name them.
    let s = Scenario::load_with(
        "block-json",
        &["Look around=general-purpose", "Implement the parser=coder"],
    );
    let (start, stop) = (&s.steps[1].1, &s.steps[2].1);
    let env = [(
        "MAESTRO_SPECIALISTS",
        "explore,general-purpose,statusline-setup,review-agent,claude-code,codex,fork",
    )];
    for builtin in BUILTINS {
        let agent_id = format!("{builtin}-call_0123");
        let mut start = start.clone();
        start["agent_type"] = json!(builtin);
        start["agent_id"] = json!(agent_id);
        let mut stop = stop.clone();
        stop["agent_type"] = json!(builtin);
        stop["agent_id"] = json!(agent_id);
        stop["last_assistant_message"] = json!("Found it: src/lib.rs. No report sections.");
        assert_eq!(
            answer(&s.world, "SubagentStart", &start, &env),
            json!({}),
            "{builtin}"
        );
        assert_eq!(
            answer(&s.world, "SubagentStop", &stop, &env),
            json!({}),
            "{builtin}"
        );
    }
    assert!(records(&s.world, &s.session_id()).is_empty());
    // The same report from a configured specialist is blocked: the rule is the built-in names.
    let mut stop = stop.clone();
    stop["agent_type"] = json!("reviewer");
    stop["last_assistant_message"] = json!("Found it: src/lib.rs. No report sections.");
    let env = [("MAESTRO_SPECIALISTS", "reviewer")];
    assert_eq!(
        answer(&s.world, "SubagentStop", &stop, &env)["decision"],
        "block"
    );
}

#[test]
fn a_tool_call_id_that_cannot_name_a_file_still_gets_the_check() {
    let s = Scenario::load("block-json");
    let odd = "coder-call:1/../x";
    let mut steps = s.steps.clone();
    for (_, payload) in steps.iter_mut().skip(1) {
        payload["agent_id"] = json!(odd);
    }
    let sid = s.session_id();
    answer(&s.world, "SessionStart", &steps[0].1, &[]);
    let started = answer(&s.world, "SubagentStart", &steps[1].1, &[]);
    assert!(started["hookSpecificOutput"]["additionalContext"].is_string());
    assert_eq!(
        answer(&s.world, "SubagentStop", &steps[2].1, &[])["decision"],
        "block"
    );
    assert_eq!(
        answer(&s.world, "SubagentStop", &steps[3].1, &[]),
        json!({})
    );
    assert!(
        records(&s.world, &sid).is_empty(),
        "no record under an unsafe name"
    );
    // Nothing was derived from the id: no transcript outside the sub-agents' folder was read.
    assert_eq!(tokens(&s.world, "coder"), ((0, 0), Vec::new()));
}
