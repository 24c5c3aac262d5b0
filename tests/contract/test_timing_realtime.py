"""Timing on the real clock, seen by the official SDK. Bounds are generous: these check that the schedule is
played at all (and a stall really stalls), not its precision, which test_schedule.py checks on a FakeClock.
"""

from __future__ import annotations

import time

import anthropic
import httpx2
import pytest

from tests.conftest import GatewayFactory

MODEL = "claude-sonnet-4-6"


def test_ttft_and_chunk_pacing_on_the_real_clock(gateway: GatewayFactory) -> None:
    # 12 deltas of 4 characters: 300 ms to the first, then 11 gaps of 40 ms (740 ms in all).
    gw = gateway({"rules": [{"reply": "abcd" * 12, "timing": {"ttft_ms": 300, "chunk_ms": 40, "chunk_chars": 4}}]})
    with anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0) as client:
        started = time.monotonic()
        arrivals: list[float] = []
        with client.messages.stream(model=MODEL, max_tokens=1024, messages=[{"role": "user", "content": "hi"}]) as s:
            for _ in s.text_stream:
                arrivals.append(time.monotonic() - started)
            final = s.get_final_message()
    assert final.content[0].text == "abcd" * 12  # type: ignore[union-attr]
    assert len(arrivals) == 12
    assert 0.25 <= arrivals[0] < 3.0
    assert 0.35 <= arrivals[-1] - arrivals[0] < 5.0  # 440 ms of gaps, give or take a loaded machine
    assert gw.journal.last.ttft_ms is not None and gw.journal.last.ttft_ms >= 250


def test_a_stall_sends_headers_then_times_out_a_client_with_a_short_read_timeout(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"reply": "never seen", "fault": {"stall_ms": 30000}}]})
    with anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0, timeout=0.5) as client:
        started = time.monotonic()
        with client.messages.stream(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}]) as s:
            # Entering the stream means the status and headers arrived; the body then stays silent.
            assert s.response.status_code == 200
            assert s.response.headers["content-type"].startswith("text/event-stream")
            with pytest.raises((anthropic.APITimeoutError, httpx2.ReadTimeout)):
                s.get_final_message()
        waited = time.monotonic() - started
    assert 0.4 <= waited < 10
