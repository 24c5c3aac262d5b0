"""Helpers for the hardening tests: raw HTTP over a socket, the answer contract, server logs, loop tasks."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

from mockgw.testing import MockGateway

# Every logger a server's trouble can reach: ours, aiohttp's (access, server, web), and asyncio's
# ("Task exception was never retrieved", "Task was destroyed but it is pending").
SERVER_LOGGERS = ("mockgw", "aiohttp", "asyncio")
CLIENT_TIMEOUT_S = 10.0  # a hang is any answer slower than this


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def raw_request(port: int, data: bytes, *, head: bool = False, timeout: float = CLIENT_TIMEOUT_S) -> Answer:
    """Send ``data`` as is (no client-side checks of method, path or headers) and read one answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock, method="HEAD" if head else "GET")
        response.begin()
        body = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)


def request_bytes(
    method: bytes, path: bytes, headers: Sequence[tuple[bytes, bytes]] = (), body: bytes = b"", *, length: bool = True
) -> bytes:
    """An HTTP/1.1 request, byte for byte: what the fuzzers send."""
    lines = [method + b" " + path + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    if length:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    lines += [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def send(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
    """A plain request through ``raw_request`` (``path`` is sent exactly as given: no normalising)."""
    pairs = [(k.encode(), v.encode("utf-8")) for k, v in (headers or {}).items()]
    if body and not any(k.lower() == b"content-type" for k, _ in pairs):
        pairs.append((b"Content-Type", b"application/json"))
    return raw_request(port, request_bytes(method.encode(), path.encode(), pairs, body), head=method == "HEAD")


def is_protocol_error(answer: Answer) -> bool:
    """aiohttp's own plain-text 4xx, answered before any middleware runs, so not Anthropic-shaped.

    400 for a request its HTTP parser refuses (a bad method, a header line over 8190 bytes, a control
    character in a header value, a duplicated Content-Type); 417 for an ``Expect`` other than 100-continue
    on a path with no route (on mockgw's routes that 417 is Anthropic-shaped).
    """
    plain = answer.headers.get("content-type", "").startswith("text/plain")
    return plain and answer.status in (400, 417)


def assert_anthropic_error(answer: Answer) -> dict[str, Any]:
    """The body is ``{"type":"error","error":{"type":...,"message":...},"request_id":...}``; returns it."""
    assert answer.headers.get("content-type", "").startswith("application/json"), answer
    data = answer.json()
    assert data["type"] == "error", data
    assert isinstance(data["error"]["type"], str) and data["error"]["type"], data
    assert isinstance(data["error"]["message"], str) and data["error"]["message"], data
    assert isinstance(data["request_id"], str) and data["request_id"].startswith("req_"), data
    assert answer.headers.get("request-id") == data["request_id"]
    return data


def assert_fair_answer(answer: Answer, *, protocol_errors: bool = False) -> None:
    """The contract for any input: a 2xx, or a 4xx with the Anthropic error shape; never a 5xx or a traceback.

    ``protocol_errors``: aiohttp's plain-text 400 for unparseable HTTP is allowed too (see ``is_protocol_error``).
    """
    assert b"Traceback" not in answer.body, answer.body[:2000]
    assert answer.status < 500, answer
    if answer.status < 400:
        return
    if protocol_errors and is_protocol_error(answer):
        return
    assert_anthropic_error(answer)


# ---------------------------------------------------------------- logs


class Records(logging.Handler):
    """Keeps every record handed to it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def at_least(self, level: int) -> list[logging.LogRecord]:
        return [r for r in self.records if r.levelno >= level]

    def text(self) -> str:
        """Every record as a formatter with tracebacks would print it."""
        formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
        return "\n".join(formatter.format(r) for r in self.records)


@contextmanager
def server_logs(level: int = logging.DEBUG) -> Iterator[Records]:
    """Capture what the server loggers emit at ``level`` and up (set on them for the duration)."""
    handler = Records()
    loggers = [logging.getLogger(name) for name in SERVER_LOGGERS]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(level)
        lg.disabled = False
    try:
        yield handler
    finally:
        for lg, old_level, disabled in saved:
            lg.removeHandler(handler)
            lg.setLevel(old_level)
            lg.disabled = disabled


def client_protocol_error(record: logging.LogRecord) -> bool:
    """aiohttp logs the client's unparseable HTTP at ERROR ("Error handling request"): not a server bug."""
    exc = record.exc_info[1] if record.exc_info else None
    return record.name == "aiohttp.server" and isinstance(exc, HttpProcessingError)


def assert_no_server_errors(logs: Records) -> None:
    """Nothing at ERROR or above, except aiohttp's notes about HTTP it could not parse."""
    bad = [r for r in logs.at_least(logging.ERROR) if not client_protocol_error(r)]
    assert not bad, "the server logged errors:\n" + "\n".join(
        logging.Formatter("%(levelname)s %(name)s %(message)s").format(r) for r in bad
    )


# ---------------------------------------------------------------- gateways and their loop


def on_loop(gw: MockGateway, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` on the gateway's own event loop, between its callbacks; return its result."""

    async def run() -> Any:
        return fn()

    assert gw._loop is not None
    return asyncio.run_coroutine_threadsafe(run(), gw._loop).result(CLIENT_TIMEOUT_S)


def loop_tasks(gw: MockGateway) -> list[asyncio.Task[Any]]:
    """The tasks alive on the gateway's loop (the one looking excluded)."""
    return on_loop(gw, lambda: [t for t in asyncio.all_tasks() if t is not asyncio.current_task()])


def wait_until(predicate: Callable[[], bool], timeout: float = CLIENT_TIMEOUT_S, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
