"""Reply blocks of the tools that run on Anthropic's side: web fetch, code execution (Python, bash, the text
editor), tool search, MCP connector calls, container uploads and context compaction.

Each block has a short form for the common case and accepts the API's own shape too (``content: {...}`` as
the API sends it). A result block answers the tool call just before it unless ``tool_use_id`` says otherwise
(``server_tool_use`` for the server tools, ``mcp_tool_use`` for ``mcp_tool_result``), as
``web_search_tool_result`` does. See docs/scenarios.md, "Server tool results".

Imported by ``mockgw.scenario.schema`` (the reply block union); the renderer is
``mockgw.faces.anthropic.server_blocks``.
"""

from __future__ import annotations

import copy
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator
from pydantic.config import JsonDict

from mockgw.scenario.templates import Template, TemplateError, check_json_templates


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _widened(key: str, *forms: JsonDict) -> Any:
    """A ``json_schema_extra`` letting the editor schema accept ``key``'s shorthand ``forms`` too."""

    def widen(schema: JsonDict) -> None:
        properties = cast(dict[str, JsonDict], schema["properties"])
        properties[key] = {"anyOf": [*copy.deepcopy(list(forms)), properties[key]]}

    return widen


_STRING: JsonDict = {"type": "string"}
_NULL: JsonDict = {"type": "null"}
_TRUE: JsonDict = {"type": "boolean", "const": True}


def _checked_json(value: Any) -> Any:
    try:
        check_json_templates(value)
    except TemplateError as exc:
        raise ValueError(str(exc)) from None
    return value


def _one_of(spec: BaseModel, keys: tuple[str, ...], what: str) -> None:
    given = [k for k in keys if getattr(spec, k) is not None]
    if len(given) > 1:
        raise ValueError(f"{what} takes one of {', '.join(keys)}; got {', '.join(given)}")


# ---------------------------------------------------------------- web fetch


class WebFetchToolResultSpec(_Strict):
    """``web_fetch_tool_result``: the page a ``server_tool_use`` named ``web_fetch`` fetched, as a document."""

    tool_use_id: str | None = None  # defaults to the server_tool_use block just before it
    url: str | None = None  # defaults to that call's input.url
    text: Template | None = None  # the page as plain text (a text/plain document source)
    pdf: str | None = None  # or the page as a PDF, base64 (an application/pdf document source)
    title: str | None = None  # the document's title
    citations: bool | None = None  # the document's citations.enabled
    retrieved_at: str | None = None  # ISO 8601; defaults to now on mockgw's clock
    error_code: str | None = None  # url_not_accessible, url_not_allowed, …: an error result instead
    content: dict[str, JsonValue] | None = None  # the API's own result object, sent as written

    @field_validator("content")
    @classmethod
    def _templates(cls, value: Any) -> Any:
        return _checked_json(value)

    @model_validator(mode="after")
    def _coherent(self) -> WebFetchToolResultSpec:
        _one_of(self, ("text", "pdf", "error_code", "content"), "web_fetch_tool_result")
        if self.text is None and self.pdf is None and self.error_code is None and self.content is None:
            raise ValueError("web_fetch_tool_result needs text, pdf, error_code or content")
        return self


class WebFetchToolResultReply(_Strict):
    web_fetch_tool_result: WebFetchToolResultSpec


# ---------------------------------------------------------------- code execution


class CodeExecutionResultSpec(_Strict):
    """What code (Python or bash) printed and returned, or an error; ``"text"`` alone is ``{stdout: text}``."""

    tool_use_id: str | None = None  # defaults to the server_tool_use block just before it
    stdout: Template | None = None  # default ""
    stderr: Template | None = None  # default ""
    return_code: int | None = None  # default 0
    files: list[str] | None = None  # file ids of the files the code wrote (the result's content list)
    encrypted_stdout: str | None = None  # Python only: an encrypted_code_execution_result instead
    error_code: str | None = None  # unavailable, execution_time_exceeded, …: an error result instead
    content: dict[str, JsonValue] | None = None  # the API's own result object, sent as written

    @field_validator("content")
    @classmethod
    def _templates(cls, value: Any) -> Any:
        return _checked_json(value)

    @model_validator(mode="after")
    def _coherent(self) -> CodeExecutionResultSpec:
        _one_of(self, ("stdout", "encrypted_stdout", "error_code", "content"), "a code execution result")
        ran = ("stdout", "stderr", "return_code", "files", "encrypted_stdout")
        if self.error_code is not None or self.content is not None:
            extra = [k for k in ran if getattr(self, k) is not None]
            if extra:
                either = "error_code" if self.error_code is not None else "content"
                raise ValueError(f"a code execution result with {either} takes no {', '.join(extra)}")
        return self


def _stdout_shorthand(value: Any) -> Any:
    return {"stdout": value} if isinstance(value, str) else value


class CodeExecutionToolResultReply(_Strict):
    """``code_execution_tool_result``: a ``server_tool_use`` named ``code_execution`` ran Python."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra=_widened("code_execution_tool_result", _STRING)
    )

    code_execution_tool_result: CodeExecutionResultSpec

    @field_validator("code_execution_tool_result", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return _stdout_shorthand(value)


class BashResultSpec(CodeExecutionResultSpec):
    """What a shell command printed and returned, or an error (no encrypted form: that is Python's)."""

    @model_validator(mode="after")
    def _python_only(self) -> BashResultSpec:
        if self.encrypted_stdout is not None:
            raise ValueError("encrypted_stdout is a Python code_execution_tool_result's; bash has none")
        return self


class BashCodeExecutionToolResultReply(_Strict):
    """``bash_code_execution_tool_result``: a ``server_tool_use`` named ``bash_code_execution`` ran a command."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra=_widened("bash_code_execution_tool_result", _STRING)
    )

    bash_code_execution_tool_result: BashResultSpec

    @field_validator("bash_code_execution_tool_result", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return _stdout_shorthand(value)


class ViewSpec(_Strict):
    """A file the text editor viewed: its text (``view: "..."`` for a text file from line 1)."""

    content: Template
    file_type: Literal["text", "image", "pdf"] = "text"
    start_line: int | None = Field(default=None, ge=1)  # default 1 for text
    num_lines: int | None = Field(default=None, ge=0)  # default: the lines of content
    total_lines: int | None = Field(default=None, ge=0)  # default: start_line - 1 + num_lines


class CreateSpec(_Strict):
    """A file the text editor created (``create: true``), or overwrote (``is_file_update: true``)."""

    is_file_update: bool = False


class StrReplaceSpec(_Strict):
    """An edit the text editor made: the changed hunk's lines and where they are (each optional)."""

    lines: list[str] | None = None
    old_start: int | None = None
    old_lines: int | None = None
    new_start: int | None = None
    new_lines: int | None = None


def _editor_shorthands(schema: JsonDict) -> None:
    _widened("view", _STRING)(schema)
    _widened("create", _TRUE)(schema)
    _widened("str_replace", _TRUE)(schema)


class TextEditorResultSpec(_Strict):
    """``text_editor_code_execution_tool_result``: one of view, create, str_replace, error_code or content."""

    tool_use_id: str | None = None  # defaults to the server_tool_use block just before it
    view: ViewSpec | None = None
    create: CreateSpec | None = None
    str_replace: StrReplaceSpec | None = None
    error_code: str | None = None  # file_not_found, unavailable, …
    error_message: str | None = None  # with error_code
    content: dict[str, JsonValue] | None = None  # the API's own result object, sent as written

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_editor_shorthands)

    @field_validator("view", mode="before")
    @classmethod
    def _view_text(cls, value: Any) -> Any:
        return {"content": value} if isinstance(value, str) else value

    @field_validator("create", "str_replace", mode="before")
    @classmethod
    def _bare(cls, value: Any) -> Any:
        if value is True:
            return {}
        if value is False:
            raise ValueError("leave the key out rather than false")
        return value

    @field_validator("content")
    @classmethod
    def _templates(cls, value: Any) -> Any:
        return _checked_json(value)

    @model_validator(mode="after")
    def _coherent(self) -> TextEditorResultSpec:
        kinds = ("view", "create", "str_replace", "error_code", "content")
        _one_of(self, kinds, "text_editor_code_execution_tool_result")
        if all(getattr(self, k) is None for k in kinds):
            raise ValueError("text_editor_code_execution_tool_result needs one of " + ", ".join(kinds))
        if self.error_message is not None and self.error_code is None:
            raise ValueError("error_message goes with error_code")
        return self


class TextEditorCodeExecutionToolResultReply(_Strict):
    text_editor_code_execution_tool_result: TextEditorResultSpec


# ---------------------------------------------------------------- tool search


class ToolSearchToolResultSpec(_Strict):
    """``tool_search_tool_result``: the tools a tool search found (``[name, ...]`` alone is the list)."""

    tool_use_id: str | None = None  # defaults to the server_tool_use block just before it
    tool_references: list[str] | None = None  # names of the request's deferred tools
    error_code: str | None = None  # unavailable, too_many_requests, …: an error result instead
    error_message: str | None = None
    content: dict[str, JsonValue] | None = None  # the API's own result object, sent as written

    @model_validator(mode="after")
    def _coherent(self) -> ToolSearchToolResultSpec:
        _one_of(self, ("tool_references", "error_code", "content"), "tool_search_tool_result")
        if self.tool_references is None and self.error_code is None and self.content is None:
            raise ValueError("tool_search_tool_result needs tool_references, error_code or content")
        if self.error_message is not None and self.error_code is None:
            raise ValueError("error_message goes with error_code")
        return self


class ToolSearchToolResultReply(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra=_widened("tool_search_tool_result", {"type": "array", "items": _STRING}),
    )

    tool_search_tool_result: ToolSearchToolResultSpec

    @field_validator("tool_search_tool_result", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        return {"tool_references": value} if isinstance(value, list) else value


# ---------------------------------------------------------------- MCP connector


class MCPToolUseSpec(_Strict):
    """``mcp_tool_use``: a call of a tool of an MCP server the request names (``mcp_servers``)."""

    name: str
    server_name: str
    input: JsonValue = Field(default_factory=dict)  # strings may hold {{ templates }}
    id: str | None = None  # generated (mcptoolu_…, stable for a seed) when not given

    @field_validator("input")
    @classmethod
    def _templates(cls, value: Any) -> Any:
        return _checked_json(value)


class MCPToolUseReply(_Strict):
    mcp_tool_use: MCPToolUseSpec


class MCPToolResultSpec(_Strict):
    """``mcp_tool_result``: what the MCP server answered (``"text"`` alone is ``{content: text}``)."""

    tool_use_id: str | None = None  # defaults to the mcp_tool_use block just before it
    # A string, or a list of texts (sent as text blocks, as the API's list form is).
    content: Template | list[Template] = Field(default_factory=lambda: Template.parse(""))
    is_error: bool = False


class MCPToolResultReply(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_widened("mcp_tool_result", _STRING))

    mcp_tool_result: MCPToolResultSpec

    @field_validator("mcp_tool_result", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return {"content": value} if isinstance(value, str) else value


# ---------------------------------------------------------------- container upload, compaction


class ContainerUploadReply(_Strict):
    """``container_upload``: a file put into the code execution container (``null``: a generated file id)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_widened("container_upload", _NULL))

    container_upload: str | None = None  # the file_id


class CompactionSpec(_Strict):
    """``compaction``: the summary that replaces the conversation before it (``"text"`` alone is the summary)."""

    content: Template | None = None  # null: a compaction that failed (the API's own meaning)
    encrypted_content: str | None = None
    signature: str | None = None


class CompactionReply(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_widened("compaction", _STRING))

    compaction: CompactionSpec

    @field_validator("compaction", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return {"content": value} if isinstance(value, str) else value


SERVER_BLOCK_KEYS: dict[str, type[BaseModel]] = {
    "web_fetch_tool_result": WebFetchToolResultReply,
    "code_execution_tool_result": CodeExecutionToolResultReply,
    "bash_code_execution_tool_result": BashCodeExecutionToolResultReply,
    "text_editor_code_execution_tool_result": TextEditorCodeExecutionToolResultReply,
    "tool_search_tool_result": ToolSearchToolResultReply,
    "mcp_tool_use": MCPToolUseReply,
    "mcp_tool_result": MCPToolResultReply,
    "container_upload": ContainerUploadReply,
    "compaction": CompactionReply,
}

# The result blocks of the code execution tools: a reply holding one ran code in a container.
CONTAINER_BLOCKS = (
    CodeExecutionToolResultReply,
    BashCodeExecutionToolResultReply,
    TextEditorCodeExecutionToolResultReply,
    ContainerUploadReply,
)


# ---------------------------------------------------------------- message fields


class ContainerSpec(_Strict):
    """A rule's ``container``: the message's ``container`` (sent even without a code execution block)."""

    id: str | None = None  # default: the container the request names, else a generated container_…
    expires_at: str | None = None  # ISO 8601; default: now + expires_in_s on mockgw's clock
    expires_in_s: float | None = Field(default=None, gt=0)


class ContextManagementSpec(_Strict):
    """A rule's ``context_management``: the message's ``context_management``, sent as written."""

    applied_edits: list[dict[str, JsonValue]] = Field(default_factory=list)


class ServerToolUseCounts(_Strict):
    """``usage.server_tool_use``: how many server tool requests ran (default: counted from the reply)."""

    web_search_requests: int | None = Field(default=None, ge=0)
    web_fetch_requests: int | None = Field(default=None, ge=0)
