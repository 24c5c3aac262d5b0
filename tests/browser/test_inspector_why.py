"""The inspector as a debugger: why a request got its answer, the near-miss report of an unmatched one, a
rule copied from a request, and a session downloaded as a scenario that replays it. In headless Chromium;
requests go through the official Python SDK. Screenshots land in the test's tmp dir (and, with
MOCKGW_SCREENSHOTS=DIR, in DIR: docs/img was made so).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import anthropic
import openai
import pytest
from cdp import Page
from test_inspector import MODEL, ask, client, open_inspector, wait_rows

from mockgw.cli.main import main
from mockgw.scenario.export import TODO_REPLY
from mockgw.scenario.loader import load_scenario_text

SCENARIO = {
    "name": "why-test",
    "rules": [
        {"name": "weather", "match": {"last_user": {"contains": "weather"}, "turn": 1}, "reply": "Sunny."},
        {"name": "greet-streamed", "match": {"last_user": {"contains": "hello"}, "stream": True}, "reply": "Hi~"},
        {"name": "greet", "match": {"last_user": {"contains": "hello"}}, "reply": "Hi there."},
        {"name": "steps", "match": {"last_user": {"contains": "step"}}, "sequence": [{"reply": "1"}, {"reply": "2"}]},
    ],
}
LIST = "[...document.querySelectorAll('{}')].map(e => e.textContent)"


def shot(page: Page, tmp_path: Path, name: str, panel: str) -> None:
    """A screenshot for review, the detail pane scrolled to ``panel``: in the test's tmp dir, and in
    $MOCKGW_SCREENSHOTS when set."""
    page.evaluate(f"document.querySelector('{panel}').scrollIntoView()")
    page.screenshot(tmp_path / name)
    folder = os.environ.get("MOCKGW_SCREENSHOTS")
    if folder:
        page.screenshot(Path(folder) / name)


def show(page: Page, seq: int) -> None:
    page.click(f"#requests tbody tr[data-seq='{seq}'] td.rule")
    page.wait_for(f"document.getElementById('detail-title').textContent === 'Request {seq}'")


def download_session(page: Page, tmp_path: Path, session: str) -> Path:
    """Click the page's session download and wait, bounded, for the file it writes."""
    downloads = tmp_path / "downloads"
    downloads.mkdir(exist_ok=True)
    page.send("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    page.click("#download-session")
    page.wait_for("document.getElementById('scenario-result').textContent.includes('downloaded')")
    target = downloads / f"session-{session}.yaml"
    for _ in range(100):  # the file lands after the click returns: wait for it, bounded
        if target.exists() and target.stat().st_size:
            break
        page.evaluate("new Promise(r => setTimeout(r, 50))")
    return target


def answer_text(url: str, text: str) -> str:
    message = client(url).messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": text}])
    return "".join(b.text for b in message.content if b.type == "text")


def test_the_why_panel_lists_each_rule_tried_before_the_one_that_answered(gateway, page: Page, tmp_path) -> None:
    gw = gateway(SCENARIO)
    ask(gw.url, "hello there")
    open_inspector(page, gw.url)
    wait_rows(page, 1)
    show(page, 1)
    page.wait_for("!document.getElementById('detail-why').hidden")
    assert page.text("#why-title") == "Why this answer"
    assert page.text("#why-summary") == "Rule greet answered; 2 rule(s) before it did not match."
    assert page.evaluate("document.getElementById('near-miss').hidden")
    tried = page.evaluate(LIST.format("#why-list > li .rule-name"))
    assert tried == ["weather", "greet-streamed", "greet"]
    reasons = page.evaluate(LIST.format("#why-list > li:nth-child(2) li"))
    assert reasons == ["stream: request has stream=false"]
    shot(page, tmp_path, "inspector-why.png", "#detail-why")


def test_an_unmatched_request_shows_the_nearest_rules_first(gateway, page: Page, tmp_path) -> None:
    gw = gateway(SCENARIO)
    ask(gw.url, "hello")
    ask(gw.url, "nothing fits")
    open_inspector(page, gw.url)
    wait_rows(page, 2)
    show(page, 2)
    page.wait_for("!document.getElementById('near-miss').hidden")
    assert page.text("#why-title") == "Why no rule matched"
    assert page.text("#why-summary") == "No rule matched: all 4 rules were tried."
    # Every rule fails one predicate except greet-streamed (two): it comes last of the nearest three.
    nearest = page.evaluate(LIST.format("#near-miss-list > li .rule-name"))
    assert nearest == ["weather", "greet", "steps"]
    shot(page, tmp_path, "inspector-near-miss.png", "#detail-why")


def test_a_rule_copied_from_an_unmatched_request_matches_it(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    ask(gw.url, "nothing fits")
    open_inspector(page, gw.url)
    wait_rows(page, 1)
    show(page, 1)
    page.click("#copy-rule")
    page.wait_for("!document.getElementById('rule-yaml').hidden")
    assert page.text("#rule-status") in {"Copied to the clipboard.", "Shown below: select it and copy."}
    text = page.evaluate("document.getElementById('rule-yaml').textContent")
    replay = gateway(load_scenario_text(text, "<copied>"))
    assert answer_text(replay.url, "nothing fits") == TODO_REPLY


def test_a_downloaded_session_validates_and_replays_it(gateway, page: Page, tmp_path) -> None:
    gw = gateway(SCENARIO)
    script = ["hello", "step", "weather?", "step", "step"]
    answers = [answer_text(gw.url, text) for text in script]
    open_inspector(page, gw.url)
    wait_rows(page, len(script))
    show(page, 1)
    target = download_session(page, tmp_path, "default")
    assert main(["validate", str(target)]) == 0
    replay = gateway(load_scenario_text(target.read_text(), str(target)))
    assert [answer_text(replay.url, text) for text in script] == answers


@pytest.mark.parametrize("payload", ["<script>document.title='pwned'</script>", "<img src=x onerror=alert(1)>"])
def test_markup_in_a_request_stays_text_in_the_why_panel_and_the_copied_rule(gateway, page: Page, payload) -> None:
    gw = gateway(SCENARIO)
    ask(gw.url, payload)
    open_inspector(page, gw.url)
    wait_rows(page, 1)
    show(page, 1)
    page.wait_for("!document.getElementById('near-miss').hidden")
    page.click("#copy-rule")
    page.wait_for("!document.getElementById('rule-yaml').hidden")
    assert payload in page.evaluate("document.getElementById('rule-yaml').textContent")
    assert payload[:8] in page.evaluate("document.getElementById('why-list').textContent")
    assert page.evaluate("document.querySelectorAll('main script, main img').length") == 0
    assert page.evaluate("document.title") == "mockgw inspector"


# ---------------------------------------------------------------- the conversation and the stream


PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
WEATHER_TOOL = {"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}


def test_a_request_is_shown_as_a_conversation(gateway, page: Page, tmp_path) -> None:
    gw = gateway({"rules": [{"name": "any", "reply": "Done."}]})
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PIXEL}},
                {"type": "text", "text": "What is the weather in Paris?"},
            ],
        },
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "18 °C"}]},
    ]
    client(gw.url).messages.create(
        model=MODEL, max_tokens=64, system="Be brief.", tools=[WEATHER_TOOL], messages=messages
    )
    open_inspector(page, gw.url)
    wait_rows(page, 1)
    show(page, 1)
    page.wait_for("!document.getElementById('detail-conversation').hidden")
    roles = page.evaluate(LIST.format("#conversation > li > .role"))
    assert roles == ["system", "user", "assistant", "user"]
    blocks = page.evaluate(LIST.format("#conversation .block"))
    assert blocks[0] == "Be brief."
    assert blocks[1] == f"imageimage/png, {len(PIXEL) * 3 // 4} bytes"
    assert blocks[2] == "textWhat is the weather in Paris?"
    assert blocks[3].startswith("tool_useget_weather (toolu_01)") and '"city": "Paris"' in blocks[3]
    assert blocks[4] == "tool_resultfor toolu_01: 18 °C"
    assert page.text("#conversation-tools") == "Tools offered: get_weather"
    shot(page, tmp_path, "inspector-conversation.png", "#detail-conversation")


def test_a_stream_is_shown_on_a_timeline_with_its_first_token_and_where_a_fault_cut_it(
    gateway, page: Page, tmp_path
) -> None:
    gw = gateway(
        {
            "rules": [
                {
                    "name": "cut",
                    "reply": "one two three four five six seven eight",
                    "timing": {"ttft_ms": 40, "chunk_ms": 5, "chunk_chars": 4},
                    "fault": {"after_events": 6, "disconnect": True},
                }
            ]
        }
    )
    with (
        contextlib.suppress(anthropic.APIConnectionError),
        client(gw.url).messages.stream(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "go"}]
        ) as stream,
    ):
        stream.get_final_message()
    entry = gw.journal.last
    open_inspector(page, gw.url)
    wait_rows(page, 1)
    show(page, 1)
    page.wait_for("!document.getElementById('timeline-wrap').hidden")
    events = page.evaluate(LIST.format("#timeline tbody tr td:first-child"))
    assert events == [run["event"] for run in entry.timeline] + ["cut"]
    assert events[0] == "message_start" and sum(run["count"] for run in entry.timeline) == 6
    summary = page.text("#timeline-summary")
    assert summary.startswith("6 events over ") and "first token at" in summary
    assert summary.endswith("cut: dropped by a fault.")
    # The table fits the detail pane: the pane never scrolls sideways to show its last column.
    assert page.evaluate("(d => d.scrollWidth - d.clientWidth)(document.getElementById('detail'))") <= 0
    shot(page, tmp_path, "inspector-timeline.png", "#timeline-wrap")


# ---------------------------------------------------------------- filters and search


def test_filters_and_search_narrow_the_table_and_live_updates_keep_the_selection(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    ask(gw.url, "hello")
    ask(gw.url, "nothing fits")
    ask(gw.url, "hello, streamed", stream=True)
    openai_chat = openai.OpenAI(base_url=f"{gw.url}/v1", api_key="k", max_retries=0)
    openai_chat.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "weather in Oslo?"}])
    open_inspector(page, gw.url)
    rows = wait_rows(page, 4)
    assert [r[7] for r in rows] == ["—", "streamed", "—", "—"]
    show(page, 1)

    page.select("#status-filter", "unmatched")
    assert [r[0] for r in wait_rows(page, 1)] == ["2"]
    page.select("#status-filter", "")
    page.select("#face-filter", "openai-chat")
    assert [r[4] for r in wait_rows(page, 1)] == ["weather"]
    page.select("#face-filter", "")
    page.type("#text-filter", "OSLO")
    assert [r[0] for r in wait_rows(page, 1)] == ["4"]
    page.evaluate("document.getElementById('text-filter').value = ''")
    page.type("#rule-filter", "greet")
    assert [r[0] for r in wait_rows(page, 1)] == ["1"]

    ask(gw.url, "hello again")  # a live update: a new row, the chosen request stays shown
    assert [r[0] for r in wait_rows(page, 2)] == ["5", "1"]
    assert page.text("#detail-title") == "Request 1"
    assert page.evaluate("document.querySelector('#requests tr[aria-current=true]').dataset.seq") == "1"
    page.type("#text-filter", "no such text")
    wait_rows(page, 0)
    assert page.text("#empty-text") == "No requests match the filters."
