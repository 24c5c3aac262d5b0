"""The wire itself: SSE framing and order, headers, ids, and every endpoint besides /v1/messages' content.

Streams are read as raw bytes (``http_call``) so nothing between us and the wire can forgive a mistake; the
endpoints that the SDK wraps (count_tokens, models) are also called through the official Python SDK.
"""

from __future__ import annotations

import json
import re
from typing import Any

import anthropic
import pytest

from tests.conftest import assert_event_order, body, http_call, sse_frames, user

WEATHER_INPUT = {"city": "Paris", "unit": "celsius", "days": 3}
THINKING_TEXT_TOOL = {
    "rules": [
        {
            "reply": [
                {"thinking": "The user wants the forecast, so I will call the weather tool for Paris."},
                {"text": "Let me check the forecast for you."},
                {"tool_use": {"name": "get_weather", "input": WEATHER_INPUT}},
            ]
        }
    ]
}
THINKING_BODY = body("forecast?", max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 1024})


@pytest.fixture
def stream(gateway) -> list[tuple[str, dict[str, Any]]]:
    """The frames of a thinking + text + tool_use reply, streamed."""
    gw = gateway(THINKING_TEXT_TOOL, seed=5)
    response = http_call(f"{gw.url}/v1/messages", json_body={**THINKING_BODY, "stream": True})
    assert response.status == 200
    return sse_frames(response.body)


def block_deltas(frames: list[tuple[str, dict[str, Any]]], index: int) -> list[dict[str, Any]]:
    return [d["delta"] for n, d in frames if n == "content_block_delta" and d["index"] == index]


# ---------------------------------------------------------------- SSE framing and order


def test_every_frame_has_an_event_line_naming_its_data_type(stream):
    assert all(name == data["type"] for name, data in stream)


def test_events_follow_the_documented_order(stream):
    assert assert_event_order(stream).count("b") == 3


def test_stream_carries_a_ping(stream):
    assert ("ping", {"type": "ping"}) in stream


def test_block_indexes_count_up_from_zero_and_deltas_belong_to_the_open_block(stream):
    starts = [d["index"] for n, d in stream if n == "content_block_start"]
    assert starts == [0, 1, 2]
    open_index = None
    for name, data in stream:
        if name == "content_block_start":
            assert open_index is None
            open_index = data["index"]
        elif name == "content_block_delta":
            assert data["index"] == open_index
        elif name == "content_block_stop":
            assert data["index"] == open_index
            open_index = None
    assert open_index is None


def test_block_starts_are_empty_shells(stream):
    starts = [d["content_block"] for n, d in stream if n == "content_block_start"]
    assert starts[0] == {"type": "thinking", "thinking": "", "signature": ""}
    assert starts[1] == {"type": "text", "text": ""}
    assert {k: v for k, v in starts[2].items() if k != "id"} == {"type": "tool_use", "name": "get_weather", "input": {}}


def test_usage_is_in_message_start_and_in_message_delta(stream, gateway):
    start = next(d for n, d in stream if n == "message_start")["message"]
    delta = next(d for n, d in stream if n == "message_delta")
    gw = gateway(THINKING_TEXT_TOOL, seed=5)
    whole = http_call(f"{gw.url}/v1/messages", json_body=THINKING_BODY).json()

    assert start["content"] == [] and start["stop_reason"] is None
    assert start["usage"]["input_tokens"] == whole["usage"]["input_tokens"]
    assert start["usage"]["output_tokens"] >= 1
    assert delta["usage"]["output_tokens"] == whole["usage"]["output_tokens"]
    assert delta["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}


def test_tool_input_arrives_only_as_input_json_fragments(stream):
    deltas = block_deltas(stream, 2)
    assert {d["type"] for d in deltas} == {"input_json_delta"}
    assert len(deltas) >= 2
    assert json.loads("".join(d["partial_json"] for d in deltas)) == WEATHER_INPUT


def test_thinking_deltas_come_first_then_one_signature(stream):
    deltas = block_deltas(stream, 0)
    assert [d["type"] for d in deltas[:-1]] == ["thinking_delta"] * (len(deltas) - 1)
    assert deltas[-1]["type"] == "signature_delta" and deltas[-1]["signature"]
    assert "".join(d["thinking"] for d in deltas[:-1]).startswith("The user wants the forecast")


def test_text_arrives_as_text_deltas(stream):
    deltas = block_deltas(stream, 1)
    assert {d["type"] for d in deltas} == {"text_delta"}
    assert "".join(d["text"] for d in deltas) == "Let me check the forecast for you."


def test_ids_have_the_api_prefixes(stream):
    message_id = next(d for n, d in stream if n == "message_start")["message"]["id"]
    tool_id = next(d for n, d in stream if n == "content_block_start" and d["index"] == 2)["content_block"]["id"]
    assert re.fullmatch(r"msg_01\w{22}", message_id)
    assert re.fullmatch(r"toolu_01\w{22}", tool_id)


def test_stream_headers(gateway):
    gw = gateway(THINKING_TEXT_TOOL)
    response = http_call(f"{gw.url}/v1/messages", json_body=body(stream=True))
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    ("stream_flag", "accept", "content_type"),
    [
        (True, "application/json", "text/event-stream; charset=utf-8"),  # what every SDK sends when streaming
        (False, "text/event-stream", "application/json"),
        (None, "text/event-stream", "application/json"),
    ],
)
def test_format_follows_the_body_stream_flag_not_accept(gateway, stream_flag, accept, content_type):
    gw = gateway(THINKING_TEXT_TOOL)
    extra = {} if stream_flag is None else {"stream": stream_flag}
    response = http_call(f"{gw.url}/v1/messages", json_body=body(**extra), headers={"accept": accept})
    assert response.status == 200
    assert response.headers["content-type"] == content_type


# ---------------------------------------------------------------- headers and echoes on every answer


@pytest.mark.parametrize(
    ("method", "path", "payload", "status"),
    [
        ("POST", "/v1/messages", body(), 200),
        ("POST", "/v1/messages", body(stream=True), 200),
        ("POST", "/v1/messages", {"model": "m"}, 400),
        ("POST", "/v1/messages/count_tokens", body(), 200),
        ("GET", "/v1/models", None, 200),
        ("GET", "/v1/models/no-such-model", None, 404),
        ("GET", "/no/such/path", None, 404),
        ("GET", "/v1/messages", None, 405),
        ("GET", "/", None, 200),
        ("HEAD", "/", None, 200),
        ("GET", "/health", None, 200),
    ],
)
def test_every_answer_has_a_request_id_header(gateway, method, path, payload, status):
    gw = gateway(THINKING_TEXT_TOOL)
    response = http_call(f"{gw.url}{path}", method, json_body=payload)
    assert response.status == status
    assert re.fullmatch(r"req_\w+", response.headers["request-id"])


def test_error_body_carries_the_same_request_id_as_the_header(gateway):
    gw = gateway(THINKING_TEXT_TOOL)
    response = http_call(f"{gw.url}/v1/messages", json_body={"model": "m"})
    assert response.json()["request_id"] == response.headers["request-id"]


@pytest.mark.parametrize("model", ["claude-opus-4-8", "anthropic/claude-sonnet-4.5", "zai/glm-4.7", "my-own-model"])
@pytest.mark.parametrize("streamed", [False, True], ids=["json", "sse"])
def test_the_requested_model_is_echoed(gateway, model, streamed):
    gw = gateway(THINKING_TEXT_TOOL)
    response = http_call(f"{gw.url}/v1/messages", json_body=body(model=model, stream=streamed))
    message = sse_frames(response.body)[0][1]["message"] if streamed else response.json()
    assert message["model"] == model


def test_non_streamed_answer_is_json(gateway):
    gw = gateway(THINKING_TEXT_TOOL, seed=5)
    response = http_call(f"{gw.url}/v1/messages", json_body=THINKING_BODY)
    message = response.json()
    assert response.headers["content-type"] == "application/json"
    assert [b["type"] for b in message["content"]] == ["thinking", "text", "tool_use"]
    assert message["content"][2]["input"] == WEATHER_INPUT
    assert message["type"] == "message" and message["role"] == "assistant"
    assert message["stop_reason"] == "tool_use" and message["stop_sequence"] is None


@pytest.mark.parametrize(
    "path", ["/v1/messages?beta=true", "/v1/messages?beta=true&anything=else", "/v1/messages/count_tokens?beta=true"]
)
def test_query_string_is_ignored(gateway, path):
    gw = gateway(THINKING_TEXT_TOOL)
    response = http_call(f"{gw.url}{path}", json_body=body())
    assert response.status == 200


# ---------------------------------------------------------------- count_tokens


def sdk(gw: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0)


def test_count_tokens_matches_the_input_tokens_of_a_message(gateway):
    gw = gateway(THINKING_TEXT_TOOL)
    request = {
        "model": "claude-sonnet-4-6",
        "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
        "tools": [
            {"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
        ],
        "messages": [user("How warm is it in Paris today?")],
    }
    with sdk(gw) as client:
        counted = client.messages.count_tokens(**request)
        message = client.messages.create(max_tokens=64, **request)
    assert counted.input_tokens == message.usage.input_tokens > 0


def test_count_tokens_grows_with_the_input(gateway):
    gw = gateway(THINKING_TEXT_TOOL)
    with sdk(gw) as client:
        short = client.messages.count_tokens(model="claude-sonnet-4-6", messages=[user("hi")])
        long = client.messages.count_tokens(model="claude-sonnet-4-6", messages=[user("hi " * 400)])
    assert long.input_tokens > short.input_tokens >= 1


def test_count_tokens_answers_exactly_input_tokens(gateway):
    gw = gateway(THINKING_TEXT_TOOL)
    response = http_call(f"{gw.url}/v1/messages/count_tokens", json_body={"model": "m", "messages": [user("hi")]})
    assert response.status == 200
    assert list(response.json()) == ["input_tokens"]


# ---------------------------------------------------------------- models

SMALL_CATALOGUE = {
    "models": [
        {"id": "model-a", "display_name": "Model A"},
        "model-b",
        {"id": "model-c"},
        {"id": "model-d"},
        {"id": "model-e"},
    ],
    "rules": [{"reply": "ok"}],
}


@pytest.mark.parametrize(
    ("query", "ids", "has_more"),
    [
        ("", ["model-a", "model-b", "model-c", "model-d", "model-e"], False),
        ("limit=2", ["model-a", "model-b"], True),
        ("limit=2&after_id=model-b", ["model-c", "model-d"], True),
        ("limit=2&after_id=model-d", ["model-e"], False),
        ("after_id=model-e", [], False),
        ("limit=2&before_id=model-e", ["model-c", "model-d"], True),
        ("limit=2&before_id=model-c", ["model-a", "model-b"], False),
        ("limit=5&before_id=model-b", ["model-a"], False),
        ("limit=1000", ["model-a", "model-b", "model-c", "model-d", "model-e"], False),
        ("limit=2&beta=true", ["model-a", "model-b"], True),
    ],
)
def test_models_pages(gateway, query, ids, has_more):
    gw = gateway(SMALL_CATALOGUE)
    page = http_call(f"{gw.url}/v1/models?{query}", "GET").json()
    assert [m["id"] for m in page["data"]] == ids
    assert page["has_more"] is has_more
    assert page["first_id"] == (ids[0] if ids else None)
    assert page["last_id"] == (ids[-1] if ids else None)


def test_model_objects_have_the_api_shape(gateway):
    gw = gateway(SMALL_CATALOGUE)
    first = http_call(f"{gw.url}/v1/models?limit=2", "GET").json()["data"]
    created = first[0]["created_at"]
    # An id the catalogue does not know: no limits, lifecycle active, every capability key present.
    assert first[0] == {
        "type": "model",
        "id": "model-a",
        "display_name": "Model A",
        "created_at": created,
        "capabilities": first[0]["capabilities"],
        "deprecated_at": None,
        "lifecycle": "active",
        "line": None,
        "max_input_tokens": None,
        "max_tokens": None,
        "retires_at": None,
        # OpenAI's Model fields beside them (one shape both SDKs parse: tests/contract/test_models_both_sdks.py).
        "object": "model",
        "created": first[0]["created"],
        "owned_by": "mockgw",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created)
    assert first[1]["display_name"] == "model-b"  # no display name given: the id


@pytest.mark.parametrize("limit", ["0", "1001", "many"])
def test_models_limit_out_of_range_is_a_400(gateway, limit):
    gw = gateway(SMALL_CATALOGUE)
    response = http_call(f"{gw.url}/v1/models?limit={limit}", "GET")
    assert response.status == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.json()["error"]["message"].startswith("limit: ")


def test_sdk_auto_pagination_yields_every_model_once_in_order(gateway):
    gw = gateway()
    everything = http_call(f"{gw.url}/v1/models?limit=1000", "GET").json()["data"]
    with sdk(gw) as client:
        first = client.models.list(limit=5)
        paged = [m.id for m in client.models.list(limit=7)]
    assert first.has_more is True and len(first.data) == 5
    assert (first.first_id, first.last_id) == (first.data[0].id, first.data[-1].id)
    assert paged == [m["id"] for m in everything]
    assert len(paged) > 7  # more than one page was fetched


def test_builtin_catalogue_lists_both_spellings_of_claude_ids(gateway):
    gw = gateway()
    with sdk(gw) as client:
        ids = [m.id for m in client.models.list(limit=1000)]
    assert "claude-sonnet-4-5" in ids and "anthropic/claude-sonnet-4.5" in ids
    # Claude Code's gateway discovery keeps only these prefixes.
    assert all(i.startswith(("claude", "anthropic/")) for i in ids)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("model_id", ["claude-sonnet-4-5", "anthropic/claude-sonnet-4.5"])
def test_models_retrieve_both_spellings(gateway, model_id):
    gw = gateway()
    with sdk(gw) as client:
        model = client.models.retrieve(model_id)
    assert model.id == model_id
    assert model.type == "model"
    assert model.display_name == "Claude Sonnet 4.5"


def test_unknown_model_is_a_404_not_found(gateway):
    gw = gateway()
    response = http_call(f"{gw.url}/v1/models/claude-nonexistent-9", "GET")
    assert response.status == 404
    assert response.json()["error"] == {"type": "not_found_error", "message": "model: claude-nonexistent-9"}
    with sdk(gw) as client, pytest.raises(anthropic.NotFoundError):
        client.models.retrieve("claude-nonexistent-9")


def test_scenario_models_replace_the_catalogue(gateway):
    gw = gateway(SMALL_CATALOGUE)
    with sdk(gw) as client:
        assert [m.id for m in client.models.list()] == ["model-a", "model-b", "model-c", "model-d", "model-e"]
        assert client.models.retrieve("model-c").id == "model-c"
        with pytest.raises(anthropic.NotFoundError):
            client.models.retrieve("claude-sonnet-4-5")


def test_any_model_is_served_unless_the_scenario_is_strict(gateway):
    gw = gateway(SMALL_CATALOGUE)  # models listed, but not strict
    assert http_call(f"{gw.url}/v1/messages", json_body=body(model="not-listed")).status == 200


def test_strict_models_refuses_an_unlisted_model(gateway):
    gw = gateway({**SMALL_CATALOGUE, "strict_models": True})
    listed = http_call(f"{gw.url}/v1/messages", json_body=body(model="model-a"))
    unlisted = http_call(f"{gw.url}/v1/messages", json_body=body(model="claude-opus-4-8", stream=True))

    assert listed.status == 200
    assert unlisted.status == 404
    assert unlisted.json()["error"] == {"type": "not_found_error", "message": "model: claude-opus-4-8"}
    with sdk(gw) as client, pytest.raises(anthropic.NotFoundError, match="model: claude-opus-4-8"):
        client.messages.create(**body(model="claude-opus-4-8"))


# ---------------------------------------------------------------- info, health, unknown paths


def test_get_root_describes_the_server(gateway):
    gw = gateway(THINKING_TEXT_TOOL)
    response = http_call(f"{gw.url}/", "GET")
    info = response.json()
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert info["name"] == "mockgw"
    assert "POST /v1/messages" in info["endpoints"]


def test_head_root_is_200_without_a_body(gateway):
    # Claude Code sends HEAD / first; it must never see a 500.
    gw = gateway(THINKING_TEXT_TOOL)
    response = http_call(f"{gw.url}/", "HEAD")
    assert response.status == 200
    assert response.body == b""


def test_health(gateway):
    gw = gateway(THINKING_TEXT_TOOL)
    response = http_call(f"{gw.url}/health", "GET")
    assert response.status == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize(
    ("method", "path", "status", "error_type"),
    [
        ("GET", "/v2/messages", 404, "not_found_error"),
        ("POST", "/v1/complete", 404, "not_found_error"),
        ("GET", "/v1/messages", 405, "invalid_request_error"),
        ("DELETE", "/v1/models", 405, "invalid_request_error"),
        ("PUT", "/v1/messages/count_tokens", 405, "invalid_request_error"),
    ],
)
def test_unknown_paths_and_methods_get_anthropic_errors(gateway, method, path, status, error_type):
    gw = gateway(THINKING_TEXT_TOOL)
    response = http_call(f"{gw.url}{path}", method)
    error = response.json()
    assert response.status == status
    assert response.headers["content-type"] == "application/json"
    assert error["type"] == "error"
    assert error["error"]["type"] == error_type
    assert path in error["error"]["message"]
    assert error["request_id"] == response.headers["request-id"]
