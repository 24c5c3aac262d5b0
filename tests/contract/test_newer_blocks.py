"""Histories holding the newer block, tool and thinking types are accepted, and their text reaches rules.

Each case is a conversation as a current client sends it back (the SDKs' beta types, anthropic-python 2.17),
with a marker word placed inside one of the newer blocks. The scenario's rules look for the word in the
turn's tool results (``tool_result:``, also what ``{{ request.tool_result }}`` shows) or in the last user
turn's text (``last_user:``); the case names the rule it must reach.
"""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from tests.conftest import http_call

MODEL = "claude-sonnet-4-6"
WORD = "heliotrope"
SCENARIO = {
    "rules": [
        {
            "name": "tool-result",
            "match": {"tool_result": {"contains": WORD}},
            "reply": "Seen: {{ request.tool_result }}",
        },
        {"name": "last-user", "match": {"last_user": {"contains": WORD}}, "reply": "Heard: {{ request.last_user }}"},
        {"name": "computer", "match": {"tools": {"includes": "computer_toolset_20260801"}}, "reply": "Toolset."},
        {"name": "fallback", "reply": "Nothing matched."},
    ]
}


def user(*blocks: Any) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def assistant(*blocks: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": list(blocks)}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def server_call(id_: str, name: str) -> dict[str, Any]:
    return {"type": "server_tool_use", "id": id_, "name": name, "input": {}}


def plain_document(body: str) -> dict[str, Any]:
    return {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": body}}


def continued(call: dict[str, Any], result: dict[str, Any]) -> list[dict[str, Any]]:
    """A turn the client sends back to continue (pause_turn): a server tool's call and its result."""
    return [user(text("Find out.")), assistant(call, result)]


ASK = user(text("Tell me."))
CASES: list[tuple[str, list[dict[str, Any]], str]] = [
    (
        "web_fetch_tool_result",
        continued(
            server_call("srvtoolu_1", "web_fetch"),
            {
                "type": "web_fetch_tool_result",
                "tool_use_id": "srvtoolu_1",
                "content": {
                    "type": "web_fetch_result",
                    "url": "https://example.invalid/",
                    "content": plain_document(f"The page says {WORD}."),
                },
            },
        ),
        "tool-result",
    ),
    (
        "web_search_tool_result",
        continued(
            server_call("srvtoolu_1", "web_search"),
            {
                "type": "web_search_tool_result",
                "tool_use_id": "srvtoolu_1",
                "content": [
                    {
                        "type": "web_search_result",
                        "title": f"All about {WORD}",
                        "url": "https://example.invalid/",
                        "encrypted_content": "opaque",
                    }
                ],
            },
        ),
        "tool-result",
    ),
    (
        "code_execution_tool_result",
        continued(
            server_call("srvtoolu_1", "code_execution"),
            {
                "type": "code_execution_tool_result",
                "tool_use_id": "srvtoolu_1",
                "content": {
                    "type": "code_execution_result",
                    "stdout": f"{WORD}\n",
                    "stderr": "",
                    "return_code": 0,
                    "content": [],
                },
            },
        ),
        "tool-result",
    ),
    (
        "bash_code_execution_tool_result",
        continued(
            server_call("srvtoolu_1", "bash_code_execution"),
            {
                "type": "bash_code_execution_tool_result",
                "tool_use_id": "srvtoolu_1",
                "content": {
                    "type": "bash_code_execution_result",
                    "stdout": f"{WORD}\n",
                    "stderr": "",
                    "return_code": 0,
                    "content": [],
                },
            },
        ),
        "tool-result",
    ),
    (
        "text_editor_code_execution_tool_result",
        continued(
            server_call("srvtoolu_1", "text_editor_code_execution"),
            {
                "type": "text_editor_code_execution_tool_result",
                "tool_use_id": "srvtoolu_1",
                "content": {
                    "type": "text_editor_code_execution_view_result",
                    "content": f"colour = '{WORD}'\n",
                    "file_type": "text",
                },
            },
        ),
        "tool-result",
    ),
    (
        "tool_search_tool_result",
        continued(
            server_call("srvtoolu_1", "tool_search_tool_regex"),
            {
                "type": "tool_search_tool_result",
                "tool_use_id": "srvtoolu_1",
                "content": {
                    "type": "tool_search_tool_search_result",
                    "tool_references": [{"type": "tool_reference", "tool_name": f"{WORD}_lookup"}],
                },
            },
        ),
        "tool-result",
    ),
    (
        "advisor_tool_result",
        continued(
            server_call("srvtoolu_1", "advisor"),
            {
                "type": "advisor_tool_result",
                "tool_use_id": "srvtoolu_1",
                "content": {"type": "advisor_result", "text": f"Try {WORD}."},
            },
        ),
        "tool-result",
    ),
    (
        "mcp_tool_use-and-mcp_tool_result",
        continued(
            {"type": "mcp_tool_use", "id": "mcptoolu_1", "name": "lookup", "server_name": "docs", "input": {}},
            {"type": "mcp_tool_result", "tool_use_id": "mcptoolu_1", "content": [text(f"The docs say {WORD}.")]},
        ),
        "tool-result",
    ),
    (
        "tool_result-holding-a-plain-text-document",
        [
            user(text("Read it.")),
            assistant({"type": "tool_use", "id": "toolu_1", "name": "read", "input": {}}),
            user({"type": "tool_result", "tool_use_id": "toolu_1", "content": [plain_document(f"It is {WORD}.")]}),
        ],
        "tool-result",
    ),
    (
        "tool_result-holding-a-content-document",
        [
            user(text("Read it.")),
            assistant({"type": "tool_use", "id": "toolu_1", "name": "read", "input": {}}),
            user(
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": [{"type": "document", "source": {"type": "content", "content": [text(WORD)]}}],
                }
            ),
        ],
        "tool-result",
    ),
    (
        "tool_result-holding-a-search-result",
        [
            user(text("Search.")),
            assistant({"type": "tool_use", "id": "toolu_1", "name": "search", "input": {}}),
            user(
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": [
                        {
                            "type": "search_result",
                            "source": "https://example.invalid/kb",
                            "title": "Knowledge base",
                            "content": [text(f"The answer is {WORD}.")],
                        }
                    ],
                }
            ),
        ],
        "tool-result",
    ),
    ("user-document", [user(plain_document(f"A note on {WORD}."), text("Summarise."))], "last-user"),
    (
        "user-search-result",
        [
            user(
                {"type": "search_result", "source": "kb", "title": "Notes", "content": [text(WORD)]},
                text("Use it."),
            )
        ],
        "last-user",
    ),
    (
        "compaction",
        [
            assistant({"type": "compaction", "content": "Earlier: the user asked about colours."}),
            user(text(f"And {WORD}?")),
        ],
        "last-user",
    ),
    (
        "container_upload",
        [user({"type": "container_upload", "file_id": "file_011"}, text(f"Plot {WORD}."))],
        "last-user",
    ),
    (
        "tool_addition-and-tool_removal",
        [
            {"role": "system", "content": [{"type": "tool_addition", "tool": {"type": "tool_reference", "name": "a"}}]},
            user({"type": "tool_removal", "tool": {"type": "tool_reference", "name": "b"}}, text(WORD)),
        ],
        "last-user",
    ),
    (
        "mcp_tool_listing-and-fallback",
        [
            user(text("Hi")),
            assistant(
                {"type": "mcp_tool_listing", "mcp_server_name": "docs", "tools": []},
                {"type": "fallback", "from": {"model": "claude-opus-5"}, "to": {"model": MODEL}},
                text("Hello."),
            ),
            user(text(WORD)),
        ],
        "last-user",
    ),
    ("a-block-type-from-the-future", [user({"type": "hologram", "text": f"A {WORD} glow."})], "last-user"),
]


def body(messages: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 512, "messages": messages, **fields}


@pytest.fixture
def gw(gateway):
    return gateway(SCENARIO)


@pytest.fixture
def client(gw):
    with anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0) as c:
        yield c


@pytest.mark.parametrize(("messages", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_history_with_a_newer_block_reaches_its_rule_on_the_wire(gw, messages, rule):
    response = http_call(f"{gw.url}/v1/messages", json_body=body(messages))
    assert response.status == 200, response.body[:300]
    assert gw.journal.last.rule == rule
    assert WORD in response.json()["content"][0]["text"]


@pytest.mark.parametrize(("messages", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_history_with_a_newer_block_through_the_sdks_beta_client(gw, client, messages, rule):
    message = client.beta.messages.create(**body(messages))
    assert gw.journal.last.rule == rule
    assert WORD in message.content[0].text


def test_tool_result_names_the_server_tool_it_answers(gateway):
    gw = gateway({"rules": [{"match": {"tool_result": {"name": "web_fetch"}}, "reply": "Fetched."}]})
    (call, result) = CASES[0][1][1]["content"]
    response = http_call(f"{gw.url}/v1/messages", json_body=body([user(text("Go")), assistant(call, result)]))
    assert response.json()["content"][0]["text"] == "Fetched."


NEWER_TOOLS = [
    {"type": "computer_toolset_20260801"},
    {"type": "browser_toolset_20260801", "configs": {"screenshot": {"enabled": False}}},
    {"type": "mcp_toolset", "mcp_server_name": "docs"},
    {"type": "web_fetch_20260318", "name": "web_fetch"},
    {"type": "code_execution_20260521", "name": "code_execution"},
    {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"},
    {"type": "memory_20250818", "name": "memory"},
    {"type": "a_tool_type_from_the_future", "whatever": True},
]


@pytest.mark.parametrize("thinking", [{"type": "between_tools"}, {"type": "adaptive", "display": "omitted"}])
def test_nameless_toolsets_and_newer_thinking_are_accepted(gw, client, thinking):
    fields = {"tools": NEWER_TOOLS, "thinking": thinking}
    response = http_call(f"{gw.url}/v1/messages", json_body=body([user(text("Click it."))], **fields))
    assert response.status == 200, response.body[:300]
    assert gw.journal.last.rule == "computer"  # a toolset without a name is offered by its type
    message = client.beta.messages.create(**body([user(text("Click it."))], **fields))
    assert message.content[0].text == "Toolset."
