"""The inspector page at ``/_mockgw/ui``: one static HTML file that drives the admin API from a browser.

The page holds no data of its own, so it is served without the admin token; it asks for the token and sends
it with every admin call it makes. Its Content-Security-Policy lets it reach nothing but this server.
"""

from __future__ import annotations

import asyncio
from importlib import resources

from aiohttp import web

from mockgw.server.admin import UI_PATH
from mockgw.server.routes import request_id

PAGE = "inspector.html"
# Inline script and style only (there is no build step), and fetch() only to this origin: no CDN, no beacon.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def page_text() -> str:
    """The inspector's HTML, read from the installed package (a wheel carries it as package data)."""
    return resources.files(__name__).joinpath(PAGE).read_text(encoding="utf-8")


async def inspector(request: web.Request) -> web.StreamResponse:
    """``GET /_mockgw/ui``: the inspector page."""
    text = await asyncio.to_thread(page_text)  # a file read: off the loop, like every other file mockgw reads
    headers = {
        "request-id": request_id(request),
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cache-control": "no-store",  # an upgraded mockgw serves its own page, never a cached older one
    }
    return web.Response(text=text, content_type="text/html", charset="utf-8", headers=headers)


def add_routes(app: web.Application) -> None:
    """Register ``GET /_mockgw/ui``."""
    app.router.add_get(UI_PATH, inspector)
