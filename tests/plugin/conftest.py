"""Helpers for the plugin's tests: pytester runs inner pytest sessions in a project that is not mockgw."""

from __future__ import annotations

import sys
from pathlib import Path

import anthropic  # noqa: F401  (see below)
import pytest

# Imported here, anthropic stays in sys.modules across pytester's in-process runs, which otherwise drop and
# re-import what an inner session imported: importing the SDK costs seconds, the inner tests milliseconds.

PYTHON = sys.executable  # the project's .venv python, with mockgw installed (its pytest11 entry point too)
REPO = Path(__file__).resolve().parents[2]

# The inner project's configuration: what a user's project would have; the mockgw plugin arrives through
# the entry point, not through this file.
INNER_INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
addopts = -p no:cacheprovider -p no:hypothesispytest
"""

# A scenario most inner tests use: one named rule for "hello", one counted rule, nothing else.
GREET = {"rules": [{"name": "greet", "match": {"last_user": {"contains": "hello"}}, "reply": "Hi!"}]}


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A user's project: a pytest.ini and nothing of mockgw's own configuration."""
    pytester.makeini(INNER_INI)
    return pytester
