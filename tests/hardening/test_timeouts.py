"""Every wait on a client is bounded (README "Limits"): an idle connection, a request head or body that stops
arriving, a reader that stops reading; and running out of descriptors logs one line, not a traceback a second.

The timeouts here are a fraction of a second so the tests stay short; each wait for the server is bounded
by CLIENT_TIMEOUT_S, far above them.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from mockgw.server.state import Timeouts
from mockgw.testing import MockGateway
from tests.hardening.conftest import CLIENT_TIMEOUT_S, wait_until

SHORT = 0.3  # seconds: every timeout of the gateway under test
MESSAGE = b'{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'


@pytest.fixture(scope="module")
def gw() -> Iterator[MockGateway]:
    scenario = {
        "rules": [
            # A 16 MB stream, in 16 KB deltas: more than the kernel's socket buffers hold.
            {
                "match": {"last_user": {"contains": "long"}},
                "reply": "word " * 3_200_000,
                "timing": {"chunk_chars": 16_384},
            },
            {"reply": "Hi"},
        ]
    }
    timeouts = Timeouts(idle=SHORT, header=SHORT, body=SHORT, write=SHORT)
    with MockGateway(scenario, timeouts=timeouts) as gateway:
        yield gateway


def connect(gw: MockGateway) -> socket.socket:
    return socket.create_connection(("127.0.0.1", gw.port), timeout=CLIENT_TIMEOUT_S)


def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (raises on a hang)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_connection_that_sends_nothing_is_closed(gw: MockGateway) -> None:
    with connect(gw) as sock:
        assert closed_by_server(sock) == b""


def test_a_kept_alive_connection_is_closed_when_idle(gw: MockGateway) -> None:
    with connect(gw) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = closed_by_server(sock)  # the answer, then the close once idle
    assert answer.startswith(b"HTTP/1.1 200 OK")


def test_a_request_head_that_trickles_in_is_cut_off(gw: MockGateway) -> None:
    with connect(gw) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        time.sleep(SHORT / 3)
        sock.sendall(b"X-Slow: 1\r\n")  # bytes keep coming, but the head is never finished
        assert closed_by_server(sock) == b""


def test_a_body_that_stops_arriving_gets_408(gw: MockGateway) -> None:
    head = (
        b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(MESSAGE)
    )
    with connect(gw) as sock:
        sock.sendall(head + MESSAGE[:10])
        answer = closed_by_server(sock)
    status, _, rest = answer.partition(b"\r\n")
    assert status == b"HTTP/1.1 408 Request Timeout"
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert body["error"] == {"type": "timeout_error", "message": "The request body did not arrive: no byte for 0.3 s"}


def test_a_reader_that_stops_reading_is_dropped(gw: MockGateway) -> None:
    # A model the catalogue does not know has no max_tokens limit: the whole 16 MB is asked for.
    body = MESSAGE.replace(b'"hi"', b'"long"').replace(b"claude-sonnet-4-5", b"mock-unlimited")
    body = body.replace(b'"max_tokens":16', b'"max_tokens":8000000,"stream":true')
    head = b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(body)
    with connect(gw) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills up at once
        sock.sendall(head + body)
        stalled = wait_until(lambda: len(gw.journal) > 0 and gw.journal.last.error == "client_stalled")
        assert stalled, gw.journal.last
    assert gw.journal.last.status == 200  # the stream had started


def test_a_quick_client_is_served_as_before(gw: MockGateway) -> None:
    head = b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"
    with connect(gw) as sock:
        sock.sendall(head % len(MESSAGE) + MESSAGE)
        assert closed_by_server(sock).startswith(b"HTTP/1.1 200 OK")


# ---------------------------------------------------------------- running out of descriptors

DESCRIPTORS = 64  # the server's limit: it runs out after a few dozen connections


def _limit_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, DESCRIPTORS))


def test_running_out_of_descriptors_logs_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKGW_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockgw", "serve", "--port", "0", "--log-format", "json", "--idle-timeout", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        preexec_fn=_limit_descriptors,
    )
    held: list[socket.socket] = []
    try:
        assert proc.stdout is not None and proc.stderr is not None
        port = None
        for line in proc.stdout:
            if " at http://127.0.0.1:" in line:
                port = int(line.rsplit(":", 1)[1])
                break
        assert port is not None
        for _ in range(DESCRIPTORS + 20):  # idle connections: more than the server can hold
            held.append(socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT_S))
        time.sleep(2.5)  # asyncio retries accept() once a second: two retries, and so two reports, at least
    finally:
        for sock in held:
            sock.close()
        proc.terminate()
        _, stderr = proc.communicate(timeout=CLIENT_TIMEOUT_S)
    lines = stderr.splitlines()
    records = [json.loads(line) for line in lines]  # every line is JSON, the accept errors included
    accept = [r for r in records if "cannot accept new connections" in r["message"]]
    assert len(accept) == 1, lines
    assert accept[0]["message"].startswith("mockgw: cannot accept new connections: Too many open files")
    assert "exception" not in accept[0]
