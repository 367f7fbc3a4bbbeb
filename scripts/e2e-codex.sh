#!/bin/sh
# End-to-end with the real OpenAI Codex CLI (pinned, npm-installed under target/), offline
# against our scripted mock of the Responses API (scripts/codex-mock-responses.py, 127.0.0.1
# only, bounded in requests and time), with the hooks and MCP server that
# `install.sh --codex-home` (`maestro-session setup codex`) registered in a scratch CODEX_HOME.
# One run: the lead spawns a `coder` sub-agent, SubagentStart gives it the session context,
# SubagentStop blocks its report for lacking `## Downstream Context`, Codex re-prompts it and
# the corrected report is allowed. Needs npm and python3 (3.11+).
#
#   sh scripts/e2e-codex.sh [--keep] [--record]
#
# --keep leaves the scratch world for inspection; --record writes the run's hook payloads, our
# answers, the --json stream and the files setup wrote to tests/fixtures/codex/ (paths made
# neutral), for tests/tests/codex_recorded.rs. E2E_NO_BUILD=1 installs the executables an
# earlier run built instead of building them.
set -eu
. "$(dirname -- "$0")/lib.sh"
# E2E_BIN_DIR=DIR: install the executables in DIR (scripts/e2e-dist.sh: a release install) instead of building.
if [ -n "${E2E_BIN_DIR:-}" ]; then export E2E_NO_BUILD=1 MAESTRO_INSTALL_FROM="$E2E_BIN_DIR"; fi

e2e_begin e2e-codex "$@"
CODEX=$(codex_bin)

# HOME, CODEX_HOME and the other homes are the world's (e2e_begin: isolate_home).
PROJECT="$world/proj"
export MAESTRO_HOOKS_DIR="$world/hooks"
export MAESTRO_HOOK_LOG="$world/hook-log.jsonl"
export TMPDIR="$world/tmp"
mkdir -p "$CODEX_HOME" "$PROJECT" "$TMPDIR" "$world/payloads"

checks=0
fail() {
    echo "e2e-codex: FAILED: $*" >&2
    [ -f "$MAESTRO_HOOK_LOG" ] && sed 's/^/  log: /' "$MAESTRO_HOOK_LOG" >&2
    [ -f "$world/stream.jsonl" ] && sed 's/^/  stream: /' "$world/stream.jsonl" | cut -c1-400 >&2
    exit 1
}
ok() { checks=$((checks + 1)); echo "  ok: $*"; }
# log_has HOOK PATTERN...: some log line of HOOK matches every fixed-string PATTERN.
log_has() {
    hook="$1"; shift
    grep -F "\"hook\":\"$hook\"" "$MAESTRO_HOOK_LOG" > "$world/lines" 2>/dev/null || return 1
    for p in "$@"; do grep -F -- "$p" "$world/lines" > "$world/lines.next" || return 1; mv "$world/lines.next" "$world/lines"; done
}

# The mock model. Its scenario adapts to whether Codex offers our MCP server's tools.
python3 "$ROOT/scripts/codex-mock-responses.py" "$ROOT/tests/fixtures/codex/scenario.json" \
    --port-file "$world/port" --log "$world/requests.jsonl" --max-requests 40 --lifetime 240 \
    2> "$world/mock.err" &
mock_pid=$!
i=0
while [ ! -s "$world/port" ]; do
    i=$((i + 1)); [ "$i" -le 100 ] || fail "the mock Responses API did not start: $(cat "$world/mock.err")"
    sleep 0.1
done
port=$(cat "$world/port")

# What the user had before: a provider (the mock), a role, and a hook of their own that
# records every payload. setup codex must keep all of it.
cat > "$CODEX_HOME/config.toml" <<EOF
# e2e: a scripted model on 127.0.0.1 (scripts/codex-mock-responses.py)
model = "mock-model"
model_provider = "mock"

[model_providers.mock]
name = "Mock Responses API"
base_url = "http://127.0.0.1:$port/v1"
env_key = "MOCK_API_KEY"
wire_api = "responses"

[agents.coder]   # the role spawn_agent names
description = "Implements one Maestro phase and ends with a handoff report."
EOF
cp "$CODEX_HOME/config.toml" "$world/config.before"
cat > "$world/capture.sh" <<EOF
#!/bin/sh
# A user's own hook: keeps the payload, answers nothing.
cat > "$world/payloads/\$(date +%s%N)-\$\$.json"
EOF
chmod +x "$world/capture.sh"
python3 - "$world/capture.sh" > "$CODEX_HOME/hooks.json" <<'EOF'
import json, sys
group = [{"hooks": [{"type": "command", "command": sys.argv[1], "timeout": 3}]}]
events = ["SessionStart", "SubagentStart", "SubagentStop", "SessionEnd"]
print(json.dumps({"hooks": {e: group for e in events}}, indent=4))
EOF

prefix="$world/prefix"
bin="$prefix/share/maestro-session/bin"
"$ROOT/install.sh" --prefix "$prefix" --no-link --codex-home "$CODEX_HOME" ${E2E_NO_BUILD:+--no-build} \
    > "$world/install.log" 2>&1 || { cat "$world/install.log" >&2; fail "install.sh"; }
grep -q "^hooks: merged SessionStart, SubagentStart, SubagentStop, SessionEnd" "$world/install.log" \
    || fail "install.sh did not merge the Codex hooks: $(cat "$world/install.log")"
grep -q 'Hooks need review' "$world/install.log" || fail "setup did not say how Codex trusts hooks"
ok "install.sh --codex-home merged the hooks and said that Codex asks to trust them"
export PATH="$bin:$prefix/bin:$PATH"

if maestro-session mcp --help > /dev/null 2>&1; then
    mcp=1
    # Our tools must run in `codex exec` (approval policy never): approve them.
    set -- --approve-tools
    grep -q '^mcp: merged \[mcp_servers.maestro-session\]' "$world/install.log" || fail "no MCP server merged"
else
    mcp=0
    set -- --no-mcp
    echo "  note: maestro-session has no \`mcp\` subcommand on this branch: MCP checks skipped"
fi
setup() {
    maestro-session setup codex --bin-dir "$bin" --mcp-command "$prefix/bin/maestro-session" "$@" > "$world/setup.log" 2>&1 \
        || fail "setup codex $*: $(cat "$world/setup.log")"
}
setup "$@"
cp "$CODEX_HOME/hooks.json" "$world/hooks.once"; cp "$CODEX_HOME/config.toml" "$world/config.once"
setup "$@"
cmp -s "$CODEX_HOME/hooks.json" "$world/hooks.once" && cmp -s "$CODEX_HOME/config.toml" "$world/config.once" \
    || fail "setup codex is not idempotent"
grep -q 'already has' "$world/setup.log" || fail "a second setup did not say nothing changed: $(cat "$world/setup.log")"
ok "setup codex again left hooks.json and config.toml byte-identical"
case "$(cat "$CODEX_HOME/config.toml")" in
    "$(cat "$world/config.before")"*) ;;
    *) fail "config.toml lost what was there: $(cat "$CODEX_HOME/config.toml")" ;;
esac
python3 - "$CODEX_HOME/hooks.json" "$world/capture.sh" "$bin" <<'EOF' || fail "hooks.json is not what setup should write"
import json, sys
hooks, capture, bin_dir = json.load(open(sys.argv[1]))["hooks"], sys.argv[2], sys.argv[3]
ours = {"SessionStart": "session-start", "SubagentStart": "before-agent", "SubagentStop": "after-agent", "SessionEnd": "session-end"}
for event, exe in ours.items():
    groups = hooks[event]
    assert len(groups) == 2, (event, groups)
    assert groups[0]["hooks"][0]["command"] == capture, groups[0]
    assert groups[1]["hooks"] == [{"type": "command", "command": f"{bin_dir}/{exe} --runtime claude",
                                   "timeout": 3 if event == "SessionEnd" else 5}], groups[1]
EOF
ok "the user's own hooks and config keys were kept, ours added after them"

# The project: a git repository with an active Maestro session whose phase names coder.
in_project() { (cd "$PROJECT" && "$@"); }
in_project git init -q .
in_project maestro-session init > /dev/null
in_project maestro-session create "Build the pretty printer" --phase "Implement the parser=coder" > /dev/null
in_project maestro-session phase start active 1 > /dev/null
sid=$(in_project maestro-session --json show active | python3 -c 'import json,sys; print(json.load(sys.stdin)["session_id"])')
cp "$PROJECT/docs/maestro/state/active-session.md" "$world/session.before"

run_codex() { # run_codex OUT PROMPT [codex exec options]
    out="$1"; prompt="$2"; shift 2
    limit=""; command -v timeout >/dev/null 2>&1 && limit="timeout 120"
    (cd "$PROJECT" && env -i PATH="$PATH" HOME="$HOME" CODEX_HOME="$CODEX_HOME" TMPDIR="$TMPDIR" TERM=dumb \
        MOCK_API_KEY=offline-fake MAESTRO_HOOKS_DIR="$MAESTRO_HOOKS_DIR" MAESTRO_HOOK_LOG="$MAESTRO_HOOK_LOG" \
        $limit "$CODEX" exec --json "$@" "$prompt" < /dev/null > "$world/$out.jsonl" 2> "$world/$out.err")
}

echo "run 1: untrusted hooks do not run in codex exec"
run_codex gate "TRUST-GATE: just answer." || fail "codex exec exited $?: $(tail -5 "$world/gate.err")"
[ ! -e "$MAESTRO_HOOK_LOG" ] || fail "a hook ran without trust: $(cat "$MAESTRO_HOOK_LOG")"
[ -z "$(ls "$world/payloads")" ] || fail "the user's hook ran without trust"
grep -q '"type":"turn.completed"' "$world/gate.jsonl" || fail "the turn did not complete: $(cat "$world/gate.jsonl")"
ok "without trust (and without --dangerously-bypass-hook-trust) Codex ran no hook and said nothing"

echo "run 2: spawn coder, SubagentStop blocks the report lacking ## Downstream Context, the retry is allowed"
run_codex stream "MAESTRO-LEAD: run phase 1 with the coder." --dangerously-bypass-hook-trust \
    || fail "codex exec exited non-zero: $(tail -5 "$world/stream.err")"
log_has session-start '"answer":{}' || fail "session-start did not run"
log_has before-agent '"agent":"coder"' '"hookEventName":"SubagentStart"' "Maestro session $sid" 'Implement the parser' \
    || fail "before-agent did not record coder with the session context"
ok "SubagentStart: before-agent recorded coder and gave the context of session $sid"
log_has after-agent '"agent":"coder"' '"decision":"block"' 'Missing Downstream Context section' \
    || fail "after-agent did not block the incomplete report"
[ "$(grep -c '"hook":"after-agent"' "$MAESTRO_HOOK_LOG")" = 2 ] || fail "Codex did not re-prompt the sub-agent after the block"
[ "$(grep '"hook":"after-agent"' "$MAESTRO_HOOK_LOG" | tail -1 | grep -c '"decision":"block"')" = 0 ] \
    || fail "the retry was blocked again"
ok "SubagentStop: after-agent blocked the report, Codex re-prompted, the corrected report was allowed"
log_has session-end '"answer":{}' || fail "session-end did not run"
[ ! -e "$MAESTRO_HOOKS_DIR/$(sed -n 's/.*"hook":"session-end","session_id":"\([^"]*\)".*/\1/p' "$MAESTRO_HOOK_LOG")" ] \
    || fail "session-end left the hook-state folder"
if grep -F '"errors":["' "$MAESTRO_HOOK_LOG" >/dev/null; then fail "a hook reported an error"; fi
ok "SessionStart and SessionEnd ran; no hook reported an error; the hook-state folder is gone"

python3 - "$world/stream.jsonl" "$world/requests.jsonl" "$mcp" <<'EOF' || fail "the --json stream or the model's requests are not as expected"
import json, sys
stream = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
requests = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
mcp = sys.argv[3] == "1"
items = [e["item"] for e in stream if e.get("type") == "item.completed"]
bypass = "`--dangerously-bypass-hook-trust` is enabled"
hook_errors = [i["message"] for i in items if i["type"] == "error"
               and "hook" in i["message"].lower() and not i["message"].startswith(bypass)]
assert not hook_errors, f"hook error items: {hook_errors}"
assert not any(i["type"] == "error" and "mcp" in i["message"].lower() for i in items), "MCP error item"
waits = [i for i in items if i["type"] == "collab_tool_call" and i["tool"] == "wait"]
reports = [s["message"] for w in waits for s in w["agents_states"].values()]
assert any("## Downstream Context" in (r or "") for r in reports), f"no corrected report: {reports}"
assert any(i["type"] == "agent_message" and i["text"] == "Phase 1 is done." for i in items)
assert stream[-1]["type"] == "turn.completed", stream[-1]
# What the sub-agent was told: our context (developer message), then our block reason.
sub = [r["body"] for r in requests if r["turn"].startswith("coder-")]
assert len(sub) == 2, [r["turn"] for r in requests]
assert "Maestro session" in json.dumps(sub[0]["input"]), "the context did not reach the sub-agent"
last = json.dumps(sub[1]["input"][-1])
assert "<hook_prompt" in last and "Missing Downstream Context section" in last, last
if mcp:
    calls = [i for i in items if i["type"] == "mcp_tool_call"]
    # Answered by the server (a tool-level error would still carry a result), not refused by Codex.
    assert calls and calls[0]["server"] == "maestro-session" and calls[0]["error"] is None, calls
    lead = [r for r in requests if r["turn"].startswith("lead-")]
    offered = [t.get("name") for t in lead[0]["body"].get("tools", [])]
    assert "mcp__maestro_session" in offered, offered
EOF
ok "the --json stream has no hook error; the sub-agent got our context and our block reason"
if [ "$mcp" = 1 ]; then
    ok "Codex started maestro-session mcp, offered its tools and the lead's get_session_status call reached it"
fi
notokens "$PROJECT/docs/maestro/state/active-session.md" > "$world/session.after.cmp"
notokens "$world/session.before" > "$world/session.before.cmp"
cmp -s "$world/session.after.cmp" "$world/session.before.cmp" \
    || fail "the hooks changed the session file beyond token accounting: $(diff "$world/session.before.cmp" "$world/session.after.cmp" | head -20)"
in_project maestro-session --json show active \
    | python3 -c 'import json,sys; sys.exit(0 if "coder" in json.load(sys.stdin).get("transcript_usage", {}).get("by_agent", {}) else 1)' \
    || fail "SubagentStop did not count the coder's tokens from its Codex rollout"
ok "the hooks changed the session only to count the coder's tokens from its real Codex rollout"

if [ "$record" = 1 ]; then
    fixtures="$ROOT/tests/fixtures/codex"
    neutral() { sed -e "s|$PROJECT|/home/dev/proj|g" -e "s|$HOME|/home/dev|g" -e "s|$world|/tmp/e2e-codex|g"; }
    rm -f "$fixtures"/[0-9][0-9]-*.json
    python3 - "$world/payloads" "$MAESTRO_HOOK_LOG" "$world/recorded" <<'EOF' || fail "recording"
import json, os, sys
src, log, out = sys.argv[1:]
os.makedirs(out, exist_ok=True)
exe = {"SessionStart": "session-start", "SubagentStart": "before-agent", "SubagentStop": "after-agent", "SessionEnd": "session-end"}
answers = [json.loads(l) for l in open(log)]
payloads = [open(os.path.join(src, f)).read() for f in sorted(os.listdir(src), key=lambda f: int(f.split("-")[0]))]
assert len(payloads) == len(answers), (len(payloads), len(answers))
for n, (raw, line) in enumerate(zip(payloads, answers), 1):
    hook = exe[json.loads(raw)["hook_event_name"]]
    assert hook == line["hook"], (n, hook, line["hook"])
    open(os.path.join(out, f"{n:02d}-{hook}.json"), "w").write(raw)
    open(os.path.join(out, f"{n:02d}-{hook}.answer.json"), "w").write(json.dumps(line["answer"]) + "\n")
EOF
    for f in "$world/recorded"/*; do neutral < "$f" > "$fixtures/$(basename "$f")"; done
    neutral < "$world/stream.jsonl" > "$fixtures/stream.jsonl"
    neutral < "$world/session.before" > "$fixtures/active-session.md"
    neutral < "$CODEX_HOME/hooks.json" > "$fixtures/hooks.json"
    sed "s|127.0.0.1:$port|127.0.0.1:PORT|" "$CODEX_HOME/config.toml" | neutral > "$fixtures/config.toml"
    echo "  recorded $(ls "$world/recorded" | grep -vc answer) payloads into $fixtures"
fi

echo "e2e-codex: $checks passed, 0 failed ($(( $(date +%s) - started ))s)"
