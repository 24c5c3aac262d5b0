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
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

DELTA = b"event: content_block_delta\n"
STOP = b"event: message_stop\n"


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
    headers = {"content-type": "application/json", "x-api-key": "sk-bench", "anthropic-version": "2023-06-01"}
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--body", type=Path, required=True, help="file holding the JSON request body")
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.streams, args.body.read_bytes()))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
