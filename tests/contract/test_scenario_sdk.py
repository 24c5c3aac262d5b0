"""Every scenario key through the official Python SDK: what a real client makes of it.

Streamed answers are folded by the SDK itself (``messages.stream(...).get_final_message()``) and compared
with the non-streamed answer to the same request. ``gw.reset()`` between the two restarts the seed, so the
two are compared exactly, ids and signatures included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types import (
    Message,
    RedactedThinkingBlock,
    ServerToolUseBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    WebSearchToolResultBlock,
)

from mockgw.core.clock import FakeClock
from mockgw.faces.anthropic.wire.messages import STOP_REASONS
from mockgw.testing import MockGateway
from tests.conftest import GatewayFactory

MODEL = "claude-sonnet-4-6"  # not on the SDK's deprecation list, so no warning in the test log
SEED = 2024


_http: list[httpx2.Client] = []


@pytest.fixture(scope="module", autouse=True)
def _shared_http_client() -> Iterator[None]:
    """One HTTP client for the module's SDK clients: making one costs tens of milliseconds (its TLS context).

    No keep-alive: each request opens its own connection, so none outlives the server it went to (servers
    come and go per test, and a new one may get an old one's port).
    """
    with anthropic.DefaultHttpxClient(limits=httpx2.Limits(max_keepalive_connections=0)) as shared:
        _http.append(shared)
        yield
        _http.clear()


def client(gw: MockGateway, max_retries: int = 0, **kwargs: Any) -> anthropic.Anthropic:
    """An SDK client for ``gw`` on the module's HTTP client."""
    return anthropic.Anthropic(
        base_url=gw.url, api_key="test-key", max_retries=max_retries, http_client=_http[0], **kwargs
    )


def kwargs(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": text}], **extra}


# Thinking is answered only when the request asks for it (adaptive: no budget_tokens to fit under max_tokens).
THINK = {"type": "adaptive"}


def create(gw: MockGateway, text: str = "hi", **extra: Any) -> Message:
    return client(gw).messages.create(**kwargs(text, **extra))


def streamed(gw: MockGateway, text: str = "hi", **extra: Any) -> Message:
    with client(gw).messages.stream(**kwargs(text, **extra)) as stream:
        return stream.get_final_message()


def both(gw: MockGateway, text: str = "hi", **extra: Any) -> Message:
    """The non-streamed answer, after checking that the streamed one, folded by the SDK, is identical."""
    gw.reset()
    plain = create(gw, text, **extra)
    gw.reset()
    folded = streamed(gw, text, **extra)
    assert folded.model_dump() == plain.model_dump()
    return plain


@pytest.fixture
def sdk_gateway(gateway: GatewayFactory) -> Iterator[GatewayFactory]:
    """The gateway factory with the shared seed."""

    def make(scenario: Any, **kw: Any) -> MockGateway:
        return gateway(scenario, seed=SEED, **kw)

    yield make


def texts(message: Message) -> list[str]:
    return [b.text for b in message.content if isinstance(b, TextBlock)]


# ---------------------------------------------------------------- predicates


WEATHER_TOOL = {"name": "get_weather", "description": "weather", "input_schema": {"type": "object"}}
TOOL_LOOP = [
    {"role": "user", "content": "weather?"},
    {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}]},
    {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "21°C", "is_error": False}],
    },
]

SDK_PREDICATES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    # (match, what to add to the create() call so it holds)
    ({"last_user": {"regex": "^wea.*\\?$"}}, {"messages": [{"role": "user", "content": "weather?"}]}),
    ({"model": {"contains": "sonnet"}}, {}),
    ({"system": {"contains": "pirate"}}, {"system": "You are a pirate."}),
    ({"tools": {"includes": "get_weather"}}, {"tools": [WEATHER_TOOL]}),
    ({"tool_result": {"name": "get_weather", "contains": "21", "is_error": False}}, {"messages": TOOL_LOOP}),
    ({"header": {"x-test-case": "weather"}}, {"extra_headers": {"X-Test-Case": "weather"}}),
    ({"turn": 2}, {"messages": TOOL_LOOP}),
]


@pytest.mark.parametrize(("match", "extra"), SDK_PREDICATES, ids=[next(iter(m)) for m, _ in SDK_PREDICATES])
def test_predicate_holds_for_the_sdks_request_and_not_without_it(
    sdk_gateway: GatewayFactory, match: dict[str, Any], extra: dict[str, Any]
) -> None:
    gw = sdk_gateway({"rules": [{"name": "scripted", "match": match, "reply": "matched"}, {"reply": "fallback"}]})
    assert texts(client(gw).messages.create(**(kwargs() | extra))) == ["matched"]
    assert texts(create(gw, "something else", model="claude-opus-4-1")) == ["fallback"]


@pytest.mark.parametrize("stream", [False, True])
def test_stream_predicate(sdk_gateway: GatewayFactory, stream: bool) -> None:
    gw = sdk_gateway({"rules": [{"match": {"stream": True}, "reply": "streamed"}, {"reply": "not streamed"}]})
    message = streamed(gw) if stream else create(gw)
    assert texts(message) == ["streamed" if stream else "not streamed"]


# ---------------------------------------------------------------- reply blocks


def test_thinking_redacted_thinking_text_and_tool_use(sdk_gateway: GatewayFactory) -> None:
    tool_input = {"query": {"city": "Zürich 🌧️", "days": [1, 2, 3], "opts": {}}, "note": 'line\nbreak "q"'}
    gw = sdk_gateway(
        {
            "rules": [
                {
                    "reply": [
                        {"thinking": "The user wants the weather."},
                        {"redacted_thinking": None},
                        {"text": "Let me check."},
                        {"tool_use": {"name": "get_weather", "input": tool_input}},
                        {"tool_use": {"name": "noop", "id": "toolu_given"}},
                    ]
                }
            ]
        }
    )
    message = both(gw, "weather?", max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 1024})
    thinking, redacted, text, tool, noop = message.content
    assert isinstance(thinking, ThinkingBlock) and thinking.thinking == "The user wants the weather."
    assert thinking.signature.startswith("EqQB")
    assert isinstance(redacted, RedactedThinkingBlock) and redacted.data
    assert isinstance(text, TextBlock) and text.text == "Let me check."
    assert isinstance(tool, ToolUseBlock) and tool.input == tool_input and tool.id.startswith("toolu_01")
    assert isinstance(noop, ToolUseBlock) and (noop.id, noop.input) == ("toolu_given", {})
    assert message.stop_reason == "tool_use"


def test_thinking_signature_is_stable_for_a_seed(gateway: GatewayFactory) -> None:
    scenario = {"rules": [{"reply": [{"thinking": "hmm"}, {"text": "ok"}]}]}
    signatures = [create(gateway(scenario, seed=seed), thinking=THINK).content[0].signature for seed in (1, 1, 2)]  # type: ignore[union-attr]
    assert signatures[0] == signatures[1] != signatures[2]


def test_given_signature_is_sent(sdk_gateway: GatewayFactory) -> None:
    gw = sdk_gateway({"rules": [{"reply": [{"thinking": "hmm", "signature": "sig-fixed"}, {"text": "ok"}]}]})
    block = both(gw, thinking=THINK).content[0]
    assert isinstance(block, ThinkingBlock) and block.signature == "sig-fixed"


def test_web_search_blocks_and_usage(sdk_gateway: GatewayFactory) -> None:
    gw = sdk_gateway(
        {
            "rules": [
                {
                    "reply": [
                        {"server_tool_use": {"input": {"query": "Paris weather"}}},
                        {
                            "web_search_tool_result": {
                                "results": [{"url": "https://example.com/paris", "title": "Paris", "page_age": "1 day"}]
                            }
                        },
                        {"text": "Sunny, says the web."},
                    ]
                }
            ]
        }
    )
    message = both(gw, "weather in Paris?")
    use, result, text = message.content
    assert isinstance(use, ServerToolUseBlock) and use.name == "web_search" and use.input == {"query": "Paris weather"}
    assert isinstance(result, WebSearchToolResultBlock) and result.tool_use_id == use.id
    assert isinstance(result.content, list)
    assert [(r.url, r.title, r.page_age) for r in result.content] == [("https://example.com/paris", "Paris", "1 day")]
    assert isinstance(text, TextBlock)
    assert message.usage.server_tool_use is not None
    assert message.usage.server_tool_use.web_search_requests == 1


@pytest.mark.parametrize("stop_reason", STOP_REASONS)
def test_every_stop_reason_reaches_the_sdk(sdk_gateway: GatewayFactory, stop_reason: str) -> None:
    gw = sdk_gateway({"rules": [{"reply": "x", "stop_reason": stop_reason}]})
    assert both(gw).stop_reason == stop_reason


def test_usage_given_and_computed(sdk_gateway: GatewayFactory) -> None:
    gw = sdk_gateway(
        {
            "rules": [
                {
                    "match": {"last_user": "given"},
                    "reply": "abc",
                    "usage": {"input_tokens": 120, "output_tokens": 30, "cache_read_input_tokens": 7},
                },
                {"reply": "abcdefghi"},  # 9 characters: 3 tokens
            ]
        }
    )
    usage = both(gw, "given").usage
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_input_tokens) == (120, 30, 7)
    usage = both(gw, "computed").usage
    assert usage.output_tokens == 3 and usage.input_tokens > 0


# ---------------------------------------------------------------- the request's limits, JSON and streamed


def test_max_tokens_cuts_the_reply(sdk_gateway: GatewayFactory) -> None:
    gw = sdk_gateway({"rules": [{"reply": [{"thinking": "abcd"}, {"text": "0123456789" * 3}]}]})
    message = both(gw, max_tokens=3, thinking=THINK)  # 12 characters: 4 of thinking, 8 of text
    assert texts(message) == ["01234567"]
    assert (message.stop_reason, message.stop_sequence, message.usage.output_tokens) == ("max_tokens", None, 3)


def test_stop_sequences_cut_before_the_sequence(sdk_gateway: GatewayFactory) -> None:
    gw = sdk_gateway({"rules": [{"reply": "Counting: one, two, three, four."}]})
    message = both(gw, stop_sequences=["three", "four"])
    assert texts(message) == ["Counting: one, two, "]
    assert (message.stop_reason, message.stop_sequence) == ("stop_sequence", "three")


# ---------------------------------------------------------------- error


@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (400, anthropic.BadRequestError),
        (401, anthropic.AuthenticationError),
        (402, anthropic.PaymentRequiredError),
        (403, anthropic.PermissionDeniedError),
        (404, anthropic.NotFoundError),
        (408, anthropic.RequestTimeoutError),
        (413, anthropic.ContentTooLargeError),
        (429, anthropic.RateLimitError),
        (500, anthropic.InternalServerError),
        (503, anthropic.ServiceUnavailableError),
        (504, anthropic.GatewayTimeoutError),
        (529, anthropic.OverloadedError),
        (418, anthropic.APIStatusError),
        (599, anthropic.InternalServerError),
    ],
)
def test_error_status_raises_the_sdks_exception(
    sdk_gateway: GatewayFactory, status: int, exception: type[anthropic.APIStatusError]
) -> None:
    gw = sdk_gateway({"rules": [{"error": {"status": status, "message": f"scripted {status}"}}]})
    with pytest.raises(exception) as caught:
        create(gw)
    assert caught.value.status_code == status
    assert caught.value.body["error"]["message"] == f"scripted {status}"  # type: ignore[index]
    assert caught.value.request_id and caught.value.request_id.startswith("req_")


@pytest.mark.parametrize("stream", [False, True])
def test_rate_limit_error_carries_its_headers_to_the_sdk(sdk_gateway: GatewayFactory, stream: bool) -> None:
    gw = sdk_gateway({"rules": [{"error": {"status": 429, "retry_after": 7, "headers": {"x-custom": "1"}}}]})
    with pytest.raises(anthropic.RateLimitError) as caught:
        streamed(gw) if stream else create(gw)
    headers = caught.value.response.headers
    assert (headers["retry-after"], headers["x-custom"]) == ("7", "1")
    assert headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert caught.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]


def test_sdk_does_not_retry_when_told_not_to(sdk_gateway: GatewayFactory) -> None:
    gw = sdk_gateway({"rules": [{"error": {"status": 529, "should_retry": False}}]})
    with pytest.raises(anthropic.OverloadedError):
        client(gw, max_retries=2).messages.create(**kwargs())
    assert len(gw.journal) == 1


def test_sdk_retries_when_told_to_even_a_400(sdk_gateway: GatewayFactory) -> None:
    # retry_after keeps the SDK's wait short (it honours retry-after-ms).
    gw = sdk_gateway({"rules": [{"error": {"status": 400, "should_retry": True, "retry_after": 0.01}}]})
    with pytest.raises(anthropic.BadRequestError):
        client(gw, max_retries=2).messages.create(**kwargs())
    assert len(gw.journal) == 3


def test_sdk_retries_a_flaky_sequence_to_success(sdk_gateway: GatewayFactory) -> None:
    gw = sdk_gateway(
        {
            "rules": [
                {
                    "sequence": [
                        {"error": {"status": 529, "retry_after": 0.01}},
                        {"error": {"status": 500, "retry_after": 0.01}},
                        {"reply": "Recovered."},
                    ]
                }
            ]
        }
    )
    assert texts(client(gw, max_retries=2).messages.create(**kwargs())) == ["Recovered."]
    assert [e.status for e in gw.journal] == [529, 500, 200]


# ---------------------------------------------------------------- no rule matches


def test_no_match_raises_bad_request_naming_the_rule_and_is_sent_once(sdk_gateway: GatewayFactory) -> None:
    gw = sdk_gateway({"rules": [{"name": "weather", "match": {"last_user": "weather"}, "reply": "sunny"}]})
    with pytest.raises(anthropic.BadRequestError) as caught:
        client(gw, max_retries=2).messages.create(**kwargs("hello"))
    assert caught.value.body["error"]["message"] == (  # type: ignore[index]
        "mockgw: no rule matched this request. Nearest: weather: last_user.contains: 'hello' does not contain 'weather'"
    )
    assert len(gw.journal) == 1


# ---------------------------------------------------------------- fault


def test_mid_stream_error_raises_after_some_text(sdk_gateway: GatewayFactory) -> None:
    gw = sdk_gateway(
        {
            "rules": [
                {
                    "reply": "Some text before the overload.",
                    "timing": {"chunk_chars": 4},
                    "fault": {"after_events": 6, "error": {"type": "overloaded_error"}},
                }
            ]
        }
    )
    received: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as caught, client(gw).messages.stream(**kwargs()) as stream:
        received.extend(stream.text_stream)
    assert received == ["Some", " tex", "t be"]
    assert caught.value.body == {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def test_mid_stream_disconnect_raises_a_protocol_error(sdk_gateway: GatewayFactory) -> None:
    gw = sdk_gateway(
        {
            "rules": [
                {
                    "reply": "Some text, then the line goes dead.",
                    "timing": {"chunk_chars": 4},
                    "fault": {"after_events": 5, "disconnect": True},
                }
            ]
        }
    )
    received: list[str] = []
    error = (anthropic.APIConnectionError, httpx2.TransportError)
    with pytest.raises(error), client(gw).messages.stream(**kwargs()) as stream:
        received.extend(stream.text_stream)
    assert received == ["Some", " tex"]  # no message_stop ever came


def test_non_streamed_mid_stream_error_is_an_error_status(sdk_gateway: GatewayFactory) -> None:
    gw = sdk_gateway(
        {
            "rules": [
                {"reply": "x", "fault": {"after_events": 5, "error": {"type": "overloaded_error", "message": "busy"}}}
            ]
        }
    )
    with pytest.raises(anthropic.OverloadedError) as caught:
        create(gw)
    assert caught.value.body["error"] == {"type": "overloaded_error", "message": "busy"}  # type: ignore[index]


def test_non_streamed_disconnect_is_a_connection_error(sdk_gateway: GatewayFactory) -> None:
    gw = sdk_gateway({"rules": [{"reply": "x", "fault": {"after_events": 5, "disconnect": True}}]})
    with pytest.raises(anthropic.APIConnectionError):
        create(gw)


@pytest.mark.parametrize("stream", [False, True])
def test_delay_and_stall_then_the_answer(sdk_gateway: GatewayFactory, stream: bool) -> None:
    clock = FakeClock()
    gw = sdk_gateway(
        {"rules": [{"reply": "late but whole", "fault": {"delay_ms": 1000, "stall_ms": 2000}}]}, clock=clock
    )
    message = streamed(gw) if stream else create(gw)
    assert texts(message) == ["late but whole"]
    assert clock.sleeps == [1.0, 2.0]


# ---------------------------------------------------------------- sequence, times, sessions


def test_sequence_cycle_and_times_through_the_sdk(sdk_gateway: GatewayFactory) -> None:
    gw = sdk_gateway(
        {
            "rules": [
                {"match": {"last_user": "cycle"}, "then": "cycle", "sequence": [{"reply": "a"}, {"reply": "b"}]},
                {"match": {"last_user": "twice"}, "times": 2, "reply": "limited"},
                {"reply": "fallback"},
            ]
        }
    )
    assert [texts(create(gw, "cycle"))[0] for _ in range(3)] == ["a", "b", "a"]
    assert [texts(streamed(gw, "twice"))[0] for _ in range(3)] == ["limited", "limited", "fallback"]


@pytest.mark.parametrize("header", ["x-mockgw-session", "X-Claude-Code-Session-Id"])
def test_sessions_by_header_through_the_sdk(sdk_gateway: GatewayFactory, header: str) -> None:
    gw = sdk_gateway({"rules": [{"times": 1, "reply": "first"}, {"reply": "again"}]})

    def ask(session: str) -> str:
        return texts(client(gw, default_headers={header: session}).messages.create(**kwargs()))[0]

    assert [ask("a"), ask("a"), ask("b")] == ["first", "again", "first"]
    gw.reset("a")
    assert [ask("a"), ask("b")] == ["first", "again"]


def test_templates_through_the_sdk(sdk_gateway: GatewayFactory) -> None:
    text = "You said {{ request.last_user }} to {{ request.model }} as {{ request.headers['x-user'] }}."
    tool_input = {"entry": "{{ request.last_user }}", "by": "{{ faker.first_name }}"}
    gw = sdk_gateway({"rules": [{"reply": [{"text": text}, {"tool_use": {"name": "log", "input": tool_input}}]}]})
    message = both(gw, "ping", extra_headers={"x-user": "Ada"})
    text, tool = message.content
    assert isinstance(text, TextBlock) and text.text == f"You said ping to {MODEL} as Ada."
    assert isinstance(tool, ToolUseBlock) and tool.input["entry"] == "ping"  # type: ignore[index]
    assert tool.input["by"] and "{{" not in tool.input["by"]  # type: ignore[index]
