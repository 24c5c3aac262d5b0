"""mockgw alongside the plugins test suites combine it with: pytest-xdist and pytest-aiohttp (pytester)."""

from __future__ import annotations

from pathlib import Path

import pytest

XDIST_TESTS = """
import os
from pathlib import Path

import anthropic
import pytest


@pytest.mark.mockgw({"rules": [{"reply": "Hi!"}]})
def test_each_worker_asks_its_own_server(mockgw, worker_id):
    client = anthropic.Anthropic(base_url=mockgw.url, api_key="sk-test", max_retries=0)
    message = client.messages.create(
        model="claude-sonnet-4-6", max_tokens=8, messages=[{"role": "user", "content": "hello"}]
    )
    assert message.content[0].text == "Hi!"
    assert len(mockgw.journal) == 1  # this worker's server saw this test's request alone
    Path(os.environ["MOCKGW_PORTS"], worker_id).write_text(str(mockgw.port))
"""


def test_each_xdist_worker_has_its_own_server(
    project: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = tmp_path / "ports"
    ports.mkdir()
    monkeypatch.setenv("MOCKGW_PORTS", str(ports))  # the workers inherit the environment
    project.makepyfile(test_inner=XDIST_TESTS)
    # --dist each runs every test on every worker: both workers must pass, each against its own server.
    result = project.runpytest("-p", "no:cacheprovider", "-n", "2", "--dist", "each")
    result.assert_outcomes(passed=2)
    seen = {path.name: int(path.read_text()) for path in ports.iterdir()}
    assert sorted(seen) == ["gw0", "gw1"]
    assert seen["gw0"] != seen["gw1"]


AIOHTTP_TESTS = """
import anthropic
import pytest
from aiohttp import web

from mockgw import AsyncMockGateway

LLM = web.AppKey("llm", anthropic.AsyncAnthropic)
WEATHER = {"rules": [{"name": "weather", "match": {"last_user": {"contains": "weather"}}, "reply": "Sunny."}]}


def make_app(llm_url):
    # The application under test: a web service that asks Claude through the official SDK.
    async def ask(request):
        question = (await request.json())["question"]
        message = await request.app[LLM].messages.create(
            model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": question}]
        )
        return web.json_response({"answer": message.content[0].text})

    app = web.Application()
    app[LLM] = anthropic.AsyncAnthropic(base_url=llm_url, api_key="sk-test", max_retries=0)
    app.router.add_post("/ask", ask)
    return app


@pytest.fixture
async def llm():
    async with AsyncMockGateway(WEATHER) as gateway:
        yield gateway


async def test_app_with_the_async_gateway(aiohttp_client, llm):
    client = await aiohttp_client(make_app(llm.url))
    response = await client.post("/ask", json={"question": "What's the weather?"})
    assert response.status == 200
    assert await response.json() == {"answer": "Sunny."}
    llm.assert_called(times=1, rule="weather")


@pytest.mark.mockgw(WEATHER)
async def test_app_with_the_fixture(aiohttp_client, mockgw):
    client = await aiohttp_client(make_app(mockgw.url))
    response = await client.post("/ask", json={"question": "Any weather today?"})
    assert await response.json() == {"answer": "Sunny."}
    assert mockgw.journal.last.rule == "weather"
"""


def test_an_aiohttp_app_is_tested_with_pytest_aiohttp(project: pytest.Pytester) -> None:
    project.makepyfile(test_inner=AIOHTTP_TESTS)
    result = project.runpytest("-p", "no:cacheprovider", "-W", "error::DeprecationWarning:aiohttp")
    result.assert_outcomes(passed=2)
