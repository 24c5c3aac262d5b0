"""The gateway examples of docs/testing.md: subprocesses, MockGateway, AsyncMockGateway with pytest-aiohttp."""

import os
import subprocess
import sys

import anthropic
import pytest
from aiohttp import web

from mockgw import AsyncMockGateway, MockGateway

MODEL = "claude-sonnet-4-6"

SCRIPT = """
import anthropic

client = anthropic.Anthropic()  # ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_TOKEN come from the environment
message = client.messages.create(
    model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "hello"}]
)
print(message.content[0].text)
"""


@pytest.mark.mockgw({"rules": [{"reply": "Hi from mockgw."}]})
def test_a_subprocess_talks_to_the_gateway(mockgw):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**os.environ, **mockgw.env()},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.stdout == "Hi from mockgw.\n", done.stderr
    mockgw.assert_called(times=1)


def test_a_gateway_of_its_own():
    with MockGateway({"rules": [{"reply": "Hi!"}]}, seed=7, api_keys=["sk-test"]) as gateway:
        client = anthropic.Anthropic(base_url=gateway.url, api_key="sk-test")
        client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hello"}])

        gateway.assert_called(times=1)
        gateway.reset()  # forget the journal and rule state
        assert len(gateway.journal) == 0


# The application under test: a web service that asks Claude through the SDK.
LLM = web.AppKey("llm", anthropic.AsyncAnthropic)


def make_app(llm_url):
    async def ask(request):
        question = (await request.json())["question"]
        message = await request.app[LLM].messages.create(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": question}]
        )
        return web.json_response({"answer": message.content[0].text})

    app = web.Application()
    app[LLM] = anthropic.AsyncAnthropic(base_url=llm_url, api_key="test")
    app.router.add_post("/ask", ask)
    return app


@pytest.fixture
async def llm():
    async with AsyncMockGateway({"rules": [{"name": "weather", "reply": "Sunny."}]}) as gateway:
        yield gateway


async def test_the_app_answers_from_the_llm(aiohttp_client, llm):
    client = await aiohttp_client(make_app(llm.url))
    response = await client.post("/ask", json={"question": "Weather?"})

    assert await response.json() == {"answer": "Sunny."}
    llm.assert_called(times=1, rule="weather")
