"""The inspector's Answer section: the reply a request got, as blocks (text, tool calls) with its stop reason
and usage, every value shown as text. In headless Chromium; the request goes through the official Python SDK.
"""

from __future__ import annotations

from cdp import Page
from test_inspector import MODEL, ask, client, open_inspector, wait_rows
from test_inspector_why import LIST, shot, show

MARKUP = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b>"
SCRIPT = "<script>document.title='pwned'</script>"
SCENARIO = {
    "name": "answer-test",
    "rules": [{"reply": [{"text": MARKUP}, {"tool_use": {"name": "get_weather", "input": {"city": SCRIPT}}}]}],
}
WEATHER_TOOL = {"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}


def test_the_answer_section_shows_the_blocks_as_text(gateway, page: Page) -> None:
    gw = gateway(SCENARIO)
    ask(gw.url, "weather?", tools=[WEATHER_TOOL])
    open_inspector(page, gw.url)
    wait_rows(page, 1)
    show(page, 1)
    page.wait_for("!document.getElementById('detail-answer').hidden")
    assert page.evaluate(LIST.format("#answer-blocks .kind")) == ["text", "tool_use"]
    texts = page.evaluate(LIST.format("#answer-blocks .block"))
    assert texts[0] == f"text{MARKUP}"
    assert texts[1].startswith("tool_useget_weather") and SCRIPT in texts[1]
    assert page.text("#answer-summary").startswith("Stop reason: tool_use; usage: input_tokens ")
    assert page.evaluate("document.querySelectorAll('main script, main img, #answer-blocks b').length") == 0
    assert page.evaluate("document.title") == "mockgw inspector"


def test_the_answer_section_shows_thinking_text_and_a_tool_call_with_usage(gateway, page: Page, tmp_path) -> None:
    gw = gateway(
        {
            "name": "answer-blocks",
            "rules": [
                {
                    "name": "call-weather",
                    "reply": [
                        {"thinking": "The user wants the weather in Paris: call get_weather."},
                        {"text": "Let me look that up."},
                        {"tool_use": {"name": "get_weather", "input": {"city": "Paris", "unit": "celsius"}}},
                    ],
                    "usage": {"input_tokens": 412, "output_tokens": 58},
                }
            ],
        }
    )
    client(gw.url).messages.create(
        model=MODEL,
        max_tokens=2048,
        thinking={"type": "enabled", "budget_tokens": 1024},
        tools=[WEATHER_TOOL],
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
    )
    open_inspector(page, gw.url)
    wait_rows(page, 1)
    show(page, 1)
    page.wait_for("!document.getElementById('detail-answer').hidden")
    assert page.evaluate(LIST.format("#answer-blocks .kind")) == ["thinking", "text", "tool_use"]
    assert page.text("#answer-summary") == "Stop reason: tool_use; usage: input_tokens 412, output_tokens 58."
    shot(page, tmp_path, "inspector-answer.png", "#detail-answer")
