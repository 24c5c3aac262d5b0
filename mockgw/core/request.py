"""``RequestView``: the facts rules look at, derived once from a parsed request.

Matching, templating and rendering all read the same view, so a request's last user text or turn number
is computed once, not per rule. Text is read from every block type the API documents, and from block types
newer than that by the same fields (``text``, ``stdout``, a text source's ``data`` …): text nested in tool
results, documents (plain-text and content sources), search results, and server tools' results.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel

from mockgw.core.faces import ANTHROPIC_MESSAGES
from mockgw.faces.anthropic.wire.blocks import (
    CALL_TYPES,
    RESULT_TYPES,
    TextBlockParam,
)
from mockgw.faces.anthropic.wire.requests import CountTokensParams, MessageCreateParams

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


def file_ids(params: MessageCreateParams | CountTokensParams | Mapping[str, Any]) -> list[str]:
    """The ``file_id`` of every document and image source of type ``file`` in the messages, in order."""
    found: list[str] = []
    messages = params.get("messages") or () if isinstance(params, Mapping) else params.messages
    for message in messages:
        content = message.get("content") if type(message) is dict else _field(message, "content")
        if type(content) is not list:
            continue
        for block in content:
            if type(block) is dict:  # JSON, read directly: a long conversation has thousands of blocks
                kind = block.get("type")
                if kind != "document" and kind != "image":
                    continue
                source: object = block.get("source")
            else:
                source = _field(block, "source") if _field(block, "type") in ("document", "image") else None
            file_id = _field(source, "file_id") if _field(source, "type") == "file" else None
            if isinstance(file_id, str) and file_id not in found:
                found.append(file_id)
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


def texts(node: object, source: bool = False) -> Iterator[str]:
    """The readable text in a block, a list of blocks, or a result's content, in order (``source``: ``node``
    is a document's source, whose ``type: text`` is not a text block's)."""
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
    if not source and isinstance(node, dict) and node.get("type") == "text":  # the same, as JSON
        text = node.get("text")
        if isinstance(text, str) and text:
            yield text
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
            yield from texts(value, name == "source")


_REMINDER_OPEN, _REMINDER_CLOSE = "<system-reminder>", "</system-reminder>"


def is_system_reminder(text: str) -> bool:
    """Whether a text block is wholly a Claude Code ``<system-reminder>`` (context it adds to the user's turn:
    the todo list, files read, the date), not something the user typed."""
    stripped = text.strip()
    return stripped.startswith(_REMINDER_OPEN) and stripped.endswith(_REMINDER_CLOSE)


def _content_text(content: str | Sequence[Any], reminders: bool = True) -> str:
    """A turn's readable text, tool results left out (and system reminders, unless ``reminders``)."""
    if isinstance(content, str):
        return "" if not reminders and is_system_reminder(content) else content
    if len(content) == 1 and type(block := content[0]) is dict and block.get("type") in RESULT_TYPES:
        return ""  # an agent loop's turn: one tool result, no text (no generators made to find that out)
    return "\n".join(
        t
        for b in content
        if _field(b, "type") not in RESULT_TYPES
        and (reminders or not (_field(b, "type") == "text" and is_system_reminder(str(_field(b, "text")))))
        for t in texts(b)
    )


_T = TypeVar("_T")


class lazy(Generic[_T]):
    """``functools.cached_property`` without its lock: Python 3.11's takes an RLock on every first read,
    about 1.4 µs, and a request reads several derived fields. Worked out on first read and kept in the
    instance's ``__dict__`` (which later reads find first). Two threads reading one view at once may both
    work a field out; they get the same value (a view's fields are functions of the request)."""

    def __init__(self, fn: Callable[[Any], _T]) -> None:
        self._fn = fn
        self._name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, cls: type | None = None) -> lazy[_T]: ...

    @overload
    def __get__(self, obj: object, cls: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, cls: type | None = None) -> _T | lazy[_T]:
        if obj is None:
            return self
        value = obj.__dict__[self._name] = self._fn(obj)
        return value


class RequestView:
    """A parsed request plus what the transport told us (headers, session) and which API it came through.

    The conversation is in the neutral shape every face reads into: the Messages API's (system,
    user/assistant turns, tool_use and tool_result blocks, images, documents, tools offered), the richest of
    the APIs the gateway serves. The Anthropic face passes its request through as the JSON it parsed
    (``data``: no model is built on the happy path); the OpenAI and AI SDK faces translate theirs into
    ``MessageCreateParams`` (``params``), so every predicate below means the same on every face.

    Every derived field (``last_user``, ``turn``, ``system``, ``tool_names``, ``tool_results``,
    ``input_chars`` …) is worked out from the JSON the first time something reads it, and cached: a rule that
    tests only ``model`` never walks the messages. ``params``, the wire model, is built only when a reader
    still needs it (threads, batches, citations, a few rare predicates).
    """

    def __init__(
        self,
        params: MessageCreateParams | None = None,
        headers: Mapping[str, str] | None = None,
        session: str = DEFAULT_SESSION,
        face: str = ANTHROPIC_MESSAGES,
        custom_id: str | None = None,
        attachments: tuple[Attachment, ...] = (),
        body: Mapping[str, Any] | None = None,
        *,
        data: Mapping[str, Any] | None = None,
        exact_dump: bool = True,
    ) -> None:
        """``params`` (a wire model) or ``data`` (the request's JSON, already validated: see
        ``faces/anthropic/parse``) must be given. ``exact_dump``: ``data`` dumps to the same JSON as the wire
        model would (no ``null`` where the model drops it, no default the model adds), so ``input_chars``
        may measure ``data`` itself."""
        if params is None and data is None:
            raise TypeError("RequestView needs params or data")
        if params is not None:
            self.__dict__["params"] = params
        self._data = data
        self.exact_dump = exact_dump or data is None  # data dumps as the wire model would
        self.headers: Mapping[str, str] = {} if headers is None else headers  # lower-cased names
        self.session = session
        self.face = face
        self.custom_id = custom_id  # set for a request of a Message Batch
        self.attachments = attachments  # files attached by file_id, resolved from the store
        # The body as the client sent it (its own API's shape), for `body` predicates; None: the neutral params.
        self.body = body

    def __repr__(self) -> str:
        return f"RequestView(model={self.model!r}, face={self.face!r}, session={self.session!r})"

    def detached(self) -> RequestView:
        """The same request without the fields worked out from it so far (texts, tool results, a wire model
        built on first use): what a reader that comes much later (the journal's *why*) keeps, holding only
        references to what the request already holds. Its fields read the same, worked out again."""
        given = self.__dict__["params"] if self._data is None else None
        return RequestView(
            given,
            self.headers,
            self.session,
            self.face,
            self.custom_id,
            self.attachments,
            self.body,
            data=self._data,
            exact_dump=self.exact_dump,
        )

    @lazy
    def params(self) -> MessageCreateParams:
        """The request as the wire model, built on first use from ``data`` (which passed validation)."""
        return MessageCreateParams.model_validate(self._data)

    @lazy
    def data(self) -> Mapping[str, Any]:
        """The request as JSON in the Messages API's shape (``None`` fields left out when dumped from a model)."""
        if self._data is not None:
            return self._data
        dumped: dict[str, Any] = self.params.model_dump(by_alias=True, exclude_none=True)
        return dumped

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation's messages as JSON objects."""
        messages: list[dict[str, Any]] = self.data["messages"]
        return messages

    @property
    def model(self) -> str:
        return str(self.data["model"])

    @property
    def stream(self) -> bool:
        return bool(self.data.get("stream"))

    @property
    def max_tokens(self) -> int:
        """``max_tokens`` (0 on a face whose request had none to give)."""
        value = self.data.get("max_tokens")
        return value if isinstance(value, int) else 0

    @property
    def stop_sequences(self) -> tuple[str, ...]:
        return tuple(self.data.get("stop_sequences") or ())

    @lazy
    def _last_user_index(self) -> int | None:
        messages = self.messages
        for index in range(len(messages) - 1, -1, -1):  # a loop, not next() over a generator: every request
            if messages[index]["role"] == "user":
                return index
        return None

    @lazy
    def last_user_message(self) -> dict[str, Any] | None:
        index = self._last_user_index
        return None if index is None else self.messages[index]

    @lazy
    def last_user(self) -> str:
        """Text of the last user turn, tool results and Claude Code's ``<system-reminder>`` text blocks
        excluded ("" for a turn of tool results only): what the user typed.

        Documents and search results in the turn count as its text, as the model reads them.
        """
        message = self.last_user_message
        return "" if message is None else _content_text(message["content"], reminders=False)

    @lazy
    def last_user_with_reminders(self) -> str:
        """``last_user`` with the ``<system-reminder>`` blocks kept, as the model reads the turn."""
        message = self.last_user_message
        return "" if message is None else _content_text(message["content"])

    @lazy
    def turn(self) -> int:
        """1 + the number of assistant turns in the request."""
        return 1 + sum(1 for m in self.messages if m["role"] == "assistant")

    @lazy
    def system(self) -> str:
        """The system prompt's text: the ``system`` field and any ``role: system`` messages."""
        parts: list[str] = []
        system = self.data.get("system")
        if isinstance(system, str):
            parts.append(system)
        elif system:
            parts.extend(b["text"] for b in system)
        parts.extend(_content_text(m["content"]) for m in self.messages if m["role"] == "system")
        return "\n".join(parts)

    @lazy
    def tool_names(self) -> frozenset[str]:
        """The names of the tools offered; a toolset without a name counts by its ``type``."""
        names: set[str] = set()
        for tool in self.data.get("tools") or ():
            name = tool.get("name")
            names.add(name if isinstance(name, str) else tool["type"])
        return frozenset(names)

    @lazy
    def tool_results(self) -> tuple[ToolResult, ...]:
        """The tool answers being responded to, each with the name of the tool whose call it answers.

        Those are the result blocks of the last user turn (client tools' ``tool_result``), and those of an
        assistant turn after it (a server tool's result in a turn the client sends back to continue it).
        """
        index = self._last_user_index
        if index is None:
            return ()
        messages = self.messages
        found = [
            block
            for m in messages[index:]
            if m["role"] != "system" and type(m["content"]) is not str  # (JSON: a str is exactly str)
            for block in m["content"]
            if block.get("type") in RESULT_TYPES
        ]
        if not found:
            return ()  # the common first turn: no need to walk the conversation for the calls' names
        # The calls' names, read from the end back (the latest call of an id names it) and only until every
        # result's call is found: usually the turn before, not the whole conversation.
        wanted = {b.get("tool_use_id") for b in found}
        names: dict[str, str] = {}
        for m in reversed(messages):
            for block in () if isinstance(m["content"], str) else reversed(m["content"]):
                call_id, name = block.get("id"), block.get("name")
                if (
                    isinstance(call_id, str)
                    and call_id not in names
                    and block.get("type") in CALL_TYPES
                    and isinstance(name, str)
                ):
                    names[call_id] = name
            if wanted.issubset(names):
                break
        results: list[ToolResult] = []
        for block in found:
            call = block.get("tool_use_id")
            call_id = call if isinstance(call, str) else ""
            content = block.get("content")
            # A string (most tools' output) is its own text: texts() would yield it alone, if not empty.
            text = content if type(content) is str else "\n".join(texts(content))
            results.append(ToolResult(call_id, names.get(call_id), text, block.get("is_error") is True))
        return tuple(results)

    @property
    def tool_result(self) -> str:
        """The text of the last user turn's tool results (joined), for templates."""
        return "\n".join(r.text for r in self.tool_results)

    @lazy
    def betas(self) -> frozenset[str]:
        """The ``anthropic-beta`` values the request opts into (comma-separated in one header)."""
        raw = self.headers.get("anthropic-beta", "")
        return frozenset(part.strip() for part in raw.split(",") if part.strip())

    @lazy
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

        for message in self.messages:
            if not isinstance(message["content"], str):
                visit(message["content"])
        return tuple(found)

    @lazy
    def metadata_user_id(self) -> str | None:
        """``metadata.user_id``; on the OpenAI faces, ``user`` or ``safety_identifier``."""
        metadata = self.data.get("metadata")
        user_id = metadata.get("user_id") if isinstance(metadata, Mapping) else None
        if isinstance(user_id, str):
            return user_id
        if self.face != ANTHROPIC_MESSAGES and self.body is not None:
            for name in ("user", "safety_identifier"):
                value = self.body.get(name)
                if isinstance(value, str):
                    return value
        return None

    @lazy
    def json_body(self) -> Mapping[str, Any]:
        """The body as sent (``body``), else the neutral params as JSON."""
        if self.body is not None:
            return self.body
        dumped: dict[str, Any] = self.params.model_dump(mode="json", by_alias=True, exclude_none=True)
        return dumped

    @lazy
    def input_chars(self) -> int:
        """Size of what the model would read (system, messages, tools) as compact JSON, for token counts."""
        if self.exact_dump:
            return data_input_chars(self.data)
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


def data_input_chars(data: Mapping[str, Any]) -> int:
    """``input_chars`` of a request given as JSON that dumps as its wire model would (see ``RequestView``):
    the parsed JSON is measured as it is, without building or dumping a model."""
    system = data.get("system")
    dumped: list[object] = [system if isinstance(system, str | None) else [b["text"] for b in system], data["messages"]]
    tools = data.get("tools")
    if tools:
        dumped.append(tools)
    return len(_COMPACT.encode(dumped))


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
