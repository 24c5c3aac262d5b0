"""``mockgw exec -- CMD``: a gateway started for one command, which talks to it through the environment.

The commands here are small Python children; most call mockgw with the official anthropic SDK configured
from nothing but the environment that ``exec`` gives them, exactly as Claude Code would be.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mockgw.cli.exec import child_env, exit_code
from mockgw.cli.main import main

PY = sys.executable

# The child configures the SDK from the environment alone (ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN).
SDK_CHILD = textwrap.dedent(
    """
    import anthropic
    client = anthropic.Anthropic(max_retries=0)
    message = client.messages.create(
        model="claude-sonnet-4-5", max_tokens=64, messages=[{"role": "user", "content": "ping"}]
    )
    print(message.content[0].text)
    """
)

PONG = "{rules: [{match: {last_user: ping}, reply: pong}]}"


def scenario_file(tmp_path: Path, text: str = PONG) -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def py(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def test_the_child_reaches_mockgw_with_the_sdk_configured_from_the_environment(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code = main(["exec", "--scenario", scenario_file(tmp_path), "--", PY, "-c", SDK_CHILD])

    assert (code, capfd.readouterr().out) == (0, "pong\n")


def test_the_child_gets_the_connection_and_quiet_variables(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    names = [
        "ANTHROPIC_BASE_URL",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_API_KEY",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
        "DISABLE_TELEMETRY",
        "CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK",
    ]
    child = f"import json, os; print(json.dumps({{n: os.environ.get(n) for n in {names!r}}}))"

    assert main(["exec", "--", PY, "-c", child]) == 0

    seen = json.loads(capfd.readouterr().out)
    assert seen.pop("ANTHROPIC_BASE_URL").startswith("http://127.0.0.1:")
    assert seen == {
        "ANTHROPIC_AUTH_TOKEN": "mockgw",
        "ANTHROPIC_API_KEY": "",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK": "1",
    }


def test_connection_variables_always_win_and_quiet_ones_are_only_defaults() -> None:
    base = {
        "ANTHROPIC_BASE_URL": "https://api.anthropic.com",
        "ANTHROPIC_API_KEY": "sk-ant-real",
        "CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK": "0",
        "PATH": "/bin",
    }

    env = child_env(base, "http://127.0.0.1:1234", "tok")

    assert env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:1234"
    assert env["ANTHROPIC_AUTH_TOKEN"] == "tok"
    assert env["ANTHROPIC_API_KEY"] == ""  # a real key is never passed on
    assert env["CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK"] == "0"
    assert env["DISABLE_TELEMETRY"] == "1"
    assert env["PATH"] == "/bin"


def test_api_key_is_required_by_mockgw_and_handed_to_the_child(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    child = SDK_CHILD + textwrap.dedent(
        """
        try:
            anthropic.Anthropic(max_retries=0, auth_token="wrong").messages.create(
                model="m", max_tokens=8, messages=[{"role": "user", "content": "ping"}]
            )
        except anthropic.AuthenticationError as exc:
            print(exc.status_code)
        """
    )

    code = main(["exec", "--api-key", "sk-test-7", "--scenario", scenario_file(tmp_path), "--", PY, "-c", child])

    assert (code, capfd.readouterr().out) == (0, "pong\n401\n")


def test_a_scenario_that_wants_a_key_hands_its_first_key_to_the_child(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    keyed = scenario_file(tmp_path, "{auth: {keys: [sk-scenario-1, sk-scenario-2]}, rules: [{reply: pong}]}")
    child = "import os; print(os.environ['ANTHROPIC_AUTH_TOKEN'])\n" + SDK_CHILD

    code = main(["exec", "--scenario", keyed, "--", PY, "-c", child])

    assert (code, capfd.readouterr().out) == (0, "sk-scenario-1\npong\n")


def test_journal_has_one_json_line_per_request_with_credentials_redacted(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "out.jsonl"

    code = main(["exec", "--scenario", scenario_file(tmp_path), "--journal", str(journal), "--", PY, "-c", SDK_CHILD])

    assert code == 0
    entries = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    assert [(e["method"], e["path"], e["status"], e["rule"]) for e in entries] == [
        ("POST", "/v1/messages", 200, "rules[0]")
    ]
    assert entries[0]["body"]["messages"] == [{"role": "user", "content": "ping"}]
    assert entries[0]["headers"]["authorization"] == "[redacted]"


@pytest.mark.parametrize(
    ("child", "expected"),
    [
        ("pass", 0),
        ("raise SystemExit(3)", 3),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", 128 + signal.SIGKILL),
    ],
    ids=["success", "failure", "killed-by-signal"],
)
def test_exits_with_the_commands_exit_code(child: str, expected: int) -> None:
    assert main(["exec", "--", PY, "-c", child]) == expected


@pytest.mark.parametrize(("returncode", "shell_code"), [(0, 0), (1, 1), (-15, 143), (-2, 130)])
def test_exit_code_reports_signals_like_a_shell(returncode: int, shell_code: int) -> None:
    assert exit_code(returncode) == shell_code


def test_a_missing_command_exits_127_with_a_clear_message(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["exec", "--", "mockgw-no-such-command"]) == 127
    assert capfd.readouterr().err == "mockgw: command not found: mockgw-no-such-command\n"


def test_a_command_that_is_not_executable_exits_126(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)

    assert main(["exec", "--", str(script)]) == 126
    assert capfd.readouterr().err == f"mockgw: permission denied: {script}\n"


def test_no_command_is_a_usage_error(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["exec", "--scenario", "hello"]) == 2
    assert "exec needs a command to run" in capfd.readouterr().err


def test_a_broken_scenario_runs_nothing(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "ran"
    broken = scenario_file(tmp_path, "{rules: [{reply: hi, erorr: 500}]}")

    code = main(["exec", "--scenario", broken, "--", PY, "-c", f"open({str(marker)!r}, 'w')"])

    assert code == 2
    assert not marker.exists()
    assert "nothing served" in capfd.readouterr().err


def test_an_unwritable_journal_runs_nothing(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "ran"

    code = main(
        ["exec", "--journal", str(tmp_path / "no" / "such" / "j.jsonl"), "--", PY, "-c", f"open({str(marker)!r}, 'w')"]
    )

    assert code == 2
    assert not marker.exists()
    assert "cannot write the journal" in capfd.readouterr().err


def test_requests_that_matched_no_rule_are_reported_after_the_command(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    child = """
        import anthropic
        try:
            anthropic.Anthropic(max_retries=0).messages.create(
                model="m", max_tokens=8, messages=[{"role": "user", "content": "something else"}]
            )
        except anthropic.BadRequestError as exc:
            print(exc.status_code)
        """

    code = main(["exec", "--scenario", scenario_file(tmp_path), "--", *py(child)])

    captured = capfd.readouterr()
    assert (code, captured.out) == (0, "400\n")
    assert captured.err == "mockgw: request #1 POST /v1/messages matched no rule\n"


def test_stdin_is_passed_through(tmp_path: Path) -> None:
    done = subprocess.run(
        [PY, "-m", "mockgw", "exec", "--", PY, "-c", "import sys; print(sys.stdin.read().upper())"],
        input="from stdin",
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (done.returncode, done.stdout) == (0, "FROM STDIN\n")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signals_are_forwarded_and_mockgw_exits_with_the_childs_code(signum: signal.Signals) -> None:
    child = """
        import signal, sys, time
        def stop(signum, frame):
            print("child got", signum, flush=True)
            sys.exit(42)
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        print("ready", flush=True)
        time.sleep(60)
        """
    # A new session: no controlling terminal, so SIGINT is not assumed to have reached the child already.
    proc = subprocess.Popen(
        [PY, "-m", "mockgw", "exec", "--", *py(child)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert (proc.returncode, out) == (42, f"child got {int(signum)}\n")


def test_the_gateway_is_gone_when_exec_returns(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["exec", "--", PY, "-c", "import os; print(os.environ['ANTHROPIC_BASE_URL'])"]) == 0
    port = int(capfd.readouterr().out.strip().rsplit(":", 1)[1])

    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0
    assert os.environ.get("ANTHROPIC_BASE_URL") != f"http://127.0.0.1:{port}"  # our own env is untouched
