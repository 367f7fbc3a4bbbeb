#!/bin/sh
# Lints and format-checks the Python of the end-to-end runs (the checks in scripts/e2e/ and the
# mock models) with the pinned ruff (scripts/lib.sh: ruff_bin, installed from PyPI into
# target/); its settings are scripts/ruff.toml. scripts/test.sh runs it.
set -eu
. "$(dirname -- "$0")/lib.sh"
RUFF=$(ruff_bin)
cd "$ROOT"
files="scripts/e2e scripts/mock-messages-api.py scripts/mock-openai-chat.py scripts/codex-mock-responses.py"
echo "== ruff $RUFF_VERSION check and format --check: $files"
"$RUFF" check --no-cache $files
"$RUFF" format --check --no-cache $files
