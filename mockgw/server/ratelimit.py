"""``anthropic-ratelimit-*`` headers on every Anthropic API answer (200, errors, streams), not only on 429.

Added at ``prepare()`` (server/middleware.py, ``prepare_headers``), so streams get them before their first
byte and every route the same way. The counting and wording are ``gateway/ratelimits.py``'s; headers a
scenario set itself (``error.headers``) are kept.
"""

from __future__ import annotations

from aiohttp import web

from mockgw.gateway.ratelimits import HEADER_NAMES, wall_microseconds
from mockgw.server import routes

# The OpenAI-compatible faces and the AI SDK's protocol answer in their own shape: not these headers.
_OTHER_FACES = ("openai", "aisdk")


def _exhausted_for(response: web.StreamResponse) -> float:
    """How long a 429 says to wait: ``retry-after-ms``, else ``retry-after``, else one second."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = response.headers.get(name)
        if raw is not None:
            try:
                return max(0.0, float(raw) / scale)
            except ValueError:
                continue
    return 1.0


def add_rate_limit_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Count the request and add the headers, on an Anthropic API answer (not admin, not a 401)."""
    entry = request.get(routes.JOURNAL_ENTRY)
    if entry is None or (entry.face or "").startswith(_OTHER_FACES) or response.status == 401:
        return
    gateway = request.app[routes.GATEWAY]
    limiter = gateway.rate_limiter
    now = gateway.clock.now()
    usage = request.get(routes.USAGE)
    limiter.take(now, input_tokens=usage[0] if usage else 0, output_tokens=usage[1] if usage else 0)
    exhausted = _exhausted_for(response) if response.status == 429 else None
    pairs = limiter.header_pairs(now, wall_microseconds(gateway.wall_now()), exhausted_for=exhausted)
    headers = response.headers
    if not headers.keys().isdisjoint(HEADER_NAMES):  # a scenario's own (error.headers) are kept
        for name, value in pairs:
            headers.setdefault(name, value)
    else:  # the common case: one call instead of twelve
        headers.extend(pairs)
