"""AI SDK answers prepared ahead (faces/aisdk/prepared.py) are the face's own bytes.

For every literal reply of every bundled scenario (and of a scenario using every block type), and for calls
that ask different things of it, the prepared answer must equal what the full path (honour, compose,
``generate_result``, ``stream_schedule``) makes for the same seed: the ``doGenerate`` JSON, every stream
frame with its delay, faults included, the journal's answer, the counts the generation record keeps, and the
seeded generator's state afterwards (so later ids repeat too). Calls the full path would answer differently
must not get the prepared answer.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from mockgw.core.answer import Ids, Reply, compose
from mockgw.core.answer_summary import answer_summary_of
from mockgw.core.engine import Engine, scripted
from mockgw.core.schedule import ScheduleItem
from mockgw.faces.aisdk.language_model import (
    LanguageModelRequest,
    generate_result,
    paced,
    parse_language_model,
    stream_schedule,
)
from mockgw.faces.aisdk.prepared import PreparedCall, aisdk_prepared, prepare_call
from mockgw.faces.anthropic.asks import honour_request
from mockgw.faces.openai.stream import dumps
from mockgw.scenario.loader import load_scenario_data
from mockgw.scenario.schema import Fault, Scenario, Timing
from tests.prepared_cases import answers, scenarios

MODEL = "anthropic/claude-sonnet-4.5"
TIMESTAMP = "2026-12-05T01:02:03.456Z"
EVERY_BLOCK = {
    "name": "every-block",
    "seed": 3,
    "rules": [
        {"name": "text", "match": {"last_user": {"contains": "text"}}, "reply": 'Héllo "quoted" \\ ✓ 😀\n'},
        {
            "name": "thinking-tool",
            "reply": [
                {"thinking": "The user wants weather."},
                {"thinking": "Signed by the scenario.", "signature": "EqQBscripted"},
                {"redacted_thinking": None},
                {"text": "Let me look."},
                {"tool_use": {"name": "get_weather", "input": {"city": "Paris", "days": 1.5, "exp": 1e-05}}},
                {"tool_use": {"name": "lookup", "input": {"q": "x"}, "id": "call_scripted"}},
            ],
            "usage": {"input_tokens": 42},
        },
        {
            "name": "search",
            "reply": [
                {"server_tool_use": {"input": {"query": "mockgw"}}},
                {"web_search_tool_result": {"results": [{"url": "https://example.test/", "title": "Example"}]}},
                {"text": "Found it."},
            ],
            "timing": {"chunk_chars": 3, "jitter_ms": 5, "chunk_ms": 10},
        },
        {"name": "refusal", "reply": "No.", "stop_reason": "refusal"},
        {"name": "empty", "reply": ""},
        {
            "name": "steps",
            "sequence": [{"reply": "first"}, {"error": {"status": 529}}, {"reply": "last", "stop_reason": "end_turn"}],
            "usage": {"output_tokens": 3},
        },
        {"name": "templated", "reply": "It is {{ faker.word }} for {{ request.model }}."},
    ],
}
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather of a city",
    "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
LOOKUP = {"type": "function", "name": "lookup", "inputSchema": {"type": "object", "properties": {"q": {}}}}


def options(**extra: Any) -> dict[str, Any]:
    """AI SDK call options as @ai-sdk/gateway posts them (tests/fixtures/aisdk/generate.json)."""
    return {
        "toolChoice": {"type": "auto"},
        "prompt": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    } | extra


# What a call can ask that changes (or not) a scripted answer: (model, call options).
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "plain": (MODEL, options()),
    "model-to-escape": ('we"ird\\model', options()),
    "model-unicode": ("modèle-☃", options()),
    "always-thinks": ("anthropic/claude-opus-5.5", options()),
    "tools-auto": (MODEL, options(tools=[WEATHER, LOOKUP])),
    "tools-auto-reasoning": (MODEL, options(tools=[WEATHER, LOOKUP], reasoning="high")),
    "tools-none": (MODEL, options(tools=[WEATHER, LOOKUP], toolChoice={"type": "none"})),
    "tools-required": (MODEL, options(tools=[WEATHER, LOOKUP], toolChoice={"type": "required"})),
    "tools-forced": (MODEL, options(tools=[WEATHER, LOOKUP], toolChoice={"type": "tool", "toolName": "lookup"})),
    "reasoning": (MODEL, options(reasoning="medium")),
    "reasoning-none": (MODEL, options(reasoning="none")),
    "anthropic-thinking": (MODEL, options(providerOptions={"anthropic": {"thinking": {"type": "enabled"}}})),
    "max-output-1": (MODEL, options(maxOutputTokens=1)),
    "max-output-10": (MODEL, options(maxOutputTokens=10)),
    "stop-sequences": (MODEL, options(stopSequences=["e", "t", "zzz"])),
    "stop-elsewhere": (MODEL, options(stopSequences=["never-in-a-reply"])),
    "stop-elsewhere-reasoning": (MODEL, options(stopSequences=["never-in-a-reply"], reasoning="low")),
    "json-output": (MODEL, options(responseFormat={"type": "json", "schema": {"type": "object"}})),
    "fallbacks": (MODEL, options(providerOptions={"gateway": {"models": ["openai/gpt-5"]}})),
}
TIMINGS = {"as-scripted": None, "jitter": Timing(ttft_ms=5, chunk_ms=7, jitter_ms=3, chunk_chars=5)}
FAULTS = [
    Fault(after_events=3, disconnect=True),
    Fault(after_events=4, error={"type": "overloaded_error"}),
    Fault(stall_ms=20),
    Fault(after_events=100, error={"type": "api_error", "message": "late"}),
]


def call_of(name: str) -> tuple[str, LanguageModelRequest]:
    model, body = VARIANTS[name]
    return model, parse_language_model(body, {"ai-language-model-id": model}, "default")


def metadata(input_tokens: int, output_tokens: int, generation_id: str) -> dict[str, Any]:
    """Provider metadata made per request, as the route's: it reads the counts and the generation id."""
    cost = f"{(input_tokens * 3 + output_tokens * 15) / 10**6:.8f}"
    return {"gateway": {"routing": {"note": "ünïcode ✓"}, "cost": cost, "generationId": generation_id}}


Made = tuple[bytes, list[ScheduleItem], dict[str, Any], tuple[Any, ...], object]


def full_path(scenario: Scenario, reply: Reply, name: str, timing: Timing, fault: Fault | None, seed: int) -> Made:
    """What server/aisdk.py makes without prepared answers: body, stream, journal answer, counts, rng state."""
    model, call = call_of(name)
    view = call.view(model)
    rng = random.Random(seed)
    ids = Ids(rng)
    ctx = Engine(scenario).context(view)
    honoured, notes = honour_request(reply, view, ctx=ctx, rng=rng)
    assert not notes  # a prepared answer is used only when the call changes nothing
    answer = compose(
        honoured,
        input_chars=view.input_chars,
        ctx=ctx,
        ids=ids,
        tool_id=ids.call,
        max_tokens=call.max_tokens,
        stop=call.stop,
    )
    generation_id = ids.generation()
    meta = metadata(answer.input_tokens, answer.output_tokens, generation_id)
    body = dumps(generate_result(answer, meta)).encode()
    frames = list(
        stream_schedule(
            answer,
            response_id=generation_id,
            model=model,
            timestamp=TIMESTAMP,
            provider_metadata=meta,
            timing=timing,
            rng=rng,
            fault=fault,
        )
    )
    counts = (generation_id, answer.input_tokens, answer.output_tokens, answer.reasoning_tokens, answer.stop_reason)
    return body, frames, answer_summary_of(answer), counts, rng.getstate()


def prepared_path(prepared: PreparedCall, name: str, timing: Timing, fault: Fault | None, seed: int) -> Made:
    model, call = call_of(name)
    view = call.view(model)
    rng = random.Random(seed)
    made = prepared.answer(lambda: view.input_chars, Ids(rng))
    meta = metadata(made.input_tokens, made.output_tokens, made.generation_id)
    body = made.body(meta)
    frames = list(paced(made.events(model, TIMESTAMP, meta), timing, rng, fault))
    counts = (made.generation_id, made.input_tokens, made.output_tokens, made.reasoning_tokens, made.stop_reason)
    return body, frames, made.summary(), counts, rng.getstate()


def fits(prepared: PreparedCall, name: str) -> bool:
    model, call = call_of(name)
    return prepared.fits(call.view(model), model, call.max_tokens, call.stop)


@pytest.mark.parametrize("scenario", scenarios(EVERY_BLOCK))
def test_prepared_answers_are_the_faces_bytes(scenario: Scenario) -> None:
    compared = 0
    for label, reply, scripted_timing in answers(scenario):
        prepared = prepare_call(reply, scripted_timing)
        if prepared is None:
            continue
        wanted = "reasoning" if prepared.thinking else "plain"  # a model that is not thinking sends none
        assert fits(prepared, wanted), f"{label}: a {wanted} call must get the prepared answer"
        for variant in VARIANTS:
            if not fits(prepared, variant):
                continue
            for timing_name, other in TIMINGS.items():
                timing = scripted_timing if other is None else other
                if (timing.chunk_chars or 16) != prepared.chunk_chars:
                    prepared = prepare_call(reply, timing)
                    assert prepared is not None
                for seed in (1, 2):
                    expected = full_path(scenario, reply, variant, timing, None, seed)
                    got = prepared_path(prepared, variant, timing, None, seed)
                    assert got == expected, f"{label}, {variant}, {timing_name}, seed {seed}"
                    compared += 1
    literal = [label for label, reply, timing in answers(scenario) if prepare_call(reply, timing)]
    assert compared >= len(literal)


@pytest.mark.parametrize("fault", FAULTS, ids=repr)
def test_a_faulted_stream_is_the_faces_bytes(fault: Fault) -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    for label, reply, timing in answers(scenario):
        prepared = prepare_call(reply, timing)
        if prepared is None:
            continue
        variant = "reasoning" if prepared.thinking else "plain"
        got = prepared_path(prepared, variant, timing, fault, 7)
        assert got == full_path(scenario, reply, variant, timing, fault, 7), label


@pytest.mark.parametrize(
    ("variant", "wanted"),
    [
        ("plain", False),  # no reasoning asked: the scripted thinking is left out
        ("reasoning", True),
        ("reasoning-none", False),
        ("anthropic-thinking", True),
        ("always-thinks", True),  # a model that always thinks shows the scripted thinking unasked
        ("tools-auto", False),  # thinking left out: the call asks for no reasoning
        ("tools-auto-reasoning", True),
        ("tools-none", False),  # the tool calls are left out
        ("tools-required", False),  # a forced choice moves or makes the call
        ("tools-forced", False),
        ("max-output-1", False),  # the budget cuts the reply
        ("stop-sequences", False),
        ("stop-elsewhere-reasoning", True),
        ("model-to-escape", False),  # JSON escapes the name in response-metadata
        ("model-unicode", False),
    ],
)
def test_a_call_that_would_change_the_reply_gets_the_full_path(variant: str, wanted: bool) -> None:
    # The thinking-tool rule: thinking, text and two tool calls.
    _, reply, timing = answers(load_scenario_data(EVERY_BLOCK, "<every-block>"))[1]
    prepared = prepare_call(reply, timing)
    assert prepared is not None
    assert fits(prepared, variant) is wanted


def test_templates_json_and_generated_input_are_not_prepared() -> None:
    scenario = load_scenario_data(
        {
            "rules": [
                {"reply": "It is {{ faker.word }}."},
                {"reply": [{"json": {"a": 1}}]},
                {"reply": [{"tool_use": {"name": "get_weather", "input": "auto"}}]},
                {"reply": "literal"},
            ]
        },
        "<mixed>",
    )
    prepared = aisdk_prepared(scenario)
    assert len(prepared) == 1
    reply, timing = scripted(scenario.rules[3], scenario.rules[3], scenario.defaults.timing)
    assert prepared.get(3, None, reply, timing) is not None


def test_no_marker_is_left_in_a_prepared_answer() -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    for _, reply, timing in answers(scenario):
        prepared = prepare_call(reply, timing)
        if prepared is None:
            continue
        got = prepared_path(prepared, "reasoning", timing, None, 1)
        wire = got[0] + b"".join(getattr(item, "data", b"") for item in got[1])
        assert re.search(rb"Mgw[0-9a-f]{16}", wire) is None
