"""One pacer for every open stream of a server: schedules played onto aiohttp responses on the gateway's clock.

A face renders an answer as a lazy schedule (``core/schedule.py``): frames, each with the delay before it,
stalls and a scripted disconnect. Sleeping one coroutine per frame cost a task wake-up, a timer and an
awaited write per frame; at 1,000 streams of 20 frames a second that alone kept a core busy and put frames
90 ms and more behind. Here every open stream waits in one heap keyed by the instant its next item falls due,
and the pacer arms a single clock timer for the earliest. When it fires, every stream due by then is advanced
in a stable order (due instant, then the order they were queued): its due frame is written, together with the
frames after it that wait for nothing (``message_start``, ``content_block_start`` and ``ping`` go out as one
``transport.write``), up to the next item that waits, which is queued at now plus its delay. The handler's
coroutine sleeps through all of it on one future and wakes only when its stream has ended or must wait for a
reader that stopped reading.

Streams written in one wake are queued again in the order they were written, and their next instants are
counted from the wake's one reading of the clock, so a stream keeps its place from wake to wake and the gaps
between its frames are the scripted ones however long the wake takes. A stream that starts or ends first
writes what is already due (``_run_due``): in a burst of requests, or of streams ending together, the loop
runs every ready handler before its timers, and the frames due meanwhile would wait for all of them. A
``FakeClock`` drives the same code: its timers run on the loop's next turn with time moved to their instant
(``core/clock.py``).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.http_writer import StreamWriter

from mockgw.core.clock import Clock, Timer
from mockgw.core.journal import mark_timeline
from mockgw.core.schedule import Disconnect, Frame, ScheduleItem, Stall

SSE_HEADERS = {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "connection": "keep-alive",
}
# The pacer writes frames for at most this long before it lets the loop serve others (new requests, other
# handlers), then goes on where it stopped on the loop's next turn. A write returns without yielding until
# the socket's buffer is full, so a long unpaced stream to a quick reader, or a thousand streams due at one
# instant, would otherwise hold the loop. A stream cut off by it goes to the back of the line.
FAIR_SLICE_S = 0.002
# Frames that wait for nothing are joined into one write up to this size; past it they are written in
# pieces, so a long unpaced stream never builds one big buffer (the transport's high-water mark is 64 KiB).
MAX_WRITE_BYTES = 64 * 1024
# A write holds at least this many frames before the fair slice may cut it: the slice is wall time, and a
# process that lost its core for a moment must not split a stream's first frames (message_start,
# content_block_start, ping) or its last ones into writes of their own, which a client reading chunks sees.
MIN_CUT_FRAMES = 64
# Float noise between the instant a timer was armed for and the clock read when it runs.
_DUE_TOLERANCE_S = 1e-6


@dataclass
class PlayResult:
    """What went out: event names in order, time to the first content delta, how it ended."""

    events: list[str] = field(default_factory=list)
    ttft: float | None = None
    outcome: str = "complete"  # complete | disconnected (our fault) | client_gone | client_stalled
    # The stream's timeline for the journal (core/journal.py ``mark_timeline``): runs of one event name.
    timeline: list[dict[str, Any]] = field(default_factory=list)


# A stream's states: in the heap until its instant; in the ready line; waiting for its reader to drain the
# socket (its handler does that); ended.
_WAITING, _READY, _PARKED, _DONE = "waiting", "ready", "parked", "done"


class _Stream:
    """One open stream: where its schedule stands, its socket, and how far it got."""

    __slots__ = (
        "due",
        "entry",
        "error",
        "items",
        "pending",
        "result",
        "since",
        "started",
        "state",
        "wait",
        "waiter",
        "writer",
    )

    def __init__(self, items: Iterator[ScheduleItem], writer: StreamWriter, result: PlayResult, now: float) -> None:
        self.items = items
        self.writer = writer
        self.result = result
        self.started = now
        self.state = _READY
        self.pending: ScheduleItem | None = None  # taken from the schedule, not yet done (it waits)
        self.due: float | None = None  # when ``pending`` (or what follows a stall) is due; None: now
        self.since = now  # when the current wait began, and how long it is: the timer is armed with exactly
        self.wait = 0.0  # the scheduled delay when it starts now (a FakeClock records it)
        self.entry: list[Any] | None = None  # its heap entry while it waits
        self.waiter: asyncio.Future[None] | None = None  # the handler sleeps on it
        self.error: BaseException | None = None  # the schedule raised: re-raised in the handler


class StreamPacer:
    """Plays every stream of one gateway from one heap of due instants and one timer on its clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[list[Any]] = []  # [due, seq, stream]; a removed stream's entry has stream None
        self._ready: deque[_Stream] = deque()
        self._seq = itertools.count()
        self._timer: Timer | None = None
        self._timer_due = float("inf")
        self._run_soon = False
        self._streams = 0  # playing now, whatever their state
        self.wakes = 0  # timer wake-ups so far (a test reads it: one per due instant, not one per frame)
        self.writes = 0  # transport writes of frames so far

    @property
    def open_streams(self) -> int:
        """Streams playing now."""
        return self._streams

    async def play(
        self,
        request: web.Request,
        response: web.StreamResponse,
        schedule: Iterable[ScheduleItem],
        result: PlayResult,
        write_timeout: float | None,
    ) -> PlayResult:
        """Play ``schedule`` onto the prepared ``response``; return when it has ended, however it ended."""
        writer = await response.prepare(request)  # prepared already: this returns its writer
        if not isinstance(writer, StreamWriter) or response.compression:
            # The pacer writes chunks to the transport itself (no coroutine per write): plain bytes only.
            raise RuntimeError("a stream needs an uncompressed response prepared with aiohttp's StreamWriter")
        stream = _Stream(iter(schedule), writer, result, self.clock.now())
        self._streams += 1
        try:
            # Frames already due go out before this stream's first ones: in a burst of new requests the loop
            # runs every handler that is ready before it gets to the timer, so they would wait for all of them.
            self._run_due(stream.started)
            self._advance(stream, stream.started, time.monotonic() + FAIR_SLICE_S)
            self._arm()
            while stream.state != _DONE:
                if stream.state == _PARKED:
                    # The reader's socket is full: only this stream waits for it, and only so long.
                    async with asyncio.timeout(write_timeout):
                        await writer.drain()
                    self._resume(stream)
                    continue
                stream.waiter = asyncio.get_running_loop().create_future()
                await stream.waiter
            # Streams that end in one wake wake their handlers together, and each one's end (the chunked end,
            # the journal, the log line) runs before the loop gets to the timer: what fell due meanwhile goes
            # out between them, as at a stream's start.
            self._run_due(self.clock.now())
            if stream.error is not None:
                raise stream.error
            if result.outcome == "disconnected" and request.transport is not None:
                # Abort, not close: the client must see the body end without the terminating chunk. Done here,
                # not in the pacer: the handler must be done before the loss of the connection cancels it.
                request.transport.abort()
            if result.outcome == "complete":
                async with asyncio.timeout(write_timeout):
                    await writer.drain()  # the end is written: wait, as long as a write may, for it to go out
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
        finally:
            if stream.state != _DONE:  # cancelled: the client went away, or the server is closing
                self._remove(stream)
            self._streams -= 1
            if not self._streams and self._timer is not None:
                self._timer.cancel()  # nothing left to wake for
                self._timer, self._timer_due = None, float("inf")
        return result

    # ------------------------------------------------------------ the heap and the timer

    def _queue(self, stream: _Stream, now: float, wait: float) -> None:
        """Put ``stream`` in the heap until ``now + wait``."""
        stream.state, stream.since, stream.wait = _WAITING, now, wait
        entry = [now + wait, next(self._seq), stream]
        stream.entry = entry
        heapq.heappush(self._heap, entry)

    def _remove(self, stream: _Stream) -> None:
        """Forget a stream whose handler is gone; what it holds (socket, schedule) goes with it."""
        if stream.entry is not None:
            stream.entry[2] = None  # left in the heap, skipped when it comes up: removal stays O(log n)
            stream.entry = None
        stream.state = _DONE
        stream.items = iter(())
        stream.pending = None

    def _arm(self) -> None:
        """Have the clock's one timer set for the earliest due instant, if it is not already."""
        heap = self._heap
        while heap and heap[0][2] is None:
            heapq.heappop(heap)
        if not heap:
            return
        due, _, stream = heap[0]
        if self._timer is not None:
            if self._timer_due <= due:
                return
            self._timer.cancel()
        now = self.clock.now()
        # The wait exactly as scheduled when it starts now: FakeClock records it, and due - now has float noise.
        delay = stream.wait if stream.since == now else due - now
        self._timer = self.clock.call_later(max(delay, 0.0), self._on_timer)
        self._timer_due = due

    def _on_timer(self) -> None:
        """The earliest instant has come: every stream due by now joins the ready line, in heap order."""
        self._timer, self._timer_due = None, float("inf")
        self.wakes += 1
        self._take_due(self.clock.now())
        self._run()

    def _run_due(self, now: float) -> None:
        """Write what is due by ``now`` without waiting for the timer, which the loop may reach only after
        everything else that is ready to run."""
        heap = self._heap
        if heap and heap[0][0] <= now + _DUE_TOLERANCE_S:
            self._take_due(now)
            self._run()

    def _take_due(self, now: float) -> None:
        """Every stream due by ``now`` joins the ready line, in heap order."""
        now += _DUE_TOLERANCE_S
        heap = self._heap
        while heap and heap[0][0] <= now:
            stream = heapq.heappop(heap)[2]
            if stream is not None:
                stream.entry = None
                stream.state = _READY
                self._ready.append(stream)

    def _run(self) -> None:
        """Advance the ready streams, for one fair slice at most; the rest go on at the loop's next turn."""
        self._run_soon = False
        now = self.clock.now()
        deadline = time.monotonic() + FAIR_SLICE_S
        ready = self._ready
        while ready:
            stream = ready.popleft()
            if stream.state == _READY:
                self._advance(stream, now, deadline)
            if ready and time.monotonic() > deadline:
                self._continue_soon()
                break
        self._arm()

    def _continue_soon(self) -> None:
        if not self._run_soon:
            self._run_soon = True
            asyncio.get_running_loop().call_soon(self._run)

    # ------------------------------------------------------------ one stream

    def _advance(self, stream: _Stream, now: float, deadline: float) -> None:
        """Write what ``stream`` has due at ``now``, up to its next wait; then queue it, park it or end it."""
        batch: list[Frame] = []
        size = 0
        item, stream.pending, stream.due = stream.pending, None, None
        try:
            while True:
                if item is None:
                    item = next(stream.items, None)
                    if item is None:
                        if self._flush(stream, batch, now):
                            self._end(stream)
                        return
                    wait = item.seconds if isinstance(item, Stall) else item.delay
                    if wait > 0:
                        pending = None if isinstance(item, Stall) else item
                        if self._flush(stream, batch, now):
                            stream.pending = pending
                            self._queue(stream, now, wait)
                        elif stream.state == _PARKED:  # resumes at the same instant once the reader drains
                            stream.pending, stream.due = pending, now + wait
                        return
                if isinstance(item, Stall):  # of no length
                    item = None
                    continue
                if isinstance(item, Disconnect):
                    if self._flush(stream, batch, now):
                        stream.result.outcome = "disconnected"  # the handler drops the connection
                        self._finish(stream)
                    return
                batch.append(item)
                size += len(item.data)
                item = None
                if size >= MAX_WRITE_BYTES or (len(batch) >= MIN_CUT_FRAMES and time.monotonic() > deadline):
                    if not self._flush(stream, batch, now):
                        return
                    batch, size = [], 0
                    if time.monotonic() > deadline:  # the others' turn: back of the line
                        stream.state = _READY
                        self._ready.append(stream)
                        self._continue_soon()
                        return
        except Exception as exc:  # a bug in a schedule: raised in the handler, as it was when it iterated
            stream.error = exc
            self._finish(stream)

    def _flush(self, stream: _Stream, batch: list[Frame], now: float) -> bool:
        """Write ``batch`` as one chunk; False when the stream cannot go on now (client gone, or parked)."""
        if not batch:
            return True
        writer = stream.writer
        transport = writer.transport
        if transport is None or transport.is_closing():
            stream.result.outcome = "client_gone"
            self._finish(stream)
            return False
        data = batch[0].data if len(batch) == 1 else b"".join(frame.data for frame in batch)
        writer.send_headers()  # aiohttp holds the headers back until the body's first bytes; no-op after
        if writer.chunked:
            data = b"%x\r\n%b\r\n" % (len(data), data)
        transport.write(data)
        writer.output_size += len(data)
        self.writes += 1
        result = stream.result
        at = now - stream.started
        for frame in batch:
            result.events.append(frame.event)
            mark_timeline(result.timeline, frame.event, at * 1000)
            if frame.content and result.ttft is None:
                result.ttft = at
        if writer.protocol.writing_paused:  # over the transport's high-water mark: wait for the reader
            stream.state = _PARKED
            self._wake_handler(stream)
            return False
        return True

    def _resume(self, stream: _Stream) -> None:
        """The reader drained the socket: go on where the stream stopped, or wait for what is still to come."""
        now = self.clock.now()
        if stream.due is not None and stream.due > now:
            self._queue(stream, now, stream.due - now)
        else:
            stream.state = _READY
            self._advance(stream, now, time.monotonic() + FAIR_SLICE_S)
        self._arm()

    def _end(self, stream: _Stream) -> None:
        """The schedule is played: the body's end goes out now, right after its last frames, not a loop turn
        later when the handler wakes (a client that hangs up on the last event must not race it)."""
        transport = stream.writer.transport
        if transport is None or transport.is_closing():
            stream.result.outcome = "client_gone"
        else:
            stream.writer.set_eof()  # writes chunked encoding's end; the handler's write_eof() then adds nothing
        self._finish(stream)

    def _finish(self, stream: _Stream) -> None:
        stream.state = _DONE
        self._wake_handler(stream)

    @staticmethod
    def _wake_handler(stream: _Stream) -> None:
        waiter = stream.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


async def play(
    request: web.Request,
    response: web.StreamResponse,
    schedule: Iterable[ScheduleItem],
    pacer: StreamPacer,
    result: PlayResult | None = None,
    write_timeout: float | None = None,
) -> PlayResult:
    """Play ``schedule`` on the gateway's pacer: each frame after its delay; stalls and drops where it says.

    ``schedule`` may be lazy: an item is taken from it only when the one before has gone out (frames that
    wait for nothing are taken together, to go out in one write).

    A client that goes away mid-stream ends the play quietly: that is a normal event for a server.
    ``result`` (a new one if not given) is filled in as frames go out, so it tells how far a play got even
    when it is cancelled. A client that stops reading is dropped once the send buffer is full and stays full
    for ``write_timeout`` seconds (outcome ``client_stalled``); meanwhile the other streams play on.
    """
    return await pacer.play(request, response, schedule, result if result is not None else PlayResult(), write_timeout)
