"""The server tool blocks (web fetch, code execution, bash, text editor, tool search, MCP, container uploads,
compaction) and the message fields they bring, read through the official Python SDK.

Each case of tests/fixtures/server-blocks.yaml is created, then (after a reset, so the seeded ids repeat)
streamed; the SDK's accumulator must fold the stream into the very message it parsed from the JSON answer.
Types the GA SDK knows go through ``client.messages`` and ``client.beta.messages``; the beta-only ones (MCP,
compaction) through ``client.beta.messages``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import pytest
from anthropic import types as ga
from anthropic.types import beta

from mockgw.core.clock import FakeClock
from mockgw.faces.anthropic.server_blocks import iso
from mockgw.testing import MockGateway
from tests.conftest import http_call

GatewayFactory = Callable[..., MockGateway]
SCENARIO = Path(__file__).resolve().parents[1] / "fixtures" / "server-blocks.yaml"
MODEL = "claude-sonnet-4-6"

# case → the SDK class of each content block (GA names; the beta's are Beta + the same name).
GA_CASES: dict[str, list[str]] = {
    "web_fetch": ["TextBlock", "ServerToolUseBlock", "WebFetchToolResultBlock", "TextBlock"],
    "web_fetch_pdf": ["ServerToolUseBlock", "WebFetchToolResultBlock", "TextBlock"],
    "web_fetch_error": ["ServerToolUseBlock", "WebFetchToolResultBlock", "TextBlock"],
    "code_execution": ["TextBlock", "ServerToolUseBlock", "CodeExecutionToolResultBlock", "TextBlock"],
    "code_execution_files": ["ServerToolUseBlock", "CodeExecutionToolResultBlock", "TextBlock"],
    "code_execution_failed": ["ServerToolUseBlock", "CodeExecutionToolResultBlock", "TextBlock"],
    "code_execution_error": ["ServerToolUseBlock", "CodeExecutionToolResultBlock", "TextBlock"],
    "code_execution_encrypted": ["ServerToolUseBlock", "CodeExecutionToolResultBlock"],
    "code_execution_full": ["ServerToolUseBlock", "CodeExecutionToolResultBlock"],
    "bash": ["ServerToolUseBlock", "BashCodeExecutionToolResultBlock", "TextBlock"],
    "bash_error": ["ServerToolUseBlock", "BashCodeExecutionToolResultBlock"],
    "text_editor_view": ["ServerToolUseBlock", "TextEditorCodeExecutionToolResultBlock", "TextBlock"],
    "text_editor_create": ["ServerToolUseBlock", "TextEditorCodeExecutionToolResultBlock"],
    "text_editor_str_replace": ["ServerToolUseBlock", "TextEditorCodeExecutionToolResultBlock"],
    "text_editor_error": ["ServerToolUseBlock", "TextEditorCodeExecutionToolResultBlock"],
    "tool_search": ["ServerToolUseBlock", "ToolSearchToolResultBlock", "ToolUseBlock"],
    "tool_search_error": ["ServerToolUseBlock", "ToolSearchToolResultBlock", "TextBlock"],
    "container_upload": ["ContainerUploadBlock", "ServerToolUseBlock", "CodeExecutionToolResultBlock"],
}
BETA_CASES: dict[str, list[str]] = {
    "mcp": ["BetaMCPToolUseBlock", "BetaMCPToolResultBlock", "BetaTextBlock"],
    "mcp_error": ["BetaMCPToolUseBlock", "BetaMCPToolResultBlock"],
    "compaction": ["BetaCompactionBlock", "BetaTextBlock"],
    "compaction_pause": ["BetaCompactionBlock"],
}


@pytest.fixture
def gw(gateway: GatewayFactory) -> MockGateway:
    return gateway(SCENARIO, clock=FakeClock())


def params(case: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": case}], **extra}


def created_and_streamed(gw: MockGateway, api: Any, case: str, **extra: Any) -> tuple[Any, Any]:
    """The case's message as created, and as streamed after a reset (same seed, so the same ids)."""
    gw.reset()
    created = api.create(**params(case, **extra))
    gw.reset()
    with api.stream(**params(case, **extra)) as events:
        streamed = events.get_final_message()
    return created, streamed


def kind(block: Any) -> str:
    """The SDK class of a block (the stream helper's text blocks are its Parsed* subclasses)."""
    return type(block).__name__.replace("Parsed", "")


def client(gw: MockGateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key="mockgw-test", max_retries=0)


@pytest.mark.parametrize("surface", ["messages", "beta"])
@pytest.mark.parametrize("case", GA_CASES)
def test_a_ga_block_streamed_folds_into_the_created_message(gw: MockGateway, case: str, surface: str) -> None:
    sdk = client(gw)
    api = sdk.messages if surface == "messages" else sdk.beta.messages
    created, streamed = created_and_streamed(gw, api, case)

    assert streamed.model_dump() == created.model_dump()
    prefix = "" if surface == "messages" else "Beta"
    assert [type(b).__name__ for b in created.content] == [prefix + name for name in GA_CASES[case]]
    assert [kind(b) for b in streamed.content] == [prefix + name for name in GA_CASES[case]]


@pytest.mark.parametrize("case", BETA_CASES)
def test_a_beta_block_streamed_folds_into_the_created_message(gw: MockGateway, case: str) -> None:
    created, streamed = created_and_streamed(gw, client(gw).beta.messages, case)

    assert streamed.model_dump() == created.model_dump()
    assert [type(b).__name__ for b in created.content] == BETA_CASES[case]
    assert [kind(b) for b in streamed.content] == BETA_CASES[case]


def test_a_code_execution_turn_has_the_container_and_answers_its_call(gw: MockGateway) -> None:
    message = client(gw).messages.create(**params("code_execution"))

    call, result = message.content[1], message.content[2]
    assert isinstance(call, ga.ServerToolUseBlock) and call.name == "code_execution"
    assert isinstance(result, ga.CodeExecutionToolResultBlock) and result.tool_use_id == call.id
    assert isinstance(result.content, ga.CodeExecutionResultBlock)
    assert (result.content.stdout, result.content.stderr, result.content.return_code) == ("42\n", "", 0)
    assert result.content.content == []
    assert message.stop_reason == "end_turn"  # the code ran on the server: nothing for the client to run
    assert message.container is not None and message.container.id.startswith("container_011C")
    # A short rolling value, 5 minutes after now on the gateway's clock (a FakeClock: still now, as nothing
    # slept), not the container's 30-day life, which the API documents expires_at does not report.
    assert message.container.expires_at.timestamp() == pytest.approx(gw.gateway.wall_now() + 5 * 60)


def test_the_container_follows_the_clock_and_the_request_names_it_again(gateway: GatewayFactory) -> None:
    clock = FakeClock()
    gw = gateway(SCENARIO, clock=clock)
    sdk = client(gw)
    first = sdk.messages.create(**params("code_execution"))
    assert first.container is not None
    clock.advance(3600)
    again = sdk.messages.create(**params("bash", container=first.container.id))

    assert again.container is not None and again.container.id == first.container.id
    assert (again.container.expires_at - first.container.expires_at).total_seconds() == 3600


def test_a_reply_without_code_execution_has_no_container(gw: MockGateway) -> None:
    message = client(gw).messages.create(**params("web_fetch"))
    assert message.container is None


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("web_fetch", {"web_search_requests": 0, "web_fetch_requests": 1}),
        ("code_execution", None),  # no search, no fetch: left out, as for any reply without them
    ],
)
def test_usage_counts_the_web_fetch_and_search_calls(gw: MockGateway, case: str, expected: Any) -> None:
    created, streamed = created_and_streamed(gw, client(gw).messages, case)
    for message in (created, streamed):
        got = message.usage.server_tool_use
        assert (got.model_dump() if got is not None else None) == expected


def test_a_web_fetch_result_is_a_document_of_the_called_url(gw: MockGateway) -> None:
    message = client(gw).messages.create(**params("web_fetch"))

    result = message.content[2]
    assert isinstance(result, ga.WebFetchToolResultBlock) and isinstance(result.content, ga.WebFetchBlock)
    assert result.content.url == "https://example.com/article"  # from the call's input
    assert result.content.retrieved_at == iso(gw.gateway.wall_now())  # now on the gateway's clock
    document = result.content.content
    assert (document.title, document.source.type, document.source.data) == (
        "An article",
        "text",
        "The article says 42.",
    )


@pytest.mark.parametrize(
    ("case", "kind", "fields"),
    [
        ("web_fetch_error", "web_fetch_tool_result_error", {"error_code": "url_not_accessible"}),
        ("code_execution_error", "code_execution_tool_result_error", {"error_code": "execution_time_exceeded"}),
        ("bash_error", "bash_code_execution_tool_result_error", {"error_code": "output_file_too_large"}),
        (
            "text_editor_error",
            "text_editor_code_execution_tool_result_error",
            {"error_code": "file_not_found", "error_message": "/nope does not exist"},
        ),
        (
            "tool_search_error",
            "tool_search_tool_result_error",
            {"error_code": "unavailable", "error_message": "try again"},
        ),
        (
            "text_editor_view",
            "text_editor_code_execution_view_result",
            {
                "content": "port: 5432\nhost: db\n",
                "file_type": "text",
                "start_line": 1,
                "num_lines": 2,
                "total_lines": 2,
            },
        ),
        ("text_editor_create", "text_editor_code_execution_create_result", {"is_file_update": False}),
        (
            "code_execution_files",
            "code_execution_result",
            {
                "return_code": 0,
                "content": [{"type": "code_execution_output", "file_id": "file_011CchartPng0000000000"}],
            },
        ),
        ("code_execution_failed", "code_execution_result", {"stdout": "", "return_code": 1}),
        ("code_execution_encrypted", "encrypted_code_execution_result", {"encrypted_stdout": "EqQBopaque"}),
        ("bash", "bash_code_execution_result", {"stdout": "", "return_code": 2, "content": []}),
        (
            "tool_search",
            "tool_search_tool_search_result",
            {"tool_references": [{"type": "tool_reference", "tool_name": "get_weather"}]},
        ),
    ],
)
def test_each_result_variant_has_the_api_shape(gw: MockGateway, case: str, kind: str, fields: dict[str, Any]) -> None:
    body = http_call(gw.url + "/v1/messages", json_body=params(case)).json()  # the wire's JSON, before any SDK
    result = next(b for b in body["content"] if b["type"].endswith("_result"))
    assert result["tool_use_id"] == next(b for b in body["content"] if b["type"] == "server_tool_use")["id"]
    assert result["content"]["type"] == kind
    assert {k: result["content"][k] for k in fields} == fields


def test_a_tool_search_then_a_call_of_the_tool_found_stops_for_the_client(gw: MockGateway) -> None:
    message = client(gw).messages.create(**params("tool_search"))
    assert message.stop_reason == "tool_use"


def test_mcp_blocks_name_their_server_and_the_result_answers_the_call(gw: MockGateway) -> None:
    message = client(gw).beta.messages.create(**params("mcp"))

    call, result = message.content[0], message.content[1]
    assert isinstance(call, beta.BetaMCPToolUseBlock) and isinstance(result, beta.BetaMCPToolResultBlock)
    assert (call.name, call.server_name, call.input) == ("echo", "tools", {"text": "hello"})
    assert call.id.startswith("mcptoolu_01")
    assert (result.tool_use_id, result.is_error, result.content) == (call.id, False, "hello")
    assert message.stop_reason == "end_turn"  # the MCP server ran it: nothing for the client to run


def test_an_mcp_error_result_carries_its_texts_as_blocks(gw: MockGateway) -> None:
    message = client(gw).beta.messages.create(**params("mcp_error"))
    result = message.content[1]
    assert isinstance(result, beta.BetaMCPToolResultBlock) and result.is_error
    assert isinstance(result.content, list)
    assert [b.text for b in result.content] == ["permission denied", "for table users"]


@pytest.mark.parametrize(
    ("case", "stop_reason", "content", "encrypted"),
    [
        ("compaction", "end_turn", "The user asked about ports; the answer was 5432.", None),
        ("compaction_pause", "compaction", "A summary.", "EqQBsealed"),  # a reply that ends compacting pauses
    ],
)
def test_compaction_blocks_and_their_stop_reason(
    gw: MockGateway, case: str, stop_reason: str, content: str, encrypted: str | None
) -> None:
    created, streamed = created_and_streamed(gw, client(gw).beta.messages, case)
    for message in (created, streamed):
        block = message.content[0]
        assert isinstance(block, beta.BetaCompactionBlock)
        assert (block.content, block.encrypted_content) == (content, encrypted)
        assert message.stop_reason == stop_reason


# ---------------------------------------------------------------- message fields a rule scripts, or the request asks

FIELDS = {
    "seed": 3,
    "rules": [
        {
            "match": {"last_user": "scripted"},
            "reply": "Scripted fields.",
            "container": {"id": "container_011CFixed", "expires_at": "2027-01-01T00:00:00Z"},
            "context_management": {
                "applied_edits": [
                    {"type": "clear_tool_uses_20250919", "cleared_tool_uses": 8, "cleared_input_tokens": 50000}
                ]
            },
            "usage": {"server_tool_use": {"web_search_requests": 3}},
        },
        {"reply": "Answered."},
    ],
}
CLEAR_TOOL_USES = {"edits": [{"type": "clear_tool_uses_20250919", "trigger": {"type": "tool_uses", "value": 2}}]}


def tool_rounds(n: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather?"}]
    for i in range(n):
        call = {"type": "tool_use", "id": f"toolu_{i}", "name": "get_weather", "input": {"city": "Paris"}}
        messages.append({"role": "assistant", "content": [call]})
        messages.append(
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"toolu_{i}", "content": "sunny"}]}
        )
    return messages


def test_a_rule_scripts_the_message_fields_and_both_ways_fold_them(gateway: GatewayFactory) -> None:
    gw = gateway(FIELDS, clock=FakeClock())
    created, streamed = created_and_streamed(gw, client(gw).beta.messages, "scripted")

    assert streamed.model_dump() == created.model_dump()
    assert created.container is not None and created.container.id == "container_011CFixed"
    assert created.container.expires_at.isoformat() == "2027-01-01T00:00:00+00:00"
    assert created.context_management is not None
    [edit] = created.context_management.applied_edits
    assert (edit.type, edit.cleared_tool_uses, edit.cleared_input_tokens) == ("clear_tool_uses_20250919", 8, 50000)
    # One count scripted, the other counted from the reply (no fetch): both sent.
    assert created.usage.server_tool_use is not None
    assert created.usage.server_tool_use.model_dump() == {"web_search_requests": 3, "web_fetch_requests": 0}


def test_the_requests_context_edits_are_reported_as_applied(gateway: GatewayFactory) -> None:
    gw = gateway(FIELDS, clock=FakeClock())
    api = client(gw).beta.messages
    extra = {"messages": tool_rounds(5), "context_management": CLEAR_TOOL_USES}
    created = api.create(model=MODEL, max_tokens=256, **extra)
    with api.stream(model=MODEL, max_tokens=256, **extra) as events:
        streamed = events.get_final_message()

    for message in (created, streamed):
        assert message.context_management is not None
        [edit] = message.context_management.applied_edits
        assert edit.type == "clear_tool_uses_20250919"
        assert (edit.cleared_tool_uses, edit.cleared_input_tokens) == (2, 3)  # two results of "sunny": 10 chars


def test_a_request_asking_for_edits_that_clear_nothing_gets_an_empty_list(gateway: GatewayFactory) -> None:
    gw = gateway(FIELDS)
    message = client(gw).beta.messages.create(
        **params("hello", context_management={"edits": [{"type": "clear_thinking_20251015"}]})
    )
    assert message.context_management is not None and message.context_management.applied_edits == []


def test_a_request_without_edits_gets_no_context_management(gateway: GatewayFactory) -> None:
    body = http_call(gateway(FIELDS).url + "/v1/messages", json_body=params("hello")).json()
    assert "context_management" not in body and "container" not in body


@pytest.mark.parametrize("case", ["code_execution", "web_fetch", "mcp", "tool_search_error"])
def test_tool_choice_none_leaves_the_server_tool_calls_and_results_out(gw: MockGateway, case: str) -> None:
    weather = {"name": "get_weather", "input_schema": {"type": "object"}}
    message = client(gw).beta.messages.create(**params(case, tools=[weather], tool_choice={"type": "none"}))

    assert {b.type for b in message.content} == {"text"}
    assert message.container is None and message.usage.server_tool_use is None
    assert any("tool_choice is none" in note for note in gw.journal.last.notes)
