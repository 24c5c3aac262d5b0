"""mockgw: a local, offline mock of an Anthropic-compatible LLM gateway.

The Python API: ``MockGateway`` (a server in its own thread) and ``AsyncMockGateway`` (on your loop);
the pytest fixture ``mockgw`` comes from the plugin registered at install.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mockgw._startup import collector_paused
from mockgw._version import __version__

if TYPE_CHECKING:
    from mockgw.scenario.loader import ScenarioError
    from mockgw.testing import AsyncMockGateway, MockGateway

__all__ = ["AsyncMockGateway", "MockGateway", "ScenarioError", "__version__"]

# The exports are loaded on first use, not at ``import mockgw``: the server, the scenario models and Faker cost
# about a second of start-up on a loaded machine, and a tool that only reads ``mockgw.__version__`` should not pay
# for them.
_LAZY = {
    "AsyncMockGateway": "mockgw.testing",
    "MockGateway": "mockgw.testing",
    "ScenarioError": "mockgw.scenario.loader",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mockgw' has no attribute {name!r}")
    with collector_paused():  # the server and the models: most of start-up (mockgw/_startup.py)
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
