"""The HTTP routes: ``/v1/messages``, ``count_tokens``, ``/v1/models``, ``/`` and health."""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import ContentEncodingError
from aiohttp.typedefs import Handler

from mockgw._version import __version__
from mockgw.core.answer import filler_reply, tokens
from mockgw.core.engine import Decision, NoMatch
from mockgw.core.journal import JournalEntry
from mockgw.core.request import DEFAULT_SESSION, RequestView, data_input_chars, file_ids, input_chars
from mockgw.core.seeds import Draws
from mockgw.core.structured import ReplyMismatch
from mockgw.faces.anthropic.asks import honour_request
from mockgw.faces.anthropic.files import page_size
from mockgw.faces.anthropic.parse import parse_count_tokens, parse_message_request
from mockgw.faces.anthropic.prepared import PreparedAnswer
from mockgw.faces.anthropic.render import Limits, message_json, render_message, stream_frames
from mockgw.faces.anthropic.summary import message_summary
from mockgw.faces.anthropic.threads import ThreadRefused, ThreadTurn
from mockgw.faces.anthropic.validation import (
    InvalidRequest,
    betas_of,
    parse_json,
)
from mockgw.faces.anthropic.wire.errors import status_for_error_type
from mockgw.faces.anthropic.wire.messages import Message
from mockgw.faces.anthropic.wire.models import ModelsPage
from mockgw.gateway.listing import model_json, page_json
from mockgw.server.auth import authorized
from mockgw.server.responses import error_response, json_response
from mockgw.server.sse import SSE_HEADERS, PlayResult, play
from mockgw.server.state import Gateway

GATEWAY: web.AppKey[Gateway] = web.AppKey("gateway", Gateway)
REQUEST_ID: web.RequestKey[str] = web.RequestKey("mockgw.request_id", str)
# The random sources of the request the engine counted (``Decision.draws``), once it has decided.
DRAWS: web.RequestKey[Draws] = web.RequestKey("mockgw.draws", Draws)
# The request's headers with lower-cased names, made once by api_route for every step after it.
HEADERS: web.RequestKey[dict[str, str]] = web.RequestKey("mockgw.headers", dict)
# The request's journal entry, for the request log line.
JOURNAL_ENTRY: web.RequestKey[JournalEntry] = web.RequestKey("mockgw.journal_entry", JournalEntry)
# The (input, output) tokens of a Messages answer, for the rate-limit headers (server/ratelimit.py).
USAGE: web.RequestKey[tuple[int, int]] = web.RequestKey("mockgw.usage", tuple)
SESSION_HEADERS = ("x-mockgw-session", "x-claude-code-session-id")
# The size of the request's body in bytes, once read_json has read it.
BODY_BYTES: web.RequestKey[int] = web.RequestKey("mockgw.body_bytes", int)
# Bodies larger than this are parsed, and their derived fields worked out, off the event loop.
OFF_LOOP_BYTES = 1024 * 1024
# The API's text for a body over 32 MB (413 request_too_large).
TOO_LARGE = "Request exceeds the maximum size"
BODY_TIMEOUT = "The request body did not arrive: no byte for {:g} s"


def gateway_of(request: web.Request) -> Gateway:
    return request.app[GATEWAY]


def request_id(request: web.Request) -> str:
    """The request's id (``request-id``, and ``request_id`` in an error body), made on first read: from the
    request's draws once the engine counted it (so it is part of the session's repeatable bytes), else from
    the gateway's own stream (a request refused before a rule was chosen, admin and model routes)."""
    rid = request.get(REQUEST_ID)
    if rid is None:
        draws = request.get(DRAWS)
        ids = draws.ids if draws is not None else request.app[GATEWAY].engine.ids
        rid = request[REQUEST_ID] = ids.request()
    return rid


def session_of(headers: dict[str, str]) -> str:
    """``x-mockgw-session``, else Claude Code's session id, else the default session."""
    for name in SESSION_HEADERS:
        if headers.get(name):
            return headers[name]
    return DEFAULT_SESSION


async def read_body(request: web.Request, limit: int, timeout: float | None = None) -> bytearray:
    """The whole body, decoded from its ``Content-Encoding``; raise InvalidRequest when it cannot be had.

    413 request_too_large when it is over ``limit`` bytes (decoded: a gzip bomb counts what it expands
    to), 400 when its coding is broken, 408 timeout_error when ``timeout`` seconds pass without a byte
    arriving (default: the gateway's body timeout).
    """
    # Refused on the Content-Length alone when it says too much: the body is never read.
    if request.content_length is not None and request.content_length > limit:
        raise InvalidRequest(TOO_LARGE, 413, "request_too_large")
    if timeout is None:
        timeout = request.app[GATEWAY].config.timeouts.body
    # content.read(n) returns what has arrived so far (one chunk), not n bytes: read to the end, or past the limit.
    content = request.content
    raw = bytearray()
    try:
        while len(raw) <= limit:
            if content.is_eof():
                # All of it has arrived (a small body comes in the packet of its head): taken as it is, with no
                # timer to start and cancel, which cost a canned answer about 15 µs (docs/performance.md).
                chunk = content.read_nowait(limit + 1 - len(raw))
            else:
                async with asyncio.timeout(timeout):
                    chunk = await content.read(limit + 1 - len(raw))
            if not chunk:
                break
            raw += chunk
    except TimeoutError:
        _give_up_body(request)
        raise InvalidRequest(BODY_TIMEOUT.format(timeout), 408, "timeout_error") from None
    except web.RequestPayloadError as exc:
        _give_up_body(request)
        raise InvalidRequest(_payload_problem(request, exc)) from None
    if len(raw) > limit:
        raise InvalidRequest(TOO_LARGE, 413, "request_too_large")
    return raw


def _give_up_body(request: web.Request) -> None:
    """Answer, then close the connection, without reading the rest of the body.

    aiohttp would otherwise read on for up to 10 s after the answer (its "lingering close"), and log a
    traceback when the body it reads on is the broken one.
    """
    request.protocol.close()
    request.content.feed_eof()


def _payload_problem(request: web.Request, exc: web.RequestPayloadError) -> str:
    # aiohttp's message carries no request bytes; its cause says which layer broke.
    if isinstance(exc.__cause__, ContentEncodingError):
        coding = request.headers.get("content-encoding", "")
        return f"The request body could not be decoded as Content-Encoding {coding!r} says"
    return f"The request body is malformed: {exc.__cause__ or exc}"


async def read_json(request: web.Request, gateway: Gateway) -> Any:
    """The parsed JSON body, journaled; raise InvalidRequest (413, 408 or 400) when it cannot be had or read.

    A body over ``OFF_LOOP_BYTES`` is parsed in a worker thread: megabytes take tens of milliseconds to
    decode and parse, and the loop serves every other client meanwhile.
    """
    raw = await read_body(request, gateway.config.max_body_bytes)
    request[BODY_BYTES] = len(raw)
    body = await asyncio.to_thread(parse_json, raw) if len(raw) > OFF_LOOP_BYTES else parse_json(raw)
    entry = request.get(JOURNAL_ENTRY)
    if entry is not None:
        gateway.journal.set_body(entry, body, len(raw))
    return body


def _derive_fields(view: RequestView, usage: bool = True) -> None:
    """Work out the request's derived fields now (cached on the view): the costly ones walk the whole body.
    ``usage``: the input-token estimate too (a compact dump of the whole request), which only an answer reads."""
    _ = view.last_user, view.system, view.tool_results
    if usage:
        _ = view.input_chars


def _input_chars(view: RequestView) -> int:
    return view.input_chars


def _invalid(request: web.Request, exc: InvalidRequest) -> web.Response:
    return error_response(exc.status, exc.message, request_id=request_id(request), error_type=exc.error_type)


MAX_OVERRIDE_DELAY_MS = 600_000
OVERRIDE_HEADERS = frozenset({"x-mockgw-status", "x-mockgw-rule", "x-mockgw-delay-ms"})


@dataclass(frozen=True)
class Overrides:
    """The per-request override headers, checked: ``x-mockgw-status``, ``x-mockgw-rule``, ``x-mockgw-delay-ms``."""

    status: int | None = None  # answer this error status instead of a rule (wins over ``rule``)
    rule: str | None = None  # answer with the rule of this label, whatever its match says
    delay_ms: int = 0  # wait this long before answering


NO_OVERRIDES = Overrides()  # most requests': one shared, not one made per request


def _rule_labels(gateway: Gateway) -> list[str]:
    return list(gateway.scenario.labels)


def _unknown_rule(name: str, labels: list[str]) -> InvalidRequest:
    return InvalidRequest(f"x-mockgw-rule: no rule {name!r} in this scenario (rules: {', '.join(labels) or 'none'})")


_WHOLE_NUMBER = re.compile(r"\s*[0-9]{1,9}\s*")


def _whole_number(raw: str) -> bool:
    """ASCII digits only, and few of them: ``str.isdigit`` accepts ``⁴²⁹``, which ``int()`` refuses."""
    return _WHOLE_NUMBER.fullmatch(raw) is not None


def _shown(raw: str, keep: int = 40) -> str:
    """A header value as an error message quotes it: in full when short, else its start and its length."""
    return repr(raw) if len(raw) <= keep else f"{raw[:keep]!r}… ({len(raw):,} characters)"


def parse_overrides(headers: Mapping[str, str], labels: list[str]) -> Overrides:
    """The override headers of a request (lower-cased ``headers``); InvalidRequest names a bad one."""
    status: int | None = None
    raw = headers.get("x-mockgw-status")
    if raw is not None:
        if not _whole_number(raw) or not 400 <= int(raw) <= 599:
            raise InvalidRequest(f"x-mockgw-status: expected an error status from 400 to 599, got {_shown(raw)}")
        status = int(raw)
    rule = headers.get("x-mockgw-rule")
    if rule is not None and rule not in labels:
        raise _unknown_rule(rule, labels)
    delay_ms = 0
    raw = headers.get("x-mockgw-delay-ms")
    if raw is not None:
        if not _whole_number(raw) or int(raw) > MAX_OVERRIDE_DELAY_MS:
            raise InvalidRequest(
                f"x-mockgw-delay-ms: expected whole milliseconds from 0 to {MAX_OVERRIDE_DELAY_MS}, got {_shown(raw)}"
            )
        delay_ms = int(raw)
    return Overrides(status, rule, delay_ms)


def unauthorized(request: web.Request) -> web.Response:
    """The Anthropic-shaped 401."""
    return error_response(401, "invalid x-api-key", request_id=request_id(request))


def api_route(
    handler: Handler,
    face: str | None = None,
    refuse: Callable[[web.Request], web.Response] = unauthorized,
) -> Handler:
    """An API route: every call recorded in the journal, and refused with 401 when credentials don't pass.

    One place for the gateway's credential rule (see ``auth.authorized``), before any body is read. ``face``
    names the API the route serves (in the journal); ``refuse`` words the 401 in that API's error shape.
    """

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        gateway = gateway_of(request)
        started = gateway.clock.now()
        headers = {k.lower(): v for k, v in request.headers.items()}
        entry = gateway.journal.new_entry(
            time=time.time(),
            method=request.method,
            path=request.path_qs,  # redacted when the entry is read, like the headers
            headers=headers,
            body=None,
            session=session_of(headers),
            face=face,
        )
        request[JOURNAL_ENTRY] = entry
        request[HEADERS] = headers
        try:
            if authorized(headers, gateway.auth, time.time()):
                response = await handler(request)
            else:
                entry.error = "authentication_error"
                response = refuse(request)
        except asyncio.CancelledError:
            # The client went away (aiohttp cancels the handler): in a delay, a stall or mid-stream.
            entry.error = entry.error or "client_gone"
            raise
        finally:
            entry.duration_ms = (gateway.clock.now() - started) * 1000
            gateway.journal.settle(entry)  # a big body is kept shortened from here on
        entry.status = response.status
        return response

    return wrapper


async def messages(request: web.Request) -> web.StreamResponse:
    """``POST /v1/messages`` (any query string: Claude Code sends ``?beta=true``); routed by ``server/faces.py``."""
    entry = request[JOURNAL_ENTRY]
    try:
        return await _answer_messages(request, gateway_of(request), request[HEADERS], entry.session, entry)
    finally:  # however it ended (answered, refused, client gone), a thread's continue is no longer in flight
        if entry.thread is not None:
            gateway_of(request).threads.release(entry.thread["previous_message_id"])


async def _answer_messages(
    request: web.Request, gateway: Gateway, headers: dict[str, str], session: str, entry: JournalEntry
) -> web.StreamResponse:
    turn: ThreadTurn | None = None
    try:
        # Most requests carry no override header: skip building the rule labels for them.
        wanted = gateway.config.overrides and not OVERRIDE_HEADERS.isdisjoint(headers)
        overrides = parse_overrides(headers, _rule_labels(gateway)) if wanted else NO_OVERRIDES
        body = await read_json(request, gateway)
        entry.body = body
        # A message thread's history goes before the sent turn, so validation and rules see all of it.
        turn = gateway.threads.resolve(body, session, enabled=gateway.scenario.threads)
        if turn is not None:
            entry.thread = turn.journal()
        data = body if turn is None else turn.body
        # None on the happy path: the JSON certainly passes, and no wire model is built (faces/anthropic/parse).
        params = parse_message_request(
            data, betas=betas_of(headers), max_output=gateway.max_output_tokens, held=turn.held_count if turn else 0
        )
    except InvalidRequest as exc:
        entry.error = exc.message
        return _invalid(request, exc)
    except ThreadRefused as exc:
        entry.error = exc.message
        rid = request_id(request)
        return error_response(exc.status, exc.message, request_id=rid, error_type=exc.error_type, details=exc.details)
    model = data["model"]
    entry.stream = bool(data.get("stream"))
    if not gateway.knows_model(model):
        entry.error = f"model: {model}"
        return error_response(404, f"model: {model}", request_id=request_id(request))

    if overrides.delay_ms:
        await gateway.clock.sleep(overrides.delay_ms / 1000)
    if overrides.status is not None:
        entry.error = f"x-mockgw-status: {overrides.status}"
        return error_response(overrides.status, request_id=request_id(request))

    try:  # files attached by file_id must exist: the API answers 404 for an unknown one
        attachments = gateway.files.attachments(file_ids(data), gateway.wall_now())
    except InvalidRequest as exc:
        entry.error = exc.message
        return _invalid(request, exc)
    view = RequestView(
        params, headers, session, attachments=attachments, body=body, data=data, exact_dump=params is None
    )
    big = request.get(BODY_BYTES, 0) > OFF_LOOP_BYTES
    if big:  # what rules read; the usage estimate waits for a decision that answers (below)
        await asyncio.to_thread(_derive_fields, view, False)
    if overrides.rule is not None:
        forced = gateway.engine.force(overrides.rule, view)
        if forced is None:  # the scenario changed while the request waited
            unknown = _unknown_rule(overrides.rule, _rule_labels(gateway))
            entry.error = unknown.message
            return _invalid(request, unknown)
        decision: Decision | NoMatch = forced
    else:
        decision = gateway.engine.decide(view)
    request[DRAWS] = decision.draws
    if turn is None and not attachments:  # the view holds only what the entry does: its why can wait
        entry.defer_why(decision.why_later(view))
    else:
        entry.why = decision.why(view)
    entry.state, entry.set_state = decision.state, decision.set_state
    if isinstance(decision, NoMatch):
        entry.error = decision.message
        entry.unmatched = True
        # x-should-retry: false, or every client would retry a scripting mistake several times.
        return error_response(400, decision.message, request_id=request_id(request), should_retry=False)
    entry.rule = decision.rule
    if decision.batch_result is not None:
        entry.error = f"rule {decision.rule} scripts a batch result"
        message = (
            f"mockgw: rule {decision.rule!r} scripts a Message Batch result (batch_result: {decision.batch_result}); "
            "it answers only requests of a batch"
        )
        return error_response(400, message, request_id=request_id(request), should_retry=False)
    if big and decision.error is None:  # the answer's usage: megabytes of JSON to measure, off the loop
        await asyncio.to_thread(_input_chars, view)
    return await _play_decision(request, gateway, view, decision, entry, turn)


def _hold(gateway: Gateway, turn: ThreadTurn | None, message: Message, entry: JournalEntry) -> None:
    """Hold an answered message thread's conversation under the reply's id, for the next ``continue``."""
    if turn is not None and entry.thread is not None and gateway.threads.hold(turn, message):
        entry.thread["message_id"] = message.id


async def _play_decision(
    request: web.Request,
    gateway: Gateway,
    view: RequestView,
    decision: Decision,
    entry: JournalEntry,
    turn: ThreadTurn | None = None,
) -> web.StreamResponse:
    rid = request_id(request)
    clock = gateway.clock
    fault = decision.fault
    if fault is not None and fault.delay_ms:
        await clock.sleep(fault.delay_ms / 1000)

    if decision.error is not None:
        spec = decision.error
        entry.error = spec.message or spec.type or str(spec.status)
        return error_response(
            spec.status,
            spec.message,
            request_id=rid,
            error_type=spec.type,
            retry_after=spec.retry_after,
            should_retry=spec.should_retry,
            headers=dict(spec.headers),
            details=spec.details,
        )

    draws = decision.draws
    # A literal reply was rendered at load (faces/anthropic/prepared.py): the same bytes, for a fraction of
    # the work, whenever this request would not change it. A message thread needs the Message to hold.
    prepared = None
    if turn is None:
        prepared = gateway.prepared.get(decision.rule_index, decision.step, decision.reply, decision.timing)
    made: PreparedAnswer | None = None
    message: Message | None = None
    if prepared is not None and prepared.fits(view):
        made = prepared.answer(view.model, lambda: view.input_chars, draws.ids)
        request[USAGE] = made.usage
    else:
        ctx = gateway.engine.context(view, draws)
        try:
            reply, notes = honour_request(
                decision.reply or filler_reply(),
                view,
                ctx=ctx,
                rng=draws.content,
                fake=draws,
                attachments=view.attachments,
            )
        except ReplyMismatch as exc:  # the scenario's JSON does not fit the request's schema: a scripting mistake
            entry.error = str(exc)
            return error_response(400, f"mockgw: rule {decision.rule!r}: {exc}", request_id=rid, should_retry=False)
        entry.notes.extend(notes)
        message = render_message(
            reply,
            model=view.model,
            input_chars=view.input_chars,
            limits=Limits(view.max_tokens, view.stop_sequences),
            ctx=ctx,
            ids=draws.ids,
            now=gateway.wall_now(),
        )
        entry.notes.extend(ctx.notes)
        request[USAGE] = (message.usage.input_tokens, message.usage.output_tokens)

    if not view.stream:
        if fault is not None and fault.stall_ms:
            await clock.sleep(fault.stall_ms / 1000)
        if fault is not None and fault.disconnect:
            entry.error = "disconnected (fault)"
            raise DisconnectFault()
        if fault is not None and fault.error is not None:
            error = fault.error
            entry.error = error.type
            status = status_for_error_type(error.type)
            return error_response(status, error.message, request_id=rid, error_type=error.type, details=error.details)
        if made is not None:
            entry.answer = made.summary()
            body = made.body()
        else:
            assert message is not None
            _hold(gateway, turn, message, entry)
            entry.answer = message_summary(message)
            body = message_json(message)
        return web.Response(body=body, content_type="application/json", headers={"request-id": rid})

    if made is not None:
        schedule = made.schedule(decision.timing, draws.jitter, fault)
        entry.answer = made.summary()
    else:
        assert message is not None
        schedule = stream_frames(message, decision.timing, draws.jitter, fault)
        entry.answer = message_summary(message)  # what the stream carries (``error`` says when it was cut short)
    response = web.StreamResponse(status=200, headers={**SSE_HEADERS, "request-id": rid})
    await response.prepare(request)
    entry.status = response.status  # on the wire now, even if the client goes away before the end
    # Filled as frames go out: a stream cut short shows how far it got.
    result = PlayResult(events=entry.events, timeline=entry.timeline)
    await play(request, response, schedule, gateway.pacer, result, gateway.config.timeouts.write)
    entry.ttft_ms = None if result.ttft is None else result.ttft * 1000
    if result.outcome != "complete":
        entry.error = result.outcome
    elif result.events[-1:] == ["message_stop"] and message is not None:  # the API holds all of a reply or none
        _hold(gateway, turn, message, entry)
    return response


class DisconnectFault(Exception):
    """Raised to drop a non-streamed request's connection without an answer (a scripted fault)."""


@api_route
async def count_tokens(request: web.Request) -> web.StreamResponse:
    """``POST /v1/messages/count_tokens``: ``{"input_tokens": N}`` by the documented 4-chars rule."""
    gateway = gateway_of(request)
    try:
        body = await read_json(request, gateway)
        params = parse_count_tokens(body)  # None: certainly valid, measured on the JSON itself
        gateway.files.attachments(file_ids(body), gateway.wall_now())  # an unknown file_id: 404, as for messages
    except InvalidRequest as exc:
        return _invalid(request, exc)
    measure = functools.partial(data_input_chars, body) if params is None else functools.partial(input_chars, params)
    if request.get(BODY_BYTES, 0) > OFF_LOOP_BYTES:
        chars = await asyncio.to_thread(measure)  # megabytes to measure: the loop serves others
    else:
        chars = measure()
    return json_response({"input_tokens": tokens(chars)}, request_id=request_id(request))


@api_route
async def list_models(request: web.Request) -> web.StreamResponse:
    """``GET /v1/models`` with ``limit``, ``after_id``, ``before_id`` paging."""
    gateway = gateway_of(request)
    try:
        limit = page_size(request.query.get("limit"))
    except InvalidRequest as exc:
        return _invalid(request, exc)
    models = gateway.models
    ids = [m.id for m in models]
    after, before = request.query.get("after_id"), request.query.get("before_id")
    if before:
        end = ids.index(before) if before in ids else len(ids)
        page = models[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        start = ids.index(after) + 1 if after and after in ids else 0
        page = models[start : start + limit]
        has_more = start + limit < len(models)
    body = ModelsPage(
        data=page,
        has_more=has_more,
        first_id=page[0].id if page else None,
        last_id=page[-1].id if page else None,
    )
    return json_response(page_json(body), request_id=request_id(request))


@api_route
async def get_model(request: web.Request) -> web.StreamResponse:
    """``GET /v1/models/{id}`` (ids with a slash, ``anthropic/claude-sonnet-4.5``, work too)."""
    gateway = gateway_of(request)
    model_id = request.match_info["model_id"]
    for model in gateway.models:
        if model.id == model_id:
            return json_response(model_json(model), request_id=request_id(request))
    return error_response(404, f"model: {model_id}", request_id=request_id(request))


async def info(request: web.Request) -> web.StreamResponse:
    """``GET /`` and ``HEAD /``: what this server is (Claude Code sends ``HEAD /`` first)."""
    gateway = gateway_of(request)
    body = {
        "name": "mockgw",
        "version": __version__,
        "description": "A local mock of an Anthropic-compatible gateway, answering from a scripted scenario.",
        "scenario": gateway.scenario.name,
        "rules": len(gateway.scenario.rules),
        "endpoints": [
            "POST /v1/messages",
            "POST /v1/messages/count_tokens",
            "GET /v1/models",
            "/v1/messages/batches",
            "/v1/files",
            "GET /health",
        ],
    }
    return json_response(body, request_id=request_id(request))


async def health(request: web.Request) -> web.StreamResponse:
    """A health endpoint for containers: 200 ``{"status": "ok"}`` while the server runs."""
    gateway = gateway_of(request)
    return json_response(
        {"status": "ok", "scenario": gateway.scenario.name, "requests": len(gateway.journal)},
        request_id=request_id(request),
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/messages/count_tokens", count_tokens)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/models/{model_id:.+}", get_model)
    app.router.add_get("/", info)  # GET routes answer HEAD too
    app.router.add_get("/health", health)
    app.router.add_get("/_mockgw/health", health)
