"""The README is the front door: its scenario loads and its fixture example passes as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockgw.scenario.loader import load_scenario_text

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_the_readme_scenario_loads() -> None:
    [scenario] = [b for b in blocks("yaml") if "rules:" in b]
    assert len(load_scenario_text(scenario, "README.md").rules) == 5


def test_the_readme_fixture_example_passes(pytester: pytest.Pytester) -> None:
    [example] = [b for b in blocks("python") if "def test_" in b]
    pytester.makepyfile(test_readme_example=example)
    # A user project of its own: its own pytest settings, as a reader who copies the example would have.
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
