"""The OpenAI-compatible requests, validated from their parsed JSON without building the wire models.

``wire.py``'s pydantic models are the one source of the API's exact 400s (``Missing required parameter:
'messages'.``, ``Invalid type for 'messages[0].content' …``), and they cost a model per message, per content
part and per tool; the neutral view then cost a second model, the Messages API's ``MessageCreateParams``.
Nearly every request a client sends is valid, so the happy path here asks one question of the JSON the route
already parsed: *does it certainly pass the models?* Every field rule of the models is mirrored as a test that
answers yes only when the models would accept the value. Any doubt (a wrong type, a ``NaN``, a value out of
range) answers no, and the caller validates with the models as before: an invalid request gets the same 400,
byte for byte, and a valid but unusual one is still served.

The face then reads the JSON itself (the models only check it: ``extra="allow"`` and strict types keep every
value as the client sent it, so the JSON and the model read alike), and translates it into the neutral
conversation, which ``faces/anthropic/parse.certainly_valid`` checks the same way (``neutral_view``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from mockgw.core.request import RequestView
from mockgw.faces.anthropic.parse import certainly_valid
from mockgw.faces.anthropic.validation import describe
from mockgw.faces.anthropic.wire.requests import MessageCreateParams
from mockgw.faces.openai.errors import OpenAIError

__all__ = ["certainly_valid_chat", "certainly_valid_embeddings", "certainly_valid_responses", "neutral_view"]

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


class _Unsure(Exception):
    """Raised inside the walk for anything the models might refuse."""


def _opt(node: Mapping[str, Any], name: str, kind: type) -> None:
    """``node[name]``, when present and not null, is exactly of ``kind`` (strict: no bool for an int)."""
    value = node.get(name)
    if value is not None and type(value) is not kind:
        raise _Unsure


def _opt_int(node: Mapping[str, Any], name: str, low: int, high: int | None = None) -> None:
    value = node.get(name)
    if value is None:
        return
    if type(value) is not int or value < low or (high is not None and value > high):
        raise _Unsure


def _opt_float(node: Mapping[str, Any], name: str, high: float) -> None:
    """A StrictFloat from 0 to ``high`` (an int passes, as pydantic's strict float takes it; NaN does not)."""
    value = node.get(name)
    if value is None:
        return
    if type(value) not in (int, float) or not 0 <= value <= high:
        raise _Unsure


def _dict(value: object) -> dict[str, Any]:
    if type(value) is not dict:
        raise _Unsure
    return value


def _str_or_str_list(value: object) -> None:
    if value is None or type(value) is str:
        return
    if type(value) is not list or any(type(item) is not str for item in value):
        raise _Unsure


def _content(content: object) -> None:
    """``StrictStr | list[ContentPartParam] | None``."""
    if content is None or type(content) is str:
        return
    if type(content) is not list:
        raise _Unsure
    for node in content:
        part = _dict(node)
        if type(part.get("type")) is not str:
            raise _Unsure
        _opt(part, "text", str)
        _opt(part, "image_url", dict)
        _opt(part, "file", dict)
        _opt(part, "refusal", str)


def _message(node: object) -> None:
    """``ChatMessageParam``."""
    message = _dict(node)
    if message.get("role") not in _ROLES:
        raise _Unsure
    _content(message.get("content"))
    _opt(message, "name", str)
    _opt(message, "tool_call_id", str)
    calls = message.get("tool_calls")
    if calls is None:
        return
    if type(calls) is not list:
        raise _Unsure
    for call_node in calls:
        call = _dict(call_node)
        if type(call.get("id")) is not str or ("type" in call and type(call["type"]) is not str):
            raise _Unsure
        function = _dict(call.get("function"))
        if type(function.get("name")) is not str or (
            "arguments" in function and type(function["arguments"]) is not str
        ):
            raise _Unsure


def _tool(node: object) -> None:
    """``ChatToolParam``."""
    tool = _dict(node)
    if "type" in tool and type(tool["type"]) is not str:
        raise _Unsure
    function = _dict(tool.get("function"))
    if type(function.get("name")) is not str:
        raise _Unsure
    _opt(function, "description", str)
    _opt(function, "parameters", dict)
    _opt(function, "strict", bool)


def _chat(body: object) -> None:
    request = _dict(body)
    if type(request.get("model")) is not str:
        raise _Unsure
    messages = request.get("messages")
    if type(messages) is not list or not messages:
        raise _Unsure
    for message in messages:
        _message(message)
    _opt(request, "stream", bool)
    options = request.get("stream_options")
    if options is not None:
        _opt(_dict(options), "include_usage", bool)
    _opt_int(request, "max_tokens", 1)
    _opt_int(request, "max_completion_tokens", 1)
    _str_or_str_list(request.get("stop"))
    _opt_int(request, "n", 1, 1)
    tools = request.get("tools")
    if tools is not None:
        if type(tools) is not list:
            raise _Unsure
        for tool in tools:
            _tool(tool)
    choice = request.get("tool_choice")
    if choice is not None and type(choice) not in (str, dict):
        raise _Unsure
    _opt(request, "parallel_tool_calls", bool)
    _opt(request, "response_format", dict)
    _opt_float(request, "temperature", 2)
    _opt_float(request, "top_p", 1)
    _opt(request, "reasoning_effort", str)
    _opt(request, "reasoning", dict)


def certainly_valid_chat(body: object) -> bool:
    """Whether ``ChatCompletionCreateParams`` would accept ``body``. False means "not certain": validate with
    the model (which words the API's 400 when it is invalid)."""
    return _certainly(_chat, body)


def _responses(body: object) -> None:
    """``ResponseCreateParams``."""
    request = _dict(body)
    if type(request.get("model")) is not str:
        raise _Unsure
    items = request.get("input")
    if type(items) is list:
        if any(type(item) is not dict for item in items):
            raise _Unsure
    elif type(items) is not str:
        raise _Unsure
    _opt(request, "instructions", str)
    _opt(request, "stream", bool)
    _opt_int(request, "max_output_tokens", 1)
    tools = request.get("tools")
    if tools is not None:
        if type(tools) is not list:
            raise _Unsure
        for node in tools:
            tool = _dict(node)
            if type(tool.get("type")) is not str:
                raise _Unsure
            _opt(tool, "name", str)
            _opt(tool, "description", str)
            _opt(tool, "parameters", dict)
            _opt(tool, "strict", bool)
    choice = request.get("tool_choice")
    if choice is not None and type(choice) not in (str, dict):
        raise _Unsure
    _opt(request, "parallel_tool_calls", bool)
    _opt(request, "text", dict)
    _opt(request, "reasoning", dict)
    _opt(request, "previous_response_id", str)
    _opt(request, "store", bool)
    _opt_float(request, "temperature", 2)
    _opt_float(request, "top_p", 1)
    _opt(request, "metadata", dict)


def _embeddings(body: object) -> None:
    """``EmbeddingCreateParams``."""
    request = _dict(body)
    if type(request.get("model")) is not str:
        raise _Unsure
    value = request.get("input")
    if type(value) is list:
        kinds = {type(item) for item in value}
        if len(kinds) > 1 or not kinds <= {str, int, list}:
            raise _Unsure
        if list in kinds and any(type(n) is not int for item in value for n in item):
            raise _Unsure
    elif type(value) is not str:
        raise _Unsure
    _opt_int(request, "dimensions", 1, 8192)
    if request.get("encoding_format") not in (None, "float", "base64"):
        raise _Unsure
    _opt(request, "user", str)


def _certainly(check: Callable[[object], None], body: object) -> bool:
    try:
        check(body)
    except (_Unsure, TypeError):  # TypeError: an unhashable value where a name goes
        return False
    return True


def certainly_valid_responses(body: object) -> bool:
    """Whether ``ResponseCreateParams`` would accept ``body`` (False: not certain, validate with the model)."""
    return _certainly(_responses, body)


def certainly_valid_embeddings(body: object) -> bool:
    """Whether ``EmbeddingCreateParams`` would accept ``body`` (False: not certain, validate with the model)."""
    return _certainly(_embeddings, body)


def neutral_view(
    neutral: dict[str, Any], headers: Mapping[str, str], session: str, face: str, body: Mapping[str, Any] | None
) -> RequestView:
    """The view of a request translated into the neutral (Messages) shape.

    When the Messages checks certainly pass, the view reads ``neutral`` itself (no model built, and it dumps
    as the model would); else ``MessageCreateParams`` is built, and what it refuses (an image type or a tool
    name outside its rules, carried over from the OpenAI request) is a 400 naming it, never a 500.
    """
    if certainly_valid(neutral):
        return RequestView(None, headers, session, face, body=body, data=neutral, exact_dump=True)
    try:
        params = MessageCreateParams.model_validate(neutral)
    except ValidationError as exc:
        raise OpenAIError(f"Invalid request: {describe(exc)}", code="invalid_value") from None
    return RequestView(params, headers, session, face, body=body)
