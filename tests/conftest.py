"""Shared test helpers: a gateway factory and a plain HTTP call for raw-wire checks."""

from __future__ import annotations

import http.client
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from anthropic._streaming import SSEDecoder
from anthropic.lib.streaming._messages import accumulate_event
from hypothesis import settings

from mockgw.testing import MockGateway, ScenarioLike

# In CI the property and fuzz tests replay a fixed set of examples, so a run is repeatable and a red CI can
# be reproduced; locally they explore new examples every run (and report any failure with its seed).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http_call(
    url: str,
    method: str = "POST",
    *,
    json_body: Any = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> RawResponse:
    """One HTTP request with nothing in between (no retries, no parsing): what the wire says."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    all_headers = {"content-type": "application/json", **(headers or {})}
    if json_body is not None:
        body = json.dumps(json_body).encode()
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(method, path, body=body, headers=all_headers)
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


GatewayFactory = Callable[..., MockGateway]


@pytest.fixture
def gateway() -> Iterator[GatewayFactory]:
    """Start MockGateways for a test (``gateway(scenario, seed=...)``); all stop when it ends."""
    started: list[MockGateway] = []

    def make(scenario: ScenarioLike = None, **kwargs: Any) -> MockGateway:
        gw = MockGateway(scenario, **kwargs).start()
        started.append(gw)
        return gw

    yield make
    for gw in started:
        gw.close()


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def body(text: str = "hi", **extra: Any) -> dict[str, Any]:
    """A minimal valid /v1/messages body."""
    return {"model": "claude-sonnet-4-5", "max_tokens": 256, "messages": [user(text)], **extra}


# ---------------------------------------------------------------- streams


def sse_frames(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    """Split a stream into (event name, data) pairs, failing on any frame that is not exactly
    ``event: NAME`` + ``data: JSON`` + blank line, or whose NAME is not its data's type."""
    text = raw.decode()
    assert text.endswith("\n\n"), f"the stream does not end with a blank line: {text[-40:]!r}"
    frames = []
    for chunk in text[:-2].split("\n\n"):
        lines = chunk.split("\n")
        assert len(lines) == 2, f"a frame has {len(lines)} lines: {chunk!r}"
        event, data = lines
        assert event.startswith("event: "), f"no event: line: {chunk!r}"
        assert data.startswith("data: "), f"no data: line: {chunk!r}"
        name, payload = event.removeprefix("event: "), json.loads(data.removeprefix("data: "))
        assert payload["type"] == name, f"event {name!r} carries data of type {payload['type']!r}"
        frames.append((name, payload))
    return frames


_ORDER_LETTERS = {
    "message_start": "S",
    "content_block_start": "b",
    "content_block_delta": "d",
    "content_block_stop": "e",
    "message_delta": "D",
    "message_stop": "E",
}


def assert_event_order(frames: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """message_start → (block start, deltas, block stop)* → message_delta → message_stop, pings anywhere,
    block indexes 0..n in order; returns the order as letters (``SbddeDE``) for further checks."""
    order = "".join(_ORDER_LETTERS[name] for name, _ in frames if name != "ping")
    assert re.fullmatch(r"S(bd*e)*DE", order), order
    starts = [data["index"] for name, data in frames if name == "content_block_start"]
    assert starts == list(range(len(starts)))
    return order


def sdk_fold(data: bytes, piece_sizes: Sequence[int] = ()) -> dict[str, Any]:
    """Fold SSE bytes with the official SDK's decoder and accumulator (the bytes arriving in pieces of
    these sizes, else whole): the message a Python client ends up with."""

    def pieces() -> Iterator[bytes]:
        at = 0
        for size in piece_sizes:
            if at >= len(data):
                return
            yield data[at : at + size]
            at += size
        if at < len(data):
            yield data[at:]

    snapshot: Any = None
    json_bufs: dict[int, bytes] = {}
    names: list[str] = []
    for sse in SSEDecoder().iter_bytes(pieces()):
        names.append(sse.event or "")
        if sse.event == "ping":  # the SDK's Stream skips pings before accumulating
            continue
        event = sse.json()
        assert event["type"] == sse.event  # every client needs the event: line to name the data
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
    assert names[0] == "message_start" and names[-1] == "message_stop"
    folded: dict[str, Any] = snapshot.to_dict()
    assert folded.pop("stop_details", None) is None  # a field the SDK adds; we never send one
    return folded
