# Shared helpers of the scripts in this folder. Source it; POSIX sh.

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
GEMINI_VERSION=0.61.0
# Scripts isolate HOME for Gemini CLI; keep cargo, rustup and npm pointed at the real one.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"
FIXTURES="$ROOT/tests/fixtures/gemini-cli-0.61"

# client_version EXE: what `EXE --version` prints, run with every home a client writes into
# (Gemini CLI's projects.json, Codex's tmp/arg0) pointed at a scratch folder under target/, so
# even this check, which runs before a script isolates its homes, never touches the user's.
client_version() {
    scratch="$TARGET/client-version-home"
    mkdir -p "$scratch"
    HOME="$scratch" GEMINI_CLI_HOME="$scratch" CLAUDE_CONFIG_DIR="$scratch/.claude" \
        CODEX_HOME="$scratch/.codex" QWEN_HOME="$scratch/.qwen" "$1" --version 2>/dev/null
}

# npm_cached CACHE PACKAGE VERSION EXE: installs the pinned npm PACKAGE@VERSION into
# target/CACHE-VERSION (once; again when EXE, relative to that folder, is missing or reports
# another version) and prints EXE's path. Progress goes to stderr.
npm_cached() {
    cache="$TARGET/$1-$3"
    exe="$cache/$4"
    if [ ! -x "$exe" ] || ! client_version "$exe" | grep -qF "$3"; then
        echo "installing $2@$3 into $cache" >&2
        npm install --prefix "$cache" --no-audit --no-fund --loglevel=error "$2@$3" >&2
    fi
    echo "$exe"
}

# The pinned Gemini CLI's executable.
gemini_bin() { npm_cached gemini-cli @google/gemini-cli "$GEMINI_VERSION" node_modules/.bin/gemini; }

CLAUDE_VERSION=2.1.330

# The pinned Claude Code's native executable (the npm package's bin/claude.exe; no Node.js is
# needed to run it).
claude_bin() {
    npm_cached claude-code @anthropic-ai/claude-code "$CLAUDE_VERSION" node_modules/@anthropic-ai/claude-code/bin/claude.exe
}

# Points every home a runtime or our setup writes into at the scratch folder $1: HOME,
# GEMINI_CLI_HOME (Gemini CLI's policies and settings), CLAUDE_CONFIG_DIR (Claude Code's),
# CODEX_HOME (Codex's hooks.json and config.toml), QWEN_HOME (Qwen Code's extensions) and the
# hook base MAESTRO_HOOKS_DIR. cargo, rustup and npm keep the real ones (above). Every script
# of this folder that installs, runs a client or runs our executables calls it first, so no
# run ever writes the user's ~/.gemini, ~/.claude, ~/.codex, ~/.qwen or /tmp/maestro-hooks
# (scripts/test.sh checks).
isolate_home() {
    export HOME="$1"
    export GEMINI_CLI_HOME="$1"
    export CLAUDE_CONFIG_DIR="$1/.claude"
    export CODEX_HOME="$1/.codex"
    export QWEN_HOME="$1/.qwen"
    export MAESTRO_HOOKS_DIR="$1/.maestro-hooks"
    mkdir -p "$HOME" "$CLAUDE_CONFIG_DIR" "$CODEX_HOME"
}

# Makes a scratch world under $1: an isolated HOME (isolate_home) that selects API-key auth, a
# git project with an active Maestro session, and a private hook base. Exports HOME, PROJECT,
# HOOKS.
scratch_world() {
    world="$1"
    isolate_home "$world/home"
    export PROJECT="$world/proj"
    export MAESTRO_HOOKS_DIR="$world/hooks"
    export TMPDIR="$world/tmp"
    mkdir -p "$HOME/.gemini" "$PROJECT/docs/maestro/state" "$TMPDIR"
    printf '%s\n' '{"security":{"auth":{"selectedType":"gemini-api-key"}}}' > "$HOME/.gemini/settings.json"
    git -C "$PROJECT" init -q
    cp "$ROOT/tests/fixtures/maestro-state/active-session.yaml.md" "$PROJECT/docs/maestro/state/active-session.md"
}

# Runs the real Gemini CLI offline in $PROJECT: run_gemini PROMPT REPLIES_FILE [extra args].
# Approval mode $GEMINI_APPROVAL, default yolo (every tool call allowed); `default` leaves the
# decisions to the policies, as a user's `gemini -p` run does.
run_gemini() {
    prompt="$1"; replies="$2"; shift 2
    (cd "$PROJECT" && GEMINI_API_KEY=fake "$GEMINI" -m gemini-2.5-flash -p "$prompt" \
        --fake-responses "$replies" --skip-trust --approval-mode "${GEMINI_APPROVAL:-yolo}" "$@")
}

CODEX_VERSION=0.169.0

# The pinned OpenAI Codex CLI's executable.
codex_bin() { npm_cached codex-cli @openai/codex "$CODEX_VERSION" node_modules/.bin/codex; }

QWEN_VERSION=0.24.4

# The pinned Qwen Code's executable (a Node.js script).
qwen_bin() { npm_cached qwen-code @qwen-code/qwen-code "$QWEN_VERSION" node_modules/.bin/qwen; }

# The common start of the real-client e2e scripts: e2e_begin NAME "$@". Parses --keep and
# --record into $keep and $record, checks python3 (the mock models and the checks), sets
# $started, makes the scratch $world, and traps exit to stop $mock_pid (when set) and remove
# $world (kept, and named, with --keep). The drivers only install and start the clients; every
# check of a run is in scripts/e2e/<runtime>.py (e2e_check).
e2e_begin() {
    name="$1"; shift
    e2e_runtime="${name#e2e-}"
    keep=0
    record=0
    for arg in "$@"; do
        case "$arg" in
            --keep) keep=1 ;;
            --record) record=1 ;;
            *) echo "usage: $name.sh [--keep] [--record]" >&2; exit 2 ;;
        esac
    done
    command -v python3 >/dev/null 2>&1 || { echo "$name: python3 is needed for the mock model" >&2; exit 1; }
    started=$(date +%s)
    world=$(mktemp -d)
    isolate_home "$world/home"
    mock_pid=
    trap e2e_cleanup EXIT
    trap 'exit 130' INT TERM
}

e2e_cleanup() {
    if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; fi
    if [ "$keep" = 1 ]; then echo "scratch world: $world"; else rm -rf "$world"; fi
}

# e2e_check CHECK [ARGS...]: runs CHECK of scripts/e2e/$e2e_runtime.py over $world; it prints
# an `ok:` line for each thing it found right, and a failed check ends the run.
e2e_check() {
    e2e_check_name="$1"; shift
    python3 "$ROOT/scripts/e2e/$e2e_runtime.py" "$e2e_check_name" "$world" "$@" || exit 1
}

# The closing line of an e2e run: how many checks passed, and in how many seconds.
e2e_summary() { python3 "$ROOT/scripts/e2e/$e2e_runtime.py" summary "$world" "$started"; }

# e2e_die MESSAGE: a client or a mock that could not be run ends the run.
e2e_die() { echo "$name: FAILED: $*" >&2; exit 1; }

# e2e_install PREFIX [install.sh options]: installs into PREFIX with install.sh, as users do,
# the executables of the cargo release build (built first unless E2E_NO_BUILD is set), or,
# when E2E_BIN_DIR is set, those in that folder (maestro-session, and maestro-session-hook or
# the hook names: an install made from a release archive or an npm package), building nothing.
e2e_install() {
    prefix="$1"; shift
    if [ -n "${E2E_BIN_DIR:-}" ]; then
        hook="$E2E_BIN_DIR/maestro-session-hook"
        [ -x "$hook" ] || hook="$E2E_BIN_DIR/session-start"
        if [ ! -x "$hook" ] || [ ! -x "$E2E_BIN_DIR/maestro-session" ]; then
            echo "E2E_BIN_DIR=$E2E_BIN_DIR holds no maestro-session and maestro-session-hook (or session-start)" >&2
            return 1
        fi
        # install.sh --no-build takes the executables from CARGO_TARGET_DIR/release.
        shim="$world/e2e-bin-dir"
        mkdir -p "$shim/release"
        ln -sfn "$(readlink -f "$hook")" "$shim/release/maestro-session-hook"
        ln -sfn "$(readlink -f "$E2E_BIN_DIR/maestro-session")" "$shim/release/maestro-session"
        CARGO_TARGET_DIR="$shim" "$ROOT/install.sh" --prefix "$prefix" --no-build "$@"
    else
        "$ROOT/install.sh" --prefix "$prefix" ${E2E_NO_BUILD:+--no-build} "$@"
    fi
}

RUFF_VERSION=0.17.5

# The pinned ruff (the linter and formatter of the scripts' Python), installed from PyPI into
# target/ruff-VERSION (once; again when it is missing or reports another version).
ruff_bin() {
    cache="$TARGET/ruff-$RUFF_VERSION"
    exe="$cache/bin/ruff"
    if [ ! -x "$exe" ] || ! "$exe" --version 2>/dev/null | grep -qF "$RUFF_VERSION"; then
        echo "installing ruff==$RUFF_VERSION into $cache" >&2
        rm -rf "$cache"
        python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$cache" "ruff==$RUFF_VERSION" >&2
    fi
    echo "$exe"
}
