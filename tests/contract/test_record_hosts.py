"""``mockgw record`` answers only requests addressed to it by a name it knows, as ``mockgw serve`` does
(server/hosts.py): a page that rebinds its own domain to 127.0.0.1 cannot relay through it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
import pytest

from mockgw.server.proxy import RecordingProxy
from mockgw.testing import MockGateway
from tests.conftest import body

UPSTREAM = {"rules": [{"name": "any", "reply": "Relayed."}]}


async def post_with_host(
    upstream: MockGateway, host: str | None, allowed: Sequence[str] = ()
) -> tuple[int, Any, RecordingProxy]:
    """POST /v1/messages through a recorder of ``upstream`` with ``Host: host`` (None: the proxy's address)."""
    async with RecordingProxy(upstream.url, allowed_hosts=allowed) as proxy, aiohttp.ClientSession() as session:
        headers = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01"}
        if host is not None:
            headers["host"] = host
        timeout = aiohttp.ClientTimeout(total=20)
        async with session.post(f"{proxy.url}/v1/messages", json=body("hi"), headers=headers, timeout=timeout) as r:
            return r.status, await r.json(), proxy


async def test_a_foreign_host_is_refused_with_the_reason_and_nothing_is_relayed() -> None:
    with MockGateway(UPSTREAM) as upstream:
        status, data, proxy = await post_with_host(upstream, "evil.example")
        assert len(upstream.journal) == 0
    assert status == 403
    assert data["type"] == "error" and data["error"]["type"] == "permission_error"
    assert "Host 'evil.example' is not allowed" in data["error"]["message"]
    assert "--allow-host evil.example" in data["error"]["message"]
    assert proxy.recording.exchanges == []


@pytest.mark.parametrize("host", [None, "localhost:8788", "127.0.0.1", "[::1]:9", "app.localhost"])
async def test_loopback_names_and_addresses_are_relayed(host: str | None) -> None:
    with MockGateway(UPSTREAM) as upstream:
        status, data, proxy = await post_with_host(upstream, host)
    assert (status, data["content"][0]["text"]) == (200, "Relayed.")
    assert len(proxy.recording.exchanges) == 1


@pytest.mark.parametrize(("allowed", "host"), [(["mockgw"], "mockgw:8788"), ([".dev.test"], "rec.dev.test")])
async def test_names_given_to_allow_host_are_relayed(allowed: list[str], host: str) -> None:
    with MockGateway(UPSTREAM) as upstream:
        status, _, _ = await post_with_host(upstream, host, allowed)
    assert status == 200


def test_record_refuses_an_allow_host_that_is_not_a_host_name(tmp_path, capsys) -> None:
    from mockgw.cli.main import main

    argv = ["record", "--upstream", "http://127.0.0.1:9", "--out", str(tmp_path / "s.yaml")]
    assert main([*argv, "--allow-host", "http://evil.example/"]) == 2
    assert "--allow-host: 'http://evil.example/' is not a host name" in capsys.readouterr().err
