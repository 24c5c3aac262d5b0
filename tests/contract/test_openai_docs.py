"""docs/openai.md runs as written: its scenario loads, and each client example answers from it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mockgw.scenario.loader import load_scenario_text
from tests.conftest import GatewayFactory

DOC = Path(__file__).resolve().parents[2] / "docs" / "openai.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("block", _blocks("yaml"))
def test_every_yaml_example_of_the_page_loads(block: str) -> None:
    load_scenario_text(block, str(DOC))


@pytest.mark.parametrize(
    ("index", "name", "check"),
    [
        (0, "chat", lambda v: v.choices[0].message.content == "Hello from mockgw."),
        (1, "response", lambda v: v.output_text == "Hello from mockgw."),
        (2, "vectors", lambda v: [len(d.embedding) for d in v.data] == [1536, 1536]),
    ],
)
def test_each_client_example_answers_from_the_pages_scenario(
    gateway: GatewayFactory, index: int, name: str, check: Any
) -> None:
    gw = gateway(_blocks("yaml")[0])
    namespace: dict[str, Any] = {"url": gw.url}
    exec(_blocks("python")[index], namespace)
    assert check(namespace[name])
