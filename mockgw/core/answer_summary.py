"""A composed Answer (the OpenAI and AI SDK faces') as the journal keeps it: blocks, stop reason, usage."""

from __future__ import annotations

from typing import Any

from mockgw.core.answer import Answer, ReasoningPart, TextPart
from mockgw.core.journal import answer_block, answer_summary


def answer_summary_of(answer: Answer) -> dict[str, Any]:
    """The journal's ``answer`` for a composed reply, in the Messages vocabulary the inspector shows for every
    face: ``text``, ``thinking`` (reasoning), ``tool_use`` blocks, and the scenario language's stop reason."""
    blocks = []
    for part in answer.parts:
        if isinstance(part, TextPart):
            blocks.append(answer_block("text", text=part.text))
        elif isinstance(part, ReasoningPart):
            blocks.append(answer_block("thinking", text=part.text))
        else:
            blocks.append(answer_block("tool_use", name=part.name, input=part.input))
    usage = {"input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens}
    if answer.reasoning_tokens:
        usage["reasoning_tokens"] = answer.reasoning_tokens
    return answer_summary(blocks, answer.stop_reason, usage)
