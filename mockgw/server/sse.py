"""Playing a stream schedule onto an aiohttp response, on the gateway's clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from mockgw.core.clock import Clock
from mockgw.core.journal import mark_timeline
from mockgw.core.schedule import Disconnect, Frame, ScheduleItem, Stall

SSE_HEADERS = {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "connection": "keep-alive",
}
# Frames due at once (no pacing) are made and written back to back; after this much time doing so, one
# stream lets the loop serve the others before it goes on. A write returns without yielding until the
# socket's buffer is full, so a long unpaced stream to a quick reader would otherwise hold the loop.
FAIR_SLICE_S = 0.002


@dataclass
class PlayResult:
    """What went out: event names in order, time to the first content delta, how it ended."""

    events: list[str] = field(default_factory=list)
    ttft: float | None = None
    outcome: str = "complete"  # complete | disconnected (our fault) | client_gone | client_stalled
    # The stream's timeline for the journal (core/journal.py ``mark_timeline``): runs of one event name.
    timeline: list[dict[str, Any]] = field(default_factory=list)


async def play(
    request: web.Request,
    response: web.StreamResponse,
    schedule: Iterable[ScheduleItem],
    clock: Clock,
    result: PlayResult | None = None,
    write_timeout: float | None = None,
) -> PlayResult:
    """Write each frame after its delay; stall or drop the connection where the schedule says.

    ``schedule`` may be lazy: each item is taken from it only when the one before has gone out.

    A client that goes away mid-stream ends the play quietly: that is a normal event for a server.
    ``result`` (a new one if not given) is filled in as frames go out, so it tells how far a play got even
    when it is cancelled. A client that stops reading is dropped once the send buffer is full and stays full
    for ``write_timeout`` seconds (outcome ``client_stalled``).
    """
    result = result if result is not None else PlayResult()
    started = clock.now()
    slice_end = time.monotonic() + FAIR_SLICE_S
    try:
        for item in schedule:
            if isinstance(item, Stall):
                await clock.sleep(item.seconds)
                continue
            if item.delay > 0:
                await clock.sleep(item.delay)
                slice_end = time.monotonic() + FAIR_SLICE_S
            elif time.monotonic() > slice_end:
                await asyncio.sleep(0)
                slice_end = time.monotonic() + FAIR_SLICE_S
            if isinstance(item, Disconnect):
                result.outcome = "disconnected"
                # Abort, not close: the client must see the body end without the terminating chunk.
                if request.transport is not None:
                    request.transport.abort()
                return result
            assert isinstance(item, Frame)
            # write() waits (drains) only while the transport's buffer is over its high-water mark (64 KiB).
            async with asyncio.timeout(write_timeout):
                await response.write(item.data)
            result.events.append(item.event)
            at = clock.now() - started
            mark_timeline(result.timeline, item.event, at * 1000)
            if item.content and result.ttft is None:
                result.ttft = at
        async with asyncio.timeout(write_timeout):
            await response.write_eof()
    except TimeoutError:
        result.outcome = "client_stalled"
        if request.transport is not None:
            request.transport.abort()  # what is buffered for a reader that stopped is dropped with it
    except (ConnectionError, RuntimeError) as exc:
        # aiohttp raises ClientConnectionResetError (a ConnectionResetError) or RuntimeError on a closed
        # transport; anything else is a bug and propagates to the error middleware.
        if isinstance(exc, RuntimeError) and "closing transport" not in str(exc).lower():
            raise
        result.outcome = "client_gone"
    return result
