"""Bad requests get the real API's status, error type and message text; unknown fields are accepted.

Each case is checked twice: on the raw wire (status, ``error.type``, exact ``error.message``), and through
the official Python SDK, which must raise the exception class it raises against the real API.
"""

from __future__ import annotations

import http.client
import inspect
import json
from typing import Any

import anthropic
import pytest

from tests.conftest import http_call

MODEL = "claude-sonnet-4-6"
SCENARIO = {"rules": [{"reply": "Fine."}]}
MAX_BODY = 32 * 1024 * 1024


def req(**fields: Any) -> dict[str, Any]:
    """A valid body, changed by ``fields`` (a value of ``...`` removes the field)."""
    base: dict[str, Any] = {"model": MODEL, "max_tokens": 256, "messages": [{"role": "user", "content": "Hi"}]}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


def thinking(budget: int = 1024, max_tokens: int = 4096, **fields: Any) -> dict[str, Any]:
    return req(max_tokens=max_tokens, thinking={"type": "enabled", "budget_tokens": budget}, **fields)


def tool_use(*ids: str) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"type": "tool_use", "id": i, "name": "lookup", "input": {}} for i in ids]}


def tool_results(*ids: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": i, "content": "done"} for i in ids]}


UNANSWERED = (
    "`tool_use` ids were found without `tool_result` blocks immediately after: {ids}. "
    "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
)

# (id, body as JSON or raw bytes, exact error message). All are 400 invalid_request_error.
INVALID: list[tuple[str, Any, str]] = [
    (
        "malformed-json",
        b'{"model": ',
        "The request body is not valid JSON: Expecting value: line 1 column 11 (char 10)",
    ),
    ("empty-body", b"", "The request body is not valid JSON: Expecting value: line 1 column 1 (char 0)"),
    ("body-is-a-list", [req()], "Input should be a valid dictionary or object to extract fields from"),
    ("body-is-a-string", "hello", "Input should be a valid dictionary or object to extract fields from"),
    ("body-is-null", None, "Input should be a valid dictionary or object to extract fields from"),
    ("model-missing", req(model=...), "model: Field required"),
    ("model-not-a-string", req(model=4), "model: Input should be a valid string"),
    ("max-tokens-missing", req(max_tokens=...), "max_tokens: Field required"),
    ("max-tokens-null", req(max_tokens=None), "max_tokens: Input should be a valid integer"),
    ("max-tokens-an-object", req(max_tokens={"n": 5}), "max_tokens: Input should be a valid integer"),
    # 0 is allowed (it pre-warms the prompt cache); below that is refused.
    ("max-tokens-negative", req(max_tokens=-1), "max_tokens: Input should be greater than or equal to 0"),
    ("messages-missing", req(messages=...), "messages: Field required"),
    ("messages-a-string", req(messages="Hi"), "messages: Input should be a valid list"),
    ("messages-an-object", req(messages={"role": "user"}), "messages: Input should be a valid list"),
    ("messages-empty", req(messages=[]), "messages: at least one message is required"),
    (
        "unknown-role",
        req(messages=[{"role": "robot", "content": "Hi"}]),
        "messages.0.role: Input should be 'user', 'assistant' or 'system'",
    ),
    ("role-missing", req(messages=[{"content": "Hi"}]), "messages.0.role: Field required"),
    ("content-missing", req(messages=[{"role": "user"}]), "messages.0.content: Field required"),
    (
        "block-text-not-a-string",
        req(messages=[{"role": "user", "content": [{"type": "text", "text": 7}]}]),
        "messages.0.content.0.text.text: Input should be a valid string",
    ),
    ("temperature-above-1", req(temperature=1.5), "temperature: Input should be less than or equal to 1"),
    ("temperature-below-0", req(temperature=-0.1), "temperature: Input should be greater than or equal to 0"),
    ("temperature-a-string", req(temperature="hot"), "temperature: Input should be a valid number"),
    (
        "budget-below-1024",
        thinking(budget=1000),
        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
    ),
    ("budget-missing", req(thinking={"type": "enabled"}), "thinking.enabled.budget_tokens: Field required"),
    (
        "budget-equals-max-tokens",
        thinking(budget=2048, max_tokens=2048),
        "`max_tokens` must be greater than `thinking.budget_tokens`",
    ),
    (
        "budget-above-max-tokens",
        thinking(budget=4096, max_tokens=2048),
        "`max_tokens` must be greater than `thinking.budget_tokens`",
    ),
    (
        "temperature-with-thinking",
        thinking(temperature=0.7),
        "`temperature` may only be set to 1 when thinking is enabled",
    ),
    (
        "temperature-with-adaptive-thinking",
        req(thinking={"type": "adaptive"}, temperature=0),
        "`temperature` may only be set to 1 when thinking is enabled",
    ),
    ("top-k-with-thinking", thinking(top_k=40), "`top_k` may not be set when thinking is enabled"),
    (
        "tool-use-answered-by-text",
        req(
            messages=[
                {"role": "user", "content": "Look it up"},
                tool_use("toolu_01A"),
                {"role": "user", "content": "?"},
            ]
        ),
        "messages.1: " + UNANSWERED.format(ids="toolu_01A"),
    ),
    (
        "tool-use-partly-answered",
        req(
            messages=[
                {"role": "user", "content": "Both"},
                tool_use("toolu_01A", "toolu_01B"),
                tool_results("toolu_01A"),
            ]
        ),
        "messages.1: " + UNANSWERED.format(ids="toolu_01B"),
    ),
    (
        "tool-use-answered-too-late",
        req(
            messages=[
                {"role": "user", "content": "Look it up"},
                tool_use("toolu_01A"),
                {"role": "user", "content": "wait"},
                {"role": "assistant", "content": "ok"},
                tool_results("toolu_01A"),
            ]
        ),
        "messages.1: " + UNANSWERED.format(ids="toolu_01A"),
    ),
]


def send(url: str, payload: Any, path: str = "/v1/messages") -> Any:
    if isinstance(payload, bytes):
        return http_call(f"{url}{path}", body=payload)
    return http_call(f"{url}{path}", body=json.dumps(payload).encode())


def sdk_post(client: anthropic.Anthropic, payload: Any, path: str = "/v1/messages") -> Any:
    """The SDK's own request path and error mapping, for bodies its typed methods would not send."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(path, cast_to=object, content=raw, options={"headers": {"content-type": "application/json"}})


@pytest.fixture
def gw(gateway):
    return gateway(SCENARIO)


@pytest.fixture
def client(gw):
    with anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0) as c:
        yield c


@pytest.mark.parametrize(("payload", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_request_on_the_wire(gw, payload, message):
    response = send(gw.url, payload)
    assert response.status == 400
    assert response.json() == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": message},
        "request_id": response.headers["request-id"],
    }


@pytest.mark.parametrize(("payload", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_request_raises_bad_request_error_in_the_sdk(client, payload, message):
    with pytest.raises(anthropic.BadRequestError) as caught:
        sdk_post(client, payload)
    assert caught.value.status_code == 400
    assert caught.value.body["error"] == {"type": "invalid_request_error", "message": message}
    assert caught.value.request_id == caught.value.body["request_id"]


def test_typed_sdk_call_with_a_bad_value_raises_bad_request_error(client):
    # The same refusal when the mistake goes through messages.create itself. SDK 2.x has no `temperature`
    # parameter any more, so it travels in extra_body, as a caller of the newest SDK would send it.
    with pytest.raises(anthropic.BadRequestError, match="temperature: Input should be less than or equal to 1"):
        client.messages.create(**req(), extra_body={"temperature": 1.5})
    with pytest.raises(anthropic.BadRequestError, match=r"thinking\.enabled\.budget_tokens: Input should be greater"):
        client.messages.create(**thinking(budget=1000))


def test_unknown_content_block_type_passes_through(gw, client):
    # Newer clients send block types newer than any mock knows: like unknown fields, they are accepted.
    payload = req(messages=[{"role": "user", "content": [{"type": "video", "url": "https://example.invalid/v"}]}])
    assert send(gw.url, payload).status == 200
    assert client.messages.create(**payload).content[0].type == "text"


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(thinking(temperature=1), id="temperature-1-with-thinking"),
        pytest.param(req(thinking={"type": "disabled"}, temperature=0.2, top_k=5), id="thinking-disabled"),
        pytest.param(req(temperature=0), id="temperature-0"),
        pytest.param(req(temperature=1), id="temperature-1"),
        pytest.param(thinking(budget=1024, max_tokens=1025), id="budget-just-under-max-tokens"),
        pytest.param(
            req(messages=[{"role": "user", "content": "Look"}, tool_use("toolu_01A"), tool_results("toolu_01A")]),
            id="tool-use-answered",
        ),
        pytest.param(
            req(
                messages=[
                    {"role": "user", "content": "Look"},
                    tool_use("toolu_01A"),
                    {"role": "system", "content": "A reminder in between."},
                    tool_results("toolu_01A"),
                ]
            ),
            id="tool-result-after-a-system-entry",
        ),
        pytest.param(
            req(messages=[{"role": "user", "content": "Hi"}, {"role": "system", "content": "Be brief."}]),
            id="system-role",
        ),
    ],
)
def test_valid_edge_cases_pass(gw, payload):
    assert send(gw.url, payload).status == 200


# ---------------------------------------------------------------- count_tokens validates the same way


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"model": MODEL}, "messages: Field required"),
        ({"messages": [{"role": "user", "content": "Hi"}]}, "model: Field required"),
        ({"model": MODEL, "messages": []}, "messages: at least one message is required"),
        (
            b"{",
            "The request body is not valid JSON: "
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
    ],
)
def test_count_tokens_validation(gw, client, payload, message):
    response = send(gw.url, payload, "/v1/messages/count_tokens")
    assert response.status == 400
    assert response.json()["error"] == {"type": "invalid_request_error", "message": message}
    with pytest.raises(anthropic.BadRequestError):
        sdk_post(client, payload, "/v1/messages/count_tokens")


def test_count_tokens_needs_no_max_tokens(gw):
    response = send(
        gw.url, {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]}, "/v1/messages/count_tokens"
    )
    assert response.status == 200


# ---------------------------------------------------------------- body size


def oversized_body() -> bytes:
    body = json.dumps(req(messages=[{"role": "user", "content": "x" * (MAX_BODY + 1024 * 1024)}])).encode()
    assert len(body) > MAX_BODY
    return body


TOO_LARGE = {"type": "request_too_large", "message": "Request exceeds the maximum size"}


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/count_tokens"])
def test_body_over_32_mb_is_413_request_too_large(gw, path):
    response = http_call(f"{gw.url}{path}", body=oversized_body())
    assert response.status == 413
    assert response.json()["error"] == TOO_LARGE
    assert response.headers["request-id"] == response.json()["request_id"]


def test_body_over_32_mb_raises_content_too_large_in_the_sdk(client):
    with pytest.raises(anthropic.ContentTooLargeError) as caught:
        sdk_post(client, oversized_body())
    assert anthropic.RequestTooLargeError is anthropic.ContentTooLargeError  # the SDK's older name for it
    assert caught.value.status_code == 413
    assert caught.value.body["error"] == TOO_LARGE


def test_body_of_just_under_32_mb_is_accepted(gw):
    text = "x" * (MAX_BODY - 1024)
    body = json.dumps(req(messages=[{"role": "user", "content": text}])).encode()
    assert len(body) <= MAX_BODY
    assert http_call(f"{gw.url}/v1/messages", body=body).status == 200


def test_chunked_body_over_the_limit_is_413(gw):
    # No Content-Length to go by: the server counts what arrives and stops past the limit.
    piece = b"x" * (1024 * 1024)
    head = b'{"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "'
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
    try:
        conn.request(
            "POST",
            "/v1/messages",
            body=iter([head, *([piece] * 33), b'"}]}']),
            headers={"content-type": "application/json"},
            encode_chunked=True,
        )
        response = conn.getresponse()
        status, error = response.status, json.loads(response.read())["error"]
    finally:
        conn.close()
    assert status == 413
    assert error == TOO_LARGE


def test_chunked_body_is_read_to_the_end(gw):
    # A body that arrives in many pieces is read whole, not just its first piece.
    text = "y" * (256 * 1024)
    payload = json.dumps(req(messages=[{"role": "user", "content": text}])).encode()
    pieces = [payload[i : i + 4096] for i in range(0, len(payload), 4096)]
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
    try:
        conn.request(
            "POST", "/v1/messages", body=iter(pieces), headers={"content-type": "application/json"}, encode_chunked=True
        )
        response = conn.getresponse()
        status = response.status
        response.read()
    finally:
        conn.close()
    assert status == 200
    assert gw.journal.last.body["messages"][0]["content"] == text


def test_content_length_over_the_limit_is_refused_before_the_body_is_read(gw):
    # Announce 40 MB, send a few bytes: an answer can only come from the Content-Length alone.
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
    try:
        conn.putrequest("POST", "/v1/messages")
        conn.putheader("content-type", "application/json")
        conn.putheader("content-length", str(40 * 1024 * 1024))
        conn.endheaders(b'{"model": "claude-sonnet-4-6"')
        response = conn.getresponse()
        status, error = response.status, json.loads(response.read())["error"]
    finally:
        conn.close()
    assert status == 413
    assert error == TOO_LARGE
    # Let the server see the closed connection before the gateway stops (it was waiting for the rest).
    assert http_call(f"{gw.url}/health", "GET").status == 200


# ---------------------------------------------------------------- unknown fields are accepted everywhere

WITH_UNKNOWN_FIELDS = {
    "model": MODEL,
    "max_tokens": 256,
    "a_field_from_2030": {"anything": [1, 2, 3]},
    "service_tier": "auto",
    "container": None,
    "mcp_servers": [],
    "output_config": {"effort": "high", "future_knob": 1},
    "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
    "metadata": {"user_id": "u-1", "new_meta": True},
    "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral", "ttl": "1h"}, "x": 1}],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True, "new_choice_field": "y"},
    "thinking": {"type": "adaptive", "display": "omitted"},
    "tools": [
        {
            "name": "lookup",
            "description": "Looks things up.",
            "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
            "cache_control": {"type": "ephemeral"},
            "strict": True,
            "eager_input_streaming": True,
            "tool_field_from_the_future": [],
        },
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
    ],
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "Look it up", "citations": None, "block_extra": 1}]},
        {
            "role": "assistant",
            "message_extra": "kept",
            "content": [
                {"type": "thinking", "thinking": "Use the tool.", "signature": "", "thinking_extra": 2},
                {
                    "type": "tool_use",
                    "id": "toolu_01A",
                    "name": "lookup",
                    "input": {"q": "x"},
                    "caller": {"type": "direct"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_01A",
                    "content": [{"type": "text", "text": "found", "nested_extra": True}],
                    "cache_control": {"type": "ephemeral"},
                    "result_extra": {},
                }
            ],
        },
    ],
}


@pytest.mark.parametrize("stream", [False, True])
def test_unknown_fields_are_accepted_everywhere(gw, stream):
    response = send(gw.url, {**WITH_UNKNOWN_FIELDS, "stream": stream})
    assert response.status == 200, response.body[:300]


def test_unknown_fields_are_accepted_through_the_sdk(client):
    # Whatever the SDK has no parameter for travels in extra_body, as a caller would send it.
    parameters = set(inspect.signature(client.messages.create).parameters)
    known = {k: v for k, v in WITH_UNKNOWN_FIELDS.items() if k in parameters}
    extra = {k: v for k, v in WITH_UNKNOWN_FIELDS.items() if k not in parameters}
    assert "a_field_from_2030" in extra
    message = client.messages.create(**known, extra_body=extra)
    assert message.content[0].type == "text"
