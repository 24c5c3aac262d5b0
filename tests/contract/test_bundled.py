"""The bundled scenarios, played through the official Python SDK, and the YAML examples of docs/scenarios.md.

Every file in ``scenarios/`` must load, be described at its top, and be played by a test here (registered
with ``@plays("name")``): a new file without a test fails ``test_every_bundled_scenario_is_played``.
Each play checks what the scenario's description promises, on the paths the scenario scripts.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import textwrap
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import anthropic
import httpx2
import jsonschema
import openai
import pydantic
import pytest
import yaml
from anthropic.lib.streaming import MessageStreamManager
from anthropic.types import Message, MessageParam

from mockgw.core.clock import FakeClock
from mockgw.scenario.loader import list_bundled, load_scenario_file, load_scenario_text
from mockgw.scenario.schema import Scenario
from mockgw.testing import MockGateway
from tests.pdf import tiny_pdf

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.yaml"))
DOC = ROOT / "docs" / "scenarios.md"
MODEL = "claude-sonnet-4-6"

GatewayFactory = Callable[..., MockGateway]  # the `gateway` fixture of tests/conftest.py
F = TypeVar("F", bound=Callable[..., Any])
PLAYED: set[str] = set()


def plays(name: str) -> Callable[[F], F]:
    """Mark a test as playing the bundled scenario ``name`` (every bundled file needs at least one)."""

    def register(test: F) -> F:
        PLAYED.add(name)
        return test

    return register


def client_for(gw: MockGateway, max_retries: int = 0) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key="mockgw-test", max_retries=max_retries)


def ask(client: anthropic.Anthropic, stream: bool, text: str = "Hello", **params: Any) -> Message:
    """One call, streamed (folded by the SDK's own accumulator) or not."""
    params = {"model": MODEL, "max_tokens": 2048, "messages": [{"role": "user", "content": text}], **params}
    if stream:
        with client.messages.stream(**params) as events:
            return events.get_final_message()
    return client.messages.create(**params)


def open_stream(gw: MockGateway, max_tokens: int = 1024) -> MessageStreamManager:
    """A streamed "Hi", to read event by event (for streams that break halfway)."""
    messages: list[MessageParam] = [{"role": "user", "content": "Hi"}]
    return client_for(gw).messages.stream(model=MODEL, max_tokens=max_tokens, messages=messages)


def as_param(message: Message) -> dict[str, Any]:
    """An assistant turn to send back, as clients do after a tool_use."""
    return {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in message.content]}


def tool_result(tool_use_id: str, content: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use_id, "content": content}]}


def texts(message: Message) -> str:
    return "".join(block.text for block in message.content if block.type == "text")


def function_tool(name: str) -> dict[str, Any]:
    return {"name": name, "description": f"The {name} tool.", "input_schema": {"type": "object", "properties": {}}}


@pytest.fixture(params=[False, True], ids=["json", "stream"])
def stream(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


# ---------------------------------------------------------------- every file


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_bundled_scenario_is_described_at_its_top(path: Path) -> None:
    scenario = load_scenario_file(path)
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(f"# {path.stem}: "), f"{path.name} must open with a comment '# {path.stem}: what it shows'"
    assert scenario.name == path.stem
    assert scenario.description, f"{path.name} needs a description: (mockgw scenarios lists it)"
    assert (path.stem, scenario.description.splitlines()[0]) in list_bundled()


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_the_editor_schema_accepts_every_bundled_scenario(path: Path) -> None:
    """`mockgw schema` drives editor completion: it must not flag a file that loads (shorthands included)."""
    assert schema_problem(yaml.safe_load(path.read_text(encoding="utf-8"))) is None


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_bundled_scenario_is_played(path: Path) -> None:
    assert path.stem in PLAYED, f"scenarios/{path.name} has no test playing it: add one marked @plays({path.stem!r})"


# ---------------------------------------------------------------- hello


@plays("hello")
def test_hello_answers_any_request_with_text(gateway: GatewayFactory, stream: bool) -> None:
    gw = gateway("hello", clock=FakeClock())
    message = ask(client_for(gw), stream, "Anything at all?")
    assert [b.type for b in message.content] == ["text"]
    assert texts(message).startswith("Hello from mockgw")
    assert "docs/scenarios.md" in texts(message)
    assert message.stop_reason == "end_turn"


# ---------------------------------------------------------------- weather


@plays("weather")
def test_weather_calls_get_weather_then_answers_from_the_tool_result(gateway: GatewayFactory, stream: bool) -> None:
    client = client_for(gateway(SCENARIOS / "weather.yaml"))
    question = {"role": "user", "content": "What's the weather in Paris?"}
    tools = [function_tool("get_weather")]

    first = ask(client, stream, messages=[question], tools=tools)
    assert [b.type for b in first.content] == ["text", "tool_use"]
    call = first.content[1]
    assert call.type == "tool_use"
    assert (call.name, call.input) == ("get_weather", {"city": "Paris", "unit": "celsius"})
    assert call.id.startswith("toolu_01")
    assert first.stop_reason == "tool_use"

    turn = [question, as_param(first), tool_result(call.id, "18°C and sunny")]
    final = ask(client, stream, messages=turn, tools=tools)
    assert [b.type for b in final.content] == ["text"]
    assert "18°C and sunny" in texts(final)
    assert final.stop_reason == "end_turn"


@plays("weather")
def test_weather_without_the_tool_offered_gets_a_hint(gateway: GatewayFactory) -> None:
    message = ask(client_for(gateway(SCENARIOS / "weather.yaml")), False, "What's the weather in Paris?")
    assert "offer a tool named get_weather" in texts(message)


# ---------------------------------------------------------------- thinking


THINKING = {"type": "enabled", "budget_tokens": 1024}


@plays("thinking")
def test_thinking_comes_before_the_answer(gateway: GatewayFactory, stream: bool) -> None:
    message = ask(client_for(gateway(SCENARIOS / "thinking.yaml")), stream, "Why is the sky blue?", thinking=THINKING)
    assert [b.type for b in message.content] == ["thinking", "text"]
    thinking = message.content[0]
    assert thinking.type == "thinking"
    assert "step by step" in thinking.thinking
    assert thinking.signature.startswith("EqQB")
    assert texts(message).startswith("After thinking it over: ")
    assert message.stop_reason == "end_turn"


@plays("thinking")
def test_thinking_comes_before_a_tool_call_and_before_the_final_answer(gateway: GatewayFactory, stream: bool) -> None:
    client = client_for(gateway(SCENARIOS / "thinking.yaml"))
    question = {"role": "user", "content": "What is 1234 times 5678?"}
    tools = [function_tool("calculator")]

    first = ask(client, stream, messages=[question], tools=tools, thinking=THINKING)
    assert [b.type for b in first.content] == ["thinking", "tool_use"]
    call = first.content[1]
    assert call.type == "tool_use"
    assert (call.name, call.input) == ("calculator", {"expression": "1234 * 5678"})
    assert first.stop_reason == "tool_use"

    turn = [question, as_param(first), tool_result(call.id, "7006652")]
    final = ask(client, stream, messages=turn, tools=tools, thinking=THINKING)
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert texts(final) == "The answer is 7006652."


# ---------------------------------------------------------------- claude-code-tool-loop


SESSION = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
REMINDER = (
    "<system-reminder>\nAs you answer the user's questions, you can use the following context:\n"
    "# currentDate\nToday's date is 2026-01-01.\n</system-reminder>\n\n"
)


def claude_code_request(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """A request shaped like Claude Code's: system blocks, a system-role message, many tools, adaptive thinking."""
    return {
        "model": "claude-opus-4-8",
        "max_tokens": 32000,
        "system": [
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=0.0.0;"},
            {"type": "text", "text": "You are a coding agent.", "cache_control": {"type": "ephemeral"}},
        ],
        "messages": messages,
        "tools": [function_tool(name) for name in ("Agent", "Bash", "Edit", "Read", "WebFetch", "Write")],
        "metadata": {"user_id": json.dumps({"device_id": "d" * 64, "account_uuid": "", "session_id": SESSION})},
        "thinking": {"type": "adaptive"},
        "extra_headers": {"X-Claude-Code-Session-Id": SESSION, "anthropic-beta": "claude-code-20250219"},
    }


@plays("claude-code-tool-loop")
def test_claude_code_runs_bash_then_gives_a_final_answer(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIOS / "claude-code-tool-loop.yaml", clock=FakeClock())
    client = client_for(gw)
    prompt = {
        "role": "user",
        "content": [{"type": "text", "text": REMINDER}, {"type": "text", "text": "say hello"}],
    }
    system_message = {"role": "system", "content": "Available agent types for the Agent tool: claude."}

    first = ask(client, True, **claude_code_request([prompt, system_message]))
    assert [b.type for b in first.content] == ["text", "tool_use"]
    call = first.content[1]
    assert call.type == "tool_use"
    assert call.name == "Bash"
    assert call.input == {"command": "echo 'hello from mockgw'", "description": "Print a greeting"}

    # The tool-result request: the last user turn holds only the tool_result.
    turn = [prompt, system_message, as_param(first), tool_result(call.id, "hello from mockgw")]
    final = ask(client, True, **claude_code_request(turn))
    assert texts(final) == "The command ran and printed: hello from mockgw. All done."
    assert final.stop_reason == "end_turn"
    assert [(e.rule, e.session) for e in gw.journal] == [("run-bash", SESSION), ("final-answer", SESSION)]


@plays("claude-code-tool-loop")
def test_claude_code_requests_without_tools_get_a_short_answer(gateway: GatewayFactory) -> None:
    message = ask(client_for(gateway(SCENARIOS / "claude-code-tool-loop.yaml")), False, "Write a title")
    assert texts(message) == "Hello from mockgw."


# ---------------------------------------------------------------- the claude-code-* scenarios of docs/claude-code.md
# Claude Code itself plays them in tests/clients/test_claude_code.py; here, the SDK checks each scripted path.


@plays("claude-code-agent-loop")
def test_claude_code_agent_loop_calls_bash_then_write_then_answers(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "claude-code-agent-loop.yaml", clock=FakeClock()))
    prompt = {"role": "user", "content": [{"type": "text", "text": REMINDER}, {"type": "text", "text": "go"}]}

    first = ask(client, True, **claude_code_request([prompt]))
    bash = first.content[-1]
    assert bash.type == "tool_use" and bash.name == "Bash"
    assert bash.input["command"] == "mkdir -p build && echo 'built by mockgw' > build/status.txt && pwd"

    turn = [prompt, as_param(first), tool_result(bash.id, "/home/dev/project")]
    second = ask(client, True, **claude_code_request(turn))
    write = second.content[-1]
    assert write.type == "tool_use" and write.name == "Write"
    assert write.input["file_path"] == "/home/dev/project/REPORT.md"

    turn += [as_param(second), tool_result(write.id, "File created successfully")]
    final = ask(client, True, **claude_code_request(turn))
    assert texts(final) == "Done: Bash created build/status.txt and Write created REPORT.md."


@plays("claude-code-agent-loop")
@plays("claude-code-hooks")
@pytest.mark.parametrize(
    ("scenario", "answer"),
    [("claude-code-agent-loop", "A tool call did not go through"), ("claude-code-hooks", "Blocked: denied by hook")],
)
def test_claude_code_scenarios_answer_a_refused_tool_by_quoting_it(
    gateway: GatewayFactory, scenario: str, answer: str
) -> None:
    client = client_for(gateway(SCENARIOS / f"{scenario}.yaml", clock=FakeClock()))
    prompt = {"role": "user", "content": "go"}
    first = ask(client, True, **claude_code_request([prompt]))
    call = first.content[-1]
    assert call.type == "tool_use"
    refused = tool_result(call.id, "denied by hook")
    refused["content"][0]["is_error"] = True

    final = ask(client, True, **claude_code_request([prompt, as_param(first), refused]))
    assert texts(final).startswith(answer)
    assert "denied by hook" in texts(final)


@plays("claude-code-hooks")
def test_claude_code_hooks_calls_rm_rf_then_reports_what_ran(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "claude-code-hooks.yaml", clock=FakeClock()))
    prompt = {"role": "user", "content": "clean up"}
    first = ask(client, True, **claude_code_request([prompt]))
    call = first.content[-1]
    assert call.type == "tool_use"
    assert call.input == {"command": "rm -rf build", "description": "Remove the build folder"}

    final = ask(client, True, **claude_code_request([prompt, as_param(first), tool_result(call.id, "(no output)")]))
    assert texts(final) == "Ran: rm -rf build finished. Output: (no output)"


@plays("claude-code-failures")
def test_claude_code_failures_by_header(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "claude-code-failures.yaml", clock=FakeClock()))

    def fail(name: str) -> dict[str, Any]:
        return {"extra_headers": {"x-fail": name}}

    with pytest.raises(anthropic.RateLimitError) as limited:
        ask(client, True, **fail("rate-limit"))
    assert limited.value.response.headers["retry-after"] == "1"
    assert texts(ask(client, True, **fail("rate-limit"))).startswith("Recovered")
    with pytest.raises(anthropic.OverloadedError):
        ask(client, True, **fail("overloaded"))
    with pytest.raises(anthropic.AuthenticationError):
        ask(client, True, **fail("bad-key"))
    with pytest.raises(anthropic.APIStatusError) as cut:
        ask(client, True, **fail("cut-stream"))
    assert cut.value.body["error"]["type"] == "overloaded_error"
    assert texts(ask(client, True)).startswith("All good")


@plays("claude-code-models")
@pytest.mark.parametrize(
    ("model", "answer"),
    [
        ("zai/glm-4.7", "zai/glm-4.7 answering through the gateway."),
        ("anthropic/claude-sonnet-4.5", "anthropic/claude-sonnet-4.5 answering through the gateway."),
        ("claude-mockgw-1", "You asked for claude-mockgw-1; this is mockgw's generic answer."),
    ],
)
def test_claude_code_models_answers_per_model_and_lists_gateway_ids(
    gateway: GatewayFactory, model: str, answer: str
) -> None:
    client = client_for(gateway(SCENARIOS / "claude-code-models.yaml", clock=FakeClock()))
    assert texts(ask(client, True, model=model)) == answer
    assert [m.id for m in client.models.list()] == [
        "anthropic/claude-sonnet-4.5",
        "anthropic/claude-haiku-4.5",
        "claude-mockgw-1",
        "zai/glm-4.7",
    ]


# ---------------------------------------------------------------- errors


ERRORS = [
    (400, anthropic.BadRequestError, "invalid_request_error", "prompt is too long"),
    (401, anthropic.AuthenticationError, "authentication_error", "invalid x-api-key"),
    (402, anthropic.PaymentRequiredError, "billing_error", "credit balance is too low"),
    (403, anthropic.PermissionDeniedError, "permission_error", "does not have permission"),
    (404, anthropic.NotFoundError, "not_found_error", "model: "),
    (413, anthropic.ContentTooLargeError, "request_too_large", "maximum allowed number of bytes"),
    (429, anthropic.RateLimitError, "rate_limit_error", "rate limit"),
    (500, anthropic.InternalServerError, "api_error", "Internal server error"),
    (504, anthropic.GatewayTimeoutError, "timeout_error", "timed out"),
    (529, anthropic.OverloadedError, "overloaded_error", "Overloaded"),
]


@plays("errors")
@pytest.mark.parametrize(("status", "exception", "error_type", "message"), ERRORS, ids=[str(e[0]) for e in ERRORS])
def test_errors_header_value_raises_the_sdk_exception_for_that_status(
    gateway: GatewayFactory, stream: bool, status: int, exception: type[Exception], error_type: str, message: str
) -> None:
    client = client_for(gateway(SCENARIOS / "errors.yaml"))
    with pytest.raises(exception) as caught:
        ask(client, stream, extra_headers={"x-test-error": str(status)})
    error = caught.value
    assert isinstance(error, anthropic.APIStatusError)
    assert error.status_code == status
    assert error.body["error"]["type"] == error_type
    assert message in error.body["error"]["message"]
    assert error.response.headers["request-id"].startswith("req_")


@plays("errors")
def test_errors_429_carries_retry_after_and_rate_limit_headers(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "errors.yaml"))
    with pytest.raises(anthropic.RateLimitError) as caught:
        ask(client, False, extra_headers={"x-test-error": "429"})
    headers = caught.value.response.headers
    assert headers["retry-after"] == "1"
    assert headers["anthropic-ratelimit-requests-remaining"] == "0"


@plays("errors")
def test_errors_without_the_header_get_a_hint(gateway: GatewayFactory) -> None:
    message = ask(client_for(gateway(SCENARIOS / "errors.yaml")), False)
    assert "Send the header x-test-error" in texts(message)


# ---------------------------------------------------------------- flaky


@plays("flaky")
def test_flaky_fails_twice_with_529_then_succeeds(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "flaky.yaml"), max_retries=0)
    for _ in range(2):
        with pytest.raises(anthropic.OverloadedError):
            ask(client, False)
    assert texts(ask(client, False)).startswith("Recovered")
    assert texts(ask(client, True)).startswith("Recovered"), "the last step repeats"


@plays("flaky")
def test_flaky_is_absorbed_by_the_sdks_default_retries(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIOS / "flaky.yaml")
    message = ask(client_for(gw, max_retries=2), False)
    assert texts(message).startswith("Recovered")
    assert [e.status for e in gw.journal] == [529, 529, 200]
    # retry-after-ms keeps the SDK's waits short; the retries say which attempt they are.
    assert [e.headers["x-stainless-retry-count"] for e in gw.journal] == ["0", "1", "2"]


@plays("flaky")
def test_flaky_fails_twice_in_each_session(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "flaky.yaml"))
    for session in ("a", "b"):
        with pytest.raises(anthropic.OverloadedError):
            ask(client, False, extra_headers={"x-mockgw-session": session})


# ---------------------------------------------------------------- midstream-overload


@plays("midstream-overload")
def test_midstream_overload_sends_an_error_event_after_some_text(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIOS / "midstream-overload.yaml")
    received: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as caught, open_stream(gw) as events:
        received.extend(events.text_stream)
    assert caught.value.status_code == 200  # the HTTP status was already sent
    assert caught.value.body == {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    assert "".join(received) == "This answer starts n"
    assert gw.journal.last.events[-2:] == ["content_block_delta", "error"]
    assert "message_stop" not in gw.journal.last.events


@plays("midstream-overload")
def test_midstream_overload_gives_a_non_streamed_request_a_529(gateway: GatewayFactory) -> None:
    with pytest.raises(anthropic.OverloadedError) as caught:
        ask(client_for(gateway(SCENARIOS / "midstream-overload.yaml")), False)
    assert caught.value.status_code == 529


# ---------------------------------------------------------------- dropped-stream


@plays("dropped-stream")
def test_dropped_stream_ends_in_a_connection_error_after_some_text(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIOS / "dropped-stream.yaml")
    received: list[str] = []
    # Since anthropic 2.17 the SDK wraps the transport's error while reading the body in its own
    # APIConnectionError; the cause is still httpx's "peer closed connection" RemoteProtocolError.
    with pytest.raises(anthropic.APIConnectionError) as raised, open_stream(gw) as events:
        received.extend(events.text_stream)
    assert isinstance(raised.value.__cause__, httpx2.RemoteProtocolError)
    assert "".join(received) == "This answer is cut o"
    assert gw.journal.last.events[-1] == "content_block_delta"
    assert gw.journal.last.error == "disconnected"


@plays("dropped-stream")
def test_dropped_stream_drops_a_non_streamed_request_unanswered(gateway: GatewayFactory) -> None:
    with pytest.raises(anthropic.APIConnectionError):
        ask(client_for(gateway(SCENARIOS / "dropped-stream.yaml")), False)


# ---------------------------------------------------------------- slow-stream


@plays("slow-stream")
def test_slow_stream_waits_800_ms_then_about_40_ms_per_delta(gateway: GatewayFactory) -> None:
    clock = FakeClock()
    gw = gateway(SCENARIOS / "slow-stream.yaml", clock=clock)
    with open_stream(gw, max_tokens=4096) as events:
        deltas = list(events.text_stream)
        text = events.get_final_text()
    assert text.count("\n\n") == 2, "three paragraphs, so the pacing shows"
    assert all(len(d) <= 12 for d in deltas)
    assert len(clock.sleeps) == len(deltas)  # one wait before each content delta, nothing else
    assert clock.sleeps[0] == pytest.approx(0.8)
    between = clock.sleeps[1:]
    assert all(0.025 <= wait <= 0.055 for wait in between)
    assert len(set(between)) > 1, "seeded jitter varies the waits"


@plays("slow-stream")
def test_slow_stream_answers_a_non_streamed_request_after_2_5_s(gateway: GatewayFactory) -> None:
    clock = FakeClock()
    message = ask(client_for(gateway(SCENARIOS / "slow-stream.yaml", clock=clock)), False, max_tokens=4096)
    assert texts(message).count("\n\n") == 2
    assert clock.sleeps == [2.5]


@plays("slow-stream")
def test_slow_stream_sends_the_same_text_streamed_or_not(gateway: GatewayFactory) -> None:
    texts_seen = []
    for stream in (False, True):
        gw = gateway(SCENARIOS / "slow-stream.yaml", clock=FakeClock())
        texts_seen.append(texts(ask(client_for(gw), stream, max_tokens=4096)))
    assert texts_seen[0] == texts_seen[1]


# ---------------------------------------------------------------- rate-limit


@plays("rate-limit")
def test_rate_limit_limits_the_first_request_with_headers_then_succeeds(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "rate-limit.yaml"))
    with pytest.raises(anthropic.RateLimitError) as caught:
        ask(client, False)
    error = caught.value
    assert error.body["error"]["type"] == "rate_limit_error"
    headers = error.response.headers
    assert (headers["retry-after"], headers["retry-after-ms"]) == ("2", "2000")
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        assert headers[f"anthropic-ratelimit-{kind}-remaining"] == "0"
        reset = datetime.fromisoformat(headers[f"anthropic-ratelimit-{kind}-reset"])
        assert reset > datetime.now(UTC)
    assert headers["anthropic-ratelimit-input-tokens-limit"] == "50000"  # the scenario's own header

    assert texts(ask(client, True)).startswith("Made it through")
    assert texts(ask(client, False)).startswith("Made it through")


@plays("rate-limit")
def test_rate_limit_limits_each_session_once(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "rate-limit.yaml"))
    with pytest.raises(anthropic.RateLimitError):
        ask(client, False)
    with pytest.raises(anthropic.RateLimitError):
        ask(client, False, extra_headers={"x-mockgw-session": "another"})


# ---------------------------------------------------------------- web-search


WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}


@plays("web-search")
def test_web_search_returns_the_search_its_results_and_an_answer(gateway: GatewayFactory, stream: bool) -> None:
    message = ask(client_for(gateway(SCENARIOS / "web-search.yaml")), stream, "What is mockgw?", tools=[WEB_SEARCH])
    assert [b.type for b in message.content] == ["text", "server_tool_use", "web_search_tool_result", "text"]
    search, result = message.content[1], message.content[2]
    assert search.type == "server_tool_use" and result.type == "web_search_tool_result"
    assert search.input == {"query": "mockgw local mock gateway"}
    assert result.tool_use_id == search.id
    assert isinstance(result.content, list)
    assert [r.url for r in result.content] == ["https://example.com/mockgw", "https://example.org/testing-llm-clients"]
    assert message.stop_reason == "end_turn"
    assert message.usage.server_tool_use is not None
    assert message.usage.server_tool_use.web_search_requests == 1


@plays("web-search")
def test_web_search_without_the_tool_answers_without_searching(gateway: GatewayFactory) -> None:
    message = ask(client_for(gateway(SCENARIOS / "web-search.yaml")), False, "What is mockgw?")
    assert [b.type for b in message.content] == ["text"]


# ---------------------------------------------------------------- code-execution


CODE_EXECUTION = {"type": "code_execution_20250825", "name": "code_execution"}


@plays("code-execution")
def test_code_execution_runs_the_code_and_answers_from_its_output(gateway: GatewayFactory, stream: bool) -> None:
    gw = gateway(SCENARIOS / "code-execution.yaml", clock=FakeClock())
    message = ask(client_for(gw), stream, "Mean and deviation of 1..10?", tools=[CODE_EXECUTION])

    assert [b.type for b in message.content] == ["text", "server_tool_use", "code_execution_tool_result", "text"]
    call, result = message.content[1], message.content[2]
    assert call.type == "server_tool_use" and call.name == "code_execution"
    assert result.type == "code_execution_tool_result" and result.tool_use_id == call.id
    assert result.content.type == "code_execution_result"
    assert (result.content.stdout, result.content.return_code) == ("5.5 2.87\n", 0)
    assert message.stop_reason == "end_turn"
    assert message.container is not None and message.container.id.startswith("container_")
    assert message.container.expires_at > datetime.now(UTC)


@plays("code-execution")
def test_code_execution_reuses_the_container_the_next_turn_names(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "code-execution.yaml"))
    first = ask(client, False, "Mean of 1..10?", tools=[CODE_EXECUTION])
    assert first.container is not None
    messages: list[MessageParam] = [
        {"role": "user", "content": "Mean of 1..10?"},
        as_param(first),  # type: ignore[list-item]
        {"role": "user", "content": "Now divide by zero."},
    ]
    second = client.messages.create(
        model=MODEL, max_tokens=1024, messages=messages, tools=[CODE_EXECUTION], container=first.container.id
    )

    assert second.container is not None and second.container.id == first.container.id
    result = second.content[1]
    assert result.type == "code_execution_tool_result" and result.content.type == "code_execution_result"
    assert (result.content.return_code, result.content.stderr) == (1, "ZeroDivisionError: division by zero")


@plays("code-execution")
def test_code_execution_writes_a_file_the_files_api_downloads(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "code-execution.yaml"))
    message = ask(client, False, "Make a chart of data.csv", tools=[CODE_EXECUTION])

    kinds = [b.type for b in message.content]
    ran = ["server_tool_use", "bash_code_execution_tool_result", "server_tool_use", "code_execution_tool_result"]
    assert kinds == ["text", *ran, "text"]
    bash = message.content[2]
    assert bash.type == "bash_code_execution_tool_result" and bash.content.type == "bash_code_execution_result"
    assert bash.content.stdout == "data.csv\n"
    written = message.content[4]
    assert written.type == "code_execution_tool_result" and written.content.type == "code_execution_result"
    [output] = written.content.content
    assert client.beta.files.download(output.file_id).text() == "x,mean\n1,5.5\n"


@plays("code-execution")
def test_code_execution_without_the_tool_says_it_cannot(gateway: GatewayFactory) -> None:
    message = ask(client_for(gateway(SCENARIOS / "code-execution.yaml")), False, "Mean of 1..10?")
    assert [b.type for b in message.content] == ["text"] and message.container is None


# ---------------------------------------------------------------- docs/scenarios.md


def _yaml_blocks() -> list[Any]:
    text = DOC.read_text(encoding="utf-8")
    blocks = []
    for found in re.finditer(r"^```yaml\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        line = text.count("\n", 0, found.start()) + 2
        blocks.append(pytest.param(found.group(1), id=f"line-{line}"))
    return blocks


@pytest.mark.parametrize("block", _yaml_blocks())
def test_every_yaml_example_in_the_scenario_reference_loads(block: str) -> None:
    """A block is a whole scenario (``rules:`` at the top level) or says ``# fragment`` on its first line."""
    if block.startswith("# fragment"):
        return
    assert re.search(r"^rules:", block, re.MULTILINE), "a whole scenario needs rules:, else mark it '# fragment'"
    load_scenario_text(block, str(DOC))
    assert schema_problem(yaml.safe_load(block)) is None, "the editor schema must accept it too"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_the_scenario_reference_lists_every_bundled_scenario(path: Path) -> None:
    assert f"| `{path.stem}` |" in DOC.read_text(encoding="utf-8"), "add it to the table in docs/scenarios.md"


# ---------------------------------------------------------------- what the reference promises


def test_tokens_per_second_in_a_rule_replaces_the_chunk_ms_of_the_defaults(gateway: GatewayFactory) -> None:
    scenario = """
        defaults:
          timing: {chunk_ms: 25, chunk_chars: 4}
        rules:
          - reply: "abcdefghijklmnop"
            timing: {tokens_per_second: 100}   # 4 characters = 1 token: a delta every 10 ms
    """
    clock = FakeClock()
    with open_stream(gateway(textwrap.dedent(scenario), clock=clock)) as events:
        assert events.get_final_text() == "abcdefghijklmnop"
    assert clock.sleeps == pytest.approx([0.01, 0.01, 0.01])  # no ttft: the first of 4 deltas goes at once


# ---------------------------------------------------------------- the editor schema


@functools.cache
def editor_schema() -> dict[str, Any]:
    return Scenario.model_json_schema()  # what `mockgw schema` prints


def schema_problem(value: Any, schema: dict[str, Any] | None = None, where: str = "") -> str | None:
    """Where ``value`` breaks the JSON Schema of `mockgw schema`, or None (the keywords pydantic emits)."""
    root = editor_schema()
    schema = root if schema is None else schema
    if "$ref" in schema:
        return schema_problem(value, root["$defs"][schema["$ref"].rsplit("/", 1)[1]], where)
    if "anyOf" in schema or "oneOf" in schema:
        branches = schema.get("anyOf") or schema["oneOf"]
        fits = [schema_problem(value, branch, where) is None for branch in branches]
        wanted = 1 if "oneOf" in schema else None
        ok = fits.count(True) == wanted if wanted else any(fits)
        return None if ok else f"{where or '/'}: {value!r} fits {fits.count(True)} of its alternatives"
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    python = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}
    if kinds and not any(
        value is None if k == "null" else isinstance(value, python[k]) and not (k != "boolean" and value is True)
        for k in kinds
    ):
        return f"{where or '/'}: {value!r} is not {' or '.join(kinds)}"
    if ("const" in schema and value != schema["const"]) or ("enum" in schema and value not in schema["enum"]):
        return f"{where}: {value!r} is not allowed"
    if not isinstance(value, bool) and isinstance(value, int | float):
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            return f"{where}: {value} is out of range"
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return f"{where}: {value} is out of range"
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return f"{where}: too few items"
        for i, item in enumerate(value):
            if "items" in schema and (problem := schema_problem(item, schema["items"], f"{where}/{i}")):
                return problem
    if isinstance(value, dict):
        missing = [key for key in schema.get("required", []) if key not in value]
        if missing:
            return f"{where}: missing {missing}"
        for key, item in value.items():
            sub_schema = schema.get("properties", {}).get(key, schema.get("additionalProperties", True))
            if sub_schema is False:
                return f"{where}: unknown key {key!r}"
            if isinstance(sub_schema, dict) and (problem := schema_problem(item, sub_schema, f"{where}/{key}")):
                return problem
    return None


@pytest.mark.parametrize(
    ("scenario", "where"),
    [
        ({"rules": [{"match": {"last_usr": "hi"}, "reply": "x"}]}, "/rules/0/match:"),
        ({"rules": [{"reply": [{"txt": "x"}]}]}, "/rules/0/reply:"),
        ({"rules": [{"error": {"status": 700}}]}, "/rules/0/error:"),
        ({"seed": "seven", "rules": []}, "/seed:"),
    ],
)
def test_the_editor_schema_flags_what_the_loader_refuses(scenario: dict[str, Any], where: str) -> None:
    assert (schema_problem(scenario) or "").startswith(where)


# ---------------------------------------------------------------- batch-mixed


def batch_params(question: str) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 256, "messages": [{"role": "user", "content": question}]}


@plays("batch-mixed")
def test_batch_mixed_ends_each_request_as_its_custom_id_says(gateway: GatewayFactory) -> None:
    clock = FakeClock()
    client = client_for(gateway(SCENARIOS / "batch-mixed.yaml", clock=clock))
    ids = ["q-1", "fail-1", "invalid-1", "late-1", "cancel-1"]
    batch = client.messages.batches.create(
        requests=[{"custom_id": c, "params": batch_params(f"Question {c}?")} for c in ids]
    )
    assert client.messages.batches.retrieve(batch.id).processing_status == "in_progress"
    clock.advance(2.0)
    ended = client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended"
    counts = ended.request_counts
    assert (counts.succeeded, counts.errored, counts.expired, counts.canceled) == (1, 2, 1, 1)

    results = {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}
    answer = results["q-1"]
    assert answer.type == "succeeded"
    assert texts(answer.message) == 'Answer for q-1: you asked "Question q-1?".'
    errors = {c: r.error.error.type for c, r in results.items() if r.type == "errored"}
    assert errors == {"fail-1": "overloaded_error", "invalid-1": "invalid_request_error"}
    assert (results["late-1"].type, results["cancel-1"].type) == ("expired", "canceled")


@plays("batch-mixed")
def test_batch_mixed_canceled_halfway_cancels_the_requests_not_yet_done(gateway: GatewayFactory) -> None:
    clock = FakeClock()
    client = client_for(gateway(SCENARIOS / "batch-mixed.yaml", clock=clock))
    batch = client.messages.batches.create(
        requests=[{"custom_id": f"q-{i}", "params": batch_params("Hi")} for i in range(4)]
    )
    clock.advance(1.0)  # two of four requests are done
    assert client.messages.batches.cancel(batch.id).processing_status == "canceling"
    clock.advance(0.2)
    counts = client.messages.batches.retrieve(batch.id).request_counts
    assert (counts.succeeded, counts.canceled) == (2, 2)


# ---------------------------------------------------------------- file-question


@plays("file-question")
@pytest.mark.parametrize(
    ("name", "data", "media_type", "kind", "answer"),
    [
        ("notes.txt", b"Remember: the deadline moved.", "text/plain", "document", "deadline is Friday at noon"),
        ("report.pdf", b"%PDF-1.7 ...", "application/pdf", "document", "This PDF is a short report"),
        ("chart.png", b"\x89PNG....", "image/png", "image", "bar chart"),
        ("data.json", b"{}", "application/json", "document", "I read the file you attached."),
    ],
    ids=["text", "pdf", "image", "other"],
)
def test_file_question_answers_about_the_uploaded_file(
    gateway: GatewayFactory, name: str, data: bytes, media_type: str, kind: str, answer: str
) -> None:
    client = client_for(gateway(SCENARIOS / "file-question.yaml"))
    uploaded = client.files.upload(file=(name, data, media_type))
    content: Any = [
        {"type": kind, "source": {"type": "file", "file_id": uploaded.id}},
        {"type": "text", "text": "What is in this file?"},
    ]
    message = ask(client, False, messages=[{"role": "user", "content": content}])
    assert answer in texts(message)


@plays("file-question")
def test_file_question_without_a_file_asks_for_one_and_an_unknown_id_is_404(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "file-question.yaml"))
    assert "Attach a file" in texts(ask(client, False, "What is in my file?"))
    missing: Any = [{"type": "document", "source": {"type": "file", "file_id": "file_011Gone"}}]
    with pytest.raises(anthropic.NotFoundError):
        ask(client, False, messages=[{"role": "user", "content": missing}])


@plays("file-question")
def test_file_question_holds_a_downloadable_report(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "file-question.yaml"))
    assert client.files.retrieve_metadata("file_011Report").downloadable is True
    assert client.files.download("file_011Report").text().startswith("quarter,revenue")


# ---------------------------------------------------------------- citations-pdf

# The two pages of the lease the scenario quotes: a real PDF of them is what the user sends.
LEASE = [
    "The monthly rent is 1,200 euros, due on the first day of each month.",
    "Either party may end the lease with three months' written notice.",
]


def lease_question(source: dict[str, Any]) -> list[MessageParam]:
    document = {"type": "document", "title": "Lease", "citations": {"enabled": True}, "source": source}
    content: Any = [document, {"type": "text", "text": "What does my lease say about rent and notice?"}]
    return [{"role": "user", "content": content}]


def lease_pdf() -> dict[str, Any]:
    return {"type": "base64", "media_type": "application/pdf", "data": base64.b64encode(tiny_pdf(LEASE)).decode()}


@plays("citations-pdf")
def test_citations_pdf_streams_a_page_citation_for_each_quote(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "citations-pdf.yaml"))
    params: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "messages": lease_question(lease_pdf())}
    deltas, helper_events, text = [], [], []
    with client.messages.stream(**params) as stream:
        for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "citations_delta":
                deltas.append(event.delta.citation)
            elif event.type == "citation":  # the helper's event, with the block's citations so far
                helper_events.append(event)
            elif event.type == "text":
                text.append(event.text)
        message = stream.get_final_message()

    assert "".join(text) == texts(message)
    assert texts(message).startswith("The lease sets two terms. The rent is 1,200 euros a month")
    assert [e.citation for e in helper_events] == deltas
    assert all(e.snapshot == [e.citation] for e in helper_events)  # one citation per cited block
    cited = [block for block in message.content if block.type == "text" and block.citations]
    assert [block.citations for block in cited] == [[deltas[0]], [deltas[1]]]
    for page, citation in enumerate(deltas, start=1):
        assert citation.type == "page_location"
        assert (citation.start_page_number, citation.end_page_number) == (page, page + 1)  # the end is exclusive
        assert (citation.document_index, citation.document_title) == (0, "Lease")
        assert citation.cited_text == LEASE[page - 1]  # the text of that page of the PDF sent

    created = client.messages.create(**params)
    assert created.model_dump(exclude={"id"}) == message.model_dump(exclude={"id"})


@plays("citations-pdf")
def test_citations_pdf_cites_a_pdf_uploaded_with_the_files_api(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIOS / "citations-pdf.yaml"))
    uploaded = client.beta.files.upload(file=("lease.pdf", tiny_pdf(LEASE), "application/pdf"))
    source = {"type": "file", "file_id": uploaded.id}
    with client.messages.stream(model=MODEL, max_tokens=1024, messages=lease_question(source)) as stream:
        citations = [event.citation for event in stream if event.type == "citation"]
    assert [(c.type, c.file_id, c.document_title) for c in citations] == [("page_location", uploaded.id, "Lease")] * 2


@plays("citations-pdf")
def test_citations_pdf_without_a_pdf_asks_for_one(gateway: GatewayFactory, stream: bool) -> None:
    message = ask(client_for(gateway(SCENARIOS / "citations-pdf.yaml")), stream, "What does my lease say?")
    assert texts(message).startswith("Send me the PDF")
    assert all(block.type == "text" and block.citations is None for block in message.content)


# ---------------------------------------------------------------- structured-output


class Address(pydantic.BaseModel):
    street: str
    city: str
    country: Literal["FR", "DE", "NL"]


class Customer(pydantic.BaseModel):
    """Kept to what the SDK sends in the schema: it moves other constraints (bounds, patterns) into text."""

    id: uuid.UUID
    email: str = pydantic.Field(json_schema_extra={"format": "email"})
    signed_up: datetime
    plan: Literal["free", "pro", "team"]
    seats: int
    address: Address
    tags: list[str]
    referrer: str | None = None


@plays("structured-output")
def test_structured_output_parses_into_the_pydantic_model(gateway: GatewayFactory, stream: bool) -> None:
    gw = gateway(SCENARIOS / "structured-output.yaml")
    params: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "output_format": Customer}
    params["messages"] = [{"role": "user", "content": "A customer record, please."}]
    client = client_for(gw)
    if stream:
        with client.messages.stream(**params) as events:
            message = events.get_final_message()
    else:
        message = client.messages.parse(**params)

    assert isinstance(message.parsed_output, Customer)
    assert "@" in message.parsed_output.email
    sent = gw.journal.last.body["output_config"]["format"]["schema"]
    jsonschema.validate(json.loads(texts(message)), sent, format_checker=jsonschema.FormatChecker())
    assert gw.journal.last.rule == "generated"


@plays("structured-output")
def test_structured_output_is_the_same_object_for_the_same_schema(gateway: GatewayFactory) -> None:
    answers = []
    for _ in range(2):
        client = client_for(gateway(SCENARIOS / "structured-output.yaml"))
        messages: list[MessageParam] = [{"role": "user", "content": "A customer."}]
        answers.append(client.messages.parse(model=MODEL, max_tokens=512, messages=messages, output_format=Customer))
    assert answers[0].parsed_output == answers[1].parsed_output


@plays("structured-output")
def test_structured_output_serves_openai_chat_completions_parse(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIOS / "structured-output.yaml")
    client = openai.OpenAI(base_url=f"{gw.url}/v1", api_key="mockgw-test", max_retries=0)
    completion = client.chat.completions.parse(
        model="anthropic/claude-sonnet-4.5",
        messages=[{"role": "user", "content": "A customer record, please."}],
        response_format=Customer,
    )
    assert isinstance(completion.choices[0].message.parsed, Customer)
    assert (gw.journal.last.face, gw.journal.last.rule) == ("openai-chat", "generated")


@plays("structured-output")
def test_structured_output_without_a_schema_answers_text(gateway: GatewayFactory) -> None:
    message = ask(client_for(gateway(SCENARIOS / "structured-output.yaml")), False, "A customer, please.")
    assert texts(message).startswith("Ask with an output schema")
