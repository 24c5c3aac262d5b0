"""Properties: a streamed reply, folded by the official SDK, is the JSON reply; and seeds make bytes repeat.

The fold uses the SDK's own pieces: its SSE decoder (``anthropic._streaming.SSEDecoder``) reads our bytes,
in arbitrary network-sized pieces, and its accumulator (``accumulate_event``) builds the message, as
``client.messages.stream(...).get_final_message()`` does. One test also goes through a real server.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockgw.core.engine import Engine
from mockgw.core.request import RequestView
from mockgw.faces.anthropic.render import Frame, Ids, Limits, Reply, message_json, render_message, stream_schedule
from mockgw.faces.anthropic.validation import validate_message_request
from mockgw.scenario.loader import load_scenario_data
from mockgw.scenario.schema import Timing
from mockgw.testing import MockGateway
from tests.conftest import GatewayFactory, body, http_call, sdk_fold

# Strings in replies are templates: keep "{{" out, the rest of unicode in (surrogates excluded, as JSON must).
TEXT = st.text(max_size=80).filter(lambda s: "{{" not in s)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12
)
TOOL_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,30}", fullmatch=True)

BLOCK = st.one_of(
    st.builds(lambda t: {"text": t}, TEXT),
    st.builds(
        lambda t, sig: {"thinking": t} if sig is None else {"thinking": t, "signature": sig},
        TEXT,
        st.none() | st.text(alphabet="ABCDEFabcdef0123456789+/=", min_size=1, max_size=40),
    ),
    st.builds(
        lambda name, tool_input: {"tool_use": {"name": name, "input": tool_input}},
        TOOL_NAME,
        st.dictionaries(TEXT, JSON_VALUES, max_size=5),
    ),
)
REPLY = st.lists(BLOCK, min_size=1, max_size=5)
CHUNK_CHARS = st.integers(min_value=1, max_value=40)
TEMPLATES = Engine(load_scenario_data({}))  # made once: an engine's Faker costs milliseconds


def render_both(reply: list[dict[str, Any]], chunk_chars: int, max_tokens: int, seed: int) -> tuple[bytes, bytes]:
    """The JSON body and the SSE bytes of one reply, rendered as the server would."""
    scenario = load_scenario_data({"rules": [{"reply": reply}]})
    request = RequestView(validate_message_request(body(max_tokens=max_tokens)))
    rule = scenario.rules[0]
    assert rule.reply is not None
    rng = random.Random(seed)
    message = render_message(
        Reply(rule.reply),
        model=request.model,
        input_chars=request.input_chars,
        limits=Limits(max_tokens),
        ctx=TEMPLATES.context(request),  # the replies hold no templates: any context will do
        ids=Ids(rng),
    )
    frames = stream_schedule(message, Timing(chunk_chars=chunk_chars), rng)
    sse = b"".join(f.data for f in frames if isinstance(f, Frame))
    return message_json(message), sse


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    reply=REPLY,
    chunk_chars=CHUNK_CHARS,
    max_tokens=st.integers(min_value=1, max_value=400),
    piece_sizes=st.lists(st.integers(min_value=1, max_value=64), max_size=30),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_the_sdks_fold_of_the_stream_equals_the_json_reply(
    reply: list[dict[str, Any]], chunk_chars: int, max_tokens: int, piece_sizes: list[int], seed: int
) -> None:
    json_body, sse = render_both(reply, chunk_chars, max_tokens, seed)
    assert sdk_fold(sse, piece_sizes) == json.loads(json_body)


# ---------------------------------------------------------------- the same, through a server and the SDK


@pytest.fixture(scope="module")
def shared_gateway() -> Iterator[tuple[MockGateway, anthropic.Anthropic]]:
    """One server and one SDK client for every example: each example loads its own scenario."""
    with (
        MockGateway({"rules": [{"reply": "placeholder"}]}, seed=3) as gw,
        anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0) as client,
    ):
        yield gw, client


@settings(max_examples=30, deadline=None)
@given(reply=REPLY, chunk_chars=CHUNK_CHARS)
def test_through_a_server_the_sdks_streamed_message_equals_its_created_one(
    shared_gateway: tuple[MockGateway, anthropic.Anthropic], reply: list[dict[str, Any]], chunk_chars: int
) -> None:
    gw, client = shared_gateway
    gw.load({"rules": [{"reply": reply, "timing": {"chunk_chars": chunk_chars}}]})
    request = {"model": "claude-sonnet-4-6", "max_tokens": 4096, "messages": [{"role": "user", "content": "hi"}]}
    gw.reset()  # restarts the seed: the same ids and signatures for both requests
    created = client.messages.create(**request)
    gw.reset()
    with client.messages.stream(**request) as stream:
        folded = stream.get_final_message()
    assert folded.model_dump() == created.model_dump()


# ---------------------------------------------------------------- seeds


SEEDED = {
    "rules": [
        {"match": {"last_user": "fail"}, "error": 529},
        {
            "match": {"last_user": "tool"},
            "reply": [
                {"thinking": "{{ faker.sentence }}"},
                {"tool_use": {"name": "t", "input": {"q": "{{ faker.word }}"}}},
            ],
        },
        {"reply": "{{ faker.paragraph }} {{ faker.name }}", "timing": {"chunk_chars": 7, "jitter_ms": 1}},
    ]
}
REQUESTS = [
    body("hello"),
    body("hello", stream=True),
    body("tool please"),
    body("tool please", stream=True),
    body("fail"),
    body("hello again", stream=True),
]


def bodies(gw: MockGateway) -> list[tuple[int, bytes]]:
    return [(r.status, r.body) for r in (http_call(gw.url + "/v1/messages", json_body=b) for b in REQUESTS)]


def test_two_servers_with_the_same_seed_send_identical_bytes(gateway: GatewayFactory) -> None:
    first, second = bodies(gateway(SEEDED, seed=42)), bodies(gateway(SEEDED, seed=42))
    assert first == second
    assert [status for status, _ in first] == [200, 200, 200, 200, 529, 200]
    assert first[1][1].startswith(b"event: message_start")  # the streamed ones are compared as SSE bytes


def test_another_seed_sends_other_bytes(gateway: GatewayFactory) -> None:
    first, other = bodies(gateway(SEEDED, seed=42)), bodies(gateway(SEEDED, seed=43))
    assert all(a != b for a, b in zip(first, other, strict=True))


def test_the_scenarios_seed_is_used_when_none_is_given(gateway: GatewayFactory) -> None:
    scenario = {"seed": 42, **SEEDED}
    assert bodies(gateway(scenario)) == bodies(gateway(SEEDED, seed=42))
