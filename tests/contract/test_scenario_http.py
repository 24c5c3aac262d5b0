"""Every scenario key on the wire: what a plain HTTP client sees, byte for byte where it matters.

The SDK's view of the same keys is in test_scenario_sdk.py; this file checks statuses, headers and bodies
with nothing in between. Regenerate the golden files with ``MOCKGW_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mockgw.core.clock import FakeClock
from mockgw.faces.anthropic.wire.errors import default_message
from mockgw.testing import MockGateway
from tests.conftest import GatewayFactory, RawResponse, body, http_call

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def post(gw: MockGateway, payload: dict[str, Any], headers: dict[str, str] | None = None) -> RawResponse:
    return http_call(gw.url + "/v1/messages", json_body=payload, headers=headers)


def text_of(response: RawResponse) -> str:
    assert response.status == 200, response.body
    return "".join(b["text"] for b in response.json()["content"] if b["type"] == "text")


def read_stream(gw: MockGateway, payload: dict[str, Any]) -> tuple[int, bytes, bool]:
    """(status, the body bytes received, whether the body ended properly) for a streamed request."""
    parts = urlsplit(gw.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("POST", "/v1/messages", body=json.dumps(payload), headers={"content-type": "application/json"})
        response = conn.getresponse()
        try:
            return response.status, response.read(), True
        except http.client.IncompleteRead as exc:
            return response.status, exc.partial, False
    finally:
        conn.close()


def events(data: bytes) -> list[str]:
    return [line.removeprefix(b"event: ").decode() for line in data.split(b"\n") if line.startswith(b"event: ")]


def check_golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("MOCKGW_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        pytest.skip(f"rewrote {name}: review the diff before committing it")
    assert data == path.read_bytes(), f"{name} changed; if that is intended, rerun with MOCKGW_UPDATE_GOLDEN=1"


# ---------------------------------------------------------------- predicates over HTTP


PREDICATE_CASES: list[tuple[dict[str, Any], dict[str, Any], dict[str, str], bool]] = [
    # (match, request body, headers, matches?)
    ({"last_user": "weather"}, body("the weather?"), {}, True),
    ({"last_user": {"regex": "^the"}}, body("a weather?"), {}, False),
    ({"model": {"regex": "sonnet"}}, body(), {}, True),
    ({"model": "claude-opus-4-1"}, body(), {}, False),
    ({"system": "pirate"}, body(system="You are a pirate."), {}, True),
    (
        {"system": "pirate"},
        body(messages=[{"role": "system", "content": "Be a pirate."}, {"role": "user", "content": "hi"}]),
        {},
        True,
    ),
    ({"tools": "get_weather"}, body(tools=[{"name": "get_weather", "input_schema": {"type": "object"}}]), {}, True),
    (
        {"tools": {"excludes": "get_weather"}},
        body(tools=[{"name": "get_weather", "input_schema": {"type": "object"}}]),
        {},
        False,
    ),
    ({"header": {"X-Test-Case": "weather"}}, body(), {"x-test-case": "weather"}, True),
    ({"header": {"x-test-case": {"regex": "^w"}}}, body(), {"X-Test-Case": "rain"}, False),
    ({"stream": False}, body(), {}, True),
    ({"turn": {"gte": 2}}, body(), {}, False),
]


@pytest.mark.parametrize(("match", "payload", "headers", "matches"), PREDICATE_CASES)
def test_predicates_over_http(
    gateway: GatewayFactory, match: dict[str, Any], payload: dict[str, Any], headers: dict[str, str], matches: bool
) -> None:
    gw = gateway({"rules": [{"name": "the-rule", "match": match, "reply": "matched"}]})
    response = post(gw, payload, headers)
    if matches:
        assert text_of(response) == "matched"
        assert gw.journal.last.rule == "the-rule"
    else:
        assert response.status == 400
        assert "the-rule: " in response.json()["error"]["message"]


def test_tool_result_matches_by_the_name_of_the_tool_it_answers(gateway: GatewayFactory) -> None:
    gw = gateway(
        {
            "rules": [
                {
                    "match": {"tool_result": {"name": "get_weather", "contains": "21"}},
                    "reply": "It is {{ request.tool_result }}.",
                },
                {"match": {"tool_result": True}, "reply": "some other tool"},
                {"reply": "no tool result"},
            ]
        }
    )

    def loop(name: str, result: str) -> dict[str, Any]:
        return body(
            messages=[
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": name, "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": result}]},
            ]
        )

    assert text_of(post(gw, loop("get_weather", "21°C"))) == "It is 21°C."
    assert text_of(post(gw, loop("get_weather", "rain"))) == "some other tool"
    assert text_of(post(gw, loop("get_time", "21:00"))) == "some other tool"
    assert text_of(post(gw, body("weather?"))) == "no tool result"


# ---------------------------------------------------------------- no rule matches


def test_no_match_is_a_400_naming_the_nearest_rules_and_is_not_retried(gateway: GatewayFactory) -> None:
    gw = gateway(
        {
            "rules": [
                {"name": "weather", "match": {"last_user": "weather"}, "reply": "a"},
                {"name": "opus-weather", "match": {"last_user": "weather", "model": "claude-opus-4-1"}, "reply": "b"},
            ]
        }
    )
    response = post(gw, body("hello"))
    assert response.status == 400
    assert response.headers["x-should-retry"] == "false"
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()
    assert error["type"] == "error" and error["request_id"] == response.headers["request-id"]
    assert error["error"] == {
        "type": "invalid_request_error",
        "message": "mockgw: no rule matched this request. Nearest: "
        "weather: last_user.contains: 'hello' does not contain 'weather' | "
        "opus-weather: last_user.contains: 'hello' does not contain 'weather'; "
        "model.equals: 'claude-sonnet-4-5' is not 'claude-opus-4-1'",
    }
    assert gw.journal.last.unmatched


# ---------------------------------------------------------------- error


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (402, "billing_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (408, "timeout_error"),
        (413, "request_too_large"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (503, "overloaded_error"),
        (504, "timeout_error"),
        (529, "overloaded_error"),
        (418, "invalid_request_error"),  # not in the API's table: by class
        (599, "api_error"),
    ],
)
def test_error_status_gives_the_type_and_message_by_default(
    gateway: GatewayFactory, status: int, error_type: str
) -> None:
    gw = gateway({"rules": [{"error": {"status": status}}]})
    response = post(gw, body())
    assert response.status == status
    assert response.json() == {
        "type": "error",
        "error": {"type": error_type, "message": default_message(error_type)},
        "request_id": response.headers["request-id"],
    }
    assert response.headers["request-id"].startswith("req_")
    assert "x-should-retry" not in response.headers  # only when asked


def test_error_shorthand_is_a_status(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"error": 503}]})
    assert post(gw, body()).status == 503


def test_error_type_and_message_can_be_given(gateway: GatewayFactory) -> None:
    gw = gateway(
        {
            "rules": [
                {
                    "error": {
                        "status": 400,
                        "type": "invalid_request_error",
                        "message": "prompt is too long: 210000 tokens > 200000 maximum",
                    }
                }
            ]
        }
    )
    assert post(gw, body()).json()["error"] == {
        "type": "invalid_request_error",
        "message": "prompt is too long: 210000 tokens > 200000 maximum",
    }


def test_retry_after_sets_the_retry_after_headers(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"error": {"status": 529, "retry_after": 2.5}}]})
    headers = post(gw, body()).headers
    assert (headers["retry-after"], headers["retry-after-ms"]) == ("3", "2500")
    assert headers["anthropic-ratelimit-requests-remaining"] != "0"  # exhausted only on a 429


def test_rate_limit_carries_retry_after_and_the_rate_limit_headers(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"error": {"status": 429, "retry_after": 20}}]})
    headers = post(gw, body()).headers
    assert headers["retry-after"] == "20"
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        assert int(headers[f"anthropic-ratelimit-{kind}-limit"]) > 0
        assert headers[f"anthropic-ratelimit-{kind}-remaining"] == "0"
        assert headers[f"anthropic-ratelimit-{kind}-reset"].endswith("Z")  # RFC 3339


def test_rate_limit_without_retry_after_says_one_second(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"error": 429}]})
    assert post(gw, body()).headers["retry-after"] == "1"


def test_error_extra_headers_are_sent(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"error": {"status": 429, "headers": {"x-custom": "yes", "retry-after": "60"}}}]})
    headers = post(gw, body()).headers
    assert headers["x-custom"] == "yes"
    assert headers["retry-after"] == "60"  # given headers win over the computed ones


def test_error_headers_may_replace_the_content_type_but_not_the_framing(gateway: GatewayFactory) -> None:
    # A proxy's error page, say: the body stays the error JSON, the headers say what the scenario says.
    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": "3"}
    gw = gateway({"rules": [{"error": {"status": 502, "headers": headers}}]})
    response = post(gw, body())
    assert response.status == 502
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert int(response.headers["content-length"]) == len(response.body) > 3
    assert response.json()["error"]["type"] == "api_error"


@pytest.mark.parametrize(("should_retry", "header"), [(True, "true"), (False, "false")])
def test_should_retry_sets_x_should_retry(gateway: GatewayFactory, should_retry: bool, header: str) -> None:
    gw = gateway({"rules": [{"error": {"status": 500, "should_retry": should_retry}}]})
    assert post(gw, body()).headers["x-should-retry"] == header


# ---------------------------------------------------------------- fault


def test_mid_stream_error_golden_bytes(gateway: GatewayFactory) -> None:
    gw = gateway(
        {
            "rules": [
                {
                    "reply": "An answer cut short by an overload.",
                    "timing": {"chunk_chars": 8},
                    "fault": {"after_events": 5, "error": {"type": "overloaded_error"}},
                }
            ]
        },
        seed=7,
    )
    status, data, complete = read_stream(gw, body(stream=True))
    assert (status, complete) == (200, True)  # HTTP 200 and a well-ended body: the error is an event
    assert events(data) == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "error",
    ]
    assert data.endswith(
        b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    )
    check_golden("fault-overloaded.sse", data)


def test_mid_stream_disconnect_closes_the_connection_without_message_stop(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"reply": "dropped", "fault": {"after_events": 3, "disconnect": True}}]})
    status, data, complete = read_stream(gw, body(stream=True))
    assert (status, complete) == (200, False)
    assert events(data) == ["message_start", "content_block_start", "ping"]
    assert gw.journal.last.error == "disconnected"


def test_after_events_zero_sends_only_the_error_event(gateway: GatewayFactory) -> None:
    gw = gateway(
        {"rules": [{"reply": "x", "fault": {"after_events": 0, "error": {"type": "api_error", "message": "boom"}}}]}
    )
    status, data, _ = read_stream(gw, body(stream=True))
    assert status == 200
    assert data == b'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"boom"}}\n\n'


def test_a_fault_without_reply_streams_filler_text(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"fault": {"after_events": 4, "disconnect": True}}]})
    _, data, complete = read_stream(gw, body(stream=True))
    assert not complete
    assert events(data)[-1] == "content_block_delta"


@pytest.mark.parametrize(
    ("error_type", "status"),
    [("overloaded_error", 529), ("api_error", 500), ("rate_limit_error", 429), ("something_new", 500)],
)
def test_non_streamed_mid_stream_error_is_an_http_error_of_its_type(
    gateway: GatewayFactory, error_type: str, status: int
) -> None:
    gw = gateway({"rules": [{"reply": "x", "fault": {"after_events": 3, "error": {"type": error_type}}}]})
    response = post(gw, body())
    assert response.status == status
    assert response.json()["error"]["type"] == error_type


def test_non_streamed_disconnect_drops_the_connection_unanswered(gateway: GatewayFactory) -> None:
    gw = gateway(
        {"rules": [{"sequence": [{"reply": "x", "fault": {"after_events": 3, "disconnect": True}}, {"reply": "ok"}]}]}
    )
    with pytest.raises(http.client.RemoteDisconnected):
        post(gw, body())
    assert gw.journal.last.error == "disconnected (fault)"
    assert text_of(post(gw, body())) == "ok"  # the server keeps serving after a dropped connection


@pytest.mark.parametrize("fault", [{"stall_ms": 4000}, {"delay_ms": 4000}])
def test_non_streamed_stall_or_delay_waits_then_answers(gateway: GatewayFactory, fault: dict[str, float]) -> None:
    clock = FakeClock()
    gw = gateway({"rules": [{"reply": "late", "fault": fault}]}, clock=clock)
    assert text_of(post(gw, body())) == "late"
    assert clock.sleeps == [4.0]


def test_stall_sends_headers_then_the_stream_on_a_fake_clock(gateway: GatewayFactory) -> None:
    clock = FakeClock()
    gw = gateway({"rules": [{"reply": "abc", "fault": {"stall_ms": 30000}}]}, clock=clock)
    status, data, complete = read_stream(gw, body(stream=True))
    assert (status, complete) == (200, True)
    assert events(data)[:3] == ["message_start", "ping", "ping"]  # keepalives through the stall, every 10 s
    assert events(data)[-1] == "message_stop"
    assert clock.sleeps == [10.0, 10.0, 10.0]


# ---------------------------------------------------------------- sequence, times, sessions, reset


def test_sequence_and_then_cycle_over_http(gateway: GatewayFactory) -> None:
    gw = gateway(
        {
            "rules": [
                {"match": {"last_user": "flaky"}, "sequence": [{"error": 529}, {"reply": "Recovered."}]},
                {"match": {"last_user": "cycle"}, "then": "cycle", "sequence": [{"reply": "a"}, {"reply": "b"}]},
            ]
        }
    )
    assert [post(gw, body("flaky")).status for _ in range(3)] == [529, 200, 200]
    assert [text_of(post(gw, body("cycle"))) for _ in range(3)] == ["a", "b", "a"]


def test_times_then_the_next_rule(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"name": "first", "times": 2, "reply": "limited"}, {"reply": "after"}]})
    assert [text_of(post(gw, body())) for _ in range(3)] == ["limited", "limited", "after"]


@pytest.mark.parametrize("header", ["x-mockgw-session", "X-Claude-Code-Session-Id"])
def test_sessions_are_told_apart_by_header(gateway: GatewayFactory, header: str) -> None:
    gw = gateway({"rules": [{"sequence": [{"error": 529}, {"reply": "ok"}]}]})
    assert post(gw, body(), {header: "a"}).status == 529
    assert post(gw, body(), {header: "a"}).status == 200
    assert post(gw, body(), {header: "b"}).status == 529  # a new session starts over
    assert post(gw, body()).status == 529  # so does the default session
    assert gw.journal.last.session == "default"
    assert gw.journal[0].session == "a"


def test_reset_all_sessions(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"times": 1, "reply": "once"}, {"reply": "again"}]})
    for session in ("a", "b"):
        assert text_of(post(gw, body(), {"x-mockgw-session": session})) == "once"
    gw.reset()
    assert len(gw.journal) == 0
    for session in ("a", "b"):
        assert text_of(post(gw, body(), {"x-mockgw-session": session})) == "once"


def test_reset_one_session(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"times": 1, "reply": "once"}, {"reply": "again"}]})
    for session in ("a", "b"):
        post(gw, body(), {"x-mockgw-session": session})
    gw.reset("a")
    assert [e.session for e in gw.journal] == ["b"]
    assert text_of(post(gw, body(), {"x-mockgw-session": "a"})) == "once"
    assert text_of(post(gw, body(), {"x-mockgw-session": "b"})) == "again"


# ---------------------------------------------------------------- templates over HTTP


def test_templates_read_the_request(gateway: GatewayFactory) -> None:
    text = "{{ request.model }} turn {{ request.turn }}: {{ request.last_user }} from {{ request.headers['x-user'] }}"
    tool_input = {"said": "{{ request.last_user }}", "n": 1}
    gw = gateway({"rules": [{"reply": [{"text": text}, {"tool_use": {"name": "echo", "input": tool_input}}]}]})
    content = post(gw, body("ping"), {"X-User": "Ada"}).json()["content"]
    assert content[0]["text"] == "claude-sonnet-4-5 turn 1: ping from Ada"
    assert content[1]["input"] == {"said": "ping", "n": 1}


def test_faker_text_repeats_for_the_same_seed_over_http(gateway: GatewayFactory) -> None:
    scenario = {"rules": [{"reply": "{{ faker.sentence }} {{ faker.name }}"}]}
    texts = [text_of(post(gateway(scenario, seed=seed), body())) for seed in (5, 5, 6)]
    assert texts[0] == texts[1] != texts[2]
