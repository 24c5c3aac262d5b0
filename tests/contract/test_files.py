"""The Files API through the official Python SDK (``client.beta.files`` and the GA ``client.files``).

Uploads are kept in memory (bounded) and cleared by reset; a ``file_id`` works in ``document`` and
``image`` sources of ``/v1/messages``, where ``match: {file: …}`` sees the attached file; only files a tool
made (here: the scenario's ``files:``) can be downloaded, as with the API. ``--data-dir`` keeps them.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import pytest
from anthropic.types.beta import BetaFileMetadata

from mockgw.core.clock import FakeClock
from mockgw.faces.anthropic.batches import Batch, BatchItem
from mockgw.faces.anthropic.files import StoredFile
from mockgw.scenario.loader import load_scenario_data
from mockgw.server.state import Gateway, GatewayConfig
from mockgw.testing import MockGateway
from tests.conftest import http_call

GatewayFactory = Callable[..., MockGateway]
MODEL = "claude-sonnet-4-5"

SCENARIO: dict[str, Any] = {
    "files": [{"id": "file_011Chart", "filename": "chart.csv", "text": "x,y\n1,2\n"}],
    "rules": [
        {"match": {"file": {"name": "report.pdf"}}, "reply": "A PDF named report.pdf."},
        {"match": {"file": {"media_type": "text/plain", "contains": "banana"}}, "reply": "Your notes mention bananas."},
        {"match": {"file": {"media_type": "image/png"}}, "reply": "A picture."},
        {"reply": "No file I know."},
    ],
}


def client_for(gw: MockGateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key="mockgw-test", max_retries=0)


def ask_about(client: anthropic.Anthropic, file_id: str, kind: str = "document") -> str:
    content: list[Any] = [
        {"type": "text", "text": "What is in this file?"},
        {"type": kind, "source": {"type": "file", "file_id": file_id}},
    ]
    message = client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": content}])
    block = message.content[0]
    assert block.type == "text"
    return block.text


def upload(client: anthropic.Anthropic, name: str, data: bytes, media_type: str) -> BetaFileMetadata:
    return client.beta.files.upload(file=(name, io.BytesIO(data), media_type))


# ---------------------------------------------------------------- the SDK, end to end


@pytest.mark.parametrize("ga", [False, True], ids=["beta.files", "files"])
def test_upload_list_retrieve_and_delete(gateway: GatewayFactory, ga: bool) -> None:
    client = client_for(gateway(SCENARIO, clock=FakeClock()))
    files = client.files if ga else client.beta.files
    uploaded = files.upload(file=("notes.txt", io.BytesIO(b"a banana a day"), "text/plain"))
    assert uploaded.id.startswith("file_011C")
    assert (uploaded.filename, uploaded.mime_type, uploaded.size_bytes) == ("notes.txt", "text/plain", 14)
    assert (uploaded.type, uploaded.downloadable) == ("file", False)

    assert files.retrieve_metadata(uploaded.id) == uploaded
    assert [f.id for f in files.list()] == [uploaded.id, "file_011Chart"]  # newest first
    deleted = files.delete(uploaded.id)
    assert (deleted.id, deleted.type) == (uploaded.id, "file_deleted")
    with pytest.raises(anthropic.NotFoundError):
        files.retrieve_metadata(uploaded.id)


def test_an_uploaded_file_cannot_be_downloaded(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIO))
    uploaded = upload(client, "notes.txt", b"private", "text/plain")
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.beta.files.download(uploaded.id)
    assert raised.value.error_code == "file_not_downloadable"


def test_a_file_a_tool_made_downloads_with_its_bytes(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIO))
    meta = client.beta.files.retrieve_metadata("file_011Chart")
    assert (meta.filename, meta.mime_type, meta.downloadable) == ("chart.csv", "text/csv", True)
    content = client.beta.files.download("file_011Chart")
    assert content.read() == b"x,y\n1,2\n"
    assert content.headers["content-type"] == "text/csv"


def test_the_sdk_follows_every_page_of_the_list(gateway: GatewayFactory) -> None:
    client = client_for(gateway({"rules": [{"reply": "ok"}]}))
    ids = [upload(client, f"f{i}.txt", b"x", "text/plain").id for i in range(5)]
    first = client.beta.files.list(limit=2)
    assert [f.id for f in first.data] == [ids[4], ids[3]]
    assert first.next_page is not None
    assert [f.id for f in client.beta.files.list(limit=2)] == ids[::-1]


def test_the_list_pages_by_after_and_before_id_too(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"reply": "ok"}]})
    ids = [upload(client_for(gw), f"f{i}.txt", b"x", "text/plain").id for i in range(3)]
    page = http_call(f"{gw.url}/v1/files?limit=1&after_id={ids[2]}", "GET").json()
    assert ([f["id"] for f in page["data"]], page["has_more"]) == ([ids[1]], True)
    assert (page["first_id"], page["last_id"]) == (ids[1], ids[1])
    page = http_call(f"{gw.url}/v1/files?before_id={ids[0]}", "GET").json()
    assert ([f["id"] for f in page["data"]], page["has_more"], page["next_page"]) == ([ids[2], ids[1]], False, None)


def test_reset_forgets_uploads_but_keeps_the_scenario_files(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    client = client_for(gw)
    upload(client, "notes.txt", b"x", "text/plain")
    gw.reset()
    assert [f.id for f in client.beta.files.list()] == ["file_011Chart"]


# ---------------------------------------------------------------- file_id in /v1/messages


@pytest.mark.parametrize(
    ("name", "data", "media_type", "kind", "answer"),
    [
        ("report.pdf", b"%PDF-1.7 ...", "application/pdf", "document", "A PDF named report.pdf."),
        ("notes.txt", b"buy a banana", "text/plain", "document", "Your notes mention bananas."),
        ("notes.txt", b"buy an apple", "text/plain", "document", "No file I know."),
        ("cat.png", b"\x89PNG....", "image/png", "image", "A picture."),
    ],
    ids=["by-name", "by-text", "text-missing", "image"],
)
def test_the_file_predicate_sees_the_attached_file(
    gateway: GatewayFactory, name: str, data: bytes, media_type: str, kind: str, answer: str
) -> None:
    client = client_for(gateway(SCENARIO))
    uploaded = upload(client, name, data, media_type)
    assert ask_about(client, uploaded.id, kind) == answer


def test_an_unknown_file_id_in_a_message_is_404(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    with pytest.raises(anthropic.NotFoundError) as raised:
        ask_about(client_for(gw), "file_011Missing")
    assert raised.value.body == {
        "type": "error",
        "error": {"type": "not_found_error", "message": "File not found: file_011Missing"},
        "request_id": raised.value.request_id,
    }
    assert gw.journal.last.error == "File not found: file_011Missing"


def test_a_file_predicate_miss_says_which_files_were_attached(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"match": {"file": {"name": "x.pdf"}}, "reply": "x"}]})
    uploaded = upload(client_for(gw), "notes.txt", b"hi", "text/plain")
    with pytest.raises(anthropic.BadRequestError, match=r"file: no attached file fits \(attached: notes.txt"):
        ask_about(client_for(gw), uploaded.id)


def test_a_batch_request_can_attach_a_file(gateway: GatewayFactory) -> None:
    client = client_for(gateway(SCENARIO))
    uploaded = upload(client, "notes.txt", b"banana bread", "text/plain")
    content = [{"type": "document", "source": {"type": "file", "file_id": uploaded.id}}]
    params: Any = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": content}]}
    batch = client.messages.batches.create(requests=[{"custom_id": "q", "params": params}])
    (result,) = list(client.messages.batches.results(batch.id))
    assert result.result.type == "succeeded"
    assert result.result.message.content[0].text == "Your notes mention bananas."  # type: ignore[union-attr]


# ---------------------------------------------------------------- uploads: names, expiry, limits


@pytest.mark.parametrize(
    ("sent", "media_type", "stored", "stored_type"),
    [
        ("dir/sub/data.json", "application/json", "data.json", "application/json"),
        ("C:\\docs\\a.txt", "text/plain", "a.txt", "text/plain"),
        ("guess.pdf", "application/octet-stream", "guess.pdf", "application/pdf"),
        ("", "text/plain", "unnamed.txt", "text/plain"),
    ],
    ids=["path", "windows-path", "type-from-name", "empty-name"],
)
def test_the_stored_name_is_the_last_path_component(
    gateway: GatewayFactory, sent: str, media_type: str, stored: str, stored_type: str
) -> None:
    meta = upload(client_for(gateway(SCENARIO)), sent, b"x", media_type)
    assert (meta.filename, meta.mime_type) == (stored, stored_type)


Fields = dict[str, tuple[str | None, bytes]]  # form field → (filename or None, bytes)


def _multipart(fields: Fields) -> tuple[bytes, dict[str, str]]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, (filename, data) in fields.items():
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"other": (None, b"x")}, "file: Field required"),
        ({"file": ("a|b.txt", b"x")}, "filename: must not contain"),
        ({"file": ("a.txt", b"x"), "expires_in_seconds": (None, b"60")}, "expires_in_seconds: must be between"),
        ({"file": ("a.txt", b"x"), "expires_in_seconds": (None, b"soon")}, "expires_in_seconds: Input should be"),
    ],
    ids=["no-file", "bad-name", "expiry-too-short", "expiry-not-a-number"],
)
def test_a_bad_upload_is_400(
    gateway: GatewayFactory, fields: dict[str, tuple[str | None, bytes]], message: str
) -> None:
    gw = gateway(SCENARIO)
    body, headers = _multipart(fields)
    answer = http_call(f"{gw.url}/v1/files", body=body, headers=headers)
    assert answer.status == 400
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert answer.json()["error"]["message"].startswith(message)


def test_an_upload_that_is_not_multipart_is_400(gateway: GatewayFactory) -> None:
    answer = http_call(f"{gateway(SCENARIO).url}/v1/files", json_body={"file": "x"})
    assert answer.status == 400
    assert "multipart/form-data" in answer.json()["error"]["message"]


def test_a_file_expires_after_expires_in_seconds(gateway: GatewayFactory) -> None:
    clock = FakeClock()
    gw = gateway(SCENARIO, clock=clock)
    body, headers = _multipart({"file": ("a.txt", b"x"), "expires_in_seconds": (None, b"3600")})
    meta = http_call(f"{gw.url}/v1/files", body=body, headers=headers).json()
    assert meta["expires_at"] is not None
    clock.advance(3599)
    assert http_call(f"{gw.url}/v1/files/{meta['id']}", "GET").status == 200
    clock.advance(1)
    assert http_call(f"{gw.url}/v1/files/{meta['id']}", "GET").status == 404


def test_a_full_store_refuses_uploads_with_storage_quota_exceeded(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    gw.gateway.files.max_bytes = gw.gateway.files.bytes_used + 10
    client = client_for(gw)
    upload(client, "small.txt", b"0123456789", "text/plain")
    with pytest.raises(anthropic.BadRequestError) as raised:
        upload(client, "more.txt", b"x", "text/plain")
    assert raised.value.error_code == "storage_quota_exceeded"


@pytest.mark.parametrize(
    ("method", "suffix"), [("GET", ""), ("GET", "/content"), ("DELETE", "")], ids=["metadata", "download", "delete"]
)
def test_an_unknown_file_id_is_404(gateway: GatewayFactory, method: str, suffix: str) -> None:
    answer = http_call(f"{gateway(SCENARIO).url}/v1/files/file_011Nope{suffix}", method)
    assert answer.status == 404
    assert answer.json()["error"] == {"type": "not_found_error", "message": "File not found: file_011Nope"}


# ---------------------------------------------------------------- --data-dir


def _gateway_on(data_dir: Path) -> Gateway:
    return Gateway(GatewayConfig(scenario=load_scenario_data(SCENARIO, "<test>"), data_dir=str(data_dir)))


def test_the_data_dir_keeps_files_and_batches_across_restarts(tmp_path: Path) -> None:
    first = _gateway_on(tmp_path)
    first.files.add(StoredFile("file_011Kept", "kept.txt", "text/plain", 1.0, b"kept bytes"))
    first.batches.add(Batch("msgbatch_01Kept", 1.0, 1.0, [BatchItem("a", {"type": "expired"}, 1.0)]))

    assert list(tmp_path.rglob(".tmp-*")) == []  # written to a temporary file, then renamed into place
    again = _gateway_on(tmp_path)
    assert again.files.get("file_011Kept").content == b"kept bytes"
    assert again.batches.get("msgbatch_01Kept").jsonl() == b'{"custom_id":"a","result":{"type":"expired"}}\n'
    assert [f.id for f in again.files.records()] == ["file_011Kept"]  # the scenario's file is not written

    again.reset()
    assert (len(_gateway_on(tmp_path).batches), _gateway_on(tmp_path).files.records()) == (0, [])


def test_the_data_dir_reads_only_what_it_wrote(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "file_011Junk.json").write_text("not json")
    (tmp_path / "files" / "notes.json").write_text('{"filename": "x"}')
    (tmp_path / "batches.json").write_text('[{"id": "../../etc/passwd", "items": []}]')
    gw = _gateway_on(tmp_path)
    assert gw.files.records() == []
    assert len(gw.batches) == 0


def test_count_tokens_refuses_an_unknown_file_id_and_counts_a_known_one(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    client = client_for(gw)

    def count(file_id: str) -> int:
        content: Any = [{"type": "document", "source": {"type": "file", "file_id": file_id}}]
        return client.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": content}]).input_tokens

    assert count("file_011Chart") > 0
    with pytest.raises(anthropic.NotFoundError, match="File not found: file_011Gone"):
        count("file_011Gone")


def test_mock_gateway_takes_a_data_dir_and_a_second_gateway_finds_the_upload(
    tmp_path: Path, gateway: GatewayFactory
) -> None:
    first = client_for(gateway(SCENARIO, data_dir=tmp_path))
    uploaded = upload(first, "kept.txt", b"a banana kept", "text/plain")
    second = client_for(gateway(SCENARIO, data_dir=tmp_path))
    assert second.beta.files.retrieve_metadata(uploaded.id) == uploaded
    assert ask_about(second, uploaded.id) == "Your notes mention bananas."
