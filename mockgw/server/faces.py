"""The routing table of the faces: which API answers at which path.

Each row names a face (the name rules match with ``match: {face: …}`` and the journal shows), its method and
path, its handler, and how it refuses credentials (each API has its own error shape). ``api_route`` wraps
every handler the same way: journal entry, credential rule, request log. A new face is one folder under
``mockgw/faces/`` and one row here.

Only the Anthropic face is imported with the table: the others' handlers are named by module and function and
imported when their first request arrives (``later``), so that a test suite or ``mockgw serve`` that speaks
only Messages does not pay for the OpenAI and AI SDK faces' models at start-up (about a tenth of it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler

from mockgw.core.faces import (
    AISDK_EMBEDDING_MODEL,
    AISDK_LANGUAGE_MODEL,
    ANTHROPIC_MESSAGES,
    OPENAI_CHAT,
    OPENAI_EMBEDDINGS,
    OPENAI_RESPONSES,
)
from mockgw.server import routes
from mockgw.server.openai_errors import plain_error, unauthorized


def later(module: str, name: str) -> Handler:
    """The handler ``module.name``, imported on its first call (once; Python keeps the module).

    The first request to such a route waits for the import on the loop (tens of milliseconds, once per
    process); every later one finds the function in the closure.
    """
    found: Handler | None = None

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal found
        if found is None:
            found = getattr(importlib.import_module(module), name)
            assert found is not None
        return await found(request)

    handler.__name__ = handler.__qualname__ = name
    return handler


_OPENAI = "mockgw.server.openai"
_AISDK = "mockgw.server.aisdk"


@dataclass(frozen=True)
class FaceRoute:
    face: str | None  # None: the gateway's own route (config, credits), not an API rules answer
    method: str
    path: str
    handler: Handler
    unauthorized: Callable[[web.Request], web.Response] = routes.unauthorized


FACE_ROUTES: tuple[FaceRoute, ...] = (
    FaceRoute(ANTHROPIC_MESSAGES, "POST", "/v1/messages", routes.messages),
    FaceRoute(OPENAI_CHAT, "POST", "/v1/chat/completions", later(_OPENAI, "chat_completions"), unauthorized),
    FaceRoute(OPENAI_RESPONSES, "POST", "/v1/responses", later(_OPENAI, "responses"), unauthorized),
    FaceRoute(OPENAI_EMBEDDINGS, "POST", "/v1/embeddings", later(_OPENAI, "embeddings"), unauthorized),
    # The AI SDK's gateway protocol at @ai-sdk/gateway's default base URL (…/v4/ai), and its account routes.
    FaceRoute(AISDK_LANGUAGE_MODEL, "POST", "/v4/ai/language-model", later(_AISDK, "language_model"), unauthorized),
    FaceRoute(AISDK_EMBEDDING_MODEL, "POST", "/v4/ai/embedding-model", later(_AISDK, "embedding_model"), unauthorized),
    FaceRoute(None, "GET", "/v4/ai/config", later(_AISDK, "config"), unauthorized),
    FaceRoute(None, "GET", "/v1/credits", later(_AISDK, "credits"), unauthorized),
    FaceRoute(None, "GET", "/v1/generation", later(_AISDK, "generation"), unauthorized),
)


def error_shape(path: str) -> Callable[[int, str, str], web.Response] | None:
    """The error shape of the face whose path ``path`` is or is under, if it is not the Anthropic one.

    For failures no handler words (aiohttp's 404 and 405, an unexpected exception): an OpenAI client that
    ``GET``s ``/v1/responses/…`` reads an OpenAI-shaped error too.
    """
    for row in FACE_ROUTES:
        if row.unauthorized is unauthorized and (path == row.path or path.startswith(row.path + "/")):
            return plain_error
    return None


def add_routes(app: web.Application) -> None:
    for row in FACE_ROUTES:
        app.router.add_route(row.method, row.path, routes.api_route(row.handler, row.face, row.unauthorized))
