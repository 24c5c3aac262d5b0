"""The official TypeScript SDK (@anthropic-ai/sdk 1.17) against mockgw, through ts_sdk.mjs.

Node prints what the SDK made of each answer as JSON; these tests check it, and the journal shows what the
SDK sent. The client is configured from ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_TOKEN only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from mockgw.testing import MockGateway

GatewayFactory = Callable[..., MockGateway]
NodeRunner = Callable[..., Any]

PARIS = {"city": "Paris", "temperature_c": 18.5, "conditions": ["sunny", "light wind"]}
PARIS_JSON = json.dumps(PARIS)
SCENARIO = {
    "rules": [
        {
            "name": "weather-answer",
            "match": {"tool_result": {"name": "get_weather"}},
            "reply": "It is {{ request.tool_result }} in Paris.",
        },
        {
            "name": "weather-call",
            "match": {"tools": "get_weather"},
            "reply": [{"text": "Let me check."}, {"tool_use": {"name": "get_weather", "input": {"city": "Paris"}}}],
        },
        {
            "name": "thinking",
            "match": {"last_user": "think first"},
            "reply": [{"thinking": "Step by step, the answer is plain."}, {"text": "Thought it through."}],
        },
        {"name": "weather-json", "match": {"last_user": "Paris as JSON"}, "reply": PARIS_JSON},
        {"name": "wrong-json", "match": {"last_user": "Oslo as JSON"}, "reply": '{"city": "Oslo"}'},
        {
            "name": "cited",
            "match": {"last_user": "cite the facts"},
            "reply": [
                {"text": "Per the facts, "},
                {"text": "the sky is blue.", "citations": [{"document": 0, "quote": "The sky is blue."}]},
            ],
        },
        {"name": "order-json", "match": {"last_user": "An order as JSON"}, "reply": {"json": "auto"}},
        {"name": "hello", "reply": "Hello from mockgw, streamed in small pieces.", "timing": {"chunk_chars": 8}},
    ]
}
HELLO = "Hello from mockgw, streamed in small pieces."


@pytest.fixture
def gw(gateway: GatewayFactory) -> MockGateway:
    return gateway(SCENARIO)


def test_messages_create(gw: MockGateway, run_node: NodeRunner) -> None:
    message = run_node("ts_sdk.mjs", gw.env(), "create")

    assert (message["text"], message["stop_reason"], message["model"]) == (HELLO, "end_turn", "claude-sonnet-4-6")
    assert message["id"].startswith("msg_")
    assert message["usage"]["output_tokens"] > 0
    call = gw.journal.last
    assert (call.path, call.stream) == ("/v1/messages", False)
    assert call.headers["anthropic-version"] == "2026-10-21"
    assert "authorization" in call.headers and "x-api-key" not in call.headers  # Bearer, from the token


def test_messages_stream_final_message_folds_the_deltas(gw: MockGateway, run_node: NodeRunner) -> None:
    message = run_node("ts_sdk.mjs", gw.env(), "stream")

    assert message["text"] == HELLO
    assert message["deltas"] == ["Hello fr", "om mockg", "w, strea", "med in s", "mall pie", "ces."]
    assert message["stop_reason"] == "end_turn"
    assert gw.journal.last.stream is True


def test_streamed_and_created_messages_are_the_same(gw: MockGateway, run_node: NodeRunner) -> None:
    created = run_node("ts_sdk.mjs", gw.env(), "create")
    streamed = run_node("ts_sdk.mjs", gw.env(), "stream")

    def same(m: dict[str, Any]) -> tuple[Any, ...]:
        return (m["types"], m["text"], m["stop_reason"], m["usage"])

    assert same(created) == same(streamed)


def test_tool_round_trip(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ts_sdk.mjs", gw.env(), "tools")

    assert out["first"]["types"] == ["text", "tool_use"]
    assert out["first"]["stop_reason"] == "tool_use"
    assert out["call"]["name"] == "get_weather" and out["call"]["input"] == {"city": "Paris"}
    assert out["call"]["id"].startswith("toolu_")
    assert out["final"]["text"] == "It is 18°C and sunny in Paris."
    assert [e.rule for e in gw.journal] == ["weather-call", "weather-answer"]


def test_thinking_blocks_with_signatures_created_and_streamed(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ts_sdk.mjs", gw.env(), "thinking")

    for kind in ("created", "streamed"):
        message = out[kind]
        assert message["types"] == ["thinking", "text"]
        assert message["thinking"]["thinking"] == "Step by step, the answer is plain."
        assert message["thinking"]["signature"].startswith("EqQB")
        assert message["text"] == "Thought it through."
    assert out["thinking_deltas"] == "Step by step, the answer is plain."
    assert out["signature_event"] == out["streamed"]["thinking"]["signature"]


def test_thinking_display_omitted_created_and_streamed(gw: MockGateway, run_node: NodeRunner) -> None:
    out = run_node("ts_sdk.mjs", gw.env(), "thinking_omitted")

    for kind in ("created", "streamed"):
        message = out[kind]
        assert message["types"] == ["thinking", "text"]
        assert message["thinking"]["thinking"] == ""  # no text, as the API sends omitted thinking
        assert message["thinking"]["signature"].startswith("EqQB")
    assert out["thinking_deltas"] == ""  # no thinking_delta at all, only the signature_delta
    assert out["signature_event"] == out["streamed"]["thinking"]["signature"]
    assert gw.journal.last.body["thinking"] == {"type": "adaptive", "display": "omitted"}


def test_beta_messages_create(gw: MockGateway, run_node: NodeRunner) -> None:
    message = run_node("ts_sdk.mjs", gw.env(), "beta")

    assert message["text"] == HELLO
    call = gw.journal.last
    assert call.path.split("?")[0] == "/v1/messages"  # 1.17 sends no ?beta=true (older SDKs did)
    assert call.headers["anthropic-beta"] == "interleaved-thinking-2025-05-14"


def test_zod_output_format_parses_the_scripted_json_from_parse_and_stream(
    gw: MockGateway, run_node: NodeRunner
) -> None:
    result = run_node("ts_sdk.mjs", gw.env(), "parse")

    assert result["parsed"] == result["streamed"] == PARIS
    assert result["text"] == PARIS_JSON
    parsed, streamed, wrong = gw.journal
    assert (parsed.stream, streamed.stream, wrong.rule) == (False, True, "wrong-json")
    sent = parsed.body["output_config"]["format"]
    assert sent["type"] == "json_schema" and "parse" not in sent  # zod's parse function stays in the client
    assert set(sent["schema"]["properties"]) == set(PARIS)
    assert streamed.body["output_config"] == parsed.body["output_config"]
    # A reply that does not fit the schema fails in zod, in the client, with the SDK's own error class.
    assert result["failure"]["thrown"] == "AnthropicError"
    assert "Failed to parse structured output" in result["failure"]["message"]


def test_citations_are_folded_by_the_message_stream_equal_to_the_created_message(
    gw: MockGateway, run_node: NodeRunner
) -> None:
    result = run_node("ts_sdk.mjs", gw.env(), "citations")

    assert result["streamed"] == result["created"]
    assert result["seen"] == ["char_location"]
    cited = result["created"][1]["citations"][0]
    assert (cited["start_char_index"], cited["end_char_index"], cited["document_title"]) == (20, 36, "Facts")
    assert "citations" not in result["created"][0]  # uncited text carries none


def test_zod_output_format_parses_json_auto_generated_from_its_schema(gw: MockGateway, run_node: NodeRunner) -> None:
    result = run_node("ts_sdk.mjs", gw.env(), "parseAuto")

    sent = gw.journal.last.body["output_config"]["format"]["schema"]
    for kind in ("parsed", "streamed"):
        order = result[kind]
        assert order is not None, kind  # zod accepted it: parsed_output is null only for a message without text
        jsonschema.validate(order, sent)
        assert order["status"] in ("new", "paid", "shipped") and "@" in order["email"]
        assert 1 <= len(order["lines"]) <= 3 and all(1 <= line["quantity"] <= 9 for line in order["lines"])
    # The bounds went out as the quantity's description, not as keywords: json: auto read them there.
    assert '"description": "{minimum: 1, maximum: 9}"' in json.dumps(sent) and '"maximum"' not in json.dumps(sent)
    assert [e.rule for e in gw.journal] == ["order-json", "order-json"]


@pytest.mark.parametrize("variable", ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"])
def test_a_key_from_either_variable_is_sent_as_bearer(
    gateway: GatewayFactory, run_node: NodeRunner, variable: str
) -> None:
    gw = gateway(SCENARIO, api_keys=["sk-ts-test"])
    env = {"ANTHROPIC_BASE_URL": gw.url, variable: "sk-ts-test"}

    assert run_node("ts_sdk.mjs", env, "create")["text"] == HELLO
    assert "authorization" in gw.journal.last.headers and "x-api-key" not in gw.journal.last.headers


# Each status of the bundled `errors` scenario, and the SDK class it must raise (529 has its own).
ERRORS = {
    "400": ("BadRequestError", "invalid_request_error"),
    "401": ("AuthenticationError", "authentication_error"),
    "402": ("PaymentRequiredError", "billing_error"),
    "403": ("PermissionDeniedError", "permission_error"),
    "404": ("NotFoundError", "not_found_error"),
    "413": ("ContentTooLargeError", "request_too_large"),
    "429": ("RateLimitError", "rate_limit_error"),
    "500": ("InternalServerError", "api_error"),
    "504": ("GatewayTimeoutError", "timeout_error"),
    "529": ("OverloadedError", "overloaded_error"),
}


def test_each_error_status_raises_the_sdks_error_class(gateway: GatewayFactory, run_node: NodeRunner) -> None:
    gw = gateway("errors")

    out = run_node("ts_sdk.mjs", gw.env(), "errors", *ERRORS)

    assert {status: (e["thrown"], e["type"]) for status, e in out.items()} == ERRORS
    for status, error in out.items():
        assert error["status"] == int(status)
        assert {"APIError", "AnthropicError", error["thrown"]} <= set(error["is"])
        assert error["request_id"].startswith("req_")
    # 5xx classes share InternalServerError, as the SDK documents: catch that to catch them all.
    assert "InternalServerError" in out["529"]["is"] and "InternalServerError" in out["504"]["is"]
    assert len(gw.journal) == len(ERRORS)  # maxRetries: 0, one request per status


BATCHES_AND_FILES = {
    "rules": [
        {"match": {"custom_id": {"regex": "^fail-"}}, "error": {"status": 529}},
        {"match": {"file": {"contains": "deadline"}}, "reply": "The deadline is Friday."},
        {"reply": "Answer for {{ request.custom_id }}."},
    ]
}


def test_message_batches_through_the_typescript_sdk(gateway: GatewayFactory, run_node: NodeRunner) -> None:
    gw = gateway(BATCHES_AND_FILES)
    out = run_node("ts_sdk.mjs", gw.env(), "batches")

    assert out["created"]["processing_status"] == "in_progress"
    assert out["retrieved"]["processing_status"] == "ended"
    assert out["retrieved"]["request_counts"] == {
        "processing": 0,
        "succeeded": 1,
        "errored": 1,
        "canceled": 0,
        "expired": 0,
    }
    results = {line["custom_id"]: line["result"] for line in out["results"]}
    assert results["ok-1"]["message"]["content"][0]["text"] == "Answer for ok-1."
    assert results["fail-1"]["error"]["error"]["type"] == "overloaded_error"
    assert out["listed"] == [out["created"]["id"]]
    assert out["canceled"]["processing_status"] == "ended"  # already ended: unchanged
    assert out["deleted"] == {"id": out["created"]["id"], "type": "message_batch_deleted"}


def test_files_through_the_typescript_sdk(gateway: GatewayFactory, run_node: NodeRunner) -> None:
    gw = gateway(BATCHES_AND_FILES)
    out = run_node("ts_sdk.mjs", gw.env(), "files")

    uploaded = out["uploaded"]
    assert (uploaded["filename"], uploaded["mime_type"], uploaded["size_bytes"]) == ("notes.txt", "text/plain", 22)
    assert out["listed"] == [uploaded["id"]]
    assert out["metadata"] == uploaded
    assert out["text"] == "The deadline is Friday."
    assert out["deleted"] == {"id": uploaded["id"], "type": "file_deleted"}
    assert out["missing"] == {"thrown": "NotFoundError", "status": 404}
