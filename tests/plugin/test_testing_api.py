"""The Python API: ``MockGateway`` and ``AsyncMockGateway`` driven by the official SDK, outside the fixture."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import anthropic
import pytest

from mockgw import AsyncMockGateway, MockGateway, ScenarioError
from mockgw.testing import coerce_scenario

PYTHON = sys.executable  # the project's .venv python
REPO = Path(__file__).resolve().parents[2]
MODEL = "claude-sonnet-4-6"
GREET = {"rules": [{"name": "greet", "match": {"last_user": {"contains": "hello"}}, "reply": "Hi!"}]}
COUNTED = {
    "name": "counted",
    "rules": [
        {"name": "first", "match": {"last_user": {"contains": "hello"}}, "reply": "One.", "times": 1},
        {"name": "again", "match": {"last_user": {"contains": "hello"}}, "reply": "Again."},
    ],
}


def ask(gw: MockGateway | AsyncMockGateway, text: str = "hello", **extra: Any) -> anthropic.types.Message:
    client = anthropic.Anthropic(base_url=gw.url, api_key="sk-test", max_retries=0)
    return client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": text}], **extra)


def reply_text(message: anthropic.types.Message) -> str:
    return "".join(b.text for b in message.content if b.type == "text")


# ---------------------------------------------------------------- the journal


def test_a_streamed_request_is_journaled_with_everything_that_went_in_and_out() -> None:
    with MockGateway(GREET) as gw:
        client = anthropic.Anthropic(base_url=gw.url, api_key="sk-secret", max_retries=0)
        with client.messages.stream(
            model=MODEL,
            max_tokens=64,
            messages=[{"role": "user", "content": "hello there"}],
            extra_headers={"x-mockgw-session": "alice"},
        ) as stream:
            assert stream.get_final_message().content[0].type == "text"

        assert len(gw.journal) == 1
        entry = gw.journal.last
        assert (entry.method, entry.path, entry.status, entry.rule) == ("POST", "/v1/messages", 200, "greet")
        assert entry.body["messages"] == [{"role": "user", "content": "hello there"}]
        assert entry.model == MODEL
        assert entry.session == "alice"
        assert entry.headers["authorization"] == "[redacted]"  # credentials never reach the journal
        assert entry.stream is True
        assert entry.events[0] == "message_start"
        assert entry.events[-2:] == ["message_delta", "message_stop"]
        assert entry.duration_ms >= 0
        assert entry.ttft_ms is not None


def test_an_unmatched_request_is_journaled_with_its_near_miss_report() -> None:
    with MockGateway(GREET) as gw:
        with pytest.raises(anthropic.BadRequestError):
            ask(gw, "goodbye")
        entry = gw.journal.last
        assert (entry.status, entry.rule, entry.unmatched) == (400, None, True)
        assert "greet: last_user.contains: 'goodbye' does not contain 'hello'" in (entry.error or "")
        assert gw.unmatched() == [entry]


def test_the_journal_is_a_sequence_oldest_first() -> None:
    with MockGateway(COUNTED) as gw:
        ask(gw)
        ask(gw)
        assert len(gw.journal) == 2
        assert [e.rule for e in gw.journal] == ["first", "again"]
        assert gw.journal[0].rule == "first"
        assert gw.journal.last is gw.journal[-1]


def test_journal_last_on_an_empty_journal_says_so() -> None:
    with MockGateway(GREET) as gw, pytest.raises(IndexError, match="the journal is empty"):
        gw.journal.last  # noqa: B018


# ---------------------------------------------------------------- load and reset


def test_reset_forgets_the_journal_and_the_times_counts() -> None:
    with MockGateway(COUNTED) as gw:
        assert reply_text(ask(gw)) == "One."
        assert reply_text(ask(gw)) == "Again."
        gw.reset()
        assert len(gw.journal) == 0
        assert reply_text(ask(gw)) == "One."


def test_reset_of_one_session_leaves_the_others() -> None:
    with MockGateway(COUNTED) as gw:
        ask(gw, extra_headers={"x-mockgw-session": "a"})
        ask(gw, extra_headers={"x-mockgw-session": "b"})
        gw.reset("a")
        assert [e.session for e in gw.journal] == ["b"]
        assert reply_text(ask(gw, extra_headers={"x-mockgw-session": "a"})) == "One."
        assert reply_text(ask(gw, extra_headers={"x-mockgw-session": "b"})) == "Again."


def test_load_serves_another_scenario_and_keeps_the_journal() -> None:
    with MockGateway(GREET) as gw:
        ask(gw)
        gw.load({"rules": [{"name": "other", "reply": "Switched."}]})
        assert reply_text(ask(gw)) == "Switched."
        assert [e.rule for e in gw.journal] == ["greet", "other"]


def test_load_with_a_broken_scenario_raises_and_keeps_serving_the_old_one() -> None:
    with MockGateway(GREET) as gw:
        with pytest.raises(ScenarioError, match=r"rules\[0\]"):
            gw.load({"rules": [{"reply": "x", "tiems": 1}]})
        assert reply_text(ask(gw)) == "Hi!"


# ---------------------------------------------------------------- lifecycle


def test_close_is_safe_twice_and_before_start() -> None:
    never_started = MockGateway(GREET)
    never_started.close()
    never_started.close()
    gw = MockGateway(GREET).start()
    gw.close()
    gw.close()


def test_a_closed_gateway_stops_listening_and_cannot_restart() -> None:
    with MockGateway(GREET) as gw:
        ask(gw)
    with pytest.raises(anthropic.APIConnectionError):
        ask(gw)
    assert len(gw.journal) == 1  # still readable after the with block
    with pytest.raises(RuntimeError, match="was closed; make a new one"):
        gw.start()


def test_url_before_start_says_how_to_start() -> None:
    with pytest.raises(RuntimeError, match="MockGateway is not running"):
        MockGateway(GREET).url  # noqa: B018


def test_two_gateways_listen_on_different_ports_of_localhost() -> None:
    with MockGateway(GREET) as one, MockGateway(GREET) as two:
        assert one.url.startswith("http://127.0.0.1:")
        assert one.port != two.port


def test_api_keys_are_the_only_credentials_accepted() -> None:
    with MockGateway(GREET, api_keys=["sk-right"]) as gw:
        with pytest.raises(anthropic.AuthenticationError):
            ask(gw)  # sends sk-test
        client = anthropic.Anthropic(base_url=gw.url, api_key="sk-right", max_retries=0)
        client.messages.create(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hello"}])


async def test_mockgateway_works_inside_an_async_test_with_the_async_client() -> None:
    with MockGateway(GREET) as gw:
        client = anthropic.AsyncAnthropic(base_url=gw.url, api_key="sk-test", max_retries=0)
        message = await client.messages.create(
            model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hello"}]
        )
        assert message.content[0].type == "text"
        gw.assert_called(times=1, rule="greet")


# ---------------------------------------------------------------- AsyncMockGateway


async def test_async_gateway_serves_on_the_running_loop() -> None:
    async with AsyncMockGateway(GREET) as gw:
        client = anthropic.AsyncAnthropic(base_url=gw.url, api_key="sk-test", max_retries=0)
        async with client.messages.stream(
            model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hello"}]
        ) as stream:
            await stream.get_final_message()
        gw.assert_called(times=1, rule="greet")
        assert gw.journal.last.events[-1] == "message_stop"
        gw.reset()
        assert len(gw.journal) == 0
        gw.load(COUNTED)
        assert gw.scenario.name == "counted"


async def test_async_gateway_close_is_safe_twice_and_it_cannot_restart() -> None:
    gw = await AsyncMockGateway(GREET).start()
    await gw.close()
    await gw.close()
    with pytest.raises(RuntimeError, match="was closed; make a new one"):
        await gw.start()
    await AsyncMockGateway(GREET).close()  # never started


# ---------------------------------------------------------------- scenarios


GREET_YAML = "rules:\n  - name: greet\n    reply: Hi!\n"


def greet_file(tmp_path: Path) -> Path:
    path = tmp_path / "greet.yaml"
    path.write_text(GREET_YAML)
    return path


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(lambda _: GREET, id="dict"),
        pytest.param(lambda _: GREET_YAML, id="yaml-text"),
        pytest.param(lambda _: "rules: [{name: greet, reply: Hi!}]", id="yaml-one-line"),
        pytest.param(greet_file, id="path"),
        pytest.param(lambda tmp: str(greet_file(tmp)), id="path-string"),
        pytest.param(lambda _: "hello", id="bundled-name"),
        pytest.param(lambda _: coerce_scenario(GREET), id="scenario"),
    ],
)
def test_a_scenario_can_be_given_as(given: Any, tmp_path: Path) -> None:
    with MockGateway(given(tmp_path)) as gw:
        assert ask(gw).content[0].type == "text"
        gw.assert_called(times=1)


def test_no_scenario_is_the_bundled_default() -> None:
    assert coerce_scenario(None).name == "hello"


def test_a_missing_file_names_the_bundled_scenarios() -> None:
    with pytest.raises(ScenarioError, match=r"no such file, folder or bundled scenario: 'nope\.yaml'"):
        MockGateway("nope.yaml")


# ---------------------------------------------------------------- env() and subprocesses


def test_env_points_a_subprocess_at_the_gateway() -> None:
    with MockGateway(GREET) as gw:
        env = gw.env()
        assert env["ANTHROPIC_BASE_URL"] == gw.url
        assert env["ANTHROPIC_AUTH_TOKEN"] == "mockgw-test"
        assert env["ANTHROPIC_API_KEY"] == ""  # set, it would win over the token
        assert env["CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK"] == "1"


def test_env_carries_a_key_the_gateway_accepts() -> None:
    scenario = {"auth": {"keys": ["sk-from-scenario"]}, "rules": [{"reply": "x"}]}
    with MockGateway(scenario, api_keys=["sk-first"]) as gw:
        assert gw.env()["ANTHROPIC_AUTH_TOKEN"] == "sk-first"
    with MockGateway(scenario) as gw:
        assert gw.env()["ANTHROPIC_AUTH_TOKEN"] == "sk-from-scenario"


SDK_SCRIPT = """
import anthropic

client = anthropic.Anthropic(max_retries=0)  # base URL and token from the environment
message = client.messages.create(
    model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "hello from a script"}]
)
print(message.content[0].text)
"""


def test_env_drives_an_sdk_script_in_a_subprocess(tmp_path: Path) -> None:
    script = tmp_path / "ask.py"
    script.write_text(SDK_SCRIPT)
    with MockGateway(GREET, api_keys=["sk-only-this"]) as gw:
        clean = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # nothing of ours leaks in
        done = subprocess.run(
            [PYTHON, str(script)], env={**clean, **gw.env()}, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == "Hi!\n"
        assert gw.journal.last.body["messages"][0]["content"] == "hello from a script"


PLAIN_SCRIPT = """
import anthropic
from mockgw import MockGateway

with MockGateway({"rules": [{"name": "greet", "reply": "Hi!"}]}, seed=1) as gw:
    client = anthropic.Anthropic(base_url=gw.url, api_key="any")
    message = client.messages.create(
        model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "hello"}]
    )
    gw.assert_called(times=1, rule="greet")
    print(message.content[0].text, len(gw.journal), gw.journal.last.status)
"""


def test_mockgateway_works_in_a_plain_script_without_pytest(tmp_path: Path) -> None:
    script = tmp_path / "plain.py"
    script.write_text(textwrap.dedent(PLAIN_SCRIPT))
    done = subprocess.run([PYTHON, "-X", "dev", str(script)], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hi! 1 200\n"
    assert "Traceback" not in done.stderr
    assert "Unclosed" not in done.stderr  # dev mode reports leaked sockets and loops
