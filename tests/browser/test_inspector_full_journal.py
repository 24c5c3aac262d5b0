"""The inspector with a full journal (1,000 requests, the default bound): only the rows in view are in the
DOM, the whole list still scrolls, searches and is reached from the keyboard, and live updates keep working
while the journal rolls over. Structural checks only: how quick it is, measured, is in docs/admin.md
(bench/inspector.py), never asserted here (the machine is noisy).
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from cdp import Page
from test_inspector import open_inspector
from test_inspector_why import show

from mockgw.core.journal import DEFAULT_JOURNAL_SIZE

SCENARIO = {"name": "full", "rules": [{"name": "odd", "match": {"last_user": {"contains": "odd"}}, "reply": "Odd."}]}
ROWS = "document.querySelectorAll('#requests tbody tr').length"


def fill(url: str, count: int, start: int = 0) -> None:
    """``count`` requests over one kept-alive connection: ``request N`` (odd ones answered, even ones not)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        for n in range(start, start + count):
            text = f"request {n} {'odd' if n % 2 else 'even'}"
            body = {"model": "claude-haiku-4-5", "max_tokens": 8, "messages": [{"role": "user", "content": text}]}
            conn.request("POST", "/v1/messages", json.dumps(body), {"content-type": "application/json"})
            conn.getresponse().read()
    finally:
        conn.close()


def test_a_full_journal_draws_only_the_rows_in_view(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    fill(gw.url, DEFAULT_JOURNAL_SIZE)
    open_inspector(page, gw.url)
    page.wait_for(f"document.getElementById('count').textContent === '({DEFAULT_JOURNAL_SIZE})'", timeout=30)
    drawn = page.evaluate(ROWS)
    assert 10 <= drawn <= 60
    assert page.evaluate("document.querySelector('#requests tbody tr').dataset.seq") == str(DEFAULT_JOURNAL_SIZE)

    # The scroll bar is the whole list's: at its end, the oldest request is drawn, and still only a window.
    page.evaluate("(() => { const w = document.querySelector('.table-wrap'); w.scrollTop = w.scrollHeight; })()")
    page.wait_for("document.querySelector('#requests tbody tr[data-seq=\"1\"]') !== null")
    assert page.evaluate(ROWS) <= 60

    # A search reaches every entry held, drawn or not.
    page.type("#text-filter", "request 7 odd")
    page.press("Enter")
    page.wait_for(f"{ROWS} === 1")
    assert page.evaluate("document.querySelector('#requests tbody tr').dataset.seq") == "8"


def test_the_keyboard_reaches_the_oldest_request_of_a_full_journal(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    fill(gw.url, DEFAULT_JOURNAL_SIZE)
    open_inspector(page, gw.url)
    page.wait_for(f"document.getElementById('count').textContent === '({DEFAULT_JOURNAL_SIZE})'", timeout=30)
    page.focus(f"#requests tbody tr[data-seq='{DEFAULT_JOURNAL_SIZE}'] button")
    page.press("End")
    page.wait_for("document.getElementById('detail-title').textContent === 'Request 1'")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Show request 1"
    assert page.evaluate(ROWS) <= 60
    page.press("PageUp")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") != "Show request 1"


def test_live_updates_roll_a_full_journal_and_keep_the_selection(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    fill(gw.url, DEFAULT_JOURNAL_SIZE)
    open_inspector(page, gw.url)
    page.wait_for(f"document.getElementById('count').textContent === '({DEFAULT_JOURNAL_SIZE})'", timeout=30)
    show(page, DEFAULT_JOURNAL_SIZE - 2)
    fill(gw.url, 3, start=DEFAULT_JOURNAL_SIZE)
    newest = DEFAULT_JOURNAL_SIZE + 3
    page.wait_for(f"document.querySelector('#requests tbody tr').dataset.seq === '{newest}'")
    assert page.text("#count") == f"({DEFAULT_JOURNAL_SIZE})"  # the oldest rolled off as the newest came in
    assert page.text("#detail-title") == f"Request {DEFAULT_JOURNAL_SIZE - 2}"
    assert page.evaluate(ROWS) <= 60


def test_a_list_scrolled_down_keeps_its_rows_when_new_requests_come_in(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    fill(gw.url, 300)
    open_inspector(page, gw.url)
    page.wait_for("document.getElementById('count').textContent === '(300)'", timeout=30)
    page.evaluate("document.querySelector('.table-wrap').scrollTop = 3000")
    # The first row under the header, inside the list's view (null until the rows for it are drawn).
    top_row = """(() => {
      const view = document.querySelector('.table-wrap').getBoundingClientRect();
      const head = view.top + document.querySelector('#requests thead').getBoundingClientRect().height;
      const row = [...document.querySelectorAll('#requests tbody tr')].find((tr) => {
        const top = tr.getBoundingClientRect().top;
        return top >= head - 1 && top < view.bottom;
      });
      return row ? row.dataset.seq : null;
    })()"""
    seen = page.wait_for(top_row)
    fill(gw.url, 5, start=300)
    page.wait_for(
        "document.querySelector('#requests tbody tr') && document.getElementById('count').textContent === '(305)'"
    )
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert page.evaluate(top_row) == seen
