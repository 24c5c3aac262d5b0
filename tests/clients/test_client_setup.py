"""The rule for missing clients: under CI a failure (a build that skips its client tests is broken),
elsewhere a skip that says what is missing and how to install it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def clients_conftest() -> ModuleType:
    # Loaded from its path under a name of its own: `import conftest` would find whichever conftest came first.
    spec = importlib.util.spec_from_file_location("mockgw_clients_conftest", HERE / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_a_missing_client_fails_under_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)

    with pytest.raises(pytest.fail.Exception) as caught:
        clients_conftest().require(False, "Node.js is not installed")

    assert str(caught.value) == (
        "Node.js is not installed (CI is set, so this is a failure, not a skip; run `make clients`)"
    )


@pytest.mark.parametrize("ci", [None, "", "0", "false"])
def test_a_missing_client_is_skipped_outside_ci(monkeypatch: pytest.MonkeyPatch, ci: str | None) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)

    with pytest.raises(pytest.skip.Exception) as caught:
        clients_conftest().require(False, "Node.js is not installed")

    assert str(caught.value) == "Node.js is not installed; run `make clients`"


def test_a_client_that_is_there_is_neither(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    clients_conftest().require(True, "never shown")
