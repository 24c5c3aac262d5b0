"""The one middleware every request passes through, and the one hook every answer's headers pass through.

In order, for every request: its header values made text (undecodable bytes become U+FFFD once, before
anything reads them); a request id; the ``Host`` allow-list (hosts.py); a CORS preflight answered
(cors.py); the admin API's token and cross-site checks (admin.py); the scenario's profile (profile.py);
then the route (API routes add the journal entry and the credential rule, ``routes.api_route``). Whatever
fails gets the API's own error shape: aiohttp's 404, 405 and 413, and an unexpected exception as a 500
with the traceback in our log, never in the answer. Last, the request's log line (logs.py).

One function instead of a stack of seven: each layer of aiohttp middleware costs a call, a coroutine and
its own look at the request, and every request paid for all of them (docs/performance.md).

The answer's headers that must leave with a stream's first byte (CORS, the rate-limit counters, the
worker number) are added at ``prepare()`` by ``prepare_headers``, aiohttp's one place that sees every
answer before it is sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from multidict import CIMultiDict

from mockgw.server import admin, cors, faces, hosts, logs, profile, ratelimit, routes
from mockgw.server.responses import error_response

log = logging.getLogger("mockgw")


def well_formed(text: str) -> str:
    """``text`` with the undecodable bytes aiohttp keeps as lone surrogates (surrogateescape) made U+FFFD."""
    if text.isascii():
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return text.encode("utf-8", "replace").decode("utf-8")


def _with_text_headers(request: web.Request) -> web.Request:
    """The request, or a copy whose header values that are not UTF-8 are made text.

    Otherwise they would reach the journal, the log and templated replies as lone surrogates, which no
    UTF-8 answer can carry (a 500 where the caller deserved an answer).
    """
    if "".join(request.headers.values()).isascii():  # one C call for the common case (no generator)
        return request
    if any(well_formed(value) != value for value in request.headers.values()):
        fixed = CIMultiDict((name, well_formed(value)) for name, value in request.headers.items())
        return request.clone(headers=fixed)
    return request


def _failure(request: web.Request, exc: Exception) -> web.StreamResponse:
    """The API-shaped answer to a failure no handler worded."""
    if isinstance(exc, routes.DisconnectFault):
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=200)  # never reaches the client: the connection is gone
    if isinstance(exc, web.HTTPException):
        message = {
            404: f"Not found: {request.method} {request.path}",
            405: f"Method {request.method} is not allowed on {request.path}",
            413: routes.TOO_LARGE,
        }.get(exc.status, exc.reason)
        kind = "request_too_large" if exc.status == 413 else None
        rid = routes.request_id(request)
        if (shape := faces.error_shape(request.path)) is not None:
            return shape(exc.status, message, rid)
        return error_response(exc.status, message, request_id=rid, error_type=kind)
    log.exception("mockgw: unexpected error answering %s %s", request.method, request.path)
    rid = routes.request_id(request)
    if (shape := faces.error_shape(request.path)) is not None:
        return shape(500, "Internal server error", rid)
    return error_response(500, "Internal server error", request_id=rid)


def gateway_middleware(allowed_hosts: Sequence[str], cors_origins: Sequence[str]) -> Middleware:
    """The middleware of an app serving with this ``Host`` allow-list and these CORS origins."""
    host_allowed = hosts.allow_list(allowed_hosts)
    origins = tuple(cors_origins)

    @web.middleware
    async def gateway_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        request = _with_text_headers(request)
        logged = log.isEnabledFor(logging.INFO)
        started = time.perf_counter()
        # The request id is made on first read (routes.request_id): a request the engine counts takes it from
        # its session's draws, so it repeats with the session's other bytes.
        response: web.StreamResponse | None = None
        try:
            try:
                # Refusals come before anything is read or changed; a preflight is answered before the admin
                # token is asked for (browsers never send credentials on a preflight).
                response = (
                    hosts.refusal(request, host_allowed)
                    or cors.preflight_answer(request, origins)
                    or admin.refusal(request)
                    or profile.refusal(request)
                )
                if response is None:
                    response = await handler(request)
            except web.HTTPException as exc:
                if exc.status < 400:
                    raise
                response = _failure(request, exc)
            except Exception as exc:  # worded in the API's shape; the traceback goes to our log
                response = _failure(request, exc)
            rid = routes.request_id(request)  # made now if nothing read it (the log line reads it after us)
            if not response.prepared and "request-id" not in response.headers:
                response.headers["request-id"] = rid
            return response
        finally:
            if logged:
                logs.log_finished(request, None if response is None else response.status, started)

    return gateway_middleware


def prepare_headers(
    cors_origins: Sequence[str], worker: int | None
) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """The ``on_response_prepare`` hook: every answer's rate-limit headers (Anthropic API routes), CORS
    headers (when CORS is on) and, under ``serve --workers``, the worker that answered an admin call."""
    origins = tuple(cors_origins)
    number = None if worker is None else str(worker)

    async def prepare_headers(request: web.Request, response: web.StreamResponse) -> None:
        ratelimit.add_rate_limit_headers(request, response)
        if number is not None and request.path.startswith("/_mockgw/"):
            response.headers["x-mockgw-worker"] = number
        if origins:
            cors.add_headers(request, response, origins)

    return prepare_headers
