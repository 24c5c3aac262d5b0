"""What a Messages request's ``context_management.edits`` would have cleared, and the container it names.

The API clears old tool results and thinking from the prompt before the model reads it, and says what it
cleared in the message's ``context_management.applied_edits``. mockgw derives that report from the request
by the documented rules below (docs/scenarios.md, "context_management"); a rule's own ``context_management``
replaces it. Pure; reads the request whether its parts are models or plain mappings.

- ``clear_tool_uses_20250919`` applies when its ``trigger`` holds (default: 100,000 input tokens; or
  ``{type: tool_uses, value: N}``: N tool uses in the request). It clears every tool use but the most recent
  ``keep`` (default ``{type: tool_uses, value: 3}``), leaving out ``exclude_tools``; ``cleared_input_tokens``
  counts their results (and their inputs with ``clear_tool_inputs``) by the 4-characters rule. Nothing is
  applied when nothing would be cleared, or less than ``clear_at_least``.
- ``clear_thinking_20251015`` clears the thinking of every assistant turn but the last ``keep`` (default
  ``{type: thinking_turns, value: 1}``; ``all`` keeps all) that thought.
- Other edits (``compact_20260112``: a compaction block in the reply) are not reported here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from mockgw.core.answer import tokens

DEFAULT_TRIGGER_TOKENS = 100_000
DEFAULT_KEEP_TOOL_USES = 3
DEFAULT_KEEP_THINKING_TURNS = 1


def field(obj: Any, name: str) -> Any:
    """A field of a request part, declared or not (parts keep unknown fields, as ``model_extra``)."""
    if isinstance(obj, dict):
        return obj.get(name)
    value = getattr(obj, name, None)
    if value is None and getattr(obj, "model_extra", None):
        value = obj.model_extra.get(name)
    return value


def _blocks(message: Any) -> list[Any]:
    content = field(message, "content")
    return content if isinstance(content, list) else []


def _chars(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json", exclude_none=True)
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))


def _tool_uses(messages: list[Any]) -> Iterator[tuple[Any, int]]:
    """Each assistant tool_use in order, with the characters of the tool_result answering it."""
    results: dict[str, int] = {}
    for message in messages:
        for block in _blocks(message):
            if field(block, "type") == "tool_result":
                results[str(field(block, "tool_use_id"))] = _chars(field(block, "content") or "")
    for message in messages:
        if field(message, "role") != "assistant":
            continue
        for block in _blocks(message):
            if field(block, "type") == "tool_use":
                yield block, results.get(str(field(block, "id")), 0)


def _value(spec: Any, kind: str, default: int) -> int:
    if spec is None:
        return default
    value = field(spec, "value")
    return value if field(spec, "type") == kind and isinstance(value, int) else default


def _clear_tool_uses(edit: Any, messages: list[Any], input_tokens: int) -> dict[str, Any] | None:
    uses = list(_tool_uses(messages))
    trigger = field(edit, "trigger")
    if field(trigger, "type") == "tool_uses":
        if len(uses) < _value(trigger, "tool_uses", 0):
            return None
    elif input_tokens < _value(trigger, "input_tokens", DEFAULT_TRIGGER_TOKENS):
        return None
    keep = _value(field(edit, "keep"), "tool_uses", DEFAULT_KEEP_TOOL_USES)
    excluded = set(field(edit, "exclude_tools") or ())
    candidates = [(b, n) for b, n in uses if field(b, "name") not in excluded]
    cleared = candidates[: max(0, len(candidates) - keep)]
    if not cleared:
        return None
    inputs = field(edit, "clear_tool_inputs")
    chars = 0
    for block, result_chars in cleared:
        chars += result_chars
        if inputs is True or (isinstance(inputs, list) and field(block, "name") in inputs):
            chars += _chars(field(block, "input") or {})
    cleared_tokens = tokens(chars)
    if cleared_tokens < _value(field(edit, "clear_at_least"), "input_tokens", 0):
        return None
    return {
        "type": "clear_tool_uses_20250919",
        "cleared_tool_uses": len(cleared),
        "cleared_input_tokens": cleared_tokens,
    }


def _clear_thinking(edit: Any, messages: list[Any]) -> dict[str, Any] | None:
    keep = field(edit, "keep")
    if keep == "all" or field(keep, "type") == "all":
        return None
    turns = [
        sum(_chars(field(b, "thinking") or field(b, "data") or "") for b in thought)
        for m in messages
        if field(m, "role") == "assistant"
        and (thought := [b for b in _blocks(m) if field(b, "type") in ("thinking", "redacted_thinking")])
    ]
    cleared = turns[: max(0, len(turns) - _value(keep, "thinking_turns", DEFAULT_KEEP_THINKING_TURNS))]
    if not cleared:
        return None
    return {
        "type": "clear_thinking_20251015",
        "cleared_thinking_turns": len(cleared),
        "cleared_input_tokens": tokens(sum(cleared)),
    }


def applied_edits(params: Any, input_tokens: int) -> tuple[dict[str, Any], ...] | None:
    """The ``applied_edits`` for this request (None: it asks for no context edits)."""
    edits = field(field(params, "context_management"), "edits")
    if not isinstance(edits, list):
        return None
    messages = list(field(params, "messages") or ())
    applied: list[dict[str, Any]] = []
    for edit in edits:
        kind = field(edit, "type")
        done = None
        if kind == "clear_tool_uses_20250919":
            done = _clear_tool_uses(edit, messages, input_tokens)
        elif kind == "clear_thinking_20251015":
            done = _clear_thinking(edit, messages)
        if done is not None:
            applied.append(done)
    return tuple(applied)


def request_container(params: Any) -> str | None:
    """The container id the request names (``container: "id"`` or ``{id: ...}``), to answer from it again."""
    container = field(params, "container")
    if isinstance(container, str):
        return container
    found = field(container, "id") if container is not None else None
    return found if isinstance(found, str) else None
