#!/bin/sh
# End-to-end with the real Claude Code (pinned, npm-installed under target/), offline: its model
# is scripts/mock-messages-api.py on 127.0.0.1, scripted by tests/fixtures/claude-code/model/.
# Scenarios: block-retry (a coder's incomplete report is blocked, retried, allowed), resume
# (--resume fires SessionStart with source resume), parallel (a coder and a tester of different
# phases each get their own phase's context), builtin (the built-in Explore sub-agent is let
# through and the lead gets its real answer), plugin (the installed plugin folder, loaded with
# --plugin-dir, registers the hooks, the MCP server and /maestro-session:status).
#
# Everything happens in a temp folder: HOME, project, TMPDIR, hook base and install prefix;
# Claude Code runs under `env -i` with an explicit environment. Needs npm (once) and python3.
# Exits non-zero on the first failed check.
#   --keep           leave the scratch world for inspection
#   --record         also copy the hook payloads and answers into tests/fixtures/claude-code/recorded/
#   E2E_NO_BUILD=1   install the executables an earlier build made instead of building them
set -eu
. "$(dirname -- "$0")/lib.sh"
# E2E_BIN_DIR=DIR: install the executables in DIR (scripts/e2e-dist.sh: a release install) instead of building.
if [ -n "${E2E_BIN_DIR:-}" ]; then export E2E_NO_BUILD=1 MAESTRO_INSTALL_FROM="$E2E_BIN_DIR"; fi

e2e_begin e2e-claude "$@"
CLAUDE=$(claude_bin)
FIX="$ROOT/tests/fixtures/claude-code"

home="$world/home"
proj="$home/proj"
hooks="$world/hooks"
log="$world/hooks.log"
cap="$world/capture"
mkdir -p "$home" "$proj/.claude/agents" "$world/tmp" "$hooks" "$cap" "$world/rec"
chmod 700 "$hooks"

checks=0
scenario=
fail() {
    echo "e2e-claude: FAILED ($scenario): $*" >&2
    [ -f "$log" ] && sed 's/^/  log: /' "$log" >&2
    exit 1
}
ok() { checks=$((checks + 1)); echo "  ok: $*"; }
# log_has HOOK PATTERN...: some hook-log line of HOOK holds every fixed-string PATTERN.
log_has() {
    hook="$1"; shift
    grep -F "\"hook\":\"$hook\"" "$log" > "$world/lines" || return 1
    for p in "$@"; do
        grep -F -- "$p" "$world/lines" > "$world/lines.next" || return 1
        mv "$world/lines.next" "$world/lines"
    done
}
log_count() { grep -cF "\"hook\":\"$1\"" "$log" || true; }

# --- install, exactly as users do
prefix="$world/prefix"
ext="$prefix/share/maestro-session"
"$ROOT/install.sh" --prefix "$prefix" --no-link ${E2E_NO_BUILD:+--no-build} > "$world/install.log" 2>&1 \
    || { cat "$world/install.log" >&2; fail "install.sh"; }
bin="$ext/bin"
cli="$prefix/bin/maestro-session"
plugin="$ext/claude-plugin"
grep -qF "claude --plugin-dir $plugin" "$world/install.log" || fail "install.sh did not say how to load the plugin"
for f in .claude-plugin/plugin.json hooks/hooks.json .mcp.json commands/status.md; do
    [ -s "$plugin/$f" ] || fail "the plugin folder lacks $f"
done
ok "install.sh placed the plugin folder $plugin and said how to load it"

# --- the project: a git repo with the two specialists and a two-phase Maestro session
cp "$FIX/agents/coder.md" "$FIX/agents/tester.md" "$proj/.claude/agents/"
git -C "$proj" init -q
(
    cd "$proj"
    "$cli" init > /dev/null
    "$cli" create "Build the pretty printer" \
        --phase "Implement the parser=coder" --phase "Test the parser=tester" > /dev/null
    "$cli" phase start active 1 > /dev/null
    "$cli" context active 1 --interface "parse(&str) -> Ast" > /dev/null
    "$cli" error add active 1 --agent coder --type validation --message "E2E-ERROR: cargo test fails" > /dev/null
) || fail "creating the session"
session_file="$proj/docs/maestro/state/active-session.md"
sid_maestro=$(cd "$proj" && "$cli" --json show active | python3 -c 'import json,sys; print(json.load(sys.stdin)["session_id"])')
[ -n "$sid_maestro" ] || fail "no session id in $session_file"

# Hooks from the project's settings go through recording wrappers: each keeps the payload, the
# answer and the sub-agent records left after the hook, then answers what the hook answered.
for exe in session-start before-agent after-agent session-end; do
    cat > "$world/rec/$exe" <<WRAP
#!/bin/sh
n="$cap/\$(date +%s%N)-\$\$-$exe"
cat > "\$n.json"
"$bin/$exe" "\$@" < "\$n.json" > "\$n.answer.json"
rc=\$?
( cd "$hooks" && ls -1 */agents 2>/dev/null | grep -v '^\$' | grep -v ':\$' | sort ) > "\$n.agents"
cat "\$n.answer.json"
exit \$rc
WRAP
    chmod +x "$world/rec/$exe"
done
settings_with_hooks() {
    rm -f "$proj/.claude/settings.json"
    "$cli" setup claude --bin-dir "$world/rec" --settings "$proj/.claude/settings.json" || fail "setup claude"
}
settings_without_hooks() { printf '{}\n' > "$proj/.claude/settings.json"; }

# start_mock SCRIPT: the project's own mock Messages API, bounded in requests and time.
start_mock() {
    rm -f "$world/port" "$world/requests.jsonl"
    python3 "$ROOT/scripts/mock-messages-api.py" --script "$1" --log "$world/requests.jsonl" \
        --port-file "$world/port" --max-requests 60 --max-seconds 240 > "$world/mock.out" 2>&1 &
    mock_pid=$!
    i=0
    while [ ! -s "$world/port" ]; do
        i=$((i + 1)); [ "$i" -le 100 ] || fail "the mock did not start: $(cat "$world/mock.out")"
        sleep 0.1
    done
}
stop_mock() { [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null; wait "$mock_pid" 2>/dev/null || true; mock_pid=; }

# run_claude TAG PROMPT [ARGS...]: claude -p in the project, offline, environment explicit.
run_claude() {
    tag="$1"; prompt="$2"; shift 2
    (cd "$proj" && env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" TMPDIR="$world/tmp" \
        TERM=dumb LANG=C.UTF-8 \
        ANTHROPIC_BASE_URL="http://127.0.0.1:$(cat "$world/port")" ANTHROPIC_API_KEY=sk-ant-e2e-offline \
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 \
        DISABLE_ERROR_REPORTING=1 \
        MAESTRO_HOOKS_DIR="$hooks" MAESTRO_HOOK_LOG="$log" \
        timeout 180 "$CLAUDE" -p "$prompt" --output-format stream-json --verbose \
        --include-hook-events --max-turns 8 "$@" > "$world/stream-$tag.jsonl" 2> "$world/claude-$tag.err") \
        || fail "claude exited non-zero: $(tail -5 "$world/claude-$tag.err")"
    stop_mock
}

# check PYTHON-BODY [ARGS...]: runs a check over the world's files; reqs(), stream(tag),
# caps(hook) are defined; the body calls want(condition, message).
check() {
    body="$1"; shift
    python3 - "$world" "$@" <<PY || fail "see above"
import json, os, sys
world = sys.argv[1]
args = sys.argv[2:]
def want(cond, msg):
    if not cond:
        print("e2e-claude: check failed: " + msg, file=sys.stderr)
        sys.exit(1)
def reqs():
    out = []
    for line in open(os.path.join(world, "requests.jsonl")):
        r = json.loads(line)
        if isinstance(r.get("body"), dict) and "messages" in r["body"]:
            out.append(r)
    return out
def text(v):
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "\n".join(text(x) for x in v)
    if isinstance(v, dict):
        return "\n".join(text(x) for k, x in v.items() if k in ("text", "content"))
    return ""
def system(r):
    return text(r["body"].get("system", ""))
def convo(r):
    return "\n".join(text(m.get("content")) for m in r["body"]["messages"])
def stream(tag):
    return [json.loads(l) for l in open(os.path.join(world, "stream-%s.jsonl" % tag)) if l.strip()]
def caps(hook):
    d = os.path.join(world, "capture")
    names = sorted(f for f in os.listdir(d) if f.endswith("-%s.json" % hook))
    return [(json.load(open(os.path.join(d, f))),
             json.load(open(os.path.join(d, f[:-5] + ".answer.json"))),
             open(os.path.join(d, f[:-5] + ".agents")).read().split()) for f in names]
$body
PY
}

# Every hook Claude Code ran answered with exit 0, and Claude Code took the answer.
hooks_clean() {
    check '
for tag in args:
    for e in stream(tag):
        if e.get("subtype") == "hook_response":
            want(e.get("exit_code") == 0 and e.get("outcome") == "success", "hook answer not taken: " + json.dumps(e)[:400])
' "$@"
    if grep -F '"errors":["' "$log" > /dev/null; then fail "a hook reported an error"; fi
}
reset() { scenario="$1"; : > "$log"; rm -f "$cap"/*; echo "scenario $1"; }

# keep_recording SCENARIO: with --record, the payloads and answers of this scenario go into
# tests/fixtures/claude-code/recorded/SCENARIO/, the scratch paths renamed.
keep_recording() {
    [ "$record" = 1 ] || return 0
    dest="$FIX/recorded/$1"
    rm -rf "$dest"; mkdir -p "$dest"
    san_home=$(printf '%s' "$home" | sed 's/[^A-Za-z0-9]/-/g')
    i=0
    for f in $(ls "$cap" | grep -E '^[0-9]+-[0-9]+-[a-z-]+\.json$' | sort -n); do
        i=$((i + 1))
        hook=$(printf '%s' "$f" | sed 's/^[0-9]*-[0-9]*-\(.*\)\.json$/\1/')
        base="${f%.json}"
        name=$(printf '%02d-%s' "$i" "$hook")
        for ext in json answer.json; do
            sed -e "s|$home|/home/dev|g" -e "s|$san_home|-home-dev|g" -e "s|$world|/tmp/e2e|g" \
                "$cap/$base.$ext" > "$dest/$name.$ext"
        done
    done
    sed -e "s|$home|/home/dev|g" "$session_file" > "$dest/session.md"
    echo "  recorded $i hook runs into $dest"
}

# ------------------------------------------------------------------------------------------
reset block-retry
settings_with_hooks
start_mock "$FIX/model/block-retry.json"
run_claude block-retry "E2E-LEAD: run phase 1 of the active Maestro session."
hooks_clean block-retry
log_has session-start '"answer":{}' || fail "SessionStart did not run"
log_has before-agent '"agent":"coder"' 'your phase 1 of 2 \"Implement the parser\" (in_progress)' \
    'Unresolved errors of phase 1 (1): coder, validation: E2E-ERROR: cargo test fails' \
    || fail "SubagentStart did not give the coder its phase"
ok "SubagentStart recorded the coder and gave it phase 1 with its unresolved error"
log_has after-agent '"agent":"coder"' '"decision":"block"' 'Missing Downstream Context section' \
    || fail "SubagentStop did not block the incomplete report"
log_has after-agent '"agent":"coder"' '"answer":{}' || fail "the retry was not allowed"
[ "$(log_count after-agent)" = 2 ] || fail "expected 2 SubagentStop runs, got $(log_count after-agent)"
ok "SubagentStop blocked the report lacking ## Downstream Context, then allowed the retry"
check '
stops = caps("after-agent")
want(len(stops) == 2, "two SubagentStop captures")
(first, a1, left1), (second, a2, left2) = stops
want(a1.get("decision") == "block" and not first["stop_hook_active"], "first stop blocked")
want(second["stop_hook_active"] is True and a2 == {}, "retry has stop_hook_active and is allowed")
want(first["agent_id"] in left1, "the blocked agent kept its record: %r" % left1)
want(first["agent_id"] not in left2, "the allowed agent lost its record: %r" % left2)
coder = [r for r in reqs() if "coder specialist" in system(r)]
want(any("SubagentStart hook additional context: Maestro session" in convo(r) and "your phase 1 of 2" in convo(r) for r in coder), "the coder saw its context")
want(any("Stop hook feedback" in convo(r) and "Missing Downstream Context section" in convo(r) for r in coder), "the coder saw the block reason")
lead = [r for r in reqs() if "E2E-LEAD" in convo(r) and "coder specialist" not in system(r)]
last = lead[-1]["body"]["messages"][-1]
want("E2E-CODER-FIXED" in text(last.get("content")), "the lead got the fixed report: " + text(last.get("content"))[:300])
want(any(e.get("type") == "result" and "E2E-LEAD-DONE" in e.get("result", "") for e in stream("block-retry")), "the run ended with the lead reply")
'
ok "the coder saw its context and the block reason; the record stayed while blocked; the lead got the fixed report"
log_has session-end '"answer":{}' || fail "SessionEnd did not run"
cc_sid=$(sed -n 's/.*"hook":"session-end","session_id":"\([^"]*\)".*/\1/p' "$log" | head -1)
[ -n "$cc_sid" ] && [ ! -e "$hooks/$cc_sid" ] || fail "SessionEnd left $hooks/$cc_sid"
ok "SessionEnd removed the hook-state folder of $cc_sid"
keep_recording block-retry

# ------------------------------------------------------------------------------------------
reset resume
start_mock "$FIX/model/plain.json"
run_claude resume "E2E-LEAD: one more question." --resume "$cc_sid"
hooks_clean resume
check '
starts = caps("session-start")
want(len(starts) == 1, "one SessionStart")
payload = starts[0][0]
want(payload.get("source") == "resume" and payload.get("session_id") == args[0], "SessionStart source resume of the same session: %r" % payload)
' "$cc_sid"
log_has session-end "\"session_id\":\"$cc_sid\"" || fail "SessionEnd of the resumed session did not run"
[ ! -e "$hooks/$cc_sid" ] || fail "SessionEnd left $hooks/$cc_sid"
ok "--resume fired SessionStart with source resume for $cc_sid, and SessionEnd cleaned up"
keep_recording resume

# ------------------------------------------------------------------------------------------
reset parallel
start_mock "$FIX/model/parallel.json"
run_claude parallel "E2E-LEAD: run phases 1 and 2 of the active Maestro session in parallel."
hooks_clean parallel
log_has before-agent '"agent":"coder"' 'your phase 1 of 2 \"Implement the parser\" (in_progress)' \
    || fail "the coder did not get phase 1"
log_has before-agent '"agent":"tester"' 'your phase 2 of 2 \"Test the parser\" (pending)' \
    'Blocked by: phase 1 \"Implement the parser\" (in_progress).' \
    'From phase 1: key interfaces: parse(&str) -> Ast.' || fail "the tester did not get phase 2"
if log_has before-agent '"agent":"tester"' 'your phase 1'; then fail "the tester was told about phase 1 as its own"; fi
ok "SubagentStart gave the coder phase 1 and the tester phase 2 (blocked by phase 1, with its downstream context)"
check '
starts = caps("before-agent")
want(len(starts) == 2 and len({p["agent_id"] for p, _, _ in starts}) == 2, "two sub-agents with distinct ids")
coder = [r for r in reqs() if "coder specialist" in system(r)]
tester = [r for r in reqs() if "tester specialist" in system(r)]
want(coder and tester, "both sub-agents asked the model")
want(all("your phase 1 of 2" in convo(r) and "your phase 2" not in convo(r) for r in coder), "the coder saw only phase 1")
want(all("your phase 2 of 2" in convo(r) and "your phase 1" not in convo(r) for r in tester), "the tester saw only phase 2")
stops = caps("after-agent")
blocked = [p for p, a, _ in stops if a.get("decision") == "block"]
want(len(blocked) == 1 and blocked[0]["agent_type"] == "tester", "only the tester was blocked")
lead = [r for r in reqs() if "E2E-LEAD" in convo(r) and "specialist" not in system(r)]
want(any("E2E-TESTER-FIXED" in convo(r) for r in lead), "the lead got the fixed tester report")
'
ok "each sub-agent saw only its own phase; only the tester was blocked and the lead got its fixed report"
keep_recording parallel

# ------------------------------------------------------------------------------------------
reset builtin
start_mock "$FIX/model/builtin.json"
run_claude builtin "E2E-LEAD: find the parser before phase 1."
hooks_clean builtin
log_has before-agent '"agent":"explore"' '"answer":{}' || fail "SubagentStart for Explore did not answer {}"
log_has after-agent '"agent":"explore"' '"answer":{}' || fail "SubagentStop for Explore did not answer {}"
if grep -F '"decision":"block"' "$log" > /dev/null; then fail "a hook blocked the built-in agent"; fi
ok "Explore: SubagentStart and SubagentStop answered {}"
check '
want(not any("Stop hook feedback" in convo(r) for r in reqs()), "nobody was re-prompted")
lead = [r for r in reqs() if "E2E-LEAD" in convo(r) and "E2E-EXPLORE-TASK" not in text(r["body"]["messages"][0].get("content"))]
last = lead[-1]["body"]["messages"][-1]
want("E2E-EXPLORE-ANSWER" in text(last.get("content")), "the lead got the real answer: " + text(last.get("content"))[:300])
stops = caps("after-agent")
want(len(stops) == 1 and stops[0][0]["agent_type"] == "Explore" and stops[0][2] == [], "one stop, record gone")
'
ok "the lead got Explore's real answer, unchanged"
keep_recording builtin

# ------------------------------------------------------------------------------------------
reset plugin
settings_without_hooks
(cd "$proj" && env -i PATH=/usr/bin:/bin HOME="$home" TMPDIR="$world/tmp" "$CLAUDE" plugin validate "$plugin") \
    > "$world/validate.out" 2>&1 || { cat "$world/validate.out" >&2; fail "claude plugin validate"; }
grep -q 'Validation passed' "$world/validate.out" || fail "plugin validation: $(cat "$world/validate.out")"
ok "claude plugin validate accepts the installed plugin"
start_mock "$FIX/model/block-retry.json"
run_claude plugin "E2E-LEAD: run phase 1 of the active Maestro session." --plugin-dir "$plugin"
hooks_clean plugin
mcp=0
if "$cli" mcp --help > /dev/null 2>&1; then mcp=1; fi
check '
plugin, mcp = args[0], args[1] == "1"
init = [e for e in stream("plugin") if e.get("subtype") == "init"][0]
want(any(p.get("name") == "maestro-session" and p.get("path") == plugin for p in init.get("plugins", [])), "init lists the plugin: %r" % init.get("plugins"))
want("maestro-session:status" in init.get("slash_commands", []), "init lists /maestro-session:status")
servers = {s.get("name"): s.get("status") for s in init.get("mcp_servers", [])}
want("plugin:maestro-session:maestro-session" in servers, "init lists the MCP server: %r" % servers)
if mcp:
    want(servers["plugin:maestro-session:maestro-session"] == "connected", "the MCP server connected: %r" % servers)
    want(any(t.startswith("mcp__plugin_maestro-session_maestro-session__") for t in init.get("tools", [])), "the MCP tools are offered")
hooked = {e.get("hook_event") for e in stream("plugin") if e.get("subtype") == "hook_response"}
want({"SessionStart", "SubagentStart", "SubagentStop"} <= hooked, "the plugin hooks ran: %r" % hooked)
' "$plugin" "$mcp"
if [ "$mcp" = 1 ]; then
    ok "--plugin-dir loaded the plugin: hooks, /maestro-session:status and the connected MCP server"
else
    ok "--plugin-dir loaded the plugin: hooks, /maestro-session:status, the MCP server listed (maestro-session mcp does not exist in this build: its connection is not checked)"
fi
log_has before-agent '"agent":"coder"' 'your phase 1 of 2' || fail "the plugin's SubagentStart did not run before-agent"
log_has after-agent '"agent":"coder"' '"decision":"block"' || fail "the plugin's SubagentStop did not block"
log_has after-agent '"agent":"coder"' '"answer":{}' || fail "the plugin's SubagentStop did not allow the retry"
log_has session-end '"answer":{}' || fail "the plugin's SessionEnd did not run"
ok "the plugin's hooks blocked and then allowed the coder, and cleaned up"
: > "$log"
start_mock "$FIX/model/plain.json"
run_claude status "/maestro-session:status" --plugin-dir "$plugin"
check '
want(any(args[0] in convo(r) and "Test the parser" in convo(r) for r in reqs()), "the status command put the session file into the prompt")
' "\"session_id\": \"$sid_maestro\""
ok "/maestro-session:status injected the active session through read-active-session"

# ------------------------------------------------------------------------------------------
scenario=cleanup
cc_tmp="/tmp/claude-$(id -u)/$(printf '%s' "$proj" | sed 's/[^A-Za-z0-9]/-/g')"
[ ! -e "$cc_tmp" ] || fail "Claude Code wrote outside the scratch world: $cc_tmp"
left=$(ls "$hooks" | grep -v '^\.' || true)
[ -z "$left" ] || fail "hook-state folders left behind: $left"
ok "nothing left outside the scratch world; no hook-state folder left"
echo "e2e-claude: $checks passed, 0 failed ($(($(date +%s) - started)) s)"
