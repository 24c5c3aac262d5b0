"""mockgw with one part of the request path switched off, to measure what that part costs (``--only breakdown``).

``python bench/variant_server.py --port P --scenario FILE [PART ...]`` serves like ``MockGateway`` (no request
log line, CORS for the default localhost origins) with these changes:

- ``log``: the request log line on, written to /dev/null (what ``mockgw serve`` adds)
- ``log-dict``: ``log`` with the line's fields copied by ``dict(vars(...))`` instead of ``dataclasses.asdict``
- ``no-cors``: no CORS (``cors_origins=()``), so no ``on_response_prepare`` hook
- ``no-input-chars``: a constant instead of the input token estimate (``RequestView.input_chars``)
- ``no-redact``: the journal keeps the headers dict as is instead of a redacted copy

These are diagnostics, not modes of mockgw: they patch internals, and a part that no longer exists is
reported on stderr and left alone. Answers stay 200 with the same shape; only their cost changes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

PARTS = ("log", "log-dict", "no-cors", "no-input-chars", "no-redact")


def patch(parts: list[str]) -> dict[str, Any]:
    """Apply the parts' patches; the GatewayConfig keywords they need."""
    import mockgw.core.request
    import mockgw.server.logs
    import mockgw.server.routes

    config: dict[str, Any] = {}
    if "log" in parts or "log-dict" in parts:
        mockgw.server.logs.configure_logging("text", open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the server)
    if "log-dict" in parts:
        if hasattr(mockgw.server.logs, "asdict"):
            mockgw.server.logs.asdict = lambda line: dict(vars(line))  # type: ignore[assignment]
        else:
            print("variant_server: logs.asdict is gone; log-dict changes nothing", file=sys.stderr)
    if "no-cors" in parts:
        config["cors_origins"] = ()
    if "no-input-chars" in parts:
        mockgw.core.request.RequestView.input_chars = property(lambda self: 400)  # type: ignore[assignment,misc]
    if "no-redact" in parts:
        if hasattr(mockgw.server.routes, "redact_headers"):
            mockgw.server.routes.redact_headers = lambda headers: headers  # type: ignore[assignment]
        else:
            print("variant_server: routes.redact_headers is gone; no-redact changes nothing", file=sys.stderr)
    return config


async def serve(port: int, scenario: Path, config: dict[str, Any]) -> None:
    from mockgw.scenario.loader import load_scenarios
    from mockgw.server.app import start_server
    from mockgw.server.state import GatewayConfig

    server = await start_server(GatewayConfig(scenario=load_scenarios([scenario]), **config), "127.0.0.1", port)
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
    asyncio.run(serve(args.port, args.scenario, patch(args.parts)))


if __name__ == "__main__":
    main()
