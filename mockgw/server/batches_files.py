"""HTTP routes of the Message Batches API (``/v1/messages/batches``) and the Files API (``/v1/files``).

The stores and their rules are in ``faces/anthropic/batches.py`` and ``files.py``; this module reads the
HTTP request, calls them, and writes the answer. Any ``anthropic-beta`` header is accepted: the Files API
is generally available, and older SDKs still send ``files-api-2025-04-14``.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import BodyPartReader, web

from mockgw.faces.anthropic.batches import create_batch, parse_requests
from mockgw.faces.anthropic.files import (
    MAX_FILE_BYTES,
    PAGE_PREFIX,
    FileError,
    StoredFile,
    clean_filename,
    expiry,
    media_type_for,
    page_size,
)
from mockgw.faces.anthropic.validation import InvalidRequest
from mockgw.server.responses import error_body, json_response
from mockgw.server.routes import HEADERS, JOURNAL_ENTRY, api_route, gateway_of, read_json, request_id
from mockgw.server.state import Gateway

JSONL_TYPE = "application/x-jsonl"
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# Form fields other than the file are small (expires_in_seconds): a bound for reading them.
_MAX_FIELD_BYTES = 1024
_CHUNK = 65536


def _refusal(request: web.Request, exc: InvalidRequest) -> web.Response:
    """The API's error answer for ``exc``; ``error.details.error_code`` when it names one."""
    request[JOURNAL_ENTRY].error = exc.message
    body = error_body(exc.error_type, exc.message, request_id(request))
    if isinstance(exc, FileError):
        body["error"]["details"] = {"error_code": exc.error_code}
    return json_response(body, status=exc.status, request_id=request_id(request))


def _base_url(request: web.Request) -> str:
    """The origin the client called, for ``results_url`` (clients fetch results from that URL)."""
    return f"{request.scheme}://{request.host}"


# ---------------------------------------------------------------- batches


@api_route
async def create(request: web.Request) -> web.StreamResponse:
    """``POST /v1/messages/batches``: every request answered by the scenario now, results held until the end."""
    gateway = gateway_of(request)
    entry = request[JOURNAL_ENTRY]
    try:
        body = await read_json(request, gateway)
        entry.body = body
        pairs = parse_requests(body)
        now = gateway.wall_now()
        headers: dict[str, str] = request[HEADERS]
        batch, unmatched = await create_batch(
            gateway.batches,
            gateway.engine,
            pairs,
            now=now,
            processing_ms=gateway.scenario.batches.processing_ms,
            headers=headers,
            session=entry.session,
            attach=lambda ids: gateway.files.attachments(ids, now),
        )
    except InvalidRequest as exc:
        return _refusal(request, exc)
    rules = sorted({i.rule for i in batch.items if i.rule})
    entry.rule = ", ".join(rules) or None
    if unmatched:
        # Strict mode fails a test for this, as for an unmatched /v1/messages request.
        entry.unmatched = True
        entry.error = f"{len(unmatched)} batch request(s) matched no rule; first: {unmatched[0].message}"
    view = batch.view(now, _base_url(request), status="in_progress")
    return json_response(view, request_id=request_id(request))


@api_route
async def list_batches(request: web.Request) -> web.StreamResponse:
    """``GET /v1/messages/batches``: most recent first, paged by ``limit``, ``after_id``, ``before_id``."""
    gateway = gateway_of(request)
    try:
        limit = page_size(request.query.get("limit"))
    except InvalidRequest as exc:
        return _refusal(request, exc)
    page = gateway.batches.page(
        limit, request.query.get("after_id"), request.query.get("before_id"), gateway.wall_now(), _base_url(request)
    )
    return json_response(page.body(), request_id=request_id(request))


@api_route
async def retrieve(request: web.Request) -> web.StreamResponse:
    """``GET /v1/messages/batches/{id}``."""
    gateway = gateway_of(request)
    try:
        batch = gateway.batches.get(request.match_info["batch_id"])
    except InvalidRequest as exc:
        return _refusal(request, exc)
    return json_response(batch.view(gateway.wall_now(), _base_url(request)), request_id=request_id(request))


@api_route
async def cancel(request: web.Request) -> web.StreamResponse:
    """``POST /v1/messages/batches/{id}/cancel``: ``canceling`` now, ``ended`` after ``batches.cancel_ms``."""
    gateway = gateway_of(request)
    now = gateway.wall_now()
    try:
        batch, canceled = gateway.batches.cancel(
            request.match_info["batch_id"], now, gateway.scenario.batches.cancel_ms
        )
    except InvalidRequest as exc:
        return _refusal(request, exc)
    view = batch.view(now, _base_url(request), status="canceling" if canceled else None)
    return json_response(view, request_id=request_id(request))


@api_route
async def delete_batch(request: web.Request) -> web.StreamResponse:
    """``DELETE /v1/messages/batches/{id}``: only once processing has ended."""
    gateway = gateway_of(request)
    batch_id = request.match_info["batch_id"]
    try:
        gateway.batches.delete(batch_id, gateway.wall_now())
    except InvalidRequest as exc:
        return _refusal(request, exc)
    return json_response({"id": batch_id, "type": "message_batch_deleted"}, request_id=request_id(request))


@api_route
async def results(request: web.Request) -> web.StreamResponse:
    """``GET /v1/messages/batches/{id}/results``: one JSON line per request, once the batch has ended."""
    gateway = gateway_of(request)
    try:
        data = gateway.batches.results(request.match_info["batch_id"], gateway.wall_now())
    except InvalidRequest as exc:
        return _refusal(request, exc)
    return web.Response(body=data, headers={"content-type": JSONL_TYPE, "request-id": request_id(request)})


# ---------------------------------------------------------------- files


def _file_id(gateway: Gateway) -> str:
    return gateway.engine.ids.file()


async def _read_part(part: BodyPartReader, cap: int) -> bytearray:
    """A part's bytes, read until they pass ``cap`` (then at most one chunk more: longer means too many)."""
    data = bytearray()
    while len(data) <= cap:
        # A whole chunk each time: aiohttp needs room for the boundary in every read.
        chunk = await part.read_chunk(_CHUNK)
        if not chunk:
            break
        data += chunk
    return data


def _too_large() -> InvalidRequest:
    return InvalidRequest(
        f"File too large: a file may be at most {MAX_FILE_BYTES // (1024 * 1024)} MB", 413, "request_too_large"
    )


@api_route
async def upload(request: web.Request) -> web.StreamResponse:
    """``POST /v1/files``: a multipart upload with a ``file`` part (and ``expires_in_seconds``)."""
    gateway = gateway_of(request)
    try:
        if not request.content_type.startswith("multipart/form-data"):
            raise InvalidRequest("Expected a multipart/form-data body with a `file` part")
        if request.content_length is not None and request.content_length > MAX_FILE_BYTES + 64 * 1024:
            raise _too_large()  # refused on the header alone: the body is never read
        reader = await request.multipart()
        content: bytearray | None = None
        filename: str | None = None
        given_type: str | None = None
        expires_raw: str | None = None
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                raise InvalidRequest("Nested multipart bodies are not accepted")
            if part.name == "file" and content is None:
                filename, given_type = part.filename, part.headers.get("content-type")
                # Read no more than the API allows, nor more than the store has room for.
                room = max(0, gateway.files.max_bytes - gateway.files.bytes_used)
                content = await _read_part(part, min(MAX_FILE_BYTES, room))
                if len(content) > MAX_FILE_BYTES:
                    raise _too_large()
                if len(content) > room:
                    gateway.files.room_for(len(content))  # raises: storage_quota_exceeded
            elif part.name == "expires_in_seconds":
                raw = await _read_part(part, _MAX_FIELD_BYTES)
                if len(raw) > _MAX_FIELD_BYTES:
                    raise InvalidRequest("expires_in_seconds: Input should be a valid integer")
                expires_raw = raw.decode("utf-8", "replace").strip()
            else:
                # Drained and ignored, as unknown fields are; bounded like the file.
                if len(await _read_part(part, MAX_FILE_BYTES)) > MAX_FILE_BYTES:
                    raise _too_large()
        if content is None:
            raise InvalidRequest("file: Field required")
        now = gateway.wall_now()
        mime = media_type_for(filename or "", given_type)
        stored = StoredFile(
            id=_file_id(gateway),
            filename=clean_filename(filename, mime),
            mime_type=mime,
            created_at=now,
            content=bytes(content),
            expires_at=expiry(expires_raw, now),
        )
        gateway.files.add(stored)
    except InvalidRequest as exc:
        return _refusal(request, exc)
    except ValueError as exc:  # a malformed multipart body (aiohttp's reader says why)
        return _refusal(request, InvalidRequest(f"Malformed multipart/form-data body: {exc}"))
    request[JOURNAL_ENTRY].body = {"file": stored.metadata()}
    return json_response(stored.metadata(), request_id=request_id(request))


def _after(request: web.Request) -> str | None:
    page = request.query.get("page")
    if page:
        return page.removeprefix(PAGE_PREFIX)
    return request.query.get("after_id")


@api_route
async def list_files(request: web.Request) -> web.StreamResponse:
    """``GET /v1/files``: newest first, paged by ``limit`` with ``after_id`` / ``before_id`` or ``page``."""
    gateway = gateway_of(request)
    try:
        limit = page_size(request.query.get("limit"))
    except InvalidRequest as exc:
        return _refusal(request, exc)
    page = gateway.files.page(limit, _after(request), request.query.get("before_id"), gateway.wall_now())
    return json_response(page.body(cursor=True), request_id=request_id(request))


@api_route
async def file_metadata(request: web.Request) -> web.StreamResponse:
    """``GET /v1/files/{id}``."""
    gateway = gateway_of(request)
    try:
        stored = gateway.files.get(request.match_info["file_id"], gateway.wall_now())
    except InvalidRequest as exc:
        return _refusal(request, exc)
    return json_response(stored.metadata(), request_id=request_id(request))


@api_route
async def download(request: web.Request) -> web.StreamResponse:
    """``GET /v1/files/{id}/content``: the bytes of a file a tool made; uploads are refused, as by the API."""
    gateway = gateway_of(request)
    try:
        stored = gateway.files.content(request.match_info["file_id"], gateway.wall_now())
    except InvalidRequest as exc:
        return _refusal(request, exc)
    headers = {
        "content-type": stored.mime_type,
        "content-disposition": f"attachment; filename*=UTF-8''{quote(stored.filename, safe='')}",
        "request-id": request_id(request),
    }
    return web.Response(body=stored.content, headers=headers)


@api_route
async def delete_file(request: web.Request) -> web.StreamResponse:
    """``DELETE /v1/files/{id}``."""
    gateway = gateway_of(request)
    file_id = request.match_info["file_id"]
    try:
        gateway.files.delete(file_id)
    except InvalidRequest as exc:
        return _refusal(request, exc)
    return json_response({"id": file_id, "type": "file_deleted"}, request_id=request_id(request))


def add_routes(app: web.Application) -> None:
    """Register the batches and files routes."""
    app.router.add_post("/v1/messages/batches", create)
    app.router.add_get("/v1/messages/batches", list_batches)
    app.router.add_get("/v1/messages/batches/{batch_id}", retrieve)
    app.router.add_delete("/v1/messages/batches/{batch_id}", delete_batch)
    app.router.add_post("/v1/messages/batches/{batch_id}/cancel", cancel)
    app.router.add_get("/v1/messages/batches/{batch_id}/results", results)
    app.router.add_post("/v1/files", upload)
    app.router.add_get("/v1/files", list_files)
    app.router.add_get("/v1/files/{file_id}", file_metadata)
    app.router.add_delete("/v1/files/{file_id}", delete_file)
    app.router.add_get("/v1/files/{file_id}/content", download)
