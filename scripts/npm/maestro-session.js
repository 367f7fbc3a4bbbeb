#!/usr/bin/env node
// The `maestro-session` command of the npm package: runs the native executable of the
// per-platform package @maestro-session/<platform>-<arch> (an optionalDependency that npm
// installs only where its `os` and `cpu` match, as esbuild and biome ship), passing the
// arguments, stdio, exit code and signal through. `npx -y maestro-session mcp` serves MCP.
"use strict";
const { spawnSync } = require("child_process");
const path = require("path");

const pkg = `@maestro-session/${process.platform}-${process.arch}`;
const exe = process.platform === "win32" ? "maestro-session.exe" : "maestro-session";

function nativeBinary() {
  try {
    return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "bin", exe);
  } catch {
    console.error(
      `maestro-session: the package ${pkg} is not installed, so there is no executable for ` +
        `${process.platform} ${process.arch}. Reinstall without --no-optional (or ` +
        `--omit=optional); if ${pkg} does not exist, this platform has no prebuilt release: ` +
        `build from source (see docs/install.md).`
    );
    process.exit(1);
  }
}

const run = spawnSync(nativeBinary(), process.argv.slice(2), { stdio: "inherit" });
if (run.error) {
  console.error(`maestro-session: cannot run ${run.error.path || pkg}: ${run.error.message}`);
  process.exit(1);
}
if (run.signal) process.kill(process.pid, run.signal);
process.exit(run.status === null ? 1 : run.status);
