"""The Dockerfile, docker-compose.yml and devcontainer.json, checked without a container engine.

What can be run here is run: the image's command line through our CLI parser and as a process with the
environment the image and compose set, the healthcheck one-liners against it, and the wheel the image
installs, built offline.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockgw.cli.main import build_parser, serve_flags
from mockgw.cli.settings import DEFAULT_PORT, ENV_VARIABLES, resolve
from mockgw.scenario.loader import load_scenarios
from tests.conftest import http_call

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
DEVCONTAINER = ROOT / ".devcontainer" / "devcontainer.json"


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        word, _, rest = (pending + line).strip().partition(" ")
        instructions.append((word.upper(), rest.strip()))
        pending = ""
    return instructions


def instruction(name: str) -> list[str]:
    return [rest for word, rest in dockerfile() if word == name]


def exec_form(text: str) -> list[str]:
    argv = json.loads(text)
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv), f"not the exec form: {text}"
    return argv


def image_command() -> list[str]:
    """What the container runs: ENTRYPOINT followed by CMD (both in exec form)."""
    [entrypoint] = instruction("ENTRYPOINT")
    [cmd] = instruction("CMD")
    return exec_form(entrypoint) + exec_form(cmd)


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for rest in instruction("ENV"):
        for item in shlex.split(rest):
            key, _, value = item.partition("=")
            env[key] = value
    return env


def image_healthcheck() -> list[str]:
    [rest] = instruction("HEALTHCHECK")
    return exec_form(rest[rest.index("CMD ") + len("CMD ") :])


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def compose_service(name: str) -> dict[str, Any]:
    service = compose()["services"][name]
    assert isinstance(service, dict)
    return service


def compose_mockgw_env() -> dict[str, str]:
    """The mockgw service's environment, container paths mapped to the host folders mounted there."""
    service = compose_service("mockgw")
    env = {k: str(v) for k, v in service["environment"].items()}
    for volume in service.get("volumes", []):
        host, container = volume.split(":")[:2]
        for key, value in env.items():
            if value == container:
                env[key] = str((COMPOSE.parent / host).resolve())
    return env


def compose_healthcheck() -> list[str]:
    test = compose_service("mockgw")["healthcheck"]["test"]
    assert test[0] == "CMD"
    return [str(t) for t in test[1:]]


# ---------------------------------------------------------------- the Dockerfile


def test_the_image_is_slim_and_runs_as_a_user_without_privileges() -> None:
    assert instruction("FROM") == ["python:3.11-slim"]
    users = instruction("USER")
    assert users and users[-1] not in ("root", "0")
    words = [word for word, _ in dockerfile()]
    assert words.index("USER") < words.index("ENTRYPOINT")


def test_the_image_exposes_the_default_port_and_sets_it_for_the_healthcheck() -> None:
    assert instruction("EXPOSE") == [str(DEFAULT_PORT)]
    assert image_env()["MOCKGW_PORT"] == str(DEFAULT_PORT)


def test_the_image_command_is_a_serve_command_line_our_parser_accepts() -> None:
    command = image_command()
    assert command[0] == "mockgw"
    args = build_parser().parse_args(command[1:])
    assert args.command == "serve"
    settings = resolve(serve_flags(args), image_env())
    # Inside a container only 0.0.0.0 is reachable through a published port.
    assert (settings.host, settings.port) == ("0.0.0.0", DEFAULT_PORT)


def test_the_image_copies_everything_the_wheel_is_built_from() -> None:
    copied = {source for rest in instruction("COPY") for source in shlex.split(rest)[:-1]}  # the last: where to
    assert copied == {"pyproject.toml", "README.md", "mockgw", "scenarios"}
    assert all((ROOT / path).exists() for path in copied)
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert not copied & ignored


# ---------------------------------------------------------------- running it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # closed again: nothing listens there


def mockgw_executable() -> list[str]:
    """The installed ``mockgw`` console script (what the image runs), else ``python -m mockgw``."""
    script = shutil.which("mockgw", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "mockgw"]


@pytest.fixture
def container_process() -> Iterator[tuple[subprocess.Popen[str], str, dict[str, str]]]:
    """The image's command with the image's and compose's environment, on 127.0.0.1 port 0."""
    env = {**os.environ, **image_env(), **compose_mockgw_env()}
    argv = [*mockgw_executable(), *image_command()[1:], "--host", "127.0.0.1", "--port", "0"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    found = re.search(r"http://127\.0\.0\.1:(\d+)", proc.stdout.readline())
    if found is None:
        proc.kill()
        pytest.fail(f"mockgw did not start: {proc.communicate()[1]}")
    try:
        yield proc, found.group(0), {**env, "MOCKGW_PORT": found.group(1)}
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_the_container_command_serves_health_with_the_compose_scenarios(
    container_process: tuple[subprocess.Popen[str], str, dict[str, str]],
) -> None:
    proc, url, _ = container_process
    response = http_call(f"{url}/health", "GET")
    assert response.status == 200
    assert response.json()["status"] == "ok"
    # MOCKGW_SCENARIO named the mounted folder: its scenarios are served, not the default 'hello' alone.
    info = http_call(f"{url}/", "GET").json()
    expected = load_scenarios([ROOT / "scenarios"])
    assert (info["scenario"], info["rules"]) == (expected.name, len(expected.rules))
    assert info["rules"] > len(load_scenarios(["hello"]).rules)
    proc.send_signal(signal.SIGTERM)  # what `docker stop` sends
    assert proc.wait(timeout=20) == 0


@pytest.mark.parametrize("which", ["Dockerfile", "docker-compose.yml"])
def test_the_healthcheck_passes_while_mockgw_serves_and_fails_when_nothing_listens(
    which: str, container_process: tuple[subprocess.Popen[str], str, dict[str, str]]
) -> None:
    _, _, env = container_process
    command = image_healthcheck() if which == "Dockerfile" else compose_healthcheck()
    assert command[0] == "python"
    argv = [sys.executable, *command[1:]]

    assert subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode == 0
    nothing = {**env, "MOCKGW_PORT": str(free_port())}
    assert subprocess.run(argv, env=nothing, capture_output=True, timeout=30).returncode != 0


# ---------------------------------------------------------------- compose and the dev container


def test_compose_sets_only_variables_mockgw_reads() -> None:
    names = set(compose_service("mockgw")["environment"])
    assert names <= set(ENV_VARIABLES), names - set(ENV_VARIABLES)


def test_compose_publishes_mockgw_on_its_port_and_the_app_waits_until_it_is_healthy() -> None:
    port = compose_service("mockgw")["environment"]["MOCKGW_PORT"]
    assert any(mapping.endswith(f":{port}") for mapping in compose_service("mockgw")["ports"])
    app = compose_service("app")
    assert app["environment"]["ANTHROPIC_BASE_URL"] == f"http://mockgw:{port}"
    assert app["depends_on"]["mockgw"]["condition"] == "service_healthy"


def test_the_dev_container_opens_the_app_service_of_the_compose_file() -> None:
    config = json.loads(DEVCONTAINER.read_text())
    [compose_file] = config["dockerComposeFile"]
    assert (DEVCONTAINER.parent / compose_file).resolve() == COMPOSE
    services = set(compose()["services"])
    assert config["service"] in services
    assert set(config["runServices"]) <= services


# ---------------------------------------------------------------- the wheel


def test_the_built_wheel_carries_the_bundled_scenarios(tmp_path: Path) -> None:
    # Offline: the build backend comes from the test environment, not from an index.
    build = [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*build, "-w", str(tmp_path / "dist")], check=True, capture_output=True, timeout=300)
    [wheel] = (tmp_path / "dist").glob("mockgw-*.whl")
    bundled = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "site")
    assert sorted(n.removeprefix("mockgw/_bundled/") for n in names if n.startswith("mockgw/_bundled/")) == bundled

    # Imported from the unpacked wheel (as installed, and away from the repo), `mockgw scenarios` lists them all.
    code = (
        "from mockgw.scenario.loader import bundled_dir; from mockgw.cli.main import main;"
        " print(bundled_dir()); main(['scenarios'])"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    folder, *listing = run.stdout.splitlines()
    assert Path(folder) == tmp_path / "site" / "mockgw" / "_bundled"
    assert [line.split()[0] for line in listing] == [Path(b).stem for b in bundled]
