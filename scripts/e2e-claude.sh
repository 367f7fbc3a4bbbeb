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
# Claude Code runs under `env -i` with an explicit environment. Needs npm (once) and python3. This
# driver installs and runs; every check is in scripts/e2e/claude.py. Exits non-zero on the first
# failed check.
#   --keep           leave the scratch world for inspection
#   --record         also copy the hook payloads and answers into tests/fixtures/claude-code/recorded/
#   E2E_NO_BUILD=1   install the executables an earlier build made instead of building them
#   E2E_BIN_DIR=DIR  install the executables in DIR instead (scripts/lib.sh: e2e_install)
set -eu
. "$(dirname -- "$0")/lib.sh"

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

scenario=
fail() { e2e_die "($scenario) $*"; }

# --- install, exactly as users do
prefix="$world/prefix"
ext="$prefix/share/maestro-session"
e2e_install "$prefix" --no-link > "$world/install.log" 2>&1 \
    || { cat "$world/install.log" >&2; fail "install.sh"; }
bin="$ext/bin"
cli="$prefix/bin/maestro-session"
plugin="$ext/claude-plugin"
e2e_check install

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

reset() { scenario="$1"; : > "$log"; rm -f "$cap"/*; echo "scenario $1"; }

# keep_recording SCENARIO: with --record, the payloads and answers of this scenario go into
# tests/fixtures/claude-code/recorded/SCENARIO/, the scratch paths renamed.
keep_recording() { [ "$record" = 0 ] || e2e_check record "$1"; }

# ------------------------------------------------------------------------------------------
reset block-retry
settings_with_hooks
start_mock "$FIX/model/block-retry.json"
run_claude block-retry "E2E-LEAD: run phase 1 of the active Maestro session."
e2e_check block-retry
# Claude Code's session id, for --resume (the block-retry check found it in SessionEnd's run).
cc_sid=$(cat "$world/claude-session-id")
keep_recording block-retry

# ------------------------------------------------------------------------------------------
reset resume
start_mock "$FIX/model/plain.json"
run_claude resume "E2E-LEAD: one more question." --resume "$cc_sid"
e2e_check resume
keep_recording resume

# ------------------------------------------------------------------------------------------
reset parallel
start_mock "$FIX/model/parallel.json"
run_claude parallel "E2E-LEAD: run phases 1 and 2 of the active Maestro session in parallel."
e2e_check parallel
keep_recording parallel

# ------------------------------------------------------------------------------------------
reset builtin
start_mock "$FIX/model/builtin.json"
run_claude builtin "E2E-LEAD: find the parser before phase 1."
e2e_check builtin
keep_recording builtin

# ------------------------------------------------------------------------------------------
reset plugin
settings_without_hooks
(cd "$proj" && env -i PATH=/usr/bin:/bin HOME="$home" TMPDIR="$world/tmp" "$CLAUDE" plugin validate "$plugin") \
    > "$world/validate.out" 2>&1 || { cat "$world/validate.out" >&2; fail "claude plugin validate"; }
e2e_check plugin-validate
start_mock "$FIX/model/block-retry.json"
run_claude plugin "E2E-LEAD: run phase 1 of the active Maestro session." --plugin-dir "$plugin"
e2e_check plugin
: > "$log"
start_mock "$FIX/model/plain.json"
run_claude status "/maestro-session:status" --plugin-dir "$plugin"
e2e_check status

# ------------------------------------------------------------------------------------------
scenario=cleanup
e2e_check cleanup
e2e_summary
