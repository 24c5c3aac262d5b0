"""The admin API's exports: a journal entry as a rule, a session as a scenario file (scenario/export.py).

``GET /_mockgw/requests/{seq}/rule`` answers YAML (one rule, under ``rules:``, ready to paste into a
scenario); ``GET /_mockgw/sessions/{session}/scenario`` a whole scenario file that ``mockgw validate``
accepts and that replays the session. Both are checked before they are sent: the YAML loads with mockgw's
own loader. ``?format=json`` answers the same data as JSON.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web

from mockgw.scenario.loader import ScenarioError, load_scenario_text
from mockgw.scenario.yaml_writer import dump_yaml
from mockgw.server.responses import error_response, json_response
from mockgw.server.routes import GATEWAY, request_id

YAML_TYPE = "application/yaml; charset=utf-8"
UNLOADABLE = "mockgw: the export does not load, please report this: "
_FILE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")

# The exporters (scenario/export.py) are imported by the first export, not with the admin API: a server that
# is never asked for one does not load them at start-up.


def _checked_yaml(data: dict[str, Any], header: list[str]) -> str:
    """The YAML of ``data`` after comment lines, loaded back once (ScenarioError: it would not serve)."""
    comments = "".join(f"# {' '.join(line.split())}\n" for line in header)
    for literal_blocks in (True, False):
        text = comments + dump_yaml(data, literal_blocks=literal_blocks)
        try:
            load_scenario_text(text, "<export>")
        except ScenarioError:
            if literal_blocks:
                continue  # literal blocks are the readable form; quoted strings the fallback
            raise
        return text
    raise AssertionError("unreachable")


def _answer(request: web.Request, data: dict[str, Any], text: str, filename: str | None) -> web.Response:
    if request.query.get("format") == "json":
        return json_response(data, request_id=request_id(request))
    headers = {"request-id": request_id(request), "content-type": YAML_TYPE}
    if filename is not None:
        headers["content-disposition"] = f'attachment; filename="{filename}"'
    return web.Response(text=text, headers=headers)


async def get_rule(request: web.Request) -> web.StreamResponse:
    """``GET /_mockgw/requests/{seq}/rule``: a rule that matches that request and gives its answer."""
    from mockgw.scenario.export import ExportError, rule_for_entry

    gateway = request.app[GATEWAY]
    raw = request.match_info["seq"]
    rid = request_id(request)
    entry = next((e for e in gateway.journal.snapshot() if str(e.seq) == raw), None)
    if entry is None:
        message = f"mockgw: no journal entry {raw!r} (reset, or rolled off the journal)"
        return error_response(404, message, request_id=rid)
    try:
        rule = rule_for_entry(entry.to_dict(), gateway.scenario)
        data = {"rules": [rule]}
        header = [f"A rule for request {entry.seq} ({entry.method} {entry.path}), exported by mockgw."]
        if entry.unmatched:
            header.append("No rule matched this request: write its reply below.")
        text = await asyncio.to_thread(_checked_yaml, data, header)
    except ExportError as exc:
        return error_response(409, f"mockgw: {exc}", request_id=rid)
    except ScenarioError as exc:
        return error_response(500, f"{UNLOADABLE}{exc}", request_id=rid)
    return _answer(request, {"rule": rule}, text, None)


async def get_session_scenario(request: web.Request) -> web.StreamResponse:
    """``GET /_mockgw/sessions/{session}/scenario``: the session's journal as a scenario that replays it."""
    from mockgw.scenario.export import session_scenario

    gateway = request.app[GATEWAY]
    session = request.match_info["session"]
    rid = request_id(request)
    entries = [e.to_dict() for e in gateway.journal.snapshot() if e.session == session]
    if not entries:
        return error_response(404, f"mockgw: no request of session {session!r} in the journal", request_id=rid)
    name = f"session-{_FILE_NAME.sub('-', session).strip('-') or 'default'}"
    data, notes = session_scenario(entries, gateway.scenario, name, session)
    if "seed" not in data and gateway.engine.seed is not None:
        data["seed"] = gateway.engine.seed  # the served seed (--seed): the same ids and faker text on replay
    header = [
        f"Session {session!r} exported by mockgw from the journal ({len(entries)} requests),",
        f"answered by the scenario {gateway.scenario.name!r}. Replay: mockgw serve --scenario THIS_FILE",
        *(f"note: {n}" for n in notes),
    ]
    try:
        text = await asyncio.to_thread(_checked_yaml, data, header)
    except ScenarioError as exc:
        return error_response(500, f"{UNLOADABLE}{exc}", request_id=rid)
    return _answer(request, {"scenario": data, "notes": notes}, text, f"{name}.yaml")


def add_routes(app: web.Application, prefix: str) -> None:
    """Register the export routes under the admin ``prefix``."""
    app.router.add_get(f"{prefix}/requests/{{seq}}/rule", get_rule)
    app.router.add_get(f"{prefix}/sessions/{{session}}/scenario", get_session_scenario)
