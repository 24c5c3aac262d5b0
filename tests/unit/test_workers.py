"""``mockgw serve --workers N``: N processes on one port for stateless scenarios; stateful ones are refused."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockgw.cli.main import main
from mockgw.cli.workers import worker_argv
from tests.conftest import http_call
from tests.unit.test_cli import clean_env, read_banner

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def mockgw_logging() -> Iterator[None]:
    """serve configures the ``mockgw`` logger; put it back as it was."""
    logger = logging.getLogger("mockgw")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def scenario_file(tmp_path: Path, rules: str) -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text("rules:\n" + textwrap.indent(textwrap.dedent(rules), "  "))
    return str(path)


@pytest.mark.parametrize(
    ("rules", "named"),
    [
        ("- name: steps\n  sequence: [{reply: one}, {reply: two}]\n", "steps: sequence"),
        ("- name: once\n  times: 1\n  reply: only once\n", "once: times"),
        ("- name: login\n  reply: welcome\n  set_state: in\n", "login: set_state"),
        ("- reply: hi\n- match: {state: in}\n  reply: again\n", "rules[1]: match.state"),
    ],
    ids=["sequence", "times", "set_state", "match.state"],
)
def test_a_scenario_with_session_state_is_refused_naming_what_holds_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rules: str, named: str
) -> None:
    path = scenario_file(tmp_path, rules)
    assert main(["serve", "--port", "0", "--workers", "2", "--scenario", path]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # nothing served
    assert err.startswith("mockgw: --workers 2: the scenario keeps session state")
    assert named in err


def test_a_data_dir_is_refused_under_several_workers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario_file(tmp_path, "- reply: hi\n")
    assert main(["serve", "--port", "0", "--workers", "2", "--scenario", path, "--data-dir", str(tmp_path)]) == 2
    assert "a data dir is written by one process" in capsys.readouterr().err


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_workers_must_be_a_positive_number(workers: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--workers", workers])
    assert "--workers: expected a whole number of at least 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("given", "passed"),
    [
        (["--workers", "2", "--port", "0", "--scenario", "s.yaml"], ["--scenario", "s.yaml"]),
        (["--workers=2", "--port=8080", "--seed", "3"], ["--seed", "3"]),
        (["--scenario", "a", "--scenario", "b", "--workers", "4"], ["--scenario", "a", "--scenario", "b"]),
    ],
)
def test_each_worker_gets_serves_arguments_but_workers_and_port(given: list[str], passed: list[str]) -> None:
    assert worker_argv(given) == passed


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """``mockgw serve --workers 2 --port 0``; stopped (SIGTERM, then killed) at the end if still running."""
    path = scenario_file(tmp_path, "- reply: hello\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "mockgw", "serve", "--port", "0", "--workers", "2", "--scenario", path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=clean_env(),
    )
    yield process
    if process.poll() is None:
        process.terminate()  # the parent stops its workers; a SIGKILL would leave them to notice it alone
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def test_two_workers_answer_on_one_port_and_say_which_answered(two_workers: subprocess.Popen[str]) -> None:
    first = read_banner(two_workers)[0]
    assert first.endswith(" by 2 worker processes")
    url = first.rsplit(" at ", 1)[1].split(" ")[0]
    seen: set[str] = set()
    # The banner comes once both workers listen: from the first connection on, none is refused, and the
    # kernel spreads new connections over both (each call below opens its own).
    for _ in range(200):
        response = http_call(url + "/_mockgw/state", "GET")
        assert response.status == 200
        seen.add(response.headers["x-mockgw-worker"])
        if seen == {"1", "2"}:
            break
    assert seen == {"1", "2"}

    two_workers.send_signal(signal.SIGINT)
    assert two_workers.wait(timeout=20) == 0
    assert two_workers.stdout is not None and two_workers.stderr is not None
    assert two_workers.stdout.read().count("mockgw: stopped.") == 1
    assert "Traceback" not in two_workers.stderr.read()


def test_mockgw_workers_in_the_environment_is_read_like_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCKGW_WORKERS", "3")
    path = scenario_file(tmp_path, "- name: once\n  times: 1\n  reply: hi\n")
    assert main(["serve", "--port", "0", "--scenario", path]) == 2
    assert capsys.readouterr().err.startswith("mockgw: --workers 3: the scenario keeps session state")


def test_a_bad_mockgw_workers_is_named(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKGW_WORKERS", "many")
    assert main(["serve", "--port", "0"]) == 2
    assert capsys.readouterr().err.startswith("mockgw: MOCKGW_WORKERS: expected a whole number of at least 1")
