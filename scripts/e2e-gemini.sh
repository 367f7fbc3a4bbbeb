#!/bin/sh
# End-to-end with the real Gemini CLI (pinned, npm-installed under target/), offline with a
# scripted model, through our own installed and linked extension. Needs npm. Exits non-zero
# on the first failed check. --keep leaves the scratch world for inspection; E2E_NO_BUILD=1
# installs the executables an earlier run built instead of building them.
set -eu
. "$(dirname -- "$0")/lib.sh"
# E2E_BIN_DIR=DIR: install the executables in DIR (scripts/e2e-dist.sh: a release install) instead of building.
if [ -n "${E2E_BIN_DIR:-}" ]; then export E2E_NO_BUILD=1 MAESTRO_INSTALL_FROM="$E2E_BIN_DIR"; fi

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

# sent_prompt SHOWN: the text Gemini CLI sent to the model for the user message it recorded as
# SHOWN (a slash command as typed): its chat recording ($HOME/.gemini/tmp/<project>/chats/
# session-*.jsonl) keeps the sent parts as `content` and the typed line as `displayContent`.
# Exactly one such message must exist: fresh_chats clears the recordings before each run.
fresh_chats() { rm -rf "$HOME"/.gemini/tmp/*/chats; }
sent_prompt() {
    node -e '
const fs = require("fs"), path = require("path");
const [root, shown] = process.argv.slice(1);
const sent = [];
for (const project of fs.readdirSync(root)) {
  const chats = path.join(root, project, "chats");
  if (!fs.existsSync(chats)) continue;
  for (const f of fs.readdirSync(chats).filter(n => /^session-.*\.jsonl$/.test(n))) {
    for (const line of fs.readFileSync(path.join(chats, f), "utf8").split("\n")) {
      let m; try { m = JSON.parse(line); } catch { continue; }
      const typed = (m.displayContent || []).map(p => p.text || "").join("");
      if (m.type === "user" && typed === shown) sent.push(m.content.map(p => p.text || "").join(""));
    }
  }
}
if (sent.length !== 1) { console.error(sent.length + " recorded messages typed as " + shown); process.exit(1); }
process.stdout.write(sent[0]);
' "$HOME/.gemini/tmp" "$1"
}
# state_is SENT EXPECTED: the text between the <session-state> tags of the sent prompt in file
# SENT is the text of file EXPECTED, whose final newline Gemini CLI drops. Gemini CLI 0.61 may
# add one line after a command's output, `[Shell command ... terminated by signal 0]` (a pty's
# exit signal 0 taken for a signal); it is not part of what our executable printed.
state_is() {
    node -e '
const fs = require("fs");
const sent = fs.readFileSync(process.argv[1], "utf8");
const want = fs.readFileSync(process.argv[2], "utf8").replace(/\n$/, "");
const m = sent.match(/\n<session-state>\n([\s\S]*?)\n<\/session-state>\n/);
if (!m) { console.error("no <session-state> block in: " + sent); process.exit(1); }
const got = m[1].replace(/\n\[Shell command [^\n]* terminated by signal 0\]$/, "");
if (got !== want) { console.error("session state " + JSON.stringify(got) + " is not " + JSON.stringify(want)); process.exit(1); }
' "$1" "$2"
}
# has_text FILE TEXT: FILE contains TEXT (which may span lines).
has_text() { node -e 'process.exit(require("fs").readFileSync(process.argv[1], "utf8").includes(process.argv[2]) ? 0 : 1)' "$1" "$2"; }

prefix="$world/prefix"
bin="$prefix/share/maestro-session/bin"
PATH="$(dirname "$GEMINI"):$PATH" "$ROOT/install.sh" --prefix "$prefix" ${E2E_NO_BUILD:+--no-build} > "$world/install.log" 2>&1 \
    || { cat "$world/install.log" >&2; fail "install.sh"; }
grep -q 'linked successfully' "$world/install.log" || fail "extension not linked: $(cat "$world/install.log")"
ok "installed and linked the extension $prefix/share/maestro-session"
read_tool="$(cd "$bin" && pwd -P)/read-active-session"
policy="$HOME/.gemini/policies/maestro-session.toml"
grep -qxF "commandPrefix = \"$read_tool\"" "$policy" || fail "no rule for $read_tool in $policy: $(cat "$policy" 2>&1)"
grep -qxF 'decision = "allow"' "$policy" && grep -qxF 'priority = 100' "$policy" || fail "policy rule: $(cat "$policy")"
grep -qF "Gemini CLI user policy $policy: written" "$world/install.log" || fail "install.sh did not say it wrote $policy: $(cat "$world/install.log")"
grep -qF 'Gemini CLI ignores allow rules from extensions' "$world/install.log" || fail "install.sh did not say why"
ok "install.sh wrote the user policy allowing $read_tool and said why"
for c in status resume archive; do
    grep -qF "!{$read_tool}" "$prefix/share/maestro-session/commands/maestro/$c.toml" || fail "commands/maestro/$c.toml does not run $read_tool"
done
ok "commands/maestro/{status,resume,archive}.toml run $read_tool in their !{...} block"
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
# read-state printed the file as write-state left it; AfterAgent then added the turn's tokens
# from Gemini's chat record (transcript_usage), so compare with the token lines left out.
notokens "$session" > "$world/session.cmp"; notokens "$PROJECT/readback.md" > "$world/readback.cmp"
cmp -s "$world/session.cmp" "$world/readback.cmp" || fail "read-state did not print the file back: $(diff "$world/readback.cmp" "$world/session.cmp" | head -20)"
ok "write-state replaced the session file and read-state printed it back"
grep -q '^transcript_usage:' "$session" && grep -qF '/.gemini/tmp/' "$session" \
    || fail "AfterAgent did not count the turn's tokens from Gemini's chat record: $(sed -n '/^token_usage:/,/^[a-z]/p' "$session")"
ok "AfterAgent counted the turn's tokens from Gemini's chat record (transcript_usage)"
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

echo "scenario 4: install.sh again changes nothing: same policy, same command files"
cp "$policy" "$world/policy.before"
cp "$prefix/share/maestro-session/commands/maestro/status.toml" "$world/status.before"
PATH="$(dirname "$GEMINI"):$PATH" "$ROOT/install.sh" --prefix "$prefix" --no-build > "$world/install2.log" 2>&1 \
    || { cat "$world/install2.log" >&2; fail "install.sh (again)"; }
cmp -s "$policy" "$world/policy.before" || fail "the policy changed on reinstall: $(diff "$world/policy.before" "$policy")"
cmp -s "$prefix/share/maestro-session/commands/maestro/status.toml" "$world/status.before" || fail "status.toml changed on reinstall"
grep -qF "Gemini CLI user policy $policy: unchanged" "$world/install2.log" || fail "reinstall did not report the policy unchanged: $(cat "$world/install2.log")"
ok "the reinstall left the policy and the commands byte for byte as they were"

echo "scenario 5: /maestro:status without an active session, in default approval mode (the policy allows the !{...} block)"
[ ! -e "$session" ] || fail "an active session is left from scenario 3"
: > "$MAESTRO_HOOK_LOG"; fresh_chats
GEMINI_APPROVAL=default run_gemini "/maestro:status" "$FIXTURES/fake-responses-status.jsonl" > "$world/out5.txt" 2> "$world/err5.txt" \
    || fail "gemini exited non-zero: $(tail -5 "$world/err5.txt")"
sent_prompt /maestro:status > "$world/sent5.txt" || fail "no recorded /maestro:status message"
printf 'No active session\n' > "$world/none.txt"
state_is "$world/sent5.txt" "$world/none.txt" || fail "the literal No active session did not reach the model"
grep -qF 'Report the state of the active Maestro orchestration session.' "$world/sent5.txt" || fail "the status prompt did not reach the model"
grep -qF 'Summary of the Maestro session state' "$world/out5.txt" || fail "no reply: $(cat "$world/out5.txt")"
ok "the model got exactly the line No active session between <session-state> tags"

echo "scenario 6: /maestro:resume <id> hands the id to the model, which resumes the session with maestro-session"
fresh_chats
run_gemini "/maestro:resume 2026-11-20-rest-api-auth" "$FIXTURES/fake-responses-resume.jsonl" > "$world/out6.txt" 2> "$world/err6.txt" \
    || fail "gemini exited non-zero: $(tail -5 "$world/err6.txt")"
sent_prompt "/maestro:resume 2026-11-20-rest-api-auth" > "$world/sent6.txt" || fail "no recorded /maestro:resume message"
has_text "$world/sent6.txt" "$(printf '<user-request>\n2026-11-20-rest-api-auth\n</user-request>')" || fail "the id did not reach the model: $(cat "$world/sent6.txt")"
state_is "$world/sent6.txt" "$world/none.txt" || fail "resume: the session state was not No active session"
grep -qF "$(cd "$prefix/bin" && pwd -P)/maestro-session resume <session id>" "$world/sent6.txt" || fail "the prompt does not name maestro-session resume by path"
head -8 "$session" | grep -qx 'status: "in_progress"' || fail "the session was not resumed: $(head -8 "$session" 2>&1)"
ok "the id reached the model between <user-request> tags and the session is active again, in progress"

echo "scenario 7: /maestro:status with an active session, in default approval mode"
# The log quotes an agent the way an error record can: the hooks must not take the session
# state in the prompt for a delegation and hold the status reply to a handoff report.
printf '\nagent: coder\n' >> "$session"
# The model sees the file as it is now; AfterAgent then records the turn's transcript offset.
cp "$session" "$world/status-session.md"
: > "$MAESTRO_HOOK_LOG"; fresh_chats
GEMINI_APPROVAL=default run_gemini "/maestro:status" "$FIXTURES/fake-responses-status.jsonl" > "$world/out7.txt" 2> "$world/err7.txt" \
    || fail "gemini exited non-zero: $(tail -5 "$world/err7.txt")"
sent_prompt /maestro:status > "$world/sent7.txt" || fail "no recorded /maestro:status message"
state_is "$world/sent7.txt" "$world/status-session.md" || fail "the session file did not reach the model"
has_text "$world/sent7.txt" "$(printf '<session-state>\n---\nsession_id: "2026-11-20-rest-api-auth"\n')" || fail "the frontmatter does not open the session state"
log_has before-agent '"agent":null' || fail "before-agent took the session state for a delegation"
log_has after-agent '"answer":{"decision":"allow"}' || fail "after-agent did not allow the status reply"
ok "the session file, frontmatter first, reached the model between <session-state> tags, byte for byte"

echo "scenario 8: /maestro:archive shows the session to the model, which archives it with maestro-session"
cp "$session" "$world/archived-session.md"
fresh_chats
run_gemini "/maestro:archive" "$FIXTURES/fake-responses-archive.jsonl" > "$world/out8.txt" 2> "$world/err8.txt" \
    || fail "gemini exited non-zero: $(tail -5 "$world/err8.txt")"
sent_prompt /maestro:archive > "$world/sent8.txt" || fail "no recorded /maestro:archive message"
state_is "$world/sent8.txt" "$world/archived-session.md" || fail "archive: the session file did not reach the model"
[ ! -e "$session" ] && [ -f "$PROJECT/docs/maestro/state/archive/2026-11-20-rest-api-auth.md" ] || fail "the session was not archived"
[ "$(cd "$PROJECT" && "$bin/read-active-session")" = "No active session" ] || fail "read-active-session still finds a session"
ok "the model saw the session and archived it; read-active-session prints No active session again"

echo "scenario 9: without the user policy, gemini -p refuses the command's !{...} block"
mv "$policy" "$world/policy.aside"
fresh_chats
if GEMINI_APPROVAL=default run_gemini "/maestro:status" "$FIXTURES/fake-responses-status.jsonl" > "$world/out9.txt" 2> "$world/err9.txt"; then
    mv "$world/policy.aside" "$policy"; fail "gemini ran /maestro:status without the policy"
fi
mv "$world/policy.aside" "$policy"
grep -qF "Blocked command: \"$read_tool\". Reason: Blocked by policy." "$world/err9.txt" || fail "unexpected refusal: $(tail -5 "$world/err9.txt")"
ok "Gemini CLI blocked $read_tool by policy: the user policy is what lets the command run"

echo "scenario 10: the scripted model calls get_session_status on the extension's MCP server"
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
