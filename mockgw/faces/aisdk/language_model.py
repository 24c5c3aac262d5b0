"""``POST /v4/ai/language-model``: an AI SDK call in, a ``LanguageModelV4`` result or stream parts out.

``@ai-sdk/gateway`` (``gateway-language-model.ts``) posts the call options as JSON and names the model and
the mode in headers: ``ai-language-model-id``, ``ai-language-model-streaming`` (``true``/``false``) and
``ai-language-model-specification-version`` (``4``). The answer is the provider-level result itself:
``{content, finishReason: {unified, raw}, usage: {inputTokens: {…}, outputTokens: {…}}, providerMetadata,
warnings}``; a stream is SSE whose every ``data:`` is one stream part (``stream-start``, ``response-metadata``,
``text-start``/``-delta``/``-end``, ``reasoning-…``, ``tool-input-…``, ``tool-call``, ``finish``, ``error``).
The provider passes the parts on unchanged, so what is written here is what ``streamText`` sees.

Pure: the server hands in the parsed body, the composed ``Answer``, ids and the time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockgw.core.answer import Answer, ReasoningPart, TextPart, ToolCallPart
from mockgw.core.faces import AISDK_LANGUAGE_MODEL
from mockgw.core.request import RequestView
from mockgw.core.schedule import Jitter, Schedule
from mockgw.faces.aisdk.prompt import neutral_data, neutral_view
from mockgw.faces.anthropic.wire.messages import StopReason
from mockgw.faces.openai.errors import OpenAIError, error_body
from mockgw.faces.openai.stream import Event, dumps, pace, split, split_json
from mockgw.scenario.schema import Fault, Timing

MODEL_HEADER = "ai-language-model-id"
STREAMING_HEADER = "ai-language-model-streaming"
SPEC_HEADER = "ai-language-model-specification-version"

_UNIFIED: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool-calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "content-filter",
}


def finish_reason(stop_reason: StopReason) -> dict[str, Any]:
    """``{unified, raw}``: the AI SDK's reason, and the upstream's own word (the scenario's stop_reason)."""
    return {"unified": _UNIFIED.get(stop_reason, "other"), "raw": stop_reason}


@dataclass(frozen=True)
class LanguageModelRequest:
    """A checked call: the body, the model the headers name, the view rules read, and its limits."""

    body: Mapping[str, Any]
    headers: Mapping[str, str]
    session: str
    model: str
    stream: bool
    max_tokens: int | None
    stop: tuple[str, ...]
    # The view for each model asked of it (the one named, then fallbacks): every step reads the same one.
    _views: dict[str, RequestView] = field(default_factory=dict, compare=False, repr=False)

    @property
    def gateway_options(self) -> Mapping[str, Any]:
        """``providerOptions.gateway`` (``models``, ``order``, ``only`` …), or nothing."""
        options = self.body.get("providerOptions")
        gateway = options.get("gateway") if isinstance(options, Mapping) else None
        return gateway if isinstance(gateway, Mapping) else {}

    def view(self, model: str | None = None) -> RequestView:
        """The neutral view for ``model`` (the one asked for, or a fallback the gateway tries)."""
        model = model or self.model
        view = self._views.get(model)
        if view is None:
            neutral = neutral_data(self.body, model, self.stream)
            view = neutral_view(neutral, self.headers, self.session, AISDK_LANGUAGE_MODEL, self.body)
            self._views[model] = view
        return view


def _number(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise OpenAIError(f"Invalid value for '{key}': expected a positive integer.", param=key, code="invalid_value")
    return value


def parse_language_model(body: Any, headers: Mapping[str, str], session: str) -> LanguageModelRequest:
    """The call, checked (OpenAIError: the gateway's 400 in its error shape), ready to be viewed."""
    model = headers.get(MODEL_HEADER, "").strip()
    if not model:
        raise OpenAIError(f"Missing required header: {MODEL_HEADER}.", param=MODEL_HEADER, code="missing_header")
    version = headers.get(SPEC_HEADER)
    if version is not None and version not in ("2", "3", "4"):
        message = f"Unsupported {SPEC_HEADER}: {version!r} (this gateway speaks 2, 3 and 4)."
        raise OpenAIError(message, param=SPEC_HEADER, code="unsupported_specification_version")
    if not isinstance(body, Mapping):
        raise OpenAIError("The request body must be a JSON object of call options.", param=None, code="invalid_body")
    stop = body.get("stopSequences")
    if stop is not None and not (isinstance(stop, list) and all(isinstance(s, str) for s in stop)):
        raise OpenAIError("Invalid 'stopSequences': expected an array of strings.", param="stopSequences")
    request = LanguageModelRequest(
        body=body,
        headers=headers,
        session=session,
        model=model,
        stream=headers.get(STREAMING_HEADER, "false").strip().lower() == "true",
        max_tokens=_number(body, "maxOutputTokens"),
        stop=tuple(stop or ()),
    )
    request.view()  # the prompt is checked now, so a malformed one is a 400 before any rule is asked
    return request


def usage(answer: Answer) -> dict[str, Any]:
    """``LanguageModelV4Usage``: input and output tokens with their breakdowns (nothing cached here)."""
    return {
        "inputTokens": {"total": answer.input_tokens, "noCache": answer.input_tokens, "cacheRead": 0, "cacheWrite": 0},
        "outputTokens": {
            "total": answer.output_tokens,
            "text": max(0, answer.output_tokens - answer.reasoning_tokens),
            "reasoning": answer.reasoning_tokens,
        },
    }


def _signature(part: ReasoningPart) -> dict[str, Any]:
    # Where @ai-sdk/anthropic keeps a thinking signature: the AI SDK sends it back on the next turn.
    return {"anthropic": {"signature": part.signature}}


def content(answer: Answer) -> list[dict[str, Any]]:
    """The result's ``content`` parts, in the answer's order."""
    out: list[dict[str, Any]] = []
    for part in answer.parts:
        if isinstance(part, TextPart):
            out.append({"type": "text", "text": part.text})
        elif isinstance(part, ReasoningPart):
            out.append({"type": "reasoning", "text": part.text, "providerMetadata": _signature(part)})
        elif isinstance(part, ToolCallPart):
            out.append({"type": "tool-call", "toolCallId": part.id, "toolName": part.name, "input": part.arguments})
    return out


def generate_result(answer: Answer, provider_metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The non-streamed ``LanguageModelV4GenerateResult`` (the provider fills in request and headers)."""
    return {
        "content": content(answer),
        "finishReason": finish_reason(answer.stop_reason),
        "usage": usage(answer),
        "providerMetadata": dict(provider_metadata),
        "warnings": [],
    }


def _parts(answer: Answer, chunk_chars: int) -> Iterator[tuple[dict[str, Any], bool]]:
    """The stream parts of the answer's content, made one at a time, each marked whether it carries content."""
    for index, part in enumerate(answer.parts):
        pid = str(index)
        if isinstance(part, TextPart):
            yield {"type": "text-start", "id": pid}, False
            for t in split(part.text, chunk_chars):
                yield {"type": "text-delta", "id": pid, "delta": t}, True
            yield {"type": "text-end", "id": pid}, False
        elif isinstance(part, ReasoningPart):
            yield {"type": "reasoning-start", "id": pid}, False
            for t in split(part.text, chunk_chars):
                yield {"type": "reasoning-delta", "id": pid, "delta": t}, True
            yield {"type": "reasoning-end", "id": pid, "providerMetadata": _signature(part)}, False
        elif isinstance(part, ToolCallPart):
            yield {"type": "tool-input-start", "id": part.id, "toolName": part.name}, False
            for a in split_json(part.arguments, chunk_chars):
                yield {"type": "tool-input-delta", "id": part.id, "delta": a}, True
            yield {"type": "tool-input-end", "id": part.id}, False
            call = {"type": "tool-call", "toolCallId": part.id, "toolName": part.name, "input": part.arguments}
            yield call, False


def _frame(part: Mapping[str, Any]) -> bytes:
    return f"data: {dumps(part)}\n\n".encode()


def stream_events(
    answer: Answer,
    *,
    response_id: str,
    model: str,
    timestamp: str,
    provider_metadata: Mapping[str, Any],
    chunk_chars: int,
) -> Iterator[Event]:
    """The stream parts of an answer as SSE frames, made one at a time; the ``finish`` part ends it."""
    yield Event("stream-start", _frame({"type": "stream-start", "warnings": []}))
    meta = {"type": "response-metadata", "id": response_id, "modelId": model, "timestamp": timestamp}
    yield Event("response-metadata", _frame(meta))
    for part, is_content in _parts(answer, chunk_chars):
        yield Event(str(part["type"]), _frame(part), is_content)
    finish = {
        "type": "finish",
        "finishReason": finish_reason(answer.stop_reason),
        "usage": usage(answer),
        "providerMetadata": dict(provider_metadata),
    }
    yield Event("finish", _frame(finish))


def paced(events: Iterator[Event], timing: Timing, rng: Jitter, fault: Fault | None = None) -> Schedule:
    """``events`` paced by ``timing``, with ``fault`` put in place.

    A scripted mid-stream error is an ``error`` part (``streamText`` hands it to ``onError`` and its
    ``fullStream``), and the stream ends there without a ``finish``.
    """

    def error_frame(_sent: int) -> Event:
        error = fault.error if fault is not None else None
        body = error_body(500, error.message if error else None, error_type=error.type if error else None)
        return Event("error", _frame({"type": "error", "error": body["error"]}))

    return pace(events, timing, rng, fault, error_frame)


def stream_schedule(
    answer: Answer,
    *,
    response_id: str,
    model: str,
    timestamp: str,
    provider_metadata: Mapping[str, Any],
    timing: Timing,
    rng: Jitter,
    fault: Fault | None = None,
) -> Schedule:
    """The stream parts of an answer as paced SSE frames (``stream_events``, then ``paced``)."""
    events = stream_events(
        answer,
        response_id=response_id,
        model=model,
        timestamp=timestamp,
        provider_metadata=provider_metadata,
        chunk_chars=timing.chunk_chars or 16,
    )
    return paced(events, timing, rng, fault)
