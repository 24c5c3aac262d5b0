"""Every OpenAI face's errors, as the openai SDK sees them: the exception class, the body, the retry headers.

The gateway answers in OpenAI's error shape, ``{"error": {"message", "type", "param", "code"}}``, with its own
types (``rate_limit_exceeded``, ``model_not_found``…); the SDK picks its exception class from the status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
import pytest

from tests.conftest import GatewayFactory, http_call

MODEL = "openai/gpt-5"

Call = Callable[[openai.OpenAI], Any]

CALLS: dict[str, Call] = {
    "openai-chat": lambda c: c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}]),
    "openai-responses": lambda c: c.responses.create(model=MODEL, input="hi"),
    "openai-embeddings": lambda c: c.embeddings.create(model=MODEL, input="hi"),
}
STREAMS: dict[str, Call] = {
    "openai-chat": lambda c: list(
        c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True)
    ),
}


def client(gw: Any, key: str = "sk-test") -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=key, max_retries=0)


@pytest.mark.parametrize("face", sorted(CALLS))
@pytest.mark.parametrize(
    ("status", "exception", "error_type"),
    [
        (400, openai.BadRequestError, "invalid_request_error"),
        (403, openai.PermissionDeniedError, "forbidden"),
        (404, openai.NotFoundError, "not_found"),
        (429, openai.RateLimitError, "rate_limit_exceeded"),
        (500, openai.InternalServerError, "internal_server_error"),
        (529, openai.InternalServerError, "internal_server_error"),
    ],
)
def test_a_scripted_error_is_the_sdks_exception_class(
    gateway: GatewayFactory, face: str, status: int, exception: type[openai.APIStatusError], error_type: str
) -> None:
    gw = gateway({"rules": [{"error": {"status": status, "message": "scripted"}}]})
    with pytest.raises(exception) as caught:
        CALLS[face](client(gw))
    assert caught.value.status_code == status
    assert caught.value.body == {"message": "scripted", "type": error_type, "param": None, "code": None}


@pytest.mark.parametrize("face", sorted(CALLS))
def test_a_bad_key_is_an_authentication_error(gateway: GatewayFactory, face: str) -> None:
    gw = gateway({"auth": {"keys": ["sk-good"]}, "rules": [{"reply": "hi"}]})
    with pytest.raises(openai.AuthenticationError) as caught:
        CALLS[face](client(gw, "sk-bad"))
    assert isinstance(caught.value.body, dict) and caught.value.body["type"] == "authentication_error"


@pytest.mark.parametrize("face", sorted(CALLS))
def test_an_unknown_model_under_strict_models_is_model_not_found(gateway: GatewayFactory, face: str) -> None:
    gw = gateway({"models": ["anthropic/claude-sonnet-4.5"], "strict_models": True, "rules": [{"reply": "hi"}]})
    with pytest.raises(openai.NotFoundError) as caught:
        CALLS[face](client(gw))
    assert caught.value.body == {
        "message": f"Model '{MODEL}' not found",
        "type": "model_not_found",
        "param": {"modelId": MODEL},
        "code": None,
    }


@pytest.mark.parametrize("face", sorted(CALLS))
def test_a_rate_limit_carries_retry_headers_the_sdk_waits_for(gateway: GatewayFactory, face: str) -> None:
    gw = gateway({"rules": [{"sequence": [{"error": {"status": 429, "retry_after": 0.01}}, {"reply": "hi"}]}]})
    CALLS[face](openai.OpenAI(base_url=gw.url + "/v1", api_key="k", max_retries=1))
    first, second = gw.journal[0], gw.journal[1]
    assert (first.status, second.status) == (429, 200)


def test_a_rate_limit_answer_has_the_openai_apis_headers(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"error": {"status": 429, "retry_after": 2.5}}]})
    answer = http_call(
        f"{gw.url}/v1/chat/completions", json_body={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
    )
    assert answer.status == 429
    sent = {
        name: answer.headers.get(name) for name in ("retry-after", "retry-after-ms", "x-ratelimit-remaining-requests")
    }
    assert sent == {"retry-after": "3", "retry-after-ms": "2500", "x-ratelimit-remaining-requests": "0"}


@pytest.mark.parametrize("face", sorted(STREAMS))
def test_a_mid_stream_error_raises_api_error(gateway: GatewayFactory, face: str) -> None:
    gw = gateway({"rules": [{"reply": "x" * 200, "fault": {"after_events": 3, "error": {"type": "overloaded_error"}}}]})
    with pytest.raises(openai.APIError) as caught:
        STREAMS[face](client(gw))
    assert "Internal server error" in str(caught.value)
    assert gw.journal.last.events[-1] == "error"


@pytest.mark.parametrize("face", sorted(CALLS))
def test_no_rule_matched_is_a_400_that_says_why_and_is_not_retried(gateway: GatewayFactory, face: str) -> None:
    gw = gateway({"rules": [{"match": {"last_user": "never"}, "reply": "x"}]})
    with pytest.raises(openai.BadRequestError, match="no rule matched"):
        CALLS[face](openai.OpenAI(base_url=gw.url + "/v1", api_key="k", max_retries=3))
    assert len(gw.journal) == 1


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"model": MODEL}, "messages", "missing_required_parameter"),
        ({"messages": [{"role": "user", "content": "hi"}]}, "model", "missing_required_parameter"),
        ({"model": MODEL, "messages": []}, "messages", "empty_array"),
        ({"model": MODEL, "messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role", "invalid_value"),
        ({"model": MODEL, "messages": [{"role": "user", "content": 7}]}, "messages[0].content", "invalid_type"),
        ({"model": MODEL, "messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id", None),
    ],
)
def test_bad_chat_requests_get_the_apis_400(gateway: GatewayFactory, body: Any, param: str, code: str | None) -> None:
    raw = http_call(gateway({"rules": [{"reply": "x"}]}).url + "/v1/chat/completions", json_body=body)
    assert raw.status == 400
    error = raw.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert code is None or error["code"] == code


def test_a_body_that_is_not_json_is_an_openai_shaped_400(gateway: GatewayFactory) -> None:
    raw = http_call(gateway().url + "/v1/chat/completions", body=b"{not json")
    assert raw.status == 400
    assert raw.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/chat/completions", {"model": MODEL, "messages": "hi"}, "messages"),
        (
            "/v1/chat/completions",
            {"model": MODEL, "messages": [{"role": "user", "content": [7]}]},
            "messages[0].content",
        ),
        ("/v1/chat/completions", {"model": MODEL, "messages": [], "stream_options": 7}, "messages"),
        ("/v1/chat/completions", {"model": MODEL, "messages": [{"role": "user", "content": "x"}], "n": 2}, "n"),
        (
            "/v1/chat/completions",
            {"model": MODEL, "messages": [{"role": "user", "content": "x"}], "stream_options": 7},
            "stream_options",
        ),
        (
            "/v1/responses",
            {"model": MODEL, "input": [{"type": "function_call_output", "call_id": "c", "output": 7}]},
            "input[0].output",
        ),
        ("/v1/responses", {"model": MODEL, "input": [{"role": "user", "content": 7}]}, "input[0].content"),
        ("/v1/responses", {"model": MODEL, "input": [{"type": "function_call"}]}, "input[0]"),
        ("/v1/responses", {"model": MODEL, "input": "x", "previous_response_id": 7}, "previous_response_id"),
        ("/v1/embeddings", {"model": MODEL, "input": [1, "a"]}, "input"),
        ("/v1/embeddings", {"model": MODEL, "input": "x", "encoding_format": "hex"}, "encoding_format"),
        ("/v1/embeddings", {"model": MODEL, "input": "x", "dimensions": 0}, "dimensions"),
    ],
)
def test_malformed_bodies_get_a_400_naming_the_field_never_a_500(
    gateway: GatewayFactory, path: str, body: Any, param: str
) -> None:
    raw = http_call(gateway({"rules": [{"reply": "x"}]}).url + path, json_body=body)
    assert raw.status == 400
    assert raw.json()["error"]["type"] == "invalid_request_error"
    assert raw.json()["error"]["param"] == param


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/v1/chat/completions", 405), ("GET", "/v1/responses/resp_123", 404), ("GET", "/v1/embeddings", 405)],
)
def test_paths_no_handler_answers_under_the_openai_faces_get_openai_shaped_errors(
    gateway: GatewayFactory, method: str, path: str, status: int
) -> None:
    raw = http_call(gateway().url + path, method)
    assert raw.status == status
    assert set(raw.json()["error"]) == {"message", "type", "param", "code"}
    assert raw.headers["x-request-id"].startswith("req_")


def test_other_paths_keep_the_anthropic_shape(gateway: GatewayFactory) -> None:
    raw = http_call(gateway().url + "/v1/nothing-here", "GET")
    assert raw.status == 404
    assert raw.json()["type"] == "error"
