//! `list` order is defined once (`listing::newest_first`) and is the same whether the rows are
//! parsed cold or served from the list index: newest updated first, then newest created, then
//! session id.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::Path;

use maestro_session_core::Env;
use maestro_session_core::store::Store;
use maestro_session_core::store::index::INDEX_REL;
use maestro_session_core::store::listing::{ListFilter, filter};
use maestro_session_core::workspace::paths::Workspace;

fn session(id: &str, created: &str, updated: &str) -> String {
    format!(
        "---\nsession_id: \"{id}\"\ntask: \"t\"\ncreated: \"{created}\"\nupdated: \"{updated}\"\nstatus: \"completed\"\n---\n"
    )
}

fn ids(store: &Store) -> Vec<String> {
    let (rows, broken) = store.summaries().expect("summaries");
    assert!(broken.is_empty(), "{broken:?}");
    let unfiltered: Vec<String> = rows.iter().map(|r| r.session_id.clone()).collect();
    let filtered: Vec<String> = filter(rows, &ListFilter::default())
        .expect("filter")
        .into_iter()
        .map(|r| r.session_id)
        .collect();
    assert_eq!(unfiltered, filtered, "summaries come in list order");
    filtered
}

#[test]
fn ties_are_broken_the_same_way_cold_and_from_the_index() {
    let dir = tempfile::tempdir().expect("tmp");
    let env = Env::from_pairs([("MAESTRO_WORKSPACE_PATH", dir.path().to_str().expect("utf8"))]);
    let ws = Workspace::with_state_dir(&env, dir.path(), Path::new("state-dir")).expect("ws");
    let store = Store::new(ws, Env::default());
    let state = store.init().expect("init");
    let archive = state.join("state/archive");
    let same = "2026-01-02T00:00:00Z";
    // Written in an order that is neither the wanted one nor its reverse.
    for (id, created, updated) in [
        ("2026-01-01-b", "2026-01-01T00:00:00Z", same),
        (
            "2026-01-01-old",
            "2025-12-31T00:00:00Z",
            "2026-01-01T00:00:00Z",
        ),
        ("2026-01-01-a", "2026-01-01T00:00:00Z", same),
        ("2026-01-01-created-later", "2026-01-01T12:00:00Z", same),
        (
            "2026-01-03-newest",
            "2026-01-03T00:00:00Z",
            "2026-01-03T00:00:00Z",
        ),
    ] {
        std::fs::write(
            archive.join(format!("{id}.md")),
            session(id, created, updated),
        )
        .expect("write");
    }
    let want = [
        "2026-01-03-newest",
        "2026-01-01-created-later",
        "2026-01-01-a",
        "2026-01-01-b",
        "2026-01-01-old",
    ];
    assert!(!state.join(INDEX_REL).exists());
    assert_eq!(ids(&store), want, "cold");
    assert!(state.join(INDEX_REL).exists(), "the index was written");
    assert_eq!(ids(&store), want, "from the index");
}
