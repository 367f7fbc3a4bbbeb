#!/bin/sh
# End-to-end with the real OpenAI Codex CLI (pinned, npm-installed under target/), offline
# against our scripted mock of the Responses API (scripts/codex-mock-responses.py, 127.0.0.1
# only, bounded in requests and time), with the hooks and MCP server that
# `install.sh --codex-home` (`maestro-session setup codex`) registered in a scratch CODEX_HOME.
# One run: the lead spawns a `coder` sub-agent, SubagentStart gives it the session context,
# SubagentStop blocks its report for lacking `## Downstream Context`, Codex re-prompts it and
# the corrected report is allowed. Needs npm and python3 (3.11+). This driver installs and runs;
# every check is in scripts/e2e/codex.py.
#
#   sh scripts/e2e-codex.sh [--keep] [--record]
#
# --keep leaves the scratch world for inspection; --record writes the run's hook payloads, our
# answers, the --json stream and the files setup wrote to tests/fixtures/codex/ (paths made
# neutral), for tests/tests/codex_recorded.rs. E2E_NO_BUILD=1 installs the executables an
# earlier run built instead of building them; E2E_BIN_DIR=DIR those in DIR (scripts/lib.sh:
# e2e_install).
set -eu
. "$(dirname -- "$0")/lib.sh"

e2e_begin e2e-codex "$@"
CODEX=$(codex_bin)

# HOME, CODEX_HOME and the other homes are the world's (e2e_begin: isolate_home).
PROJECT="$world/proj"
export MAESTRO_HOOKS_DIR="$world/hooks"
export MAESTRO_HOOK_LOG="$world/hook-log.jsonl"
export TMPDIR="$world/tmp"
mkdir -p "$CODEX_HOME" "$PROJECT" "$TMPDIR" "$world/payloads"

fail() { e2e_die "$*"; }

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
e2e_check user-hooks

prefix="$world/prefix"
bin="$prefix/share/maestro-session/bin"
e2e_install "$prefix" --no-link --codex-home "$CODEX_HOME" > "$world/install.log" 2>&1 \
    || { cat "$world/install.log" >&2; fail "install.sh"; }
e2e_check install
export PATH="$bin:$prefix/bin:$PATH"

if maestro-session mcp --help > /dev/null 2>&1; then
    mcp=1
    # Our tools must run in `codex exec` (approval policy never): approve them.
    set -- --approve-tools
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
e2e_check setup

# The project: a git repository with an active Maestro session whose phase names coder.
in_project() { (cd "$PROJECT" && "$@"); }
in_project git init -q .
in_project maestro-session init > /dev/null
in_project maestro-session create "Build the pretty printer" --phase "Implement the parser=coder" > /dev/null
in_project maestro-session phase start active 1 > /dev/null
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
e2e_check gate

echo "run 2: spawn coder, SubagentStop blocks the report lacking ## Downstream Context, the retry is allowed"
run_codex stream "MAESTRO-LEAD: run phase 1 with the coder." --dangerously-bypass-hook-trust \
    || fail "codex exec exited non-zero: $(tail -5 "$world/stream.err")"
e2e_check spawn

[ "$record" = 0 ] || e2e_check record
e2e_summary
