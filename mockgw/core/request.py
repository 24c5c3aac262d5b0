"""``RequestView``: the facts rules look at, derived once from a parsed request.

Matching, templating and rendering all read the same view, so a request's last user text or turn number
is computed once, not per rule. Text is read from every block type the API documents, and from block types
newer than that by the same fields (``text``, ``stdout``, a text source's ``data`` …): text nested in tool
results, documents (plain-text and content sources), search results, and server tools' results.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from mockgw.core.faces import ANTHROPIC_MESSAGES
from mockgw.faces.anthropic.wire.blocks import (
    CALL_TYPES,
    RESULT_TYPES,
    DocumentBlockParam,
    FileSourceParam,
    ImageBlockParam,
    TextBlockParam,
)
from mockgw.faces.anthropic.wire.requests import CountTokensParams, MessageCreateParams, MessageParam
from mockgw.faces.anthropic.wire.tools import OtherToolParam

DEFAULT_SESSION = "default"  # requests that name no session share this one

# Blocks with nothing a reader would call text: pictures, opaque or model-internal data, calls' input.
_NO_TEXT = frozenset({"image", "redacted_thinking", "thinking", "container_upload", "fallback", *CALL_TYPES})
# Fields that hold readable text, in the order they are read; `content` and `source` hold more blocks.
_TEXT_FIELDS = ("text", "title", "stdout", "stderr")
_NESTED_FIELDS = ("source", "content", "tool_references", "lines")


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
            source = block.source if isinstance(block, DocumentBlockParam | ImageBlockParam) else None
            if isinstance(source, FileSourceParam) and source.file_id not in found:
                found.append(source.file_id)
    return found


@dataclass(frozen=True)
class Attached:
    """Something the conversation attaches: an image, a document or a search result, its media type when known,
    and whether its source is a ``file_id`` (the Files API)."""

    kind: str
    media_type: str | None
    by_file: bool = False

    def __str__(self) -> str:
        media = f" {self.media_type}" if self.media_type else ""
        return f"{self.kind}{media}{' (file)' if self.by_file else ''}"


_ATTACHED_KINDS = frozenset({"image", "document", "search_result"})


@dataclass(frozen=True)
class ToolResult:
    """One tool's answer in the turn being answered, with the name of the tool whose call it answers."""

    tool_use_id: str
    name: str | None
    text: str
    is_error: bool


def _field(node: object, name: str) -> object:
    """``node[name]`` for JSON, ``node.name`` (declared or extra) for a wire model; None when absent."""
    if isinstance(node, dict):
        return node.get(name)
    if isinstance(node, BaseModel):
        # The dunder attributes, not model_fields / model_extra: those properties cost a microsecond a call.
        if name in node.__pydantic_fields__:
            return getattr(node, name)
        return (node.__pydantic_extra__ or {}).get(name)
    return None


def texts(node: object) -> Iterator[str]:
    """The readable text in a block, a list of blocks, or a result's content, in order."""
    if isinstance(node, str):
        if node:
            yield node
        return
    if isinstance(node, list | tuple):
        for item in node:
            yield from texts(item)
        return
    if isinstance(node, TextBlockParam):  # the common case, read directly
        if node.text:
            yield node.text
        return
    kind = _field(node, "type")
    if kind in _NO_TEXT:
        return
    if kind == "tool_reference":
        name = _field(node, "tool_name")
        if isinstance(name, str):
            yield name
        return
    media = _field(node, "media_type")
    data = _field(node, "data")
    if isinstance(data, str) and isinstance(media, str) and media.startswith("text/"):
        yield data  # a document's plain-text source
    for name in _TEXT_FIELDS:
        value = _field(node, name)
        if isinstance(value, str) and value:
            yield value
    for name in _NESTED_FIELDS:
        value = _field(node, name)
        # A search result's `source` is a string naming where it came from, not text to read.
        if isinstance(value, list | tuple | dict | BaseModel) or (isinstance(value, str) and name != "source"):
            yield from texts(value)


_REMINDER_OPEN, _REMINDER_CLOSE = "<system-reminder>", "</system-reminder>"


def is_system_reminder(text: str) -> bool:
    """Whether a text block is wholly a Claude Code ``<system-reminder>`` (context it adds to the user's turn:
    the todo list, files read, the date), not something the user typed."""
    stripped = text.strip()
    return stripped.startswith(_REMINDER_OPEN) and stripped.endswith(_REMINDER_CLOSE)


def _content_text(content: str | Sequence[BaseModel], reminders: bool = True) -> str:
    """A turn's readable text, tool results left out (and system reminders, unless ``reminders``)."""
    if isinstance(content, str):
        return "" if not reminders and is_system_reminder(content) else content
    return "\n".join(
        t
        for b in content
        if getattr(b, "type", None) not in RESULT_TYPES
        and (reminders or not (isinstance(b, TextBlockParam) and is_system_reminder(b.text)))
        for t in texts(b)
    )


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
    # The body as the client sent it (its own API's shape), for `body` predicates; None: the neutral params.
    body: Mapping[str, Any] | None = None

    @property
    def model(self) -> str:
        return self.params.model

    @property
    def stream(self) -> bool:
        return bool(self.params.stream)

    @functools.cached_property
    def _last_user_index(self) -> int | None:
        messages = self.params.messages
        return next((i for i in range(len(messages) - 1, -1, -1) if messages[i].role == "user"), None)

    @functools.cached_property
    def last_user_message(self) -> MessageParam | None:
        index = self._last_user_index
        return None if index is None else self.params.messages[index]

    @functools.cached_property
    def last_user(self) -> str:
        """Text of the last user turn, tool results and Claude Code's ``<system-reminder>`` text blocks
        excluded ("" for a turn of tool results only): what the user typed.

        Documents and search results in the turn count as its text, as the model reads them.
        """
        message = self.last_user_message
        return "" if message is None else _content_text(message.content, reminders=False)

    @functools.cached_property
    def last_user_with_reminders(self) -> str:
        """``last_user`` with the ``<system-reminder>`` blocks kept, as the model reads the turn."""
        message = self.last_user_message
        return "" if message is None else _content_text(message.content)

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
        parts.extend(_content_text(m.content) for m in self.params.messages if m.role == "system")
        return "\n".join(parts)

    @functools.cached_property
    def tool_names(self) -> frozenset[str]:
        """The names of the tools offered; a toolset without a name counts by its ``type``."""
        names: set[str] = set()
        for tool in self.params.tools or ():
            if tool.name is not None:
                names.add(tool.name)
            elif isinstance(tool, OtherToolParam):
                names.add(tool.type)
        return frozenset(names)

    @functools.cached_property
    def tool_results(self) -> tuple[ToolResult, ...]:
        """The tool answers being responded to, each with the name of the tool whose call it answers.

        Those are the result blocks of the last user turn (client tools' ``tool_result``), and those of an
        assistant turn after it (a server tool's result in a turn the client sends back to continue it).
        """
        index = self._last_user_index
        if index is None:
            return ()
        messages = self.params.messages
        names: dict[str, str] = {}
        for m in messages:
            for block in () if isinstance(m.content, str) else m.content:
                call_id, name = _field(block, "id"), _field(block, "name")
                if _field(block, "type") in CALL_TYPES and isinstance(call_id, str) and isinstance(name, str):
                    names[call_id] = name
        results: list[ToolResult] = []
        for m in messages[index:]:
            if m.role == "system" or isinstance(m.content, str):
                continue
            for block in m.content:
                if _field(block, "type") not in RESULT_TYPES:
                    continue
                call = _field(block, "tool_use_id")
                call_id = call if isinstance(call, str) else ""
                text = "\n".join(texts(_field(block, "content")))
                results.append(ToolResult(call_id, names.get(call_id), text, _field(block, "is_error") is True))
        return tuple(results)

    @property
    def tool_result(self) -> str:
        """The text of the last user turn's tool results (joined), for templates."""
        return "\n".join(r.text for r in self.tool_results)

    @functools.cached_property
    def betas(self) -> frozenset[str]:
        """The ``anthropic-beta`` values the request opts into (comma-separated in one header)."""
        raw = self.headers.get("anthropic-beta", "")
        return frozenset(part.strip() for part in raw.split(",") if part.strip())

    @functools.cached_property
    def attached(self) -> tuple[Attached, ...]:
        """Every image, document and search result in the conversation, in order, tool results' too."""
        by_id = {a.file_id: a.media_type for a in self.attachments}
        found: list[Attached] = []

        def visit(node: object) -> None:
            if isinstance(node, list | tuple):
                for item in node:
                    visit(item)
                return
            kind = _field(node, "type")
            if kind in _ATTACHED_KINDS:
                source = _field(node, "source")
                media = _field(source, "media_type")
                file_id = _field(source, "file_id") if _field(source, "type") == "file" else None
                if isinstance(file_id, str):
                    media = by_id.get(file_id, media)
                found.append(Attached(str(kind), media if isinstance(media, str) else None, file_id is not None))
            content = _field(node, "content")
            if kind != "search_result" and isinstance(content, list | tuple):
                visit(content)  # a tool result's blocks

        for message in self.params.messages:
            if not isinstance(message.content, str):
                visit(message.content)
        return tuple(found)

    @functools.cached_property
    def metadata_user_id(self) -> str | None:
        """``metadata.user_id``; on the OpenAI faces, ``user`` or ``safety_identifier``."""
        if self.params.metadata is not None and self.params.metadata.user_id is not None:
            return self.params.metadata.user_id
        if self.face != ANTHROPIC_MESSAGES and self.body is not None:
            for name in ("user", "safety_identifier"):
                value = self.body.get(name)
                if isinstance(value, str):
                    return value
        return None

    @functools.cached_property
    def json_body(self) -> Mapping[str, Any]:
        """The body as sent (``body``), else the neutral params as JSON."""
        if self.body is not None:
            return self.body
        dumped: dict[str, Any] = self.params.model_dump(mode="json", by_alias=True, exclude_none=True)
        return dumped

    @functools.cached_property
    def input_chars(self) -> int:
        return input_chars(self.params)


def input_chars(params: MessageCreateParams | CountTokensParams) -> int:
    """Size of what the model would read (system, messages, tools) as compact JSON, for token counts."""
    dumped: list[object] = [
        params.system if isinstance(params.system, str | None) else [b.text for b in params.system],
        [m.model_dump(exclude_none=True, by_alias=True) for m in params.messages],
    ]
    if params.tools:
        dumped.append([t.model_dump(exclude_none=True, by_alias=True) for t in params.tools])
    return len(json.dumps(dumped, ensure_ascii=False, separators=(",", ":")))
