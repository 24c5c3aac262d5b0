"""``/v1/responses`` answers prepared at load (faces/openai/prepared_responses.py) are the full path's own bytes.

For every literal reply of every bundled scenario (and of a scenario using every block the Responses API
carries), and for Responses requests that ask different things of it (every echoed field set, a held
conversation continued …), the prepared answer must equal what server/openai.py composes and renders for the
same seed: the JSON body, every event of the stream with its delay, faults included, the journal's answer, the
conversation held for ``previous_response_id`` and the seeded generator's state afterwards. Requests the full
path would answer differently must not get it.
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
from mockgw.faces.openai.prepared_responses import (
    PreparedResponse,
    PreparedResponses,
    json_bytes,
    prepare_response,
    prepared_responses,
)
from mockgw.faces.openai.responses import (
    ResponsesRequest,
    ResponseStore,
    hold,
    parse_responses,
    response_object,
    responses_schedule,
)
from mockgw.faces.openai.stream import dumps
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
                {"text": "Two texts, one message."},
                {"tool_use": {"name": "get_weather", "input": {"city": "Paris", "days": 1.5, "exp": 1e-05}}},
                {"tool_use": {"name": "lookup", "input": {"q": "x"}, "id": "call_scripted"}},
                {"text": "And after."},
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
WEATHER = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}, "strict": True}
LOOKUP = {"type": "function", "name": "lookup", "description": "Look up", "parameters": {"type": "object"}}
PREVIOUS = "resp_held"


def responses(**extra: Any) -> dict[str, Any]:
    return {"model": "openai/gpt-5", "input": "hi there", **extra}


# What a Responses request can ask that changes (or not) a scripted answer, and every field it echoes.
VARIANTS: dict[str, dict[str, Any]] = {
    "plain": responses(),
    "stream": responses(stream=True),
    "input-items": responses(
        input=[
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "user", "content": [{"type": "input_text", "text": "and now?"}]},
        ]
    ),
    "instructions": responses(instructions="Be brief."),
    "continued": responses(previous_response_id=PREVIOUS),
    "not-stored": responses(store=False),
    "model-to-escape": responses(model='we"ird\\model'),
    "model-unicode": responses(model="modèle-☃"),
    "every-echo": responses(
        instructions='Say "hi" ✓',
        temperature=0.2,
        top_p=1,
        metadata={"team": "ml", "ünï": "✓"},
        text={"format": {"type": "json_schema", "name": "x", "schema": {"type": "object"}}},
        max_output_tokens=4096,
        parallel_tool_calls=True,
        tool_choice="auto",
        tools=[WEATHER, LOOKUP],
        reasoning={"effort": "low", "summary": "auto"},
        store=True,
    ),
    "nulls": responses(temperature=None, top_p=None, instructions=None, metadata=None, tools=None),
    "tools-none": responses(tools=[WEATHER, LOOKUP], tool_choice="none"),
    "tools-required": responses(tools=[WEATHER, LOOKUP], tool_choice="required"),
    "tools-forced": responses(tools=[WEATHER, LOOKUP], tool_choice={"type": "function", "name": "lookup"}),
    "one-call-only": responses(tools=[WEATHER, LOOKUP], parallel_tool_calls=False),
    "reasoning-on": responses(reasoning={"effort": "high"}),
    "reasoning-off": responses(reasoning={"effort": "none"}),
    "max-output-1": responses(max_output_tokens=1),
    "max-output-3": responses(max_output_tokens=3),
}
TIMINGS = {"as-scripted": None, "jitter": Timing(ttft_ms=5, chunk_ms=7, jitter_ms=3, chunk_chars=5)}
FAULTS = [
    Fault(after_events=3, disconnect=True),
    Fault(after_events=4, error={"type": "overloaded_error"}),
    Fault(stall_ms=20),
    Fault(after_events=100, error={"type": "api_error", "message": "late"}),
]

Made = tuple[bytes, list[ScheduleItem], dict[str, Any], object, object, int]


def held_store() -> ResponseStore:
    """A store holding one earlier conversation (the ``continued`` variant names it)."""
    store = ResponseStore()
    turns = [
        {"role": "user", "content": [{"type": "text", "text": "earlier"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "noted"}]},
    ]
    store.put(PREVIOUS, "default", turns, 120)
    return store


def request_of(variant: str) -> ResponsesRequest:
    return parse_responses(VARIANTS[variant], {}, "default", held_store())


def full_path(
    scenario: Scenario, reply: Reply, request: ResponsesRequest, timing: Timing, fault: Fault | None, seed: int
) -> Made:
    """What server/openai.py makes without prepared answers (compose_answer, the ids, then the renderer): the
    body (one request), the stream (another, same seed), the journal's answer, the generator's state, and
    what the body's request held."""
    made: list[Any] = []
    for stream in (False, True):
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
        )
        response_id = ids.response()
        if stream:
            schedule = responses_schedule(
                request,
                answer,
                response_id=response_id,
                created=CREATED,
                ids=ids,
                timing=timing,
                rng=rng,
                fault=fault,
            )
            made.append(list(schedule))
        else:
            made.append(json_body(response_object(request, answer, response_id=response_id, created=CREATED, ids=ids)))
            store = ResponseStore()
            hold(request, answer, response_id, store)
            made += [answer_summary_of(answer), store.get(response_id), store.bytes]
        made.append(rng.getstate())
    body, summary, held, held_bytes, _, stream_items, state = made
    return body, stream_items, summary, held, state, held_bytes


def prepared_path(
    prepared: PreparedResponse, request: ResponsesRequest, timing: Timing, fault: Fault | None, seed: int
) -> Made:
    answer = prepared.answer_for(request, Ids(random.Random(seed)), CREATED)
    store = ResponseStore()
    answer.hold(store)
    rng = random.Random(seed)
    streamed = prepared.answer_for(request, Ids(rng), CREATED)
    stream_items = list(streamed.schedule(timing, rng, fault))
    return answer.body(), stream_items, answer.summary(), store.get(answer.response_id), rng.getstate(), store.bytes


@pytest.mark.parametrize("scenario", scenarios(EVERY_BLOCK))
def test_prepared_responses_are_the_full_paths_bytes(scenario: Scenario) -> None:
    compared = 0
    for label, reply, scripted_timing in answers(scenario):
        prepared = prepare_response(reply, scripted_timing)
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
                    prepared = prepare_response(reply, timing)
                    assert prepared is not None
                for seed in (1, 2):
                    expected = full_path(scenario, reply, request_of(variant), timing, None, seed)
                    got = prepared_path(prepared, request_of(variant), timing, None, seed)
                    assert got == expected, f"{label}, {variant}, {timing_name}, seed {seed}"
                    compared += 1
    literal = [label for label, reply, timing in answers(scenario) if prepare_response(reply, timing)]
    assert compared >= len(literal)


@pytest.mark.parametrize("variant", ["every-echo", "continued", "not-stored", "nulls"])
def test_a_request_setting_echoed_fields_still_gets_the_prepared_answer(variant: str) -> None:
    # The echoed fields are holes: a request setting them all still gets the prepared answer.
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    reply, timing = next((r, t) for label, r, t in answers(scenario) if label == "text[None]")
    prepared = prepare_response(reply, timing)
    assert prepared is not None and prepared.fits(request_of(variant))


@pytest.mark.parametrize("fault", FAULTS, ids=["disconnect", "error", "stall", "past-the-end"])
def test_a_fault_cuts_a_prepared_stream_where_it_cuts_a_composed_one(fault: Fault) -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    for variant in ("reasoning-on", "every-echo"):
        for label, reply, timing in answers(scenario):
            prepared = prepare_response(reply, timing)
            if prepared is not None and prepared.fits(request_of(variant)):
                got = prepared_path(prepared, request_of(variant), timing, fault, 5)
                assert got == full_path(scenario, reply, request_of(variant), timing, fault, 5), (label, variant)


@pytest.mark.parametrize(
    ("rule", "variant"),
    [
        ("reasoning-tools", "tools-none"),
        ("reasoning-tools", "tools-required"),
        ("reasoning-tools", "tools-forced"),
        ("reasoning-tools", "one-call-only"),
        ("reasoning-tools", "plain"),  # reasoning nobody asked for is left out
        ("reasoning-tools", "reasoning-off"),
        ("text", "tools-required"),
        ("text", "max-output-1"),
        ("text", "max-output-3"),
    ],
)
def test_a_request_that_changes_the_answer_takes_the_full_path(rule: str, variant: str) -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    reply, timing = next((r, t) for label, r, t in answers(scenario) if label == f"{rule}[None]")
    prepared = prepare_response(reply, timing)
    assert prepared is not None
    assert not prepared.fits(request_of(variant))


@pytest.mark.parametrize(
    "rule",
    [*NOT_LITERAL.values(), {"reply": [{"server_tool_use": {"input": {"query": "q"}}}, {"text": "found"}]}],
    ids=[*NOT_LITERAL, "messages-only-block"],
)
def test_a_reply_made_per_request_is_not_prepared(rule: dict[str, Any]) -> None:
    scenario = load_scenario_data({"rules": [rule]}, "<one>")
    assert len(PreparedResponses(scenario)) == 0


def test_prepared_responses_are_made_once_per_scenario_object() -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    assert prepared_responses(scenario) is prepared_responses(scenario)
    assert prepared_responses(scenario.model_copy()) is not prepared_responses(scenario)


def test_a_sequence_step_is_found_by_its_own_reply() -> None:
    scenario = load_scenario_data(EVERY_BLOCK, "<every-block>")
    prepared = PreparedResponses(scenario)
    index = next(i for i, r in enumerate(scenario.rules) if r.name == "steps")
    rule = scenario.rules[index]
    assert rule.sequence is not None
    first, timing = scripted(rule, rule.sequence[0], scenario.defaults.timing)
    assert prepared.get(index, 0, first, timing) is not None
    assert prepared.get(index, 2, first, timing) is None  # another step's reply: not this one's bytes
    assert prepared.get(index, 1, None, timing) is None  # the error step


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        0,
        -3,
        10**20,
        0.7,
        1.0,
        1e-05,
        1e300,
        float("inf"),
        float("nan"),
        "gpt-5",
        'a "b"',
        "a\\b",
        "tab\there",
        "ünï ✓",
        "",
        None,
        [],
        {"a": [1, 2.5, None]},
    ],
)
def test_an_echoed_value_is_written_as_the_encoder_writes_it(value: Any) -> None:
    assert json_bytes(value) == dumps(value).encode()
