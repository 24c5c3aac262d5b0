"""A request over ``OFF_LOOP_BYTES`` (a long Claude Code history) is served as a small one is.

The Messages route works out what rules read in a worker thread before deciding, and the input-token
estimate after deciding (also in a thread), only when an answer needs it: the rule chosen and the usage
sent must be those of the same request under the limit. Through the anthropic SDK; ``count_tokens`` of the
same messages is the reference for the estimate.
"""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from mockgw.server.routes import OFF_LOOP_BYTES
from tests.conftest import GatewayFactory

SCENARIO: dict[str, Any] = {
    "rules": [
        {"name": "deploy", "match": {"last_user": {"contains": "please deploy"}}, "reply": "Deploying."},
        {"name": "after-shell", "match": {"tool_result": {"name": "shell"}}, "reply": "The command ran."},
        {"name": "fallback", "reply": "Done."},
    ]
}
SHELL = {"name": "shell", "description": "Run a command", "input_schema": {"type": "object", "properties": {}}}


def history(chars: int, last: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A conversation whose tool results hold about ``chars`` characters (multi-byte ones too), ending on
    a user turn with ``last`` as its content."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "start"}]
    n = 0
    while chars > 0:
        n += 1
        output = f'line {n}: résumé 東京 "quoted"\t✓\n' * 2000
        messages += [
            {"role": "assistant", "content": [{"type": "tool_use", "id": f"t{n}", "name": "shell", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"t{n}", "content": output}]},
        ]
        chars -= len(output)
    messages.append({"role": "assistant", "content": [{"type": "tool_use", "id": "tz", "name": "shell", "input": {}}]})
    messages.append({"role": "user", "content": last})
    return messages


TYPED = [{"type": "tool_result", "tool_use_id": "tz", "content": "ok"}, {"type": "text", "text": "please deploy"}]
RESULT = [{"type": "tool_result", "tool_use_id": "tz", "content": "ok"}]


@pytest.mark.parametrize("chars", [10_000, 2 * OFF_LOOP_BYTES], ids=["small", "over the off-loop size"])
@pytest.mark.parametrize(("last", "reply"), [(TYPED, "Deploying."), (RESULT, "The command ran.")])
def test_a_long_history_is_matched_and_its_usage_estimated_as_a_short_one(
    gateway: GatewayFactory, chars: int, last: list[dict[str, Any]], reply: str
) -> None:
    gw = gateway(SCENARIO)
    client = anthropic.Anthropic(base_url=gw.url, api_key="k", max_retries=0)
    messages = history(chars, last)
    message = client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=64,
        tools=[SHELL],
        messages=messages,  # type: ignore[list-item,arg-type]
    )
    assert [b.text for b in message.content if b.type == "text"] == [reply]
    counted = client.messages.count_tokens(
        model="claude-sonnet-4-5",
        tools=[SHELL],
        messages=messages,  # type: ignore[list-item,arg-type]
    )
    assert message.usage.input_tokens == counted.input_tokens
    # Both requests (the message and its count) took the path their size says.
    assert [e.body_bytes > OFF_LOOP_BYTES for e in gw.journal] == [chars > OFF_LOOP_BYTES] * 2
