"""``POST /v1/chat/completions``: parse into the neutral view, render an answer as a completion or chunks.

Pure: the server hands in the parsed body, the composed ``Answer``, the ids and the time, and gets JSON or a
stream schedule back. Reasoning comes back as Vercel AI Gateway returns it on this API: ``message.reasoning``
(text) and ``message.reasoning_details`` (``reasoning.text`` entries with the signature), and the same two
fields on stream deltas; ``usage.completion_tokens_details.reasoning_tokens`` counts it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mockgw.core.answer import Answer, ReasoningPart, TextPart, ToolCallPart
from mockgw.core.faces import OPENAI_CHAT
from mockgw.core.request import RequestView
from mockgw.core.schedule import Jitter, Schedule
from mockgw.faces.anthropic.wire.messages import StopReason
from mockgw.faces.openai.convert import chat_conversation, neutral_tool, thinking_of
from mockgw.faces.openai.errors import error_body
from mockgw.faces.openai.parse import certainly_valid_chat, neutral_view
from mockgw.faces.openai.stream import Event, dumps, pace, split, split_json
from mockgw.faces.openai.wire import ChatCompletionCreateParams, validate
from mockgw.scenario.schema import Fault, Timing

_FINISH: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "content_filter",
}


def finish_reason(stop_reason: StopReason) -> str:
    """The chat ``finish_reason`` for the scenario's ``stop_reason``."""
    return _FINISH.get(stop_reason, "stop")


@dataclass(frozen=True)
class ChatRequest:
    """A checked chat request: the view rules read, and what the answer echoes or is limited by."""

    model: str
    view: RequestView
    max_tokens: int | None
    stop: tuple[str, ...]
    include_usage: bool  # ``stream_options.include_usage``: the stream's last chunk carries the usage


def _tool_choice(choice: str | dict[str, Any] | None, parallel: bool | None) -> dict[str, Any] | None:
    """OpenAI's ``tool_choice`` and ``parallel_tool_calls`` in the neutral (Messages) vocabulary."""
    out: dict[str, Any] | None = None
    if choice in ("auto", "none"):
        out = {"type": choice}
    elif choice == "required":
        out = {"type": "any"}
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        out = {"type": "tool", "name": str(choice["function"].get("name", ""))}
    if parallel is False:
        out = {**(out or {"type": "auto"}), "disable_parallel_tool_use": True}
    return out


def output_format(response_format: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A ``json_schema`` response format as the neutral ``output_config`` (what ``json: auto`` will read)."""
    if not response_format or response_format.get("type") != "json_schema":
        return None
    spec = response_format.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, dict) else None
    return {"format": {"type": "json_schema", "schema": schema if isinstance(schema, dict) else {}}}


def parse_chat(body: Any, headers: Mapping[str, str], session: str) -> ChatRequest:
    """The request, checked (OpenAIError for the API's 400s), with its neutral view.

    Read from the JSON itself: the model is built only when ``certainly_valid_chat`` is unsure, to word the
    400 of a bad request (a valid one it is unsure of reads the same as JSON: the models keep every value)."""
    if not certainly_valid_chat(body):
        validate(ChatCompletionCreateParams, body)
    conv = chat_conversation(body["messages"])
    tools = [
        neutral_tool(function["name"], function.get("description"), function.get("parameters"))
        for function in (t["function"] for t in body.get("tools") or ())
    ]
    extra: dict[str, Any] = {}
    choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
    if choice is not None:
        extra["tool_choice"] = choice
    thinking = thinking_of(body.get("reasoning_effort"), body.get("reasoning"))
    if thinking is not None:
        extra["thinking"] = thinking
    fmt = output_format(body.get("response_format"))
    if fmt is not None:
        extra["output_config"] = fmt
    neutral = conv.body(body["model"], bool(body.get("stream")), tools, extra)
    stop = body.get("stop")
    options = body.get("stream_options")
    return ChatRequest(
        model=body["model"],
        view=neutral_view(neutral, headers, session, OPENAI_CHAT, body),
        max_tokens=body.get("max_completion_tokens") or body.get("max_tokens"),
        stop=(stop,) if isinstance(stop, str) else tuple(stop or ()),
        include_usage=bool(options and options.get("include_usage")),
    )


def usage(answer: Answer) -> dict[str, Any]:
    return {
        "prompt_tokens": answer.input_tokens,
        "completion_tokens": answer.output_tokens,
        "total_tokens": answer.input_tokens + answer.output_tokens,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": answer.reasoning_tokens},
    }


def _reasoning_details(answer: Answer) -> list[dict[str, Any]]:
    parts = [p for p in answer.parts if isinstance(p, ReasoningPart)]
    return [
        {"type": "reasoning.text", "text": p.text, "signature": p.signature, "index": i} for i, p in enumerate(parts)
    ]


def completion(answer: Answer, *, completion_id: str, model: str, created: int) -> dict[str, Any]:
    """The non-streamed ``chat.completion`` object."""
    texts = [p for p in answer.parts if isinstance(p, TextPart)]
    message: dict[str, Any] = {
        "role": "assistant",
        "content": answer.text if texts else None,
        "refusal": None,
        "annotations": [],
    }
    if answer.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in answer.tool_calls
        ]
    if answer.reasoning or any(isinstance(p, ReasoningPart) for p in answer.parts):
        message["reasoning"] = answer.reasoning
        message["reasoning_details"] = _reasoning_details(answer)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason(answer.stop_reason)}
        ],
        "usage": usage(answer),
        "system_fingerprint": None,
    }


def _deltas(answer: Answer, chunk_chars: int) -> Iterator[tuple[dict[str, Any], bool]]:
    """The deltas of the answer in order, made one at a time, each marked whether it carries content."""
    has_text = any(isinstance(p, TextPart) for p in answer.parts)
    yield {"role": "assistant", "content": "" if has_text else None, "refusal": None}, False
    reasoning_index = 0
    call_index = 0
    for part in answer.parts:
        if isinstance(part, TextPart):
            yield from (({"content": t}, True) for t in split(part.text, chunk_chars))
        elif isinstance(part, ReasoningPart):
            i = reasoning_index
            reasoning_index += 1
            for t in split(part.text, chunk_chars):
                yield {"reasoning": t, "reasoning_details": [{"type": "reasoning.text", "text": t, "index": i}]}, True
            yield {"reasoning_details": [{"type": "reasoning.text", "signature": part.signature, "index": i}]}, False
        elif isinstance(part, ToolCallPart):
            k = call_index
            call_index += 1
            start = {"index": k, "id": part.id, "type": "function", "function": {"name": part.name, "arguments": ""}}
            yield {"tool_calls": [start]}, False
            for a in split_json(part.arguments, chunk_chars):
                yield {"tool_calls": [{"index": k, "function": {"arguments": a}}]}, True


def chat_schedule(
    answer: Answer,
    *,
    completion_id: str,
    model: str,
    created: int,
    include_usage: bool,
    timing: Timing,
    rng: Jitter,
    fault: Fault | None = None,
) -> Schedule:
    """The ``chat.completion.chunk`` frames of a streamed answer, then ``data: [DONE]``.

    With ``stream_options.include_usage`` every chunk carries ``"usage": null`` and one last chunk with no
    choices carries the usage, as the API sends them. A scripted mid-stream error is a ``data: {"error": …}``
    frame (the openai SDKs raise ``APIError`` on it), and the stream ends there without ``[DONE]``.
    """
    head: dict[str, Any] = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model}
    head["system_fingerprint"] = None

    def chunk(choices: list[dict[str, Any]], usage_value: Any = None) -> bytes:
        body = {**head, "choices": choices}
        if include_usage:
            body["usage"] = usage_value
        return f"data: {dumps(body)}\n\n".encode()

    chunk_chars = timing.chunk_chars or 16

    def events() -> Iterator[Event]:
        for delta, is_content in _deltas(answer, chunk_chars):
            yield Event(
                "chunk", chunk([{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}]), is_content
            )
        final = {"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish_reason(answer.stop_reason)}
        yield Event("chunk", chunk([final]))
        if include_usage:
            yield Event("chunk", chunk([], usage(answer)))
        yield Event("[DONE]", b"data: [DONE]\n\n")

    def error_frame(_sent: int) -> Event:
        return Event("error", f"data: {dumps(stream_error(fault))}\n\n".encode())

    return pace(events(), timing, rng, fault, error_frame)


def stream_error(fault: Fault | None) -> dict[str, Any]:
    """The error a fault sends mid-stream, in the gateway's words (``overloaded_error`` → a 500's type)."""
    error = fault.error if fault is not None else None
    return error_body(500, error.message if error else None, error_type=error.type if error else None)
