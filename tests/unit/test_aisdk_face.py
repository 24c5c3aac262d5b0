"""The AI SDK face's pure parts: the call options into the neutral view, the result and stream parts, and the
gateway's own routing, prices and generations."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

import pytest

from mockgw.core.answer import Answer, ReasoningPart, TextPart, ToolCallPart
from mockgw.core.schedule import Frame
from mockgw.faces.aisdk.config import config_json
from mockgw.faces.aisdk.embedding import parse_embedding
from mockgw.faces.aisdk.language_model import finish_reason, generate_result, parse_language_model, stream_schedule
from mockgw.faces.openai.errors import OpenAIError
from mockgw.gateway.catalogue import builtin_models
from mockgw.gateway.generations import Generation, GenerationStore
from mockgw.gateway.pricing import price_of, usd
from mockgw.gateway.routing import Attempt, candidates, provider_for, retryable, routing
from mockgw.scenario.schema import Fault, StreamErrorSpec, Timing

HEADERS = {"ai-language-model-id": "anthropic/claude-sonnet-4.5", "ai-language-model-specification-version": "4"}


def call(prompt: list[dict[str, Any]], **options: Any) -> Any:
    return parse_language_model({"prompt": prompt, **options}, HEADERS, "default")


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}]}


TOOL_LOOP = [
    {"role": "system", "content": "Be brief."},
    user("weather in Oslo?"),
    {
        "role": "assistant",
        "content": [
            {"type": "reasoning", "text": "call it", "providerOptions": {"anthropic": {"signature": "sig"}}},
            {"type": "tool-call", "toolCallId": "c1", "toolName": "get_weather", "input": {"city": "Oslo"}},
        ],
    },
    {
        "role": "tool",
        "content": [
            {
                "type": "tool-result",
                "toolCallId": "c1",
                "toolName": "get_weather",
                "output": {"type": "text", "value": "sunny"},
            }
        ],
    },
]


def test_a_tool_loop_reads_as_the_messages_view() -> None:
    view = call(TOOL_LOOP).view()

    assert (view.system, view.turn, view.model) == ("Be brief.", 2, "anthropic/claude-sonnet-4.5")
    assert [(r.name, r.text) for r in view.tool_results] == [("get_weather", "sunny")]
    thinking, tool_use = view.params.messages[1].content
    assert (thinking.type, thinking.signature) == ("thinking", "sig")
    assert (tool_use.type, tool_use.input) == ("tool_use", {"city": "Oslo"})


def test_a_user_message_after_tool_results_starts_a_new_turn() -> None:
    view = call([*TOOL_LOOP, user("and tomorrow?")]).view()

    assert view.last_user == "and tomorrow?"
    assert [m.role for m in view.params.messages] == ["user", "assistant", "user", "user"]


@pytest.mark.parametrize(
    ("output", "text"),
    [
        ({"type": "json", "value": {"t": 18}}, '{"t": 18}'),
        ({"type": "error-text", "value": "boom"}, "boom"),
        ({"type": "content", "value": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}, "a\nb"),
        ({"type": "execution-denied"}, "Tool execution denied."),
    ],
)
def test_tool_outputs_are_read_as_text(output: dict[str, Any], text: str) -> None:
    prompt = [
        *TOOL_LOOP[:3],
        {"role": "tool", "content": [{"type": "tool-result", "toolCallId": "c1", "output": output}]},
    ]

    assert call(prompt).view().tool_result == text


@pytest.mark.parametrize(
    ("choice", "neutral"),
    [
        ({"type": "auto"}, {"type": "auto"}),
        ({"type": "required"}, {"type": "any"}),
        ({"type": "tool", "toolName": "get_weather"}, {"type": "tool", "name": "get_weather"}),
    ],
)
def test_tool_choice_in_the_neutral_vocabulary(choice: dict[str, str], neutral: dict[str, str]) -> None:
    tools = [{"type": "function", "name": "get_weather", "inputSchema": {"type": "object"}}]

    view = call([user("hi")], tools=tools, toolChoice=choice).view()

    assert view.tool_names == frozenset({"get_weather"})
    assert view.params.tool_choice is not None
    assert view.params.tool_choice.model_dump(exclude_none=True) == neutral


def test_a_fallback_model_gets_its_own_view() -> None:
    request = call([user("hi")], providerOptions={"gateway": {"models": ["openai/gpt-5"]}})

    assert request.gateway_options == {"models": ["openai/gpt-5"]}
    assert request.view("openai/gpt-5").model == "openai/gpt-5"


@pytest.mark.parametrize(
    ("body", "headers", "param"),
    [
        ({"prompt": []}, {}, "ai-language-model-id"),
        (
            {"prompt": []},
            {**HEADERS, "ai-language-model-specification-version": "9"},
            "ai-language-model-specification-version",
        ),
        ({"prompt": "hello"}, HEADERS, "prompt"),
        ({"prompt": [{"role": "robot", "content": []}]}, HEADERS, "prompt[0].role"),
        ({"prompt": [{"role": "user", "content": "hello"}]}, HEADERS, "prompt[0].content"),
        ({"prompt": [], "maxOutputTokens": 0}, HEADERS, "maxOutputTokens"),
        ({"prompt": [], "stopSequences": "END"}, HEADERS, "stopSequences"),
    ],
)
def test_malformed_calls_are_refused_naming_the_field(body: Any, headers: dict[str, str], param: str) -> None:
    with pytest.raises(OpenAIError) as raised:
        parse_language_model(body, headers, "default")

    assert (raised.value.status, raised.value.param) == (400, param)


@pytest.mark.parametrize(
    ("part_or_tool", "named"),
    [
        ({"type": "file", "mediaType": "image/bmp", "data": "AAAA"}, "media_type"),
        ({"type": "function", "name": "bad name!", "inputSchema": {"type": "object"}}, "tools.0.custom.name"),
    ],
)
def test_what_the_messages_models_refuse_is_a_400_naming_it(part_or_tool: dict[str, Any], named: str) -> None:
    # The call translates into a Messages request the models refuse: the gateway's 400, not a 500.
    if part_or_tool["type"] == "file":
        body: dict[str, Any] = {"prompt": [{"role": "user", "content": [part_or_tool]}]}
    else:
        body = {"prompt": [user("hi")], "tools": [part_or_tool]}
    with pytest.raises(OpenAIError) as raised:
        parse_language_model(body, HEADERS, "default")

    assert raised.value.status == 400 and named in raised.value.message


@pytest.mark.parametrize(
    ("stop_reason", "unified"),
    [
        ("end_turn", "stop"),
        ("tool_use", "tool-calls"),
        ("max_tokens", "length"),
        ("refusal", "content-filter"),
        ("pause_turn", "other"),
    ],
)
def test_finish_reasons(stop_reason: Any, unified: str) -> None:
    assert finish_reason(stop_reason) == {"unified": unified, "raw": stop_reason}


ANSWER = Answer(
    parts=(ReasoningPart("hmm", "sig"), TextPart("Hello there"), ToolCallPart("c1", "get_weather", {"city": "Oslo"})),
    stop_reason="tool_use",
    input_tokens=7,
    output_tokens=12,
    reasoning_tokens=1,
)


def test_the_generate_result_carries_content_usage_and_metadata() -> None:
    result = generate_result(ANSWER, {"gateway": {"cost": "0"}})

    assert result["content"] == [
        {"type": "reasoning", "text": "hmm", "providerMetadata": {"anthropic": {"signature": "sig"}}},
        {"type": "text", "text": "Hello there"},
        {"type": "tool-call", "toolCallId": "c1", "toolName": "get_weather", "input": '{"city":"Oslo"}'},
    ]
    assert result["usage"] == {
        "inputTokens": {"total": 7, "noCache": 7, "cacheRead": 0, "cacheWrite": 0},
        "outputTokens": {"total": 12, "text": 11, "reasoning": 1},
    }
    assert (result["finishReason"]["unified"], result["providerMetadata"], result["warnings"]) == (
        "tool-calls",
        {"gateway": {"cost": "0"}},
        [],
    )


def _parts(fault: Fault | None = None) -> list[dict[str, Any]]:
    frames = stream_schedule(
        ANSWER,
        response_id="gen_1",
        model="m",
        timestamp="2026-01-01T00:00:00.000Z",
        provider_metadata={},
        timing=Timing(chunk_chars=6),
        rng=random.Random(1),
        fault=fault,
    )
    return [json.loads(f.data.decode().removeprefix("data: ")) for f in frames if isinstance(f, Frame)]


def test_the_stream_parts_in_order() -> None:
    assert [p["type"] for p in _parts()] == [
        "stream-start",
        "response-metadata",
        "reasoning-start",
        "reasoning-delta",
        "reasoning-end",
        "text-start",
        "text-delta",
        "text-delta",
        "text-end",
        "tool-input-start",
        *["tool-input-delta"] * 3,
        "tool-input-end",
        "tool-call",
        "finish",
    ]
    deltas = [p["delta"] for p in _parts() if p["type"] == "tool-input-delta"]
    assert "".join(deltas) == '{"city":"Oslo"}'


def test_a_fault_ends_the_stream_with_an_error_part_and_no_finish() -> None:
    parts = _parts(Fault(after_events=3, error=StreamErrorSpec(type="overloaded_error", message="Overloaded")))

    assert [p["type"] for p in parts] == ["stream-start", "response-metadata", "reasoning-start", "error"]
    assert parts[-1]["error"] == {"message": "Overloaded", "type": "internal_server_error", "param": None, "code": None}


def test_embedding_calls_name_the_model_and_give_values() -> None:
    parsed = parse_embedding({"values": ["a b", "c"], "dimensions": 8}, {"ai-model-id": "openai/x"}, "default")
    assert (parsed.model, parsed.texts, parsed.dimensions, parsed.view.last_user) == (
        "openai/x",
        ("a b", "c"),
        8,
        "a b\nc",
    )
    for body in ({"values": []}, {"values": [1]}, {"values": ["a"], "dimensions": 0}):
        with pytest.raises(OpenAIError):
            parse_embedding(body, {"ai-model-id": "openai/x"}, "default")


def test_fallback_candidates_and_providers() -> None:
    options = {"models": ["b", "a", "c"], "order": ["bedrock", "vertex"], "only": ["vertex", "anthropic"]}

    assert candidates("a", options) == ("a", "b", "c")
    assert provider_for("anthropic/x", options) == "vertex"  # the first of order that only allows
    assert provider_for("anthropic/x", {}) == "anthropic"  # the model's creator
    assert [s for s in (400, 404, 408, 409, 429, 500, 503) if retryable(s)] == [408, 409, 429, 500, 503]


def test_routing_reports_each_model_tried() -> None:
    report = routing("x/a", [Attempt("x/a", False, 503), Attempt("x/b", True)], {})

    assert (report["originalModelId"], report["canonicalSlug"], report["modelAttemptCount"]) == ("x/a", "x/b", 2)
    assert [a["success"] for a in report["modelAttempts"]] == [False, True]
    assert report["planningReasoning"] == "Served by x/b after x/a failed"


def test_prices_by_line_as_plain_decimal_strings() -> None:
    price = price_of("anthropic/claude-opus-4.5")
    assert price is not None
    assert (usd(price.input), usd(price.output), usd(price.cache_read)) == ("0.000005", "0.000025", "0.0000005")
    assert price_of("claude-fable-5") is None and price_of("openai/gpt-5") is None


def test_config_lists_the_gateway_spellings_with_types() -> None:
    models = config_json(builtin_models())["models"]

    assert all("/" in m["id"] for m in models)
    assert {m["modelType"] for m in models} == {"language", "embedding"}
    fable = next(m for m in models if m["id"] == "anthropic/claude-fable-5")
    assert "pricing" not in fable  # no published price: left out, as the schema allows


def _generation(n: int, model: str = "anthropic/claude-haiku-4.5") -> Generation:
    return Generation(f"gen_{n}", model, "anthropic", 0.0, False, "stop", 1000, 1000, 0, 1.0, 2.0)


def test_generations_are_bounded_and_credits_add_up() -> None:
    store = GenerationStore(limit=2)
    for n in range(3):
        store.add(_generation(n))

    assert store.get("gen_0") is None and store.get("gen_2") is not None
    assert _generation(0).cost == Decimal("0.006")  # 1000 × $1/M + 1000 × $5/M
    assert store.credits() == {"balance": "99.982", "total_used": "0.018"}


def test_body_predicates_read_the_call_as_sent() -> None:
    view = call([user("hi")], temperature=0.2)

    assert view.view().json_body["temperature"] == 0.2
