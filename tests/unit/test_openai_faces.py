"""The OpenAI faces' pure parts: the translation into the neutral view, the held-response store, the vectors."""

from __future__ import annotations

import math
import random

import pytest

from mockgw.core.answer import Answer, TextPart
from mockgw.core.schedule import Frame, ScheduleItem
from mockgw.faces.openai.chat import chat_schedule, parse_chat
from mockgw.faces.openai.embeddings import embed
from mockgw.faces.openai.errors import error_type_for_status, openai_error_type
from mockgw.faces.openai.responses import ResponseStore, parse_responses
from mockgw.scenario.schema import Fault, StreamErrorSpec, Timing


def chat_view(messages: list[dict[str, object]], **extra: object):  # type: ignore[no-untyped-def]
    return parse_chat({"model": "m", "messages": messages, **extra}, {}, "default").view


TOOL_CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}
OTHER_CALL = {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}


def test_consecutive_tool_messages_are_one_user_turn_answering_the_calls() -> None:
    view = chat_view(
        [
            {"role": "user", "content": "weather and time?"},
            {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL, OTHER_CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_2", "content": "noon"},
        ]
    )
    assert [(r.name, r.text) for r in view.tool_results] == [("get_weather", "sunny"), ("get_time", "noon")]
    assert view.last_user == ""
    assert view.turn == 2


def test_a_user_message_after_tool_results_is_the_last_user_text() -> None:
    view = chat_view(
        [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "tool_calls": [TOOL_CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "user", "content": "and tomorrow?"},
        ]
    )
    assert view.last_user == "and tomorrow?"
    assert view.tool_results == ()


def test_system_and_developer_messages_are_the_system_text_and_tools_are_offered() -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    view = chat_view(
        [
            {"role": "system", "content": "One."},
            {"role": "developer", "content": [{"type": "text", "text": "Two."}]},
            {"role": "user", "content": "hi"},
        ],
        tools=[tool],
    )
    assert view.system == "One.\nTwo."
    assert view.tool_names == frozenset({"lookup"})
    assert view.face == "openai-chat"


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        ("none", None, {"type": "none"}),
        ("required", None, {"type": "any"}),
        ({"type": "function", "function": {"name": "f"}}, None, {"type": "tool", "name": "f"}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
    ],
)
def test_tool_choice_in_the_neutral_vocabulary(choice: object, parallel: object, expected: dict[str, object]) -> None:
    extra = {k: v for k, v in {"tool_choice": choice, "parallel_tool_calls": parallel}.items() if v is not None}
    view = chat_view([{"role": "user", "content": "hi"}], **extra)
    assert view.params.tool_choice is not None
    assert view.params.tool_choice.model_dump(exclude_none=True) == expected


def test_the_store_holds_at_most_maxlen_and_max_bytes_oldest_first() -> None:
    store = ResponseStore(maxlen=2, max_bytes=100)
    for n in range(3):
        store.put(f"r{n}", "s", [], 10)
    assert store.get("r0") is None and store.get("r2") is not None
    store.put("big", "s", [], 95)
    assert (store.get("r1"), store.get("r2")) == (None, None)
    assert store.bytes == 95
    store.put("huge", "s", [], 101)  # over the whole budget: not held, nothing evicted
    assert store.get("huge") is None and store.get("big") is not None


def test_clearing_one_session_keeps_the_others() -> None:
    store = ResponseStore()
    store.put("a", "alice", [], 5)
    store.put("b", "bob", [], 7)
    store.clear("alice")
    assert store.get("a") is None and store.get("b") is not None
    assert store.bytes == 7


def test_a_continued_response_reads_the_held_turns() -> None:
    store = ResponseStore()
    held = [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "hello"}]},
    ]
    store.put("resp_1", "default", held, 40)
    parsed = parse_responses({"model": "m", "previous_response_id": "resp_1", "input": "again"}, {}, "default", store)
    assert parsed.view.last_user == "again"
    assert parsed.view.turn == 2
    assert (parsed.held_turns, parsed.held_bytes) == (2, 40)


def test_embeddings_are_deterministic_unit_vectors_closer_for_shared_words() -> None:
    a, b, c = (embed(t, 7, 64) for t in ("red apple pie", "apple pie recipe", "quantum field theory"))
    assert a == embed("Red apple PIE", 7, 64)  # case and punctuation do not matter, words do
    assert math.isclose(sum(v * v for v in a), 1.0)
    assert sum(x * y for x, y in zip(a, b, strict=True)) > sum(x * y for x, y in zip(a, c, strict=True))
    assert a != embed("red apple pie", 8, 64)


@pytest.mark.parametrize(
    ("given", "status", "expected"),
    [
        (None, 429, "rate_limit_exceeded"),
        (None, 502, "internal_server_error"),
        (None, 418, "invalid_request_error"),
        ("overloaded_error", 529, "internal_server_error"),
        ("rate_limit_error", 429, "rate_limit_exceeded"),
        ("insufficient_quota", 429, "insufficient_quota"),
    ],
)
def test_error_types_in_the_gateways_words(given: str | None, status: int, expected: str) -> None:
    assert openai_error_type(given, status) == expected
    if given is None:
        assert error_type_for_status(status) == expected


def _answer(text: str) -> Answer:
    return Answer(parts=(TextPart(text),), stop_reason="end_turn", input_tokens=1, output_tokens=1)


def _chat(answer: Answer, timing: Timing, fault: Fault | None = None) -> list[ScheduleItem]:
    return list(
        chat_schedule(
            answer,
            completion_id="chatcmpl-1",
            model="m",
            created=0,
            include_usage=False,
            timing=timing,
            rng=random.Random(1),
            fault=fault,
        )
    )


def test_timing_paces_the_content_chunks_only() -> None:
    schedule = _chat(_answer("x" * 40), Timing(ttft_ms=100, chunk_ms=10, chunk_chars=16))
    frames = [f for f in schedule if isinstance(f, Frame)]
    assert [f.delay for f in frames if f.content] == [0.1, 0.01, 0.01]
    assert all(f.delay == 0 for f in frames if not f.content)
    assert frames[-1].data == b"data: [DONE]\n\n"


def test_a_fault_waiting_past_the_end_strikes_before_done() -> None:
    fault = Fault(after_events=999, error=StreamErrorSpec(type="overloaded_error"))
    schedule = _chat(_answer("short"), Timing(), fault)
    last = schedule[-1]
    assert isinstance(last, Frame) and last.event == "error"
    assert b"[DONE]" not in b"".join(f.data for f in schedule if isinstance(f, Frame))
