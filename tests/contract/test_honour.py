"""What the request asks changes the answer: tool_choice, disable_parallel_tool_use, thinking and its
display, honoured as a model would, through the official Python SDK (streamed and folded by its accumulator,
equal to the non-streamed answer) and on the raw wire; the journal says what changed and why."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest
from anthropic.types import Message

from mockgw.testing import MockGateway
from tests.conftest import GatewayFactory, assert_event_order, body, http_call, sse_frames

MODEL = "claude-sonnet-4-6"
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "units": {"enum": ["c", "f"]},
            "days": {"type": "integer", "minimum": 1},
            "note": {"type": "string"},
        },
        "required": ["city", "units", "days"],
    },
}
CLOCK = {"name": "get_time", "description": "The time.", "input_schema": {"type": "object", "properties": {}}}
TOOLS = [WEATHER, CLOCK]

SCENARIO = {
    "seed": 5,
    "rules": [
        {
            "name": "two-calls",
            "match": {"last_user": "two calls"},
            "reply": [
                {"text": "Checking both."},
                {"tool_use": {"name": "get_weather", "input": {"city": "Paris", "units": "c", "days": 1}}},
                {"tool_use": {"name": "get_time", "input": {}}},
            ],
            "stop_reason": "tool_use",
        },
        {"name": "plain", "match": {"last_user": "plain"}, "reply": "Just words."},
        {
            "name": "thoughtful",
            "match": {"last_user": "think"},
            "reply": [
                {"thinking": "Let me think about this carefully."},
                {"redacted_thinking": None},
                {"text": "Done."},
            ],
        },
        {
            "name": "search",
            "match": {"last_user": "search"},
            "reply": [
                {"server_tool_use": {"input": {"query": "mockgw"}}},
                {"web_search_tool_result": {"results": [{"url": "https://example.com", "title": "Example"}]}},
                {"text": "Found it."},
            ],
        },
    ],
}


def client(gw: MockGateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key="k", max_retries=0)


def params(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 2048, "messages": [{"role": "user", "content": text}], **extra}


def both(gw: MockGateway, text: str, **extra: Any) -> Message:
    """The non-streamed answer, after checking that the streamed one, folded by the SDK, is identical."""
    gw.reset()
    plain = client(gw).messages.create(**params(text, **extra))
    gw.reset()
    with client(gw).messages.stream(**params(text, **extra)) as stream:
        folded = stream.get_final_message()
    assert folded.model_dump() == plain.model_dump()
    return plain


def kinds(message: Message) -> list[str]:
    return [b.type for b in message.content]


def tool_names(message: Message) -> list[str]:
    return [b.name for b in message.content if b.type == "tool_use"]


def notes(gw: MockGateway) -> list[str]:
    """The notes of the last request, as the admin API shows them."""
    listing = http_call(f"{gw.url}/_mockgw/requests", "GET").json()
    return list(listing["data"][-1]["notes"])


@pytest.fixture
def gw(gateway: GatewayFactory) -> MockGateway:
    return gateway(SCENARIO)


# ---------------------------------------------------------------- tool_choice: none


def test_tool_choice_none_leaves_the_tool_calls_out(gw: MockGateway) -> None:
    message = both(gw, "two calls", tools=TOOLS, tool_choice={"type": "none"})
    assert kinds(message) == ["text"]
    assert message.stop_reason == "end_turn"  # the scripted tool_use no longer holds
    assert any("tool_choice is none" in n for n in notes(gw))


def test_tool_choice_none_leaves_server_tool_calls_out_too(gw: MockGateway) -> None:
    message = both(
        gw, "search", tools=[{"type": "web_search_20250305", "name": "web_search"}], tool_choice={"type": "none"}
    )
    assert kinds(message) == ["text"]
    assert message.usage.server_tool_use is None


def test_tool_choice_auto_changes_nothing_and_notes_nothing(gw: MockGateway) -> None:
    message = both(gw, "two calls", tools=TOOLS, tool_choice={"type": "auto"})
    assert kinds(message) == ["text", "tool_use", "tool_use"]
    assert notes(gw) == []


# ---------------------------------------------------------------- disable_parallel_tool_use


@pytest.mark.parametrize(
    ("tool_choice", "expected_kinds", "expected_tool"),
    [
        ({"type": "auto", "disable_parallel_tool_use": True}, ["text", "tool_use"], "get_weather"),
        ({"type": "any", "disable_parallel_tool_use": True}, ["tool_use"], "get_weather"),
        ({"type": "tool", "name": "get_time", "disable_parallel_tool_use": True}, ["tool_use"], "get_time"),
    ],
    ids=["auto", "any", "tool"],
)
def test_disable_parallel_tool_use_keeps_one_call(
    gw: MockGateway, tool_choice: dict[str, Any], expected_kinds: list[str], expected_tool: str
) -> None:
    message = both(gw, "two calls", tools=TOOLS, tool_choice=tool_choice)
    assert kinds(message) == expected_kinds
    assert tool_names(message) == [expected_tool]
    assert message.stop_reason == "tool_use"
    assert any("disable_parallel_tool_use" in n for n in notes(gw))


# ---------------------------------------------------------------- forced tools


def test_a_forced_tool_the_script_calls_comes_without_the_text_before_it(gw: MockGateway) -> None:
    message = both(gw, "two calls", tools=TOOLS, tool_choice={"type": "tool", "name": "get_weather"})
    assert kinds(message) == ["tool_use", "tool_use"]
    assert tool_names(message) == ["get_weather", "get_time"]
    assert any("before the tool call left out" in n for n in notes(gw))


def test_a_forced_tool_the_script_does_not_call_is_called_with_minimal_input(gw: MockGateway) -> None:
    message = both(gw, "plain", tools=TOOLS, tool_choice={"type": "tool", "name": "get_weather"})
    assert kinds(message) == ["tool_use"]
    call = message.content[0]
    assert call.type == "tool_use" and call.name == "get_weather" and call.id.startswith("toolu_")
    assert call.input == {"city": "", "units": "c", "days": 1}  # required keys only, each as small as allowed
    assert message.stop_reason == "tool_use"
    (note,) = notes(gw)
    assert "tool_choice is tool (get_weather)" in note and "calls no tool" in note


def test_tool_choice_any_with_no_scripted_call_calls_the_first_tool(gw: MockGateway) -> None:
    message = both(gw, "plain", tools=[CLOCK, WEATHER], tool_choice={"type": "any"})
    assert tool_names(message) == ["get_time"]
    assert message.content[0].input == {}  # type: ignore[union-attr]


def test_a_forced_tool_replaces_a_call_to_another_tool(gw: MockGateway) -> None:
    gw.load({"seed": 5, "rules": [{"reply": [{"tool_use": {"name": "get_time"}}]}]})
    message = both(gw, "hi", tools=TOOLS, tool_choice={"type": "tool", "name": "get_weather"})
    assert tool_names(message) == ["get_weather"]
    assert "calls get_time" in notes(gw)[0]


# ---------------------------------------------------------------- thinking


@pytest.mark.parametrize(
    ("thinking", "expected"),
    [
        (None, ["text"]),
        ({"type": "disabled"}, ["text"]),
        ({"type": "enabled", "budget_tokens": 1024}, ["thinking", "redacted_thinking", "text"]),
        ({"type": "adaptive"}, ["thinking", "redacted_thinking", "text"]),
        ({"type": "adaptive", "display": "summarized"}, ["thinking", "redacted_thinking", "text"]),
    ],
    ids=["absent", "disabled", "enabled", "adaptive", "summarized"],
)
def test_thinking_is_answered_only_when_asked_for(
    gw: MockGateway, thinking: dict[str, Any] | None, expected: list[str]
) -> None:
    extra = {"thinking": thinking} if thinking else {}
    message = both(gw, "think", **extra)
    assert kinds(message) == expected
    if expected[0] == "thinking":
        assert message.content[0].thinking == "Let me think about this carefully."  # type: ignore[union-attr]
        assert notes(gw) == []
    else:
        assert any("thinking left out" in n for n in notes(gw))


def test_a_model_that_always_thinks_thinks_without_being_asked(gw: MockGateway) -> None:
    message = both(gw, "think", model="claude-fable-5")  # "Adaptive (always on)"
    assert kinds(message) == ["thinking", "redacted_thinking", "text"]


def test_display_omitted_sends_thinking_without_its_text_but_with_its_signature(gw: MockGateway) -> None:
    shown = both(gw, "think", thinking={"type": "adaptive"})
    omitted = both(gw, "think", thinking={"type": "adaptive", "display": "omitted"})
    assert kinds(omitted) == ["thinking", "redacted_thinking", "text"]
    block = omitted.content[0]
    assert block.type == "thinking" and block.thinking == ""
    assert block.signature == shown.content[0].signature  # type: ignore[union-attr]
    # The thinking was still generated: it is billed as output, as the API bills omitted thinking.
    assert omitted.usage.output_tokens == shown.usage.output_tokens
    assert any('display is "omitted"' in n for n in notes(gw))


def test_display_omitted_streams_a_signature_delta_and_no_thinking_delta(gw: MockGateway) -> None:
    raw = http_call(
        f"{gw.url}/v1/messages",
        json_body=body("think", stream=True, thinking={"type": "adaptive", "display": "omitted"}),
    )
    frames = sse_frames(raw.body)
    assert_event_order(frames)
    thinking_events = [(name, data) for name, data in frames if data.get("index") == 0]
    start, delta, stop = thinking_events
    assert start == (
        "content_block_start",
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
    )
    assert delta[0] == "content_block_delta" and delta[1]["delta"]["type"] == "signature_delta"
    assert delta[1]["delta"]["signature"].startswith("EqQB")
    assert stop == ("content_block_stop", {"type": "content_block_stop", "index": 0})
    assert not any(data.get("delta", {}).get("type") == "thinking_delta" for _, data in frames)


def test_raw_answer_without_thinking_asked_for_has_no_thinking_blocks(gw: MockGateway) -> None:
    raw = http_call(f"{gw.url}/v1/messages", json_body=body("think"))
    assert raw.status == 200
    assert [b["type"] for b in raw.json()["content"]] == ["text"]
    entry = http_call(f"{gw.url}/_mockgw/requests", "GET").json()["data"][-1]
    assert entry["rule"] == "thoughtful" and "2 scripted blocks" in entry["notes"][0]


# ---------------------------------------------------------------- Message Batches


def test_batch_requests_are_honoured_like_messages(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    sdk = client(gw)
    requests: list[Any] = [
        {"custom_id": "plain", "params": params("think")},
        {"custom_id": "asked", "params": params("think", thinking={"type": "adaptive", "display": "omitted"})},
        {"custom_id": "none", "params": params("two calls", tools=TOOLS, tool_choice={"type": "none"})},
    ]
    batch = sdk.messages.batches.create(requests=requests)
    assert sdk.messages.batches.retrieve(batch.id).processing_status == "ended"
    results = {r.custom_id: r.result for r in sdk.messages.batches.results(batch.id)}
    messages = {name: result.message for name, result in results.items() if result.type == "succeeded"}
    assert kinds(messages["plain"]) == ["text"]
    assert kinds(messages["asked"]) == ["thinking", "redacted_thinking", "text"]
    assert messages["asked"].content[0].thinking == ""  # type: ignore[union-attr]
    assert kinds(messages["none"]) == ["text"] and messages["none"].stop_reason == "end_turn"
