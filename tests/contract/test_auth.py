"""Credentials as Vercel AI Gateway checks them.

``x-api-key`` or ``Authorization: Bearer``; when ``x-api-key`` is present it decides, even if a valid Bearer
token is sent too. No keys configured: anything, or nothing, passes. ``auth.oidc``: a well-formed, unexpired
JWT passes as a Bearer token. First the pure functions of ``mockgw.server.auth``, then the HTTP behaviour,
then the official SDK, which sends ``Authorization: Bearer`` for both ``api_key=`` and ``auth_token=``.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import anthropic
import pytest

from mockgw.server.auth import AuthPolicy, authorized, credential, is_live_jwt, make_policy
from tests.conftest import body, http_call

GOOD = "sk-mockgw-good"
OTHER = "sk-mockgw-other"
BAD = "sk-mockgw-bad"
NOW = 1_800_000_000.0
MODEL = "claude-sonnet-4-6"
REPLY = {"rules": [{"reply": "Authorized."}]}


def b64url(data: Any) -> str:
    raw = json.dumps(data).encode() if not isinstance(data, bytes) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload: dict[str, Any] | None = None, header: Any = None, signature: str = "c2lnbmF0dXJl") -> str:
    """A JWT as an OIDC issuer would mint it (unsigned: the gateway's contract is the token's shape)."""
    head = header if header is not None else {"alg": "RS256", "typ": "JWT", "kid": "test"}
    claims = payload if payload is not None else {"sub": "ci-job", "aud": "https://vercel.com", "exp": NOW + 600}
    return f"{b64url(head)}.{b64url(claims)}.{signature}"


def live_jwt() -> str:
    return jwt({"sub": "ci-job", "iat": int(time.time()), "exp": int(time.time()) + 3600})


def expired_jwt() -> str:
    return jwt({"sub": "ci-job", "exp": int(time.time()) - 60})


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# ---------------------------------------------------------------- pure functions


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"x-api-key": GOOD}, ("x-api-key", GOOD)),
        ({"authorization": f"Bearer {GOOD}"}, ("bearer", GOOD)),
        ({"authorization": f"bearer {GOOD}"}, ("bearer", GOOD)),
        ({"authorization": f"Bearer   {GOOD}  "}, ("bearer", GOOD)),
        ({"authorization": "Bearer "}, None),
        ({"authorization": "Basic dXNlcjpwYXNz"}, None),
        ({"authorization": GOOD}, None),
        ({"x-api-key": BAD, "authorization": f"Bearer {GOOD}"}, ("x-api-key", BAD)),
        ({"x-api-key": "", "authorization": f"Bearer {GOOD}"}, ("x-api-key", "")),  # present, even empty: it decides
    ],
)
def test_credential_picks_the_deciding_header(headers, expected):
    assert credential(headers) == expected


@pytest.mark.parametrize(
    ("token", "live"),
    [
        (jwt(), True),
        (jwt({"sub": "no-expiry"}), True),
        (jwt({"exp": NOW + 1}), True),
        (jwt({"exp": NOW + 0.5}), True),
        (jwt({"exp": NOW}), False),
        (jwt({"exp": NOW - 1}), False),
        (jwt({"exp": "tomorrow"}), False),
        (jwt({"exp": True}), False),
        (jwt(header={"typ": "JWT"}), False),  # no alg
        (jwt(header=["alg"]), False),
        (jwt(payload=["not", "claims"]), False),  # type: ignore[arg-type]
        (jwt(signature=""), False),
        (f"{b64url({'alg': 'none'})}.{b64url({'sub': 'x'})}", False),  # two parts
        ("a.b.c.d", False),
        (f"{b64url(b'not json')}.{b64url({'sub': 'x'})}.sig", False),
        ("%%%.%%%.%%%", False),
        (GOOD, False),
        ("", False),
    ],
)
def test_is_live_jwt(token, live):
    assert is_live_jwt(token, NOW) is live


KEYS = AuthPolicy(frozenset({GOOD, OTHER}))
OIDC = AuthPolicy(frozenset(), oidc=True)
KEYS_AND_OIDC = AuthPolicy(frozenset({GOOD}), oidc=True)


@pytest.mark.parametrize(
    ("policy", "headers", "allowed"),
    [
        (AuthPolicy(), {}, True),
        (AuthPolicy(), {"x-api-key": "anything"}, True),
        (AuthPolicy(), bearer("anything"), True),
        (KEYS, {}, False),
        (KEYS, {"x-api-key": GOOD}, True),
        (KEYS, {"x-api-key": OTHER}, True),
        (KEYS, bearer(GOOD), True),
        (KEYS, {"x-api-key": BAD}, False),
        (KEYS, bearer(BAD), False),
        (KEYS, {"x-api-key": BAD, **bearer(GOOD)}, False),
        (KEYS, {"x-api-key": GOOD, **bearer(BAD)}, True),
        (KEYS, bearer(jwt()), False),  # without oidc a JWT is just an unknown key
        (OIDC, {}, False),
        (OIDC, bearer(jwt()), True),
        (OIDC, bearer(jwt({"exp": NOW - 1})), False),
        (OIDC, bearer("not-a-jwt"), False),
        (OIDC, {"x-api-key": jwt()}, False),  # the OIDC path is Bearer only
        (OIDC, {"x-api-key": BAD, **bearer(jwt())}, False),  # x-api-key decides
        (KEYS_AND_OIDC, {"x-api-key": GOOD, **bearer(jwt({"exp": NOW - 1}))}, True),
        (KEYS_AND_OIDC, bearer(GOOD), True),
        (KEYS_AND_OIDC, bearer(jwt()), True),
    ],
)
def test_authorized(policy, headers, allowed):
    assert authorized(headers, policy, NOW) is allowed


def test_make_policy_ignores_empty_keys():
    assert make_policy(["", GOOD], oidc=False) == AuthPolicy(frozenset({GOOD}))
    assert make_policy([""], oidc=False).open
    assert not make_policy([], oidc=True).open


# ---------------------------------------------------------------- over HTTP


PROTECTED = [
    ("POST", "/v1/messages", body(model=MODEL)),
    ("POST", "/v1/messages?beta=true", body(model=MODEL, stream=True)),
    ("POST", "/v1/messages/count_tokens", {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}),
    ("GET", "/v1/models", None),
    ("GET", "/v1/models/claude-sonnet-4-5", None),
]


@pytest.mark.parametrize(("method", "path", "payload"), PROTECTED, ids=[p[1] for p in PROTECTED])
@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": "whatever"}, bearer("whatever"), {"authorization": "Basic Zm9vOmJhcg=="}, {"x-api-key": ""}],
    ids=["none", "x-api-key", "bearer", "basic", "empty-x-api-key"],
)
def test_without_keys_anything_or_nothing_is_accepted(gateway, method, path, payload, headers):
    gw = gateway(REPLY)
    assert http_call(f"{gw.url}{path}", method, json_body=payload, headers=headers).status == 200


@pytest.fixture(params=["api_keys", "scenario"])
def keyed(request, gateway):
    """A gateway that accepts GOOD and OTHER: keys given to MockGateway, or in the scenario's auth.keys."""
    if request.param == "api_keys":
        return gateway(REPLY, api_keys=[GOOD, OTHER])
    return gateway({**REPLY, "auth": {"keys": [GOOD, OTHER]}})


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"x-api-key": GOOD}, 200),
        ({"x-api-key": OTHER}, 200),
        (bearer(GOOD), 200),
        ({"x-api-key": GOOD, **bearer(BAD)}, 200),
        ({}, 401),
        ({"x-api-key": BAD}, 401),
        (bearer(BAD), 401),
        ({"authorization": GOOD}, 401),  # no scheme
        ({"authorization": f"Basic {GOOD}"}, 401),
        ({"x-api-key": BAD, **bearer(GOOD)}, 401),  # x-api-key decides, even with a valid Bearer
        ({"x-api-key": "", **bearer(GOOD)}, 401),
    ],
    ids=[
        "x-api-key",
        "second-key",
        "bearer",
        "good-x-api-key-bad-bearer",
        "none",
        "bad-x-api-key",
        "bad-bearer",
        "no-scheme",
        "basic",
        "bad-x-api-key-good-bearer",
        "empty-x-api-key-good-bearer",
    ],
)
def test_with_keys_only_a_good_key_passes(keyed, headers, status):
    response = http_call(f"{keyed.url}/v1/messages", json_body=body(model=MODEL), headers=headers)
    assert response.status == status


@pytest.mark.parametrize(("method", "path", "payload"), PROTECTED, ids=[p[1] for p in PROTECTED])
def test_refusal_is_an_anthropic_401_on_every_api_endpoint(keyed, method, path, payload):
    response = http_call(f"{keyed.url}{path}", method, json_body=payload, headers={"x-api-key": BAD})
    assert response.status == 401
    assert response.headers["content-type"] == "application/json"  # also for a stream request
    assert response.json() == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
        "request_id": response.headers["request-id"],
    }


@pytest.mark.parametrize("path", ["/", "/health"])
def test_info_and_health_need_no_key(keyed, path):
    # Container health checks and Claude Code's HEAD / carry no credentials.
    assert http_call(f"{keyed.url}{path}", "GET").status == 200
    assert http_call(f"{keyed.url}{path}", "HEAD").status == 200


def test_keys_from_both_sources_are_accepted(gateway):
    gw = gateway({**REPLY, "auth": {"keys": [OTHER]}}, api_keys=[GOOD])
    for key in (GOOD, OTHER):
        assert http_call(f"{gw.url}/v1/messages", json_body=body(model=MODEL), headers={"x-api-key": key}).status == 200
    assert http_call(f"{gw.url}/v1/messages", json_body=body(model=MODEL), headers={"x-api-key": BAD}).status == 401


@pytest.fixture(params=["oidc-only", "oidc-and-keys"])
def oidc(request, gateway):
    auth: dict[str, Any] = {"oidc": True}
    if request.param == "oidc-and-keys":
        auth["keys"] = [GOOD]
    return gateway({**REPLY, "auth": auth})


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (lambda: bearer(live_jwt()), 200),
        (lambda: bearer(jwt({"sub": "ci-job"})), 200),  # no exp claim
        (lambda: bearer(expired_jwt()), 401),
        (lambda: bearer("header.payload"), 401),
        (lambda: bearer("not.a.jwt"), 401),
        (lambda: bearer(BAD), 401),
        (lambda: {}, 401),
        (lambda: {"x-api-key": live_jwt()}, 401),
        (lambda: {"x-api-key": BAD, **bearer(live_jwt())}, 401),
    ],
    ids=[
        "live-jwt",
        "jwt-without-exp",
        "expired-jwt",
        "two-parts",
        "not-base64-json",
        "opaque-token",
        "none",
        "jwt-as-x-api-key",
        "bad-x-api-key-with-live-jwt",
    ],
)
def test_oidc_accepts_a_live_jwt_as_bearer(oidc, headers, status):
    response = http_call(f"{oidc.url}/v1/messages", json_body=body(model=MODEL), headers=headers())
    assert response.status == status
    if status == 401:
        assert response.json()["error"]["type"] == "authentication_error"


def test_oidc_with_keys_a_good_x_api_key_decides_over_an_expired_jwt(gateway):
    gw = gateway({**REPLY, "auth": {"oidc": True, "keys": [GOOD]}})
    headers = {"x-api-key": GOOD, **bearer(expired_jwt())}
    assert http_call(f"{gw.url}/v1/messages", json_body=body(model=MODEL), headers=headers).status == 200


# ---------------------------------------------------------------- through the official SDK


def create(client: anthropic.Anthropic) -> Any:
    return client.messages.create(model=MODEL, max_tokens=32, messages=[{"role": "user", "content": "hi"}])


@pytest.mark.parametrize("option", ["api_key", "auth_token"])
def test_sdk_sends_a_bearer_token_for_both_options(keyed, option):
    with anthropic.Anthropic(base_url=keyed.url, max_retries=0, **{option: GOOD}) as client:
        assert create(client).content[0].text == "Authorized."
    headers = keyed.journal.last.headers
    assert "authorization" in headers and "x-api-key" not in headers


@pytest.mark.parametrize("option", ["api_key", "auth_token"])
def test_sdk_with_a_bad_key_raises_authentication_error(keyed, option):
    with (
        anthropic.Anthropic(base_url=keyed.url, max_retries=0, **{option: BAD}) as client,
        pytest.raises(anthropic.AuthenticationError) as caught,
    ):
        create(client)
    assert caught.value.status_code == 401
    assert caught.value.body["error"]["type"] == "authentication_error"


@pytest.mark.parametrize(("x_api_key", "token", "passes"), [(GOOD, BAD, True), (BAD, GOOD, False)])
def test_sdk_x_api_key_header_decides_over_its_bearer(keyed, x_api_key, token, passes):
    # SDK 2.x only sends x-api-key when told to; older SDKs and the TS SDK send it from api_key.
    with anthropic.Anthropic(
        base_url=keyed.url, api_key=token, default_headers={"x-api-key": x_api_key}, max_retries=0
    ) as client:
        if passes:
            create(client)
        else:
            with pytest.raises(anthropic.AuthenticationError):
                create(client)
    assert {"authorization", "x-api-key"} <= set(keyed.journal.last.headers)


def test_sdk_without_keys_configured_any_key_works(gateway):
    gw = gateway(REPLY)
    with anthropic.Anthropic(base_url=gw.url, api_key="literally-anything", max_retries=0) as client:
        assert create(client).content[0].text == "Authorized."


def test_sdk_oidc_token_as_auth_token(oidc):
    with anthropic.Anthropic(base_url=oidc.url, auth_token=live_jwt(), max_retries=0) as client:
        assert create(client).content[0].text == "Authorized."
    with (
        anthropic.Anthropic(base_url=oidc.url, auth_token=expired_jwt(), max_retries=0) as client,
        pytest.raises(anthropic.AuthenticationError),
    ):
        create(client)


def test_sdk_models_list_needs_the_key_too(keyed):
    with anthropic.Anthropic(base_url=keyed.url, api_key=GOOD, max_retries=0) as client:
        assert client.models.list().data
    with (
        anthropic.Anthropic(base_url=keyed.url, api_key=BAD, max_retries=0) as client,
        pytest.raises(anthropic.AuthenticationError),
    ):
        client.models.list()
