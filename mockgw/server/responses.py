"""Anthropic-shaped answers: JSON bodies, error bodies and their headers."""

from __future__ import annotations

import json
import math
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from mockgw.faces.anthropic.wire.errors import ErrorResponse, default_message, error_type_for_status
from mockgw.faces.anthropic.wire.events import ErrorDetail

JSON_TYPE = "application/json"


def json_body(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


# Framing headers are aiohttp's to compute from the body; a scenario's `headers:` may set any other.
_FRAMING = frozenset({"content-length", "transfer-encoding"})


def json_response(
    data: Any, *, status: int = 200, request_id: str, headers: dict[str, str] | None = None
) -> web.Response:
    # Case-insensitive, so a scenario's `Content-Type: text/html` replaces ours instead of clashing with it.
    all_headers = CIMultiDict({"request-id": request_id, "content-type": JSON_TYPE})
    if headers:
        all_headers.update({k: v for k, v in headers.items() if k.lower() not in _FRAMING})
    return web.Response(body=json_body(data), status=status, headers=all_headers)


def error_headers(status: int, *, retry_after: float | None = None, should_retry: bool | None = None) -> dict[str, str]:
    """The headers that go with an error: ``retry-after`` (always on 429), ``x-should-retry``. The
    ``anthropic-ratelimit-*`` headers, exhausted on a 429, are added to every answer by server/ratelimit.py."""
    headers: dict[str, str] = {}
    if status == 429 and retry_after is None:
        retry_after = 1
    if retry_after is not None:
        # retry-after is whole seconds on the wire; retry-after-ms carries the exact value (both SDKs read it).
        headers["retry-after"] = str(max(0, math.ceil(retry_after)))
        headers["retry-after-ms"] = str(round(retry_after * 1000))
    if should_retry is not None:
        headers["x-should-retry"] = "true" if should_retry else "false"
    return headers


def error_body(error_type: str, message: str, request_id: str, details: Any = None) -> dict[str, Any]:
    error = ErrorDetail(type=error_type, message=message, details=details)
    return ErrorResponse(error=error, request_id=request_id).model_dump()


def error_response(
    status: int,
    message: str | None = None,
    *,
    request_id: str,
    error_type: str | None = None,
    retry_after: float | None = None,
    should_retry: bool | None = None,
    headers: dict[str, str] | None = None,
    details: Any = None,
) -> web.Response:
    """An Anthropic error answer: body ``{"type":"error","error":{...},"request_id":...}`` and headers.

    ``details`` (any JSON) goes in ``error.details``, left out when None.
    """
    kind = error_type or error_type_for_status(status)
    all_headers = error_headers(status, retry_after=retry_after, should_retry=should_retry)
    if headers:
        all_headers.update(headers)
    body = error_body(kind, message or default_message(kind), request_id, details)
    return json_response(body, status=status, request_id=request_id, headers=all_headers)
