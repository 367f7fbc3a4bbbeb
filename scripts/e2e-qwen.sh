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
# (once), python3 and git.
#
#   sh scripts/e2e-qwen.sh [--keep]
#
# --keep leaves the scratch world for inspection. E2E_NO_BUILD=1 installs the executables an
# earlier run built instead of building them.
set -eu
. "$(dirname -- "$0")/lib.sh"

e2e_begin e2e-qwen "$@"
[ "$record" = 0 ] || { echo "e2e-qwen: --record is not supported; the fixtures are captures (tests/fixtures/qwen-code/README.md)" >&2; exit 2; }
QWEN=$(qwen_bin)
# The real Qwen home, which no step may change.
real_qwen="$(getent passwd "$(id -u)" | cut -d: -f6)/.qwen"
fingerprint() { find "$real_qwen" -printf '%p %y %T@ %s\n' 2>/dev/null | sort | cksum; }
real_before=$(fingerprint)
FIX="$ROOT/tests/fixtures/qwen-code"

export HOME="$world/home"
export QWEN_HOME="$HOME/.qwen"
PROJECT="$world/proj"
export MAESTRO_HOOKS_DIR="$world/hooks"
export TMPDIR="$world/tmp"
mkdir -p "$QWEN_HOME/agents" "$PROJECT" "$TMPDIR" "$MAESTRO_HOOKS_DIR"
chmod 700 "$MAESTRO_HOOKS_DIR"

checks=0
tag=
fail() {
    echo "e2e-qwen: FAILED${tag:+ ($tag)}: $*" >&2
    [ -n "$tag" ] && [ -f "$world/hooks-$tag.log" ] && sed 's/^/  log: /' "$world/hooks-$tag.log" >&2
    [ -n "$tag" ] && [ -f "$world/qwen-$tag.err" ] && sed 's/^/  qwen: /' "$world/qwen-$tag.err" | tail -20 >&2
    exit 1
}
ok() { checks=$((checks + 1)); echo "  ok: $*"; }
check() { python3 "$ROOT/scripts/e2e-qwen-check.py" "$@" || fail "see above"; }

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
"$ROOT/install.sh" --prefix "$prefix" --no-link --no-policy --qwen-home "$QWEN_HOME" ${E2E_NO_BUILD:+--no-build} \
    > "$world/install.log" 2>&1 || { cat "$world/install.log" >&2; fail "install.sh"; }
manifest="$QWEN_HOME/extensions/maestro-session/qwen-extension.json"
grep -qF "qwen: wrote hooks SessionStart, SubagentStart, SubagentStop, SessionEnd ($bin/<hook> --runtime qwen) and MCP server maestro-session ($prefix/bin/maestro-session mcp) into $manifest" \
    "$world/install.log" || fail "install.sh --qwen-home did not write the extension: $(cat "$world/install.log")"
ok "install.sh --qwen-home wrote the Qwen extension $manifest"
export PATH="$bin:$prefix/bin:$PATH"
cp "$manifest" "$world/manifest.once"
maestro-session setup qwen --bin-dir "$bin" --mcp-command "$prefix/bin/maestro-session" > "$world/setup.log" 2>&1 \
    || fail "setup qwen: $(cat "$world/setup.log")"
cmp -s "$manifest" "$world/manifest.once" || fail "setup qwen again changed $manifest"
grep -qF "qwen: $manifest already has hooks" "$world/setup.log" || fail "a second setup did not say nothing changed: $(cat "$world/setup.log")"
cmp -s "$QWEN_HOME/settings.json" "$world/settings.before" || fail "setup changed the user's settings.json"
if grep -qF "$bin" "$QWEN_HOME/settings.json"; then fail "our hooks are in settings.json, not only in the extension"; fi
ok "setup qwen again (from \$QWEN_HOME) changed nothing; the user's settings.json is untouched and has none of our hooks"

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
    [ -f "$world/hooks-$tag.log" ] || fail "no hook ran"
    if grep -F '"errors":["' "$world/hooks-$tag.log" > /dev/null; then fail "a hook reported an error"; fi
    (cd "$PROJECT" && maestro-session --json show active > "$world/show-$tag.json") || fail "show active"
}

# ------------------------------------------------------------------------------------------
echo "run block-retry"
cp "$PROJECT/docs/maestro/state/active-session.md" "$world/session.before"
run_qwen block-retry "E2E-LEAD: run phase 1 of the active Maestro session."
check mcp "$world" block-retry
ok "the extension's MCP server connected and the lead read the session with get_session_status"
check block-retry "$world" block-retry
ok "the coder got its phase through \${hook_context}; its report lacking ## Downstream Context was blocked, the mock saw the retry, the lead got the fixed report"
check tokens "$world" block-retry "$QWEN_HOME"
ok "the coder's replies (1460 in, 100 out) were counted from its own subagents/ transcript, none of the lead's"
[ ! -e "$PROJECT/docs/maestro/state/owner.json" ] || fail "SessionStart recorded an owner, which no SessionEnd under qwen -p clears"
if grep -F '"hook":"session-end"' "$world/hooks-block-retry.log" > /dev/null; then
    fail "SessionEnd fired under qwen -p: the README and hooks::qwen say it does not"
fi
(cd "$PROJECT" && maestro-session --json doctor > "$world/doctor.json") || fail "doctor: $(cat "$world/doctor.json")"
grep -qF '"problems": []' "$world/doctor.json" || fail "doctor found problems after the run: $(cat "$world/doctor.json")"
ok "no SessionEnd under qwen -p, and nothing depends on it: no owner recorded, the run is not reported interrupted, doctor is clean"
check user-hook "$world" block-retry
ok "the user's own hook in settings.json ran beside ours for every event"

# ------------------------------------------------------------------------------------------
echo "run builtin"
run_qwen builtin "E2E-LEAD: look around before phase 1." MAESTRO_SPECIALISTS=explore,general-purpose
check builtin "$world" builtin
ok "Explore and general-purpose (named in MAESTRO_SPECIALISTS) got no context, were never blocked, and the lead got their real answers"

# ------------------------------------------------------------------------------------------
tag=
[ "$(fingerprint)" = "$real_before" ] || fail "the run changed the real $real_qwen"
ok "the real $real_qwen is untouched"
echo "e2e-qwen: $checks passed, 0 failed ($(($(date +%s) - started)) s)"
