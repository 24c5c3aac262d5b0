"""The exact bytes of one stream, pinned in tests/golden/thinking-text-tool.sse.

A fixed seed and a scenario with thinking, text and a tool call must give exactly the committed bytes: the
pure core (engine + render) and the running server alike. Any change to framing, field order, ids,
chunking or usage shows up here as a byte diff to review against WIRE.md.

To regenerate after an intended change: ``MOCKGW_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_golden_sse.py``
rewrites the file (the test then skips, saying so); read the diff line by line before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mockgw.core.engine import Decision, Engine
from mockgw.core.request import RequestView
from mockgw.faces.anthropic.render import Frame, Limits, render_message, stream_schedule
from mockgw.faces.anthropic.validation import validate_message_request
from mockgw.scenario.loader import load_scenario_data
from tests.conftest import http_call, sdk_fold

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "thinking-text-tool.sse"
UPDATE = os.environ.get("MOCKGW_UPDATE_GOLDEN") == "1"
SEED = 42

SCENARIO = {
    "rules": [
        {
            "match": {"last_user": {"contains": "weather"}},
            "reply": [
                {"thinking": "The user asks for the weather in Paris. I should call get_weather."},
                {"text": "Let me check the weather in Paris for you."},
                {"tool_use": {"name": "get_weather", "input": {"city": "Paris", "unit": "celsius"}}},
            ],
        }
    ]
}
REQUEST = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 4096,
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "tools": [
        {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        }
    ],
    "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
    "stream": True,
}


def rendered_stream() -> bytes:
    """The stream the pure core produces for REQUEST, as the server would play it."""
    engine = Engine(load_scenario_data(SCENARIO, "<golden>"), SEED)
    view = RequestView(validate_message_request(REQUEST))
    decision = engine.decide(view)
    assert isinstance(decision, Decision) and decision.reply is not None
    draws = decision.draws  # the first request of the default session: what the server draws from too
    message = render_message(
        decision.reply,
        model=view.params.model,
        input_chars=view.input_chars,
        limits=Limits(view.params.max_tokens),
        ctx=engine.context(view, draws),
        ids=draws.ids,
    )
    schedule = stream_schedule(message, decision.timing, draws.jitter, decision.fault)
    assert all(isinstance(item, Frame) for item in schedule)
    return b"".join(item.data for item in schedule if isinstance(item, Frame))


def test_rendered_stream_equals_the_golden_file():
    produced = rendered_stream()
    if UPDATE:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(produced)
        pytest.skip(f"rewrote {GOLDEN}; review it line by line against WIRE.md before committing")
    assert produced == GOLDEN.read_bytes()


def test_served_stream_equals_the_golden_file(gateway):
    gw = gateway(SCENARIO, seed=SEED)
    response = http_call(f"{gw.url}/v1/messages", json_body=REQUEST)
    assert response.status == 200
    assert response.body == GOLDEN.read_bytes()


def test_golden_file_says_what_wire_md_says():
    # Guards the committed file itself, so a careless regeneration cannot bless a wrong stream.
    text = GOLDEN.read_text()
    assert text.endswith("\n\n") and "\r" not in text
    frames = [chunk.split("\n") for chunk in text.removesuffix("\n\n").split("\n\n")]
    names = [f[0].removeprefix("event: ") for f in frames]
    data = [json.loads(f[1].removeprefix("data: ")) for f in frames]
    assert all(len(f) == 2 for f in frames)
    assert [d["type"] for d in data] == names
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert data[0]["message"]["usage"]["input_tokens"] > 0 and "output_tokens" in data[0]["message"]["usage"]
    assert data[-2]["usage"]["output_tokens"] > 0
    assert data[-2]["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    delta_types = [d["delta"]["type"] for d in data if d["type"] == "content_block_delta"]
    assert delta_types.index("signature_delta") == delta_types.count("thinking_delta") >= 2
    assert delta_types.count("text_delta") >= 2 and delta_types.count("input_json_delta") >= 2
    assert [d["content_block"] for d in data if d["type"] == "content_block_start"][2]["input"] == {}


def test_the_official_sdk_folds_the_golden_stream_into_the_scripted_reply():
    # Read by the SDK's own decoder and accumulator, not only by our frame splitter above.
    folded = sdk_fold(GOLDEN.read_bytes(), piece_sizes=[7] * 400)  # arriving in small network pieces
    thinking, text, tool = folded["content"]
    assert thinking["type"] == "thinking" and thinking["signature"]
    assert thinking["thinking"] == "The user asks for the weather in Paris. I should call get_weather."
    assert text == {"type": "text", "text": "Let me check the weather in Paris for you."}
    assert (tool["type"], tool["name"], tool["input"]) == (
        "tool_use",
        "get_weather",
        {"city": "Paris", "unit": "celsius"},
    )
    assert tool["id"].startswith("toolu_") and folded["stop_reason"] == "tool_use"
