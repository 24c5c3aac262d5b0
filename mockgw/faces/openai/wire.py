"""What OpenAI clients send: the request bodies of Chat Completions, Responses and Embeddings.

Like the Anthropic face's wire types, every model accepts unknown fields (clients send newer fields than any
mock knows, and the gateway passes provider options on) and types the known ones strictly enough to answer a
mistake as the API does: ``Missing required parameter: 'messages'.``, ``Invalid type for 'messages[0].content'
…`` with ``param`` naming the field. Names follow the openai SDK's ``types/`` (``ChatCompletionCreateParams``…).
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, ValidationError

from mockgw.faces.openai.errors import OpenAIError


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# ---------------------------------------------------------------- chat completions


class ContentPartParam(_Open):
    """One part of a message's content: ``text``, ``image_url``, ``file``, ``input_audio`` or ``refusal``."""

    type: StrictStr
    text: StrictStr | None = None
    image_url: dict[str, Any] | None = None
    file: dict[str, Any] | None = None
    refusal: StrictStr | None = None


class FunctionCall(_Open):
    name: StrictStr
    arguments: StrictStr = ""


class ToolCallParam(_Open):
    id: StrictStr
    type: StrictStr = "function"
    function: FunctionCall


class ChatMessageParam(_Open):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: StrictStr | list[ContentPartParam] | None = None
    name: StrictStr | None = None
    tool_calls: list[ToolCallParam] | None = None
    tool_call_id: StrictStr | None = None


class FunctionDefinition(_Open):
    name: StrictStr
    description: StrictStr | None = None
    parameters: dict[str, Any] | None = None
    strict: StrictBool | None = None


class ChatToolParam(_Open):
    type: StrictStr = "function"
    function: FunctionDefinition


class StreamOptions(_Open):
    include_usage: StrictBool | None = None


class ChatCompletionCreateParams(_Open):
    """The body of ``POST /v1/chat/completions``."""

    model: StrictStr
    messages: list[ChatMessageParam] = Field(min_length=1)
    stream: StrictBool | None = None
    stream_options: StreamOptions | None = None
    max_tokens: StrictInt | None = Field(default=None, ge=1)
    max_completion_tokens: StrictInt | None = Field(default=None, ge=1)
    stop: StrictStr | list[StrictStr] | None = None
    n: StrictInt | None = Field(default=None, ge=1, le=1)  # one choice: the scenario scripts one answer
    tools: list[ChatToolParam] | None = None
    tool_choice: StrictStr | dict[str, Any] | None = None
    parallel_tool_calls: StrictBool | None = None
    response_format: dict[str, Any] | None = None
    temperature: StrictFloat | None = Field(default=None, ge=0, le=2)
    top_p: StrictFloat | None = Field(default=None, ge=0, le=1)
    reasoning_effort: StrictStr | None = None
    reasoning: dict[str, Any] | None = None  # the gateway's own: {enabled, max_tokens, effort}


# ---------------------------------------------------------------- responses


class ResponsesToolParam(_Open):
    type: StrictStr
    name: StrictStr | None = None
    description: StrictStr | None = None
    parameters: dict[str, Any] | None = None
    strict: StrictBool | None = None


class ResponseCreateParams(_Open):
    """The body of ``POST /v1/responses``."""

    model: StrictStr
    input: StrictStr | list[dict[str, Any]]
    instructions: StrictStr | None = None
    stream: StrictBool | None = None
    max_output_tokens: StrictInt | None = Field(default=None, ge=1)
    tools: list[ResponsesToolParam] | None = None
    tool_choice: StrictStr | dict[str, Any] | None = None
    parallel_tool_calls: StrictBool | None = None
    text: dict[str, Any] | None = None
    reasoning: dict[str, Any] | None = None
    previous_response_id: StrictStr | None = None
    store: StrictBool | None = None
    temperature: StrictFloat | None = Field(default=None, ge=0, le=2)
    top_p: StrictFloat | None = Field(default=None, ge=0, le=1)
    metadata: dict[str, Any] | None = None


# ---------------------------------------------------------------- embeddings


class EmbeddingCreateParams(_Open):
    """The body of ``POST /v1/embeddings`` (input as text; token arrays are read as their numbers)."""

    model: StrictStr
    input: StrictStr | list[StrictStr] | list[StrictInt] | list[list[StrictInt]]
    dimensions: StrictInt | None = Field(default=None, ge=1, le=8192)
    encoding_format: Literal["float", "base64"] | None = None
    user: StrictStr | None = None


# ---------------------------------------------------------------- validation

_M = TypeVar("_M", bound=BaseModel)


def _param(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as the API writes a parameter path: ``messages[0].content``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _branch(part):
            out += f".{part}" if out else part
    return out


def _branch(part: str) -> bool:
    """Whether a location part names a union branch (``str``, ``list[…]``, ``StreamOptions``), not a field."""
    return part in {"str", "int", "float", "bool"} or "[" in part or part[:1].isupper() or part.startswith("function-")


def validate(model: type[_M], body: Any) -> _M:
    """``body`` as ``model``, or an OpenAIError worded like the API's own 400 for the first mistake."""
    if not isinstance(body, dict):
        raise OpenAIError("The request body must be a JSON object.", code="invalid_type")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        param = _param(error["loc"])
        kind = error["type"]
        if kind == "missing":
            raise OpenAIError(
                f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
            ) from None
        if kind == "too_short" and isinstance(error.get("input"), list) and not error["input"]:
            raise OpenAIError(
                f"Invalid '{param}': empty array. Expected an array with minimum length 1, but got an empty array"
                " instead.",
                param=param,
                code="empty_array",
            ) from None
        if kind == "literal_error":
            raise OpenAIError(
                f"Invalid value: {error['input']!r}. {error['msg']}.", param=param, code="invalid_value"
            ) from None
        if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
            raise OpenAIError(f"Invalid '{param}': {error['msg']}.", param=param, code="invalid_value") from None
        raise OpenAIError(f"Invalid type for '{param}': {error['msg']}.", param=param, code="invalid_type") from None
