"""The chat route answers a literal rule from its prepared bytes exactly as it composes it: two gateways with the
same seed, one with its prepared chat answers taken away, answer the same requests with the same bytes and
headers, streamed (usage on and off) or not, faults included, and journal the same answer."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

import mockgw.server.openai as openai_route
from mockgw.faces.openai.prepared import PREPARED_CHATS, PreparedChat, PreparedChats, prepared_chats
from mockgw.testing import MockGateway
from tests.conftest import GatewayFactory, http_call

SCENARIO = {
    "rules": [
        {
            "name": "cut",
            "match": {"last_user": {"contains": "cut"}},
            "reply": "Cut short here, sorry.",
            "fault": {"after_events": 2, "error": {"type": "overloaded_error"}},
        },
        {
            "name": "tools",
            "match": {"last_user": {"contains": "weather"}},
            "reply": [{"text": "Looking."}, {"tool_use": {"name": "get_weather", "input": {"city": "Oslo"}}}],
        },
        {"name": "canned", "reply": 'Hello! "Canned" ✓'},
    ]
}
HI = [{"role": "user", "content": "hi"}]
TOOL = {"name": "get_weather", "parameters": {"type": "object"}}
REQUESTS = [
    {"messages": [{"role": "user", "content": "hi"}]},
    {"messages": [{"role": "user", "content": "hi"}], "stream": True},
    {"messages": [{"role": "user", "content": "hi"}], "stream": True, "stream_options": {"include_usage": True}},
    {
        "messages": [{"role": "user", "content": "weather?"}],
        "tools": [{"type": "function", "function": {"name": "get_weather"}}],
    },
    {"messages": [{"role": "user", "content": "weather?"}], "stream": True},
    {"messages": [{"role": "user", "content": "cut"}], "stream": True, "stream_options": {"include_usage": True}},
    {"messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 2},  # cut: the full path on both
]


def test_prepared_and_composed_chat_answers_are_the_same_bytes(
    gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openai_route, "time", SimpleNamespace(time=lambda: 1764900000.5))  # one `created`
    served = []  # the requests answered from prepared bytes
    answer = PreparedChat.answer
    monkeypatch.setattr(PreparedChat, "answer", lambda self, *args: served.append(1) or answer(self, *args))
    prepared, composed = gateway(SCENARIO, seed=7), gateway(SCENARIO, seed=7)
    assert len(prepared_chats(prepared.gateway.scenario)) == 3
    served_scenario = composed.gateway.scenario
    PREPARED_CHATS.keep(served_scenario, PreparedChats(served_scenario, limit=0))  # this one answers composed
    for body in REQUESTS:
        answers: list[Any] = []
        for gw in (prepared, composed):
            raw = http_call(f"{gw.url}/v1/chat/completions", json_body={"model": "openai/gpt-5", **body})
            headers = {k: v for k, v in raw.headers.items() if k != "date"}
            answers.append((raw.status, headers, raw.body, gw.journal.last.answer, gw.journal.last.error))
        assert answers[0] == answers[1], body
        assert answers[0][0] == 200
    assert len(served) == len(REQUESTS) - 1  # all but the one max_completion_tokens cuts


def test_the_faces_answers_are_rendered_off_the_servers_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    # On the face's first request, on an admin PUT, and on MockGateway.load (in the test's thread): never on
    # the loop that answers every client.
    made_in: list[int] = []
    init = PreparedChats.__init__

    def spy(self: PreparedChats, *args: Any, **kwargs: Any) -> None:
        made_in.append(threading.get_ident())
        init(self, *args, **kwargs)

    def said(gw: MockGateway) -> str:
        answer = http_call(f"{gw.url}/v1/chat/completions", json_body={"model": "openai/gpt-5", "messages": HI})
        return str(answer.json()["choices"][0]["message"]["content"])

    monkeypatch.setattr(PreparedChats, "__init__", spy)
    with MockGateway({"rules": [{"reply": "first"}]}) as gw:
        assert gw._thread is not None
        # Made for this scenario by its load if this process imported the face already: as a gateway
        # whose OpenAI face has not answered yet, forget them.
        PREPARED_CHATS.clear()
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
