"""Decision → Message, and Message → a schedule of SSE frames.

Pure: no I/O and no clock. Randomness (ids, signatures, jitter) comes from the request's draws
(``core.seeds``), so the same seed, session and request number give the same bytes. The server plays a
schedule on a clock; unit tests read the schedule directly.

Token accounting (documented in docs/scenarios.md, "usage"): a token is 4 characters, rounded up, at
least 1. Input counts the request's system, messages and tools as compact JSON; output counts the text,
thinking and tool-input JSON of the reply.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from mockgw.core.answer import CHARS_PER_TOKEN, Ids, Reply, tokens
from mockgw.core.schedule import DEFAULT_PING_MS, Jitter, Pacer, Schedule, apply_fault, with_pings

# The schedule's items lived here before every face shared them: still importable from here.
from mockgw.core.schedule import Disconnect as Disconnect
from mockgw.core.schedule import Frame as Frame
from mockgw.core.schedule import ScheduleItem as ScheduleItem
from mockgw.core.schedule import Stall as Stall
from mockgw.faces.anthropic.server_blocks import (
    SERVER_BLOCK_REPLIES,
    Prior,
    container,
    server_block,
    server_tool_usage,
)
from mockgw.faces.anthropic.wire.errors import default_message
from mockgw.faces.anthropic.wire.events import (
    CitationsDelta,
    CompactionDelta,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    ErrorDetail,
    ErrorEvent,
    InputJSONDelta,
    MessageDelta,
    MessageDeltaEvent,
    MessageDeltaUsage,
    MessageStartEvent,
    MessageStopEvent,
    PingEvent,
    SignatureDelta,
    TextDelta,
    ThinkingDelta,
)
from mockgw.faces.anthropic.wire.messages import (
    CacheCreation,
    ContentBlock,
    ContextManagement,
    Message,
    RedactedThinkingBlock,
    RefusalStopDetails,
    ServerToolUseBlock,
    StopReason,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    Usage,
    WebSearchResultBlock,
    WebSearchToolResultBlock,
)
from mockgw.faces.anthropic.wire.server_tools import WHOLE_BLOCKS, CompactionBlock, MCPToolUseBlock
from mockgw.scenario.schema import (
    Fault,
    JsonReply,
    RedactedThinkingReply,
    ReplyBlock,
    ServerToolUseReply,
    StopDetails,
    StreamErrorSpec,
    TextReply,
    ThinkingReply,
    Timing,
    ToolUseReply,
    WebSearchToolResultReply,
)
from mockgw.scenario.schema import Usage as UsageSpec
from mockgw.scenario.templates import TemplateContext, render_json


def _block(block: ReplyBlock, ctx: TemplateContext, ids: Ids, prior: Prior, now: float) -> ContentBlock:
    if isinstance(block, SERVER_BLOCK_REPLIES):  # the other server tools, MCP, container uploads, compaction
        return server_block(block, ctx, ids, prior, now)
    if isinstance(block, TextReply):
        return TextBlock(text=block.text.render(ctx), citations=list(block.citations) if block.citations else None)
    if isinstance(block, ThinkingReply):
        return ThinkingBlock(thinking=block.thinking.render(ctx), signature=block.signature or ids.opaque())
    if isinstance(block, RedactedThinkingReply):
        return RedactedThinkingBlock(data=block.redacted_thinking or ids.opaque(128))
    if isinstance(block, ToolUseReply):
        spec = block.tool_use
        return ToolUseBlock(id=spec.id or ids.tool_use(), name=spec.name, input=render_json(spec.input, ctx))
    if isinstance(block, ServerToolUseReply):
        server = block.server_tool_use
        return ServerToolUseBlock(
            id=server.id or ids.server_tool_use(), name=server.name, input=render_json(server.input, ctx)
        )
    if isinstance(block, JsonReply):  # made text by core/structured before render; unchecked if it gets here
        return TextBlock(text=json.dumps(render_json(block.json_, ctx), ensure_ascii=False, separators=(",", ":")))
    assert isinstance(block, WebSearchToolResultReply)
    result = block.web_search_tool_result
    content: list[WebSearchResultBlock] | dict[str, Any]
    if result.error_code is not None:
        content = {"type": "web_search_tool_result_error", "error_code": result.error_code}
    else:
        content = [
            WebSearchResultBlock(
                url=r.url,
                title=r.title,
                page_age=r.page_age,
                encrypted_content=r.encrypted_content or ids.opaque(),
            )
            for r in result.results
        ]
    return WebSearchToolResultBlock(tool_use_id=prior.server_id(result.tool_use_id, ids), content=content)


def _output_chars(block: ContentBlock) -> int:
    if isinstance(block, TextBlock):
        return len(block.text)
    if isinstance(block, ThinkingBlock):
        return len(block.thinking)
    if isinstance(block, ToolUseBlock | ServerToolUseBlock | MCPToolUseBlock):
        return len(json.dumps(block.input))
    return 0  # results the server made, not the model; a compaction's tokens are not the message's


@dataclass(frozen=True)
class Limits:
    """What the request allows the reply: ``max_tokens`` and ``stop_sequences``."""

    max_tokens: int
    stop_sequences: Sequence[str] = ()


def _apply_limits(
    blocks: list[ContentBlock], limits: Limits
) -> tuple[list[ContentBlock], StopReason | None, str | None]:
    """Cut the reply where the model would stop: a stop sequence in text, or the max_tokens budget."""
    budget = limits.max_tokens * CHARS_PER_TOKEN
    kept: list[ContentBlock] = []
    for block in blocks:
        if isinstance(block, TextBlock) and limits.stop_sequences:
            found = [(block.text.find(s), s) for s in limits.stop_sequences if s and s in block.text]
            if found:
                at, seq = min(found)
                if at <= budget:
                    kept.append(TextBlock(text=block.text[:at]))
                    return kept, "stop_sequence", seq
        size = _output_chars(block)
        if size > budget:
            if isinstance(block, TextBlock) and budget > 0:
                kept.append(TextBlock(text=block.text[:budget]))
            elif isinstance(block, ThinkingBlock) and budget > 0:
                kept.append(ThinkingBlock(thinking=block.thinking[:budget], signature=block.signature))
            return kept, "max_tokens", None
        budget -= size
        kept.append(block)
    return kept, None, None


def render_message(
    reply: Reply,
    *,
    model: str,
    input_chars: int,
    limits: Limits,
    ctx: TemplateContext,
    ids: Ids,
    now: float | None = None,
) -> Message:
    """The complete assistant message for a reply, with the request's limits applied.

    ``now`` (Unix seconds, from the gateway's clock; the wall clock when not given) dates a container's expiry
    and a fetched page's ``retrieved_at``.
    """
    now = time.time() if now is None else now
    blocks: list[ContentBlock] = []
    prior = Prior()
    for spec in reply.blocks:
        block = _block(spec, ctx, ids, prior, now)
        prior.saw(block)
        blocks.append(block)
    blocks, cut_reason, stop_sequence = _apply_limits(blocks, limits)

    if cut_reason is not None:
        stop_reason: StopReason = cut_reason
    elif reply.stop_reason is not None:
        stop_reason = reply.stop_reason
    elif reply.stop_details is not None:
        stop_reason = "refusal"  # stop_details describe a refusal
    elif blocks and isinstance(blocks[-1], CompactionBlock):
        stop_reason = "compaction"  # the turn paused after compacting (pause_after_compaction)
    else:
        stop_reason = "tool_use" if any(isinstance(b, ToolUseBlock) for b in blocks) else "end_turn"

    given = reply.usage or UsageSpec()
    output = tokens(sum(_output_chars(b) for b in blocks))  # omitted thinking is still generated and billed
    if reply.omit_thinking:
        blocks = [
            ThinkingBlock(thinking="", signature=b.signature) if isinstance(b, ThinkingBlock) else b for b in blocks
        ]
    if cut_reason == "max_tokens":
        output = limits.max_tokens
    written = given.cache_creation_input_tokens or 0
    by_ttl = given.cache_creation
    if by_ttl is not None and given.cache_creation_input_tokens is None:
        written = by_ttl.ephemeral_5m_input_tokens + by_ttl.ephemeral_1h_input_tokens  # the total is their sum
    usage = Usage(
        input_tokens=given.input_tokens if given.input_tokens is not None else tokens(input_chars),
        output_tokens=given.output_tokens if given.output_tokens is not None else output,
        cache_creation_input_tokens=written,
        cache_read_input_tokens=given.cache_read_input_tokens or 0,
        # Cache writes are 5-minute ones unless the scenario splits them by TTL.
        cache_creation=CacheCreation(**by_ttl.model_dump())
        if by_ttl is not None
        else CacheCreation(ephemeral_5m_input_tokens=written)
        if written
        else None,
        service_tier=given.service_tier or "standard",
        server_tool_use=server_tool_usage(blocks, given),
    )
    details = reply.stop_details
    if details is None and stop_reason == "refusal":
        details = StopDetails()  # the API sends stop_details with every refusal, null fields when it has none
    return Message(
        id=ids.message(),
        model=model,
        content=blocks,
        stop_reason=stop_reason,
        stop_sequence=stop_sequence,
        stop_details=RefusalStopDetails(**details.model_dump())
        if details is not None and stop_reason == "refusal"
        else None,
        container=container(blocks, reply.container, reply.request_container, ids, now),
        context_management=ContextManagement(applied_edits=list(reply.applied_edits))
        if reply.applied_edits is not None
        else None,
        usage=usage,
    )


# ---------------------------------------------------------------- streaming


# Built once: json.dumps with keyword arguments builds a new encoder on every call (about 1.5 µs, and a
# streamed reply dumps 20-odd frames). Same settings, so the same bytes.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


# Events whose fields are all strings, ints or None by their schema.
_PLAIN_EVENTS = (ContentBlockStopEvent, MessageStopEvent, PingEvent, ErrorEvent)


def _free_json(block: BaseModel) -> bool:
    """Whether a block carries JSON a scenario wrote (tool input, a search error), which may hold floats."""
    if isinstance(block, ToolUseBlock | ServerToolUseBlock):
        return bool(block.input)
    if isinstance(block, TextBlock):
        return bool(block.citations)  # a citation written in full is JSON from the scenario
    if isinstance(block, MCPToolUseBlock):
        return bool(block.input)
    return isinstance(block, (WebSearchToolResultBlock, *WHOLE_BLOCKS))  # results may hold the scenario's JSON


def _plain(model: BaseModel) -> bool:
    """Whether ``model`` holds only strings, ints, booleans and None (no JSON a scenario wrote)."""
    if isinstance(model, Message):
        return model.context_management is None and not any(_free_json(b) for b in model.content)
    if isinstance(model, MessageStartEvent):
        return _plain(model.message)
    if isinstance(model, ContentBlockStartEvent):
        return not _free_json(model.content_block)
    if isinstance(model, MessageDeltaEvent):
        return model.usage.server_tool_use is None and model.context_management is None
    if isinstance(model, ContentBlockDeltaEvent):
        return not isinstance(model.delta, CitationsDelta)
    if isinstance(model, ErrorEvent):
        return model.error.details is None  # details: JSON a scenario wrote
    return isinstance(model, _PLAIN_EVENTS)


def dump(model: BaseModel) -> str:
    """Compact JSON, as the API writes it.

    pydantic's own JSON writer is about 3× faster than ``json.dumps`` of ``model_dump`` and writes the same
    bytes for strings (checked for every code point), ints, booleans, None, lists and objects; it writes
    some floats differently (``1e-5`` for ``1e-05``, ``null`` for NaN), so models that may carry floats
    (tool input, search results: JSON from the scenario) keep ``json.dumps``.
    """
    if _plain(model):
        return model.model_dump_json()
    return _ENCODER.encode(model.model_dump(mode="json"))


def sse_frame(event: BaseModel) -> bytes:
    """One server-sent event: ``event: NAME`` / ``data: JSON`` / blank line (every client needs the name)."""
    name = event.type  # type: ignore[attr-defined]
    return f"event: {name}\ndata: {dump(event)}\n\n".encode()


def _split(text: str, size: int) -> Iterator[str]:
    """``text`` in pieces of ``size`` characters, one at a time (one empty piece for empty text)."""
    if not text:
        yield ""
    for i in range(0, len(text), size):
        yield text[i : i + size]


def _json_piece_size(length: int, size: int) -> int:
    # Tool input must arrive in several fragments (clients accumulate partial JSON), even when short.
    return min(size, max(1, math.ceil(length / 2)))


def _block_events(index: int, block: ContentBlock, chunk_chars: int) -> tuple[BaseModel, Iterator[BaseModel]]:
    """The content_block_start event and the deltas of one block (made one at a time, as they are read)."""
    start_block: ContentBlock
    deltas: Iterator[BaseModel] = iter(())
    if isinstance(block, TextBlock):
        # A cited text starts with an empty citations list; each citation follows its text as a citations_delta.
        start_block = TextBlock(text="", citations=[] if block.citations is not None else None)
        deltas = (ContentBlockDeltaEvent(index=index, delta=TextDelta(text=t)) for t in _split(block.text, chunk_chars))
        if block.citations:
            cited = (ContentBlockDeltaEvent(index=index, delta=CitationsDelta(citation=c)) for c in block.citations)
            deltas = itertools.chain(deltas, cited)
    elif isinstance(block, ThinkingBlock):
        start_block = ThinkingBlock(thinking="", signature="")
        # Thinking with no text (display "omitted") has no thinking_delta at all: only its signature_delta.
        thinking = (
            ContentBlockDeltaEvent(index=index, delta=ThinkingDelta(thinking=t))
            for t in (_split(block.thinking, chunk_chars) if block.thinking else ())
        )
        signature = ContentBlockDeltaEvent(index=index, delta=SignatureDelta(signature=block.signature))
        deltas = itertools.chain(thinking, (signature,))
    elif isinstance(block, ToolUseBlock | ServerToolUseBlock | MCPToolUseBlock):
        # The input goes ONLY through input_json_delta: Claude Code discards input given at the start.
        start_block = block.model_copy(update={"input": {}})
        payload = json.dumps(block.input, ensure_ascii=False, separators=(",", ":"))
        deltas = (
            ContentBlockDeltaEvent(index=index, delta=InputJSONDelta(partial_json=p))
            for p in _split(payload, _json_piece_size(len(payload), chunk_chars))
        )
    elif isinstance(block, CompactionBlock):
        # The summary comes in one compaction_delta after an empty start (the SDKs assign it, not append).
        start_block = block.model_copy(update={"content": None, "encrypted_content": None})
        delta = CompactionDelta(content=block.content, encrypted_content=block.encrypted_content)
        deltas = iter((ContentBlockDeltaEvent(index=index, delta=delta),))
    else:
        start_block = block  # redacted thinking and server tool results arrive whole in their start event
    return ContentBlockStartEvent(index=index, content_block=start_block), deltas


def _frames(message: Message, pacer: Pacer, chunk_chars: int) -> Iterator[Frame]:
    """The frames of ``message``, each made (built and dumped) only when asked for."""

    def frame(event: BaseModel, is_delta: bool = False) -> Frame:
        delay = pacer.next_delay() if is_delta else 0.0
        return Frame(delay, event.type, sse_frame(event), content=is_delta)  # type: ignore[attr-defined]

    start_message = message.model_copy(
        update={
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            # Like the API: message_start carries the input count and a token or so of output.
            "usage": message.usage.model_copy(update={"output_tokens": 1, "server_tool_use": None}),
            # The SDKs read these from message_delta, where they are sent.
            "container": None,
            "context_management": None,
        }
    )
    yield frame(MessageStartEvent(message=start_message))
    for index, block in enumerate(message.content):
        start, deltas = _block_events(index, block, chunk_chars)
        yield frame(start)
        if index == 0:
            yield frame(PingEvent())
        for delta in deltas:
            yield frame(delta, True)
        yield frame(ContentBlockStopEvent(index=index))
    if not message.content:
        yield frame(PingEvent())
    usage = message.usage
    yield frame(
        MessageDeltaEvent(
            delta=MessageDelta(
                stop_reason=message.stop_reason,
                stop_sequence=message.stop_sequence,
                stop_details=message.stop_details,
                container=message.container,
            ),
            context_management=message.context_management,
            usage=MessageDeltaUsage(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_creation_input_tokens=usage.cache_creation_input_tokens,
                cache_read_input_tokens=usage.cache_read_input_tokens,
                server_tool_use=usage.server_tool_use.model_dump() if usage.server_tool_use else None,
            ),
        )
    )
    yield frame(MessageStopEvent())


_PING = Frame(0.0, "ping", sse_frame(PingEvent()))


def stream_frames(message: Message, timing: Timing, rng: Jitter, fault: Fault | None = None) -> Schedule:
    """The frames of a streamed message, lazily, each with the delay before it, and any fault in place.

    Order: message_start, then per block start/deltas/stop (a ping after the first block starts),
    message_delta with the final usage, message_stop. ``fault.after_events = N`` lets N frames out, then
    sends an ``error`` event or disconnects. Each frame is made when the pacer asks for it, so a long reply
    costs nothing before its first byte. ``rng``: the request's jitter generator (``Draws.jitter``), which
    only this stream draws from, so the delays are those of ``stream_schedule`` however requests interleave.
    """
    chunk_chars = timing.chunk_chars or 16
    return paced(lambda pacer: _frames(message, pacer, chunk_chars), timing, rng, fault)


def paced(
    frames: Callable[[Pacer], Iterator[Frame]], timing: Timing, rng: Jitter, fault: Fault | None = None
) -> Schedule:
    """A Messages stream's schedule: ``frames(pacer)`` (each content delta delayed by the pacer), ``fault`` in
    place and keepalive pings. Shared by ``stream_frames`` and the answers prepared at load
    (faces/anthropic/prepared.py), so both pace, fault and ping alike."""
    pacer = Pacer(timing, rng)
    scheduled = apply_fault(frames(pacer), fault, _error_frame, "message_stop")
    ping_ms = DEFAULT_PING_MS if timing.ping_ms is None else timing.ping_ms
    return with_pings(scheduled, ping_ms / 1000, _PING)


def stream_schedule(
    message: Message,
    timing: Timing,
    rng: Jitter,
    fault: Fault | None = None,
) -> list[ScheduleItem]:
    """Every item of ``stream_frames`` at once, as a list (for tests and tools that read a whole schedule)."""
    return list(stream_frames(message, timing, rng, fault))


def _error_frame(error: StreamErrorSpec, _sent: int) -> Frame:
    return Frame(0.0, "error", error_event_frame(error.type, error.message, error.details))


def error_event_frame(error_type: str, message: str | None, details: Any = None) -> bytes:
    """A mid-stream ``event: error`` frame (``details``, any JSON: its ``error.details``)."""
    detail = ErrorDetail(type=error_type, message=message or default_message(error_type), details=details)
    return sse_frame(ErrorEvent(error=detail))


def message_json(message: Message) -> bytes:
    """The non-streamed body."""
    return dump(message).encode()
