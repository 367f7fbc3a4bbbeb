#!/bin/sh
# End-to-end with the real Gemini CLI (pinned, npm-installed under target/), offline with a
# scripted model, through our own installed and linked extension. Needs npm. Exits non-zero
# on the first failed check. --keep leaves the scratch world for inspection; E2E_NO_BUILD=1
# installs the executables an earlier run built instead of building them.
set -eu
. "$(dirname -- "$0")/lib.sh"

keep=0
[ "${1:-}" = "--keep" ] && keep=1
GEMINI=$(gemini_bin)
world=$(mktemp -d)
[ "$keep" = 1 ] && echo "scratch world: $world" || trap 'rm -rf "$world"' EXIT
scratch_world "$world"
export MAESTRO_HOOK_LOG="$world/hooks.log"

checks=0
fail() { echo "e2e-gemini: FAILED: $*" >&2; [ -f "$MAESTRO_HOOK_LOG" ] && sed 's/^/  log: /' "$MAESTRO_HOOK_LOG" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "  ok: $*"; }
# log_has HOOK PATTERN...: some log line of HOOK matches every fixed-string PATTERN.
log_has() {
    hook="$1"; shift
    grep -F "\"hook\":\"$hook\"" "$MAESTRO_HOOK_LOG" > "$world/lines" || return 1
    for p in "$@"; do grep -F -- "$p" "$world/lines" > "$world/lines.next" || return 1; mv "$world/lines.next" "$world/lines"; done
}

prefix="$world/prefix"
bin="$prefix/share/maestro-session/bin"
PATH="$(dirname "$GEMINI"):$PATH" "$ROOT/install.sh" --prefix "$prefix" ${E2E_NO_BUILD:+--no-build} > "$world/install.log" 2>&1 \
    || { cat "$world/install.log" >&2; fail "install.sh"; }
grep -q 'linked successfully' "$world/install.log" || fail "extension not linked: $(cat "$world/install.log")"
ok "installed and linked the extension $prefix/share/maestro-session"
export PATH="$bin:$prefix/bin:$PATH"

echo "scenario 1: BeforeAgent records coder, AfterAgent denies the incomplete report, the retry is allowed"
run_gemini "delegate to coder: implement phase 2" "$FIXTURES/fake-responses-deny-retry.jsonl" > "$world/out1.txt" 2> "$world/err1.txt" \
    || fail "gemini exited non-zero: $(tail -5 "$world/err1.txt")"
log_has session-start '"answer":{}' || fail "session-start did not run"
log_has before-agent '"agent":"coder"' 'Maestro session 2026-11-20-rest-api-auth: status in_progress' || fail "before-agent did not record coder with context"
ok "before-agent recorded coder and gave the session context"
log_has after-agent '"agent":"coder"' '"decision":"deny"' 'Missing Downstream Context section' || fail "after-agent did not deny"
ok "after-agent denied the report lacking ## Downstream Context"
[ "$(grep -c '"hook":"before-agent"' "$MAESTRO_HOOK_LOG")" = 2 ] || fail "Gemini did not re-prompt after the deny"
log_has after-agent '"decision":"allow"' || fail "the retry was not allowed"
grep -q '## Downstream Context' "$world/out1.txt" || fail "final reply lacks the corrected report: $(cat "$world/out1.txt")"
ok "Gemini retried and the corrected report was allowed"
log_has session-end '"answer":{}' || fail "session-end did not run"
sid=$(grep -F '"hook":"session-end"' "$MAESTRO_HOOK_LOG" | sed 's/.*"session_id":"\([^"]*\)".*/\1/')
[ -n "$sid" ] && [ ! -e "$MAESTRO_HOOKS_DIR/$sid" ] || fail "session-end left $MAESTRO_HOOKS_DIR/$sid"
ok "session-end removed the hook-state folder of $sid"
if grep -F '"errors":["' "$MAESTRO_HOOK_LOG" >/dev/null; then fail "a hook reported an error"; fi

echo "scenario 2: the model calls run_shell_command with read-state and write-state on the session file"
session="$PROJECT/docs/maestro/state/active-session.md"
run_gemini "$(printf 'agent: coder\npause the session')" "$FIXTURES/fake-responses-state-tools.jsonl" > "$world/out2.txt" 2> "$world/err2.txt" \
    || fail "gemini exited non-zero: $(tail -5 "$world/err2.txt")"
grep -qx 'status: "paused"' "$session" || fail "write-state did not pause the session: $(head -8 "$session")"
cmp -s "$session" "$PROJECT/readback.md" || fail "read-state did not print the file back"
ok "write-state replaced the session file and read-state printed it back"
grep -q '^ERROR: .*active-session.md:2: invalid YAML frontmatter' "$PROJECT/refused.txt" || fail "broken write not refused: $(cat "$PROJECT/refused.txt")"
head -2 "$session" | grep -q '^session_id: "2026-11-20-rest-api-auth"' || fail "refused write damaged the session"
ok "a broken frontmatter from the shell was refused naming line 2, the session intact"
ls -a "$PROJECT/docs/maestro/state" | grep -q 'maestro-tmp' && fail "temp files left behind"

echo "scenario 3: the scripted model drives the orchestration with maestro-session while the hooks run"
: > "$MAESTRO_HOOK_LOG"
run_gemini "$(printf 'agent: coder\nimplement the parser as a new orchestration')" "$FIXTURES/fake-responses-orchestration.jsonl" > "$world/out3.txt" 2> "$world/err3.txt" \
    || fail "gemini exited non-zero: $(tail -5 "$world/err3.txt")"
[ ! -e "$session" ] || fail "the new session was not archived: $(head -12 "$session")"
archived=$(ls "$PROJECT"/docs/maestro/state/archive/*-add-a-parser.md 2>/dev/null | head -1)
[ -n "$archived" ] || fail "no archived add-a-parser session: $(ls "$PROJECT/docs/maestro/state/archive")"
in_project() { (cd "$PROJECT" && "$@"); }
in_project maestro-session --json show add-a-parser > /dev/null 2>&1 && fail "a bare task word must not match an id prefix"
id=$(basename "$archived" .md)
in_project maestro-session --json show "$id" > "$world/final.json" || fail "show $id"
node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const want = (c, m) => { if (!c) { console.error("e2e-gemini: FAILED: " + m); process.exit(1); } };
want(s.status === "completed" && s.location === "archive", "status/location " + s.status + "/" + s.location);
want(s.phases[0].status === "completed" && s.phases[0].files_created[0] === "src/parser.rs", "phase 1 " + JSON.stringify(s.phases[0]));
want(s.phases[0].downstream_context.key_interfaces_introduced[0] === "parse(&str) -> Ast", "downstream context");
want(s.phases[1].status === "skipped", "phase 2 " + s.phases[1].status);
want(s.token_usage.by_agent.coder.input === 1200 && s.token_usage.total_cached === 300, "tokens " + JSON.stringify(s.token_usage));
' "$world/final.json" || fail "archived session content"
grep -q '^## Phase 1: Write the parser ✅' "$archived" || fail "no phase 1 log section in $archived"
ok "create, phase start, tokens, files, context, phase complete, skip, status and archive ran from the model's shell calls"
in_project maestro-session --json show 2026-11-20-rest-api-auth | grep -q '"status": "paused"' || fail "the parked session is not archived as paused"
ok "the earlier active session was parked in the archive as paused"
log_has before-agent '"agent":"coder"' 'Maestro session 2026-11-20-rest-api-auth: status paused' || fail "before-agent context did not show the session"
log_has after-agent '"answer":{"decision":"allow"}' || fail "the final report was not allowed"
if grep -F '"errors":["' "$MAESTRO_HOOK_LOG" >/dev/null; then fail "a hook reported an error"; fi
ok "the hooks ran alongside: BeforeAgent gave the context, AfterAgent allowed the report"

echo "scenario 4: the scripted model calls get_session_status on the extension's MCP server"
in_project maestro-session resume 2026-11-20-rest-api-auth > /dev/null || fail "resume the fixture session"
run_gemini "what is the state of the orchestration?" "$FIXTURES/fake-responses-mcp-status.jsonl" > "$world/out4.txt" 2> "$world/err4.txt" \
    || fail "gemini exited non-zero: $(tail -5 "$world/err4.txt")"
# The chat recording holds each tool call with the function response the model was sent.
node -e '
const fs = require("fs"), path = require("path");
const files = [];
const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); e.isDirectory() ? walk(p) : files.push(p); } };
walk(process.argv[1]);
const calls = [];
for (const f of files.filter((f) => /chats/.test(f))) for (const line of fs.readFileSync(f, "utf8").split("\n")) {
  let m; try { m = JSON.parse(line); } catch { continue; }
  for (const msg of [m, ...((m.$set && m.$set.messages) || [])]) for (const c of (msg && msg.toolCalls) || []) calls.push(c);
}
const call = calls.find((c) => c.name === "mcp_maestro-session_get_session_status");
if (!call) { console.error("no get_session_status call recorded; calls: " + JSON.stringify(calls.map((c) => c.name))); process.exit(1); }
// The MCP text block as sent to the model (Gemini CLI 0.61 wraps it in <untrusted_context>):
// find the JSON object it holds.
const objects = [];
const visit = (v) => {
  if (typeof v === "string") { try { const o = JSON.parse(v.slice(v.indexOf("{"), v.lastIndexOf("}") + 1)); if (o && typeof o === "object") objects.push(o); } catch {} }
  else if (v && typeof v === "object") Object.values(v).forEach(visit);
};
visit(call.result);
const status = objects.find((o) => o.exists === true);
if (call.status !== "success" || !status || status.session_id !== "2026-11-20-rest-api-auth" || status.current_phase !== 2 || status.phases.length !== 3) {
  console.error("unexpected " + call.status + " result " + JSON.stringify(call.result)); process.exit(1);
}
' "$HOME/.gemini/tmp" || fail "the tool result did not reach the conversation"
ok "Gemini CLI started maestro-session mcp from the extension; the model called mcp_maestro-session_get_session_status and got the session's status"
grep -q '## Downstream Context' "$world/out4.txt" || fail "no final reply after the tool call: $(cat "$world/out4.txt")"

echo "e2e-gemini: $checks passed, 0 failed"
