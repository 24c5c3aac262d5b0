"""Real Node clients against mockgw: Claude Code's native binary, the TypeScript SDK, the Vercel AI SDK.

They are installed by ``make clients`` (``npm ci`` in this folder). A missing Node or client skips these
tests with the reason, except under CI (``CI`` set), where it fails them: CI must never pass by skipping.

Each client runs as a subprocess with a generous timeout, in a temporary working folder and an empty
``HOME``, with the parent's ``ANTHROPIC_*``/``CLAUDE_*`` variables removed so that nothing of the
developer's own setup (a real key, a Bedrock switch, hooks in ~/.claude) leaks into a test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from mockgw.server import routes
from mockgw.testing import MockGateway

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
CLAUDE = NODE_MODULES / ".bin" / "claude"
NODE_PACKAGES = ("@anthropic-ai/sdk", "ai", "@ai-sdk/anthropic", "zod")
TIMEOUT_S = 60  # a `claude -p` turn takes about 1 s; this only keeps a wedged client from hanging the run

# Scripted runs: no calls home, no silent non-streaming retry of a broken stream, few retries (Claude Code
# otherwise retries 10 times with growing waits).
CLAUDE_ENV = {
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "DISABLE_AUTOUPDATER": "1",
    "CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK": "1",
    "CLAUDE_CODE_MAX_RETRIES": "1",
}
_LEAKY_PREFIXES = ("ANTHROPIC_", "CLAUDE_", "XDG_", "AWS_", "GOOGLE_", "VERTEX_", "OPENAI_", "AI_GATEWAY_", "VERCEL_")


def in_ci() -> bool:
    """Whether ``CI`` is set (to anything but empty, ``0`` or ``false``), as CI services do."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def require(available: bool, reason: str) -> None:
    """Skip when ``reason`` holds, or fail under CI: there, a missing client is a broken build."""
    if available:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip; run `make clients`)", pytrace=False)
    pytest.skip(f"{reason}; run `make clients`")


def clean_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The parent's environment without credentials and client settings, with ``HOME`` set to ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_LEAKY_PREFIXES) and k != "CI"}
    env["HOME"] = str(home)
    env.update(extra or {})
    return env


@pytest.fixture(scope="session")
def node_bin() -> str:
    """The ``node`` executable, with the pinned SDK packages installed next to this file."""
    node = shutil.which("node")
    require(node is not None, "Node.js is not installed (`node` is not on PATH)")
    assert node is not None
    missing = [p for p in NODE_PACKAGES if not (NODE_MODULES / p / "package.json").is_file()]
    require(not missing, f"Node packages missing from {NODE_MODULES}: {', '.join(missing)}")
    return node


@pytest.fixture(scope="session")
def claude_bin() -> Path:
    """Claude Code's native binary, as installed by ``npm ci`` (its postinstall puts it in place)."""
    require(CLAUDE.exists(), f"Claude Code is not installed ({CLAUDE} is missing)")
    probe = subprocess.run([str(CLAUDE), "--version"], capture_output=True, text=True, timeout=TIMEOUT_S)
    require(
        probe.returncode == 0,
        f"Claude Code does not run ({CLAUDE} --version exited {probe.returncode}: {probe.stderr.strip()[:200]})",
    )
    return CLAUDE


@pytest.fixture(scope="session")
def jq_bin() -> str:
    """``jq``, which the docs' recipes use to read JSON."""
    jq = shutil.which("jq")
    require(jq is not None, "jq is not installed (docs/claude-code.md uses it to read JSON)")
    assert jq is not None
    return jq


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working folder for the client."""
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty HOME: no ~/.claude settings, credentials or caches of the developer's."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@dataclass
class ClaudeRun:
    """A finished ``claude`` run."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The ``--output-format json`` result object."""
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError:
            raise AssertionError(f"claude did not print JSON:\nstdout: {self.stdout}\nstderr: {self.stderr}") from None

    def events(self) -> list[dict[str, Any]]:
        """The ``--output-format stream-json`` objects, one per line."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


ClaudeRunner = Callable[..., ClaudeRun]


@pytest.fixture
def claude(claude_bin: Path, workdir: Path, home: Path) -> ClaudeRunner:
    """``claude(args, gw, cwd=workdir, home=home, extra_env=None)``: run Claude Code against ``gw``."""

    def run(
        args: list[str],
        gw: MockGateway,
        cwd: Path = workdir,
        home: Path = home,
        extra_env: Mapping[str, str] | None = None,
    ) -> ClaudeRun:
        env = clean_env(home, {**gw.env(), **CLAUDE_ENV, **(extra_env or {})})
        done = subprocess.run(
            [str(claude_bin), *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
        return ClaudeRun(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def new_user_env(claude_bin: Path, home: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a new user's shell: ``mockgw`` and ``claude`` on PATH, an empty HOME, nothing else."""
    path = os.pathsep.join([str(Path(sys.executable).parent), str(claude_bin.parent), os.environ.get("PATH", "")])
    return clean_env(home, {"PATH": path, "TMPDIR": str(tmp_path)})


NodeRunner = Callable[..., Any]


@pytest.fixture
def run_node(node_bin: str, home: Path) -> NodeRunner:
    """``run_node(script, env)``: run a script of this folder with Node; return the JSON it prints last.

    Scripts run from this folder, so their imports resolve to the pinned packages in ``node_modules``.
    """

    def run(script: str, env: Mapping[str, str] | None = None, *args: str) -> Any:
        done = subprocess.run(
            [node_bin, str(HERE / script), *args],
            cwd=HERE,
            env=clean_env(home, env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
        assert done.returncode == 0, f"node {script} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        assert lines, f"node {script} printed nothing:\n{done.stderr}"
        return json.loads(lines[-1])

    return run


# ---------------------------------------------------------------- a tap on the routes the journal leaves out


@dataclass(frozen=True)
class Tapped:
    method: str
    path: str
    status: int
    headers: dict[str, str]


@pytest.fixture
def route_tap(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Tapped]]:
    """Records ``count_tokens`` and ``/v1/models`` requests of gateways started after this fixture.

    The journal records ``/v1/messages`` only, so the ``/context`` and model-discovery tests watch these two
    routes by wrapping their handlers before the app is built (``add_routes`` reads them at that moment).
    """
    seen: list[Tapped] = []

    def tap(handler: Callable[[web.Request], Any]) -> Callable[[web.Request], Any]:
        async def tapped(request: web.Request) -> web.StreamResponse:
            response: web.StreamResponse = await handler(request)
            headers = {k.lower(): v for k, v in request.headers.items()}
            seen.append(Tapped(request.method, request.path_qs, response.status, headers))
            return response

        return tapped

    for name in ("count_tokens", "list_models"):
        monkeypatch.setattr(routes, name, tap(getattr(routes, name)))
    yield seen
