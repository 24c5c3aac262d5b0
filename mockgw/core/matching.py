"""Predicates over a request, each able to say why it failed.

``compile_match(match)`` makes the test the engine decides with: a function of the request and its session
that answers yes or no, building no text. ``misses(match, request)`` returns every predicate that does not
hold, with a reason a person can act on; an empty list means the rule matches. The near-miss report for "no
rule matched", and the journal's *why*, are built from those, only when they are read. The two must agree:
``compile_match(m)(r, f)`` is ``not misses(m, r, f)`` for every match, request and session.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mockgw.core.journal import is_secret_header
from mockgw.core.request import RequestView
from mockgw.faces.anthropic.wire.requests import THINKING_ON
from mockgw.scenario.schema import (
    AttachmentsMatch,
    BodyMatch,
    CountMatch,
    FileMatch,
    Match,
    OutputFormatMatch,
    TextMatch,
    ThinkingMatch,
    ToolChoiceMatch,
    ToolResultMatch,
    ToolsMatch,
    TurnMatch,
)


@dataclass(frozen=True)
class SessionFacts:
    """What the engine knows of the request's session: its named state and this request's number in it."""

    state: str = "start"
    nth: int = 1


@dataclass(frozen=True)
class Miss:
    """One predicate that failed: which (``last_user.contains``) and why."""

    predicate: str
    reason: str

    def __str__(self) -> str:
        return f"{self.predicate}: {self.reason}"


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def text_misses(name: str, test: TextMatch, text: str) -> list[Miss]:
    """The failed parts of a text test (equals/contains/regex) on ``text``."""
    out: list[Miss] = []
    if test.equals is not None and not test.equals_holds(text):
        out.append(Miss(f"{name}.equals", f"{_short(text)} is not {_short(test.equals)}"))
    if test.contains is not None and not test.contains_holds(text):
        out.append(Miss(f"{name}.contains", f"{_short(text)} does not contain {_short(test.contains)}"))
    if test.regex is not None and not test.regex_holds(text):
        out.append(Miss(f"{name}.regex", f"{_short(text)} does not match /{test.regex}/"))
    return out


def _tools_misses(test: ToolsMatch, offered: frozenset[str]) -> list[Miss]:
    out: list[Miss] = []
    missing = [t for t in test.includes if t not in offered]
    if missing:
        have = ", ".join(sorted(offered)[:8]) or "none"
        out.append(Miss("tools.includes", f"request does not offer {', '.join(missing)} (offers: {have})"))
    present = [t for t in test.excludes if t in offered]
    if present:
        out.append(Miss("tools.excludes", f"request offers {', '.join(present)}"))
    return out


def _tool_result_misses(test: ToolResultMatch, request: RequestView) -> list[Miss]:
    results = request.tool_results
    if not results:
        return [Miss("tool_result", "the last user turn carries no tool_result")]
    candidates = list(results)
    out: list[Miss] = []
    if test.name is not None:
        candidates = [r for r in candidates if r.name == test.name]
        if not candidates:
            names = ", ".join(sorted({r.name or "?" for r in results}))
            return [Miss("tool_result.name", f"the tool results answer {names}, not {test.name}")]
    if test.contains is not None:
        candidates = [r for r in candidates if test.contains in r.text]
        if not candidates:
            out.append(Miss("tool_result.contains", f"no tool result contains {_short(test.contains)}"))
    if test.is_error is not None and not any(r.is_error == test.is_error for r in candidates):
        out.append(Miss("tool_result.is_error", f"no tool result has is_error={str(test.is_error).lower()}"))
    return out


def _file_misses(test: FileMatch, request: RequestView) -> list[Miss]:
    files = request.attachments
    if not files:
        return [Miss("file", "the request attaches no file by file_id")]
    for f in files:
        if test.name is not None and text_misses("file.name", test.name, f.filename):
            continue
        if test.media_type is not None and f.media_type != test.media_type:
            continue
        if test.contains is not None and test.contains not in f.text:
            continue
        return []
    names = ", ".join(f"{f.filename} ({f.media_type})" for f in files[:4])
    return [Miss("file", f"no attached file fits (attached: {names})")]


def _turn_misses(test: int | TurnMatch, turn: int) -> list[Miss]:
    if isinstance(test, int):
        return [] if turn == test else [Miss("turn", f"turn is {turn}, not {test}")]
    if test.gte is not None and turn < test.gte:
        return [Miss("turn.gte", f"turn is {turn}, below {test.gte}")]
    if test.lte is not None and turn > test.lte:
        return [Miss("turn.lte", f"turn is {turn}, above {test.lte}")]
    return []


def count_misses(name: str, test: CountMatch, count: int, what: str) -> list[Miss]:
    """The failed parts of a count test; ``what`` says what was counted ("request 3 of session 'a'")."""
    out: list[Miss] = []
    if test.equals is not None and count != test.equals:
        out.append(Miss(f"{name}", f"{what} is {count}, not {test.equals}"))
    if test.gte is not None and count < test.gte:
        out.append(Miss(f"{name}.gte", f"{what} is {count}, below {test.gte}"))
    if test.lte is not None and count > test.lte:
        out.append(Miss(f"{name}.lte", f"{what} is {count}, above {test.lte}"))
    if test.every is not None and count % test.every:
        out.append(Miss(f"{name}.every", f"{what} is {count}, not a multiple of {test.every}"))
    return out


def _thinking_misses(test: ThinkingMatch, request: RequestView) -> list[Miss]:
    thinking = request.data.get("thinking")  # the JSON: reading it builds no model
    kind = thinking.get("type") if isinstance(thinking, Mapping) else None
    out: list[Miss] = []
    if test.requested is not None and (kind in THINKING_ON) != test.requested:
        asked = "no thinking" if kind is None else f"thinking of type {kind!r}"
        out.append(
            Miss("thinking", f"the request asks for {asked}, so thinking is {'off' if test.requested else 'on'}")
        )
    if test.type is not None and kind not in test.type:
        wanted = " or ".join(repr(t) for t in test.type)
        out.append(Miss("thinking.type", f"the thinking type is {kind!r}, not {wanted}"))
    if test.budget is not None:
        budget = thinking.get("budget_tokens") if isinstance(thinking, Mapping) else None
        if not isinstance(budget, int):
            out.append(Miss("thinking.budget", "the request gives no thinking budget_tokens"))
        else:
            out += count_misses("thinking.budget", test.budget, budget, "the thinking budget")
    return out


def _tool_choice_misses(test: ToolChoiceMatch, request: RequestView) -> list[Miss]:
    choice = request.data.get("tool_choice")
    kind = choice.get("type") if isinstance(choice, Mapping) else "auto"  # the API's default
    out: list[Miss] = []
    if test.type is not None and kind not in test.type:
        given = "" if choice is not None else " (none given: the API's default)"
        wanted = " or ".join(repr(t) for t in test.type)
        out.append(Miss("tool_choice.type", f"tool_choice is {kind!r}{given}, not {wanted}"))
    if test.name is not None:
        name = choice.get("name") if isinstance(choice, Mapping) else None
        if name != test.name:
            forced = "forces no tool" if name is None else f"forces {name!r}"
            out.append(Miss("tool_choice.name", f"tool_choice {forced}, not {test.name!r}"))
    return out


def _output_format_misses(test: OutputFormatMatch, request: RequestView) -> list[Miss]:
    config = request.data.get("output_config")
    fmt = config.get("format") if isinstance(config, Mapping) else None
    out: list[Miss] = []
    if test.requested is not None and (fmt is not None) != test.requested:
        asked = "asks" if fmt is not None else "does not ask"
        out.append(Miss("output_format", f"the request {asked} for structured output (a JSON schema)"))
    if fmt is None:
        if test.title is not None or test.properties:
            out.append(Miss("output_format", "the request does not ask for structured output (a JSON schema)"))
        return out
    schema = fmt["schema"]
    if test.title is not None:
        title = schema.get("title")
        if not isinstance(title, str):
            out.append(Miss("output_format.title", "the output schema has no title"))
        else:
            out += text_misses("output_format.title", test.title, title)
    declared = schema.get("properties")
    names = set(declared) if isinstance(declared, dict) else set()
    missing = [p for p in test.properties if p not in names]
    if missing:
        have = ", ".join(sorted(names)[:8]) or "none"
        out.append(Miss("output_format.properties", f"the output schema lacks {', '.join(missing)} (has: {have})"))
    return out


def _attachments_misses(test: AttachmentsMatch, request: RequestView) -> list[Miss]:
    attached = request.attached
    if not attached:
        return [Miss("attachments", "the request attaches no image, document, file or search result")]
    for item in attached:
        if test.type is not None and item.kind not in test.type and not ("file" in test.type and item.by_file):
            continue
        if test.media_type is not None and (
            item.media_type is None or text_misses("", test.media_type, item.media_type)
        ):
            continue
        return []
    shown = ", ".join(str(a) for a in attached[:4]) + (", …" if len(attached) > 4 else "")
    return [Miss("attachments", f"no attachment fits (attached: {shown})")]


_MISSING = object()


def _at(value: Any, keys: tuple[str | int, ...]) -> Any:
    """The value at ``keys`` in a JSON value, else ``_MISSING``."""
    for key in keys:
        if isinstance(key, int):
            if not isinstance(value, list) or key >= len(value):
                return _MISSING
            value = value[key]
        else:
            if not isinstance(value, Mapping) or key not in value:
                return _MISSING
            value = value[key]
    return value


def _json_equal(a: Any, b: Any) -> bool:
    # JSON's true is not 1: compare with the types, as the client wrote them.
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _body_misses(test: BodyMatch, request: RequestView) -> list[Miss]:
    name = f"body[{test.path}]"
    value = _at(request.json_body, test.keys)
    if value is _MISSING:
        if test.exists is False:
            return []
        return [Miss(name, "the body has nothing at this path")]
    if test.exists is False:
        return [Miss(f"{name}.exists", f"the body has {_short(json.dumps(value, ensure_ascii=False))} there")]
    out: list[Miss] = []
    shown = _short(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    if "equals" in test.given and not _json_equal(value, test.equals):
        out.append(Miss(f"{name}.equals", f"{shown} is not {_short(json.dumps(test.equals, ensure_ascii=False))}"))
    if "contains" in test.given:
        wanted = test.contains
        if isinstance(value, str):
            holds = isinstance(wanted, str) and wanted in value
        elif isinstance(value, list):
            holds = any(_json_equal(item, wanted) for item in value)
        elif isinstance(value, Mapping):
            holds = isinstance(wanted, str) and wanted in value
        else:
            holds = False
        if not holds:
            out.append(Miss(f"{name}.contains", f"{shown} does not contain {_short(json.dumps(wanted))}"))
    if test.regex is not None:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if not test.regex_holds(text):
            out.append(Miss(f"{name}.regex", f"{shown} does not match /{test.regex}/"))
    return out


def misses(match: Match | None, request: RequestView, session: SessionFacts | None = None) -> list[Miss]:
    """Every predicate of ``match`` that does not hold for ``request`` (empty: the rule matches).

    ``session`` is the state and request number of the request's session (None: a fresh session's first).
    """
    if match is None:
        return []
    facts = session or SessionFacts()
    out: list[Miss] = []
    if match.state is not None and facts.state not in match.state:
        wanted = " or ".join(repr(s) for s in match.state)
        out.append(Miss("state", f"session {request.session!r} is in state {facts.state!r}, not {wanted}"))
    if match.nth is not None:
        out += count_misses("nth", match.nth, facts.nth, f"the request number in session {request.session!r}")
    if match.messages is not None:
        out += count_misses("messages", match.messages, len(request.messages), "the message count")
    if match.last_user is not None:
        text = request.last_user_with_reminders if match.last_user.system_reminders else request.last_user
        out += text_misses("last_user", match.last_user, text)
    if match.model is not None:
        out += text_misses("model", match.model, request.model)
    if match.system is not None:
        out += text_misses("system", match.system, request.system)
    if match.tools is not None:
        out += _tools_misses(match.tools, request.tool_names)
    if match.tool_result is not None:
        out += _tool_result_misses(match.tool_result, request)
    if match.header is not None:
        for name, test in match.header.items():
            value = request.headers.get(name)
            if value is None:
                out.append(Miss(f"header.{name}", "header not sent"))
            elif is_secret_header(name):
                # The report goes to the journal, the admin API and the inspector: never show a credential.
                failed = text_misses(f"header.{name}", test, value)
                out += [Miss(m.predicate, "the credential sent does not match (not shown)") for m in failed]
            else:
                out += text_misses(f"header.{name}", test, value)
    if match.face is not None and request.face not in match.face:
        out.append(Miss("face", f"request came through {request.face}, not {' or '.join(match.face)}"))
    if match.stream is not None and request.stream != match.stream:
        out.append(Miss("stream", f"request has stream={str(request.stream).lower()}"))
    if match.turn is not None:
        out += _turn_misses(match.turn, request.turn)
    if match.custom_id is not None:
        if request.custom_id is None:
            out.append(Miss("custom_id", "not a request of a Message Batch"))
        else:
            out += text_misses("custom_id", match.custom_id, request.custom_id)
    if match.file is not None:
        out += _file_misses(match.file, request)
    if match.thinking is not None:
        out += _thinking_misses(match.thinking, request)
    if match.tool_choice is not None:
        out += _tool_choice_misses(match.tool_choice, request)
    if match.output_format is not None:
        out += _output_format_misses(match.output_format, request)
    if match.beta is not None:
        missing = [b for b in match.beta if b not in request.betas]
        if missing:
            sent = ", ".join(sorted(request.betas)) or "none"
            out.append(Miss("beta", f"the request does not opt into {', '.join(missing)} (anthropic-beta: {sent})"))
    if match.attachments is not None:
        out += _attachments_misses(match.attachments, request)
    if match.metadata is not None:
        user_id = request.metadata_user_id
        if user_id is None:
            out.append(Miss("metadata.user_id", "the request sends no metadata.user_id"))
        else:
            out += text_misses("metadata.user_id", match.metadata.user_id, user_id)
    for body_test in match.body or ():
        out += _body_misses(body_test, request)
    return out


# ---------------------------------------------------------------- compiled: decide without reasons

Holds = Callable[[RequestView, SessionFacts], bool]
"""A compiled match: whether it holds for a request in its session (``compile_match``)."""


def _always(request: RequestView, facts: SessionFacts) -> bool:
    return True


def compile_text(test: TextMatch) -> Callable[[str], bool]:
    """``test`` as a yes/no function of the text: ``not text_misses(name, test, text)``.

    The folded strings and the regex are read once here, from the model's private attributes, into the
    closures' own cells: each call then costs a comparison, not pydantic's private-attribute lookup.
    """
    fold = test.ignore_case
    parts: list[Callable[[str], bool]] = []
    if test.equals is not None:
        equals = test._equals
        parts.append((lambda text: text.casefold() == equals) if fold else (lambda text: text == equals))
    if test.contains is not None:
        contains = test._contains
        assert contains is not None
        parts.append((lambda text: contains in text.casefold()) if fold else (lambda text: contains in text))
    if test.regex is not None:
        pattern = test._pattern
        parts.append((lambda text: False) if pattern is None else pattern.search)
    if len(parts) == 1:
        return parts[0]
    return lambda text: all(part(text) for part in parts)


def _count_holds(test: CountMatch) -> Callable[[int], bool]:
    """``test`` as a yes/no function of the count: ``not count_misses(...)``."""
    equals, gte, lte, every = test.equals, test.gte, test.lte, test.every
    return lambda n: (
        (equals is None or n == equals)
        and (gte is None or n >= gte)
        and (lte is None or n <= lte)
        and (every is None or not n % every)
    )


def _tool_result_holds(test: ToolResultMatch) -> Holds:
    name, contains, is_error = test.name, test.contains, test.is_error

    def holds(request: RequestView, facts: SessionFacts) -> bool:
        candidates = request.tool_results
        if not candidates:
            return False
        if name is not None:
            candidates = tuple(r for r in candidates if r.name == name)
            if not candidates:
                return False
        if contains is not None:
            candidates = tuple(r for r in candidates if contains in r.text)
            if not candidates:
                return False
        return is_error is None or any(r.is_error == is_error for r in candidates)

    return holds


def _text_of(read: Callable[[RequestView], str], test: TextMatch) -> Holds:
    check = compile_text(test)
    return lambda request, facts: check(read(request))


def _header_holds(name: str, check: Callable[[str], bool]) -> Holds:
    def holds(request: RequestView, facts: SessionFacts) -> bool:
        value = request.headers.get(name)
        return value is not None and check(value)

    return holds


def _by_misses(test: Any, reasons: Callable[[Any, RequestView], list[Miss]]) -> Holds:
    """A predicate decided by its reasons: the rarely used ones, whose reasons are cheap or seldom built."""
    return lambda request, facts: not reasons(test, request)


def _checks(match: Match) -> list[Holds]:
    """One yes/no test per predicate ``match`` gives, cheap ones (no walk of the conversation) first."""
    cheap: list[Holds] = []
    walks: list[Holds] = []
    if match.state is not None:
        states = frozenset(match.state)
        cheap.append(lambda request, facts: facts.state in states)
    if match.nth is not None:
        nth = _count_holds(match.nth)
        cheap.append(lambda request, facts: nth(facts.nth))
    if match.face is not None:
        faces = frozenset(match.face)
        cheap.append(lambda request, facts: request.face in faces)
    if match.stream is not None:
        stream = match.stream
        cheap.append(lambda request, facts: request.stream == stream)
    if match.model is not None:
        cheap.append(_text_of(lambda request: request.model, match.model))
    if match.messages is not None:
        count = _count_holds(match.messages)
        cheap.append(lambda request, facts: count(len(request.messages)))
    if match.header is not None:
        cheap += [_header_holds(header, compile_text(test)) for header, test in match.header.items()]
    if match.custom_id is not None:
        custom = compile_text(match.custom_id)
        cheap.append(lambda request, facts: request.custom_id is not None and custom(request.custom_id))
    if match.beta is not None:
        betas = tuple(match.beta)
        cheap.append(lambda request, facts: all(b in request.betas for b in betas))
    if match.tools is not None:
        includes, excludes = tuple(match.tools.includes), tuple(match.tools.excludes)

        def tools(request: RequestView, facts: SessionFacts) -> bool:
            offered = request.tool_names
            return all(t in offered for t in includes) and not any(t in offered for t in excludes)

        cheap.append(tools)
    if match.metadata is not None:
        user = compile_text(match.metadata.user_id)
        cheap.append(lambda request, facts: (value := request.metadata_user_id) is not None and user(value))
    if match.thinking is not None:
        cheap.append(_by_misses(match.thinking, _thinking_misses))
    if match.tool_choice is not None:
        cheap.append(_by_misses(match.tool_choice, _tool_choice_misses))
    if match.output_format is not None:
        cheap.append(_by_misses(match.output_format, _output_format_misses))
    if match.last_user is not None:
        if match.last_user.system_reminders:
            walks.append(_text_of(lambda request: request.last_user_with_reminders, match.last_user))
        else:
            walks.append(_text_of(lambda request: request.last_user, match.last_user))
    if match.system is not None:
        walks.append(_text_of(lambda request: request.system, match.system))
    if match.turn is not None:
        turn = match.turn
        if isinstance(turn, int):
            walks.append(lambda request, facts: request.turn == turn)
        else:
            gte, lte = turn.gte, turn.lte
            walks.append(
                lambda request, facts: (gte is None or request.turn >= gte) and (lte is None or request.turn <= lte)
            )
    if match.tool_result is not None:
        walks.append(_tool_result_holds(match.tool_result))
    if match.file is not None:
        walks.append(_by_misses(match.file, _file_misses))
    if match.attachments is not None:
        walks.append(_by_misses(match.attachments, _attachments_misses))
    for body_test in match.body or ():
        walks.append(_by_misses(body_test, _body_misses))
    return cheap + walks


def compile_match(match: Match | None) -> Holds:
    """``match`` as a yes/no test of a request in its session, made once when the scenario loads: the same
    answer as ``not misses(match, request, facts)``, with no reason built. Predicates that read only a field
    or the session go first, so a rule on ``model`` or ``stream`` that fails never walks the conversation."""
    if match is None:
        return _always
    checks = tuple(_checks(match))
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def holds(request: RequestView, facts: SessionFacts) -> bool:
        for check in checks:  # noqa: SIM110 (a loop: all() over a generator costs more, per rule per request)
            if not check(request, facts):
                return False
        return True

    return holds
