"""Named session states in the inspector (issue 15): each session's state, the state a request was answered
in and the state its answer moved the session to, and a state mismatch named in the near-miss report. In
headless Chromium; requests go through the official Python SDK.
"""

from __future__ import annotations

from cdp import Page
from test_inspector import ask, open_inspector, wait_rows
from test_inspector_why import LIST, shot, show

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
