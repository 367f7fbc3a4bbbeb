//! `maestro-session search` through the built binary: every searched field (task, phase name,
//! downstream context, error message, file manifest, log), archived sessions, ranking, the
//! `--json` shape, the filters, a search index that is stale or corrupt, and queries of any
//! bytes.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use e2e_tests::World;
use serde_json::Value;

/// `search --json <args>`, asserted to succeed.
fn search(world: &World, args: &[&str]) -> Value {
    let mut all = vec!["search"];
    all.extend_from_slice(args);
    let ran = world.maestro(&all);
    ran.assert_ok();
    ran.json()
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .filter_map(|h| h["session_id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn fields(hit: &Value) -> Vec<String> {
    hit["matches"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|m| m["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Two sessions: an archived one about authentication with context, errors and files, and an
/// active one about a flaky test.
fn world_with_two() -> (World, String, String) {
    let world = World::new();
    let auth = world.create(
        "Add token authentication",
        &[
            "--phase",
            "Design the token model=architect",
            "--phase",
            "Implement middleware=coder",
        ],
    );
    for args in [
        vec!["phase", "start", "active", "1"],
        vec![
            "context",
            "active",
            "1",
            "--interface",
            "TokenStore trait",
            "--warning",
            "Clock skew matters",
        ],
        vec![
            "files",
            "active",
            "1",
            "--created",
            "src/auth/token_store.rs",
        ],
        vec!["phase", "complete", "active", "1", "--output", "designed"],
        vec!["phase", "start", "active", "2"],
        vec![
            "error",
            "add",
            "active",
            "2",
            "--agent",
            "coder",
            "--type",
            "validation",
            "--message",
            "cargo test: 2 failures in ÜberModul::tests",
        ],
    ] {
        world.maestro(&args).assert_ok();
    }
    world.maestro(&["pause", "active"]).assert_ok();
    let flaky = world.create("Fix the flaky login test", &["--park"]);
    (world, auth, flaky)
}

#[test]
fn finds_every_field_in_active_and_archived_sessions() {
    let (world, auth, flaky) = world_with_two();
    let v = search(&world, &["flaky"]);
    assert_eq!(ids(&v), [flaky.as_str()]);
    assert_eq!(v["hits"][0]["location"], "active");
    assert_eq!(fields(&v["hits"][0])[0], "task", "the task weighs most");

    for (query, field) in [
        ("AUTHENTICATION", "task"),
        ("middleware", "phases[1].name"),
        ("tokenstore", "phases[0].downstream_context"),
        ("\"clock skew\"", "phases[0].downstream_context"),
        ("übermodul", "phases[1].errors"),
        ("token_store.rs", "phases[0].files"),
    ] {
        let v = search(&world, &[query]);
        assert_eq!(ids(&v), [auth.as_str()], "{query}: {v}");
        let hit = &v["hits"][0];
        assert_eq!(hit["location"], "archive", "{query}");
        assert_eq!(hit["status"], "paused");
        assert!(fields(hit).contains(&field.to_string()), "{query}: {hit}");
    }
    // The orchestration log (body) is searched too.
    let v = search(&world, &["designed"]);
    assert_eq!(ids(&v), [auth.as_str()]);
    assert!(fields(&v["hits"][0]).contains(&"body".to_string()), "{v}");

    // Every word must match; a phrase must match as written.
    assert!(ids(&search(&world, &["token", "flaky"])).is_empty());
    assert!(ids(&search(&world, &["\"skew clock\""])).is_empty());
    // Filters.
    assert_eq!(ids(&search(&world, &["--archived", "t"])), [auth.as_str()]);
    assert_eq!(ids(&search(&world, &["--active", "t"])), [flaky.as_str()]);
    assert_eq!(
        ids(&search(&world, &["--status", "paused", "t"])),
        [auth.as_str()]
    );
    assert_eq!(ids(&search(&world, &["--limit", "1", "t"])).len(), 1);
}

#[test]
fn json_shape_and_human_text() {
    let (world, auth, _) = world_with_two();
    let v = search(&world, &["2 failures"]);
    let keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["query", "terms", "total", "hits", "unreadable"]);
    assert_eq!(v["query"], "2 failures");
    assert_eq!(v["terms"], serde_json::json!(["2", "failures"]));
    assert_eq!(v["total"], 1);
    let hit = &v["hits"][0];
    let keys: Vec<&str> = hit
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "session_id",
            "location",
            "status",
            "task",
            "score",
            "matches",
            "path"
        ]
    );
    assert_eq!(hit["session_id"], auth.as_str());
    assert_eq!(hit["task"], "Add token authentication");
    assert!(hit["score"].as_u64().is_some_and(|s| s > 0));
    let m = &hit["matches"][0];
    assert_eq!(m["field"], "phases[1].errors");
    assert_eq!(m["terms"], serde_json::json!(["2", "failures"]));
    assert_eq!(
        m["snippet"], "cargo test: 2 failures in ÜberModul::tests",
        "original case, whole short field"
    );

    let mut cmd = world.cmd("maestro-session");
    cmd.args(["search", "failures"]);
    let out = e2e_tests::run(cmd, b"");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&auth), "{text}");
    assert!(text.contains("phases[1].errors"), "{text}");
    assert!(text.contains("1 of 1 matching session(s)"), "{text}");
}

/// An archived session file with one phase, written directly (so `updated` is exact).
fn archived(
    world: &World,
    id: &str,
    updated: &str,
    task: &str,
    phase: &str,
    file: &str,
    log: &str,
) {
    let doc = e2e_tests::session_doc(id, "paused", updated)
        .replace(&format!("task: \"Task of {id}\""), &format!("task: \"{task}\""))
        .replace("total_phases: 0", "total_phases: 1")
        .replace(
            "phases: []\n",
            &format!(
                "phases:\n  - id: 1\n    name: \"{phase}\"\n    status: \"pending\"\n    agents: [\"coder\"]\n    files_modified: [\"{file}\"]\n"
            ),
        )
        .replace(&format!("# Task of {id} Orchestration Log\n"), &format!("# Log\n{log}\n"));
    let archive = world.state().join("archive");
    std::fs::create_dir_all(&archive).expect("mkdir");
    std::fs::write(archive.join(format!("{id}.md")), doc).expect("write");
}

#[test]
fn ranks_by_field_weight_then_newest_first() {
    let world = World::new();
    archived(
        &world,
        "in-body",
        "2026-01-05T00:00:00Z",
        "Plain",
        "P",
        "a.rs",
        "zebra seen",
    );
    archived(
        &world,
        "in-files",
        "2026-01-01T00:00:00Z",
        "Plain",
        "P",
        "src/zebra.rs",
        "-",
    );
    archived(
        &world,
        "name-old",
        "2026-01-02T00:00:00Z",
        "Plain",
        "Zebra crossing",
        "a.rs",
        "-",
    );
    archived(
        &world,
        "name-new",
        "2026-01-03T00:00:00Z",
        "Plain",
        "Zebra stripes",
        "a.rs",
        "-",
    );
    archived(
        &world,
        "in-task",
        "2025-01-01T00:00:00Z",
        "Zebra migration",
        "P",
        "a.rs",
        "-",
    );
    archived(
        &world,
        "twice",
        "2025-01-01T00:00:00Z",
        "Plain",
        "P",
        "a.rs",
        "zebra zebra",
    );
    archived(
        &world,
        "none",
        "2026-02-01T00:00:00Z",
        "Plain",
        "P",
        "a.rs",
        "horse",
    );
    let v = search(&world, &["zebra"]);
    assert_eq!(
        ids(&v),
        [
            "in-task", "name-new", "name-old", "in-files", "twice", "in-body"
        ],
        "task > phase name (newer first on a tie) > files > body (more matches first): {v}"
    );
    assert_eq!(v["total"], 6);
}

#[test]
fn a_stale_or_corrupt_search_index_never_hides_the_files() {
    let (world, auth, _) = world_with_two();
    let index = world.state().join(".search-index");
    assert!(ids(&search(&world, &["middleware"])) == [auth.as_str()]);
    assert!(index.is_file(), "the search index is written");

    // Change the archived session after indexing (an edit in place, as an editor might).
    let file = world.state().join("archive").join(format!("{auth}.md"));
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text.replace("Implement middleware", "Implement gateway"),
    )
    .expect("edit");
    assert!(
        ids(&search(&world, &["middleware"])).is_empty(),
        "stale entry not trusted"
    );
    assert_eq!(ids(&search(&world, &["gateway"])), [auth.as_str()]);

    // A corrupt index is rebuilt; a lying one (same key, other text) only matters while the
    // file is unchanged, and garbage lines are ignored.
    std::fs::write(&index, b"\xff\xfe garbage\n\tno\tfields\n").expect("corrupt");
    assert_eq!(ids(&search(&world, &["gateway"])), [auth.as_str()]);
    let rebuilt = std::fs::read_to_string(&index).expect("rebuilt");
    assert!(
        rebuilt.starts_with("maestro-session search index"),
        "{rebuilt}"
    );

    // A session that does not parse is reported, not searched, and not fatal.
    std::fs::write(
        world.state().join("archive/broken.md"),
        "---\nstatus: [\n---\n",
    )
    .expect("write");
    let v = search(&world, &["gateway"]);
    assert_eq!(ids(&v), [auth]);
    assert_eq!(v["unreadable"].as_array().map(Vec::len), Some(1), "{v}");
}

#[test]
fn queries_of_any_text_never_panic() {
    let (world, _, _) = world_with_two();
    // Under Linux's 128 KiB limit on one argument.
    let long = "x".repeat(100_000);
    for q in [
        "\"",
        "\"\"\"",
        "é",
        "日本語",
        "🎉 \"a b",
        "İ",
        "\\t",
        "=",
        "\t",
        long.as_str(),
    ] {
        let ran = world.maestro(&["search", q]);
        assert!(ran.code == Some(0) || ran.code == Some(2), "{q:?}: {ran}");
    }
    // No term: a usage error naming the problem.
    let ran = world.maestro(&["search", " "]);
    ran.assert_code(2);
    assert!(ran.stderr.contains("no word"), "{ran}");
    // No state dir at all: no hits.
    let empty = World::new();
    assert!(ids(&search(&empty, &["anything"])).is_empty());
}
