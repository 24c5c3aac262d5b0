"""mockgw with one part of the request path switched off, to measure what that part costs (``--only breakdown``).

``python bench/variant_server.py --port P --scenario FILE [PART ...]`` serves like ``MockGateway`` (no request
log line) with these changes:

- ``log``: the request log line on, written to /dev/null (what ``mockgw serve`` adds)
- ``no-ratelimit``: no ``anthropic-ratelimit-*`` headers (``server/ratelimit.add_rate_limit_headers``, called
  from the one response hook, does nothing)
- ``no-validate``: the validation walk skipped (``routes.parse_message_request`` answers "certainly valid"
  without looking; the benchmark's request is valid, so the answer is the same)
- ``no-input-chars``: a constant instead of the input token estimate (``RequestView.input_chars``)
- ``no-why``: no decision path for the journal (``Decision.why`` returns an empty record, and
  ``Decision.why_later`` what makes one when first read)
- ``plain-read``: the body read by aiohttp's ``request.read()`` instead of ``routes.read_body``'s bounded,
  timed chunk loop
- ``no-prepared``: no prepared answers (``PreparedAnswers.get`` finds none), so every answer takes the full
  render: what answers prepared at load save

These are diagnostics, not modes of mockgw: they patch internals by name. A part whose name is gone from the
code stops the server at start with a message; a patched function that the request path no longer calls is
counted: on SIGTERM the server writes ``variant_server calls: {...}`` (each part's calls) to stderr, and
``bench/run.py`` marks a part that was never called as not on the path. Answers stay 200 with the same shape
(``no-ratelimit`` drops headers, ``no-why`` the journal's decision path); only their cost changes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

PARTS = ("log", "no-ratelimit", "no-validate", "no-input-chars", "no-why", "plain-read", "no-prepared")
CALLS: Counter[str] = Counter()  # how often each patched part was reached


def _replace(owner: object, name: str, part: str, value: Any) -> None:
    """Set ``owner.name`` to ``value``; stop with a message if the code has no such name any more."""
    if not hasattr(owner, name):
        sys.exit(f"variant_server: {getattr(owner, '__name__', owner)}.{name} is gone: part {part!r} means nothing")
    setattr(owner, name, value)


def _counted(part: str, result: Callable[..., Any]) -> Callable[..., Any]:
    def patched(*args: Any, **kwargs: Any) -> Any:
        CALLS[part] += 1
        return result(*args, **kwargs)

    return patched


def patch(parts: list[str]) -> None:
    """Apply the parts' patches (each counts its calls in ``CALLS``)."""
    import mockgw.core.engine
    import mockgw.core.request
    import mockgw.faces.anthropic.prepared
    import mockgw.server.logs
    import mockgw.server.ratelimit
    import mockgw.server.routes

    routes = mockgw.server.routes
    if "log" in parts:
        mockgw.server.logs.configure_logging("text", open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the server)
    if "no-ratelimit" in parts:
        _replace(
            mockgw.server.ratelimit, "add_rate_limit_headers", "no-ratelimit", _counted("no-ratelimit", lambda *a: None)
        )
    if "no-validate" in parts:
        _replace(routes, "parse_message_request", "no-validate", _counted("no-validate", lambda *a, **k: None))
    if "no-input-chars" in parts:
        _replace(
            mockgw.core.request.RequestView,
            "input_chars",
            "no-input-chars",
            property(_counted("no-input-chars", lambda self: 400)),
        )
    if "no-why" in parts:
        # Either is on the path: the record made at once (why), or what makes it when first read (why_later).
        engine = mockgw.core.engine
        _replace(engine.Decision, "why", "no-why", _counted("no-why", lambda self, request=None: {}))
        _replace(
            engine.Decision, "why_later", "no-why", _counted("no-why", lambda self, request: engine.WhyLater(dict, ()))
        )
    if "plain-read" in parts:

        async def read_body(request: Any, limit: int, timeout: float | None = None) -> bytearray:
            CALLS["plain-read"] += 1
            return bytearray(await request.read())

        _replace(routes, "read_body", "plain-read", read_body)
    if "no-prepared" in parts:
        answers = mockgw.faces.anthropic.prepared.PreparedAnswers
        _replace(answers, "get", "no-prepared", _counted("no-prepared", lambda self, *a: None))


async def serve(port: int, scenario: Path) -> None:
    from mockgw.scenario.loader import load_scenarios
    from mockgw.server.app import start_server
    from mockgw.server.state import GatewayConfig

    server = await start_server(GatewayConfig(scenario=load_scenarios([scenario])), "127.0.0.1", port)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--scenario", type=Path, required=True)
    parser.add_argument("parts", nargs="*", metavar="PART", help=", ".join(PARTS))
    args = parser.parse_args()
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    logging.getLogger("mockgw").setLevel(logging.WARNING)  # as under pytest, unless "log" turns it on
    patch(args.parts)
    asyncio.run(serve(args.port, args.scenario))
    counted = {part: CALLS[part] for part in args.parts if part != "log"}
    print(f"variant_server calls: {json.dumps(counted)}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
