"""``{{ }}`` templates: what they render, and that a bad one is refused at load without running anything."""

from __future__ import annotations

import builtins
import textwrap
from pathlib import Path
from typing import Any

import pytest

from mockgw.core.engine import Engine
from mockgw.core.request import RequestView
from mockgw.faces.anthropic.validation import validate_message_request
from mockgw.scenario.loader import ScenarioError, load_scenario_text
from mockgw.scenario.schema import Scenario
from mockgw.scenario.templates import Template, TemplateError, render_json

TOOL_LOOP = [
    {"role": "user", "content": "weather in Paris?"},
    {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}]},
    {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "Paris: 21°C"},
            {"type": "text", "text": "and be brief"},
        ],
    },
]


def view(
    messages: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> RequestView:
    body = {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": messages or [{"role": "user", "content": "hi"}]}
    return RequestView(validate_message_request(body | extra), headers or {})


def render(source: str, request: RequestView | None = None, seed: int = 1) -> str:
    engine = Engine(Scenario(), seed=seed)
    return Template.parse(source).render(engine.context(request or view()))


# ---------------------------------------------------------------- what renders


def test_literal_text_is_kept_as_is() -> None:
    assert render("No templates here: { braces } stay.") == "No templates here: { braces } stay."


@pytest.mark.parametrize("source", ["{{ faker.word }}", "{{faker.name}}", "{{ faker.paragraph(nb_sentences=2) }}"])
def test_faker_text_repeats_for_the_same_seed(source: str) -> None:
    first = render(source, seed=42)
    assert first and "{{" not in first
    assert render(source, seed=42) == first


def test_faker_text_differs_for_another_seed() -> None:
    assert render("{{ faker.sentence }}", seed=1) != render("{{ faker.sentence }}", seed=2)


def test_faker_arguments_are_passed() -> None:
    assert render("{{ faker.random_int(5, 5) }}") == "5"
    assert render("{{ faker.random_int(min=7, max=7) }}") == "7"
    assert render("{{ faker.pystr(min_chars=3, max_chars=3) }}").__len__() == 3


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ request.model }}", "claude-sonnet-4-5"),
        ("{{ request.last_user }}", "and be brief"),  # tool results are not the user's words
        ("{{ request.tool_result }}", "Paris: 21°C"),
        ("{{ request.turn }}", "2"),
        ("{{ request.stream }}", "false"),
        ("{{ request.headers['x-name'] }}", "Ada"),
        ("{{ request.headers['X-Name'] }}", "Ada"),  # header names are case-insensitive
        ("{{ request.headers['x-absent'] }}", ""),
        ("Hi {{ request.headers['x-name'] }}, you said {{ request.last_user }}.", "Hi Ada, you said and be brief."),
    ],
)
def test_request_fields(source: str, expected: str) -> None:
    assert render(source, view(TOOL_LOOP, {"x-name": "Ada"})) == expected


def test_tool_input_strings_are_rendered_at_any_depth() -> None:
    engine = Engine(Scenario(), seed=1)
    value = {
        "city": "{{ request.tool_result }}",
        "n": 3,
        "tags": ["{{ request.model }}", {"deep": "{{ request.turn }}"}],
    }
    rendered = render_json(value, engine.context(view(TOOL_LOOP)))
    assert rendered == {"city": "Paris: 21°C", "n": 3, "tags": ["claude-sonnet-4-5", {"deep": "2"}]}


def test_templates_render_in_reply_text_and_tool_input_through_a_scenario() -> None:
    scenario = load_scenario_text(
        textwrap.dedent(
            """
            rules:
              - reply:
                  - text: "model={{ request.model }}"
                  - tool_use: {name: echo, input: {said: "{{ request.last_user }}", word: "{{ faker.word }}"}}
            """
        )
    )
    rule = scenario.rules[0]
    assert rule.reply is not None
    text, tool = rule.reply
    ctx = Engine(scenario, seed=3).context(view([{"role": "user", "content": "ping"}]))
    assert text.text.render(ctx) == "model=claude-sonnet-4-5"  # type: ignore[union-attr]
    rendered = render_json(tool.tool_use.input, ctx)  # type: ignore[union-attr]
    assert rendered["said"] == "ping" and rendered["word"] and "{{" not in rendered["word"]


# ---------------------------------------------------------------- refused at load


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("faker.no_such_provider", "Faker has no provider 'no_such_provider'"),
        ("__import__('os')", "only faker providers can be called"),
        ("__import__('os').system('id')", "only faker providers can be called"),
        ("faker.word.__class__", "expected faker.<provider>, request.<field> or request.headers['name']"),
        ("faker.__class__", "Faker has no provider '__class__'"),
        ("faker.word(x)", "arguments must be literals"),
        ("faker.word(**{'a': 1})", "**kwargs are not allowed"),
        ("faker.paragraph(nb_sentence=2)", "got an unexpected keyword argument 'nb_sentence'"),
        ("faker.random_int(5, 1)", "fails when called: ValueError: empty range"),  # binds, fails when called
        ("faker.paragraph(nb_sentences='x')", "fails when called: TypeError"),
        ("faker.seed(0)", "Faker has no provider 'seed'"),  # reseeding would break every seed
        ("faker.seed_instance(1)", "Faker has no provider 'seed_instance'"),
        ("faker.format('__class__')", "Faker has no provider 'format'"),  # reaches attributes by name
        ("faker.random", "Faker has no provider 'random'"),
        # Providers that call providers by name (and so reach seed_instance, format, …) or make binary data.
        ("faker.json", "faker.json is not allowed in templates"),
        ("faker.json(data_columns=[('x', 'seed_instance')])", "faker.json is not allowed in templates"),
        ("faker.pystr_format('?#')", "faker.pystr_format is not allowed in templates"),
        ("faker.pydict(value_types=['seed_instance'])", "faker.pydict is not allowed in templates"),
        ("faker.dsv", "faker.dsv is not allowed in templates"),
        ("faker.binary(length=300000000.0)", "faker.binary is not allowed in templates"),
        ("faker.zip", "faker.zip is not allowed in templates"),
        # Sizes bounded at load: one call must not fill memory on every request.
        ("faker.pystr(max_chars=1000000000)", "max_chars=1000000000 is over the limit of 65,536"),
        ("faker.pystr(max_chars=3e8)", "max_chars=300000000.0 is over the limit of 65,536"),
        ("faker.paragraph(nb_sentences=10000)", "nb_sentences=10000 is over the limit of 1,000"),
        ("faker.words(5000)", "nb=5000 is over the limit of 1,000"),  # positional arguments too
        ("faker.texts(1000, 200)", "characters, over the limit of 65,536"),  # arguments in bounds, output not
        ("request.body", "unknown request field 'body'"),
        ("request.headers", "unknown request field 'headers'"),
        ("request.headers[0]", "expected faker.<provider>"),
        ("open('/etc/passwd').read()", "only faker providers can be called"),
        ("1 +", "not an expression"),
        ("[c for c in ().__class__.__bases__]", "expected faker.<provider>"),
    ],
)
def test_bad_expression_is_refused_with_its_reason(expression: str, reason: str) -> None:
    with pytest.raises(TemplateError) as caught:
        Template.parse(f"before {{{{ {expression} }}}} after")
    assert str(caught.value).startswith(f"{{{{ {expression} }}}}: ")
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("It printed {{ request.tool_result }.", "'{{ request.tool_result }.'"),  # one brace short
        ("It printed {{ request.tool_result", "'{{ request.tool_result'"),
        ("{{ faker.word }} and then {{ faker.word", "'{{ faker.word'"),  # after a good expression
        ("first line {{ oops\nsecond line", "'{{ oops'"),  # shown up to its line's end
    ],
)
def test_an_unclosed_expression_is_refused_instead_of_sent_verbatim(source: str, shown: str) -> None:
    with pytest.raises(TemplateError) as caught:
        Template.parse(source)
    assert str(caught.value) == f"{shown}: {{{{ is never closed with }}}} (a literal {{{{ is written {{{{ '{{{{' }}}})"


@pytest.mark.parametrize(
    ("source", "rendered"),
    [
        ('{"a": {"b": 1}}', '{"a": {"b": 1}}'),  # JSON text, as a structured-output reply holds
        ("a } and }} alone", "a } and }} alone"),
        ("{ single }", "{ single }"),
        ("{{ '{{' }} escaped", "{{ escaped"),
    ],
)
def test_braces_that_open_no_expression_are_literal_text(source: str, rendered: str) -> None:
    assert render(source, view()) == rendered


def test_bad_template_in_a_file_is_reported_at_load_with_line_and_path() -> None:
    text = textwrap.dedent(
        """\
        rules:
          - reply: "fine {{ faker.word }}"
          - reply:
              - text: "{{ faker.nope }}"
          - reply:
              - tool_use: {name: t, input: {q: ["{{ __import__('os') }}"]}}
          - reply:
              - server_tool_use: {input: {query: "{{ faker.nope }}"}}
          - reply: "The command printed {{ request.tool_result }."
        """
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, "s.yaml")
    problems = [str(p) for p in caught.value.problems]
    assert problems == [
        "s.yaml:4: rules[1].reply[0].text: {{ faker.nope }}: Faker has no provider 'nope'",
        "s.yaml:6: rules[2].reply[0].tool_use.input: {{ __import__('os') }}: only faker providers can be called",
        "s.yaml:8: rules[3].reply[0].server_tool_use.input: {{ faker.nope }}: Faker has no provider 'nope'",
        "s.yaml:9: rules[4].reply[0].text: '{{ request.tool_result }.': {{ is never closed with }} "
        "(a literal {{ is written {{ '{{' }})",
    ]


def test_no_code_runs_when_parsing_or_rendering(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    hostile = f"{{{{ __import__('os').system('touch {canary}') }}}}"
    with pytest.raises(TemplateError):
        Template.parse(hostile)
    assert not canary.exists()

    # Templates are read from the AST (ast.parse), never evaluated: with eval and exec gone, all still works.
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("templates must not evaluate code")

    for name in ("eval", "exec"):
        monkeypatch.setattr(builtins, name, forbidden)
    Template.parse.cache_clear()  # type: ignore[attr-defined]
    source = "{{ faker.random_int(2, 2) }} {{ request.model }} {{ request.headers['x-a'] }}"
    assert render(source, view(headers={"x-a": "b"})) == "2 claude-sonnet-4-5 b"
