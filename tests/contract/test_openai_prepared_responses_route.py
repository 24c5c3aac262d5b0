"""``/v1/responses`` answers a literal rule from its prepared bytes exactly as it composes it: two gateways with
the same seed, one with its prepared answers taken away, answer the same requests (streamed or not, faults
included, a held conversation continued) with the same bytes and headers, and journal the same answer."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

import mockgw.server.openai as openai_route
from mockgw.faces.openai.prepared_responses import (
    PREPARED_RESPONSES,
    PreparedResponse,
    PreparedResponses,
    prepared_responses,
)
from mockgw.testing import MockGateway
from tests.conftest import GatewayFactory, http_call

SCENARIO = {
    "rules": [
        {
            "name": "cut",
            "match": {"last_user": {"contains": "cut"}},
            "reply": "Cut short here, sorry.",
            "fault": {"after_events": 4, "error": {"type": "overloaded_error"}},
        },
        {
            "name": "tools",
            "match": {"last_user": {"contains": "weather"}},
            "reply": [{"text": "Looking."}, {"tool_use": {"name": "get_weather", "input": {"city": "Oslo"}}}],
        },
        {"name": "canned", "reply": 'Hello! "Canned" ✓'},
    ]
}
TOOL = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
REQUESTS: list[dict[str, Any]] = [
    {"input": "hi"},
    {"input": "hi", "stream": True},
    {"input": "weather?", "tools": [TOOL], "instructions": "Be brief.", "temperature": 0.5, "metadata": {"a": "b"}},
    {"input": "weather?", "stream": True, "store": False},
    {"input": "cut", "stream": True},
    {"input": "and then?", "previous": True},  # continues the response before it
    {"input": "hi", "max_output_tokens": 2},  # cut: the full path on both
]


def test_prepared_and_composed_responses_are_the_same_bytes(
    gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openai_route, "time", SimpleNamespace(time=lambda: 1764900000.5))  # one `created_at`
    served = []  # the requests answered from prepared bytes
    answer_for = PreparedResponse.answer_for
    monkeypatch.setattr(PreparedResponse, "answer_for", lambda self, *args: served.append(1) or answer_for(self, *args))
    prepared, composed = gateway(SCENARIO, seed=7), gateway(SCENARIO, seed=7)
    assert len(prepared_responses(prepared.gateway.scenario)) == 3
    served_scenario = composed.gateway.scenario
    PREPARED_RESPONSES.keep(served_scenario, PreparedResponses(served_scenario, limit=0))  # answers composed
    last_ids: list[str] = ["", ""]
    for request in REQUESTS:
        answers: list[Any] = []
        for n, gw in enumerate((prepared, composed)):
            body = {"model": "openai/gpt-5", **{k: v for k, v in request.items() if k != "previous"}}
            if request.get("previous"):
                body["previous_response_id"] = last_ids[n]
            raw = http_call(f"{gw.url}/v1/responses", json_body=body)
            headers = {k: v for k, v in raw.headers.items() if k != "date"}
            answers.append((raw.status, headers, raw.body, gw.journal.last.answer, gw.journal.last.error))
            if not body.get("stream"):
                last_ids[n] = raw.json()["id"]
        assert answers[0] == answers[1], request
        assert answers[0][0] == 200
    assert last_ids[0] == last_ids[1]
    assert len(prepared.gateway.responses) == len(composed.gateway.responses)
    assert len(served) == len(REQUESTS) - 1  # all but the one max_output_tokens cuts


def test_the_routes_answers_are_rendered_off_the_servers_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    # On the route's first request, on an admin PUT, and on MockGateway.load (in the test's thread): never on
    # the loop that answers every client.
    made_in: list[int] = []
    init = PreparedResponses.__init__

    def spy(self: PreparedResponses, *args: Any, **kwargs: Any) -> None:
        made_in.append(threading.get_ident())
        init(self, *args, **kwargs)

    def said(gw: MockGateway) -> str:
        answer = http_call(f"{gw.url}/v1/responses", json_body={"model": "openai/gpt-5", "input": "hi"})
        return str(answer.json()["output"][0]["content"][0]["text"])

    monkeypatch.setattr(PreparedResponses, "__init__", spy)
    with MockGateway({"rules": [{"reply": "first"}]}) as gw:
        assert gw._thread is not None
        # Made for this scenario by its load if this process imported the face already: as a gateway
        # whose Responses route has not answered yet, forget them.
        PREPARED_RESPONSES.clear()
        made_in.clear()
        assert said(gw) == "first"
        yaml = {"content-type": "application/yaml"}
        put = http_call(f"{gw.url}/_mockgw/scenario", "PUT", body=b"rules: [{reply: second}]", headers=yaml)
        assert put.status == 200, put.body
        assert said(gw) == "second"
        gw.load({"rules": [{"reply": "third"}]})
        assert said(gw) == "third"
        loop_thread = gw._thread.ident
    assert len(made_in) == 3
    assert loop_thread not in made_in
    assert made_in[-1] == threading.get_ident()
