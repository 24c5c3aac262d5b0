"""The official Python SDK (2.x) against mockgw: every way of calling ``messages``, for three kinds of reply.

The acceptance bar is that the SDK cannot tell mockgw from the real API: the non-streamed message parses to
the scripted content, and the streamed one, folded by the SDK's own accumulator, is the same message. Two
gateways with the same seed answer the first request with the same bytes (ids and signatures included), so
the streamed message is compared to the non-streamed one exactly, ids and all, not "ids aside".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anthropic
import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import (
    Message,
    RawMessageStartEvent,
    RawMessageStopEvent,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)

SEED = 1234
MODEL = "claude-sonnet-4-6"  # not on the SDK's deprecation list, so no warning in the test log

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "The current weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"],
    },
}
WEATHER_INPUT = {"city": "Paris", "unit": "celsius"}
TEXT = "Hello from mockgw. This answer is long enough to arrive in several text deltas."
THOUGHT = "The user asks about the forecast; I should call get_weather for Paris before answering."

SCENARIO = {
    "rules": [
        {"name": "text", "match": {"last_user": {"contains": "say hello"}}, "reply": TEXT},
        {
            "name": "tool_use",
            "match": {"last_user": {"contains": "weather"}},
            "reply": [{"tool_use": {"name": "get_weather", "input": WEATHER_INPUT}}],
        },
        {
            "name": "thinking",
            "match": {"last_user": {"contains": "forecast"}},
            "reply": [
                {"thinking": THOUGHT},
                {"text": "Let me look that up."},
                {"tool_use": {"name": "get_weather", "input": WEATHER_INPUT}},
            ],
        },
    ]
}

# The request each reply answers, and what the SDK must parse out of it.
REQUESTS: dict[str, dict[str, Any]] = {
    "text": {"messages": [{"role": "user", "content": "Please say hello."}]},
    "tool_use": {"tools": [WEATHER_TOOL], "messages": [{"role": "user", "content": "What is the weather in Paris?"}]},
    "thinking": {
        "max_tokens": 4096,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "tools": [WEATHER_TOOL],
        "messages": [{"role": "user", "content": "Think about the forecast in Paris first."}],
    },
}
EXPECTED: dict[str, tuple[list[tuple[str, Any]], str]] = {
    "text": ([("text", TEXT)], "end_turn"),
    "tool_use": ([("tool_use", ("get_weather", WEATHER_INPUT))], "tool_use"),
    "thinking": (
        [("thinking", THOUGHT), ("text", "Let me look that up."), ("tool_use", ("get_weather", WEATHER_INPUT))],
        "tool_use",
    ),
}
REPLIES = list(REQUESTS)


def params(reply: str) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 1024, **REQUESTS[reply]}


def summary(message: Message) -> list[tuple[str, Any]]:
    """The content as (type, payload) pairs, typed by the SDK's own block classes."""
    out: list[tuple[str, Any]] = []
    for block in message.content:
        if isinstance(block, TextBlock):
            out.append(("text", block.text))
        elif isinstance(block, ThinkingBlock):
            out.append(("thinking", block.thinking))
        elif isinstance(block, ToolUseBlock):
            out.append(("tool_use", (block.name, block.input)))
        else:
            out.append((block.type, None))
    return out


# ---------------------------------------------------------------- the ways of calling, sync and async


def sync_create(client: anthropic.Anthropic, kw: dict[str, Any]) -> Message:
    return client.messages.create(**kw)


def sync_create_stream(client: anthropic.Anthropic, kw: dict[str, Any]) -> Message:
    """``create(stream=True)``: iterate the raw events and fold them with the SDK's accumulator."""
    snapshot: Any = None
    json_bufs: dict[int, bytes] = {}
    events = list(client.messages.create(**kw, stream=True))
    assert isinstance(events[0], RawMessageStartEvent)
    assert isinstance(events[-1], RawMessageStopEvent)
    for event in events:
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
    return snapshot  # type: ignore[no-any-return]


def sync_stream_helper(client: anthropic.Anthropic, kw: dict[str, Any]) -> Message:
    with client.messages.stream(**kw) as stream:
        return stream.get_final_message()


async def async_create(client: anthropic.AsyncAnthropic, kw: dict[str, Any]) -> Message:
    return await client.messages.create(**kw)


async def async_create_stream(client: anthropic.AsyncAnthropic, kw: dict[str, Any]) -> Message:
    snapshot: Any = None
    json_bufs: dict[int, bytes] = {}
    events = [event async for event in await client.messages.create(**kw, stream=True)]
    assert isinstance(events[0], RawMessageStartEvent)
    assert isinstance(events[-1], RawMessageStopEvent)
    for event in events:
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
    return snapshot  # type: ignore[no-any-return]


async def async_stream_helper(client: anthropic.AsyncAnthropic, kw: dict[str, Any]) -> Message:
    async with client.messages.stream(**kw) as stream:
        return await stream.get_final_message()


SyncCall = Callable[[anthropic.Anthropic, dict[str, Any]], Message]
AsyncCall = Callable[[anthropic.AsyncAnthropic, dict[str, Any]], Awaitable[Message]]


def non_streamed(gateway: Any, reply: str) -> Message:
    """The reference: ``messages.create`` on a fresh gateway with the shared seed."""
    gw = gateway(SCENARIO, seed=SEED)
    with anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0) as client:
        return sync_create(client, params(reply))


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("reply", REPLIES)
def test_create_parses_to_the_scripted_reply(gateway, reply):
    message = non_streamed(gateway, reply)

    content, stop_reason = EXPECTED[reply]
    assert summary(message) == content
    assert message.stop_reason == stop_reason
    assert message.model == MODEL
    assert message.id.startswith("msg_")
    assert all(b.id.startswith("toolu_") for b in message.content if isinstance(b, ToolUseBlock))
    assert all(b.signature for b in message.content if isinstance(b, ThinkingBlock))
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


@pytest.mark.parametrize("reply", REPLIES)
@pytest.mark.parametrize("call", [sync_create_stream, sync_stream_helper], ids=["create-stream", "stream-helper"])
def test_sync_streamed_message_equals_the_non_streamed_one(gateway, call: SyncCall, reply):
    expected = non_streamed(gateway, reply)

    gw = gateway(SCENARIO, seed=SEED)
    with anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0) as client:
        folded = call(client, params(reply))

    assert folded.model_dump() == expected.model_dump()
    assert gw.journal.last.stream is True


@pytest.mark.parametrize("reply", REPLIES)
@pytest.mark.parametrize(
    "call", [async_create, async_create_stream, async_stream_helper], ids=["create", "create-stream", "stream-helper"]
)
async def test_async_client_gets_the_same_message(gateway, call: AsyncCall, reply):
    expected = non_streamed(gateway, reply)

    gw = gateway(SCENARIO, seed=SEED)
    async with anthropic.AsyncAnthropic(base_url=gw.url, api_key="test-key", max_retries=0) as client:
        message = await call(client, params(reply))

    assert message.model_dump() == expected.model_dump()


def test_stream_helper_reports_text_and_tool_input_as_they_arrive(gateway):
    gw = gateway(SCENARIO, seed=SEED)
    with (
        anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0) as client,
        client.messages.stream(**params("thinking")) as stream,
    ):
        kinds = [event.type for event in stream]

    # The helper's derived events: thinking first, then text, then the tool input built from JSON fragments.
    assert kinds.index("thinking") < kinds.index("signature") < kinds.index("text") < kinds.index("input_json")
    assert kinds.count("input_json") >= 2


def test_same_seed_gives_the_same_message_and_another_seed_does_not(gateway):
    first = non_streamed(gateway, "thinking")
    again = non_streamed(gateway, "thinking")
    gw = gateway(SCENARIO, seed=SEED + 1)
    with anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0) as client:
        other = sync_create(client, params("thinking"))

    assert again.model_dump() == first.model_dump()
    assert other.id != first.id
    assert summary(other) == summary(first)
