"""What clients send: ``MessageCreateParams`` and its parts.

Every model accepts unknown fields (``extra="allow"``): clients send newer fields than any mock knows, and
the real gateway passes them on. Known fields are typed strictly enough that the validation messages read
like the real API's (``max_tokens: Field required``, ``thinking.enabled.budget_tokens: Input should be
greater than or equal to 1024``): the API is itself built on pydantic, so its locations and texts are
pydantic's. The unions of blocks, tools and thinking types are open (see ``blocks``): a ``type`` newer than
the catalogue passes through.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, Tag

from mockgw.faces.anthropic.wire.blocks import (
    OTHER,
    CacheControlParam,
    ContentBlockParam,
    TextBlockParam,
    _Open,
    open_tags,
)
from mockgw.faces.anthropic.wire.tools import ToolChoiceParam, ToolUnionParam


class MessageParam(_Open):
    # Claude Code puts {"role": "system"} entries inside `messages`; the gateway accepts them.
    role: Literal["user", "assistant", "system"]
    content: StrictStr | list[ContentBlockParam]


ThinkingDisplay = Literal["summarized", "omitted", "updates"]


class ThinkingConfigEnabled(_Open):
    type: Literal["enabled"]
    budget_tokens: StrictInt = Field(ge=1024)
    display: ThinkingDisplay | None = None


class ThinkingConfigDisabled(_Open):
    type: Literal["disabled"]


class ThinkingConfigAdaptive(_Open):
    type: Literal["adaptive"]
    display: ThinkingDisplay | None = None


class ThinkingConfigBetweenTools(_Open):
    """Thinking only between tool calls (models whose thinking cannot be turned off accept it)."""

    type: Literal["between_tools"]


class ThinkingConfigUnknown(_Open):
    type: StrictStr


ThinkingConfigParam = Annotated[
    Annotated[ThinkingConfigEnabled, Tag("enabled")]
    | Annotated[ThinkingConfigDisabled, Tag("disabled")]
    | Annotated[ThinkingConfigAdaptive, Tag("adaptive")]
    | Annotated[ThinkingConfigBetweenTools, Tag("between_tools")]
    | Annotated[ThinkingConfigUnknown, Tag(OTHER)],
    open_tags("enabled", "disabled", "adaptive", "between_tools"),
]
# The thinking types that think; `temperature`, `top_k` and a forced tool_choice are refused with them.
THINKING_ON = frozenset({"enabled", "adaptive"})


class JSONOutputFormatParam(_Open):
    """``output_config.format``: structured outputs, the answer shaped by a JSON schema."""

    type: Literal["json_schema"]
    # `schema` would shadow BaseModel.schema; the wire name is kept through the alias.
    schema_: dict[str, Any] = Field(alias="schema")


class OutputConfigParam(_Open):
    effort: Literal["low", "medium", "high", "xhigh", "max"] | None = None
    format: JSONOutputFormatParam | None = None


class MetadataParam(_Open):
    user_id: StrictStr | None = None


class _RequestBase(_Open):
    model: StrictStr
    messages: list[MessageParam]
    system: StrictStr | list[TextBlockParam] | None = None
    tools: list[ToolUnionParam] | None = None
    tool_choice: ToolChoiceParam | None = None
    thinking: ThinkingConfigParam | None = None
    output_config: OutputConfigParam | None = None
    # Top-level cache_control: the API puts the breakpoint on the last cacheable block itself.
    cache_control: CacheControlParam | None = None


class MessageCreateParams(_RequestBase):
    """The body of ``POST /v1/messages``."""

    # 0 is allowed: it pre-warms the prompt cache and generates nothing.
    max_tokens: StrictInt = Field(ge=0)
    stream: StrictBool | None = None
    stop_sequences: list[StrictStr] | None = None
    # Strict floats still take ints (temperature: 1) but not strings or booleans.
    temperature: StrictFloat | None = Field(default=None, ge=0, le=1)
    top_p: StrictFloat | None = Field(default=None, ge=0, le=1)
    top_k: StrictInt | None = Field(default=None, ge=0)
    metadata: MetadataParam | None = None
    service_tier: Literal["auto", "standard_only"] | None = None


class CountTokensParams(_RequestBase):
    """The body of ``POST /v1/messages/count_tokens``: a message request without ``max_tokens``."""
