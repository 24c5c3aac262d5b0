"""The happy path builds no request model: the canned benchmark request and Claude Code's turns are
validated and read from their JSON (faces/anthropic/parse, RequestView's data); the pydantic wire models
are built only for what the fast path leaves to them, such as a request they refuse.

Counted, not timed: each test wraps the models' validators and counts every construction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from mockgw.faces.anthropic.wire.requests import CountTokensParams, MessageCreateParams
from tests.conftest import FIXTURES, http_call, sse_frames

BENCH_LUA = Path(__file__).parents[2] / "bench" / "post.lua"
AGENT = {
    "rules": [
        {"match": {"tool_result": True, "tools": {"includes": "RunShell"}}, "reply": "Done."},
        {"match": {"last_user": {"contains": "out.txt"}}, "reply": [{"tool_use": {"name": "RunShell", "input": {}}}]},
        {"reply": "Hello! This is a canned answer."},
    ]
}


class _Counting:
    """A model's validator, counting the models it builds (``Model(...)`` and ``model_validate`` both)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.built = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def validate_python(self, *args: Any, **kwargs: Any) -> Any:
        self.built += 1
        return self.inner.validate_python(*args, **kwargs)

    def validate_json(self, *args: Any, **kwargs: Any) -> Any:
        self.built += 1
        return self.inner.validate_json(*args, **kwargs)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[type[BaseModel], _Counting]]:
    """How many request models each route built, per model class."""
    counters = {}
    for model in (MessageCreateParams, CountTokensParams):
        counters[model] = _Counting(model.__pydantic_validator__)
        monkeypatch.setattr(model, "__pydantic_validator__", counters[model])
    yield counters


def bench_body() -> bytes:
    """The throughput benchmark's request, as bench/post.lua sends it."""
    lua = BENCH_LUA.read_text()
    return lua.split("wrk.body = [[", 1)[1].split("]]", 1)[0].encode()


def fixture(name: str) -> dict[str, Any]:
    recorded: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return recorded


def replay(url: str, recorded: dict[str, Any]) -> Any:
    headers = {k.lower(): v for k, v in recorded["headers"].items() if k.lower() not in {"host", "content-length"}}
    return http_call(url + recorded["path_qs"], json_body=recorded["body"], headers=headers)


def test_the_canned_benchmark_request_builds_no_model(gateway, built):
    gw = gateway(AGENT)
    response = http_call(f"{gw.url}/v1/messages", body=bench_body(), headers={"x-api-key": "sk-bench"})
    assert response.status == 200
    assert response.json()["content"][0]["text"] == "Hello! This is a canned answer."
    assert built[MessageCreateParams].built == 0


@pytest.mark.parametrize("name", ["agent-first-turn.json", "agent-tool-result-turn.json"])
def test_claude_codes_turns_build_no_model(gateway, built, name):
    gw = gateway(AGENT)
    recorded = fixture(name)
    response = replay(gw.url, recorded)
    assert response.status == 200
    if recorded["body"].get("stream"):
        assert [event for event, _ in sse_frames(response.body)][-1] == "message_stop"
    assert built[MessageCreateParams].built == 0


def test_rules_on_thinking_tool_choice_output_format_and_message_count_build_no_model(gateway, built):
    scenario = {
        "rules": [
            {"match": {"thinking": {"requested": False}}, "reply": "no thinking"},
            {"match": {"tool_choice": {"type": ["any"]}}, "reply": "forced"},
            {"match": {"output_format": {"requested": True}}, "reply": "structured"},
            {"match": {"messages": {"gte": 100}}, "reply": "long"},
            {"reply": "none of those"},
        ]
    }
    gw = gateway(scenario)
    response = replay(gw.url, fixture("agent-tool-result-turn.json"))
    assert response.status == 200
    assert built[MessageCreateParams].built == 0
    failed = [t["misses"][0]["predicate"] for t in gw.journal.last.why["tried"]]
    assert failed == ["thinking", "tool_choice.type", "output_format", "messages.gte"]


def test_claude_codes_count_tokens_builds_no_model(gateway, built):
    gw = gateway(AGENT)
    response = replay(gw.url, fixture("agent-count-tokens.json"))
    assert response.status == 200
    assert response.json()["input_tokens"] > 0
    assert built[CountTokensParams].built == 0


def test_a_refused_request_is_worded_by_the_models(gateway, built):
    # The counter counts: the one path that must still build the model does.
    gw = gateway(AGENT)
    bad = {"model": "claude-sonnet-4-5", "max_tokens": "many", "messages": [{"role": "user", "content": "Hi"}]}
    response = http_call(f"{gw.url}/v1/messages", json_body=bad)
    assert response.status == 400
    assert response.json()["error"]["message"] == "max_tokens: Input should be a valid integer"
    assert built[MessageCreateParams].built == 1
