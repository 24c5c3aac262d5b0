"""The server tool reply blocks in the scenario language: their short forms, and a clear problem with file,
line and path for each mistake."""

from __future__ import annotations

import textwrap

import pytest

from mockgw.scenario.loader import ScenarioError, load_scenario_text
from mockgw.scenario.server_blocks import (
    CodeExecutionToolResultReply,
    CompactionReply,
    ContainerUploadReply,
    MCPToolResultReply,
    TextEditorCodeExecutionToolResultReply,
    ToolSearchToolResultReply,
)


def blocks(text: str) -> list[object]:
    scenario = load_scenario_text(textwrap.dedent(text).lstrip("\n"), "s.yaml")
    reply = scenario.rules[0].reply
    assert reply is not None
    return list(reply)


def problems_of(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(textwrap.dedent(text).lstrip("\n"), "s.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_short_forms_mean_their_long_ones() -> None:
    code, editor, search, mcp, upload, compaction = blocks(
        """
        rules:
          - reply:
              - code_execution_tool_result: "42\\n"
              - text_editor_code_execution_tool_result: {view: "a\\nb"}
              - tool_search_tool_result: [get_weather, get_time]
              - mcp_tool_result: "hello"
              - container_upload:
              - compaction: "A summary."
        """
    )
    assert isinstance(code, CodeExecutionToolResultReply)
    assert code.code_execution_tool_result.stdout is not None
    assert code.code_execution_tool_result.stdout.source == "42\n"
    assert isinstance(editor, TextEditorCodeExecutionToolResultReply)
    view = editor.text_editor_code_execution_tool_result.view
    assert view is not None and (view.content.source, view.file_type) == ("a\nb", "text")
    assert isinstance(search, ToolSearchToolResultReply)
    assert search.tool_search_tool_result.tool_references == ["get_weather", "get_time"]
    assert isinstance(mcp, MCPToolResultReply) and not isinstance(mcp.mcp_tool_result.content, list)
    assert mcp.mcp_tool_result.content.source == "hello" and mcp.mcp_tool_result.is_error is False
    assert isinstance(upload, ContainerUploadReply) and upload.container_upload is None
    assert isinstance(compaction, CompactionReply) and compaction.compaction.content is not None
    assert compaction.compaction.content.source == "A summary."


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (
            "web_fetch_tool_result: {title: x}",
            "rules[0].reply[0].web_fetch_tool_result: web_fetch_tool_result needs text, pdf, error_code or content",
        ),
        (
            "web_fetch_tool_result: {text: a, pdf: b}",
            "rules[0].reply[0].web_fetch_tool_result: web_fetch_tool_result takes one of text, pdf, error_code, "
            "content; got text, pdf",
        ),
        (
            "code_execution_tool_result: {stdout: a, error_code: unavailable}",
            "rules[0].reply[0].code_execution_tool_result: a code execution result takes one of stdout, "
            "encrypted_stdout, error_code, content; got stdout, error_code",
        ),
        (
            "code_execution_tool_result: {error_code: unavailable, return_code: 1}",
            "rules[0].reply[0].code_execution_tool_result: a code execution result with error_code takes no "
            "return_code",
        ),
        (
            "code_execution_tool_result: {stdout: '{{ faker.nope }}'}",
            "rules[0].reply[0].code_execution_tool_result.stdout: {{ faker.nope }}: Faker has no provider 'nope'",
        ),
        (
            "bash_code_execution_tool_result: {encrypted_stdout: x}",
            "rules[0].reply[0].bash_code_execution_tool_result: encrypted_stdout is a Python "
            "code_execution_tool_result's; bash has none",
        ),
        (
            "text_editor_code_execution_tool_result: {}",
            "rules[0].reply[0].text_editor_code_execution_tool_result: text_editor_code_execution_tool_result needs "
            "one of view, create, str_replace, error_code, content",
        ),
        (
            "text_editor_code_execution_tool_result: {view: a, create: true}",
            "rules[0].reply[0].text_editor_code_execution_tool_result: text_editor_code_execution_tool_result takes "
            "one of view, create, str_replace, error_code, content; got view, create",
        ),
        (
            "text_editor_code_execution_tool_result: {view: {content: a, file_type: video}}",
            "rules[0].reply[0].text_editor_code_execution_tool_result.view.file_type: Input should be 'text', "
            "'image' or 'pdf' (got 'video')",
        ),
        (
            "tool_search_tool_result: {error_message: x, tool_references: [a]}",
            "rules[0].reply[0].tool_search_tool_result: error_message goes with error_code",
        ),
        ("mcp_tool_use: {name: x}", "rules[0].reply[0].mcp_tool_use: missing key 'server_name'"),
        ("compaction: {summary: x}", "rules[0].reply[0].compaction: unknown key 'summary'"),
        ("container_upload: [a]", "rules[0].reply[0].container_upload: Input should be a valid string"),
    ],
)
def test_a_bad_block_is_one_problem_with_its_line_and_path(block: str, problem: str) -> None:
    assert problems_of(f"rules:\n  - reply:\n      - {block}\n") == [f"s.yaml:3: {problem}"]


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("container: {expires_in_s: 0}", "rules[0].container.expires_in_s: Input should be greater than 0 (got 0)"),
        ("container: {name: x}", "rules[0].container: unknown key 'name'"),
        (
            "context_management: {applied_edits: 3}",
            "rules[0].context_management.applied_edits: Input should be a valid list (got 3)",
        ),
        (
            "usage: {server_tool_use: {web_fetch_requests: -1}}",
            "rules[0].usage.server_tool_use.web_fetch_requests: Input should be greater than or equal to 0 (got -1)",
        ),
    ],
)
def test_a_bad_message_field_is_one_problem_with_its_path(key: str, problem: str) -> None:
    assert problems_of(f"rules:\n  - reply: x\n    {key}\n") == [f"s.yaml:3: {problem}"]
