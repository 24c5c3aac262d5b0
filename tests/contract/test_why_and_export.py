"""Why a request got its answer, and the journal exported back into rules.

Each journal entry keeps its decision path (``why``): every rule tried before the one that answered, with the
predicates that failed. ``GET /_mockgw/requests/{seq}/rule`` turns one request into a rule that matches it
and gives the answer it got; ``GET /_mockgw/sessions/{session}/scenario`` turns a whole session into a
scenario file that ``mockgw validate`` accepts and that replays the session. Requests go through the real
anthropic and openai SDKs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from mockgw.cli.main import main
from mockgw.core.engine import TRIED_KEPT
from mockgw.core.matching import Miss, misses
from mockgw.scenario.export import TODO_REPLY
from mockgw.scenario.loader import load_scenario_text
from mockgw.testing import MockGateway
from tests.conftest import GatewayFactory, RawResponse, body, http_call

SCENARIO: dict[str, Any] = {
    "name": "why-test",
    "rules": [
        {"name": "weather", "match": {"last_user": {"contains": "weather"}, "turn": 1}, "reply": "Sunny."},
        {"name": "greet", "match": {"last_user": {"contains": "hello"}, "stream": True}, "reply": "Hi, streamed."},
        {"name": "greet-plain", "match": {"last_user": {"contains": "hello"}}, "reply": "Hi there."},
        {"name": "busy", "match": {"last_user": {"contains": "busy"}}, "error": {"status": 429}},
        {
            "name": "steps",
            "match": {"last_user": {"contains": "step"}},
            "sequence": [{"reply": "one"}, {"reply": "two"}],
        },
    ],
}


def client(gw: MockGateway, session: str = "default") -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=gw.url, api_key="k", max_retries=0, default_headers={"x-mockgw-session": session}
    )


def ask(gw: MockGateway, text: str, session: str = "default") -> str:
    """The text of the answer, or ``HTTP <status>`` for an error answer."""
    try:
        message = client(gw, session).messages.create(
            model="claude-sonnet-4-5", max_tokens=64, messages=[{"role": "user", "content": text}]
        )
    except anthropic.APIStatusError as exc:
        return f"HTTP {exc.status_code}"
    return "".join(b.text for b in message.content if b.type == "text")


def admin(gw: MockGateway, path: str) -> RawResponse:
    return http_call(f"{gw.url}/_mockgw/{path}", "GET")


def why_of(gw: MockGateway) -> dict[str, Any]:
    entry = admin(gw, "requests").json()["data"][-1]
    why: dict[str, Any] = entry["why"]
    return why


# ---------------------------------------------------------------- the decision path


def test_the_journal_lists_each_rule_tried_before_the_one_that_answered(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    assert ask(gw, "hello there") == "Hi there."
    why = why_of(gw)
    assert why["matched"] == "greet-plain" and not why["forced"]
    assert [(t["rule"], t["index"], [m["predicate"] for m in t["misses"]]) for t in why["tried"]] == [
        ("weather", 0, ["last_user.contains"]),
        ("greet", 1, ["stream"]),
    ]
    assert why["request"]["last_user"] == "hello there" and why["request"]["turn"] == 1


def test_an_unmatched_request_records_every_rule_and_why_it_failed(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    assert ask(gw, "nothing fits") == "HTTP 400"
    why = why_of(gw)
    assert why["matched"] is None and why["rule_count"] == len(SCENARIO["rules"])
    assert [t["rule"] for t in why["tried"]] == [r["name"] for r in SCENARIO["rules"]]
    greet = why["tried"][1]["misses"]
    assert [m["predicate"] for m in greet] == ["last_user.contains", "stream"]
    assert "does not contain 'hello'" in greet[0]["reason"]


def test_a_used_up_rule_is_tried_and_says_so(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"name": "once", "reply": "first", "times": 1}, {"name": "after", "reply": "later"}]})
    ask(gw, "a")
    assert ask(gw, "a") == "later"
    (tried,) = why_of(gw)["tried"]
    assert tried["rule"] == "once" and tried["misses"][0]["predicate"] == "times"


def test_a_forced_rule_is_marked_forced(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    forced = http_call(f"{gw.url}/v1/messages", json_body=body("anything"), headers={"x-mockgw-rule": "busy"})
    assert forced.status == 429
    why = why_of(gw)
    assert why["matched"] == "busy" and why["forced"] and why["tried"] == []


def test_the_decision_path_is_bounded_however_many_rules_fail(gateway: GatewayFactory) -> None:
    rules = [{"name": f"r{i}", "match": {"last_user": {"equals": f"x{i}"}}, "reply": "no"} for i in range(100)]
    gw = gateway({"rules": [*rules, {"name": "last", "reply": "yes"}]})
    assert ask(gw, "hello") == "yes"
    why = why_of(gw)
    assert len(why["tried"]) == TRIED_KEPT and why["more_tried"] == 100 - TRIED_KEPT


def test_why_is_worked_out_when_the_journal_is_read_not_when_the_request_is_answered(
    gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    worked_out: list[str] = []

    def counting(match: Any, request: Any, facts: Any = None) -> list[Miss]:
        found = misses(match, request, facts)
        worked_out.append(repr(found))
        return found

    monkeypatch.setattr("mockgw.core.engine.misses", counting)
    gw = gateway(SCENARIO)
    assert ask(gw, "hello there") == "Hi there."
    assert worked_out == []  # answered: no reason built
    assert why_of(gw)["tried"][1]["misses"] == [{"predicate": "stream", "reason": "request has stream=false"}]
    assert len(worked_out) == 2  # read: one per rule tried
    assert why_of(gw)["tried"][0]["rule"] == "weather"
    assert len(worked_out) == 2  # made once, then kept


def test_a_request_refused_before_any_rule_has_no_decision_path(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    response = http_call(f"{gw.url}/v1/messages", json_body={"model": "claude-sonnet-4-5", "messages": []})
    assert response.status == 400
    assert why_of_last(gw) is None
    refused = admin(gw, "requests/1/rule")
    assert refused.status == 409 and "before any rule was asked" in refused.json()["error"]["message"]


def why_of_last(gw: MockGateway) -> Any:
    return admin(gw, "requests").json()["data"][-1]["why"]


# ---------------------------------------------------------------- one request as a rule


def served(scenario_yaml: str, gateway: GatewayFactory) -> MockGateway:
    return gateway(load_scenario_text(scenario_yaml, "<export>"))


@pytest.mark.parametrize(
    ("text", "answer"),
    [("hello", "Hi there."), ("what weather?", "Sunny."), ("I am busy", "HTTP 429")],
)
def test_an_exported_rule_matches_its_request_and_gives_its_answer(
    gateway: GatewayFactory, text: str, answer: str
) -> None:
    gw = gateway(SCENARIO)
    assert ask(gw, text) == answer
    exported = admin(gw, "requests/1/rule")
    assert exported.status == 200 and exported.headers["content-type"].startswith("application/yaml")
    replay = served(exported.body.decode(), gateway)
    assert ask(replay, text) == answer
    assert ask(replay, "something else") == "HTTP 400"  # the rule matches that request, not every request


def test_a_sequence_step_exports_the_answer_that_step_gave(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    assert [ask(gw, "step"), ask(gw, "step")] == ["one", "two"]
    assert ask(served(admin(gw, "requests/2/rule").body.decode(), gateway), "step") == "two"


def test_an_unmatched_request_exports_the_rule_that_was_missing(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    assert ask(gw, "nothing fits") == "HTTP 400"
    text = admin(gw, "requests/1/rule").body.decode()
    assert "No rule matched this request" in text
    assert ask(served(text, gateway), "nothing fits") == TODO_REPLY


def test_a_long_message_is_matched_by_an_excerpt(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"reply": "ok"}]})
    long_text = "Please summarise: " + "lorem ipsum dolor " * 300
    ask(gw, long_text)
    data = admin(gw, "requests/1/rule?format=json").json()["rule"]
    assert set(data["match"]["last_user"]) == {"contains"} and len(data["match"]["last_user"]["contains"]) < 200
    assert ask(served(admin(gw, "requests/1/rule").body.decode(), gateway), long_text) == "ok"


def test_a_rule_exported_from_the_openai_face_names_the_face(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    oa = openai.OpenAI(base_url=f"{gw.url}/v1", api_key="k", max_retries=0)

    def chat(target: openai.OpenAI) -> str | None:
        done = target.chat.completions.create(
            model="claude-sonnet-4-5", messages=[{"role": "user", "content": "hello"}]
        )
        return done.choices[0].message.content

    assert chat(oa) == "Hi there."
    text = admin(gw, "requests/1/rule").body.decode()
    assert "openai-chat" in text
    replay = served(text, gateway)
    assert chat(openai.OpenAI(base_url=f"{replay.url}/v1", api_key="k", max_retries=0)) == "Hi there."
    assert ask(replay, "hello") == "HTTP 400"  # the same text through the Messages API is another request


@pytest.mark.parametrize("path", ["requests/99/rule", "sessions/nobody/scenario"])
def test_exporting_what_the_journal_does_not_hold_is_a_404(gateway: GatewayFactory, path: str) -> None:
    gw = gateway(SCENARIO)
    response = admin(gw, path)
    assert response.status == 404 and response.json()["type"] == "error"


# ---------------------------------------------------------------- a session as a scenario


def test_a_session_exports_to_a_scenario_that_validates_and_replays_it(gateway: GatewayFactory, tmp_path: Path) -> None:
    gw = gateway(SCENARIO)
    script = ["hello", "step", "what weather?", "step", "step", "I am busy", "nothing fits", "hello"]
    answers = [ask(gw, text, session="s1") for text in script]
    ask(gw, "weather in another session", session="s2")
    exported = admin(gw, "sessions/s1/scenario")
    assert exported.status == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="session-s1.yaml"'
    path = tmp_path / "session-s1.yaml"
    path.write_bytes(exported.body)
    assert main(["validate", str(path)]) == 0

    replay = served(exported.body.decode(), gateway)
    assert [ask(replay, text) for text in script] == answers
    assert "another session" not in exported.body.decode()


def test_a_session_export_leaves_out_refused_requests_and_says_so(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    http_call(f"{gw.url}/v1/messages", json_body={"model": "claude-sonnet-4-5", "messages": []})
    http_call(f"{gw.url}/v1/messages", json_body=body("hello"))
    data = admin(gw, "sessions/default/scenario?format=json").json()
    assert [r["name"] for r in data["scenario"]["rules"]] == ["request-2"]
    assert len(data["notes"]) == 1 and data["notes"][0].startswith("request 1: answered before any rule")
