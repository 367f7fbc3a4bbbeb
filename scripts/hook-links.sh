#!/bin/sh
# Links the hook executable under its eight names in a build folder, beside maestro-session, so
# that folder can be used the way an install is (the attack scripts under ../shared/attacks take
# one: `bash case-NN-*.sh target/release`).
#   sh scripts/hook-links.sh [target/release]
set -eu
dir=${1:-target/release}
[ -x "$dir/maestro-session-hook" ] || { echo "hook-links.sh: $dir/maestro-session-hook is missing; cargo build --release first" >&2; exit 1; }
for exe in session-start before-agent after-agent session-end read-state write-state read-active-session ensure-workspace; do
    ln -sfn maestro-session-hook "$dir/$exe"
done
