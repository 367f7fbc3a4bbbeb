//! The tools models call: the `read-state`/`write-state` state tools and the MCP tools.
pub mod mcp;
pub mod state_tools;
