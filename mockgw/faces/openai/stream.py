"""Pacing an OpenAI stream: frames with the scenario's timing, and faults put in place.

The same schedule items the Anthropic face plays (``Frame``, ``Stall``, ``Disconnect``), so the one pacer in
``server/sse.py`` plays every face. Timing and faults mean the same here as there: ``ttft_ms`` before the first
content delta, ``chunk_ms`` (with seeded jitter) between the next ones, ``fault.after_events: N`` lets N frames
out and then sends the face's error frame or drops the connection, never at or after the final frame.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mockgw.core.answer import CHARS_PER_TOKEN
from mockgw.core.schedule import Disconnect, Frame, ScheduleItem, Stall
from mockgw.scenario.schema import Fault, Timing

# The bytes are compact JSON as the APIs write them; one encoder, built once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(data: Any) -> str:
    return _ENCODER.encode(data)


def split(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def split_json(text: str, size: int) -> list[str]:
    # Tool arguments arrive in several fragments (clients accumulate partial JSON), even when short.
    return split(text, min(size, max(1, math.ceil(len(text) / 2))))


@dataclass(frozen=True)
class Event:
    """One frame before pacing: its name (for the journal), its bytes, whether it carries content."""

    name: str
    data: bytes
    content: bool = False


def _delays(timing: Timing, rng: random.Random) -> tuple[float, float, float]:
    chunk_ms = timing.chunk_ms
    if chunk_ms is None and timing.tokens_per_second:
        chunk_ms = 1000 * (timing.chunk_chars or 16) / CHARS_PER_TOKEN / timing.tokens_per_second
    return (timing.ttft_ms or 0.0) / 1000, (chunk_ms or 0.0) / 1000, (timing.jitter_ms or 0.0) / 1000


def pace(
    events: Sequence[Event], timing: Timing, rng: random.Random, fault: Fault | None, error_frame: Event
) -> list[ScheduleItem]:
    """The schedule of ``events``: content frames paced by ``timing``, then ``fault`` applied.

    The last event is the stream's end (``[DONE]``, ``response.completed``): a fault waiting for more events
    than the answer has strikes just before it, so a scripted cut never looks like a complete answer.
    """
    ttft, chunk, jitter = _delays(timing, rng)
    first = True
    schedule: list[ScheduleItem] = []
    for event in events:
        delay = 0.0
        if event.content:
            if first:
                delay, first = ttft, False
            else:
                delay = max(0.0, chunk + rng.uniform(-jitter, jitter)) if jitter else chunk
        schedule.append(Frame(delay, event.name, event.data, content=event.content))
    if fault is None:
        return schedule
    if fault.after_events is not None:
        schedule = schedule[: min(fault.after_events, len(schedule) - 1)]
        if fault.disconnect:
            schedule.append(Disconnect())
        elif fault.error is not None:
            schedule.append(Frame(0.0, error_frame.name, error_frame.data))
    if fault.stall_ms is not None:
        schedule.insert(0, Stall(fault.stall_ms / 1000))
    return schedule
