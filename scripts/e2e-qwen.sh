#!/bin/sh
# End-to-end with the real Qwen Code (pinned, npm-installed under target/), offline: its model is
# our scripted mock of an OpenAI-compatible Chat Completions API (scripts/mock-openai-chat.py,
# 127.0.0.1 only, bounded in requests and time), scripted by tests/fixtures/qwen-code/model/.
# The hooks and the MCP server are the Qwen extension that `install.sh --qwen-home`
# (`maestro-session setup qwen`) wrote into the scratch Qwen home; the user's own settings.json
# (provider, a hook of their own) is left as it was. Runs:
#   block-retry  the lead reads the session through our MCP server and delegates phase 1 to a
#                `coder` sub-agent, which gets its phase through ${hook_context}; SubagentStop
#                blocks its report for lacking `## Downstream Context`, Qwen re-prompts it, the
#                corrected report is allowed; the coder's tokens are counted from its own
#                transcript; with no SessionEnd under `qwen -p`, the run is not reported
#                interrupted.
#   builtin      Qwen's built-in Explore and general-purpose agents, named specialists by
#                MAESTRO_SPECIALISTS, are still let through with their real answers.
# Everything happens in a temp folder: HOME (and the Qwen home in it), project, TMPDIR, hook
# base and install prefix; Qwen Code runs under `env -i` with an explicit environment. Needs npm
# (once), python3 and git. This driver installs and runs; every check is in scripts/e2e/qwen.py.
#
#   sh scripts/e2e-qwen.sh [--keep]
#
# --keep leaves the scratch world for inspection. E2E_NO_BUILD=1 installs the executables an
# earlier run built instead of building them; E2E_BIN_DIR=DIR those in DIR (scripts/lib.sh:
# e2e_install).
set -eu
. "$(dirname -- "$0")/lib.sh"

e2e_begin e2e-qwen "$@"
[ "$record" = 0 ] || { echo "e2e-qwen: --record is not supported; the fixtures are captures (tests/fixtures/qwen-code/README.md)" >&2; exit 2; }
QWEN=$(qwen_bin)
# The real Qwen home, which no step may change: noted now, checked at the end.
e2e_check real-home-before
FIX="$ROOT/tests/fixtures/qwen-code"

export HOME="$world/home"
export QWEN_HOME="$HOME/.qwen"
PROJECT="$world/proj"
export MAESTRO_HOOKS_DIR="$world/hooks"
export TMPDIR="$world/tmp"
mkdir -p "$QWEN_HOME/agents" "$PROJECT" "$TMPDIR" "$MAESTRO_HOOKS_DIR"
chmod 700 "$MAESTRO_HOOKS_DIR"

tag=
fail() {
    [ -n "$tag" ] && [ -f "$world/qwen-$tag.err" ] && sed 's/^/  qwen: /' "$world/qwen-$tag.err" | tail -20 >&2
    e2e_die "${tag:+($tag) }$*"
}

# --- what the user had before: the provider (the mock), no background memory agents, and a
# hook of their own that keeps every payload of our four events.
cat > "$world/capture.sh" <<EOF
#!/bin/sh
# A user's own hook: keeps the payload, answers nothing.
cat > "\$CAPTURE_DIR/\$(date +%s%N)-\$\$.json"
EOF
chmod +x "$world/capture.sh"
user_hook="{\"hooks\": [{\"type\": \"command\", \"command\": \"$world/capture.sh\", \"timeout\": 5}]}"
cat > "$QWEN_HOME/settings.json" <<EOF
{
  "security": {"auth": {"selectedType": "openai"}},
  "model": {"name": "mock-qwen-coder"},
  "general": {"enableAutoUpdate": false},
  "privacy": {"usageStatisticsEnabled": false},
  "telemetry": {"enabled": false},
  "memory": {"enableManagedAutoMemory": false, "enableManagedAutoDream": false, "enableAutoSkill": false},
  "hooks": {"SessionStart": [$user_hook], "SubagentStart": [$user_hook],
            "SubagentStop": [$user_hook], "SessionEnd": [$user_hook]}
}
EOF
cp "$QWEN_HOME/settings.json" "$world/settings.before"
cp "$FIX/agents/coder.md" "$QWEN_HOME/agents/"

# --- install, exactly as users do
prefix="$world/prefix"
bin="$prefix/share/maestro-session/bin"
e2e_install "$prefix" --no-link --no-policy --qwen-home "$QWEN_HOME" \
    > "$world/install.log" 2>&1 || { cat "$world/install.log" >&2; fail "install.sh"; }
e2e_check install
export PATH="$bin:$prefix/bin:$PATH"
cp "$QWEN_HOME/extensions/maestro-session/qwen-extension.json" "$world/manifest.once"
maestro-session setup qwen --bin-dir "$bin" --mcp-command "$prefix/bin/maestro-session" > "$world/setup.log" 2>&1 \
    || fail "setup qwen: $(cat "$world/setup.log")"
e2e_check setup

# The project: a git repository with an active Maestro session whose phase 1 names coder.
(
    cd "$PROJECT"
    git init -q .
    maestro-session init > /dev/null
    maestro-session create "E2E-SESSION-TASK: build the pretty printer" --phase "Implement the parser=coder" > /dev/null
    maestro-session phase start active 1 > /dev/null
) || fail "creating the session"

# run_qwen TAG PROMPT [VAR=VALUE...]: the mock with model/TAG.json, then qwen -p in the
# project, offline, the environment explicit.
run_qwen() {
    tag="$1"; prompt="$2"; shift 2
    mkdir -p "$world/capture-$tag"
    rm -f "$world/port"
    python3 "$ROOT/scripts/mock-openai-chat.py" --script "$FIX/model/$tag.json" --log "$world/requests-$tag.jsonl" \
        --port-file "$world/port" --max-requests 40 --max-seconds 180 2> "$world/mock-$tag.err" &
    mock_pid=$!
    i=0
    while [ ! -s "$world/port" ]; do
        i=$((i + 1)); [ "$i" -le 100 ] || fail "the mock did not start: $(cat "$world/mock-$tag.err")"
        sleep 0.1
    done
    limit=""; command -v timeout > /dev/null 2>&1 && limit="timeout 150"
    (cd "$PROJECT" && env -i PATH="$PATH" HOME="$HOME" QWEN_HOME="$QWEN_HOME" TMPDIR="$TMPDIR" TERM=dumb LANG=C.UTF-8 \
        OPENAI_BASE_URL="http://127.0.0.1:$(cat "$world/port")/v1" OPENAI_API_KEY=sk-e2e-offline \
        OPENAI_MODEL=mock-qwen-coder QWEN_TELEMETRY_ENABLED=0 QWEN_USAGE_STATISTICS_ENABLED=0 \
        QWEN_CODE_SUPPRESS_YOLO_WARNING=1 CAPTURE_DIR="$world/capture-$tag" \
        MAESTRO_HOOKS_DIR="$MAESTRO_HOOKS_DIR" MAESTRO_HOOK_LOG="$world/hooks-$tag.log" "$@" \
        $limit "$QWEN" -p "$prompt" --approval-mode yolo --output-format stream-json --max-session-turns 10 \
        < /dev/null > "$world/stream-$tag.jsonl" 2> "$world/qwen-$tag.err") \
        || fail "qwen exited non-zero"
    kill "$mock_pid" 2> /dev/null || true; wait "$mock_pid" 2> /dev/null || true; mock_pid=
}

# ------------------------------------------------------------------------------------------
echo "run block-retry"
run_qwen block-retry "E2E-LEAD: run phase 1 of the active Maestro session."
for check in mcp block-retry tokens no-session-end user-hook; do e2e_check "$check" block-retry; done

# ------------------------------------------------------------------------------------------
echo "run builtin"
run_qwen builtin "E2E-LEAD: look around before phase 1." MAESTRO_SPECIALISTS=explore,general-purpose
e2e_check builtin builtin

# ------------------------------------------------------------------------------------------
tag=
e2e_check real-home
e2e_summary
