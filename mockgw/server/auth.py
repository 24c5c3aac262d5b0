"""Credential checks as Vercel AI Gateway makes them.

``x-api-key`` or ``Authorization: Bearer``; when ``x-api-key`` is present it decides, even if a valid Bearer
token is also sent. No keys configured: anything, or nothing, is accepted. With ``oidc``, a Bearer token
that is a well-formed, unexpired JWT is accepted as well (the gateway's OIDC path).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AuthPolicy:
    keys: frozenset[str] = frozenset()
    oidc: bool = False

    @property
    def open(self) -> bool:
        return not self.keys and not self.oidc


def _b64json(part: str) -> object:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def is_live_jwt(token: str, now: float) -> bool:
    """A JWT with a JSON header naming an ``alg``, a JSON payload, a signature, and ``exp`` not passed.

    The signature is not verified: a mock has no issuer keys; the gateway's contract is the token shape.
    """
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return False
    try:
        header, payload = _b64json(parts[0]), _b64json(parts[1])
    except (ValueError, UnicodeError, binascii.Error):
        return False
    if not isinstance(header, dict) or "alg" not in header or not isinstance(payload, dict):
        return False
    exp = payload.get("exp")
    if exp is None:
        return True
    return isinstance(exp, int | float) and not isinstance(exp, bool) and exp > now


def credential(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """Which credential decides: ``("x-api-key", key)``, ``("bearer", token)`` or None."""
    api_key = headers.get("x-api-key")
    if api_key is not None:
        return ("x-api-key", api_key)
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return ("bearer", token.strip())
    return None


def authorized(headers: Mapping[str, str], policy: AuthPolicy, now: float) -> bool:
    """Whether a request with these (lower-cased) headers may pass."""
    if policy.open:
        return True
    found = credential(headers)
    if found is None:
        return False
    kind, secret = found
    if secret in policy.keys:
        return True
    return kind == "bearer" and policy.oidc and is_live_jwt(secret, now)


def make_policy(keys: Collection[str], oidc: bool) -> AuthPolicy:
    return AuthPolicy(frozenset(k for k in keys if k), oidc)
