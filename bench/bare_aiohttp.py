"""The baseline of benchmark 1: a bare aiohttp handler answering fixed bytes.

``python bench/bare_aiohttp.py --port P --body FILE`` serves ``POST /v1/messages`` with FILE's bytes
verbatim (run.py captures them from mockgw once), with the same headers mockgw sends (content-type and a
``request-id``), and ``GET /health`` for readiness. It reads the request body, as any server must, and
does nothing else: no parsing, no validation, no journal. The ratio mockgw/bare is the cost of everything
mockgw does on top of aiohttp.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from aiohttp import web


def make_app(body: bytes, request_id: str) -> web.Application:
    """An app answering every ``POST /v1/messages`` with ``body``."""

    async def messages(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, content_type="application/json", headers={"request-id": request_id})

    async def health(request: web.Request) -> web.Response:
        return web.Response(text='{"status":"ok"}', content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/messages", messages)
    app.router.add_get("/health", health)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="file holding the exact response body")
    parser.add_argument("--request-id", default="req_011CbenchbenchbenchbenchAA")
    args = parser.parse_args()
    # Same AppRunner options as mockgw's start_server: no access log.
    web.run_app(
        make_app(args.body.read_bytes(), args.request_id),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
