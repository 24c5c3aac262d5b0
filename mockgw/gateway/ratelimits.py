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
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mockgw.scenario.schema import RateLimits

KINDS = ("requests", "tokens", "input-tokens", "output-tokens")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Each kind's three header names, made once rather than per answer.
_NAMES = tuple(
    (f"anthropic-ratelimit-{kind}-limit", f"anthropic-ratelimit-{kind}-remaining", f"anthropic-ratelimit-{kind}-reset")
    for kind in KINDS
)
HEADER_NAMES = frozenset(name for names in _NAMES for name in names)


def rfc3339(at: datetime) -> str:
    """``at`` in whole seconds, rounded up: a reset is never reported earlier than it happens."""
    return _second(-(-((at - _EPOCH) // _MICROSECOND) // 1_000_000))


@functools.lru_cache(maxsize=256)
def _second(epoch_second: int) -> str:
    # Every answer carries four resets, mostly the same few seconds: formatting them each time was 9-13% of
    # a canned answer's CPU (py-spy under wrk, docs/performance.md).
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_second))


def wall_microseconds(seconds: float) -> int:
    """``seconds`` since the epoch in whole microseconds, rounded as ``datetime.fromtimestamp`` rounds them (the
    fraction half to even): the same instant without making a datetime (its time zone made it about a
    microsecond an answer)."""
    fraction, whole = math.modf(seconds)
    return int(whole) * 1_000_000 + round(fraction * 1e6)


def _reset(wall_us: int, wait: float) -> str:
    """The reset ``wait`` seconds after ``wall_us`` (microseconds since the epoch), as datetime + timedelta rounds."""
    return _second(-(-(wall_us + timedelta(seconds=max(0.0, wait)) // _MICROSECOND) // 1_000_000))


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
        self._caps_of: RateLimits | None = None  # the limits ``_caps`` words (``limits`` may be replaced)
        self._caps: tuple[tuple[int, str], ...] = ()

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
        return dict(self.header_pairs(now, (wall - _EPOCH) // _MICROSECOND, exhausted_for=exhausted_for))

    def header_pairs(self, now: float, wall_us: int, *, exhausted_for: float | None = None) -> list[tuple[str, str]]:
        """``headers`` as (name, value) pairs, in the same order: what a response's headers are extended with.

        ``wall_us``: the wall time in whole microseconds since the epoch (``wall_microseconds``).
        """
        limits = self.limits
        caps = self._caps if self._caps_of is limits else self._word_caps(limits)
        with self._lock:
            window = self._current(now)
            requests, input_tokens, output_tokens = window.requests, window.input_tokens, window.output_tokens
            ends_in = window.start + limits.window_seconds - now
        (requests_cap, requests_text), (tokens_cap, tokens_text), (input_cap, input_text), (output_cap, output_text) = (
            caps
        )
        (requests_names, tokens_names, input_names, output_names) = _NAMES
        if exhausted_for is not None:  # a 429: every limit used up until then
            reset = _reset(wall_us, exhausted_for)
            out: list[tuple[str, str]] = []
            for (limit_name, remaining_name, reset_name), (_, text) in zip(_NAMES, caps, strict=True):
                out += ((limit_name, text), (remaining_name, "0"), (reset_name, reset))
            return out
        # A kind with nothing used is whole again now; one with something used when the window ends. One list
        # written out: a loop over the kinds cost this function twice as much.
        now_reset = _second(-(-wall_us // 1_000_000))
        tokens = input_tokens + output_tokens
        used_reset = _reset(wall_us, ends_in) if requests or tokens else now_reset
        return [
            (requests_names[0], requests_text),
            (requests_names[1], str(max(0, requests_cap - requests))),
            (requests_names[2], used_reset if requests else now_reset),
            (tokens_names[0], tokens_text),
            (tokens_names[1], str(max(0, tokens_cap - tokens))),
            (tokens_names[2], used_reset if tokens else now_reset),
            (input_names[0], input_text),
            (input_names[1], str(max(0, input_cap - input_tokens))),
            (input_names[2], used_reset if input_tokens else now_reset),
            (output_names[0], output_text),
            (output_names[1], str(max(0, output_cap - output_tokens))),
            (output_names[2], used_reset if output_tokens else now_reset),
        ]

    def _word_caps(self, limits: RateLimits) -> tuple[tuple[int, str], ...]:
        """Each kind's limit, as a number and as its header's text: the same for every answer of a scenario."""
        tokens_limit = limits.tokens if limits.tokens is not None else limits.input_tokens + limits.output_tokens
        numbers = (limits.requests, tokens_limit, limits.input_tokens, limits.output_tokens)
        self._caps = tuple((cap, str(cap)) for cap in numbers)
        self._caps_of = limits
        return self._caps
