"""The AI SDK gateway protocol's routes: ``/v4/ai/language-model``, ``/v4/ai/embedding-model``,
``/v4/ai/config``, ``/v1/credits`` and ``/v1/generation``.

aiohttp glue over the pure face in ``mockgw/faces/aisdk`` and the gateway's own behaviour in
``mockgw/gateway`` (fallback routing, pricing, generations). The steps are the OpenAI routes' (overrides,
strict models, near-miss report, error, fault, timing), and the errors are the gateway's
``{error: {message, type, param, code}}``, which ``@ai-sdk/gateway`` maps to its error classes.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from mockgw.core.answer import Answer
from mockgw.core.engine import Decision
from mockgw.faces.aisdk.config import config_json
from mockgw.faces.aisdk.embedding import embedding_result, parse_embedding
from mockgw.faces.aisdk.language_model import (
    LanguageModelRequest,
    finish_reason,
    generate_result,
    paced,
    parse_language_model,
    stream_schedule,
)
from mockgw.faces.aisdk.prepared import PREPARED_CALLS, PreparedAnswer
from mockgw.gateway.generations import Generation
from mockgw.gateway.pricing import price_of, usd
from mockgw.gateway.routing import Attempt, candidates, provider_for, retryable, routing
from mockgw.server.openai import (
    answer_json,
    answer_stream,
    compose_answer,
    decide,
    prepared_for,
    read_parsed,
)
from mockgw.server.openai_errors import openai_error
from mockgw.server.responses import json_response
from mockgw.server.routes import JOURNAL_ENTRY, Overrides, gateway_of, request_id
from mockgw.server.state import Gateway


async def _route(
    request: web.Request, gateway: Gateway, call: LanguageModelRequest, overrides: Overrides
) -> tuple[Decision, str, list[Attempt]] | web.Response:
    """Try the model asked for, then each fallback in ``providerOptions.gateway.models`` after a retryable
    failure; the decision of the first that answers, or the last failure."""
    models = candidates(call.model, call.gateway_options)
    attempts: list[Attempt] = []
    notes = request[JOURNAL_ENTRY].notes
    for i, model in enumerate(models):
        decision = await decide(request, gateway, call.view(model), overrides)
        if isinstance(decision, web.Response):
            if retryable(decision.status) and i + 1 < len(models):
                attempts.append(Attempt(model, False, decision.status))
                notes.append(f"{model} failed with {decision.status}: the gateway tried {models[i + 1]} next")
                continue
            return decision
        attempts.append(Attempt(model, True))
        return decision, model, attempts
    raise AssertionError("unreachable: the last candidate returns")


def _metadata(
    call: LanguageModelRequest, attempts: list[Attempt], answer: Answer | PreparedAnswer, generation_id: str
) -> Any:
    price = price_of(attempts[-1].model)
    cost = usd(price.cost(answer.input_tokens, answer.output_tokens)) if price else "0"
    return {
        "gateway": {
            "routing": routing(call.model, attempts, call.gateway_options),
            "cost": cost,
            "marketCost": cost,
            "generationId": generation_id,
        }
    }


async def language_model(request: web.Request) -> web.StreamResponse:
    """``POST /v4/ai/language-model``: ``doGenerate`` and ``doStream`` of ``@ai-sdk/gateway``."""
    gateway = gateway_of(request)
    entry = request[JOURNAL_ENTRY]
    started = gateway.clock.now()
    read = await read_parsed(request, gateway, parse_language_model)
    if isinstance(read, web.Response):
        return read
    overrides, call = read
    entry.stream = call.stream
    routed = await _route(request, gateway, call, overrides)
    if isinstance(routed, web.Response):
        return routed
    decision, model, attempts = routed
    view = call.view(model)
    # A literal reply was written at load (faces/aisdk/prepared.py): the same bytes, for a fraction of the
    # work, whenever this call would not change it.
    prepared = (await prepared_for(PREPARED_CALLS, gateway.scenario)).get(
        decision.rule_index, decision.step, decision.reply, decision.timing
    )
    answer: Answer | PreparedAnswer
    if prepared is not None and prepared.fits(view, model, call.max_tokens, call.stop):
        answer = prepared.answer(lambda: view.input_chars, decision.draws.ids)
        entry.answer = answer.summary()
        generation_id = answer.generation_id
    else:
        composed = compose_answer(request, gateway, view, decision, call.max_tokens, call.stop)
        if isinstance(composed, web.Response):  # the scenario's JSON does not fit the call's schema
            return composed
        answer = composed
        generation_id = decision.draws.ids.generation()
    metadata = _metadata(call, attempts, answer, generation_id)
    if not call.stream:
        body = answer.body(metadata) if isinstance(answer, PreparedAnswer) else generate_result(answer, metadata)
        response = await answer_json(request, gateway, decision, body)
    else:
        timestamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if isinstance(answer, PreparedAnswer):
            events = answer.events(model, timestamp, metadata)
            schedule = paced(events, decision.timing, decision.draws.jitter, decision.fault)
        else:
            schedule = stream_schedule(
                answer,
                response_id=generation_id,
                model=model,
                timestamp=timestamp,
                provider_metadata=metadata,
                timing=decision.timing,
                rng=decision.draws.jitter,
                fault=decision.fault,
            )
        response = await answer_stream(request, gateway, schedule, entry)
    if response.status == 200 and entry.error is None:
        elapsed = (gateway.clock.now() - started) * 1000
        generation = Generation(
            id=generation_id,
            model=model,
            provider=provider_for(model, call.gateway_options),
            created_at=time.time(),
            streamed=call.stream,
            finish_reason=finish_reason(answer.stop_reason)["unified"],
            input_tokens=answer.input_tokens,
            output_tokens=answer.output_tokens,
            reasoning_tokens=answer.reasoning_tokens,
            latency_ms=entry.ttft_ms if entry.ttft_ms is not None else elapsed,
            generation_ms=elapsed,
        )
        gateway.generations.add(generation)
    return response


async def embedding_model(request: web.Request) -> web.StreamResponse:
    """``POST /v4/ai/embedding-model``: ``doEmbed``; the seed and the text make the vectors."""
    gateway = gateway_of(request)
    read = await read_parsed(request, gateway, parse_embedding)
    if isinstance(read, web.Response):
        return read
    overrides, parsed = read
    decision = await decide(request, gateway, parsed.view, overrides)
    if isinstance(decision, web.Response):
        return decision
    seed = gateway.engine.seed if gateway.engine.seed is not None else 0
    return await answer_json(request, gateway, decision, embedding_result(parsed, seed))


def _json(request: web.Request, body: Any) -> web.Response:
    rid = request_id(request)
    return json_response(body, request_id=rid, headers={"x-request-id": rid})


async def config(request: web.Request) -> web.StreamResponse:
    """``GET /v4/ai/config``: the models the gateway serves, with their type and pricing."""
    return _json(request, config_json(gateway_of(request).models))


async def credits(request: web.Request) -> web.StreamResponse:
    """``GET /v1/credits``: the balance left and what this gateway's generations used."""
    return _json(request, gateway_of(request).generations.credits())


async def generation(request: web.Request) -> web.StreamResponse:
    """``GET /v1/generation?id=gen_…``: one generation's cost, tokens and timing."""
    generation_id = request.query.get("id", "")
    if not generation_id:
        return openai_error(request, 400, "Missing required query parameter: id", param="id")
    found = gateway_of(request).generations.get(generation_id)
    if found is None:
        return openai_error(request, 404, f"Generation '{generation_id}' not found", error_type="not_found")
    return _json(request, {"data": found.info()})
