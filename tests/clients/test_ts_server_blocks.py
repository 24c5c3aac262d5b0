"""The server tool blocks through the official TypeScript SDK (@anthropic-ai/sdk), via ts_server_blocks.mjs.

Every case of tests/fixtures/server-blocks.yaml is created, then streamed and folded by ``MessageStream``
(``finalMessage()``); the two must be the same message, for the GA blocks through ``client.messages`` and
``client.beta.messages``, for the beta-only ones (MCP, compaction) through ``client.beta.messages``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mockgw.core.clock import FakeClock
from mockgw.testing import MockGateway
from tests.clients.conftest import HERE, clean_env
from tests.contract.test_server_blocks import BETA_CASES, GA_CASES

GatewayFactory = Callable[..., MockGateway]
NodeRunner = Callable[..., Any]
SCENARIO = Path(__file__).resolve().parents[1] / "fixtures" / "server-blocks.yaml"
CASES = [*GA_CASES, *(f"beta:{c}" for c in GA_CASES), *(f"beta:{c}" for c in BETA_CASES)]


@pytest.fixture(scope="module")
def folded(node_bin: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every case, created and streamed, in one Node process (its start-up is the slow part; conftest's
    run_node is per test)."""
    with MockGateway(SCENARIO, clock=FakeClock()) as gw:
        done = subprocess.run(
            [node_bin, str(HERE / "ts_server_blocks.mjs"), *CASES],
            cwd=HERE,
            env=clean_env(tmp_path_factory.mktemp("home"), gw.env()),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize("case", CASES)
def test_message_stream_folds_each_block_into_the_created_message(folded: dict[str, Any], case: str) -> None:
    created, streamed = folded[case]["created"], dict(folded[case]["streamed"])

    assert streamed.pop("parsed_output") is None  # MessageStream's own (structured output), null without it
    assert streamed == created
    expected = GA_CASES.get(case.removeprefix("beta:")) or BETA_CASES[case.removeprefix("beta:")]
    types = [block["type"] for block in created["content"]]
    assert len(types) == len(expected) and all(
        t.replace("_", "") in e.lower() for t, e in zip(types, expected, strict=True)
    )


def test_the_container_reaches_the_folded_message(folded: dict[str, Any]) -> None:
    for case in ("code_execution", "beta:bash"):
        streamed = folded[case]["streamed"]
        assert streamed["container"]["id"].startswith("container_011C")
        assert streamed["container"] == folded[case]["created"]["container"]
