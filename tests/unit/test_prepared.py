"""Answers prepared at load (faces/anthropic/prepared.py) are the renderer's own bytes.

For every literal reply of every bundled scenario (and of a scenario using every block type), and for
requests that ask different things of it, the prepared answer must equal what the full path renders for the
same seed: the JSON body, every stream frame with its delay, and the seeded generator's state afterwards
(so later ids repeat too). Requests the full path would answer differently must not get the prepared one.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from mockgw.core.answer import Ids, Reply
from mockgw.core.engine import Engine, scripted
from mockgw.core.request import RequestView
from mockgw.core.schedule import ScheduleItem
from mockgw.faces.anthropic.asks import honour_request
from mockgw.faces.anthropic.parse import parse_message_request
from mockgw.faces.anthropic.prepared import PreparedAnswers, PreparedMessage, prepare_reply, prepared_answers
from mockgw.faces.anthropic.render import Limits, message_json, render_message, stream_schedule
from mockgw.faces.anthropic.summary import message_summary
from mockgw.scenario.loader import load_scenario_data
from mockgw.scenario.schema import Fault, Scenario, Timing
from tests.prepared_cases import NOT_LITERAL, answers, scenarios

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather of a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
LOOKUP_TOOL = {"name": "lookup", "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}
EVERY_BLOCK = {
    "name": "every-block",
    "seed": 3,
    "rules": [
        {"name": "text", "match": {"last_user": {"contains": "text"}}, "reply": 'Héllo "quoted" \\ ✓ 😀\n'},
        {
            "name": "thinking-tool",
            "match": {"last_user": {"contains": "tool"}},
            "reply": [
                {"thinking": "The user wants weather."},
                {"redacted_thinking": None},
                {"text": "Let me look."},
                {"tool_use": {"name": "get_weather", "input": {"city": "Paris", "days": 1.5, "exp": 1e-05}}},
                {"tool_use": {"name": "lookup", "input": {"q": "x"}, "id": "toolu_01scripted"}},
            ],
            "usage": {"input_tokens": 42, "cache_read_input_tokens": 7},
        },
        {
            "name": "search",
            "match": {"last_user": {"contains": "search"}},
            "reply": [
                {"server_tool_use": {"input": {"query": "mockgw"}}},
                {"web_search_tool_result": {"results": [{"url": "https://example.test/", "title": "Example"}]}},
                {"text": "Found it."},
            ],
            "timing": {"chunk_chars": 3, "jitter_ms": 5, "chunk_ms": 10},
        },
        {"name": "refusal", "match": {"last_user": {"contains": "refuse"}}, "reply": "No.", "stop_reason": "refusal"},
        {
            "name": "container",
            "reply": "Ran it.",
            "container": {"id": "container_011Cscripted", "expires_at": "2026-12-05T00:00:00.000000Z"},
        },
        {"name": "container-expiring", "reply": "Ran it.", "container": {}},
        {
            "name": "steps",
            "match": {"last_user": {"contains": "steps"}},
            "sequence": [{"reply": "first"}, {"error": {"status": 529}}, {"reply": "last", "stop_reason": "end_turn"}],
            "usage": {"output_tokens": 3},
        },
        {"name": "templated", "reply": "It is {{ faker.word }} for {{ request.model }}."},
    ],
}


def request(**extra: Any) -> dict[str, Any]:
    return {"model": "claude-sonnet-4-5", "max_tokens": 4096, "messages": [{"role": "user", "content": "hi"}], **extra}


# What a request can ask that changes (or not) a scripted answer.
VARIANTS: dict[str, dict[str, Any]] = {
    "plain": request(),
    "gateway-model": request(model="anthropic/claude-sonnet-4.5"),
    "model-to-escape": request(model='we"ird\\model'),
    "model-unicode": request(model="modèle-☃"),
    "tools-auto": request(tools=[WEATHER_TOOL, LOOKUP_TOOL], tool_choice={"type": "auto"}),
    "tools-none": request(tools=[WEATHER_TOOL, LOOKUP_TOOL], tool_choice={"type": "none"}),
    "tools-any": request(tools=[WEATHER_TOOL, LOOKUP_TOOL], tool_choice={"type": "any"}),
    "tools-forced": request(tools=[WEATHER_TOOL, LOOKUP_TOOL], tool_choice={"type": "tool", "name": "lookup"}),
    "one-call-only": request(
        tools=[WEATHER_TOOL, LOOKUP_TOOL], tool_choice={"type": "auto", "disable_parallel_tool_use": True}
    ),
    "thinking-on": request(thinking={"type": "enabled", "budget_tokens": 1024}),
    "thinking-off": request(thinking={"type": "disabled"}),
    "thinking-omitted": request(thinking={"type": "adaptive", "display": "omitted"}),
    "always-thinks": request(model="claude-opus-4-8"),
    "max-tokens-1": request(max_tokens=1),
    "max-tokens-10": request(max_tokens=10),
    "stop-sequences": request(stop_sequences=["e", "t", "zzz"]),
    "stop-elsewhere": request(stop_sequences=["never-in-a-reply"]),
    "container-named": request(container="container_011CnamedByTheRequest"),
    "context-edits": request(context_management={"edits": [{"type": "clear_tool_uses_20250919"}]}),
}
TIMINGS = {
    "as-scripted": None,
    "jitter": Timing(ttft_ms=5, chunk_ms=7, jitter_ms=3, chunk_chars=5),
}


def view_of(name: str) -> RequestView:
    """The request of a variant as the server sees it (faces/anthropic/parse: no wire model when it passes)."""
    body = VARIANTS[name]
    params = parse_message_request(body)
    return RequestView(params, data=body, exact_dump=params is None)


def full_path(
    scenario: Scenario, reply: Reply, view: RequestView, timing: Timing, fault: Fault | None, seed: int
) -> tuple[bytes, list[ScheduleItem], dict[str, Any], object]:
    """What server/routes.py renders without prepared answers: body, stream, journal answer, generator state."""
    rng = random.Random(seed)
    ctx = Engine(scenario).context(view)
    honoured, notes = honour_request(reply, view, ctx=ctx, rng=rng)
    assert not notes  # a prepared answer is used only when the request changes nothing
    message = render_message(
        honoured,
        model=view.model,
        input_chars=view.input_chars,
        limits=Limits(view.max_tokens, view.stop_sequences),
        ctx=ctx,
        ids=Ids(rng),
    )
    body = message_json(message)
    frames = stream_schedule(message, timing, rng, fault)
    return body, frames, message_summary(message), rng.getstate()


def prepared_path(
    prepared: PreparedMessage, view: RequestView, timing: Timing, fault: Fault | None, seed: int
) -> tuple[bytes, list[ScheduleItem], dict[str, Any], object]:
    rng = random.Random(seed)
    made = prepared.answer(view.model, lambda: view.input_chars, Ids(rng))
    return made.body(), list(made.schedule(timing, rng, fault)), made.summary(), rng.getstate()


@pytest.mark.parametrize("scenario", scenarios(EVERY_BLOCK))
def test_prepared_answers_are_the_renderers_bytes(scenario: Scenario) -> None:
    compared = 0
    for label, reply, scripted_timing in answers(scenario):
        prepared = prepare_reply(reply, scripted_timing)
        if prepared is None:
            continue
        wanted = "thinking-on" if prepared.thinking else "plain"  # a model that is not thinking sends none
        assert prepared.fits(view_of(wanted)), f"{label}: a {wanted} request must get the prepared answer"
        for variant in VARIANTS:
            if not prepared.fits(view_of(variant)):
                continue
            for timing_name, other in TIMINGS.items():
                timing = scripted_timing if other is None else other
                if (timing.chunk_chars or 16) != prepared.chunk_chars:
                    prepared = prepare_reply(reply, timing)
                    assert prepared is not None
                for seed in (1, 2):
                    expected = full_path(scenario, reply, view_of(variant), timing, None, seed)
                    got = prepared_path(prepared, view_of(variant), timing, None, seed)
                    assert got == expected, f"{label}, {variant}, {timing_name}, seed {seed}"
                    compared += 1
    literal = [label for label, reply, timing in answers(scenario) if prepare_reply(reply, timing)]
    assert compared >= len(literal)


@pytest.mark.parametrize(
    "fault",
    [
        Fault(after_events=3, disconnect=True),
        Fault(after_events=4, error={"type": "overloaded_error"}),
        Fault(stall_ms=20),
        Fault(after_events=100, error={"type": "api_error", "message": "late"}),
    ],
    ids=["disconnect", "error", "stall", "past-the-end"],
)
def test_a_fault_cuts_a_prepared_stream_where_it_cuts_a_rendered_one(fault: Fault) -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    for label, reply, timing in answers(scenario):
        prepared = prepare_reply(reply, timing)
        if prepared is not None:
            got = prepared_path(prepared, view_of("thinking-on"), timing, fault, 5)
            assert got == full_path(scenario, reply, view_of("thinking-on"), timing, fault, 5), label


@pytest.mark.parametrize(
    ("rule", "variant"),
    [
        ("thinking-tool", "tools-none"),
        ("thinking-tool", "tools-any"),
        ("thinking-tool", "tools-forced"),
        ("thinking-tool", "one-call-only"),
        ("thinking-tool", "thinking-off"),
        ("thinking-tool", "thinking-omitted"),
        ("text", "tools-any"),
        ("text", "max-tokens-1"),
        ("text", "stop-sequences"),
        ("text", "model-to-escape"),
        ("search", "tools-none"),
    ],
)
def test_a_request_that_changes_the_answer_takes_the_full_path(rule: str, variant: str) -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    reply, timing = next((r, t) for label, r, t in answers(scenario) if label == f"{rule}[None]")
    prepared = prepare_reply(reply, timing)
    assert prepared is not None
    assert not prepared.fits(view_of(variant))


@pytest.mark.parametrize(
    "rule", [*NOT_LITERAL.values(), {"reply": "Ran it.", "container": {}}], ids=[*NOT_LITERAL, "expiry-by-the-clock"]
)
def test_a_reply_made_per_request_is_not_prepared(rule: dict[str, Any]) -> None:
    scenario = load_scenario_data({"rules": [rule]}, "<one>")
    assert len(PreparedAnswers(scenario)) == 0


def test_prepared_answers_are_made_once_per_scenario_object() -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    assert prepared_answers(scenario) is prepared_answers(scenario)
    assert prepared_answers(scenario.model_copy()) is not prepared_answers(scenario)


def test_a_sequence_step_is_found_by_its_own_reply() -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    prepared = PreparedAnswers(scenario)
    index = next(i for i, r in enumerate(scenario.rules) if r.name == "steps")
    first, timing = scripted(scenario.rules[index], scenario.rules[index].sequence[0], scenario.defaults.timing)  # type: ignore[index]
    assert prepared.get(index, 0, first, timing) is not None
    assert prepared.get(index, 2, first, timing) is None  # another step's reply: not this one's bytes
    assert prepared.get(index, 1, None, timing) is None  # the error step


def test_a_scenario_of_thousands_of_rules_prepares_the_first_ones_only() -> None:
    scenario = load_scenario_data({"rules": [{"reply": f"answer {i}"} for i in range(5)]}, "<many>")
    prepared = PreparedAnswers(scenario, limit=3)
    assert len(prepared) == 3
    reply, timing = scripted(scenario.rules[4], scenario.rules[4], scenario.defaults.timing)
    assert prepared.get(4, None, reply, timing) is None  # answered by the full path, as before
