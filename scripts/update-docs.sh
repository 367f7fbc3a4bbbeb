#!/bin/sh
# Regenerates the references in docs/ that are rendered from the code: docs/cli.md (the clap
# tree), docs/environment.md (crates/maestro-session-core/src/env_vars.rs) and the tool list
# of docs/mcp-tools.md (the MCP tool definitions). The same tests, run without UPDATE_DOCS
# (as scripts/test.sh does), fail when a checked-in file differs from what the code renders.
set -eu
cd "$(dirname -- "$0")/.."
UPDATE_DOCS=1 cargo test --locked -p maestro-session --bin maestro-session cli_reference
UPDATE_DOCS=1 cargo test --locked -p maestro-session-core --test core generated_docs
