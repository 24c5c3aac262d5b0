"""Validating OpenAI requests from their JSON without the wire models (faces/openai/parse).

The fast path may only say yes when the model (``ChatCompletionCreateParams``, ``ResponseCreateParams``,
``EmbeddingCreateParams``) would, and the request must then read (the neutral view rules match on, the
limits, what the answer echoes) exactly as it reads through the models.
What it is unsure of goes to the models, which word every 400.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mockgw.faces.openai.chat as chat_module
import mockgw.faces.openai.embeddings as embeddings_module
import mockgw.faces.openai.parse as parse_module
import mockgw.faces.openai.responses as responses_module
from mockgw.core.answer import Answer, Ids, TextPart, ToolCallPart
from mockgw.core.request import RequestView
from mockgw.faces.openai.chat import ChatRequest, parse_chat
from mockgw.faces.openai.embeddings import embeddings_object, parse_embeddings
from mockgw.faces.openai.errors import OpenAIError
from mockgw.faces.openai.parse import certainly_valid_chat, certainly_valid_embeddings, certainly_valid_responses
from mockgw.faces.openai.responses import ResponseStore, parse_responses, response_object
from mockgw.faces.openai.wire import ChatCompletionCreateParams, ResponseCreateParams, validate

CHAT_LUA = Path(__file__).parents[2] / "bench" / "chat.lua"
TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {}}}
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
FILE = {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0="}}
# Valid requests touching every field the fast path checks; each must be taken by it.
EVERY_PART: dict[str, Any] = {
    "model": "openai/gpt-5",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
        {"role": "user", "content": [{"type": "text", "text": "Weather?"}, IMAGE, FILE], "name": "ann"},
        {"role": "assistant", "content": None, "tool_calls": [CALL, {"id": "call_2", "function": {"name": "f"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "ok"}]},
        {"role": "user", "content": "thanks", "extra": 1},
    ],
    "stream": True,
    "stream_options": {"include_usage": True},
    "max_tokens": 100,
    "max_completion_tokens": 200,
    "stop": ["END", "STOP"],
    "n": 1,
    "tools": [TOOL, {"function": {"name": "f", "description": None, "strict": True}}],
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
    "temperature": 1,
    "top_p": 0.5,
    "reasoning_effort": "low",
    "user": "u-1",
    "newer_field": {"anything": True},
}


def bench_body() -> dict[str, Any]:
    """The throughput benchmark's chat request, as bench/chat.lua sends it."""
    import json

    body: dict[str, Any] = json.loads(CHAT_LUA.read_text().split("wrk.body = [[", 1)[1].split("]]", 1)[0])
    return body


def read(request: ChatRequest) -> tuple[Any, ...]:
    """Everything the route and the rules read of a parsed chat request."""
    view: RequestView = request.view
    return (
        request.model,
        request.max_tokens,
        request.stop,
        request.include_usage,
        view.model,
        view.stream,
        view.max_tokens,
        view.last_user,
        view.turn,
        view.system,
        view.tool_names,
        view.tool_results,
        view.attached,
        view.metadata_user_id,
        view.input_chars,
        view.face,
        dict(view.data),
    )


def parsed_both_ways(body: dict[str, Any]) -> tuple[Any, Any]:
    """``body`` parsed by the fast path and through the models alone (each a reading, or the error raised)."""

    def attempt() -> Any:
        try:
            return read(parse_chat(copy.deepcopy(body), {}, "default"))
        except OpenAIError as exc:
            return (exc.status, exc.message, exc.param, exc.code)

    fast = attempt()
    with pytest.MonkeyPatch.context() as patched:  # as before the fast path: all through the models
        patched.setattr(chat_module, "certainly_valid_chat", lambda body: False)
        patched.setattr(parse_module, "certainly_valid", lambda body: False)
        slow = attempt()
    return fast, slow


@pytest.mark.parametrize("body", [pytest.param(bench_body(), id="bench-chat"), pytest.param(EVERY_PART, id="every")])
def test_common_requests_take_the_fast_path_and_read_as_the_models_do(
    body: dict[str, Any],
) -> None:
    assert certainly_valid_chat(body)
    validate(ChatCompletionCreateParams, body)  # the promise: the model accepts it
    fast, slow = parsed_both_ways(body)
    assert fast == slow


# Bad bodies, each refused by the model with the API's words (tests/contract/test_openai_errors has more).
REFUSED = [
    {"model": "m"},
    {"messages": [{"role": "user", "content": "hi"}]},
    {"model": "m", "messages": []},
    {"model": "m", "messages": "hi"},
    {"model": "m", "messages": [{"role": "robot", "content": "hi"}]},
    {"model": "m", "messages": [{"role": "user", "content": 7}]},
    {"model": "m", "messages": [{"role": "user", "content": [7]}]},
    {"model": "m", "messages": [{"role": "user", "content": [{"text": "no type"}]}]},
    {"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"id": "c", "function": {"arguments": ""}}]}]},
    {"model": "m", "messages": [{"role": "user", "content": "x"}], "n": 2},
    {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream_options": 7},
    {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0},
    {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": True},
    {"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 2.5},
    {"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": float("nan")},
    {"model": "m", "messages": [{"role": "user", "content": "x"}], "top_p": "high"},
    {"model": "m", "messages": [{"role": "user", "content": "x"}], "stop": [1]},
    {"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]},
    {"model": "m", "messages": [{"role": "user", "content": "x"}], "tool_choice": 3},
    {"model": 7, "messages": [{"role": "user", "content": "x"}]},
    [],
]


@pytest.mark.parametrize("body", REFUSED)
def test_every_refusal_is_left_to_the_models_and_worded_by_them(body: Any) -> None:
    assert not certainly_valid_chat(body)
    with pytest.raises(OpenAIError) as by_parse:
        parse_chat(body, {}, "default")
    with pytest.raises(OpenAIError) as by_model:
        validate(ChatCompletionCreateParams, body)
    assert (by_parse.value.message, by_parse.value.param) == (by_model.value.message, by_model.value.param)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"messages": [{"role": "user", "content": "x"}, {"role": "tool", "content": "y"}]}, id="no-call"),
        pytest.param({"messages": [{"role": "user"}]}, id="user-without-content"),
        pytest.param({"tools": [{"function": {"name": "has space"}}]}, id="tool-name-messages-refuses"),
        pytest.param({"messages": [{"role": "user", "content": [{"type": "input_audio"}]}]}, id="nothing-to-read"),
        pytest.param({"tool_choice": "required", "reasoning_effort": "high"}, id="forced-tool-with-thinking"),
    ],
)
def test_what_the_neutral_checks_are_unsure_of_reads_or_fails_as_through_the_models(
    change: dict[str, Any],
) -> None:
    fast, slow = parsed_both_ways({**bench_body(), **change})
    assert fast == slow


# ---------------------------------------------------------------- the promise, tested on mutated requests

ODD_VALUES = st.sampled_from(
    [
        *(None, "", "x", "user", "tool", "text", "function", "image_url", 0, 1, 3, -1, 0.5, 2.5, True, False),
        *([], {}, [{}], {"type": "text", "text": "y"}, {"name": "f"}, {"include_usage": True}, ["a"]),
        {"id": "c", "function": {"name": "f", "arguments": "{}"}},
    ]
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    body = copy.deepcopy(draw(st.sampled_from([bench_body(), EVERY_PART])))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(body)))
        parent: Any = body
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            key = draw(st.sampled_from(["type", "text", "name", "content", "tool_calls", "arguments", "extra"]))
            parent[key] = copy.deepcopy(draw(ODD_VALUES))
        else:
            parent[path[-1]] = copy.deepcopy(draw(ODD_VALUES))
        if not _paths(body):
            break
    return body


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_whatever_the_fast_path_accepts_the_models_accept_and_read_alike(body: dict[str, Any]) -> None:
    if certainly_valid_chat(body):
        validate(ChatCompletionCreateParams, body)
    fast, slow = parsed_both_ways(body)
    assert fast == slow


# ---------------------------------------------------------------- responses and embeddings

RESPONSES_EVERY_PART: dict[str, Any] = {
    "model": "openai/gpt-5",
    "instructions": "Be brief.",
    "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
        {"role": "user", "content": "thanks"},
    ],
    "stream": False,
    "max_output_tokens": 500,
    "tools": [
        {"name": "get_weather", "type": "function", "parameters": {"type": "object"}, "x": None, "later": 1},
        {"type": "web_search", "name": None},
    ],
    "tool_choice": {"type": "function", "name": "get_weather"},
    "parallel_tool_calls": False,
    "text": {"format": {"type": "json_schema", "name": "x", "schema": {"type": "object"}}},
    "reasoning": {"effort": "low"},
    "store": False,
    "temperature": 1,
    "top_p": 0.5,
    "metadata": {"k": "v"},
}
RESPONSES_REFUSED = [
    {"model": "m"},
    {"model": "m", "input": 7},
    {"model": "m", "input": [7]},
    {"model": "m", "input": "x", "previous_response_id": 7},
    {"model": "m", "input": "x", "tools": [{"name": "no type"}]},
    {"model": "m", "input": "x", "temperature": 3},
    {"model": "m", "input": "x", "max_output_tokens": 0},
    {"model": "m", "input": "x", "store": "yes"},
]
EMBEDDINGS_ACCEPTED = [
    {"model": "m", "input": "one text"},
    {"model": "m", "input": ["a", "b"], "dimensions": 8, "encoding_format": "base64", "user": "u"},
    {"model": "m", "input": [1, 2, 3], "encoding_format": "float"},
    {"model": "m", "input": [[1, 2], [3]]},
]
EMBEDDINGS_REFUSED = [
    {"model": "m"},
    {"model": "m", "input": [1, "a"]},
    {"model": "m", "input": [True]},
    {"model": "m", "input": [[1, "a"]]},
    {"model": "m", "input": "x", "dimensions": 0},
    {"model": "m", "input": "x", "dimensions": 9000},
    {"model": "m", "input": "x", "encoding_format": "hex"},
    {"model": "m", "input": "x", "user": 7},
]
ANSWER = Answer(
    parts=(TextPart("Looking."), ToolCallPart("call_9", "get_weather", {"city": "Oslo"})),
    stop_reason="tool_use",
    input_tokens=12,
    output_tokens=5,
)


def read_responses(body: dict[str, Any]) -> Any:
    """What the Responses route reads and answers for ``body`` (a fixed answer), or the error it raised."""
    try:
        parsed = parse_responses(copy.deepcopy(body), {}, "default", ResponseStore())
    except OpenAIError as exc:
        return (exc.status, exc.message, exc.param, exc.code)
    view = parsed.view
    answered = response_object(parsed, ANSWER, response_id="resp_1", created=1, ids=Ids(random.Random(0)))
    return (parsed.max_tokens, view.last_user, view.turn, view.system, view.tool_names, view.input_chars, answered)


def read_embeddings(body: dict[str, Any]) -> Any:
    try:
        parsed = parse_embeddings(copy.deepcopy(body), {}, "default")
    except OpenAIError as exc:
        return (exc.status, exc.message, exc.param, exc.code)
    return (parsed.view.last_user, parsed.view.input_chars, parsed.view.body, embeddings_object(parsed, 1))


def both_ways(read: Any, body: dict[str, Any], module: Any, check: str) -> tuple[Any, Any]:
    fast = read(body)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(module, check, lambda body: False)
        patched.setattr(parse_module, "certainly_valid", lambda body: False)
        slow = read(body)
    return fast, slow


def test_a_responses_request_takes_the_fast_path_and_echoes_as_the_model_does() -> None:
    assert certainly_valid_responses(RESPONSES_EVERY_PART)
    fast, slow = both_ways(read_responses, RESPONSES_EVERY_PART, responses_module, "certainly_valid_responses")
    assert fast == slow
    assert fast[-1]["temperature"] == 1.0 and isinstance(fast[-1]["temperature"], float)
    assert list(fast[-1]["tools"][0]) == ["type", "name", "parameters", "later"]  # the model's field order
    assert_echoed_as_the_model_dumps(RESPONSES_EVERY_PART, fast[-1])


@pytest.mark.parametrize("body", RESPONSES_REFUSED)
def test_every_responses_refusal_is_left_to_the_model(body: dict[str, Any]) -> None:
    assert not certainly_valid_responses(body)
    fast, slow = both_ways(read_responses, body, responses_module, "certainly_valid_responses")
    assert fast == slow
    assert fast[0] == 400


@pytest.mark.parametrize("body", EMBEDDINGS_ACCEPTED)
def test_an_embeddings_request_takes_the_fast_path_and_reads_as_the_model_does(body: dict[str, Any]) -> None:
    assert certainly_valid_embeddings(body)
    fast, slow = both_ways(read_embeddings, body, embeddings_module, "certainly_valid_embeddings")
    assert fast == slow


@pytest.mark.parametrize("body", EMBEDDINGS_REFUSED)
def test_every_embeddings_refusal_is_left_to_the_model(body: dict[str, Any]) -> None:
    assert not certainly_valid_embeddings(body)
    fast, slow = both_ways(read_embeddings, body, embeddings_module, "certainly_valid_embeddings")
    assert fast == slow
    assert fast[0] == 400


@st.composite
def mutated_responses(draw: st.DrawFn) -> dict[str, Any]:
    body = copy.deepcopy(RESPONSES_EVERY_PART)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(body)))
        parent: Any = body
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(draw(ODD_VALUES))
        if not _paths(body):
            break
    return body


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_responses())
def test_whatever_the_responses_fast_path_accepts_the_model_accepts_and_echoes_alike(body: dict[str, Any]) -> None:
    fast, slow = both_ways(read_responses, body, responses_module, "certainly_valid_responses")
    assert fast == slow
    if certainly_valid_responses(body) and isinstance(fast[-1], dict):  # answered, not refused by the face
        assert_echoed_as_the_model_dumps(body, fast[-1])


def assert_echoed_as_the_model_dumps(body: dict[str, Any], answered: dict[str, Any]) -> None:
    """The settings a response echoes are the model's values, in its order (as before the fast path)."""
    params = validate(ResponseCreateParams, body)
    tools = [list(t.model_dump(exclude_none=True).items()) for t in params.tools or ()]
    assert [list(t.items()) for t in answered["tools"]] == tools
    assert repr(answered["temperature"]) == repr(params.temperature if params.temperature is not None else 1.0)
    assert repr(answered["top_p"]) == repr(params.top_p if params.top_p is not None else 1.0)
