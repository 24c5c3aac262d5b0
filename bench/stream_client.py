"""The client of benchmark 2: N concurrent streams, recording when each content delta arrives.

``python bench/stream_client.py --url http://127.0.0.1:P --streams 1000 --body FILE`` opens N keep-alive
connections first (a ``GET /health`` on each), then sends N streamed ``POST /v1/messages`` at once over
them, so the streams really overlap instead of queueing behind TCP handshakes. For every stream it records
the arrival time of each ``content_block_delta`` frame (``time.monotonic``, at the read that completed the
frame) and prints one JSON object on stdout:

    {"streams": N, "complete": n, "errors": [...], "deltas": [[t0, t1, ...], ...],
     "started": [...], "ended": [...], "phase": [start, end], "client_cpu": share of a core}

It runs in its own process (and, under run.py, on the other core), so the server's timing is measured
from outside, as a real client sees it. Its own event loop is in the measurement too: the figures are
an upper bound on the server's error.

``--kernel-time`` takes the client's loop out: plain non-blocking sockets read with ``recvmsg`` and
``SO_TIMESTAMPNS``, so each delta is timed when the kernel received it (on loopback: when the server wrote
it), however late the client gets to read it. Same output, the times on the realtime clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

DELTA = b"event: content_block_delta\n"
STOP = b"event: message_stop\n"
HEADERS = {"content-type": "application/json", "x-api-key": "sk-bench", "anthropic-version": "2023-06-01"}
# Linux values; the socket module does not name them.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
TIMESPEC = struct.Struct("@ll")
LAST_CHUNK = b"\r\n0\r\n\r\n"  # the end of a chunked body


async def one_stream(session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """Play one stream to its end; the arrival time of each content delta frame, and how it ended."""
    arrivals: list[float] = []
    started = time.monotonic()
    complete = False
    async with session.post(f"{url}/v1/messages", data=body, headers=headers) as response:
        if response.status != 200:
            return {"error": f"HTTP {response.status}: {(await response.text())[:200]}", "started": started}
        buffer = b""
        async for chunk in response.content.iter_any():
            now = time.monotonic()
            buffer += chunk
            # Only complete frames count: a frame split over two reads arrives when its last byte does.
            *frames, buffer = buffer.split(b"\n\n")
            for frame in frames:
                if frame.startswith(DELTA):
                    arrivals.append(now)
                elif frame.startswith(STOP):
                    complete = True
    return {"deltas": arrivals, "complete": complete, "started": started, "ended": time.monotonic()}


async def run(url: str, streams: int, body: bytes) -> dict[str, Any]:
    headers = HEADERS
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def warm() -> None:
            async with session.get(f"{url}/health") as response:
                await response.read()

        # Fill the pool with N open connections, so the streams start together on established sockets.
        await asyncio.gather(*(warm() for _ in range(streams)))
        phase, cpu = time.monotonic(), time.process_time()
        results = await asyncio.gather(
            *(one_stream(session, url, body, headers) for _ in range(streams)), return_exceptions=True
        )
        # The client's own CPU use while the streams ran: near 100% would mean the client, not the server,
        # sets the error.
        phase_end, cpu_used = time.monotonic(), time.process_time() - cpu
    out: dict[str, Any] = {
        "streams": streams,
        "complete": 0,
        "errors": [],
        "deltas": [],
        "started": [],
        "ended": [],
        "phase": [phase, phase_end],
        "client_cpu": cpu_used / (phase_end - phase),
    }
    for result in results:
        if isinstance(result, BaseException):
            out["errors"].append(repr(result))
            continue
        if "error" in result:
            out["errors"].append(result["error"])
            continue
        out["complete"] += bool(result["complete"])
        out["deltas"].append(result["deltas"])
        out["started"].append(result["started"])
        out["ended"].append(result["ended"])
    return out


class KernelTimedStream:
    """One streamed request over a plain socket; each delta timed by the kernel's receive timestamp."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
        self.loop, self.sock = loop, sock
        self.done: asyncio.Future[None] = loop.create_future()
        self.arrivals: list[float] = []
        self.complete = False
        self.status = b""
        self._tail = b""

    def on_readable(self) -> None:
        try:
            data, ancillary, _, _ = self.sock.recvmsg(65536, socket.CMSG_SPACE(TIMESPEC.size))
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._finish(exc)
            return
        if not data:
            self._finish(None)
            return
        stamp = time.time()
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS:
                seconds, nanoseconds = TIMESPEC.unpack(payload[: TIMESPEC.size])
                stamp = seconds + nanoseconds / 1e9
        if not self.status:
            self.status = data[:12]
        # Count markers in what arrived, with the last bytes of the previous read in front, so a marker split
        # over two reads is found once (the carried bytes are too short to hold a whole one).
        window = self._tail + data
        self.arrivals.extend([stamp] * window.count(DELTA))
        if STOP in window:
            self.complete = True
        self._tail = window[-(len(DELTA) - 1) :]
        if self.complete and window.endswith(LAST_CHUNK):
            # The stream is over; the connection stays open (keep-alive), as the aiohttp client leaves it.
            self.loop.remove_reader(self.sock.fileno())
            if not self.done.done():
                self.done.set_result(None)

    def _finish(self, error: BaseException | None) -> None:
        self.loop.remove_reader(self.sock.fileno())
        if not self.done.done():
            if error is None:
                self.done.set_result(None)
            else:
                self.done.set_exception(error)


async def run_kernel_timed(url: str, streams: int, body: bytes) -> dict[str, Any]:
    """Like ``run``, over plain sockets with kernel receive timestamps (``--kernel-time``)."""
    loop = asyncio.get_running_loop()
    host, port = url.removeprefix("http://").rsplit(":", 1)
    head = "".join(f"{k}: {v}\r\n" for k, v in HEADERS.items())
    request = (
        f"POST /v1/messages HTTP/1.1\r\nHost: {host}:{port}\r\n{head}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body

    async def connect() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await loop.sock_connect(sock, (host, int(port)))
        return sock

    # Connect all first, then send every request at once, as the aiohttp client does.
    socks = await asyncio.gather(*(connect() for _ in range(streams)))
    phase, cpu = time.monotonic(), time.process_time()
    wall = time.time()
    readers = []
    for sock in socks:
        reader = KernelTimedStream(loop, sock)
        loop.add_reader(sock.fileno(), reader.on_readable)
        sock.send(request)  # small enough to go in one call on a fresh socket
        readers.append(reader)
    await asyncio.wait_for(asyncio.gather(*(r.done for r in readers), return_exceptions=True), timeout=120)
    phase_end, cpu_used = time.monotonic(), time.process_time() - cpu
    for sock in socks:
        sock.close()
    out: dict[str, Any] = {
        "streams": streams,
        "complete": 0,
        "errors": [],
        "deltas": [],
        "started": [],
        "ended": [],
        "phase": [phase, phase_end],
        "client_cpu": cpu_used / (phase_end - phase),
    }
    for reader in readers:
        if reader.done.exception() is not None:
            out["errors"].append(repr(reader.done.exception()))
            continue
        if not reader.status.startswith(b"HTTP/1.1 200"):
            out["errors"].append(f"status line {reader.status!r}")
            continue
        out["complete"] += reader.complete
        out["deltas"].append(reader.arrivals)
        # Realtime stamps, mapped onto the monotonic clock of "phase" for the overlap count.
        out["started"].append(phase)
        out["ended"].append(phase + (reader.arrivals[-1] - wall if reader.arrivals else 0.0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--body", type=Path, required=True, help="file holding the JSON request body")
    parser.add_argument("--kernel-time", action="store_true", help="time deltas by kernel receive timestamps")
    args = parser.parse_args()
    body = args.body.read_bytes()
    result = asyncio.run(
        run_kernel_timed(args.url, args.streams, body) if args.kernel_time else run(args.url, args.streams, body)
    )
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
