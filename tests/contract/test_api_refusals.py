"""The API's own 400s: requests whose fields parse but break one of the API's rules get its status, error
type and message text, on the wire and as the official SDK's exception; their valid neighbours pass.

docs/requests.md lists every rule with where its wording comes from; the few written in the API's style
because no source quotes them are marked there as unconfirmed.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest

from tests.conftest import http_call

MODEL = "claude-sonnet-4-6"  # the catalogue gives it 128,000 output tokens at most
SCENARIO = {"rules": [{"reply": "Fine."}]}
INTERLEAVED = {"anthropic-beta": "interleaved-thinking-2025-05-14"}
CACHE = {"type": "ephemeral"}
PNG = "iVBORw0KGgo="


def req(**fields: Any) -> dict[str, Any]:
    """A valid body, changed by ``fields``."""
    return {"model": MODEL, "max_tokens": 256, "messages": [{"role": "user", "content": "Hi"}], **fields}


def user(*blocks: Any) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def assistant(content: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


def text(value: str, **fields: Any) -> dict[str, Any]:
    return {"type": "text", "text": value, **fields}


def tool(name: str = "lookup", **fields: Any) -> dict[str, Any]:
    return {"name": name, "input_schema": {"type": "object"}, **fields}


def tool_use(id_: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": id_, "name": "lookup", "input": {}}


def tool_result(id_: str, content: Any = "done") -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": id_, "content": content}


def image(source: dict[str, Any]) -> dict[str, Any]:
    return {"type": "image", "source": source}


def document(source: dict[str, Any]) -> dict[str, Any]:
    return {"type": "document", "source": source}


THINKING = {"type": "enabled", "budget_tokens": 1024}
MEDIA_TYPES = "Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"

# (id, body, request headers, exact error.message). Every one is 400 invalid_request_error.
REFUSED: list[tuple[str, dict[str, Any], dict[str, str], str]] = [
    # ---- message content
    ("empty-text-block", req(messages=[user(text(""))]), {}, "messages: text content blocks must be non-empty"),
    (
        "blank-text-block",
        req(messages=[user(text("  \n"))]),
        {},
        "messages: text content blocks must contain non-whitespace text",
    ),
    (
        "empty-text-in-a-tool-result",
        req(messages=[user(text("Go")), assistant([tool_use("toolu_1")]), user(tool_result("toolu_1", [text("")]))]),
        {},
        "messages: text content blocks must be non-empty",
    ),
    (
        "empty-user-turn",
        req(messages=[{"role": "user", "content": ""}]),
        {},
        "messages.0: all messages must have non-empty content except for the optional final assistant message",
    ),
    (
        "final-assistant-text-ends-in-whitespace",
        req(messages=[user(text("Name a colour.")), assistant("The colour is ")]),
        {},
        "messages: final assistant content cannot end with trailing whitespace",
    ),
    (
        "final-assistant-block-ends-in-a-newline",
        req(messages=[user(text("Name a colour.")), assistant([text("The colour is\n")])]),
        {},
        "messages: final assistant content cannot end with trailing whitespace",
    ),
    # ---- tool_use and tool_result pairs
    (
        "tool-result-answering-no-tool-use",
        req(messages=[user(tool_result("toolu_404"))]),
        {},
        "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_404. "
        "Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
    ),
    (
        "tool-result-answering-another-turns-tool-use",
        req(
            messages=[
                user(text("Go")),
                assistant([tool_use("toolu_1")]),
                user(tool_result("toolu_1")),
                assistant([text("Again?")]),
                user(text("Yes"), tool_result("toolu_1")),
            ]
        ),
        {},
        "messages.4.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_1. "
        "Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
    ),
    (
        "duplicate-tool-use-ids",
        req(
            messages=[
                user(text("Twice")),
                assistant([tool_use("toolu_1"), tool_use("toolu_1")]),
                user(tool_result("toolu_1")),
            ]
        ),
        {},
        "messages.1.content.1: tool_use ids must be unique",
    ),
    # ---- tools and tool_choice
    (
        "thinking-with-tool-choice-any",
        req(max_tokens=4096, thinking=THINKING, tools=[tool()], tool_choice={"type": "any"}),
        {},
        "Thinking may not be enabled when tool_choice forces tool use.",
    ),
    (
        "adaptive-thinking-with-a-named-tool-choice",
        req(thinking={"type": "adaptive"}, tools=[tool()], tool_choice={"type": "tool", "name": "lookup"}),
        {},
        "Thinking may not be enabled when tool_choice forces tool use.",
    ),
    (
        "tool-choice-without-tools",
        req(tool_choice={"type": "any"}),
        {},
        "tool_choice may only be specified while providing tools.",
    ),
    (
        "tool-choice-naming-an-absent-tool",
        req(tools=[tool("lookup")], tool_choice={"type": "tool", "name": "search"}),
        {},
        "tool_choice.name: no tool named 'search' in `tools`",
    ),
    ("duplicate-tool-names", req(tools=[tool("lookup"), tool("lookup")]), {}, "tools: Tool names must be unique."),
    (
        "tool-name-with-a-dot",
        req(tools=[tool("files.read")]),
        {},
        "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'",
    ),
    (
        "custom-tool-without-input-schema",
        req(tools=[{"name": "lookup", "description": "Looks things up."}]),
        {},
        "tools.0.custom.input_schema: Field required",
    ),
    (
        "server-tool-with-another-name",
        req(tools=[{"type": "web_search_20250305", "name": "search"}]),
        {},
        "tools.0.web_search_20250305.name: Input should be 'web_search'",
    ),
    (
        "computer-tool-without-its-display",
        req(tools=[{"type": "computer_20251124", "name": "computer"}]),
        {},
        "tools.0.computer_20251124.display_width_px: Field required",
    ),
    # ---- cache_control
    (
        "five-cache-breakpoints",
        req(
            system=[text("Be brief.", cache_control=CACHE), text("Be kind.", cache_control=CACHE)],
            tools=[tool(cache_control=CACHE)],
            messages=[user(text("Hi", cache_control=CACHE))],
            cache_control=CACHE,
        ),
        {},
        "A maximum of 4 blocks with cache_control may be provided. Found 5.",
    ),
    (
        "cache-control-ttl-of-two-hours",
        req(system=[text("Be brief.", cache_control={"type": "ephemeral", "ttl": "2h"})]),
        {},
        "system.0.cache_control.ttl: Input should be '5m' or '1h'",
    ),
    # ---- images and documents
    (
        "image-of-media-type-bmp",
        req(messages=[user(image({"type": "base64", "media_type": "image/bmp", "data": PNG}))]),
        {},
        f"messages.0.content.0.image.source.base64.media_type: {MEDIA_TYPES}",
    ),
    (
        "image-of-media-type-bmp-in-a-tool-result",
        req(
            messages=[
                user(text("Look")),
                assistant([tool_use("toolu_1")]),
                user(tool_result("toolu_1", [image({"type": "base64", "media_type": "image/bmp", "data": PNG})])),
            ]
        ),
        {},
        f"messages.2.content.0.tool_result.content.0.image.source.base64.media_type: {MEDIA_TYPES}",
    ),
    (
        "image-base64-without-data",
        req(messages=[user(image({"type": "base64", "media_type": "image/png"}))]),
        {},
        "messages.0.content.0.image.source.base64.data: Field required",
    ),
    (
        "image-url-without-url",
        req(messages=[user(image({"type": "url"}))]),
        {},
        "messages.0.content.0.image.source.url.url: Field required",
    ),
    (
        "image-file-without-file-id",
        req(messages=[user(image({"type": "file"}))]),
        {},
        "messages.0.content.0.image.source.file.file_id: Field required",
    ),
    (
        "pdf-without-data",
        req(messages=[user(document({"type": "base64", "media_type": "application/pdf"}))]),
        {},
        "messages.0.content.0.document.source.base64.data: Field required",
    ),
    (
        "document-url-without-url",
        req(messages=[user(document({"type": "url"}))]),
        {},
        "messages.0.content.0.document.source.url.url: Field required",
    ),
    (
        "document-file-without-file-id",
        req(messages=[user(document({"type": "file"}))]),
        {},
        "messages.0.content.0.document.source.file.file_id: Field required",
    ),
    (
        "text-document-without-data",
        req(messages=[user(document({"type": "text", "media_type": "text/plain"}))]),
        {},
        "messages.0.content.0.document.source.text.data: Field required",
    ),
    # ---- top-level fields
    (
        "metadata-user-id-a-number",
        req(metadata={"user_id": 42}),
        {},
        "metadata.user_id: Input should be a valid string",
    ),
    (
        "max-tokens-above-the-models-limit",
        req(max_tokens=128_001),
        {},
        f"max_tokens: 128001 > 128000, which is the maximum allowed number of output tokens for {MODEL}",
    ),
    (
        "max-tokens-of-ten-million",
        req(model="anthropic/claude-opus-4.6", max_tokens=10_000_000),
        {},
        "max_tokens: 10000000 > 128000, which is the maximum allowed number of output tokens for "
        "anthropic/claude-opus-4.6",
    ),
    ("bogus-service-tier", req(service_tier="priority"), {}, "service_tier: Input should be 'auto' or 'standard_only'"),
    (
        "bogus-effort",
        req(output_config={"effort": "extreme"}),
        {},
        "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'",
    ),
    (
        "bogus-output-format",
        req(output_config={"format": {"type": "json_object"}}),
        {},
        "output_config.format.type: Input should be 'json_schema'",
    ),
    (
        "output-format-without-schema",
        req(output_config={"format": {"type": "json_schema"}}),
        {},
        "output_config.format.schema: Field required",
    ),
    (
        "bogus-thinking-display",
        req(thinking={"type": "adaptive", "display": "full"}),
        {},
        "thinking.adaptive.display: Input should be 'summarized', 'omitted' or 'updates'",
    ),
    (
        "budget-at-max-tokens-without-the-interleaved-beta",
        req(max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 4096}),
        {},
        "`max_tokens` must be greater than `thinking.budget_tokens`",
    ),
    # ---- max_tokens: 0 warms the cache and generates nothing; what would generate is refused
    (
        "cache-warming-streamed",
        req(max_tokens=0, stream=True),
        {},
        "`max_tokens` may only be set to 0 when `stream` is false",
    ),
    (
        "cache-warming-with-thinking",
        req(max_tokens=0, thinking=THINKING),
        {},
        "`max_tokens` may only be set to 0 when thinking is not enabled",
    ),
    (
        "cache-warming-with-an-output-format",
        req(max_tokens=0, output_config={"format": {"type": "json_schema", "schema": {"type": "object"}}}),
        {},
        "`max_tokens` may only be set to 0 without `output_config.format`",
    ),
    (
        "cache-warming-forcing-a-tool",
        req(max_tokens=0, tools=[tool()], tool_choice={"type": "any"}),
        {},
        "`max_tokens` may only be set to 0 when tool_choice does not force tool use",
    ),
]

# Neighbours of the refusals that the API accepts.
ACCEPTED: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    (
        "budget-above-max-tokens-under-the-interleaved-beta",
        req(max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 4096}),
        INTERLEAVED,
    ),
    ("max-tokens-at-the-models-limit", req(max_tokens=128_000), {}),
    ("max-tokens-of-ten-million-for-a-model-without-a-limit", req(model="zai/glm-4.7", max_tokens=10_000_000), {}),
    ("tool-choice-none-without-tools", req(tool_choice={"type": "none"}), {}),
    (
        "tool-choice-auto-with-thinking",
        req(thinking={"type": "adaptive"}, tools=[tool()], tool_choice={"type": "auto"}),
        {},
    ),
    (
        "four-cache-breakpoints",
        req(
            system=[text("Be brief.", cache_control=CACHE)],
            tools=[tool(cache_control=CACHE)],
            messages=[user(text("Hi", cache_control=CACHE))],
            cache_control={"type": "ephemeral", "ttl": "1h"},
        ),
        {},
    ),
    (
        "final-assistant-prefill-without-trailing-space",
        req(messages=[user(text("Hi")), assistant("The colour is")]),
        {},
    ),
    ("empty-final-assistant-prefill", req(messages=[user(text("Hi")), assistant("")]), {}),
    ("image-from-a-url", req(messages=[user(image({"type": "url", "url": "https://example.invalid/a.png"}))]), {}),
    ("tool-name-of-128-characters", req(tools=[tool("t" * 128)]), {}),
    ("metadata-user-id-null", req(metadata={"user_id": None}), {}),
    ("service-tier-standard-only", req(service_tier="standard_only"), {}),
]


def send(url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return http_call(f"{url}/v1/messages", json_body=body, headers=headers)


@pytest.fixture
def gw(gateway):
    return gateway(SCENARIO)


@pytest.fixture
def client(gw):
    with anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0) as c:
        yield c


@pytest.mark.parametrize(("body", "headers", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_on_the_wire_with_the_apis_text(gw, body, headers, message):
    response = send(gw.url, body, headers)
    assert response.status == 400, response.body[:300]
    assert response.json() == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": message},
        "request_id": response.headers["request-id"],
    }


@pytest.mark.parametrize(("body", "headers", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_as_bad_request_error_in_the_sdk(client, body, headers, message):
    # The SDK's own request path and error mapping, for bodies its typed methods would refuse to build.
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.post(
            "/v1/messages",
            cast_to=object,
            content=json.dumps(body).encode(),
            options={"headers": {"content-type": "application/json", **headers}},
        )
    assert caught.value.status_code == 400
    assert caught.value.body["error"] == {"type": "invalid_request_error", "message": message}


@pytest.mark.parametrize(("body", "headers"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted_neighbours(gw, body, headers):
    response = send(gw.url, body, headers)
    assert response.status == 200, response.body[:300]


def test_typed_sdk_call_breaking_a_rule_raises_bad_request_error(client):
    # Through messages.create itself, as a caller's bug would reach the API.
    with pytest.raises(anthropic.BadRequestError, match="tools: Tool names must be unique"):
        client.messages.create(**req(tools=[tool(), tool()]))
    with pytest.raises(anthropic.BadRequestError, match="Thinking may not be enabled when tool_choice forces"):
        client.messages.create(**req(max_tokens=4096, thinking=THINKING, tools=[tool()], tool_choice={"type": "any"}))


def test_budget_above_max_tokens_through_the_sdks_interleaved_thinking_beta(client):
    message = client.beta.messages.create(
        **req(max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 4096}),
        betas=["interleaved-thinking-2025-05-14"],
    )
    assert message.content[0].type == "text"


# ---------------------------------------------------------------- max_tokens: 0 pre-warms the cache


def test_cache_warming_answers_with_no_content(gw):
    response = send(gw.url, req(max_tokens=0, system=[text("A long prompt.", cache_control=CACHE)]), {})
    assert response.status == 200
    message = response.json()
    assert message["content"] == []
    assert message["stop_reason"] == "max_tokens"
    assert message["usage"]["output_tokens"] == 0
    assert message["usage"]["input_tokens"] > 0


def test_cache_warming_through_the_sdk(client):
    message = client.messages.create(**req(max_tokens=0))
    assert message.content == []
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 0


def test_count_tokens_applies_the_same_rules(gw, client):
    body = {"model": MODEL, "messages": [user(text(""))]}
    response = http_call(f"{gw.url}/v1/messages/count_tokens", json_body=body)
    assert response.status == 400
    assert response.json()["error"]["message"] == "messages: text content blocks must be non-empty"
    with pytest.raises(anthropic.BadRequestError, match="tools: Tool names must be unique"):
        client.messages.count_tokens(model=MODEL, messages=[user(text("Hi"))], tools=[tool(), tool()])


def test_a_batchs_betas_apply_to_its_requests(gateway):
    # A budget above max_tokens is refused in a batch as on /v1/messages, unless the batch carries the beta.
    gw = gateway(SCENARIO)
    over = {"custom_id": "over", "params": req(max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 4096})}
    with anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0) as client:
        plain = client.messages.batches.create(requests=[over])
        (refused,) = client.messages.batches.results(plain.id)
        beta = client.beta.messages.batches.create(requests=[over], betas=["interleaved-thinking-2025-05-14"])
        (answered,) = client.beta.messages.batches.results(beta.id)
    assert refused.result.type == "errored"
    assert refused.result.error.error.message == "`max_tokens` must be greater than `thinking.budget_tokens`"
    assert answered.result.type == "succeeded"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param([{"type": "image_url", "image_url": {"url": "data:image/svg+xml;base64,PHN2Zz4="}}], id="svg"),
        pytest.param([{"type": "file", "file": {"file_data": "data:text/csv;base64,YSxi"}}], id="csv-file"),
    ],
)
def test_what_an_openai_face_translates_into_a_refused_shape_is_a_400_in_openais_shape(gw, content):
    # The OpenAI faces read requests into the Messages shape; what that shape refuses is the client's 400.
    body = {"model": "openai/gpt-5", "messages": [{"role": "user", "content": content}]}
    response = http_call(f"{gw.url}/v1/chat/completions", json_body=body)
    assert response.status == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("Invalid request: messages.0.content.0.")
