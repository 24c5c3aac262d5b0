"""The routing table of the faces: which API answers at which path.

Each row names a face (the name rules match with ``match: {face: …}`` and the journal shows), its method and
path, its handler, and how it refuses credentials (each API has its own error shape). ``api_route`` wraps
every handler the same way: journal entry, credential rule, request log. A new face is one folder under
``mockgw/faces/`` and one row here.
"""

from __future__ import annotations

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
from mockgw.server import aisdk, openai, routes


@dataclass(frozen=True)
class FaceRoute:
    face: str | None  # None: the gateway's own route (config, credits), not an API rules answer
    method: str
    path: str
    handler: Handler
    unauthorized: Callable[[web.Request], web.Response] = routes.unauthorized


FACE_ROUTES: tuple[FaceRoute, ...] = (
    FaceRoute(ANTHROPIC_MESSAGES, "POST", "/v1/messages", routes.messages),
    FaceRoute(OPENAI_CHAT, "POST", "/v1/chat/completions", openai.chat_completions, openai.unauthorized),
    FaceRoute(OPENAI_RESPONSES, "POST", "/v1/responses", openai.responses, openai.unauthorized),
    FaceRoute(OPENAI_EMBEDDINGS, "POST", "/v1/embeddings", openai.embeddings, openai.unauthorized),
    # The AI SDK's gateway protocol at @ai-sdk/gateway's default base URL (…/v4/ai), and its account routes.
    FaceRoute(AISDK_LANGUAGE_MODEL, "POST", "/v4/ai/language-model", aisdk.language_model, openai.unauthorized),
    FaceRoute(AISDK_EMBEDDING_MODEL, "POST", "/v4/ai/embedding-model", aisdk.embedding_model, openai.unauthorized),
    FaceRoute(None, "GET", "/v4/ai/config", aisdk.config, openai.unauthorized),
    FaceRoute(None, "GET", "/v1/credits", aisdk.credits, openai.unauthorized),
    FaceRoute(None, "GET", "/v1/generation", aisdk.generation, openai.unauthorized),
)


def error_shape(path: str) -> Callable[[int, str, str], web.Response] | None:
    """The error shape of the face whose path ``path`` is or is under, if it is not the Anthropic one.

    For failures no handler words (aiohttp's 404 and 405, an unexpected exception): an OpenAI client that
    ``GET``s ``/v1/responses/…`` reads an OpenAI-shaped error too.
    """
    for row in FACE_ROUTES:
        if row.unauthorized is openai.unauthorized and (path == row.path or path.startswith(row.path + "/")):
            return openai.plain_error
    return None


def add_routes(app: web.Application) -> None:
    for row in FACE_ROUTES:
        app.router.add_route(row.method, row.path, routes.api_route(row.handler, row.face, row.unauthorized))
