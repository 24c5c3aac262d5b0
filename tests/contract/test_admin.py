"""The admin API under ``/_mockgw/``: journal, reset, scenario (read and switch at runtime), state, token.

Every call goes over HTTP as a frontend team's tooling (curl, the inspector page) would make it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockgw.faces.anthropic.batches import DEFAULT_MAX_BATCHES
from mockgw.faces.anthropic.batches import DEFAULT_MAX_STORE_BYTES as DEFAULT_MAX_BATCH_STORE_BYTES
from mockgw.faces.anthropic.files import DEFAULT_MAX_FILES
from mockgw.faces.anthropic.files import DEFAULT_MAX_STORE_BYTES as DEFAULT_MAX_FILE_STORE_BYTES
from mockgw.faces.anthropic.threads import DEFAULT_MAX_THREAD_BYTES, DEFAULT_MAX_THREADS
from mockgw.scenario.loader import load_scenarios
from mockgw.server.app import create_app
from mockgw.server.state import GatewayConfig
from tests.conftest import RawResponse, body, http_call

SCENARIO = {
    "name": "admin-test",
    "rules": [
        {"name": "greet", "match": {"last_user": {"contains": "hello"}}, "reply": "Hi there."},
        {"name": "limited", "match": {"last_user": {"contains": "busy"}}, "error": {"status": 429}},
        {"name": "steps", "match": {"last_user": {"contains": "step"}}, "sequence": [{"reply": "1"}, {"reply": "2"}]},
    ],
}
YAML = {"content-type": "application/yaml"}
GOOD_YAML = b"""\
name: switched
rules:
  - name: new-rule
    reply: From the new scenario.
"""
BAD_YAML = b"""\
name: broken
rules:
  - match: {last_usr: hello}
    reply: never served
  - reply: [{text: fine}, {colour: red}]
    times: zero
"""


def admin(url: str, path: str, method: str = "GET", **kwargs: Any) -> RawResponse:
    return http_call(f"{url}/_mockgw/{path}", method, **kwargs)


def send(url: str, text: str, session: str = "default", **headers: str) -> RawResponse:
    return http_call(f"{url}/v1/messages", json_body=body(text), headers={"x-mockgw-session": session, **headers})


def error_of(response: RawResponse) -> tuple[int, str, str]:
    data = response.json()
    assert data["type"] == "error" and data["request_id"] == response.headers["request-id"]
    return response.status, data["error"]["type"], data["error"]["message"]


@pytest.fixture
def url(gateway) -> str:
    """A running gateway serving SCENARIO, with three requests in its journal from two sessions."""
    gw = gateway(SCENARIO)
    send(gw.url, "hello", "alice", **{"x-api-key": "sk-secret-key"})
    send(gw.url, "busy?", "bob")
    send(gw.url, "hello again", "bob")
    return gw.url


# ---------------------------------------------------------------- health and requests


def test_health_says_ok(url: str) -> None:
    response = admin(url, "health")
    assert (response.status, response.json()["status"]) == (200, "ok")


def test_requests_lists_the_journal_oldest_first(url: str) -> None:
    data = admin(url, "requests").json()
    assert (data["count"], data["total"]) == (3, 3)
    entries = data["data"]
    assert [(e["seq"], e["session"], e["rule"], e["status"]) for e in entries] == [
        (1, "alice", "greet", 200),
        (2, "bob", "limited", 429),
        (3, "bob", "greet", 200),
    ]
    first = entries[0]
    assert first["body"]["messages"] == [{"role": "user", "content": "hello"}]
    assert set(first) >= {"method", "path", "headers", "model", "stream", "events", "error", "duration_ms", "time"}


def test_requests_never_show_credentials(url: str) -> None:
    first = admin(url, "requests").json()["data"][0]
    assert first["headers"]["x-api-key"] == "[redacted]"
    assert "sk-secret-key" not in json.dumps(first)


@pytest.mark.parametrize(
    ("query", "seqs"),
    [
        ("session=bob", [2, 3]),
        ("rule=greet", [1, 3]),
        ("status=429", [2]),
        ("status=2xx", [1, 3]),
        ("limit=2", [2, 3]),
        ("after=1", [2, 3]),
        ("session=bob&rule=greet", [3]),
        ("session=nobody", []),
        ("rule=greet&limit=1", [3]),
    ],
)
def test_requests_filters(url: str, query: str, seqs: list[int]) -> None:
    data = admin(url, f"requests?{query}").json()
    assert [e["seq"] for e in data["data"]] == seqs
    assert (data["count"], data["total"]) == (len(seqs), 3)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit: must be at least 1, got 0"),
        ("limit=all", "limit: expected a whole number, got 'all'"),
        ("status=teapot", "status: expected a status like 429 or a class like 4xx, got 'teapot'"),
        ("after=-1", "after: must be at least 0, got -1"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(url: str, query: str, message: str) -> None:
    assert error_of(admin(url, f"requests?{query}")) == (400, "invalid_request_error", message)


def test_admin_calls_are_not_journaled(url: str) -> None:
    for path in ("health", "requests", "state", "scenario", "scenarios"):
        admin(url, path)
    admin(url, "scenario", "PUT", body=json.dumps(SCENARIO).encode())
    assert admin(url, "requests").json()["total"] == 3


# ---------------------------------------------------------------- reset and state

# No message thread is held (these tests send none), within the default bounds.
NO_THREADS = {"held": 0, "bytes": 0, "max_held": DEFAULT_MAX_THREADS, "max_bytes": DEFAULT_MAX_THREAD_BYTES}
NO_FILES = {"held": 0, "bytes": 0, "max_held": DEFAULT_MAX_FILES, "max_bytes": DEFAULT_MAX_FILE_STORE_BYTES}
NO_BATCHES = {"held": 0, "bytes": 0, "max_held": DEFAULT_MAX_BATCHES, "max_bytes": DEFAULT_MAX_BATCH_STORE_BYTES}


def test_state_shows_each_sessions_rule_uses_and_the_unused_rules(url: str) -> None:
    send(url, "step", "alice")
    assert admin(url, "state").json() == {
        "scenario": "admin-test",
        "sessions": {
            "alice": {
                "state": "start",
                "requests": 2,
                "uses": {"greet": 1, "steps": 1},
                "sequence_steps": {"steps": 1},
            },
            "bob": {"state": "start", "requests": 2, "uses": {"greet": 1, "limited": 1}, "sequence_steps": {}},
        },
        "dropped_sessions": 0,
        "unused_rules": [],
        "threads": NO_THREADS,
        "files": NO_FILES,
        "batches": NO_BATCHES,
    }


def test_reset_forgets_journal_and_state(url: str) -> None:
    response = admin(url, "reset", "POST")
    assert response.json() == {"reset": "all", "session": None}
    assert admin(url, "requests").json()["total"] == 0
    assert admin(url, "state").json()["sessions"] == {}


@pytest.mark.parametrize(
    ("path", "payload"),
    [("reset", {"json_body": {"session": "bob"}}), ("reset?session=bob", {})],
    ids=["body", "query"],
)
def test_reset_of_one_session_keeps_the_others(url: str, path: str, payload: dict[str, Any]) -> None:
    response = admin(url, path, "POST", **payload)
    assert response.json() == {"reset": "session", "session": "bob"}
    assert [e["session"] for e in admin(url, "requests").json()["data"]] == ["alice"]
    assert list(admin(url, "state").json()["sessions"]) == ["alice"]


def test_a_sequence_starts_over_after_reset(url: str) -> None:
    assert send(url, "step").json()["content"][0]["text"] == "1"
    assert send(url, "step").json()["content"][0]["text"] == "2"
    admin(url, "reset?session=default", "POST")
    assert send(url, "step").json()["content"][0]["text"] == "1"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{", "the body is not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b'{"sesion": "bob"}', 'the body is {} or {"session": "NAME"}'),
        (b'{"session": 7}', "session: expected a string"),
    ],
)
def test_a_bad_reset_body_is_a_400(url: str, raw: bytes, message: str) -> None:
    assert error_of(admin(url, "reset", "POST", body=raw)) == (400, "invalid_request_error", message)
    assert admin(url, "requests").json()["total"] == 3  # nothing was reset


# ---------------------------------------------------------------- scenario


def test_get_scenario_returns_its_name_and_json_form(url: str) -> None:
    data = admin(url, "scenario").json()
    assert data["name"] == "admin-test"
    assert [r["name"] for r in data["scenario"]["rules"]] == ["greet", "limited", "steps"]
    assert data["scenario"]["rules"][0]["reply"] == [{"text": "Hi there."}]


def test_a_scenario_read_can_be_put_back_unchanged(gateway) -> None:
    gw = gateway("weather")
    before = admin(gw.url, "scenario").json()["scenario"]
    response = admin(gw.url, "scenario", "PUT", json_body=before)
    assert response.status == 200
    assert response.json()["scenario"] == before
    assert gw.scenario == load_scenarios(["weather"])


@pytest.mark.parametrize("content_type", ["application/yaml", "text/yaml", "application/x-www-form-urlencoded"])
def test_put_yaml_switches_the_scenario(url: str, content_type: str) -> None:
    response = admin(url, "scenario", "PUT", body=GOOD_YAML, headers={"content-type": content_type})
    assert response.status == 200
    assert (response.json()["name"], response.json()["rules"]) == ("switched", 1)
    assert send(url, "hello").json()["content"][0]["text"] == "From the new scenario."


def test_put_resets_rule_state_and_keeps_the_journal(url: str) -> None:
    admin(url, "scenario", "PUT", body=GOOD_YAML, headers=YAML)
    assert admin(url, "state").json() == {
        "scenario": "switched",
        "sessions": {},
        "dropped_sessions": 0,
        "unused_rules": ["new-rule"],
        "threads": NO_THREADS,
        "files": NO_FILES,
        "batches": NO_BATCHES,
    }
    assert admin(url, "requests").json()["total"] == 3


def test_put_json_switches_the_scenario(url: str) -> None:
    scenario = {"rules": [{"name": "json-rule", "reply": "From JSON."}]}
    response = admin(url, "scenario", "PUT", json_body=scenario)
    assert response.json()["name"] == "uploaded"  # a scenario that names itself nothing
    assert send(url, "hello").json()["content"][0]["text"] == "From JSON."


def test_a_bad_yaml_scenario_is_refused_with_every_problem_and_the_old_one_stays(url: str) -> None:
    response = admin(url, "scenario", "PUT", body=BAD_YAML, headers=YAML)
    status, kind, message = error_of(response)
    assert (status, kind) == (400, "invalid_request_error")
    assert message.startswith("mockgw: scenario not loaded (3 problems); the previous scenario is still served.\n")
    assert "<PUT /_mockgw/scenario>:3: rules[0].match: unknown key 'last_usr' (did you mean 'last_user'?)" in message
    assert response.json()["problems"] == [
        {"line": 3, "path": "rules[0].match", "message": "unknown key 'last_usr' (did you mean 'last_user'?)"},
        {
            "line": 5,
            "path": "rules[1].reply",
            "message": "a reply block has exactly one of the keys text, thinking, redacted_thinking, tool_use, "
            "server_tool_use, web_search_tool_result, json, web_fetch_tool_result, code_execution_tool_result, "
            "bash_code_execution_tool_result, text_editor_code_execution_tool_result, tool_search_tool_result, "
            "mcp_tool_use, mcp_tool_result, container_upload, compaction; got ['colour']",
        },
        {
            "line": 6,
            "path": "rules[1].times",
            "message": "Input should be a valid integer, unable to parse string as an integer (got 'zero')",
        },
    ]
    assert admin(url, "scenario").json()["name"] == "admin-test"
    assert send(url, "hello").json()["content"][0]["text"] == "Hi there."


def test_a_bad_json_scenario_lists_problems_without_lines(url: str) -> None:
    response = admin(url, "scenario", "PUT", json_body={"rules": [{"reply": "x", "tims": 2}]})
    assert response.status == 400
    assert response.json()["problems"] == [
        {"line": None, "path": "rules[0]", "message": "unknown key 'tims' (did you mean 'times'?)"}
    ]


@pytest.mark.parametrize(
    ("raw", "headers", "message"),
    [
        (b"", {}, "the body is empty: send a scenario as YAML or JSON"),
        (b"{'rules': []}", {"content-type": "application/json"}, "the body is not JSON: Expecting property name"),
        (b"\xff\xfe", {}, "the body is not UTF-8 text"),
    ],
    ids=["empty", "malformed-json", "not-utf8"],
)
def test_an_unreadable_scenario_body_is_a_400(url: str, raw: bytes, headers: dict[str, str], message: str) -> None:
    status, kind, text = error_of(admin(url, "scenario", "PUT", body=raw, headers=headers))
    assert (status, kind) == (400, "invalid_request_error")
    assert text.startswith(message)


def test_a_bundled_scenario_is_switched_to_by_name(url: str) -> None:
    listing = admin(url, "scenarios").json()
    assert listing["current"] == "admin-test"
    assert "weather" in [s["name"] for s in listing["data"]]
    response = admin(url, "scenario?bundled=weather", "PUT")
    assert (response.status, response.json()["name"]) == (200, "weather")


def test_an_unknown_bundled_name_is_a_400_listing_the_known_ones(url: str) -> None:
    status, _, message = error_of(admin(url, "scenario?bundled=../secrets", "PUT"))
    assert status == 400
    assert message.startswith("bundled: no bundled scenario '../secrets' (bundled: ")
    assert "weather" in message


def test_an_unknown_admin_path_is_an_anthropic_404(url: str) -> None:
    assert error_of(admin(url, "nope")) == (404, "not_found_error", "Not found: GET /_mockgw/nope")


# ---------------------------------------------------------------- the admin token

TOKEN = "admin-token-123"
ADMIN_CALLS = [
    ("GET", "/_mockgw/health"),
    ("GET", "/_mockgw/requests"),
    ("POST", "/_mockgw/reset"),
    ("GET", "/_mockgw/scenario"),
    ("PUT", "/_mockgw/scenario?bundled=hello"),
    ("GET", "/_mockgw/scenarios"),
    ("GET", "/_mockgw/state"),
]


@pytest.fixture
async def guarded(aiohttp_client):
    """A client of a gateway started with ``--admin-token TOKEN``."""
    config = GatewayConfig(scenario=load_scenarios(["hello"]), admin_token=TOKEN)
    return await aiohttp_client(create_app(config))


@pytest.mark.parametrize(("method", "path"), ADMIN_CALLS)
@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong"}, {"x-mockgw-admin-token": "wrong"}, {"x-api-key": TOKEN}],
    ids=["none", "wrong-bearer", "wrong-header", "as-api-key"],
)
async def test_with_a_token_every_admin_call_without_it_is_a_401(guarded, method, path, headers) -> None:
    response = await guarded.request(method, path, headers=headers)
    data = await response.json()
    assert response.status == 401
    assert data["error"] == {
        "type": "authentication_error",
        "message": "mockgw: the admin API needs the admin token "
        "(Authorization: Bearer <token> or x-mockgw-admin-token)",
    }


@pytest.mark.parametrize(("method", "path"), ADMIN_CALLS)
@pytest.mark.parametrize(
    "headers",
    [{"authorization": f"Bearer {TOKEN}"}, {"x-mockgw-admin-token": TOKEN}],
    ids=["bearer", "header"],
)
async def test_with_a_token_every_admin_call_with_it_passes(guarded, method, path, headers) -> None:
    response = await guarded.request(method, path, headers=headers)
    assert response.status == 200, await response.text()


async def test_the_admin_token_does_not_guard_the_model_api(guarded) -> None:
    response = await guarded.post("/v1/messages", json=body("hello"))
    assert response.status == 200
    assert (await guarded.get("/health")).status == 200  # the container healthcheck needs no token
