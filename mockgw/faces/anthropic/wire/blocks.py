"""Content blocks a request may carry, one model per block type the API documents.

The catalogue is the official SDK's ``BetaContentBlockParam`` union (anthropic-python 2.17,
``types/beta/*_param.py``): every type there has a model here with the fields the SDK marks required, so a
malformed block gets pydantic's message at the API's location (``messages.8.content.0.tool_result.content.0
.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'``, as
users quote it from the real API). The unions are *open*: a block whose ``type`` is not in the catalogue is
kept as an ``UnknownBlockParam``, as an unknown field is, because newer clients send newer types. Every model
keeps unknown fields (``extra="allow"``).

Union members are tagged with the block's own ``type`` (that tag is part of the API's error locations); the
fallback's tag is not an identifier, so ``format_error`` leaves it out of the location.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StrictBool, StrictStr, Tag

# The tag of every open union's fallback member. Not an identifier: format_error drops it from locations.
OTHER = "other-type"


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


def type_of(value: Any) -> Any:
    """A union member's ``type``, from a raw dict or an already built model."""
    return value.get("type") if isinstance(value, dict) else getattr(value, "type", None)


def open_tags(*known: str) -> Discriminator:
    """A discriminator that sends a known ``type`` to its member and anything else to the ``OTHER`` member."""
    names = frozenset(known)

    def tag(value: Any) -> str:
        kind = type_of(value)
        return kind if isinstance(kind, str) and kind in names else OTHER

    return Discriminator(tag)


class CacheControlParam(_Open):
    """``{"type": "ephemeral", "ttl": "5m" | "1h"}``: a prompt-cache breakpoint."""

    type: Literal["ephemeral"]
    ttl: Literal["5m", "1h"] | None = None


class _Block(_Open):
    cache_control: CacheControlParam | None = None


class UnknownBlockParam(_Block):
    """A block of a type newer than this catalogue: passed through with its fields untouched."""

    type: StrictStr


# ---------------------------------------------------------------- sources of images and documents


class Base64ImageSourceParam(_Open):
    type: Literal["base64"]
    media_type: Literal["image/jpeg", "image/png", "image/gif", "image/webp"]
    data: StrictStr


class URLSourceParam(_Open):
    type: Literal["url"]
    url: StrictStr


class FileSourceParam(_Open):
    # Only the shape is checked here; whether the file exists is the Files API's business.
    type: Literal["file"]
    file_id: StrictStr


class UnknownSourceParam(_Open):
    type: StrictStr


ImageSource = Annotated[
    Annotated[Base64ImageSourceParam, Tag("base64")]
    | Annotated[URLSourceParam, Tag("url")]
    | Annotated[FileSourceParam, Tag("file")]
    | Annotated[UnknownSourceParam, Tag(OTHER)],
    open_tags("base64", "url", "file"),
]


class Base64PDFSourceParam(_Open):
    type: Literal["base64"]
    media_type: Literal["application/pdf"]
    data: StrictStr


class PlainTextSourceParam(_Open):
    type: Literal["text"]
    media_type: Literal["text/plain"]
    data: StrictStr


class ContentSourceParam(_Open):
    """A document made of blocks (text and images), as a custom-content document carries them."""

    type: Literal["content"]
    content: StrictStr | list[SourceContent]


class ImageBlockParam(_Block):
    type: Literal["image"]
    source: ImageSource


class TextBlockParam(_Block):
    type: Literal["text"]
    text: StrictStr
    citations: list[Any] | None = None


SourceContent = Annotated[
    Annotated[TextBlockParam, Tag("text")]
    | Annotated[ImageBlockParam, Tag("image")]
    | Annotated[UnknownBlockParam, Tag(OTHER)],
    open_tags("text", "image"),
]

DocumentSource = Annotated[
    Annotated[Base64PDFSourceParam, Tag("base64")]
    | Annotated[PlainTextSourceParam, Tag("text")]
    | Annotated[ContentSourceParam, Tag("content")]
    | Annotated[URLSourceParam, Tag("url")]
    | Annotated[FileSourceParam, Tag("file")]
    | Annotated[UnknownSourceParam, Tag(OTHER)],
    open_tags("base64", "text", "content", "url", "file"),
]


class DocumentBlockParam(_Block):
    type: Literal["document"]
    source: DocumentSource
    title: StrictStr | None = None
    context: StrictStr | None = None


class SearchResultBlockParam(_Block):
    type: Literal["search_result"]
    source: StrictStr
    title: StrictStr
    content: list[TextBlockParam]


class ToolReferenceBlockParam(_Block):
    type: Literal["tool_reference"]
    tool_name: StrictStr


class BrowserStateBlockParam(_Block):
    type: Literal["browser_state"]
    tabs: list[Any]


ToolResultContent = Annotated[
    Annotated[TextBlockParam, Tag("text")]
    | Annotated[ImageBlockParam, Tag("image")]
    | Annotated[SearchResultBlockParam, Tag("search_result")]
    | Annotated[DocumentBlockParam, Tag("document")]
    | Annotated[ToolReferenceBlockParam, Tag("tool_reference")]
    | Annotated[BrowserStateBlockParam, Tag("browser_state")]
    | Annotated[UnknownBlockParam, Tag(OTHER)],
    open_tags("text", "image", "search_result", "document", "tool_reference", "browser_state"),
]


# ---------------------------------------------------------------- calls and their results


class ToolUseBlockParam(_Block):
    type: Literal["tool_use"]
    id: StrictStr
    name: StrictStr
    input: Any = None


class ToolResultBlockParam(_Block):
    type: Literal["tool_result"]
    tool_use_id: StrictStr
    content: StrictStr | list[ToolResultContent] | None = None
    is_error: StrictBool | None = None


class ServerToolUseBlockParam(_Block):
    """A server tool's call (web_search, web_fetch, code_execution, tool_search …), as the API returned it."""

    type: Literal["server_tool_use"]
    id: StrictStr
    name: StrictStr
    input: Any = None


class _ServerToolResult(_Block):
    # The result shapes differ per tool and per outcome (result or error); text is read from them generically.
    tool_use_id: StrictStr
    content: Any


class WebSearchToolResultBlockParam(_ServerToolResult):
    type: Literal["web_search_tool_result"]


class WebFetchToolResultBlockParam(_ServerToolResult):
    type: Literal["web_fetch_tool_result"]


class AdvisorToolResultBlockParam(_ServerToolResult):
    type: Literal["advisor_tool_result"]


class CodeExecutionToolResultBlockParam(_ServerToolResult):
    type: Literal["code_execution_tool_result"]


class BashCodeExecutionToolResultBlockParam(_ServerToolResult):
    type: Literal["bash_code_execution_tool_result"]


class TextEditorCodeExecutionToolResultBlockParam(_ServerToolResult):
    type: Literal["text_editor_code_execution_tool_result"]


class ToolSearchToolResultBlockParam(_ServerToolResult):
    type: Literal["tool_search_tool_result"]


class MCPToolUseBlockParam(_Block):
    type: Literal["mcp_tool_use"]
    id: StrictStr
    name: StrictStr
    server_name: StrictStr
    input: Any = None


class MCPToolResultBlockParam(_Block):
    type: Literal["mcp_tool_result"]
    tool_use_id: StrictStr
    content: StrictStr | list[TextBlockParam] | None = None
    is_error: StrictBool | None = None


# ---------------------------------------------------------------- thinking, context and bookkeeping


class ThinkingBlockParam(_Block):
    type: Literal["thinking"]
    thinking: StrictStr
    # Claude Code sends an empty signature for thinking it produced against a gateway without one.
    signature: StrictStr = ""


class RedactedThinkingBlockParam(_Block):
    type: Literal["redacted_thinking"]
    data: StrictStr


class ContainerUploadBlockParam(_Block):
    type: Literal["container_upload"]
    file_id: StrictStr


class CompactionBlockParam(_Block):
    """A summary of earlier turns; ``content: null`` is a failed compaction, which the API treats as a no-op."""

    type: Literal["compaction"]
    content: StrictStr | None = None


class ToolAdditionBlockParam(_Block):
    type: Literal["tool_addition"]
    tool: dict[str, Any]


class ToolRemovalBlockParam(_Block):
    type: Literal["tool_removal"]
    tool: dict[str, Any]


class MCPToolListingBlockParam(_Open):
    type: Literal["mcp_tool_listing"]
    mcp_server_name: StrictStr
    tools: list[Any]


class FallbackBlockParam(_Open):
    type: Literal["fallback"]
    from_: dict[str, Any] = Field(alias="from")
    to: dict[str, Any]


# The types a tool's answer comes in: a client tool_result, an MCP result, and every server tool's result.
RESULT_TYPES = frozenset(
    {
        "tool_result",
        "mcp_tool_result",
        "web_search_tool_result",
        "web_fetch_tool_result",
        "advisor_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "tool_search_tool_result",
    }
)
# The types that call a tool, each with an ``id`` its result names in ``tool_use_id``.
CALL_TYPES = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})

_BLOCKS: dict[str, type[BaseModel]] = {
    "text": TextBlockParam,
    "image": ImageBlockParam,
    "document": DocumentBlockParam,
    "search_result": SearchResultBlockParam,
    "thinking": ThinkingBlockParam,
    "redacted_thinking": RedactedThinkingBlockParam,
    "tool_use": ToolUseBlockParam,
    "tool_result": ToolResultBlockParam,
    "server_tool_use": ServerToolUseBlockParam,
    "web_search_tool_result": WebSearchToolResultBlockParam,
    "web_fetch_tool_result": WebFetchToolResultBlockParam,
    "advisor_tool_result": AdvisorToolResultBlockParam,
    "code_execution_tool_result": CodeExecutionToolResultBlockParam,
    "bash_code_execution_tool_result": BashCodeExecutionToolResultBlockParam,
    "text_editor_code_execution_tool_result": TextEditorCodeExecutionToolResultBlockParam,
    "tool_search_tool_result": ToolSearchToolResultBlockParam,
    "mcp_tool_use": MCPToolUseBlockParam,
    "mcp_tool_result": MCPToolResultBlockParam,
    "container_upload": ContainerUploadBlockParam,
    "compaction": CompactionBlockParam,
    "tool_addition": ToolAdditionBlockParam,
    "tool_removal": ToolRemovalBlockParam,
    "mcp_tool_listing": MCPToolListingBlockParam,
    "fallback": FallbackBlockParam,
}
BLOCK_TYPES = frozenset(_BLOCKS)

ContentBlockParam = Annotated[
    Annotated[TextBlockParam, Tag("text")]
    | Annotated[ImageBlockParam, Tag("image")]
    | Annotated[DocumentBlockParam, Tag("document")]
    | Annotated[SearchResultBlockParam, Tag("search_result")]
    | Annotated[ThinkingBlockParam, Tag("thinking")]
    | Annotated[RedactedThinkingBlockParam, Tag("redacted_thinking")]
    | Annotated[ToolUseBlockParam, Tag("tool_use")]
    | Annotated[ToolResultBlockParam, Tag("tool_result")]
    | Annotated[ServerToolUseBlockParam, Tag("server_tool_use")]
    | Annotated[WebSearchToolResultBlockParam, Tag("web_search_tool_result")]
    | Annotated[WebFetchToolResultBlockParam, Tag("web_fetch_tool_result")]
    | Annotated[AdvisorToolResultBlockParam, Tag("advisor_tool_result")]
    | Annotated[CodeExecutionToolResultBlockParam, Tag("code_execution_tool_result")]
    | Annotated[BashCodeExecutionToolResultBlockParam, Tag("bash_code_execution_tool_result")]
    | Annotated[TextEditorCodeExecutionToolResultBlockParam, Tag("text_editor_code_execution_tool_result")]
    | Annotated[ToolSearchToolResultBlockParam, Tag("tool_search_tool_result")]
    | Annotated[MCPToolUseBlockParam, Tag("mcp_tool_use")]
    | Annotated[MCPToolResultBlockParam, Tag("mcp_tool_result")]
    | Annotated[ContainerUploadBlockParam, Tag("container_upload")]
    | Annotated[CompactionBlockParam, Tag("compaction")]
    | Annotated[ToolAdditionBlockParam, Tag("tool_addition")]
    | Annotated[ToolRemovalBlockParam, Tag("tool_removal")]
    | Annotated[MCPToolListingBlockParam, Tag("mcp_tool_listing")]
    | Annotated[FallbackBlockParam, Tag("fallback")]
    | Annotated[UnknownBlockParam, Tag(OTHER)],
    open_tags(*_BLOCKS),
]

# ContentSourceParam names SourceContent, defined after it.
ContentSourceParam.model_rebuild()
