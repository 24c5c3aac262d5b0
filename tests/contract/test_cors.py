"""CORS for browser clients: preflights on every path, and the headers a browser needs on every answer.

The requests are the ones a browser makes for the TypeScript SDK with ``dangerouslyAllowBrowser: true``:
first a preflight naming the SDK's headers (lower-cased and sorted, as browsers send them), then the call.
"""

from __future__ import annotations

import pytest

from mockgw.scenario.loader import load_scenario_data
from mockgw.server.app import create_app
from mockgw.server.cors import ALLOW_HEADERS, EXPOSE_HEADERS, origin_allowed
from mockgw.server.defaults import LOCALHOST_ORIGINS
from mockgw.server.state import GatewayConfig
from tests.conftest import body, http_call

APP = "http://localhost:5173"
SDK_HEADERS = (
    "anthropic-dangerous-direct-browser-access,anthropic-version,content-type,x-api-key,x-stainless-arch,"
    "x-stainless-lang,x-stainless-os,x-stainless-package-version,x-stainless-retry-count,x-stainless-runtime,"
    "x-stainless-runtime-version,x-stainless-timeout"
)
SCENARIO = {
    "rules": [
        {"match": {"last_user": {"contains": "busy"}}, "error": {"status": 429, "headers": {"x-custom": "1"}}},
        {"reply": "Hello, browser."},
    ]
}


def preflight(origin: str = APP, headers: str | None = SDK_HEADERS, method: str = "POST") -> dict[str, str]:
    out = {"origin": origin, "access-control-request-method": method}
    if headers is not None:
        out["access-control-request-headers"] = headers
    return out


# ---------------------------------------------------------------- which origins


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost:5173", True),
        ("http://localhost", True),
        ("http://127.0.0.1:3000", True),
        ("http://[::1]:8080", True),
        ("https://localhost:8443", True),
        ("HTTP://LOCALHOST:3000", True),
        ("http://localhost.evil.test", False),
        ("http://localhost:3000.evil.test", False),
        ("http://evil.test", False),
        ("null", False),
    ],
)
def test_the_default_origins_are_this_machine_on_any_port(origin: str, allowed: bool) -> None:
    assert origin_allowed(origin, LOCALHOST_ORIGINS) is allowed


@pytest.mark.parametrize(
    ("patterns", "origin", "allowed"),
    [
        (("*",), "https://anything.test", True),
        (("https://app.test",), "https://app.test", True),
        (("https://app.test",), "https://app.test:444", False),
        (("https://app.test:*",), "https://app.test:444", True),
        (("https://app.test",), "http://app.test", False),
        ((), "http://localhost:3000", False),
    ],
)
def test_configured_origins(patterns: tuple[str, ...], origin: str, allowed: bool) -> None:
    assert origin_allowed(origin, patterns) is allowed


# ---------------------------------------------------------------- preflights


@pytest.fixture
def url(gateway) -> str:
    return gateway(SCENARIO).url


@pytest.mark.parametrize(
    "path",
    ["/v1/messages", "/v1/messages?beta=true", "/v1/messages/count_tokens", "/v1/models", "/_mockgw/requests", "/x"],
)
def test_a_preflight_on_any_path_allows_the_sdk_headers(url: str, path: str) -> None:
    response = http_call(url + path, "OPTIONS", headers=preflight())
    assert response.status == 204
    assert response.body == b""
    assert response.headers["access-control-allow-origin"] == APP
    assert "POST" in response.headers["access-control-allow-methods"].split(", ")
    assert response.headers["access-control-allow-headers"] == SDK_HEADERS
    assert response.headers["access-control-max-age"] == "7200"
    assert "Origin" in response.headers["vary"]


def test_a_preflight_naming_no_headers_gets_the_headers_the_sdks_send(url: str) -> None:
    response = http_call(f"{url}/v1/messages", "OPTIONS", headers=preflight(headers=None))
    allowed = response.headers["access-control-allow-headers"].split(", ")
    assert response.headers["access-control-allow-headers"] == ALLOW_HEADERS
    assert set(SDK_HEADERS.split(",")) <= set(allowed)
    assert {"authorization", "anthropic-beta", "x-mockgw-admin-token"} <= set(allowed)


def test_a_preflight_from_another_origin_is_refused_and_says_how_to_allow_it(url: str) -> None:
    response = http_call(f"{url}/v1/messages", "OPTIONS", headers=preflight("https://evil.test"))
    assert response.status == 403
    assert "access-control-allow-origin" not in response.headers
    assert response.json()["error"]["type"] == "permission_error"
    assert "start mockgw with --cors-origin https://evil.test" in response.json()["error"]["message"]


def test_a_private_network_preflight_is_allowed(url: str) -> None:
    headers = {**preflight(), "access-control-request-private-network": "true"}
    response = http_call(f"{url}/v1/messages", "OPTIONS", headers=headers)
    assert response.headers["access-control-allow-private-network"] == "true"


# ---------------------------------------------------------------- answers


def test_a_message_answer_carries_the_allowed_origin_and_exposed_headers(url: str) -> None:
    response = http_call(f"{url}/v1/messages", json_body=body(), headers={"origin": APP})
    assert response.status == 200
    assert response.headers["access-control-allow-origin"] == APP
    exposed = response.headers["access-control-expose-headers"].split(", ")
    assert set(EXPOSE_HEADERS) <= set(exposed)
    assert {"request-id", "retry-after", "x-should-retry", "anthropic-ratelimit-requests-remaining"} <= set(exposed)


def test_an_error_answer_exposes_its_own_headers_too(url: str) -> None:
    response = http_call(f"{url}/v1/messages", json_body=body("busy?"), headers={"origin": APP})
    assert response.status == 429
    assert response.headers["access-control-allow-origin"] == APP
    assert "x-custom" in response.headers["access-control-expose-headers"].split(", ")


def test_a_stream_carries_the_cors_headers(url: str) -> None:
    response = http_call(f"{url}/v1/messages", json_body=body(stream=True), headers={"origin": APP})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["access-control-allow-origin"] == APP
    assert "request-id" in response.headers["access-control-expose-headers"]
    assert response.body.endswith(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')


@pytest.mark.parametrize("headers", [{}, {"origin": "https://evil.test"}], ids=["no-origin", "other-origin"])
def test_no_cors_headers_without_an_allowed_origin(url: str, headers: dict[str, str]) -> None:
    response = http_call(f"{url}/v1/messages", json_body=body(), headers=headers)
    assert response.status == 200  # CORS is the browser's check; the server still answers
    assert not any(name.startswith("access-control-") for name in response.headers)


# ---------------------------------------------------------------- configured origins, and CORS off


async def serve(aiohttp_client, origins: tuple[str, ...], **config):
    return await aiohttp_client(
        create_app(GatewayConfig(scenario=load_scenario_data(SCENARIO), cors_origins=origins, **config))
    )


async def test_configured_origins_replace_the_default(aiohttp_client) -> None:
    client = await serve(aiohttp_client, ("https://app.test",))
    allowed = await client.options("/v1/messages", headers=preflight("https://app.test"))
    refused = await client.options("/v1/messages", headers=preflight(APP))
    assert (allowed.status, refused.status) == (204, 403)


async def test_star_allows_every_origin_by_name(aiohttp_client) -> None:
    client = await serve(aiohttp_client, ("*",))
    response = await client.post("/v1/messages", json=body(), headers={"origin": "https://anywhere.test"})
    assert response.headers["access-control-allow-origin"] == "https://anywhere.test"


async def test_with_cors_off_there_are_no_preflights_and_no_cors_headers(aiohttp_client) -> None:
    client = await serve(aiohttp_client, ())
    options = await client.options("/v1/messages", headers=preflight())
    answer = await client.post("/v1/messages", json=body(), headers={"origin": APP})
    assert options.status == 405
    assert answer.status == 200
    assert not any(name.lower().startswith("access-control-") for name in [*options.headers, *answer.headers])


async def test_a_preflight_to_the_admin_api_needs_no_token(aiohttp_client) -> None:
    client = await serve(aiohttp_client, LOCALHOST_ORIGINS, admin_token="secret")
    response = await client.options("/_mockgw/requests", headers=preflight(headers="x-mockgw-admin-token"))
    assert response.status == 204
    assert (await client.get("/_mockgw/requests", headers={"origin": APP})).status == 401
