"""What the server does unless told otherwise, for the settings that the CLI reads from flags and variables.

Defined here, under ``server/``, because the server enforces them; ``cli/settings.py`` imports them (the
server never imports the CLI).
"""

from __future__ import annotations

from dataclasses import dataclass

# Browser origins allowed by default: any page served from this machine, on any port. The admin API is
# granted to these alone, whatever else CORS allows (server/cors.py).
LOCALHOST_ORIGINS = (
    "http://localhost:*",
    "http://127.0.0.1:*",
    "http://[::1]:*",
    "https://localhost:*",
    "https://127.0.0.1:*",
    "https://[::1]:*",
)


@dataclass(frozen=True)
class Timeouts:
    """How long the server waits on a client, in seconds (``mockgw serve --*-timeout``; README "Limits")."""

    idle: float = 60.0  # a kept-alive connection with no request in flight is closed after this
    header: float = 10.0  # from a request's first byte to the end of its head (request line and headers)
    body: float = 30.0  # between two pieces of a request body (a body that stops arriving gets 408)
    write: float = 30.0  # for a client to take the next piece of an answer (one that stops reading is dropped)
