"""What the e2e checks of every runtime share (scripts/e2e/<runtime>.py). Python 3.11 stdlib.

A driver (scripts/e2e-<runtime>.sh) installs and starts the real client in a scratch world, a
temp folder; then it runs one check of its runtime's file over what the run left there:

    python3 scripts/e2e/<runtime>.py CHECK WORLD [ARGS...]

A check prints one `  ok: ...` line for each thing it found as it should be, and appends the
line to WORLD/ok.log, so `summary` can count every check of the run. The first thing that is
not as it should be ends the check with `e2e-<runtime>: FAILED (CHECK): ...` on stderr, the
hook log after it, and exit status 1.
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


class Failed(Exception):
    """A check found something not as it should be; the message says what."""


def want(condition: object, message: str) -> None:
    """Fails the check with `message` unless `condition` holds."""
    if not condition:
        raise Failed(message)


def read_text(path: Path) -> str:
    """The UTF-8 text of `path`, or a failed check naming the file."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise Failed(f"cannot read {path}: {e}") from e


def read_json(path: Path) -> Any:
    """The JSON value in `path`, or a failed check naming the file."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise Failed(f"{path} is not JSON ({e}): {text[:300]}") from e


def read_jsonl(path: Path) -> list[Any]:
    """The JSON values of the non-blank lines of `path` (JSON Lines), in order."""
    values = []
    for n, line in enumerate(read_text(path).splitlines(), 1):
        if line.strip():
            try:
                values.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise Failed(f"{path}:{n} is not JSON ({e}): {line[:300]}") from e
    return values


def strings(value: Any) -> list[str]:
    """Every string inside a JSON value (object values, array items), depth first."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def says(value: Any, *texts: str) -> bool:
    """Every one of `texts` occurs in some string inside the JSON value."""
    found = strings(value)
    return all(any(t in s for s in found) for t in texts)


ANY = object()


class HookLog:
    """Our hook log (MAESTRO_HOOK_LOG): one JSON object a hook run,
    {"time", "hook", "session_id", "agent", "answer", "errors"}. A missing file is no run."""

    def __init__(self, path: Path):
        self.path = path
        self.entries = read_jsonl(path) if path.exists() else []

    def of(self, hook: str) -> list[dict[str, Any]]:
        """The runs of `hook` (an executable name: session-start, before-agent, ...)."""
        return [e for e in self.entries if e.get("hook") == hook]

    def find(
        self,
        hook: str,
        *texts: str,
        agent: Any = ANY,
        answer: Any = ANY,
        decision: Any = ANY,
        session_id: Any = ANY,
    ) -> list[dict[str, Any]]:
        """The runs of `hook` whose answer holds every one of `texts` and whose agent, answer,
        answer's decision and session id are the ones given (`None` matches a missing one)."""
        found = []
        for e in self.of(hook):
            ans = e.get("answer")
            if agent is not ANY and e.get("agent") != agent:
                continue
            if answer is not ANY and ans != answer:
                continue
            if decision is not ANY and (ans or {}).get("decision") != decision:
                continue
            if session_id is not ANY and e.get("session_id") != session_id:
                continue
            if says(ans, *texts):
                found.append(e)
        return found

    def has(self, hook: str, *texts: str, **fields: Any) -> bool:
        """Some run of `hook` matches (see `find`)."""
        return bool(self.find(hook, *texts, **fields))

    def no_errors(self) -> None:
        """Fails when some hook run reported an error."""
        errors = [e for e in self.entries if e.get("errors")]
        want(not errors, f"a hook reported an error: {errors[:3]}")


def without_tokens(path: Path) -> str:
    """A session file without what automatic token accounting changes (`updated`, the token
    counts, our `transcript_usage` block, and `revision`, which every write of the file moves
    on), to compare a file before and after a turn whose sub-agent's transcript the hooks
    counted. A JSON frontmatter (a new project's sessions) is given without those keys, one key
    per line; a YAML one without their lines."""
    text = read_text(path)
    want(text.startswith("---\n"), f"{path} has no frontmatter")
    front, sep, body = text[4:].partition("\n---\n")
    want(sep, f"{path}: the frontmatter does not end")
    if front.startswith("{"):
        try:
            data = json.loads(front)
        except json.JSONDecodeError as e:
            raise Failed(f"{path}: the JSON frontmatter does not parse: {e}") from e
        data.pop("updated", None)
        data.pop("revision", None)
        data.pop("transcript_usage", None)
        data.get("token_usage", {}).clear()
        keys = "".join(f"{json.dumps(k)} {json.dumps(v, sort_keys=True)}\n" for k, v in data.items())
        return keys + body
    kept, skipping = [], False
    for line in front.splitlines():
        if skipping and line.startswith(" "):
            continue
        skipping = False
        if line.startswith(("updated:", "revision:")):
            continue
        if line.startswith("token_usage:"):
            kept.append(line)
            skipping = True
        elif line.startswith("transcript_usage:"):
            skipping = True
        else:
            kept.append(line)
    return "\n".join(kept) + "\n---\n" + body


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs a command (maestro-session, a state tool) in `cwd` with the driver's environment
    (PATH holds the installed executables), capturing its output."""
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def show(cli: Path, project: Path, session: str) -> dict[str, Any]:
    """`CLI --json show SESSION` (CLI: the installed maestro-session) in `project`, parsed;
    fails naming the error."""
    done = run([str(cli), "--json", "show", session], project)
    want(done.returncode == 0, f"maestro-session show {session}: {done.stderr.strip()}")
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as e:
        raise Failed(f"maestro-session --json show {session} printed no JSON ({e}): {done.stdout[:300]}") from e


class Run:
    """One check's context: the runtime's name, the scratch world, the check's arguments."""

    def __init__(self, runtime: str, world: Path, args: list[str]):
        self.runtime = runtime
        self.world = world
        self.args = args

    def ok(self, message: str) -> None:
        """Reports one check passed: prints it and counts it in WORLD/ok.log."""
        line = f"  ok: {message}"
        print(line, flush=True)
        with (self.world / "ok.log").open("a", encoding="utf-8") as f:
            f.write(line + "\n")


Check = Callable[[Run], None]


def main(runtime: str, checks: dict[str, Check], hook_logs: Callable[[Run], Iterable[Path]]) -> None:
    """The command line of a runtime's check file: `CHECK WORLD [ARGS...]`, or `summary WORLD
    STARTED` (the closing line: how many checks passed, the seconds since STARTED, a Unix
    time). `hook_logs` names the hook logs to print after a failure."""
    argv = sys.argv[1:]
    if len(argv) < 2 or (argv[0] not in checks and argv[0] != "summary"):
        names = ", ".join(sorted(checks))
        sys.exit(f"usage: {runtime}.py CHECK WORLD [ARGS...]  (CHECK: {names}, summary)")
    name, world, args = argv[0], Path(argv[1]), argv[2:]
    if name == "summary":
        log = world / "ok.log"
        passed = len(read_text(log).splitlines()) if log.exists() else 0
        took = f" ({int(time.time()) - int(args[0])} s)" if args else ""
        print(f"e2e-{runtime}: {passed} passed, 0 failed{took}")
        return
    run_ = Run(runtime, world, args)
    try:
        checks[name](run_)
    except Failed as e:
        print(f"e2e-{runtime}: FAILED ({name}): {e}", file=sys.stderr)
        for path in hook_logs(run_):
            if path.exists():
                for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                    print(f"  log: {line}", file=sys.stderr)
        sys.exit(1)


def env_path(name: str) -> Path:
    """The folder in environment variable `name` (set by the driver), or a failed check."""
    value = os.environ.get(name)
    want(value, f"{name} is not set: run the check from its driver")
    return Path(str(value))
