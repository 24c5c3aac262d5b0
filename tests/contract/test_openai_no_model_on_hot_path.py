"""The OpenAI faces' happy path builds no request model: the benchmark's request and the openai SDK's calls
are validated and read from their JSON (faces/openai/parse); ``ChatCompletionCreateParams``,
``ResponseCreateParams``, ``EmbeddingCreateParams`` and the neutral ``MessageCreateParams`` are built only for
what the fast path leaves to them, such as a refusal.

Counted, not timed: the models' validators are wrapped and every construction counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from pydantic import BaseModel

from mockgw.faces.anthropic.wire.requests import MessageCreateParams
from mockgw.faces.openai.wire import ChatCompletionCreateParams, EmbeddingCreateParams, ResponseCreateParams
from tests.conftest import GatewayFactory, http_call
from tests.contract.test_no_model_on_hot_path import _Counting

CHAT_LUA = Path(__file__).parents[2] / "bench" / "chat.lua"
SCENARIO = {
    "rules": [
        {"match": {"tool_result": True}, "reply": "It is sunny."},
        {
            "match": {"last_user": {"contains": "weather"}},
            "reply": [{"tool_use": {"name": "get_weather", "input": {}}}],
        },
        {"reply": "Hello! This is a canned answer."},
    ]
}
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[type[BaseModel], _Counting]]:
    """How many request models the routes built, per model class."""
    counters = {}
    for model in (ChatCompletionCreateParams, ResponseCreateParams, EmbeddingCreateParams, MessageCreateParams):
        counters[model] = _Counting(model.__pydantic_validator__)
        monkeypatch.setattr(model, "__pydantic_validator__", counters[model])
    yield counters


def bench_body() -> bytes:
    """The throughput benchmark's chat request, as bench/chat.lua sends it."""
    return CHAT_LUA.read_text().split("wrk.body = [[", 1)[1].split("]]", 1)[0].encode()


def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key="sk-test", max_retries=0)


def test_the_benchmarks_chat_request_builds_no_model(gateway: GatewayFactory, built: dict[type[BaseModel], _Counting]):
    gw = gateway(SCENARIO)
    response = http_call(f"{gw.url}/v1/chat/completions", body=bench_body(), headers={"authorization": "Bearer k"})
    assert response.status == 200
    assert response.json()["choices"][0]["message"]["content"] == "Hello! This is a canned answer."
    assert built[ChatCompletionCreateParams].built == 0
    assert built[MessageCreateParams].built == 0


@pytest.mark.parametrize("stream", [False, True])
def test_an_sdk_tool_loop_builds_no_model(
    gateway: GatewayFactory, built: dict[type[BaseModel], _Counting], stream: bool
) -> None:
    gw = gateway(SCENARIO)
    sdk = client(gw.url)
    messages: list[dict[str, object]] = [{"role": "user", "content": "What is the weather in Oslo?"}]
    first = sdk.chat.completions.create(model="openai/gpt-5", messages=messages, tools=[TOOL])
    call = first.choices[0].message.tool_calls[0]
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
    ]
    if stream:
        chunks = sdk.chat.completions.create(
            model="openai/gpt-5",
            messages=messages,
            tools=[TOOL],
            stream=True,
            stream_options={"include_usage": True},
        )
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        second = sdk.chat.completions.create(model="openai/gpt-5", messages=messages, tools=[TOOL])
        text = second.choices[0].message.content or ""
    assert text == "It is sunny."
    assert built[ChatCompletionCreateParams].built == 0
    assert built[MessageCreateParams].built == 0


def test_a_refused_chat_request_is_worded_by_the_model(
    gateway: GatewayFactory, built: dict[type[BaseModel], _Counting]
) -> None:
    # The counter counts: the one path that must still build the model does.
    gw = gateway(SCENARIO)
    bad = {"model": "openai/gpt-5", "messages": [{"role": "user", "content": 7}]}
    response = http_call(f"{gw.url}/v1/chat/completions", json_body=bad)
    assert response.status == 400
    assert response.json()["error"]["param"] == "messages[0].content"
    assert built[ChatCompletionCreateParams].built == 1


@pytest.mark.parametrize("stream", [False, True])
def test_an_sdk_responses_tool_loop_builds_no_model(
    gateway: GatewayFactory, built: dict[type[BaseModel], _Counting], stream: bool
) -> None:
    gw = gateway(SCENARIO)
    sdk = client(gw.url)
    tool = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}
    first = sdk.responses.create(model="openai/gpt-5", input="What is the weather in Oslo?", tools=[tool])
    call = next(item for item in first.output if item.type == "function_call")
    follow_up = [{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}]
    if stream:
        events = sdk.responses.create(
            model="openai/gpt-5", previous_response_id=first.id, input=follow_up, tools=[tool], stream=True
        )
        text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    else:
        second = sdk.responses.create(
            model="openai/gpt-5", previous_response_id=first.id, input=follow_up, tools=[tool]
        )
        text = second.output_text
    assert text == "It is sunny."
    assert built[ResponseCreateParams].built == 0
    assert built[MessageCreateParams].built == 0


def test_sdk_embeddings_build_no_model(gateway: GatewayFactory, built: dict[type[BaseModel], _Counting]) -> None:
    gw = gateway(SCENARIO)
    vectors = client(gw.url).embeddings.create(model="openai/text-embedding-3-small", input=["one", "two"])
    assert len(vectors.data) == 2
    assert built[EmbeddingCreateParams].built == 0
    assert built[MessageCreateParams].built == 0
