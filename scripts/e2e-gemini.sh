#!/bin/sh
# End-to-end with the real Gemini CLI (pinned, npm-installed under target/), offline with a
# scripted model, through our own installed and linked extension. Needs npm. Exits non-zero
# on the first failed check. --keep leaves the scratch world for inspection.
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
run_gemini "agent: coder\npause the session" "$FIXTURES/fake-responses-state-tools.jsonl" > "$world/out2.txt" 2> "$world/err2.txt" \
    || fail "gemini exited non-zero: $(tail -5 "$world/err2.txt")"
grep -qx 'status: "paused"' "$session" || fail "write-state did not pause the session: $(head -8 "$session")"
cmp -s "$session" "$PROJECT/readback.md" || fail "read-state did not print the file back"
ok "write-state replaced the session file and read-state printed it back"
grep -q '^ERROR: .*active-session.md:2: invalid YAML frontmatter' "$PROJECT/refused.txt" || fail "broken write not refused: $(cat "$PROJECT/refused.txt")"
head -2 "$session" | grep -q '^session_id: "2026-11-20-rest-api-auth"' || fail "refused write damaged the session"
ok "a broken frontmatter from the shell was refused naming line 2, the session intact"
ls -a "$PROJECT/docs/maestro/state" | grep -q 'maestro-tmp' && fail "temp files left behind"

echo "e2e-gemini: $checks passed, 0 failed"
