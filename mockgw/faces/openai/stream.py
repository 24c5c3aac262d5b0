"""Pacing an OpenAI stream: frames with the scenario's timing, and faults put in place.

The same schedule items the Anthropic face plays (``Frame``, ``Stall``, ``Disconnect``), so the one pacer in
``server/sse.py`` plays every face. Timing and faults mean the same here as there: ``ttft_ms`` before the first
content delta, ``chunk_ms`` (with seeded jitter) between the next ones, ``fault.after_events: N`` lets N frames
out and then sends the face's error frame or drops the connection, never at or after the final frame.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from mockgw.core.schedule import Frame, Jitter, Pacer, Schedule, apply_fault
from mockgw.scenario.schema import Fault, Timing

# The bytes are compact JSON as the APIs write them; one encoder, built once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(data: Any) -> str:
    return _ENCODER.encode(data)


def split(text: str, size: int) -> Iterator[str]:
    """``text`` in pieces of ``size`` characters, made one at a time ("" for an empty text: one empty delta)."""
    if not text:
        yield ""
    for i in range(0, len(text), size):
        yield text[i : i + size]


def _json_size(text: str, size: int) -> int:
    # Tool arguments arrive in several fragments (clients accumulate partial JSON), even when short.
    return min(size, max(1, math.ceil(len(text) / 2)))


def split_json(text: str, size: int) -> Iterator[str]:
    return split(text, _json_size(text, size))


@dataclass(frozen=True)
class Event:
    """One frame before pacing: its name (for the journal), its bytes, whether it carries content."""

    name: str
    data: bytes
    content: bool = False


def pace(
    events: Iterable[Event],
    timing: Timing,
    rng: Jitter,
    fault: Fault | None,
    error_frame: Callable[[int], Event],
) -> Schedule:
    """The lazy schedule of ``events``: content frames paced by ``timing``, then ``fault`` applied.

    Frames are made as the pacer asks for them, so a long answer costs nothing before its first byte.
    ``rng``: the request's own jitter generator (``Draws.jitter``), so the delays do not depend on when the
    frames are made, nor on other requests.
    The last event is the stream's end (``[DONE]``, ``response.completed``): a fault waiting for more events
    than the answer has strikes just before it, so a scripted cut never looks like a complete answer.
    ``error_frame(n)`` makes the face's error frame when it replaces the n-th event (0-based).
    """
    pacer = Pacer(timing, rng)
    paced = (Frame(pacer.next_delay() if e.content else 0.0, e.name, e.data, content=e.content) for e in events)
    return apply_fault(paced, fault, lambda _error, sent: _frame(error_frame(sent)))


def _frame(event: Event) -> Frame:
    return Frame(0.0, event.name, event.data)
