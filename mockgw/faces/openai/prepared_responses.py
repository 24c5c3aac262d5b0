"""``/v1/responses`` answers prepared at load: a literal reply rendered once into bytes with holes.

The Responses face's counterpart of ``faces/openai/prepared.py`` (same markers, same cutting, from
``core/prepared.py``): a rule whose reply is only literal text, reasoning and tool calls answers every Responses
request with the same bytes but for what the request or the seed makes:

- the response id and every output item's id (and any tool call id or signature the scenario leaves to the
  seed): :class:`MarkedIds` holes, drawn per request in the full path's order;
- ``created_at``, and the usage's input and total token counts (16-digit number holes);
- every field the response object echoes from the request (``ECHOED``: instructions, model, tools,
  temperature …): each is a whole-value hole, filled with that field's JSON as ``envelope_of`` makes it, or
  with the default's bytes (made once) when the request leaves the field out.

The reply is composed and rendered here once, by the face's own functions (``output_items``,
``final_object``, ``response_events``), so the JSON body and every event of the stream are the same bytes by
construction. A request for which the full path would make something else gets no prepared answer
(``PreparedResponse.fits``): a ``tool_choice``, ``parallel_tool_calls: false`` or reasoning setting that
changes the reply (core/honour.py), a ``max_output_tokens`` budget that cuts it. ``previous_response_id`` and
``store`` change no byte of the answer (the held turns only change the input count, a hole); the prepared
answer holds the conversation as the full path does (:meth:`PreparedResponseAnswer.hold`).

Pure: no I/O. Preparing runs when a scenario is loaded, off the request path (``prepared_responses``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockgw.core.answer import CHARS_PER_TOKEN, Answer, Ids, ReasoningPart, Reply, ToolCallPart, tokens
from mockgw.core.answer_summary import answer_summary_of
from mockgw.core.prepared import (
    MAX_PREPARED,
    PLAIN_MODEL,
    PerScenario,
    PreparedTable,
    Segments,
    compose_marked,
    cut,
    fill,
    marker_number,
    new_nonce,
)
from mockgw.core.schedule import Jitter, Schedule
from mockgw.faces.anthropic.asks import parallel_tool_use, request_of, thinking_display, tool_choice_kind
from mockgw.faces.openai.prepared import literal_parts
from mockgw.faces.openai.responses import (
    ResponsesRequest,
    ResponseStore,
    envelope_of,
    failed_event,
    final_object,
    hold,
    output_items,
    response_events,
)
from mockgw.faces.openai.stream import Event, dumps, pace
from mockgw.scenario.schema import Fault, Scenario, ThinkingReply, Timing, ToolUseReply

# The response object's fields echoed from the request (``envelope_of``): each one a whole-value hole.
ECHOED = (
    "instructions",
    "max_output_tokens",
    "model",
    "parallel_tool_calls",
    "previous_response_id",
    "reasoning",
    "store",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_p",
    "metadata",
)
# The values of the holes, by index: ``created_at``, the input and total tokens, the echoed fields, the id draws.
CREATED = 0
INPUT_TOKENS = 1
TOTAL_TOKENS = 2
_FIRST_ECHO = 3
_MODEL = _FIRST_ECHO + ECHOED.index("model")
_FIRST_ID = _FIRST_ECHO + len(ECHOED)
# What each echoed field is when the request leaves it out (or sends null): the same for every request.
_DEFAULT_ECHOES = tuple(dumps(envelope_of({"model": ""}, "", 0)[name]).encode() for name in ECHOED)
_Frames = tuple[tuple[str, Segments, bool], ...]


def echoes(body: Mapping[str, Any]) -> list[bytes]:
    """The JSON of every echoed field for this request, as ``envelope_of`` makes it (defaults made once)."""
    out = list(_DEFAULT_ECHOES)
    made: dict[str, Any] | None = None
    for index, name in enumerate(ECHOED):
        if body.get(name) is None:
            continue
        if made is None:
            made = envelope_of(body, "", 0)
        out[index] = json_bytes(made[name])
    return out


def json_bytes(value: Any) -> bytes:
    """``dumps(value)``'s bytes; a number, a boolean or a plain string without the encoder (a few of them a
    request: the encoder's call costs more than writing them)."""
    kind = type(value)
    if kind is bool:
        return b"true" if value else b"false"
    if kind is int:
        return str(value).encode()
    if kind is float and math.isfinite(value):
        return repr(value).encode()  # what the encoder writes for a finite float
    if kind is str and PLAIN_MODEL.fullmatch(value):  # printable ASCII, no quote or backslash: written as is
        return f'"{value}"'.encode()
    return dumps(value).encode()


@dataclass(frozen=True)
class PreparedResponse:
    """A literal reply's response object and stream, as bytes with holes (see the module's docstring)."""

    blocks: object  # the scenario's list of reply blocks: a decision is answered only from its own rule
    body: Segments
    frames: _Frames
    chunk_chars: int
    calls: tuple[tuple[str, tuple[Any, ...]], ...]  # the id draws, in the order the full path makes them
    answer: Answer  # composed with markers: the held conversation's turn is made from it (ids filled in)
    marks: Mapping[str, int]  # each id marker and the value that fills it
    input_tokens: int | None  # scripted; None: counted from the request
    output_tokens: int
    output_chars: int  # what the max_output_tokens budget must allow for the reply to go out whole
    thinking: bool
    tools: bool
    tool_calls: int
    summary: Mapping[str, Any]  # the journal's ``answer``, its usage's input_tokens to be filled in

    def fits(self, request: ResponsesRequest) -> bool:
        """Whether the full path would answer ``request`` with exactly these bytes (ids, ``created_at``, the
        echoed fields and the input count aside): nothing it asks changes the reply, its budget does not cut it."""
        limit = request.max_tokens
        if limit is not None and limit * CHARS_PER_TOKEN < self.output_chars:
            return False
        asked = request_of(request.view)  # as honour_request reads it
        if self.thinking and thinking_display(asked) != "shown":
            return False
        choice = tool_choice_kind(asked)
        if choice in ("any", "tool") or (choice == "none" and self.tools):
            return False
        return self.tool_calls < 2 or parallel_tool_use(asked)

    def answer_for(self, request: ResponsesRequest, ids: Ids, created: int) -> PreparedResponseAnswer:
        """This reply for one request: ids drawn from ``ids`` in the full path's order, the request's fields
        echoed, the input counted (only when the scenario does not script the count)."""
        view = request.view
        input_tokens = self.input_tokens if self.input_tokens is not None else tokens(view.input_chars)
        values = [str(created).encode(), str(input_tokens).encode(), str(input_tokens + self.output_tokens).encode()]
        values += echoes(request.body)
        for name, args in self.calls:
            values.append(getattr(ids, name)(*args).encode())
        return PreparedResponseAnswer(self, request, values, input_tokens, created)


@dataclass(frozen=True)
class PreparedResponseAnswer:
    """A prepared reply for one request: its body, its stream, its journal summary and the turn it holds."""

    prepared: PreparedResponse
    request: ResponsesRequest
    values: list[bytes]
    input_tokens: int
    created: int

    @property
    def response_id(self) -> str:
        """The response's id (the first draw after the answer's own, as the route draws it)."""
        return self.values[_FIRST_ID + self.prepared.marks["response"]].decode()

    def summary(self) -> dict[str, Any]:
        """The journal's ``answer`` (blocks shared with every other answer of the rule: entries only read them)."""
        summary = dict(self.prepared.summary)
        summary["usage"] = {**summary["usage"], "input_tokens": self.input_tokens}
        return summary

    def body(self) -> bytes:
        """The non-streamed ``response`` JSON."""
        return fill(self.prepared.body, self.values)

    def schedule(self, timing: Timing, rng: Jitter, fault: Fault | None) -> Schedule:
        """The streamed events, paced and faulted as ``responses_schedule`` does (the same ``pace``)."""
        frames, values = self.prepared.frames, self.values
        events = (Event(name, fill(data, values), content) for name, data, content in frames)
        return pace(events, timing, rng, fault, lambda sent: self._failed(fault, sent))

    def _failed(self, fault: Fault | None, sent: int) -> Event:
        # A fault's rare end: made by the full path's own function, from this request's envelope.
        return failed_event(envelope_of(self.request.body, self.response_id, self.created), fault, sent)

    def hold(self, store: ResponseStore) -> None:
        """Keep this response's conversation for a later ``previous_response_id``, as ``hold`` does."""
        if self.request.body.get("store") is False:
            return
        hold(self.request, self._answer(), self.response_id, store)

    def _answer(self) -> Answer:
        """The composed answer with this request's ids (tool call ids and signatures drawn from the seed)."""
        marks, values = self.prepared.marks, self.values

        def real(text: str) -> str:
            found = marks.get(text)
            return text if found is None else values[_FIRST_ID + found].decode()

        parts = tuple(
            dataclasses.replace(p, id=real(p.id))
            if isinstance(p, ToolCallPart)
            else dataclasses.replace(p, signature=real(p.signature))
            if isinstance(p, ReasoningPart)
            else p
            for p in self.prepared.answer.parts
        )
        return dataclasses.replace(self.prepared.answer, parts=parts, input_tokens=self.input_tokens)


def prepare_response(reply: Reply, timing: Timing) -> PreparedResponse | None:
    """``reply`` composed and rendered once, or None when it is not literal (a template, json, input: auto,
    citations, a block the Responses API has no counterpart for).

    The markers carry random nonces, and the numbers are random 16-digit ones, so scenario text never meets
    one by chance.
    """
    if not literal_parts(reply):
        return None
    composed = compose_marked(reply, _FIRST_ID)
    if composed is None:
        return None
    marked, ids, answer = composed.marked, composed.ids, composed.answer
    input_marker = composed.input_marker  # the total (plus the output) has 16 digits too
    created = marker_number()
    response_draw = len(marked.calls)
    response_id = ids.response()  # drawn after the answer is composed, as the route does
    items = output_items(answer, ids)
    scripted_input = answer.input_tokens != input_marker
    holes = marked.holes()
    holes[str(created).encode()] = CREATED
    if not scripted_input:
        holes[str(input_marker).encode()] = INPUT_TOKENS
        holes[str(input_marker + answer.output_tokens).encode()] = TOTAL_TOKENS
    envelope = envelope_of({"model": ""}, response_id, created)
    for index, name in enumerate(ECHOED):
        echo = new_nonce() + "meta"  # JSON writes it '"Mgw…meta"': the whole value is the hole
        envelope[name] = echo
        holes[f'"{echo}"'.encode()] = _FIRST_ECHO + index
    final = final_object(envelope, answer, items)
    chunk_chars = timing.chunk_chars or 16
    body = cut(dumps(final).encode(), holes)
    events = response_events(envelope, final, items, chunk_chars)
    frames = tuple((e.name, cut(e.data, holes), e.content) for e in events)
    marks = {marked.marker(hole): hole - _FIRST_ID for hole in range(_FIRST_ID, _FIRST_ID + len(marked.calls))}
    marks["response"] = response_draw
    return PreparedResponse(
        blocks=reply.blocks,
        body=body,
        frames=frames,
        chunk_chars=chunk_chars,
        calls=tuple(marked.calls),
        answer=answer,
        marks=marks,
        input_tokens=answer.input_tokens if scripted_input else None,
        output_tokens=answer.output_tokens,
        output_chars=sum(len(p.arguments) if isinstance(p, ToolCallPart) else len(p.text) for p in answer.parts),
        thinking=any(isinstance(b, ThinkingReply) for b in reply.blocks),
        tools=any(isinstance(b, ToolUseReply) for b in reply.blocks),
        tool_calls=sum(1 for b in reply.blocks if isinstance(b, ToolUseReply)),
        summary=answer_summary_of(answer),
    )


class PreparedResponses(PreparedTable[PreparedResponse]):
    """The literal replies of a scenario (the first ``MAX_PREPARED``), prepared: by rule index and step."""

    def __init__(self, scenario: Scenario, limit: int = MAX_PREPARED) -> None:
        super().__init__(scenario, prepare_response, limit)


# The prepared Responses answers of each scenario, made once per scenario object (the last few remembered).
PREPARED_RESPONSES = PerScenario(PreparedResponses)


def prepared_responses(scenario: Scenario) -> PreparedResponses:
    """The prepared Responses answers of ``scenario``, made now unless they were (call it off the loop)."""
    return PREPARED_RESPONSES(scenario)
