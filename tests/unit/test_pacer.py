"""One pacer plays every stream of a gateway: one wake per due instant, frames due together in one write.

The pacer (``server/sse.py``) keeps the open streams in a heap by the instant their next frame is due and
arms one clock timer for the earliest. These tests run the app in the test's loop with a clock whose timers
wait for the test (``HeldClock``), so streams started together share their instants and each wake can be
counted, and read the chunked body chunk by chunk, as the writes went out.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import ClientResponse

from mockgw.core.clock import FakeClock
from mockgw.scenario.loader import load_scenario_data
from mockgw.server import sse
from mockgw.server.app import create_app, gateway_of
from mockgw.server.state import Gateway, GatewayConfig
from mockgw.testing import MockGateway
from tests.conftest import body
from tests.hardening.conftest import request_bytes

TEXT = "abcdefgh"
PACED = {"ttft_ms": 50, "chunk_ms": 50, "chunk_chars": 2}  # 4 deltas: 50 ms before each
SCENARIO = {"rules": [{"reply": TEXT, "timing": PACED}]}


@pytest.fixture(autouse=True)
def whole_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """No fair-slice cut in these tests: they count writes, and on a loaded machine making one instant's frames
    can outlast the 2 ms slice, which then splits them over two writes (the slice has its tests in
    tests/hardening/test_fairness.py)."""
    monkeypatch.setattr(sse, "FAIR_SLICE_S", 60.0)


class HeldTimer:
    def __init__(self, due: float, callback: Callable[[], None]) -> None:
        self.due, self.callback, self.cancelled = due, callback, False

    def cancel(self) -> None:
        self.cancelled = True


class HeldClock:
    """A clock whose timers wait for the test: ``release()`` moves time to the earliest and runs it."""

    def __init__(self) -> None:
        self._now = 0.0
        self.timers: list[HeldTimer] = []

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        self._now += seconds

    def call_later(self, delay: float, callback: Callable[[], None]) -> HeldTimer:
        timer = HeldTimer(self._now + delay, callback)
        self.timers.append(timer)
        return timer

    def release(self) -> bool:
        """Run the earliest armed timer; False when none is armed."""
        armed = [t for t in self.timers if not t.cancelled]
        if not armed:
            return False
        timer = min(armed, key=lambda t: t.due)
        self.timers.remove(timer)
        self._now = max(self._now, timer.due)
        timer.callback()
        return True


async def wait_for(predicate: Callable[[], bool], turns: int = 500) -> None:
    """Let the loop run until ``predicate`` holds (bounded: ``turns`` short sleeps)."""
    for _ in range(turns):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition did not come about")


async def http_chunks(response: ClientResponse) -> list[bytes]:
    """The body as the chunks of its chunked encoding: one per write the server made."""
    chunks, current = [], b""
    async for data, end_of_chunk in response.content.iter_chunks():
        current += data
        if end_of_chunk and current:  # the chunked end (an empty chunk) may come on its own or not
            chunks.append(current)
            current = b""
    assert current == b"", "the body ended inside a chunk"
    return chunks


def events(chunk: bytes) -> list[str]:
    return [line[len("event: ") :] for line in chunk.decode().splitlines() if line.startswith("event: ")]


async def start(aiohttp_client: Any, clock: Any, scenario: dict[str, Any] = SCENARIO) -> tuple[Any, Gateway]:
    app = create_app(GatewayConfig(scenario=load_scenario_data(scenario), clock=clock))
    return await aiohttp_client(app), gateway_of(app)


async def test_frames_due_at_one_instant_go_out_in_one_write(aiohttp_client: Any) -> None:
    client, _ = await start(aiohttp_client, FakeClock())
    response = await client.post("/v1/messages", json=body(stream=True))
    chunks = await http_chunks(response)
    assert [events(chunk) for chunk in chunks] == [
        ["message_start", "content_block_start", "ping"],  # before the first wait
        ["content_block_delta"],
        ["content_block_delta"],
        ["content_block_delta"],
        ["content_block_delta", "content_block_stop", "message_delta", "message_stop"],  # after the last
    ]


async def test_one_wake_writes_every_stream_due_at_that_instant(aiohttp_client: Any) -> None:
    clock = HeldClock()
    client, gateway = await start(aiohttp_client, clock)
    streams = 5
    responses = await asyncio.gather(*(client.post("/v1/messages", json=body(stream=True)) for _ in range(streams)))
    bodies = [asyncio.ensure_future(http_chunks(r)) for r in responses]
    await wait_for(lambda: gateway.pacer.open_streams == streams and len(gateway.journal) == streams)
    assert gateway.pacer.writes == streams  # each stream's first frames, one write each

    waits = 0
    while clock.release():  # every stream waits for the same instants: one wake serves them all
        waits += 1
        await asyncio.sleep(0)
    assert waits == gateway.pacer.wakes == len(TEXT) // PACED["chunk_chars"]
    assert gateway.pacer.writes == streams * (1 + waits)
    for chunks in await asyncio.wait_for(asyncio.gather(*bodies), timeout=10):
        assert len(chunks) == 1 + waits  # the first frames, then one write per wake
    assert gateway.pacer.open_streams == 0


async def test_a_new_stream_first_writes_the_frames_already_due(aiohttp_client: Any) -> None:
    # In a burst of requests the loop runs every ready handler before it gets to the pacer's timer; a frame that
    # fell due meanwhile goes out when the next stream starts, not after all of them.
    clock = HeldClock()
    client, gateway = await start(aiohttp_client, clock)
    first = await client.post("/v1/messages", json=body(stream=True))
    first_body = asyncio.ensure_future(http_chunks(first))
    await wait_for(lambda: gateway.pacer.writes == 1)
    clock._now += PACED["ttft_ms"] / 1000  # its first delta is due; its timer has not run
    second = await client.post("/v1/messages", json=body(stream=True))
    second_body = asyncio.ensure_future(http_chunks(second))
    await wait_for(lambda: gateway.pacer.writes == 3)  # the first stream's delta, then the second's first frames
    assert gateway.pacer.wakes == 0
    while clock.release():
        await asyncio.sleep(0)
    first_chunks, second_chunks = await asyncio.wait_for(asyncio.gather(first_body, second_body), timeout=10)
    assert [events(chunk) for chunk in first_chunks][:2] == [
        ["message_start", "content_block_start", "ping"],
        ["content_block_delta"],
    ]
    assert b"".join(first_chunks).count(b"event: content_block_delta") == len(TEXT) // PACED["chunk_chars"]
    assert b"".join(second_chunks).count(b"event: content_block_delta") == len(TEXT) // PACED["chunk_chars"]


async def test_a_stream_that_ends_first_writes_the_frames_already_due(aiohttp_client: Any) -> None:
    # Streams ending in one wake resume their handlers together, before the loop gets to the timer again.
    clock = HeldClock()
    client, gateway = await start(aiohttp_client, clock)
    first = await client.post("/v1/messages", json=body(stream=True))
    first_body = asyncio.ensure_future(http_chunks(first))
    await wait_for(lambda: gateway.pacer.writes == 1)
    clock._now += 0.01  # the second stream is 10 ms behind the first, from wake to wake
    second = await client.post("/v1/messages", json=body(stream=True))
    second_body = asyncio.ensure_future(http_chunks(second))
    await wait_for(lambda: gateway.pacer.writes == 2)
    deltas = len(TEXT) // PACED["chunk_chars"]
    for _ in range(2 * deltas - 2):  # every wake up to the first stream's last
        assert clock.release()
        await asyncio.sleep(0)
    assert clock.release()  # the first stream's last frames: its handler resumes on the loop's next turn,
    clock._now += 0.01  # when the second stream's last delta is due too
    await asyncio.wait_for(first_body, timeout=10)
    await wait_for(lambda: gateway.pacer.writes == 2 + 2 * deltas)  # written without its wake
    assert gateway.pacer.wakes == 2 * deltas - 1
    assert b"".join(await asyncio.wait_for(second_body, timeout=10)).count(b"event: content_block_delta") == deltas


async def test_a_stream_whose_client_leaves_is_dropped_from_the_pacer(aiohttp_client: Any) -> None:
    clock = HeldClock()
    client, gateway = await start(aiohttp_client, clock)
    response = await client.post("/v1/messages", json=body(stream=True))
    await wait_for(lambda: gateway.pacer.open_streams == 1)
    response.close()  # the client goes away while the stream waits for its first delta
    await wait_for(lambda: gateway.pacer.open_streams == 0)
    assert gateway.journal.last.error == "client_gone"
    assert not [t for t in clock.timers if not t.cancelled]  # no timer left armed for nobody


STREAMED_FACES = [
    pytest.param("/v1/messages", body(stream=True), {}, id="anthropic-messages"),
    pytest.param(
        "/v1/chat/completions",
        {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]},
        {},
        id="openai-chat",
    ),
    pytest.param("/v1/responses", {"model": "m", "stream": True, "input": "hi"}, {}, id="openai-responses"),
    pytest.param(
        "/v4/ai/language-model",
        {"prompt": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]},
        {"ai-language-model-id": "anthropic/claude-sonnet-4.5", "ai-language-model-streaming": "true"},
        id="aisdk",
    ),
]


@pytest.mark.parametrize(("path", "payload", "headers"), STREAMED_FACES)
async def test_every_face_streams_through_the_pacer(
    aiohttp_client: Any, path: str, payload: dict[str, Any], headers: dict[str, str]
) -> None:
    clock = FakeClock()
    client, gateway = await start(aiohttp_client, clock)
    response = await client.post(path, json=payload, headers=headers)
    assert response.status == 200
    chunks = await http_chunks(response)
    assert clock.sleeps == [0.05] * 4  # ttft, then chunk_ms between the deltas: the pacer's timer, on the clock
    assert gateway.pacer.wakes == 4
    assert len(chunks) == gateway.pacer.writes == 1 + 4  # the frames before the first wait, then one per wake


@pytest.mark.parametrize("timing", [{}, PACED], ids=["unpaced", "paced"])
def test_a_scripted_disconnect_is_journaled_before_the_client_sees_the_connection_drop(timing: dict[str, int]) -> None:
    # Paced, the drop falls due in a pacer wake, outside the handler. Were the connection dropped there, its loss
    # would cancel the handler before it could record why (the server runs with handler cancellation on).
    rule = {"reply": TEXT, "timing": timing, "fault": {"after_events": 4, "disconnect": True}}
    with MockGateway({"rules": [rule]}, clock=FakeClock()) as gw:
        raw = json.dumps(body(stream=True)).encode()
        request = request_bytes(b"POST", b"/v1/messages", [(b"Content-Type", b"application/json")], raw)
        with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as sock:
            sock.sendall(request)
            received = b""
            while data := sock.recv(65536):
                received += data
        assert received.count(b"event: content_block_delta") == 1
        assert not received.endswith(b"0\r\n\r\n")  # no chunked end: the body broke off
        entry = gw.journal.last
        assert (entry.error, entry.events[-1]) == ("disconnected", "content_block_delta")
