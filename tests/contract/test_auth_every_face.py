"""The gateway's credential rule is the same on every face: an API key beats an OIDC token.

With keys and OIDC both configured, ``x-api-key`` decides whenever it is sent, even next to a live OIDC token
(a bad key is refused though the token would pass), and a good key passes next to a broken token. The AI SDK's
gateway provider sends either one as ``Authorization: Bearer``, preferring its API key to the OIDC token on
the client side; a Bearer OIDC token alone passes.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GatewayFactory, http_call
from tests.contract.test_auth import live_jwt

GOOD = "sk-good"
SCENARIO = {"auth": {"keys": [GOOD], "oidc": True}, "rules": [{"reply": "ok"}]}
AISDK = {"ai-language-model-id": "anthropic/claude-sonnet-4.5", "ai-language-model-streaming": "false"}
PROMPT = {"prompt": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}
FACES: list[tuple[str, str, Any, dict[str, str]]] = [
    ("POST", "/v1/messages", {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}, {}),
    ("POST", "/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "hi"}]}, {}),
    ("POST", "/v4/ai/language-model", PROMPT, AISDK),
    ("POST", "/v4/ai/embedding-model", {"values": ["hi"]}, {"ai-model-id": "openai/text-embedding-3-small"}),
    ("GET", "/v4/ai/config", None, {}),
    ("GET", "/v1/credits", None, {}),
]


@pytest.mark.parametrize(("method", "path", "payload", "extra"), FACES, ids=[f[1] for f in FACES])
@pytest.mark.parametrize(
    ("credentials", "status"),
    [
        ({"x-api-key": "sk-bad", "authorization": "Bearer {jwt}"}, 401),  # the key decides, and it is bad
        ({"x-api-key": GOOD, "authorization": "Bearer not-a-jwt"}, 200),  # the key decides, and it is good
        ({"authorization": "Bearer {jwt}"}, 200),  # an OIDC token alone
        ({"authorization": f"Bearer {GOOD}"}, 200),  # an API key as Bearer, as @ai-sdk/gateway sends it
    ],
    ids=["bad-key-beats-live-token", "good-key-beats-broken-token", "token-alone", "key-as-bearer"],
)
def test_an_api_key_beats_an_oidc_token_on_every_face(
    gateway: GatewayFactory,
    method: str,
    path: str,
    payload: Any,
    extra: dict[str, str],
    credentials: dict[str, str],
    status: int,
) -> None:
    gw = gateway(SCENARIO)
    headers = {**extra, **{k: v.replace("{jwt}", live_jwt()) for k, v in credentials.items()}}

    response = http_call(gw.url + path, method, json_body=payload, headers=headers)

    assert response.status == status, response.body
    if status == 401:
        assert b"authentication_error" in response.body
