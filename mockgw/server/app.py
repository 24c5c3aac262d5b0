"""The one app factory: the CLI, ``MockGateway`` and the pytest plugin all build the server here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import HttpVersion11, web

from mockgw.server import admin, batches_files, faces, routes, ui
from mockgw.server.connections import Runner, quiet_accept_errors
from mockgw.server.middleware import gateway_middleware, prepare_headers, well_formed
from mockgw.server.responses import error_response
from mockgw.server.state import Gateway, GatewayConfig

log = logging.getLogger("mockgw")


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


def create_app(config: GatewayConfig) -> web.Application:
    """A ready aiohttp application serving ``config``'s scenario."""
    # One middleware for every request (server/middleware.py): text headers, request id, Host allow-list,
    # CORS preflight, admin guard, profile, the API's error shape and the log line.
    app = web.Application(
        middlewares=[gateway_middleware(config.allowed_hosts, config.cors_origins)],
        client_max_size=config.max_body_bytes + 1,
    )
    app[routes.GATEWAY] = Gateway(config)
    routes.add_routes(app)
    faces.add_routes(app)
    batches_files.add_routes(app)
    admin.add_routes(app)
    ui.add_routes(app)
    # One hook for the headers every answer needs at prepare(), streams included: rate limits, worker, CORS.
    app.on_response_prepare.append(prepare_headers(config.cors_origins, config.worker))
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
