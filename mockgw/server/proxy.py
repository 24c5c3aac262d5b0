"""The recording proxy behind ``mockgw record``: relays every request to a real upstream and records.

Requests go upstream with their headers (hop-by-hop ones and ``Host`` dropped) and body; answers come back
as they are, status, headers (``request-id`` included) and bytes, SSE chunks relayed the moment they
arrive. Alongside, each ``POST /v1/messages`` exchange is folded into a :class:`~mockgw.scenario.record.Recording`;
``count_tokens``, ``/v1/models`` and anything else pass through unrecorded (mockgw answers those itself).

Like ``mockgw serve``, the recorder answers only requests whose ``Host`` is a loopback name, an IP address,
its ``--host`` or a name given with ``--allow-host`` (server/hosts.py: a web page that rebinds its own domain
to 127.0.0.1 could otherwise send requests through it with the page's own code). Others get 403.

One liberty is taken with the request: ``Accept-Encoding`` is narrowed to gzip and deflate, the codings
the recorder can read without extra packages. The upstream's bytes still reach the client untouched.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import signal
import sys
import time
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from multidict import CIMultiDict
from yarl import URL

from mockgw.core.journal import redact_query
from mockgw.scenario.loader import ScenarioError
from mockgw.scenario.record import (
    RecordError,
    Recording,
    SSEParser,
    StreamAccumulator,
    exchange_from_body,
    exchange_from_stream,
    public_url,
)
from mockgw.server.hosts import host_allowed, host_name
from mockgw.server.responses import error_response

log = logging.getLogger("mockgw.record")

# Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus those aiohttp sets itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
_READABLE_CODINGS = ("gzip", "deflate")
MAX_BODY_BYTES = 64 * 1024 * 1024  # above the API's 32 MB: the upstream, not the proxy, refuses big bodies
# An answer is recorded only up to this many bytes (decoded); a bigger one is relayed but not recorded.
MAX_RECORDED_BYTES = 32 * 1024 * 1024


def forward_headers(headers: Mapping[str, str], *, request: bool) -> CIMultiDict[str]:
    """The headers to pass on: hop-by-hop ones (and those the Connection header names) left out.

    A request also loses ``Content-Length`` (recomputed for the body sent) and has ``Accept-Encoding``
    narrowed to what the recorder can decode.
    """
    items = list(headers.items())  # a multidict's items(): repeated headers included
    named = {
        token.strip().lower() for name, value in items if name.lower() == "connection" for token in value.split(",")
    }
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in items:
        lower = name.lower()
        if lower in HOP_BY_HOP or lower in named or (request and lower == "content-length"):
            continue
        if request and lower == "accept-encoding":
            codings = [c.strip() for c in value.split(",") if c.split(";")[0].strip().lower() in _READABLE_CODINGS]
            value = ", ".join(codings) or "identity"
        out.add(name, value)
    return out


class _Decoder:
    """Undo a gzip/deflate content coding for the recorder's copy (the client gets the bytes as sent).

    At most ``limit`` decoded bytes in all: past that ``over`` is set and nothing more is decoded (an
    upstream's gzip bomb costs the recorder ``limit`` bytes, not what it expands to).
    """

    def __init__(self, coding: str | None, limit: int = MAX_RECORDED_BYTES) -> None:
        coding = (coding or "").strip().lower()
        # wbits 47 = 32 + 15: zlib reads the gzip or zlib header, whichever comes.
        self._z = zlib.decompressobj(47) if coding in _READABLE_CODINGS else None
        self._left = limit
        self.over = False

    def __call__(self, chunk: bytes) -> bytes:
        if self.over:
            return b""
        if self._z is None:
            plain = chunk
        else:
            plain = self._z.decompress(chunk, self._left + 1)  # stops one byte past the limit
            if self._z.unconsumed_tail:
                self.over = True
        self._left -= len(plain)
        if self._left < 0:
            self.over = True
        return b"" if self.over else plain


class RecordingProxy:
    """A proxy to ``upstream`` that records ``/v1/messages`` exchanges into ``recording``.

    proxy = await RecordingProxy("https://ai-gateway.vercel.sh").start()   # 127.0.0.1, a free port
    ... point clients at proxy.url ...
    await proxy.stop()
    proxy.recording.write("session.yaml")      # or .scenario() / .to_yaml(): no signal needed
    """

    def __init__(self, upstream: str, recording: Recording | None = None, *, allowed_hosts: Sequence[str] = ()) -> None:
        self.upstream = upstream.rstrip("/")
        self.recording = recording or Recording(upstream)
        # Host names answered besides loopback names, IP addresses and the address listened on (``--allow-host``).
        self.allowed_hosts = tuple(allowed_hosts)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.host = "127.0.0.1"
        self.port = 0

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> RecordingProxy:
        """Listen on ``host:port`` (0: a free port, read back). Raises OSError when it cannot bind."""
        self._session = aiohttp.ClientSession(
            auto_decompress=False,  # relay the upstream's bytes as they are
            cookie_jar=aiohttp.DummyCookieJar(),  # never carry one client's cookies to another's request
            # Send only the headers the client sent, not aiohttp's defaults.
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=30),
        )
        # The name listened on is one its clients use (an address is answered anyway), as for `mockgw serve`.
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[host_check((*self.allowed_hosts, host))])
        app.router.add_route("*", "/{tail:.*}", self._relay)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            await self._session.close()
            raise
        self._runner = runner
        self.host, self.port = host, int(runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        """Stop listening and close the upstream connections. Safe to call twice."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> RecordingProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ relaying

    async def _relay(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        started = time.monotonic()
        body = await request.read()
        recorded = request.method == "POST" and request.path == "/v1/messages"
        seq = self.recording.next_seq() if recorded else 0
        try:
            upstream = await self._session.request(
                request.method,
                self.upstream + request.rel_url.raw_path_qs,
                headers=forward_headers(request.headers, request=True),
                data=body,
                allow_redirects=False,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("mockgw record: %s %s → upstream unreachable: %s", request.method, request.path, exc)
            message = f"mockgw record: the upstream {public_url(self.upstream)} did not answer: {exc}"
            return error_response(502, message, request_id=f"req_mockgw_{secrets.token_hex(10)}")
        async with upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            response.headers.extend(forward_headers(upstream.headers, request=False))
            await response.prepare(request)
            stream = upstream.status == 200 and upstream.content_type == "text/event-stream"
            outcome, answer = await self._pass_on(request, response, upstream, started, stream)
        what = "stream" if stream else "json"
        log.info(
            "mockgw record: %s %s → %s %s %.0f ms",
            request.method,
            redact_query(request.path_qs),  # ?key=… and its kind never reach the log
            upstream.status,
            what,
            (time.monotonic() - started) * 1000,
        )
        if recorded:
            self._record(seq, body, upstream, outcome, answer)
        return response

    async def _pass_on(
        self,
        request: web.Request,
        response: web.StreamResponse,
        upstream: aiohttp.ClientResponse,
        started: float,
        stream: bool,
    ) -> tuple[str, StreamAccumulator | bytes]:
        """Relay the body chunk by chunk as it arrives; fold a decoded copy. Returns how it ended."""
        decode = _Decoder(upstream.headers.get("content-encoding"))
        parser, accumulator, copy = SSEParser(), StreamAccumulator(), bytearray()
        outcome, relayed = "complete", False
        try:
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
                plain = decode(chunk)
                if decode.over:
                    outcome = "too_large"  # still relayed in full; the copy stops here
                elif stream:
                    for event in parser.feed(plain, time.monotonic() - started):
                        accumulator.add(event)
                else:
                    copy += plain
            relayed = True
            await response.write_eof()
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            # The upstream broke off: break off the client's answer too, as the upstream did.
            outcome = "upstream_cut"
            if request.transport is not None:
                request.transport.abort()
        except (ConnectionError, RuntimeError):
            # The client hung up: what it would have got is unknown, unless every byte had reached it and only
            # the chunked end had not (an SDK that raises on a stream's error event hangs up at once).
            if not relayed:
                outcome = "client_gone"
        except zlib.error:
            outcome = "undecodable"
        if decode.over:
            outcome = "too_large"
        return outcome, accumulator if stream else bytes(copy)

    def _record(self, seq: int, body: bytes, upstream: aiohttp.ClientResponse, outcome: str, answer: Any) -> None:
        try:
            request_json = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            request_json = None
        whys = {
            "client_gone": "the client left mid-answer",
            "undecodable": "the answer could not be decoded",
            "too_large": f"the answer was over {MAX_RECORDED_BYTES // (1024 * 1024)} MiB",
        }
        if outcome in whys:
            self.recording.note(f"request #{seq}: {whys[outcome]}; not recorded")
            return
        if isinstance(answer, StreamAccumulator):
            self.recording.add(exchange_from_stream(seq, request_json, upstream.status, answer))
        else:
            headers = {k.lower(): v for k, v in upstream.headers.items()}
            self.recording.add(exchange_from_body(seq, request_json, upstream.status, headers, answer))


# ---------------------------------------------------------------- the command


def host_check(allowed: Sequence[str]) -> Middleware:
    """A middleware answering 403 ``permission_error`` to a request whose ``Host`` is not on the allow-list
    (``hosts.host_allowed``), before anything is relayed or recorded."""
    names = tuple(allowed)

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        header = request.headers.get("host")
        if host_allowed(header, names):
            return await handler(request)
        shown = host_name(header or "") or header
        message = (
            f"mockgw record: Host {shown!r} is not allowed (a guard against DNS rebinding: the recorder answers "
            f"loopback names, IP addresses and the names it is given); to allow it, record with --allow-host {shown}"
        )
        log.warning("mockgw record: %s %s refused: Host %r is not allowed", request.method, request.path, shown)
        return error_response(
            403, message, request_id=f"req_mockgw_{secrets.token_hex(10)}", error_type="permission_error"
        )

    return check


def check_upstream(url: str) -> str | None:
    """Why ``url`` cannot be an upstream (None: it can)."""
    try:
        parts = URL(url)
    except (ValueError, TypeError) as exc:
        return f"not a URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.host:
        return f"expected an http:// or https:// URL, got {public_url(url)!r}"
    return None


def _banner(proxy: RecordingProxy, out: Path) -> str:
    return "\n".join(
        [
            f"mockgw record: {proxy.url} → {public_url(proxy.upstream)}",
            f"Every /v1/messages exchange is recorded; Ctrl-C (or SIGTERM) writes the scenario to {out}.",
            "",
            "Point your client here (keep your real key; it goes upstream and is never written):",
            f"  export ANTHROPIC_BASE_URL={proxy.url}",
        ]
    )


async def record_until_signalled(
    upstream: str, out: Path, host: str, port: int, allowed_hosts: Sequence[str] = ()
) -> int:
    """``mockgw record``: proxy until SIGINT/SIGTERM, then write the scenario file. Returns the exit code."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    proxy = RecordingProxy(upstream, allowed_hosts=allowed_hosts)
    try:
        await proxy.start(host, port)
    except OSError as exc:
        print(f"mockgw: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(_banner(proxy, out), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await proxy.stop()
    try:
        proxy.recording.write(out)
    except (ScenarioError, RecordError, OSError) as exc:
        print(f"mockgw: could not write {out}: {exc}", file=sys.stderr)
        return 1
    rules = len(proxy.recording.scenario_data(out.stem)["rules"])
    requests = len(proxy.recording.exchanges)
    print(f"mockgw: wrote {out} ({requests} request{'s' * (requests != 1)}, {rules} rule{'s' * (rules != 1)}).")
    return 0
