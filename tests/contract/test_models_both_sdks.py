"""``/v1/models`` in one shape: the Anthropic and the OpenAI SDKs both list and retrieve the same models."""

from __future__ import annotations

from datetime import UTC, datetime

import anthropic
import openai
import pytest

from tests.conftest import GatewayFactory, http_call

SCENARIO = {
    "models": [
        {
            "id": "anthropic/claude-sonnet-4.5",
            "display_name": "Claude Sonnet 4.5",
            "created_at": "2025-09-29T00:00:00Z",
        },
        {"id": "openai/gpt-5", "display_name": "GPT-5", "created_at": "2025-08-07T00:00:00Z"},
        {"id": "claude-opus-4-8"},
    ],
    "rules": [{"reply": "hi"}],
}
IDS = ["anthropic/claude-sonnet-4.5", "openai/gpt-5", "claude-opus-4-8"]


def test_both_sdks_list_the_same_models_each_with_its_own_fields(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    from_openai = list(openai.OpenAI(base_url=gw.url + "/v1", api_key="k", max_retries=0).models.list())
    from_anthropic = list(anthropic.Anthropic(base_url=gw.url, api_key="k", max_retries=0).models.list())
    assert [m.id for m in from_openai] == [m.id for m in from_anthropic] == IDS
    assert [m.owned_by for m in from_openai] == ["anthropic", "openai", "anthropic"]
    assert {m.object for m in from_openai} == {"model"}
    assert from_openai[0].created == int(datetime(2025, 9, 29, tzinfo=UTC).timestamp())
    assert [m.display_name for m in from_anthropic][:2] == ["Claude Sonnet 4.5", "GPT-5"]
    assert {m.type for m in from_anthropic} == {"model"}


@pytest.mark.parametrize(("model_id", "owner"), [("openai/gpt-5", "openai"), ("claude-opus-4-8", "anthropic")])
def test_both_sdks_retrieve_one_model(gateway: GatewayFactory, model_id: str, owner: str) -> None:
    gw = gateway(SCENARIO)
    got_openai = openai.OpenAI(base_url=gw.url + "/v1", api_key="k", max_retries=0).models.retrieve(model_id)
    got_anthropic = anthropic.Anthropic(base_url=gw.url, api_key="k", max_retries=0).models.retrieve(model_id)
    assert got_openai.id == got_anthropic.id == model_id
    assert got_openai.owned_by == owner


def test_an_unknown_model_is_a_404_for_the_openai_sdk(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    with pytest.raises(openai.NotFoundError):
        openai.OpenAI(base_url=gw.url + "/v1", api_key="k", max_retries=0).models.retrieve("nobody/nothing")


def test_the_page_carries_both_envelopes(gateway: GatewayFactory) -> None:
    page = http_call(gateway(SCENARIO).url + "/v1/models", "GET").json()
    assert page["object"] == "list"
    assert (page["has_more"], page["first_id"], page["last_id"]) == (False, IDS[0], IDS[-1])
