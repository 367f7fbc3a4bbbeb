//! The JSON Schema of session frontmatter, generated from [`crate::session::model::SessionMetadata`].
//! The committed copy is `schemas/session-metadata.schema.json`; a test fails when it drifts
//! (regenerate with `maestro-session schema > schemas/session-metadata.schema.json`).

use crate::session::model::SessionMetadata;

/// The schema as pretty JSON.
pub fn session_metadata_schema() -> String {
    let schema = schemars::schema_for!(SessionMetadata);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_schema_matches_the_types() {
        let committed = include_str!("../../../../schemas/session-metadata.schema.json");
        assert_eq!(
            committed.trim_end(),
            super::session_metadata_schema(),
            "schemas/session-metadata.schema.json is stale: run `maestro-session schema > schemas/session-metadata.schema.json`"
        );
    }
}
