"""The API's own 400s: the rules of a message request that its field types cannot express.

Each check raises ``InvalidRequest`` with the message text the real API gives, found in the API's
documentation and in public issue threads where users quote it (docs/requests.md lists each one, its
source, and the few whose wording could not be confirmed and was written in the API's style). The checks
run after the body parsed into the wire models, in roughly the order the API reports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pydantic import BaseModel

from mockgw.faces.anthropic.wire.blocks import (
    CacheControlParam,
    TextBlockParam,
    ToolResultBlockParam,
    ToolUseBlockParam,
)
from mockgw.faces.anthropic.wire.requests import (
    THINKING_ON,
    CountTokensParams,
    MessageCreateParams,
    MessageParam,
    ThinkingConfigEnabled,
)
from mockgw.faces.anthropic.wire.tools import SERVER_TOOLS, OtherToolParam

MAX_CACHE_BREAKPOINTS = 4
# The beta under which thinking may run past max_tokens: its budget is the whole context window.
INTERLEAVED_THINKING = "interleaved-thinking-2025-05-14"


class InvalidRequest(Exception):
    """A request the API would refuse: ``status`` (400 unless said) and the message the API gives."""

    def __init__(self, message: str, status: int = 400, error_type: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_type = error_type


Params = MessageCreateParams | CountTokensParams


def _blocks(message: MessageParam) -> Sequence[BaseModel]:
    return () if isinstance(message.content, str) else message.content


# ---------------------------------------------------------------- tools and tool_choice


def check_tools(params: Params) -> None:
    """Unique names, and each server tool with the name and fields its type requires."""
    seen: set[str] = set()
    for index, tool in enumerate(params.tools or ()):
        if isinstance(tool, OtherToolParam) and tool.type in SERVER_TOOLS:
            spec = SERVER_TOOLS[tool.type]
            where = f"tools.{index}.{tool.type}"
            if spec.name is not None and tool.name is None:
                raise InvalidRequest(f"{where}.name: Field required")
            if spec.name is not None and tool.name != spec.name:
                raise InvalidRequest(f"{where}.name: Input should be '{spec.name}'")
            extra = tool.model_extra or {}
            for field in spec.required:
                if field not in extra:
                    raise InvalidRequest(f"{where}.{field}: Field required")
        if tool.name is not None:
            if tool.name in seen:
                raise InvalidRequest("tools: Tool names must be unique.")
            seen.add(tool.name)


def check_tool_choice(params: Params) -> None:
    """A tool_choice needs tools, and one naming a tool needs that tool among them."""
    choice = params.tool_choice
    if choice is None or choice.type == "none":
        return
    if not params.tools:
        raise InvalidRequest("tool_choice may only be specified while providing tools.")
    if choice.type == "tool":
        names = {t.name for t in params.tools if t.name is not None}
        # Wording not confirmed against the real API (see docs/requests.md).
        if choice.name not in names:
            raise InvalidRequest(f"tool_choice.name: no tool named '{choice.name}' in `tools`")


def _forces_tool(params: Params) -> bool:
    return params.tool_choice is not None and params.tool_choice.type in ("any", "tool")


# ---------------------------------------------------------------- thinking, sampling and max_tokens


def check_thinking(params: Params, betas: frozenset[str]) -> None:
    """Thinking's budget against max_tokens, and the settings thinking does not allow."""
    thinking = params.thinking
    if thinking is None or thinking.type not in THINKING_ON:
        return
    if _forces_tool(params):
        raise InvalidRequest("Thinking may not be enabled when tool_choice forces tool use.")
    if not isinstance(params, MessageCreateParams):
        return
    if (
        isinstance(thinking, ThinkingConfigEnabled)
        and params.max_tokens <= thinking.budget_tokens
        and INTERLEAVED_THINKING not in betas
    ):
        raise InvalidRequest("`max_tokens` must be greater than `thinking.budget_tokens`")
    if params.temperature is not None and params.temperature != 1:
        raise InvalidRequest("`temperature` may only be set to 1 when thinking is enabled")
    if params.top_k is not None:
        raise InvalidRequest("`top_k` may not be set when thinking is enabled")


def check_prewarm(params: MessageCreateParams) -> None:
    """``max_tokens: 0`` fills the prompt cache and generates nothing; what would generate is refused.

    The combinations the API refuses are documented; their wording is not (see docs/requests.md).
    """
    if params.max_tokens != 0:
        return
    if params.stream:
        raise InvalidRequest("`max_tokens` may only be set to 0 when `stream` is false")
    if isinstance(params.thinking, ThinkingConfigEnabled):
        raise InvalidRequest("`max_tokens` may only be set to 0 when thinking is not enabled")
    if params.output_config is not None and params.output_config.format is not None:
        raise InvalidRequest("`max_tokens` may only be set to 0 without `output_config.format`")
    if _forces_tool(params):
        raise InvalidRequest("`max_tokens` may only be set to 0 when tool_choice does not force tool use")


def check_max_tokens(params: MessageCreateParams, limit: int | None) -> None:
    """``max_tokens`` within the model's output limit (None: a model the catalogue does not know)."""
    if limit is not None and params.max_tokens > limit:
        raise InvalidRequest(
            f"max_tokens: {params.max_tokens} > {limit}, which is the maximum allowed number of output tokens "
            f"for {params.model}"
        )


# ---------------------------------------------------------------- cache_control breakpoints


_WALKED: dict[type[BaseModel], tuple[str, ...]] = {}


def _walked_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The declared fields of ``model`` that may hold a breakpoint or blocks, found once per class.

    Declared fields only, looked up once: pydantic's ``model_fields`` and its ``__getattr__`` for a name a
    model lacks both cost microseconds, and a Claude Code turn has dozens of blocks and tools.
    """
    found = _WALKED.get(model)
    if found is None:
        found = _WALKED[model] = tuple(
            n for n in ("cache_control", "content", "source") if n in model.__pydantic_fields__
        )
    return found


def _breakpoints(nodes: Sequence[object]) -> int:
    """How many cache_control are set on ``nodes`` or inside them (blocks nest in tool results, documents)."""
    found = 0
    stack = list(nodes)
    while stack:  # iterative: a generator per block costs more than the walk itself
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, BaseModel):
            for name in _walked_fields(type(node)):
                child = getattr(node, name)
                if isinstance(child, CacheControlParam):
                    found += 1
                elif isinstance(child, list | BaseModel):
                    stack.append(child)
    return found


def check_cache_control(params: Params) -> None:
    """At most four breakpoints over tools, system and messages (the top-level one takes a slot too)."""
    nodes: list[object] = list(params.tools or ())
    if not isinstance(params.system, str | None):
        nodes.extend(params.system)
    nodes.extend(params.messages)
    found = _breakpoints(nodes) + (params.cache_control is not None)
    if found > MAX_CACHE_BREAKPOINTS:
        raise InvalidRequest(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {found}."
        )


# ---------------------------------------------------------------- message content


def _texts(blocks: Sequence[BaseModel]) -> Iterator[str]:
    """The text blocks a turn sends the model, those nested in tool results included."""
    for block in blocks:
        if isinstance(block, TextBlockParam):
            yield block.text
        elif isinstance(block, ToolResultBlockParam) and isinstance(block.content, list):
            yield from (b.text for b in block.content if isinstance(b, TextBlockParam))


def check_content(params: Params, held: int = 0) -> None:
    """No empty turns, no empty or blank text blocks, no final assistant text ending in whitespace.

    The first ``held`` messages are a message thread's held conversation, the server's own: not checked.
    """
    last = len(params.messages) - 1
    for index, message in enumerate(params.messages):
        if index < held:
            continue
        final_assistant = index == last and message.role == "assistant"
        if not message.content and not final_assistant:
            raise InvalidRequest(
                f"messages.{index}: all messages must have non-empty content except for the optional final "
                "assistant message"
            )
        texts = [message.content] if isinstance(message.content, str) else list(_texts(message.content))
        for text in texts:
            if not text and not final_assistant:
                raise InvalidRequest("messages: text content blocks must be non-empty")
            if text and not text.strip() and not final_assistant:
                raise InvalidRequest("messages: text content blocks must contain non-whitespace text")
    final = params.messages[last] if last >= held else None
    if final is not None and final.role == "assistant":
        tail = final.content if isinstance(final.content, str) else None
        if final.content and isinstance(final.content, list) and isinstance(final.content[-1], TextBlockParam):
            tail = final.content[-1].text
        if tail and tail != tail.rstrip():
            raise InvalidRequest("messages: final assistant content cannot end with trailing whitespace")


# ---------------------------------------------------------------- tool_use and tool_result pairs

_UNANSWERED = (
    "messages.{at}: `tool_use` ids were found without `tool_result` blocks immediately after: {ids}. "
    "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
)
_ORPHAN = (
    "messages.{at}.content.{block}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. "
    "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
)


def check_tool_pairs(params: Params, continues_thread: bool = False) -> None:
    """Unique tool_use ids; each tool_use answered in the next turn; each tool_result answering one.

    ``role: system`` entries are skipped (Claude Code puts them between turns). A request that continues a
    message thread holds only the new turn: its first turn may answer a tool_use the server holds.
    """
    seen: set[str] = set()
    for at, message in enumerate(params.messages):
        for index, block in enumerate(_blocks(message)):
            if isinstance(block, ToolUseBlockParam):
                if block.id in seen:
                    raise InvalidRequest(f"messages.{at}.content.{index}: tool_use ids must be unique")
                seen.add(block.id)
    turns = [(at, m) for at, m in enumerate(params.messages) if m.role != "system"]
    for position, (at, message) in enumerate(turns):
        before = turns[position - 1][1] if position else None
        asked = (
            {b.id for b in _blocks(before) if isinstance(b, ToolUseBlockParam)}
            if before is not None and before.role == "assistant"
            else set()
        )
        if message.role == "assistant":
            ids = [b.id for b in _blocks(message) if isinstance(b, ToolUseBlockParam)]
            # A trailing assistant turn is a prefill: its tool_use has nothing to answer yet.
            if ids and position < len(turns) - 1:
                after = _blocks(turns[position + 1][1])
                answered = {b.tool_use_id for b in after if isinstance(b, ToolResultBlockParam)}
                missing = [i for i in ids if i not in answered]
                if missing:
                    raise InvalidRequest(_UNANSWERED.format(at=at, ids=", ".join(missing)))
            continue
        if position == 0 and continues_thread:
            continue
        for index, block in enumerate(_blocks(message)):
            if isinstance(block, ToolResultBlockParam) and block.tool_use_id not in asked:
                raise InvalidRequest(_ORPHAN.format(at=at, block=index, id=block.tool_use_id))


def run_checks(
    params: Params,
    *,
    betas: frozenset[str] = frozenset(),
    max_output: Callable[[str], int | None] | None = None,
    held: int = 0,
) -> None:
    """Every check, in the order the API reports them; the first failure is raised. ``held``: how many
    leading messages a message thread's continue took from the held conversation (see ``check_content``)."""
    if not params.messages:
        raise InvalidRequest("messages: at least one message is required")
    if isinstance(params, MessageCreateParams):
        check_max_tokens(params, max_output(params.model) if max_output is not None else None)
    check_tools(params)
    check_tool_choice(params)
    if isinstance(params, MessageCreateParams):
        check_prewarm(params)
    check_thinking(params, betas)
    check_cache_control(params)
    check_content(params, held)
    thread: Any = (params.model_extra or {}).get("thread")
    check_tool_pairs(params, continues_thread=isinstance(thread, dict) and bool(thread.get("previous_message_id")))
