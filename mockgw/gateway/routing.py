"""How the gateway routes an AI SDK call: ``providerOptions.gateway`` and the routing it reports.

``models`` lists fallback models tried in order after the one asked for; ``order`` names the providers to try
first and ``only`` the providers allowed (Vercel's docs, "Model Fallbacks" and "Provider Routing and
Fallbacks"). The mock serves every model from one scripted upstream, so a provider is a name it reports:
the first of ``order`` that ``only`` allows, else the first of ``only``, else the model's creator. A
retryable failure (408, 409, 429, 5xx: what ``@ai-sdk/gateway`` calls retryable) of one model moves to the
next; the routing of what happened is reported as ``providerMetadata.gateway.routing``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockgw.gateway.listing import owned_by


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def candidates(model: str, options: Mapping[str, Any]) -> tuple[str, ...]:
    """The models to try, in order: the one asked for, then ``models`` (each once)."""
    out: list[str] = [model]
    for m in _strings(options.get("models")):
        if m not in out:
            out.append(m)
    return tuple(out)


def retryable(status: int) -> bool:
    """Whether a failure moves on to the next model (as ``GatewayError.isRetryable`` reads a status)."""
    return status in (408, 409, 429) or status >= 500


def provider_for(model: str, options: Mapping[str, Any]) -> str:
    """The provider reported as serving ``model`` under ``order`` / ``only``."""
    only = _strings(options.get("only"))
    for name in _strings(options.get("order")):
        if not only or name in only:
            return name
    return only[0] if only else owned_by(model)


def fallback_providers(model: str, options: Mapping[str, Any]) -> list[str]:
    """The other providers the gateway could have tried (``fallbacksAvailable``)."""
    chosen = provider_for(model, options)
    only = _strings(options.get("only"))
    names = [n for n in _strings(options.get("order")) if not only or n in only] + list(only)
    return [n for n in dict.fromkeys(names) if n != chosen]


@dataclass(frozen=True)
class Attempt:
    """One model tried: whether it answered, and the status it failed with."""

    model: str
    success: bool
    status: int | None = None


def api_model_id(model: str) -> str:
    """The provider's own id: ``anthropic/claude-sonnet-4.5`` → ``claude-sonnet-4-5``."""
    name = model.split("/", 1)[1] if "/" in model else model
    return name.replace(".", "-") if name.startswith("claude") else name


def routing(original: str, attempts: Sequence[Attempt], options: Mapping[str, Any]) -> dict[str, Any]:
    """``providerMetadata.gateway.routing`` for a call: which model and provider answered, after what."""
    final = attempts[-1].model if attempts else original
    provider = provider_for(final, options)
    model_attempts = [
        {
            "modelId": a.model,
            "canonicalSlug": a.model,
            "success": a.success,
            "providerAttemptCount": 1,
            "providerAttempts": [
                {
                    "provider": provider_for(a.model, options),
                    "providerApiModelId": api_model_id(a.model),
                    "credentialType": "system",
                    "success": a.success,
                    **({} if a.status is None else {"statusCode": a.status}),
                }
            ],
        }
        for a in attempts
    ]
    failed = [a.model for a in attempts if not a.success]
    reasoning = f"Served by {final}" + (f" after {', '.join(failed)} failed" if failed else "")
    return {
        "originalModelId": original,
        "resolvedProvider": provider,
        "resolvedProviderApiModelId": api_model_id(final),
        "internalResolvedModelId": f"{provider}:{api_model_id(final)}",
        "fallbacksAvailable": fallback_providers(final, options),
        "planningReasoning": reasoning,
        "canonicalSlug": final,
        "finalProvider": provider,
        "attempts": model_attempts[-1]["providerAttempts"] if model_attempts else [],
        "modelAttemptCount": len(attempts),
        "modelAttempts": model_attempts,
        "totalProviderAttemptCount": len(attempts),
    }
