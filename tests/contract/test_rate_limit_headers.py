"""``anthropic-ratelimit-*`` headers on every Anthropic answer (200, 4xx, streams), counting down within a
window on the gateway's clock, their limits scriptable with ``rate_limits:``; exhausted on a 429."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import anthropic
import pytest

from mockgw.core.clock import FakeClock
from mockgw.testing import MockGateway
from tests.conftest import GatewayFactory, body, http_call

KINDS = ("requests", "tokens", "input-tokens", "output-tokens")
LIMITED = {
    "rate_limits": {"requests": 5, "input_tokens": 1000, "output_tokens": 200, "window_seconds": 10},
    "rules": [
        {"match": {"header": {"x-test": "limited"}}, "error": {"status": 429, "retry_after": 3}},
        {"reply": "Twelve chars"},
    ],
}


def limits(headers: dict[str, str]) -> dict[str, tuple[int, int, datetime]]:
    """Each kind's (limit, remaining, reset), failing if a header is missing or malformed."""
    out = {}
    for kind in KINDS:
        prefix = f"anthropic-ratelimit-{kind}-"
        reset = datetime.fromisoformat(headers[prefix + "reset"])
        assert reset.tzinfo is not None and headers[prefix + "reset"].endswith("Z")
        out[kind] = (int(headers[prefix + "limit"]), int(headers[prefix + "remaining"]), reset)
    return out


def post(gw: MockGateway, **extra: object) -> dict[str, str]:
    return http_call(f"{gw.url}/v1/messages", json_body=body("hi", **extra)).headers


def test_every_answer_carries_the_headers_and_they_count_down(gateway: GatewayFactory) -> None:
    gw = gateway(LIMITED)
    first, second = limits(post(gw)), limits(post(gw, stream=True))
    assert first["requests"][:2] == (5, 4) and second["requests"][:2] == (5, 3)
    assert first["input-tokens"][0] == 1000 and first["output-tokens"][0] == 200
    assert first["tokens"][0] == 1200  # not set: input + output
    # "Twelve chars" is 3 output tokens; the request's input is counted by the documented 4-chars rule.
    assert first["output-tokens"][1] == 197 and second["output-tokens"][1] == 194
    used_in = 1000 - first["input-tokens"][1]
    assert used_in > 0 and second["input-tokens"][1] == 1000 - 2 * used_in
    assert first["tokens"][1] == 1200 - used_in - 3
    assert first["requests"][2] > datetime.now(UTC)


@pytest.mark.parametrize(
    ("path", "payload", "status"),
    [
        ("/v1/messages", {"model": "m"}, 400),  # the API's own validation error
        ("/v1/messages/count_tokens", {"model": "m", "messages": [{"role": "user", "content": "hi"}]}, 200),
        ("/v1/models", None, 200),
    ],
    ids=["invalid", "count_tokens", "models"],
)
def test_errors_and_other_endpoints_carry_them_too(
    gateway: GatewayFactory, path: str, payload: object, status: int
) -> None:
    gw = gateway(LIMITED)
    response = http_call(f"{gw.url}{path}", "POST" if payload else "GET", json_body=payload)
    assert response.status == status
    assert limits(response.headers)["requests"][:2] == (5, 4)


def test_remaining_stays_at_zero_past_the_limit_and_nothing_is_refused(gateway: GatewayFactory) -> None:
    gw = gateway(LIMITED)
    for _ in range(7):
        response = http_call(f"{gw.url}/v1/messages", json_body=body("hi"))
    assert response.status == 200
    assert limits(response.headers)["requests"][:2] == (5, 0)


def test_a_new_window_starts_when_the_last_one_is_over_on_the_gateways_clock() -> None:
    clock = FakeClock()
    with MockGateway(LIMITED, clock=clock) as gw:
        post(gw)
        assert limits(post(gw))["requests"][1] == 3
        asyncio.run(clock.sleep(9.5))
        assert limits(post(gw))["requests"][1] == 2  # same window
        asyncio.run(clock.sleep(1))
        assert limits(post(gw))["requests"][1] == 4  # 10.5 s after the first: a new window


def test_reset_starts_a_new_window(gateway: GatewayFactory) -> None:
    gw = gateway(LIMITED)
    post(gw)
    post(gw)
    gw.reset()
    assert limits(post(gw))["requests"][1] == 4


def test_a_429_reports_every_limit_exhausted_until_its_retry_after(gateway: GatewayFactory) -> None:
    gw = gateway(LIMITED)
    before = datetime.now(UTC)
    response = http_call(f"{gw.url}/v1/messages", json_body=body("hi"), headers={"x-test": "limited"})
    assert response.status == 429
    for limit, remaining, reset in limits(response.headers).values():
        assert remaining == 0 and limit > 0
        assert 2 <= (reset - before).total_seconds() <= 5  # retry_after 3 s, in whole seconds


def test_a_scenarios_own_header_wins(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"error": {"status": 429, "headers": {"anthropic-ratelimit-requests-limit": "7"}}}]})
    headers = post(gw)
    assert headers["anthropic-ratelimit-requests-limit"] == "7"
    assert headers["anthropic-ratelimit-tokens-remaining"] == "0"


def test_the_sdk_sees_them_on_plain_and_streamed_answers(gateway: GatewayFactory) -> None:
    gw = gateway(LIMITED)
    client = anthropic.Anthropic(base_url=gw.url, api_key="k", max_retries=0)
    params = {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
    raw = client.messages.with_raw_response.create(**params)  # type: ignore[arg-type]
    assert raw.headers["anthropic-ratelimit-requests-remaining"] == "4"
    assert raw.parse().content[0].type == "text"
    with client.messages.stream(**params) as stream:  # type: ignore[arg-type]
        assert stream.response.headers["anthropic-ratelimit-requests-remaining"] == "3"
        stream.get_final_message()


def test_default_limits(gateway: GatewayFactory) -> None:
    got = limits(post(gateway("hello")))
    assert {k: v[0] for k, v in got.items()} == {
        "requests": 4000,
        "tokens": 2_400_000,
        "input-tokens": 2_000_000,
        "output-tokens": 400_000,
    }


def test_admin_and_openai_answers_do_not_carry_them(gateway: GatewayFactory) -> None:
    gw = gateway("hello")
    admin = http_call(f"{gw.url}/_mockgw/requests", "GET")
    chat = http_call(
        f"{gw.url}/v1/chat/completions",
        json_body={"model": "openai/gpt-5", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert chat.status == 200
    for response in (admin, chat):
        assert not any(name.startswith("anthropic-ratelimit-") for name in response.headers)
