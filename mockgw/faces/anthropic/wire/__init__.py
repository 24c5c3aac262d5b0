"""Pydantic models of the Anthropic Messages API, named like the official SDK's types.

One home for wire types: requests (what clients send), messages (what we answer), stream events and
errors. No logic here beyond validation.
"""

from mockgw.faces.anthropic.wire.errors import ERROR_TYPE_BY_STATUS, ErrorResponse, error_type_for_status
from mockgw.faces.anthropic.wire.events import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    ErrorEvent,
    MessageDeltaEvent,
    MessageStartEvent,
    MessageStopEvent,
    PingEvent,
    StreamEvent,
)
from mockgw.faces.anthropic.wire.messages import (
    ContentBlock,
    Message,
    RedactedThinkingBlock,
    ServerToolUseBlock,
    StopReason,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    Usage,
    WebSearchResultBlock,
    WebSearchToolResultBlock,
)
from mockgw.faces.anthropic.wire.models import ModelInfo, ModelsPage
from mockgw.faces.anthropic.wire.requests import CountTokensParams, MessageCreateParams, MessageParam

__all__ = [
    "ERROR_TYPE_BY_STATUS",
    "ContentBlock",
    "ContentBlockDeltaEvent",
    "ContentBlockStartEvent",
    "ContentBlockStopEvent",
    "CountTokensParams",
    "ErrorEvent",
    "ErrorResponse",
    "Message",
    "MessageCreateParams",
    "MessageDeltaEvent",
    "MessageParam",
    "MessageStartEvent",
    "MessageStopEvent",
    "ModelInfo",
    "ModelsPage",
    "PingEvent",
    "RedactedThinkingBlock",
    "ServerToolUseBlock",
    "StopReason",
    "StreamEvent",
    "TextBlock",
    "ThinkingBlock",
    "ToolUseBlock",
    "Usage",
    "WebSearchResultBlock",
    "WebSearchToolResultBlock",
    "error_type_for_status",
]
