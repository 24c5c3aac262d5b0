"""The one app factory: the CLI, ``MockGateway`` and the pytest plugin all build the server here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import HttpVersion11, web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict

from mockgw.server import admin, batches_files, faces, ratelimit, routes, ui
from mockgw.server.connections import Runner, quiet_accept_errors
from mockgw.server.cors import install_cors, preflight_middleware
from mockgw.server.hosts import host_guard
from mockgw.server.logs import log_requests
from mockgw.server.profile import profile_guard
from mockgw.server.responses import error_response
from mockgw.server.state import Gateway, GatewayConfig

log = logging.getLogger("mockgw")


@web.middleware
async def anthropic_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every answer a ``request-id``, and every failure the Anthropic error shape (OpenAI's under the
    OpenAI faces' paths).

    aiohttp's own errors (404, 405, 413) become error bodies; an unexpected exception becomes a 500
    (``api_error``) with the traceback in our log, never in the answer.
    """
    # The id is made on first read (routes.request_id): a request the engine counts takes it from its
    # session's draws, so it repeats with the session's other bytes.
    try:
        response = await handler(request)
    except routes.DisconnectFault:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=200)  # never reaches the client: the connection is gone
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
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
    except Exception:
        log.exception("mockgw: unexpected error answering %s %s", request.method, request.path)
        rid = routes.request_id(request)
        if (shape := faces.error_shape(request.path)) is not None:
            return shape(500, "Internal server error", rid)
        return error_response(500, "Internal server error", request_id=rid)
    rid = routes.request_id(request)  # made now if nothing read it (the log line reads it after us)
    if "request-id" not in response.headers and not response.prepared:
        response.headers["request-id"] = rid
    return response


def well_formed(text: str) -> str:
    """``text`` with the undecodable bytes aiohttp keeps as lone surrogates (surrogateescape) made U+FFFD."""
    if text.isascii():
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return text.encode("utf-8", "replace").decode("utf-8")


@web.middleware
async def well_formed_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Header values that are not UTF-8 become text here, once, before anything reads them.

    Otherwise they would reach the journal, the log and templated replies as lone surrogates, which no
    UTF-8 answer can carry (a 500 where the caller deserved an answer).
    """
    if any(well_formed(value) != value for value in request.headers.values()):
        fixed = CIMultiDict((name, well_formed(value)) for name, value in request.headers.items())
        request = request.clone(headers=fixed)
    return await handler(request)


async def expect_header(request: web.Request) -> web.StreamResponse | None:
    """``Expect: 100-continue`` gets its interim answer; any other expectation an Anthropic-shaped 417.

    aiohttp answers ``Expect`` before any middleware runs; its own handler answers in plain text, and fails
    with a 500 when the value is not UTF-8.
    """
    if request.version != HttpVersion11:
        return None
    expect = well_formed(request.headers.get("expect", ""))
    gateway = request.app[routes.GATEWAY]
    if expect.lower() == "100-continue":
        limit = gateway.config.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            # Refused before the upload: "continue" would have the client send every byte just to be told no.
            # The connection closes, since the client will not send the body it announced.
            refused = error_response(
                413, routes.TOO_LARGE, request_id=gateway.engine.ids.request(), error_type="request_too_large"
            )
            refused.force_close()
            return refused
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # the answer proper has not started (aiohttp's handler does the same)
        return None
    rid = gateway.engine.ids.request()
    return error_response(417, f"Unknown Expect: {expect!r}", request_id=rid)


def _worker_header(number: str) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """``serve --workers``: admin answers say which worker process answered (x-mockgw-worker)."""

    async def add(request: web.Request, response: web.StreamResponse) -> None:
        if request.path.startswith("/_mockgw/"):
            response.headers["x-mockgw-worker"] = number

    return add


def create_app(config: GatewayConfig) -> web.Application:
    """A ready aiohttp application serving ``config``'s scenario."""
    # Outermost first: headers are made text; the log line times everything; errors get their shape and
    # request-id; a Host not on the allow-list is refused before anything is read or changed; preflights
    # are answered before the admin token is asked for (browsers never send credentials on a preflight).
    middlewares = [
        well_formed_headers,
        log_requests,
        anthropic_errors,
        host_guard(config.allowed_hosts),
        preflight_middleware(config.cors_origins),
        admin.admin_guard,
        profile_guard,  # the scenario's profile: routes the chosen gateway does not serve are refused here
    ]
    app = web.Application(middlewares=middlewares, client_max_size=config.max_body_bytes + 1)
    app[routes.GATEWAY] = Gateway(config)
    routes.add_routes(app)
    faces.add_routes(app)
    batches_files.add_routes(app)
    admin.add_routes(app)
    app.on_response_prepare.append(ratelimit.add_rate_limit_headers)
    if config.worker is not None:
        app.on_response_prepare.append(_worker_header(str(config.worker)))
    ui.add_routes(app)
    install_cors(app, config.cors_origins)
    for route in app.router.routes():
        # Routes take an expect handler only when added; set ours on all of them here, in one place.
        # (Unknown paths keep aiohttp's: they have no route to set it on.)
        route._expect_handler = expect_header
    return app


def gateway_of(app: web.Application) -> Gateway:
    """The gateway state of an app made by ``create_app``."""
    return app[routes.GATEWAY]


class RunningServer:
    """A started server: its address, its gateway, and ``stop()``."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, on_stop: Callable[[], None] = lambda: None) -> None:
        self.runner = runner
        self.host = host
        self.port = port
        self._on_stop = on_stop

    @property
    def gateway(self) -> Gateway:
        return gateway_of(self.runner.app)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def stop(self) -> None:
        await self.runner.cleanup()
        self._on_stop()


async def start_server(
    config: GatewayConfig, host: str = "127.0.0.1", port: int = 0, *, reuse_port: bool = False
) -> RunningServer:
    """Build the app and listen on ``host:port`` (port 0: a free one, read back from the socket); with
    ``reuse_port``, alongside other processes listening on the same port (``serve --workers``).

    Raises OSError when the address cannot be bound (the port is in use, say).
    """
    # A short shutdown grace: open streams (a scripted stall, say) must not hold up stop() or Ctrl-C.
    # handler_cancellation: a client that goes away ends its handler at once, even in a scripted stall or
    # delay, instead of leaving a task running to the end of it.
    # Timeouts: idle connections and slow request heads are closed (see server/connections.py).
    runner = Runner(
        create_app(config),
        config.timeouts,
        access_log=None,
        handle_signals=False,
        shutdown_timeout=0.5,
        handler_cancellation=True,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    restore = quiet_accept_errors(asyncio.get_running_loop())
    bound = runner.addresses[0]
    return RunningServer(runner, host, int(bound[1]), restore)
