"""One scenario file answers the Anthropic SDK and the OpenAI SDK from the same rules.

Every face reads its request into the same view, so a rule written once (last user text, tool results, turn)
answers ``messages.create``, ``chat.completions.create`` and ``responses.create`` alike.
"""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
import openai

from tests.conftest import GatewayFactory, http_call

SCENARIO = Path(__file__).resolve().parents[1] / "fixtures" / "every-face.yaml"
TOOL = {"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
OPENAI_TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": TOOL["input_schema"]}}


def test_the_same_rules_answer_the_anthropic_and_the_openai_sdks(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    claude = anthropic.Anthropic(base_url=gw.url, api_key="sk-test", max_retries=0)
    gpt = openai.OpenAI(base_url=gw.url + "/v1", api_key="sk-test", max_retries=0)

    message = claude.messages.create(
        model="anthropic/claude-sonnet-4.5",
        max_tokens=100,
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[TOOL],  # type: ignore[list-item]
    )
    completion = gpt.chat.completions.create(
        model="openai/gpt-5",
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[OPENAI_TOOL],  # type: ignore[list-item]
    )
    use = next(b for b in message.content if b.type == "tool_use")
    (call,) = completion.choices[0].message.tool_calls or []
    assert (use.name, use.input) == ("get_weather", {"city": "Paris"})
    assert call.type == "function"
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", {"city": "Paris"})

    followed = claude.messages.create(
        model="anthropic/claude-sonnet-4.5",
        max_tokens=100,
        messages=[
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": [use.model_dump()]},  # type: ignore[list-item]
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}]},
        ],
    )
    answered = gpt.responses.create(
        model="openai/gpt-5",
        input=[
            {"role": "user", "content": "What is the weather in Paris?"},
            {"type": "function_call", "call_id": call.id, "name": "get_weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": call.id, "output": "sunny"},
        ],
    )
    assert followed.content[0].type == "text"
    assert followed.content[0].text == answered.output_text == "It is sunny in Paris."
    assert [e.face for e in gw.journal] == [
        "anthropic-messages",
        "openai-chat",
        "anthropic-messages",
        "openai-responses",
    ]
    assert [e.rule for e in gw.journal] == ["ask-tool", "ask-tool", "answer", "answer"]


def test_the_admin_journal_filters_by_face(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"reply": "hi"}]})
    anthropic.Anthropic(base_url=gw.url, api_key="k").messages.create(
        model="m", max_tokens=10, messages=[{"role": "user", "content": "a"}]
    )
    openai.OpenAI(base_url=gw.url + "/v1", api_key="k").embeddings.create(model="m", input="b")
    listing = http_call(gw.url + "/_mockgw/requests?face=openai-embeddings", "GET").json()
    assert [(e["face"], e["path"]) for e in listing["data"]] == [("openai-embeddings", "/v1/embeddings")]
