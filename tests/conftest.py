"""Shared test helpers: a gateway factory and a plain HTTP call for raw-wire checks."""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import settings

from mockgw.testing import MockGateway, ScenarioLike

# In CI the property and fuzz tests replay a fixed set of examples, so a run is repeatable and a red CI can
# be reproduced; locally they explore new examples every run (and report any failure with its seed).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

CAPTURES = Path(__file__).resolve().parents[1].parent / "shared" / "captures"
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
