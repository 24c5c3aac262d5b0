"""The Vercel AI SDK (ai 7, @ai-sdk/anthropic 4) against mockgw, through ai_sdk.mjs.

``createAnthropic({baseURL: url + '/v1', apiKey})``: the provider wants the API prefix as its base URL and
sends the key as ``x-api-key``. Node prints what the SDK made of each answer; the journal shows what it sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from mockgw.testing import MockGateway

GatewayFactory = Callable[..., MockGateway]
NodeRunner = Callable[..., Any]

SIGNATURE = "EqQBmockgwWeatherSignature"
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
                {"thinking": "The user wants the weather; call the tool.", "signature": SIGNATURE},
                {"text": "Let me check."},
                {"tool_use": {"name": "get_weather", "input": {"city": "Paris"}}},
            ],
        },
        {
            "name": "thinking",
            "match": {"last_user": "think first"},
            "reply": [{"thinking": "Step by step, the answer is plain."}, {"text": "Thought it through."}],
        },
        {"name": "weather-json", "match": {"last_user": "Paris as JSON"}, "reply": json.dumps(PARIS)},
        {"name": "hello", "reply": "Hello from mockgw, streamed in small pieces.", "timing": {"chunk_chars": 8}},
    ]
}
HELLO = "Hello from mockgw, streamed in small pieces."


@pytest.fixture
def gw(gateway: GatewayFactory) -> MockGateway:
    return gateway(SCENARIO)


def test_generate_text(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ai_sdk.mjs", gw.env(), "generate")

    assert (out["text"], out["finishReason"]) == (HELLO, "stop")
    assert out["usage"]["outputTokens"] > 0
    call = gw.journal.last
    assert (call.path, call.stream) == ("/v1/messages", False)
    assert "x-api-key" in call.headers and "authorization" not in call.headers


def test_stream_text(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ai_sdk.mjs", gw.env(), "stream")

    assert out["chunks"] == ["Hello fr", "om mockg", "w, strea", "med in s", "mall pie", "ces."]
    assert (out["text"], out["finishReason"]) == (HELLO, "stop")
    assert gw.journal.last.stream is True


def test_a_tool_with_execute_runs_in_a_multi_step_loop(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ai_sdk.mjs", gw.env(), "tools")

    assert out["executed"] == [{"city": "Paris"}]
    assert out["steps"] == [
        {
            "finishReason": "tool-calls",
            "toolCalls": [{"toolName": "get_weather", "input": {"city": "Paris"}}],
            "toolResults": [{"toolName": "get_weather", "output": "18°C and sunny in Paris"}],
        },
        {"finishReason": "stop", "toolCalls": [], "toolResults": []},
    ]
    assert out["text"] == "The weather: 18°C and sunny in Paris."
    first, second = gw.journal
    assert (first.rule, second.rule) == ("weather-call", "weather-answer")
    assert first.headers["anthropic-beta"] == "structured-outputs-2025-11-13"  # sent whenever tools are
    # The thinking block goes back with its signature, before the tool_use it led to.
    assistant = second.body["messages"][1]
    assert [b["type"] for b in assistant["content"]] == ["thinking", "text", "tool_use"]
    assert assistant["content"][0]["signature"] == SIGNATURE


def test_a_streamed_multi_step_loop(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ai_sdk.mjs", gw.env(), "toolsStreamed")

    assert out == {"text": "The weather: 18°C and sunny in Paris.", "steps": 2, "toolCalls": ["get_weather"]}
    assert [(e.rule, e.stream) for e in gw.journal] == [("weather-call", True), ("weather-answer", True)]


def test_thinking_blocks_become_reasoning_parts(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ai_sdk.mjs", gw.env(), "reasoning")

    generated, streamed = out["generated"], out["streamed"]
    assert generated["text"] == streamed["text"] == "Thought it through."
    assert generated["reasoningText"] == streamed["reasoningText"] == "Step by step, the answer is plain."
    [reasoning] = generated["reasoning"]
    assert reasoning["signature"].startswith("EqQB")  # kept as provider metadata, to send back next turn
    assert streamed["parts"][0] == "reasoning-start" and streamed["parts"][-1] == "reasoning-end"
    assert set(streamed["parts"][1:-1]) == {"reasoning-delta"}
    assert gw.journal.last.body["thinking"] == {"type": "enabled", "budget_tokens": 1024}


def test_an_error_is_surfaced_as_an_api_call_error(gateway: GatewayFactory, run_node: NodeRunner) -> None:
    gw = gateway("errors")

    out = run_node("ai_sdk.mjs", gw.env(), "error")

    assert out["generate"] == {
        "thrown": "APICallError",
        "isAPICallError": True,
        "statusCode": 529,
        "isRetryable": True,
        "type": "overloaded_error",
        "url": f"{gw.url}/v1/messages",
    }
    assert (out["auth"]["statusCode"], out["auth"]["isRetryable"], out["auth"]["type"]) == (
        401,
        False,
        "authentication_error",
    )
    assert out["stream"] == {"isAPICallError": True, "statusCode": 529}


def test_generate_object_sends_the_schema_as_output_config_format_and_parses_the_json(
    gw: MockGateway, run_node: NodeRunner
) -> None:
    out = run_node("ai_sdk.mjs", gw.env(), "object")

    assert out == {"object": PARIS, "finishReason": "stop"}
    call = gw.journal.last
    assert call.rule == "weather-json"
    sent = call.body["output_config"]["format"]
    assert sent["type"] == "json_schema"
    assert set(sent["schema"]["properties"]) == set(PARIS) and sent["schema"]["additionalProperties"] is False
    assert "tools" not in call.body  # native structured output, not the JSON-tool fallback
