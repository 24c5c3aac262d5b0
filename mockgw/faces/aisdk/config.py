"""``GET /v4/ai/config``: the models the gateway serves, as ``@ai-sdk/gateway``'s ``getAvailableModels`` reads them.

Each entry: ``id`` (``creator/model``), ``name``, ``description``, ``pricing`` (USD per token as strings:
``input``, ``output``, ``input_cache_read``, ``input_cache_write``; left out when unknown), the
``specification`` (``specificationVersion: "v4"``, ``provider``, ``modelId``) and ``modelType``
(``language``, ``embedding`` …). The built-in catalogue lists both spellings of each Claude model; the
gateway's model ids are the ``creator/model`` ones, so those are listed, with two embedding models the
embedding route answers for. A scenario's ``models:`` are listed as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mockgw.faces.anthropic.wire.models import ModelInfo
from mockgw.gateway.listing import owned_by
from mockgw.gateway.pricing import price_of, usd

# (id, name, USD per token): OpenAI's published prices for its embedding models.
EMBEDDING_MODELS: tuple[tuple[str, str, str], ...] = (
    ("openai/text-embedding-3-small", "text-embedding-3-small", "0.00000002"),
    ("openai/text-embedding-3-large", "text-embedding-3-large", "0.00000013"),
)


def _entry(model_id: str, name: str, model_type: str, pricing: dict[str, str] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": model_id,
        "name": name,
        "description": None,
        "specification": {"specificationVersion": "v4", "provider": owned_by(model_id), "modelId": model_id},
        "modelType": model_type,
    }
    if pricing is not None:
        entry["pricing"] = pricing
    return entry


def model_type(model_id: str) -> str:
    """``embedding`` for an embedding model (its id says so), else ``language``."""
    return "embedding" if "embedding" in model_id else "language"


def config_json(models: Sequence[ModelInfo]) -> dict[str, Any]:
    """The ``{models: […]}`` body."""
    listed = [m for m in models if "/" in m.id] or list(models)  # a scenario's own ids may have no creator
    out: list[dict[str, Any]] = []
    for m in listed:
        price = price_of(m.id)
        pricing = (
            {
                "input": usd(price.input),
                "output": usd(price.output),
                "input_cache_read": usd(price.cache_read),
                "input_cache_write": usd(price.cache_write),
            }
            if price
            else None
        )
        out.append(_entry(m.id, m.display_name, model_type(m.id), pricing))
    known = {e["id"] for e in out}
    for model_id, name, per_token in EMBEDDING_MODELS:
        if model_id not in known:
            out.append(_entry(model_id, name, "embedding", {"input": per_token, "output": "0"}))
    return {"models": out}
