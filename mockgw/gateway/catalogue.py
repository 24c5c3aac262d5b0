"""The built-in model catalogue served by ``/v1/models`` when a scenario lists none.

Current Claude models in both spellings clients use: the API's (``claude-sonnet-4-5``) and the gateway's
``provider/model`` form (``anthropic/claude-sonnet-4.5``). Every model id is accepted in requests unless a
scenario sets ``strict_models``; this list is only what discovery shows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mockgw.faces.anthropic.wire.models import ModelInfo

# The current ids of the official SDK's `Model` type (anthropic-python 2.14), newest first, less the
# dated snapshots and the models it marks deprecated, plus claude-sonnet-4-5 and claude-opus-4-5 (still
# served until their end-of-life and named in most client docs). Release dates are not in our sources:
# created_at only keeps the order the API lists them in.
_IDS: tuple[str, ...] = (
    "claude-fable-5-2",
    "claude-mythos-5-2",
    "claude-haiku-5-5",
    "claude-sonnet-5-5",
    "claude-fable-5-1",
    "claude-opus-5-5",
    "claude-mythos-5-1",
    "claude-sonnet-5",
    "claude-fable-5",
    "claude-mythos-5",
    "claude-opus-5",
    "claude-opus-4-8",
    "claude-opus-4-7",
    "claude-opus-4-6",
    "claude-sonnet-4-6",
    "claude-haiku-4-5",
    "claude-opus-4-5",
    "claude-sonnet-4-5",
)


def _spellings(api_id: str) -> tuple[str, str]:
    """``claude-sonnet-4-5`` → (``anthropic/claude-sonnet-4.5``, ``Claude Sonnet 4.5``)."""
    family, version = api_id.removeprefix("claude-").split("-", 1)
    dotted = version.replace("-", ".")
    return f"anthropic/claude-{family}-{dotted}", f"Claude {family.capitalize()} {dotted}"


def _created_at(rank: int) -> str:
    # One day apart, newest first, ending at the catalogue's base date.
    return (_BASE_DATE - timedelta(days=rank)).strftime("%Y-%m-%dT00:00:00Z")


_BASE_DATE = datetime(2026, 11, 1, tzinfo=UTC)


def builtin_models() -> list[ModelInfo]:
    """Every built-in model: the API spellings newest first, then the gateway spellings."""
    api: list[ModelInfo] = []
    gateway: list[ModelInfo] = []
    for rank, api_id in enumerate(_IDS):
        gateway_id, display = _spellings(api_id)
        api.append(ModelInfo(id=api_id, display_name=display, created_at=_created_at(rank)))
        gateway.append(ModelInfo(id=gateway_id, display_name=display, created_at=_created_at(rank)))
    return api + gateway
