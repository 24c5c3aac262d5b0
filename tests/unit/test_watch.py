"""``--watch``: a changed scenario file is reloaded; a broken edit keeps the last good scenario and says why."""

from __future__ import annotations

import asyncio
import logging
import os
import textwrap
from pathlib import Path

import pytest

from mockgw.scenario.loader import load_scenarios
from mockgw.scenario.schema import Scenario
from mockgw.server.app import create_app, gateway_of
from mockgw.server.state import GatewayConfig
from mockgw.server.watch import ScenarioWatcher


def write(path: Path, text: str) -> Path:
    """Write a file and move its mtime a second on, so the change shows on any file system's clock."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    later = max(path.stat().st_mtime_ns, before + 1_000_000_000)
    os.utime(path, ns=(later, later))
    return path


def rule_names(scenario: Scenario) -> list[str]:
    return [rule.name or "?" for rule in scenario.rules]


ONE = "rules:\n  - name: one\n    reply: first\n"
TWO = "rules:\n  - name: two\n    reply: second\n"
BROKEN = """
rules:
  - name: two
    match: {last_usr: hi}
    reply: second
"""


@pytest.fixture
def applied() -> list[Scenario]:
    """What the watcher handed over, in order."""
    return []


def test_an_unchanged_file_is_not_reloaded(tmp_path: Path, applied: list[Scenario]) -> None:
    path = write(tmp_path / "s.yaml", ONE)
    watcher = ScenarioWatcher([str(path)], applied.append)
    assert watcher.poll() == "unchanged"
    assert applied == []


def test_an_edit_is_loaded_and_handed_over(tmp_path: Path, applied: list[Scenario]) -> None:
    path = write(tmp_path / "s.yaml", ONE)
    watcher = ScenarioWatcher([str(path)], applied.append)
    write(path, TWO)
    assert watcher.poll() == "reloaded"
    assert [rule_names(s) for s in applied] == [["two"]]
    assert applied[0].name == "s"  # named as at start-up: after the file


def test_a_broken_edit_keeps_the_scenario_and_logs_file_and_line_once(
    tmp_path: Path, applied: list[Scenario], caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "s.yaml", ONE)
    watcher = ScenarioWatcher([str(path)], applied.append)
    write(path, BROKEN)
    with caplog.at_level(logging.ERROR, logger="mockgw"):
        assert watcher.poll() == "kept"
        assert watcher.poll() == "unchanged"  # not reported again until the file changes
    assert applied == []
    assert [r.getMessage() for r in caplog.records] == [
        "mockgw: scenario not reloaded (1 problem); still serving the last good one:\n"
        f"{path}:3: rules[0].match: unknown key 'last_usr' (did you mean 'last_user'?)"
    ]
    write(path, TWO)
    assert watcher.poll() == "reloaded"
    assert [rule_names(s) for s in applied] == [["two"]]


def test_a_deleted_file_is_reported_and_picked_up_again_when_it_returns(
    tmp_path: Path, applied: list[Scenario], caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "s.yaml", ONE)
    watcher = ScenarioWatcher([str(path)], applied.append)
    path.unlink()
    with caplog.at_level(logging.ERROR, logger="mockgw"):
        assert watcher.poll() == "kept"
    assert "no such file" in caplog.text
    write(path, TWO)
    assert watcher.poll() == "reloaded"
    assert [rule_names(s) for s in applied] == [["two"]]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda folder: write(folder / "c.yml", "rules: [{name: three, reply: third}]\n"), ["one", "two", "three"]),
        (lambda folder: (folder / "b.yaml").unlink(), ["one"]),
        (lambda folder: write(folder / "b.yaml", "rules: [{name: changed, reply: x}]\n"), ["one", "changed"]),
    ],
    ids=["file-added", "file-removed", "file-edited"],
)
def test_a_folder_is_watched_for_added_removed_and_edited_files(
    tmp_path: Path, applied: list[Scenario], change, expected: list[str]
) -> None:
    write(tmp_path / "a.yaml", ONE)
    write(tmp_path / "b.yaml", TWO)
    watcher = ScenarioWatcher([str(tmp_path)], applied.append)
    write(tmp_path / "notes.txt", "not a scenario: ignored")
    assert watcher.poll() == "unchanged"
    change(tmp_path)
    assert watcher.poll() == "reloaded"
    assert [rule_names(s) for s in applied] == [expected]


def test_a_reload_logs_the_scenario_it_now_serves(
    tmp_path: Path, applied: list[Scenario], caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "s.yaml", ONE)
    watcher = ScenarioWatcher([str(path)], applied.append)
    write(path, TWO)
    with caplog.at_level(logging.INFO, logger="mockgw"):
        watcher.poll()
    assert caplog.messages == ["mockgw: reloaded scenario 's' (1 rule)"]


async def test_a_running_server_serves_the_edit_within_a_few_polls(tmp_path: Path, aiohttp_client) -> None:
    path = write(tmp_path / "s.yaml", ONE)
    client = await aiohttp_client(create_app(GatewayConfig(scenario=load_scenarios([path]))))
    gateway = gateway_of(client.server.app)
    task = asyncio.create_task(ScenarioWatcher([str(path)], gateway.load, interval=0.02).run())
    request = {"model": "m", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
    try:
        first = await (await client.post("/v1/messages", json=request)).json()
        write(path, TWO)
        # Generous bound: a loaded machine may take a while; a working watcher takes about one interval.
        for _ in range(500):
            if gateway.scenario.rules[0].name == "two":
                break
            await asyncio.sleep(0.01)
        second = await (await client.post("/v1/messages", json=request)).json()
    finally:
        task.cancel()
    assert (first["content"][0]["text"], second["content"][0]["text"]) == ("first", "second")
