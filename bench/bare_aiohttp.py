"""The baselines of benchmarks 1 and 2: a bare aiohttp handler answering fixed bytes.

``python bench/bare_aiohttp.py --port P --body FILE [--path ROUTE] [--stream-body FILE --chunk-ms 50]``
serves ``POST ROUTE`` (``/v1/messages``, or ``/v1/chat/completions`` for the OpenAI face) with FILE's bytes
verbatim (run.py captures them from mockgw once), with the headers mockgw sends (content-type and a
``request-id``), and ``GET /health`` for readiness. It reads the request body, as any server must, and does
nothing else: no parsing, no validation, no journal. The ratio mockgw/bare is the cost of everything mockgw
does on top of aiohttp.

With ``--stream-body``, a request whose body asks for ``"stream":true`` gets those SSE bytes instead (also
captured from mockgw), frame by frame, sleeping ``--chunk-ms`` before each content delta: the least an
aiohttp server can do to pace a stream, so its timing error is what the machine and the client add.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from aiohttp import web

SSE_HEADERS = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}


def make_app(
    body: bytes, request_id: str, frames: list[bytes], chunk_s: float, path: str = "/v1/messages"
) -> web.Application:
    """An app answering every ``POST path`` with ``body``, or with ``frames`` paced when streamed."""

    async def messages(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        if not frames or b'"stream":true' not in raw:
            return web.Response(body=body, content_type="application/json", headers={"request-id": request_id})
        response = web.StreamResponse(headers={**SSE_HEADERS, "request-id": request_id})
        await response.prepare(request)
        for frame in frames:
            if frame.startswith(b"event: content_block_delta\n"):
                await asyncio.sleep(chunk_s)
            await response.write(frame)
        await response.write_eof()
        return response

    async def health(request: web.Request) -> web.Response:
        return web.Response(text='{"status":"ok"}', content_type="application/json")

    app = web.Application()
    app.router.add_post(path, messages)
    app.router.add_get("/health", health)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="file holding the exact response body")
    parser.add_argument("--path", default="/v1/messages", help="the POST route answered")
    parser.add_argument("--stream-body", type=Path, help="file holding the exact SSE body of a streamed answer")
    parser.add_argument("--chunk-ms", type=float, default=50.0, help="pause before each content delta")
    parser.add_argument("--request-id", default="req_011CbenchbenchbenchbenchAA")
    args = parser.parse_args()
    frames: list[bytes] = []
    if args.stream_body:
        frames = [frame + b"\n\n" for frame in args.stream_body.read_bytes().split(b"\n\n") if frame]
    # Same AppRunner options as mockgw's start_server: no access log.
    web.run_app(
        make_app(args.body.read_bytes(), args.request_id, frames, args.chunk_ms / 1000, args.path),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
