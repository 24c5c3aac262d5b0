"""The AI SDK's gateway provider (``@ai-sdk/gateway``) against mockgw's AI SDK face, through ai_gateway.mjs.

``createGateway({baseURL: url + '/v4/ai'})`` with ``AI_GATEWAY_API_KEY``: the provider posts the call options
to ``/v4/ai/language-model`` (the model and the mode in ``ai-language-model-*`` headers) and reads the
provider-level result or stream parts back; embeddings at ``/v4/ai/embedding-model``; models at
``/v4/ai/config``; the account at ``/v1/credits`` and ``/v1/generation``. Node prints what the SDK made of
each answer; the journal shows what it sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from mockgw.testing import MockGateway
from tests.clients.conftest import NODE_MODULES, require

GatewayFactory = Callable[..., MockGateway]
NodeRunner = Callable[..., Any]

EVERY_FACE = Path(__file__).resolve().parents[1] / "fixtures" / "every-face.yaml"
HELLO = "Hello from mockgw, streamed in small pieces."
PARIS = {"city": "Paris", "temperature_c": 18.5, "conditions": ["sunny", "light wind"]}
SCENARIO = {
    "rules": [
        {
            "name": "weather-answer",
            "match": {"tool_result": {"name": "get_weather"}},
            "reply": "The weather: {{ request.tool_result }}.",
        },
        {
            "name": "weather-call",
            "match": {"tools": "get_weather"},
            "reply": [
                {"thinking": "The user wants the weather; call the tool.", "signature": "EqQBmockgwSig"},
                {"text": "Let me check."},
                {"tool_use": {"name": "get_weather", "input": {"city": "Paris"}}},
            ],
        },
        {"name": "weather-json", "match": {"last_user": "Paris as JSON"}, "reply": json.dumps(PARIS)},
        {"name": "rate-limited", "match": {"last_user": "rate limit me"}, "error": 429},
        {"name": "broken", "match": {"last_user": "break please"}, "error": 500},
        {
            "name": "cut",
            "match": {"last_user": "cut the stream"},
            "reply": HELLO,
            "timing": {"chunk_chars": 8},
            "fault": {"after_events": 4, "error": {"type": "overloaded_error"}},
        },
        {"name": "opus-down", "match": {"model": "anthropic/claude-opus-4.5"}, "error": 503},
        {"name": "hello", "reply": HELLO, "timing": {"chunk_chars": 8}},
    ]
}


@pytest.fixture(autouse=True)
def _pinned_providers() -> None:
    """A node_modules installed before these providers were pinned skips (fails under CI): run `make clients`."""
    for package in ("@ai-sdk/gateway", "@ai-sdk/openai-compatible"):
        require((NODE_MODULES / package / "package.json").is_file(), f"{package} is missing from {NODE_MODULES}")


@pytest.fixture
def gw(gateway: GatewayFactory) -> MockGateway:
    return gateway(SCENARIO)


def test_generate_text(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ai_gateway.mjs", gw.env(), "generate")

    assert (out["text"], out["finishReason"]) == (HELLO, "stop")
    assert out["usage"]["outputTokens"] == 11 and out["usage"]["inputTokens"] > 0
    assert out["providerMetadata"]["gateway"]["generationId"].startswith("gen_")
    call = gw.journal.last
    assert (call.path, call.face, call.stream, call.rule) == (
        "/v4/ai/language-model",
        "aisdk-language-model",
        False,
        "hello",
    )
    assert call.headers["ai-language-model-id"] == "anthropic/claude-sonnet-4.5"
    assert call.headers["ai-language-model-specification-version"] == "4"
    assert call.headers["ai-language-model-streaming"] == "false"
    assert call.headers["ai-gateway-protocol-version"] == "0.0.1"
    assert {"authorization", "ai-gateway-auth-method"} <= call.headers.keys()  # both kept out of the journal
    assert call.body["prompt"] == [{"role": "user", "content": [{"type": "text", "text": "hello"}]}]


def test_stream_text_folds_to_the_generated_answer(gw: MockGateway, run_node: NodeRunner) -> None:
    generated = run_node("ai_gateway.mjs", gw.env(), "generate")
    out = run_node("ai_gateway.mjs", gw.env(), "stream")

    assert out["chunks"] == ["Hello fr", "om mockg", "w, strea", "med in s", "mall pie", "ces."]
    assert (out["text"], out["finishReason"], out["usage"]) == (HELLO, "stop", generated["usage"])
    assert out["providerMetadata"]["gateway"]["routing"] == generated["providerMetadata"]["gateway"]["routing"]
    call = gw.journal.last
    assert (call.stream, call.headers["ai-language-model-streaming"]) == (True, "true")
    assert call.events[:2] == ["stream-start", "response-metadata"] and call.events[-1] == "finish"


def test_a_multi_step_tool_loop_generated_and_streamed(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ai_gateway.mjs", gw.env(), "tools")

    steps = [
        {
            "finishReason": "tool-calls",
            "reasoningText": "The user wants the weather; call the tool.",
            "toolCalls": [{"toolName": "get_weather", "input": {"city": "Paris"}}],
            "toolResults": [{"toolName": "get_weather", "output": "18°C and sunny in Paris"}],
        },
        {"finishReason": "stop", "reasoningText": None, "toolCalls": [], "toolResults": []},
    ]
    text = "The weather: 18°C and sunny in Paris."
    assert out["generated"] == out["streamed"] == {"text": text, "steps": steps}
    assert out["executed"] == [{"city": "Paris"}] * 2  # once generated, once streamed
    assert [e.rule for e in gw.journal] == ["weather-call", "weather-answer"] * 2
    # The second call sends the reasoning back with its signature, and the tool's result.
    prompt = list(gw.journal)[1].body["prompt"]
    assert [m["role"] for m in prompt] == ["user", "assistant", "tool"]
    reasoning = prompt[1]["content"][0]
    assert (
        reasoning["type"] == "reasoning" and reasoning["providerOptions"]["anthropic"]["signature"] == "EqQBmockgwSig"
    )


def test_output_object_generated_and_streamed(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ai_gateway.mjs", gw.env(), "object")

    assert out == {"generated": PARIS, "streamed": PARIS}
    assert gw.journal.last.body["responseFormat"]["type"] == "json"


def test_embeddings_are_stable_and_closer_for_shared_words(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ai_gateway.mjs", gw.env(), "embed")

    assert out == {"dimensions": 1536, "tokens": 6, "same": True, "closer": True}
    call = gw.journal.last
    assert (call.path, call.face) == ("/v4/ai/embedding-model", "aisdk-embedding-model")
    assert call.headers["ai-model-id"] == "openai/text-embedding-3-small"


def test_errors_surface_as_the_gateway_error_classes(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ai_gateway.mjs", gw.env(), "errors")

    assert out["rateLimited"] | {"message": ""} == {
        "name": "GatewayRateLimitError",
        "gatewayError": True,
        "statusCode": 429,
        "isRetryable": True,
        "type": "rate_limit_exceeded",
        "message": "",
    }
    assert (out["broken"]["name"], out["broken"]["statusCode"]) == ("GatewayInternalServerError", 500)
    assert out["unknownModel"]["name"] == "no error"  # every model is served unless strict_models
    # A fault mid-stream: the frames before it, then an error part (streamText wraps it as a stream error).
    delta, error, finish = out["midStream"]
    assert (delta["type"], error["type"], finish["type"]) == ("text-delta", "error", "finish")
    assert error["error"] | {"name": ""} == {
        "name": "",
        "gatewayError": False,
        "statusCode": 500,
        "isRetryable": True,
        "type": "internal_server_error",
        "message": "Internal server error",
    }
    assert gw.journal.last.events[-2:] == ["text-delta", "error"]


def test_a_strict_scenario_refuses_an_unknown_model_as_model_not_found(
    gateway: GatewayFactory, run_node: NodeRunner
) -> None:
    gw = gateway({**SCENARIO, "strict_models": True, "models": ["anthropic/claude-sonnet-4.5"]})

    out = run_node("ai_gateway.mjs", gw.env(), "errors")

    assert out["unknownModel"]["name"] == "GatewayModelNotFoundError"
    assert (out["unknownModel"]["statusCode"], out["unknownModel"]["modelId"]) == (
        404,
        "anthropic/claude-nonexistent-1",
    )


def test_a_wrong_key_is_an_authentication_error(gateway: GatewayFactory, run_node: NodeRunner) -> None:
    gw = gateway(SCENARIO, api_keys=["the-right-key"])

    out = run_node("ai_gateway.mjs", gw.env(), "badKey")

    assert out["generate"]["name"] == "GatewayAuthenticationError"
    assert "Unauthenticated request to AI Gateway" in out["generate"]["message"]
    provider = out["provider"]
    assert (provider["name"], provider["gatewayError"], provider["statusCode"]) == (
        "GatewayAuthenticationError",
        True,
        401,
    )
    # The provider words it from the ai-gateway-auth-method header it sent (api-key), not from our message.
    assert provider["message"] == "AI Gateway authentication failed: Invalid API key or token."
    assert [e.status for e in gw.journal] == [401, 401]


def test_a_failing_model_falls_back_to_the_next_in_models(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ai_gateway.mjs", gw.env(), "fallback")

    assert out["text"] == HELLO
    routing = out["routing"]
    assert routing["originalModelId"] == "anthropic/claude-opus-4.5"
    assert (routing["canonicalSlug"], routing["finalProvider"]) == ("anthropic/claude-sonnet-4.5", "bedrock")
    assert [(a["modelId"], a["success"]) for a in routing["modelAttempts"]] == [
        ("anthropic/claude-opus-4.5", False),
        ("anthropic/claude-sonnet-4.5", True),
    ]
    assert routing["modelAttempts"][0]["providerAttempts"][0]["statusCode"] == 503
    assert routing["fallbacksAvailable"] == ["anthropic"]
    call = gw.journal.last
    assert call.rule == "hello" and "the gateway tried anthropic/claude-sonnet-4.5 next" in call.notes[0]


def test_models_credits_and_generation_info(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ai_gateway.mjs", gw.env(), "account")

    assert out["sonnet"] == {
        "id": "anthropic/claude-sonnet-4.5",
        "name": "Claude Sonnet 4.5",
        "description": None,
        "pricing": {
            "input": "0.000003",
            "output": "0.000015",
            "cachedInputTokens": "0.0000003",
            "cacheCreationInputTokens": "0.00000375",
        },
        "specification": {
            "specificationVersion": "v4",
            "provider": "anthropic",
            "modelId": "anthropic/claude-sonnet-4.5",
        },
        "modelType": "language",
    }
    assert out["types"] == ["embedding", "language"]
    info = out["info"]
    assert (info["model"], info["providerName"], info["streamed"], info["finishReason"]) == (
        "anthropic/claude-sonnet-4.5",
        "anthropic",
        False,
        "stop",
    )
    assert info["completionTokens"] == 11
    assert str(info["totalCost"]) == out["cost"] or info["totalCost"] == pytest.approx(float(out["cost"]))
    assert out["credits"]["totalUsed"] == out["cost"]
    assert float(out["credits"]["balance"]) == pytest.approx(100 - float(out["cost"]))
    assert (out["missing"]["name"], out["missing"]["statusCode"]) == ("GatewayNotFoundError", 404)


def test_one_scenario_answers_the_anthropic_openai_and_ai_sdk_clients(
    gateway: GatewayFactory, run_node: NodeRunner
) -> None:
    gw = gateway(EVERY_FACE)
    claude = anthropic.Anthropic(base_url=gw.url, api_key="sk-test", max_retries=0)
    gpt = openai.OpenAI(base_url=gw.url + "/v1", api_key="sk-test", max_retries=0)
    tool = {"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
    question = [{"role": "user", "content": "What is the weather in Paris?"}]

    message = claude.messages.create(
        model="anthropic/claude-sonnet-4.5",
        max_tokens=100,
        messages=question,  # type: ignore[arg-type]
        tools=[tool],  # type: ignore[list-item]
    )
    completion = gpt.chat.completions.create(
        model="openai/gpt-5",
        messages=question,  # type: ignore[arg-type]
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": tool["input_schema"]}}],
    )
    out = run_node("ai_gateway.mjs", gw.env(), "everyFace")

    use = next(b for b in message.content if b.type == "tool_use")
    (call,) = completion.choices[0].message.tool_calls or []
    assert call.type == "function"
    assert use.input == json.loads(call.function.arguments) == {"city": "Paris"}
    assert out == {"text": "It is sunny in Paris.", "toolCalls": [{"city": "Paris"}]}
    assert [(e.face, e.rule) for e in gw.journal] == [
        ("anthropic-messages", "ask-tool"),
        ("openai-chat", "ask-tool"),
        ("aisdk-language-model", "ask-tool"),
        ("aisdk-language-model", "answer"),
    ]


def test_openai_compatible_provider_streams_what_it_generates(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ai_gateway.mjs", gw.env(), "openaiCompatible")

    assert out["generated"] == out["streamed"]
    assert (out["generated"]["text"], out["generated"]["finishReason"]) == (HELLO, "stop")
    assert out["generated"]["usage"]["outputTokens"] == 11
    assert [(e.path, e.face, e.stream) for e in gw.journal] == [
        ("/v1/chat/completions", "openai-chat", False),
        ("/v1/chat/completions", "openai-chat", True),
    ]


def test_the_provider_sends_its_api_key_over_an_invalid_oidc_token(
    gateway: GatewayFactory, run_node: NodeRunner
) -> None:
    gw = gateway({**SCENARIO, "auth": {"keys": ["sk-good"], "oidc": True}})

    out = run_node("ai_gateway.mjs", {**gw.env(), "VERCEL_OIDC_TOKEN": "not-a-jwt"}, "generate")

    assert out["text"] == HELLO
    assert gw.journal.last.status == 200
