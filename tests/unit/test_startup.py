"""Start-up: ``import mockgw`` stays cheap, Faker is loaded only by a scenario that calls it, and a gateway
that answers Messages does not load the other faces (they load with their first request).

Each check runs in a fresh interpreter (a subprocess), since this test process has long imported everything.
What is imported is checked, not how long it takes: timings live in bench/.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = [
    "faker",
    "jsonschema",
    "aiohttp",
    "aiohttp.client",
    "pydantic",
    "yaml",
    "mockgw.scenario.schema",
    "mockgw.testing",
]


# What the first Messages answer does not need: loaded when their own first request (or first use) comes.
LATER = [
    "mockgw.server.openai",
    "mockgw.server.aisdk",
    "mockgw.faces.openai.chat",
    "mockgw.faces.openai.responses",
    "mockgw.faces.openai.embeddings",
    "mockgw.faces.openai.wire",
    "mockgw.faces.aisdk.language_model",
    "mockgw.faces.aisdk.embedding",
    "mockgw.scenario.export",
    "mockgw.scenario.record",
    "mockgw.server.proxy",
]


def imported_after(code: str, modules: list[str] = HEAVY) -> dict[str, bool]:
    """Which of ``modules`` a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {modules!r}}}))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    result: dict[str, bool] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_import_mockgw_loads_no_server_faker_or_scenario_models() -> None:
    loaded = imported_after("import mockgw\nassert mockgw.__version__")
    assert loaded == dict.fromkeys(HEAVY, False)


@pytest.mark.parametrize("name", ["MockGateway", "AsyncMockGateway", "ScenarioError"])
def test_the_exports_load_on_first_use(name: str) -> None:
    loaded = imported_after(f"import mockgw\nassert getattr(mockgw, {name!r}).__name__ == {name!r}")
    assert loaded["mockgw.scenario.schema"]


def test_an_unknown_attribute_is_an_attribute_error() -> None:
    import mockgw

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = mockgw.nope  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("reply", "loads_faker"),
    [("Hello!", False), ("{{ faker.word() }}", True)],
    ids=["canned reply", "faker template"],
)
def test_faker_is_loaded_only_by_a_scenario_that_calls_it(reply: str, loads_faker: bool) -> None:
    code = f"from mockgw import MockGateway\nwith MockGateway({{'rules': [{{'reply': {reply!r}}}]}}):\n    pass"
    assert imported_after(code)["faker"] is loads_faker


# A test's first request: a canned answer, non-streamed and streamed (bench/fresh_start.py times this path).
FIRST_ANSWERS = """
import json, urllib.request
from mockgw import MockGateway
with MockGateway({'rules': [{'reply': 'Hello!'}]}) as gw:
    for stream in (False, True):
        body = json.dumps({'model': 'claude-sonnet-4-5', 'max_tokens': 64, 'stream': stream,
                           'messages': [{'role': 'user', 'content': 'Hi'}]}).encode()
        request = urllib.request.Request(gw.url + '/v1/messages', data=body, method='POST',
                                         headers={'content-type': 'application/json', 'x-api-key': 'k'})
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 200 and b'Hello!' in answer.read()
"""


def test_a_canned_answer_loads_neither_faker_nor_jsonschema() -> None:
    loaded = imported_after(FIRST_ANSWERS)
    assert (loaded["faker"], loaded["jsonschema"]) == (False, False)


def test_first_messages_answers_load_no_other_face_nor_the_exporters() -> None:
    assert imported_after(FIRST_ANSWERS, LATER) == dict.fromkeys(LATER, False)


# The OpenAI face's first request: before it, the face is not loaded; it answers as always.
FIRST_CHAT = """
import json, sys, urllib.request
from mockgw import MockGateway
with MockGateway({'rules': [{'reply': 'Hello!'}]}) as gw:
    assert 'mockgw.server.openai' not in sys.modules
    body = json.dumps({'model': 'gpt-5', 'messages': [{'role': 'user', 'content': 'Hi'}]}).encode()
    request = urllib.request.Request(gw.url + '/v1/chat/completions', data=body, method='POST',
                                     headers={'content-type': 'application/json', 'authorization': 'Bearer k'})
    with urllib.request.urlopen(request, timeout=30) as answer:
        chat = json.loads(answer.read())
    assert chat['choices'][0]['message']['content'] == 'Hello!', chat
"""


def test_an_openai_route_loads_its_face_with_its_first_request() -> None:
    assert imported_after(FIRST_CHAT, ["mockgw.server.openai", "mockgw.faces.openai.chat"]) == {
        "mockgw.server.openai": True,
        "mockgw.faces.openai.chat": True,
    }


def test_the_pytest_plugin_loads_no_server_or_models_until_a_test_asks() -> None:
    # pytest imports the plugin in every run where mockgw is installed (the pytest11 entry point), and with it
    # the package mockgw.testing; MockGateway's module (mockgw.testing.gateway) loads with its first use.
    modules = [m for m in HEAVY if m != "mockgw.testing"] + ["mockgw.testing.gateway", "mockgw.server.app"]
    assert imported_after("import mockgw.testing.plugin", modules) == dict.fromkeys(modules, False)


def test_mockgw_testing_exports_load_on_first_use() -> None:
    loaded = imported_after("from mockgw.testing import MockGateway", ["mockgw.testing.gateway"])
    assert loaded == {"mockgw.testing.gateway": True}


def test_an_unknown_name_of_mockgw_testing_is_an_attribute_error() -> None:
    import mockgw.testing

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = mockgw.testing.nope  # type: ignore[attr-defined]
