"""How quick the inspector page is with a full journal, measured in headless Chromium (never part of the tests).

    .venv/bin/python bench/inspector.py [--entries 1000] [--runs 3]

Fills a mockgw's journal to ``--entries`` with Claude Code-shaped requests (tests/fixtures/agent-*.json,
grown turn by turn: half under the listing's 16 KiB body cut, half 40 to 80 KB and so left out of listings;
every other one streamed), opens /_mockgw/ui in Chromium and reads, through the page's Performance API
(``performance.measure`` entries the page writes: ``inspector:render``, ``inspector:tick``):

- first render: from navigation start to the first table drawn with the journal in it;
- a search keystroke: from the key's ``input`` event to the table redrawn (debounce included);
- selecting an entry: from the click to the detail pane drawn;
- a live-update tick: one poll (fetch, merge, render) after one new request.

Medians of ``--runs`` page loads. The machine is small and shared: compare figures from one run only.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import http.client
import json
import statistics
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from cdp import Browser, Page  # noqa: E402

from mockgw.scenario.loader import load_scenario_data  # noqa: E402
from mockgw.server.app import start_server  # noqa: E402
from mockgw.server.state import GatewayConfig  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SCENARIO = {
    "name": "full-journal",
    "rules": [
        {"name": "every-third", "match": {"nth": {"every": 3}}, "reply": [{"thinking": "Plan."}, {"text": "Done."}]},
        {"name": "fallback", "reply": "{{ faker.paragraph }}"},
    ],
}


def request_bodies(count: int) -> list[bytes]:
    """``count`` Claude Code-shaped bodies: a conversation growing by one tool round trip per request,
    every other request padded with a long tool result (a file read), so half are over 16 KiB."""
    fixture = json.loads((ROOT / "tests" / "fixtures" / "agent-tool-result-turn.json").read_text())["body"]
    bodies = []
    for i in range(count):
        body = copy.deepcopy(fixture)
        body["stream"] = i % 2 == 0
        for turn in range(i % 8):
            tool_id = f"toolu_bench_{i}_{turn}"
            body["messages"].append(
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": tool_id,
                            "name": "ReadFile",
                            "input": {"path": f"src/module_{turn}.py"},
                        }
                    ],
                }
            )
            body["messages"].append(
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": f"line {turn}\n" * 20}],
                }
            )
        if i % 2:
            read = "def handler(request):\n    return request\n" * (1000 + 40 * (i % 25))
            body["messages"][-1]["content"].append({"type": "text", "text": f"request {i}: {read}"})
        else:
            body["messages"][-1]["content"].append({"type": "text", "text": f"request {i}: carry on"})
        bodies.append(json.dumps(body).encode())
    return bodies


def post(port: int, body: bytes) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {
            "content-type": "application/json",
            "x-api-key": "k",
            "anthropic-version": "2023-06-01",
            "x-mockgw-session": "bench",
        }
        conn.request("POST", "/v1/messages", body, headers)
        conn.getresponse().read()
    finally:
        conn.close()


def measures(page: Page, name: str) -> list[dict[str, float]]:
    found: list[dict[str, float]] = page.evaluate(
        f"performance.getEntriesByName({json.dumps(name)}).map(e => ({{start: e.startTime, duration: e.duration}}))"
    )
    return found


# In the page: from an input or mousedown event, wait for the first ``inspector:render`` after it, then for the
# next frame to be painted; the latency lands in ``window.__latency`` (ms).
WATCH = """
window.__latency = null;
window.__watch = (at) => {
  window.__latency = null;
  const check = () => {
    if (performance.getEntriesByName('inspector:render').some((e) => e.startTime >= at)) {
      requestAnimationFrame(() => setTimeout(() => { window.__latency = performance.now() - at; }));
    } else requestAnimationFrame(check);
  };
  check();
};
document.getElementById('text-filter').addEventListener('input', (e) => window.__watch(e.timeStamp), true);
document.addEventListener('mousedown', (e) => window.__watch(e.timeStamp), true);
"""


def latency(page: Page) -> float:
    """The latency the last watched event took to a painted frame."""
    value: float = page.wait_for("window.__latency", timeout=30, interval=0.01)
    page.evaluate("window.__latency = null")
    return value


def type_key(page: Page, char: str) -> None:
    """Type one character into the focused field, as a keyboard does."""
    page.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": char, "text": char})
    page.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": char})


def one_run(browser: Browser, url: str, port: int, entries: int) -> dict[str, Any]:
    page = browser.new_page()
    try:
        page.goto(f"{url}/_mockgw/ui")
        shown = min(entries, page.evaluate("WINDOW"))  # the newest entries the page keeps
        page.wait_for(f"document.getElementById('count').textContent.includes('{shown})')", timeout=60)
        first = page.evaluate("performance.getEntriesByName('inspector:first-render')[0]?.startTime ?? null")
        fetched = page.evaluate(
            "performance.getEntriesByType('resource').filter(e => e.name.includes('requests?limit'))"
            ".map(e => e.responseEnd - e.startTime)[0] ?? null"
        )
        rows = page.evaluate("document.querySelectorAll('#requests tbody tr').length")
        nodes = page.evaluate("document.getElementsByTagName('*').length")
        heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : null")

        page.evaluate(WATCH)
        page.focus("#text-filter")
        keys, works = [], []
        for char in "handler":
            type_key(page, char)
            keys.append(latency(page))
            works.append(measures(page, "inspector:render")[-1]["duration"])
        page.evaluate(
            "(() => { const f = document.getElementById('text-filter'); f.value = '';"
            " f.dispatchEvent(new Event('input')); })()"
        )
        latency(page)

        selects = []
        for index in (1, 5, 12):
            page.click(f"#requests tbody tr:nth-child({index}) td.rule")
            selects.append(latency(page))

        page.evaluate("performance.clearMeasures('inspector:tick')")
        post(port, request_bodies(1)[0])
        page.wait_for("performance.getEntriesByName('inspector:tick').length > 0", timeout=10)
        tick = measures(page, "inspector:tick")[-1]["duration"]
        return {
            "first_render_ms": first,
            "first_page_fetch_ms": fetched,
            "rows_in_dom": rows,
            "elements": nodes,
            "heap_bytes": heap,
            "keystroke_ms": statistics.median(keys),
            "keystroke_max_ms": max(keys),
            "keystroke_render_ms": statistics.median(works),
            "select_ms": statistics.median(selects),
            "tick_ms": tick,
        }
    finally:
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    config = GatewayConfig(load_scenario_data(SCENARIO, "<bench>"), seed=1, journal_size=args.entries)
    server = asyncio.run_coroutine_threadsafe(start_server(config), loop).result(10)
    url = f"http://127.0.0.1:{server.port}"
    try:
        bodies = request_bodies(args.entries)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda b: post(server.port, b), bodies))
        size = sum(map(len, bodies))
        print(f"journal: {len(server.gateway.journal)} entries, {size / 1e6:.1f} MB of bodies sent", flush=True)
        with Browser.launch(CHROMIUM) as browser:
            runs = [one_run(browser, url, server.port, args.entries) for _ in range(args.runs)]
        for key in runs[0]:
            values = [r[key] for r in runs if r[key] is not None]
            if values:
                each = ", ".join(f"{v:.1f}" for v in values)
                print(f"{key:>18}: median {statistics.median(values):10.1f}   runs {each}")
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)


if __name__ == "__main__":
    main()
