"""Per-session determinism in the pure core: a request's random sources are a function of (seed, session, the
session's request number), whatever other sessions drew before it (docs/scenarios.md, "Determinism")."""

from __future__ import annotations

from typing import Any

import pytest

from mockgw.core.answer import Ids
from mockgw.core.engine import Decision, Engine
from mockgw.core.request import RequestView
from mockgw.core.seeds import Draws, request_key
from mockgw.faces.anthropic.validation import validate_message_request
from mockgw.scenario.loader import load_scenario_data
from mockgw.scenario.templates import Template

FAKER = Template.parse("{{ faker.word }} {{ faker.sentence }}")


def view(session: str, text: str = "hi") -> RequestView:
    body = {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": text}]}
    return RequestView(validate_message_request(body), {}, session)


def engine(seed: int | None = 7) -> Engine:
    return Engine(load_scenario_data({"rules": [{"reply": "hi"}]}, "<test>"), seed)


def answer_bytes(eng: Engine, session: str) -> tuple[str, ...]:
    """What one request of ``session`` draws: ids of several kinds, faker text, a content and a jitter number."""
    request = view(session)
    decision = eng.decide(request)
    assert isinstance(decision, Decision)
    draws = decision.draws
    text = FAKER.render(eng.context(request, draws))
    return (
        draws.ids.request(),
        draws.ids.message(),
        draws.ids.tool_use(),
        draws.ids.opaque(8),
        text,
        str(draws.content().random()),
        str(draws.jitter().random()),
    )


def served(eng: Engine, order: list[str]) -> dict[str, list[tuple[str, ...]]]:
    """Each session's answers, when requests come in ``order`` (a session name per request)."""
    seen: dict[str, list[tuple[str, ...]]] = {}
    for session in order:
        seen.setdefault(session, []).append(answer_bytes(eng, session))
    return seen


@pytest.mark.parametrize("seed", [7, None])
def test_interleaving_sessions_changes_no_sessions_bytes(seed: int | None) -> None:
    eng = engine(seed)
    alone = served(eng, ["a", "a", "a"]) | served(eng, ["b", "b"])
    eng.reset("a")  # a session's reset starts it over (an unseeded engine keeps its random root until a
    eng.reset("b")  # full reset), so the same sessions can be served again, interleaved
    assert served(eng, ["b", "a", "a", "b", "a"]) == alone


def test_the_same_seed_gives_the_same_bytes_in_another_engine() -> None:
    assert served(engine(7), ["a", "b", "a"]) == served(engine(7), ["b", "a", "a"])


def test_another_seed_another_session_or_another_request_number_gives_other_bytes() -> None:
    first = served(engine(7), ["a", "a", "b"])
    assert first["a"][0] != first["a"][1]  # the session's next request
    assert first["a"][0] != first["b"][0]  # another session
    assert served(engine(8), ["a"])["a"][0] != first["a"][0]  # another seed


def test_unseeded_engines_differ_from_each_other() -> None:
    assert served(engine(None), ["a"]) != served(engine(None), ["a"])


def test_resetting_a_session_starts_its_bytes_over() -> None:
    eng = engine()
    before = served(eng, ["a", "a"])
    eng.reset("a")
    assert served(eng, ["a", "a"]) == before


def test_a_session_counts_every_request_the_engine_decides_even_an_unmatched_one() -> None:
    eng = Engine(load_scenario_data({"rules": [{"match": {"last_user": "yes"}, "reply": "ok"}]}, "<test>"), 7)
    missed = eng.decide(view("a", "no"))
    answered = eng.decide(view("a", "yes"))
    assert not isinstance(missed, Decision) and isinstance(answered, Decision)
    assert missed.draws.key == eng.draws("a", 1).key
    assert answered.draws.key == eng.draws("a", 2).key


@pytest.mark.parametrize("first", ["tool_use", "request", "opaque", "call", "server_tool_use"])
def test_each_kind_of_id_is_its_own_stream(first: str) -> None:
    key = request_key(b"s1", "a", 1)
    plain = Ids(key).message()
    ids = Ids(key)
    getattr(ids, first)()  # drawing another kind first (a tool id, the request id) does not move the message id
    assert ids.message() == plain
    assert ids.message() != plain  # the kind's own next draw does move on


def test_a_template_calling_faker_moves_no_id() -> None:
    key = request_key(b"s1", "a", 1)
    quiet, chatty = Draws(key), Draws(key)
    chatty.word()
    assert chatty.ids.message() == quiet.ids.message()


def test_requests_sharing_the_engines_faker_never_draw_from_each_other() -> None:
    eng = engine()
    alone = [Draws(request_key(b"x", "a", 1), eng.faker), Draws(request_key(b"x", "b", 1), eng.faker)]
    expected = [[d.word() for _ in range(4)] for d in alone]
    a, b = Draws(request_key(b"x", "a", 1), eng.faker), Draws(request_key(b"x", "b", 1), eng.faker)
    words: dict[str, list[str]] = {"a": [], "b": []}
    for _ in range(4):  # two requests whose templates interleave (a stream of each, across awaits)
        words["a"].append(a.word())
        words["b"].append(b.word())
    assert [words["a"], words["b"]] == expected


def test_a_request_makes_no_generator_it_does_not_read() -> None:
    draws = Draws(request_key(b"s1", "a", 1))
    draws.ids.message()
    draws.ids.request()
    made: dict[str, Any] = {slot: getattr(draws, slot) for slot in ("_content", "_jitter", "_faker_random")}
    assert made == {"_content": None, "_jitter": None, "_faker_random": None}


def test_ids_keep_their_api_shapes() -> None:
    ids = Ids(request_key(b"s1", "a", 1))
    shapes = {
        "msg_01": (ids.message(), 28),
        "toolu_01": (ids.tool_use(), 30),
        "srvtoolu_01": (ids.server_tool_use(), 33),
        "mcptoolu_01": (ids.mcp_tool_use(), 33),
        "container_011C": (ids.container(), 34),
        "req_011C": (ids.request(), 28),
        "chatcmpl-": (ids.chat_completion(), 38),
        "call_": (ids.call(), 29),
        "resp_": (ids.response(), 55),
        "gen_01": (ids.generation(), 30),
        "msgbatch_01": (ids.batch(), 33),
        "file_011C": (ids.file(), 29),
    }
    for prefix, (value, length) in shapes.items():
        assert value.startswith(prefix) and len(value) == length, value
        assert value[len(prefix) :].isalnum()
    assert all(c.isupper() or c.isdigit() for c in ids.generation()[6:])
    assert ids.opaque().startswith("EqQB")


def test_a_full_reset_repeats_a_seeded_engine_and_redraws_an_unseeded_one() -> None:
    seeded, unseeded = engine(7), engine(None)
    before = served(seeded, ["a", "b"]), served(unseeded, ["a", "b"])
    seeded.reset()
    unseeded.reset()
    assert served(seeded, ["a", "b"]) == before[0]
    assert served(unseeded, ["a", "b"]) != before[1]
