"""Honour what the request asks, as a model would: a pure step between the engine's choice and rendering.

A scenario scripts one reply; requests ask for different things of it. A model told ``tool_choice: none``
calls no tool; told ``disable_parallel_tool_use`` it calls at most one; forced to a tool it calls that tool
and writes nothing before the call; asked for no thinking it does not think; asked to omit its thinking it
sends the blocks with empty text and their signature. This step adjusts the scripted blocks accordingly and
says what it changed and why (the notes go to the journal).

Face-neutral: it reads a small description of what the request asks (``Asks``, which each face builds from
its own request) and works on the scenario's reply blocks, so the Anthropic and OpenAI faces behave alike.
See docs/scenarios.md, "What the request asks changes the answer".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mockgw.core.schema_sample import minimal_tool_input
from mockgw.faces.anthropic.wire.messages import StopReason
from mockgw.scenario.schema import (
    RedactedThinkingReply,
    ReplyBlock,
    ServerToolUseReply,
    ThinkingReply,
    ToolUseReply,
    ToolUseSpec,
    WebSearchToolResultReply,
)
from mockgw.scenario.server_blocks import (
    BashCodeExecutionToolResultReply,
    CodeExecutionToolResultReply,
    MCPToolResultReply,
    MCPToolUseReply,
    TextEditorCodeExecutionToolResultReply,
    ToolSearchToolResultReply,
    WebFetchToolResultReply,
)

ToolChoice = Literal["auto", "any", "tool", "none"]
# off: the request did not ask for thinking; shown: thinking text is sent; omitted: blocks without their text.
ThinkingDisplay = Literal["off", "shown", "omitted"]


@dataclass(frozen=True)
class OfferedTool:
    """A tool the request offers: its name and, for a client tool, its input schema."""

    name: str
    input_schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Asks:
    """What a request asks of the answer, whatever API it came through."""

    tool_choice: ToolChoice = "auto"
    tool_name: str | None = None  # the tool a ``tool`` choice forces
    parallel_tool_use: bool = True
    thinking: ThinkingDisplay = "shown"
    tools: tuple[OfferedTool, ...] = ()


@dataclass(frozen=True)
class Honoured:
    """The reply as the request asked for it, and what was changed (empty notes: nothing)."""

    blocks: tuple[ReplyBlock, ...]
    stop_reason: StopReason | None
    omit_thinking: bool
    notes: tuple[str, ...]


_THINKING = (ThinkingReply, RedactedThinkingReply)
# Server tool calls and their results (and MCP connector calls): a model told to call no tool sends none.
_SERVER_TOOL = (
    ServerToolUseReply,
    WebSearchToolResultReply,
    WebFetchToolResultReply,
    CodeExecutionToolResultReply,
    BashCodeExecutionToolResultReply,
    TextEditorCodeExecutionToolResultReply,
    ToolSearchToolResultReply,
    MCPToolUseReply,
    MCPToolResultReply,
)
# What this step may drop or change, for the answers prepared at load (faces/anthropic/prepared.py).
THINKING_BLOCKS = _THINKING
TOOL_BLOCKS = (ToolUseReply, *_SERVER_TOOL)
# Stop reasons that only say whether a tool was called: recomputed when the calls change.
_DERIVED_STOPS: tuple[StopReason | None, ...] = (None, "tool_use", "end_turn")


def _count(blocks: Sequence[ReplyBlock], kind: type | tuple[type, ...]) -> int:
    return sum(1 for b in blocks if isinstance(b, kind))


def _plural(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def _tool_names(blocks: Sequence[ReplyBlock]) -> list[str]:
    return [b.tool_use.name for b in blocks if isinstance(b, ToolUseReply)]


def _thinking(blocks: list[ReplyBlock], asks: Asks, notes: list[str]) -> tuple[list[ReplyBlock], bool]:
    n = _count(blocks, _THINKING)
    if asks.thinking == "off" and n:
        notes.append(
            f"thinking left out ({_plural(n, 'scripted block')}): the request does not ask for thinking "
            "(no thinking, or thinking disabled), and a model that is not thinking sends none"
        )
        return [b for b in blocks if not isinstance(b, _THINKING)], False
    if asks.thinking == "omitted" and _count(blocks, ThinkingReply):
        notes.append(
            'thinking text omitted: thinking.display is "omitted", so thinking blocks carry an empty '
            "thinking and their signature (their tokens still count as output)"
        )
        return blocks, True
    return blocks, False


def _forced_tool(asks: Asks) -> OfferedTool | None:
    """The tool a forced choice calls when the script calls none: the named one, or for ``any`` the first
    client tool offered (else the first tool)."""
    if asks.tool_choice == "tool":
        found = next((t for t in asks.tools if t.name == asks.tool_name), None)
        return found or (OfferedTool(asks.tool_name) if asks.tool_name else None)
    clients = [t for t in asks.tools if t.input_schema is not None]
    return next(iter(clients or asks.tools), None)


def _satisfies(block: ReplyBlock, asks: Asks) -> bool:
    if asks.tool_choice == "tool":
        return isinstance(block, ToolUseReply) and block.tool_use.name == asks.tool_name
    return isinstance(block, ToolUseReply | ServerToolUseReply)


def _tools(blocks: list[ReplyBlock], asks: Asks, notes: list[str]) -> list[ReplyBlock]:
    choice = asks.tool_choice
    if choice == "none":
        n = _count(blocks, (ToolUseReply, *_SERVER_TOOL))
        if n:
            kept: list[ReplyBlock] = [b for b in blocks if not isinstance(b, (ToolUseReply, *_SERVER_TOOL))]
            notes.append(
                f"tool calls left out ({_plural(n, 'block')}): tool_choice is none, so the model calls no tool"
                + ("; nothing else was scripted, so the answer is empty" if not kept else "")
            )
            return kept
        return blocks
    if choice not in ("any", "tool"):
        return blocks
    wanted = f"{choice} ({asks.tool_name})" if choice == "tool" else choice
    first = next((i for i, b in enumerate(blocks) if _satisfies(b, asks)), None)
    if first is not None:
        # The API prefills the turn to force the call: the model writes nothing before its tool_use.
        lead = next((i for i, b in enumerate(blocks) if isinstance(b, ToolUseReply | ServerToolUseReply)), first)
        if lead:
            notes.append(
                f"{_plural(lead, 'block')} before the tool call left out: tool_choice is {wanted}, and a forced "
                "call comes first (the API writes no text before it)"
            )
        return blocks[lead:]
    tool = _forced_tool(asks)
    if tool is None:
        notes.append(f"tool_choice is {wanted} but the request offers no tool to call: the reply is left as scripted")
        return blocks
    generated = minimal_tool_input(tool.input_schema)
    called = _tool_names(blocks)
    notes.append(
        f"tool_choice is {wanted}, but the scripted reply calls "
        + (", ".join(called) if called else "no tool")
        + f": mockgw calls {tool.name} instead, with the smallest input its input_schema allows "
        + json.dumps(generated, ensure_ascii=False, separators=(",", ":"))
        + " (script the call in the rule to choose its input)"
    )
    return [ToolUseReply(tool_use=ToolUseSpec(name=tool.name, input=generated))]


def _parallel(blocks: list[ReplyBlock], asks: Asks, notes: list[str]) -> list[ReplyBlock]:
    if asks.parallel_tool_use or _count(blocks, ToolUseReply) < 2:
        return blocks
    keep = next((b for b in blocks if isinstance(b, ToolUseReply) and _satisfies(b, asks)), None)
    if keep is None or asks.tool_choice != "tool":
        keep = next(b for b in blocks if isinstance(b, ToolUseReply))
    dropped = [b.tool_use.name for b in blocks if isinstance(b, ToolUseReply) and b is not keep]
    notes.append(
        f"parallel tool calls left out ({', '.join(dropped)}): disable_parallel_tool_use is true, so the model "
        f"calls one tool ({keep.tool_use.name})"
    )
    return [b for b in blocks if not isinstance(b, ToolUseReply) or b is keep]


def honour(blocks: Sequence[ReplyBlock], stop_reason: StopReason | None, asks: Asks) -> Honoured:
    """The scripted ``blocks`` and ``stop_reason`` adjusted to what the request ``asks``, with notes."""
    notes: list[str] = []
    out, omit = _thinking(list(blocks), asks, notes)
    before = _tool_names(out)
    out = _tools(out, asks, notes)
    out = _parallel(out, asks, notes)
    if _tool_names(out) != before and stop_reason in _DERIVED_STOPS:
        if stop_reason is not None:
            derived = "tool_use" if _count(out, ToolUseReply) else "end_turn"
            if derived != stop_reason:
                notes.append(f"stop_reason {derived}, not the scripted {stop_reason}: the tool calls changed")
        stop_reason = None  # derived at render from the blocks that remain
    return Honoured(tuple(out), stop_reason, omit, tuple(notes))
