"""A scenario's ``profile`` chooses the surface mockgw serves.

``full`` (the default) serves every API; ``vercel`` serves only what Vercel AI Gateway documents and refuses
the rest with 404 in the API's own error shape, saying the endpoint is not served (docs/scenarios.md,
Profiles). The admin API and the health checks are never refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anthropic
import pytest

from mockgw.scenario.loader import ScenarioError, load_scenarios
from mockgw.server.app import create_app
from mockgw.server.profile import VERCEL_ROUTES, refused_by_profile
from mockgw.server.state import GatewayConfig
from tests.conftest import GatewayFactory, http_call

REPLY: list[dict[str, Any]] = [{"reply": "ok"}]
MESSAGE = {"model": "m-1", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
AISDK = {"ai-language-model-id": "m-1", "ai-language-model-streaming": "false"}
PROMPT = {"prompt": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}
BATCH = {"requests": [{"custom_id": "a", "params": MESSAGE}]}

# method, path, body, headers, the status when served, served under `vercel`
ENDPOINTS: list[tuple[str, str, Any, dict[str, str], int, bool]] = [
    ("POST", "/v1/messages", MESSAGE, {}, 200, True),
    ("GET", "/v1/models", None, {}, 200, True),
    ("GET", "/v1/models/m-1", None, {}, 200, True),
    ("POST", "/v1/chat/completions", {"model": "m-1", "messages": [{"role": "user", "content": "hi"}]}, {}, 200, True),
    ("POST", "/v1/responses", {"model": "m-1", "input": "hi"}, {}, 200, True),
    ("POST", "/v1/embeddings", {"model": "m-1", "input": "hi"}, {}, 200, True),
    ("POST", "/v4/ai/language-model", PROMPT, AISDK, 200, True),
    ("POST", "/v4/ai/embedding-model", {"values": ["hi"]}, {"ai-model-id": "m-1"}, 200, True),
    ("GET", "/v4/ai/config", None, {}, 200, True),
    ("GET", "/v1/credits", None, {}, 200, True),
    ("GET", "/v1/generation", None, {}, 400, True),  # served: it asks for its id
    ("POST", "/v1/messages/count_tokens", {"model": "m-1", "messages": MESSAGE["messages"]}, {}, 200, False),
    ("POST", "/v1/messages/batches", BATCH, {}, 200, False),
    ("GET", "/v1/messages/batches", None, {}, 200, False),
    ("GET", "/v1/files", None, {}, 200, False),
]
IDS = [f"{method} {path}" for method, path, *_ in ENDPOINTS]
NOT_SERVED = "is not served by Vercel AI Gateway (profile: vercel)"


def _scenario(profile: str | None) -> dict[str, Any]:
    scenario: dict[str, Any] = {"models": ["m-1"], "rules": REPLY}
    if profile is not None:
        scenario["profile"] = profile
    return scenario


@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "_vercel"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("profile", [None, "full"])
def test_every_endpoint_is_served_by_default_and_under_full(
    gateway: GatewayFactory,
    profile: str | None,
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    _vercel: bool,
) -> None:
    gw = gateway(_scenario(profile))
    resp = http_call(gw.url + path, method, json_body=body, headers=headers)
    assert resp.status == status, resp.body
    assert NOT_SERVED.encode() not in resp.body


@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "vercel"), ENDPOINTS, ids=IDS)
def test_vercel_serves_what_vercel_documents_and_refuses_the_rest(
    gateway: GatewayFactory,
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    vercel: bool,
) -> None:
    gw = gateway(_scenario("vercel"))
    resp = http_call(gw.url + path, method, json_body=body, headers=headers)
    if vercel:
        assert resp.status == status, resp.body
        return
    assert resp.status == 404
    assert resp.json()["type"] == "error"  # the Anthropic API's shape, as every refused route is Anthropic's
    assert resp.json()["error"] == {"type": "not_found_error", "message": f"{method} {path} {NOT_SERVED}"}
    assert resp.headers["request-id"] == resp.json()["request_id"]


def test_a_refused_route_is_not_journaled_as_an_api_call(gateway: GatewayFactory) -> None:
    gw = gateway(_scenario("vercel"))
    http_call(gw.url + "/v1/messages/count_tokens", json_body={"model": "m-1", "messages": MESSAGE["messages"]})
    http_call(gw.url + "/v1/messages", json_body=MESSAGE)
    assert [entry.path for entry in gw.journal] == ["/v1/messages"]


def test_the_anthropic_sdk_reads_a_refusal_as_not_found(gateway: GatewayFactory) -> None:
    gw = gateway(_scenario("vercel"))
    client = anthropic.Anthropic(base_url=gw.url, api_key="k", max_retries=0)
    with pytest.raises(anthropic.NotFoundError, match="not served by Vercel AI Gateway"):
        client.messages.count_tokens(model="m-1", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.list()
    assert client.messages.create(**MESSAGE).content[0].type == "text"  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["/health", "/_mockgw/health", "/", "/_mockgw/requests", "/_mockgw/scenario"])
def test_vercel_never_refuses_health_info_or_the_admin_api(gateway: GatewayFactory, path: str) -> None:
    gw = gateway(_scenario("vercel"))
    resp = http_call(gw.url + path, "GET")
    assert resp.status == 200, resp.body


def test_an_unknown_path_stays_a_plain_not_found(gateway: GatewayFactory) -> None:
    gw = gateway(_scenario("vercel"))
    resp = http_call(gw.url + "/v1/nothing", "GET")
    assert resp.status == 404
    assert NOT_SERVED.encode() not in resp.body


def test_the_loader_refuses_an_unknown_profile_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("rules:\n  - reply: hi\nprofile: litellm\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenarios([path])
    assert str(caught.value).startswith(f"{path}:3: profile: Input should be 'full' or 'vercel'")


def test_the_first_file_that_sets_a_profile_decides(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("rules: [{reply: a}]\n")
    (tmp_path / "b.yaml").write_text("profile: vercel\n")
    (tmp_path / "c.yaml").write_text("profile: full\n")
    assert load_scenarios([tmp_path / "a.yaml"]).profile == "full"
    assert load_scenarios([tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"]).profile == "vercel"


# Every API route mockgw has that Vercel does not document: a new route must be put here or in VERCEL_ROUTES
# (with its evidence in docs/scenarios.md), so the `vercel` profile never serves one by accident.
REFUSED_UNDER_VERCEL = {
    "/v1/messages/count_tokens",
    "/v1/messages/batches",
    "/v1/messages/batches/{batch_id}",
    "/v1/messages/batches/{batch_id}/cancel",
    "/v1/messages/batches/{batch_id}/results",
    "/v1/files",
    "/v1/files/{file_id}",
    "/v1/files/{file_id}/content",
}


def test_every_api_route_has_a_decision_under_vercel() -> None:
    app = create_app(GatewayConfig(scenario=load_scenarios([])))
    patterns = {r.resource.canonical for r in app.router.routes() if r.resource is not None}
    api = {p for p in patterns if p.startswith(("/v1/", "/v4/"))}
    assert api == VERCEL_ROUTES | REFUSED_UNDER_VERCEL
    assert all(refused_by_profile("vercel", p) for p in REFUSED_UNDER_VERCEL)
    assert not any(refused_by_profile("vercel", p) or refused_by_profile("full", p) for p in VERCEL_ROUTES)
