"""The command line: ``validate``, ``schema``, ``scenarios`` in-process; ``serve`` as a real subprocess."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockgw.cli.main import main
from mockgw.scenario.loader import bundled_dir
from tests.conftest import body, http_call

REPO = Path(__file__).resolve().parents[2]
BUNDLED = sorted(bundled_dir().glob("*.yaml"))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def clean_env() -> dict[str, str]:
    """The environment for a subprocess, without MOCKGW_* variables that would change what serve does."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MOCKGW_")} | {"PYTHONUNBUFFERED": "1"}


GOOD = """
    name: good
    rules:
      - match: {last_user: hi}
        reply: hello
      - reply: fallback
"""

BAD = """
    rules:
      - match: {last_usr: hi}
        reply: hello
      - reply:
          - text: "{{ faker.nope }}"
      - error: {status: 200}
"""


# ---------------------------------------------------------------- validate


def test_validate_a_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "good.yaml", GOOD)
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{path}: ok (2 rules)\n"
    assert err == ""


def test_validate_reports_every_problem_with_file_line_and_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "bad.yaml", BAD)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{path}:2: rules[0].match: unknown key 'last_usr' (did you mean 'last_user'?)",
        f"{path}:5: rules[1].reply[0].text: {{{{ faker.nope }}}}: Faker has no provider 'nope'",
        f"{path}:6: rules[2].error.status: Input should be greater than or equal to 400 (got 200)",
        "mockgw: 3 problems; nothing served.",
    ]


def test_validate_refuses_an_unclosed_template_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "typo.yaml",
        """
        rules:
          - reply: "The command printed {{ request.tool_result }."
    """,
    )
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"{path}:2: rules[0].reply[0].text: '{{{{ request.tool_result }}.': {{{{ is never closed")


def test_validate_several_files_checks_each_and_fails_if_any_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = write(tmp_path, "good.yaml", GOOD), write(tmp_path, "bad.yaml", BAD)
    assert main(["validate", str(good), str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == f"{good}: ok (2 rules)\n"
    assert err.count(f"{bad}:") == 3


def test_validate_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    assert main(["validate", str(missing)]) == 2
    _, err = capsys.readouterr()
    assert f"no such file, folder or bundled scenario: '{missing}'" in err


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_bundled_scenario_validates(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: ok (")


# ---------------------------------------------------------------- schema, scenarios


def schema(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["schema"]) == 0
    parsed: dict[str, Any] = json.loads(capsys.readouterr().out)
    return parsed


def test_schema_is_a_json_schema_of_scenario_files(capsys: pytest.CaptureFixture[str]) -> None:
    printed = schema(capsys)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert printed["type"] == "object"
    assert printed["additionalProperties"] is False  # editors flag typos, as the loader does
    assert {"name", "description", "seed", "auth", "models", "strict_models", "defaults", "rules"} <= set(
        printed["properties"]
    )


def _keys_known(data: dict[str, Any], definition: dict[str, Any], where: str) -> list[str]:
    known = set(definition["properties"])
    return [f"{where}.{key}" for key in data if key not in known]


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_schema_knows_every_key_of_the_bundled_scenarios(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    printed = schema(capsys)
    defs = printed["$defs"]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    unknown = _keys_known(data, printed, "")
    for index, rule in enumerate(data.get("rules", [])):
        unknown += _keys_known(rule, defs["Rule"], f"rules[{index}]")
        unknown += _keys_known(rule.get("match") or {}, defs["Match"], f"rules[{index}].match")
        for step_index, step in enumerate(rule.get("sequence") or []):
            unknown += _keys_known(step, defs["Step"], f"rules[{index}].sequence[{step_index}]")
    assert unknown == []


def test_scenarios_lists_the_bundled_ones_with_their_descriptions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [p.stem for p in BUNDLED]
    hello = next(line for line in lines if line.startswith("hello "))
    assert "default" in hello.lower()


@pytest.mark.parametrize("command", [["schema"], ["scenarios"]], ids=["schema", "scenarios"])
def test_a_reader_that_stops_early_ends_the_output_quietly(command: list[str]) -> None:
    # `mockgw schema | head`: the reader closes the pipe before mockgw has written; here it is closed
    # before mockgw even starts, so every write fails with EPIPE, as it would after head's last line.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mockgw", *command],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=clean_env(),
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""  # no BrokenPipeError traceback
    assert done.returncode == 1


# ---------------------------------------------------------------- unknown flags


@pytest.mark.parametrize(
    ("argv", "usage", "error"),
    [
        (
            ["serve", "--prot", "9000"],
            "usage: mockgw serve [-h] [--scenario FILE]",
            "mockgw serve: error: unrecognized arguments: --prot 9000 (did you mean --port?)",
        ),
        (
            ["serve", "--port", "0", "--sed=3"],
            "usage: mockgw serve [-h] [--scenario FILE]",
            "mockgw serve: error: unrecognized arguments: --sed=3 (did you mean --seed?)",
        ),
        (
            ["validate", "--strict", "a.yaml"],
            "usage: mockgw validate [-h] FILE [FILE ...]",
            "mockgw validate: error: unrecognized arguments: --strict",
        ),
        (
            ["exec", "--bogus", "--", "true"],
            "usage: mockgw exec [-h] [--scenario FILE]",
            "mockgw exec: error: unrecognized arguments: --bogus",
        ),
        (["--bogus", "schema"], "usage: mockgw [-h] [--version]", "mockgw: error: unrecognized arguments: --bogus"),
    ],
    ids=["serve-typo", "serve-typo-with-value", "validate-unknown", "exec-unknown", "before-the-command"],
)
def test_an_unknown_flag_is_reported_with_the_usage_of_the_command_it_was_given_to(
    capsys: pytest.CaptureFixture[str], argv: list[str], usage: str, error: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(usage)
    assert err.splitlines()[-1] == error


# ---------------------------------------------------------------- serve


@pytest.fixture
def mockgw_logging() -> Iterator[None]:
    """Put the ``mockgw`` logger back as it was: ``serve`` sends it to the (captured) stderr of the moment."""
    logger = logging.getLogger("mockgw")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


@pytest.mark.usefixtures("mockgw_logging")
def test_serve_with_a_missing_scenario_file_says_so_and_serves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.yaml"
    assert main(["serve", "--port", "0", "--scenario", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no banner
    assert err.splitlines()[0].startswith(f"no such file, folder or bundled scenario: '{missing}' (bundled: ")
    assert err.splitlines()[1:] == ["mockgw: 1 problem; nothing served."]


@pytest.mark.usefixtures("mockgw_logging")
def test_serve_with_an_unusable_data_dir_names_it_and_serves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert main(["serve", "--port", "0", "--data-dir", str(blocked / "data")]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no banner
    assert err.startswith(f"mockgw: --data-dir {blocked / 'data'}: cannot keep files there: ")


@pytest.mark.usefixtures("mockgw_logging")
def test_serve_with_a_bad_scenario_lists_its_problems_and_serves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "bad.yaml", BAD)
    assert main(["serve", "--port", "0", "--scenario", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count(f"{path}:") == 3
    assert err.endswith("mockgw: 3 problems; nothing served.\n")


@pytest.mark.usefixtures("mockgw_logging")
def test_serve_on_a_port_in_use_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--host", "127.0.0.1", "--port", str(port)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [f"mockgw: cannot listen on 127.0.0.1:{port}: address already in use"]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """``mockgw serve --port 0`` running a small scenario; killed at the end if the test did not stop it."""
    path = write(tmp_path, "good.yaml", GOOD)
    process = subprocess.Popen(
        [sys.executable, "-m", "mockgw", "serve", "--port", "0", "--scenario", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=clean_env(),
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def read_banner(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != "Press Ctrl-C to stop.":
        line = process.stdout.readline()
        assert line, f"serve ended before its banner: {lines}"
        lines.append(line.rstrip("\n"))
    return lines


def test_serve_prints_the_url_and_env_lines_then_stops_cleanly_on_sigint(served: subprocess.Popen[str]) -> None:
    banner = read_banner(served)
    first = banner[0]
    assert first.startswith("mockgw ") and "serving scenario 'good' (2 rules) at http://127.0.0.1:" in first
    url = first.rsplit(" at ", 1)[1]
    port = int(url.rsplit(":", 1)[1])
    assert port > 0
    assert f"  export ANTHROPIC_BASE_URL={url}" in banner
    assert "  export ANTHROPIC_AUTH_TOKEN=mockgw" in banner
    assert f"  export OPENAI_BASE_URL={url}/v1" in banner
    assert "  export OPENAI_API_KEY=mockgw" in banner
    assert f"  export AI_GATEWAY_BASE_URL={url}/v4/ai" in banner
    assert "  export AI_GATEWAY_API_KEY=mockgw" in banner
    assert '  export ANTHROPIC_API_KEY=""' in banner

    response = http_call(url + "/v1/messages", json_body=body("hi"))
    assert response.status == 200 and response.json()["content"][0]["text"] == "hello"

    served.send_signal(signal.SIGINT)
    assert served.wait(timeout=10) == 0
    assert served.stdout is not None and served.stderr is not None
    assert served.stdout.read().strip().endswith("mockgw: stopped.")
    assert "Traceback" not in served.stderr.read()


@pytest.mark.parametrize(
    ("argv", "env"),
    [(["--journal-size", "2"], {}), ([], {"MOCKGW_JOURNAL_SIZE": "2"})],
    ids=["flag", "variable"],
)
def test_serve_journal_size_keeps_the_latest_n_requests(tmp_path: Path, argv: list[str], env: dict[str, str]) -> None:
    path = write(tmp_path, "good.yaml", GOOD)
    command = [sys.executable, "-m", "mockgw", "serve", "--port", "0", "--scenario", str(path), *argv]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env() | env
    )
    try:
        url = read_banner(process)[0].rsplit(" at ", 1)[1]
        for text in ("hi", "one", "two"):
            assert http_call(url + "/v1/messages", json_body=body(text)).status == 200
        listing = http_call(url + "/_mockgw/requests", "GET").json()
        assert [e["seq"] for e in listing["data"]] == [2, 3]
    finally:
        process.kill()
        process.communicate(timeout=10)
