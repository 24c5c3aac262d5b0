"""The Message Batches API's store and rules, pure: no I/O but through an optional ``Persist``.

A batch's requests are answered when it is created, one by one through the engine as ``/v1/messages``
requests would be (so ``times``, sequences and ``custom_id`` predicates apply in request order), and the
results are held back until the batch ends. Time is the gateway's clock, read as wall seconds:

- request *i* of *n* finishes at ``created_at + processing_ms·(i+1)/n``; the batch ends with the last one;
- ``cancel`` marks the batch ``canceling``; it ends ``cancel_ms`` later (or when processing would have
  ended, if sooner), and every request not finished when the cancel came is ``canceled``;
- the answer to create is ``in_progress`` and the answer to cancel ``canceling``, as the API's are, even
  when the clock has already reached the end (``processing_ms: 0``): the next read shows ``ended``.

``request_counts`` count every request as ``processing`` until the batch ends, then by result type;
``results_url`` appears once it has ended. Batches expire 24 hours after creation (``expires_at``).
"""

from __future__ import annotations

import asyncio
import json
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from mockgw.core.answer import filler_reply
from mockgw.core.engine import Engine, NoMatch
from mockgw.core.request import Attachment, RequestView, file_ids
from mockgw.core.structured import ReplyMismatch
from mockgw.faces.anthropic.asks import honour_request
from mockgw.faces.anthropic.files import Page, paginate, rfc3339
from mockgw.faces.anthropic.render import Limits, render_message
from mockgw.faces.anthropic.validation import InvalidRequest, betas_of, validate_message_request
from mockgw.faces.anthropic.wire.errors import default_message, error_type_for_status

Status = Literal["in_progress", "canceling", "ended"]
RESULT_TYPES = ("succeeded", "errored", "canceled", "expired")
MAX_REQUESTS = 100_000  # the API's limit for one batch
DEFAULT_MAX_BATCHES = 1_000
DEFAULT_MAX_STORE_BYTES = 256 * 1024 * 1024  # all batches' results together, in memory
EXPIRES_AFTER_S = 24 * 3600
YIELD_EVERY = 100  # requests answered between two yields to the event loop
BATCH_ID = re.compile(r"msgbatch_[A-Za-z0-9]{1,64}")
CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_ID_ALPHABET = string.ascii_letters + string.digits
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def error_result(error_type: str, message: str) -> dict[str, Any]:
    """An ``errored`` result: the error body the API would have answered the request with."""
    return {"type": "errored", "error": {"type": "error", "error": {"type": error_type, "message": message}}}


@dataclass
class BatchItem:
    """One request of a batch: its custom_id, its result, when it finishes, and the rule that answered it."""

    custom_id: str
    result: dict[str, Any]
    done_at: float
    rule: str | None = None

    def to_record(self) -> dict[str, Any]:
        return {"custom_id": self.custom_id, "result": self.result, "done_at": self.done_at, "rule": self.rule}


@dataclass
class Batch:
    """A Message Batch and everything needed to tell its state at any instant."""

    id: str
    created_at: float
    ends_at: float
    items: list[BatchItem]
    cancel_at: float | None = None
    cancel_ends_at: float | None = None
    size: int = field(default=0)  # bytes of its results, for the store's bound

    @property
    def expires_at(self) -> float:
        return self.created_at + EXPIRES_AFTER_S

    @property
    def end(self) -> float:
        """When processing ends (sooner when canceled)."""
        if self.cancel_ends_at is not None:
            return min(self.ends_at, self.cancel_ends_at)
        return self.ends_at

    def status(self, now: float) -> Status:
        if now >= self.end:
            return "ended"
        return "canceling" if self.cancel_at is not None else "in_progress"

    def result_of(self, item: BatchItem) -> dict[str, Any]:
        """The item's result once the batch ended: canceled if it had not finished when the cancel came."""
        if self.cancel_at is not None and item.done_at > self.cancel_at:
            return {"type": "canceled"}
        return item.result

    def counts(self, ended: bool) -> dict[str, int]:
        """``request_counts``: all ``processing`` until the batch ends, then by result type."""
        counts = dict.fromkeys(("processing", *RESULT_TYPES), 0)
        if not ended:
            counts["processing"] = len(self.items)
            return counts
        for item in self.items:
            counts[self.result_of(item)["type"]] += 1
        return counts

    def view(self, now: float, base_url: str, status: Status | None = None) -> dict[str, Any]:
        """The ``MessageBatch`` object at ``now`` (``status`` forces the state an answer must show)."""
        shown = status or self.status(now)
        ended = shown == "ended"
        counts = self.counts(ended)
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": shown,
            "request_counts": counts,
            "ended_at": rfc3339(self.end) if ended else None,
            "created_at": rfc3339(self.created_at),
            "expires_at": rfc3339(self.expires_at),
            "archived_at": None,
            "cancel_initiated_at": None if self.cancel_at is None else rfc3339(self.cancel_at),
            "results_url": f"{base_url}/v1/messages/batches/{self.id}/results" if ended else None,
        }

    def jsonl(self) -> bytes:
        """The results file: one ``{"custom_id", "result"}`` line per request, in request order."""
        lines = (_ENCODER.encode({"custom_id": i.custom_id, "result": self.result_of(i)}) for i in self.items)
        return ("\n".join(lines) + "\n").encode()

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "ends_at": self.ends_at,
            "cancel_at": self.cancel_at,
            "cancel_ends_at": self.cancel_ends_at,
            "items": [i.to_record() for i in self.items],
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Batch:
        items = [BatchItem(i["custom_id"], i["result"], float(i["done_at"]), i.get("rule")) for i in record["items"]]
        batch = cls(
            id=str(record["id"]),
            created_at=float(record["created_at"]),
            ends_at=float(record["ends_at"]),
            items=items,
            cancel_at=record.get("cancel_at"),
            cancel_ends_at=record.get("cancel_ends_at"),
        )
        batch.size = len(json.dumps(record["items"]))
        return batch


class Persist(Protocol):
    """Where the store writes itself when the gateway keeps state across restarts (``--data-dir``)."""

    def save_batches(self, batches: Sequence[Batch]) -> None: ...


def _not_found(batch_id: str) -> InvalidRequest:
    return InvalidRequest(f"Message batch not found: {batch_id}", 404, "not_found_error")


def parse_requests(body: Any) -> list[tuple[str, Any]]:
    """``requests`` of a create body as (custom_id, params) pairs; InvalidRequest for what the API refuses
    at once (the params themselves are checked per request, and their errors become ``errored`` results)."""
    if not isinstance(body, dict):
        raise InvalidRequest("Input should be a valid dictionary or object to extract fields from")
    requests = body.get("requests")
    if requests is None:
        raise InvalidRequest("requests: Field required")
    if not isinstance(requests, list):
        raise InvalidRequest("requests: Input should be a valid list")
    if not requests:
        raise InvalidRequest("requests: List should have at least 1 item after validation, not 0")
    if len(requests) > MAX_REQUESTS:
        raise InvalidRequest(f"requests: List should have at most {MAX_REQUESTS} items after validation")
    out: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for index, request in enumerate(requests):
        if not isinstance(request, dict):
            raise InvalidRequest(f"requests.{index}: Input should be a valid dictionary")
        custom_id = request.get("custom_id")
        if custom_id is None:
            raise InvalidRequest(f"requests.{index}.custom_id: Field required")
        if not isinstance(custom_id, str) or not CUSTOM_ID.fullmatch(custom_id):
            raise InvalidRequest(f"requests.{index}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
        if custom_id in seen:
            raise InvalidRequest(f"Duplicate custom_id in batch: {custom_id}")
        seen.add(custom_id)
        if "params" not in request:
            raise InvalidRequest(f"requests.{index}.params: Field required")
        out.append((custom_id, request["params"]))
    return out


def answer_request(
    engine: Engine,
    custom_id: str,
    params_body: Any,
    *,
    headers: Mapping[str, str],
    session: str,
    attach: Callable[[list[str]], tuple[Attachment, ...]],
    now: float | None = None,
) -> tuple[dict[str, Any], str | None, NoMatch | None]:
    """One batch request answered as ``/v1/messages`` would answer it: (result, rule label, no-match report)."""
    try:
        # The batch's betas apply to each request (interleaved thinking lets a budget pass max_tokens).
        params = validate_message_request(params_body, betas=betas_of(headers))
        if params.stream:
            raise InvalidRequest("stream: Message Batches do not support streaming")
        attachments = attach(file_ids(params))
    except InvalidRequest as exc:
        return error_result(exc.error_type, exc.message), None, None
    view = RequestView(params, headers, session, custom_id=custom_id, attachments=attachments, body=params_body)
    decision = engine.decide(view)
    if isinstance(decision, NoMatch):
        return error_result("invalid_request_error", decision.message), None, decision
    if decision.batch_result is not None:
        return {"type": decision.batch_result}, decision.rule, None
    if decision.error is not None:
        kind = decision.error.type or error_type_for_status(decision.error.status)
        return error_result(kind, decision.error.message or default_message(kind)), decision.rule, None
    fault = decision.fault
    if fault is not None and fault.error is not None:
        kind = fault.error.type
        return error_result(kind, fault.error.message or default_message(kind)), decision.rule, None
    # A batch request is a Messages request: its tool_choice and thinking are honoured the same way.
    draws = decision.draws
    ctx = engine.context(view, draws)
    try:
        reply, _ = honour_request(
            decision.reply or filler_reply(),
            params,
            ctx=ctx,
            rng=draws.content,
            fake=draws,
            attachments=view.attachments,
        )
    except ReplyMismatch as exc:
        return error_result("invalid_request_error", f"mockgw: rule {decision.rule!r}: {exc}"), decision.rule, None
    message = render_message(
        reply,
        model=params.model,
        input_chars=view.input_chars,
        limits=Limits(params.max_tokens, tuple(params.stop_sequences or ())),
        ctx=ctx,
        ids=draws.ids,
        now=now,
    )
    return {"type": "succeeded", "message": message.model_dump(mode="json")}, decision.rule, None


class BatchStore:
    """The gateway's batches, bounded by ``max_batches`` and by the bytes of their results."""

    def __init__(
        self,
        *,
        max_batches: int = DEFAULT_MAX_BATCHES,
        max_bytes: int = DEFAULT_MAX_STORE_BYTES,
        persist: Persist | None = None,
    ) -> None:
        self.max_batches = max_batches
        self.max_bytes = max_bytes
        self.persist = persist
        self._batches: dict[str, Batch] = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._batches)

    def stats(self) -> dict[str, int]:
        """A JSON-ready summary for the admin API."""
        return {
            "held": len(self._batches),
            "bytes": self._bytes,
            "max_held": self.max_batches,
            "max_bytes": self.max_bytes,
        }

    def _save(self) -> None:
        if self.persist is not None:
            self.persist.save_batches(list(self._batches.values()))

    def new_id(self, engine: Engine) -> str:
        return engine.ids.batch()

    def add(self, batch: Batch) -> Batch:
        """Keep a new batch; InvalidRequest (429-free: 400) when the store has no room for it."""
        batch.size = batch.size or len(batch.jsonl())
        if len(self._batches) >= self.max_batches or self._bytes + batch.size > self.max_bytes:
            raise InvalidRequest(
                f"Message batch storage is full: this gateway keeps at most {self.max_batches} batches and "
                f"{self.max_bytes} bytes of results; delete batches to make room"
            )
        self._batches[batch.id] = batch
        self._bytes += batch.size
        self._save()
        return batch

    def load(self, batches: Sequence[Batch]) -> None:
        """Batches read back from the data directory (no bound checks: they fitted when made)."""
        for batch in batches:
            self._batches[batch.id] = batch
            self._bytes += batch.size

    def get(self, batch_id: str) -> Batch:
        batch = self._batches.get(batch_id)
        if batch is None:
            raise _not_found(batch_id)
        return batch

    def cancel(self, batch_id: str, now: float, cancel_ms: float) -> tuple[Batch, bool]:
        """Start canceling; (batch, whether this call canceled it). An ended or canceling batch is unchanged."""
        batch = self.get(batch_id)
        if batch.cancel_at is not None or batch.status(now) == "ended":
            return batch, False
        batch.cancel_at = now
        batch.cancel_ends_at = now + cancel_ms / 1000
        self._save()
        return batch, True

    def delete(self, batch_id: str, now: float) -> None:
        """Delete an ended batch; InvalidRequest 400 while it is processing (the API asks for a cancel first)."""
        batch = self.get(batch_id)
        if batch.status(now) != "ended":
            raise InvalidRequest(
                f"Message batch {batch_id} is still processing; cancel it, or wait until it has ended, to delete it"
            )
        del self._batches[batch_id]
        self._bytes -= batch.size
        self._save()

    def results(self, batch_id: str, now: float) -> bytes:
        """The JSONL results of an ended batch; InvalidRequest 400 while it is processing."""
        batch = self.get(batch_id)
        if batch.status(now) != "ended":
            raise InvalidRequest(f"Message batch {batch_id} has not finished processing; its results are not ready")
        return batch.jsonl()

    def page(self, limit: int, after: str | None, before: str | None, now: float, base_url: str) -> Page:
        """A page of the list, most recently created first."""
        ids = list(reversed(self._batches))
        return paginate(ids, lambda i: self._batches[i].view(now, base_url), limit, after, before)

    def clear(self) -> None:
        self._batches.clear()
        self._bytes = 0
        self._save()

    def all(self) -> list[Batch]:
        return list(self._batches.values())


async def create_batch(
    store: BatchStore,
    engine: Engine,
    pairs: Sequence[tuple[str, Any]],
    *,
    now: float,
    processing_ms: float,
    headers: Mapping[str, str],
    session: str,
    attach: Callable[[list[str]], tuple[Attachment, ...]],
) -> tuple[Batch, list[NoMatch]]:
    """Answer every request of a new batch and keep it; also returns the no-match reports (for the journal).

    Yields to the event loop every ``YIELD_EVERY`` requests: a batch of 100,000 must not hold up every
    other client while it is answered.
    """
    items: list[BatchItem] = []
    unmatched: list[NoMatch] = []
    n = len(pairs)
    for index, (custom_id, params) in enumerate(pairs):
        if index and index % YIELD_EVERY == 0:
            await asyncio.sleep(0)
        result, rule, missed = answer_request(
            engine, custom_id, params, headers=headers, session=session, attach=attach, now=now
        )
        if missed is not None:
            unmatched.append(missed)
        items.append(BatchItem(custom_id, result, now + processing_ms / 1000 * (index + 1) / n, rule))
    batch = Batch(id=store.new_id(engine), created_at=now, ends_at=now + processing_ms / 1000, items=items)
    return store.add(batch), unmatched
