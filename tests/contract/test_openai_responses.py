"""The official openai Python SDK against ``/v1/responses``: create, stream, function calls, held conversations.

The streamed response, folded by the SDK's own stream state (``responses.stream`` → ``get_final_response``,
which checks every event's item identity against the items it accumulated), equals the non-streamed one from
a gateway with the same seed, ``created_at`` aside.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from tests.conftest import GatewayFactory, http_call

SEED = 99
MODEL = "openai/gpt-5"
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "strict": False,
}
THOUGHT = "The user asks about the forecast; call get_weather."
SCENARIO = {
    "rules": [
        {"name": "text", "match": {"last_user": "say hello"}, "reply": ["Hello ", "from mockgw, in two parts."]},
        {
            "name": "call",
            "match": {"last_user": "forecast"},
            "reply": [
                {"thinking": THOUGHT},
                {"text": "Let me look."},
                {"tool_use": {"name": "get_weather", "input": {"city": "Paris"}}},
            ],
        },
        {
            "name": "after-tool",
            "match": {"tool_result": {"name": "get_weather"}},
            "reply": "Turn {{ request.turn }}: {{ request.tool_result }}.",
        },
        {"name": "city", "match": {"last_user": "structured"}, "reply": '{"name": "Paris", "population": 2102650}'},
        {"name": "remember", "match": {"last_user": "again", "turn": 2}, "reply": "You asked before."},
    ]
}


def comparable(response: Any) -> Any:
    """The response as JSON, less its clock reading and the ``parsed…`` fields the SDK adds to what it folds."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in {"parsed", "parsed_arguments"}}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(response.model_dump(exclude={"created_at"}))


def client(gw: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key="sk-test", max_retries=0)


@pytest.mark.parametrize("prompt", ["say hello", "forecast please"])
def test_streamed_response_folded_by_the_sdk_equals_the_non_streamed_one(gateway: GatewayFactory, prompt: str) -> None:
    kwargs: dict[str, Any] = {
        "model": MODEL,
        "input": prompt,
        "instructions": "Be brief.",
        "tools": [WEATHER_TOOL],
        "reasoning": {"effort": "low"},
    }
    plain = client(gateway(SCENARIO, seed=SEED)).responses.create(**kwargs)
    with client(gateway(SCENARIO, seed=SEED)).responses.stream(**kwargs) as stream:
        events = list(stream)
        folded = stream.get_final_response()
    assert comparable(folded) == comparable(plain)
    numbers = [e.sequence_number for e in events]
    assert numbers == list(range(len(events)))
    assert [e.type for e in events][:2] == ["response.created", "response.in_progress"]
    assert events[-1].type == "response.completed"


def test_a_text_answer(gateway: GatewayFactory) -> None:
    done = client(gateway(SCENARIO)).responses.create(model=MODEL, input="say hello")
    assert done.id.startswith("resp_")
    assert done.status == "completed"
    assert done.output_text == "Hello from mockgw, in two parts."
    assert done.usage is not None and done.usage.total_tokens == done.usage.input_tokens + done.usage.output_tokens


def test_reasoning_text_and_a_function_call_come_out_as_items(gateway: GatewayFactory) -> None:
    done = client(gateway(SCENARIO)).responses.create(
        model=MODEL, input="forecast please", tools=[WEATHER_TOOL], reasoning={"effort": "low"}
    )
    assert [item.type for item in done.output] == ["reasoning", "message", "function_call"]
    reasoning, _, call = done.output
    assert reasoning.type == "reasoning" and reasoning.summary[0].text == THOUGHT
    assert call.type == "function_call" and call.call_id.startswith("call_") and call.id.startswith("fc_")
    assert (call.name, json.loads(call.arguments)) == ("get_weather", {"city": "Paris"})


def test_a_function_call_loop_with_the_whole_input(gateway: GatewayFactory) -> None:
    responses = client(gateway(SCENARIO)).responses
    first = responses.create(model=MODEL, input="forecast please", tools=[WEATHER_TOOL])
    call = next(i for i in first.output if i.type == "function_call")
    history: list[Any] = [{"role": "user", "content": "forecast please"}, *[i.model_dump() for i in first.output]]
    history.append({"type": "function_call_output", "call_id": call.call_id, "output": "sunny"})
    second = responses.create(model=MODEL, input=history, tools=[WEATHER_TOOL])
    assert second.output_text == "Turn 2: sunny."


def test_previous_response_id_continues_the_held_conversation(gateway: GatewayFactory) -> None:
    responses = client(gateway(SCENARIO)).responses
    first = responses.create(model=MODEL, input="forecast please", tools=[WEATHER_TOOL])
    call = next(i for i in first.output if i.type == "function_call")
    second = responses.create(
        model=MODEL,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "rainy"}],
        tools=[WEATHER_TOOL],
    )
    assert second.output_text == "Turn 2: rainy."
    third = responses.create(model=MODEL, previous_response_id=first.id, input="again?")
    assert third.output_text == "You asked before."


def test_an_unknown_previous_response_id_is_the_apis_400(gateway: GatewayFactory) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client(gateway(SCENARIO)).responses.create(model=MODEL, previous_response_id="resp_nope", input="hi")
    assert caught.value.body == {
        "message": "Previous response with id 'resp_nope' not found.",
        "type": "invalid_request_error",
        "param": "previous_response_id",
        "code": "previous_response_not_found",
    }


def test_reset_forgets_held_responses(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    first = client(gw).responses.create(model=MODEL, input="say hello")
    gw.reset()
    with pytest.raises(openai.BadRequestError, match="not found"):
        client(gw).responses.create(model=MODEL, previous_response_id=first.id, input="again?")


def test_store_false_holds_nothing(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    first = client(gw).responses.create(model=MODEL, input="say hello", store=False)
    with pytest.raises(openai.BadRequestError, match="not found"):
        client(gw).responses.create(model=MODEL, previous_response_id=first.id, input="again?")


class City(BaseModel):
    name: str
    population: int


def test_parse_reads_text_format_json_into_the_model(gateway: GatewayFactory) -> None:
    done = client(gateway(SCENARIO)).responses.parse(model=MODEL, input="structured, please", text_format=City)
    assert done.output_parsed == City(name="Paris", population=2102650)


def test_max_output_tokens_makes_the_response_incomplete(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    done = client(gw).responses.create(model=MODEL, input="say hello", max_output_tokens=2)
    assert done.status == "incomplete"
    assert done.incomplete_details is not None and done.incomplete_details.reason == "max_output_tokens"
    assert done.output_text == "Hello fr"


def test_a_mid_stream_error_ends_with_response_failed(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"reply": "x" * 100, "fault": {"after_events": 4, "error": {"type": "api_error"}}}]})
    raw = http_call(gw.url + "/v1/responses", json_body={"model": MODEL, "input": "hi", "stream": True})
    frames = [f for f in raw.body.decode().split("\n\n") if f]
    assert len(frames) == 5
    name, data = frames[-1].split("\n")
    assert name == "event: response.failed"
    failed = json.loads(data.removeprefix("data: "))
    assert failed["sequence_number"] == 4
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["error"] == {"code": "server_error", "message": "Internal server error"}


def test_bad_input_gets_the_apis_400(gateway: GatewayFactory) -> None:
    raw = http_call(gateway(SCENARIO).url + "/v1/responses", json_body={"model": MODEL})
    assert raw.status == 400
    assert raw.json()["error"]["param"] == "input"
