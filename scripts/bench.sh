#!/bin/sh
# Measures whole-process wall time of the installed executables beside `node -e ''`, with 1 and
# with 1,000 other sessions' folders in the hook base. Prints a Markdown table (median, p10,
# p90 over RUNS runs after warm-up, and node's median over ours); record it in docs/benchmarks.md.
# Usage: scripts/bench.sh [RUNS]   (default 300)
set -eu
. "$(dirname -- "$0")/lib.sh"

runs="${1:-300}"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
# install.sh and the executables write only into the scratch folder, never the real homes.
isolate_home "$prefix/home"
"$ROOT/install.sh" --prefix "$prefix" --no-link --no-policy >/dev/null
echo "machine: $(nproc) cores, $(uname -sr); node $(node --version); $(rustc --version)"
echo
MAESTRO_BIN_DIR="$prefix/share/maestro-session/bin:$prefix/bin" \
    cargo run --quiet --release --locked -p e2e-tests --example bench -- --runs "$runs"
