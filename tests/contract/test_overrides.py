"""Per-request override headers: ``x-mockgw-status``, ``x-mockgw-rule``, ``x-mockgw-delay-ms``.

For ad-hoc tests ("what does my app do on a 529?") without writing a scenario. Checked through the official
SDK, which is how an application would meet them; off with ``--no-overrides``.
"""

from __future__ import annotations

import time

import anthropic
import pytest

from mockgw.core.clock import FakeClock
from mockgw.scenario.loader import load_scenario_data
from mockgw.server.app import create_app
from mockgw.server.state import GatewayConfig
from tests.conftest import body, http_call

MODEL = "claude-sonnet-4-6"
RATE_LIMITED = "Number of request tokens has exceeded your per-minute rate limit"
STATUS_RANGE = "x-mockgw-status: expected an error status from 400 to 599"
DELAY_RANGE = "x-mockgw-delay-ms: expected whole milliseconds from 0 to 600000"
SCENARIO = {
    "rules": [
        {"name": "greet", "match": {"last_user": {"contains": "hello"}}, "reply": "Hello!"},
        {"name": "secret", "match": {"header": {"x-never": "sent"}}, "reply": "The forced answer, streamed or not."},
        {"name": "counted", "match": {"header": {"x-never": "sent"}}, "sequence": [{"reply": "one"}, {"reply": "two"}]},
    ]
}


@pytest.fixture
def gw(gateway):
    return gateway(SCENARIO)


def client_for(url: str) -> anthropic.Anthropic:
    # No retries: the test looks at the one answer the header asked for.
    return anthropic.Anthropic(base_url=url, api_key="sk-test", max_retries=0)


def create(url: str, text: str = "hello", stream: bool = False, **headers: str) -> str:
    client = client_for(url)
    kwargs = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": text}]}
    if stream:
        with client.messages.stream(**kwargs, extra_headers=headers) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(**kwargs, extra_headers=headers)
    return message.content[0].text


# ---------------------------------------------------------------- x-mockgw-status


@pytest.mark.parametrize(
    ("status", "exception", "error_type", "message"),
    [
        (429, anthropic.RateLimitError, "rate_limit_error", RATE_LIMITED),
        (529, anthropic.OverloadedError, "overloaded_error", "Overloaded"),
        (500, anthropic.InternalServerError, "api_error", "Internal server error"),
        (401, anthropic.AuthenticationError, "authentication_error", "invalid x-api-key"),
        (400, anthropic.BadRequestError, "invalid_request_error", "Invalid request"),
    ],
)  # fmt: skip
def test_status_answers_that_error_with_its_default_type_and_message(gw, status, exception, error_type, message):
    with pytest.raises(exception) as caught:
        create(gw.url, **{"x-mockgw-status": str(status)})
    assert caught.value.status_code == status
    assert caught.value.body["error"] == {"type": error_type, "message": message}


def test_status_429_carries_the_usual_rate_limit_headers(gw) -> None:
    response = http_call(f"{gw.url}/v1/messages", json_body=body(), headers={"x-mockgw-status": "429"})
    assert response.status == 429
    assert response.headers["retry-after"] == "1"
    assert response.headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert response.headers["request-id"].startswith("req_")


def test_status_is_journaled_without_a_rule(gw) -> None:
    http_call(f"{gw.url}/v1/messages", json_body=body(), headers={"x-mockgw-status": "503"})
    entry = gw.journal.last
    assert (entry.status, entry.rule, entry.error) == (503, None, "x-mockgw-status: 503")
    assert entry.headers["x-mockgw-status"] == "503"


# ---------------------------------------------------------------- x-mockgw-rule


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_rule_forces_a_rule_whose_match_does_not_hold(gw, stream: bool) -> None:
    assert create(gw.url, "hello", stream, **{"x-mockgw-rule": "secret"}) == "The forced answer, streamed or not."
    assert gw.journal.last.rule == "secret"


def test_a_forced_sequence_advances_as_if_it_had_matched(gw) -> None:
    answers = [create(gw.url, **{"x-mockgw-rule": "counted"}) for _ in range(3)]
    assert answers == ["one", "two", "two"]


def test_an_unknown_rule_is_a_400_listing_the_rules(gw) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        create(gw.url, **{"x-mockgw-rule": "secrit"})
    assert caught.value.body["error"]["message"] == (
        "x-mockgw-rule: no rule 'secrit' in this scenario (rules: greet, secret, counted)"
    )


def test_status_wins_over_rule(gw) -> None:
    with pytest.raises(anthropic.OverloadedError):
        create(gw.url, **{"x-mockgw-rule": "secret", "x-mockgw-status": "529"})
    assert gw.gateway.engine.uses("secret") == 0


# ---------------------------------------------------------------- x-mockgw-delay-ms


@pytest.mark.parametrize(
    ("headers", "answer"),
    [({}, 200), ({"x-mockgw-status": "529"}, 529)],
    ids=["reply", "error"],
)
def test_delay_waits_before_answering(gateway, headers: dict[str, str], answer: int) -> None:
    clock = FakeClock()
    gw = gateway(SCENARIO, clock=clock)
    response = http_call(
        f"{gw.url}/v1/messages", json_body=body("hello"), headers={"x-mockgw-delay-ms": "1500", **headers}
    )
    assert response.status == answer
    assert clock.sleeps == [1.5]


def test_delay_is_real_time_on_the_real_clock(gw) -> None:
    started = time.monotonic()
    assert create(gw.url, **{"x-mockgw-delay-ms": "300"}) == "Hello!"
    assert time.monotonic() - started >= 0.3


# ---------------------------------------------------------------- bad values, and overrides off


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        ("x-mockgw-status", "rate-limit", f"{STATUS_RANGE}, got 'rate-limit'"),
        ("x-mockgw-status", "200", f"{STATUS_RANGE}, got '200'"),
        ("x-mockgw-status", "600", f"{STATUS_RANGE}, got '600'"),
        ("x-mockgw-delay-ms", "-5", f"{DELAY_RANGE}, got '-5'"),
        ("x-mockgw-delay-ms", "1.5", f"{DELAY_RANGE}, got '1.5'"),
        ("x-mockgw-delay-ms", "600001", f"{DELAY_RANGE}, got '600001'"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_header(gw, header: str, value: str, message: str) -> None:
    response = http_call(f"{gw.url}/v1/messages", json_body=body(), headers={header: value})
    assert response.status == 400
    assert response.json()["error"] == {"type": "invalid_request_error", "message": message}


def test_credentials_are_checked_before_overrides(gateway) -> None:
    gw = gateway(SCENARIO, api_keys=["sk-right"])
    response = http_call(f"{gw.url}/v1/messages", json_body=body(), headers={"x-mockgw-status": "529"})
    assert response.status == 401


async def test_with_overrides_off_the_headers_are_ignored(aiohttp_client) -> None:
    config = GatewayConfig(scenario=load_scenario_data(SCENARIO), overrides=False, clock=FakeClock())
    client = await aiohttp_client(create_app(config))
    headers = {"x-mockgw-status": "529", "x-mockgw-rule": "no-such-rule", "x-mockgw-delay-ms": "not a number"}
    response = await client.post("/v1/messages", json=body("hello"), headers=headers)
    assert response.status == 200
    assert (await response.json())["content"][0]["text"] == "Hello!"
    assert config.clock.sleeps == []  # type: ignore[attr-defined]
