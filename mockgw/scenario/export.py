"""Export: journal entries back into scenario rules (the inspector's "copy a rule" and "download session").

A journal entry keeps its decision path (``why``, see core/engine.py ``why_record``): the rule that answered,
its sequence step, and the facts of the request a rule needs to match it (last user text, turn, the tools its
tool results answer, face). From these and the served scenario this module makes plain scenario data:

- ``rule_for_entry``: one rule that matches the request and gives the answer it got (the answering rule's
  reply, error or fault, from the served scenario); for an unmatched request, a rule with a reply to write;
- ``session_scenario``: a session's requests folded into a scenario that replays the session: requests that
  match alike become one rule, answered differently on repeat a ``sequence`` in the order seen, as the
  recorder folds (scenario/record.py). The served scenario's other keys (defaults, seed, models…) are kept.

Named states are replayed too: when the scenario uses states (or the session left its initial state), each
exported rule matches the state the request was answered in (``match: {state: …}``) and moves the session
as the journal says its answer did (``set_state``), and the exported scenario starts in the state the
session's first request found.

Pure data in, data out: no yaml, no aiohttp (the admin API writes the YAML with the recorder's writer).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from mockgw.scenario.schema import Rule, Scenario

LONG_TEXT = 200  # past this, a rule matches the last user text by an excerpt (``contains``), as recorded
EXCERPT = 120
# The faces whose requests need no ``face`` predicate: a rule without one matches every face, and the
# Messages API is mockgw's first face.
DEFAULT_FACE = "anthropic-messages"
_ANSWER_KEYS = (
    "reply",
    "error",
    "fault",
    "stop_reason",
    "stop_details",
    "usage",
    "timing",
    "batch_result",
    "set_state",
)
TODO_REPLY = "Write the reply for this request here."


class ExportError(Exception):
    """A journal entry cannot be turned into a rule (no decision recorded for it)."""


def match_for(facts: Mapping[str, Any], state: str | None = None) -> dict[str, Any]:
    """A ``match`` that holds for the request these facts describe (``why.request``), in the session's named
    ``state`` when one is given."""
    text = str(facts.get("last_user", ""))
    match: dict[str, Any] = {}
    if facts.get("last_user_cut") or len(text) > LONG_TEXT:
        match["last_user"] = {"contains": text[:EXCERPT]}
    else:
        match["last_user"] = {"equals": text}
    match["turn"] = int(facts.get("turn", 1))
    tools = [t for t in facts.get("tool_results", []) if t]
    if len(tools) == 1:
        match["tool_result"] = {"name": tools[0]}
    elif facts.get("tool_results"):
        match["tool_result"] = {}
    face = facts.get("face")
    if face and face != DEFAULT_FACE:
        match["face"] = [face]
    if state is not None:
        match["state"] = state
    return match


def uses_states(scenario: Scenario) -> bool:
    """Whether the scenario's answers depend on named states or move them (else every session stays in its
    initial state, and exported rules need no ``state``)."""
    if scenario.initial_state != "start":
        return True
    for rule in scenario.rules:
        steps = rule.sequence or ()
        matches_state = rule.match is not None and rule.match.state is not None
        if matches_state or rule.set_state is not None or any(s.set_state for s in steps):
            return True
    return False


def _with_journaled_state(answer: dict[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """``answer`` moving the session as the journal says the request's answer did: its ``set_state`` (or
    none), whatever the served rule says now. An entry from before states were journaled keeps the rule's."""
    if entry.get("state") is None:
        return answer
    kept = {k: v for k, v in answer.items() if k != "set_state"}
    if entry.get("set_state") is not None:
        kept["set_state"] = entry["set_state"]
    return kept


def _find_rule(scenario: Scenario, label: str) -> Rule | None:
    for index, rule in enumerate(scenario.rules):
        if scenario.rule_label(index) == label:
            return rule
    return None


def answer_for(scenario: Scenario, label: str, step: int | None) -> dict[str, Any] | None:
    """The answer rule ``label`` (at sequence ``step``) gives, as scenario data; None: no such rule now."""
    rule = _find_rule(scenario, label)
    if rule is None:
        return None
    whole = rule.model_dump(mode="json", exclude_none=True)
    answer = {k: whole[k] for k in _ANSWER_KEYS if k in whole}
    if rule.sequence is not None:
        chosen = rule.sequence[min(step or 0, len(rule.sequence) - 1)]
        mine = chosen.model_dump(mode="json", exclude_none=True)
        # As the engine plays a step: the rule's timing under the step's, its stop_reason and usage as
        # fallbacks.
        if chosen.timing is not None and rule.timing is not None:
            mine["timing"] = chosen.timing.over(rule.timing).model_dump(mode="json", exclude_none=True)
        for key in ("timing", "stop_reason", "usage"):
            if key not in mine and key in whole:
                mine[key] = whole[key]
        answer = {k: mine[k] for k in _ANSWER_KEYS if k in mine}
    return answer


def _unmatched_answer(entry: Mapping[str, Any]) -> dict[str, Any]:
    """What an unmatched request got: mockgw's 400 with the near-miss report, not to be retried."""
    return {"error": {"status": 400, "message": str(entry.get("error") or "no rule matched"), "should_retry": False}}


def rule_for_entry(entry: Mapping[str, Any], scenario: Scenario) -> dict[str, Any]:
    """One rule matching the request of journal ``entry`` (its JSON form) and giving the answer it got.

    For an unmatched request the rule has a reply to write (``TODO_REPLY``): it is the rule that was
    missing. Raises ExportError when the entry has no decision (mockgw refused the request itself).
    """
    why = entry.get("why")
    if not why or not why.get("request"):
        raise ExportError(
            f"request {entry.get('seq')} was answered before any rule was asked "
            f"({entry.get('error') or 'no decision'}): there is no rule to export"
        )
    # The state only where it matters: the scenario has states, or the session was put in another one.
    state = entry.get("state")
    if state is not None and not uses_states(scenario) and state == scenario.initial_state:
        state = None
    rule: dict[str, Any] = {"name": f"request-{entry.get('seq')}", "match": match_for(why["request"], state)}
    matched = why.get("matched")
    answer = answer_for(scenario, matched, why.get("step")) if matched is not None else None
    if matched is not None and answer is None:
        raise ExportError(f"rule {matched!r} is no longer in the served scenario: its answer is unknown")
    rule.update(_with_journaled_state(answer, entry) if answer is not None else {"reply": TODO_REPLY})
    return rule


def session_scenario(
    entries: Iterable[Mapping[str, Any]], scenario: Scenario, name: str, session: str
) -> tuple[dict[str, Any], list[str]]:
    """A scenario replaying ``entries`` (one session's journal entries, oldest first), and notes on what it
    could not include. Requests matched alike become one rule; different answers on repeat a sequence."""
    notes: list[str] = []
    decided = [e for e in entries if e.get("why") and e["why"].get("request")]
    # Named states: kept when the scenario has them, or the session was put in a state other than its initial.
    stateful = uses_states(scenario) or any(
        e.get("set_state") is not None or e.get("state") not in (None, scenario.initial_state) for e in decided
    )
    first_state = next((e["state"] for e in decided if e.get("state") is not None), None)
    left_in: str | None = first_state  # the state the previous request left the session in
    groups: dict[str, tuple[dict[str, Any], list[dict[str, Any]], list[int]]] = {}
    for entry in entries:
        seq = int(entry.get("seq", 0))
        why = entry.get("why")
        if not why or not why.get("request"):
            notes.append(f"request {seq}: answered before any rule was asked ({entry.get('error')}); left out")
            continue
        matched = why.get("matched")
        answer = answer_for(scenario, matched, why.get("step")) if matched is not None else _unmatched_answer(entry)
        if answer is None:
            notes.append(f"request {seq}: rule {matched!r} is no longer served; left out")
            continue
        answer = _with_journaled_state(answer, entry)
        state = entry.get("state") if stateful else None
        if state is not None and left_in is not None and state != left_in:
            notes.append(
                f"request {seq} found the session in state {state!r}, which no rule set (the admin API or "
                f"set_session_state did): put the session in {state!r} before it when replaying"
            )
        if state is not None:
            left_in = entry.get("set_state") or state
        match = match_for(why["request"], state)
        key = json.dumps(match, sort_keys=True)
        group = groups.setdefault(key, (match, [], []))
        group[1].append(answer)
        group[2].append(seq)
    rules: list[dict[str, Any]] = []
    for match, answers, seqs in groups.values():
        rule: dict[str, Any] = {"name": f"request-{seqs[0]}", "match": match}
        if len({json.dumps(a, sort_keys=True) for a in answers}) == 1:
            rule.update(answers[0])
        else:
            rule["sequence"] = answers  # in the order seen; the last step repeats
        rules.append(rule)
    data = scenario.model_dump(mode="json", exclude_none=True)
    data["name"] = name
    count = sum(len(g[2]) for g in groups.values())
    data["description"] = f"Session {session!r} exported from the journal: {count} requests."
    data["rules"] = rules
    if stateful and first_state is not None:
        data["initial_state"] = first_state  # what the session's first request found (perhaps set by the admin API)
    return data, notes
