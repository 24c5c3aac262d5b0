"""Content blocks of the tools that run on Anthropic's side, named like the SDK's ``anthropic.types`` (and
``types.beta`` for the MCP connector's and compaction's, which only the beta has).

A result block's ``content`` is one of the typed results below, or (a scenario that wrote the API's own
shape) that JSON object as written.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


def _absent(value: Any) -> bool:
    return value is None


# ---------------------------------------------------------------- web fetch


class PlainTextSource(BaseModel):
    type: Literal["text"] = "text"
    media_type: Literal["text/plain"] = "text/plain"
    data: str


class Base64PDFSource(BaseModel):
    type: Literal["base64"] = "base64"
    media_type: Literal["application/pdf"] = "application/pdf"
    data: str


class CitationsConfig(BaseModel):
    enabled: bool


class DocumentBlock(BaseModel):
    type: Literal["document"] = "document"
    source: PlainTextSource | Base64PDFSource
    title: str | None = Field(default=None, exclude_if=_absent)
    citations: CitationsConfig | None = Field(default=None, exclude_if=_absent)


class WebFetchBlock(BaseModel):
    type: Literal["web_fetch_result"] = "web_fetch_result"
    url: str
    content: DocumentBlock
    retrieved_at: str | None = None


class WebFetchToolResultErrorBlock(BaseModel):
    type: Literal["web_fetch_tool_result_error"] = "web_fetch_tool_result_error"
    error_code: str


class WebFetchToolResultBlock(BaseModel):
    type: Literal["web_fetch_tool_result"] = "web_fetch_tool_result"
    tool_use_id: str
    content: WebFetchBlock | WebFetchToolResultErrorBlock | dict[str, Any]


# ---------------------------------------------------------------- code execution


class CodeExecutionOutputBlock(BaseModel):
    type: Literal["code_execution_output"] = "code_execution_output"
    file_id: str


class CodeExecutionResultBlock(BaseModel):
    type: Literal["code_execution_result"] = "code_execution_result"
    stdout: str
    stderr: str
    return_code: int
    content: list[CodeExecutionOutputBlock]


class EncryptedCodeExecutionResultBlock(BaseModel):
    type: Literal["encrypted_code_execution_result"] = "encrypted_code_execution_result"
    encrypted_stdout: str
    stderr: str
    return_code: int
    content: list[CodeExecutionOutputBlock]


class CodeExecutionToolResultErrorObject(BaseModel):
    type: Literal["code_execution_tool_result_error"] = "code_execution_tool_result_error"
    error_code: str


class CodeExecutionToolResultBlock(BaseModel):
    type: Literal["code_execution_tool_result"] = "code_execution_tool_result"
    tool_use_id: str
    content: (
        CodeExecutionResultBlock
        | EncryptedCodeExecutionResultBlock
        | CodeExecutionToolResultErrorObject
        | dict[str, Any]
    )


class BashCodeExecutionOutputBlock(BaseModel):
    type: Literal["bash_code_execution_output"] = "bash_code_execution_output"
    file_id: str


class BashCodeExecutionResultBlock(BaseModel):
    type: Literal["bash_code_execution_result"] = "bash_code_execution_result"
    stdout: str
    stderr: str
    return_code: int
    content: list[BashCodeExecutionOutputBlock]


class BashCodeExecutionToolResultErrorObject(BaseModel):
    type: Literal["bash_code_execution_tool_result_error"] = "bash_code_execution_tool_result_error"
    error_code: str


class BashCodeExecutionToolResultBlock(BaseModel):
    type: Literal["bash_code_execution_tool_result"] = "bash_code_execution_tool_result"
    tool_use_id: str
    content: BashCodeExecutionResultBlock | BashCodeExecutionToolResultErrorObject | dict[str, Any]


class TextEditorCodeExecutionViewResultBlock(BaseModel):
    type: Literal["text_editor_code_execution_view_result"] = "text_editor_code_execution_view_result"
    content: str
    file_type: Literal["text", "image", "pdf"]
    start_line: int | None = None
    num_lines: int | None = None
    total_lines: int | None = None


class TextEditorCodeExecutionCreateResultBlock(BaseModel):
    type: Literal["text_editor_code_execution_create_result"] = "text_editor_code_execution_create_result"
    is_file_update: bool


class TextEditorCodeExecutionStrReplaceResultBlock(BaseModel):
    type: Literal["text_editor_code_execution_str_replace_result"] = "text_editor_code_execution_str_replace_result"
    lines: list[str] | None = None
    old_start: int | None = None
    old_lines: int | None = None
    new_start: int | None = None
    new_lines: int | None = None


class TextEditorCodeExecutionToolResultErrorObject(BaseModel):
    type: Literal["text_editor_code_execution_tool_result_error"] = "text_editor_code_execution_tool_result_error"
    error_code: str
    error_message: str | None = None


class TextEditorCodeExecutionToolResultBlock(BaseModel):
    type: Literal["text_editor_code_execution_tool_result"] = "text_editor_code_execution_tool_result"
    tool_use_id: str
    content: (
        TextEditorCodeExecutionViewResultBlock
        | TextEditorCodeExecutionCreateResultBlock
        | TextEditorCodeExecutionStrReplaceResultBlock
        | TextEditorCodeExecutionToolResultErrorObject
        | dict[str, Any]
    )


# ---------------------------------------------------------------- tool search


class ToolReferenceBlock(BaseModel):
    type: Literal["tool_reference"] = "tool_reference"
    tool_name: str


class ToolSearchToolSearchResultBlock(BaseModel):
    type: Literal["tool_search_tool_search_result"] = "tool_search_tool_search_result"
    tool_references: list[ToolReferenceBlock]


class ToolSearchToolResultErrorObject(BaseModel):
    type: Literal["tool_search_tool_result_error"] = "tool_search_tool_result_error"
    error_code: str
    error_message: str | None = None


class ToolSearchToolResultBlock(BaseModel):
    type: Literal["tool_search_tool_result"] = "tool_search_tool_result"
    tool_use_id: str
    content: ToolSearchToolSearchResultBlock | ToolSearchToolResultErrorObject | dict[str, Any]


# ---------------------------------------------------------------- MCP connector (beta)


class MCPToolUseBlock(BaseModel):
    type: Literal["mcp_tool_use"] = "mcp_tool_use"
    id: str
    name: str
    server_name: str
    input: Any


class MCPTextBlock(BaseModel):
    type: Literal["text"] = "text"
    text: str


class MCPToolResultBlock(BaseModel):
    type: Literal["mcp_tool_result"] = "mcp_tool_result"
    tool_use_id: str
    is_error: bool
    content: str | list[MCPTextBlock]


# ---------------------------------------------------------------- container upload, compaction (beta)


class ContainerUploadBlock(BaseModel):
    type: Literal["container_upload"] = "container_upload"
    file_id: str


class CompactionBlock(BaseModel):
    type: Literal["compaction"] = "compaction"
    content: str | None
    # Opaque, round-tripped verbatim; left out when the scenario gives none.
    encrypted_content: str | None = Field(default=None, exclude_if=_absent)
    signature: str | None = Field(default=None, exclude_if=_absent)


# The result blocks that arrive whole in their content_block_start event (no deltas), like web search's.
WHOLE_BLOCKS = (
    WebFetchToolResultBlock,
    CodeExecutionToolResultBlock,
    BashCodeExecutionToolResultBlock,
    TextEditorCodeExecutionToolResultBlock,
    ToolSearchToolResultBlock,
    MCPToolResultBlock,
    ContainerUploadBlock,
)
