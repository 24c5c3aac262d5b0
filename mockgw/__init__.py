"""mockgw: a local, offline mock of an Anthropic-compatible LLM gateway.

The Python API: ``MockGateway`` (a server in its own thread) and ``AsyncMockGateway`` (on your loop);
the pytest fixture ``mockgw`` comes from the plugin registered at install.
"""

from mockgw._version import __version__
from mockgw.scenario.loader import ScenarioError
from mockgw.testing import AsyncMockGateway, MockGateway

__all__ = ["AsyncMockGateway", "MockGateway", "ScenarioError", "__version__"]
