"""pytest plugin for mockgw, registered through the ``pytest11`` entry point.

- ``mockgw``: a function-scoped fixture over one server per test session (per xdist worker: each worker is
  its own process). Journal and rule state are reset for every test.
- ``mockgw_server``: that session-scoped server itself, for session fixtures (its state is not reset).
- ``@pytest.mark.mockgw(scenario=..., strict=True)``: the scenario for a test (a path, a bundled name, a
  dict or YAML text; relative paths are looked up next to the test file first). ``strict`` (the default)
  fails the test at teardown when a request matched no rule, even when the code under test swallowed the
  error, or when a ``times:`` rule was not used up.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# pytest loads this plugin in every run where mockgw is installed, whether or not a test uses it: mockgw's
# server and models (most of a fresh process's start-up) are imported by the first test that asks for a
# gateway, not here.
if TYPE_CHECKING:
    from mockgw.scenario.schema import Scenario
    from mockgw.testing import MockGateway, ScenarioLike

MARKER = "mockgw"
_OPTIONS = ("scenario", "strict")
_CALL_REPORT = pytest.StashKey[pytest.TestReport]()
_SCENARIOS = pytest.StashKey[dict[tuple[object, ...], "Scenario"]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockgw(scenario=None, strict=True): the scenario the `mockgw` fixture serves for this test "
        "(path, bundled name, dict or YAML text); strict=False tolerates unmatched requests and unused "
        "`times:` rules.",
    )


@pytest.hookimpl(hookwrapper=True)  # the old-style wrapper: it works with every pluggy pytest 7+ may bring
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    # Remember how the test body went: after a failure, unused `times:` rules are its consequence, not news.
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when == "call":
        item.stash[_CALL_REPORT] = report


@pytest.fixture(scope="session")
def mockgw_server() -> Iterator[MockGateway]:
    """The session's one mockgw server, serving the bundled default until a test asks for another."""
    from mockgw.testing import MockGateway

    with MockGateway() as gateway:
        yield gateway


def _marker_options(item: pytest.Item) -> dict[str, Any]:
    options: dict[str, Any] = {}
    # The closest marker wins, key by key: a function's over its class's over its module's.
    for marker in reversed(list(item.iter_markers(MARKER))):
        if len(marker.args) > 1:
            pytest.fail("@pytest.mark.mockgw takes one positional argument, the scenario", pytrace=False)
        if marker.args:
            options["scenario"] = marker.args[0]
        options.update(marker.kwargs)
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        pytest.fail(
            f"@pytest.mark.mockgw: unknown argument(s) {', '.join(unknown)} (known: {', '.join(_OPTIONS)})",
            pytrace=False,
        )
    return options


def _next_to_test(value: ScenarioLike, item: pytest.Item) -> ScenarioLike:
    """A relative path that exists next to the test file, as that file; anything else as given."""
    if not isinstance(value, str | Path) or "\n" in str(value) or Path(value).is_absolute():
        return value
    candidate = item.path.parent / value
    try:
        return candidate if candidate.exists() else value
    except (OSError, ValueError):  # a name too long, an embedded NUL: YAML text, not a path
        return value


def _cache_key(value: ScenarioLike) -> tuple[object, ...] | None:
    """A key under which a loaded scenario can be reused, or None when loading again is cheap or unsafe.

    Loading a file costs milliseconds (reading, YAML); a dict only validates (microseconds), so it is not
    cached. A file is keyed by its modification time and size, so a test that rewrites it gets the new one.
    """
    if value is None:
        return ("default",)
    if not isinstance(value, str | Path):
        return None
    try:
        stat = os.stat(value)
    except (OSError, ValueError):
        return ("text", str(value))  # a bundled name or YAML text: both fixed for the session
    if not os.path.isfile(value):
        return None  # a folder: its files may change between tests
    return ("file", os.path.abspath(value), stat.st_mtime_ns, stat.st_size)


def _scenario_for(item: pytest.Item, value: ScenarioLike) -> Scenario:
    from mockgw.scenario.loader import ScenarioError
    from mockgw.testing import coerce_scenario

    value = _next_to_test(value, item)
    key = _cache_key(value)
    cache = item.config.stash.setdefault(_SCENARIOS, {})
    if key is not None and key in cache:
        return cache[key]
    try:
        scenario = coerce_scenario(value)
    except ScenarioError as exc:
        problem = str(exc)
    else:
        if key is not None:
            cache[key] = scenario
        return scenario
    # Outside the except block, so the report is the problem alone, without a chained traceback.
    pytest.fail(f"@pytest.mark.mockgw: the scenario does not load:\n{problem}", pytrace=False)


def _strict_report(problems: list[str]) -> str:
    lines = "\n".join(f"  - {p}" for p in problems)
    return (
        f"mockgw strict mode: {len(problems)} problem(s) in this test\n{lines}\n"
        "(use @pytest.mark.mockgw(strict=False) to allow this)"
    )


@pytest.fixture
def mockgw(mockgw_server: MockGateway, request: pytest.FixtureRequest) -> Iterator[MockGateway]:
    """The session's mock gateway, serving this test's scenario with a fresh journal and rule state.

    In strict mode (the default) the test fails at teardown if a request matched no rule or a ``times:``
    rule was not used up; ``@pytest.mark.mockgw(strict=False)`` allows both.
    """
    item = request.node
    options = _marker_options(item)
    strict = bool(options.get("strict", True))
    wanted = _scenario_for(item, options.get("scenario"))
    current = mockgw_server.scenario
    # Loading builds a new engine (a Faker among it): skip that when the scenario is the one being served.
    if wanted is not current and wanted != current:
        mockgw_server.load(wanted)
    mockgw_server.reset()
    yield mockgw_server
    problems: list[str] = []
    if strict:
        report = item.stash.get(_CALL_REPORT, None)
        passed = report is not None and report.passed
        problems = mockgw_server.strict_failures(unmatched=True, unused=passed)
    mockgw_server.reset()  # leave the session's server clean for fixtures that use it directly
    if problems:
        pytest.fail(_strict_report(problems), pytrace=False)
