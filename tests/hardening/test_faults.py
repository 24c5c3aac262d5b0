"""Faults of the client and the load: clients that go away, clients that read slowly, many at once.

A client that leaves (mid-stream, in a scripted stall or delay) ends its handler at once: no task is left on
the server's loop, the journal says ``client_gone``, and the log has the one request line and nothing more.
A slow reader holds back only its own stream (the server waits for the socket to drain, it does not buffer
the reply), and others are served meanwhile. Ten thousand concurrent requests over a sequence rule take
each step exactly as often as the cycle says; a ``times: N`` rule answers exactly N of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from mockgw.testing import MockGateway
from tests.conftest import body, http_call
from tests.hardening.conftest import Records, loop_tasks, on_loop, request_bytes, server_logs, wait_until

SLOW = {"ttft_ms": 0, "chunk_ms": 40, "chunk_chars": 4}
SCENARIO = {
    "name": "faults",
    "rules": [
        {"name": "ttft", "match": {"last_user": {"contains": "ttft"}}, "reply": "late", "timing": {"ttft_ms": 30_000}},
        {"name": "stall", "match": {"last_user": {"contains": "stall"}}, "reply": "x", "fault": {"stall_ms": 30_000}},
        {"name": "delay", "match": {"last_user": {"contains": "delay"}}, "reply": "x", "fault": {"delay_ms": 30_000}},
        {"name": "slow", "reply": "word " * 400, "timing": SLOW},
    ],
}


@pytest.fixture
def logs() -> Iterator[Records]:
    with server_logs(logging.INFO) as records:
        yield records


def open_request(port: int, text: str, *, stream: bool = True, headers: dict[str, str] | None = None) -> socket.socket:
    """A socket with a /v1/messages request sent on it; the caller reads (or not) and closes."""
    raw = json.dumps(body(text, stream=stream)).encode()
    pairs = [(b"Content-Type", b"application/json")] + [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(request_bytes(b"POST", b"/v1/messages", pairs, raw))
    return sock


def read_until(sock: socket.socket, marker: bytes, count: int = 1) -> bytes:
    data = b""
    while data.count(marker) < count:
        chunk = sock.recv(4096)
        assert chunk, f"the server closed before {count} x {marker!r}: {data[-300:]!r}"
        data += chunk
    return data


def leave(sock: socket.socket, how: str) -> None:
    if how == "reset":  # RST instead of FIN: the abrupt way out (a killed process, a dropped network)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def assert_left_cleanly(gw: MockGateway, logs: Records, rule: str | None) -> None:
    """No task left on the loop, the journal says the client went away, the log has its one line."""
    assert wait_until(lambda: not loop_tasks(gw), timeout=5), f"tasks left on the loop: {loop_tasks(gw)}"
    assert gw.gateway.pacer.open_streams == 0  # and no stream left in the pacer's heap
    entry = gw.journal.last
    assert (entry.rule, entry.error) == (rule, "client_gone")
    assert "message_stop" not in entry.events
    [line] = [r.getMessage() for r in logs.records]
    # "-": the handler was cancelled before it had an answer to log; 200: a write found the socket gone first.
    assert line.split(" ")[:3] in (["POST", "/v1/messages", "-"], ["POST", "/v1/messages", "200"]), line
    assert not logs.at_least(logging.WARNING), logs.text()


@pytest.mark.parametrize("how", ["close", "reset"])
def test_a_client_gone_mid_stream_ends_its_handler(gateway, logs: Records, how: str) -> None:
    gw = gateway(SCENARIO)
    assert not loop_tasks(gw)
    sock = open_request(gw.port, "slow")
    read_until(sock, b"event: content_block_delta", 3)
    leave(sock, how)
    assert_left_cleanly(gw, logs, "slow")
    entry = gw.journal.last
    assert entry.status == 200
    assert entry.events[:2] == ["message_start", "content_block_start"]
    assert entry.events.count("content_block_delta") >= 3  # recorded as they went out, up to the cut


@pytest.mark.parametrize(
    ("text", "stream", "headers", "rule"),
    [
        ("ttft", True, {}, "ttft"),
        ("stall", True, {}, "stall"),
        ("stall", False, {}, "stall"),
        ("delay", True, {}, "delay"),
        ("delay", False, {}, "delay"),
        ("slow", False, {"x-mockgw-delay-ms": "30000"}, None),
    ],
    ids=["ttft", "stall-stream", "stall-json", "delay-stream", "delay-json", "override-delay"],
)
def test_a_client_gone_during_a_scripted_wait_ends_its_handler_at_once(
    gateway, logs: Records, text: str, stream: bool, headers: dict[str, str], rule: str | None
) -> None:
    """Without this, a 30 s stall would keep a task (and its memory) for 30 s after the client left."""
    gw = gateway(SCENARIO)
    sock = open_request(gw.port, text, stream=stream, headers=headers)
    assert wait_until(lambda: len(gw.journal) == 1 and bool(loop_tasks(gw)))  # the request is in
    time.sleep(0.1)  # and well into its wait
    started = time.monotonic()
    leave(sock, "close")
    assert_left_cleanly(gw, logs, rule)
    assert time.monotonic() - started < 5


def test_closing_the_gateway_while_a_client_waits_in_a_stall_logs_nothing(logs: Records) -> None:
    with MockGateway(SCENARIO) as gw:
        sock = open_request(gw.port, "stall")
        # A stall waits after message_start (so keepalive pings can fill it): read up to there, and the
        # server is in the stall with nothing more to send for the next ping's 10 s.
        read_until(sock, b"message_start")
        started = time.monotonic()
    assert time.monotonic() - started < 5  # the 30 s stall does not hold up close()
    assert sock.recv(4096) == b""  # the server closed the connection
    sock.close()
    assert not logs.at_least(logging.WARNING), logs.text()  # no "Task was destroyed but it is pending!"


# ---------------------------------------------------------------- a slow reader

BIG_TEXT = "0123456789" * 500_000  # 5 MB
BACKPRESSURE = {
    "name": "big",
    "rules": [
        {"name": "small", "match": {"last_user": {"contains": "small"}}, "reply": "small"},
        {
            "name": "paced",
            "match": {"last_user": {"contains": "paced"}},
            "reply": "paced",
            "timing": {"chunk_ms": 5, "chunk_chars": 2},
        },
        {"name": "big", "reply": BIG_TEXT, "timing": {"chunk_chars": 1000, "chunk_ms": 0}},
    ],
}


def write_buffers(gw: MockGateway) -> list[int]:
    """Bytes waiting in the server's user-space write buffer, per open connection."""
    server = gw.server.runner.server
    assert server is not None
    return on_loop(
        gw, lambda: [c.transport.get_write_buffer_size() for c in server.connections if c.transport is not None]
    )


def pin_send_buffer(gw: MockGateway, size: int) -> None:
    """Fix the kernel's send buffer of the connections the gateway accepts (they inherit the listener's).

    Linux grows a send buffer up to net.ipv4.tcp_wmem's maximum (4 MB here) on its own, which would hide
    whether the server waits for its reader; a fixed small one leaves only the server's own buffering.
    """
    for site in gw.server.runner.sites:
        for listener in site._server.sockets:  # type: ignore[attr-defined]
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


def test_a_slow_reader_is_waited_for_not_buffered_and_others_are_served_meanwhile(gateway) -> None:
    gw = gateway(BACKPRESSURE)
    pin_send_buffer(gw, 64 * 1024)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: the server must wait
    sock.settimeout(10)
    sock.connect(("127.0.0.1", gw.port))
    # Room for all 5 MB: a model the catalogue does not know has no max_tokens limit.
    raw = json.dumps(body("big", stream=True, max_tokens=2_000_000, model="mock-unlimited")).encode()
    sock.sendall(request_bytes(b"POST", b"/v1/messages", [(b"Content-Type", b"application/json")], raw))
    received = sock.recv(1024)  # then stop reading for a while
    frames = len(BIG_TEXT) // 1000

    assert wait_until(lambda: len(gw.journal) == 1)
    entry = gw.journal.last
    sent, peak = -1, 0
    while sent != len(entry.events):  # until the server stops sending: it waits for the reader
        sent = len(entry.events)
        peak = max(peak, *write_buffers(gw), 0)
        time.sleep(0.3)
    assert sent < frames // 10, f"{sent} of {frames} frames sent to a reader that reads nothing"
    assert peak < 1024 * 1024, f"{peak} bytes buffered for a reader that reads nothing"

    started = time.monotonic()
    other = http_call(f"{gw.url}/v1/messages", json_body=body("small"))
    assert other.status == 200 and other.json()["content"][0]["text"] == "small"
    assert time.monotonic() - started < 3  # generous: served at once, whatever the slow reader does
    paced = http_call(f"{gw.url}/v1/messages", json_body=body("paced", stream=True))  # the pacer plays on too
    assert paced.status == 200 and paced.body.endswith(b'data: {"type":"message_stop"}\n\n')
    assert gw.journal.last.events.count("content_block_delta") == 3  # "pa", "ce", "d", 5 ms apart
    assert len(entry.events) == sent  # and the slow stream is still waiting

    while chunk := sock.recv(65536):  # now read it all
        received += chunk
    sock.close()
    assert received.count(b"event: content_block_delta") == frames
    assert received.endswith(b'data: {"type":"message_stop"}\n\n\r\n0\r\n\r\n')  # the last frame, then chunked's end
    assert wait_until(lambda: entry.events[-1:] == ["message_stop"])
    assert entry.error is None


# ---------------------------------------------------------------- many at once

STEPS = 7


async def post_all(url: str, bodies: list[dict[str, Any]], limit: int = 200) -> list[tuple[int, str]]:
    """POST every body concurrently (``limit`` connections); (status, first text block) for each."""
    connector = aiohttp.TCPConnector(limit=limit)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(payload: dict[str, Any]) -> tuple[int, str]:
            async with session.post(f"{url}/v1/messages", json=payload) as response:
                data = await response.json()
                return response.status, data["content"][0]["text"]

        return await asyncio.wait_for(asyncio.gather(*(one(b) for b in bodies)), timeout=120)


def test_ten_thousand_concurrent_requests_take_each_step_of_a_cycle_exactly_evenly() -> None:
    scenario = {
        "name": "cycle",
        "rules": [
            {"name": "steps", "sequence": [{"reply": f"step {i}"} for i in range(STEPS)], "then": "cycle"},
        ],
    }
    total = 10_000
    with MockGateway(scenario, journal_size=total) as gw:
        answers = asyncio.run(post_all(gw.url, [body("go")] * total))
        state = gw.gateway.engine.state()["default"]
        journal = gw.journal.snapshot()
    assert Counter(status for status, _ in answers) == {200: total}
    counts = Counter(text for _, text in answers)
    # 10,000 = 7 x 1428 + 4: the first four steps answer once more than the last three.
    assert counts == {f"step {i}": total // STEPS + (1 if i < total % STEPS else 0) for i in range(STEPS)}
    assert state == {"state": "start", "requests": total, "uses": {"steps": total}, "sequence_steps": {"steps": total}}
    assert len(journal) == total and {e.status for e in journal} == {200}


def test_a_times_rule_answers_exactly_n_of_many_concurrent_requests() -> None:
    scenario = {
        "name": "times",
        "rules": [{"name": "limited", "reply": "limited", "times": 37}, {"name": "after", "reply": "after"}],
    }
    with MockGateway(scenario) as gw:
        answers = asyncio.run(post_all(gw.url, [body("go")] * 1000))
        used = gw.gateway.engine.uses("limited")
    assert Counter(text for _, text in answers) == {"limited": 37, "after": 963}
    assert used == 37
