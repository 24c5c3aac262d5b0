"""The scenario's ``profile``: which API routes are served.

``full`` (the default) serves every route mockgw has. ``vercel`` serves only the routes Vercel AI Gateway
documents, and answers the others as a server without them does: 404 in the face's own error shape, with a
message that says why, so a test sees at once that it used an endpoint the real gateway does not offer.
The admin API, the inspector, ``GET /`` and the health checks are never refused: only ``/v1/`` and ``/v4/``
routes are the gateway's API. The evidence for each row is in docs/scenarios.md (Profiles).
"""

from __future__ import annotations

from aiohttp import web

from mockgw.server import faces, routes
from mockgw.server.responses import error_response

# Route patterns (aiohttp's canonical form) Vercel AI Gateway documents. Anything else under /v1 or /v4 that
# mockgw serves (count_tokens, Message Batches, Files) is refused under the `vercel` profile.
VERCEL_ROUTES: frozenset[str] = frozenset(
    {
        "/v1/messages",
        "/v1/models",
        "/v1/models/{model_id}",
        "/v1/chat/completions",
        "/v1/responses",
        "/v1/embeddings",
        "/v4/ai/language-model",
        "/v4/ai/embedding-model",
        "/v4/ai/config",
        "/v1/credits",
        "/v1/generation",
    }
)

_API_PREFIXES = ("/v1/", "/v4/")


def refused_by_profile(profile: str, route_pattern: str) -> bool:
    """Whether the route with pattern ``route_pattern`` is not served under ``profile``."""
    return profile == "vercel" and route_pattern.startswith(_API_PREFIXES) and route_pattern not in VERCEL_ROUTES


def refusal(request: web.Request) -> web.Response | None:
    """The 404 of a route the scenario's profile does not serve, before anything is read or journaled."""
    resource = request.match_info.route.resource
    if resource is None:  # no route matched: aiohttp's own 404/405 follow
        return None
    profile = request.app[routes.GATEWAY].scenario.profile
    if not refused_by_profile(profile, resource.canonical):
        return None
    message = f"{request.method} {request.path} is not served by Vercel AI Gateway (profile: {profile})"
    rid = routes.request_id(request)
    if (shape := faces.error_shape(request.path)) is not None:
        return shape(404, message, rid)
    return error_response(404, message, request_id=rid, error_type="not_found_error")
