//! The attack suite of the issue "No session ever lost, overwritten or written outside its
//! project": every case of the issue's "Why", recreated through the built executables, each
//! asserting the behaviour of the fix, and each checking that nothing outside the project changed
//! and that no session was lost ([`World::watch`] before, [`Watch::check`] after).
//!
//! The cases:
//!  1. Numbers and arguments: `cleanup --older-than 20000000000000w --yes` and
//!     `--older-than 9223372036854775808s --yes` with an archived completed session updated a
//!     second ago exit 2 and remove nothing; `list --since 1000000000000s` exits 2, never 101;
//!     a non-UTF-8 argument to `read-state`, `write-state` and `maestro-session` (as a session id
//!     and as a value, with and without `--json`) exits 2 with an error on stderr, never 101;
//!     to `before-agent` it exits 0 with a JSON answer.
//!     (`cleanup_refuses_ages_that_overflow`, `non_utf8_arguments_are_usage_errors`)
//!  2. `read-state archive/A.md | write-state active-session.md` while B is active: refused
//!     naming `archive` or `--park`, B intact, each session listed once; `write-state` of
//!     active-session.md without a `session_id`, behind a UTF-8 BOM or behind a blank first
//!     line: refused, active session unchanged; `archive/X.md` holding another session id:
//!     refused. (`archived_copy_cannot_be_written_over_the_active_session`,
//!     `write_state_refuses_active_session_without_a_plain_frontmatter`,
//!     `write_state_refuses_archive_file_named_for_another_session`)
//!  3. `write-state` of `.lock`, `.index.json`, a temp file, `intents/x.json`, `notes.txt`
//!     under the state folder: refused, nothing changed; 4 threads x 100 `tokens` while another
//!     thread keeps trying to `write-state .lock`: total_input is exactly 400.
//!     (`write_state_refuses_files_the_tools_own`, `refused_lock_writes_lose_no_token_update`)
//!  4. Two archived sessions whose design documents share the name `design.md`: both documents
//!     survive in `plans/archive/`, each session names its own.
//!     (`archived_plan_documents_never_overwrite_each_other`)
//!  5. The resolver: `--state-dir ../out` refused naming `--state-dir`; an absolute
//!     `MAESTRO_STATE_DIR` outside the project refused naming `MAESTRO_STATE_DIR` (inside: fine);
//!     `MAESTRO_STATE_DIR=../x` in `.env` refused naming `.env`; a `docs/` symlinked outside:
//!     every command refused, nothing outside read or written; a `.lock` symlinked to an outside
//!     file: the file's bytes unchanged; an `archive/` symlinked to an outside folder: cleanup
//!     deletes nothing there. (`state_dir_flag_cannot_leave_the_project`,
//!     `state_dir_env_is_accepted_only_inside_the_project`, `dotenv_state_dir_outside_is_refused`,
//!     `symlinked_docs_folder_is_refused`, `lock_symlink_to_an_outside_file_is_never_written`,
//!     `archive_symlink_to_an_outside_folder_is_never_cleaned`)
//!  6. Interrupted moves: one session both active and archived (what an interrupted
//!     `resume --park` of the old code left): `doctor` exits 1 and reports it, `doctor --fix`
//!     keeps the newer copy and quarantines the other, then it is listed once and `doctor` exits
//!     0; a corrupt active session: `create --park`, `delete --force`, `cancel`, `archive`,
//!     `resume` work or name `doctor --fix`, never destroying its bytes; `doctor --fix`
//!     quarantines it, then `create` works. (`doctor_resolves_a_session_left_in_two_places`,
//!     `commands_never_destroy_a_corrupt_active_session`,
//!     `doctor_fix_quarantines_a_corrupt_active_session`)
//!  7. Bounded input: an active-session.md that is a FIFO (`before-agent`, `list`, `show` return;
//!     the hook answers, the CLI names the file), a 2 GB sparse file with an unclosed
//!     frontmatter (`before-agent` answers within 64 MB peak RSS; `show` names the size cap), a
//!     symlink to `/dev/zero` (refused). (`fifo_active_session_does_not_block`,
//!     `huge_active_session_is_read_with_bounded_memory`, `dev_zero_active_session_is_refused`)
//!  8. Scale and numbers: 40,000 unknown keys survive `show` and `tokens`; a token count that
//!     would overflow is refused and changes nothing; unknown values (a big integer, `yes`, a
//!     tag, comments) are kept byte for byte. (`forty_thousand_unknown_keys_are_kept`,
//!     `token_counts_never_overflow`, `unknown_values_are_kept_exactly`)
//!  9. A lock held by a process that wrote no record, over a stale `pid 999999 (ghost)` text: the
//!     timeout (exit 3) says an unknown process holds it and does not name pid 999999.
//!     (`lock_timeout_does_not_blame_a_stale_record`)
//! 10. `tokens`, `create`/`archive` and `cleanup --older-than 0s --yes` racing: no in-progress
//!     session, no update lost, every remaining session parses; and its deterministic form, a
//!     stale list index calling a paused session completed: cleanup keeps it.
//!     (`writes_racing_cleanup_lose_nothing`, `cleanup_decides_on_the_file_not_a_stale_index`)
//!
//! Exit codes asserted (the fix's contract): `maestro-session` 1 refused, 2 usage, 3 I/O, lock
//! timeout or corrupt state; the state tools `ERROR: <message>` and 1 (2 for usage).
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use e2e_tests::{
    CORRUPT_SESSION, Ran, Tree, World, before_agent_payload, doctor_problems, gnu_time, listed_ids,
    session_doc, session_id_of,
};
use serde_json::Value;

const ACTIVE: &str = "docs/maestro/state/active-session.md";
/// A non-UTF-8 argument.
const BAD: &[u8] = b"\xff\xfe";
/// Address-space cap (KiB) for commands that might read without bound: 1 GiB.
const VM_CAP_KIB: u64 = 1 << 20;
/// The most resident memory (KiB) a command may use on an oversized or endless input.
const MAX_RSS_KIB: u64 = 64 * 1024;

fn bad() -> &'static OsStr {
    OsStr::from_bytes(BAD)
}

fn sub(args: &[&'static str]) -> Vec<&'static OsStr> {
    args.iter().map(|a| OsStr::new(*a)).collect()
}

/// The frontmatter line `updated: ...` replaced by `updated: "<when>"`.
fn with_updated(bytes: &[u8], when: &str) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).expect("utf8 session");
    let mut done = false;
    let out: Vec<String> = text
        .split('\n')
        .map(|line| {
            if !done && line.starts_with("updated:") {
                done = true;
                format!("updated: \"{when}\"")
            } else if !done && line.starts_with("  \"updated\": ") {
                // A JSON frontmatter (a new project's sessions): the top-level key.
                done = true;
                format!("  \"updated\": \"{when}\",")
            } else {
                line.to_string()
            }
        })
        .collect();
    assert!(done, "no updated line in {text}");
    out.join("\n").into_bytes()
}

// ---------------------------------------------------------------------------------------------
// 1. Numbers and arguments

#[test]
fn cleanup_refuses_ages_that_overflow() {
    let world = World::new();
    let id = world.create("Finished work", &[]);
    world
        .maestro(&["status", "active", "completed"])
        .assert_ok();
    world.maestro(&["archive"]).assert_ok();
    let watch = world.watch();
    let archived = world.state().join(format!("archive/{id}.md"));
    let bytes = std::fs::read(&archived).expect("archived session");
    let mut failures = Vec::new();
    for age in ["20000000000000w", "9223372036854775808s"] {
        let ran = world.maestro(&["cleanup", "--older-than", age, "--yes"]);
        if ran.code != Some(2) {
            failures.push(format!("cleanup --older-than {age}: want exit 2: {ran}"));
        }
        if !archived.exists() {
            failures.push(format!("cleanup --older-than {age} removed {id}"));
            std::fs::write(&archived, &bytes).expect("put it back for the next case");
        }
    }
    let ran = world.maestro(&["list", "--since", "1000000000000s"]);
    if ran.code != Some(2) {
        failures.push(format!("list --since 1000000000000s: want exit 2: {ran}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    watch.assert_sessions_unchanged(&world);
    watch.check(&world);
}

#[test]
fn non_utf8_arguments_are_usage_errors() {
    let world = World::new();
    world.create("Argument check", &[]);
    let watch = world.watch();
    let mut failures = Vec::new();
    let mut expect_usage = |ran: Ran, json: bool| {
        if ran.code != Some(2) || ran.stderr.trim().is_empty() {
            failures.push(format!("want exit 2 and an error on stderr: {ran}"));
        } else if json {
            ran.json_error();
        }
    };
    expect_usage(world.exec("read-state", &[bad()], b""), false);
    expect_usage(world.exec("write-state", &[bad()], b"content"), false);
    let argument_sets: Vec<Vec<&OsStr>> = vec![
        [sub(&["show"]), vec![bad()]].concat(),
        [sub(&["set", "active", "task"]), vec![bad()]].concat(),
        [sub(&["tokens", "active", "--agent"]), vec![bad()]].concat(),
    ];
    for args in &argument_sets {
        expect_usage(world.exec("maestro-session", args, b""), false);
        expect_usage(world.maestro(args), true);
    }
    let payload = before_agent_payload(&world);
    for args in [vec![bad()], vec![OsStr::new("--runtime"), bad()]] {
        let ran = world.exec("before-agent", &args, &payload);
        if !hook_answered(&ran) {
            failures.push(format!(
                "before-agent: want exit 0 and a JSON answer: {ran}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    watch.assert_sessions_unchanged(&world);
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 2. write-state over sessions

#[test]
fn archived_copy_cannot_be_written_over_the_active_session() {
    let world = World::new();
    let a = world.create("Session A", &[]);
    let b = world.create("Session B", &["--park"]);
    let archived = format!("docs/maestro/state/archive/{a}.md");
    let a_bytes = world
        .exec("read-state", &[&archived], b"")
        .assert_ok()
        .stdout
        .clone();
    let watch = world.watch();

    let ran = world.exec("write-state", &[ACTIVE], &a_bytes);
    ran.assert_tool_refused(1);
    assert!(
        ran.stderr.contains("archive") || ran.stderr.contains("--park"),
        "the refusal names the archive or --park: {ran}"
    );
    watch.assert_sessions_unchanged(&world);
    let mut listed = listed_ids(&world);
    listed.sort();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(listed, want, "each session listed once");
    watch.check(&world);
}

#[test]
fn write_state_refuses_active_session_without_a_plain_frontmatter() {
    let world = World::new();
    world.create("Session B", &[]);
    let b_bytes = world.active_bytes();
    let watch = world.watch();
    let bom = [b"\xef\xbb\xbf".as_slice(), &b_bytes].concat();
    let blank = [b"\n".as_slice(), &b_bytes].concat();
    let cases: [(&str, &[u8]); 3] = [
        ("no session_id", b"---\nfoo: bar\n---\n"),
        ("behind a UTF-8 BOM", &bom),
        ("behind a blank first line", &blank),
    ];
    let mut failures = Vec::new();
    for (what, content) in cases {
        let ran = world.exec("write-state", &[ACTIVE], content);
        if ran.code != Some(1) || !ran.stderr.starts_with("ERROR: ") {
            failures.push(format!("{what}: want refused (exit 1, ERROR): {ran}"));
        }
        if world.active_bytes() != b_bytes {
            failures.push(format!("{what}: the active session was replaced"));
            std::fs::write(world.state().join("active-session.md"), &b_bytes).expect("restore");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The same session written back as it is stays allowed: the refusals above are about form.
    world.exec("write-state", &[ACTIVE], &b_bytes).assert_ok();
    watch.assert_sessions_unchanged(&world);
    watch.check(&world);
}

#[test]
fn write_state_refuses_archive_file_named_for_another_session() {
    let world = World::new();
    world.create("Active one", &[]);
    let watch = world.watch();
    let doc = session_doc("2026-01-01-y", "paused", "2026-01-01T00:00:00Z");
    let ran = world.exec(
        "write-state",
        &["docs/maestro/state/archive/2026-01-01-x.md"],
        doc.as_bytes(),
    );
    ran.assert_tool_refused(1);
    assert!(!world.state().join("archive/2026-01-01-x.md").exists());
    watch.assert_sessions_unchanged(&world);
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 3. Files the tools own

#[test]
fn write_state_refuses_files_the_tools_own() {
    let payload = b"{\"attack\": true}\n";
    let mut failures = Vec::new();
    for target in [
        ".lock",
        ".index.json",
        ".list-index",
        ".search-index",
        ".active-session.md.123-0-1.maestro-tmp",
        "intents/x.json",
        "notes.txt",
    ] {
        let world = World::new();
        world.create("Owned files", &[]);
        world.maestro(&["list"]).assert_ok();
        std::fs::write(world.state().join(".list-index"), b"x").expect("seed index");
        let watch = world.watch();
        // The lock file's text may change with every lock taken; only its replacement counts.
        let without_lock = |mut t: Tree| {
            t.0.remove(Path::new(".lock"));
            t
        };
        let before = without_lock(Tree::of(&world.state()));
        let ran = world.exec(
            "write-state",
            &[format!("docs/maestro/state/{target}")],
            payload,
        );
        if ran.code != Some(1) || !ran.stderr.starts_with("ERROR: ") {
            failures.push(format!("{target}: want refused (exit 1, ERROR): {ran}"));
        }
        let lock = world.state().join(".lock");
        if !std::fs::symlink_metadata(&lock).is_ok_and(|m| m.is_file())
            || std::fs::read(&lock).unwrap_or_default() == payload
        {
            failures.push(format!("{target}: the lock file was replaced"));
        }
        let diff = before.diff(&without_lock(Tree::of(&world.state())));
        if !diff.is_empty() {
            failures.push(format!(
                "{target}: the state folder changed:\n  {}",
                diff.join("\n  ")
            ));
        }
        watch.assert_sessions_unchanged(&world);
        failures.extend(
            watch
                .problems(&world)
                .into_iter()
                .map(|p| format!("{target}: {p}")),
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn refused_lock_writes_lose_no_token_update() {
    const THREADS: usize = 4;
    const UPDATES: usize = 100;
    let world = Arc::new(World::new());
    let id = world.create("Lost updates", &[]);
    let watch = world.watch();
    let done = Arc::new(AtomicBool::new(false));
    let lock_writer = {
        let (world, done) = (world.clone(), done.clone());
        std::thread::spawn(move || {
            let mut accepted = 0;
            let mut tries = 0;
            while !done.load(Ordering::Relaxed) {
                let ran = world.exec(
                    "write-state",
                    &["docs/maestro/state/.lock"],
                    format!("pid {tries} (attacker)\n").as_bytes(),
                );
                tries += 1;
                if ran.code == Some(0) {
                    accepted += 1;
                }
            }
            (accepted, tries)
        })
    };
    let writers: Vec<_> = (0..THREADS)
        .map(|n| {
            let world = world.clone();
            std::thread::spawn(move || {
                let agent = format!("a{n}");
                (0..UPDATES)
                    .map(|_| {
                        world.exec(
                            "maestro-session",
                            &["tokens", "active", "--agent", &agent, "--input", "1"],
                            b"",
                        )
                    })
                    .filter(|r| r.code != Some(0))
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let failed: Vec<String> = writers
        .into_iter()
        .flat_map(|w| w.join().expect("writer thread"))
        .collect();
    done.store(true, Ordering::Relaxed);
    let (accepted, tries) = lock_writer.join().expect("lock writer thread");
    assert!(failed.is_empty(), "tokens failed: {}", failed.join("\n"));
    let s = world.show(&id);
    let usage = &s["token_usage"];
    assert_eq!(
        usage["total_input"],
        (THREADS * UPDATES) as u64,
        "updates were lost while the lock file was being replaced ({accepted} of {tries} lock writes accepted): {usage}"
    );
    for n in 0..THREADS {
        assert_eq!(usage["by_agent"][format!("a{n}")]["input"], UPDATES as u64);
    }
    assert_eq!(
        accepted, 0,
        "write-state .lock was accepted {accepted} times"
    );
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 4. Plan documents

#[test]
fn archived_plan_documents_never_overwrite_each_other() {
    let world = World::new();
    let plans = world.project().join("docs/maestro/plans");
    std::fs::create_dir_all(&plans).expect("mkdir plans");
    let mut ids = Vec::new();
    for content in ["A", "B"] {
        std::fs::write(plans.join("design.md"), content).expect("write design");
        let id = world.create(
            &format!("Task {content}"),
            &["--design-document", "docs/maestro/plans/design.md"],
        );
        world
            .maestro(&["status", "active", "completed"])
            .assert_ok();
        world.maestro(&["archive"]).assert_ok();
        ids.push((id, content));
    }
    let watch = world.watch();
    let mut documents = Vec::new();
    for (id, content) in &ids {
        let s = world.show(id);
        let doc = s["design_document"]
            .as_str()
            .unwrap_or_else(|| panic!("{id} names no design document: {s}"))
            .to_string();
        assert!(
            doc.starts_with("docs/maestro/plans/archive/"),
            "{id}: {doc} is not in plans/archive"
        );
        let bytes = std::fs::read(world.project().join(&doc)).unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            *content,
            "{id}'s design document {doc} holds another session's document"
        );
        let name = Path::new(&doc)
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        documents.push((id.clone(), name));
    }
    let (a, a_name) = &documents[0];
    let (b, b_name) = &documents[1];
    assert_ne!(a_name, b_name, "both sessions name the same document");
    assert!(
        *a_name == "design.md" || *a_name == format!("{a}--design.md"),
        "{a_name}"
    );
    assert_eq!(*b_name, format!("{b}--design.md"));
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 5. The resolver

#[test]
fn state_dir_flag_cannot_leave_the_project() {
    let world = World::new();
    let watch = world.watch();
    let mut failures = Vec::new();
    for args in [
        vec!["--state-dir", "../out", "init"],
        vec!["--state-dir", "../out", "create", "Escape"],
        vec!["--state-dir", "../out", "list"],
    ] {
        let ran = world.maestro(&args);
        if ran.code != Some(1) || !ran.stderr.contains("--state-dir") {
            failures.push(format!("want exit 1 naming --state-dir: {ran}"));
        }
    }
    if world.root().join("out").exists() {
        failures.push("../out was created".into());
    }
    failures.extend(watch.problems(&world));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn state_dir_env_is_accepted_only_inside_the_project() {
    let world = World::new();
    let outside = world.outside().join("state-dir");
    std::fs::create_dir_all(outside.join("state/archive")).expect("mkdir");
    std::fs::write(
        outside.join("state/active-session.md"),
        session_doc(
            "2026-01-01-outside-secret",
            "in_progress",
            "2026-01-01T00:00:00Z",
        ),
    )
    .expect("write outside session");
    let watch = world.watch();
    let env = [("MAESTRO_STATE_DIR", outside.as_os_str())];
    let mut failures = Vec::new();
    for args in [
        vec!["init"],
        vec!["create", "Escape"],
        vec!["list"],
        vec!["show"],
        vec!["show", "2026-01-01-outside-secret"],
    ] {
        let ran = world.maestro_env(&env, &args);
        if ran.code != Some(1) || !ran.stderr.contains("MAESTRO_STATE_DIR") {
            failures.push(format!("want exit 1 naming MAESTRO_STATE_DIR: {ran}"));
        }
        if ran.stdout_text().contains("outside-secret") {
            failures.push(format!("printed the outside session: {ran}"));
        }
    }
    failures.extend(watch.problems(&world));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    // An absolute setting inside the project is fine.
    let inside = world.project().join("custom");
    let env = [("MAESTRO_STATE_DIR", inside.as_os_str())];
    world.maestro_env(&env, &["init"]).assert_ok();
    let ran = world.maestro_env(&env, &["create", "Inside"]);
    ran.assert_ok();
    let id = ran.json()["session_id"].as_str().expect("id").to_string();
    let listed = world.maestro_env(&env, &["list"]);
    listed.assert_ok();
    assert!(listed.stdout_text().contains(&id), "{listed}");
    assert!(inside.join("state/active-session.md").is_file());
    watch.assert_outside_unchanged(&world);
}

#[test]
fn dotenv_state_dir_outside_is_refused() {
    let world = World::new();
    std::fs::write(world.project().join(".env"), "MAESTRO_STATE_DIR=../x\n").expect("write .env");
    let watch = world.watch();
    let mut failures = Vec::new();
    for args in [vec!["init"], vec!["create", "Escape"], vec!["list"]] {
        let ran = world.maestro(&args);
        if ran.code != Some(1) || !ran.stderr.contains(".env") {
            failures.push(format!("want exit 1 naming .env: {ran}"));
        }
    }
    if world.root().join("x").exists() {
        failures.push("../x was created".into());
    }
    failures.extend(watch.problems(&world));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A world whose `docs/` is a symlink to `<world>/outside/docs`, which holds an in-progress
/// session `2026-01-01-outside-secret` and an old completed archived one.
fn docs_symlinked_world() -> World {
    let world = World::new();
    let docs = world.outside().join("docs");
    let state = docs.join("maestro/state");
    std::fs::create_dir_all(state.join("archive")).expect("mkdir");
    std::fs::create_dir_all(docs.join("maestro/plans/archive")).expect("mkdir");
    std::fs::write(
        state.join("active-session.md"),
        session_doc(
            "2026-01-01-outside-secret",
            "in_progress",
            "2026-01-01T00:00:00Z",
        ),
    )
    .expect("write");
    std::fs::write(
        state.join("archive/2026-01-01-outside-old.md"),
        session_doc(
            "2026-01-01-outside-old",
            "completed",
            "2020-01-01T00:00:00Z",
        ),
    )
    .expect("write");
    symlink(&docs, world.project().join("docs")).expect("symlink docs");
    world
}

#[test]
fn symlinked_docs_folder_is_refused() {
    let mut failures = Vec::new();
    for args in [
        vec!["init"],
        vec!["create", "Inside task", "--park"],
        vec!["list"],
        vec!["show"],
        vec!["show", "2026-01-01-outside-old"],
        vec!["archive"],
        vec!["cleanup", "--older-than", "0s", "--yes"],
        vec!["cleanup", "--all", "--yes"],
    ] {
        let world = docs_symlinked_world();
        let watch = world.watch();
        let ran = world.maestro(&args);
        if ran.code != Some(1) {
            failures.push(format!("want refused (exit 1): {ran}"));
        }
        if ran.stdout_text().contains("outside-") || ran.stderr.contains("Task of") {
            failures.push(format!("read a session outside the project: {ran}"));
        }
        failures.extend(
            watch
                .problems(&world)
                .into_iter()
                .map(|p| format!("{args:?}: {p}")),
        );
    }
    let world = docs_symlinked_world();
    let watch = world.watch();
    let ran = world.exec("read-active-session", &[] as &[&str], b"");
    if ran.stdout != b"No active session\n" {
        failures.push(format!("want exactly `No active session`: {ran}"));
    }
    let ran = world.exec("read-state", &[ACTIVE], b"");
    if ran.code != Some(1) || ran.stdout_text().contains("outside-secret") {
        failures.push(format!("read-state: want refused: {ran}"));
    }
    let ran = world.exec(
        "before-agent",
        &[] as &[&str],
        &before_agent_payload(&world),
    );
    if ran.code != Some(0) || ran.stdout_text().contains("outside-secret") {
        failures.push(format!(
            "before-agent: want exit 0 without the outside session: {ran}"
        ));
    }
    failures.extend(watch.problems(&world));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn lock_symlink_to_an_outside_file_is_never_written() {
    let world = World::new();
    world.create("Lock target", &[]);
    let precious = world.outside().join("precious.txt");
    std::fs::write(&precious, b"precious bytes\n").expect("write");
    let lock = world.state().join(".lock");
    std::fs::remove_file(&lock).expect("rm lock");
    symlink(&precious, &lock).expect("symlink lock");
    let watch = world.watch();
    let mut codes = Vec::new();
    for args in [
        vec!["tokens", "active", "--agent", "a", "--input", "1"],
        vec!["create", "Another", "--park"],
    ] {
        let ran = world.maestro(&args);
        assert_ne!(ran.code, Some(101), "panicked: {ran}");
        codes.push(ran.code);
    }
    assert_eq!(
        std::fs::read(&precious).expect("read"),
        b"precious bytes\n",
        "the lock symlink's outside target was written (exits {codes:?})"
    );
    watch.check(&world);
}

#[test]
fn archive_symlink_to_an_outside_folder_is_never_cleaned() {
    let world = World::new();
    world.maestro(&["init"]).assert_ok();
    let folder = world.outside().join("archive");
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::write(
        folder.join("2020-01-01-old.md"),
        session_doc("2020-01-01-old", "completed", "2020-01-01T00:00:00Z"),
    )
    .expect("write");
    let archive = world.state().join("archive");
    std::fs::remove_dir(&archive).expect("rmdir archive");
    symlink(&folder, &archive).expect("symlink archive");
    let watch = world.watch();
    for args in [
        vec!["cleanup", "--older-than", "0s", "--yes"],
        vec!["cleanup", "--all", "--yes"],
    ] {
        let ran = world.maestro(&args);
        assert_ne!(ran.code, Some(101), "panicked: {ran}");
        assert!(
            folder.join("2020-01-01-old.md").exists(),
            "deleted a session outside the project: {ran}"
        );
    }
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 6. Interrupted moves and corrupt files

#[test]
fn doctor_resolves_a_session_left_in_two_places() {
    for newer_in_archive in [false, true] {
        let world = World::new();
        let id = world.create("Interrupted park", &[]);
        world
            .maestro(&["tokens", "active", "--agent", "coder", "--input", "5"])
            .assert_ok();
        let current = world.active_bytes();
        let old = with_updated(&current, "2020-01-01T00:00:00Z");
        let active_path = world.state().join("active-session.md");
        let archive_path = world.state().join(format!("archive/{id}.md"));
        let (newer_path, older_path) = if newer_in_archive {
            std::fs::write(&active_path, &old).expect("write");
            std::fs::write(&archive_path, &current).expect("write");
            (archive_path, active_path)
        } else {
            std::fs::write(&archive_path, &old).expect("write");
            (active_path, archive_path)
        };
        let watch = world.watch();
        let case = if newer_in_archive {
            "newer copy archived"
        } else {
            "newer copy active"
        };

        let ran = world.exec("maestro-session", &["doctor"], b"");
        assert_eq!(
            ran.code,
            Some(1),
            "{case}: doctor finds the duplicate: {ran}"
        );
        assert!(
            format!("{}{}", ran.stdout_text(), ran.stderr).contains(&id),
            "{case}: doctor names {id}: {ran}"
        );
        let ran = world.maestro(&["doctor"]);
        ran.assert_code(1);
        let report = ran.json();
        let dups = doctor_problems(&report, "problems", "duplicate_session");
        assert!(
            !dups.is_empty()
                && dups
                    .iter()
                    .all(|p| p["path"].is_string() && p["detail"].is_string()),
            "{case}: {report}"
        );

        let ran = world.maestro(&["doctor", "--fix"]);
        assert!(matches!(ran.code, Some(0 | 1)), "{case}: {ran}");
        let report = ran.json();
        assert!(
            !doctor_problems(&report, "fixed", "duplicate_session").is_empty(),
            "{case}: {report}"
        );
        assert_eq!(
            std::fs::read(&newer_path).ok().as_deref(),
            Some(current.as_slice()),
            "{case}: the newer copy stays where it was"
        );
        assert!(!older_path.exists(), "{case}: the older copy is moved away");
        let older_name = older_path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let kept = world.quarantined();
        assert!(
            kept.iter()
                .any(|(name, bytes)| name.contains(&older_name) && *bytes == old),
            "{case}: the older copy's bytes are in quarantine/ under its name: {:?}",
            kept.iter().map(|(n, _)| n).collect::<Vec<_>>()
        );
        assert_eq!(listed_ids(&world), vec![id.clone()], "{case}: listed once");
        let ran = world.maestro(&["doctor"]);
        ran.assert_code(0);
        assert!(
            ran.json()["problems"].as_array().is_some_and(Vec::is_empty),
            "{case}: {ran}"
        );
        watch.check(&world);
    }
}

#[test]
fn commands_never_destroy_a_corrupt_active_session() {
    let mut failures = Vec::new();
    for args in [
        vec!["create", "New task", "--park"],
        vec!["delete", "--force", "active"],
        vec!["cancel", "active"],
        vec!["archive"],
        vec!["resume", "2026-01-01-parked"],
    ] {
        let world = World::new().with_corrupt_active();
        let watch = world.watch();
        let ran = world.maestro(&args);
        if ran.code != Some(0) && !ran.stderr.contains("doctor --fix") {
            failures.push(format!(
                "want success or a pointer to `doctor --fix`: {ran}"
            ));
        }
        failures.extend(
            watch
                .problems(&world)
                .into_iter()
                .map(|p| format!("{args:?}: {p}")),
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn doctor_fix_quarantines_a_corrupt_active_session() {
    let world = World::new().with_corrupt_active();
    let watch = world.watch();
    let ran = world.maestro(&["doctor"]);
    ran.assert_code(1);
    let report = ran.json();
    assert!(
        !doctor_problems(&report, "problems", "corrupt_session").is_empty(),
        "{report}"
    );
    let ran = world.maestro(&["doctor", "--fix"]);
    assert!(matches!(ran.code, Some(0 | 1)), "{ran}");
    assert!(!world.state().join("active-session.md").exists());
    let kept = world.quarantined();
    assert!(
        kept.iter()
            .any(|(name, bytes)| name.contains("active-session.md") && bytes == CORRUPT_SESSION),
        "the corrupt bytes are in quarantine/ under their name: {kept:?}"
    );
    assert!(
        kept.len() >= 2,
        "a sidecar says why the file was quarantined: {kept:?}"
    );
    world.create("After repair", &[]);
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 7. Bounded input

#[test]
fn fifo_active_session_does_not_block() {
    let world = World::new();
    world.maestro(&["init"]).assert_ok();
    let fifo = world.state().join("active-session.md");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let watch = world.watch();
    let payload = before_agent_payload(&world);
    let runs: Vec<std::thread::Result<Ran>> = std::thread::scope(|s| {
        let hook = s.spawn(|| world.exec("before-agent", &[] as &[&str], &payload));
        let list = s.spawn(|| world.maestro(&["list"]));
        let show = s.spawn(|| world.maestro(&["show"]));
        vec![hook.join(), list.join(), show.join()]
    });
    let mut failures = Vec::new();
    let mut runs = runs.into_iter();
    match runs.next().expect("hook") {
        Ok(ran) => {
            if !hook_answered(&ran) {
                failures.push(format!(
                    "before-agent: want exit 0 and a JSON answer: {ran}"
                ));
            }
        }
        Err(_) => failures.push("before-agent blocked on the FIFO".into()),
    }
    // `list` reports a file it cannot read on stderr and lists the rest (exit 0: `doctor` is
    // the command whose exit code says the state dir needs repair); `show` refuses.
    for (what, run) in ["list", "show"].into_iter().zip(runs) {
        match run {
            Ok(ran) => {
                let refused = if what == "list" {
                    ran.code == Some(0)
                } else {
                    matches!(ran.code, Some(1 | 3))
                };
                if !refused || !ran.stderr.contains("active-session.md") {
                    failures.push(format!("{what}: want an error naming the file: {ran}"));
                }
            }
            Err(_) => failures.push(format!("{what} blocked on the FIFO")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        std::fs::symlink_metadata(&fifo).is_ok_and(|m| m.file_type().is_fifo()),
        "the FIFO was replaced"
    );
    watch.check(&world);
}

/// Checks a run of [`World::bounded`]: the peak RSS stays under [`MAX_RSS_KIB`].
fn check_rss(what: &str, peak: Option<u64>, failures: &mut Vec<String>) {
    match peak {
        Some(kib) if kib < MAX_RSS_KIB => {}
        Some(kib) => failures.push(format!(
            "{what}: peak RSS {kib} KiB, want under {MAX_RSS_KIB} KiB"
        )),
        None if gnu_time().is_none() => eprintln!("no GNU time: peak RSS of {what} not measured"),
        None => failures.push(format!("{what}: GNU time reported no peak RSS")),
    }
}

/// Whether a run answered as a hook must: exit 0 and one JSON object on stdout.
fn hook_answered(ran: &Ran) -> bool {
    let answer: Option<Value> = serde_json::from_slice(&ran.stdout).ok();
    ran.code == Some(0) && answer.is_some_and(|a| a.is_object())
}

#[test]
fn huge_active_session_is_read_with_bounded_memory() {
    // Room for the whole 2 GiB file, so a reader without a cap shows in its peak RSS rather
    // than failing to allocate.
    const HUGE_VM_CAP_KIB: u64 = 3 << 20;
    let world = World::new();
    world.maestro(&["init"]).assert_ok();
    let path = world.state().join("active-session.md");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&path).expect("create");
        file.write_all(b"---\n").expect("write");
        file.set_len(2 << 30).expect("sparse 2 GiB");
    }
    let watch = world.watch();
    let state_before = Tree::of(&world.state());
    let mut failures = Vec::new();

    let (ran, peak) = world.bounded(
        "before-agent",
        &[],
        &before_agent_payload(&world),
        HUGE_VM_CAP_KIB,
    );
    if !hook_answered(&ran) {
        failures.push(format!(
            "before-agent: want exit 0 and a JSON answer: {ran}"
        ));
    }
    check_rss("before-agent", peak, &mut failures);

    let (ran, peak) = world.bounded("maestro-session", &["show"], b"", HUGE_VM_CAP_KIB);
    let stderr = ran.stderr.to_lowercase();
    let names_cap = ["size", "bytes", "large", "limit", "cap", "mib", "mb"]
        .iter()
        .any(|w| stderr.contains(w));
    if matches!(ran.code, Some(0 | 101) | None)
        || !ran.stderr.contains("active-session.md")
        || !names_cap
    {
        failures.push(format!(
            "show: want a refusal naming the file and the size cap: {ran}"
        ));
    }
    check_rss("show", peak, &mut failures);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    state_before.assert_same(&Tree::of(&world.state()), "the state folder changed");
    watch.check(&world);
}

#[test]
fn dev_zero_active_session_is_refused() {
    let world = World::new();
    world.maestro(&["init"]).assert_ok();
    let link = world.state().join("active-session.md");
    symlink("/dev/zero", &link).expect("symlink");
    let watch = world.watch();
    let mut failures = Vec::new();
    let (ran, peak) = world.bounded(
        "before-agent",
        &[],
        &before_agent_payload(&world),
        VM_CAP_KIB,
    );
    if !hook_answered(&ran) {
        failures.push(format!(
            "before-agent: want exit 0 and a JSON answer: {ran}"
        ));
    }
    check_rss("before-agent", peak, &mut failures);
    for what in ["show", "list"] {
        let (ran, peak) = world.bounded("maestro-session", &[what], b"", VM_CAP_KIB);
        // `list` reports the file and lists the rest; `show` refuses.
        let want = if what == "list" { Some(0) } else { Some(3) };
        if ran.code != want || !ran.stderr.contains("active-session.md") {
            failures.push(format!(
                "{what}: want a refusal (exit 1 or 3) naming the file: {ran}"
            ));
        }
        check_rss(what, peak, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(
        std::fs::read_link(&link).ok(),
        Some(PathBuf::from("/dev/zero"))
    );
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 8. Scale and numbers

#[test]
fn forty_thousand_unknown_keys_are_kept() {
    const KEYS: usize = 40_000;
    let world = World::new();
    world.maestro(&["init"]).assert_ok();
    let doc = session_doc(
        "2026-01-01-many-keys",
        "in_progress",
        "2026-01-01T00:00:00Z",
    );
    let (front, body) = doc.split_at(doc.rfind("---\n").expect("closing line"));
    let mut text = front.to_string();
    let mut want = BTreeMap::new();
    for n in 0..KEYS {
        let (key, value) = (format!("x_key_{n:05}"), format!("v{n:05}"));
        text.push_str(&format!("{key}: \"{value}\"\n"));
        want.insert(key, value);
    }
    text.push_str(body);
    std::fs::write(world.state().join("active-session.md"), &text).expect("write");
    let watch = world.watch();

    let ran = world.maestro(&["show"]);
    ran.assert_ok();
    let shown = ran.json();
    let missing = want
        .keys()
        .filter(|k| shown.get(k.as_str()).is_none())
        .count();
    assert_eq!(missing, 0, "show dropped {missing} of {KEYS} unknown keys");
    world
        .maestro(&["tokens", "active", "--agent", "a", "--input", "1"])
        .assert_ok();
    let after = String::from_utf8(world.active_bytes()).expect("utf8");
    let got: BTreeMap<String, String> = after
        .lines()
        .filter(|l| l.starts_with("x_key_"))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().trim_matches('"').to_string()))
        .collect();
    assert!(
        got == want,
        "tokens lost or changed unknown keys ({} of {KEYS} kept)",
        got.len()
    );
    assert_eq!(world.show("active")["token_usage"]["total_input"], 1);
    watch.check(&world);
}

#[test]
fn token_counts_never_overflow() {
    let world = World::new();
    let id = world.create("Big numbers", &[]);
    let max = u64::MAX.to_string();
    world
        .maestro(&["tokens", "active", "--agent", "a", "--input", &max])
        .assert_ok();
    let watch = world.watch();
    let before = world.active_bytes();
    let mut failures = Vec::new();
    for agent in ["a", "b"] {
        let ran = world.maestro(&["tokens", "active", "--agent", agent, "--input", "1"]);
        if !matches!(ran.code, Some(1 | 2)) {
            failures.push(format!("agent {agent}: want refused (exit 1 or 2): {ran}"));
        }
        if world.active_bytes() != before {
            failures.push(format!(
                "agent {agent}: the refused update changed the file"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let usage = world.show(&id)["token_usage"].clone();
    let sum: u128 = usage["by_agent"]
        .as_object()
        .expect("by_agent")
        .values()
        .map(|a| u128::from(a["input"].as_u64().expect("input")))
        .sum();
    assert_eq!(
        u128::from(usage["total_input"].as_u64().expect("total")),
        sum
    );
    watch.check(&world);
}

#[test]
fn unknown_values_are_kept_exactly() {
    const KEPT: [&str; 5] = [
        "big: 123456789012345678901234567890",
        "flag: yes",
        "tagged: !custom x",
        "# keep me",
        "inline: 1 # note",
    ];
    let world = World::new();
    world.maestro(&["init"]).assert_ok();
    let doc = session_doc(
        "2026-01-01-odd-values",
        "in_progress",
        "2026-01-01T00:00:00Z",
    );
    let (front, body) = doc.split_at(doc.rfind("---\n").expect("closing line"));
    let text = format!("{front}{}\n{body}", KEPT.join("\n"));
    std::fs::write(world.state().join("active-session.md"), &text).expect("write");
    let watch = world.watch();
    let ran = world.maestro(&["tokens", "active", "--agent", "a", "--input", "1"]);
    ran.assert_ok();
    let after = String::from_utf8(world.active_bytes()).expect("utf8");
    let lost: Vec<&str> = KEPT
        .iter()
        .copied()
        .filter(|line| !after.lines().any(|l| l == *line))
        .collect();
    assert!(lost.is_empty(), "lines not kept exactly: {lost:?}\n{after}");
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 9. The lock holder

#[test]
fn lock_timeout_does_not_blame_a_stale_record() {
    let world = World::new();
    world.create("Held lock", &[]);
    let lock_path = world.state().join(".lock");
    std::fs::write(&lock_path, b"pid 999999 (ghost)").expect("write record");
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&lock_path)
        .expect("open lock");
    lock.lock().expect("take the lock");
    let watch = world.watch();
    let ran = world.maestro_env(
        &[("MAESTRO_LOCK_TIMEOUT_MS", OsStr::new("300"))],
        &["tokens", "active", "--agent", "a", "--input", "1"],
    );
    lock.unlock().expect("unlock");
    ran.assert_code(3);
    let message = ran.json_error()["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("unknown"),
        "want `an unknown process holds the lock`: {message}"
    );
    assert!(
        !message.contains("999999"),
        "a stale record is not the holder: {message}"
    );
    watch.assert_sessions_unchanged(&world);
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 10. Writes racing cleanup

#[test]
fn writes_racing_cleanup_lose_nothing() {
    const TOKENS: usize = 60;
    const SESSIONS: usize = 16;
    let world = Arc::new(World::new());
    let s = world.create("Long runner", &[]);
    let watch = world.watch();
    let done = Arc::new(AtomicBool::new(false));
    // Per session id, the `tokens active --agent b` updates that reported success on it.
    let landed: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();

    let by_id = {
        let (world, s) = (world.clone(), s.clone());
        std::thread::spawn(move || {
            (0..TOKENS)
                .map(|_| world.maestro(&["tokens", &s, "--agent", "s", "--input", "1"]))
                .filter(|r| r.code != Some(0))
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
        })
    };
    let on_active = {
        let (world, landed) = (world.clone(), landed.clone());
        std::thread::spawn(move || {
            for _ in 0..TOKENS {
                let ran = world.maestro(&["tokens", "active", "--agent", "b", "--input", "1"]);
                if ran.code == Some(0) {
                    let id = ran.json()["session_id"].as_str().expect("id").to_string();
                    *landed.lock().expect("landed").entry(id).or_default() += 1;
                }
            }
        })
    };
    let churn = {
        let world = world.clone();
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let mut failures = Vec::new();
            for k in 0..SESSIONS {
                let ran = world.maestro(&["create", &format!("Churn {k}"), "--park"]);
                if ran.code != Some(0) {
                    failures.push(ran.to_string());
                    continue;
                }
                let id = ran.json()["session_id"].as_str().expect("id").to_string();
                if k % 2 == 0 {
                    for args in [vec!["status", &id, "completed"], vec!["archive", &id]] {
                        let ran = world.maestro(&args);
                        if ran.code != Some(0) {
                            failures.push(ran.to_string());
                        }
                    }
                } else {
                    kept.push(id);
                }
            }
            (kept, failures)
        })
    };
    let cleaner = {
        let (world, done) = (world.clone(), done.clone());
        std::thread::spawn(move || {
            let mut runs = 0;
            let mut failures = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let ran = world.maestro(&["cleanup", "--older-than", "0s", "--yes"]);
                if ran.code != Some(0) {
                    failures.push(ran.to_string());
                }
                runs += 1;
            }
            (runs, failures)
        })
    };
    let by_id_failures = by_id.join().expect("tokens by id");
    on_active.join().expect("tokens on active");
    let (kept, churn_failures) = churn.join().expect("churn");
    done.store(true, Ordering::Relaxed);
    let (runs, cleanup_failures) = cleaner.join().expect("cleaner");
    assert!(runs > 0);
    assert!(
        by_id_failures.is_empty() && churn_failures.is_empty() && cleanup_failures.is_empty(),
        "commands failed:\n{}",
        [by_id_failures, churn_failures, cleanup_failures]
            .concat()
            .join("\n\n")
    );

    let listed_run = world.maestro(&["list"]);
    listed_run.assert_ok();
    assert!(
        listed_run.stderr.trim().is_empty(),
        "unreadable sessions: {listed_run}"
    );
    let listed = listed_ids(&world);
    let mut unique = listed.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        listed.len(),
        "a session listed twice: {listed:?}"
    );
    for id in std::iter::once(&s).chain(&kept) {
        assert!(
            listed.contains(id),
            "in-progress or paused session {id} lost: {listed:?}"
        );
    }
    assert_eq!(
        world.show(&s)["token_usage"]["by_agent"]["s"]["input"],
        TOKENS as u64,
        "an update of {s} was lost"
    );
    for (id, count) in landed.lock().expect("landed").iter() {
        if let Some(state) = listed.contains(id).then(|| world.show(id)) {
            assert_eq!(
                state["token_usage"]["by_agent"]["b"]["input"], *count,
                "an update of {id} was lost"
            );
        }
    }
    for id in &listed {
        world.show(id);
    }
    for bytes in world.sessions().values() {
        assert!(
            session_id_of(bytes).is_some(),
            "a session file without an id"
        );
    }
    watch.check(&world);
}

/// The deterministic form of the race above: a list index whose rows no longer match the files
/// (what `list`, which writes the index without the lock, leaves when a write lands between
/// its `stat` and its parse, or what an inode reused within one mtime tick leaves). Cleanup
/// must decide on the file, re-read under the lock, never on the cache: a paused session that
/// the index calls completed and old is kept.
#[test]
fn cleanup_decides_on_the_file_not_a_stale_index() {
    let world = World::new();
    let parked = world.create("Parked work", &[]);
    world.create("Current work", &["--park"]);
    assert_eq!(world.show(&parked)["status"], "paused");
    world.maestro(&["list"]).assert_ok();
    // The list index: one line per file, `name\tkey\tid\ttask\tstatus\tstage\tcreated\tupdated…`.
    let index_path = world.state().join(".list-index");
    let index = std::fs::read_to_string(&index_path).unwrap_or_default();
    let mut staled = 0;
    let index: Vec<String> = index
        .lines()
        .map(|line| {
            let mut fields: Vec<&str> = line.split('\t').collect();
            if fields.len() > 7 {
                fields[4] = "completed";
                fields[7] = "2020-01-01T00:00:00Z";
                staled += 1;
            }
            fields.join("\t")
        })
        .collect();
    if staled == 0 {
        eprintln!(
            "no list index rows found in {}: nothing to stale",
            index_path.display()
        );
    }
    let index = index.join("\n") + "\n";
    std::fs::write(&index_path, &index).expect("write stale index");
    let watch = world.watch();
    let ran = world.maestro(&["cleanup", "--older-than", "0s", "--yes"]);
    assert_ne!(ran.code, Some(101), "panicked: {ran}");
    assert!(
        world.state().join(format!("archive/{parked}.md")).exists(),
        "cleanup removed the paused session {parked} on the word of a stale index: {ran}"
    );
    watch.check(&world);
}
