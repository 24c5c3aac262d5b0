"""The scenario language as pydantic models.

Every model forbids unknown keys, so a typo (``last_usr``) is an error at load, never a silent no-op. The
key names are a public contract (see docs/scenarios.md): add keys, never rename them. Shorthands are
normalised here, so the engine and renderer see one shape:

- ``reply: "text"`` is one text block; ``tool_result: true`` matches any tool result;
- a text predicate given as a bare string means ``contains`` (``model`` and ``header``: ``equals``).
"""

from __future__ import annotations

import base64 as _b64
import binascii
import copy
import functools
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    PrivateAttr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict

from mockgw.core.faces import FACES
from mockgw.faces.anthropic.wire.messages import StopReason
from mockgw.scenario.regex import Regex, RegexError
from mockgw.scenario.server_blocks import (
    SERVER_BLOCK_KEYS,
    BashCodeExecutionToolResultReply,
    CodeExecutionToolResultReply,
    CompactionReply,
    ContainerSpec,
    ContainerUploadReply,
    ContextManagementSpec,
    MCPToolResultReply,
    MCPToolUseReply,
    ServerToolUseCounts,
    TextEditorCodeExecutionToolResultReply,
    ToolSearchToolResultReply,
    WebFetchToolResultReply,
)
from mockgw.scenario.templates import Template, TemplateError, check_json_templates


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# The JSON Schema (`mockgw schema`, for editor completion) is built from the normalised types; these let it
# also accept the shorthands the validators normalise, so an editor never flags a file that loads.
_STRING: JsonDict = {"type": "string"}


def _widen(schema: JsonDict, **shorthands: list[JsonDict]) -> None:
    properties = cast(dict[str, JsonDict], schema["properties"])
    for name, forms in shorthands.items():
        properties[name] = {"anyOf": [*forms, properties[name]]}


def _inner(schema: JsonDict, name: str, kind: str, key: str) -> JsonDict:
    """A copy of ``key`` (items, additionalProperties) of field ``name``'s ``kind`` branch (``X | None``)."""
    branches = cast(list[JsonDict], cast(dict[str, JsonDict], schema["properties"])[name]["anyOf"])
    branch = next(b for b in branches if b.get("type") == kind)
    return copy.deepcopy(cast(JsonDict, branch[key]))  # pydantic may rewrite its own $refs in place later


# ---------------------------------------------------------------- predicates


class TextMatch(_Strict):
    """A test on a piece of text. Every key given must hold."""

    equals: str | None = None
    contains: str | None = None
    regex: str | None = None
    ignore_case: bool = False
    # Made once at load, so matching a request does no compiling or case-folding of the scenario's side.
    # RE2, not re: a regex matches in time linear in the client's text (mockgw/scenario/regex.py).
    _pattern: Regex | None = PrivateAttr(default=None)
    _equals: str | None = PrivateAttr(default=None)
    _contains: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _one_test(self) -> TextMatch:
        if self.equals is None and self.contains is None and self.regex is None:
            raise ValueError("give at least one of equals, contains, regex")
        if self.regex is not None:
            try:
                self._pattern = Regex(self.regex, self.ignore_case)
            except RegexError as exc:
                raise ValueError(str(exc)) from None
        fold = str.casefold if self.ignore_case else str
        self._equals = None if self.equals is None else fold(self.equals)
        self._contains = None if self.contains is None else fold(self.contains)
        return self

    def equals_holds(self, text: str) -> bool:
        return (text.casefold() if self.ignore_case else text) == self._equals

    def contains_holds(self, text: str) -> bool:
        assert self._contains is not None
        return self._contains in (text.casefold() if self.ignore_case else text)

    def regex_holds(self, text: str) -> bool:
        return self._pattern is not None and self._pattern.search(text)


class LastUserMatch(TextMatch):
    """A text test on the last user turn; ``system_reminders: true`` tests it with Claude Code's
    ``<system-reminder>`` text blocks kept (by default they are left out: they are not what the user typed)."""

    system_reminders: bool = False


def _text_shorthand(default_key: str) -> Any:
    def coerce(value: Any) -> Any:
        return {default_key: value} if isinstance(value, str) else value

    return coerce


class ToolsMatch(_Strict):
    """The request offers tools: ``includes`` names one or several that must all be offered."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra=lambda s: _widen(s, includes=[_STRING], excludes=[_STRING])
    )

    includes: list[str] = Field(default_factory=list)
    excludes: list[str] = Field(default_factory=list)

    @field_validator("includes", "excludes", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class ToolResultMatch(_Strict):
    """The last user turn carries a tool_result; optionally for a tool of this name, with this text."""

    name: str | None = None
    contains: str | None = None
    is_error: bool | None = None


class FileMatch(_Strict):
    """A file attached by ``file_id`` (a ``document`` or ``image`` source) in the request; every key given must
    hold for the same file. ``name`` and ``contains`` test the file's name and text; ``media_type`` is exact."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=lambda s: _widen(s, name=[_STRING]))

    name: TextMatch | None = None
    media_type: str | None = None
    contains: str | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name_shorthand(cls, value: Any) -> Any:
        return _text_shorthand("equals")(value)


class TurnMatch(_Strict):
    """A range of turns (1 + the number of assistant turns in the request)."""

    gte: int | None = Field(default=None, ge=1)
    lte: int | None = Field(default=None, ge=1)


class CountMatch(_Strict):
    """A test on a count: every key given must hold. ``every: 2`` holds for 2, 4, 6 …"""

    equals: int | None = Field(default=None, ge=0)
    gte: int | None = Field(default=None, ge=0)
    lte: int | None = Field(default=None, ge=0)
    every: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_test(self) -> CountMatch:
        if all(v is None for v in (self.equals, self.gte, self.lte, self.every)):
            raise ValueError("give at least one of equals, gte, lte, every")
        return self


def _count_shorthand(value: Any) -> Any:
    # A bare number is `equals`; a bool is refused (YAML's `true` is an int to pydantic otherwise).
    if isinstance(value, bool):
        raise ValueError("a count is a number or a mapping like {gte: 3}")
    return {"equals": value} if isinstance(value, int) else value


def _types_shorthand(value: Any) -> Any:
    return {"type": [value] if isinstance(value, str) else value} if isinstance(value, str | list) else value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


_INT: JsonDict = {"type": "integer"}
_STRINGS: JsonDict = {"type": "array", "items": _STRING}


class ThinkingMatch(_Strict):
    """What the request asks of extended thinking. ``requested``: thinking that thinks (enabled or adaptive)
    was asked for (true) or not (false); ``type``: the thinking type is one of these; ``budget``:
    ``budget_tokens``. (Not ``on``: YAML reads ``on`` as true.)"""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra=lambda s: _widen(s, type=[_STRING], budget=[_INT])
    )

    requested: bool | None = None
    type: list[str] | None = Field(default=None, min_length=1)
    budget: CountMatch | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _types(cls, value: Any) -> Any:
        return _one_or_many(value)

    @field_validator("budget", mode="before")
    @classmethod
    def _budget(cls, value: Any) -> Any:
        return _count_shorthand(value)


class ToolChoiceMatch(_Strict):
    """The request's ``tool_choice``: its ``type`` (auto, any, tool, none; auto when none is given) and, for
    ``tool``, the tool's ``name``."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=lambda s: _widen(s, type=[_STRING]))

    type: list[str] | None = Field(default=None, min_length=1)
    name: str | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _types(cls, value: Any) -> Any:
        return _one_or_many(value)


class OutputFormatMatch(_Strict):
    """Structured output (a JSON schema) was asked for: ``requested`` (true/false), the schema's ``title``, and
    ``properties`` it must all declare at its top level."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra=lambda s: _widen(s, title=[_STRING], properties=[_STRING])
    )

    requested: bool | None = None
    title: TextMatch | None = None
    properties: list[str] = Field(default_factory=list)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> Any:
        return _text_shorthand("equals")(value)

    @field_validator("properties", mode="before")
    @classmethod
    def _properties(cls, value: Any) -> Any:
        return _one_or_many(value)


AttachmentKind = Literal["image", "document", "file", "search_result"]


class AttachmentsMatch(_Strict):
    """Something attached anywhere in the conversation: an ``image``, a ``document``, a ``file`` (any block
    whose source is a ``file_id``) or a ``search_result``, with this ``media_type``; every key given must hold
    for the same attachment."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra=lambda s: _widen(
            s, type=[{"enum": ["image", "document", "file", "search_result"]}], media_type=[_STRING]
        ),
    )

    type: list[AttachmentKind] | None = Field(default=None, min_length=1)
    media_type: TextMatch | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _types(cls, value: Any) -> Any:
        return _one_or_many(value)

    @field_validator("media_type", mode="before")
    @classmethod
    def _media(cls, value: Any) -> Any:
        return _text_shorthand("equals")(value)


class MetadataMatch(_Strict):
    """The request's ``metadata.user_id`` (on the OpenAI faces: ``user`` or ``safety_identifier``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=lambda s: _widen(s, user_id=[_STRING]))

    user_id: TextMatch

    @field_validator("user_id", mode="before")
    @classmethod
    def _user(cls, value: Any) -> Any:
        return _text_shorthand("equals")(value)


class BodyMatch(_Strict):
    """A test on the value at ``path`` in the request body as the client sent it (``tools[0].name``,
    ``metadata.user_id``; ``$.`` in front is allowed). Every key given must hold: ``equals`` (any JSON),
    ``contains`` (a substring of a string, an item of a list, a key of an object), ``regex`` (on a string;
    other values as their JSON), ``exists`` (true: the path is there; false: it is not)."""

    path: str = Field(min_length=1)
    equals: JsonValue = None
    contains: JsonValue = None
    regex: str | None = None
    exists: bool | None = None
    _keys: tuple[str | int, ...] = PrivateAttr(default=())
    _pattern: Regex | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _compile(self) -> BodyMatch:
        if not self.given and self.regex is None and self.exists is None:
            raise ValueError("give at least one of equals, contains, regex, exists")
        self._keys = parse_path(self.path)
        if self.regex is not None:
            try:
                self._pattern = Regex(self.regex, False)
            except RegexError as exc:
                raise ValueError(str(exc)) from None
        return self

    @property
    def keys(self) -> tuple[str | int, ...]:
        """The path as object keys (str) and list indexes (int)."""
        return self._keys

    @property
    def given(self) -> tuple[str, ...]:
        """Which of ``equals`` and ``contains`` were given: ``equals: null`` tests for JSON null."""
        return tuple(k for k in ("equals", "contains") if k in self.model_fields_set)

    def regex_holds(self, text: str) -> bool:
        return self._pattern is not None and self._pattern.search(text)


def parse_path(path: str) -> tuple[str | int, ...]:
    """``a.b[0].c`` (optionally ``$.a…``) as ``("a", "b", 0, "c")``; ValueError for a malformed path."""
    rest = path[2:] if path.startswith("$.") else path
    keys: list[str | int] = []
    for part in rest.split("."):
        name, _, indexes = part.partition("[")
        if not name and not (keys and indexes):
            raise ValueError(f"path {path!r}: an empty key (write a.b[0].c)")
        if name:
            keys.append(name)
        if indexes:
            for index in ("[" + indexes).split("]")[:-1]:
                if not index.startswith("[") or not index[1:].isdigit():
                    raise ValueError(f"path {path!r}: a list index is [N], a whole number")
                keys.append(int(index[1:]))
            if not indexes.endswith("]"):
                raise ValueError(f"path {path!r}: an unclosed [")
    return tuple(keys)


def _match_shorthands(schema: JsonDict) -> None:
    strings: JsonDict = {"type": "array", "items": _STRING}
    value: JsonDict = {"type": ["string", "number"]}
    text_match = _inner(schema, "header", "object", "additionalProperties")
    headers: JsonDict = {"type": "object", "additionalProperties": {"anyOf": [value, text_match]}}
    _widen(
        schema,
        last_user=[_STRING],
        model=[_STRING],
        system=[_STRING],
        tools=[_STRING, strings],
        tool_result=[{"const": True}],
        header=[headers],
        face=[_STRING],
        custom_id=[_STRING],
        state=[_STRING],
        nth=[{"type": "integer", "minimum": 1}],
        messages=[{"type": "integer", "minimum": 1}],
        thinking=[{"type": "boolean"}, _STRING, _STRINGS],
        tool_choice=[_STRING, _STRINGS],
        output_format=[{"type": "boolean"}],
        beta=[_STRING],
        attachments=[{"const": True}, _STRING, _STRINGS],
        body=[_inner(schema, "body", "array", "items")],
    )


class Match(_Strict):
    """Predicates over a request; every one given must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_match_shorthands)

    last_user: LastUserMatch | None = None
    model: TextMatch | None = None
    system: TextMatch | None = None
    tools: ToolsMatch | None = None
    tool_result: ToolResultMatch | None = None
    header: dict[str, TextMatch] | None = None
    stream: bool | None = None
    turn: int | TurnMatch | None = None
    face: list[str] | None = None  # the API the request came through (anthropic-messages, openai-chat, …)

    @field_validator("face", mode="before")
    @classmethod
    def _faces(cls, value: Any) -> Any:
        faces = [value] if isinstance(value, str) else value
        if isinstance(faces, list):
            unknown = [f for f in faces if f not in FACES]
            if unknown:
                raise ValueError(f"unknown face {', '.join(map(str, unknown))}; faces: {', '.join(FACES)}")
        return faces

    custom_id: TextMatch | None = None  # a Message Batches request's custom_id (never holds outside a batch)
    file: FileMatch | None = None  # an attached file (by file_id) of this name, media type or text
    # The session's named state (any of these names); a rule or step's `set_state` moves it.
    state: list[str] | None = Field(default=None, min_length=1)
    nth: CountMatch | None = None  # the session's request number, counted from 1
    messages: CountMatch | None = None  # how many messages the conversation holds (the one being answered too)
    # What the request asks: thinking, a tool_choice, structured output, a beta, attachments, metadata, any field.
    thinking: ThinkingMatch | None = None
    tool_choice: ToolChoiceMatch | None = None
    output_format: OutputFormatMatch | None = None
    beta: list[str] | None = Field(default=None, min_length=1)
    attachments: AttachmentsMatch | None = None
    metadata: MetadataMatch | None = None
    body: list[BodyMatch] | None = Field(default=None, min_length=1)

    @field_validator("thinking", "output_format", mode="before")
    @classmethod
    def _requested_shorthand(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool):
            return {"requested": value}
        return _types_shorthand(value) if info.field_name == "thinking" else value

    @field_validator("tool_choice", mode="before")
    @classmethod
    def _tool_choice_shorthand(cls, value: Any) -> Any:
        return _types_shorthand(value)

    @field_validator("attachments", mode="before")
    @classmethod
    def _attachments_shorthand(cls, value: Any) -> Any:
        if value is True:
            return {}
        if value is False:
            raise ValueError("attachments: false is not a test; leave the key out")
        return _types_shorthand(value)

    @field_validator("beta", mode="before")
    @classmethod
    def _betas(cls, value: Any) -> Any:
        return _one_or_many(value)

    @field_validator("body", mode="before")
    @classmethod
    def _bodies(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("state", mode="before")
    @classmethod
    def _states(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("nth", "messages", mode="before")
    @classmethod
    def _counts(cls, value: Any) -> Any:
        return _count_shorthand(value)

    @field_validator("last_user", "system", mode="before")
    @classmethod
    def _contains_shorthand(cls, value: Any) -> Any:
        return _text_shorthand("contains")(value)

    @field_validator("model", "custom_id", mode="before")
    @classmethod
    def _equals_shorthand(cls, value: Any) -> Any:
        return _text_shorthand("equals")(value)

    @field_validator("tools", mode="before")
    @classmethod
    def _tools_shorthand(cls, value: Any) -> Any:
        return {"includes": value} if isinstance(value, str | list) else value

    @field_validator("tool_result", mode="before")
    @classmethod
    def _tool_result_shorthand(cls, value: Any) -> Any:
        if value is True:
            return {}
        if value is False:
            raise ValueError("tool_result: false is not a test; leave the key out")
        return value

    @field_validator("header", mode="before")
    @classmethod
    def _header_shorthand(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        # Header names are case-insensitive on the wire; values given bare are exact.
        return {
            str(k).lower(): ({"equals": str(v)} if isinstance(v, str | int | float) else v) for k, v in value.items()
        }


# ---------------------------------------------------------------- reply blocks


def _checked_citation(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError("a citation is a mapping: {document: N, quote: ...} or a citation of the API with its type")
    if "type" not in value:
        if not isinstance(value.get("document"), int) or not isinstance(value.get("quote"), str):
            raise ValueError("a citation shorthand is {document: N, quote: TEXT} (page: N for a PDF)")
        unknown = set(value) - {"document", "quote", "page", "end_page"}
        if unknown:
            raise ValueError(f"a citation shorthand takes document, quote, page, end_page; not {sorted(unknown)}")
    return value


class TextReply(_Strict):
    text: Template
    # Citations of the request's documents (mockgw/faces/anthropic/citations.py): shorthands, or the API's own.
    citations: list[dict[str, JsonValue]] | None = None

    @field_validator("citations", mode="before")
    @classmethod
    def _citations(cls, value: Any) -> Any:
        if isinstance(value, list):
            for item in value:
                _checked_citation(item)
        return value


class ThinkingReply(_Strict):
    thinking: Template
    signature: str | None = None  # generated (stable for a seed) when not given


class RedactedThinkingReply(_Strict):
    redacted_thinking: str | None = None  # the opaque `data`; generated when null


def _checked_input(value: Any) -> Any:
    try:
        check_json_templates(value)
    except TemplateError as exc:
        raise ValueError(str(exc)) from None
    return value


class ToolUseSpec(_Strict):
    name: str
    # Strings in it may hold {{ templates }}. The string "auto": input generated from the tool's input_schema in
    # the request when the answer is made (mockgw/core/structured.py).
    input: JsonValue = Field(default_factory=dict)
    id: str | None = None

    @field_validator("input")
    @classmethod
    def _templates(cls, value: Any) -> Any:
        return _checked_input(value)


class ToolUseReply(_Strict):
    tool_use: ToolUseSpec


class ServerToolUseSpec(ToolUseSpec):
    """A server tool call (web search): a tool_use whose name defaults to ``web_search``."""

    name: str = "web_search"


class ServerToolUseReply(_Strict):
    server_tool_use: ServerToolUseSpec


class JsonReply(_Strict):
    """Structured output: the JSON the answer's text is, checked against the request's output schema.

    ``json: auto`` generates it from that schema instead (seeded). Strings in it may hold {{ templates }}.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    # `json` would shadow BaseModel.json: the scenario key is kept through the alias.
    json_: JsonValue = Field(alias="json")

    @field_validator("json_")
    @classmethod
    def _templates(cls, value: Any) -> Any:
        return _checked_input(value)


class WebSearchResultSpec(_Strict):
    url: str
    title: str
    page_age: str | None = None
    encrypted_content: str | None = None  # generated when not given


class WebSearchToolResultSpec(_Strict):
    tool_use_id: str | None = None  # defaults to the server_tool_use block just before it
    results: list[WebSearchResultSpec] = Field(default_factory=list)
    error_code: str | None = None  # e.g. max_uses_exceeded: the result is an error instead


class WebSearchToolResultReply(_Strict):
    web_search_tool_result: WebSearchToolResultSpec


_BLOCK_KEYS: dict[str, type[BaseModel]] = {
    "text": TextReply,
    "thinking": ThinkingReply,
    "redacted_thinking": RedactedThinkingReply,
    "tool_use": ToolUseReply,
    "server_tool_use": ServerToolUseReply,
    "web_search_tool_result": WebSearchToolResultReply,
    "json": JsonReply,
    **SERVER_BLOCK_KEYS,  # the other server tools' results, MCP, container uploads, compaction
}


def _block_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return next((k for k in value if k in _BLOCK_KEYS), None)
    return next((k for k, cls in _BLOCK_KEYS.items() if isinstance(value, cls)), None)


ReplyBlock = Annotated[
    Annotated[TextReply, Tag("text")]
    | Annotated[ThinkingReply, Tag("thinking")]
    | Annotated[RedactedThinkingReply, Tag("redacted_thinking")]
    | Annotated[ToolUseReply, Tag("tool_use")]
    | Annotated[ServerToolUseReply, Tag("server_tool_use")]
    | Annotated[WebSearchToolResultReply, Tag("web_search_tool_result")]
    | Annotated[JsonReply, Tag("json")]
    | Annotated[WebFetchToolResultReply, Tag("web_fetch_tool_result")]
    | Annotated[CodeExecutionToolResultReply, Tag("code_execution_tool_result")]
    | Annotated[BashCodeExecutionToolResultReply, Tag("bash_code_execution_tool_result")]
    | Annotated[TextEditorCodeExecutionToolResultReply, Tag("text_editor_code_execution_tool_result")]
    | Annotated[ToolSearchToolResultReply, Tag("tool_search_tool_result")]
    | Annotated[MCPToolUseReply, Tag("mcp_tool_use")]
    | Annotated[MCPToolResultReply, Tag("mcp_tool_result")]
    | Annotated[ContainerUploadReply, Tag("container_upload")]
    | Annotated[CompactionReply, Tag("compaction")],
    Discriminator(_block_kind),
]


def _parse_reply(value: Any) -> Any:
    """``"hi"`` → one text block; a list of one-key mappings → typed blocks (clear error otherwise)."""
    if isinstance(value, str):
        return [{"text": value}]
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise ValueError("a reply is a string or a list of blocks")
    blocks: list[Any] = []
    for item in value:
        if isinstance(item, str):
            blocks.append({"text": item})
            continue
        if not isinstance(item, dict):
            raise ValueError(f"a reply block is a mapping like {{text: ...}}, not {type(item).__name__}")
        kinds = [k for k in item if k in _BLOCK_KEYS]
        if len(kinds) != 1:
            raise ValueError(
                "a reply block has exactly one of the keys " + ", ".join(_BLOCK_KEYS) + f"; got {sorted(item)}"
            )
        blocks.append(item)
    return blocks


class CacheCreation(_Strict):
    """``usage.cache_creation``: the cache-write tokens by time to live (they add up to cache_creation_input_tokens)."""

    ephemeral_5m_input_tokens: int = Field(default=0, ge=0)
    ephemeral_1h_input_tokens: int = Field(default=0, ge=0)


class Usage(_Strict):
    """Token counts to report; any not given is computed (see docs/scenarios.md, "usage")."""

    input_tokens: int | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=0)
    cache_creation_input_tokens: int | None = Field(default=None, ge=0)
    cache_read_input_tokens: int | None = Field(default=None, ge=0)
    # By TTL; when left out and cache_creation_input_tokens is given, all of it is 5-minute cache.
    cache_creation: CacheCreation | None = None
    service_tier: Literal["standard", "priority", "batch"] | None = None  # default standard
    # Server tool requests; a count left out is counted from the reply's server_tool_use blocks.
    server_tool_use: ServerToolUseCounts | None = None


class StopDetails(_Strict):
    """``stop_details`` of a refusal: the policy category and an explanation (both may be null, as the API's)."""

    # cyber, bio, frontier_llm, reasoning_extraction, general_harms today; a newer one passes through.
    category: str | None = None
    explanation: str | None = None


class Timing(_Strict):
    """How a stream is paced. All times in milliseconds."""

    ttft_ms: float | None = Field(default=None, ge=0)
    chunk_ms: float | None = Field(default=None, ge=0)
    jitter_ms: float | None = Field(default=None, ge=0)
    chunk_chars: int | None = Field(default=None, ge=1)
    tokens_per_second: float | None = Field(default=None, gt=0)
    # Keepalive ping events every ping_ms of silence in an Anthropic stream (0: none). Default: DEFAULT_PING_MS.
    ping_ms: float | None = Field(default=None, ge=0)

    def over(self, base: Timing) -> Timing:
        """This timing with ``base`` filling the keys it leaves out."""
        inherited = base.model_dump(exclude_none=True)
        mine = self.model_dump(exclude_none=True)
        if "tokens_per_second" in mine and "chunk_ms" not in mine:
            # Two ways to give one pace: an inherited chunk_ms would silently beat this level's choice.
            inherited.pop("chunk_ms", None)
        return Timing(**(inherited | mine))


class ErrorSpec(_Strict):
    """An HTTP error answer."""

    status: int = Field(ge=400, le=599)
    type: str | None = None  # defaults from the status
    message: str | None = None  # defaults from the type
    retry_after: float | None = Field(default=None, ge=0)
    headers: dict[str, str] = Field(default_factory=dict)
    should_retry: bool | None = None  # sets x-should-retry, which both SDKs obey over everything
    # Any JSON, sent as the body's `error.details`: the SDKs read `error.details.error_code` to pick an exception
    # class and to recover (thread_not_found, thread_unsupported_request, ...).
    details: JsonValue = None


class StreamErrorSpec(_Strict):
    type: str = "overloaded_error"
    message: str | None = None
    details: JsonValue = None  # as ErrorSpec.details, in the `event: error` frame


class Fault(_Strict):
    """Something going wrong on the transport: mid-stream error, dropped connection, stall, delay."""

    after_events: int | None = Field(default=None, ge=0)
    error: StreamErrorSpec | None = None
    disconnect: bool = False
    stall_ms: float | None = Field(default=None, ge=0)
    delay_ms: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _coherent(self) -> Fault:
        if self.error is not None and self.disconnect:
            raise ValueError("a fault either sends an error event or disconnects, not both")
        if (self.error is not None or self.disconnect) and self.after_events is None:
            raise ValueError("error and disconnect need after_events: N (how many events go out first)")
        if self.after_events is not None and self.error is None and not self.disconnect:
            raise ValueError("after_events needs error: {...} or disconnect: true")
        if all(v is None for v in (self.after_events, self.stall_ms, self.delay_ms)):
            raise ValueError("a fault needs after_events, stall_ms or delay_ms")
        return self


def _answer_shorthands(schema: JsonDict) -> None:
    block = _inner(schema, "reply", "array", "items")
    blocks: JsonDict = {"type": "array", "items": {"anyOf": [_STRING, block]}}
    _widen(schema, reply=[_STRING, block, blocks], error=[{"type": "integer"}])


class _Answer(_Strict):
    """What answers a request: shared by a rule and each step of a sequence."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_answer_shorthands)

    reply: list[ReplyBlock] | None = None
    error: ErrorSpec | None = None
    fault: Fault | None = None
    stop_reason: StopReason | None = None
    stop_details: StopDetails | None = None  # with stop_reason refusal (the default stop reason then)
    usage: Usage | None = None
    timing: Timing | None = None
    # In a Message Batch, the request's result is `canceled` or `expired` (answers only batch requests).
    batch_result: Literal["canceled", "expired"] | None = None
    # The session's state after this answer (a step's own wins over its rule's); see Match.state.
    set_state: str | None = Field(default=None, min_length=1)
    # The message's container (default: sent when a code execution block ran) and context_management (default:
    # derived from the request's context_management.edits); see docs/scenarios.md.
    container: ContainerSpec | None = None
    context_management: ContextManagementSpec | None = None

    @model_validator(mode="after")
    def _refusal(self) -> _Answer:
        if self.stop_details is not None and self.stop_reason not in (None, "refusal"):
            raise ValueError(f"stop_details describe a refusal: stop_reason is refusal, not {self.stop_reason}")
        return self

    @field_validator("reply", mode="before")
    @classmethod
    def _reply_shorthand(cls, value: Any) -> Any:
        return None if value is None else _parse_reply(value)

    @field_validator("error", mode="before")
    @classmethod
    def _error_shorthand(cls, value: Any) -> Any:
        return {"status": value} if isinstance(value, int) else value


class Step(_Answer):
    """One step of a sequence."""

    @model_validator(mode="after")
    def _has_answer(self) -> Step:
        _check_answer(self, "a step")
        return self


def _check_answer(answer: _Answer, what: str) -> None:
    if answer.reply is not None and answer.error is not None:
        raise ValueError(f"{what} has reply or error, not both")
    if answer.batch_result is not None:
        if answer.reply is not None or answer.error is not None or answer.fault is not None:
            raise ValueError(f"{what} with batch_result has no reply, error or fault (the request gets no answer)")
        return
    if answer.reply is None and answer.error is None and answer.fault is None:
        raise ValueError(f"{what} needs reply, error, fault or batch_result")
    if answer.error is not None and answer.fault is not None:
        raise ValueError(f"{what} with an error cannot also have a fault")


class Rule(_Answer):
    """One rule: when ``match`` holds, answer with a reply, an error, a fault or the next step."""

    name: str | None = None
    match: Match | None = None
    sequence: list[Step] | None = Field(default=None, min_length=1)
    then: Literal["repeat", "cycle"] = "repeat"
    times: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _has_answer(self) -> Rule:
        if self.sequence is not None:
            if any(v is not None for v in (self.reply, self.error, self.fault, self.batch_result)):
                raise ValueError("a rule has either sequence or reply/error/fault/batch_result")
        else:
            _check_answer(self, "a rule")
        return self


class AuthConfig(_Strict):
    keys: list[str] = Field(default_factory=list)
    oidc: bool = False  # accept a well-formed, unexpired JWT as a Bearer token


class ModelEntry(_Strict):
    """A model ``/v1/models`` lists. A model the built-in catalogue knows keeps its figures for any key
    left out; ``capabilities`` is merged onto the catalogue's key by key."""

    id: str
    display_name: str | None = None
    created_at: str = "2025-09-29T00:00:00Z"
    max_input_tokens: int | None = Field(default=None, ge=1)  # the context window
    max_tokens: int | None = Field(default=None, ge=1)  # the largest max_tokens a request may ask
    capabilities: dict[str, JsonValue] | None = None
    lifecycle: Literal["active", "deprecated", "retired"] | None = None
    line: str | None = None
    deprecated_at: str | None = None
    retires_at: str | None = None


class RateLimits(_Strict):
    """The limits ``anthropic-ratelimit-*`` headers report, per window (see gateway/ratelimits.py)."""

    requests: int = Field(default=4000, ge=0)
    input_tokens: int = Field(default=2_000_000, ge=0)
    output_tokens: int = Field(default=400_000, ge=0)
    tokens: int | None = Field(default=None, ge=0)  # default: input_tokens + output_tokens
    window_seconds: float = Field(default=60, gt=0)


class Defaults(_Strict):
    timing: Timing = Field(default_factory=Timing)


class BatchSettings(_Strict):
    """How Message Batches evolve, on the gateway's clock (instant with a FakeClock when both are 0)."""

    processing_ms: float = Field(default=0, ge=0)  # from create to processing_status: ended
    cancel_ms: float = Field(default=0, ge=0)  # from cancel to ended (the batch is `canceling` meanwhile)


class FileEntry(_Strict):
    """A file the gateway holds from the start, as if a tool (code execution) had made it: downloadable."""

    id: str | None = Field(default=None, pattern=r"^file_[A-Za-z0-9]{1,64}$")  # generated when not given
    filename: str = Field(pattern=r'^[^<>:"|?*\\/\x00-\x1f]{1,255}$')  # the API's rule for names
    mime_type: str | None = None  # guessed from the filename when not given
    text: str | None = None
    base64: str | None = None
    downloadable: bool = True

    @model_validator(mode="after")
    def _one_content(self) -> FileEntry:
        if (self.text is None) == (self.base64 is None):
            raise ValueError("a file has its content as text: or base64:, one of them")
        if self.base64 is not None:
            try:
                _b64.b64decode(self.base64, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"base64: not valid base64 ({exc})") from None
        return self


class Scenario(_Strict):
    """A whole scenario file."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="mockgw scenario",
        json_schema_extra=lambda s: _widen(
            s,
            models=[{"type": "array", "items": {"anyOf": [_STRING, _inner(s, "models", "array", "items")]}}],
            include=[_STRING],
        ),
    )

    name: str | None = None
    description: str | None = None
    # Other scenario files, merged after this one in order (paths relative to this file); see loader.py.
    include: list[str] = Field(default_factory=list)
    seed: int | None = None
    auth: AuthConfig | None = None
    models: list[ModelEntry] | None = None
    strict_models: bool = False
    # false: every request with a `thread` field is refused (thread_unsupported_request), as a server without
    # message threads answers, so the SDKs fall back to sending whole histories.
    threads: bool = True
    # The served surface: "full", every API mockgw has; "vercel", only what Vercel AI Gateway documents (the
    # rest refused as not found, see server/profile.py and docs/scenarios.md#profiles).
    profile: Literal["full", "vercel"] = "full"
    initial_state: str = Field(default="start", min_length=1)  # every session's state until a set_state
    defaults: Defaults = Field(default_factory=Defaults)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    batches: BatchSettings = Field(default_factory=BatchSettings)
    files: list[FileEntry] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)

    @field_validator("include", mode="before")
    @classmethod
    def _include_shorthand(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("models", mode="before")
    @classmethod
    def _model_shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"id": v} if isinstance(v, str) else v for v in value]
        return value

    @functools.cached_property
    def labels(self) -> tuple[str, ...]:
        """How reports name each rule, in order: its name, else its place (``rules[2]``). Made once."""
        return tuple(rule.name if rule.name else f"rules[{i}]" for i, rule in enumerate(self.rules))

    def rule_label(self, index: int) -> str:
        """The label of the rule at ``index`` (see ``labels``)."""
        return self.labels[index]
