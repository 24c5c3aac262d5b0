"""Chat completions prepared at load (faces/openai/prepared.py) are the full path's own bytes.

For every literal reply of every bundled scenario (and of a scenario using every block the chat API
carries), and for chat requests that ask different things of it, the prepared answer must equal what
server/openai.py composes and renders for the same seed: the JSON body, every chunk of the stream (with
``stream_options.include_usage`` off and on) with its delay, faults included, the journal's answer and the
seeded generator's state afterwards. Requests the full path would answer differently must not get it.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from mockgw.core.answer import Ids, Reply, compose
from mockgw.core.answer_summary import answer_summary_of
from mockgw.core.engine import Engine, scripted
from mockgw.core.schedule import ScheduleItem
from mockgw.faces.anthropic.asks import honour_request
from mockgw.faces.openai.chat import ChatRequest, chat_schedule, completion, parse_chat
from mockgw.faces.openai.prepared import PreparedChat, PreparedChats, prepare_chat, prepared_chats
from mockgw.scenario.loader import load_scenario_data
from mockgw.scenario.schema import Fault, Scenario, Timing
from mockgw.server.responses import json_body
from tests.prepared_cases import NOT_LITERAL, answers, scenarios

CREATED = 1764900000
EVERY_BLOCK = {
    "name": "every-block",
    "seed": 3,
    "rules": [
        {"name": "text", "match": {"last_user": {"contains": "text"}}, "reply": 'Héllo "quoted" \\ ✓ 😀\n'},
        {
            "name": "reasoning-tools",
            "reply": [
                {"thinking": "The user wants weather."},
                {"text": "Let me look."},
                {"tool_use": {"name": "get_weather", "input": {"city": "Paris", "days": 1.5, "exp": 1e-05}}},
                {"tool_use": {"name": "lookup", "input": {"q": "x"}, "id": "call_scripted"}},
            ],
            "timing": {"chunk_chars": 3, "jitter_ms": 5, "chunk_ms": 10},
        },
        {"name": "scripted-usage", "reply": "Counted.", "usage": {"input_tokens": 42, "output_tokens": 9}},
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
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
LOOKUP = {"type": "function", "function": {"name": "lookup", "description": "Look up"}}


def chat(**extra: Any) -> dict[str, Any]:
    return {"model": "openai/gpt-5", "messages": [{"role": "user", "content": "hi there"}], **extra}


# What a chat request can ask that changes (or not) a scripted answer.
VARIANTS: dict[str, dict[str, Any]] = {
    "plain": chat(),
    "stream": chat(stream=True),
    "stream-usage": chat(stream=True, stream_options={"include_usage": True}),
    "longer-conversation": chat(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "user", "content": [{"type": "text", "text": "and now?"}]},
        ]
    ),
    "model-to-escape": chat(model='we"ird\\model'),
    "model-unicode": chat(model="modèle-☃"),
    "tools-auto": chat(tools=[WEATHER, LOOKUP], tool_choice="auto"),
    "tools-none": chat(tools=[WEATHER, LOOKUP], tool_choice="none"),
    "tools-required": chat(tools=[WEATHER, LOOKUP], tool_choice="required"),
    "tools-forced": chat(tools=[WEATHER, LOOKUP], tool_choice={"type": "function", "function": {"name": "lookup"}}),
    "one-call-only": chat(tools=[WEATHER, LOOKUP], parallel_tool_calls=False),
    "reasoning-on": chat(reasoning_effort="high"),
    "reasoning-off": chat(reasoning_effort="none"),
    "reasoning-excluded": chat(reasoning={"enabled": True, "exclude": True}),
    "max-tokens-1": chat(max_completion_tokens=1),
    "max-tokens-3": chat(max_tokens=3),
    "max-tokens-plenty": chat(max_completion_tokens=4096),
    "stop-sequences": chat(stop=["e", "t", "zzz"]),
    "stop-one": chat(stop="o"),
    "stop-elsewhere": chat(stop=["never-in-a-reply"]),
    "json-schema": chat(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}),
}
TIMINGS = {"as-scripted": None, "jitter": Timing(ttft_ms=5, chunk_ms=7, jitter_ms=3, chunk_chars=5)}
FAULTS = [
    Fault(after_events=3, disconnect=True),
    Fault(after_events=4, error={"type": "overloaded_error"}),
    Fault(stall_ms=20),
    Fault(after_events=100, error={"type": "api_error", "message": "late"}),
]

Made = tuple[bytes, list[ScheduleItem], list[ScheduleItem], dict[str, Any], object]


def request_of(variant: str) -> ChatRequest:
    return parse_chat(VARIANTS[variant], {}, "default")


def full_path(
    scenario: Scenario, reply: Reply, request: ChatRequest, timing: Timing, fault: Fault | None, seed: int
) -> Made:
    """What server/openai.py makes without prepared answers (compose_answer, then the chat renderers): the body,
    the stream without and with usage, the journal's answer, the generator's state."""
    rng = random.Random(seed)
    ids = Ids(rng)
    ctx = Engine(scenario).context(request.view)
    honoured, notes = honour_request(reply, request.view, ctx=ctx, rng=rng)
    assert not notes  # a prepared answer is used only when the request changes nothing
    answer = compose(
        honoured,
        input_chars=request.view.input_chars,
        ctx=ctx,
        ids=ids,
        tool_id=ids.call,
        max_tokens=request.max_tokens,
        stop=request.stop,
    )
    completion_id = ids.chat_completion()
    body = json_body(completion(answer, completion_id=completion_id, model=request.model, created=CREATED))
    streams = [
        list(
            chat_schedule(
                answer,
                completion_id=completion_id,
                model=request.model,
                created=CREATED,
                include_usage=usage,
                timing=timing,
                rng=rng,
                fault=fault,
            )
        )
        for usage in (False, True)
    ]
    return body, streams[0], streams[1], answer_summary_of(answer), rng.getstate()


def prepared_path(prepared: PreparedChat, request: ChatRequest, timing: Timing, fault: Fault | None, seed: int) -> Made:
    rng = random.Random(seed)
    made = prepared.answer(request.model, request.view, Ids(rng), CREATED)
    streams = [list(made.schedule(usage, timing, rng, fault)) for usage in (False, True)]
    return made.body(), streams[0], streams[1], made.summary(), rng.getstate()


@pytest.mark.parametrize("scenario", scenarios(EVERY_BLOCK))
def test_prepared_chat_answers_are_the_full_paths_bytes(scenario: Scenario) -> None:
    compared = 0
    for label, reply, scripted_timing in answers(scenario):
        prepared = prepare_chat(reply, scripted_timing)
        if prepared is None:
            continue
        wanted = "reasoning-on" if prepared.thinking else "plain"  # a request that asks for no reasoning gets none
        assert prepared.fits(request_of(wanted)), f"{label}: a {wanted} request must get the prepared answer"
        for variant in VARIANTS:
            if not prepared.fits(request_of(variant)):
                continue
            for timing_name, other in TIMINGS.items():
                timing = scripted_timing if other is None else other
                if (timing.chunk_chars or 16) != prepared.chunk_chars:
                    prepared = prepare_chat(reply, timing)
                    assert prepared is not None
                for seed in (1, 2):
                    expected = full_path(scenario, reply, request_of(variant), timing, None, seed)
                    got = prepared_path(prepared, request_of(variant), timing, None, seed)
                    assert got == expected, f"{label}, {variant}, {timing_name}, seed {seed}"
                    compared += 1
    literal = [label for label, reply, timing in answers(scenario) if prepare_chat(reply, timing)]
    assert compared >= len(literal)


@pytest.mark.parametrize("fault", FAULTS, ids=["disconnect", "error", "stall", "past-the-end"])
def test_a_fault_cuts_a_prepared_stream_where_it_cuts_a_composed_one(fault: Fault) -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    for label, reply, timing in answers(scenario):
        prepared = prepare_chat(reply, timing)
        if prepared is not None:
            got = prepared_path(prepared, request_of("reasoning-on"), timing, fault, 5)
            assert got == full_path(scenario, reply, request_of("reasoning-on"), timing, fault, 5), label


@pytest.mark.parametrize(
    ("rule", "variant"),
    [
        ("reasoning-tools", "tools-none"),
        ("reasoning-tools", "tools-required"),
        ("reasoning-tools", "tools-forced"),
        ("reasoning-tools", "one-call-only"),
        ("reasoning-tools", "plain"),  # reasoning nobody asked for is left out
        ("reasoning-tools", "reasoning-off"),
        ("reasoning-tools", "reasoning-excluded"),
        ("text", "tools-required"),
        ("text", "max-tokens-1"),
        ("text", "stop-sequences"),
        ("text", "stop-one"),
        ("text", "model-to-escape"),
    ],
)
def test_a_request_that_changes_the_answer_takes_the_full_path(rule: str, variant: str) -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    reply, timing = next((r, t) for label, r, t in answers(scenario) if label == f"{rule}[None]")
    prepared = prepare_chat(reply, timing)
    assert prepared is not None
    assert not prepared.fits(request_of(variant))


@pytest.mark.parametrize(
    "rule",
    [*NOT_LITERAL.values(), {"reply": [{"server_tool_use": {"input": {"query": "q"}}}, {"text": "found"}]}],
    ids=[*NOT_LITERAL, "messages-only-block"],
)
def test_a_reply_made_per_request_is_not_prepared(rule: dict[str, Any]) -> None:
    scenario = load_scenario_data({"rules": [rule]}, "<one>")
    assert len(PreparedChats(scenario)) == 0


def test_prepared_chats_are_made_once_per_scenario_object() -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    assert prepared_chats(scenario) is prepared_chats(scenario)
    assert prepared_chats(scenario.model_copy()) is not prepared_chats(scenario)


def test_a_sequence_step_is_found_by_its_own_reply() -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    prepared = PreparedChats(scenario)
    index = next(i for i, r in enumerate(scenario.rules) if r.name == "steps")
    rule = scenario.rules[index]
    assert rule.sequence is not None
    first, timing = scripted(rule, rule.sequence[0], scenario.defaults.timing)
    assert prepared.get(index, 0, first, timing) is not None
    assert prepared.get(index, 2, first, timing) is None  # another step's reply: not this one's bytes
    assert prepared.get(index, 1, None, timing) is None  # the error step


def test_a_scenario_of_thousands_of_rules_prepares_the_first_ones_only() -> None:
    scenario = load_scenario_data({"rules": [{"reply": f"answer {i}"} for i in range(5)]}, "<many>")
    prepared = PreparedChats(scenario, limit=3)
    assert len(prepared) == 3
    reply, timing = scripted(scenario.rules[4], scenario.rules[4], scenario.defaults.timing)
    assert prepared.get(4, None, reply, timing) is None  # answered by the full path, as before
