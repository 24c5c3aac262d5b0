"""A rendered Message as the journal keeps it: its blocks, stop reason and usage, bounded (core/journal.py)."""

from __future__ import annotations

from typing import Any

from mockgw.core.journal import answer_block, answer_summary
from mockgw.faces.anthropic.wire.messages import (
    Message,
    ServerToolUseBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)


def message_summary(message: Message) -> dict[str, Any]:
    """The journal's ``answer`` for a Messages API reply (the inspector shows it as blocks)."""
    blocks = []
    for block in message.content:
        if isinstance(block, TextBlock):
            blocks.append(answer_block("text", text=block.text))
        elif isinstance(block, ThinkingBlock):
            blocks.append(answer_block("thinking", text=block.thinking))
        elif isinstance(block, ToolUseBlock | ServerToolUseBlock):
            blocks.append(answer_block(block.type, name=block.name, input=block.input))
        else:  # redacted thinking, search results: their type says enough (their data is opaque or long)
            blocks.append(answer_block(block.type))
    usage = {"input_tokens": message.usage.input_tokens, "output_tokens": message.usage.output_tokens}
    if message.usage.cache_read_input_tokens:
        usage["cache_read_input_tokens"] = message.usage.cache_read_input_tokens
    if message.usage.cache_creation_input_tokens:
        usage["cache_creation_input_tokens"] = message.usage.cache_creation_input_tokens
    return answer_summary(blocks, message.stop_reason, usage)
