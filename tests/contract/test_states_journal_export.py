"""Named session states (issue 15) in the journal and the exports (issue 16).

Each journal entry records the session's state when the rules were asked (``state``) and the state its
answer's ``set_state`` moved it to (``set_state``, null when none fired). ``GET /_mockgw/requests/{seq}/rule``
and ``GET /_mockgw/sessions/{session}/scenario`` carry them as ``match: {state: …}`` and ``set_state``, so
that replaying an exported session gives the same answers and walks through the same states. Requests go
through the official anthropic and openai SDKs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from mockgw.cli.main import main
from mockgw.scenario.loader import load_scenario_text
from mockgw.testing import MockGateway
from tests.conftest import GatewayFactory, http_call

# A checkout: paying moves the session on; a flaky step retries through a state of its own.
CHECKOUT: dict[str, Any] = {
    "name": "checkout",
    "rules": [
        {
            "name": "pay",
            "match": {"last_user": {"contains": "pay"}, "state": "start"},
            "set_state": "paid",
            "reply": "Paid.",
        },
        {"name": "pay-again", "match": {"last_user": {"contains": "pay"}, "state": "paid"}, "reply": "Already paid."},
        {
            "name": "ship",
            "match": {"last_user": {"contains": "ship"}, "state": ["paid", "retrying"]},
            "sequence": [
                {"error": {"status": 529}, "set_state": "retrying"},
                {"reply": "Shipped.", "set_state": "shipped"},
            ],
        },
        {"name": "status", "match": {"last_user": {"contains": "status"}}, "reply": "Working on it."},
    ],
}
MODEL = "claude-sonnet-4-5"


def ask(gw: MockGateway, text: str, session: str = "default") -> str:
    """The text of the answer, or ``HTTP <status>`` for an error answer."""
    client = anthropic.Anthropic(
        base_url=gw.url, api_key="k", max_retries=0, default_headers={"x-mockgw-session": session}
    )
    try:
        message = client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": text}])
    except anthropic.APIStatusError as exc:
        return f"HTTP {exc.status_code}"
    return "".join(b.text for b in message.content if b.type == "text")


def entries(gw: MockGateway, session: str = "default") -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = http_call(f"{gw.url}/_mockgw/requests?session={session}", "GET").json()["data"]
    return listed


def states(gw: MockGateway, session: str = "default") -> list[tuple[str | None, str | None]]:
    """Each request's (state it was answered in, state its answer set), oldest first."""
    return [(e["state"], e["set_state"]) for e in entries(gw, session)]


# ---------------------------------------------------------------- the journal


def test_each_entry_records_the_state_it_found_and_the_state_it_set(gateway: GatewayFactory) -> None:
    gw = gateway(CHECKOUT)
    for text in ("status", "pay", "pay", "ship", "ship", "nothing fits"):
        ask(gw, text)
    assert states(gw) == [
        ("start", None),
        ("start", "paid"),
        ("paid", None),
        ("paid", "retrying"),
        ("retrying", "shipped"),
        ("shipped", None),  # unmatched: the rules were tried in this state
    ]


def test_the_openai_face_journals_states_too(gateway: GatewayFactory) -> None:
    gw = gateway(CHECKOUT)
    chat = openai.OpenAI(base_url=f"{gw.url}/v1", api_key="k", max_retries=0)
    chat.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "pay"}])
    assert states(gw) == [("start", "paid")]


def test_a_forced_rule_records_the_state_and_its_set_state(gateway: GatewayFactory) -> None:
    gw = gateway(CHECKOUT)
    http_call(
        f"{gw.url}/v1/messages",
        json_body={"model": MODEL, "max_tokens": 8, "messages": [{"role": "user", "content": "x"}]},
        headers={"x-mockgw-rule": "pay"},
    )
    assert states(gw) == [("start", "paid")]


def test_a_request_refused_before_the_rules_records_no_state(gateway: GatewayFactory) -> None:
    gw = gateway(CHECKOUT)
    http_call(f"{gw.url}/v1/messages", json_body={"model": MODEL, "messages": []})
    assert states(gw) == [(None, None)]


# ---------------------------------------------------------------- one rule


def exported_rule(gw: MockGateway, seq: int) -> dict[str, Any]:
    rule: dict[str, Any] = http_call(f"{gw.url}/_mockgw/requests/{seq}/rule?format=json", "GET").json()["rule"]
    return rule


def test_an_exported_rule_matches_the_state_and_sets_the_state_of_its_request(gateway: GatewayFactory) -> None:
    gw = gateway(CHECKOUT)
    for text in ("pay", "ship", "ship"):
        ask(gw, text)
    first, failed, retried = (exported_rule(gw, seq) for seq in (1, 2, 3))
    assert (first["match"]["state"], first["set_state"]) == ("start", "paid")
    assert (failed["match"]["state"], failed["set_state"], failed["error"]["status"]) == ("paid", "retrying", 529)
    assert (retried["match"]["state"], retried["set_state"]) == ("retrying", "shipped")


def test_a_scenario_without_states_exports_rules_without_them(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"name": "any", "reply": "Hi."}]})
    ask(gw, "hello")
    assert "state" not in exported_rule(gw, 1)["match"]


def test_a_state_set_by_the_admin_api_is_matched_even_in_a_scenario_without_states(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"name": "any", "reply": "Hi."}]})
    gw.set_session_state("vip")
    ask(gw, "hello")
    assert exported_rule(gw, 1)["match"]["state"] == "vip"


# ---------------------------------------------------------------- a session: the round trip


def export_session(gw: MockGateway, session: str, tmp_path: Path) -> tuple[MockGateway, list[str]]:
    """The session exported as a scenario file, validated by ``mockgw validate``, and served anew."""
    response = http_call(f"{gw.url}/_mockgw/sessions/{session}/scenario", "GET")
    assert response.status == 200
    path = tmp_path / f"session-{session}.yaml"
    path.write_bytes(response.body)
    assert main(["validate", str(path)]) == 0
    notes = http_call(f"{gw.url}/_mockgw/sessions/{session}/scenario?format=json", "GET").json()["notes"]
    return MockGateway(load_scenario_text(path.read_text(), str(path))).start(), notes


@pytest.mark.parametrize(
    "script",
    [
        ["status", "pay", "pay", "ship", "ship", "status", "ship"],
        ["ship", "pay", "ship", "nothing fits", "ship", "pay"],
    ],
)
def test_a_replayed_session_gives_the_same_answers_and_walks_the_same_states(
    gateway: GatewayFactory, tmp_path: Path, script: list[str]
) -> None:
    gw = gateway(CHECKOUT)
    answers = [ask(gw, text, session="alice") for text in script]
    ask(gw, "pay", session="bob")  # another session's state must not leak into alice's export
    replay, notes = export_session(gw, "alice", tmp_path)
    try:
        assert [ask(replay, text, session="alice") for text in script] == answers
        assert states(replay, "alice") == states(gw, "alice")
        assert replay.session_state("alice") == gw.session_state("alice")
    finally:
        replay.close()
    assert notes == []


def test_a_session_put_in_a_state_before_its_first_request_starts_there_on_replay(
    gateway: GatewayFactory, tmp_path: Path
) -> None:
    gw = gateway(CHECKOUT)
    gw.set_session_state("paid", session="carol")
    script = ["pay", "ship", "ship"]
    answers = [ask(gw, text, session="carol") for text in script]
    assert answers == ["Already paid.", "HTTP 529", "Shipped."]
    replay, _ = export_session(gw, "carol", tmp_path)
    try:
        assert [ask(replay, text, session="carol") for text in script] == answers
        assert states(replay, "carol") == states(gw, "carol")
    finally:
        replay.close()


def test_a_state_set_mid_session_by_the_admin_api_is_noted(gateway: GatewayFactory, tmp_path: Path) -> None:
    gw = gateway(CHECKOUT)
    ask(gw, "status", session="dave")
    gw.set_session_state("paid", session="dave")
    ask(gw, "pay", session="dave")
    replay, notes = export_session(gw, "dave", tmp_path)
    replay.close()
    assert notes == [
        "request 2 found the session in state 'paid', which no rule set (the admin API or set_session_state "
        "did): put the session in 'paid' before it when replaying"
    ]
