"""The official openai TypeScript SDK against mockgw's OpenAI-compatible faces, through openai_sdk.mjs.

Node prints what the SDK made of each answer as JSON; these tests check it. The client is configured from
``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` only, the two lines ``mockgw serve`` prints and ``gw.env()`` sets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from mockgw.testing import MockGateway
from tests.clients.conftest import NODE_MODULES, require

GatewayFactory = Callable[..., MockGateway]
NodeRunner = Callable[..., Any]

HELLO = "Hello from mockgw, streamed in small pieces."
SCENARIO = {
    "rules": [
        {"match": {"last_user": "rate limit"}, "error": {"status": 429, "retry_after": 1}},
        {"match": {"tool_result": {"name": "get_weather"}}, "reply": "It is {{ request.tool_result }} in Paris."},
        {
            "match": {"tools": "get_weather"},
            "reply": [{"tool_use": {"name": "get_weather", "input": {"city": "Paris"}}}],
        },
        {"reply": HELLO, "timing": {"chunk_chars": 8}},
    ]
}


@pytest.fixture
def run(gateway: GatewayFactory, run_node: NodeRunner) -> Callable[[str], Any]:
    require((NODE_MODULES / "openai" / "package.json").is_file(), f"the openai package is missing from {NODE_MODULES}")
    gw = gateway(SCENARIO)
    return lambda case: run_node("openai_sdk.mjs", gw.env(), case)


def test_chat_create_and_the_folded_stream_agree(run: Callable[[str], Any]) -> None:
    out = run("chat")
    created, streamed = out["created"], out["streamed"]
    assert created["content"] == streamed["content"] == HELLO
    assert out["deltas"] == ["Hello fr", "om mockg", "w, strea", "med in s", "mall pie", "ces."]
    assert created["finish_reason"] == streamed["finish_reason"] == "stop"
    assert created["usage"] == streamed["usage"]


def test_a_chat_tool_loop(run: Callable[[str], Any]) -> None:
    out = run("tools")
    (call,) = out["first"]["tool_calls"]
    assert (call["name"], json.loads(call["arguments"])) == ("get_weather", {"city": "Paris"})
    assert out["first"]["finish_reason"] == "tool_calls"
    assert out["final"]["content"] == "It is sunny in Paris."


def test_responses_create_and_the_folded_stream_agree(run: Callable[[str], Any]) -> None:
    out = run("responses")
    assert out["created"]["types"] == out["streamed"]["types"] == ["function_call"]
    assert out["created"]["calls"] == out["streamed"]["calls"] == [["get_weather", '{"city":"Paris"}']]
    assert out["events"][0] == "response.created" and out["events"][-1] == "response.completed"


def test_embeddings(run: Callable[[str], Any]) -> None:
    assert run("embeddings") == {"lengths": [1536, 1536], "same": True}


def test_a_scripted_429_is_the_sdks_rate_limit_error(run: Callable[[str], Any]) -> None:
    out = run("error")
    assert out == {"raised": "RateLimitError", "status": 429, "type": "rate_limit_exceeded", "isRateLimit": True}
