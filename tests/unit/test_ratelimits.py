"""The rate-limit headers' reset instants: whole seconds, rounded up, as datetime arithmetic gives them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mockgw.gateway.ratelimits import RateLimiter, rfc3339, wall_microseconds
from mockgw.scenario.schema import RateLimits


def rounded_up(at: datetime) -> str:
    """The definition: drop the fraction of a second, and add a second if there was one."""
    if at.microsecond:
        at = at.replace(microsecond=0) + timedelta(seconds=1)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


instants = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
waits = st.one_of(st.floats(0, 7 * 86_400), st.sampled_from([0.0, 1e-7, 4e-7, 5e-7, 6e-7, 1.5e-6, 59.9999995]))


@given(instants)
def test_an_instant_is_written_in_whole_seconds_rounded_up(at: datetime) -> None:
    assert rfc3339(at) == rounded_up(at)


@given(instants, waits)
def test_each_reset_is_the_wall_time_plus_the_wait_rounded_up(wall: datetime, wait: float) -> None:
    limiter = RateLimiter(RateLimits())
    headers = limiter.headers(0.0, wall, exhausted_for=wait)
    expected = rounded_up(wall + timedelta(seconds=wait))
    assert {headers[f"anthropic-ratelimit-{kind}-reset"] for kind in ("requests", "tokens")} == {expected}


def test_replaced_limits_are_reported_from_the_next_answer() -> None:
    limiter = RateLimiter(RateLimits(requests=10))
    assert limiter.headers(0.0, datetime(2026, 1, 1, tzinfo=UTC))["anthropic-ratelimit-requests-limit"] == "10"
    limiter.limits = RateLimits(requests=20)
    assert limiter.headers(0.0, datetime(2026, 1, 1, tzinfo=UTC))["anthropic-ratelimit-requests-limit"] == "20"


def test_a_limit_is_reported_once_per_kind_in_the_apis_order() -> None:
    limiter = RateLimiter(RateLimits())
    limiter.take(0.0, input_tokens=5, output_tokens=7)
    names = [name for name, _ in limiter.header_pairs(1.0, 1_764_547_200_000_000)]
    assert names == [
        f"anthropic-ratelimit-{kind}-{part}"
        for kind in ("requests", "tokens", "input-tokens", "output-tokens")
        for part in ("limit", "remaining", "reset")
    ]


counts = st.integers(0, 3_000_000)


@given(instants, st.floats(0, 59.999), st.integers(0, 5), counts, counts)
def test_each_kind_reports_its_limit_what_is_left_and_when_it_is_whole_again(
    wall: datetime, elapsed: float, requests: int, input_tokens: int, output_tokens: int
) -> None:
    limits = RateLimits()
    limiter = RateLimiter(limits)
    if requests == 0:  # nothing taken in this window: nothing is used
        input_tokens = output_tokens = 0
    for n in range(requests):  # the first request's answer carries the tokens
        limiter.take(0.0, input_tokens=input_tokens if n == 0 else 0, output_tokens=output_tokens if n == 0 else 0)
    used = {
        "requests": requests,
        "tokens": input_tokens + output_tokens,
        "input-tokens": input_tokens,
        "output-tokens": output_tokens,
    }
    caps = {
        "requests": limits.requests,
        "tokens": limits.input_tokens + limits.output_tokens,
        "input-tokens": limits.input_tokens,
        "output-tokens": limits.output_tokens,
    }
    expected = {}
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        wait = limits.window_seconds - elapsed if used[kind] else 0.0
        expected[f"anthropic-ratelimit-{kind}-limit"] = str(caps[kind])
        expected[f"anthropic-ratelimit-{kind}-remaining"] = str(max(0, caps[kind] - used[kind]))
        expected[f"anthropic-ratelimit-{kind}-reset"] = rounded_up(wall + timedelta(seconds=wait))
    assert limiter.headers(elapsed, wall) == expected


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
halves = st.integers(0, 2**33).map(lambda n: n + 0.5e-6)  # halfway between two microseconds, where rounding differs


@given(st.one_of(st.floats(0, 2**33), halves, st.sampled_from([0.0, 0.5e-6, 1.5e-6, 2.5e-6, 1_764_900_000.0000005])))
def test_wall_time_in_microseconds_rounds_as_datetime_does(seconds: float) -> None:
    assert wall_microseconds(seconds) == (datetime.fromtimestamp(seconds, UTC) - EPOCH) // timedelta(microseconds=1)
