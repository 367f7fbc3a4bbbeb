//! Whole-process wall time of the executables, beside `node -e ''` (the start-up floor of the
//! Node.js scripts they replace), in one run. Run by scripts/bench.sh:
//!
//! `cargo run --release -p e2e-tests --example bench -- [--runs N] [--warmup N]`
//!
//! Prints a Markdown table: median, p10 and p90 in ms, and node's median over ours.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e_tests::{World, fixture};

struct Case {
    label: String,
    samples: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Spawns `cmd` with `stdin` bytes `runs` times after `warmup` untimed runs; `before` runs
/// untimed before every run.
fn measure(
    mut make: impl FnMut() -> Command,
    stdin: &[u8],
    warmup: usize,
    runs: usize,
    mut before: impl FnMut(),
) -> Vec<Duration> {
    use std::io::Write;
    let mut samples = Vec::with_capacity(runs);
    for i in 0..warmup + runs {
        before();
        let mut cmd = make();
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let start = Instant::now();
        let mut child = cmd.spawn().expect("spawn");
        if let Some(mut pipe) = child.stdin.take() {
            let _ = pipe.write_all(stdin);
        }
        let status = child.wait().expect("wait");
        let elapsed = start.elapsed();
        assert!(status.success(), "benchmarked command failed");
        if i >= warmup {
            samples.push(elapsed);
        }
    }
    samples.sort();
    samples
}

fn main() {
    let mut runs = 300;
    let mut warmup = 20;
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1).and_then(|v| v.parse().ok())) {
            ("--runs", Some(n)) => runs = n,
            ("--warmup", Some(n)) => warmup = n,
            _ => panic!("usage: bench [--runs N] [--warmup N]"),
        }
    }
    let before_payload = fixture("gemini-cli-0.61/before-agent.json");
    let after_payload = fixture("gemini-cli-0.61/after-agent.json");
    let start_payload = fixture("gemini-cli-0.61/session-start.json");
    let session = fixture("maestro-state/active-session.yaml.md");
    let sid = "74de4db0-237e-4780-bb9f-307c46acc044";
    let mut cases: Vec<Case> = Vec::new();

    let node = measure(
        || {
            let mut c = Command::new("node");
            c.args(["-e", ""]);
            c
        },
        b"",
        warmup.min(5),
        runs,
        || {},
    );
    cases.push(Case {
        label: "`node -e ''`".into(),
        samples: node,
    });
    // The floor of any process on this machine: what a hook's row pays before it does anything
    // (VMs differ here by tenths of a millisecond).
    let floor = measure(|| Command::new("true"), b"", warmup, runs, || {});
    cases.push(Case {
        label: "`true` (an empty process)".into(),
        samples: floor,
    });

    for others in [1usize, 1000] {
        let world = World::new().with_active_session();
        std::fs::create_dir_all(world.hooks()).expect("mkdir");
        for i in 0..others {
            std::fs::create_dir(world.hooks().join(format!("other-session-{i:05}")))
                .expect("mkdir");
        }
        let hooks_label = format!(
            "{others} other folder{}",
            if others == 1 { "" } else { "s" }
        );
        let agent_file = world.hooks().join(sid).join("active-agent");
        let run_hook =
            |name: &str, payload: &[u8], cases: &mut Vec<Case>, before: &mut dyn FnMut()| {
                let samples = measure(|| world.cmd(name), payload, warmup, runs, before);
                cases.push(Case {
                    label: format!("`{name}` ({hooks_label})"),
                    samples,
                });
            };
        run_hook("session-start", &start_payload, &mut cases, &mut || {});
        run_hook("before-agent", &before_payload, &mut cases, &mut || {});
        run_hook("after-agent", &after_payload, &mut cases, &mut || {
            std::fs::write(&agent_file, "coder").expect("seed agent");
        });
        if others == 1 {
            // Issue 11: SessionStart records the owner (CLAUDE_PID, here this process) in
            // state/owner.json: an unchanged record is only read; a new one is written durably.
            let owner_file = world.state().join("owner.json");
            let me = std::process::id().to_string();
            for (label, fresh) in [("owner unchanged", false), ("owner written", true)] {
                let samples = measure(
                    || {
                        let mut c = world.cmd("session-start");
                        c.args(["--runtime", "claude"]).env("CLAUDE_PID", &me);
                        c
                    },
                    &start_payload,
                    warmup,
                    runs,
                    || {
                        if fresh {
                            let _ = std::fs::remove_file(&owner_file);
                        }
                    },
                );
                cases.push(Case {
                    label: format!("`session-start --runtime claude` ({label})"),
                    samples,
                });
            }
            let samples = measure(
                || {
                    let mut c = world.cmd("read-state");
                    c.arg("docs/maestro/state/active-session.md");
                    c
                },
                b"",
                warmup,
                runs,
                || {},
            );
            cases.push(Case {
                label: "`read-state` (session file)".into(),
                samples,
            });
            let samples = measure(
                || {
                    let mut c = world.cmd("write-state");
                    c.arg("docs/maestro/state/active-session.md");
                    c
                },
                &session,
                warmup,
                runs,
                || {},
            );
            cases.push(Case {
                label: "`write-state` (session file, validated, fsync)".into(),
                samples,
            });
        }
    }

    cli_cases(&mut cases, &session, warmup, runs);
    event_log_cases(&mut cases, warmup, runs);

    let node_median = ms(percentile(&cases[0].samples, 0.5));
    println!("Runs per row: {runs} after {warmup} warm-up runs; whole-process wall time in ms.\n");
    println!("| command | median | p10 | p90 | node median / median |");
    println!("|---|---:|---:|---:|---:|");
    for case in &cases {
        let median = ms(percentile(&case.samples, 0.5));
        println!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.1}x |",
            case.label,
            median,
            ms(percentile(&case.samples, 0.1)),
            ms(percentile(&case.samples, 0.9)),
            node_median / median
        );
    }
}

/// `maestro-session` on the fixture session and over generated archives.
fn cli_cases(cases: &mut Vec<Case>, session: &[u8], warmup: usize, runs: usize) {
    let world = World::new().with_active_session();
    let active = world.state().join("active-session.md");
    let ms_cmd = |args: &[&str]| {
        let mut c = world.cmd("maestro-session");
        c.args(args);
        c
    };
    let samples = measure(|| ms_cmd(&["show", "active"]), b"", warmup, runs, || {});
    cases.push(Case {
        label: "`maestro-session show` (fixture session)".into(),
        samples,
    });
    // Each run completes phase 2 of a fresh copy of the fixture: lock, parse, validate,
    // rewrite the log, durable replace.
    let samples = measure(
        || ms_cmd(&["phase", "complete", "active", "2", "--output", "done"]),
        b"",
        warmup,
        runs,
        || std::fs::write(&active, session).expect("reset fixture"),
    );
    cases.push(Case {
        label: "`maestro-session phase complete` (fixture session)".into(),
        samples,
    });

    // A session with 40,000 keys this tool does not know (issue: show took 10.7 s and a token
    // update 21 s, quadratic in the keys): read, and read-modify-write of one agent's tokens.
    let world = World::new().with_active_session();
    let active = world.state().join("active-session.md");
    let text = String::from_utf8(session.to_vec()).expect("utf8");
    let mut big = String::from("---\n");
    for i in 0..40_000 {
        big.push_str(&format!("k{i:05}: {i}\n"));
    }
    big.push_str(text.strip_prefix("---\n").expect("frontmatter"));
    std::fs::write(&active, &big).expect("write");
    let heavy_runs = runs.min(20);
    let ms_big = |args: &[&str]| {
        let mut c = world.cmd("maestro-session");
        c.args(args);
        c
    };
    let samples = measure(|| ms_big(&["show", "active"]), b"", 2, heavy_runs, || {});
    cases.push(Case {
        label: "`maestro-session show` (40,000 unknown keys)".into(),
        samples,
    });
    let samples = measure(
        || ms_big(&["tokens", "active", "--agent", "coder", "--input", "5"]),
        b"",
        2,
        heavy_runs,
        || std::fs::write(&active, &big).expect("reset session"),
    );
    cases.push(Case {
        label: "`maestro-session tokens` (40,000 unknown keys)".into(),
        samples,
    });

    for count in [1_000usize, 10_000] {
        let world = World::new();
        let archive = world.state().join("archive");
        std::fs::create_dir_all(&archive).expect("mkdir");
        let text = String::from_utf8(session.to_vec()).expect("utf8");
        for i in 0..count {
            let id = format!("2026-10-{:02}-bench-session-{i:05}", i % 28 + 1);
            let status = if i % 3 == 0 { "completed" } else { "paused" };
            let body = text.replace("2026-11-20-rest-api-auth", &id).replace(
                "status: \"in_progress\"\nworkflow",
                &format!("status: \"{status}\"\nworkflow"),
            );
            std::fs::write(archive.join(format!("{id}.md")), body).expect("write");
        }
        let index = world.state().join(".list-index");
        let list = || {
            let mut c = world.cmd("maestro-session");
            c.arg("list");
            c
        };
        let cold_runs = if count > 1_000 { 5 } else { 20 };
        let samples = measure(list, b"", 0, cold_runs, || {
            let _ = std::fs::remove_file(&index);
        });
        cases.push(Case {
            label: format!("`maestro-session list`, {count} archived, no index (cold)"),
            samples,
        });
        let warm_runs = if count > 1_000 { 20 } else { 50 };
        let samples = measure(list, b"", 1, warm_runs, || {});
        cases.push(Case {
            label: format!("`maestro-session list`, {count} archived, index current"),
            samples,
        });
        // Search: two words every session holds (all 10,000 are hits, ranked; 20 printed),
        // and one word none holds (every document scanned, no hit).
        let search_index = world.state().join(".search-index");
        for (what, words) in [
            ("every session matches", ["middleware", "failures"]),
            ("no session matches", ["nowhere", "absent"]),
        ] {
            let search = || {
                let mut c = world.cmd("maestro-session");
                c.arg("search").args(words);
                c
            };
            let samples = measure(search, b"", 1, warm_runs, || {});
            cases.push(Case {
                label: format!(
                    "`maestro-session search`, {count} archived, {what}, indexes current"
                ),
                samples,
            });
        }
        let search = || {
            let mut c = world.cmd("maestro-session");
            c.args(["search", "middleware"]);
            c
        };
        let samples = measure(search, b"", 0, cold_runs, || {
            let _ = std::fs::remove_file(&search_index);
        });
        cases.push(Case {
            label: format!("`maestro-session search`, {count} archived, no search index (cold)"),
            samples,
        });
    }
}

/// The event log's cost per change, in-process: one `phase complete`-sized line appended to a
/// session's log beneath the state dir, with the `fdatasync` a locked change pays (after the
/// lock is released) and without it, as the hooks append.
fn event_log_cases(cases: &mut Vec<Case>, warmup: usize, runs: usize) {
    use maestro_session_core::store::event_log::{Actor, Change, Event, append, diff};
    use maestro_session_fs::beneath::Root;
    let world = World::new().with_active_session();
    let root = Root::open(&world.project().join("docs/maestro")).expect("state dir");
    let before = serde_json::json!({"phases": [{"status": "in_progress"}]});
    let after = serde_json::json!({"phases": [{"status": "completed"}]});
    let changes: Vec<Change> = diff(Some(&before), Some(&after));
    let event = Event::new(&Actor::Cli, "phase complete", "bench-session", changes);
    for (label, sync) in [
        ("with fdatasync, as a locked change", true),
        ("without, as a hook", false),
    ] {
        let mut samples = Vec::with_capacity(runs);
        for i in 0..warmup + runs {
            let started = Instant::now();
            append(&root, &event, sync).expect("append");
            if i >= warmup {
                samples.push(started.elapsed());
            }
        }
        samples.sort();
        cases.push(Case {
            label: format!("event log: one change's line appended ({label}; in-process)"),
            samples,
        });
    }
}
