"""The ``Host`` allow-list: mockgw answers only requests addressed to it by a name it knows (DNS rebinding).

A web page in the user's browser can make its own domain resolve to 127.0.0.1 (DNS rebinding) and then call
mockgw as a same-origin server: no CORS applies, and the page could read the journal (the user's prompts) or
install its own scenario. Such a request always carries the page's domain in ``Host``. So mockgw answers only
a ``Host`` that is

- a loopback name: ``localhost`` or any ``*.localhost`` (they never leave the machine);
- an IP address (v4 or v6, any port): a rebinding page can only ever send a domain name, and an address
  that reaches mockgw is this machine's own;
- a name the user gave: ``--host`` (when it is a name), ``--allow-host`` / ``MOCKGW_ALLOW_HOST``
  (``mockgw`` for a compose service, ``.example.test`` for a domain and its subdomains, ``*`` for any).

Anything else gets 403 ``permission_error`` naming the host and the flag that allows it, on every route, in
the API's own error shape (Vite and webpack's dev servers answer the same way: loopback names and IP
addresses allowed, other names by configuration). See docs/admin.md, "Security model".
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Sequence

from aiohttp import web

from mockgw.server.faces import FACE_ROUTES
from mockgw.server.openai_errors import openai_error, unauthorized
from mockgw.server.responses import error_response
from mockgw.server.routes import request_id

ANY_HOST = "*"
# Paths whose answers take the OpenAI error shape (every other path answers in Anthropic's).
_OPENAI_PATHS = frozenset(row.path for row in FACE_ROUTES if row.unauthorized is unauthorized)


def host_name(header: str) -> str | None:
    """The name or address of a ``Host`` value, lower-cased, without port, brackets or a final dot.

    None when the value is not a host at all (``a b``, ``[::1``, ``x:port``).
    """
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        rest = value[end + 1 :] if end > 0 else None
        if rest is None or (rest and not (rest[0] == ":" and rest[1:].isdigit())):
            return None
        return value[1:end]
    if value.count(":") == 1:
        value, port = value.split(":")
        if not port.isdigit():
            return None
    name = value.removesuffix(".")
    if not name or any(c.isspace() or c in "/\\@?#" for c in name):
        return None
    return name


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(header: str | None, allowed: Sequence[str]) -> bool:
    """Whether a request with this ``Host`` header is answered (see the module's docstring).

    A request without ``Host`` (HTTP/1.0) is answered: no browser sends one, so it cannot be a rebinding.
    """
    if header is None or header == "":
        return True
    name = host_name(header)
    if name is None:
        return False
    if name == "localhost" or name.endswith(".localhost") or _is_address(name):
        return True
    for pattern in allowed:
        pattern = pattern.strip().lower().removesuffix(".")
        if pattern == ANY_HOST or name == pattern:
            return True
        if pattern.startswith((".", "*.")) and (name.endswith(pattern.lstrip("*")) or name == pattern.lstrip("*.")):
            return True
    return False


def allow_list(allowed: Sequence[str]) -> Callable[[str | None], bool]:
    """``host_allowed`` for this allow-list, remembering its answer for the last few ``Host`` values (a
    client sends the same one on every request: it is parsed once, not per request)."""
    names = tuple(allowed)

    @functools.lru_cache(maxsize=64)
    def allowed_host(header: str | None) -> bool:
        return host_allowed(header, names)

    return allowed_host


def refusal(request: web.Request, allowed: Callable[[str | None], bool]) -> web.Response | None:
    """The 403 for a request whose ``Host`` is not on the allow-list (``allow_list``), with the reason."""
    header = request.headers.get("host")
    if allowed(header):
        return None
    shown = host_name(header or "") or header
    message = (
        f"mockgw: Host {shown!r} is not allowed (a guard against DNS rebinding: mockgw answers loopback "
        f"names, IP addresses and the names it is given); to allow it, serve with --allow-host {shown} "
        "or MOCKGW_ALLOW_HOST (see docs/admin.md, Security model)"
    )
    if request.path in _OPENAI_PATHS:
        return openai_error(request, 403, message, error_type="permission_error", code="host_not_allowed")
    return error_response(403, message, request_id=request_id(request), error_type="permission_error")
