"""``POST /v4/ai/embedding-model``: ``{values, dimensions?, providerOptions?}`` in, ``{embeddings, usage}`` out.

``@ai-sdk/gateway`` (``gateway-embedding-model.ts``) names the model in ``ai-model-id`` with
``ai-embedding-model-specification-version: 4``. The vectors are the OpenAI face's (``faces/openai/
embeddings.py``): fixed by the seed and the words of each text, so one scenario gives the same vector for
the same text on both routes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockgw.core.answer import tokens
from mockgw.core.faces import AISDK_EMBEDDING_MODEL
from mockgw.core.request import RequestView
from mockgw.faces.aisdk.prompt import neutral_view
from mockgw.faces.openai.embeddings import DEFAULT_DIMENSIONS, MAX_INPUTS, embed
from mockgw.faces.openai.errors import OpenAIError

MODEL_HEADER = "ai-model-id"
MAX_DIMENSIONS = 4096


@dataclass(frozen=True)
class EmbeddingRequest:
    model: str
    texts: tuple[str, ...]
    dimensions: int
    view: RequestView


def parse_embedding(body: Any, headers: Mapping[str, str], session: str) -> EmbeddingRequest:
    """The call, checked, with a view whose last user text is the values (one per line)."""
    model = headers.get(MODEL_HEADER, "").strip()
    if not model:
        raise OpenAIError(f"Missing required header: {MODEL_HEADER}.", param=MODEL_HEADER, code="missing_header")
    if not isinstance(body, Mapping):
        raise OpenAIError("The request body must be a JSON object.", code="invalid_body")
    values = body.get("values")
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise OpenAIError("'values' must be a non-empty array of strings.", param="values", code="invalid_value")
    if len(values) > MAX_INPUTS:
        raise OpenAIError(f"'values' has more than {MAX_INPUTS} items.", param="values", code="invalid_value")
    dimensions = body.get("dimensions")
    if dimensions is None:
        dimensions = DEFAULT_DIMENSIONS
    elif isinstance(dimensions, bool) or not isinstance(dimensions, int) or not 1 <= dimensions <= MAX_DIMENSIONS:
        message = f"'dimensions' must be an integer from 1 to {MAX_DIMENSIONS}."
        raise OpenAIError(message, param="dimensions", code="invalid_value")
    neutral = {"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": "\n".join(values) or " "}]}
    view = neutral_view(neutral, headers, session, AISDK_EMBEDDING_MODEL, body)
    return EmbeddingRequest(model, tuple(values), dimensions, view)


def embedding_result(request: EmbeddingRequest, seed: int) -> dict[str, Any]:
    """``{embeddings, usage: {tokens}}`` (4 characters a token, the project's one rule)."""
    return {
        "embeddings": [embed(text, seed, request.dimensions) for text in request.texts],
        "usage": {"tokens": sum(tokens(len(t)) for t in request.texts)},
    }
