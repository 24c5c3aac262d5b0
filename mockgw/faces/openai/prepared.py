"""Chat completions answers prepared at load: a literal reply rendered once into bytes with holes.

The OpenAI face's counterpart of ``faces/anthropic/prepared.py`` (same markers, same cutting): a rule whose
reply is only literal text, reasoning and tool calls answers every chat request with the same bytes but for
the completion id (and any tool call id or signature the scenario leaves to the seed), ``created``, the
echoed model and the prompt and total token counts. Such a reply is composed and rendered here once, by the
face's own functions (``compose``, ``completion``, ``chat_schedule``), with markers in place of those values,
and the bytes are cut at the markers: the JSON body, and every chunk of the stream with
``stream_options.include_usage`` off and on. A request then costs the id draws and a join per frame: the
same bytes by construction.

A request for which the full path would make something else gets no prepared answer (``PreparedChat.fits``):
a ``tool_choice``, ``parallel_tool_calls: false`` or reasoning setting that changes the reply (core/honour.py),
a ``max_tokens`` budget or a stop sequence that cuts it, a model name JSON must escape.

Pure: no I/O. Preparing runs when a scenario is loaded, off the request path (``prepared_chats``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from mockgw.core.answer import CHARS_PER_TOKEN, Answer, Ids, Reply, TextPart, ToolCallPart, tokens
from mockgw.core.answer_summary import answer_summary_of
from mockgw.core.prepared import (
    MAX_PREPARED,
    PerScenario,
    PreparedTable,
    Segments,
    compose_marked,
    cut,
    fill,
    marker_number,
)
from mockgw.core.request import RequestView
from mockgw.core.schedule import Frame, Jitter, Schedule
from mockgw.core.structured import AUTO
from mockgw.faces.anthropic.asks import parallel_tool_use, request_of, thinking_display, tool_choice_kind
from mockgw.faces.openai.chat import ChatRequest, chat_schedule, completion, stream_error
from mockgw.faces.openai.stream import Event, dumps, pace
from mockgw.scenario.schema import Fault, Scenario, TextReply, ThinkingReply, Timing, ToolUseReply

# The values of the holes, by index: the model, the prompt and total tokens, ``created``, then the id draws.
MODEL = 0
PROMPT_TOKENS = 1
TOTAL_TOKENS = 2
CREATED = 3
_FIRST_ID = 4
_Frames = tuple[tuple[str, Segments, bool], ...]


def literal_parts(reply: Reply) -> bool:
    """Whether the reply is only text (without citations), reasoning and tool calls with scripted input: the
    blocks compose makes nothing of per request but ids (templates are found when rendering)."""
    for block in reply.blocks:
        if isinstance(block, TextReply):
            if block.citations:
                return False
        elif isinstance(block, ToolUseReply):
            if block.tool_use.input == AUTO:
                return False
        elif not isinstance(block, ThinkingReply):
            return False
    return True


@dataclass(frozen=True)
class PreparedChat:
    """A literal reply's chat completion, as bytes with holes (see the module's docstring)."""

    blocks: object  # the scenario's list of reply blocks: a decision is answered only from its own rule
    body: Segments
    frames: Mapping[bool, _Frames]  # by include_usage
    chunk_chars: int
    calls: tuple[tuple[str, tuple[Any, ...]], ...]  # the id draws, in the order the full path makes them
    input_tokens: int | None  # scripted; None: counted from the request
    output_tokens: int
    output_chars: int  # what the max_tokens budget must allow for the reply to go out whole
    texts: tuple[str, ...]  # the text parts, where a stop sequence would cut
    thinking: bool
    tools: bool
    tool_calls: int
    summary: Mapping[str, Any]  # the journal's ``answer``, its usage's input_tokens to be filled in

    def fits(self, chat: ChatRequest) -> bool:
        """Whether the full path would answer ``chat`` with exactly these bytes (ids, ``created``, model and
        prompt tokens aside): nothing it asks changes the reply, and its limits do not cut it."""
        if chat.max_tokens is not None and chat.max_tokens * CHARS_PER_TOKEN < self.output_chars:
            return False
        if chat.stop and any(stop and stop in text for stop in chat.stop for text in self.texts):
            return False
        if dumps(chat.model) != f'"{chat.model}"':  # a name JSON escapes: the bytes around the hole differ
            return False
        request = request_of(chat.view)  # as honour_request reads it
        if self.thinking and thinking_display(request) != "shown":
            return False
        choice = tool_choice_kind(request)
        if choice in ("any", "tool") or (choice == "none" and self.tools):
            return False
        return self.tool_calls < 2 or parallel_tool_use(request)

    def answer(self, model: str, view: RequestView, ids: Ids, created: int) -> PreparedChatAnswer:
        """This reply for one request: ids drawn from ``ids`` in the full path's order, the model echoed,
        the prompt counted (only when the scenario does not script the count)."""
        input_tokens = self.input_tokens if self.input_tokens is not None else tokens(view.input_chars)
        values = [
            model.encode(),
            str(input_tokens).encode(),
            str(input_tokens + self.output_tokens).encode(),
            str(created).encode(),
        ]
        for name, args in self.calls:
            values.append(getattr(ids, name)(*args).encode())
        return PreparedChatAnswer(self, values, input_tokens)


@dataclass(frozen=True)
class PreparedChatAnswer:
    """A prepared reply for one request: its body, its stream and its journal summary."""

    prepared: PreparedChat
    values: list[bytes]
    input_tokens: int

    def summary(self) -> dict[str, Any]:
        """The journal's ``answer`` (blocks shared with every other answer of the rule: entries only read them)."""
        summary = dict(self.prepared.summary)
        summary["usage"] = {**summary["usage"], "input_tokens": self.input_tokens}
        return summary

    def body(self) -> bytes:
        """The non-streamed ``chat.completion`` JSON."""
        return fill(self.prepared.body, self.values)

    def schedule(self, include_usage: bool, timing: Timing, rng: Jitter, fault: Fault | None) -> Schedule:
        """The streamed chunks, paced and faulted as ``chat_schedule`` does (the same ``pace``)."""
        frames, values = self.prepared.frames[include_usage], self.values
        events = (Event(name, fill(data, values), content) for name, data, content in frames)
        return pace(events, timing, rng, fault, lambda _sent: _error_event(fault))


def _error_event(fault: Fault | None) -> Event:
    return Event("error", f"data: {dumps(stream_error(fault))}\n\n".encode())


def prepare_chat(reply: Reply, timing: Timing) -> PreparedChat | None:
    """``reply`` composed and rendered once, or None when it is not literal (a template, json, input: auto,
    citations, a block the chat API has no counterpart for).

    The markers carry a random nonce, and the numbers are random 16-digit ones, so scenario text never
    meets one by chance.
    """
    if not literal_parts(reply):
        return None
    composed = compose_marked(reply, _FIRST_ID)
    if composed is None:
        return None
    marked, ids, answer = composed.marked, composed.ids, composed.answer
    input_marker = composed.input_marker  # the total (plus the output) has 16 digits too
    model = f"{composed.nonce}model"
    created = marker_number()
    completion_id = ids.chat_completion()  # drawn after the answer is composed, as the route does
    scripted_input = answer.input_tokens != input_marker
    holes = marked.holes()
    holes[model.encode()] = MODEL
    holes[str(created).encode()] = CREATED
    if not scripted_input:
        holes[str(input_marker).encode()] = PROMPT_TOKENS
        holes[str(input_marker + answer.output_tokens).encode()] = TOTAL_TOKENS
    body = cut(dumps(completion(answer, completion_id=completion_id, model=model, created=created)).encode(), holes)
    chunk_chars = timing.chunk_chars or 16
    frames = {
        usage: _stream(answer, completion_id, model, created, usage, chunk_chars, holes) for usage in (False, True)
    }
    summary = answer_summary_of(answer)
    return PreparedChat(
        blocks=reply.blocks,
        body=body,
        frames=frames,
        chunk_chars=chunk_chars,
        calls=tuple(marked.calls),
        input_tokens=answer.input_tokens if scripted_input else None,
        output_tokens=answer.output_tokens,
        output_chars=sum(len(p.arguments) if isinstance(p, ToolCallPart) else len(p.text) for p in answer.parts),
        texts=tuple(p.text for p in answer.parts if isinstance(p, TextPart)),
        thinking=any(isinstance(b, ThinkingReply) for b in reply.blocks),
        tools=any(isinstance(b, ToolUseReply) for b in reply.blocks),
        tool_calls=sum(1 for b in reply.blocks if isinstance(b, ToolUseReply)),
        summary=summary,
    )


def _stream(
    answer: Answer,
    completion_id: str,
    model: str,
    created: int,
    include_usage: bool,
    chunk_chars: int,
    holes: Mapping[bytes, int],
) -> _Frames:
    """The stream's chunks, cut at the holes (the pacer's delays are the schedule's, not the bytes')."""
    schedule = chat_schedule(
        answer,
        completion_id=completion_id,
        model=model,
        created=created,
        include_usage=include_usage,
        timing=Timing(chunk_chars=chunk_chars),
        rng=random.Random(0),
    )
    return tuple((f.event, cut(f.data, holes), f.content) for f in cast(Iterator[Frame], schedule))


class PreparedChats(PreparedTable[PreparedChat]):
    """The literal replies of a scenario (the first ``MAX_PREPARED``), prepared: by rule index and step."""

    def __init__(self, scenario: Scenario, limit: int = MAX_PREPARED) -> None:
        super().__init__(scenario, prepare_chat, limit)


# The prepared chat answers of each scenario, made once per scenario object (the last few remembered).
PREPARED_CHATS = PerScenario(PreparedChats)


def prepared_chats(scenario: Scenario) -> PreparedChats:
    """The prepared chat answers of ``scenario``, made now unless they were (call it off the loop)."""
    return PREPARED_CHATS(scenario)
