"""``/v4/ai/language-model`` answers a literal reply from its prepared bytes (faces/aisdk/prepared.py), and
those are the bytes the full path writes: what @ai-sdk/gateway sent (tests/fixtures/aisdk/) is replayed to a
gateway with prepared answers and to one without (same seed), and the two answers, journal entries and
generation records must match."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from mockgw.faces.aisdk.prepared import PreparedCall, PreparedCalls
from tests.conftest import http_call
from tests.contract.test_aisdk_no_model import LANGUAGE_MODEL, SCENARIO, fixture, replay

# The stream's response-metadata timestamp is the wall clock's: the one thing two runs may not share.
_TIMESTAMP = re.compile(rb'"timestamp":"[^"]*"')
_CUT = {
    "rules": [
        {
            "reply": "Hello, cut short.",
            "timing": {"chunk_chars": 4},
            "fault": {"after_events": 4, "error": {"type": "overloaded_error"}},
        }
    ]
}


def _answer(gateway: Any, scenario: Any, recorded: dict[str, Any]) -> tuple[Any, ...]:
    gw = gateway(scenario, seed=5)
    response = replay(gw.url, recorded)
    entry = gw.journal.last
    # The generation record, less its wall-clock times.
    records = gw.gateway.generations
    times = {"created_at": 0, "latency_ms": 0, "generation_ms": 0}
    generations = [dataclasses.replace(g, **times) for g in records._items.values()]
    wire = _TIMESTAMP.sub(b"", response.body)
    return response.status, wire, entry.answer, entry.notes, entry.error, generations, records.credits()


@pytest.fixture
def used(monkeypatch: pytest.MonkeyPatch) -> list[PreparedCall]:
    """The prepared answers the gateway answered from."""
    found: list[PreparedCall] = []
    answer = PreparedCall.answer

    def counting(self: PreparedCall, *args: Any) -> Any:
        found.append(self)
        return answer(self, *args)

    monkeypatch.setattr(PreparedCall, "answer", counting)
    return found


@pytest.mark.parametrize("name", LANGUAGE_MODEL)
def test_a_prepared_answer_is_the_full_paths_answer(gateway, monkeypatch, used, name):
    recorded = fixture(name)
    prepared = _answer(gateway, SCENARIO, recorded)
    # The tool result's rule has a template (never prepared); every other call is answered from its bytes.
    assert bool(used) is (name != "tool-result-stream.json")
    monkeypatch.setattr(PreparedCalls, "get", lambda *args: None)
    assert prepared == _answer(gateway, SCENARIO, recorded)
    assert prepared[0] == 200


def test_a_scripted_fault_cuts_a_prepared_stream_as_it_cuts_the_full_one(gateway, monkeypatch, used):
    recorded = fixture("stream.json")
    prepared = _answer(gateway, _CUT, recorded)
    assert used and b'"type":"error"' in prepared[1] and b'"type":"finish"' not in prepared[1]
    monkeypatch.setattr(PreparedCalls, "get", lambda *args: None)
    assert prepared == _answer(gateway, _CUT, recorded)


def test_a_budget_that_cuts_the_reply_takes_the_full_path(gateway, used):
    recorded = fixture("generate.json")
    gw = gateway(SCENARIO)
    body = {**recorded["body"], "maxOutputTokens": 2}
    response = http_call(gw.url + recorded["path_qs"], json_body=body, headers=_headers(recorded))
    assert response.status == 200
    assert response.json()["content"] == [{"type": "text", "text": "Hello! T"}]
    assert response.json()["finishReason"] == {"unified": "length", "raw": "max_tokens"}
    assert not used


def _headers(recorded: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in recorded["headers"].items() if k not in {"accept-encoding"}}
