"""Message threads through the official TypeScript SDK (@anthropic-ai/sdk), by ts_threads.mjs.

``toolRunner`` and ``beta.messages.thread()`` send ``thread`` by default; the gateway must hold each
conversation so a ``continue`` carrying only the new turn reaches the rule for it. With ``threads: false``
the gateway refuses them, and the tool runner falls back to whole histories.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mockgw.faces.anthropic.threads import THREADS_BETA
from mockgw.testing import MockGateway

GatewayFactory = Callable[..., MockGateway]
NodeRunner = Callable[..., Any]

SCENARIO: dict[str, Any] = {
    "rules": [
        {
            "name": "weather-answer",
            "match": {"tool_result": {"name": "get_weather"}},
            "reply": "It is {{ request.tool_result }}.",
        },
        {
            "name": "weather-call",
            "match": {"tools": "get_weather", "turn": 1},
            "reply": [{"tool_use": {"name": "get_weather", "input": {"city": "Paris"}}}],
        },
        {
            "name": "second-turn",
            "match": {"turn": 2, "system": "Be brief."},
            "reply": "Turn {{ request.turn }}: {{ request.last_user }}",
        },
        {"name": "fallback", "reply": "Hello."},
    ]
}
RUNNER_CASES = pytest.mark.parametrize("case", ["tool_runner", "tool_runner_stream"])


@RUNNER_CASES
def test_the_tool_runner_finishes_a_tool_loop_in_two_threaded_requests(
    gateway: GatewayFactory, run_node: NodeRunner, case: str
) -> None:
    gw = gateway(SCENARIO)

    out = run_node("ts_threads.mjs", gw.env(), case)

    assert out == {"text": "It is 18°C and sunny in Paris.", "stop_reason": "end_turn"}
    first, second = gw.journal
    assert [e.rule for e in (first, second)] == ["weather-call", "weather-answer"]
    assert THREADS_BETA in second.headers["anthropic-beta"]
    assert second.body["thread"] == {"type": "continue", "previous_message_id": first.thread["message_id"]}
    assert [m["role"] for m in second.body["messages"]] == ["user"]
    assert [m["role"] for m in second.thread["messages"]] == ["user", "assistant", "user"]


@RUNNER_CASES
def test_with_threads_refused_the_tool_runner_falls_back_to_whole_histories(
    gateway: GatewayFactory, run_node: NodeRunner, case: str
) -> None:
    gw = gateway({**SCENARIO, "threads": False})

    out = run_node("ts_threads.mjs", gw.env(), case)

    assert out["text"] == "It is 18°C and sunny in Paris."
    refused, first, second = gw.journal
    assert (refused.status, refused.body["thread"]) == (400, {"type": "create"})
    assert [(e.status, e.rule, "thread" in e.body) for e in (first, second)] == [
        (200, "weather-call", False),
        (200, "weather-answer", False),
    ]
    assert [m["role"] for m in second.body["messages"]] == ["user", "assistant", "user"]


def test_a_thread_keeps_its_history_and_system_across_turns(gateway: GatewayFactory, run_node: NodeRunner) -> None:
    gw = gateway(SCENARIO)

    out = run_node("ts_threads.mjs", gw.env(), "thread")

    assert out == {"first": "Hello.", "second": "Turn 2: goodbye", "history": 4}
    second = gw.journal.last
    assert "system" not in second.body and second.body["messages"] == [{"role": "user", "content": "goodbye"}]


@pytest.mark.parametrize(
    ("threads", "expected"),
    [
        (True, {"thrown": "ThreadNotFoundError", "not_found": True, "status": 404, "error_code": "thread_not_found"}),
        (
            False,
            {
                "thrown": "ThreadUnsupportedRequestError",
                "not_found": False,
                "status": 400,
                "error_code": "thread_unsupported_request",
            },
        ),
    ],
    ids=["unknown-id", "threads-off"],
)
def test_a_refused_thread_raises_the_sdks_class_for_its_error_code(
    gateway: GatewayFactory, run_node: NodeRunner, threads: bool, expected: dict[str, Any]
) -> None:
    gw = gateway({**SCENARIO, "threads": threads})

    assert run_node("ts_threads.mjs", gw.env(), "unknown_thread") == expected
