"""Rendering a reply into a Message: blocks, ids, stop_reason, usage, and the request's limits."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from mockgw.core.engine import Engine
from mockgw.core.request import RequestView
from mockgw.faces.anthropic.render import Ids, Limits, Reply, message_json, render_message, tokens
from mockgw.faces.anthropic.validation import validate_message_request
from mockgw.faces.anthropic.wire.messages import (
    STOP_REASONS,
    Message,
    RedactedThinkingBlock,
    ServerToolUseBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    WebSearchToolResultBlock,
)
from mockgw.scenario.loader import ScenarioError, load_scenario_data

TOOL_ID = re.compile(r"^toolu_01[A-Za-z0-9]{22}$")
SERVER_TOOL_ID = re.compile(r"^srvtoolu_01[A-Za-z0-9]{22}$")
MESSAGE_ID = re.compile(r"^msg_01[A-Za-z0-9]{22}$")


def view(**extra: Any) -> RequestView:
    body = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": [{"role": "user", "content": "hi"}], **extra}
    return RequestView(validate_message_request(body))


def render(rule: dict[str, Any], seed: int = 1, request: RequestView | None = None) -> Message:
    """Render the first rule of a one-rule scenario, as the server would for ``request``."""
    scenario = load_scenario_data({"rules": [rule]})
    spec = scenario.rules[0]
    assert spec.reply is not None
    request = request or view()
    params = request.params
    return render_message(
        Reply(spec.reply, spec.stop_reason, spec.usage),
        model=params.model,
        input_chars=request.input_chars,
        limits=Limits(params.max_tokens, tuple(params.stop_sequences or ())),
        ctx=Engine(scenario, seed=seed).context(request),
        ids=Ids(random.Random(seed)),
    )


def limited(reply: Any, max_tokens: int = 1024, stop_sequences: list[str] | None = None) -> Message:
    return render({"reply": reply}, request=view(max_tokens=max_tokens, stop_sequences=stop_sequences or []))


# ---------------------------------------------------------------- blocks


def test_a_bare_string_is_one_text_block() -> None:
    message = render({"reply": "Hello!"})
    assert message.content == [TextBlock(text="Hello!")]
    assert MESSAGE_ID.match(message.id)
    assert (message.model, message.role, message.type) == ("claude-sonnet-4-5", "assistant", "message")


def test_blocks_come_in_the_order_given() -> None:
    message = render(
        {"reply": [{"thinking": "hmm"}, {"text": "a"}, {"redacted_thinking": None}, {"tool_use": {"name": "t"}}]}
    )
    assert [b.type for b in message.content] == ["thinking", "text", "redacted_thinking", "tool_use"]


def test_thinking_signature_is_generated_and_stable_for_a_seed() -> None:
    rule = {"reply": [{"thinking": "Let me think."}, {"text": "Done."}]}
    block = render(rule, seed=3).content[0]
    assert isinstance(block, ThinkingBlock)
    assert block.thinking == "Let me think."
    assert block.signature.startswith("EqQB") and len(block.signature) > 100
    assert render(rule, seed=3).content[0] == block
    assert render(rule, seed=4).content[0] != block


def test_thinking_signature_given_is_kept() -> None:
    block = render({"reply": [{"thinking": "t", "signature": "sig-123"}]}).content[0]
    assert block == ThinkingBlock(thinking="t", signature="sig-123")


def test_redacted_thinking_data_is_generated_unless_given() -> None:
    generated, given = render({"reply": [{"redacted_thinking": None}, {"redacted_thinking": "opaque=="}]}).content
    assert isinstance(generated, RedactedThinkingBlock) and len(generated.data) > 100
    assert given == RedactedThinkingBlock(data="opaque==")


def test_tool_use_id_is_generated_unless_given() -> None:
    generated, given = render(
        {"reply": [{"tool_use": {"name": "a"}}, {"tool_use": {"name": "b", "id": "toolu_mine"}}]}
    ).content
    assert isinstance(generated, ToolUseBlock) and TOOL_ID.match(generated.id)
    assert isinstance(given, ToolUseBlock) and given.id == "toolu_mine"
    assert generated.input == {}  # no input: an empty object


@pytest.mark.parametrize(
    "tool_input",
    [
        {},
        {"city": "Paris"},
        {"nested": {"list": [1, 2.5, None, True, {"deep": ["x"]}]}, "empty": {}, "none": None},
        {"unicode": 'Grüße, 東京 🌧️ \u2028 "quoted" \\ back', "emoji key 🔑": "v"},
        {"number": -1.5e-7, "big": 12345678901234567890},
    ],
    ids=["empty", "flat", "nested", "unicode", "numbers"],
)
def test_tool_use_input_is_any_json(tool_input: dict[str, Any]) -> None:
    message = render({"reply": [{"tool_use": {"name": "t", "input": tool_input}}]})
    block = Message.model_validate_json(message_json(message)).content[0]  # through the JSON body
    assert isinstance(block, ToolUseBlock) and block.input == tool_input


def test_web_search_result_answers_the_server_tool_use_just_before_it() -> None:
    message = render(
        {
            "reply": [
                {"server_tool_use": {"input": {"query": "weather Paris"}}},
                {"web_search_tool_result": {"results": [{"url": "https://example.com", "title": "Example"}]}},
                {"server_tool_use": {"id": "srvtoolu_second", "input": {"query": "more"}}},
                {"web_search_tool_result": {"error_code": "max_uses_exceeded"}},
                {"text": "Sunny."},
            ]
        }
    )
    first_use, first_result, second_use, second_result, _ = message.content
    assert isinstance(first_use, ServerToolUseBlock) and SERVER_TOOL_ID.match(first_use.id)
    assert first_use.name == "web_search" and first_use.input == {"query": "weather Paris"}
    assert isinstance(first_result, WebSearchToolResultBlock) and first_result.tool_use_id == first_use.id
    assert isinstance(first_result.content, list)
    (result,) = first_result.content
    assert (result.url, result.title, result.type) == ("https://example.com", "Example", "web_search_result")
    assert result.encrypted_content  # generated when not given
    assert isinstance(second_use, ServerToolUseBlock) and second_use.id == "srvtoolu_second"
    assert isinstance(second_result, WebSearchToolResultBlock) and second_result.tool_use_id == "srvtoolu_second"
    assert second_result.content == {"type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"}
    assert message.usage.server_tool_use is not None
    assert message.usage.server_tool_use.web_search_requests == 2


def test_web_search_result_tool_use_id_can_be_given() -> None:
    block = render({"reply": [{"web_search_tool_result": {"tool_use_id": "srvtoolu_x", "results": []}}]}).content[0]
    assert isinstance(block, WebSearchToolResultBlock) and block.tool_use_id == "srvtoolu_x"


def test_server_tool_usage_is_left_out_without_searches() -> None:
    assert b"server_tool_use" not in message_json(render({"reply": "no search"}))


# ---------------------------------------------------------------- stop_reason


@pytest.mark.parametrize(
    ("reply", "stop_reason"),
    [
        ("text only", "end_turn"),
        ([{"text": "calling"}, {"tool_use": {"name": "t"}}], "tool_use"),
        ([{"thinking": "hmm"}, {"text": "answer"}], "end_turn"),
        ([{"server_tool_use": {"input": {}}}, {"web_search_tool_result": {}}], "end_turn"),
    ],
)
def test_stop_reason_is_derived(reply: Any, stop_reason: str) -> None:
    message = render({"reply": reply})
    assert (message.stop_reason, message.stop_sequence) == (stop_reason, None)


@pytest.mark.parametrize("stop_reason", STOP_REASONS)
def test_stop_reason_can_be_given(stop_reason: str) -> None:
    assert render({"reply": "x", "stop_reason": stop_reason}).stop_reason == stop_reason


def test_unknown_stop_reason_is_refused() -> None:
    with pytest.raises(ScenarioError, match="stop_reason"):
        load_scenario_data({"rules": [{"reply": "x", "stop_reason": "done"}]})


# ---------------------------------------------------------------- usage


@pytest.mark.parametrize(("chars", "expected"), [(0, 1), (1, 1), (4, 1), (5, 2), (8, 2), (9, 3), (400, 100)])
def test_a_token_is_four_characters_rounded_up_at_least_one(chars: int, expected: int) -> None:
    assert tokens(chars) == expected


def test_usage_is_computed_by_the_documented_rule() -> None:
    # Input: [system, messages, tools] as compact JSON: [null,[{"role":"user","content":"hi"}]] is 39 chars.
    # Output: the text, thinking and tool input JSON of the reply: 5 + 6 + len('{"city":"Paris"}') = 27 chars.
    message = render(
        {"reply": [{"thinking": "12345"}, {"text": "abcdef"}, {"tool_use": {"name": "t", "input": {"city": "Paris"}}}]}
    )
    assert message.usage.model_dump(exclude_none=True) == {
        "input_tokens": 10,
        "output_tokens": 7,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "service_tier": "standard",
    }


def test_input_tokens_count_system_and_tools() -> None:
    bare = render({"reply": "x"}).usage.input_tokens
    tool = {"name": "get_weather", "description": "d" * 100, "input_schema": {"type": "object"}}
    assert render({"reply": "x"}, request=view(system="s" * 400)).usage.input_tokens >= bare + 100
    assert render({"reply": "x"}, request=view(tools=[tool])).usage.input_tokens >= bare + 25


def test_usage_given_overrides_only_the_counts_given() -> None:
    usage = render({"reply": "abcdefgh", "usage": {"input_tokens": 120, "cache_read_input_tokens": 50}}).usage
    assert (usage.input_tokens, usage.output_tokens) == (120, 2)
    assert (usage.cache_creation_input_tokens, usage.cache_read_input_tokens) == (0, 50)
    usage = render({"reply": "x", "usage": {"output_tokens": 30, "cache_creation_input_tokens": 5}}).usage
    assert (usage.input_tokens, usage.output_tokens, usage.cache_creation_input_tokens) == (10, 30, 5)


# ---------------------------------------------------------------- max_tokens and stop_sequences


def test_max_tokens_cuts_the_text() -> None:
    message = limited("abcdefghijklmnopqrstuvwxyz", max_tokens=2)
    assert message.content == [TextBlock(text="abcdefgh")]  # 2 tokens = 8 characters
    assert (message.stop_reason, message.stop_sequence, message.usage.output_tokens) == ("max_tokens", None, 2)


def test_max_tokens_counts_across_blocks_and_cuts_thinking() -> None:
    message = limited([{"thinking": "0123456789", "signature": "s"}, {"text": "never reached"}], max_tokens=1)
    assert message.content == [ThinkingBlock(thinking="0123", signature="s")]
    assert message.stop_reason == "max_tokens"
    message = limited([{"text": "0123456"}, {"text": "789abcdef"}], max_tokens=3)  # 12 characters in all
    assert message.content == [TextBlock(text="0123456"), TextBlock(text="789ab")]


def test_max_tokens_drops_a_tool_use_that_does_not_fit() -> None:
    message = limited([{"text": "ok"}, {"tool_use": {"name": "t", "input": {"long": "x" * 50}}}], max_tokens=5)
    assert message.content == [TextBlock(text="ok")]
    assert message.stop_reason == "max_tokens"


def test_a_reply_that_fits_is_not_cut() -> None:
    message = limited("12345678", max_tokens=2)
    assert (message.content, message.stop_reason) == ([TextBlock(text="12345678")], "end_turn")


def test_stop_sequence_cuts_before_it() -> None:
    message = limited("Hello there. END and more.", stop_sequences=["END"])
    assert message.content == [TextBlock(text="Hello there. ")]
    assert (message.stop_reason, message.stop_sequence) == ("stop_sequence", "END")
    assert message.usage.output_tokens == tokens(len("Hello there. "))


def test_the_earliest_stop_sequence_wins() -> None:
    message = limited("one, two, three", stop_sequences=["three", "two"])
    assert (message.content, message.stop_sequence) == ([TextBlock(text="one, ")], "two")


def test_stop_sequence_in_a_later_block_keeps_the_blocks_before() -> None:
    message = limited(
        [{"thinking": "STOP inside thinking", "signature": "s"}, {"text": "a STOP b"}, {"text": "c"}],
        stop_sequences=["STOP"],
    )
    assert message.content == [ThinkingBlock(thinking="STOP inside thinking", signature="s"), TextBlock(text="a ")]
    assert message.stop_reason == "stop_sequence"


def test_stop_sequence_not_in_the_reply_changes_nothing() -> None:
    message = limited("plain", stop_sequences=["zzz"])
    assert (message.content, message.stop_reason, message.stop_sequence) == (
        [TextBlock(text="plain")],
        "end_turn",
        None,
    )


def test_max_tokens_before_a_stop_sequence_wins() -> None:
    message = limited("abcdefghij STOP", max_tokens=1, stop_sequences=["STOP"])
    assert (message.content, message.stop_reason, message.stop_sequence) == (
        [TextBlock(text="abcd")],
        "max_tokens",
        None,
    )


def test_limits_override_an_explicit_stop_reason() -> None:
    message = render({"reply": "abcdefghij", "stop_reason": "refusal"}, request=view(max_tokens=1))
    assert message.stop_reason == "max_tokens"
