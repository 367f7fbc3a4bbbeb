//! Frontmatter flavours: splicing changed keys into the source text, and emitting YAML and JSON.
pub(crate) mod json_emit;
pub mod yaml_emit;
pub(crate) mod yaml_splice;
