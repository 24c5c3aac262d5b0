"""Stream schedules, the same for every face: frames with the delay before each, made as they fall due.

A face's renderer turns an answer into a *lazy* schedule (an iterator): each frame is made only when the
pacer is about to send it, so a long reply costs no time before its first byte and holds no list of every
frame. The pacer (``server/sse.py``) plays any face's schedule; faults are applied here, lazily too.

Pure: no I/O and no clock.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass

from mockgw.core.answer import CHARS_PER_TOKEN
from mockgw.scenario.schema import Fault, StreamErrorSpec, Timing


@dataclass(frozen=True)
class Frame:
    """Send ``data`` after waiting ``delay`` seconds. ``event`` names it; ``content`` marks a delta."""

    delay: float
    event: str
    data: bytes
    content: bool = False


@dataclass(frozen=True)
class Disconnect:
    """Close the connection abruptly after ``delay`` seconds (no terminating event)."""

    delay: float = 0.0


@dataclass(frozen=True)
class Stall:
    """Send nothing for ``seconds``."""

    seconds: float


ScheduleItem = Frame | Disconnect | Stall
Schedule = Iterator[ScheduleItem]


Jitter = random.Random | Callable[[], random.Random]


class Pacer:
    """Delays between content deltas: ttft first, then chunk_ms (or tokens_per_second) with seeded jitter.

    ``rng`` is the request's own jitter generator (``Draws.jitter``; no other request draws from it, so a
    lazy stream may draw while it plays), or a function making it, called only when there is jitter.
    """

    def __init__(self, timing: Timing, rng: Jitter) -> None:
        self.ttft = (timing.ttft_ms or 0.0) / 1000
        chunk_ms = timing.chunk_ms
        if chunk_ms is None and timing.tokens_per_second:
            chunk_ms = 1000 * (timing.chunk_chars or 16) / CHARS_PER_TOKEN / timing.tokens_per_second
        self.chunk = (chunk_ms or 0.0) / 1000
        self.jitter = (timing.jitter_ms or 0.0) / 1000
        self._rng = rng
        self.first = True

    def next_delay(self) -> float:
        if self.first:
            self.first = False
            return self.ttft
        if self.jitter:
            rng = self._rng
            if not isinstance(rng, random.Random):
                rng = self._rng = rng()
            return max(0.0, self.chunk + rng.uniform(-self.jitter, self.jitter))
        return self.chunk


def apply_fault(
    schedule: Iterable[ScheduleItem],
    fault: Fault | None,
    error_frame: Callable[[StreamErrorSpec, int], Frame],
    end_event: str | None = None,
) -> Schedule:
    """``schedule`` with ``fault`` in place, lazily: a stall first; then N items out and the strike.

    ``error_frame(fault.error, n)`` makes the face's mid-stream error frame, in place of the n-th item
    (0-based). The strike never comes at or after the stream's last frame when that frame is its end: the
    frame named ``end_event`` (message_stop), or any last frame when ``end_event`` is None (``[DONE]``,
    ``response.completed``). A fault waiting for more events than the reply has strikes just before the
    end, so "no terminator" holds for a reply of any length. Every face's streams fault here.
    """
    if fault is None:  # the schedule itself: no generator between it and the pacer, on every frame
        return iter(schedule)
    return _faulted(schedule, fault, error_frame, end_event)


def _faulted(
    schedule: Iterable[ScheduleItem],
    fault: Fault,
    error_frame: Callable[[StreamErrorSpec, int], Frame],
    end_event: str | None,
) -> Schedule:
    if fault.stall_ms is not None:
        yield Stall(fault.stall_ms / 1000)
    if fault.after_events is None:
        yield from schedule
        return
    items = iter(schedule)
    pending = next(items, None)
    sent = 0
    while pending is not None and sent < fault.after_events:
        following = next(items, None)  # one ahead, to know whether ``pending`` is the last
        if following is None and isinstance(pending, Frame) and end_event in (None, pending.event):
            break
        yield pending
        sent += 1
        pending = following
    if fault.disconnect:
        yield Disconnect()
    elif fault.error is not None:
        yield error_frame(fault.error, sent)


# The interval of keepalive pings in a silent stream, when the scenario names none. The API documents that
# streams carry ping events but not how often; captures show them inside long thinking, and proxies that add
# them back use 10-15 s. Ten seconds keeps any client idle timeout of more than that satisfied.
DEFAULT_PING_MS = 10_000.0


def with_pings(schedule: Iterable[ScheduleItem], interval: float, ping: Frame) -> Schedule:
    """``schedule`` with ``ping`` sent every ``interval`` seconds of silence, lazily, as the API keeps a quiet
    stream alive (a long ttft, a stall, slow thinking). ``interval`` 0: no pings added.

    Pings go only after the first frame (the API's first event is message_start; the SDKs read nothing before
    it): a stall scripted before the first frame waits after it instead, filled with pings. A delay is split,
    never lengthened: the frame after the pings comes when it would have without them.
    """
    if interval <= 0:
        return iter(schedule)
    return _pinged(schedule, interval, ping)


def _pinged(schedule: Iterable[ScheduleItem], interval: float, ping: Frame) -> Schedule:
    items = iter(schedule)
    held: Stall | None = None
    for item in items:  # up to the first frame
        if isinstance(item, Stall) and item.seconds > interval:
            held = item  # sent after the first frame, as pings
            continue
        yield item
        if isinstance(item, Frame):
            if held is not None:
                yield from _quiet(held.seconds, interval, ping)
            break
    else:
        if held is not None:  # a schedule of no frames at all: the stall still happens
            yield held
        return
    for item in items:  # a frame first: the pacer's every frame goes through here
        if isinstance(item, Frame):
            if item.delay > interval:
                left = yield from _pings_within(item.delay, interval, ping)
                yield Frame(left, item.event, item.data, item.content)
            else:
                yield item
        elif isinstance(item, Stall):
            yield from _quiet(item.seconds, interval, ping)
        elif item.delay > interval:  # a Disconnect
            left = yield from _pings_within(item.delay, interval, ping)
            yield Disconnect(left)
        else:
            yield item


def _pings_within(delay: float, interval: float, ping: Frame) -> Generator[ScheduleItem, None, float]:
    """Pings every ``interval`` inside ``delay``; returns what is left of it for the frame that follows."""
    count = int(delay // interval)
    if count * interval >= delay:  # a ping would land with the frame itself
        count -= 1
    for _ in range(count):
        yield Frame(interval, ping.event, ping.data)
    return delay - count * interval


def _quiet(seconds: float, interval: float, ping: Frame) -> Iterator[ScheduleItem]:
    """A silence of ``seconds``: pings every ``interval`` and the rest as a stall."""
    left = yield from _pings_within(seconds, interval, ping)
    if left > 0:
        yield Stall(left)
