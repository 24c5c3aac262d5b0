"""pytest plugin for mockgw, registered through the ``pytest11`` entry point.

- ``mockgw``: a function-scoped fixture over one server per test session (per xdist worker: each worker
  is its own process). Journal and rule state are reset for every test.
- ``@pytest.mark.mockgw(scenario=..., strict=True)``: the scenario for a test (a path, a bundled name, a
  dict or YAML text); ``strict`` (the default) fails the test at teardown when a request matched no rule,
  or a ``times:`` rule was not used up — even when the code under test swallowed the error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockgw.testing import MockGateway, coerce_scenario

MARKER = "mockgw"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockgw(scenario=None, strict=True): the scenario the `mockgw` fixture serves for this test "
        "(path, bundled name, dict or YAML text); strict=False tolerates unmatched requests.",
    )


@pytest.fixture(scope="session")
def mockgw_server() -> Iterator[MockGateway]:
    """The session's one mockgw server (started on first use, stopped at the end of the session)."""
    with MockGateway() as gateway:
        yield gateway


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options: dict[str, Any] = {}
    # Closest marker wins: a function's marker over its class's and module's.
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            options["scenario"] = marker.args[0]
        options.update(marker.kwargs)
    unknown = set(options) - {"scenario", "strict"}
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.mockgw: unknown argument(s) {', '.join(sorted(unknown))}")
    return options


@pytest.fixture
def mockgw(mockgw_server: MockGateway, request: pytest.FixtureRequest) -> Iterator[MockGateway]:
    """A running mock gateway with a fresh journal and state; see the module docstring."""
    options = _marker_options(request)
    scenario = options.get("scenario")
    strict = bool(options.get("strict", True))
    wanted = coerce_scenario(scenario)
    if wanted is not mockgw_server.scenario and wanted != mockgw_server.scenario:
        mockgw_server.load(wanted)
    mockgw_server.reset()
    yield mockgw_server
    failures = mockgw_server.strict_failures() if strict else []
    # Leave the server clean for the next test whatever happened in this one.
    mockgw_server.reset()
    if failures:
        report = "\n".join(f"  - {f}" for f in failures)
        pytest.fail(f"mockgw strict mode:\n{report}\n(use @pytest.mark.mockgw(strict=False) to allow this)", False)
