"""The OpenAI-shaped error answers of the OpenAI-compatible and AI SDK routes.

Apart from the routes themselves (``server/openai.py``) so that what every request may need without an OpenAI
face being loaded (the routing table's 401, the host check's 403, aiohttp's 404/405 and unexpected failures
on those paths) does not import the faces: they load with their first request (``server/faces.py``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockgw.faces.openai.errors import error_body
from mockgw.server import responses
from mockgw.server.responses import json_response
from mockgw.server.routes import JOURNAL_ENTRY, request_id


def error_headers(status: int, retry_after: float | None, should_retry: bool | None) -> dict[str, str]:
    """The Anthropic face's error headers (``retry-after``, ``-ms``, ``x-should-retry``), and on a 429 the
    ``x-ratelimit-remaining-requests: 0`` the OpenAI API sends."""
    headers = responses.error_headers(status, retry_after=retry_after, should_retry=should_retry)
    if status == 429:
        headers["x-ratelimit-remaining-requests"] = "0"
    return headers


def openai_error(
    request: web.Request,
    status: int,
    message: str | None = None,
    *,
    error_type: str | None = None,
    param: Any = None,
    code: str | None = None,
    retry_after: float | None = None,
    should_retry: bool | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """An OpenAI-shaped error answer with its headers (``x-request-id`` as OpenAI names it)."""
    rid = request_id(request)
    all_headers = {"x-request-id": rid, **error_headers(status, retry_after, should_retry), **(headers or {})}
    body = error_body(status, message, error_type=error_type, param=param, code=code)
    entry = request.get(JOURNAL_ENTRY)
    if entry is not None:
        entry.error = entry.error or body["error"]["message"]
    return json_response(body, status=status, request_id=rid, headers=all_headers)


def plain_error(status: int, message: str, rid: str) -> web.Response:
    """An OpenAI-shaped error for failures outside a handler (aiohttp's 404/405/413, an unexpected error)."""
    return json_response(error_body(status, message), status=status, request_id=rid, headers={"x-request-id": rid})


def unauthorized(request: web.Request) -> web.Response:
    """The gateway's 401 on its OpenAI-compatible routes."""
    return openai_error(request, 401, "Invalid API key", code="invalid_api_key")
