"""What clients send: ``MessageCreateParams`` and its parts.

Every model accepts unknown fields (``extra="allow"``): clients send newer fields than any mock knows, and
the real gateway passes them on. Known fields are typed strictly enough that the validation messages read
like the real API's (``max_tokens: Field required``, ``thinking.enabled.budget_tokens: Input should be
greater than or equal to 1024``): the API is itself built on pydantic, so its locations and texts are
pydantic's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class TextBlockParam(_Open):
    type: Literal["text"]
    text: StrictStr


class ImageBlockParam(_Open):
    type: Literal["image"]
    source: dict[str, Any]


class DocumentBlockParam(_Open):
    type: Literal["document"]
    source: dict[str, Any]


class SearchResultBlockParam(_Open):
    type: Literal["search_result"]


class ToolUseBlockParam(_Open):
    type: Literal["tool_use"]
    id: StrictStr
    name: StrictStr
    input: Any = None


class ToolResultBlockParam(_Open):
    type: Literal["tool_result"]
    tool_use_id: StrictStr
    content: StrictStr | list[dict[str, Any]] | None = None
    is_error: StrictBool | None = None


class ThinkingBlockParam(_Open):
    type: Literal["thinking"]
    thinking: StrictStr
    # Claude Code sends an empty signature for thinking it produced against a gateway without one.
    signature: StrictStr = ""


class RedactedThinkingBlockParam(_Open):
    type: Literal["redacted_thinking"]
    data: StrictStr


class ServerToolUseBlockParam(_Open):
    type: Literal["server_tool_use"]
    id: StrictStr
    name: StrictStr
    input: Any = None


class WebSearchToolResultBlockParam(_Open):
    type: Literal["web_search_tool_result"]
    tool_use_id: StrictStr
    content: Any = None


class ContainerUploadBlockParam(_Open):
    type: Literal["container_upload"]


ContentBlockParam = Annotated[
    TextBlockParam
    | ImageBlockParam
    | DocumentBlockParam
    | SearchResultBlockParam
    | ToolUseBlockParam
    | ToolResultBlockParam
    | ThinkingBlockParam
    | RedactedThinkingBlockParam
    | ServerToolUseBlockParam
    | WebSearchToolResultBlockParam
    | ContainerUploadBlockParam,
    Field(discriminator="type"),
]


class MessageParam(_Open):
    # Claude Code puts {"role": "system"} entries inside `messages`; the gateway accepts them.
    role: Literal["user", "assistant", "system"]
    content: StrictStr | list[ContentBlockParam]


class ToolParam(_Open):
    name: StrictStr
    # Client tools carry input_schema; server tools (web_search_20250305 …) carry a `type` instead.
    type: StrictStr | None = None
    description: StrictStr | None = None
    input_schema: dict[str, Any] | None = None


class ThinkingConfigEnabled(_Open):
    type: Literal["enabled"]
    budget_tokens: StrictInt = Field(ge=1024)


class ThinkingConfigDisabled(_Open):
    type: Literal["disabled"]


class ThinkingConfigAdaptive(_Open):
    type: Literal["adaptive"]


ThinkingConfigParam = Annotated[
    ThinkingConfigEnabled | ThinkingConfigDisabled | ThinkingConfigAdaptive,
    Field(discriminator="type"),
]


class ToolChoiceParam(_Open):
    type: Literal["auto", "any", "tool", "none"]
    name: StrictStr | None = None
    disable_parallel_tool_use: StrictBool | None = None


class _RequestBase(_Open):
    model: StrictStr
    messages: list[MessageParam]
    system: StrictStr | list[TextBlockParam] | None = None
    tools: list[ToolParam] | None = None
    tool_choice: ToolChoiceParam | None = None
    thinking: ThinkingConfigParam | None = None


class MessageCreateParams(_RequestBase):
    """The body of ``POST /v1/messages``."""

    max_tokens: StrictInt = Field(ge=1)
    stream: StrictBool | None = None
    stop_sequences: list[StrictStr] | None = None
    # Strict floats still take ints (temperature: 1) but not strings or booleans.
    temperature: StrictFloat | None = Field(default=None, ge=0, le=1)
    top_p: StrictFloat | None = Field(default=None, ge=0, le=1)
    top_k: StrictInt | None = Field(default=None, ge=0)
    metadata: dict[str, Any] | None = None


class CountTokensParams(_RequestBase):
    """The body of ``POST /v1/messages/count_tokens``: a message request without ``max_tokens``."""
