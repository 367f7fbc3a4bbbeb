//! Every JSON output's schema (`maestro_session_core::outputs::schemas`, and an MCP tool's
//! failure, `ToolError`) is checked in under `docs/schemas/<name>.json`: this test fails when a
//! generated schema differs from its file, or when a file has no output. Regenerate with
//! `MAESTRO_UPDATE_SCHEMAS=1 cargo test -p maestro-session-core --test core output_schemas`.
//! (The end-to-end test `output_schemas` holds real outputs of every command and tool to
//! these files.)
#![allow(clippy::disallowed_methods)] // the test reads and writes the checked-in schema files

use std::collections::BTreeSet;
use std::path::PathBuf;

use maestro_session_core::outputs::schemas;
use maestro_session_core::tools::mcp::ToolError;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas")
}

fn generated() -> Vec<(&'static str, String)> {
    let mut all: Vec<(&'static str, String)> = schemas::all()
        .into_iter()
        .map(|(name, s)| (name, schemas::text(&s)))
        .collect();
    all.push((
        "mcp-tool-error",
        schemas::text(&schemas::schema::<ToolError>()),
    ));
    all
}

#[test]
fn checked_in_schemas_are_the_generated_ones() {
    let dir = dir();
    let update = std::env::var_os("MAESTRO_UPDATE_SCHEMAS").is_some_and(|v| v == "1");
    if update {
        std::fs::create_dir_all(&dir).expect("create docs/schemas");
    }
    let mut stale = Vec::new();
    let mut names = BTreeSet::new();
    for (name, text) in generated() {
        assert!(names.insert(format!("{name}.json")), "{name} listed twice");
        let path = dir.join(format!("{name}.json"));
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        if on_disk != text {
            if update {
                std::fs::write(&path, &text).expect("write a schema");
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "docs/schemas/ differs from the generated schemas of {stale:?}; run \
         MAESTRO_UPDATE_SCHEMAS=1 cargo test -p maestro-session-core --test core output_schemas \
         and review the diff"
    );
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("docs/schemas exists")
        .map(|e| {
            e.expect("a dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let orphans: Vec<&String> = on_disk.difference(&names).collect();
    assert!(
        orphans.is_empty(),
        "docs/schemas/ holds schemas of no output: {orphans:?}"
    );
}

#[test]
fn every_schema_is_an_object_schema_with_its_title() {
    for (name, text) in generated() {
        let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
        assert!(
            schema.get("$schema").is_some() && schema.get("title").is_some(),
            "{name}: {schema}"
        );
    }
}
