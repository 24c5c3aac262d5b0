"""CORS, so a browser app (the TypeScript SDK with ``dangerouslyAllowBrowser``, the AI SDK) can call mockgw.

Preflights (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) are answered on every path by
the one middleware (server/middleware.py); every other answer gets its ``access-control-*`` headers at
``prepare()`` (``middleware.prepare_headers``), because a stream's headers leave then, before a middleware
could add them afterwards.

The admin API (``/_mockgw/``) is granted to pages of this machine only (the localhost origins), whatever
``--cors-origin`` allows: an origin allowed for a browser app (even ``*``) never gets to read the journal or
switch the scenario.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from mockgw.server.admin import is_admin_path
from mockgw.server.defaults import LOCALHOST_ORIGINS
from mockgw.server.responses import error_response
from mockgw.server.routes import request_id

ALLOW_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
# Sent when a preflight names no headers; otherwise the requested ones are echoed (the SDKs add
# x-stainless-* headers by version, so no fixed list stays complete).
ALLOW_HEADERS = ", ".join(
    [
        "content-type",
        "x-api-key",
        "authorization",
        "anthropic-version",
        "anthropic-beta",
        "anthropic-dangerous-direct-browser-access",
        *(
            f"x-stainless-{name}"
            for name in (
                "arch",
                "lang",
                "os",
                "package-version",
                "runtime",
                "runtime-version",
                "retry-count",
                "timeout",
                "helper",
                "helper-method",
            )
        ),
        "x-mockgw-session",
        "x-mockgw-status",
        "x-mockgw-rule",
        "x-mockgw-delay-ms",
        "x-mockgw-admin-token",
        "x-mockgw-admin",
    ]
)
MAX_AGE = "7200"  # seconds; Chromium caps a cached preflight at two hours
# What a browser client reads from an answer beyond the safelisted headers: the SDKs' retry logic and ids.
EXPOSE_HEADERS = (
    "request-id",
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    *(
        f"anthropic-ratelimit-{kind}-{part}"
        for kind in ("requests", "tokens", "input-tokens", "output-tokens")
        for part in ("limit", "remaining", "reset")
    ),
)
# Never worth exposing: safelisted already, hop-by-hop, or CORS's own.
_NOT_EXPOSED = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "date",
        "server",
        "vary",
    }
)


def origin_allowed(origin: str, patterns: Sequence[str]) -> bool:
    """Whether ``origin`` is allowed: ``*`` allows any; ``scheme://host:*`` any port of that host (or none)."""
    origin = origin.strip().lower()
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern == "*" or origin == pattern:
            return True
        if pattern.endswith(":*"):
            base = pattern[:-2]
            # Exactly base, or base:digits: http://localhost:* must not allow http://localhost.evil.test.
            if origin == base or (origin.startswith(base + ":") and origin[len(base) + 1 :].isdigit()):
                return True
    return False


def granted(origin: str, path: str, patterns: Sequence[str]) -> bool:
    """Whether ``origin`` may call ``path``: allowed by ``patterns``, and a localhost origin for the admin API."""
    if not origin_allowed(origin, patterns):
        return False
    return not is_admin_path(path) or origin_allowed(origin, LOCALHOST_ORIGINS)


def _vary(response: web.StreamResponse, *names: str) -> None:
    present = [v.strip() for v in response.headers.get("vary", "").split(",") if v.strip()]
    lowered = {v.lower() for v in present}
    present.extend(n for n in names if n.lower() not in lowered)
    response.headers["vary"] = ", ".join(present)


def preflight_answer(request: web.Request, origins: Sequence[str]) -> web.Response | None:
    """The answer to a CORS preflight for ``origins`` (204, or 403 saying why); None: not a preflight, or CORS
    is off (no origins)."""
    if not origins or request.method != "OPTIONS":
        return None
    origin = request.headers.get("origin")
    if origin is None or "access-control-request-method" not in request.headers:
        return None
    if not origin_allowed(origin, origins):
        message = (
            f"mockgw: origin {origin!r} is not allowed by CORS (allowed: {', '.join(origins)}); "
            f"start mockgw with --cors-origin {origin} or MOCKGW_CORS_ORIGINS"
        )
        return error_response(403, message, request_id=request_id(request))
    if not granted(origin, request.path, origins):
        message = (
            f"mockgw: the admin API is not granted to origin {origin!r}: only pages of this machine "
            "(localhost origins) may call it from a browser (see docs/admin.md, Security model)"
        )
        return error_response(403, message, request_id=request_id(request))
    requested = request.headers.get("access-control-request-headers", "").strip()
    headers = {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": ALLOW_METHODS,
        "access-control-allow-headers": requested or ALLOW_HEADERS,
        "access-control-max-age": MAX_AGE,
    }
    # Chromium's Private Network Access: a page on a public address asking for a local one.
    if request.headers.get("access-control-request-private-network", "").lower() == "true":
        headers["access-control-allow-private-network"] = "true"
    response = web.Response(status=204, headers=headers)
    _vary(response, "Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")
    return response


def add_headers(request: web.Request, response: web.StreamResponse, origins: Sequence[str]) -> None:
    """Give an answer to an allowed origin its CORS headers (at ``prepare()``: streams included)."""
    if "vary" in response.headers:
        _vary(response, "Origin")
    else:
        response.headers["vary"] = "Origin"  # most answers: no Vary of their own to merge with
    origin = request.headers.get("origin")
    if origin is None or not granted(origin, request.path, origins):
        return
    response.headers["access-control-allow-origin"] = origin
    if "access-control-allow-methods" in response.headers:
        return  # a preflight answer: expose-headers means nothing there
    own = [name.lower() for name in response.headers if not name.lower().startswith("access-control-")]
    expose = dict.fromkeys([*EXPOSE_HEADERS, *(n for n in own if n not in _NOT_EXPOSED)])
    response.headers["access-control-expose-headers"] = ", ".join(expose)
