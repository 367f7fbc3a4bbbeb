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
//!   transcripts:              # how far each transcript was counted, keyed by its path
//!     /home/dev/.claude/projects/p/s/subagents/agent-a1.jsonl:
//!       {agent: coder, dev: 64768, ino: 1234, offset: 44464, last_message: msg_1, codex_total: null}
//! ```
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
}

/// The frontmatter key `transcript_usage`: the part of `token_usage` counted from transcripts,
/// per agent, and how far each transcript was counted, per path.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct TranscriptUsage {
    /// Per agent, what came from transcripts.
    pub by_agent: indexmap::IndexMap<String, UsageCounts>,
    /// Per transcript path, how far it was counted.
    pub transcripts: indexmap::IndexMap<String, TranscriptMark>,
}

/// Counts the complete lines of `bytes` (new bytes of a transcript, read from `mark.offset`),
/// updating `mark`'s dedup state. Returns the counts and how many bytes were consumed: up to
/// and including the last `\n`; a partial last line is left for the next time.
pub fn count_lines(bytes: &[u8], mark: &mut TranscriptMark) -> (UsageCounts, u64) {
    let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut counts = UsageCounts::default();
    for line in bytes[..end].split(|&b| b == b'\n') {
        // Only lines that can hold usage are parsed at all.
        let interesting = [&b"usage"[..], b"token_count", b"\"tokens\""]
            .iter()
            .any(|needle| line.windows(needle.len()).any(|w| w == *needle));
        if !interesting {
            continue;
        }
        let Ok(v) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        counts = counts.plus(count_line(&v, mark));
    }
    (counts, end as u64)
}

fn n(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// The usage one parsed transcript line adds (see the module documentation for the shapes).
fn count_line(v: &Value, mark: &mut TranscriptMark) -> UsageCounts {
    match v.get("type").and_then(Value::as_str) {
        Some("assistant") => {
            if let Some(meta) = v.get("usageMetadata").filter(|u| u.is_object()) {
                return qwen_reply(meta);
            }
            let Some(message) = v.get("message") else {
                return UsageCounts::default();
            };
            let Some(usage) = message.get("usage").filter(|u| u.is_object()) else {
                return UsageCounts::default();
            };
            let id = message
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_string);
            if id.is_some() && id == mark.last_message {
                return UsageCounts::default();
            }
            mark.last_message = id;
            let (read, created) = (
                n(usage, "cache_read_input_tokens"),
                n(usage, "cache_creation_input_tokens"),
            );
            UsageCounts {
                input: n(usage, "input_tokens")
                    .saturating_add(read)
                    .saturating_add(created),
                output: n(usage, "output_tokens"),
                cached: read,
                cache_creation: created,
                replies: 1,
            }
        }
        Some("event_msg") => {
            let payload = &v["payload"];
            if payload.get("type").and_then(Value::as_str) != Some("token_count") {
                return UsageCounts::default();
            }
            let total = &payload["info"]["total_token_usage"];
            if !total.is_object() {
                return UsageCounts::default();
            }
            let now = [
                n(total, "input_tokens"),
                n(total, "output_tokens"),
                n(total, "cached_input_tokens"),
            ];
            let before = mark.codex_total.unwrap_or_default();
            mark.codex_total = Some(now);
            if now == before {
                return UsageCounts::default();
            }
            let [input, output, cached] = [0, 1, 2].map(|i| now[i].saturating_sub(before[i]));
            UsageCounts {
                input,
                output,
                cached,
                cache_creation: 0,
                replies: 1,
            }
        }
        Some("gemini") => {
            let Some(tokens) = v.get("tokens").filter(|t| t.is_object()) else {
                return UsageCounts::default();
            };
            UsageCounts {
                input: n(tokens, "input"),
                output: n(tokens, "output"),
                cached: n(tokens, "cached"),
                cache_creation: 0,
                replies: 1,
            }
        }
        _ => UsageCounts::default(),
    }
}

/// One Qwen Code reply's `usageMetadata` (see the module documentation). The output is what
/// Qwen Code itself takes it to be (`getUsageOutputTokenCountForPromptEstimate`):
/// `totalTokenCount - promptTokenCount` when both are given, else `candidatesTokenCount`, plus
/// `thoughtsTokenCount` unless the candidates already exceed it.
fn qwen_reply(meta: &Value) -> UsageCounts {
    let prompt = n(meta, "promptTokenCount");
    let (candidates, thoughts) = (
        n(meta, "candidatesTokenCount"),
        n(meta, "thoughtsTokenCount"),
    );
    let output = match meta.get("totalTokenCount").and_then(Value::as_u64) {
        Some(total) if meta.get("promptTokenCount").is_some() => total.saturating_sub(prompt),
        _ if candidates > thoughts => candidates,
        _ => candidates.saturating_add(thoughts),
    };
    UsageCounts {
        input: prompt,
        output,
        cached: n(meta, "cachedContentTokenCount"),
        cache_creation: 0,
        replies: 1,
    }
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
        let text = include_str!("../../../tests/fixtures/gemini-cli-0.61/transcript.jsonl");
        let mut mark = TranscriptMark::default();
        let (c, used) = count_lines(text.as_bytes(), &mut mark);
        assert_eq!((c.input, c.output, c.cached, c.replies), (1200, 40, 300, 1));
        assert_eq!(used as usize, text.len());
    }

    #[test]
    fn qwen_replies_count_as_qwen_counts_them() {
        let text = include_str!(
            "../../../tests/fixtures/qwen-code/captured/block-json/qwen-home/projects/-home-dev-proj/subagents/fcce7c4c-b385-428d-b2f2-9e5bf8d848e0/agent-coder-call_2e2750f6a6ff42afb58bdc2d.jsonl"
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
        // Nonsense counts cannot underflow or count as a number.
        let c = line(r#"{"promptTokenCount":100,"totalTokenCount":10,"candidatesTokenCount":"x"}"#);
        assert_eq!((c.input, c.output, c.replies), (100, 0, 1));
    }
}
