"""The official openai Python SDK against ``/v1/chat/completions``: create, stream, a tool loop, parse, errors.

The bar is the Anthropic face's: the SDK cannot tell mockgw from the gateway. The streamed completion, folded by
the SDK's own accumulator (``chat.completions.stream`` → ``get_final_completion``), is the non-streamed one:
two gateways with the same seed answer the first request with the same ids, so only ``created`` (a clock
reading) is set aside.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from tests.conftest import GatewayFactory, http_call

SEED = 4321
MODEL = "anthropic/claude-sonnet-4.5"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TEXT = "Hello from mockgw. This answer is long enough to arrive in several content deltas."
THOUGHT = "The user asks about the forecast; I should call get_weather for Paris before answering."

SCENARIO = {
    "rules": [
        {"name": "text", "match": {"last_user": "say hello"}, "reply": TEXT},
        {
            "name": "call",
            "match": {"last_user": "weather", "tool_result": None},
            "reply": [{"tool_use": {"name": "get_weather", "input": {"city": "Paris"}}}],
        },
        {
            "name": "thinking",
            "match": {"last_user": "forecast"},
            "reply": [
                {"thinking": THOUGHT},
                {"text": "Let me look that up."},
                {"tool_use": {"name": "get_weather", "input": {"city": "Paris"}}},
            ],
        },
        {
            "name": "answer-tool",
            "match": {"tool_result": {"name": "get_weather"}},
            "reply": "It is {{ request.tool_result }} in Paris.",
        },
        {"name": "city", "match": {"last_user": "structured"}, "reply": '{"name": "Paris", "population": 2102650}'},
    ]
}


def client(gw: Any, **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key="sk-test", max_retries=0, **kwargs)


def calls(message: Any) -> list[tuple[str, str, str]]:
    return [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]


def ask(text: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": "You are terse."}, {"role": "user", "content": text}]


@pytest.mark.parametrize("prompt", ["say hello", "weather in Paris?", "forecast please"])
def test_streamed_completion_folded_by_the_sdk_equals_the_non_streamed_one(
    gateway: GatewayFactory, prompt: str
) -> None:
    asked: dict[str, Any] = {
        "model": MODEL,
        "messages": ask(prompt),
        "tools": [WEATHER_TOOL],
        "reasoning_effort": "low",
    }
    plain = client(gateway(SCENARIO, seed=SEED)).chat.completions.create(**asked)
    with client(gateway(SCENARIO, seed=SEED)).chat.completions.stream(
        **asked, stream_options={"include_usage": True}
    ) as stream:
        folded = stream.get_final_completion()
    fields = {"id", "model", "object", "usage"}
    assert folded.model_dump(include=fields) == plain.model_dump(include=fields)
    assert folded.choices[0].finish_reason == plain.choices[0].finish_reason
    got, want = folded.choices[0].message, plain.choices[0].message
    assert got.content == want.content
    assert calls(got) == calls(want)
    assert got.model_extra is not None and want.model_extra is not None
    assert got.model_extra.get("reasoning") == want.model_extra.get("reasoning")
    assert got.model_extra.get("reasoning_details") == want.model_extra.get("reasoning_details")


def test_a_text_answer_with_usage(gateway: GatewayFactory) -> None:
    done = client(gateway(SCENARIO)).chat.completions.create(model=MODEL, messages=ask("say hello"))
    assert done.object == "chat.completion"
    assert done.id.startswith("chatcmpl-")
    assert done.model == MODEL
    assert done.choices[0].message.content == TEXT
    assert done.choices[0].finish_reason == "stop"
    assert done.usage is not None
    assert done.usage.completion_tokens == -(-len(TEXT) // 4)
    assert done.usage.total_tokens == done.usage.prompt_tokens + done.usage.completion_tokens


def test_reasoning_comes_back_as_the_gateway_returns_it(gateway: GatewayFactory) -> None:
    done = client(gateway(SCENARIO)).chat.completions.create(
        model=MODEL, messages=ask("forecast please"), tools=[WEATHER_TOOL], reasoning_effort="medium"
    )
    message = done.choices[0].message
    extra = message.model_extra or {}
    assert extra["reasoning"] == THOUGHT
    assert extra["reasoning_details"][0]["type"] == "reasoning.text"
    assert extra["reasoning_details"][0]["text"] == THOUGHT
    assert done.usage is not None and done.usage.completion_tokens_details is not None
    assert done.usage.completion_tokens_details.reasoning_tokens == -(-len(THOUGHT) // 4)
    assert done.choices[0].finish_reason == "tool_calls"


def test_a_tool_loop_answers_from_the_tool_result(gateway: GatewayFactory) -> None:
    chat = client(gateway(SCENARIO)).chat.completions
    messages = ask("What is the weather in Paris?")
    first = chat.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    calls = first.choices[0].message.tool_calls or []
    assert first.choices[0].finish_reason == "tool_calls"
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [("get_weather", {"city": "Paris"})]
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": calls[0].id, "content": "21°C and sunny"},
    ]
    second = chat.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    assert second.choices[0].message.content == "It is 21°C and sunny in Paris."
    assert second.choices[0].finish_reason == "stop"


class City(BaseModel):
    name: str
    population: int


@pytest.mark.parametrize("stream", [False, True])
def test_parse_reads_the_answer_into_the_pydantic_model(gateway: GatewayFactory, stream: bool) -> None:
    chat = client(gateway(SCENARIO)).chat.completions
    if stream:
        with chat.stream(model=MODEL, messages=ask("structured, please"), response_format=City) as events:
            parsed = events.get_final_completion().choices[0].message.parsed
    else:
        done = chat.parse(model=MODEL, messages=ask("structured, please"), response_format=City)
        parsed = done.choices[0].message.parsed
    assert parsed == City(name="Paris", population=2102650)


def test_the_stream_carries_usage_in_a_last_chunk_without_choices_then_done(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    body = {"model": MODEL, "messages": ask("say hello"), "stream": True, "stream_options": {"include_usage": True}}
    raw = http_call(gw.url + "/v1/chat/completions", json_body=body)
    frames = [f for f in raw.body.decode().split("\n\n") if f]
    assert all(f.startswith("data: ") for f in frames)
    assert frames[-1] == "data: [DONE]"
    last = json.loads(frames[-2].removeprefix("data: "))
    assert last["choices"] == [] and last["usage"]["completion_tokens"] > 0
    assert all(json.loads(f.removeprefix("data: "))["usage"] is None for f in frames[:-2])
    assert raw.headers["content-type"].startswith("text/event-stream")


def test_max_tokens_cuts_the_answer_with_finish_reason_length(gateway: GatewayFactory) -> None:
    done = client(gateway(SCENARIO)).chat.completions.create(model=MODEL, messages=ask("say hello"), max_tokens=3)
    assert done.choices[0].message.content == TEXT[:12]
    assert done.choices[0].finish_reason == "length"


def test_stop_sequences_cut_the_text(gateway: GatewayFactory) -> None:
    done = client(gateway(SCENARIO)).chat.completions.create(model=MODEL, messages=ask("say hello"), stop=["mockgw"])
    assert done.choices[0].message.content == "Hello from "
    assert done.choices[0].finish_reason == "stop"


def test_images_and_files_reach_the_view_and_developer_messages_the_system(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"match": {"system": "pirate", "last_user": "describe"}, "reply": "Arr."}]})
    done = client(gw).chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "developer", "content": "Talk like a pirate."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "describe these"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                    {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "f"}},
                ],
            },
        ],
    )
    assert done.choices[0].message.content == "Arr."
    sent = gw.journal.last.body["messages"][1]["content"]
    assert [p["type"] for p in sent] == ["text", "image_url", "file"]


def test_a_rule_can_name_the_face(gateway: GatewayFactory) -> None:
    gw = gateway(
        {
            "rules": [
                {"match": {"face": "anthropic-messages"}, "reply": "from the Messages face"},
                {"match": {"face": "openai-chat"}, "reply": "from the chat face"},
            ]
        }
    )
    done = client(gw).chat.completions.create(model=MODEL, messages=ask("hi"))
    assert done.choices[0].message.content == "from the chat face"
    assert gw.journal.last.face == "openai-chat"
    assert gw.journal.last.to_dict()["face"] == "openai-chat"


def test_reasoning_the_request_does_not_ask_for_is_left_out(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    done = client(gw).chat.completions.create(model=MODEL, messages=ask("forecast please"), tools=[WEATHER_TOOL])
    assert "reasoning" not in (done.choices[0].message.model_extra or {})
    assert done.choices[0].message.content == "Let me look that up."
    assert any("thinking left out" in note for note in gw.journal.last.notes)


def test_tool_choice_none_leaves_the_scripted_call_out(gateway: GatewayFactory) -> None:
    done = client(gateway(SCENARIO)).chat.completions.create(
        model=MODEL, messages=ask("forecast please"), tools=[WEATHER_TOOL], tool_choice="none"
    )
    assert done.choices[0].message.tool_calls is None
    assert done.choices[0].finish_reason == "stop"


def test_parallel_tool_calls_false_keeps_one_call(gateway: GatewayFactory) -> None:
    two = {
        "rules": [{"reply": [{"tool_use": {"name": "get_weather", "input": {"city": c}}} for c in ("Oslo", "Rome")]}]
    }
    chat = client(gateway(two)).chat.completions
    both = chat.create(model=MODEL, messages=ask("go"), tools=[WEATHER_TOOL])
    one = chat.create(model=MODEL, messages=ask("go"), tools=[WEATHER_TOOL], parallel_tool_calls=False)
    assert len(both.choices[0].message.tool_calls or []) == 2
    assert [json.loads(c.function.arguments) for c in one.choices[0].message.tool_calls or []] == [{"city": "Oslo"}]


def test_env_points_an_openai_sdk_that_reads_its_environment_at_the_gateway(
    gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = gateway({"auth": {"keys": ["sk-only"]}, "rules": [{"reply": "found you"}]})
    for name, value in gw.env().items():
        monkeypatch.setenv(name, value)
    done = openai.OpenAI(max_retries=0).chat.completions.create(model=MODEL, messages=ask("hi"))
    assert done.choices[0].message.content == "found you"


def test_a_body_over_a_megabyte_is_read_off_the_loop_and_answered(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"match": {"last_user": "needle"}, "reply": "found"}]})
    big = "hay " * 400_000 + "needle"
    done = client(gw).chat.completions.create(model=MODEL, messages=ask(big))
    assert done.choices[0].message.content == "found"
    assert gw.journal.last.body_bytes > 1024 * 1024
