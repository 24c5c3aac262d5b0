"""``POST /v1/responses``: input items in, output items out, and the full streaming event sequence.

A response's conversation is held (bounded, per gateway, cleared by reset) so that a later request naming it in
``previous_response_id`` continues it, as the API does: the view then reads the held turns, this response's
answer and the new input, and ``turn`` counts them all. ``store: false`` keeps a response out of the store; an
id the store does not hold is the API's 400 ``previous_response_not_found``.

Streaming sends every event the openai SDKs' accumulators read, each with its ``sequence_number``:
``response.created``, ``response.in_progress``, per output item ``response.output_item.added`` → (message)
``response.content_part.added``, ``response.output_text.delta``…, ``response.output_text.done``,
``response.content_part.done`` / (function call) ``response.function_call_arguments.delta``…, ``….done`` /
(reasoning) ``response.reasoning_summary_part.added``, ``response.reasoning_summary_text.delta``…, ``….done``,
``response.reasoning_summary_part.done`` → ``response.output_item.done``; then ``response.completed`` (or
``response.incomplete`` when ``max_output_tokens`` cut the answer). A scripted mid-stream error ends the stream
with ``response.failed``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mockgw.core.answer import Answer, Ids, ReasoningPart, TextPart, ToolCallPart
from mockgw.core.faces import OPENAI_RESPONSES
from mockgw.core.request import RequestView
from mockgw.core.schedule import Jitter, Schedule
from mockgw.faces.openai.chat import stream_error
from mockgw.faces.openai.convert import Turn, _Conversation, answer_turn, neutral_tool, response_items, thinking_of
from mockgw.faces.openai.errors import OpenAIError
from mockgw.faces.openai.parse import certainly_valid_responses, neutral_view
from mockgw.faces.openai.stream import Event, dumps, pace, split, split_json
from mockgw.faces.openai.wire import ResponseCreateParams, validate
from mockgw.scenario.schema import Fault, Timing

DEFAULT_HELD_RESPONSES = 1000
DEFAULT_HELD_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class _Held:
    session: str
    turns: list[Turn]
    size: int  # bytes of the conversation as JSON (its own turns plus the held ones it continues)


class ResponseStore:
    """The conversations of the last responses, by id: at most ``maxlen`` of them and ``max_bytes`` in all.

    A continued conversation shares its held turns with the one it continues (the lists are copied, the turns
    are not), and its size counts them again: the bound is on what a client sent, a safe over-estimate of the
    memory held. The oldest go first; a conversation larger than the whole budget is not held.
    """

    def __init__(self, maxlen: int = DEFAULT_HELD_RESPONSES, max_bytes: int = DEFAULT_HELD_BYTES) -> None:
        self.maxlen = maxlen
        self.max_bytes = max_bytes
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # reset() may come from a test's thread

    def get(self, response_id: str) -> tuple[list[Turn], int] | None:
        """The held turns of a response and their size, or None."""
        with self._lock:
            held = self._held.get(response_id)
            return None if held is None else (list(held.turns), held.size)

    def put(self, response_id: str, session: str, turns: list[Turn], size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            self._held[response_id] = _Held(session, turns, size)
            self._bytes += size
            while len(self._held) > self.maxlen or self._bytes > self.max_bytes:
                self._bytes -= self._held.popitem(last=False)[1].size

    def clear(self, session: str | None = None) -> None:
        with self._lock:
            if session is None:
                self._held.clear()
                self._bytes = 0
            else:
                for key in [k for k, h in self._held.items() if h.session == session]:
                    self._bytes -= self._held.pop(key).size

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._held)


@dataclass(frozen=True)
class ResponsesRequest:
    """A checked Responses request: the body (JSON that passed ``ResponseCreateParams``), the view rules read,
    and the turns to hold after answering."""

    body: Mapping[str, Any]
    view: RequestView
    turns: list[Turn]
    held_turns: int = 0  # how many of ``turns`` came from the held conversation
    held_bytes: int = 0  # and their size

    @property
    def max_tokens(self) -> int | None:
        limit: int | None = self.body.get("max_output_tokens")
        return limit


def _tool_choice(choice: str | dict[str, Any] | None, parallel: bool | None) -> dict[str, Any] | None:
    out: dict[str, Any] | None = None
    if choice in ("auto", "none"):
        out = {"type": choice}
    elif choice == "required":
        out = {"type": "any"}
    elif isinstance(choice, dict) and choice.get("type") == "function":
        out = {"type": "tool", "name": str(choice.get("name", ""))}
    if parallel is False:
        out = {**(out or {"type": "auto"}), "disable_parallel_tool_use": True}
    return out


def parse_responses(body: Any, headers: Mapping[str, str], session: str, store: ResponseStore) -> ResponsesRequest:
    """The request, checked (OpenAIError for the API's 400s), with the held conversation it continues.

    Read from the JSON itself: the model is built only when ``certainly_valid_responses`` is unsure, to word
    the 400 of a bad request."""
    if not certainly_valid_responses(body):
        validate(ResponseCreateParams, body)
    conv = _Conversation()
    held_bytes = 0
    previous = body.get("previous_response_id")
    if previous is not None:
        held = store.get(previous)
        if held is None:
            raise OpenAIError(
                f"Previous response with id '{previous}' not found.",
                param="previous_response_id",
                code="previous_response_not_found",
            )
        conv.turns, held_bytes = held
    held_turns = len(conv.turns)
    instructions = body.get("instructions")
    if instructions:
        conv.system.append(instructions)  # instructions are not carried over from a previous response
    response_items(conv, body["input"])
    if not conv.turns:
        raise OpenAIError("Invalid 'input': empty array.", param="input", code="empty_array")
    tools = [
        neutral_tool(t.get("name") or t["type"], t.get("description"), t.get("parameters"))
        for t in body.get("tools") or ()
    ]
    extra: dict[str, Any] = {}
    choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
    if choice is not None:
        extra["tool_choice"] = choice
    thinking = thinking_of(None, body.get("reasoning"))
    if thinking is not None:
        extra["thinking"] = thinking
    fmt = (body.get("text") or {}).get("format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = fmt.get("schema")
        extra["output_config"] = {
            "format": {"type": "json_schema", "schema": schema if isinstance(schema, dict) else {}}
        }
    neutral = conv.body(body["model"], bool(body.get("stream")), tools, extra)
    view = neutral_view(neutral, headers, session, OPENAI_RESPONSES, body)
    return ResponsesRequest(body, view, [dict(t) for t in conv.turns], held_turns, held_bytes)


def hold(request: ResponsesRequest, answer: Answer, response_id: str, store: ResponseStore) -> None:
    """Keep this response's conversation (input and answer) for a later ``previous_response_id``."""
    if request.body.get("store") is not False:
        # The held turns were counted when they were held; the last may have taken new blocks: count it again.
        turn = answer_turn(answer)
        size = request.held_bytes + len(dumps([*request.turns[max(0, request.held_turns - 1) :], turn]).encode())
        store.put(response_id, request.view.session, [*request.turns, turn], size)


# ---------------------------------------------------------------- rendering


@dataclass(frozen=True)
class _Item:
    """One output item, complete, and the parts it is made of (for the stream)."""

    body: dict[str, Any]
    parts: tuple[TextPart | ReasoningPart | ToolCallPart, ...]


def output_items(answer: Answer, ids: Ids) -> list[_Item]:
    """Output items: consecutive text parts share one message item; each reasoning and tool call is its own."""
    items: list[_Item] = []
    for part in answer.parts:
        if isinstance(part, TextPart):
            if items and items[-1].body["type"] == "message":
                last = items[-1]
                items[-1] = _Item(
                    {**last.body, "content": [*last.body["content"], _output_text(part.text)]}, (*last.parts, part)
                )
            else:
                body = {
                    "id": ids.item("msg"),
                    "type": "message",
                    "status": "completed",
                    "role": "assistant",
                    "content": [_output_text(part.text)],
                }
                items.append(_Item(body, (part,)))
        elif isinstance(part, ReasoningPart):
            body = {
                "id": ids.item("rs"),
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": part.text}],
                "encrypted_content": part.signature,
            }
            items.append(_Item(body, (part,)))
        else:
            body = {
                "id": ids.item("fc"),
                "type": "function_call",
                "status": "completed",
                "call_id": part.id,
                "name": part.name,
                "arguments": part.arguments,
            }
            items.append(_Item(body, (part,)))
    return items


def _output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _usage(answer: Answer) -> dict[str, Any]:
    return {
        "input_tokens": answer.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": answer.output_tokens,
        "output_tokens_details": {"reasoning_tokens": answer.reasoning_tokens},
        "total_tokens": answer.input_tokens + answer.output_tokens,
    }


# ``ResponsesToolParam``'s fields, in the order its dump writes them (before any other field a tool carries).
_TOOL_FIELDS = ("type", "name", "description", "parameters", "strict")


def _tool_echo(tool: Mapping[str, Any]) -> dict[str, Any]:
    """A tool as the model dumps it (``exclude_none``): its declared fields first, then the others."""
    echo = {name: tool[name] for name in _TOOL_FIELDS if tool.get(name) is not None}
    echo.update((name, value) for name, value in tool.items() if name not in echo and value is not None)
    return echo


def _float(value: float | None, default: float) -> float:
    """A strict float as the model keeps it: an integer becomes a float (``1`` is echoed ``1.0``)."""
    return default if value is None else float(value)


def envelope_of(params: Mapping[str, Any], response_id: str, created: int) -> dict[str, Any]:
    """The response object's fields that do not depend on the answer (the request's settings echoed)."""
    text = params.get("text")
    if text is None:
        text = {"format": {"type": "text"}}
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": "in_progress",
        "error": None,
        "incomplete_details": None,
        "instructions": params.get("instructions"),
        "max_output_tokens": params.get("max_output_tokens"),
        "model": params["model"],
        "output": [],
        "parallel_tool_calls": params.get("parallel_tool_calls") is not False,
        "previous_response_id": params.get("previous_response_id"),
        "reasoning": params.get("reasoning") or {"effort": None, "summary": None},
        "store": params.get("store") is not False,
        "temperature": _float(params.get("temperature"), 1.0),
        "text": text,
        "tool_choice": params.get("tool_choice") or "auto",
        "tools": [_tool_echo(t) for t in params.get("tools") or ()],
        "top_p": _float(params.get("top_p"), 1.0),
        "truncation": "disabled",
        "usage": None,
        "metadata": params.get("metadata") or {},
    }


def final_object(envelope: dict[str, Any], answer: Answer, items: list[_Item]) -> dict[str, Any]:
    cut = answer.stop_reason == "max_tokens"
    return {
        **envelope,
        "status": "incomplete" if cut else "completed",
        "incomplete_details": {"reason": "max_output_tokens"} if cut else None,
        "output": [i.body for i in items],
        "usage": _usage(answer),
    }


def response_object(
    request: ResponsesRequest, answer: Answer, *, response_id: str, created: int, ids: Ids
) -> dict[str, Any]:
    """The non-streamed ``response`` object."""
    return final_object(envelope_of(request.body, response_id, created), answer, output_items(answer, ids))


def _item_events(index: int, item: _Item, chunk_chars: int) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """The events of one output item: (type, fields, whether it carries content)."""
    body = item.body
    where = {"item_id": body["id"], "output_index": index}
    kind = body["type"]
    if kind == "message":
        yield (
            (
                "response.output_item.added",
                {"output_index": index, "item": {**body, "status": "in_progress", "content": []}},
                False,
            )
        )
        for c, part in enumerate(item.parts):
            assert isinstance(part, TextPart)
            at = {**where, "content_index": c}
            yield (("response.content_part.added", {**at, "part": _output_text("")}, False))
            yield from (
                ("response.output_text.delta", {**at, "delta": t, "logprobs": []}, True)
                for t in split(part.text, chunk_chars)
            )
            yield (("response.output_text.done", {**at, "text": part.text, "logprobs": []}, False))
            yield (("response.content_part.done", {**at, "part": _output_text(part.text)}, False))
    elif kind == "reasoning":
        (part,) = item.parts
        assert isinstance(part, ReasoningPart)
        yield (("response.output_item.added", {"output_index": index, "item": {**body, "summary": []}}, False))
        at = {**where, "summary_index": 0}
        empty = {"type": "summary_text", "text": ""}
        yield (("response.reasoning_summary_part.added", {**at, "part": empty}, False))
        yield from (
            ("response.reasoning_summary_text.delta", {**at, "delta": t}, True) for t in split(part.text, chunk_chars)
        )
        yield (("response.reasoning_summary_text.done", {**at, "text": part.text}, False))
        yield (
            ("response.reasoning_summary_part.done", {**at, "part": {"type": "summary_text", "text": part.text}}, False)
        )
    else:
        start = {**body, "status": "in_progress", "arguments": ""}
        yield (("response.output_item.added", {"output_index": index, "item": start}, False))
        yield from (
            ("response.function_call_arguments.delta", {**where, "delta": a}, True)
            for a in split_json(body["arguments"], chunk_chars)
        )
        yield (
            (
                "response.function_call_arguments.done",
                {**where, "name": body["name"], "arguments": body["arguments"]},
                False,
            )
        )
    yield (("response.output_item.done", {"output_index": index, "item": body}, False))


def responses_schedule(
    request: ResponsesRequest,
    answer: Answer,
    *,
    response_id: str,
    created: int,
    ids: Ids,
    timing: Timing,
    rng: Jitter,
    fault: Fault | None = None,
) -> Schedule:
    """The event frames of a streamed response (``event: NAME`` / ``data: JSON``, numbered from 0), made lazily."""
    envelope = envelope_of(request.body, response_id, created)
    items = output_items(answer, ids)  # ids drawn now, in the order the non-streamed response draws them
    final = final_object(envelope, answer, items)
    return pace(
        response_events(envelope, final, items, timing.chunk_chars or 16),
        timing,
        rng,
        fault,
        lambda sent: failed_event(envelope, fault, sent),
    )


def response_events(
    envelope: dict[str, Any], final: dict[str, Any], items: list[_Item], chunk_chars: int
) -> Iterator[Event]:
    """A streamed response's events, made one at a time: ``response.created`` and ``response.in_progress``
    (the envelope), each item's, and the final response (numbered from 0)."""
    yield _frame("response.created", {"response": envelope}, False, 0)
    yield _frame("response.in_progress", {"response": envelope}, False, 1)
    n = 2
    for index, item in enumerate(items):
        for name, fields, content in _item_events(index, item, chunk_chars):
            yield _frame(name, fields, content, n)
            n += 1
    yield _frame(f"response.{final['status']}", {"response": final}, False, n)


def failed_event(envelope: dict[str, Any], fault: Fault | None, sent: int) -> Event:
    """The ``response.failed`` event a fault sends in place of the ``sent``-th (it takes that sequence number)."""
    message = stream_error(fault)["error"]["message"]
    response = {**envelope, "status": "failed", "error": {"code": "server_error", "message": message}}
    return _frame("response.failed", {"response": response}, False, sent)


def _frame(name: str, fields: dict[str, Any], content: bool, sequence_number: int) -> Event:
    data = dumps({"type": name, **fields, "sequence_number": sequence_number})
    return Event(name, f"event: {name}\ndata: {data}\n\n".encode(), content)
