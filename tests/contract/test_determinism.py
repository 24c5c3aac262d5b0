"""Per-session determinism through the HTTP API: a session's bytes are the same whatever other sessions do.

The contract (docs/scenarios.md, "Determinism"): with a seed, every byte of an answer (ids, signatures,
faker text, ``json: auto`` and ``input: auto`` values, the request id) and the stream's jitter are a
function of (seed, session, the session's request number, the request). Two ways to break it are tested:
requests of several sessions interleaved in any order (a hypothesis property, served one at a time on a
FakeClock so the jitter shows in the journal's timeline), and many sessions at once through the official
SDK on the real clock.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockgw.core.clock import FakeClock
from mockgw.testing import AsyncMockGateway, MockGateway
from tests.conftest import http_call

SEED = 11
MODEL = "claude-sonnet-4-5"
SCENARIO: dict[str, Any] = {
    "seed": SEED,
    "defaults": {"timing": {"ttft_ms": 5, "chunk_ms": 10, "jitter_ms": 8, "chunk_chars": 4}},
    "rules": [
        {"name": "busy", "match": {"last_user": {"contains": "busy"}}, "error": {"status": 429, "retry_after": 1}},
        {
            "name": "weather",
            "match": {"last_user": {"contains": "weather"}},
            "reply": [
                {"thinking": "They want {{ faker.word }}."},
                {"text": "Checking {{ faker.city }}."},
                {"tool_use": {"name": "get_weather", "input": "auto"}},
            ],
        },
        {"name": "structured", "match": {"output_format": True}, "reply": {"json": "auto"}},
        {"name": "words", "reply": "word={{ faker.word }} {{ faker.sentence }}"},
    ],
}
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "The weather of a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
        "required": ["city", "days"],
    },
}
REPORT = {
    "type": "object",
    "properties": {"summary": {"type": "string"}, "score": {"type": "number"}, "tags": {"type": "array"}},
    "required": ["summary", "score", "tags"],
    "additionalProperties": False,
}


def messages(text: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    body = {"model": MODEL, "max_tokens": 2048, "messages": [{"role": "user", "content": text}], **extra}
    return "/v1/messages", body


# What each session sends, in its order: a tool call with thinking (streamed: jitter), generated JSON, faker
# text as JSON and as a stream, a scripted 429 (its body carries the request id), an OpenAI chat stream.
REQUESTS = [
    messages(
        "weather in Paris?",
        stream=True,
        tools=[WEATHER_TOOL],
        thinking={"type": "enabled", "budget_tokens": 1024},
    ),
    messages("a report", output_config={"format": {"type": "json_schema", "schema": REPORT}}),
    messages("say a word"),
    messages("busy?"),
    messages("say a word", stream=True),
    (
        "/v1/chat/completions",
        {"model": MODEL, "messages": [{"role": "user", "content": "a word"}], "stream": True},
    ),
]
SESSIONS = ("alpha", "beta", "gamma")


def masked(body: bytes) -> bytes:
    """The body without the OpenAI faces' ``created`` (wall-clock seconds: outside the contract)."""
    return re.sub(rb'"created":\d+', b'"created":0', body)


def send(gw: MockGateway, session: str, number: int) -> tuple[Any, ...]:
    """Session's ``number``-th request (from 0): what came back, and the stream's timeline on the FakeClock."""
    path, body = REQUESTS[number]
    response = http_call(f"{gw.url}{path}", json_body=body, headers={"x-mockgw-session": session})
    entry = gw.journal.last
    assert entry is not None and entry.session == session
    assert response.status == (429 if "busy" in str(body) else 200), response.body[:300]
    timeline = [(run["event"], run["count"], run["first_ms"], run["last_ms"]) for run in entry.timeline]
    return response.status, response.headers["request-id"], masked(response.body), timeline


def serve(gw: MockGateway, order: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every session's answers, requests sent one at a time in ``order`` (a session name per request)."""
    gw.reset()
    seen: dict[str, list[tuple[Any, ...]]] = {s: [] for s in SESSIONS}
    for session in order:
        seen[session].append(send(gw, session, len(seen[session])))
    return seen


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[MockGateway, dict[str, list[tuple[Any, ...]]]]]:
    """The gateway (seeded, on a FakeClock), and each session's answers when it was served alone."""
    with MockGateway(SCENARIO, seed=SEED, clock=FakeClock()) as gw:
        alone: dict[str, list[tuple[Any, ...]]] = {}
        for session in SESSIONS:
            alone[session] = serve(gw, [session] * len(REQUESTS))[session]
        yield gw, alone


def test_the_sessions_answers_differ_and_use_every_random_source(
    served: tuple[MockGateway, dict[str, list[tuple[Any, ...]]]],
) -> None:
    _, alone = served
    assert alone["alpha"] != alone["beta"] != alone["gamma"]  # each session its own ids and text
    first = alone["alpha"][0]
    assert b"toolu_01" in first[2] and b"signature_delta" in first[2]
    gaps = {run[3] - run[2] for run in first[3] if run[1] > 2}
    assert len(gaps) > 1, first[3]  # jitter: runs of deltas that last different times
    assert b'"request_id":"req_011C' in alone["alpha"][3][2]  # the 429's body names its request id


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations([s for s in SESSIONS for _ in REQUESTS]))
def test_interleaving_sessions_in_any_order_changes_no_sessions_bytes(
    served: tuple[MockGateway, dict[str, list[tuple[Any, ...]]]], order: list[str]
) -> None:
    gw, alone = served
    assert serve(gw, order) == alone


def test_two_sessions_interleaved_get_the_same_bytes_as_each_alone_in_a_fresh_gateway(
    served: tuple[MockGateway, dict[str, list[tuple[Any, ...]]]],
) -> None:
    _, alone = served
    with MockGateway(SCENARIO, seed=SEED, clock=FakeClock()) as fresh:
        both = serve(fresh, ["beta", "alpha"] * len(REQUESTS))
    assert both["alpha"] == alone["alpha"] and both["beta"] == alone["beta"]


# ---------------------------------------------------------------- many sessions at once, official SDK

CONVERSATION = ["say a word", "weather in Oslo?", "say a word"]


async def conversation(url: str, session: str) -> list[str]:
    """One session's turns through the official SDK: created, streamed (folded by the SDK) and created."""
    client = anthropic.AsyncAnthropic(
        base_url=url, api_key="sk-test", max_retries=0, default_headers={"x-mockgw-session": session}
    )
    seen: list[str] = []
    async with client:
        for turn, text in enumerate(CONVERSATION):
            params: dict[str, Any] = {
                "model": MODEL,
                "max_tokens": 2048,
                "messages": [{"role": "user", "content": text}],
                "tools": [WEATHER_TOOL],
            }
            if turn == 1:
                async with client.messages.stream(**params) as stream:
                    message = await stream.get_final_message()
                request_id = stream.response.headers["request-id"]
            else:
                raw = await client.messages.with_raw_response.create(**params)
                message, request_id = await raw.parse(), raw.headers["request-id"]
            seen.append(request_id + " " + message.model_dump_json())
    return seen


async def test_many_sessions_at_once_each_get_their_bytes_alone() -> None:
    # The real clock and small jittered delays: the streams truly overlap on the server's one loop.
    timing = {"ttft_ms": 2, "chunk_ms": 2, "jitter_ms": 2, "chunk_chars": 8}
    scenario = {**SCENARIO, "defaults": {"timing": timing}}
    sessions = [f"user-{n}" for n in range(24)]
    async with AsyncMockGateway(scenario, seed=SEED) as gw:
        together = await asyncio.wait_for(asyncio.gather(*(conversation(gw.url, s) for s in sessions)), 60)
        gw.reset()
        alone = [await asyncio.wait_for(conversation(gw.url, s), 30) for s in sessions]
    assert len(set(map(tuple, alone))) == len(sessions)  # every session its own bytes
    assert together == alone


@pytest.mark.parametrize(
    "refused",
    [
        pytest.param({"model": MODEL, "max_tokens": 64, "messages": []}, id="no-messages"),
        pytest.param({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}, id="no-max-tokens"),
    ],
)
def test_a_request_refused_before_the_rules_does_not_count_for_the_session(
    served: tuple[MockGateway, dict[str, list[tuple[Any, ...]]]], refused: dict[str, Any]
) -> None:
    gw, alone = served
    gw.reset()
    bad = http_call(f"{gw.url}/v1/messages", json_body=refused, headers={"x-mockgw-session": "alpha"})
    assert bad.status == 400
    assert send(gw, "alpha", 0) == alone["alpha"][0]  # still the session's first request
