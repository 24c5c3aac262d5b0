"""The journal keeps the answer each request got, as blocks: ``answer`` in the admin API's entry JSON.

Built once per request from the rendered reply, face-neutral (the Messages vocabulary: text, thinking,
tool_use), bounded (long text cut to ANSWER_TEXT_CHARS, its whole length kept) and counted in the journal's
byte budget. Requests go through the real anthropic and openai SDKs.
"""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

from mockgw.core.journal import ANSWER_TEXT_CHARS, Journal, answer_block, answer_summary
from mockgw.testing import MockGateway
from tests.conftest import GatewayFactory, http_call

MODEL = "claude-sonnet-4-5"
HUGE = 50_000  # characters: far over the bound
SCENARIO: dict[str, Any] = {
    "name": "answer-test",
    "rules": [
        {"match": {"last_user": {"contains": "huge"}}, "reply": "x" * HUGE},
        {
            "match": {"last_user": {"contains": "weather"}},
            "reply": [{"text": "Let me look."}, {"tool_use": {"name": "get_weather", "input": {"city": "Paris"}}}],
        },
        {"match": {"last_user": {"contains": "busy"}}, "error": {"status": 429}},
        {"reply": "<b>hi</b>"},
    ],
}
TOOLS = [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}]


def last_answer(gw: MockGateway) -> Any:
    return http_call(f"{gw.url}/_mockgw/requests", "GET").json()["data"][-1]["answer"]


def ask(gw: MockGateway, text: str, *, stream: bool) -> None:
    client = anthropic.Anthropic(base_url=gw.url, api_key="k", max_retries=0)
    messages: Any = [{"role": "user", "content": text}]
    if stream:
        with client.messages.stream(model=MODEL, max_tokens=20_000, messages=messages, tools=TOOLS) as events:
            events.get_final_message()
    else:
        client.messages.create(model=MODEL, max_tokens=20_000, messages=messages, tools=TOOLS)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_the_entry_keeps_the_text_and_tool_call_blocks_with_stop_reason_and_usage(
    gateway: GatewayFactory, stream: bool
) -> None:
    gw = gateway(SCENARIO)
    ask(gw, "weather in Paris?", stream=stream)
    answer = last_answer(gw)
    assert answer["blocks"] == [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "name": "get_weather", "input": {"city": "Paris"}},
    ]
    assert answer["stop_reason"] == "tool_use"
    assert answer["usage"]["input_tokens"] > 0
    assert answer["usage"]["output_tokens"] > 0


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_huge_text_is_kept_cut_to_the_bound_with_its_whole_length(gateway: GatewayFactory, stream: bool) -> None:
    gw = gateway(SCENARIO)
    ask(gw, "something huge", stream=stream)
    (block,) = last_answer(gw)["blocks"]
    assert block == {"type": "text", "text": "x" * ANSWER_TEXT_CHARS, "text_chars": HUGE}


def test_an_error_answer_keeps_no_answer(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    with pytest.raises(anthropic.RateLimitError):
        anthropic.Anthropic(base_url=gw.url, api_key="k", max_retries=0).messages.create(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "busy?"}]
        )
    assert last_answer(gw) is None


def test_an_openai_chat_answer_is_kept_in_the_same_blocks(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    client = openai.OpenAI(base_url=f"{gw.url}/v1", api_key="k", max_retries=0)
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "weather?"}])
    answer = last_answer(gw)
    assert answer["blocks"][1] == {"type": "tool_use", "name": "get_weather", "input": {"city": "Paris"}}
    assert answer["stop_reason"] == "tool_use"


def test_the_answer_counts_in_the_journal_byte_budget() -> None:
    def settled(answer: dict[str, Any] | None) -> int:
        journal = Journal()
        entry = journal.new_entry(time=0.0, method="POST", path="/v1/messages", headers={}, body=None, session="s")
        entry.answer = answer
        journal.settle(entry)
        return journal.size_bytes

    big = answer_summary([answer_block("text", text="y" * HUGE)], "end_turn", {"output_tokens": 1})
    assert settled(big) - settled(None) >= ANSWER_TEXT_CHARS
    assert settled(big) - settled(None) < 2 * ANSWER_TEXT_CHARS
