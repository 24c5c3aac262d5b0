"""Strict mode and the assertions, as a user's test run shows them: failure texts pinned line by line."""

from __future__ import annotations

import pytest

HEADER = """
import anthropic
import pytest

GREET = {"rules": [{"name": "greet", "match": {"last_user": {"contains": "hello"}}, "reply": "Hi!"}]}
COUNTED = {
    "name": "counted",
    "rules": [
        {"name": "twice", "match": {"last_user": {"contains": "hello"}}, "reply": "Hi!", "times": 2},
        {"match": {"last_user": {"contains": "weather"}}, "reply": "Sunny."},
    ],
}


def ask(gw, text="hello"):
    client = anthropic.Anthropic(base_url=gw.url, api_key="sk-test", max_retries=0)
    message = client.messages.create(
        model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": text}]
    )
    return message.content[0].text


def ask_quietly(gw, text):
    # Code under test that swallows API errors: the test alone would never notice.
    try:
        return ask(gw, text)
    except anthropic.APIError:
        return None
"""

STRICT_HINT = "(use @pytest.mark.mockgw(strict=False) to allow this)"


def run(project: pytest.Pytester, source: str) -> pytest.RunResult:
    project.makepyfile(test_inner=HEADER + source)
    return project.runpytest("-p", "no:cacheprovider", "-p", "no:randomly")


def test_an_unmatched_request_the_code_swallowed_fails_the_test_at_teardown(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.mockgw(GREET)
def test_swallowed(mockgw):
    assert ask_quietly(mockgw, "goodbye") is None
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at teardown of test_swallowed _*",
            "mockgw strict mode: 1 problem(s) in this test",
            "  - request 1 (POST /v1/messages): no rule matched this request. "
            "Nearest: greet: last_user.contains: 'goodbye' does not contain 'hello'",
            STRICT_HINT,
        ]
    )


def test_a_times_rule_not_used_up_fails_the_test_at_teardown(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.mockgw(COUNTED)
def test_once_of_twice(mockgw):
    assert ask(mockgw) == "Hi!"
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at teardown of test_once_of_twice _*",
            "mockgw strict mode: 1 problem(s) in this test",
            "  - rule 'twice' has times: 2 but answered 1 time(s)",
            STRICT_HINT,
        ]
    )


def test_every_problem_is_listed(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.mockgw(COUNTED)
def test_two_problems(mockgw):
    ask_quietly(mockgw, "goodbye")
""",
    )
    result.stdout.fnmatch_lines(
        [
            "mockgw strict mode: 2 problem(s) in this test",
            "  - request 1 (POST /v1/messages): no rule matched this request. Nearest: *",
            "  - rule 'twice' has times: 2 but answered 0 time(s)",
        ]
    )


def test_strict_false_allows_unmatched_requests_and_unused_rules(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.mockgw(COUNTED, strict=False)
def test_relaxed(mockgw):
    assert ask_quietly(mockgw, "goodbye") is None
    assert mockgw.unmatched() == [mockgw.journal.last]


pytestmark = pytest.mark.mockgw(strict=False)


@pytest.mark.mockgw(COUNTED)
def test_relaxed_by_the_module(mockgw):
    ask_quietly(mockgw, "goodbye")
""",
    )
    result.assert_outcomes(passed=2)


def test_a_failing_test_reports_unmatched_requests_but_not_unused_rules(project: pytest.Pytester) -> None:
    # After a failure the unused rule is a consequence; the unmatched request may well be the cause.
    result = run(
        project,
        """
@pytest.mark.mockgw(COUNTED)
def test_fails_early(mockgw):
    assert ask(mockgw) == "Hi!"
    assert False, "stopped here"


@pytest.mark.mockgw(COUNTED)
def test_fails_on_unmatched(mockgw):
    assert ask_quietly(mockgw, "goodbye") == "Hi!"
""",
    )
    result.assert_outcomes(failed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at teardown of test_fails_on_unmatched _*",
            "mockgw strict mode: 1 problem(s) in this test",
            "  - request 1 (POST /v1/messages): no rule matched this request. Nearest: *",
            STRICT_HINT,
        ]
    )
    result.stdout.no_fnmatch_line("*ERROR at teardown of test_fails_early*")


# ---------------------------------------------------------------- assertions


def test_assert_called_passes_and_returns_the_entries_counted(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.mockgw(COUNTED)
def test_counts(mockgw):
    ask(mockgw)
    ask(mockgw)
    ask(mockgw, "weather?")
    assert len(mockgw.assert_called(times=3)) == 3
    assert [e.rule for e in mockgw.assert_called(rule="twice")] == ["twice", "twice"]
    mockgw.assert_called(times=1, rule="rules[1]")
    mockgw.assert_called(times=3, model="claude-sonnet-4-6")
    mockgw.assert_called(times=0, model="claude-opus-4-8")
    mockgw.assert_all_rules_used()
    assert mockgw.journal.last.rule == "rules[1]"
""",
    )
    result.assert_outcomes(passed=1)


def test_assert_called_failure_lists_the_journal(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.mockgw(COUNTED, strict=False)
def test_wrong_count(mockgw):
    ask(mockgw)
    mockgw.assert_called(times=2, rule="twice")


@pytest.mark.mockgw(COUNTED, strict=False)
def test_no_call(mockgw):
    mockgw.assert_called(model="claude-opus-4-8")


@pytest.mark.mockgw(COUNTED, strict=False)
def test_misspelt_rule(mockgw):
    mockgw.assert_called(rule="twcie")
""",
    )
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: mockgw: expected 2 call(s) to /v1/messages with rule='twice', got 1",
            "E       journal:",
            "E         1. POST /v1/messages claude-sonnet-4-6 → 200 (rule twice)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: mockgw: expected at least 1 call to /v1/messages"
            " with model='claude-opus-4-8', got 0",
            "E       journal: empty (no request reached mockgw)",
        ]
    )
    result.stdout.fnmatch_lines(
        ["E       AssertionError: mockgw: scenario 'counted' has no rule 'twcie' (rules: twice, rules[1])"]
    )


def test_assert_all_rules_used_failure_names_the_unused_rules(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.mockgw(COUNTED, strict=False)
def test_unused(mockgw):
    ask_quietly(mockgw, "goodbye")
    mockgw.assert_all_rules_used()
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: mockgw: 2 rule(s) of scenario 'counted' never answered: twice, rules[1]",
            "E       journal:",
            "E         1. POST /v1/messages claude-sonnet-4-6 → 400 (no rule)",
        ]
    )
