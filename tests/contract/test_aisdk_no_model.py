"""The AI SDK face's happy path builds no request model: what ``@ai-sdk/gateway`` sends (recorded in
tests/fixtures/aisdk/) is translated into the neutral Messages JSON and read from it
(faces/aisdk/prompt.neutral_view); the Messages models are built only for what ``certainly_valid`` leaves
to them.

Counted, not timed: the model's validator is wrapped and every construction counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from mockgw.core.request import RequestView
from mockgw.faces.aisdk.embedding import parse_embedding
from mockgw.faces.aisdk.language_model import parse_language_model
from mockgw.faces.anthropic.wire.requests import MessageCreateParams
from tests.conftest import FIXTURES, http_call

SCENARIO = {
    "rules": [
        {"match": {"tool_result": {"name": "get_weather"}}, "reply": "The weather: {{ request.tool_result }}."},
        {
            "match": {"tools": "get_weather"},
            "reply": [
                {"thinking": "Call the tool.", "signature": "EqQBmockgwSig"},
                {"tool_use": {"name": "get_weather", "input": {"city": "Paris"}}},
            ],
        },
        {"match": {"last_user": "Paris as JSON"}, "reply": '{"city": "Paris", "temperature_c": 18.5}'},
        {"reply": "Hello! This is a canned answer."},
    ]
}
LANGUAGE_MODEL = [
    "generate.json",
    "stream.json",
    "tool-call.json",
    "tool-result-stream.json",
    "object.json",
]
_NOT_SENT = {"host", "content-length", "connection", "accept-encoding"}  # the replay's own


class _Counting:
    """A model's validator, counting the models it builds (``Model(...)`` and ``model_validate`` both)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.built = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def validate_python(self, *args: Any, **kwargs: Any) -> Any:
        self.built += 1
        return self.inner.validate_python(*args, **kwargs)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Counting]:
    """How many ``MessageCreateParams`` the test built."""
    counter = _Counting(MessageCreateParams.__pydantic_validator__)
    monkeypatch.setattr(MessageCreateParams, "__pydantic_validator__", counter)
    yield counter


def fixture(name: str) -> dict[str, Any]:
    recorded: dict[str, Any] = json.loads((FIXTURES / "aisdk" / name).read_text())
    return recorded


def replay(url: str, recorded: dict[str, Any], body: Any = None) -> Any:
    headers = {k.lower(): v for k, v in recorded["headers"].items() if k.lower() not in _NOT_SENT}
    sent = recorded["body"] if body is None else body
    return http_call(url + recorded["path_qs"], json_body=sent, headers=headers)


@pytest.mark.parametrize("name", [*LANGUAGE_MODEL, "embed-many.json"])
def test_what_the_ai_sdk_sends_builds_no_model(gateway, built, name):
    gw = gateway(SCENARIO)
    response = replay(gw.url, fixture(name))
    assert response.status == 200
    assert gw.journal.last.error is None
    assert built.built == 0


def test_a_call_the_fast_check_leaves_to_the_models_is_still_answered(gateway, built):
    # A blank text part: the API's checks would refuse it, this face never ran them, so the models decide
    # (and take it). The counter counts: this path builds the model.
    gw = gateway(SCENARIO)
    recorded = fixture("generate.json")
    body = {**recorded["body"], "prompt": [{"role": "user", "content": [{"type": "text", "text": " "}]}]}
    response = replay(gw.url, recorded, body)
    assert response.status == 200
    assert response.json()["content"] == [{"type": "text", "text": "Hello! This is a canned answer."}]
    assert built.built == 1


def _views(name: str) -> tuple[RequestView, RequestView]:
    """The view of a recorded call read from its JSON, and the same call's view from the model."""
    recorded = fixture(name)
    headers = {k.lower(): v for k, v in recorded["headers"].items()}
    if "embedding" in recorded["path_qs"]:
        view = parse_embedding(recorded["body"], headers, "default").view
    else:
        view = parse_language_model(recorded["body"], headers, "default").view()
    assert "params" not in view.__dict__  # read from the JSON
    model = MessageCreateParams.model_validate(view.data)
    return view, RequestView(model, view.headers, view.session, view.face, body=view.body)


@pytest.mark.parametrize("name", [*LANGUAGE_MODEL, "embed-many.json"])
def test_the_view_read_from_json_says_what_the_models_view_says(name):
    fast, slow = _views(name)
    assert fast.data == slow.data
    for field in ("model", "stream", "max_tokens", "last_user", "turn", "system", "tool_names", "tool_result"):
        assert getattr(fast, field) == getattr(slow, field), field
    assert fast.input_chars == slow.input_chars
