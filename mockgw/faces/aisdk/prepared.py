"""AI SDK answers prepared ahead: a literal reply's ``doGenerate`` body and ``doStream`` parts, made once
into bytes with holes.

The Messages face does this in ``faces/anthropic/prepared.py``; this is the same idea for
``/v4/ai/language-model``. A literal reply (no template, ``json``, ``input: auto`` or citations) is composed
once (``core/answer.compose``) and written once by this face's own writers (``generate_result`` and
``stream_events``, through the same JSON encoders as the route), with markers in place of what varies per
request: the ids the composer draws (tool call ids, signatures) and the generation id, the model that answered,
the input token count, the stream's timestamp, and the provider metadata (routing and cost, made per request:
the cost depends on the input count). The bytes are cut at the markers. A request then costs the id draws,
one small ``json`` dump of the metadata and a join: byte-identical by construction.

A request the composer would answer otherwise takes the full path (``PreparedCall.fits``): a ``toolChoice``,
``reasoning`` or parallel-call setting that changes the reply (``core/honour.py``), a ``maxOutputTokens`` or a
stop sequence that cuts it, a model name that JSON must escape.

Pure: no I/O. Preparing runs once per scenario, in a thread, when the face's first request after a load
comes (``aisdk_prepared``; server/aisdk.py): not at load itself, since a gateway that only serves the
Messages API never loads this face.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mockgw.core.answer import CHARS_PER_TOKEN, Ids, Reply, TextPart, tokens
from mockgw.core.answer import _chars as part_chars
from mockgw.core.answer_summary import answer_summary_of
from mockgw.core.honour import THINKING_BLOCKS, TOOL_BLOCKS
from mockgw.core.prepared import (
    MAX_PREPARED,
    PLAIN_MODEL,
    PerScenario,
    PreparedTable,
    Segments,
    compose_marked,
    cut,
    fill,
    literal_blocks,
)
from mockgw.core.request import RequestView
from mockgw.faces.aisdk.language_model import generate_result, stream_events
from mockgw.faces.anthropic.asks import parallel_tool_use, request_of, thinking_display, tool_choice_kind
from mockgw.faces.openai.stream import Event, dumps
from mockgw.scenario.schema import Scenario, Timing, ToolUseReply

# The values that fill the holes, then the ids in draw order.
MODEL, INPUT_TOKENS, TIMESTAMP, METADATA = 0, 1, 2, 3
_FIRST_ID = 4


@dataclass(frozen=True)
class PreparedCall:
    """A literal reply's AI SDK answer, as bytes with holes (see the module's docstring)."""

    blocks: object  # the scenario's list of reply blocks: a decision is answered only from its own rule
    chunk_chars: int
    body: Segments
    events: tuple[tuple[str, Segments, bool], ...]  # name, bytes, whether it carries content
    calls: tuple[tuple[str, tuple[Any, ...]], ...]  # the id draws in the order the route makes them
    input_tokens: int | None  # scripted; None: counted from the request
    output_tokens: int
    reasoning_tokens: int
    stop_reason: Any  # the answer's StopReason
    output_chars: int  # what maxOutputTokens must allow for the reply to go out whole
    texts: tuple[str, ...]  # the text parts, where a stop sequence would cut
    thinking: bool  # thinking blocks: a request that does not show thinking changes the reply
    tools: bool  # tool blocks: a forced or refused tool choice changes the reply
    tool_calls: int  # client tool calls: more than one is cut when parallel calls are off
    summary: Mapping[str, Any]  # the journal's ``answer``, its usage's input_tokens to be filled in

    def fits(self, view: RequestView, model: str, max_tokens: int | None, stop: tuple[str, ...]) -> bool:
        """Whether the composer would answer this call (routed to ``model``) with exactly these bytes:
        nothing it asks changes the reply, and its limits do not cut it."""
        if max_tokens is not None and max_tokens * CHARS_PER_TOKEN < self.output_chars:
            return False
        if stop and any(s and s in text for s in stop for text in self.texts):
            return False
        if PLAIN_MODEL.fullmatch(model) is None:
            return False
        request = request_of(view)  # as honour_request reads it
        if self.thinking and thinking_display(request) != "shown":
            return False
        choice = tool_choice_kind(request)
        if choice in ("any", "tool") or (choice == "none" and self.tools):
            return False
        return self.tool_calls < 2 or parallel_tool_use(request)

    def answer(self, input_chars: Callable[[], int], ids: Ids) -> PreparedAnswer:
        """This reply for one request: ids drawn from ``ids`` in the route's order (the composer's, then the
        generation id), the input counted (``input_chars`` is called only when the scenario does not script
        the count)."""
        input_tokens = self.input_tokens
        values: list[bytes] = [b"", b"", b"", b""]
        if input_tokens is None:
            input_tokens = tokens(input_chars())
            values[INPUT_TOKENS] = str(input_tokens).encode()
        drawn = [getattr(ids, name)(*args) for name, args in self.calls]
        values.extend(d.encode() for d in drawn)
        return PreparedAnswer(self, values, input_tokens, drawn[-1])


@dataclass(frozen=True)
class PreparedAnswer:
    """A prepared reply for one request: its token counts and generation id, its body and its stream."""

    prepared: PreparedCall
    values: list[bytes]
    input_tokens: int
    generation_id: str

    @property
    def output_tokens(self) -> int:
        return self.prepared.output_tokens

    @property
    def reasoning_tokens(self) -> int:
        return self.prepared.reasoning_tokens

    @property
    def stop_reason(self) -> Any:
        return self.prepared.stop_reason

    def summary(self) -> dict[str, Any]:
        """The journal's ``answer`` (blocks shared with every other answer of the rule: entries only read them)."""
        summary = dict(self.prepared.summary)
        summary["usage"] = {**summary["usage"], "input_tokens": self.input_tokens}
        return summary

    def body(self, provider_metadata: Mapping[str, Any]) -> bytes:
        """The ``doGenerate`` result's JSON."""
        self.values[METADATA] = dumps(provider_metadata["gateway"]).encode()
        return fill(self.prepared.body, self.values)

    def events(self, model: str, timestamp: str, provider_metadata: Mapping[str, Any]) -> Iterator[Event]:
        """The ``doStream`` parts, made one at a time as the pacer asks for them (``language_model.pace``)."""
        values = self.values
        values[MODEL], values[TIMESTAMP] = model.encode(), timestamp.encode()
        values[METADATA] = dumps(provider_metadata["gateway"]).encode()
        for name, data, content in self.prepared.events:
            yield Event(name, fill(data, values), content)


def prepare_call(reply: Reply, timing: Timing) -> PreparedCall | None:
    """``reply`` composed and written once, or None when it is not literal (a template, json, input: auto,
    citations). The markers carry a random nonce and the input count is a random 16-digit number, so scenario
    text never meets one by chance."""
    if not literal_blocks(reply):
        return None
    composed = compose_marked(reply, _FIRST_ID)
    if composed is None:
        return None
    nonce, marked, ids, answer = composed.nonce, composed.marked, composed.ids, composed.answer
    scripted_input = reply.usage is not None and reply.usage.input_tokens is not None
    input_tokens = composed.input_marker
    generation_id = ids.generation()
    model, timestamp = f"{nonce}model", f"{nonce}time"
    metadata = {"gateway": f"{nonce}meta"}
    holes = marked.holes()
    holes.update({model.encode(): MODEL, timestamp.encode(): TIMESTAMP, f'"{nonce}meta"'.encode(): METADATA})
    if not scripted_input:
        holes[str(input_tokens).encode()] = INPUT_TOKENS
    chunk_chars = timing.chunk_chars or 16
    summary = answer_summary_of(answer)
    if nonce in dumps(summary):
        return None  # the journal's summary would show a marker: leave such a reply to the full path
    body = cut(dumps(generate_result(answer, metadata)).encode(), holes)
    events = stream_events(
        answer,
        response_id=generation_id,
        model=model,
        timestamp=timestamp,
        provider_metadata=metadata,
        chunk_chars=chunk_chars,
    )
    blocks = reply.blocks
    return PreparedCall(
        blocks=blocks,
        chunk_chars=chunk_chars,
        body=body,
        events=tuple((e.name, cut(e.data, holes), e.content) for e in events),
        calls=tuple(marked.calls),
        input_tokens=answer.input_tokens if scripted_input else None,
        output_tokens=answer.output_tokens,
        reasoning_tokens=answer.reasoning_tokens,
        stop_reason=answer.stop_reason,
        output_chars=sum(part_chars(p) for p in answer.parts),
        texts=tuple(p.text for p in answer.parts if isinstance(p, TextPart)),
        thinking=any(isinstance(b, THINKING_BLOCKS) for b in blocks),
        tools=any(isinstance(b, TOOL_BLOCKS) for b in blocks),
        tool_calls=sum(1 for b in blocks if isinstance(b, ToolUseReply)),
        summary=summary,
    )


class PreparedCalls(PreparedTable[PreparedCall]):
    """The literal replies of a scenario (the first ``MAX_PREPARED``), prepared: by rule index and sequence step."""

    def __init__(self, scenario: Scenario, limit: int = MAX_PREPARED) -> None:
        super().__init__(scenario, prepare_call, limit)


# The prepared AI SDK answers of each scenario, made once per scenario object (the last few remembered).
PREPARED_CALLS = PerScenario(PreparedCalls)


def aisdk_prepared(scenario: Scenario) -> PreparedCalls:
    """The prepared AI SDK answers of ``scenario``, made now unless they were (call it off the loop)."""
    return PREPARED_CALLS(scenario)
