"""What the gateway charges per token, for ``/v4/ai/config``, the cost in provider metadata and ``/v1/credits``.

Prices are USD per token as decimal strings, the way ``/config`` carries them (``"0.000003"``). They follow
Anthropic's published per-million-token prices for each line (Haiku 1/5, Sonnet 3/15, Opus 5/25 for the
current generation; cache reads a tenth of input, cache writes 1.25 times it). Lines Anthropic publishes no
price for (a model only this catalogue knows) have none: ``pricing`` is then left out, as the schema allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mockgw.gateway.catalogue import spec_of

_PER_MTOK: dict[str, tuple[int, int]] = {"haiku": (1, 5), "sonnet": (3, 15), "opus": (5, 25)}
_MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Price:
    """USD per token."""

    input: Decimal
    output: Decimal

    @property
    def cache_read(self) -> Decimal:
        return self.input / 10

    @property
    def cache_write(self) -> Decimal:
        return self.input * Decimal("1.25")

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal:
        return self.input * input_tokens + self.output * output_tokens


def price_of(model_id: str) -> Price | None:
    """The price of a model the catalogue knows (either spelling), by its line; None otherwise."""
    spec = spec_of(model_id)
    per_mtok = _PER_MTOK.get(spec.line) if spec else None
    if per_mtok is None:
        return None
    return Price(Decimal(per_mtok[0]) / _MILLION, Decimal(per_mtok[1]) / _MILLION)


def usd(value: Decimal) -> str:
    """A decimal amount as the plain string the gateway sends (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return text if text not in ("-0",) else "0"
