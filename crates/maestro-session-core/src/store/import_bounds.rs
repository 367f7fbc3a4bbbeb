//! The bounds every number an export file brings in must keep (issue 15, item 5; case 21:
//! an import accepted checkpoint number 2^64 - 1, after which the session could never take
//! another checkpoint, and so never move again).
//!
//! An export file may come from anywhere. Every number in it that later feeds arithmetic is
//! checked before anything is written, and a number out of bounds refuses the whole import
//! with an error naming the field and its bound:
//!
//! - checkpoint numbers (`checkpoints[i].record.id`): 1 to [`MAX_IMPORTED_CHECKPOINT_ID`]
//!   (2^32), so the session keeps more than 9·10^15 numbers for the checkpoints it takes next
//!   (they end at [`crate::store::checkpoint::MAX_ID`]); the record's `time` must be an
//!   RFC 3339 instant; its `bytes` must be its copy's size (see [`crate::store::export`]).
//! - token counts of the session file and of every checkpoint copy
//!   (`token_usage.total_input|total_output|total_cached`,
//!   `token_usage.by_agent.<agent>.input|output|cached`) and every count and offset of
//!   `transcript_usage` (except `dev` and `ino`, which are file identities, not counts): at
//!   most [`MAX_COUNT`] (2^53 - 1: Maestro reads sessions with JavaScript, whose numbers are
//!   exact only up to there, and it leaves 2^64 - 2^53 for the checked sums that follow).
//! - the event log (`events`): each non-blank line is a JSON object whose `time` is an
//!   RFC 3339 instant, whose `v` is a whole number from 1 to [`MAX_COUNT`], and whose
//!   `checkpoint`, `undo` and `checkpoints` (when present) are checkpoint numbers (1 to
//!   [`crate::store::checkpoint::MAX_ID`]).
//!
//! The JSON shape of the file itself (a number that is negative, fractional or past `u64`
//! where a whole number is expected) is refused by [`crate::store::export::parse`], which names
//! the field's path.

use serde_json::Value;

use crate::session::model::SessionMetadata;
use crate::store::checkpoint::{self, CheckpointMeta};

/// The largest count an import accepts: 2^53 - 1 (`Number.MAX_SAFE_INTEGER`).
pub const MAX_COUNT: u64 = (1 << 53) - 1;

/// The largest checkpoint number an import accepts: 2^32.
pub const MAX_IMPORTED_CHECKPOINT_ID: u64 = 1 << 32;

/// Checks the counts of session `meta` (the export's `what`: `the session file`,
/// `checkpoint 3`). Errors: the field, its value and the bound, in words.
pub fn check_session(meta: &SessionMetadata, what: &str) -> Result<(), String> {
    let t = &meta.token_usage;
    for (field, n) in [
        ("total_input", t.total_input),
        ("total_output", t.total_output),
        ("total_cached", t.total_cached),
    ] {
        count(what, &format!("token_usage.{field}"), n)?;
    }
    for (agent, c) in &t.by_agent {
        for (field, n) in [
            ("input", c.input),
            ("output", c.output),
            ("cached", c.cached),
        ] {
            count(what, &format!("token_usage.by_agent.{agent}.{field}"), n)?;
        }
    }
    if let Some(usage) = &meta.transcript_usage {
        let v = serde_json::to_value(usage).map_err(|e| format!("{what}: {e}"))?;
        walk(what, "transcript_usage", &v, 0)?;
    }
    Ok(())
}

/// Every number beneath `v` (at `path`) is a whole number of at most [`MAX_COUNT`], except
/// the file identities `dev` and `ino`.
fn walk(what: &str, path: &str, v: &Value, depth: usize) -> Result<(), String> {
    const MAX_DEPTH: usize = 16;
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(n) => count(what, path, n),
            None => Err(format!(
                "{what}: {path} is {}, not a whole number from 0 to {MAX_COUNT}",
                shown(n)
            )),
        },
        Value::Object(m) if depth < MAX_DEPTH => {
            for (k, v) in m {
                if k == "dev" || k == "ino" {
                    continue;
                }
                walk(what, &format!("{path}.{k}"), v, depth + 1)?;
            }
            Ok(())
        }
        Value::Array(a) if depth < MAX_DEPTH => {
            for (i, v) in a.iter().enumerate() {
                walk(what, &format!("{path}[{i}]"), v, depth + 1)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn count(what: &str, path: &str, n: u64) -> Result<(), String> {
    if n > MAX_COUNT {
        return Err(format!(
            "{what}: {path} is {n}, over the largest count an import accepts ({MAX_COUNT})"
        ));
    }
    Ok(())
}

fn shown(n: &serde_json::Number) -> String {
    n.to_string().chars().take(40).collect()
}

/// Checks an imported checkpoint record's number and time. Errors: the field and its bound.
pub fn check_checkpoint_record(r: &CheckpointMeta) -> Result<(), String> {
    if !(1..=MAX_IMPORTED_CHECKPOINT_ID).contains(&r.id) {
        return Err(format!(
            "checkpoint {}: record.id is {}, not a checkpoint number from 1 to {MAX_IMPORTED_CHECKPOINT_ID}",
            r.id, r.id
        ));
    }
    if r.time.parse::<jiff::Timestamp>().is_err() {
        return Err(format!(
            "checkpoint {}: record.time {:?} is not an RFC 3339 time",
            r.id,
            r.time.chars().take(40).collect::<String>()
        ));
    }
    Ok(())
}

/// Checks the exported event log `text`, line by line (see the module docs). Errors: the
/// line number, the field and why.
pub fn check_events(text: &str) -> Result<(), String> {
    for (i, line) in text.split('\n').enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        check_event_line(line).map_err(|why| format!("the event log, line {}: {why}", i + 1))?;
    }
    Ok(())
}

/// Checks one event line: why it is not one an import takes.
pub fn check_event_line(line: &str) -> Result<(), String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON ({e})"))?;
    let Value::Object(m) = v else {
        return Err("not a JSON object".into());
    };
    match m.get("v").and_then(Value::as_u64) {
        Some(n) if (1..=MAX_COUNT).contains(&n) => {}
        _ => {
            return Err(format!(
                "`v` is {}, not a whole number from 1 to {MAX_COUNT}",
                shown_value(m.get("v"))
            ));
        }
    }
    match m.get("time") {
        Some(Value::String(t)) if t.parse::<jiff::Timestamp>().is_ok() => {}
        other => {
            return Err(format!(
                "`time` is {}, not an RFC 3339 time",
                shown_value(other)
            ));
        }
    }
    let number = |key: &str, v: &Value| match v.as_u64() {
        Some(n) if (1..=checkpoint::MAX_ID).contains(&n) => Ok(()),
        _ => Err(format!(
            "`{key}` is {}, not a checkpoint number from 1 to {}",
            shown_value(Some(v)),
            checkpoint::MAX_ID
        )),
    };
    for key in ["checkpoint", "undo"] {
        if let Some(v) = m.get(key) {
            number(key, v)?;
        }
    }
    if let Some(v) = m.get("checkpoints") {
        match v.as_array() {
            Some(ids) => ids.iter().try_for_each(|v| number("checkpoints", v))?,
            None => return Err("`checkpoints` is not a list of checkpoint numbers".into()),
        }
    }
    Ok(())
}

fn shown_value(v: Option<&Value>) -> String {
    match v {
        None => "absent".into(),
        Some(v) => v.to_string().chars().take(40).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lines_need_a_time_a_version_and_checkpoint_numbers_in_range() {
        let good = r#"{"v":1,"time":"2026-12-06T09:00:00.000Z","actor":"cli","op":"checkpoint","session":"s","changes":[],"checkpoint":3}"#;
        assert_eq!(check_event_line(good), Ok(()));
        for (bad, want) in [
            ("[1]", "not a JSON object"),
            ("{\"v\":1", "not JSON"),
            (r#"{"time":"2026-12-06T09:00:00Z"}"#, "`v` is absent"),
            (
                r#"{"v":18446744073709551615,"time":"2026-12-06T09:00:00Z"}"#,
                "`v` is 18446744073709551615",
            ),
            (r#"{"v":1,"time":"yesterday"}"#, "`time` is \"yesterday\""),
            (r#"{"v":1,"time":7}"#, "`time` is 7"),
            (
                r#"{"v":1,"time":"2026-12-06T09:00:00Z","checkpoint":18446744073709551615}"#,
                "`checkpoint` is 18446744073709551615",
            ),
            (
                r#"{"v":1,"time":"2026-12-06T09:00:00Z","checkpoints":[1,-1]}"#,
                "`checkpoints` is -1",
            ),
            (
                r#"{"v":1,"time":"2026-12-06T09:00:00Z","undo":1e300}"#,
                "`undo` is 1e",
            ),
        ] {
            let err = check_event_line(bad).expect_err(bad);
            assert!(err.contains(want), "{bad}: {err}");
        }
        let err = check_events(&format!("{good}\n\n{good}\nnope\n")).expect_err("line 4");
        assert!(err.starts_with("the event log, line 4: not JSON"), "{err}");
    }

    #[test]
    fn session_counts_are_bounded_by_name() {
        let mut meta = SessionMetadata::default();
        assert_eq!(check_session(&meta, "the session file"), Ok(()));
        meta.token_usage.total_output = MAX_COUNT;
        assert_eq!(check_session(&meta, "the session file"), Ok(()));
        meta.token_usage.total_output = MAX_COUNT + 1;
        let err = check_session(&meta, "the session file").expect_err("over");
        assert!(
            err.contains("token_usage.total_output is 9007199254740992"),
            "{err}"
        );
        meta.token_usage.total_output = 0;
        meta.token_usage.by_agent.insert(
            "coder".into(),
            crate::session::model::AgentTokens {
                cached: u64::MAX,
                ..Default::default()
            },
        );
        let err = check_session(&meta, "checkpoint 2").expect_err("over");
        assert!(
            err.starts_with(
                "checkpoint 2: token_usage.by_agent.coder.cached is 18446744073709551615"
            ),
            "{err}"
        );
        meta.token_usage.by_agent.clear();
        let mut usage = crate::session::transcript_usage::TranscriptUsage::default();
        usage.transcripts.insert(
            "/t.jsonl".into(),
            crate::session::transcript_usage::TranscriptMark {
                dev: u64::MAX,
                ino: u64::MAX,
                offset: 10,
                ..Default::default()
            },
        );
        meta.transcript_usage = Some(usage.clone());
        assert_eq!(
            check_session(&meta, "s"),
            Ok(()),
            "dev and ino are identities"
        );
        if let Some(mark) = usage.transcripts.get_mut("/t.jsonl") {
            mark.offset = u64::MAX;
        }
        meta.transcript_usage = Some(usage);
        let err = check_session(&meta, "s").expect_err("offset");
        assert!(
            err.contains("transcript_usage.transcripts./t.jsonl.offset is 18446744073709551615"),
            "{err}"
        );
    }

    #[test]
    fn checkpoint_records_have_numbers_in_range_and_real_times() {
        let mut r = CheckpointMeta {
            v: 1,
            id: 1,
            name: None,
            automatic: true,
            reason: "x".into(),
            time: "2026-12-06T09:00:00Z".into(),
            git_commit: None,
            location: crate::session::session_file::Location::Archive,
            bytes: 0,
        };
        assert_eq!(check_checkpoint_record(&r), Ok(()));
        r.id = MAX_IMPORTED_CHECKPOINT_ID;
        assert_eq!(check_checkpoint_record(&r), Ok(()));
        for id in [0, MAX_IMPORTED_CHECKPOINT_ID + 1, u64::MAX] {
            r.id = id;
            let err = check_checkpoint_record(&r).expect_err("id");
            assert!(err.contains("record.id"), "{err}");
        }
        r.id = 1;
        r.time = "99999-01-01T00:00:00Z".into();
        assert!(
            check_checkpoint_record(&r)
                .expect_err("time")
                .contains("record.time")
        );
    }
}
