"""Validating a Messages request from its JSON without the wire models (faces/anthropic/parse).

The fast path may only say yes when the models would: every request it accepts must pass the models and
``run_checks``, and must read (last user text, system, tools, tool results, the size estimate) exactly as
the models would have it. What it is unsure of goes to the models, which word every 400.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockgw.core.request import RequestView, data_input_chars, input_chars
from mockgw.faces.anthropic import parse
from mockgw.faces.anthropic.checks import InvalidRequest
from mockgw.faces.anthropic.parse import certainly_valid, parse_count_tokens, parse_message_request
from mockgw.faces.anthropic.validation import betas_of, validate_count_tokens_request, validate_message_request
from mockgw.gateway.catalogue import max_output_tokens
from tests.contract.test_api_refusals import ACCEPTED, REFUSED
from tests.contract.test_validation import INVALID

FIXTURES = Path(__file__).parent.parent / "fixtures"
# bench/post.lua's body: the throughput benchmark's canned request.
BENCH = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 1024,
    "system": "You are a helpful assistant. Answer briefly.",
    "temperature": 0.7,
    "metadata": {"user_id": "bench-user"},
    "messages": [
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": [{"type": "text", "text": "The capital of France is Paris."}]},
        {"role": "user", "content": [{"type": "text", "text": "And how many people live there, roughly?"}]},
    ],
}
CLAUDE_CODE = ["agent-first-turn.json", "agent-tool-result-turn.json"]
USER_IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
PLAIN_DOC = {"type": "document", "title": "T", "source": {"type": "text", "media_type": "text/plain", "data": "d"}}
# Valid requests touching every part the fast path walks; each must be taken by it.
EVERY_PART = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 2048,
    "stream": True,
    "stop_sequences": ["END"],
    "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "tools": [
        {"name": "lookup", "description": "Look up", "input_schema": {"type": "object"}},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 2},
        {"type": "mcp_toolset", "mcp_server_name": "docs"},
    ],
    "tool_choice": {"type": "auto"},
    "output_config": {"effort": "high"},
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "Find it"}, USER_IMAGE, PLAIN_DOC]},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "q"}},
                {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
                {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": None}},
            ],
        },
        {"role": "system", "content": "A reminder."},
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": [{"type": "text", "text": "found"}, PLAIN_DOC, {"type": "newer", "x": 1}],
                    "is_error": False,
                },
                {"type": "text", "text": "<system-reminder>todo</system-reminder>"},
                {"type": "text", "text": "thanks"},
            ],
        },
    ],
}


def fixture_body(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text())["body"]
    return body


def max_output(model: str) -> int | None:
    return max_output_tokens(model)


def derived(view: RequestView) -> tuple[Any, ...]:
    """Every derived field a rule, template or the renderer reads."""
    return (
        view.model,
        view.stream,
        view.max_tokens,
        view.stop_sequences,
        view.last_user,
        view.last_user_with_reminders,
        view.turn,
        view.system,
        view.tool_names,
        view.tool_results,
        view.attached,
        view.metadata_user_id,
        view.input_chars,
    )


def assert_reads_as_the_models_do(body: dict[str, Any], betas: frozenset[str] = frozenset()) -> None:
    """``body`` passes the models, and its JSON view reads exactly as the model's view."""
    params = validate_message_request(body, betas=betas, max_output=max_output)
    assert derived(RequestView(data=body)) == derived(RequestView(params))
    assert data_input_chars(body) == input_chars(params)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(BENCH, id="bench-canned-request"),
        pytest.param(EVERY_PART, id="every-part-walked"),
        *(pytest.param(fixture_body(name), id=name) for name in CLAUDE_CODE),
    ],
)
def test_common_requests_take_the_fast_path_and_read_as_the_models_do(body):
    assert certainly_valid(body, max_output=max_output)
    assert parse_message_request(body, max_output=max_output) is None
    assert_reads_as_the_models_do(body)


def test_claude_codes_count_tokens_request_takes_the_fast_path():
    body = fixture_body("agent-count-tokens.json")
    assert parse_count_tokens(body) is None
    assert data_input_chars(body) == input_chars(validate_count_tokens_request(body))


@pytest.mark.parametrize(("name", "body", "headers", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_every_refusal_of_the_api_is_left_to_the_models(name, body, headers, message):
    betas = betas_of({k.lower(): v for k, v in headers.items()})
    assert not certainly_valid(body, betas=betas, max_output=max_output)
    with pytest.raises(InvalidRequest) as refused:
        parse_message_request(body, betas=betas, max_output=max_output)
    assert refused.value.message == message


# The invalid bodies that are JSON: the others (bytes, text) are refused before validation.
INVALID_JSON = [case for case in INVALID if not isinstance(case[1], bytes | str)]


@pytest.mark.parametrize(("name", "payload", "message"), INVALID_JSON, ids=[c[0] for c in INVALID_JSON])
def test_every_invalid_field_is_left_to_the_models(name, payload, message):
    assert not certainly_valid(payload, max_output=max_output)


@pytest.mark.parametrize(("name", "body", "headers"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_accepted_neighbours_read_as_the_models_do_whichever_path_takes_them(name, body, headers):
    assert_reads_as_the_models_do(body, betas_of({k.lower(): v for k, v in headers.items()}))


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"max_tokens": 0}, "cache pre-warming has its own checks"),
        ({"metadata": {"user_id": None}}, "a null the models' dump leaves out"),
        ({"stream": None}, "a null at the top level"),
        ({"messages": [{"role": "user", "content": [{"type": "thinking", "thinking": "t"}]}]}, "signature default"),
        ({"messages": [{"role": "user", "content": [{"type": "compaction", "content": "c"}]}]}, "not walked here"),
        ({"tools": [{"name": "ok\n", "input_schema": {}}]}, "a newline after the name"),
        ({"temperature": float("nan")}, "NaN is no number from 0 to 1"),
        ({"max_tokens": True}, "a boolean is no integer"),
    ],
)
def test_what_the_fast_path_is_unsure_of_goes_to_the_models(change, why):
    assert not certainly_valid({**BENCH, **change}, max_output=max_output), why


def _tool_turns(call: dict[str, Any], result: dict[str, Any], user: dict[str, Any] | None = None) -> dict[str, Any]:
    """BENCH ending on a tool call and its result, the common turn of an agent loop."""
    return {
        **BENCH,
        "tools": [{"name": "Read", "input_schema": {}}],
        "messages": [
            user or {"role": "user", "content": [{"type": "text", "text": "Read it"}]},
            {"role": "assistant", "content": [call]},
            {"role": "user", "content": [result]},
        ],
    }


CALL = {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {}}
RESULT = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "file"}


def test_the_agent_turn_the_nulls_are_put_into_takes_the_fast_path():
    assert certainly_valid(_tool_turns(CALL, RESULT), max_output=max_output)


@pytest.mark.parametrize(
    ("call", "result", "user"),
    [
        (CALL, RESULT, {"role": "user", "content": None}),
        (CALL, RESULT, {"role": "user", "content": "Read it", "name": None}),
        (CALL, RESULT, {"role": "user", "content": [{"type": "text", "text": None}]}),
        (CALL, RESULT, {"role": "user", "content": [{"type": "text", "text": "Read it", "cache_control": None}]}),
        (CALL, RESULT, {"role": "user", "content": [{"type": "text", "text": "Read it", "citations": None}]}),
        ({**CALL, "input": None}, RESULT, None),
        ({**CALL, "cache_control": None}, RESULT, None),
        (CALL, {**RESULT, "content": None}, None),
        (CALL, {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": None}, None),
        (CALL, {"type": "tool_result", "tool_use_id": "toolu_1", "cache_control": None}, None),
        (CALL, {**RESULT, "is_error": None}, None),
        (CALL, {"type": "tool_result", "content": "file", "is_error": None}, None),
    ],
)
def test_a_null_in_a_message_or_block_leaves_the_request_to_the_models(call, result, user):
    # The walk skips its look for nulls where every field is checked anyway (a message of role and content,
    # a text block of type and text, a tool result of type, id and content); a null anywhere else is caught.
    assert not certainly_valid(_tool_turns(call, result, user), max_output=max_output)


@pytest.mark.parametrize("bad", ["ok\n", "", "a" * 129, "has space", "naïve"])
def test_a_bad_tool_name_is_refused_however_many_good_names_came_before(bad):
    # The walk remembers names that matched the pattern (a bounded set): past its bound and after it empties,
    # a name is still checked by the pattern, never waved through.
    for n in range(parse._GOOD_NAMES_KEPT + 10):
        assert certainly_valid({**BENCH, "tools": [{"name": f"tool_{n}", "input_schema": {}}]}, max_output=max_output)
    assert len(parse._GOOD_NAMES) <= parse._GOOD_NAMES_KEPT
    assert not certainly_valid({**BENCH, "tools": [{"name": bad, "input_schema": {}}]}, max_output=max_output)
    assert certainly_valid({**BENCH, "tools": [{"name": "tool_1", "input_schema": {}}]}, max_output=max_output)


# ---------------------------------------------------------------- the promise, tested on mutated requests

# Values that are valid somewhere and wrong elsewhere: each mutation swaps one into a valid request.
ODD_VALUES = st.sampled_from(
    [
        *(None, "", " ", "x", "text", "custom", "tool_use", "ephemeral", 0, 1, 2000, -1, 0.5, True, False),
        *([], {}, [{}], {"type": "text", "text": "y"}, {"type": "ephemeral"}),
        {"type": "tool_result", "tool_use_id": "toolu_1"},
    ]
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    body = copy.deepcopy(draw(st.sampled_from([BENCH, EVERY_PART, fixture_body("agent-tool-result-turn.json")])))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(body)))
        parent: Any = body
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            key = draw(st.sampled_from(["type", "text", "name", "cache_control", "content", "extra"]))
            parent[key] = copy.deepcopy(draw(ODD_VALUES))  # a copy: later mutations must not change the pool
        else:
            parent[path[-1]] = copy.deepcopy(draw(ODD_VALUES))
        if not _paths(body):
            break
    return body


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_whatever_the_fast_path_accepts_the_models_accept_and_read_alike(body):
    if certainly_valid(body, max_output=max_output):
        assert_reads_as_the_models_do(body)
