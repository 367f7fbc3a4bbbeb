//! Token usage read from the runtimes' own transcripts (issue 11): how a transcript line is
//! counted, and what the session keeps of it.
//!
//! The session's frontmatter key `transcript_usage` (ours; Maestro's `token_usage` is untouched
//! in shape, and the counts below are also added to `token_usage.by_agent.<agent>` and its
//! totals, so Maestro reads them as it reads a model-reported count):
//!
//! ```yaml
//! transcript_usage:
//!   by_agent:                 # the part of token_usage.by_agent that came from transcripts
//!     coder: {input: 200, output: 40, cached: 0, cache_creation: 0, replies: 2}
//!   transcripts:              # how far each transcript was counted, keyed by the file's
//!     "64768:1234":           # identity, <dev>:<ino> (its path is a value, not a key)
//!       {agent: coder, dev: 64768, ino: 1234, offset: 44464, last_message: msg_1,
//!        codex_total: null, path: /home/dev/.claude/projects/p/s/subagents/agent-a1.jsonl}
//! ```
//!
//! A transcript is known by its identity, `(st_dev, st_ino)`, not by its path: another file
//! at the same path (a rewrite) is counted from its start, the same file under another path is
//! not counted twice. Marks that older versions keyed by path are found by their `dev`/`ino`
//! and moved to the identity key on the next count.
//!
//! Counting never blocks on one bad line. The new bytes are read window by window
//! ([`count_appended`]); each complete line is counted whole or not at all, and a line is
//! skipped, with a warning, and the offset moved past it, when:
//!
//! - a count in it is not a whole number from 0 to [`MAX_LINE_COUNT`] (2^53 − 1; a negative,
//!   fractional or larger number, such as one near 2^64), or its counts add past that;
//! - adding it would take a count of the session past 2^64 − 1 (the session's totals are
//!   checked, never wrapped or saturated);
//! - it is longer than the read window ([`maestro_session_fs::reader::ReadKind::TRANSCRIPT_WINDOW`]):
//!   it is skipped to its end without being held in memory (`skip_line` in the mark carries
//!   that over to the next count when its end has not been written yet).
//!
//! All arithmetic on counts and offsets is checked.
//!
//! Formats counted (a line of another shape is skipped):
//!
//! - Claude Code 2.1.330 (`agent_transcript_path` of SubagentStop): a line
//!   `{"type":"assistant","message":{"id","usage":{"input_tokens","output_tokens",
//!   "cache_read_input_tokens","cache_creation_input_tokens"}}}` per reply; one reply split over
//!   several lines repeats its `message.id` and usage, so it is counted once. `input` is the
//!   whole prompt (`input_tokens + cache_read_input_tokens + cache_creation_input_tokens`),
//!   `cached` the part read from the cache.
//! - Codex 0.169 rollouts (`agent_transcript_path`): `{"type":"event_msg","payload":{"type":
//!   "token_count","info":{"total_token_usage":{"input_tokens","cached_input_tokens",
//!   "output_tokens","reasoning_output_tokens","total_tokens"},"last_token_usage":{…}}}}`.
//!   `total_token_usage` is cumulative and the event repeats (rate-limit updates), so what is
//!   added is the growth of the total since the last one counted (`codex_total`). `input` is
//!   `input_tokens` (which includes `cached_input_tokens`), `output` is `output_tokens`.
//! - Qwen Code 0.24.4 (the sub-agent's `subagents/<session>/agent-<agent_id>.jsonl`): a line
//!   `{"type":"assistant","message":{"role":"model",…},"usageMetadata":{"promptTokenCount",
//!   "candidatesTokenCount","thoughtsTokenCount","totalTokenCount","cachedContentTokenCount"}}`
//!   per model reply (from the OpenAI API's `prompt_tokens`, `completion_tokens` and
//!   `prompt_tokens_details.cached_tokens`). `input` is `promptTokenCount` (cached included),
//!   `cached` is `cachedContentTokenCount`, `output` as Qwen Code counts it (`qwen_reply`).
//! - Gemini CLI 0.61 (`transcript_path` of AfterAgent, the session's chat record): a line
//!   `{"type":"gemini","tokens":{"input","output","cached","thoughts","tool","total"}}` per
//!   model reply.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Counts read from transcripts for one agent. Units: tokens (`replies`: model replies).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct UsageCounts {
    /// Prompt tokens, cached ones included.
    pub input: u64,
    /// Completion tokens.
    pub output: u64,
    /// Prompt tokens served from the cache (part of `input`).
    pub cached: u64,
    /// Prompt tokens written to the cache (Claude Code; part of `input`).
    pub cache_creation: u64,
    /// Model replies counted.
    pub replies: u64,
}

impl UsageCounts {
    /// The sum, with saturating arithmetic (these counts are reports, not the checked totals).
    pub fn plus(self, o: UsageCounts) -> UsageCounts {
        UsageCounts {
            input: self.input.saturating_add(o.input),
            output: self.output.saturating_add(o.output),
            cached: self.cached.saturating_add(o.cached),
            cache_creation: self.cache_creation.saturating_add(o.cache_creation),
            replies: self.replies.saturating_add(o.replies),
        }
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        *self == UsageCounts::default()
    }
}

/// How far one transcript was counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct TranscriptMark {
    /// The agent its counts went to (`None`: a Gemini CLI turn with no agent, not counted).
    pub agent: Option<String>,
    /// Device of the file counted (`st_dev`).
    pub dev: u64,
    /// Its inode (`st_ino`): another file at the same path is counted from the start.
    pub ino: u64,
    /// Bytes counted: the end of the last complete line read.
    pub offset: u64,
    /// Claude Code: the `message.id` of the last reply counted.
    pub last_message: Option<String>,
    /// Codex: the last `total_token_usage` counted, `[input, output, cached]`.
    pub codex_total: Option<[u64; 3]>,
    /// The path the file was last counted at (for people; the key is the identity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Whether `offset` lies inside a line longer than the read window, which is being skipped
    /// up to its end.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skip_line: bool,
}

/// The frontmatter key `transcript_usage`: the part of `token_usage` counted from transcripts,
/// per agent, and how far each transcript was counted, per file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct TranscriptUsage {
    /// Per agent, what came from transcripts.
    pub by_agent: indexmap::IndexMap<String, UsageCounts>,
    /// Per transcript, keyed by its identity `<dev>:<ino>` ([`TranscriptUsage::key`]), how far
    /// it was counted.
    pub transcripts: indexmap::IndexMap<String, TranscriptMark>,
}

impl TranscriptUsage {
    /// The key of the file with identity `(dev, ino)`: `<dev>:<ino>`.
    pub fn key(dev: u64, ino: u64) -> String {
        format!("{dev}:{ino}")
    }

    /// The mark of the file with identity `(dev, ino)`: under its identity key, else one that
    /// an older version stored under a path with that `dev` and `ino`.
    pub fn mark_of(&self, dev: u64, ino: u64) -> Option<&TranscriptMark> {
        self.transcripts
            .get(&TranscriptUsage::key(dev, ino))
            .or_else(|| {
                self.transcripts
                    .values()
                    .find(|m| (m.dev, m.ino) == (dev, ino))
            })
    }

    /// Stores `mark` under its identity key; other marks of the same identity (an older
    /// version's path key) and marks of files that were at the same path before (replaced
    /// files, which will never be counted again) are dropped, so the map keeps one entry per
    /// transcript.
    pub fn set_mark(&mut self, mark: TranscriptMark) {
        let key = TranscriptUsage::key(mark.dev, mark.ino);
        self.transcripts.retain(|k, m| {
            *k != key
                && (m.dev, m.ino) != (mark.dev, mark.ino)
                && (mark.path.is_none() || m.path != mark.path)
                && mark.path.as_deref() != Some(k.as_str())
        });
        self.transcripts.insert(key, mark);
    }
}

/// The largest count one transcript line may carry: 2^53 − 1, JavaScript's
/// `Number.MAX_SAFE_INTEGER`. Maestro reads token counts as JavaScript numbers, which hold no
/// larger whole number exactly, and no model reply comes near it; a line with a larger count
/// is poisoned and skipped.
pub const MAX_LINE_COUNT: u64 = (1 << 53) - 1;

/// Why a transcript line was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// A count is not a whole number from 0 to [`MAX_LINE_COUNT`], or the line's counts add
    /// past it.
    BadCount,
    /// Adding the line would take a count of the session past 2^64 − 1.
    Overflow,
    /// The line is longer than the read window.
    TooLong,
}

impl SkipReason {
    /// In words, for the warning.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::BadCount => "a token count is not a whole number from 0 to 2^53-1",
            SkipReason::Overflow => "its tokens would take a count of the session past 2^64-1",
            SkipReason::TooLong => "the line is longer than the read window",
        }
    }
}

/// A transcript line that was skipped: where it starts (byte offset in the transcript) and
/// why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Byte offset of the line's start in the transcript.
    pub at: u64,
    /// Why it was skipped.
    pub why: SkipReason,
}

/// What counting some new bytes of a transcript found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counting {
    /// What the counted lines add.
    pub counts: UsageCounts,
    /// Bytes consumed from the start of the bytes given: up to and including the last `\n`
    /// (or through a skipped over-long line); a partial last line is left for the next time.
    pub used: u64,
    /// The lines skipped.
    pub skipped: Vec<Skipped>,
}

impl UsageCounts {
    /// The sum, field by field, when every field stays within `room`'s; else `None`.
    pub fn checked_within(self, o: UsageCounts, room: &UsageCounts) -> Option<UsageCounts> {
        let add = |a: u64, b: u64, max: u64| a.checked_add(b).filter(|s| *s <= max);
        Some(UsageCounts {
            input: add(self.input, o.input, room.input)?,
            output: add(self.output, o.output, room.output)?,
            cached: add(self.cached, o.cached, room.cached)?,
            cache_creation: add(self.cache_creation, o.cache_creation, room.cache_creation)?,
            replies: add(self.replies, o.replies, room.replies)?,
        })
    }

    /// No limit on any field: the room of a count that goes nowhere checked.
    pub const UNLIMITED: UsageCounts = UsageCounts {
        input: u64::MAX,
        output: u64::MAX,
        cached: u64::MAX,
        cache_creation: u64::MAX,
        replies: u64::MAX,
    };
}

/// Counts one window of new transcript bytes, `bytes`, read from transcript offset `start`:
/// every complete line, each whole or not at all, updating `mark`'s dedup state (and its
/// `skip_line`). `room` is how much more each count may grow (a line that does not fit is
/// skipped as [`SkipReason::Overflow`]); `window_full` says the window was cut by the read
/// size with more of the file after it, so a window holding no line end is a line longer than
/// the window ([`SkipReason::TooLong`]), consumed whole. A partial last line is otherwise left
/// for the next time. Never panics, whatever the bytes.
pub fn count_window(
    bytes: &[u8],
    start: u64,
    window_full: bool,
    mark: &mut TranscriptMark,
    room: &UsageCounts,
) -> Counting {
    let mut out = Counting::default();
    let mut pos = 0usize;
    if mark.skip_line {
        match bytes.iter().position(|&b| b == b'\n') {
            Some(nl) => {
                pos = nl + 1;
                mark.skip_line = false;
            }
            None => {
                out.used = bytes.len() as u64;
                return out;
            }
        }
    }
    let end = bytes
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
        .max(pos);
    while pos < end {
        let line_end = bytes[pos..end]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(end, |i| pos + i);
        let line = &bytes[pos..line_end];
        let at = start.saturating_add(pos as u64);
        let before = mark.clone();
        match count_line(line, mark) {
            Ok(c) => match out.counts.checked_within(c, room) {
                Some(sum) => out.counts = sum,
                None => {
                    *mark = before;
                    out.skipped.push(Skipped {
                        at,
                        why: SkipReason::Overflow,
                    });
                }
            },
            Err(why) => {
                *mark = before;
                out.skipped.push(Skipped { at, why });
            }
        }
        pos = line_end + 1;
    }
    out.used = end as u64;
    if window_full && end == 0 && !bytes.is_empty() {
        // No line ends in a full window: the line at `end` is longer than the window.
        out.skipped.push(Skipped {
            at: start.saturating_add(end as u64),
            why: SkipReason::TooLong,
        });
        mark.skip_line = true;
        out.used = bytes.len() as u64;
    }
    out
}

/// Counts what a transcript of `len` bytes gained since `mark.offset`, reading it with `read`
/// (`read(offset, max)`: at most `max` bytes from `offset`) window by window, each at most
/// `window` bytes, at most `budget` bytes in all (the rest waits for the next count), and moves
/// `mark.offset` past what was consumed. `room` is how much each count may still grow.
///
/// Errors: those of `read`; `mark` is then unchanged.
pub fn count_appended<E>(
    mut read: impl FnMut(u64, u64) -> Result<Vec<u8>, E>,
    len: u64,
    mark: &mut TranscriptMark,
    room: &UsageCounts,
    window: u64,
    budget: u64,
) -> Result<Counting, E> {
    let mut work = mark.clone();
    let mut out = Counting::default();
    let mut offset = work.offset;
    let mut spent = 0u64;
    let window = window.max(1);
    while offset < len && spent < budget {
        let want = window.min(len - offset).min(budget - spent);
        let bytes = read(offset, want)?;
        if bytes.is_empty() {
            break;
        }
        let got = bytes.len() as u64;
        spent = spent.saturating_add(got);
        let full = got >= window && offset.saturating_add(got) < len;
        let left = UsageCounts {
            input: room.input.saturating_sub(out.counts.input),
            output: room.output.saturating_sub(out.counts.output),
            cached: room.cached.saturating_sub(out.counts.cached),
            cache_creation: room
                .cache_creation
                .saturating_sub(out.counts.cache_creation),
            replies: room.replies.saturating_sub(out.counts.replies),
        };
        let w = count_window(&bytes, offset, full, &mut work, &left);
        // Within `left`, so within `room` and never past 2^64 - 1.
        out.counts = out.counts.plus(w.counts);
        out.skipped.extend(w.skipped);
        if w.used == 0 {
            break;
        }
        out.used = out.used.saturating_add(w.used);
        offset = offset.saturating_add(w.used);
    }
    work.offset = offset;
    *mark = work;
    Ok(out)
}

/// A count of a transcript line: 0 when absent or null; an error when it is anything but a
/// whole number from 0 to [`MAX_LINE_COUNT`].
fn n(v: &Value, key: &str) -> Result<u64, SkipReason> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(x) => x
            .as_u64()
            .filter(|n| *n <= MAX_LINE_COUNT)
            .ok_or(SkipReason::BadCount),
    }
}

/// `a + b`, within [`MAX_LINE_COUNT`].
fn sum(a: u64, b: u64) -> Result<u64, SkipReason> {
    a.checked_add(b)
        .filter(|s| *s <= MAX_LINE_COUNT)
        .ok_or(SkipReason::BadCount)
}

/// The usage one transcript line adds (see the module documentation for the shapes); a line
/// of another shape, or one that is not JSON, adds nothing. Only lines that can hold usage
/// are parsed at all.
fn count_line(line: &[u8], mark: &mut TranscriptMark) -> Result<UsageCounts, SkipReason> {
    let interesting = [&b"usage"[..], b"token_count", b"\"tokens\""]
        .iter()
        .any(|needle| line.windows(needle.len()).any(|w| w == *needle));
    if !interesting {
        return Ok(UsageCounts::default());
    }
    let Ok(v) = serde_json::from_slice::<Value>(line) else {
        return Ok(UsageCounts::default());
    };
    count_value(&v, mark)
}

fn count_value(v: &Value, mark: &mut TranscriptMark) -> Result<UsageCounts, SkipReason> {
    match v.get("type").and_then(Value::as_str) {
        Some("assistant") => {
            if let Some(meta) = v.get("usageMetadata").filter(|u| u.is_object()) {
                return qwen_reply(meta);
            }
            let Some(message) = v.get("message") else {
                return Ok(UsageCounts::default());
            };
            let Some(usage) = message.get("usage").filter(|u| u.is_object()) else {
                return Ok(UsageCounts::default());
            };
            let id = message
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_string);
            if id.is_some() && id == mark.last_message {
                return Ok(UsageCounts::default());
            }
            let (read, created) = (
                n(usage, "cache_read_input_tokens")?,
                n(usage, "cache_creation_input_tokens")?,
            );
            let counts = UsageCounts {
                input: sum(sum(n(usage, "input_tokens")?, read)?, created)?,
                output: n(usage, "output_tokens")?,
                cached: read,
                cache_creation: created,
                replies: 1,
            };
            mark.last_message = id;
            Ok(counts)
        }
        Some("event_msg") => {
            let payload = &v["payload"];
            if payload.get("type").and_then(Value::as_str) != Some("token_count") {
                return Ok(UsageCounts::default());
            }
            let total = &payload["info"]["total_token_usage"];
            if !total.is_object() {
                return Ok(UsageCounts::default());
            }
            let now = [
                n(total, "input_tokens")?,
                n(total, "output_tokens")?,
                n(total, "cached_input_tokens")?,
            ];
            let before = mark.codex_total.unwrap_or_default();
            mark.codex_total = Some(now);
            if now == before {
                return Ok(UsageCounts::default());
            }
            let [input, output, cached] = [0, 1, 2].map(|i| now[i].saturating_sub(before[i]));
            Ok(UsageCounts {
                input,
                output,
                cached,
                cache_creation: 0,
                replies: 1,
            })
        }
        Some("gemini") => {
            let Some(tokens) = v.get("tokens").filter(|t| t.is_object()) else {
                return Ok(UsageCounts::default());
            };
            Ok(UsageCounts {
                input: n(tokens, "input")?,
                output: n(tokens, "output")?,
                cached: n(tokens, "cached")?,
                cache_creation: 0,
                replies: 1,
            })
        }
        _ => Ok(UsageCounts::default()),
    }
}

/// One Qwen Code reply's `usageMetadata` (see the module documentation). The output is what
/// Qwen Code itself takes it to be (`getUsageOutputTokenCountForPromptEstimate`):
/// `totalTokenCount - promptTokenCount` when both are given, else `candidatesTokenCount`, plus
/// `thoughtsTokenCount` unless the candidates already exceed it.
fn qwen_reply(meta: &Value) -> Result<UsageCounts, SkipReason> {
    let prompt = n(meta, "promptTokenCount")?;
    let (candidates, thoughts) = (
        n(meta, "candidatesTokenCount")?,
        n(meta, "thoughtsTokenCount")?,
    );
    let output = match meta.get("totalTokenCount") {
        Some(total) if !total.is_null() && meta.get("promptTokenCount").is_some() => {
            n(meta, "totalTokenCount")?.saturating_sub(prompt)
        }
        _ if candidates > thoughts => candidates,
        _ => sum(candidates, thoughts)?,
    };
    Ok(UsageCounts {
        input: prompt,
        output,
        cached: n(meta, "cachedContentTokenCount")?,
        cache_creation: 0,
        replies: 1,
    })
}

/// Counts the complete lines of `bytes` with no limit but 2^64 − 1 and no window (see
/// [`count_window`]); returns the counts and the bytes consumed. For tests and callers that
/// hold a whole transcript.
pub fn count_lines(bytes: &[u8], mark: &mut TranscriptMark) -> (UsageCounts, u64) {
    let c = count_window(bytes, 0, false, mark, &UsageCounts::UNLIMITED);
    (c.counts, c.used)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claude(id: &str, input: u64, output: u64, read: u64) -> String {
        format!(
            r#"{{"type":"assistant","message":{{"id":"{id}","usage":{{"input_tokens":{input},"cache_creation_input_tokens":5,"cache_read_input_tokens":{read},"output_tokens":{output}}}}}}}"#
        )
    }

    #[test]
    fn claude_replies_count_once_each_and_a_partial_line_waits() {
        let mut mark = TranscriptMark::default();
        let text = format!(
            "{}\n{}\n{}\n{{\"type\":\"user\"}}\n{}",
            claude("m1", 100, 20, 0),
            claude("m1", 100, 20, 0), // the same reply's second content block
            claude("m2", 10, 2, 50),
            &claude("m3", 1, 1, 0)[..20]
        );
        let (c, used) = count_lines(text.as_bytes(), &mut mark);
        assert_eq!(
            c,
            UsageCounts {
                input: 105 + 65,
                output: 22,
                cached: 50,
                cache_creation: 10,
                replies: 2
            }
        );
        assert_eq!(used as usize, text.rfind('\n').expect("newline") + 1);
        assert_eq!(mark.last_message.as_deref(), Some("m2"));
    }

    #[test]
    fn codex_counts_the_growth_of_the_total() {
        let line = |i: u64, o: u64, c: u64| {
            format!(
                r#"{{"timestamp":"t","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{{"input_tokens":{i},"cached_input_tokens":{c},"output_tokens":{o},"reasoning_output_tokens":0,"total_tokens":{}}},"last_token_usage":{{}}}},"rate_limits":null}}}}"#,
                i + o
            )
        };
        let mut mark = TranscriptMark::default();
        let text = format!(
            "{}\n{}\n{}\n{}\n",
            line(100, 20, 0),
            line(100, 20, 0), // repeated (a rate-limit update)
            line(250, 50, 100),
            r#"{"type":"event_msg","payload":{"type":"token_count","info":null}}"#
        );
        let (c, _) = count_lines(text.as_bytes(), &mut mark);
        assert_eq!((c.input, c.output, c.cached, c.replies), (250, 50, 100, 2));
        let (again, _) = count_lines(format!("{}\n", line(250, 50, 100)).as_bytes(), &mut mark);
        assert!(again.is_empty());
    }

    #[test]
    fn gemini_chat_record_replies_count() {
        let text = include_str!("../../../../tests/fixtures/gemini-cli-0.61/transcript.jsonl");
        let mut mark = TranscriptMark::default();
        let (c, used) = count_lines(text.as_bytes(), &mut mark);
        assert_eq!((c.input, c.output, c.cached, c.replies), (1200, 40, 300, 1));
        assert_eq!(used as usize, text.len());
    }

    #[test]
    fn qwen_replies_count_as_qwen_counts_them() {
        let text = include_str!(
            "../../../../tests/fixtures/qwen-code/captured/block-json/qwen-home/projects/-home-dev-proj/subagents/fcce7c4c-b385-428d-b2f2-9e5bf8d848e0/agent-coder-call_2e2750f6a6ff42afb58bdc2d.jsonl"
        );
        let mut mark = TranscriptMark::default();
        let (c, used) = count_lines(text.as_bytes(), &mut mark);
        // The coder's first reply (700 in, 40 out) and its retry after the block (760, 60).
        assert_eq!((c.input, c.output, c.cached, c.replies), (1460, 100, 0, 2));
        assert_eq!(used as usize, text.len());
        let line = |meta: &str| {
            let text = format!("{{\"type\":\"assistant\",\"usageMetadata\":{meta}}}\n");
            count_lines(text.as_bytes(), &mut TranscriptMark::default()).0
        };
        // Reasoning inside the completion: the total says what the output was.
        let c = line(
            r#"{"promptTokenCount":100,"candidatesTokenCount":30,"thoughtsTokenCount":20,"totalTokenCount":130,"cachedContentTokenCount":40}"#,
        );
        assert_eq!((c.input, c.output, c.cached), (100, 30, 40));
        // Without a total: thoughts count on top of fewer candidates, not of more.
        let c =
            line(r#"{"promptTokenCount":100,"candidatesTokenCount":5,"thoughtsTokenCount":20}"#);
        assert_eq!(c.output, 25);
        let c =
            line(r#"{"promptTokenCount":100,"candidatesTokenCount":50,"thoughtsTokenCount":20}"#);
        assert_eq!(c.output, 50);
        // A total below the prompt cannot underflow.
        let c = line(r#"{"promptTokenCount":100,"totalTokenCount":10}"#);
        assert_eq!((c.input, c.output, c.replies), (100, 0, 1));
        // A count that is not a whole number poisons the line: skipped whole, as every
        // runtime's lines are.
        let c = line(r#"{"promptTokenCount":100,"totalTokenCount":10,"candidatesTokenCount":"x"}"#);
        assert_eq!((c.input, c.output, c.replies), (0, 0, 0));
    }
}
