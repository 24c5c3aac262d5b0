"""Nothing one client sends stalls the others: while an attack is in flight, /health answers within 500 ms.

Each test runs one bounded attack in a thread and meanwhile asks ``GET /health`` as another client would,
every few milliseconds, until the attack is over. Every answer given while the attack ran must come within
HEALTH_BOUND_S. This is a bound on behaviour, not a benchmark: before mockgw made streams as they play,
capped echoed values and matched regexes on RE2, the same probes waited 3 to 11 seconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from mockgw.scenario.templates import MAX_EXPANSION_CHARS, cut_marker
from mockgw.testing import MockGateway
from tests.conftest import body, sse_frames
from tests.hardening.conftest import CLIENT_TIMEOUT_S, Answer, raw_request, request_bytes, send

# Half a second: the stalls these tests guard against lasted 3 to 11 s. What may legitimately hold every
# client back is the longest single GIL hold, parsing an 8 MB body in C (~60 ms on a quiet machine): at a
# load average of 6 on 2 shared cores it took over 200 ms, this bound's old value, and failed a correct server.
HEALTH_BOUND_S = 0.5
PROBE_GAP_S = 0.01
MAX_PROBES = 2000  # bounded whatever happens
TOOL_LOOP_SCENARIO = {
    "rules": [{"match": {"tool_result": True}, "reply": "You sent: {{ request.tool_result }}"}, {"reply": "hi"}]
}


@dataclass
class Probes:
    latencies: list[float] = field(default_factory=list)  # of the health checks made while the attack ran
    attack: Any = None


def during(gw: MockGateway, attack: Callable[[], Any]) -> Probes:
    """Run ``attack`` in a thread; meanwhile time ``GET /health`` answers; return both."""
    probes = Probes()
    done = threading.Event()

    def run() -> None:
        try:
            probes.attack = attack()
        finally:
            done.set()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        while not done.is_set() and len(probes.latencies) < MAX_PROBES:
            started = time.monotonic()
            answer = send(gw.port, "GET", "/health")
            probes.latencies.append(time.monotonic() - started)
            assert answer.status == 200 and answer.json()["status"] == "ok"
            time.sleep(PROBE_GAP_S)
    finally:
        thread.join(CLIENT_TIMEOUT_S * 3)
    assert not thread.is_alive(), "the attack did not end"
    return probes


def assert_health_kept_answering(probes: Probes, at_least: int = 2) -> None:
    assert len(probes.latencies) >= at_least, f"only {len(probes.latencies)} probes while the attack ran"
    slowest = max(probes.latencies)
    assert slowest < HEALTH_BOUND_S, f"/health took {slowest * 1000:.0f} ms during the attack"


def post_request(payload: dict[str, Any]) -> bytes:
    """A whole ``POST /v1/messages``, made before the attack (the test's own JSON work is not the server's)."""
    raw = json.dumps(payload).encode()
    return request_bytes(b"POST", b"/v1/messages", [(b"Content-Type", b"application/json")], raw)


def post(gw: MockGateway, payload: dict[str, Any]) -> Answer:
    return raw_request(gw.port, post_request(payload), timeout=CLIENT_TIMEOUT_S * 3)


def tool_loop(result: str, stream: bool) -> dict[str, Any]:
    return body(
        stream=stream,
        max_tokens=64_000,  # room for the whole echo (16,384 tokens): the cut, not max_tokens, must end it
        messages=[
            {"role": "user", "content": "read it"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "read", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": result}]},
        ],
    )


def streamed_text(answer: Answer) -> str:
    """The text of a streamed answer, from its text deltas."""
    frames = sse_frames(answer.body)
    return "".join(data["delta"].get("text", "") for name, data in frames if name == "content_block_delta")


@pytest.mark.parametrize("stream", [True, False])
def test_an_8_mb_echoed_tool_result_stalls_no_one_and_is_cut_with_a_note(stream: bool) -> None:
    with MockGateway(TOOL_LOOP_SCENARIO) as gw:
        result = "r" * (8 * 1024 * 1024)
        attack = post_request(tool_loop(result, stream))
        probes = during(gw, lambda: raw_request(gw.port, attack, timeout=CLIENT_TIMEOUT_S * 3))
        answer = probes.attack
        assert answer.status == 200
        text = streamed_text(answer) if stream else answer.json()["content"][0]["text"]
        total = len("You sent: ") + len(result)
        assert text == ("You sent: " + result)[:MAX_EXPANSION_CHARS] + cut_marker(total)
        (note,) = gw.journal.last.notes
        assert note.startswith(f"a template expansion made {total} characters and was cut to {MAX_EXPANSION_CHARS}")
        assert_health_kept_answering(probes)


def test_counting_the_tokens_of_8_mb_stalls_no_one() -> None:
    with MockGateway(TOOL_LOOP_SCENARIO) as gw:
        raw = json.dumps(tool_loop("r" * (8 * 1024 * 1024), stream=False)).encode()
        attack = request_bytes(b"POST", b"/v1/messages/count_tokens", [(b"Content-Type", b"application/json")], raw)
        probes = during(gw, lambda: raw_request(gw.port, attack, timeout=CLIENT_TIMEOUT_S * 3))
        assert probes.attack.status == 200
        assert probes.attack.json()["input_tokens"] > 2 * 1024 * 1024
        assert_health_kept_answering(probes)


def test_a_long_unpaced_stream_is_made_as_it_goes_and_shares_the_loop() -> None:
    # 240 KB of the scenario's own text (never cut) in 16-character deltas: 15,000 frames, none of them waited
    # for. Made up front they held the loop for seconds before the first byte; made as they go, with the
    # loop shared every few milliseconds, other clients are served throughout.
    reply = "0123456789abcdef" * 15_000  # 60,000 tokens: within claude-sonnet-4-5's 64,000
    with MockGateway({"rules": [{"reply": reply}]}) as gw:
        probes = during(gw, lambda: post(gw, body("go", stream=True, max_tokens=64_000)))
        answer = probes.attack
        assert answer.status == 200
        assert streamed_text(answer) == reply
        assert_health_kept_answering(probes)


@pytest.mark.parametrize("length", [26, 30, 10_000])
def test_a_catastrophic_regex_on_client_text_stalls_no_one(length: int) -> None:
    # ^(a+)+$ on "aaa…ab" backtracks 2^n ways in Python's re: 26 characters held the loop 2.9 s, ×4 for every
    # 2 more. On RE2 each request is linear; the attack is 100 of them, one after the other.
    scenario = {"rules": [{"match": {"last_user": {"regex": "^(a+)+$"}}, "reply": "all a"}, {"reply": "not all a"}]}
    text = "a" * length + "b"

    def attack() -> list[int]:
        return [post(gw, body(text)).status for _ in range(100)]

    with MockGateway(scenario) as gw:
        probes = during(gw, attack)
        assert probes.attack == [200] * 100
        assert gw.journal.last.rule == "rules[1]"
        assert_health_kept_answering(probes)
