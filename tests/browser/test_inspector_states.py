"""Named session states in the inspector (issue 15): each session's state, the state a request was answered
in and the state its answer moved the session to, a state mismatch named in the near-miss report, and a
session downloaded from the page that replays the same answers through the same states. In headless
Chromium; requests go through the official Python SDK.
"""

from __future__ import annotations

import anthropic
from cdp import Page
from test_inspector import MODEL, ask, client, open_inspector, wait_rows
from test_inspector_why import LIST, download_session, shot, show

from mockgw.cli.main import main
from mockgw.scenario.loader import load_scenario_text
from tests.conftest import http_call

PAYMENT = {
    "name": "payment",
    "rules": [
        {
            "name": "pay",
            "match": {"last_user": {"contains": "pay"}, "state": "start"},
            "set_state": "paid",
            "reply": "Paid.",
        },
        {"name": "after-pay", "match": {"state": "paid"}, "reply": "Thanks for paying."},
    ],
}
# The detail pane's facts (request, session, state…) by their names.
META = (
    "Object.fromEntries([...document.querySelectorAll('#detail-meta dt')]"
    ".map(dt => [dt.textContent, dt.nextElementSibling.textContent]))"
)


def answer_text(url: str, text: str, session: str) -> str:
    """The answer's text, or ``HTTP <status>`` for an error answer."""
    try:
        message = client(url, session).messages.create(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": text}]
        )
    except anthropic.APIStatusError as exc:
        return f"HTTP {exc.status_code}"
    return "".join(b.text for b in message.content if b.type == "text")


def test_each_session_state_is_shown_and_follows_the_admin_api(gateway, page: Page) -> None:
    gw = gateway(PAYMENT)
    ask(gw.url, "pay", session="alice")
    ask(gw.url, "more", session="alice")
    ask(gw.url, "hello", session="bob")
    open_inspector(page, gw.url)
    wait_rows(page, 3)
    page.wait_for("document.getElementById('session-states').textContent.includes('bob')")
    assert page.text("#session-states") == "Session states: alice: paid (2 requests) · bob: start (1 request)"
    http_call(f"{gw.url}/_mockgw/state", "PUT", json_body={"session": "bob", "state": "paid"})
    # No request changed: the next live tick reads the state from GET /_mockgw/state.
    page.wait_for("document.getElementById('session-states').textContent.includes('bob: paid')")


def test_a_request_shows_the_state_it_was_answered_in_and_the_state_it_set(gateway, page: Page, tmp_path) -> None:
    gw = gateway(PAYMENT)
    ask(gw.url, "pay", session="alice")
    ask(gw.url, "more", session="alice")
    open_inspector(page, gw.url)
    wait_rows(page, 2)
    show(page, 1)
    assert page.evaluate(META)["State"] == "start → paid"
    assert page.text("#why-state") == (
        "The session alice was in state start when the rules were tried; the answer's set_state moved it to paid."
    )
    shot(page, tmp_path, "inspector-states.png", "#app")
    show(page, 2)
    assert page.evaluate(META)["State"] == "paid"
    assert page.text("#why-state").endswith("in state paid when the rules were tried; no set_state fired.")


def test_a_state_mismatch_is_named_in_the_near_miss_report(gateway, page: Page) -> None:
    gw = gateway(PAYMENT)
    ask(gw.url, "hello", session="bob")
    open_inspector(page, gw.url)
    wait_rows(page, 1)
    show(page, 1)
    page.wait_for("!document.getElementById('near-miss').hidden")
    assert page.text("#why-state") == "The session bob was in state start when the rules were tried."
    reasons = page.evaluate(LIST.format("#near-miss-list > li li"))
    assert reasons == [
        "last_user.contains: 'hello' does not contain 'pay'",
        "state: session 'bob' is in state 'start', not 'paid'",
    ]


def test_a_downloaded_session_replays_its_answers_and_its_states(gateway, page: Page, tmp_path) -> None:
    gw = gateway(PAYMENT)
    script = ["hello", "pay", "pay", "more"]
    ask_all = [answer_text(gw.url, text, "alice") for text in script]
    open_inspector(page, gw.url)
    wait_rows(page, len(script))
    show(page, 2)
    target = download_session(page, tmp_path, "alice")
    assert main(["validate", str(target)]) == 0
    replay = gateway(load_scenario_text(target.read_text(), str(target)))
    assert [answer_text(replay.url, text, "alice") for text in script] == ask_all
    journaled = [(e.state, e.set_state) for e in gw.journal]
    assert [(e.state, e.set_state) for e in replay.journal] == journaled
    assert journaled[1] == ("start", "paid")
