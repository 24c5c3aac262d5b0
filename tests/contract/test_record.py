"""``mockgw record``: a proxy to a real upstream whose recording replays the same answers.

The upstream is a second mockgw; the recording proxy runs in-process on 127.0.0.1, port 0. What the official
Python SDK got through the proxy must be what it gets from a mockgw serving the written file.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import pytest
from aiohttp import web

from mockgw.scenario.loader import load_scenario_data, load_scenario_file, load_scenario_text
from mockgw.scenario.record import Exchange, Recording
from mockgw.scenario.yaml_writer import dump_yaml
from mockgw.server.proxy import RecordingProxy
from mockgw.testing import MockGateway
from tests.conftest import body, http_call, user

MODEL = "claude-sonnet-4-6"
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}

UPSTREAM = {
    "seed": 3,
    "rules": [
        {
            "match": {"last_user": "weather", "turn": 1},
            "reply": [
                {"thinking": "The user wants the weather; call the tool."},
                {"text": "Let me look that up."},
                {"tool_use": {"name": "get_weather", "input": {"city": "Paris", "units": ["c", 1.5e-05]}}},
            ],
        },
        {"match": {"tool_result": {"name": "get_weather"}}, "reply": "It is {{ request.tool_result }} in Paris."},
        {"match": {"last_user": "secret"}, "reply": [{"redacted_thinking": None}, {"text": "Done thinking."}]},
        {
            "match": {"tools": "web_search"},
            "reply": [
                {"server_tool_use": {"name": "web_search", "input": {"query": "mockgw"}}},
                {"web_search_tool_result": {"results": [{"url": "https://example.com/a", "title": "A"}]}},
                {"text": "Found it."},
            ],
        },
        {"match": {"last_user": "limit"}, "error": {"status": 429, "message": "Slow down, please.", "retry_after": 7}},
        {
            "match": {"last_user": "flaky"},
            "sequence": [{"error": {"status": 529, "retry_after": 0.01}}, {"reply": "Recovered."}],
        },
        {
            "match": {"last_user": "cut"},
            "reply": "An answer that breaks off in the middle of its second sentence. It goes on.",
            "fault": {"after_events": 5, "error": {"type": "overloaded_error"}},
        },
        {"match": {"last_user": "count"}, "reply": "one two three STOP four"},
        # Text with template braces must come back exactly, braces and all.
        {"reply": "You said: {{ request.last_user }}\n\n  indented line\n"},
    ],
}


def blocks(message: Any) -> list[dict[str, Any]]:
    return [b.model_dump(mode="json", exclude_none=True) for b in message.content]


async def conversation(client: anthropic.AsyncAnthropic, stream: bool) -> list[Any]:
    """The same requests, whatever answers them; what the SDK made of each answer, in order."""
    outcomes: list[Any] = []

    async def ask(messages: list[dict[str, Any]], retries: int = 2, **extra: Any) -> Any:
        api = client.with_options(max_retries=retries)
        try:
            if stream:
                async with api.messages.stream(model=MODEL, max_tokens=1024, messages=messages, **extra) as s:
                    message = await s.get_final_message()
            else:
                message = await api.messages.create(model=MODEL, max_tokens=1024, messages=messages, **extra)
        except anthropic.APIStatusError as exc:
            error = exc.body.get("error") if isinstance(exc.body, dict) else exc.body
            outcomes.append(("error", type(exc).__name__, exc.status_code, error))
            return None
        usage = (message.usage.input_tokens, message.usage.output_tokens)
        outcomes.append(("message", blocks(message), message.stop_reason, message.stop_sequence, usage))
        return message

    question = user("What is the weather in Paris?")
    # The upstream scripts thinking for these turns: a request that does not ask for thinking gets none.
    think = {"thinking": {"type": "adaptive"}}
    first = await ask([question], tools=[WEATHER], **think)
    tool_id = first.content[-1].id
    assistant = {"role": "assistant", "content": [b for b in blocks(first) if b.pop("parsed_output", True)]}
    answer = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": "18°C, sunny"}]}
    await ask([question, assistant, answer], tools=[WEATHER], **think)
    await ask([user("Keep this secret")], **think)
    await ask([user("Look up mockgw")], tools=[WEB_SEARCH])
    await ask([user("Hit the limit")], retries=0)
    await ask([user("A flaky one")])  # 529, the SDK retries, then an answer: a sequence
    await ask([user("This gets cut off")], retries=0)
    await ask([user("Please count")], stop_sequences=["STOP"])
    await ask([user("Render {{ name }} and {{{ triple }}} literally")])
    return outcomes


async def record(upstream: MockGateway, stream: bool) -> tuple[list[Any], Recording]:
    async with RecordingProxy(upstream.url) as proxy:
        client = anthropic.AsyncAnthropic(base_url=proxy.url, api_key="sk-test-recorded")
        outcomes = await conversation(client, stream)
    return outcomes, proxy.recording


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
async def test_the_written_file_replays_what_the_upstream_answered(stream: bool, tmp_path: Path) -> None:
    with MockGateway(UPSTREAM) as upstream:
        recorded, recording = await record(upstream, stream)
    path = tmp_path / "session.yaml"
    recording.write(path)

    with MockGateway(path) as replay:
        replayed = await conversation(anthropic.AsyncAnthropic(base_url=replay.url, api_key="any"), stream)
        assert replay.unmatched() == []

    assert replayed == recorded
    kinds = [o[0] if o[0] == "error" else o[2] for o in recorded]
    assert kinds == [
        *["tool_use", "end_turn"],  # the tool loop
        *["end_turn", "end_turn"],  # redacted thinking, web search
        *["error", "end_turn", "error"],  # 429, flaky (retried), cut mid-stream
        *["stop_sequence", "end_turn"],
    ]


async def test_rules_match_last_user_and_turn_and_the_tool_answered() -> None:
    with MockGateway(UPSTREAM) as upstream:
        _, recording = await record(upstream, stream=True)
    rules = {r["name"]: r for r in recording.scenario_data()["rules"]}

    assert rules["turn1-what-is-the-weather-in"]["match"] == {
        "last_user": {"equals": "What is the weather in Paris?"},
        "turn": 1,
    }
    assert rules["turn2-after-get-weather"]["match"] == {
        "last_user": {"equals": ""},
        "turn": 2,
        "tool_result": {"name": "get_weather"},
    }
    first = rules["turn1-what-is-the-weather-in"]
    assert [next(iter(b)) for b in first["reply"]] == ["thinking", "text", "tool_use"]
    assert first["reply"][0]["signature"].startswith("EqQB")
    assert first["reply"][2]["tool_use"]["id"].startswith("toolu_")
    assert first["reply"][2]["tool_use"]["input"] == {"city": "Paris", "units": ["c", 1.5e-05]}
    assert first["stop_reason"] == "tool_use"
    assert set(first["usage"]) == {"input_tokens", "output_tokens"}


async def test_errors_become_error_rules_and_repeats_a_sequence() -> None:
    with MockGateway(UPSTREAM) as upstream:
        _, recording = await record(upstream, stream=False)
    rules = {r["name"]: r for r in recording.scenario_data()["rules"]}

    assert rules["turn1-hit-the-limit"]["error"] == {
        "status": 429,
        "type": "rate_limit_error",
        "message": "Slow down, please.",
        "retry_after": 7.0,
    }
    flaky = rules["turn1-a-flaky-one"]["sequence"]
    assert [step["error"]["status"] if "error" in step else step["reply"] for step in flaky] == [
        529,
        [{"text": "Recovered."}],
    ]


async def test_a_mid_stream_error_becomes_a_fault_after_the_same_events() -> None:
    with MockGateway(UPSTREAM) as upstream:
        _, recording = await record(upstream, stream=True)
    cut = next(r for r in recording.scenario_data()["rules"] if r["name"] == "turn1-this-gets-cut-off")
    assert cut["fault"] == {"after_events": 5, "error": {"type": "overloaded_error", "message": "Overloaded"}}


async def test_stream_timing_is_captured_as_the_rules_timing() -> None:
    slow = {"rules": [{"reply": "x" * 40, "timing": {"ttft_ms": 200, "chunk_ms": 100, "chunk_chars": 10}}]}
    with MockGateway(slow) as upstream:
        async with RecordingProxy(upstream.url) as proxy:
            client = anthropic.AsyncAnthropic(base_url=proxy.url, api_key="k")
            async with client.messages.stream(model=MODEL, max_tokens=64, messages=[user("hi")]) as s:
                await s.get_final_message()
    timing = proxy.recording.scenario_data()["rules"][0]["timing"]
    # Real time, so generous bounds: what was measured is at least what the upstream waited. The last of the
    # 4 deltas came 200 + 3 × 100 ms in, however a busy machine bunched their arrivals (±2 ms of rounding).
    assert 200 <= timing["ttft_ms"] < 5000
    assert timing["ttft_ms"] + 3 * timing["chunk_ms"] >= 500 - 2
    assert timing["chunk_ms"] < 5000
    assert timing["chunk_chars"] == 10


async def test_the_file_is_commented_block_style_yaml_that_mockgw_loads() -> None:
    with MockGateway(UPSTREAM) as upstream:
        _, recording = await record(upstream, stream=True)
    text = recording.to_yaml("session")

    assert text.startswith("# Recorded by `mockgw record`")
    assert "\nrules:\n  - name: turn1-what-is-the-weather-in\n    match:\n" in text
    assert "You said: Render {{ '{{' }} name }}" in text  # template braces escaped, so they render as sent
    assert "sk-test-recorded" not in text
    assert load_scenario_text(text) == recording.scenario("session")


# ---------------------------------------------------------------- the proxy on the wire


def sse(data: dict[str, Any]) -> bytes:
    return f"event: {data['type']}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def text_delta(text: str) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}


START = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": [], "stop_reason": None}
HEAD = sse({"type": "message_start", "message": {**START, "usage": {"input_tokens": 3, "output_tokens": 1}}}) + sse(
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
)
TAIL = sse(text_delta("lo")) + b"".join(
    sse(d)
    for d in (
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}},
        {"type": "message_stop"},
    )
)
# What the upstream writes, in these pieces: the second piece ends inside a frame.
FRAMES = (HEAD + sse(text_delta("Hel")), TAIL[:20], TAIL[20:])


async def test_a_stream_is_relayed_byte_for_byte_as_it_arrives() -> None:
    gate = asyncio.Event()
    seen: dict[str, Any] = {}

    async def upstream_handler(request: web.Request) -> web.StreamResponse:
        seen.update(headers=request.headers.copy(), body=await request.read(), path=request.path_qs)
        response = web.StreamResponse(
            headers={"content-type": "text/event-stream; charset=utf-8", "request-id": "req_up_1", "x-up": "yes"}
        )
        await response.prepare(request)
        await response.write(FRAMES[0])
        await gate.wait()  # the rest only after the client holds the first part: nothing is buffered
        for part in FRAMES[1:]:
            await response.write(part)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/v1/messages", upstream_handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    upstream_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    sent = b'{"model":"m","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"hi"}]}'
    try:
        async with RecordingProxy(upstream_url) as proxy, aiohttp.ClientSession() as session:
            headers = {
                "x-api-key": "sk-a",
                "authorization": "Bearer sk-b",
                "anthropic-version": "2023-06-01",
                "content-type": "application/json",
                "connection": "keep-alive, x-hop",
                "x-hop": "1",
            }
            async with session.post(f"{proxy.url}/v1/messages?beta=true", data=sent, headers=headers) as resp:
                first = await asyncio.wait_for(resp.content.readexactly(len(FRAMES[0])), 10)
                gate.set()
                rest = await asyncio.wait_for(resp.content.read(), 10)
                assert resp.headers["request-id"] == "req_up_1"
                assert resp.headers["x-up"] == "yes"
                assert resp.headers["content-type"] == "text/event-stream; charset=utf-8"
    finally:
        await runner.cleanup()

    assert first + rest == b"".join(FRAMES)
    assert seen["path"] == "/v1/messages?beta=true"
    assert seen["body"] == sent
    assert (seen["headers"]["x-api-key"], seen["headers"]["authorization"]) == ("sk-a", "Bearer sk-b")
    assert seen["headers"]["host"] == upstream_url.removeprefix("http://")
    assert "x-hop" not in seen["headers"]
    [rule] = proxy.recording.scenario_data()["rules"]
    assert rule["reply"] == [{"text": "Hello"}]


def test_an_unreachable_upstream_gets_an_anthropic_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # nothing listens here once the socket is closed

    async def call() -> Any:
        async with RecordingProxy(f"http://127.0.0.1:{closed_port}") as proxy:
            return await asyncio.to_thread(http_call, f"{proxy.url}/v1/messages", json_body=body("hi"))

    response = asyncio.run(call())
    assert response.status == 502
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "api_error"
    assert f"127.0.0.1:{closed_port}" in response.json()["error"]["message"]


# ---------------------------------------------------------------- building rules


def exchange(seq: int, messages: list[dict[str, Any]], text: str) -> Exchange:
    request = {"model": MODEL, "max_tokens": 64, "messages": messages}
    return Exchange(seq, request, 200, message={"content": [{"type": "text", "text": text}], "stop_reason": "end_turn"})


def test_a_general_rule_is_placed_after_the_specific_one_it_would_shadow() -> None:
    tool_use = {"type": "tool_use", "id": "toolu_1", "name": "ls", "input": {}}
    answer_ls = [{"type": "tool_result", "tool_use_id": "toolu_1"}, {"type": "text", "text": "again"}]
    plain = [user("hi"), {"role": "assistant", "content": "ok"}, user("again")]
    with_result = [
        user("hi"),
        {"role": "assistant", "content": [tool_use]},
        {"role": "user", "content": answer_ls},
    ]
    recording = Recording("http://127.0.0.1:1")
    recording.add(exchange(1, plain, "plain answer"))  # no tool_result predicate: matches both requests
    recording.add(exchange(2, with_result, "answer after ls"))

    with MockGateway(recording.scenario()) as replay:
        for messages, expected in ((plain, "plain answer"), (with_result, "answer after ls")):
            response = http_call(f"{replay.url}/v1/messages", json_body=body(messages=messages))
            assert response.json()["content"] == [{"type": "text", "text": expected}]


def test_long_texts_are_matched_on_a_distinctive_excerpt() -> None:
    reminder = "<system-reminder>" + "Context the client adds to every prompt. " * 10 + "</system-reminder>\n"
    recording = Recording("http://127.0.0.1:1")
    recording.add(exchange(1, [user(reminder + "List the files")], "a"))
    recording.add(exchange(2, [user(reminder + "Show the diff")], "b"))
    recording.add(exchange(3, [user(reminder + "Show the diff please")], "c"))  # holds #2's last line

    matches = [r["match"]["last_user"] for r in recording.scenario_data()["rules"]]
    assert matches == [
        {"contains": "List the files"},
        {"equals": reminder + "Show the diff"},  # no part of it is its own: the whole text
        {"contains": "Show the diff please"},
    ]


@pytest.mark.parametrize(
    "text",
    [
        "plain words",
        "yes",
        "null",
        "1e-05",
        "key: value # not a comment",
        "two\nlines",
        "trailing newline\n",
        "two trailing newlines\n\n",
        "  leading spaces\nsecond",
        "\n\nleading newlines",
        "tab\tinside\n\tand at a line start",
        "trailing spaces   \non a line",
        "crlf\r\nline",
        "next line\x85and line separator\u2028and bom\ufeff",
        "control \x07 and del \x7f",
        "quotes \"double\" and 'single' and \\ backslash",
        "unicode: 18°C ☀️ 中文",
        "\n",
        "",
    ],
)
def test_any_text_survives_the_yaml_writer(text: str) -> None:
    data = {"rules": [{"name": "r", "match": {"last_user": {"equals": text}}, "reply": [{"text": "ok"}]}]}
    for literal_blocks in (True, False):
        written = dump_yaml(data, literal_blocks=literal_blocks)
        assert load_scenario_text(written) == load_scenario_data(data)


# ---------------------------------------------------------------- the command


def start_recorder(upstream: str, out: Path) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "mockgw", "record", "--upstream", upstream, "--out", str(out), "--port", "0"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    assert proc.stdout is not None
    found = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline())
    if found is None:
        proc.kill()
        raise AssertionError(f"no URL in the banner; stderr: {proc.communicate()[1]}")
    return proc, found.group(0)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_command_writes_the_file_on_a_signal_and_never_a_key(sig: signal.Signals, tmp_path: Path) -> None:
    out = tmp_path / "session.yaml"
    with MockGateway({"rules": [{"reply": "Hello from upstream."}]}) as upstream:
        proc, url = start_recorder(upstream.url, out)
        try:
            secrets = {"x-api-key": "sk-secret-123", "authorization": "Bearer sk-secret-456"}
            # A key in the query string too (Google-style ?key=): the recorder's log line must not show it.
            path = "/v1/messages?beta=true&key=sk-secret-789"
            response = http_call(f"{url}{path}", json_body=body("hi"), headers=secrets)
            assert response.json()["content"] == [{"type": "text", "text": "Hello from upstream."}]
            assert upstream.journal.last is not None  # the request did go upstream
            proc.send_signal(sig)
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, stderr
    assert "wrote" in stdout
    assert "/v1/messages?beta=true&key=[redacted]" in stderr
    assert "sk-secret" not in stderr
    text = out.read_text()
    assert "sk-secret" not in text
    assert "authorization" not in text.lower()
    assert [r.reply for r in load_scenario_file(out).rules] == [
        load_scenario_data({"rules": [{"reply": "Hello from upstream."}]}).rules[0].reply
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--upstream", "ftp://example.com", "--out", "x.yaml"], "--upstream: expected an http:// or https:// URL"),
        (["--upstream", "http://127.0.0.1:1", "--out", "no/such/folder/x.yaml"], "--out: no such folder"),
    ],
)
def test_bad_arguments_are_refused_before_anything_listens(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from mockgw.cli.main import main

    assert main(["record", *args]) == 2
    assert message in capsys.readouterr().err
