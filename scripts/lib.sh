# Shared helpers of the scripts in this folder. Source it; POSIX sh.

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
GEMINI_VERSION=0.61.0
# Scripts isolate HOME for Gemini CLI; keep cargo, rustup and npm pointed at the real one.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"
FIXTURES="$ROOT/tests/fixtures/gemini-cli-0.61"

# Installs the pinned Gemini CLI into a cache under target/ (once) and prints its path.
gemini_bin() {
    cache="$TARGET/gemini-cli-$GEMINI_VERSION"
    if [ ! -x "$cache/node_modules/.bin/gemini" ]; then
        echo "installing @google/gemini-cli@$GEMINI_VERSION into $cache" >&2
        npm install --prefix "$cache" --no-audit --no-fund --loglevel=error \
            "@google/gemini-cli@$GEMINI_VERSION" >&2
    fi
    echo "$cache/node_modules/.bin/gemini"
}

CLAUDE_VERSION=2.1.330

# Installs the pinned Claude Code into a cache under target/ (once) and prints the path of its
# native executable (the npm package's bin/claude.exe; no Node.js is needed to run it).
claude_bin() {
    cache="$TARGET/claude-code-$CLAUDE_VERSION"
    exe="$cache/node_modules/@anthropic-ai/claude-code/bin/claude.exe"
    if [ ! -x "$exe" ] || ! "$exe" --version 2>/dev/null | grep -q "^$CLAUDE_VERSION "; then
        echo "installing @anthropic-ai/claude-code@$CLAUDE_VERSION into $cache" >&2
        npm install --prefix "$cache" --no-audit --no-fund --loglevel=error \
            "@anthropic-ai/claude-code@$CLAUDE_VERSION" >&2
    fi
    echo "$exe"
}

# Makes a scratch world under $1: an isolated HOME that selects API-key auth, a git project
# with an active Maestro session, and a private hook base. Exports HOME, PROJECT, HOOKS.
scratch_world() {
    world="$1"
    export HOME="$world/home"
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

# Installs the pinned OpenAI Codex CLI into a cache under target/ (once) and prints its path.
codex_bin() {
    cache="$TARGET/codex-cli-$CODEX_VERSION"
    if [ ! -x "$cache/node_modules/.bin/codex" ]; then
        echo "installing @openai/codex@$CODEX_VERSION into $cache" >&2
        npm install --prefix "$cache" --no-audit --no-fund --loglevel=error \
            "@openai/codex@$CODEX_VERSION" >&2
    fi
    echo "$cache/node_modules/.bin/codex"
}
