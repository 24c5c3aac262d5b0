"""docs/ai-sdk.md runs as written: its scenarios load, and each client example answers from the first one."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mockgw.scenario.loader import load_scenario_text
from mockgw.testing import MockGateway
from tests.clients.conftest import HERE, NODE_MODULES, TIMEOUT_S, clean_env, require

DOC = Path(__file__).resolve().parents[2] / "docs" / "ai-sdk.md"


@pytest.fixture(autouse=True)
def _pinned_providers() -> None:
    """A node_modules installed before these providers were pinned skips (fails under CI): run `make clients`."""
    for package in ("@ai-sdk/gateway", "@ai-sdk/openai-compatible"):
        require((NODE_MODULES / package / "package.json").is_file(), f"{package} is missing from {NODE_MODULES}")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("block", _blocks("yaml"))
def test_every_yaml_example_of_the_page_loads(block: str) -> None:
    load_scenario_text(block, str(DOC))


@pytest.mark.parametrize("index", [0, 1, 2])
def test_each_client_in_five_lines_answers_from_the_pages_scenario(
    gateway: Callable[..., MockGateway], node_bin: str, home: Path, index: int
) -> None:
    gw = gateway(_blocks("yaml")[0])
    example = _blocks("js")[index]

    # --eval resolves imports from the working folder: the pinned packages next to the tests.
    done = subprocess.run(
        [node_bin, "--input-type=module", "--eval", example],
        cwd=HERE,
        env=clean_env(home, gw.env()),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Hello from mockgw."
    assert len(example.strip().splitlines()) == 5
