"""The inspector from the keyboard alone (issue 16): every control reached with Tab in the page's order,
operated with Enter or Space, the request list moved through with the arrow keys, Escape closing what
opened, the focus always visible. Keys are real key events sent over DevTools (``Input.dispatchKeyEvent``),
in headless Chromium; requests go through the official Python SDK.
"""

from __future__ import annotations

from cdp import Page
from test_inspector import ask, open_inspector, wait_rows
from test_inspector_why import SCENARIO

# What has the focus: its id, else its label (a row's button), else its tag; with the summary's text.
FOCUSED = """(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "body";
  if (el.tagName === "SUMMARY") return "summary:" + el.parentElement.id;
  return el.id || el.getAttribute("aria-label") || el.tagName.toLowerCase();
})()"""


def focused(page: Page) -> str:
    return str(page.evaluate(FOCUSED))


def tab_to(page: Page, target: str, limit: int = 60) -> list[str]:
    """Press Tab until ``target`` has the focus; every stop on the way, in order."""
    stops = []
    for _ in range(limit):
        page.press("Tab")
        stops.append(focused(page))
        if stops[-1] == target:
            return stops
    raise AssertionError(f"Tab never reached {target!r}; stops: {stops}")


def detail_title(page: Page) -> str:
    return page.text("#detail-title")


def test_tab_reaches_every_control_in_order_and_the_list_is_one_stop(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    for text in ("hello", "step", "nothing fits"):
        ask(gw.url, text)
    open_inspector(page, gw.url)
    wait_rows(page, 3)
    page.evaluate("document.activeElement.blur()")
    stops = tab_to(page, "Show request 3")
    assert stops == [
        "live-toggle",
        "session-filter",
        "reset",
        "download-session",
        "rule-filter",
        "status-filter",
        "face-filter",
        "text-filter",
        "bundled-select",
        "summary:yaml-panel",
        "Show request 3",
    ]  # Load is disabled until a bundled scenario is chosen; the list is one stop (its newest row)
    page.press("Tab")
    assert not focused(page).startswith("Show request")


def test_arrow_keys_move_through_the_list_and_enter_shows_a_request(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    for text in ("hello", "step", "nothing fits"):
        ask(gw.url, text)
    open_inspector(page, gw.url)
    wait_rows(page, 3)
    page.focus("#requests tbody tr[data-seq='3'] button")
    page.press("Enter")
    page.wait_for("document.getElementById('detail-title').textContent === 'Request 3'")
    page.press("ArrowDown")
    assert (detail_title(page), focused(page)) == ("Request 2", "Show request 2")
    page.press("End")
    assert (detail_title(page), focused(page)) == ("Request 1", "Show request 1")
    page.press("ArrowDown")  # at the end it stays
    assert detail_title(page) == "Request 1"
    page.press("Home")
    assert (detail_title(page), focused(page)) == ("Request 3", "Show request 3")
    page.press("ArrowUp")
    assert detail_title(page) == "Request 3"
    # The chosen row is the list's one Tab stop, and the focus on it is drawn.
    assert page.evaluate("[...document.querySelectorAll('#requests tbody button')].map(b => b.tabIndex)") == [0, -1, -1]
    outline = page.evaluate("getComputedStyle(document.querySelector('#requests tr[data-seq=\"3\"]')).outlineStyle")
    assert outline == "solid"


def test_the_why_panel_export_and_body_work_from_the_keyboard(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    ask(gw.url, "nothing fits")
    open_inspector(page, gw.url)
    wait_rows(page, 1)
    page.focus("#requests tbody tr[data-seq='1'] button")
    page.press(" ")
    page.wait_for("document.getElementById('detail-title').textContent === 'Request 1'")

    assert tab_to(page, "summary:why-path")[0] == "summary:why-path"
    assert page.evaluate("document.getElementById('why-path').open")  # an unmatched request opens it
    page.press("Escape")
    assert not page.evaluate("document.getElementById('why-path').open")
    assert focused(page) == "summary:why-path"
    page.press("Enter")
    assert page.evaluate("document.getElementById('why-path').open")

    page.press("Tab")
    assert focused(page) == "copy-rule"
    page.press(" ")
    page.wait_for("!document.getElementById('rule-yaml').hidden")
    page.press("Tab")
    assert focused(page) == "rule-yaml"  # the rule can be read and selected from the keyboard
    page.press("Escape")
    assert page.evaluate("document.getElementById('rule-yaml').hidden")
    assert focused(page) == "copy-rule"

    tab_to(page, "summary:body-panel")
    page.press("Enter")
    assert page.evaluate("document.getElementById('body-panel').open")
    page.press("Tab")
    assert focused(page) == "detail-json"
    assert '"nothing fits"' in page.text("#detail-json")
    page.press("Escape")
    assert (page.evaluate("document.getElementById('body-panel').open"), focused(page)) == (False, "summary:body-panel")


def test_filters_and_the_scenario_box_work_from_the_keyboard(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    for text in ("hello", "step", "nothing fits"):
        ask(gw.url, text)
    open_inspector(page, gw.url)
    wait_rows(page, 3)
    page.evaluate("document.activeElement.blur()")
    tab_to(page, "text-filter")
    page.send("Input.insertText", {"text": "nothing"})
    page.press("Enter")  # at once, without waiting for the typing to pause
    assert [row[0] for row in wait_rows(page, 1)] == ["3"]
    page.press("Escape")  # a search field's own Escape empties it
    wait_rows(page, 3)

    tab_to(page, "summary:yaml-panel")
    page.press("Enter")
    assert page.evaluate("document.getElementById('yaml-panel').open")
    page.press("Tab")
    assert focused(page) == "yaml-input"
    page.press("Escape")
    assert (page.evaluate("document.getElementById('yaml-panel').open"), focused(page)) == (False, "summary:yaml-panel")


def test_only_a_change_of_connection_is_announced_not_each_poll(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    open_inspector(page, gw.url)
    regions = page.evaluate("[...document.querySelectorAll('[aria-live], [role=status], [role=alert]')].map(e => e.id)")
    assert "live" in regions and "live-updated" not in regions and "session-states" not in regions
    first = page.text("#live-updated")
    page.wait_for(f"document.getElementById('live-updated').textContent !== {first!r}", timeout=5)
    assert page.text("#live") == "Live"
    page.click("#live-toggle")
    page.wait_for("document.getElementById('live').textContent === 'Paused'")
    assert page.text("#live-updated") == ""
