"""What we answer: ``Message`` and its content blocks, as the SDK's ``anthropic.types`` name them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from mockgw.faces.anthropic.wire.server_tools import (
    BashCodeExecutionToolResultBlock,
    CodeExecutionToolResultBlock,
    CompactionBlock,
    ContainerUploadBlock,
    MCPToolResultBlock,
    MCPToolUseBlock,
    TextEditorCodeExecutionToolResultBlock,
    ToolSearchToolResultBlock,
    WebFetchToolResultBlock,
)

StopReason = Literal[
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "compaction",  # the beta's: the turn stopped after a compaction block (pause_after_compaction)
    "refusal",
    "model_context_window_exceeded",
]
STOP_REASONS: tuple[str, ...] = StopReason.__args__  # type: ignore[attr-defined]


class TextBlock(BaseModel):
    type: Literal["text"] = "text"
    text: str
    # The citations supporting this text, when it cites the request's documents (left out otherwise).
    citations: list[dict[str, Any]] | None = Field(default=None, exclude_if=lambda v: v is None)


class ThinkingBlock(BaseModel):
    type: Literal["thinking"] = "thinking"
    thinking: str
    signature: str


class RedactedThinkingBlock(BaseModel):
    type: Literal["redacted_thinking"] = "redacted_thinking"
    data: str


class ToolUseBlock(BaseModel):
    type: Literal["tool_use"] = "tool_use"
    id: str
    name: str
    input: Any


class ServerToolUseBlock(BaseModel):
    type: Literal["server_tool_use"] = "server_tool_use"
    id: str
    name: str
    input: Any


class WebSearchResultBlock(BaseModel):
    type: Literal["web_search_result"] = "web_search_result"
    url: str
    title: str
    encrypted_content: str
    page_age: str | None = None


class WebSearchToolResultBlock(BaseModel):
    type: Literal["web_search_tool_result"] = "web_search_tool_result"
    tool_use_id: str
    content: list[WebSearchResultBlock] | dict[str, Any]


ContentBlock = Annotated[
    TextBlock
    | ThinkingBlock
    | RedactedThinkingBlock
    | ToolUseBlock
    | ServerToolUseBlock
    | WebSearchToolResultBlock
    | WebFetchToolResultBlock
    | CodeExecutionToolResultBlock
    | BashCodeExecutionToolResultBlock
    | TextEditorCodeExecutionToolResultBlock
    | ToolSearchToolResultBlock
    | MCPToolUseBlock
    | MCPToolResultBlock
    | ContainerUploadBlock
    | CompactionBlock,
    Field(discriminator="type"),
]


class ServerToolUsage(BaseModel):
    web_search_requests: int = 0
    web_fetch_requests: int = 0


class Container(BaseModel):
    """The code execution container the request used (``expires_at``: ISO 8601)."""

    id: str
    expires_at: str


class ContextManagement(BaseModel):
    """The context edits the API applied to the request (the beta's ``BetaContextManagementResponse``)."""

    applied_edits: list[dict[str, Any]]


class CacheCreation(BaseModel):
    ephemeral_5m_input_tokens: int = 0
    ephemeral_1h_input_tokens: int = 0


class RefusalStopDetails(BaseModel):
    type: Literal["refusal"] = "refusal"
    category: str | None = None
    explanation: str | None = None


class Usage(BaseModel):
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    # The cache writes by TTL: sent when there were any (or scripted).
    cache_creation: CacheCreation | None = Field(default=None, exclude_if=lambda v: v is None)
    service_tier: str = "standard"
    # Only present when server tools ran; left out of the JSON otherwise, like the API does.
    server_tool_use: ServerToolUsage | None = Field(default=None, exclude_if=lambda v: v is None)


class Message(BaseModel):
    id: str
    type: Literal["message"] = "message"
    role: Literal["assistant"] = "assistant"
    model: str
    content: list[ContentBlock]
    stop_reason: StopReason | None
    stop_sequence: str | None = None
    # A refusal's category and explanation; left out for other stop reasons.
    stop_details: RefusalStopDetails | None = Field(default=None, exclude_if=lambda v: v is None)
    # When a code execution tool ran (or the scenario says so); left out otherwise.
    container: Container | None = Field(default=None, exclude_if=lambda v: v is None)
    # When the request asked for context edits (or the scenario says so); left out otherwise.
    context_management: ContextManagement | None = Field(default=None, exclude_if=lambda v: v is None)
    usage: Usage
