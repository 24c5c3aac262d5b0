"""A seeded scenario gives every test the same bytes, whatever the test order and however xdist spreads them.

An inner suite of tests, each asking the ``mockgw`` fixture (seeded scenario: faker text, tool ids, json: auto)
and recording the bytes it received, is run in its own order, reversed, shuffled by two seeds (a conftest hook
reorders the collected items: no random-order plugin needed), and under ``-n 2``. Within the suite, one test
interleaves two sessions' requests differently in each run and another runs four sessions at once in
threads. Every test must record the same bytes in every run (docs/scenarios.md, "Determinism").
"""

from __future__ import annotations

import inspect
import json
import random
from pathlib import Path

import pytest

INNER_CONFTEST = """
import os
import random


def pytest_collection_modifyitems(session, config, items):
    order = os.environ.get("INNER_ORDER", "")
    if order == "reversed":
        items.reverse()
    elif order.startswith("shuffled-"):
        random.Random(int(order.removeprefix("shuffled-"))).shuffle(items)
"""


def interleaving(order: str) -> list[str]:
    """How the inner test interleaves alice's and bob's requests in a run (its source is pasted there)."""
    turns = ["alice", "alice", "alice", "bob", "bob"]
    random.Random(order).shuffle(turns)
    return turns


INNER_TESTS = """
import json
import os
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anthropic
import pytest

SCENARIO = {
    "seed": 5,
    "rules": [
        {"match": {"last_user": {"contains": "tool"}}, "reply": [{"tool_use": {"name": "lookup", "input": "auto"}}]},
        {"match": {"output_format": True}, "reply": {"json": "auto"}},
        {"reply": "word={{ faker.word }} {{ faker.sentence }}"},
    ],
}
LOOKUP = {
    "name": "lookup",
    "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
}
SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"], "additionalProperties": False}
pytestmark = pytest.mark.mockgw(SCENARIO)


{interleaving}

def ask(gw, text, session=None, **extra):
    headers = {"x-mockgw-session": session} if session else {}
    client = anthropic.Anthropic(base_url=gw.url, api_key="sk-test", max_retries=0, default_headers=headers)
    raw = client.messages.with_raw_response.create(
        model="claude-sonnet-4-5", max_tokens=256, messages=[{"role": "user", "content": text}], **extra
    )
    return raw.headers["request-id"] + " " + raw.parse().model_dump_json()


def record(request, *answers):
    name = request.node.name.replace("/", "_")
    Path(os.environ["INNER_RECORD"], name).write_text(json.dumps(answers))


@pytest.mark.parametrize("n", range(4))
def test_words(mockgw, request, n):
    record(request, *(ask(mockgw, f"say {n}") for _ in range(n + 1)))


def test_a_tool_call(mockgw, request):
    record(request, ask(mockgw, "use the tool", tools=[LOOKUP]), ask(mockgw, "the tool again", tools=[LOOKUP]))


def test_structured(mockgw, request):
    fmt = {"format": {"type": "json_schema", "schema": SCHEMA}}
    record(request, ask(mockgw, "json", output_config=fmt))


def test_two_sessions_interleaved_as_the_run_says(mockgw, request):
    texts = {"alice": ["a", "c", "e"], "bob": ["b", "d"]}
    turns = interleaving(os.environ["INNER_ORDER"])
    answers = {session: [] for session in texts}
    for session in turns:  # each session's own order stays; how they interleave changes with the run
        answers[session].append(ask(mockgw, texts[session][len(answers[session])], session))
    record(request, *answers["alice"], *answers["bob"])


def test_sessions_at_once(mockgw, request):
    def conversation(session):
        return [ask(mockgw, "say", session) for _ in range(3)]

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(conversation, ["dan", "erin", "frank", "gina"]))
    record(request, *(answer for session in answers for answer in session))


def test_the_default_session_after_another(mockgw, request):
    record(request, ask(mockgw, "x", "carol"), ask(mockgw, "say 0"))
"""

# (pytest arguments, inner order): the first run is the reference.
RUNS = [((), ""), ((), "reversed"), ((), "shuffled-1"), ((), "shuffled-2"), (("-n", "2"), "shuffled-3")]
TESTS = 9


def recorded(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, out: Path, args: tuple[str, ...], order: str
) -> dict[str, list[str]]:
    """Each inner test's recorded answers, after one run of the inner suite in ``order`` with ``args``."""
    out.mkdir()
    monkeypatch.setenv("INNER_RECORD", str(out))  # xdist workers inherit the environment
    monkeypatch.setenv("INNER_ORDER", order)
    result = project.runpytest("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=TESTS)
    return {path.name: json.loads(path.read_text()) for path in out.iterdir()}


def test_every_test_gets_the_same_bytes_in_any_order_and_under_xdist(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project.makeconftest(INNER_CONFTEST)
    source = INNER_TESTS.replace("{interleaving}", inspect.getsource(interleaving))
    project.makepyfile(test_inner=source)
    runs = [recorded(project, monkeypatch, tmp_path / f"run{i}", *run) for i, run in enumerate(RUNS)]
    first = runs[0]
    assert len(first) == TESTS
    interleavings = {tuple(interleaving(order)) for _, order in RUNS}
    assert len(interleavings) > 2, interleavings  # the runs interleave alice's and bob's requests differently
    # Within a test each request has bytes of its own (the session's request number moves on); across
    # tests, the default session's first "say 0" answers alike, another session's request before it or not.
    assert all(len(set(answers)) == len(answers) for answers in first.values())
    assert first["test_the_default_session_after_another"][1] == first["test_words[0]"][0]
    for run, seen in zip(RUNS[1:], runs[1:], strict=True):
        assert seen == first, f"the run {run} gave other bytes than the first run"
