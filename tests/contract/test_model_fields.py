"""``/v1/models`` objects carry the fields the current API returns (SDK 2.17's ``ModelInfo``): context
window, max output, capabilities, lifecycle, line; scenario entries may set any of them."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest
from anthropic.types import ModelInfo as SDKModelInfo

from mockgw.gateway.catalogue import builtin_models, max_output_tokens
from mockgw.scenario.schema import Scenario
from mockgw.server.state import Gateway, GatewayConfig
from tests.conftest import http_call

CUSTOM = {
    "models": [
        "claude-haiku-4-5",
        {"id": "anthropic/claude-opus-4.8", "max_tokens": 32000},
        {
            "id": "acme/model-x",
            "display_name": "Model X",
            "max_input_tokens": 8192,
            "max_tokens": 2048,
            "lifecycle": "deprecated",
            "deprecated_at": "2026-11-01T00:00:00Z",
            "retires_at": "2027-02-01T00:00:00Z",
            "capabilities": {"thinking": {"supported": False}, "pdf_input": {"supported": False}},
        },
    ],
    "rules": [{"reply": "ok"}],
}


def test_every_builtin_model_validates_as_the_sdks_model_info():
    # model_validate checks types and required keys (the SDK's own parsing of a response is lenient).
    for model in builtin_models():
        parsed = SDKModelInfo.model_validate(model.model_dump(mode="json"))
        assert parsed.capabilities is not None
        assert parsed.max_tokens is not None and parsed.max_input_tokens is not None


@pytest.mark.parametrize(
    ("model_id", "context", "output"),
    [
        ("claude-opus-4-8", 1_000_000, 128_000),
        ("anthropic/claude-opus-4.8", 1_000_000, 128_000),
        ("claude-sonnet-4-6", 1_000_000, 128_000),
        ("claude-haiku-4-5", 200_000, 64_000),
        ("claude-sonnet-4-5", 200_000, 64_000),
        ("claude-fable-5-2", 1_000_000, 128_000),
    ],
)
def test_the_sdk_lists_and_retrieves_models_with_their_limits(gateway, model_id, context, output):
    gw = gateway("hello")
    client = anthropic.Anthropic(base_url=gw.url, api_key="k", max_retries=0)
    listed = {m.id: m for m in client.models.list(limit=1000).data}
    retrieved = client.models.retrieve(model_id)
    for model in (listed[model_id], retrieved):
        assert (model.max_input_tokens, model.max_tokens) == (context, output)
        assert model.lifecycle == "active"
        assert model.capabilities is not None and model.capabilities.thinking.supported


@pytest.mark.parametrize(
    ("model_id", "adaptive", "enabled", "disabled"),
    [
        ("claude-fable-5", True, False, False),  # adaptive, always on
        ("claude-opus-4-7", True, False, True),
        ("claude-sonnet-4-6", True, True, True),
        ("claude-haiku-4-5", False, True, True),
    ],
)
def test_thinking_types_follow_the_models_thinking_mode(gateway, model_id, adaptive, enabled, disabled):
    gw = gateway("hello")
    client = anthropic.Anthropic(base_url=gw.url, api_key="k", max_retries=0)
    capabilities = client.models.retrieve(model_id).capabilities
    assert capabilities is not None
    types = capabilities.thinking.types
    supported = (types.adaptive.supported, types.enabled.supported, types.disabled.supported)
    assert supported == (adaptive, enabled, disabled)


def test_scenario_models_keep_the_catalogues_figures_and_override_what_they_set(gateway):
    gw = gateway(CUSTOM)
    client = anthropic.Anthropic(base_url=gw.url, api_key="k", max_retries=0)
    haiku, opus, custom = client.models.list().data
    assert (haiku.max_input_tokens, haiku.max_tokens, haiku.line) == (200_000, 64_000, "haiku")
    assert (opus.max_input_tokens, opus.max_tokens) == (1_000_000, 32_000)  # only max_tokens overridden
    assert (custom.max_input_tokens, custom.max_tokens, custom.line) == (8192, 2048, None)
    assert custom.lifecycle == "deprecated"
    assert custom.deprecated_at is not None and custom.retires_at is not None
    assert custom.capabilities is not None
    assert custom.capabilities.thinking.supported is False
    assert custom.capabilities.thinking.types.adaptive.supported is True  # merged: the other keys remain
    assert custom.capabilities.pdf_input.supported is False


def test_raw_model_object_sends_null_for_unknown_limits(gateway):
    gw = gateway({"models": ["acme/other"], "rules": [{"reply": "ok"}]})
    raw: dict[str, Any] = http_call(f"{gw.url}/v1/models/acme/other", "GET").json()
    assert raw["max_tokens"] is None and raw["max_input_tokens"] is None
    assert raw["lifecycle"] == "active"
    SDKModelInfo.model_validate(raw)


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("claude-opus-4-8", 128_000),
        ("anthropic/claude-haiku-4.5", 64_000),
        ("acme/model-x", 2048),  # from the scenario
        ("anthropic/claude-opus-4.8", 32_000),  # the scenario's override wins over the catalogue
        ("claude-sonnet-4-6", 128_000),  # not listed by the scenario: the catalogue still knows it
        ("acme/unknown", None),  # unknown: no limit
    ],
)
def test_max_output_tokens_helper(model_id, expected):
    gw = Gateway(GatewayConfig(scenario=Scenario.model_validate(CUSTOM)))
    assert gw.max_output_tokens(model_id) == expected


def test_catalogue_max_output_tokens_without_a_scenario():
    assert max_output_tokens("claude-sonnet-4-5") == 64_000
    assert max_output_tokens("not-a-model") is None
