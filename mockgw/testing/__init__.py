"""The Python API for tests: ``MockGateway`` (own thread and loop) and ``AsyncMockGateway`` (your loop).

with MockGateway({"rules": [{"reply": "Hi!"}]}) as gw:
    client = anthropic.Anthropic(base_url=gw.url, api_key="test")
    client.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=[...])
    gw.assert_called(times=1)
    assert gw.journal.last.status == 200

The names load on first use (``__getattr__``), as ``mockgw``'s own exports do: pytest imports this package
in every run where mockgw is installed (the plugin, ``mockgw.testing.plugin``, lives in it), and the server
and models ``MockGateway`` needs are most of a fresh process's start-up. They are imported with the garbage
collector paused (mockgw/_startup.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mockgw._startup import collector_paused

if TYPE_CHECKING:
    from mockgw.testing.gateway import (
        QUIET_ENV,
        AsyncMockGateway,
        GatewayOptions,
        MockGateway,
        ScenarioLike,
        coerce_scenario,
        describe,
    )

__all__ = [
    "QUIET_ENV",
    "AsyncMockGateway",
    "GatewayOptions",
    "MockGateway",
    "ScenarioLike",
    "coerce_scenario",
    "describe",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'mockgw.testing' has no attribute {name!r}")
    with collector_paused():
        value = getattr(importlib.import_module("mockgw.testing.gateway"), name)
    globals()[name] = value  # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
