"""The admin API under ``/_mockgw/``: look at the journal, reset, read or switch the scenario, read state.

Every answer is JSON; every failure is Anthropic-shaped. With an admin token configured, every path under
``/_mockgw/`` needs it, as ``Authorization: Bearer T`` or ``x-mockgw-admin-token: T``. Admin calls are not
journaled: the journal is what the application under test sent. See docs/admin.md.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from mockgw.core.journal import JournalEntry
from mockgw.core.request import DEFAULT_SESSION
from mockgw.faces.anthropic.validation import InvalidRequest, parse_json
from mockgw.scenario.loader import (
    ScenarioError,
    bundled_dir,
    list_bundled,
    load_scenario_data,
    load_scenario_file,
    load_scenario_text,
)
from mockgw.scenario.schema import Scenario
from mockgw.server import export
from mockgw.server.auth import credential
from mockgw.server.listing import ListingCache, page_body
from mockgw.server.responses import JSON_TYPE, error_body, error_response, json_body, json_response
from mockgw.server.routes import GATEWAY, read_body, request_id
from mockgw.server.state import Gateway, prepare_answers

PREFIX = "/_mockgw"
TOKEN_HEADER = "x-mockgw-admin-token"
# A header a cross-site page cannot add without a CORS preflight: it marks an admin call as deliberate.
ADMIN_HEADER = "x-mockgw-admin"
# The content types a page may POST cross-site without a preflight (the Fetch standard's "CORS-safelisted"
# values, which HTML forms send), and no content type at all.
_FORM_TYPES = frozenset({"", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
_JSON_TYPES = ("application/json", "text/json")
PUT_SOURCE = "<PUT /_mockgw/scenario>"  # how problems of an uploaded scenario name their file
UPLOADED_NAME = "uploaded"  # the name of an uploaded scenario that names itself nothing
NOT_JSON = "the body is not JSON: "
# A page of GET /_mockgw/requests: this many entries unless ?limit= says otherwise, and never more than MAX.
DEFAULT_PAGE = 100
MAX_PAGE = 1000
# Bodies larger than this are left out of listings (GET /_mockgw/requests/SEQ has them whole).
LISTED_BODY_BYTES = 16 * 1024
# Each entry's listed row, serialised once while the entry stays the same (see listing.py).
LISTING: web.AppKey[ListingCache] = web.AppKey("mockgw.listing", ListingCache)
UI_PATH = f"{PREFIX}/ui"  # the inspector page: static, it asks for the token itself (mockgw/server/ui)


def is_admin_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def token_matches(headers: Mapping[str, str], token: str) -> bool:
    """Whether (lower-cased) ``headers`` carry the admin ``token``, compared in constant time."""
    candidates = [headers.get(TOKEN_HEADER)]
    found = credential({"authorization": headers.get("authorization", "")})
    if found is not None:
        candidates.append(found[1])
    expected = token.encode()
    return any(c is not None and hmac.compare_digest(c.encode(), expected) for c in candidates)


def sendable_cross_site(method: str, content_type: str | None, headers: Mapping[str, str]) -> bool:
    """Whether a web page on any site could make a browser send this state-changing admin request unasked.

    Browsers send a POST without asking first (no CORS preflight) when its content type is absent or one
    of the three a form can send, and it carries no header of its own. The page cannot read the answer,
    but the change is made: a plain-text POST reset the journal. PUT, PATCH and DELETE are always
    preflighted, and CORS never grants the admin API to a foreign origin (see cors.py).
    """
    if method != "POST":
        return False
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return kind in _FORM_TYPES and ADMIN_HEADER not in headers


def refusal(request: web.Request) -> web.Response | None:
    """The refusal of an admin call without the admin token (401), or one a cross-site page could send (403).

    The token is needed only when one is configured; the inspector page itself needs none.
    """
    if not is_admin_path(request.path):
        return None
    token = request.app[GATEWAY].config.admin_token
    if token and request.path != UI_PATH:
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not token_matches(headers, token):
            message = f"mockgw: the admin API needs the admin token (Authorization: Bearer <token> or {TOKEN_HEADER})"
            return error_response(401, message, request_id=request_id(request))
    if sendable_cross_site(request.method, request.headers.get("content-type"), request.headers):
        message = (
            f"mockgw: a {request.method} to the admin API needs Content-Type: application/json or the header "
            f"{ADMIN_HEADER}: 1 (a web page on another site can send neither without asking first); "
            "see docs/admin.md, Security model"
        )
        return error_response(403, message, request_id=request_id(request), error_type="permission_error")
    return None


# ---------------------------------------------------------------- helpers


def _invalid(request: web.Request, message: str, status: int = 400) -> web.Response:
    return error_response(status, message, request_id=request_id(request))


async def _read_text(request: web.Request, gateway: Gateway) -> str:
    raw = await read_body(request, gateway.config.max_body_bytes)  # the whole body, not its first chunk
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("the body is not UTF-8 text") from None


def _int_param(query: Mapping[str, str], name: str, minimum: int) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest(f"{name}: expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise InvalidRequest(f"{name}: must be at least {minimum}, got {value}")
    return value


def _status_filter(raw: str | None) -> tuple[int, int] | None:
    """``429`` → (429, 429); ``4xx`` → (400, 499); absent → None."""
    if raw is None or raw == "":
        return None
    text = raw.strip().lower()
    if len(text) == 3 and text[0] in "12345" and text[1:] == "xx":
        low = int(text[0]) * 100
        return low, low + 99
    if text.isdigit():
        return int(text), int(text)
    raise InvalidRequest(f"status: expected a status like 429 or a class like 4xx, got {raw!r}")


def filter_entries(entries: list[JournalEntry], query: Mapping[str, str]) -> tuple[list[JournalEntry], bool]:
    """One page of the journal entries kept by the ``session``, ``rule``, ``face`` and ``status`` filters, and whether
    more remain beyond it.

    ``after=SEQ`` pages forward: the oldest ``limit`` entries newer than SEQ (the next page starts after the
    last one). Without it, the newest ``limit``. ``limit`` is ``DEFAULT_PAGE`` unless given, at most
    ``MAX_PAGE``. Raises InvalidRequest for a malformed filter value.
    """
    session, rule, face = query.get("session"), query.get("rule"), query.get("face")
    status = _status_filter(query.get("status"))
    after = _int_param(query, "after", 0)
    limit = _int_param(query, "limit", 1)
    if limit is None:
        limit = DEFAULT_PAGE
    elif limit > MAX_PAGE:
        raise InvalidRequest(f"limit: must be at most {MAX_PAGE}, got {limit}")
    kept = [
        e
        for e in entries
        if (session is None or e.session == session)
        and (rule is None or e.rule == rule)
        and (face is None or e.face == face)
        and (status is None or status[0] <= e.status <= status[1])
        and (after is None or e.seq > after)
    ]
    page = kept[:limit] if after is not None else kept[-limit:]
    return page, len(kept) > limit


def listed(entry: JournalEntry) -> dict[str, Any]:
    """An entry as the listing shows it: a body over ``LISTED_BODY_BYTES`` left out, with where to read it,
    and so a message thread's whole conversation (the held part and the body together)."""
    data = entry.to_dict()
    size = entry.body_bytes
    href = f"{PREFIX}/requests/{entry.seq}"
    if size is not None and size > LISTED_BODY_BYTES:
        data["body"] = None
        data["body_elided"] = {"bytes": size, "href": href}
    thread = data.get("thread")
    if thread is not None and thread["messages"] is not None:
        whole = (size or 0) + thread.get("held_bytes", 0)
        if whole > LISTED_BODY_BYTES:
            data["thread"] = {**thread, "messages": None, "messages_elided": {"bytes": whole, "href": href}}
    return data


def scenario_json(scenario: Scenario) -> dict[str, Any]:
    """The scenario as JSON data that ``PUT /_mockgw/scenario`` accepts back unchanged."""
    return scenario.model_dump(mode="json", exclude_none=True)


def problems_response(request: web.Request, exc: ScenarioError) -> web.Response:
    """400 with the Anthropic error shape plus ``problems``: each with its line, path and message."""
    count = len(exc.problems)
    message = (
        f"mockgw: scenario not loaded ({count} problem{'s' if count != 1 else ''}); "
        f"the previous scenario is still served.\n{exc}"
    )
    rid = request_id(request)
    body = error_body("invalid_request_error", message, rid)
    body["problems"] = [{"line": p.line, "path": p.path, "message": p.message} for p in exc.problems]
    return json_response(body, status=400, request_id=rid)


# ---------------------------------------------------------------- handlers


async def list_requests(request: web.Request) -> web.StreamResponse:
    """``GET /_mockgw/requests``: one page of journal entries, oldest first, filtered (see ``filter_entries``).

    A page, not the whole journal, and no body over ``LISTED_BODY_BYTES``: one answer never holds
    megabytes, so listing a journal of large requests does not hold up the clients being served.
    """
    gateway = request.app[GATEWAY]
    entries = gateway.journal.snapshot()
    try:
        page, has_more = filter_entries(entries, request.query)
    except InvalidRequest as exc:
        return _invalid(request, exc.message)
    cache = request.app[LISTING]
    cache.forget_except(entries)
    rest = {"count": len(page), "total": len(entries), "has_more": has_more, "last_seq": page[-1].seq if page else None}
    body = page_body([cache.row(e, listed) for e in page], rest)
    return web.Response(body=body, headers={"request-id": request_id(request), "content-type": JSON_TYPE})


async def put_state(request: web.Request) -> web.StreamResponse:
    """``PUT /_mockgw/state`` with ``{"session": S, "state": X}``: put session S (default: ``default``) in the
    named state X, as a rule's ``set_state`` would; rules with ``match: {state: X}`` answer it from now on."""
    gateway = request.app[GATEWAY]
    try:
        data = parse_json(await _read_text(request, gateway), NOT_JSON)
    except InvalidRequest as exc:
        return _invalid(request, exc.message, exc.status)
    usage = 'the body is {"state": "NAME"} or {"session": "S", "state": "NAME"}'
    if not isinstance(data, dict) or set(data) - {"session", "state"} or "state" not in data:
        return _invalid(request, usage)
    session, state = data.get("session", DEFAULT_SESSION), data["state"]
    if not isinstance(session, str) or not session:
        return _invalid(request, "session: expected a non-empty string")
    if not isinstance(state, str) or not state:
        return _invalid(request, "state: expected a non-empty string")
    gateway.engine.set_session_state(session, state)
    return json_response({"session": session, "state": state}, request_id=request_id(request))


async def get_request(request: web.Request) -> web.StreamResponse:
    """``GET /_mockgw/requests/{seq}``: one journal entry, whole (its body too, however large)."""
    gateway = request.app[GATEWAY]
    raw = request.match_info["seq"]
    entry = next((e for e in gateway.journal.snapshot() if str(e.seq) == raw), None)
    if entry is None:
        return error_response(
            404, f"mockgw: no journal entry {raw!r} (reset, or rolled off the journal)", request_id=request_id(request)
        )
    # Made in a worker thread: an entry may hold a body of megabytes, and the loop serves others meanwhile.
    data = await asyncio.to_thread(json_body, entry.to_dict())
    return web.Response(body=data, headers={"request-id": request_id(request), "content-type": JSON_TYPE})


async def reset(request: web.Request) -> web.StreamResponse:
    """``POST /_mockgw/reset``: forget journal and rule state; ``{"session": S}`` or ``?session=S``: one only."""
    gateway = request.app[GATEWAY]
    session = request.query.get("session")
    try:
        text = await _read_text(request, gateway)
    except InvalidRequest as exc:
        return _invalid(request, exc.message, exc.status)
    if text.strip():
        try:
            data = parse_json(text, NOT_JSON)
        except InvalidRequest as exc:
            return _invalid(request, exc.message)
        if not isinstance(data, dict) or set(data) - {"session"}:
            return _invalid(request, 'the body is {} or {"session": "NAME"}')
        value = data.get("session")
        if value is not None and not isinstance(value, str):
            return _invalid(request, "session: expected a string")
        session = value if value is not None else session
    gateway.reset(session)
    return json_response(
        {"reset": "all" if session is None else "session", "session": session}, request_id=request_id(request)
    )


async def get_scenario(request: web.Request) -> web.StreamResponse:
    """``GET /_mockgw/scenario``: the served scenario's name and its JSON form."""
    scenario = request.app[GATEWAY].scenario
    return json_response({"name": scenario.name, "scenario": scenario_json(scenario)}, request_id=request_id(request))


def bundled_names() -> list[str]:
    """The names ``?bundled=`` accepts: the bundled folder's files (so no name can reach outside it)."""
    folder = bundled_dir()
    return sorted(p.stem for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


def parse_upload(text: str, content_type: str, bundled: str | None) -> Scenario:
    """The scenario a ``PUT /_mockgw/scenario`` sends. Raises InvalidRequest, or ScenarioError listing problems."""
    if bundled is not None:
        if text.strip():
            raise InvalidRequest("give a body or ?bundled=NAME, not both")
        known = bundled_names()
        if bundled not in known:
            raise InvalidRequest(f"bundled: no bundled scenario {bundled!r} (bundled: {', '.join(known)})")
        return load_scenario_file(bundled_dir() / f"{bundled}.yaml")
    if not text.strip():
        raise InvalidRequest("the body is empty: send a scenario as YAML or JSON")
    if content_type in _JSON_TYPES or content_type.endswith("+json"):
        scenario = load_scenario_data(parse_json(text, NOT_JSON), PUT_SOURCE)
    else:
        # YAML is the default: curl --data-binary sends a form content type, and JSON is YAML too.
        scenario = load_scenario_text(text, PUT_SOURCE)
    return scenario if scenario.name is not None else scenario.model_copy(update={"name": UPLOADED_NAME})


async def put_scenario(request: web.Request) -> web.StreamResponse:
    """``PUT /_mockgw/scenario``: serve another scenario (YAML, or JSON by content type; or ``?bundled=NAME``).

    A scenario with problems is refused (400, every problem listed) and the old one stays; a good one
    replaces it with fresh rule state (the journal is kept).
    """
    gateway = request.app[GATEWAY]
    try:
        text = await _read_text(request, gateway)
        # Parsed in a thread: a large scenario must not hold up streams in flight on the loop.
        scenario = await asyncio.to_thread(parse_upload, text, request.content_type, request.query.get("bundled"))
        await asyncio.to_thread(prepare_answers, scenario)  # its literal answers rendered there too, not here
    except InvalidRequest as exc:
        return _invalid(request, exc.message, exc.status)
    except ScenarioError as exc:
        return problems_response(request, exc)
    gateway.load(scenario)
    return json_response(
        {"name": scenario.name, "rules": len(scenario.rules), "scenario": scenario_json(scenario)},
        request_id=request_id(request),
    )


async def list_scenarios(request: web.Request) -> web.StreamResponse:
    """``GET /_mockgw/scenarios``: the bundled scenarios, loadable with ``PUT /_mockgw/scenario?bundled=NAME``."""
    listing = await asyncio.to_thread(list_bundled)  # reads every bundled file: off the loop
    data = [{"name": name, "description": description} for name, description in listing]
    return json_response({"data": data, "current": request.app[GATEWAY].scenario.name}, request_id=request_id(request))


async def get_state(request: web.Request) -> web.StreamResponse:
    """``GET /_mockgw/state``: each session's rule uses and sequence steps, the rules never used, and how many
    message-thread conversations, uploaded files and message batches are held (count and bytes, with their
    bounds)."""
    gateway = request.app[GATEWAY]
    body = {
        "scenario": gateway.scenario.name,
        "sessions": gateway.engine.state(),
        # Sessions forgotten (least recently used first) to stay within max_sessions.
        "dropped_sessions": gateway.engine.dropped_sessions,
        "unused_rules": gateway.engine.unused_rules(),
        "threads": gateway.threads.stats(),
        "files": gateway.files.stats(),
        "batches": gateway.batches.stats(),
    }
    return json_response(body, request_id=request_id(request))


def add_routes(app: web.Application) -> None:
    """Register the admin API (``GET /_mockgw/health`` is registered with the model routes)."""
    app[LISTING] = ListingCache()
    app.router.add_get(f"{PREFIX}/requests", list_requests)
    app.router.add_get(f"{PREFIX}/requests/{{seq}}", get_request)
    app.router.add_post(f"{PREFIX}/reset", reset)
    app.router.add_get(f"{PREFIX}/scenario", get_scenario)
    app.router.add_put(f"{PREFIX}/scenario", put_scenario)
    app.router.add_get(f"{PREFIX}/scenarios", list_scenarios)
    app.router.add_get(f"{PREFIX}/state", get_state)
    app.router.add_put(f"{PREFIX}/state", put_state)
    export.add_routes(app, PREFIX)
