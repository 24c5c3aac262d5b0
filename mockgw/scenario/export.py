"""Export: journal entries back into scenario rules (the inspector's "copy a rule" and "download session").

A journal entry keeps its decision path (``why``, see core/engine.py ``why_record``): the rule that answered,
its sequence step, and the facts of the request a rule needs to match it (last user text, turn, the tools its
tool results answer, face). From these and the served scenario this module makes plain scenario data:

- ``rule_for_entry``: one rule that matches the request and gives the answer it got (the answering rule's
  reply, error or fault, from the served scenario); for an unmatched request, a rule with a reply to write;
- ``session_scenario``: a session's requests folded into a scenario that replays the session: requests that
  match alike become one rule, answered differently on repeat a ``sequence`` in the order seen, as the
  recorder folds (cli/record.py). The served scenario's other keys (defaults, seed, models…) are kept.

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
_ANSWER_KEYS = ("reply", "error", "fault", "stop_reason", "usage", "timing", "batch_result", "set_state")
TODO_REPLY = "Write the reply for this request here."


class ExportError(Exception):
    """A journal entry cannot be turned into a rule (no decision recorded for it)."""


def match_for(facts: Mapping[str, Any]) -> dict[str, Any]:
    """A ``match`` that holds for the request these facts describe (``why.request``)."""
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
    return match


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
    rule: dict[str, Any] = {"name": f"request-{entry.get('seq')}", "match": match_for(why["request"])}
    matched = why.get("matched")
    answer = answer_for(scenario, matched, why.get("step")) if matched is not None else None
    if matched is not None and answer is None:
        raise ExportError(f"rule {matched!r} is no longer in the served scenario: its answer is unknown")
    rule.update(answer if answer is not None else {"reply": TODO_REPLY})
    return rule


def session_scenario(
    entries: Iterable[Mapping[str, Any]], scenario: Scenario, name: str, session: str
) -> tuple[dict[str, Any], list[str]]:
    """A scenario replaying ``entries`` (one session's journal entries, oldest first), and notes on what it
    could not include. Requests matched alike become one rule; different answers on repeat a sequence."""
    notes: list[str] = []
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
        match = match_for(why["request"])
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
    return data, notes
