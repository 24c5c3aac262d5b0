"""Client-shaped requests, replayed: every fixture in tests/fixtures.

The fixtures are ours, written in our own words with the structure real clients send (Claude Code: a
``role: system`` entry inside messages, 24 tools with JSON Schemas, a JSON-string ``metadata.user_id``,
cache_control on system, messages, tool results and tools, adaptive thinking with ``display: omitted``,
``context_management``, ``output_config``, a signed thinking block and a tool round trip; the Python SDK: a
plain ``messages.create``). Each one is replayed byte for byte with its own headers and must get a 200 and,
when it streams, a complete and valid stream. The fixtures are also sent through the official SDK. What real
clients send today is checked where they run: tests/clients/ runs Claude Code and the SDKs against mockgw.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import anthropic
import pytest

from mockgw.core.clock import FakeClock
from tests.conftest import FIXTURES, assert_event_order, http_call, sdk_fold, sse_frames

FIXTURE_FILES = sorted(FIXTURES.glob("*.json"))
DROPPED_HEADERS = {"host", "content-length"}

# For the SDK runs: a scripted agent turn, then the answer once the tool has run.
AGENT = {
    "rules": [
        {"match": {"tool_result": True}, "reply": "Done: out.txt now holds DONE."},
        {
            "reply": [
                {"thinking": "A single shell command writes the file."},
                {"text": "I will write the file."},
                {"tool_use": {"name": "RunShell", "input": {"command": "echo DONE > out.txt"}}},
            ]
        },
    ]
}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def replay_headers(recorded: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in recorded.items() if k.lower() not in DROPPED_HEADERS}


def assert_complete_stream(raw: bytes) -> list[dict[str, Any]]:
    """Exact framing and the documented order on the wire, and the official SDK folds it to a whole
    message; returns the events' data."""
    frames = sse_frames(raw)
    assert_event_order(frames)
    folded = sdk_fold(raw)
    assert folded["content"] and folded["stop_reason"] is not None
    return [data for _, data in frames]


def replay(url: str, sample: dict[str, Any]) -> Any:
    return http_call(
        f"{url}{sample['path_qs']}",
        sample["method"],
        body=json.dumps(sample["body"]).encode(),
        headers=replay_headers(sample["headers"]),
    )


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_replayed_request_gets_200_and_a_complete_answer(gateway, path):
    sample = load(path)
    # The default scenario, on a fake clock so its realistic pacing costs no time.
    gw = gateway(None, seed=3, clock=FakeClock())
    response = replay(gw.url, sample)

    assert response.status == 200, response.body[:500]
    assert response.headers["request-id"].startswith("req_")
    if "count_tokens" in sample["path_qs"]:
        assert response.json()["input_tokens"] > 0
    elif sample["body"].get("stream"):
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        events = assert_complete_stream(response.body)
        assert events[0]["message"]["model"] == sample["body"]["model"]
        assert events[-2]["usage"]["output_tokens"] > 0
    else:
        message = response.json()
        assert message["type"] == "message" and message["content"]
        assert message["model"] == sample["body"]["model"]


@pytest.mark.parametrize(
    "path",
    [p for p in FIXTURE_FILES if "count_tokens" not in load(p)["path_qs"]],
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_replayed_message_request_is_journaled_as_sent(gateway, path):
    sample = load(path)
    gw = gateway(None, seed=3, clock=FakeClock())
    replay(gw.url, sample)
    entry = gw.journal.last
    assert entry.path == sample["path_qs"]
    assert entry.body == sample["body"]
    assert entry.rule is not None


def test_there_are_fixtures_to_replay():
    assert len(FIXTURE_FILES) >= 3


# ---------------------------------------------------------------- our fixtures have a Claude Code turn's structure


@pytest.mark.parametrize("name", ["agent-first-turn", "agent-tool-result-turn"])
def test_fixture_has_the_structure_of_a_claude_code_turn(name):
    body = load(FIXTURES / f"{name}.json")["body"]
    assert {"role": "system"}.items() <= next(m for m in body["messages"] if m["role"] == "system").items()
    assert len(body["tools"]) == 24
    assert all(t["input_schema"]["type"] == "object" and "$schema" in t["input_schema"] for t in body["tools"])
    assert isinstance(json.loads(body["metadata"]["user_id"]), dict)
    assert body["thinking"] == {"type": "adaptive", "display": "omitted"}
    assert body["context_management"] and body["output_config"] and body["stream"] is True
    text = json.dumps(body)
    assert text.count('"cache_control"') >= 4
    assert "Claude Code" not in text and "Claude Agent SDK" not in text  # our words, not theirs


def test_tool_result_fixture_has_a_signed_thinking_block_and_a_tool_round_trip():
    messages = load(FIXTURES / "agent-tool-result-turn.json")["body"]["messages"]
    assistant, answer = messages[-2], messages[-1]
    thinking, tool_use = assistant["content"]
    assert thinking["type"] == "thinking" and thinking["signature"]
    assert tool_use["type"] == "tool_use"
    assert answer["content"][0]["type"] == "tool_result"
    assert answer["content"][0]["tool_use_id"] == tool_use["id"]


# ---------------------------------------------------------------- our fixtures through the official SDK


def split_for(method: Any, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fixture's fields the SDK method takes as parameters, and the rest (sent as extra_body)."""
    parameters = set(inspect.signature(method).parameters)
    known = {k: v for k, v in body.items() if k in parameters and k != "stream"}
    return known, {k: v for k, v in body.items() if k not in parameters and k != "stream"}


def betas(sample: dict[str, Any]) -> list[str]:
    return sample["headers"]["anthropic-beta"].split(",")


@pytest.fixture
def agent(gateway):
    gw = gateway(AGENT, seed=11)
    with anthropic.Anthropic(base_url=gw.url, auth_token="fixture-token", max_retries=0) as client:
        yield gw, client


def test_first_turn_fixture_streams_through_the_sdk(agent):
    gw, client = agent
    sample = load(FIXTURES / "agent-first-turn.json")
    known, extra = split_for(client.beta.messages.create, sample["body"])
    with client.beta.messages.stream(**known, betas=betas(sample), extra_body=extra) as stream:
        event_types = [event.type for event in stream]
        message = stream.get_final_message()

    assert event_types[0] == "message_start" and event_types[-1] == "message_stop"
    assert [b.type for b in message.content] == ["thinking", "text", "tool_use"]
    assert message.content[2].name == "RunShell"
    assert message.content[2].input == {"command": "echo DONE > out.txt"}
    assert message.stop_reason == "tool_use"
    assert message.model == "claude-opus-4-8"
    assert gw.journal.last.headers["anthropic-beta"] == sample["headers"]["anthropic-beta"]


def test_tool_result_fixture_streams_through_the_sdk(agent):
    gw, client = agent
    sample = load(FIXTURES / "agent-tool-result-turn.json")
    known, extra = split_for(client.beta.messages.create, sample["body"])
    events = list(client.beta.messages.create(**known, betas=betas(sample), extra_body=extra, stream=True))
    text = "".join(e.delta.text for e in events if e.type == "content_block_delta" and e.delta.type == "text_delta")

    assert events[0].type == "message_start" and events[-1].type == "message_stop"
    assert text == "Done: out.txt now holds DONE."
    assert gw.journal.last.rule == "rules[0]"


def test_count_tokens_fixture_through_the_sdk(agent):
    _, client = agent
    sample = load(FIXTURES / "agent-count-tokens.json")
    known, extra = split_for(client.beta.messages.count_tokens, sample["body"])
    counted = client.beta.messages.count_tokens(**known, betas=betas(sample), extra_body=extra)
    assert counted.input_tokens > 0


def test_sdk_style_fixture_through_the_sdk(gateway):
    gw = gateway(AGENT, seed=11)
    sample = load(FIXTURES / "sdk-create.json")
    with anthropic.Anthropic(
        base_url=gw.url, api_key="unused", default_headers={"x-api-key": "sk-fixture-key"}, max_retries=0
    ) as client:
        known, extra = split_for(client.messages.create, sample["body"])
        message = client.messages.create(**known, extra_body=extra)
    # The rule scripts thinking, text and a tool call; this request asks for no thinking (an SDK request with
    # temperature 0.3), so the answer leaves the thinking out, as a model that is not thinking would.
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert message.model == "anthropic/claude-sonnet-4.5"
