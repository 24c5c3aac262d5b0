"""The engine: scenario + per-session state + request → Decision.

Pure and synchronous: the server calls ``decide`` from its one event loop, so a rule's ``times`` and a
sequence's cursor advance exactly once per request, however many requests are in flight.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockgw.core.answer import Ids, Reply
from mockgw.core.matching import Holds, Miss, SessionFacts, compile_match, misses
from mockgw.core.request import RequestView
from mockgw.core.seeds import Draws, RequestKeys, gateway_key, root_of
from mockgw.scenario.schema import ErrorSpec, Fault, Match, Rule, Scenario, Timing

if TYPE_CHECKING:
    from faker import Faker

NEAR_MISSES_SHOWN = 3
# Rules a decision remembers as tried (for the journal's "why"): a scenario of thousands of rules must not
# make every journal entry carry thousands of reports. Past this, only the count of the rest is kept.
TRIED_KEPT = 64
FACT_TEXT_CHARS = 2000  # of the last user text, what a decision keeps for a rule to match it by
# Sessions remembered at once: a client that names a new session per request must not grow memory without
# bound. Past this, the least recently used session is forgotten (its next request starts afresh).
DEFAULT_MAX_SESSIONS = 10_000


# Not frozen: a frozen dataclass sets each of its 14 fields through object.__setattr__, ~1.3 µs a request
# (slots: plain slot stores). Nothing changes a decision once the engine has made it.
@dataclass(slots=True)
class Decision:
    """What answers a request, and the rule (and sequence step) that chose it."""

    rule_index: int
    rule: str  # label: the rule's name, else rules[i]
    reply: Reply | None
    error: ErrorSpec | None
    fault: Fault | None
    timing: Timing
    step: int | None = None
    batch_result: str | None = None  # "canceled" or "expired": a batch request's scripted result
    # The rules tried before this one, in order, each with the predicates that failed (see ``why``).
    tried: tuple[NearMiss, ...] = ()
    forced: bool = False  # chosen by x-mockgw-rule, whatever its match says
    # The session's named state when the rule was chosen, and the state its answer's set_state moved it to
    # (None: no set_state fired). The journal keeps both, so an export can replay the states too.
    state: str | None = None
    set_state: str | None = None
    # The request's random sources: (seed, session, the session's request number) → ids, faker, jitter.
    draws: Draws = field(default_factory=Draws.detached)

    def why(self, request: RequestView | None = None) -> dict[str, Any]:
        """The decision path, JSON-ready, for the journal: each rule tried and why it did not answer (and,
        given the request, the facts a rule matching it needs: see ``request_facts``)."""
        return why_record(self.tried, self.rule, request, forced=self.forced, step=self.step)

    def why_later(self, request: RequestView) -> WhyLater:
        """``why(request)``, made when first called (see ``WhyLater``)."""
        detached = request.detached()
        tried = tuple(n.rebound(detached) for n in self.tried)
        rule, forced, step = self.rule, self.forced, self.step  # not self: it keeps the request's texts
        return WhyLater(lambda: why_record(tried, rule, detached, forced=forced, step=step), tried)


class NearMiss:
    """A rule that did not answer a request, and every predicate of it that failed.

    The engine decides with compiled matches, which build no text; the reasons (``misses``) are worked out
    from what the decision kept (the rule's match, the request, its session's facts) the first time they are
    read (the journal's *why*, the near-miss report), and kept. Most requests' reasons are never read.
    """

    __slots__ = ("_later", "_misses", "index", "rule")

    def __init__(
        self,
        rule: str,
        misses: tuple[Miss, ...] | None = None,
        index: int = -1,
        *,
        later: tuple[Match | None, RequestView, SessionFacts] | None = None,
    ) -> None:
        """``misses`` given, or ``later``: the match, request and session facts to work them out from."""
        if misses is None and later is None:
            raise TypeError("NearMiss needs its misses or what to work them out from")
        self.rule = rule  # label: the rule's name, else rules[i]
        self.index = index  # the rule's position in the scenario's rules
        self._misses = misses
        self._later = later

    @property
    def misses(self) -> tuple[Miss, ...]:
        """Every predicate of the rule that failed, in the order ``matching.misses`` lists them."""
        if self._misses is None:
            assert self._later is not None
            match, request, facts = self._later
            self._misses = tuple(misses(match, request, facts))
            self._later = None  # the request is no longer needed for this rule
        return self._misses

    def rebound(self, request: RequestView) -> NearMiss:
        """This near miss, its reasons (when not worked out yet) to be worked out from ``request``."""
        if self._later is None:
            return self
        match, _, facts = self._later
        return NearMiss(self.rule, index=self.index, later=(match, request, facts))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NearMiss):
            return NotImplemented
        return (self.rule, self.index, self.misses) == (other.rule, other.index, other.misses)

    def __hash__(self) -> int:
        return hash((self.rule, self.index))

    def __repr__(self) -> str:
        return f"NearMiss(rule={self.rule!r}, misses={self.misses!r}, index={self.index})"

    def __str__(self) -> str:
        return f"{self.rule}: " + "; ".join(str(m) for m in self.misses)


@dataclass(frozen=True)
class NoMatch:
    """No rule matched: the nearest rules, each with the predicates that failed."""

    near: tuple[NearMiss, ...]
    rule_count: int
    tried: tuple[NearMiss, ...] = ()  # every rule, in order, with why it failed
    state: str | None = None  # the session's named state the rules were tried in
    set_state: None = None  # no rule answered, so none moved the state (as Decision.set_state)
    draws: Draws = field(default_factory=Draws.detached)  # the request's (for its error's request id)

    def why(self, request: RequestView | None = None) -> dict[str, Any]:
        """The decision path, JSON-ready, for the journal: every rule tried and why none answered."""
        return why_record(self.tried, None, request, rule_count=self.rule_count)

    def why_later(self, request: RequestView) -> WhyLater:
        """``why(request)``, made when first called (see ``WhyLater``)."""
        detached = request.detached()
        tried = tuple(n.rebound(detached) for n in self.tried)
        count = self.rule_count  # not self: it keeps the request's texts
        return WhyLater(lambda: why_record(tried, None, detached, rule_count=count), tried)

    @property
    def message(self) -> str:
        if self.rule_count == 0:
            return "mockgw: the scenario has no rules, so no request can match."
        shown = " | ".join(str(n) for n in self.near)
        return f"mockgw: no rule matched this request. Nearest: {shown}"


class WhyLater:
    """A decision path made when first called, for a journal entry (``JournalEntry.defer_why``): most
    entries' are never read, and making one costs as much as deciding (a reason per predicate that failed,
    the request's facts). It keeps the near misses and a detached view of the request (``detached``):
    references to what the entry keeps anyway, not the texts worked out from it."""

    __slots__ = ("_make", "cost")

    def __init__(self, make: Callable[[], dict[str, Any]], tried: tuple[NearMiss, ...]) -> None:
        self._make = make
        # Roughly the bytes the record will hold, as the journal counts them (journal._why_cost): the facts
        # (the last user text cut to FACT_TEXT_CHARS) and a few short reasons per rule kept.
        self.cost = 256 + FACT_TEXT_CHARS + 320 * min(len(tried), TRIED_KEPT)

    def __call__(self) -> dict[str, Any]:
        return self._make()


def request_facts(request: RequestView) -> dict[str, Any]:
    """What a rule matching ``request`` needs, whatever face it came through (a message thread's view is
    the whole conversation): its last user text (cut past ``FACT_TEXT_CHARS``: ``last_user_cut``), turn,
    the tools its tool results answer, model, face and whether it streams."""
    text = request.last_user
    facts: dict[str, Any] = {
        "last_user": text[:FACT_TEXT_CHARS],
        "last_user_cut": len(text) > FACT_TEXT_CHARS,
        "turn": request.turn,
        "tool_results": sorted({r.name or "" for r in request.tool_results}),
        "model": request.model,
        "face": request.face,
        "stream": request.stream,
    }
    return facts


def why_record(
    tried: tuple[NearMiss, ...],
    matched: str | None,
    request: RequestView | None = None,
    *,
    forced: bool = False,
    step: int | None = None,
    rule_count: int | None = None,
) -> dict[str, Any]:
    """What a journal entry keeps of a decision: ``tried`` (each rule that did not answer, with its failed
    predicates), ``matched`` (the label of the rule that answered, None: none), ``forced``, ``step`` and
    ``more_tried`` (rules tried past ``TRIED_KEPT``, not listed)."""
    kept = tried[:TRIED_KEPT]
    record: dict[str, Any] = {
        "tried": [
            {
                "rule": n.rule,
                "index": n.index,
                "misses": [{"predicate": m.predicate, "reason": m.reason} for m in n.misses],
            }
            for n in kept
        ],
        "more_tried": len(tried) - len(kept),
        "matched": matched,
        "forced": forced,
    }
    if step is not None:
        record["step"] = step
    if request is not None:
        record["request"] = request_facts(request)
    if rule_count is not None:
        record["rule_count"] = rule_count
    return record


@dataclass
class SessionState:
    """Per-session memory: how often each rule answered, where each sequence stands, the session's named
    state and how many requests it made."""

    state: str = "start"
    requests: int = 0
    uses: dict[int, int] = field(default_factory=dict)
    cursors: dict[int, int] = field(default_factory=dict)

    def to_dict(self, scenario: Scenario) -> dict[str, Any]:
        return {
            "state": self.state,
            "requests": self.requests,
            "uses": {scenario.rule_label(i): n for i, n in sorted(self.uses.items())},
            "sequence_steps": {scenario.rule_label(i): n for i, n in sorted(self.cursors.items())},
        }


class RenderContext:
    """What templates read: the request's Faker (see ``Draws.faker``) and the request (implements
    TemplateContext)."""

    def __init__(self, faker: Callable[[], Faker], request: RequestView) -> None:
        self._faker = faker  # called only when a template calls a provider: most answers never need Faker
        self._request = request
        self.notes: list[str] = []  # for the request's journal entry (an expansion cut to its limit)

    def faker_call(self, provider: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        attr = getattr(self._faker(), provider)
        return attr(*args, **kwargs) if callable(attr) else attr

    def request_field(self, name: str) -> Any:
        return getattr(self._request, name)

    def request_header(self, name: str) -> str:
        return self._request.headers.get(name, "")

    def note(self, message: str) -> None:
        self.notes.append(message)


def scripted(rule: Rule, answer: Any, defaults: Timing) -> tuple[Reply | None, Timing]:
    """The reply and timing ``answer`` scripts: ``rule`` itself, or one step of its ``sequence`` (whose
    unset stop reason, usage, stop details and timing come from the rule). The same for every request the
    answer answers, so a literal reply can be rendered once at load (faces/anthropic/prepared.py)."""
    base = defaults
    if answer is not rule and rule.timing is not None:
        base = rule.timing.over(base)
    timing = answer.timing.over(base) if answer.timing is not None else base
    if answer.reply is None:
        return None, timing
    inherit = answer is not rule  # a step's own keys win over its rule's
    edits = answer.context_management or (rule.context_management if inherit else None)
    reply = Reply(
        answer.reply,
        answer.stop_reason or (rule.stop_reason if inherit else None),
        answer.usage or (rule.usage if inherit else None),
        stop_details=answer.stop_details or (rule.stop_details if inherit else None),
        container=answer.container or (rule.container if inherit else None),
        applied_edits=None if edits is None else tuple(edits.applied_edits),
    )
    return reply, timing


class Engine:
    """Picks the rule for each request and keeps per-session state.

    ``seed`` (else the scenario's ``seed``, else random) drives ids, signatures, faker text and jitter: each
    request's ``Draws`` derive from (seed, session, the session's request number) (``core.seeds``), so the
    same requests in one session get the same bytes whatever other sessions do, in any order.
    """

    def __init__(self, scenario: Scenario, seed: int | None = None, max_sessions: int = DEFAULT_MAX_SESSIONS) -> None:
        self.scenario = scenario
        self.seed = seed if seed is not None else scenario.seed
        self.max_sessions = max_sessions
        self.dropped_sessions = 0  # sessions forgotten to stay within max_sessions, since the last full reset
        self._sessions: OrderedDict[str, SessionState] = OrderedDict()  # least recently used first
        self._total_uses: dict[int, int] = {}
        self._lock = threading.Lock()  # decide() runs on the loop; reset() may come from a test thread
        self._faker: Faker | None = None  # made on first use (importing faker and making one costs ~0.2 s)
        # Each rule with its match compiled once (deciding builds no near-miss text: see NearMiss) and its label.
        self._rules: tuple[tuple[int, Holds, Rule, str], ...] = tuple(
            (index, compile_match(rule.match), rule, label)
            for index, (rule, label) in enumerate(zip(scenario.rules, scenario.labels, strict=True))
        )
        # What each answer (a rule, or a step of its sequence) scripts, made on its first use: the same every time.
        self._scripted: dict[tuple[int, int | None], tuple[Reply | None, Timing]] = {}
        self._reseed()

    def _reseed(self) -> None:
        root = root_of(self.seed)  # unseeded: fresh random bytes, so each full reset differs
        self._keys = RequestKeys(root)
        # What no one request owns (batch and file ids, a refused request's id): seeded, in serving order.
        self.ids = Ids(gateway_key(root))

    def faker(self) -> Faker:
        """The engine's one Faker, made on first use; each request draws from it with its own generator."""
        if self._faker is None:
            from faker import Faker  # deferred: most scenarios never call a provider

            self._faker = Faker()
        return self._faker

    def draws(self, session: str, number: int) -> Draws:
        """The random sources of the ``number``-th request (from 1) of ``session``."""
        return Draws(self._keys(session, number), self.faker)

    # ------------------------------------------------------------ state

    def session(self, name: str) -> SessionState:
        """The state of session ``name`` (new if unknown), now its most recently used."""
        state = self._sessions.get(name)
        if state is not None:
            self._sessions.move_to_end(name)
            return state
        state = self._sessions[name] = SessionState(state=self.scenario.initial_state)
        while len(self._sessions) > max(self.max_sessions, 1):
            self._sessions.popitem(last=False)
            self.dropped_sessions += 1
        return state

    def reset(self, session: str | None = None) -> None:
        """Forget all state (and restart the seeded sources), or only one session's state."""
        with self._lock:
            if session is None:
                self._sessions.clear()
                self._total_uses.clear()
                self.dropped_sessions = 0
                self._reseed()
            else:
                self._sessions.pop(session, None)

    def state(self) -> dict[str, Any]:
        """A JSON-ready view of every session's state."""
        with self._lock:
            return {name: s.to_dict(self.scenario) for name, s in sorted(self._sessions.items())}

    def session_state(self, session: str) -> str:
        """The named state of ``session`` (the scenario's ``initial_state`` for a session not seen yet)."""
        with self._lock:
            known = self._sessions.get(session)
            return self.scenario.initial_state if known is None else known.state

    def set_session_state(self, session: str, state: str) -> None:
        """Put ``session`` in the named ``state``, as a rule's ``set_state`` would."""
        if not state:
            raise ValueError("a state is a non-empty name")
        with self._lock:
            self.session(session).state = state

    def unused_rules(self) -> list[str]:
        """Rules that never answered (in any session), by label."""
        with self._lock:
            return [label for i, label in enumerate(self.scenario.labels) if i not in self._total_uses]

    def uses(self, rule: str) -> int:
        """How often the rule with this label answered, over all sessions."""
        with self._lock:
            labels = self.scenario.labels
            return sum(n for i, n in self._total_uses.items() if labels[i] == rule)

    # ------------------------------------------------------------ deciding

    def context(self, request: RequestView, draws: Draws | None = None) -> RenderContext:
        """What templates answering ``request`` read; ``draws``: the decision's (default: those of the
        session's latest request, the one ``decide`` just counted)."""
        if draws is None:
            with self._lock:
                known = self._sessions.get(request.session)
                draws = self.draws(request.session, 0 if known is None else known.requests)
        return RenderContext(draws.faker, request)

    def decide(self, request: RequestView) -> Decision | NoMatch:
        """The first rule whose match holds and which is not used up answers; else a NoMatch report."""
        with self._lock:
            state = self.session(request.session)
            state.requests += 1
            facts = SessionFacts(state.state, state.requests)
            near: list[NearMiss] = []
            for index, holds, rule, label in self._rules:
                if not holds(request, facts):
                    # Why it failed is worked out when someone reads it (NearMiss.misses), not here.
                    near.append(NearMiss(label, None, index, later=(rule.match, request, facts)))
                    continue
                if rule.times is not None and state.uses.get(index, 0) >= rule.times:
                    used = Miss("times", f"already answered {rule.times} time(s) in session {request.session!r}")
                    near.append(NearMiss(label, (used,), index))
                    continue
                return self._answer(index, rule, state, request.session, tuple(near))
            tried = tuple(near)
            near.sort(key=lambda n: len(n.misses))  # stable: ties keep rule order
            draws = self.draws(request.session, state.requests)
            return NoMatch(
                tuple(near[:NEAR_MISSES_SHOWN]), len(self.scenario.rules), tried, state=state.state, draws=draws
            )

    def force(self, label: str, request: RequestView) -> Decision | None:
        """Answer with the rule of this label, whatever its match says (None: no such rule)."""
        with self._lock:
            for index, rule in enumerate(self.scenario.rules):
                if self.scenario.labels[index] == label:
                    state = self.session(request.session)
                    state.requests += 1  # a forced request still counts for the session's nth
                    return self._answer(index, rule, state, request.session, forced=True)
        return None

    def _answer(
        self,
        index: int,
        rule: Rule,
        state: SessionState,
        session: str,
        tried: tuple[NearMiss, ...] = (),
        forced: bool = False,
    ) -> Decision:
        arrived_in = state.state
        state.uses[index] = state.uses.get(index, 0) + 1
        self._total_uses[index] = self._total_uses.get(index, 0) + 1
        answer: Rule | Any = rule
        step: int | None = None
        if rule.sequence is not None:
            cursor = state.cursors.get(index, 0)
            n = len(rule.sequence)
            step = cursor % n if rule.then == "cycle" else min(cursor, n - 1)
            state.cursors[index] = cursor + 1
            answer = rule.sequence[step]
        new_state = answer.set_state or rule.set_state
        if new_state is not None:
            state.state = new_state
        made = self._scripted.get((index, step))
        if made is None:
            made = self._scripted[index, step] = scripted(rule, answer, self.scenario.defaults.timing)
        reply, timing = made
        return Decision(
            rule_index=index,
            rule=self.scenario.rule_label(index),
            reply=reply,
            error=answer.error,
            fault=answer.fault,
            timing=timing,
            step=step,
            batch_result=answer.batch_result,
            tried=tried,
            forced=forced,
            state=arrived_in,
            set_state=new_state,
            draws=self.draws(session, state.requests),
        )
