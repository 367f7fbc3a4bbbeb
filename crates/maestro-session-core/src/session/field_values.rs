//! The closed value sets of three plain session fields, as Maestro 1.6 defines them
//! (`create_session` / `update_session` in Maestro's MCP server): `workflow_mode`,
//! `execution_mode` and `task_complexity`. Every writer checks values against them
//! ([`crate::operations`] `SetField`, the MCP tools, the command line's `--workflow-mode`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Task complexity (Maestro 1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Complexity {
    /// A small change.
    Simple,
    /// A few files or components.
    Medium,
    /// Many components.
    Complex,
}

/// Workflow mode (Maestro 1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WorkflowMode {
    /// The short workflow.
    Express,
    /// The full workflow (default).
    Standard,
}

/// Execution mode (Maestro 1.6 `update_session`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionMode {
    /// Phases of a batch run at once.
    Parallel,
    /// One phase at a time.
    Sequential,
}

macro_rules! lower_names {
    ($($t:ident { $($v:ident => $s:literal),+ })+) => {$(
        impl $t {
            /// The value as written in session files.
            pub fn as_str(self) -> &'static str {
                match self { $($t::$v => $s),+ }
            }
        }
    )+};
}
pub(crate) use lower_names;

lower_names! {
    Complexity { Simple => "simple", Medium => "medium", Complex => "complex" }
    WorkflowMode { Express => "express", Standard => "standard" }
    ExecutionMode { Parallel => "parallel", Sequential => "sequential" }
}

macro_rules! parse_lower {
    ($($t:ident { $($v:ident),+ } $noun:literal)+) => {$(
        impl std::str::FromStr for $t {
            type Err = String;
            /// Parses the value as written in session files.
            fn from_str(s: &str) -> Result<Self, String> {
                [$($t::$v),+]
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| {
                        let names: Vec<&str> = [$($t::$v),+].iter().map(|v| v.as_str()).collect();
                        format!("unknown {} {s:?}; expected one of {}", $noun, names.join(", "))
                    })
            }
        }
    )+};
}
parse_lower! {
    Complexity { Simple, Medium, Complex } "task complexity"
    WorkflowMode { Express, Standard } "workflow mode"
    ExecutionMode { Parallel, Sequential } "execution mode"
}

/// Checks `value` for the field `key` when the field has a closed value set; other fields pass.
///
/// # Errors
/// The message names the field, the value and the allowed values.
pub fn check(key: &str, value: &str) -> Result<(), String> {
    match key {
        "workflow_mode" => value.parse::<WorkflowMode>().map(drop),
        "execution_mode" => value.parse::<ExecutionMode>().map(drop),
        "task_complexity" => value.parse::<Complexity>().map(drop),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_others_are_refused_with_the_list() {
        for v in ["standard", "express"] {
            assert_eq!(v.parse::<WorkflowMode>().map(WorkflowMode::as_str), Ok(v));
        }
        let err = check("workflow_mode", "bogus").expect_err("not a mode");
        assert!(err.contains("workflow mode \"bogus\""), "{err}");
        assert!(err.contains("express, standard"), "{err}");
        assert!(check("execution_mode", "parallel").is_ok());
        assert!(check("task_complexity", "huge").is_err());
        assert!(check("task", "anything").is_ok());
    }
}
