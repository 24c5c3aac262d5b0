"""The Message Batches API through the official Python SDK (``client.messages.batches``), on a FakeClock.

Every request of a batch is answered by the scenario as a ``/v1/messages`` request would be; the results
are held back until the batch ends, which with ``batches: {processing_ms: N}`` is N ms of the gateway's
clock after creation (FakeClock: ``clock.advance``). Raw HTTP checks pin the exact shapes and errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import pytest

from mockgw.core.clock import FakeClock
from mockgw.faces.anthropic.batches import Batch, BatchItem, BatchStore
from mockgw.faces.anthropic.validation import InvalidRequest
from mockgw.scenario.loader import load_scenario_text
from mockgw.testing import MockGateway
from tests.conftest import http_call

GatewayFactory = Callable[..., MockGateway]
MODEL = "claude-sonnet-4-5"

MIXED = {
    "rules": [
        {"match": {"custom_id": {"regex": "^fail-"}}, "error": {"status": 529}},
        {"match": {"custom_id": "too-late"}, "batch_result": "expired"},
        {"match": {"custom_id": "dropped"}, "batch_result": "canceled"},
        {"reply": "Answer to {{ request.custom_id }}: {{ request.last_user }}"},
    ]
}


def params(text: str = "Hello", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": text}], **extra}


def client_for(gw: MockGateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key="mockgw-test", max_retries=0)


def requests_for(*custom_ids: str) -> list[Any]:
    return [{"custom_id": c, "params": params(f"question {c}")} for c in custom_ids]


# ---------------------------------------------------------------- the SDK, end to end


def test_a_batch_is_in_progress_when_created_and_ended_with_its_results_on_the_next_read(
    gateway: GatewayFactory,
) -> None:
    gw = gateway(MIXED, clock=FakeClock())
    client = client_for(gw)
    created = client.messages.batches.create(requests=requests_for("a", "b"))
    assert created.id.startswith("msgbatch_01")
    assert created.processing_status == "in_progress"
    assert created.request_counts.processing == 2
    assert (created.ended_at, created.results_url) == (None, None)
    assert (created.expires_at - created.created_at).total_seconds() == 24 * 3600

    ended = client.messages.batches.retrieve(created.id)
    assert ended.processing_status == "ended"
    assert ended.request_counts.model_dump() == {
        "processing": 0,
        "succeeded": 2,
        "errored": 0,
        "canceled": 0,
        "expired": 0,
    }
    assert ended.ended_at == created.created_at  # processing_ms: 0
    assert ended.results_url == f"{gw.url}/v1/messages/batches/{created.id}/results"

    results = {r.custom_id: r.result for r in client.messages.batches.results(created.id)}
    assert set(results) == {"a", "b"}
    first = results["a"]
    assert first.type == "succeeded"
    assert first.message.content[0].type == "text"
    assert first.message.content[0].text == "Answer to a: question a"
    assert first.message.id.startswith("msg_01")


def test_every_result_type_can_be_scripted(gateway: GatewayFactory) -> None:
    client = client_for(gateway(MIXED, clock=FakeClock()))
    batch = client.messages.batches.create(requests=requests_for("ok", "fail-1", "too-late", "dropped"))
    counts = client.messages.batches.retrieve(batch.id).request_counts
    assert (counts.succeeded, counts.errored, counts.expired, counts.canceled) == (1, 1, 1, 1)

    results = {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}
    assert [results[c].type for c in ("ok", "fail-1", "too-late", "dropped")] == [
        "succeeded",
        "errored",
        "expired",
        "canceled",
    ]
    errored = results["fail-1"]
    assert errored.type == "errored"
    assert (errored.error.error.type, errored.error.error.message) == ("overloaded_error", "Overloaded")


def test_a_request_with_invalid_params_is_errored_with_the_messages_api_wording(gateway: GatewayFactory) -> None:
    client = client_for(gateway(MIXED, clock=FakeClock()))
    batch = client.messages.batches.create(
        requests=[
            {"custom_id": "no-max", "params": {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]}},
            {"custom_id": "fine", "params": params()},
        ]
    )
    results = {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}
    bad = results["no-max"]
    assert bad.type == "errored"
    assert (bad.error.error.type, bad.error.error.message) == ("invalid_request_error", "max_tokens: Field required")
    assert results["fine"].type == "succeeded"


def test_a_request_no_rule_matches_is_errored_and_recorded_as_unmatched(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"match": {"custom_id": "known"}, "reply": "Yes."}]}, clock=FakeClock())
    client = client_for(gw)
    batch = client.messages.batches.create(requests=requests_for("known", "stranger"))
    results = {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}
    stranger = results["stranger"]
    assert stranger.type == "errored"
    assert "custom_id.equals: 'stranger' is not 'known'" in stranger.error.error.message
    assert [e.path for e in gw.unmatched()] == ["/v1/messages/batches"]


def test_requests_take_rule_times_and_sequences_in_request_order(gateway: GatewayFactory) -> None:
    scenario = {"rules": [{"sequence": [{"reply": "first"}, {"reply": "second"}, {"error": 500}]}]}
    client = client_for(gateway(scenario, clock=FakeClock()))
    batch = client.messages.batches.create(requests=requests_for("r1", "r2", "r3"))
    results = list(client.messages.batches.results(batch.id))
    assert [r.custom_id for r in results] == ["r1", "r2", "r3"]
    texts = [r.result.message.content[0].text if r.result.type == "succeeded" else r.result.type for r in results]
    assert texts == ["first", "second", "errored"]


def test_processing_time_follows_the_gateway_clock(gateway: GatewayFactory) -> None:
    clock = FakeClock()
    client = client_for(gateway({"batches": {"processing_ms": 60_000}, "rules": [{"reply": "ok"}]}, clock=clock))
    batch = client.messages.batches.create(requests=requests_for("a"))
    clock.advance(59.9)
    assert client.messages.batches.retrieve(batch.id).processing_status == "in_progress"
    with pytest.raises(anthropic.AnthropicError, match="No `results_url`"):
        client.messages.batches.results(batch.id)
    clock.advance(0.1)
    ended = client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended"
    assert ended.ended_at is not None
    assert (ended.ended_at - ended.created_at).total_seconds() == pytest.approx(60)


def test_cancel_mid_processing_cancels_the_requests_not_yet_done(gateway: GatewayFactory) -> None:
    clock = FakeClock()
    scenario = {"batches": {"processing_ms": 4000, "cancel_ms": 500}, "rules": [{"reply": "done"}]}
    client = client_for(gateway(scenario, clock=clock))
    batch = client.messages.batches.create(requests=requests_for("r1", "r2", "r3", "r4"))
    clock.advance(2.0)  # r1 and r2 are done (1 s and 2 s of 4)

    canceling = client.messages.batches.cancel(batch.id)
    assert canceling.processing_status == "canceling"
    assert canceling.cancel_initiated_at is not None
    assert canceling.request_counts.processing == 4
    clock.advance(0.4)
    assert client.messages.batches.retrieve(batch.id).processing_status == "canceling"
    clock.advance(0.1)

    ended = client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended"
    assert (ended.request_counts.succeeded, ended.request_counts.canceled) == (2, 2)
    results = {r.custom_id: r.result.type for r in client.messages.batches.results(batch.id)}
    assert results == {"r1": "succeeded", "r2": "succeeded", "r3": "canceled", "r4": "canceled"}


def test_cancel_of_an_ended_batch_leaves_it_as_it_was(gateway: GatewayFactory) -> None:
    client = client_for(gateway(MIXED, clock=FakeClock()))
    batch = client.messages.batches.create(requests=requests_for("a"))
    again = client.messages.batches.cancel(batch.id)
    assert again.processing_status == "ended"
    assert again.cancel_initiated_at is None
    assert again.request_counts.succeeded == 1


def test_delete_removes_an_ended_batch(gateway: GatewayFactory) -> None:
    client = client_for(gateway(MIXED, clock=FakeClock()))
    batch = client.messages.batches.create(requests=requests_for("a"))
    deleted = client.messages.batches.delete(batch.id)
    assert (deleted.id, deleted.type) == (batch.id, "message_batch_deleted")
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(batch.id)


def test_a_batch_still_processing_cannot_be_deleted(gateway: GatewayFactory) -> None:
    client = client_for(gateway({"batches": {"processing_ms": 1000}, "rules": [{"reply": "ok"}]}, clock=FakeClock()))
    batch = client.messages.batches.create(requests=requests_for("a"))
    with pytest.raises(anthropic.BadRequestError, match="still processing"):
        client.messages.batches.delete(batch.id)


def test_list_pages_newest_first_and_the_sdk_follows_every_page(gateway: GatewayFactory) -> None:
    client = client_for(gateway(MIXED, clock=FakeClock()))
    ids = [client.messages.batches.create(requests=requests_for("a")).id for _ in range(3)]
    first = client.messages.batches.list(limit=2)
    assert [b.id for b in first.data] == [ids[2], ids[1]]
    assert (first.has_more, first.first_id, first.last_id) == (True, ids[2], ids[1])
    assert [b.id for b in client.messages.batches.list(limit=2)] == ids[::-1]  # auto-paging: after_id=last_id
    before = client.messages.batches.list(limit=2, before_id=ids[0])
    assert [b.id for b in before.data] == [ids[2], ids[1]]
    assert before.has_more is False


def test_reset_forgets_every_batch(gateway: GatewayFactory) -> None:
    gw = gateway(MIXED, clock=FakeClock())
    client = client_for(gw)
    client.messages.batches.create(requests=requests_for("a"))
    gw.reset()
    assert client.messages.batches.list().data == []


# ---------------------------------------------------------------- raw HTTP: shapes and errors


def test_results_are_jsonl_one_line_per_request(gateway: GatewayFactory) -> None:
    gw = gateway(MIXED, clock=FakeClock())
    created = http_call(f"{gw.url}/v1/messages/batches", json_body={"requests": requests_for("a", "fail-2")}).json()
    answer = http_call(f"{gw.url}/v1/messages/batches/{created['id']}/results", "GET")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/x-jsonl"
    lines = answer.body.decode().splitlines()
    assert [json.loads(line)["custom_id"] for line in lines] == ["a", "fail-2"]
    assert json.loads(lines[1]) == {
        "custom_id": "fail-2",
        "result": {
            "type": "errored",
            "error": {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        },
    }


def test_a_created_batch_has_every_field_of_the_api(gateway: GatewayFactory) -> None:
    gw = gateway(MIXED, clock=FakeClock())
    created = http_call(f"{gw.url}/v1/messages/batches", json_body={"requests": requests_for("a")}).json()
    assert set(created) == {
        "id",
        "type",
        "processing_status",
        "request_counts",
        "ended_at",
        "created_at",
        "expires_at",
        "archived_at",
        "cancel_initiated_at",
        "results_url",
    }
    assert created["type"] == "message_batch"
    assert created["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("POST", "/cancel"), ("DELETE", ""), ("GET", "/results")],
    ids=["retrieve", "cancel", "delete", "results"],
)
def test_an_unknown_batch_id_is_404(gateway: GatewayFactory, method: str, suffix: str) -> None:
    gw = gateway(MIXED)
    answer = http_call(f"{gw.url}/v1/messages/batches/msgbatch_01Unknown{suffix}", method)
    assert answer.status == 404
    assert answer.json()["error"] == {
        "type": "not_found_error",
        "message": "Message batch not found: msgbatch_01Unknown",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "requests: Field required"),
        ({"requests": []}, "requests: List should have at least 1 item after validation, not 0"),
        ({"requests": "x"}, "requests: Input should be a valid list"),
        ({"requests": [{"params": {}}]}, "requests.0.custom_id: Field required"),
        ({"requests": [{"custom_id": "a b", "params": {}}]}, "requests.0.custom_id: String should match pattern"),
        ({"requests": [{"custom_id": "a"}]}, "requests.0.params: Field required"),
        (
            {"requests": [{"custom_id": "a", "params": {}}, {"custom_id": "a", "params": {}}]},
            "Duplicate custom_id in batch: a",
        ),
    ],
    ids=["no-requests", "empty", "not-a-list", "no-custom-id", "bad-custom-id", "no-params", "duplicate"],
)
def test_a_malformed_create_is_400(gateway: GatewayFactory, body: Any, message: str) -> None:
    gw = gateway(MIXED)
    answer = http_call(f"{gw.url}/v1/messages/batches", json_body=body)
    assert answer.status == 400
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert answer.json()["error"]["message"].startswith(message)
    assert http_call(f"{gw.url}/v1/messages/batches", "GET").json()["data"] == []


def test_results_of_a_batch_still_processing_are_400(gateway: GatewayFactory) -> None:
    gw = gateway({"batches": {"processing_ms": 1000}, "rules": [{"reply": "ok"}]}, clock=FakeClock())
    created = http_call(f"{gw.url}/v1/messages/batches", json_body={"requests": requests_for("a")}).json()
    answer = http_call(f"{gw.url}/v1/messages/batches/{created['id']}/results", "GET")
    assert answer.status == 400
    assert "has not finished processing" in answer.json()["error"]["message"]


def test_a_batch_script_answers_only_batch_requests(gateway: GatewayFactory) -> None:
    """A custom_id predicate never holds outside a batch: a plain /v1/messages request gets the next rule."""
    gw = gateway(MIXED)
    message = client_for(gw).messages.create(**params("plain"))
    assert message.content[0].type == "text"
    assert message.content[0].text == "Answer to : plain"


# ---------------------------------------------------------------- the store is bounded


def _batch(batch_id: str, size: int) -> Batch:
    return Batch(batch_id, 0.0, 0.0, [BatchItem("a", {"type": "expired"}, 0.0)], size=size)


def test_the_store_refuses_a_batch_past_its_count() -> None:
    store = BatchStore(max_batches=1)
    store.add(_batch("msgbatch_01A", 10))
    with pytest.raises(InvalidRequest, match="at most 1 batches"):
        store.add(_batch("msgbatch_01B", 10))


def test_the_store_refuses_a_batch_past_its_bytes_and_deleting_makes_room() -> None:
    store = BatchStore(max_bytes=100)
    store.add(_batch("msgbatch_01A", 60))
    with pytest.raises(InvalidRequest, match="100 bytes"):
        store.add(_batch("msgbatch_01B", 60))
    store.delete("msgbatch_01A", now=1.0)
    store.add(_batch("msgbatch_01B", 60))
    assert len(store) == 1


def test_a_batch_result_rule_refuses_a_plain_request_with_a_clear_400(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"name": "late", "batch_result": "expired"}]})
    answer = http_call(f"{gw.url}/v1/messages", json_body=params())
    assert answer.status == 400
    assert answer.headers["x-should-retry"] == "false"
    assert "rule 'late' scripts a Message Batch result (batch_result: expired)" in answer.json()["error"]["message"]


# ---------------------------------------------------------------- docs/batches-and-files.md runs as written

DOC = Path(__file__).resolve().parents[2] / "docs" / "batches-and-files.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("block", _blocks("yaml"))
def test_every_yaml_example_of_the_page_loads(block: str) -> None:
    load_scenario_text(block, str(DOC))


def test_the_fake_clock_example_of_the_page_passes() -> None:
    exec(_blocks("python")[0], {})  # its asserts are the test


def test_the_file_example_of_the_page_answers_from_the_file(gateway: GatewayFactory) -> None:
    scenario = next(b for b in _blocks("yaml") if "deadline" in b)
    client = client_for(gateway(scenario))
    namespace: dict[str, Any] = {"client": client}
    exec(_blocks("python")[1], namespace)
    assert namespace["message"].content[0].text == "The deadline is Friday."
