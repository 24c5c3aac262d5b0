"""Stream timing: the exact schedule render makes, and the server playing it on a FakeClock (no sleeping)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from mockgw.core.clock import FakeClock
from mockgw.faces.anthropic.render import Disconnect, Frame, ScheduleItem, Stall, stream_schedule
from mockgw.faces.anthropic.wire.messages import Message, TextBlock, ThinkingBlock, ToolUseBlock, Usage
from mockgw.scenario.schema import Fault, Timing
from tests.conftest import GatewayFactory, body, http_call


def message(*blocks: Any, stop_reason: str = "end_turn") -> Message:
    return Message(
        id="msg_01test",
        model="claude-sonnet-4-5",
        content=list(blocks),
        stop_reason=stop_reason,  # type: ignore[arg-type]
        usage=Usage(input_tokens=10, output_tokens=5),
    )


def schedule(msg: Message, seed: int = 0, fault: Fault | None = None, **timing: Any) -> list[ScheduleItem]:
    return stream_schedule(msg, Timing(**timing), random.Random(seed), fault)


def frames(items: list[ScheduleItem]) -> list[Frame]:
    return [i for i in items if isinstance(i, Frame)]


def deltas(items: list[ScheduleItem]) -> list[dict[str, Any]]:
    """The ``delta`` objects of the content frames, in order."""
    return [json.loads(f.data.split(b"data: ", 1)[1])["delta"] for f in frames(items) if f.content]


def delays(items: list[ScheduleItem]) -> list[float]:
    return [f.delay for f in frames(items) if f.content]


TEXT = message(TextBlock(text="abcdefghij"))  # 10 characters


# ---------------------------------------------------------------- order and content


def test_event_order_for_thinking_text_and_tool_use() -> None:
    msg = message(
        ThinkingBlock(thinking="hmm", signature="sig"),
        TextBlock(text="hi"),
        ToolUseBlock(id="toolu_1", name="t", input={"a": 1}),
        stop_reason="tool_use",
    )
    assert [(f.event, f.content) for f in frames(schedule(msg))] == [
        ("message_start", False),
        ("content_block_start", False),
        ("ping", False),
        ("content_block_delta", True),  # thinking
        ("content_block_delta", True),  # signature
        ("content_block_stop", False),
        ("content_block_start", False),
        ("content_block_delta", True),
        ("content_block_stop", False),
        ("content_block_start", False),
        ("content_block_delta", True),  # '{"a":' — tool input always comes in two pieces or more
        ("content_block_delta", True),
        ("content_block_stop", False),
        ("message_delta", False),
        ("message_stop", False),
    ]


def test_every_frame_is_an_sse_event_named_like_its_type() -> None:
    for frame in frames(schedule(TEXT)):
        name, data, end = frame.data.split(b"\n", 2)
        assert name == b"event: " + frame.event.encode()
        assert json.loads(data.removeprefix(b"data: "))["type"] == frame.event
        assert end == b"\n"


@pytest.mark.parametrize(
    ("chunk_chars", "pieces"),
    [(None, ["abcdefghij"]), (4, ["abcd", "efgh", "ij"]), (1, list("abcdefghij")), (10, ["abcdefghij"])],
)
def test_chunk_chars_splits_text(chunk_chars: int | None, pieces: list[str]) -> None:
    assert [d["text"] for d in deltas(schedule(TEXT, chunk_chars=chunk_chars))] == pieces


def test_chunk_chars_splits_thinking_and_the_signature_comes_last() -> None:
    msg = message(ThinkingBlock(thinking="0123456", signature="sig"))
    assert deltas(schedule(msg, chunk_chars=3)) == [
        {"type": "thinking_delta", "thinking": "012"},
        {"type": "thinking_delta", "thinking": "345"},
        {"type": "thinking_delta", "thinking": "6"},
        {"type": "signature_delta", "signature": "sig"},
    ]


def test_chunk_chars_splits_tool_input_json() -> None:
    msg = message(ToolUseBlock(id="toolu_1", name="t", input={"city": "Paris", "days": 3}))
    pieces = [d["partial_json"] for d in deltas(schedule(msg, chunk_chars=5))]
    assert pieces == ['{"cit', 'y":"P', 'aris"', ',"day', 's":3}']
    assert all(d["type"] == "input_json_delta" for d in deltas(schedule(msg, chunk_chars=5)))


def test_tool_input_arrives_in_at_least_two_pieces_even_when_short() -> None:
    msg = message(ToolUseBlock(id="toolu_1", name="t", input={}))
    assert [d["partial_json"] for d in deltas(schedule(msg, chunk_chars=16))] == ["{", "}"]


def test_tool_use_start_carries_an_empty_input() -> None:
    msg = message(ToolUseBlock(id="toolu_1", name="t", input={"a": 1}))
    start = next(f for f in frames(schedule(msg)) if f.event == "content_block_start")
    assert json.loads(start.data.split(b"data: ")[1])["content_block"] == {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "t",
        "input": {},
    }


# ---------------------------------------------------------------- delays


def test_without_timing_nothing_waits() -> None:
    assert all(f.delay == 0 for f in frames(schedule(TEXT)))


def test_ttft_comes_before_the_first_content_delta_and_chunk_ms_between_deltas() -> None:
    items = schedule(TEXT, ttft_ms=300, chunk_ms=20, chunk_chars=4)
    assert [(f.event, f.delay) for f in frames(items)] == [
        ("message_start", 0.0),
        ("content_block_start", 0.0),
        ("ping", 0.0),
        ("content_block_delta", 0.3),
        ("content_block_delta", 0.02),
        ("content_block_delta", 0.02),
        ("content_block_stop", 0.0),
        ("message_delta", 0.0),
        ("message_stop", 0.0),
    ]


def test_chunk_ms_paces_every_delta_of_every_block() -> None:
    msg = message(ThinkingBlock(thinking="abcd", signature="s"), TextBlock(text="efgh"))
    assert delays(schedule(msg, ttft_ms=100, chunk_ms=10, chunk_chars=2)) == [0.1, 0.01, 0.01, 0.01, 0.01]


def test_jitter_is_seeded_and_bounded() -> None:
    msg = message(TextBlock(text="x" * 40))
    first = delays(schedule(msg, seed=7, chunk_ms=50, jitter_ms=20, chunk_chars=2))
    assert first == delays(schedule(msg, seed=7, chunk_ms=50, jitter_ms=20, chunk_chars=2))
    assert first != delays(schedule(msg, seed=8, chunk_ms=50, jitter_ms=20, chunk_chars=2))
    assert first[0] == 0.0  # ttft is not jittered
    assert all(0.03 <= d <= 0.07 for d in first[1:])
    assert len(set(first[1:])) > 1


def test_jitter_never_makes_a_negative_delay() -> None:
    msg = message(TextBlock(text="x" * 40))
    assert all(d >= 0 for d in delays(schedule(msg, seed=1, chunk_ms=5, jitter_ms=50, chunk_chars=1)))


@pytest.mark.parametrize(
    ("timing", "chunk_delay"),
    [
        ({"tokens_per_second": 100, "chunk_chars": 4}, 0.01),  # 1 token a chunk at 100 tokens/s
        ({"tokens_per_second": 50, "chunk_chars": 8}, 0.04),  # 2 tokens a chunk at 50 tokens/s
        ({"tokens_per_second": 100}, 0.04),  # the default chunk of 16 characters is 4 tokens
        ({"tokens_per_second": 100, "chunk_chars": 4, "chunk_ms": 7}, 0.007),  # chunk_ms wins
    ],
)
def test_tokens_per_second_sets_the_pace_between_deltas(timing: dict[str, Any], chunk_delay: float) -> None:
    msg = message(TextBlock(text="x" * 64))
    got = delays(schedule(msg, ttft_ms=200, **timing))
    assert got[0] == 0.2
    assert got[1:] == pytest.approx([chunk_delay] * (len(got) - 1))


# ---------------------------------------------------------------- faults


def test_after_events_then_error_sends_n_events_then_an_error_event() -> None:
    full = frames(schedule(TEXT, chunk_chars=4))
    items = schedule(TEXT, chunk_chars=4, fault=Fault(after_events=4, error={"type": "overloaded_error"}))
    assert items[:4] == full[:4]
    assert len(items) == 5
    error = items[4]
    assert isinstance(error, Frame) and error.event == "error"
    assert error.data == (
        b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    )


def test_after_events_then_error_with_its_own_message() -> None:
    fault = Fault(after_events=0, error={"type": "api_error", "message": "boom"})
    (error,) = schedule(TEXT, fault=fault)
    assert isinstance(error, Frame)
    assert b'"error":{"type":"api_error","message":"boom"}' in error.data


def test_after_events_then_disconnect_cuts_without_message_stop() -> None:
    items = schedule(TEXT, fault=Fault(after_events=3, disconnect=True))
    assert [i.event if isinstance(i, Frame) else type(i).__name__ for i in items] == [
        "message_start",
        "content_block_start",
        "ping",
        "Disconnect",
    ]
    assert isinstance(items[-1], Disconnect)


@pytest.mark.parametrize("fault", [{"error": {"type": "overloaded_error"}}, {"disconnect": True}])
def test_after_events_beyond_the_reply_still_strikes_before_message_stop(fault: dict[str, Any]) -> None:
    full = frames(schedule(TEXT))
    items = schedule(TEXT, fault=Fault(after_events=len(full) + 10, **fault))
    assert items[:-1] == full[:-1]  # everything up to message_delta
    assert [i.event for i in frames(items)].count("message_stop") == 0
    assert isinstance(items[-1], Disconnect) or frames(items)[-1].event == "error"


def test_stall_comes_first_then_the_whole_stream() -> None:
    items = schedule(TEXT, fault=Fault(stall_ms=1500))
    assert items[0] == Stall(1.5)
    assert items[1:] == schedule(TEXT)


# ---------------------------------------------------------------- the server plays it on a FakeClock


def stream_body(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return body(text, stream=True, **extra)


def test_server_sleeps_exactly_the_schedule(gateway: GatewayFactory) -> None:
    clock = FakeClock()
    gw = gateway(
        {"rules": [{"reply": "abcdefghij", "timing": {"ttft_ms": 300, "chunk_ms": 20, "chunk_chars": 4}}]}, clock=clock
    )
    response = http_call(gw.url + "/v1/messages", json_body=stream_body())
    assert response.status == 200 and response.body.endswith(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    assert clock.sleeps == [0.3, 0.02, 0.02]
    assert gw.journal.last.ttft_ms == pytest.approx(300)


def test_server_merges_defaults_rule_and_step_timing(gateway: GatewayFactory) -> None:
    clock = FakeClock()
    gw = gateway(
        {
            "defaults": {"timing": {"ttft_ms": 100, "chunk_ms": 10, "chunk_chars": 5}},
            "rules": [
                {
                    "timing": {"ttft_ms": 200},
                    "sequence": [{"reply": "abcdefghij", "timing": {"chunk_chars": 2}}, {"reply": "abcdefghij"}],
                }
            ],
        },
        clock=clock,
    )
    http_call(gw.url + "/v1/messages", json_body=stream_body())
    assert clock.sleeps == [0.2, 0.01, 0.01, 0.01, 0.01]  # step: 2 chars a chunk; rule: ttft 200
    clock.sleeps.clear()
    http_call(gw.url + "/v1/messages", json_body=stream_body())
    assert clock.sleeps == [0.2, 0.01]  # rule ttft over defaults' 5 chars a chunk


def test_server_jitter_repeats_for_the_same_seed(gateway: GatewayFactory) -> None:
    scenario = {
        "seed": 11,
        "rules": [{"reply": "x" * 30, "timing": {"chunk_ms": 40, "jitter_ms": 15, "chunk_chars": 3}}],
    }
    clocks = [FakeClock(), FakeClock()]
    for clock in clocks:
        gw = gateway(scenario, clock=clock)
        http_call(gw.url + "/v1/messages", json_body=stream_body())
    assert clocks[0].sleeps == clocks[1].sleeps
    assert len(clocks[0].sleeps) == 9  # ttft is 0: only the 9 gaps between 10 deltas wait
    assert all(0.025 <= s <= 0.055 for s in clocks[0].sleeps)


def test_server_stall_sleeps_after_sending_headers(gateway: GatewayFactory) -> None:
    clock = FakeClock()
    rule = {"reply": "abc", "fault": {"stall_ms": 30000}, "timing": {"ping_ms": 0}}  # no keepalive pings
    gw = gateway({"rules": [rule]}, clock=clock)
    response = http_call(gw.url + "/v1/messages", json_body=stream_body())
    assert clock.sleeps == [30.0]
    assert response.status == 200 and b"event: message_stop" in response.body  # on a fake clock it ends


def events_of(body: bytes) -> list[str]:
    return [line[len("event: ") :] for line in body.decode().splitlines() if line.startswith("event: ")]


@pytest.mark.parametrize(
    ("timing", "fault", "sleeps", "events"),
    [
        # The default: a ping every 10 s of silence, after message_start (a stall waits there).
        pytest.param({}, {"stall_ms": 30000}, [10.0, 10.0, 10.0], ["message_start", "ping", "ping"], id="stall"),
        pytest.param(
            {"ping_ms": 4000}, {"stall_ms": 9000}, [4.0, 4.0, 1.0], ["message_start", "ping", "ping"], id="ping_ms"
        ),
        # A long ttft: the pings come between the first block's start (and its ping) and its first delta.
        pytest.param(
            {"ttft_ms": 25000},
            None,
            [10.0, 10.0, 5.0],
            ["message_start", "content_block_start", "ping", "ping", "ping", "content_block_delta"],
            id="ttft",
        ),
        pytest.param(
            {"ttft_ms": 25000, "ping_ms": 0},
            None,
            [25.0],
            ["message_start", "content_block_start", "ping", "content_block_delta"],
            id="off",
        ),
        # A silence shorter than the interval carries none.
        pytest.param(
            {"ttft_ms": 9000},
            None,
            [9.0],
            ["message_start", "content_block_start", "ping", "content_block_delta"],
            id="short",
        ),
    ],
)
def test_long_silences_carry_keepalive_pings(
    gateway: GatewayFactory,
    timing: dict[str, float],
    fault: dict[str, float] | None,
    sleeps: list[float],
    events: list[str],
) -> None:
    clock = FakeClock()
    rule: dict[str, object] = {"reply": "abc", "timing": timing, **({"fault": fault} if fault else {})}
    gw = gateway({"rules": [rule]}, clock=clock)
    response = http_call(gw.url + "/v1/messages", json_body=stream_body())
    assert clock.sleeps == pytest.approx(sleeps)
    sent = events_of(response.body)
    assert sent[: len(events)] == events
    assert sent[-1] == "message_stop" and sent.count("content_block_delta") == 1


def test_non_streamed_answers_ignore_stream_timing(gateway: GatewayFactory) -> None:
    clock = FakeClock()
    gw = gateway({"rules": [{"reply": "abcdefghij", "timing": {"ttft_ms": 300, "chunk_ms": 20}}]}, clock=clock)
    assert http_call(gw.url + "/v1/messages", json_body=body()).status == 200
    assert clock.sleeps == []


@pytest.mark.parametrize("stream", [False, True])
def test_delay_ms_waits_before_answering(gateway: GatewayFactory, stream: bool) -> None:
    clock = FakeClock()
    gw = gateway({"rules": [{"reply": "abc", "fault": {"delay_ms": 2500}}]}, clock=clock)
    assert http_call(gw.url + "/v1/messages", json_body=body(stream=stream)).status == 200
    assert clock.sleeps == [2.5]
    assert gw.journal.last.duration_ms == pytest.approx(2500)
