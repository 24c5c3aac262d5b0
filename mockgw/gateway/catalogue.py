"""The built-in model catalogue served by ``/v1/models`` when a scenario lists none.

Current Claude models in both spellings clients use: the API's (``claude-sonnet-4-5``) and the gateway's
``provider/model`` form (``anthropic/claude-sonnet-4.5``). Every model id is accepted in requests unless a
scenario sets ``strict_models``; this list is what discovery shows, and what the gateway knows of each
model's limits (``max_output_tokens``) and capabilities.

Sources for the figures (December 2026): each model's overview page on platform.claude.com (context window,
max output, thinking: "Adaptive (always on)" / "Adaptive" / "Extended", default effort) and the SDK's
``ModelCapabilities`` type for the shape. Capability details the pages do not state (between_tools thinking,
the effort levels of each model, programmatic tool calling, compaction) are our best reading and marked in
docs/scenarios.md as such.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from mockgw.faces.anthropic.wire.models import ModelInfo

K = 1000
ThinkingKind = Literal["always", "adaptive", "adaptive+enabled", "enabled"]
EFFORT_LEVELS = ("low", "medium", "high", "max", "xhigh")


@dataclass(frozen=True)
class Spec:
    """What the catalogue knows of one model."""

    api_id: str
    max_input_tokens: int
    max_tokens: int
    thinking: ThinkingKind  # always: adaptive only, cannot be turned off; enabled: budget_tokens only
    efforts: tuple[str, ...]  # effort levels accepted; () = no effort parameter
    newer_context_tools: bool = True  # compaction (compact_20260112) and programmatic tool calling

    @property
    def line(self) -> str:
        return self.api_id.removeprefix("claude-").split("-", 1)[0]

    @property
    def generation(self) -> int:
        return int(self.api_id.removeprefix("claude-").split("-")[1])


_ALL = EFFORT_LEVELS
# The current ids of the official SDK's `Model` type, newest first, less the dated snapshots and the models
# it marks deprecated, plus claude-sonnet-4-5 and claude-opus-4-5 (still served until their end-of-life and
# named in most client docs). Release dates are not all in our sources: created_at only keeps the order the
# API lists them in.
_SPECS: tuple[Spec, ...] = (
    Spec("claude-fable-5-2", 1_000 * K, 128 * K, "always", _ALL),
    Spec("claude-mythos-5-2", 1_000 * K, 128 * K, "always", _ALL),
    Spec("claude-haiku-5-5", 1_000 * K, 128 * K, "adaptive", _ALL),
    Spec("claude-sonnet-5-5", 1_000 * K, 128 * K, "adaptive", _ALL),
    Spec("claude-fable-5-1", 1_000 * K, 128 * K, "always", _ALL),
    Spec("claude-opus-5-5", 1_000 * K, 128 * K, "always", _ALL),
    Spec("claude-mythos-5-1", 1_000 * K, 128 * K, "always", _ALL),
    Spec("claude-sonnet-5", 1_000 * K, 128 * K, "adaptive", _ALL),
    Spec("claude-fable-5", 1_000 * K, 128 * K, "always", _ALL),
    Spec("claude-mythos-5", 1_000 * K, 128 * K, "always", _ALL),
    Spec("claude-opus-5", 1_000 * K, 128 * K, "adaptive", _ALL),
    Spec("claude-opus-4-8", 1_000 * K, 128 * K, "adaptive", _ALL),
    Spec("claude-opus-4-7", 1_000 * K, 128 * K, "adaptive", _ALL),
    Spec("claude-opus-4-6", 1_000 * K, 128 * K, "adaptive+enabled", ("low", "medium", "high", "max")),
    Spec("claude-sonnet-4-6", 1_000 * K, 128 * K, "adaptive+enabled", ("low", "medium", "high", "max")),
    Spec("claude-haiku-4-5", 200 * K, 64 * K, "enabled", (), newer_context_tools=False),
    Spec("claude-opus-4-5", 200 * K, 64 * K, "enabled", ("low", "medium", "high"), newer_context_tools=False),
    Spec("claude-sonnet-4-5", 200 * K, 64 * K, "enabled", (), newer_context_tools=False),
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


def _yes(supported: bool) -> dict[str, bool]:
    return {"supported": supported}


def capabilities(spec: Spec | None) -> dict[str, Any]:
    """The ``capabilities`` object of a model, every key the SDK's ``ModelCapabilities`` names.

    ``None``: a model the catalogue does not know, shown as supporting everything (a mock should not refuse
    what a newer model may well do).
    """
    thinking = spec.thinking if spec else "adaptive+enabled"
    efforts = spec.efforts if spec else EFFORT_LEVELS
    newer = spec.newer_context_tools if spec else True
    fifth = spec is None or spec.generation >= 5
    return {
        "batch": _yes(True),
        "citations": _yes(True),
        "code_execution": _yes(newer),
        "context_management": {
            "supported": True,
            "clear_thinking_20251015": _yes(True),
            "clear_tool_uses_20250919": _yes(True),
            "compact_20260112": _yes(newer),
        },
        "effort": {"supported": bool(efforts), **{level: _yes(level in efforts) for level in EFFORT_LEVELS}},
        "image_input": _yes(True),
        "pdf_input": _yes(True),
        "server_tools": {"supported": True, "code_execution": _yes(True), "web_search": _yes(True)},
        "structured_outputs": _yes(True),
        "thinking": {
            "supported": True,
            "types": {
                "adaptive": _yes(thinking != "enabled"),
                "between_tools": _yes(fifth),
                "disabled": _yes(thinking != "always"),
                "enabled": _yes(thinking in ("enabled", "adaptive+enabled")),
            },
        },
    }


def _info(model_id: str, display: str, created_at: str, spec: Spec) -> ModelInfo:
    return ModelInfo(
        id=model_id,
        display_name=display,
        created_at=created_at,
        capabilities=capabilities(spec),
        line=spec.line,
        max_input_tokens=spec.max_input_tokens,
        max_tokens=spec.max_tokens,
    )


def builtin_models() -> list[ModelInfo]:
    """Every built-in model: the API spellings newest first, then the gateway spellings."""
    api: list[ModelInfo] = []
    gateway: list[ModelInfo] = []
    for rank, spec in enumerate(_SPECS):
        gateway_id, display = _spellings(spec.api_id)
        api.append(_info(spec.api_id, display, _created_at(rank), spec))
        gateway.append(_info(gateway_id, display, _created_at(rank), spec))
    return api + gateway


_BY_ID: dict[str, Spec] = {}
for _spec in _SPECS:
    _BY_ID[_spec.api_id] = _spec
    _BY_ID[_spellings(_spec.api_id)[0]] = _spec


def spec_of(model_id: str) -> Spec | None:
    """The catalogue's spec for a model id in either spelling; None for a model it does not know."""
    return _BY_ID.get(model_id)


def max_output_tokens(model_id: str, models: Iterable[ModelInfo] = ()) -> int | None:
    """The largest ``max_tokens`` a request for this model may ask: a listed model's ``max_tokens`` (a
    scenario's ``models:`` entry), else the built-in catalogue's; None when neither knows the model (no
    limit)."""
    for model in models:
        if model.id == model_id and model.max_tokens is not None:
            return model.max_tokens
    spec = spec_of(model_id)
    return spec.max_tokens if spec else None


def always_thinks(model_id: str) -> bool:
    """Whether the model thinks even when a request says nothing of thinking (thinking "always on")."""
    spec = spec_of(model_id)
    return spec is not None and spec.thinking == "always"


def merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` laid on top, objects merged key by key (a scenario overrides one capability)."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def model_info(
    model_id: str,
    *,
    display_name: str | None = None,
    created_at: str,
    overrides: Mapping[str, Any] | None = None,
) -> ModelInfo:
    """The ``/v1/models`` object for a scenario's ``models:`` entry: the catalogue's figures for a model it
    knows (either spelling), then the entry's own keys on top (``capabilities`` merged key by key)."""
    spec = spec_of(model_id)
    fields: dict[str, Any] = {
        "id": model_id,
        "display_name": display_name or model_id,
        "created_at": created_at,
        "capabilities": capabilities(spec),
        "line": spec.line if spec else None,
        "max_input_tokens": spec.max_input_tokens if spec else None,
        "max_tokens": spec.max_tokens if spec else None,
    }
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        fields[key] = merged(fields["capabilities"], value) if key == "capabilities" else value
    return ModelInfo(**fields)
