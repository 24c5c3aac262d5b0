"""The request catalogue follows the official SDK's, and what rules read is drawn from every block type.

The SDK's beta param unions (anthropic-python 2.17) are the catalogue of block, tool and thinking types: a
type the SDK can send and we do not know would pass through unchecked, so these tests fail when the SDK
grows one (bump the catalogue in ``faces/anthropic/wire`` then).
"""

from __future__ import annotations

import typing
from typing import Any

import pytest
import typing_extensions
from anthropic.types.beta.beta_content_block_param import BetaContentBlockParam
from anthropic.types.beta.beta_thinking_config_param import BetaThinkingConfigParam
from anthropic.types.beta.beta_tool_union_param import BetaToolUnionParam

from mockgw.core.request import RequestView, texts
from mockgw.faces.anthropic.validation import InvalidRequest, validate_message_request
from mockgw.faces.anthropic.wire.blocks import BLOCK_TYPES
from mockgw.faces.anthropic.wire.requests import THINKING_ON
from mockgw.faces.anthropic.wire.tools import SERVER_TOOLS


def literal_types(union: Any) -> set[str]:
    """The ``type`` values the TypedDicts of an SDK union allow (response models, also in it, are skipped)."""
    found: set[str] = set()
    for member in typing.get_args(union):
        if not typing_extensions.is_typeddict(member):
            continue
        hint = typing.get_type_hints(member)["type"]
        found.update(a for a in typing.get_args(hint) if isinstance(a, str))
        found.update(a for arg in typing.get_args(hint) for a in typing.get_args(arg) if isinstance(a, str))
    return found


def test_every_block_type_the_sdk_sends_is_in_the_catalogue():
    assert literal_types(BetaContentBlockParam) <= BLOCK_TYPES


def test_every_server_tool_type_the_sdk_sends_is_in_the_catalogue():
    assert literal_types(BetaToolUnionParam) - {"custom"} == set(SERVER_TOOLS)


def test_every_thinking_type_the_sdk_sends_is_known():
    assert literal_types(BetaThinkingConfigParam) == {"enabled", "disabled", "adaptive", "between_tools"}
    assert literal_types(BetaThinkingConfigParam) >= THINKING_ON


def view(messages: list[dict[str, Any]], **fields: Any) -> RequestView:
    return RequestView(validate_message_request({"model": "m", "max_tokens": 64, "messages": messages, **fields}))


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"type": "text", "text": "a"}, ["a"]),
        ({"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "a"}}, ["a"]),
        ({"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}}, []),
        (
            {
                "type": "document",
                "title": "T",
                "source": {"type": "content", "content": [{"type": "text", "text": "a"}]},
            },
            ["T", "a"],
        ),
        (
            {"type": "search_result", "source": "s", "title": "T", "content": [{"type": "text", "text": "a"}]},
            ["T", "a"],
        ),
        ({"type": "image", "source": {"type": "url", "url": "https://example.invalid/a.png"}}, []),
        ({"type": "thinking", "thinking": "secret", "signature": ""}, []),
        (
            {"type": "code_execution_result", "stdout": "out", "stderr": "err", "return_code": 1, "content": []},
            ["out", "err"],
        ),
        ({"type": "text_editor_code_execution_str_replace_result", "lines": ["-a", "+b"]}, ["-a", "+b"]),
        ({"type": "web_fetch_tool_result_error", "error_code": "url_not_accessible"}, []),
    ],
)
def test_text_is_read_from_each_kind_of_block(block, expected):
    assert list(texts(block)) == expected


def test_last_user_reads_documents_and_leaves_tool_results_out():
    request = view(
        [
            {"role": "user", "content": "Go"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "read", "input": {}}]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "the result"},
                    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "a note"}},
                    {"type": "text", "text": "What now?"},
                ],
            },
        ]
    )
    assert request.last_user == "a note\nWhat now?"
    assert request.tool_result == "the result"
    assert [r.name for r in request.tool_results] == ["read"]


def test_toolsets_without_a_name_are_offered_by_their_type():
    request = view(
        [{"role": "user", "content": "Hi"}],
        tools=[{"type": "computer_toolset_20260801"}, {"type": "web_search_20250305", "name": "web_search"}],
    )
    assert request.tool_names == {"computer_toolset_20260801", "web_search"}


ANSWER = [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "42"}]}]


def test_a_thread_continuation_may_answer_a_tool_use_the_server_holds():
    # With `thread`, `messages` holds only the new turn; the tool_use it answers is in the held history.
    thread = {"type": "continue", "previous_message_id": "msg_011"}
    assert view(ANSWER, thread=thread).tool_result == "42"
    with pytest.raises(InvalidRequest, match="unexpected `tool_use_id`"):
        view(ANSWER)
