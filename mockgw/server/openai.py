"""The OpenAI-compatible routes: ``/v1/chat/completions``, ``/v1/responses``, ``/v1/embeddings``.

aiohttp glue over the pure faces in ``mockgw/faces/openai``: read the body, let the face parse it into the
neutral view, let the engine decide, and write the face's answer, error or stream. The steps are the Anthropic
route's (overrides, strict models, near-miss report, error, fault, timing), in OpenAI's error shape.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from multidict import CIMultiDict

from mockgw.core.answer import Answer, compose, filler_reply
from mockgw.core.answer_summary import answer_summary_of
from mockgw.core.engine import Decision, NoMatch
from mockgw.core.journal import JournalEntry
from mockgw.core.prepared import PerScenario
from mockgw.core.request import RequestView
from mockgw.core.schedule import Schedule
from mockgw.core.structured import ReplyMismatch
from mockgw.faces.anthropic.asks import honour_request
from mockgw.faces.anthropic.validation import InvalidRequest
from mockgw.faces.openai.chat import chat_schedule, completion, parse_chat
from mockgw.faces.openai.embeddings import embeddings_object, parse_embeddings
from mockgw.faces.openai.errors import OpenAIError, status_for_error_type
from mockgw.faces.openai.prepared import PREPARED_CHATS
from mockgw.faces.openai.prepared_responses import PREPARED_RESPONSES
from mockgw.faces.openai.responses import hold, parse_responses, response_object, responses_schedule
from mockgw.scenario.schema import Scenario
from mockgw.server.openai_errors import openai_error
from mockgw.server.responses import JSON_TYPE, json_response
from mockgw.server.routes import (
    BODY_BYTES,
    DRAWS,
    HEADERS,
    JOURNAL_ENTRY,
    OFF_LOOP_BYTES,
    OVERRIDE_HEADERS,
    DisconnectFault,
    Overrides,
    _derive_fields,
    _rule_labels,
    _unknown_rule,
    gateway_of,
    parse_overrides,
    read_json,
    request_id,
)
from mockgw.server.sse import SSE_HEADERS, PlayResult, play
from mockgw.server.state import Gateway

_T = TypeVar("_T")


def _refused(request: web.Request, exc: InvalidRequest | OpenAIError) -> web.Response:
    if isinstance(exc, OpenAIError):
        return openai_error(request, exc.status, exc.message, error_type=exc.error_type, param=exc.param, code=exc.code)
    return openai_error(request, exc.status, exc.message)  # too large, or not JSON


async def prepared_for(table: PerScenario[_T], scenario: Scenario) -> _T:
    """A face's prepared answers for the scenario served: made already by ``state.prepare_answers`` (admin
    API, hot reload, ``MockGateway.load``), else by the face's first request since the load, in a thread (a
    scenario of hundreds of literal rules takes tens of milliseconds, and streams in flight keep going)."""
    made = table.made_for(scenario)
    return made if made is not None else await asyncio.to_thread(table, scenario)


async def off_loop_if_large(request: web.Request, parse: Callable[..., _T], *args: Any) -> _T:
    """``parse(*args)``, in a worker thread when the body is over ``OFF_LOOP_BYTES``: translating megabytes
    of conversation takes tens of milliseconds, and the loop serves every other client meanwhile."""
    if request.get(BODY_BYTES, 0) > OFF_LOOP_BYTES:
        return await asyncio.to_thread(parse, *args)
    return parse(*args)


async def read_request(request: web.Request, gateway: Gateway) -> tuple[Overrides, Any]:
    """The override headers and the JSON body (InvalidRequest for a bad override, a body too large or not JSON)."""
    headers = request[HEADERS]
    wanted = gateway.config.overrides and not OVERRIDE_HEADERS.isdisjoint(headers)
    overrides = parse_overrides(headers, _rule_labels(gateway)) if wanted else Overrides()
    return overrides, await read_json(request, gateway)  # read_json journals the body


async def read_parsed(
    request: web.Request, gateway: Gateway, parse: Callable[..., _T], *extra: Any
) -> tuple[Overrides, _T] | web.Response:
    """The override headers and ``parse(body, headers, session, *extra)`` (off the loop for a large body), or
    the API's refusal of the request: every OpenAI-compatible and AI SDK route starts here."""
    try:
        overrides, body = await read_request(request, gateway)
        session = request[JOURNAL_ENTRY].session
        return overrides, await off_loop_if_large(request, parse, body, request[HEADERS], session, *extra)
    except (InvalidRequest, OpenAIError) as exc:
        return _refused(request, exc)


async def decide(
    request: web.Request, gateway: Gateway, view: RequestView, overrides: Overrides
) -> Decision | web.Response:
    """The decision for a parsed request, or the error answer that stands in for one."""
    entry = request[JOURNAL_ENTRY]
    entry.stream = view.stream
    if request.get(BODY_BYTES, 0) > OFF_LOOP_BYTES:
        await asyncio.to_thread(_derive_fields, view)  # the fields rules read walk the whole conversation
    if not gateway.knows_model(view.model):
        message = f"Model '{view.model}' not found"
        return openai_error(request, 404, message, error_type="model_not_found", param={"modelId": view.model})
    if overrides.delay_ms:
        await gateway.clock.sleep(overrides.delay_ms / 1000)
    if overrides.status is not None:
        entry.error = f"x-mockgw-status: {overrides.status}"
        return openai_error(request, overrides.status)
    if overrides.rule is not None:
        forced = gateway.engine.force(overrides.rule, view)
        if forced is None:  # the scenario changed while the request waited
            return openai_error(request, 400, _unknown_rule(overrides.rule, _rule_labels(gateway)).message)
        decision: Decision | NoMatch = forced
    else:
        decision = gateway.engine.decide(view)
    request[DRAWS] = decision.draws  # the request id from here on is the session's (routes.request_id)
    entry.why = decision.why(view)
    entry.state, entry.set_state = decision.state, decision.set_state
    if isinstance(decision, NoMatch):
        entry.unmatched = True
        # x-should-retry: false, or every client would retry a scripting mistake several times.
        return openai_error(request, 400, decision.message, code="no_rule_matched", should_retry=False)
    entry.rule = decision.rule
    if decision.fault is not None and decision.fault.delay_ms:
        await gateway.clock.sleep(decision.fault.delay_ms / 1000)
    if decision.error is not None:
        spec = decision.error
        entry.error = spec.message or spec.type or str(spec.status)
        return openai_error(
            request,
            spec.status,
            spec.message,
            error_type=spec.type,
            retry_after=spec.retry_after,
            should_retry=spec.should_retry,
            headers=dict(spec.headers),
        )
    return decision


def compose_answer(
    request: web.Request,
    gateway: Gateway,
    view: RequestView,
    decision: Decision,
    max_tokens: int | None,
    stop: tuple[str, ...],
) -> Answer | web.Response:
    """The rule's reply as this request asks for it (the honour step), composed into the neutral answer; or the
    400 saying the scenario's JSON does not fit the request's schema."""
    draws = decision.draws
    # The face put tool_choice, parallel_tool_calls and reasoning into the neutral params in the Messages
    # vocabulary, so the one honour step treats every face alike; its notes go to the journal.
    ctx = gateway.engine.context(view, draws)
    try:
        reply, notes = honour_request(decision.reply or filler_reply(), view, ctx=ctx, rng=draws.content, fake=draws)
    except ReplyMismatch as exc:  # the scenario's JSON does not fit the request's schema: a scripting mistake
        request[JOURNAL_ENTRY].error = str(exc)
        message = f"mockgw: rule {decision.rule!r}: {exc}"
        return openai_error(request, 400, message, code="reply_does_not_match_schema", should_retry=False)
    request[JOURNAL_ENTRY].notes.extend(notes)
    answer = compose(
        reply,
        input_chars=view.input_chars,
        ctx=ctx,
        ids=draws.ids,
        tool_id=draws.ids.call,
        max_tokens=max_tokens,
        stop=stop,
    )
    request[JOURNAL_ENTRY].answer = answer_summary_of(answer)  # what the inspector shows as the answer
    return answer


async def answer_json(
    request: web.Request, gateway: Gateway, decision: Decision, body: dict[str, Any] | bytes
) -> web.StreamResponse:
    """A non-streamed answer (JSON, or its bytes prepared), with the rule's fault (stall, dropped connection,
    error) applied."""
    fault = decision.fault
    entry = request[JOURNAL_ENTRY]
    if fault is not None and fault.stall_ms:
        await gateway.clock.sleep(fault.stall_ms / 1000)
    if fault is not None and fault.disconnect:
        entry.error = "disconnected (fault)"
        raise DisconnectFault()
    if fault is not None and fault.error is not None:
        kind = fault.error.type
        return openai_error(request, status_for_error_type(kind), fault.error.message, error_type=kind)
    rid = request_id(request)
    if isinstance(body, bytes):  # the headers json_response sets, in its order
        headers = CIMultiDict({"request-id": rid, "content-type": JSON_TYPE, "x-request-id": rid})
        return web.Response(body=body, headers=headers)
    return json_response(body, request_id=rid, headers={"x-request-id": rid})


async def answer_stream(
    request: web.Request, gateway: Gateway, schedule: Schedule, entry: JournalEntry
) -> web.StreamResponse:
    """Play a stream schedule on the gateway's clock; the journal keeps the frames sent and how it ended."""
    rid = request_id(request)
    response = web.StreamResponse(status=200, headers={**SSE_HEADERS, "request-id": rid, "x-request-id": rid})
    await response.prepare(request)
    entry.status = response.status
    result = PlayResult(events=entry.events, timeline=entry.timeline)
    await play(request, response, schedule, gateway.pacer, result, gateway.config.timeouts.write)
    entry.ttft_ms = None if result.ttft is None else result.ttft * 1000
    if result.outcome != "complete":
        entry.error = result.outcome
    return response


async def chat_completions(request: web.Request) -> web.StreamResponse:
    """``POST /v1/chat/completions``."""
    gateway = gateway_of(request)
    entry = request[JOURNAL_ENTRY]
    read = await read_parsed(request, gateway, parse_chat)
    if isinstance(read, web.Response):
        return read
    overrides, chat = read
    decision = await decide(request, gateway, chat.view, overrides)
    if isinstance(decision, web.Response):
        return decision
    # A literal reply was rendered at load (faces/openai/prepared.py): the same bytes, for a fraction of the
    # work, whenever this request would not change it.
    chats = await prepared_for(PREPARED_CHATS, gateway.scenario)
    prepared = chats.get(decision.rule_index, decision.step, decision.reply, decision.timing)
    if prepared is not None and prepared.fits(chat):
        made = prepared.answer(chat.model, chat.view, decision.draws.ids, int(time.time()))
        entry.answer = made.summary()
        if not chat.view.stream:
            return await answer_json(request, gateway, decision, made.body())
        schedule = made.schedule(chat.include_usage, decision.timing, decision.draws.jitter, decision.fault)
        return await answer_stream(request, gateway, schedule, entry)
    answer = compose_answer(request, gateway, chat.view, decision, chat.max_tokens, chat.stop)
    if isinstance(answer, web.Response):
        return answer
    completion_id, created, model = decision.draws.ids.chat_completion(), int(time.time()), chat.model
    if not chat.view.stream:
        return await answer_json(
            request, gateway, decision, completion(answer, completion_id=completion_id, model=model, created=created)
        )
    schedule = chat_schedule(
        answer,
        completion_id=completion_id,
        model=model,
        created=created,
        include_usage=chat.include_usage,
        timing=decision.timing,
        rng=decision.draws.jitter,
        fault=decision.fault,
    )
    return await answer_stream(request, gateway, schedule, entry)


async def responses(request: web.Request) -> web.StreamResponse:
    """``POST /v1/responses``."""
    gateway = gateway_of(request)
    entry = request[JOURNAL_ENTRY]
    read = await read_parsed(request, gateway, parse_responses, gateway.responses)
    if isinstance(read, web.Response):
        return read
    overrides, parsed = read
    decision = await decide(request, gateway, parsed.view, overrides)
    if isinstance(decision, web.Response):
        return decision
    # A literal reply was rendered at load (faces/openai/prepared_responses.py): the same bytes, for a fraction
    # of the work, whenever this request would not change it.
    responses_made = await prepared_for(PREPARED_RESPONSES, gateway.scenario)
    prepared = responses_made.get(decision.rule_index, decision.step, decision.reply, decision.timing)
    if prepared is not None and prepared.fits(parsed):
        made = prepared.answer_for(parsed, decision.draws.ids, int(time.time()))
        entry.answer = made.summary()
        if not parsed.view.stream:
            response = await answer_json(request, gateway, decision, made.body())
            if response.status == 200:
                made.hold(gateway.responses)
            return response
        schedule = made.schedule(decision.timing, decision.draws.jitter, decision.fault)
        if decision.fault is None or decision.fault.after_events is None:
            made.hold(gateway.responses)  # held before the stream plays, as below
        return await answer_stream(request, gateway, schedule, entry)
    answer = compose_answer(request, gateway, parsed.view, decision, parsed.max_tokens, ())
    if isinstance(answer, web.Response):
        return answer
    ids = decision.draws.ids
    response_id, created = ids.response(), int(time.time())
    if not parsed.view.stream:
        response = await answer_json(
            request,
            gateway,
            decision,
            response_object(parsed, answer, response_id=response_id, created=created, ids=ids),
        )
        if response.status == 200:
            hold(parsed, answer, response_id, gateway.responses)
        return response
    schedule = responses_schedule(
        parsed,
        answer,
        response_id=response_id,
        created=created,
        ids=ids,
        timing=decision.timing,
        rng=decision.draws.jitter,
        fault=decision.fault,
    )
    # Held before the stream plays: a client may name it as soon as it reads response.created.
    if decision.fault is None or decision.fault.after_events is None:
        hold(parsed, answer, response_id, gateway.responses)
    return await answer_stream(request, gateway, schedule, entry)


async def embeddings(request: web.Request) -> web.StreamResponse:
    """``POST /v1/embeddings``: rules decide (a scripted error, a fault), the seed and the text make the vectors."""
    gateway = gateway_of(request)
    read = await read_parsed(request, gateway, parse_embeddings)
    if isinstance(read, web.Response):
        return read
    overrides, parsed = read
    decision = await decide(request, gateway, parsed.view, overrides)
    if isinstance(decision, web.Response):
        return decision
    seed = gateway.engine.seed if gateway.engine.seed is not None else 0
    return await answer_json(request, gateway, decision, embeddings_object(parsed, seed))
