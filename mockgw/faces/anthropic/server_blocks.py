"""The scenario's server tool blocks (``mockgw.scenario.server_blocks``) as the API's content blocks, and the
message fields they bring: the code execution ``container`` and the ``usage.server_tool_use`` counts.

Pure: ids come from the seeded ``Ids``, and times from the ``now`` the caller reads off the gateway's clock.
Called by ``mockgw.faces.anthropic.render`` for each block, in order; ``Prior`` remembers the calls a result
answers by default (the server_tool_use or mcp_tool_use just before it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mockgw.core.answer import Ids
from mockgw.faces.anthropic.wire.messages import Container, ContentBlock, ServerToolUsage, ServerToolUseBlock
from mockgw.faces.anthropic.wire.server_tools import (
    Base64PDFSource,
    BashCodeExecutionOutputBlock,
    BashCodeExecutionResultBlock,
    BashCodeExecutionToolResultBlock,
    BashCodeExecutionToolResultErrorObject,
    CitationsConfig,
    CodeExecutionOutputBlock,
    CodeExecutionResultBlock,
    CodeExecutionToolResultBlock,
    CodeExecutionToolResultErrorObject,
    CompactionBlock,
    ContainerUploadBlock,
    DocumentBlock,
    EncryptedCodeExecutionResultBlock,
    MCPTextBlock,
    MCPToolResultBlock,
    MCPToolUseBlock,
    PlainTextSource,
    TextEditorCodeExecutionCreateResultBlock,
    TextEditorCodeExecutionStrReplaceResultBlock,
    TextEditorCodeExecutionToolResultBlock,
    TextEditorCodeExecutionToolResultErrorObject,
    TextEditorCodeExecutionViewResultBlock,
    ToolReferenceBlock,
    ToolSearchToolResultBlock,
    ToolSearchToolResultErrorObject,
    ToolSearchToolSearchResultBlock,
    WebFetchBlock,
    WebFetchToolResultBlock,
    WebFetchToolResultErrorBlock,
)
from mockgw.scenario.schema import Usage as UsageSpec
from mockgw.scenario.server_blocks import (
    BashCodeExecutionToolResultReply,
    CodeExecutionResultSpec,
    CodeExecutionToolResultReply,
    CompactionReply,
    ContainerSpec,
    ContainerUploadReply,
    MCPToolResultReply,
    MCPToolUseReply,
    TextEditorCodeExecutionToolResultReply,
    TextEditorResultSpec,
    ToolSearchToolResultReply,
    WebFetchToolResultReply,
)
from mockgw.scenario.templates import TemplateContext, render_json

# The message's container.expires_at when the scenario does not say. The API documents that a container lives
# 30 days after creation but that expires_at does not report that limit: it is "a shorter rolling value", and
# an idle container is checkpointed after about 5 minutes. The exact length is not documented; mockgw sends
# 5 minutes from each request that uses the container (so it rolls on as the API's does). See
# docs/scenarios.md, "Message fields".
DEFAULT_CONTAINER_SECONDS = 5 * 60
# The server tools that run code in the container: a reply calling one has the message's container.
CODE_EXECUTION_TOOLS = frozenset({"code_execution", "bash_code_execution", "text_editor_code_execution"})
_CONTAINER_BLOCKS = (
    CodeExecutionToolResultBlock,
    BashCodeExecutionToolResultBlock,
    TextEditorCodeExecutionToolResultBlock,
    ContainerUploadBlock,
)

ServerBlockReply = (
    WebFetchToolResultReply
    | CodeExecutionToolResultReply
    | BashCodeExecutionToolResultReply
    | TextEditorCodeExecutionToolResultReply
    | ToolSearchToolResultReply
    | MCPToolUseReply
    | MCPToolResultReply
    | ContainerUploadReply
    | CompactionReply
)
SERVER_BLOCK_REPLIES = ServerBlockReply.__args__


def iso(seconds: float, micro: bool = False) -> str:
    """``seconds`` (Unix time) as the API writes times: ISO 8601 in UTC with a ``Z``."""
    when = datetime.fromtimestamp(seconds, UTC)
    return when.isoformat(timespec="microseconds" if micro else "seconds").replace("+00:00", "Z")


@dataclass
class Prior:
    """The calls just before the block being made: what a result answers when it names no ``tool_use_id``."""

    server_tool: ServerToolUseBlock | None = None
    mcp_tool: MCPToolUseBlock | None = None

    def saw(self, block: ContentBlock) -> None:
        if isinstance(block, ServerToolUseBlock):
            self.server_tool = block
        elif isinstance(block, MCPToolUseBlock):
            self.mcp_tool = block

    def server_id(self, given: str | None, ids: Ids) -> str:
        if given is not None:
            return given
        return self.server_tool.id if self.server_tool is not None else ids.server_tool_use()


def _web_fetch(
    reply: WebFetchToolResultReply, ctx: TemplateContext, ids: Ids, prior: Prior, now: float
) -> WebFetchToolResultBlock:
    spec = reply.web_fetch_tool_result
    tool_use_id = prior.server_id(spec.tool_use_id, ids)
    content: WebFetchBlock | WebFetchToolResultErrorBlock | dict[str, Any]
    if spec.content is not None:
        content = render_json(spec.content, ctx)
    elif spec.error_code is not None:
        content = WebFetchToolResultErrorBlock(error_code=spec.error_code)
    else:
        called = prior.server_tool.input if prior.server_tool is not None else None
        url = spec.url or (called.get("url") if isinstance(called, dict) else None) or ""
        source = (
            PlainTextSource(data=spec.text.render(ctx))
            if spec.text is not None
            else Base64PDFSource(data=spec.pdf or "")
        )
        citations = CitationsConfig(enabled=spec.citations) if spec.citations is not None else None
        document = DocumentBlock(source=source, title=spec.title, citations=citations)
        content = WebFetchBlock(url=str(url), content=document, retrieved_at=spec.retrieved_at or iso(now))
    return WebFetchToolResultBlock(tool_use_id=tool_use_id, content=content)


def _ran(spec: CodeExecutionResultSpec, ctx: TemplateContext) -> tuple[str, str, int]:
    stdout = spec.stdout.render(ctx) if spec.stdout is not None else ""
    stderr = spec.stderr.render(ctx) if spec.stderr is not None else ""
    return stdout, stderr, spec.return_code or 0


def _code(reply: CodeExecutionToolResultReply, ctx: TemplateContext, tool_use_id: str) -> CodeExecutionToolResultBlock:
    spec = reply.code_execution_tool_result
    content: Any
    if spec.content is not None:
        content = render_json(spec.content, ctx)
    elif spec.error_code is not None:
        content = CodeExecutionToolResultErrorObject(error_code=spec.error_code)
    else:
        stdout, stderr, code = _ran(spec, ctx)
        files = [CodeExecutionOutputBlock(file_id=f) for f in spec.files or ()]
        if spec.encrypted_stdout is not None:
            content = EncryptedCodeExecutionResultBlock(
                encrypted_stdout=spec.encrypted_stdout, stderr=stderr, return_code=code, content=files
            )
        else:
            content = CodeExecutionResultBlock(stdout=stdout, stderr=stderr, return_code=code, content=files)
    return CodeExecutionToolResultBlock(tool_use_id=tool_use_id, content=content)


def _bash(
    reply: BashCodeExecutionToolResultReply, ctx: TemplateContext, tool_use_id: str
) -> BashCodeExecutionToolResultBlock:
    spec = reply.bash_code_execution_tool_result
    content: Any
    if spec.content is not None:
        content = render_json(spec.content, ctx)
    elif spec.error_code is not None:
        content = BashCodeExecutionToolResultErrorObject(error_code=spec.error_code)
    else:
        stdout, stderr, code = _ran(spec, ctx)
        files = [BashCodeExecutionOutputBlock(file_id=f) for f in spec.files or ()]
        content = BashCodeExecutionResultBlock(stdout=stdout, stderr=stderr, return_code=code, content=files)
    return BashCodeExecutionToolResultBlock(tool_use_id=tool_use_id, content=content)


def _editor_content(spec: TextEditorResultSpec, ctx: TemplateContext) -> Any:
    if spec.content is not None:
        return render_json(spec.content, ctx)
    if spec.error_code is not None:
        return TextEditorCodeExecutionToolResultErrorObject(
            error_code=spec.error_code, error_message=spec.error_message
        )
    if spec.create is not None:
        return TextEditorCodeExecutionCreateResultBlock(is_file_update=spec.create.is_file_update)
    if spec.str_replace is not None:
        return TextEditorCodeExecutionStrReplaceResultBlock(**spec.str_replace.model_dump())
    view = spec.view
    assert view is not None  # the schema requires one of the kinds
    text = view.content.render(ctx)
    start, lines, total = view.start_line, view.num_lines, view.total_lines
    if view.file_type == "text":  # line counts of a text file follow from its text unless given
        start = start or 1
        lines = len(text.splitlines()) if lines is None else lines
        total = start - 1 + lines if total is None else total
    return TextEditorCodeExecutionViewResultBlock(
        content=text, file_type=view.file_type, start_line=start, num_lines=lines, total_lines=total
    )


def _tool_search(reply: ToolSearchToolResultReply, ctx: TemplateContext, tool_use_id: str) -> ToolSearchToolResultBlock:
    spec = reply.tool_search_tool_result
    content: Any
    if spec.content is not None:
        content = render_json(spec.content, ctx)
    elif spec.error_code is not None:
        content = ToolSearchToolResultErrorObject(error_code=spec.error_code, error_message=spec.error_message)
    else:
        refs = [ToolReferenceBlock(tool_name=name) for name in spec.tool_references or ()]
        content = ToolSearchToolSearchResultBlock(tool_references=refs)
    return ToolSearchToolResultBlock(tool_use_id=tool_use_id, content=content)


def server_block(reply: ServerBlockReply, ctx: TemplateContext, ids: Ids, prior: Prior, now: float) -> ContentBlock:
    """The content block of one of the scenario's server tool blocks."""
    if isinstance(reply, WebFetchToolResultReply):
        return _web_fetch(reply, ctx, ids, prior, now)
    if isinstance(reply, CodeExecutionToolResultReply):
        return _code(reply, ctx, prior.server_id(reply.code_execution_tool_result.tool_use_id, ids))
    if isinstance(reply, BashCodeExecutionToolResultReply):
        return _bash(reply, ctx, prior.server_id(reply.bash_code_execution_tool_result.tool_use_id, ids))
    if isinstance(reply, TextEditorCodeExecutionToolResultReply):
        spec = reply.text_editor_code_execution_tool_result
        return TextEditorCodeExecutionToolResultBlock(
            tool_use_id=prior.server_id(spec.tool_use_id, ids), content=_editor_content(spec, ctx)
        )
    if isinstance(reply, ToolSearchToolResultReply):
        return _tool_search(reply, ctx, prior.server_id(reply.tool_search_tool_result.tool_use_id, ids))
    if isinstance(reply, MCPToolUseReply):
        call = reply.mcp_tool_use
        return MCPToolUseBlock(
            id=call.id or ids.mcp_tool_use(),
            name=call.name,
            server_name=call.server_name,
            input=render_json(call.input, ctx),
        )
    if isinstance(reply, MCPToolResultReply):
        result = reply.mcp_tool_result
        answered = result.tool_use_id or (prior.mcp_tool.id if prior.mcp_tool is not None else ids.mcp_tool_use())
        content: str | list[MCPTextBlock] = (
            [MCPTextBlock(text=t.render(ctx)) for t in result.content]
            if isinstance(result.content, list)
            else result.content.render(ctx)
        )
        return MCPToolResultBlock(tool_use_id=answered, is_error=result.is_error, content=content)
    if isinstance(reply, ContainerUploadReply):
        return ContainerUploadBlock(file_id=reply.container_upload or ids.file())
    compaction = reply.compaction
    return CompactionBlock(
        content=compaction.content.render(ctx) if compaction.content is not None else None,
        encrypted_content=compaction.encrypted_content,
        signature=compaction.signature,
    )


def container(
    blocks: Sequence[ContentBlock], scripted: ContainerSpec | None, named: str | None, ids: Ids, now: float
) -> Container | None:
    """The message's ``container``: scripted, or when a code execution tool ran (``named``: the request's id)."""
    ran = any(
        isinstance(b, _CONTAINER_BLOCKS) or (isinstance(b, ServerToolUseBlock) and b.name in CODE_EXECUTION_TOOLS)
        for b in blocks
    )
    if scripted is None and not ran:
        return None
    spec = scripted or ContainerSpec()
    expires = spec.expires_at or iso(now + (spec.expires_in_s or DEFAULT_CONTAINER_SECONDS), micro=True)
    return Container(id=spec.id or named or ids.container(), expires_at=expires)


def server_tool_usage(blocks: Sequence[ContentBlock], given: UsageSpec) -> ServerToolUsage | None:
    """``usage.server_tool_use``: the web search and web fetch calls of the reply (each count scriptable);
    left out when both are 0 and none is scripted."""
    scripted = given.server_tool_use
    counted = {
        name: sum(1 for b in blocks if isinstance(b, ServerToolUseBlock) and b.name == name)
        for name in ("web_search", "web_fetch")
    }
    searches = scripted.web_search_requests if scripted and scripted.web_search_requests is not None else None
    fetches = scripted.web_fetch_requests if scripted and scripted.web_fetch_requests is not None else None
    usage = ServerToolUsage(
        web_search_requests=counted["web_search"] if searches is None else searches,
        web_fetch_requests=counted["web_fetch"] if fetches is None else fetches,
    )
    if scripted is None and not (usage.web_search_requests or usage.web_fetch_requests):
        return None
    return usage
