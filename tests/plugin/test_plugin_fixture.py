"""The ``mockgw`` fixture and marker, used from a project that is not mockgw itself (pytester)."""

from __future__ import annotations

import pytest

# The inner tests' shared header: the SDK client every inner test uses, pointed at the fixture.
HEADER = """
import anthropic
import pytest

MODEL = "claude-sonnet-4-6"


def ask(gw, text="hello"):
    client = anthropic.Anthropic(base_url=gw.url, api_key="sk-test", max_retries=0)
    message = client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": text}])
    return message.content[0].text
"""


def run(project: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    project.makepyfile(test_inner=HEADER + source)
    return project.runpytest("-p", "no:cacheprovider", *args)


def test_marker_with_a_scenario_file_next_to_the_test(project: pytest.Pytester) -> None:
    project.mkdir("scenarios").joinpath("greet.yaml").write_text("rules:\n  - name: greet\n    reply: From a file.\n")
    result = run(
        project,
        """
@pytest.mark.mockgw(scenario="scenarios/greet.yaml")
def test_file(mockgw):
    assert ask(mockgw) == "From a file."
    mockgw.assert_called(times=1, rule="greet")
""",
    )
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "marker",
    [
        pytest.param('{"rules": [{"name": "greet", "reply": "Inline."}]}', id="dict"),
        pytest.param('"rules:\\n  - name: greet\\n    reply: Inline.\\n"', id="yaml-string"),
        pytest.param('scenario={"rules": [{"name": "greet", "reply": "Inline."}]}', id="keyword"),
    ],
)
def test_marker_with_an_inline_scenario(project: pytest.Pytester, marker: str) -> None:
    result = run(
        project,
        f"""
@pytest.mark.mockgw({marker})
def test_inline(mockgw):
    assert ask(mockgw) == "Inline."
    assert mockgw.journal.last.rule == "greet"
""",
    )
    result.assert_outcomes(passed=1)


def test_marker_with_a_bundled_name_and_no_marker_serve_the_bundled_scenario(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.mockgw("hello")
def test_bundled(mockgw):
    assert ask(mockgw).startswith("Hello from mockgw")
    assert mockgw.scenario.name == "hello"


def test_default(mockgw):
    assert ask(mockgw).startswith("Hello from mockgw")
""",
    )
    result.assert_outcomes(passed=2)


def test_each_test_gets_a_fresh_journal_and_rule_state(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
pytestmark = pytest.mark.mockgw({"rules": [{"name": "once", "reply": "First.", "times": 1}, {"reply": "Later."}]})


def test_first(mockgw):
    assert ask(mockgw) == "First."
    assert ask(mockgw) == "Later."
    assert len(mockgw.journal) == 2


def test_second(mockgw):
    assert len(mockgw.journal) == 0
    assert ask(mockgw) == "First."  # the times: count starts again too
""",
        "-p",
        "no:randomly",
    )
    result.assert_outcomes(passed=2)


def test_the_closest_marker_wins_and_load_does_not_leak_into_the_next_test(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
pytestmark = pytest.mark.mockgw({"rules": [{"reply": "Module."}]})


class TestClass:
    pytestmark = pytest.mark.mockgw({"rules": [{"reply": "Class."}]})

    def test_class_marker(self, mockgw):
        assert ask(mockgw) == "Class."

    @pytest.mark.mockgw({"rules": [{"reply": "Function."}]})
    def test_function_marker(self, mockgw):
        assert ask(mockgw) == "Function."


def test_load_during_a_test(mockgw):
    mockgw.load({"rules": [{"reply": "Loaded."}]})
    assert ask(mockgw) == "Loaded."


def test_after_a_load(mockgw):
    assert ask(mockgw) == "Module."
""",
        "-p",
        "no:randomly",
    )
    result.assert_outcomes(passed=4)


def test_an_unchanged_scenario_is_not_loaded_again(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
SEEN = []
pytestmark = pytest.mark.mockgw("rules:\\n  - reply: Same.\\n")


@pytest.mark.parametrize("n", range(3))
def test_same_scenario(mockgw, n):
    SEEN.append((id(mockgw.scenario), id(mockgw.gateway.engine)))
    assert ask(mockgw) == "Same."


def test_all_saw_the_same_engine():
    assert len(set(SEEN)) == 1
""",
        "-p",
        "no:randomly",
    )
    result.assert_outcomes(passed=4)


def test_a_scenario_file_rewritten_between_tests_is_loaded_again(project: pytest.Pytester) -> None:
    project.path.joinpath("changing.yaml").write_text("rules:\n  - reply: Before.\n")
    result = run(
        project,
        """
from pathlib import Path


@pytest.mark.mockgw("changing.yaml")
def test_before(mockgw):
    assert ask(mockgw) == "Before."
    Path(__file__).with_name("changing.yaml").write_text("rules:\\n  - reply: After the rewrite.\\n")


@pytest.mark.mockgw("changing.yaml")
def test_after(mockgw):
    assert ask(mockgw) == "After the rewrite."
""",
        "-p",
        "no:randomly",
    )
    result.assert_outcomes(passed=2)


ASYNC_TESTS = """
async def test_async_client(mockgw):
    client = anthropic.AsyncAnthropic(base_url=mockgw.url, api_key="sk-test", max_retries=0)
    async with client.messages.stream(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}]) as s:
        message = await s.get_final_message()
    assert message.content[0].text == "Async."
    mockgw.assert_called(times=1)
    assert mockgw.journal.last.events[-1] == "message_stop"


@pytest.mark.asyncio(loop_scope="module")
async def test_module_loop(mockgw):
    client = anthropic.AsyncAnthropic(base_url=mockgw.url, api_key="sk-test", max_retries=0)
    message = await client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    assert message.content[0].text == "Async."


@pytest.mark.asyncio(loop_scope="session")
async def test_session_loop(mockgw):
    client = anthropic.AsyncAnthropic(base_url=mockgw.url, api_key="sk-test", max_retries=0)
    message = await client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    assert message.content[0].text == "Async."
    mockgw.assert_called(times=1)
"""


def test_async_client_in_async_tests_under_every_loop_scope(project: pytest.Pytester) -> None:
    marker = 'pytestmark = pytest.mark.mockgw({"rules": [{"reply": "Async."}]})\n'
    result = run(project, marker + ASYNC_TESTS)
    result.assert_outcomes(passed=3)


def test_a_scenario_that_does_not_load_fails_the_test_with_the_problem(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.mockgw({"rules": [{"reply": "x", "tiems": 1}]})
def test_typo(mockgw):
    pass
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_typo*",
            "@pytest.mark.mockgw: the scenario does not load:",
            "<dict>: rules[0]: unknown key 'tiems' (did you mean 'times'?)",
        ]
    )


def test_an_unknown_marker_argument_is_named(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.mockgw(scenrio="hello")
def test_typo(mockgw):
    pass
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["@pytest.mark.mockgw: unknown argument(s) scenrio (known: scenario, strict)"])


def test_the_marker_is_registered(project: pytest.Pytester) -> None:
    result = project.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.mockgw(scenario=None, strict=True): *"])
