"""Messages answers prepared at load: a literal reply rendered once into bytes with holes.

A rule whose reply has no template, no ``json`` block, no ``input: auto`` and no citations answers every
request with the same bytes but for a few values: the message id (and any tool-use id, signature or opaque
data the scenario leaves to the seed), the echoed model and the input token count. Such a reply is rendered
here once, by the renderer itself (``render_message``, ``message_json``, the stream's frames), with markers
in place of those values; the bytes are cut at the markers. A request then costs the id draws and one join
instead of building a ``Message`` and serialising it: byte-identical by construction, and a block type the
renderer learns flows through unchanged.

A request for which the renderer would make something else gets no prepared answer (``PreparedMessage.fits``):
a reply that a ``tool_choice``, ``disable_parallel_tool_use`` or ``thinking`` setting changes (core/honour.py),
a ``max_tokens`` budget or a stop sequence that cuts it, a model name JSON must escape. Those, message threads
and everything that is not literal take the full path in ``server/routes.py``, as before.

Pure: no I/O. Preparing runs when a scenario is loaded, off the request path (``prepared_answers``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from mockgw.core.answer import CHARS_PER_TOKEN, Ids, Reply, tokens
from mockgw.core.honour import THINKING_BLOCKS, TOOL_BLOCKS
from mockgw.core.prepared import (
    MAX_PREPARED,
    PLAIN_MODEL,
    MarkedIds,
    NotLiteral,
    PerScenario,
    PreparedTable,
    RefusingContext,
    Segments,
    cut,
    fill,
    literal_blocks,
    marker_number,
    new_nonce,
)
from mockgw.core.request import RequestView
from mockgw.core.schedule import Frame, Jitter, Pacer, Schedule
from mockgw.faces.anthropic.asks import parallel_tool_use, request_of, thinking_display, tool_choice_kind
from mockgw.faces.anthropic.context_edits import field, request_container
from mockgw.faces.anthropic.render import (
    Limits,
    _frames,
    _output_chars,
    message_json,
    paced,
    render_message,
)
from mockgw.faces.anthropic.summary import message_summary
from mockgw.faces.anthropic.wire.messages import Message, TextBlock
from mockgw.scenario.schema import (
    Fault,
    Scenario,
    Timing,
    ToolUseReply,
)

# The values that fill the holes: MODEL, INPUT_TOKENS, then the ids in draw order.
MODEL = 0
INPUT_TOKENS = 1
_FIRST_ID = 2
_NO_BUDGET = 1 << 62  # max_tokens for the render at load: no cut (a request's own limits are checked by ``fits``)


@dataclass(frozen=True)
class _Render:
    """One render at load with markers: the message, its body cut at them, the draws made, and the holes."""

    message: Message
    body: Segments
    calls: tuple[tuple[str, tuple[Any, ...]], ...]
    holes: Mapping[bytes, int]


def _render(reply: Reply, scripted_input: bool, now: float) -> _Render:
    nonce = new_nonce()
    ids = MarkedIds(nonce, _FIRST_ID)
    model = f"{nonce}model"
    input_tokens = marker_number()
    message = render_message(
        reply,
        model=model,
        input_chars=input_tokens * CHARS_PER_TOKEN,
        limits=Limits(_NO_BUDGET),
        ctx=RefusingContext(),
        ids=cast(Ids, ids),
        now=now,
    )
    holes = ids.holes()
    holes[model.encode()] = MODEL
    if not scripted_input:
        holes[str(input_tokens).encode()] = INPUT_TOKENS
    return _Render(message, cut(message_json(message), holes), tuple(ids.calls), holes)


def _stream(render: _Render, chunk_chars: int) -> tuple[tuple[str, Segments, bool], ...]:
    """The render's stream frames, cut at its holes (the pacer's delays are the schedule's, not the bytes')."""
    pacer = Pacer(Timing(), random.Random(0))  # no jitter: it never draws
    frames = _frames(render.message, pacer, chunk_chars)
    return tuple((f.event, cut(f.data, render.holes), f.content) for f in frames)


@dataclass(frozen=True)
class PreparedMessage:
    """A literal reply's Messages answer, as bytes with holes (see the module's docstring)."""

    blocks: object  # the scenario's list of reply blocks: a decision is answered only from its own rule
    body: Segments
    frames: tuple[tuple[str, Segments, bool], ...]
    chunk_chars: int
    deltas: int
    calls: tuple[tuple[str, tuple[Any, ...]], ...]  # the id draws, in the order the renderer makes them
    input_tokens: int | None  # scripted; None: counted from the request
    output_tokens: int
    output_chars: int  # what the max_tokens budget must allow for the reply to go out whole
    texts: tuple[str, ...]  # the text blocks' text, where a stop sequence would cut
    thinking: bool  # thinking blocks: a request that does not show thinking changes the reply
    tools: bool  # tool blocks: a forced or refused tool_choice changes the reply
    tool_calls: int  # client tool calls: more than one is cut by disable_parallel_tool_use
    container: bool  # the message names a container: the request may name the one to reuse
    edits_from_request: bool  # context_management's applied edits are not scripted: a request's edits make them
    summary: Mapping[str, Any]  # the journal's ``answer``, its usage's input_tokens to be filled in

    def fits(self, view: RequestView) -> bool:
        """Whether the renderer would answer this request with exactly these bytes (ids, model and input
        tokens aside): nothing it asks changes the reply, and its limits do not cut it."""
        if view.max_tokens * CHARS_PER_TOKEN < self.output_chars:
            return False
        stops = view.stop_sequences
        if stops and any(stop and stop in text for stop in stops for text in self.texts):
            return False
        if PLAIN_MODEL.fullmatch(view.model) is None:
            return False
        request = request_of(view)  # as honour_request reads it
        if self.thinking and thinking_display(request) != "shown":
            return False
        if self.container and request_container(request) is not None:
            return False
        if self.edits_from_request and field(request, "context_management") is not None:
            return False
        # core/honour.py: a forced choice moves or makes a tool call, "none" drops the scripted ones, and
        # disable_parallel_tool_use keeps one call of several.
        choice = tool_choice_kind(request)
        if choice in ("any", "tool") or (choice == "none" and self.tools):
            return False
        return self.tool_calls < 2 or parallel_tool_use(request)

    def answer(self, model: str, input_chars: Callable[[], int], ids: Ids) -> PreparedAnswer:
        """This reply for one request: ids drawn from ``ids`` in the renderer's order, the model echoed,
        the input counted (``input_chars`` is called only when the scenario does not script the count)."""
        values: list[bytes] = [model.encode(), b""]
        input_tokens = self.input_tokens
        if input_tokens is None:
            input_tokens = tokens(input_chars())
            values[INPUT_TOKENS] = str(input_tokens).encode()
        for name, args in self.calls:
            values.append(getattr(ids, name)(*args).encode())
        return PreparedAnswer(self, values, input_tokens)


@dataclass(frozen=True)
class PreparedAnswer:
    """A prepared reply for one request: its body, its stream, its journal summary and usage."""

    prepared: PreparedMessage
    values: list[bytes]
    input_tokens: int

    @property
    def usage(self) -> tuple[int, int]:
        return self.input_tokens, self.prepared.output_tokens

    def summary(self) -> dict[str, Any]:
        """The journal's ``answer`` (blocks shared with every other answer of the rule: entries only read them)."""
        summary = dict(self.prepared.summary)
        summary["usage"] = {**summary["usage"], "input_tokens": self.input_tokens}
        return summary

    def body(self) -> bytes:
        """The non-streamed JSON body."""
        return fill(self.prepared.body, self.values)

    def schedule(self, timing: Timing, rng: Jitter, fault: Fault | None) -> Schedule:
        """The streamed answer, paced, faulted and pinged as ``render.stream_frames`` does."""
        prepared, values = self.prepared, self.values

        def frames(pacer: Pacer) -> Iterator[Frame]:
            for event, data, content in prepared.frames:
                delay = pacer.next_delay() if content else 0.0
                yield Frame(delay, event, fill(data, values), content=content)

        return paced(frames, timing, rng, fault)


def prepare_reply(reply: Reply, timing: Timing) -> PreparedMessage | None:
    """``reply`` rendered once, or None when it is not literal (a template, json, input: auto, citations).

    The markers carry a random nonce (and the input count is a random 16-digit number), so scenario text
    never meets one by chance.
    """
    if not literal_blocks(reply):
        return None
    chunk_chars = timing.chunk_chars or 16
    scripted_input = reply.usage is not None and reply.usage.input_tokens is not None
    try:
        # No clock: an answer that shows the time (a container's expiry, a fetched page's date) cannot be made
        # from a NaN, and is not prepared.
        first = _render(reply, scripted_input, now=math.nan)
    except (NotLiteral, ValueError, OverflowError):
        return None
    frames = _stream(first, chunk_chars)
    message = first.message
    blocks = reply.blocks
    return PreparedMessage(
        blocks=blocks,
        body=first.body,
        frames=frames,
        chunk_chars=chunk_chars,
        deltas=sum(1 for _, _, content in frames if content),
        calls=first.calls,
        input_tokens=message.usage.input_tokens if scripted_input else None,
        output_tokens=message.usage.output_tokens,
        output_chars=sum(_output_chars(b) for b in message.content),
        texts=tuple(b.text for b in message.content if isinstance(b, TextBlock)),
        thinking=any(isinstance(b, THINKING_BLOCKS) for b in blocks),
        tools=any(isinstance(b, TOOL_BLOCKS) for b in blocks),
        container=message.container is not None,
        edits_from_request=reply.applied_edits is None,
        tool_calls=sum(1 for b in blocks if isinstance(b, ToolUseReply)),
        summary=message_summary(message),
    )


class PreparedAnswers(PreparedTable[PreparedMessage]):
    """The literal replies of a scenario (the first ``MAX_PREPARED``), prepared: by rule index and sequence step."""

    def __init__(self, scenario: Scenario, limit: int = MAX_PREPARED) -> None:
        super().__init__(scenario, prepare_reply, limit)


_MADE = PerScenario(PreparedAnswers)


def prepared_answers(scenario: Scenario) -> PreparedAnswers:
    """The prepared answers of ``scenario``, made once per scenario object.

    Call it off the event loop before handing a scenario to a running gateway (the admin API and hot reload
    do, in a thread): ``Gateway.load`` then finds them made. The last few are remembered, by identity.
    """
    return _MADE(scenario)
