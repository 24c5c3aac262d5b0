"""Connections: how long a client may keep one without sending, and what running out of descriptors logs.

aiohttp closes a connection that has no request in flight ``keepalive_timeout`` seconds after it opened or
after its last answer, whatever trickles in meanwhile. mockgw adds a shorter deadline for a request's head:
from its first byte, the request line and headers must be complete within ``Timeouts.header`` seconds, or
the connection is closed (a client that sends a byte a second no longer holds a connection for a minute).

A body in a content coding aiohttp cannot decode here (``br``, ``zstd``: their libraries are not installed)
is refused by aiohttp's parser before any route runs, as a plain-text 400; the connection answers it instead
in the API's error shape, 415 with the codings it takes (RFC 9110 §15.5.16).

When the process runs out of file descriptors, asyncio's accept loop reports the error once per retry, each
time with a traceback; :func:`quiet_accept_errors` makes that one log line a minute instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import ContentEncodingError
from aiohttp.web_request import BaseRequest

from mockgw.core.answer import Ids
from mockgw.server.defaults import Timeouts
from mockgw.server.responses import error_response

log = logging.getLogger("mockgw")
# asyncio's message when accept() fails for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM).
_ACCEPT_OUT_OF_RESOURCES = "socket.accept() out of system resource"
ACCEPT_ERROR_LOG_INTERVAL_S = 60.0
# The request codings read_body undoes (aiohttp's parser, without Brotli or zstandard installed).
ACCEPTED_CODINGS = "gzip, deflate"
_CODING_NAMED = re.compile(r"\(([^)]+)\)")  # aiohttp's text: "… brotli (br). Please install …"


def unsupported_coding(exc: ContentEncodingError) -> web.Response:
    """The API's answer to a body in a content coding mockgw cannot read: 415, naming the ones it can.

    The request line is not known here (aiohttp refuses before it makes the request), so the answer takes
    the Anthropic shape, whose ``error.message`` the OpenAI SDKs read too.
    """
    named = _CODING_NAMED.search(str(exc.message))
    coding = named.group(1) if named else "of this body"
    message = f"Content-Encoding {coding} is not supported: send the body as it is, or in {ACCEPTED_CODINGS}"
    rid = Ids(os.urandom(16)).request()
    response = error_response(
        415, message, request_id=rid, error_type="invalid_request_error", headers={"accept-encoding": ACCEPTED_CODINGS}
    )
    response.force_close()  # the body that follows the head is in a coding nobody here reads
    return response


class _RequestHandler(web.RequestHandler):
    """aiohttp's connection, closed when a request's head takes over ``header_timeout`` seconds to arrive."""

    def __init__(self, manager: web.Server, *, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._header_timeout = header_timeout
        self._head_deadline: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        # Waiting for a request (aiohttp's own idle test): these bytes start a head, and its clock.
        waiting = self._waiter is not None and not self._waiter.done()
        if waiting and self._head_deadline is None and self._header_timeout > 0:
            count = self._request_count
            self._head_deadline = self._loop.call_later(self._header_timeout, self._head_overdue, count)
        super().data_received(data)

    def _head_overdue(self, count: int) -> None:
        self._head_deadline = None
        if self._request_count == count and self.transport is not None:
            # No request was parsed since the head began: drop the connection without an answer (there is
            # no request to answer; a 408 would start a response the client may still be sending over).
            self.force_close()

    def handle_error(
        self, request: BaseRequest, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        if isinstance(exc, ContentEncodingError) and request.writer.output_size == 0:
            log.info("mockgw: refused a request body: %s", exc.message)
            return unsupported_coding(exc)
        return super().handle_error(request, status, exc, message)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None
        super().connection_lost(exc)


class _Server(web.Server):
    """aiohttp's Server, making :class:`_RequestHandler` connections."""

    header_timeout: float = 0.0

    def __call__(self) -> web.RequestHandler:
        return _RequestHandler(self, loop=self._loop, header_timeout=self.header_timeout, **self._kwargs)


class Runner(web.AppRunner):
    """An AppRunner whose connections keep mockgw's timeouts (idle and head; see the module's docstring)."""

    def __init__(self, app: web.Application, timeouts: Timeouts, **kwargs: Any) -> None:
        super().__init__(app, keepalive_timeout=timeouts.idle, **kwargs)
        self._header_timeout = timeouts.header

    async def _make_server(self) -> web.Server:
        made = await super()._make_server()
        # The same server, made with our connection class (aiohttp has no setting for it).
        server = _Server(
            made.request_handler,
            request_factory=made.request_factory,
            handler_cancellation=made.handler_cancellation,
            loop=made._loop,
            **made._kwargs,
        )
        server.header_timeout = self._header_timeout
        return server


ExceptionHandler = Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object]


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Log running out of descriptors on accept as one line a minute, not a traceback a second.

    Other reports go on to the handler there was before. Returns a function that puts that handler back.
    """
    previous: ExceptionHandler | None = loop.get_exception_handler()
    last_logged = [-ACCEPT_ERROR_LOG_INTERVAL_S]
    suppressed = [0]

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != _ACCEPT_OUT_OF_RESOURCES:
            if previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now - last_logged[0] < ACCEPT_ERROR_LOG_INTERVAL_S:
            suppressed[0] += 1
            return
        last_logged[0] = now
        exc = context.get("exception")
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        again = f" ({suppressed[0]} more since the last report)" if suppressed[0] else ""
        suppressed[0] = 0
        log.error(
            "mockgw: cannot accept new connections: %s; they wait until connections close%s. "
            "Raise the limit (ulimit -n) or close idle clients.",
            reason,
            again,
        )

    loop.set_exception_handler(handle)

    def restore() -> None:
        if loop.get_exception_handler() is handle:
            loop.set_exception_handler(previous)

    return restore
