"""The inspector page at /_mockgw/ui, used as a person would: in a real headless Chromium.

Requests are sent with the official Python SDK while the page is open; the page must show them live, show a
request's body and events, reset, switch scenario, explain a refused one, and work behind the admin token.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anthropic
from cdp import Page

from mockgw.scenario.loader import load_scenario_data
from mockgw.server.state import GatewayConfig
from mockgw.server.ui import CONTENT_SECURITY_POLICY

MODEL = "claude-haiku-4-5"
SCENARIO = {
    "name": "inspector-test",
    "rules": [
        {"name": "greet", "match": {"last_user": {"contains": "hello"}}, "reply": "Hi there."},
        {"name": "limited", "match": {"last_user": {"contains": "busy"}}, "error": {"status": 429}},
        {"name": "fallback", "reply": "Ask me something."},
    ],
}
TOKEN = "inspector-s3cret"
ROOT = Path(__file__).resolve().parents[2]
ROWS = "document.querySelectorAll('#requests tbody tr')"
# Each row as the text of its cells: #, time, session, model, rule, status, duration, streamed.
ROW_CELLS = f"[...{ROWS}].map(tr => [...tr.cells].map(td => td.textContent))"


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    """A plain GET, straight to the server (no proxy from the environment): status, headers, body."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def client(url: str, session: str = "default") -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=url, api_key="sk-test", max_retries=0, default_headers={"x-mockgw-session": session}
    )


def ask(url: str, text: str, session: str = "default", **kwargs: Any) -> None:
    """One request through the SDK; an API error is part of what the test wants to see, not a failure."""
    with contextlib.suppress(anthropic.APIStatusError):
        client(url, session).messages.create(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": text}], **kwargs
        )


def open_inspector(page: Page, url: str) -> None:
    page.goto(f"{url}/_mockgw/ui")
    page.wait_for("document.getElementById('live').textContent.startsWith('Live')")


def wait_rows(page: Page, count: int) -> list[list[str]]:
    """The table's rows (newest first) once there are ``count`` of them."""
    page.wait_for(f"{ROWS}.length === {count}")
    rows: list[list[str]] = page.evaluate(ROW_CELLS)
    return rows


def scenario_name(url: str) -> str:
    name: str = json.loads(get(f"{url}/_mockgw/scenario")[2])["name"]
    return name


# ---------------------------------------------------------------- served by the gateway (no browser)


def test_the_page_is_served_as_html_that_may_fetch_only_its_own_origin(gateway) -> None:
    status, headers, page = get(f"{gateway(SCENARIO).url}/_mockgw/ui")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "connect-src 'self'" in CONTENT_SECURITY_POLICY and "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert b"<title>mockgw inspector</title>" in page
    # No resource from anywhere else: no CDN script, stylesheet or font.
    assert b"http://" not in page and b"https://" not in page


def test_with_an_admin_token_the_page_needs_none_but_the_api_still_does(serve) -> None:
    server = serve(GatewayConfig(scenario=load_scenario_data(SCENARIO, "<test>"), admin_token=TOKEN))
    assert get(f"{server.url}/_mockgw/ui")[0] == 200
    assert get(f"{server.url}/_mockgw/requests")[0] == 401
    assert get(f"{server.url}/_mockgw/ui/../requests")[0] == 401


def test_the_built_wheel_carries_the_page(tmp_path: Path) -> None:
    # Offline, like tests/unit/test_container_files.py: the build backend comes from the test environment.
    build = [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*build, "-w", str(tmp_path)], check=True, capture_output=True, timeout=120)
    [wheel] = tmp_path.glob("mockgw-*.whl")
    page = "mockgw/server/ui/inspector.html"
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(page) == (ROOT / page).read_bytes()


# ---------------------------------------------------------------- in Chromium


def test_the_page_loads_with_no_errors_and_fetches_nothing_but_its_own_origin(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    open_inspector(page, gw.url)
    page.wait_for("document.getElementById('bundled-select').options.length > 1")
    assert page.errors == []
    assert page.requests and all(url.startswith(f"{gw.url}/_mockgw/") for url in page.requests), page.requests
    headers = page.evaluate("[...document.querySelectorAll('#requests thead th[scope=col]')].map(th => th.textContent)")
    assert headers == ["#", "Time", "Session", "Model", "Rule", "Status", "Duration", "Streamed"]
    assert page.text("#empty").startswith("No requests yet")


def test_until_the_journal_answers_the_page_says_it_is_loading_not_that_there_are_no_requests(
    gateway, page: Page
) -> None:
    gw = gateway(SCENARIO)
    ask(gw.url, "hello")  # there is a request: "No requests yet" would be false
    # The journal's answers are held back (blocked in the browser) until the test lets them through.
    page.send("Network.setBlockedURLs", {"urls": ["*/_mockgw/requests*"]})
    page.goto(f"{gw.url}/_mockgw/ui")
    page.wait_for("document.getElementById('live').textContent.startsWith('Cannot reach mockgw')")
    assert page.text("#empty") == "Loading requests…"
    assert page.evaluate("document.getElementById('requests-card').getAttribute('aria-busy')") == "true"

    page.send("Network.setBlockedURLs", {"urls": []})
    assert [r[4] for r in wait_rows(page, 1)] == ["greet"]  # the page retries on its own
    assert page.evaluate("document.getElementById('requests-card').hasAttribute('aria-busy')") is False


def test_an_empty_journal_once_loaded_says_no_requests_yet_and_where_to_point_the_app(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    open_inspector(page, gw.url)
    page.wait_for("document.getElementById('empty').innerText.startsWith('No requests yet')")
    assert page.text("#empty") == f"No requests yet. Point your app at {gw.url}"


def test_requests_sent_while_the_page_is_open_appear_with_their_rule_and_status(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    open_inspector(page, gw.url)
    ask(gw.url, "hello there", session="alice")
    ask(gw.url, "busy?", session="bob")
    rows = wait_rows(page, 2)
    assert [(r[0], r[2], r[3], r[4], r[5]) for r in rows] == [  # newest first
        ("2", "bob", MODEL, "limited", "429"),
        ("1", "alice", MODEL, "greet", "200"),
    ]
    assert all(r[6].endswith(" ms") for r in rows)
    assert page.errors == []


def test_clicking_a_row_shows_the_request_body_and_the_events_sent(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    with client(gw.url).messages.stream(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hello, streamed"}]
    ) as stream:
        stream.get_final_message()
    open_inspector(page, gw.url)
    wait_rows(page, 1)
    page.click("#requests tbody tr td.rule")
    page.wait_for("!document.getElementById('detail-body').hidden")
    shown = json.loads(page.evaluate("document.getElementById('detail-json').textContent"))
    assert shown == gw.journal.last.body
    assert shown["messages"] == [{"role": "user", "content": "hello, streamed"}] and shown["stream"] is True
    events = page.evaluate("[...document.querySelectorAll('#detail-events li')].map(li => li.textContent)")
    assert events[0] == "message_start" and events[-1] == "message_stop"
    assert any(e.startswith("content_block_delta") for e in events)
    assert page.text("#detail-title") == "Request 1"
    assert page.evaluate("document.getElementById('detail-thread').hidden")  # not a message thread
    assert page.evaluate("document.getElementById('detail-notes').hidden")  # sent as scripted


def test_a_thread_continue_shows_what_was_sent_and_the_whole_conversation(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    thread = client(gw.url).beta.messages.thread(model=MODEL, max_tokens=64)
    first = thread.send({"role": "user", "content": "hello"})
    thread.send({"role": "user", "content": "and again"})
    open_inspector(page, gw.url)
    wait_rows(page, 2)

    page.click("#requests tbody tr td.rule")  # the newest row: the continue
    page.wait_for("!document.getElementById('detail-thread').hidden")

    sent = json.loads(page.evaluate("document.getElementById('detail-json').textContent"))
    whole = json.loads(page.evaluate("document.getElementById('detail-thread-json').textContent"))
    assert sent["messages"] == [{"role": "user", "content": "and again"}]
    assert [m["role"] for m in whole] == ["user", "assistant", "user"]
    assert whole == gw.journal.last.thread["messages"]
    note = page.text("#detail-thread-note")
    assert note.startswith(f"This request continues {first.id}; its reply is held as msg_")


def test_what_the_answer_changed_of_the_script_is_listed(gateway, page: Page) -> None:
    gw = gateway({"rules": [{"name": "thoughtful", "reply": [{"thinking": "Hmm."}, {"text": "Done."}]}]})
    client(gw.url).messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    open_inspector(page, gw.url)
    wait_rows(page, 1)
    page.click("#requests tbody tr td.rule")
    page.wait_for("!document.getElementById('detail-notes').hidden")
    notes = page.evaluate("[...document.querySelectorAll('#detail-notes-list li')].map(li => li.textContent)")
    assert notes == gw.journal.last.notes and notes[0].startswith("thinking left out")


def test_a_large_thread_conversation_left_out_of_the_listing_is_fetched_when_shown(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    thread = client(gw.url).beta.messages.thread(model=MODEL, max_tokens=64)
    thread.send({"role": "user", "content": "hello " + "x" * 20_000})
    thread.send({"role": "user", "content": "and again"})
    open_inspector(page, gw.url)
    wait_rows(page, 2)

    page.click("#requests tbody tr td.rule")
    page.wait_for("document.getElementById('detail-thread-json').textContent.startsWith('[')")

    whole = json.loads(page.evaluate("document.getElementById('detail-thread-json').textContent"))
    assert whole == gw.journal.last.thread["messages"] and len(whole) == 3


def test_a_request_can_be_chosen_from_the_keyboard_and_keeps_the_focus_as_rows_arrive(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    ask(gw.url, "hello")
    open_inspector(page, gw.url)
    wait_rows(page, 1)
    page.focus("#requests tbody tr button")
    page.press_enter()
    page.wait_for("document.getElementById('detail-title').textContent === 'Request 1'")
    ask(gw.url, "busy")  # a new row arrives, above the chosen one
    wait_rows(page, 2)
    focused = "document.activeElement.closest('tr')?.dataset.seq"
    assert page.evaluate(focused) == "1"
    assert page.evaluate("document.querySelector('#requests tr[aria-current=true]').dataset.seq") == "1"


def test_a_request_in_flight_is_shown_pending_then_with_its_answer(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    open_inspector(page, gw.url)
    # Held for 3 s by the delay override: long enough for a poll (every second) to catch it in flight.
    sender = threading.Thread(
        target=ask, args=(gw.url, "hello"), kwargs={"extra_headers": {"x-mockgw-delay-ms": "3000"}}
    )
    sender.start()
    try:
        page.wait_for(f"{ROWS}.length === 1 && {ROWS}[0].querySelector('.status').textContent === '…'")
        page.wait_for(f"{ROWS}[0].querySelector('.status').textContent === '200'", timeout=8)
    finally:
        sender.join(10)
    assert wait_rows(page, 1)[0][4] == "greet"


def test_user_data_is_shown_as_text_never_as_markup(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    markup = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b>"
    ask(gw.url, markup, session="<i>s</i>")
    open_inspector(page, gw.url)
    [row] = wait_rows(page, 1)
    assert row[2] == "<i>s</i>"
    page.click("#requests tbody tr td.session")
    page.wait_for("!document.getElementById('detail-body').hidden")
    shown = json.loads(page.evaluate("document.getElementById('detail-json').textContent"))
    assert shown["messages"][0]["content"] == markup
    assert page.evaluate("document.querySelectorAll('main img, main b, main i').length") == 0
    assert page.evaluate("document.title") == "mockgw inspector"


def test_reset_empties_the_table_and_the_journal(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    open_inspector(page, gw.url)
    ask(gw.url, "hello", session="alice")
    ask(gw.url, "hello", session="bob")
    wait_rows(page, 2)
    assert page.text("#reset") == "Reset all"
    page.click("#reset")
    wait_rows(page, 0)
    assert len(gw.journal) == 0
    assert page.text("#empty").startswith("No requests yet")


def test_reset_with_a_session_filter_forgets_only_that_session(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    ask(gw.url, "hello", session="alice")
    ask(gw.url, "hello", session="bob")
    open_inspector(page, gw.url)
    wait_rows(page, 2)
    page.type("#session-filter", "alice")
    assert [r[2] for r in wait_rows(page, 1)] == ["alice"]
    assert page.text("#reset") == "Reset session alice"
    page.click("#reset")
    wait_rows(page, 0)
    assert [e.session for e in gw.journal] == ["bob"]
    assert page.text("#empty") == "No requests from session alice."
    page.type("#session-filter", "")
    assert [r[2] for r in wait_rows(page, 1)] == ["bob"]


def test_a_reset_made_elsewhere_empties_the_table_too(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    open_inspector(page, gw.url)
    ask(gw.url, "hello")
    ask(gw.url, "hello")
    wait_rows(page, 2)
    gw.reset()
    wait_rows(page, 0)
    ask(gw.url, "busy")  # and the page keeps following the journal
    assert [r[4] for r in wait_rows(page, 1)] == ["limited"]


def test_switching_to_a_bundled_scenario_serves_it(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    open_inspector(page, gw.url)
    page.wait_for("[...document.getElementById('bundled-select').options].some(o => o.value === 'weather')")
    page.select("#bundled-select", "weather")
    assert "get_weather" in page.text("#scenario-description")
    page.click("#load-bundled")
    page.wait_for("document.getElementById('current-scenario').textContent === 'weather'")
    assert scenario_name(gw.url) == "weather"
    assert page.text("#scenario-result").startswith("Now serving weather")


SELECTED = "document.getElementById('bundled-select').value"


def test_the_scenario_list_preselects_the_bundled_scenario_served(gateway, page: Page) -> None:
    gw = gateway("weather")
    open_inspector(page, gw.url)
    page.wait_for("document.getElementById('bundled-select').options.length > 1")
    assert page.evaluate(SELECTED) == "weather"
    assert page.text("#current-scenario") == "weather"
    assert "get_weather" in page.text("#scenario-description")


def test_a_scenario_served_that_is_not_bundled_preselects_none_of_them(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    open_inspector(page, gw.url)
    page.wait_for("document.getElementById('bundled-select').options.length > 1")
    assert page.evaluate(SELECTED) == ""
    assert page.text("#bundled-select option:checked") == "Choose a bundled scenario…"
    assert page.evaluate("document.getElementById('load-bundled').disabled") is True  # nothing to load yet
    page.select("#bundled-select", "weather")
    assert page.evaluate("document.getElementById('load-bundled').disabled") is False


def test_the_scenario_list_follows_a_switch_to_a_pasted_scenario(gateway, page: Page) -> None:
    gw = gateway("weather")
    open_inspector(page, gw.url)
    page.wait_for(f"{SELECTED} === 'weather'")
    page.click("#yaml-panel summary")
    page.type("#yaml-input", "name: pasted\nrules:\n  - reply: From the page.\n")
    page.click("#load-yaml")
    page.wait_for("document.getElementById('current-scenario').textContent === 'pasted'")
    assert page.evaluate(SELECTED) == ""  # weather is no longer served, so it is no longer preselected


def test_a_scenario_pasted_as_yaml_is_served(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    open_inspector(page, gw.url)
    page.click("#yaml-panel summary")
    page.type("#yaml-input", "name: pasted\nrules:\n  - reply: From the page.\n")
    page.click("#load-yaml")
    page.wait_for("document.getElementById('current-scenario').textContent === 'pasted'")
    assert scenario_name(gw.url) == "pasted"


def test_the_current_scenario_copied_into_the_box_loads_back_unchanged(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    before = json.loads(get(f"{gw.url}/_mockgw/scenario")[2])["scenario"]
    open_inspector(page, gw.url)
    page.click("#yaml-panel summary")
    page.click("#copy-current")
    page.wait_for("document.getElementById('yaml-input').value.includes('inspector-test')")
    page.click("#load-yaml")
    page.wait_for("document.getElementById('scenario-result').textContent.startsWith('Now serving inspector-test')")
    assert json.loads(get(f"{gw.url}/_mockgw/scenario")[2])["scenario"] == before


def test_a_bad_scenario_shows_its_problems_and_the_old_one_stays(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    open_inspector(page, gw.url)
    page.click("#yaml-panel summary")
    page.type("#yaml-input", "name: broken\nrules:\n  - match: {last_usr: hello}\n    reply: never\n")
    page.click("#load-yaml")
    page.wait_for("document.querySelectorAll('#problems li').length === 1")
    assert page.text("#scenario-result").startswith("Scenario refused (1 problem); the previous one is still served.")
    assert page.text("#problems li") == "line 3, rules[0].match: unknown key 'last_usr' (did you mean 'last_user'?)"
    assert scenario_name(gw.url) == "inspector-test"
    assert page.text("#current-scenario") == "inspector-test"


def test_with_an_admin_token_the_page_asks_for_it_and_works_once_given(serve, page: Page) -> None:
    server = serve(GatewayConfig(scenario=load_scenario_data(SCENARIO, "<test>"), admin_token=TOKEN))
    ask(server.url, "hello")
    page.goto(f"{server.url}/_mockgw/ui")
    page.wait_for("!document.getElementById('token-panel').hidden")
    assert page.evaluate("document.getElementById('app').inert") is True

    page.type("#token-input", "wrong")
    page.click("#token-submit")
    page.wait_for("!document.getElementById('token-error').hidden")
    assert page.text("#token-error") == "That token was refused."

    page.type("#token-input", TOKEN)
    page.click("#token-submit")
    page.wait_for("document.getElementById('token-panel').hidden")
    assert [r[4] for r in wait_rows(page, 1)] == ["greet"]
    assert page.evaluate("sessionStorage.getItem('mockgw.adminToken')") == TOKEN
    page.click("#reset")  # a call that changes something works with the token too
    wait_rows(page, 0)
    assert len(server.gateway.journal) == 0
    assert page.text("#forget-token") == "Forget token"
