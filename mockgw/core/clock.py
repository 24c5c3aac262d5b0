"""Clocks: the real one, and a fake one so stream timing is tested without sleeping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol


class Timer(Protocol):
    """A callback armed on a clock; ``cancel()`` before it runs and it never does."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """What the server needs of time: a monotonic reading, an awaitable sleep, and a timer.

    ``call_later`` is what the stream pacer (``server/sse.py``) arms for the earliest frame due across all
    open streams; ``sleep`` is for a handler's own waits (``delay_ms``, a non-streamed stall).
    """

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer: ...


class RealClock:
    """Wall time: ``time.monotonic``, ``asyncio.sleep`` and the running loop's timers."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        # The loop's clock is time.monotonic too, so a delay from now() means the same instant to both.
        return asyncio.get_running_loop().call_later(delay, callback)


class FakeClock:
    """A clock that advances only when slept on, and remembers every sleep.

    ``sleeps`` lists the requested delays in order, so a test can compare them to a scripted schedule
    exactly; ``now()`` is their running sum. A timer counts as a sleep: it is recorded when armed, and on the
    loop's next turn time jumps to its instant and it runs, so a stream plays to its end at once in virtual
    time, each wait recorded as the schedule gave it.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time on without a sleep (as a test's "later": batches and files age by it)."""
        self._now += max(seconds, 0.0)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._now += max(seconds, 0.0)
        await asyncio.sleep(0)  # still yield, as a real sleep would

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        self.sleeps.append(delay)
        timer = _FakeTimer(self, self._now + max(delay, 0.0), callback)
        asyncio.get_running_loop().call_soon(timer.fire)
        return timer


class _FakeTimer:
    """One armed FakeClock timer: when the loop gets to it, time jumps to ``due`` and ``callback`` runs."""

    __slots__ = ("callback", "cancelled", "clock", "due")

    def __init__(self, clock: FakeClock, due: float, callback: Callable[[], None]) -> None:
        self.clock, self.due, self.callback, self.cancelled = clock, due, callback, False

    def cancel(self) -> None:
        self.cancelled = True

    def fire(self) -> None:
        if self.cancelled:
            return
        # Never backwards: a sleep elsewhere may have moved time past this timer's instant meanwhile.
        self.clock._now = max(self.clock._now, self.due)
        self.callback()
