"""The rate limits the gateway reports: ``anthropic-ratelimit-*`` headers on every Anthropic answer.

The real API reports, on every answer, each limit (``limit``), what is left of it (``remaining``) and when it
is whole again (``reset``, RFC 3339), for requests, tokens, input tokens and output tokens. The gateway keeps
the same counts over a fixed window on its own clock (so a FakeClock moves it in tests): every API request
takes one request, a Messages answer its input and output tokens; a new window starts once the last one is
over. The headers only report: they never refuse a request (a scenario scripts a 429 with ``error:``,
which reports every limit as exhausted).
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mockgw.scenario.schema import RateLimits

KINDS = ("requests", "tokens", "input-tokens", "output-tokens")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def rfc3339(at: datetime) -> str:
    """``at`` in whole seconds, rounded up: a reset is never reported earlier than it happens."""
    return _second(-(-((at - _EPOCH) // _MICROSECOND) // 1_000_000))


@functools.lru_cache(maxsize=256)
def _second(epoch_second: int) -> str:
    # Every answer carries four resets, mostly the same few seconds: formatting them each time was 9-13% of
    # a canned answer's CPU (py-spy under wrk, docs/performance.md).
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_second))


@dataclass
class _Window:
    start: float
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


class RateLimiter:
    """Counts requests and tokens per window and words them as the API's headers. Thread-safe."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._window: _Window | None = None
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Start afresh: the next request opens a new window."""
        with self._lock:
            self._window = None

    def _current(self, now: float) -> _Window:
        window = self._window
        if window is None or now >= window.start + self.limits.window_seconds:
            window = self._window = _Window(start=now)
        return window

    def take(self, now: float, *, input_tokens: int = 0, output_tokens: int = 0) -> None:
        """Count one request, and the tokens of its answer, at ``now`` (the gateway clock's reading)."""
        with self._lock:
            window = self._current(now)
            window.requests += 1
            window.input_tokens += input_tokens
            window.output_tokens += output_tokens

    def headers(self, now: float, wall: datetime, *, exhausted_for: float | None = None) -> dict[str, str]:
        """The ``anthropic-ratelimit-*`` headers at ``now``; ``wall`` is the same instant as a date, for resets.

        ``exhausted_for``: a 429 answer, every limit reported as used up until that many seconds from now.
        """
        limits = self.limits
        tokens_limit = limits.tokens if limits.tokens is not None else limits.input_tokens + limits.output_tokens
        with self._lock:
            window = self._current(now)
            used = {
                "requests": window.requests,
                "tokens": window.input_tokens + window.output_tokens,
                "input-tokens": window.input_tokens,
                "output-tokens": window.output_tokens,
            }
            ends_in = window.start + limits.window_seconds - now
        caps = {
            "requests": limits.requests,
            "tokens": tokens_limit,
            "input-tokens": limits.input_tokens,
            "output-tokens": limits.output_tokens,
        }
        wall_us = (wall - _EPOCH) // _MICROSECOND
        out: dict[str, str] = {}
        for kind in KINDS:
            remaining = 0 if exhausted_for is not None else max(0, caps[kind] - used[kind])
            wait = exhausted_for if exhausted_for is not None else (ends_in if used[kind] else 0.0)
            out[f"anthropic-ratelimit-{kind}-limit"] = str(caps[kind])
            out[f"anthropic-ratelimit-{kind}-remaining"] = str(remaining)
            after = wall_us + timedelta(seconds=max(0.0, wait)) // _MICROSECOND  # as datetime + timedelta rounds
            out[f"anthropic-ratelimit-{kind}-reset"] = _second(-(-after // 1_000_000))
        return out
