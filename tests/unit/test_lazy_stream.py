"""Streams are made as they play: each frame when it is due, with the bytes and delays of a schedule made at once."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from typing import Any

import pytest

from mockgw.core.schedule import Disconnect, Frame, ScheduleItem, Stall, apply_fault, with_pings
from mockgw.core.seeds import Draws
from mockgw.faces.anthropic import render
from mockgw.faces.anthropic.render import stream_frames, stream_schedule
from mockgw.faces.anthropic.wire.messages import Message, TextBlock, ThinkingBlock, ToolUseBlock, Usage
from mockgw.scenario.schema import Fault, Timing

JITTER = Timing(chunk_ms=30, jitter_ms=10, chunk_chars=3)


def message(*blocks: Any) -> Message:
    return Message(
        id="msg_01test",
        model="claude-sonnet-4-5",
        content=list(blocks),
        stop_reason="end_turn",
        usage=Usage(input_tokens=10, output_tokens=5),
    )


MESSAGES = {
    "text": message(TextBlock(text="x" * 40)),
    "empty text": message(TextBlock(text="")),
    "thinking": message(ThinkingBlock(thinking="hmm " * 9, signature="sig")),
    "omitted thinking": message(ThinkingBlock(thinking="", signature="sig"), TextBlock(text="x" * 7)),
    "tool": message(ToolUseBlock(id="toolu_1", name="t", input={"city": "Paris", "days": [1, 2, 3]})),
    "empty tool input": message(ToolUseBlock(id="toolu_1", name="t", input={})),
    "mixed": message(
        ThinkingBlock(thinking="abcdefgh", signature="s"),
        TextBlock(text="hello world"),
        ToolUseBlock(id="t", name="n", input={"q": "é" * 20}),
    ),
    "no content": message(),
}


def test_a_stream_is_an_iterator_that_makes_one_frame_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[bytes] = []
    dump = render.sse_frame
    monkeypatch.setattr(render, "sse_frame", lambda event: made.append(dump(event)) or made[-1])
    frames = stream_frames(message(TextBlock(text="x" * 100_000)), Timing(), random.Random(0))
    assert made == []  # nothing is made before the first frame is asked for
    first = next(frames)
    assert isinstance(first, Frame) and first.event == "message_start"
    assert len(made) == 1


@pytest.mark.parametrize("name", MESSAGES)
def test_played_while_other_streams_play_a_stream_keeps_its_jitter(name: str) -> None:
    first, second = Draws(b"first request"), Draws(b"second request")
    alone = stream_schedule(MESSAGES[name], JITTER, Draws(b"first request").jitter)
    played: list[ScheduleItem] = []
    other = stream_frames(MESSAGES["mixed"], JITTER, second.jitter)
    for item in stream_frames(MESSAGES[name], JITTER, first.jitter):
        played.append(item)
        next(other, None)  # another request's stream draws its jitter between two frames
        second.ids.message()  # and another request draws an id
    assert played == alone


@pytest.mark.parametrize("name", MESSAGES)
def test_a_stream_without_jitter_never_makes_its_generator(name: str) -> None:
    def made() -> random.Random:
        raise AssertionError("the jitter generator was made for a stream without jitter")

    assert list(stream_frames(MESSAGES[name], Timing(chunk_ms=30, chunk_chars=3), made))


def endless() -> Iterator[ScheduleItem]:
    for n in itertools.count():
        yield Frame(0.0, "content_block_delta", str(n).encode(), content=True)


@pytest.mark.parametrize(
    ("fault", "last"),
    [({"after_events": 3, "disconnect": True}, "Disconnect"), ({"after_events": 2, "error": {}}, "error")],
)
def test_a_fault_cuts_even_an_endless_schedule(fault: dict[str, Any], last: str) -> None:
    def strike(error: Any, sent: int) -> Frame:
        return Frame(0.0, "error", b"error")

    items = list(apply_fault(endless(), Fault(**fault), strike, "message_stop"))
    assert len(items) == fault["after_events"] + 1
    assert (items[-1].event if isinstance(items[-1], Frame) else type(items[-1]).__name__) == last


A, B, PING = Frame(0.0, "a", b"a"), Frame(0.5, "b", b"b"), Frame(0.0, "ping", b"p")


@pytest.mark.parametrize(
    ("schedule", "played"),
    [
        pytest.param([A, B], [A, B], id="no silence"),
        pytest.param([Stall(0.5), A], [Stall(0.5), A], id="a short stall before the first frame"),
        pytest.param(
            [Stall(2.5), A, B],
            [A, Frame(1.0, "ping", b"p"), Frame(1.0, "ping", b"p"), Stall(0.5), B],
            id="a long stall before the first frame waits after it",
        ),
        pytest.param([Stall(2.5)], [Stall(2.5)], id="no frame at all: the stall still happens"),
        pytest.param(
            [A, Frame(3.0, "b", b"b")],
            [A, Frame(1.0, "ping", b"p"), Frame(1.0, "ping", b"p"), Frame(1.0, "b", b"b")],
            id="a long delay split, never lengthened",
        ),
        pytest.param([A, Disconnect(2.0)], [A, Frame(1.0, "ping", b"p"), Disconnect(1.0)], id="a late drop"),
        pytest.param([A, Stall(1.5), B], [A, Frame(1.0, "ping", b"p"), Stall(0.5), B], id="a stall after it"),
    ],
)
def test_pings_fill_every_silence_longer_than_their_interval(
    schedule: list[ScheduleItem], played: list[ScheduleItem]
) -> None:
    assert list(with_pings(schedule, 1.0, PING)) == played
    assert list(with_pings(schedule, 0.0, PING)) == schedule  # interval 0: the schedule as it is


def test_a_schedule_without_fault_or_pings_is_played_as_it_is() -> None:
    schedule = iter([A, B])
    assert with_pings(apply_fault(schedule, None, lambda error, sent: A), 0.0, PING) is schedule
