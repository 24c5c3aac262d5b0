"""``/v1/models`` in one shape both SDK families parse.

The gateway serves its model list at one path to Anthropic and OpenAI clients alike. A model object carries
the union of both SDKs' fields: Anthropic's ``ModelInfo`` (``type: "model"``, ``id``, ``display_name``,
``created_at`` as RFC 3339, and the newer limits and capabilities) and OpenAI's ``Model`` (``id``,
``object: "model"``, ``created`` as Unix seconds, ``owned_by``: the creator in the gateway's
``creator/model`` id). The page carries both envelopes: ``object: "list"`` and ``data`` for OpenAI,
``has_more`` / ``first_id`` / ``last_id`` for Anthropic's paging.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mockgw.faces.anthropic.wire.models import ModelInfo, ModelsPage


def owned_by(model_id: str) -> str:
    """The creator: ``openai`` in ``openai/gpt-5``; ``anthropic`` for the API's own ``claude-…`` ids."""
    if "/" in model_id:
        return model_id.split("/", 1)[0]
    return "anthropic" if model_id.startswith("claude") else "mockgw"


def _unix(created_at: str) -> int:
    try:
        return int(datetime.fromisoformat(created_at.replace("Z", "+00:00")).timestamp())
    except ValueError:  # a scenario's free-form date: the model still lists
        return 0


def model_json(model: ModelInfo) -> dict[str, Any]:
    """One model object with both SDKs' fields."""
    return {
        **model.model_dump(mode="json"),
        "object": "model",
        "created": _unix(model.created_at),
        "owned_by": owned_by(model.id),
    }


def page_json(page: ModelsPage) -> dict[str, Any]:
    """A page of models with both SDKs' envelopes."""
    return {
        "object": "list",
        "data": [model_json(m) for m in page.data],
        "has_more": page.has_more,
        "first_id": page.first_id,
        "last_id": page.last_id,
    }
