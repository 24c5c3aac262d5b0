"""The generations a gateway served, for ``GET /v1/generation?id=`` and ``GET /v1/credits``.

Each AI SDK call the gateway answers is kept (the newest ``MAX_GENERATIONS``) with its model, tokens and
cost; ``/v1/credits`` reports the balance left of ``STARTING_BALANCE`` after what was used. A mock has no
account: the figures are this gateway's own, consistent between the provider metadata, the generation
lookup and the credits.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from mockgw.gateway.pricing import price_of, usd

MAX_GENERATIONS = 10_000
STARTING_BALANCE = Decimal(100)


@dataclass(frozen=True)
class Generation:
    id: str
    model: str
    provider: str
    created_at: float  # wall seconds
    streamed: bool
    finish_reason: str
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    latency_ms: float
    generation_ms: float

    @property
    def cost(self) -> Decimal:
        price = price_of(self.model)
        return price.cost(self.input_tokens, self.output_tokens) if price else Decimal(0)

    def info(self) -> dict[str, Any]:
        """The ``data`` of ``/v1/generation?id=``, every field ``@ai-sdk/gateway``'s schema requires."""
        cost = float(self.cost)
        return {
            "id": self.id,
            "total_cost": cost,
            "upstream_inference_cost": cost,
            "usage": cost,
            "created_at": datetime.fromtimestamp(self.created_at, UTC).isoformat().replace("+00:00", "Z"),
            "model": self.model,
            "is_byok": False,
            "provider_name": self.provider,
            "streamed": self.streamed,
            "finish_reason": self.finish_reason,
            "latency": round(self.latency_ms),
            "generation_time": round(self.generation_ms),
            "native_tokens_prompt": self.input_tokens,
            "native_tokens_completion": self.output_tokens,
            "native_tokens_reasoning": self.reasoning_tokens,
            "native_tokens_cached": 0,
            "native_tokens_cache_creation": 0,
            "billable_web_search_calls": 0,
        }


class GenerationStore:
    """The newest generations by id, and the total spent on all of them."""

    def __init__(self, limit: int = MAX_GENERATIONS) -> None:
        self.limit = limit
        self._items: OrderedDict[str, Generation] = OrderedDict()
        self.used = Decimal(0)

    def add(self, generation: Generation) -> None:
        self._items[generation.id] = generation
        self.used += generation.cost
        while len(self._items) > self.limit:
            self._items.popitem(last=False)

    def get(self, generation_id: str) -> Generation | None:
        return self._items.get(generation_id)

    def credits(self) -> dict[str, str]:
        """``/v1/credits``: ``{balance, total_used}`` in USD, as decimal strings."""
        return {"balance": usd(max(Decimal(0), STARTING_BALANCE - self.used)), "total_used": usd(self.used)}

    def clear(self) -> None:
        self._items.clear()
        self.used = Decimal(0)
