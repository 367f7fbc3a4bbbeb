//! Maestro 1.6's phase contract (issue 16 item 2): what a phase of a plan must hold, checked
//! on the phases as given, before they are read into [`crate::session::phase_spec::PhaseSpec`]s.
//!
//! Source: Maestro 1.6.4 `src/mcp/contracts/plan-schema.js` (`validatePhases`,
//! `PHASE_REQUIRED_FIELDS`), applied by `create_session` (`src/mcp/handlers/
//! session-state-tools.js`), whose orchestration steps rely on the refusal. Each phase must
//! hold `id` (an integer from 1, or a non-empty string), `name` (a non-empty string), `agent`
//! (a non-empty string), `parallel` (a boolean) and `blocked_by` (a list of phase ids); `files`
//! is optional and, when given, a list of non-empty strings. Other keys are allowed. Every
//! phase is checked and every violation reported, in Maestro's shape
//! `{rule, phase_id, field, severity}` with its rules `missing_required_field`,
//! `invalid_field_type` (and `invalid_field_value` for `files`), or `{rule: "invalid_phases",
//! detail, severity}` when `phases` is not a list.
//!
//! One case differs: a phase that is not an object (a string, number or boolean) makes
//! Maestro's check throw a `TypeError` (its `'id' in phase`), which its server reports as
//! `INTERNAL_TOOL_ERROR`; here it is a phase missing every required field.

use serde::Serialize;
use serde_json::Value;

/// The fields every phase must hold, in Maestro's order (`PHASE_REQUIRED_FIELDS`).
pub const REQUIRED_FIELDS: [&str; 5] = ["id", "name", "agent", "parallel", "blocked_by"];

/// One breach of the contract, serialized as Maestro's violation object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// `missing_required_field`, `invalid_field_type`, `invalid_field_value` or
    /// `invalid_phases`.
    pub rule: &'static str,
    /// The id of the phase, as given (`null` when it has none); absent for `invalid_phases`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase_id: Option<Value>,
    /// The field at fault; absent for `invalid_phases`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// What is wrong, for `invalid_phases` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'static str>,
    /// Always `error` (Maestro's severity of these rules).
    pub severity: &'static str,
    /// The 0-based position of the phase in the list (ours, for messages; not serialized).
    #[serde(skip)]
    pub index: Option<usize>,
    /// The value given for the field, for messages (not serialized).
    #[serde(skip)]
    pub given: Option<Value>,
}

impl Violation {
    fn at(
        rule: &'static str,
        index: usize,
        phase_id: &Value,
        field: &'static str,
        given: Option<&Value>,
    ) -> Violation {
        Violation {
            rule,
            phase_id: Some(phase_id.clone()),
            field: Some(field),
            detail: None,
            severity: "error",
            index: Some(index),
            given: given.cloned(),
        }
    }

    /// Maestro's word for it in the message: the rule (`v.rule || v.field`).
    pub fn rule(&self) -> &'static str {
        self.rule
    }

    /// For people: `phases[1].agent is missing (phase "p2")`, `phases[0].id must be an
    /// integer from 1 or a non-empty string, not -1` (a given value is shown up to 40
    /// characters).
    pub fn describe(&self) -> String {
        let (Some(index), Some(field)) = (self.index, self.field) else {
            return "phases must be a list of phases".into();
        };
        let at = format!("phases[{index}].{field}");
        if self.rule == "missing_required_field" {
            return match &self.phase_id {
                Some(Value::Null) | None => format!("{at} is missing"),
                Some(id) => format!("{at} is missing (phase {})", shown(id)),
            };
        }
        let what = match field {
            "id" => "an integer from 1 or a non-empty string",
            "blocked_by" => "a list of phase ids (integers from 1 or non-empty strings)",
            "parallel" => "true or false",
            "files" => "a list of non-empty paths",
            _ => "a non-empty string",
        };
        match &self.given {
            Some(v) => format!("{at} must be {what}, not {}", shown(v)),
            None => format!("{at} must be {what}"),
        }
    }
}

/// A value as JSON text, cut to 40 characters.
fn shown(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

/// Maestro's message for `violations`: `Invalid phases payload: <rule>, <rule>, ...`.
pub fn message(violations: &[Violation]) -> String {
    let rules: Vec<&str> = violations.iter().map(Violation::rule).collect();
    format!("Invalid phases payload: {}", rules.join(", "))
}

/// The violations of `phases` (the value given for the plan's phases), in Maestro's order:
/// per phase, the missing required fields, then the wrong types. Empty when it holds.
pub fn validate(phases: &Value) -> Vec<Violation> {
    let Value::Array(items) = phases else {
        return vec![Violation {
            rule: "invalid_phases",
            phase_id: None,
            field: None,
            detail: Some("phases must be an array"),
            severity: "error",
            index: None,
            given: None,
        }];
    };
    let mut out = Vec::new();
    for (i, phase) in items.iter().enumerate() {
        let object = phase.as_object();
        let phase_id = object
            .and_then(|o| o.get("id"))
            .cloned()
            .unwrap_or(Value::Null);
        for field in REQUIRED_FIELDS {
            if !object.is_some_and(|o| o.contains_key(field)) {
                out.push(Violation::at(
                    "missing_required_field",
                    i,
                    &phase_id,
                    field,
                    None,
                ));
            }
        }
        let Some(o) = object else {
            continue;
        };
        let mut wrong = |field: &'static str, ok: fn(&Value) -> bool, rule: &'static str| {
            if let Some(v) = o.get(field).filter(|v| !ok(v)) {
                out.push(Violation::at(rule, i, &phase_id, field, Some(v)));
            }
        };
        wrong("id", is_phase_id, "invalid_field_type");
        wrong("name", is_non_empty_string, "invalid_field_type");
        wrong("agent", is_non_empty_string, "invalid_field_type");
        wrong("parallel", Value::is_boolean, "invalid_field_type");
        wrong(
            "blocked_by",
            |v| v.as_array().is_some_and(|ids| ids.iter().all(is_phase_id)),
            "invalid_field_type",
        );
        wrong(
            "files",
            |v| {
                v.as_array()
                    .is_some_and(|f| f.iter().all(is_non_empty_string))
            },
            "invalid_field_value",
        );
    }
    out
}

/// Maestro's `isValidPhaseId`: a non-empty string, or an integer from 1 (`Number.isInteger`:
/// `2.0` is the integer 2).
pub fn is_phase_id(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => u >= 1,
            (None, Some(f)) => f.is_finite() && f.fract() == 0.0 && f >= 1.0,
            _ => false,
        },
        _ => false,
    }
}

fn is_non_empty_string(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    //! Maestro 1.6.4's `tests/unit/plan-schema.test.js`, recreated: each test names the case.
    use super::*;
    use serde_json::json;

    fn phase(id: Value) -> Value {
        json!({"id": id, "name": "A", "agent": "coder", "parallel": false, "blocked_by": []})
    }

    /// "exposes the required field list in declaration order".
    #[test]
    fn the_required_fields_in_maestros_order() {
        assert_eq!(
            REQUIRED_FIELDS,
            ["id", "name", "agent", "parallel", "blocked_by"]
        );
    }

    /// "accepts a well-formed phase with integer id", "... with string id and string
    /// blocked_by references"; "treats files as optional" (the valid half).
    #[test]
    fn well_formed_phases_hold() {
        assert_eq!(validate(&json!([phase(json!(1))])), vec![]);
        assert_eq!(
            validate(&json!([
                phase(json!("p1")),
                {"id": "p2", "name": "B", "agent": "coder", "parallel": false,
                 "blocked_by": ["p1"], "files": ["src/a.rs"], "extra": {"kept": true}},
            ])),
            vec![]
        );
        // `2.0` is the integer 2 to Maestro (`Number.isInteger`).
        assert_eq!(validate(&json!([phase(json!(2.0))])), vec![]);
    }

    /// "reports missing required fields with the offending phase id".
    #[test]
    fn a_missing_field_names_the_phase_and_the_field() {
        let v = validate(&json!([
            phase(json!("p1")),
            {"id": "p2", "name": "B", "parallel": false, "blocked_by": []},
        ]));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].rule, "missing_required_field");
        assert_eq!(v[0].phase_id, Some(json!("p2")));
        assert_eq!(v[0].field, Some("agent"));
        assert_eq!(
            serde_json::to_value(&v[0]).expect("json"),
            json!({"rule": "missing_required_field", "phase_id": "p2", "field": "agent",
                   "severity": "error"})
        );
        assert_eq!(v[0].describe(), "phases[1].agent is missing (phase \"p2\")");
    }

    /// `tests/transforms/mcp-session-pack.test.js` "rejects create_session when a phase is
    /// missing required fields": `[{id: 1, name: 'Only id/name'}]`.
    #[test]
    fn only_id_and_name_misses_three_fields_in_one_message() {
        let v = validate(&json!([{"id": 1, "name": "Only id/name"}]));
        let fields: Vec<_> = v.iter().map(|v| v.field.unwrap_or("")).collect();
        assert_eq!(fields, ["agent", "parallel", "blocked_by"]);
        assert_eq!(
            message(&v),
            "Invalid phases payload: missing_required_field, missing_required_field, missing_required_field"
        );
    }

    /// "rejects non-string agent values".
    #[test]
    fn a_non_string_agent_is_the_wrong_type() {
        let v = validate(
            &json!([{"id": "p1", "name": "A", "agent": 42, "parallel": false,
                                  "blocked_by": []}]),
        );
        assert_eq!(
            (v[0].rule, v[0].field),
            ("invalid_field_type", Some("agent"))
        );
        // An empty name or agent too, and a parallel that is not a boolean.
        let v = validate(&json!([{"id": 1, "name": "", "agent": "", "parallel": "no",
                                  "blocked_by": []}]));
        let fields: Vec<_> = v.iter().map(|v| v.field.unwrap_or("")).collect();
        assert_eq!(fields, ["name", "agent", "parallel"]);
    }

    /// "rejects phase ids that are neither string nor positive integer".
    #[test]
    fn an_id_that_is_not_a_phase_id() {
        for id in [
            json!({}),
            json!(0),
            json!(-1),
            json!(1.5),
            json!(""),
            json!(null),
        ] {
            let v = validate(&json!([phase(id.clone())]));
            assert_eq!(v.len(), 1, "{id}");
            assert_eq!((v[0].rule, v[0].field), ("invalid_field_type", Some("id")));
            assert_eq!(v[0].phase_id, Some(id));
        }
    }

    /// "rejects blocked_by items that are neither string nor integer", "... that are
    /// non-positive integers".
    #[test]
    fn blocked_by_holds_phase_ids_only() {
        for bad in [
            json!([null]),
            json!([0]),
            json!([-1]),
            json!("1"),
            json!([[1]]),
        ] {
            let mut p = phase(json!(1));
            p["blocked_by"] = bad.clone();
            let v = validate(&json!([p]));
            assert_eq!(
                (v[0].rule, v[0].field),
                ("invalid_field_type", Some("blocked_by")),
                "{bad}"
            );
        }
    }

    /// "treats files as optional but validates its shape when present".
    #[test]
    fn files_when_given_are_non_empty_paths() {
        let mut p = phase(json!(1));
        p["files"] = json!([""]);
        let v = validate(&json!([p]));
        assert_eq!(
            (v[0].rule, v[0].field),
            ("invalid_field_value", Some("files"))
        );
        assert_eq!(validate(&json!([phase(json!(1))])), vec![]);
    }

    /// `validatePhases(undefined)` and other non-lists: `invalid_phases`; a phase that is
    /// not an object misses every field (Maestro throws a TypeError there).
    #[test]
    fn phases_that_are_not_a_list_of_objects() {
        for not_a_list in [json!(null), json!({"id": 1}), json!("phases")] {
            let v = validate(&not_a_list);
            assert_eq!(
                serde_json::to_value(&v).expect("json"),
                json!([{"rule": "invalid_phases", "detail": "phases must be an array",
                        "severity": "error"}])
            );
        }
        let v = validate(&json!(["a phase", null]));
        assert_eq!(v.len(), 10);
        assert!(
            v.iter()
                .all(|v| v.rule == "missing_required_field" && v.phase_id == Some(Value::Null))
        );
        assert_eq!(
            validate(&json!([])),
            vec![],
            "an empty list holds (Maestro)"
        );
    }
}
