"""Scenario regexes are RE2: linear in the client's text, and what RE2 cannot take is refused at load by name."""

from __future__ import annotations

import textwrap

import pytest

from mockgw.scenario.loader import ScenarioError, load_scenario_text
from mockgw.scenario.regex import Regex, RegexError
from mockgw.scenario.schema import TextMatch


@pytest.mark.parametrize(
    ("source", "construct"),
    [
        (r"(a)\1", r"the backreference \1"),
        (r"(?P<w>a)(?P=w)", "the named backreference (?P=name)"),
        (r"foo(?=bar)", "lookahead (?=…)"),
        (r"foo(?!bar)", "negative lookahead (?!…)"),
        (r"(?<=a)b", "lookbehind (?<=…)"),
        (r"(?<!a)b", "negative lookbehind (?<!…)"),
        (r"(?>a+)b", "the atomic group (?>…)"),
        (r"a++", "the possessive quantifier ++"),
        (r"(?(1)a|b)", "the conditional (?(…)…)"),
    ],
)
def test_what_re2_cannot_take_is_refused_by_name(source: str, construct: str) -> None:
    with pytest.raises(RegexError) as caught:
        Regex(source)
    assert str(caught.value) == (
        f"bad regex {source!r}: {construct} is not supported "
        '(scenario regexes are RE2 syntax, matched in linear time; see docs/scenarios.md, "Regexes")'
    )


def test_a_scenario_with_a_lookahead_is_refused_with_its_file_line_and_path() -> None:
    text = textwrap.dedent(
        """\
        rules:
          - match: {last_user: {regex: "pay(?!ed)"}}
            reply: ok
        """
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, "s.yaml")
    assert str(caught.value).startswith(
        "s.yaml:2: rules[0].match.last_user: bad regex 'pay(?!ed)': negative lookahead (?!…) is not supported"
    )


@pytest.mark.parametrize(
    ("source", "text", "found"),
    [
        (r"^\d+ apples?$", "12 apples", True),
        (r"weather|forecast", "what's the forecast?", True),
        (r"^claude-(sonnet|opus)-\d", "claude-haiku-4", False),
        (r"(?i)^HELLO\b", "hello there", True),
        (r"\p{Greek}+", "say καλημέρα", True),
        (r"[[:digit:]]{3}", "call 555", True),
        ("café", "un café noir", True),
    ],
)
def test_the_usual_syntax_matches_as_in_python(source: str, text: str, found: bool) -> None:
    assert Regex(source).search(text) is found


def test_ignore_case_folds_unicode_too() -> None:
    assert Regex("ÉTÉ", ignore_case=True).search("un été chaud")
    assert not Regex("ÉTÉ").search("un été chaud")


def test_any_client_text_can_be_searched_a_lone_surrogate_too() -> None:
    assert Regex("weather").search("\ud800 weather")


def test_a_catastrophic_python_regex_answers_at_once_on_re2() -> None:
    # ^(a+)+$ backtracks 2^n steps in Python's re on "aaa…ab": with n = 5000 it would never finish. RE2
    # answers in one pass (no timing asserted: that it returns at all is the point).
    pattern = TextMatch(regex="^(a+)+$")
    assert not pattern.regex_holds("a" * 5000 + "b")
    assert pattern.regex_holds("a" * 5000)
