"""What a request's context_management.edits would have cleared (mockgw/faces/anthropic/context_edits.py):
the documented default of the message's context_management.applied_edits."""

from __future__ import annotations

from typing import Any

import pytest

from mockgw.faces.anthropic.context_edits import applied_edits, request_container
from mockgw.faces.anthropic.validation import validate_message_request

RESULT = "r" * 400  # 100 tokens by the 4-characters rule


def conversation(tool_uses: int, thinking_turns: int = 0) -> list[dict[str, Any]]:
    """A user question, then ``tool_uses`` rounds of a get_weather call and its 400-character result."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather?"}]
    for i in range(tool_uses):
        thought = [{"type": "thinking", "thinking": "t" * 40, "signature": "s"}] if i < thinking_turns else []
        call = {"type": "tool_use", "id": f"toolu_{i}", "name": "get_weather", "input": {"city": "Paris"}}
        messages.append({"role": "assistant", "content": [*thought, call]})
        result = {"type": "tool_result", "tool_use_id": f"toolu_{i}", "content": RESULT}
        messages.append({"role": "user", "content": [result]})
    return messages


def edits_for(messages: list[dict[str, Any]], *edits: dict[str, Any], input_tokens: int = 10) -> Any:
    body = {"model": "m", "max_tokens": 10, "messages": messages, "context_management": {"edits": list(edits)}}
    return applied_edits(validate_message_request(body), input_tokens)


CLEAR_TOOLS = {"type": "clear_tool_uses_20250919", "trigger": {"type": "tool_uses", "value": 2}}


def test_a_request_without_edits_gets_no_context_management() -> None:
    body = {"model": "m", "max_tokens": 10, "messages": conversation(1)}
    assert applied_edits(validate_message_request(body), 10) is None


def test_clearing_tool_uses_keeps_the_last_three_by_default() -> None:
    assert edits_for(conversation(5), CLEAR_TOOLS) == (
        {"type": "clear_tool_uses_20250919", "cleared_tool_uses": 2, "cleared_input_tokens": 200},
    )


@pytest.mark.parametrize(
    ("edit", "input_tokens"),
    [
        ({"type": "clear_tool_uses_20250919"}, 99_999),  # the default trigger: 100,000 input tokens
        ({**CLEAR_TOOLS, "trigger": {"type": "tool_uses", "value": 6}}, 10),  # 5 tool uses: not yet
        ({**CLEAR_TOOLS, "keep": {"type": "tool_uses", "value": 5}}, 10),  # keeps all five
        ({**CLEAR_TOOLS, "exclude_tools": ["get_weather"]}, 10),  # the only tool is kept
        ({**CLEAR_TOOLS, "clear_at_least": {"type": "input_tokens", "value": 201}}, 10),  # 200 would be cleared
    ],
)
def test_an_edit_that_clears_nothing_is_not_listed(edit: dict[str, Any], input_tokens: int) -> None:
    assert edits_for(conversation(5), edit, input_tokens=input_tokens) == ()


def test_the_input_token_trigger_counts_the_request() -> None:
    [applied] = edits_for(conversation(4), {"type": "clear_tool_uses_20250919"}, input_tokens=100_000)
    assert applied["cleared_tool_uses"] == 1


def test_clearing_tool_inputs_counts_them_too() -> None:
    [applied] = edits_for(conversation(4), {**CLEAR_TOOLS, "clear_tool_inputs": True})
    assert applied["cleared_input_tokens"] == 100 + 4  # the result, and {"city":"Paris"} (16 characters)


@pytest.mark.parametrize(
    ("keep", "cleared"),
    [(None, 2), ({"type": "thinking_turns", "value": 2}, 1), ("all", 0), ({"type": "all"}, 0)],
)
def test_clearing_thinking_keeps_the_last_turns_that_thought(keep: Any, cleared: int) -> None:
    edit: dict[str, Any] = {"type": "clear_thinking_20251015"}
    if keep is not None:
        edit["keep"] = keep
    expected = {
        "type": "clear_thinking_20251015",
        "cleared_thinking_turns": cleared,
        "cleared_input_tokens": 10 * cleared,
    }
    assert edits_for(conversation(4, thinking_turns=3), edit) == ((expected,) if cleared else ())


def test_edits_are_reported_in_the_request_order_and_compaction_is_not_among_them() -> None:
    edits = edits_for(
        conversation(5, thinking_turns=2),
        {"type": "clear_thinking_20251015"},
        {"type": "compact_20260112"},
        CLEAR_TOOLS,
    )
    assert [e["type"] for e in edits] == ["clear_thinking_20251015", "clear_tool_uses_20250919"]


@pytest.mark.parametrize(
    ("container", "named"),
    [("container_011Cabc", "container_011Cabc"), ({"id": "container_011Cdef"}, "container_011Cdef"), (None, None)],
)
def test_the_request_names_its_container(container: Any, named: str | None) -> None:
    body: dict[str, Any] = {"model": "m", "max_tokens": 10, "messages": conversation(0)}
    if container is not None:
        body["container"] = container
    assert request_container(validate_message_request(body)) == named
