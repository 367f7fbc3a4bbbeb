#!/usr/bin/env node
// `maestro-session-install [install.sh options]`: runs the package's install.sh with
// --from the per-platform package's bin/ (no Rust, no build): the hooks, state tools and
// maestro-session under --prefix (default ~/.local), registered with the runtimes;
// `maestro-session-install --uninstall` takes them out again.
"use strict";
const { spawnSync } = require("child_process");
const path = require("path");

const pkg = `@maestro-session/${process.platform}-${process.arch}`;
let bin;
try {
  bin = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "bin");
} catch {
  console.error(`maestro-session-install: the package ${pkg} is not installed for this platform`);
  process.exit(1);
}
const script = path.join(__dirname, "..", "install.sh");
const run = spawnSync("sh", [script, "--from", bin, ...process.argv.slice(2)], { stdio: "inherit" });
if (run.error) {
  console.error(`maestro-session-install: cannot run sh ${script}: ${run.error.message}`);
  process.exit(1);
}
process.exit(run.status === null ? 1 : run.status);
