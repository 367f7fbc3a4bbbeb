//! `schema`: prints the JSON Schema of session frontmatter.

use serde_json::Value;

use crate::output::Report;

/// Runs `schema`.
///
/// Errors: none in practice (the schema is generated and parsed back).
pub fn run() -> anyhow::Result<Report> {
    let schema = maestro_session_core::session::schema::session_metadata_schema();
    let value: Value = serde_json::from_str(&schema)?;
    Ok(Report::new(value, format!("{}\n", schema.trim_end())))
}
