"""The events each server tool block is streamed with, as the API sends them: a call's input only through
``input_json_delta``, a result whole in its ``content_block_start``, a compaction's summary in one
``compaction_delta``; and the message fields in ``message_delta``, none in ``message_start``."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from mockgw.core.answer import Ids, Reply
from mockgw.core.engine import Engine
from mockgw.core.request import RequestView
from mockgw.core.schedule import Frame
from mockgw.faces.anthropic.render import Limits, message_json, render_message, stream_schedule
from mockgw.faces.anthropic.validation import validate_message_request
from mockgw.scenario.loader import load_scenario_data
from mockgw.scenario.schema import Timing

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def streamed(reply: Any, **rule: Any) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """The JSON answer of a one-rule scenario, and its stream's (event, data) pairs without pings."""
    scenario = load_scenario_data({"seed": 1, "rules": [{"reply": reply, **rule}]})
    spec = scenario.rules[0]
    assert spec.reply is not None
    body = {"model": "m", "max_tokens": 1024, "messages": [{"role": "user", "content": "hi"}]}
    request = RequestView(validate_message_request(body))
    message = render_message(
        Reply(spec.reply, spec.stop_reason, spec.usage, container=spec.container),
        model="m",
        input_chars=request.input_chars,
        limits=Limits(1024),
        ctx=Engine(scenario, seed=1).context(request),
        ids=Ids(random.Random(1)),
        now=NOW,
    )
    events = []
    for item in stream_schedule(message, Timing(chunk_chars=8), random.Random(1)):
        assert isinstance(item, Frame)
        data = json.loads(item.data.decode().split("data: ", 1)[1])
        if item.event != "ping":
            events.append((item.event, data))
    return json.loads(message_json(message)), events


def block_events(events: list[tuple[str, dict[str, Any]]], index: int) -> list[dict[str, Any]]:
    return [d for e, d in events if e.startswith("content_block") and d["index"] == index]


@pytest.mark.parametrize(
    "result",
    [
        {"web_fetch_tool_result": {"text": "Page text."}},
        {"code_execution_tool_result": "42\n"},
        {"bash_code_execution_tool_result": {"stderr": "no", "return_code": 2}},
        {"text_editor_code_execution_tool_result": {"view": "a\nb"}},
        {"tool_search_tool_result": ["get_weather"]},
    ],
    ids=lambda r: next(iter(r)),
)
def test_a_server_tool_result_arrives_whole_after_its_calls_input_deltas(result: dict[str, Any]) -> None:
    name = {"web_fetch_tool_result": "web_fetch", "tool_search_tool_result": "tool_search_tool_regex"}.get(
        next(iter(result)), next(iter(result)).removesuffix("_tool_result")
    )
    body, events = streamed([{"server_tool_use": {"name": name, "input": {"q": "a fairly long input"}}}, result])

    call = block_events(events, 0)
    assert call[0]["content_block"]["input"] == {}  # the input comes only as deltas
    deltas = [d["delta"] for d in call[1:-1]]
    assert len(deltas) > 1 and {d["type"] for d in deltas} == {"input_json_delta"}
    assert json.loads("".join(d["partial_json"] for d in deltas)) == body["content"][0]["input"]
    start, stop = block_events(events, 1)
    assert start["type"] == "content_block_start" and start["content_block"] == body["content"][1]
    assert stop == {"type": "content_block_stop", "index": 1}


def test_an_mcp_call_streams_its_input_and_its_result_arrives_whole() -> None:
    body, events = streamed(
        [
            {"mcp_tool_use": {"name": "echo", "server_name": "s", "input": {"text": "hello there"}}},
            {"mcp_tool_result": "hello there"},
        ]
    )

    call = block_events(events, 0)
    assert call[0]["content_block"] == {**body["content"][0], "input": {}}
    assert {d["delta"]["type"] for d in call[1:-1]} == {"input_json_delta"}
    assert [e["type"] for e in block_events(events, 1)] == ["content_block_start", "content_block_stop"]
    assert block_events(events, 1)[0]["content_block"] == body["content"][1]


def test_a_compaction_summary_comes_in_one_delta_after_an_empty_start() -> None:
    body, events = streamed([{"compaction": {"content": "A summary of it all.", "encrypted_content": "EqQB"}}])

    start, delta, stop = block_events(events, 0)
    assert start["content_block"] == {"type": "compaction", "content": None}
    assert delta["delta"] == {
        "type": "compaction_delta",
        "content": "A summary of it all.",
        "encrypted_content": "EqQB",
    }
    assert stop["type"] == "content_block_stop"
    assert body["content"][0] == {"type": "compaction", "content": "A summary of it all.", "encrypted_content": "EqQB"}
    assert body["stop_reason"] == "compaction"


def test_the_container_is_sent_in_message_delta_not_message_start() -> None:
    body, events = streamed(
        [{"server_tool_use": {"name": "code_execution", "input": {"code": "1"}}}, {"code_execution_tool_result": "1"}]
    )
    assert body["container"]["expires_at"] == "2027-01-15T08:05:00.000000Z"  # 5 minutes after NOW (rolling)
    start = dict(events)["message_start"]["message"]
    assert "container" not in start
    assert dict(events)["message_delta"]["delta"]["container"] == body["container"]


def test_a_scripted_container_is_sent_without_code_execution() -> None:
    body, _ = streamed("Hi.", container={"id": "container_011CX", "expires_in_s": 60})
    assert body["container"] == {"id": "container_011CX", "expires_at": "2027-01-15T08:01:00.000000Z"}


def test_generated_ids_are_stable_for_a_seed() -> None:
    reply = [
        {"mcp_tool_use": {"name": "echo", "server_name": "s"}},
        {"container_upload": None},
        {"server_tool_use": {"name": "code_execution"}},
        {"code_execution_tool_result": "1"},
    ]
    first, _ = streamed(reply)
    again, _ = streamed(reply)
    assert first == again
    assert first["content"][0]["id"].startswith("mcptoolu_01") and first["content"][1]["file_id"].startswith(
        "file_011C"
    )
    assert first["content"][3]["tool_use_id"] == first["content"][2]["id"]
    assert first["container"]["id"].startswith("container_011C")
