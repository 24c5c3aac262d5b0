"""The engine: which rule answers, and the per-session state of ``times`` and ``sequence``."""

from __future__ import annotations

from typing import Any

import pytest

from mockgw.core.engine import Decision, Engine, NoMatch
from mockgw.core.matching import Miss, misses
from mockgw.core.request import RequestView
from mockgw.faces.anthropic.validation import validate_message_request
from mockgw.scenario.loader import load_scenario_data
from mockgw.scenario.schema import Timing


def view(text: str = "hi", session: str = "default", **extra: Any) -> RequestView:
    body = {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": text}], **extra}
    return RequestView(validate_message_request(body), {}, session)


def engine(*rules: dict[str, Any], **scenario: Any) -> Engine:
    return Engine(load_scenario_data({"rules": list(rules), **scenario}))


def decide(eng: Engine, text: str = "hi", session: str = "default") -> Decision:
    decision = eng.decide(view(text, session))
    assert isinstance(decision, Decision), decision
    return decision


def reply_text(decision: Decision) -> str:
    assert decision.reply is not None
    return decision.reply.blocks[0].text.source  # type: ignore[union-attr]


def what(decision: Decision | NoMatch) -> str:
    """A short name for an answer: the reply text, ``error NNN``, ``fault``, or ``no match``."""
    if isinstance(decision, NoMatch):
        return "no match"
    if decision.error is not None:
        return f"error {decision.error.status}"
    if decision.reply is not None:
        return reply_text(decision)
    return "fault"


# ---------------------------------------------------------------- rule order


def test_rules_are_tried_in_order_and_the_first_that_holds_answers() -> None:
    eng = engine(
        {"name": "weather", "match": {"last_user": "weather"}, "reply": "sunny"},
        {"name": "weather-too", "match": {"last_user": "weather"}, "reply": "never"},
        {"name": "fallback", "reply": "fallback"},
    )
    assert decide(eng, "the weather?").rule == "weather"
    assert decide(eng, "something else").rule == "fallback"


def test_a_rule_without_match_always_answers() -> None:
    eng = engine({"reply": "always"}, {"match": {"last_user": "x"}, "reply": "shadowed"})
    assert [reply_text(decide(eng, t)) for t in ("x", "y")] == ["always", "always"]


def test_rules_without_names_are_labelled_by_position() -> None:
    eng = engine({"match": {"last_user": "a"}, "reply": "A"}, {"reply": "B"})
    assert decide(eng, "b").rule == "rules[1]"
    assert decide(eng, "b").rule_index == 1


# ---------------------------------------------------------------- no rule matches


def test_no_match_names_the_nearest_rules_and_their_failed_predicates() -> None:
    eng = engine(
        {"name": "two-off", "match": {"last_user": "weather", "model": "claude-opus-4-1"}, "reply": "a"},
        {"name": "one-off", "match": {"last_user": "weather"}, "reply": "b"},
        {"name": "three-off", "match": {"last_user": "x", "model": "y", "stream": True}, "reply": "c"},
        {"name": "far", "match": {"last_user": "x", "model": "y", "stream": True, "turn": 4}, "reply": "d"},
    )
    result = eng.decide(view("hello"))
    assert isinstance(result, NoMatch)
    assert [n.rule for n in result.near] == ["one-off", "two-off", "three-off"]  # fewest misses first; at most 3
    assert result.message == (
        "mockgw: no rule matched this request. Nearest: "
        "one-off: last_user.contains: 'hello' does not contain 'weather' | "
        "two-off: last_user.contains: 'hello' does not contain 'weather'; "
        "model.equals: 'claude-sonnet-4-5' is not 'claude-opus-4-1' | "
        "three-off: last_user.contains: 'hello' does not contain 'x'; "
        "model.equals: 'claude-sonnet-4-5' is not 'y'; stream: request has stream=false"
    )


def test_why_a_rule_missed_is_worked_out_only_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    worked_out: list[str] = []

    def counting(match: Any, request: RequestView, facts: Any = None) -> list[Miss]:
        found = misses(match, request, facts)
        worked_out.append(str(found))
        return found

    monkeypatch.setattr("mockgw.core.engine.misses", counting)
    eng = engine(
        {"name": "weather", "match": {"last_user": "weather"}, "reply": "a"},
        {"name": "opus", "match": {"model": "claude-opus-4-1"}, "reply": "b"},
        {"name": "fallback", "reply": "c"},
    )
    request = view("hello")
    decision = decide(eng, "hello")
    assert decision.rule == "fallback"
    assert worked_out == []  # deciding built no reason
    why = decision.why(request)
    assert [t["misses"] for t in why["tried"]] == [
        [{"predicate": "last_user.contains", "reason": "'hello' does not contain 'weather'"}],
        [{"predicate": "model.equals", "reason": "'claude-sonnet-4-5' is not 'claude-opus-4-1'"}],
    ]
    assert decision.why(request) == why
    assert len(worked_out) == 2  # once per rule tried, then kept


def test_a_used_up_rule_says_so_when_read() -> None:
    eng = engine({"name": "once", "match": {"last_user": "hi"}, "reply": "a", "times": 1}, {"reply": "b"})
    decide(eng)
    (tried,) = decide(eng).tried
    assert (tried.rule, [str(m) for m in tried.misses]) == (
        "once",
        ["times: already answered 1 time(s) in session 'default'"],
    )


def test_no_match_with_no_rules_says_so() -> None:
    result = engine().decide(view())
    assert isinstance(result, NoMatch)
    assert result.message == "mockgw: the scenario has no rules, so no request can match."


# ---------------------------------------------------------------- times


def test_times_answers_at_most_n_times_then_the_rule_is_skipped() -> None:
    eng = engine({"name": "twice", "times": 2, "reply": "limited"}, {"reply": "after"})
    assert [reply_text(decide(eng)) for _ in range(4)] == ["limited", "limited", "after", "after"]
    assert eng.uses("twice") == 2


def test_a_used_up_rule_is_reported_in_the_no_match_message() -> None:
    eng = engine({"name": "once", "times": 1, "reply": "only once"})
    decide(eng)
    result = eng.decide(view())
    assert isinstance(result, NoMatch)
    assert str(result.near[0]) == "once: times: already answered 1 time(s) in session 'default'"


def test_times_counts_only_matching_requests() -> None:
    eng = engine({"match": {"last_user": "a"}, "times": 1, "reply": "A"}, {"reply": "other"})
    assert [reply_text(decide(eng, t)) for t in ("b", "b", "a", "a")] == ["other", "other", "A", "other"]


# ---------------------------------------------------------------- sequence


def test_sequence_steps_in_order_and_the_last_repeats() -> None:
    eng = engine({"sequence": [{"error": 529}, {"error": {"status": 500}}, {"reply": "Recovered."}]})
    assert [what(eng.decide(view())) for _ in range(5)] == [
        "error 529",
        "error 500",
        "Recovered.",
        "Recovered.",
        "Recovered.",
    ]
    assert [decide(eng).step for _ in range(2)] == [2, 2]


def test_sequence_then_cycle_starts_over() -> None:
    eng = engine({"sequence": [{"reply": "one"}, {"reply": "two"}], "then": "cycle"})
    assert [reply_text(decide(eng)) for _ in range(5)] == ["one", "two", "one", "two", "one"]


def test_sequence_steps_can_be_faults() -> None:
    eng = engine({"sequence": [{"fault": {"stall_ms": 10}}, {"reply": "ok"}]})
    first = decide(eng)
    assert first.fault is not None and first.fault.stall_ms == 10 and first.reply is None
    assert reply_text(decide(eng)) == "ok"


def test_sequence_advances_only_on_matching_requests() -> None:
    eng = engine({"match": {"last_user": "go"}, "sequence": [{"reply": "1"}, {"reply": "2"}]}, {"reply": "other"})
    assert [reply_text(decide(eng, t)) for t in ("go", "x", "go")] == ["1", "other", "2"]


def test_sequence_with_times() -> None:
    eng = engine({"sequence": [{"reply": "1"}, {"reply": "2"}], "then": "cycle", "times": 3}, {"reply": "done"})
    assert [reply_text(decide(eng)) for _ in range(5)] == ["1", "2", "1", "done", "done"]


def test_steps_inherit_stop_reason_and_usage_from_the_rule_unless_they_set_their_own() -> None:
    eng = engine(
        {
            "stop_reason": "refusal",
            "usage": {"output_tokens": 7},
            "sequence": [{"reply": "a"}, {"reply": "b", "stop_reason": "pause_turn", "usage": {"output_tokens": 9}}],
        }
    )
    first, second = decide(eng).reply, decide(eng).reply
    assert first is not None and second is not None
    assert (first.stop_reason, first.usage and first.usage.output_tokens) == ("refusal", 7)
    assert (second.stop_reason, second.usage and second.usage.output_tokens) == ("pause_turn", 9)


# ---------------------------------------------------------------- sessions and reset


def test_each_session_has_its_own_state() -> None:
    eng = engine({"sequence": [{"reply": "first"}, {"reply": "second"}]})
    assert reply_text(decide(eng, session="a")) == "first"
    assert reply_text(decide(eng, session="a")) == "second"
    assert reply_text(decide(eng, session="b")) == "first"
    assert reply_text(decide(eng)) == "first"  # the default session is one more
    assert eng.state() == {
        "a": {"state": "start", "requests": 2, "uses": {"rules[0]": 2}, "sequence_steps": {"rules[0]": 2}},
        "b": {"state": "start", "requests": 1, "uses": {"rules[0]": 1}, "sequence_steps": {"rules[0]": 1}},
        "default": {"state": "start", "requests": 1, "uses": {"rules[0]": 1}, "sequence_steps": {"rules[0]": 1}},
    }


def test_times_is_per_session() -> None:
    eng = engine({"times": 1, "reply": "once"}, {"reply": "again"})
    assert [reply_text(decide(eng, session=s)) for s in ("a", "a", "b")] == ["once", "again", "once"]
    assert eng.uses("rules[0]") == 2  # over all sessions


def test_reset_one_session_keeps_the_others() -> None:
    eng = engine({"sequence": [{"reply": "first"}, {"reply": "second"}]})
    for session in ("a", "a", "b"):
        decide(eng, session=session)
    eng.reset("a")
    assert reply_text(decide(eng, session="a")) == "first"
    assert reply_text(decide(eng, session="b")) == "second"


def test_reset_all_forgets_every_session_and_restarts_the_seed() -> None:
    eng = engine({"times": 1, "reply": "once"}, {"reply": "again"}, seed=5)
    ids_before = [eng.ids.message() for _ in range(2)]
    decide(eng, session="a")
    decide(eng, session="b")
    eng.reset()
    assert eng.state() == {}
    assert eng.unused_rules() == ["rules[0]", "rules[1]"]
    assert [reply_text(decide(eng, session=s)) for s in ("a", "b")] == ["once", "once"]
    eng.reset()
    assert [eng.ids.message() for _ in range(2)] == ids_before


def test_unused_rules() -> None:
    eng = engine({"name": "a", "match": {"last_user": "a"}, "reply": "A"}, {"name": "b", "reply": "B"})
    decide(eng, "x")
    assert eng.unused_rules() == ["a"]


def test_force_answers_with_the_named_rule_whatever_its_match() -> None:
    eng = engine({"name": "special", "match": {"last_user": "never"}, "reply": "forced"}, {"reply": "other"})
    forced = eng.force("special", view("hi"))
    assert forced is not None and reply_text(forced) == "forced"
    assert eng.force("missing", view()) is None


# ---------------------------------------------------------------- timing merge


def test_timing_merges_defaults_rule_and_step() -> None:
    eng = engine(
        {
            "timing": {"ttft_ms": 300, "chunk_ms": 20},
            "sequence": [{"reply": "a", "timing": {"chunk_ms": 5, "chunk_chars": 3}}, {"reply": "b"}],
        },
        defaults={"timing": {"ttft_ms": 100, "chunk_ms": 10, "jitter_ms": 2, "chunk_chars": 8}},
    )
    assert decide(eng).timing == Timing(ttft_ms=300, chunk_ms=5, jitter_ms=2, chunk_chars=3)
    assert decide(eng).timing == Timing(ttft_ms=300, chunk_ms=20, jitter_ms=2, chunk_chars=8)


def test_rule_timing_over_defaults() -> None:
    eng = engine(
        {"match": {"last_user": "slow"}, "timing": {"ttft_ms": 900}, "reply": "s"},
        {"reply": "f"},
        defaults={"timing": {"ttft_ms": 100, "chunk_ms": 10}},
    )
    assert decide(eng, "slow").timing == Timing(ttft_ms=900, chunk_ms=10)
    assert decide(eng, "fast").timing == Timing(ttft_ms=100, chunk_ms=10)


@pytest.mark.parametrize("seed", [1, 99])
def test_an_explicit_seed_overrides_the_scenarios(seed: int) -> None:
    scenario = load_scenario_data({"seed": 7, "rules": [{"reply": "x"}]})
    assert Engine(scenario, seed=seed).seed == seed
    assert Engine(scenario).seed == 7
