"""Server-sent events of a streamed message, named like the SDK's ``Raw*Event`` types."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from mockgw.faces.anthropic.wire.messages import (
    Container,
    ContentBlock,
    ContextManagement,
    Message,
    RefusalStopDetails,
    StopReason,
)


class MessageStartEvent(BaseModel):
    type: Literal["message_start"] = "message_start"
    message: Message


class ContentBlockStartEvent(BaseModel):
    type: Literal["content_block_start"] = "content_block_start"
    index: int
    content_block: ContentBlock


class TextDelta(BaseModel):
    type: Literal["text_delta"] = "text_delta"
    text: str


class ThinkingDelta(BaseModel):
    type: Literal["thinking_delta"] = "thinking_delta"
    thinking: str


class SignatureDelta(BaseModel):
    type: Literal["signature_delta"] = "signature_delta"
    signature: str


class InputJSONDelta(BaseModel):
    type: Literal["input_json_delta"] = "input_json_delta"
    partial_json: str


class CitationsDelta(BaseModel):
    """One citation added to the text block being streamed."""

    type: Literal["citations_delta"] = "citations_delta"
    citation: dict[str, Any]


class CompactionDelta(BaseModel):
    """A compaction block's whole summary, in one delta (the SDKs assign it, they do not append)."""

    type: Literal["compaction_delta"] = "compaction_delta"
    content: str | None
    # Sent only when there is some: the TypeScript SDK copies it only when the key is present.
    encrypted_content: str | None = Field(default=None, exclude_if=lambda v: v is None)


Delta = TextDelta | ThinkingDelta | SignatureDelta | InputJSONDelta | CitationsDelta | CompactionDelta


class ContentBlockDeltaEvent(BaseModel):
    type: Literal["content_block_delta"] = "content_block_delta"
    index: int
    delta: Delta


class ContentBlockStopEvent(BaseModel):
    type: Literal["content_block_stop"] = "content_block_stop"
    index: int


class MessageDelta(BaseModel):
    stop_reason: StopReason | None
    stop_sequence: str | None = None
    stop_details: RefusalStopDetails | None = Field(default=None, exclude_if=lambda v: v is None)
    # The SDKs take the message's container from here (message_start carries none).
    container: Container | None = Field(default=None, exclude_if=lambda v: v is None)


class MessageDeltaUsage(BaseModel):
    # The SDKs read these on message_delta; anthropic-python 2.x fails without usage here.
    input_tokens: int | None = None
    output_tokens: int
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    # Left out when there is none, as the API does (not sent as null).
    server_tool_use: dict[str, Any] | None = Field(default=None, exclude_if=lambda v: v is None)


class MessageDeltaEvent(BaseModel):
    type: Literal["message_delta"] = "message_delta"
    delta: MessageDelta
    usage: MessageDeltaUsage
    # Beside delta, not in it: where the beta SDKs read the applied context edits.
    context_management: ContextManagement | None = Field(default=None, exclude_if=lambda v: v is None)


class MessageStopEvent(BaseModel):
    type: Literal["message_stop"] = "message_stop"


class PingEvent(BaseModel):
    type: Literal["ping"] = "ping"


class ErrorDetail(BaseModel):
    type: str
    message: str
    # Machine-readable cause, `{"error_code": ...}` (the SDKs map it to an exception class); left out when none.
    details: Any = Field(default=None, exclude_if=lambda v: v is None)


class ErrorEvent(BaseModel):
    type: Literal["error"] = "error"
    error: ErrorDetail


StreamEvent = (
    MessageStartEvent
    | ContentBlockStartEvent
    | ContentBlockDeltaEvent
    | ContentBlockStopEvent
    | MessageDeltaEvent
    | MessageStopEvent
    | PingEvent
    | ErrorEvent
)
