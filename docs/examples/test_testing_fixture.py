"""The fixture examples of docs/testing.md: every ``python`` block there is copied verbatim from these files."""

import anthropic
import pytest

MODEL = "claude-sonnet-4-6"


@pytest.mark.mockgw({"rules": [{"name": "greet", "match": {"last_user": {"contains": "hello"}}, "reply": "Hi!"}]})
def test_greets(mockgw):
    client = anthropic.Anthropic(base_url=mockgw.url, api_key="test")
    message = client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hello"}])

    assert message.content[0].text == "Hi!"
    mockgw.assert_called(times=1, rule="greet")
    assert mockgw.journal.last.body["messages"] == [{"role": "user", "content": "hello"}]


TOOLS = [{"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]


@pytest.mark.mockgw("weather.yaml")  # a relative path is looked up next to this file first
def test_tool_loop(mockgw):
    client = anthropic.Anthropic(base_url=mockgw.url, api_key="test")
    messages = [{"role": "user", "content": "What's the weather in Paris?"}]
    first = client.messages.create(model=MODEL, max_tokens=256, tools=TOOLS, messages=messages)
    assert first.stop_reason == "tool_use"

    tool_use = first.content[-1]
    messages += [
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "21°C"}]},
    ]
    second = client.messages.create(model=MODEL, max_tokens=256, tools=TOOLS, messages=messages)

    assert second.content[0].text == "It is 21°C in Paris."
    mockgw.assert_all_rules_used()


FLAKY = """
rules:
  - name: flaky
    sequence:                 # each request takes the next step; the last one repeats
      - error: {status: 529, retry_after: 0.01}
      - reply: "Recovered."
"""


@pytest.mark.mockgw(FLAKY)
def test_the_sdk_retries_an_overloaded_gateway(mockgw):
    client = anthropic.Anthropic(base_url=mockgw.url, api_key="test", max_retries=1)
    message = client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}])

    assert message.content[0].text == "Recovered."
    assert [entry.status for entry in mockgw.journal] == [529, 200]


@pytest.mark.mockgw({"rules": [{"match": {"last_user": {"contains": "hello"}}, "reply": "Hi!"}]}, strict=False)
def test_an_unscripted_request_is_allowed_when_not_strict(mockgw):
    client = anthropic.Anthropic(base_url=mockgw.url, api_key="test", max_retries=0)
    with pytest.raises(anthropic.BadRequestError, match="no rule matched"):
        client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "bye"}])

    assert mockgw.journal.last.unmatched


@pytest.mark.mockgw({"rules": [{"reply": "Streamed."}]})
@pytest.mark.asyncio(loop_scope="session")  # any loop scope: the fixture's server runs on its own loop
async def test_async_client(mockgw):
    client = anthropic.AsyncAnthropic(base_url=mockgw.url, api_key="test")
    async with client.messages.stream(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        message = await stream.get_final_message()

    assert message.content[0].text == "Streamed."
    entry = mockgw.journal.last
    assert entry.stream and entry.events[-1] == "message_stop"
