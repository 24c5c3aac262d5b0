"""``RequestView``: the facts rules look at, derived once from a parsed request.

Matching, templating and rendering all read the same view, so a request's last user text or turn number
is computed once, not per rule.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from mockgw.core.faces import ANTHROPIC_MESSAGES
from mockgw.faces.anthropic.wire.requests import (
    CountTokensParams,
    DocumentBlockParam,
    ImageBlockParam,
    MessageCreateParams,
    MessageParam,
    TextBlockParam,
    ToolResultBlockParam,
    ToolUseBlockParam,
)

DEFAULT_SESSION = "default"  # requests that name no session share this one


@dataclass(frozen=True)
class Attachment:
    """A file the request attaches by ``file_id`` (a document or image source), resolved from the file store."""

    file_id: str
    filename: str
    media_type: str
    text: str  # the content as text ("" for binary content)


def file_ids(params: MessageCreateParams | CountTokensParams) -> list[str]:
    """The ``file_id`` of every document and image source of type ``file`` in the messages, in order."""
    found: list[str] = []
    for message in params.messages:
        if isinstance(message.content, str):
            continue
        for block in message.content:
            if isinstance(block, DocumentBlockParam | ImageBlockParam) and block.source.get("type") == "file":
                file_id = block.source.get("file_id")
                if isinstance(file_id, str) and file_id not in found:
                    found.append(file_id)
    return found


@dataclass(frozen=True)
class ToolResult:
    """One tool_result of the last user turn, with the name of the tool whose tool_use it answers."""

    tool_use_id: str
    name: str | None
    text: str
    is_error: bool


def _text_of(content: str | list[object]) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(b.text for b in content if isinstance(b, TextBlockParam))


def _tool_result_text(block: ToolResultBlockParam) -> str:
    if block.content is None:
        return ""
    if isinstance(block.content, str):
        return block.content
    return "\n".join(str(b.get("text", "")) for b in block.content if b.get("type") == "text")


@dataclass(frozen=True)
class RequestView:
    """A parsed request plus what the transport told us (headers, session) and which API it came through.

    ``params`` is the conversation in the neutral model every face reads into: the Messages API's shape
    (system, user/assistant turns, tool_use and tool_result blocks, images, documents, tools offered), the
    richest of the APIs the gateway serves. The Anthropic face passes its request through; the OpenAI faces
    translate theirs (``mockgw/faces/openai``), so every predicate below means the same on every face.
    """

    params: MessageCreateParams
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names
    session: str = DEFAULT_SESSION
    face: str = ANTHROPIC_MESSAGES
    custom_id: str | None = None  # set for a request of a Message Batch
    attachments: tuple[Attachment, ...] = ()  # files attached by file_id, resolved from the store

    @property
    def model(self) -> str:
        return self.params.model

    @property
    def stream(self) -> bool:
        return bool(self.params.stream)

    @functools.cached_property
    def last_user_message(self) -> MessageParam | None:
        return next((m for m in reversed(self.params.messages) if m.role == "user"), None)

    @functools.cached_property
    def last_user(self) -> str:
        """Text of the last user turn, tool results excluded ("" for a turn of tool results only)."""
        message = self.last_user_message
        return "" if message is None else _text_of(message.content)  # type: ignore[arg-type]

    @functools.cached_property
    def turn(self) -> int:
        """1 + the number of assistant turns in the request."""
        return 1 + sum(1 for m in self.params.messages if m.role == "assistant")

    @functools.cached_property
    def system(self) -> str:
        """The system prompt's text: the ``system`` field and any ``role: system`` messages."""
        parts: list[str] = []
        system = self.params.system
        if isinstance(system, str):
            parts.append(system)
        elif system:
            parts.extend(b.text for b in system)
        parts.extend(_text_of(m.content) for m in self.params.messages if m.role == "system")  # type: ignore[arg-type]
        return "\n".join(parts)

    @functools.cached_property
    def tool_names(self) -> frozenset[str]:
        return frozenset(t.name for t in self.params.tools or ())

    @functools.cached_property
    def tool_results(self) -> tuple[ToolResult, ...]:
        """The tool_result blocks of the last user turn, each with the tool name it answers."""
        message = self.last_user_message
        if message is None or isinstance(message.content, str):
            return ()
        names: dict[str, str] = {}
        for m in self.params.messages:
            if m.role == "assistant" and not isinstance(m.content, str):
                names.update((b.id, b.name) for b in m.content if isinstance(b, ToolUseBlockParam))
        return tuple(
            ToolResult(b.tool_use_id, names.get(b.tool_use_id), _tool_result_text(b), bool(b.is_error))
            for b in message.content
            if isinstance(b, ToolResultBlockParam)
        )

    @property
    def tool_result(self) -> str:
        """The text of the last user turn's tool results (joined), for templates."""
        return "\n".join(r.text for r in self.tool_results)

    @functools.cached_property
    def input_chars(self) -> int:
        return input_chars(self.params)


def input_chars(params: MessageCreateParams | CountTokensParams) -> int:
    """Size of what the model would read (system, messages, tools) as compact JSON, for token counts."""
    dumped: list[object] = [
        params.system if isinstance(params.system, str | None) else [b.text for b in params.system],
        [m.model_dump(exclude_none=True) for m in params.messages],
    ]
    if params.tools:
        dumped.append([t.model_dump(exclude_none=True) for t in params.tools])
    return len(json.dumps(dumped, ensure_ascii=False, separators=(",", ":")))
