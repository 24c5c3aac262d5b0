"""The scenario loader: YAML in, a Scenario out, or every problem with its file, line and path."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest

from mockgw.scenario import loader
from mockgw.scenario.loader import (
    Problem,
    ScenarioError,
    list_bundled,
    load_scenario_data,
    load_scenario_file,
    load_scenario_text,
    load_scenarios,
    resolve_source,
)
from mockgw.scenario.schema import TextReply


def yaml_text(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(yaml_text(text), encoding="utf-8")
    return path


def problems_of(text: str, source: str = "s.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(yaml_text(text), source)
    return [str(p) for p in caught.value.problems]


@pytest.fixture
def bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for the bundled scenarios folder, so tests don't depend on the real files."""
    folder = tmp_path / "bundled"
    folder.mkdir()
    write(folder, "hello.yaml", 'description: "Says hello.\\nMore detail."\nrules: [{reply: hello}]\n')
    write(folder, "weather.yaml", "description: Calls get_weather.\nrules: [{reply: sunny}]\n")
    monkeypatch.setattr(loader, "bundled_dir", lambda: folder)
    return folder


GOOD = """
    name: weather
    description: Claude calls get_weather.
    seed: 7
    models: [anthropic/claude-sonnet-4.5]
    rules:
      - name: ask-tool
        match:
          last_user: weather
          tools: get_weather
        reply:
          - text: "Let me look that up."
          - tool_use: {name: get_weather, input: {city: Paris}}
      - reply: "It is {{ faker.word }}."
"""


def test_good_file_loads(tmp_path: Path) -> None:
    scenario = load_scenario_file(write(tmp_path, "weather.yaml", GOOD))
    assert scenario.name == "weather"
    assert scenario.seed == 7
    assert [m.id for m in scenario.models or []] == ["anthropic/claude-sonnet-4.5"]
    first, fallback = scenario.rules
    assert first.match is not None and first.match.tools is not None
    assert first.match.tools.includes == ["get_weather"]
    assert [type(b).__name__ for b in first.reply or []] == ["TextReply", "ToolUseReply"]
    assert isinstance(fallback.reply, list) and isinstance(fallback.reply[0], TextReply)


def test_name_defaults_to_file_stem(tmp_path: Path) -> None:
    scenario = load_scenario_file(write(tmp_path, "flaky.yaml", "rules: [{reply: hi}]\n"))
    assert scenario.name == "flaky"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            """
            rules:
              - reply: hi
              - match:
                  last_usr: {contains: x}
                reply: ok
            """,
            "s.yaml:4: rules[1].match: unknown key 'last_usr' (did you mean 'last_user'?)",
            id="unknown-key-with-suggestion",
        ),
        pytest.param(
            """
            rules:
              - reply:
                  - tool_use: {input: {city: Paris}}
            """,
            "s.yaml:3: rules[0].reply[0].tool_use: missing key 'name'",
            id="missing-key-without-union-tag",
        ),
        pytest.param(
            """
            rules:
              - reply: hi
                then: loop
            """,
            "s.yaml:3: rules[0].then: Input should be 'repeat' or 'cycle' (got 'loop')",
            id="wrong-value",
        ),
        pytest.param(
            """
            seed: seven
            """,
            "s.yaml:1: seed: Input should be a valid integer, unable to parse string as an integer (got 'seven')",
            id="wrong-type",
        ),
        pytest.param(
            """
            rules:
              - match: {last_user: {regex: "("}}
                reply: hi
            """,
            "s.yaml:2: rules[0].match.last_user: bad regex '(': missing ): ( "
            '(RE2 syntax; see docs/scenarios.md, "Regexes")',
            id="bad-regex",
        ),
        pytest.param(
            """
            rules:
              - reply: "{{ faker.nope }}"
            """,
            "s.yaml:2: rules[0].reply[0].text: {{ faker.nope }}: Faker has no provider 'nope'",
            id="bad-template",
        ),
        pytest.param(
            """
            rules:
              - reply: [{txt: hi}]
            """,
            "s.yaml:2: rules[0].reply: a reply block has exactly one of the keys text, thinking, "
            "redacted_thinking, tool_use, server_tool_use, web_search_tool_result, json, web_fetch_tool_result, "
            "code_execution_tool_result, bash_code_execution_tool_result, text_editor_code_execution_tool_result, "
            "tool_search_tool_result, mcp_tool_use, mcp_tool_result, container_upload, compaction; got ['txt']",
            id="bad-reply-block-key",
        ),
        pytest.param(
            """
            rules:
              - reply: one
                reply: two
            """,
            "s.yaml:3: rules[0]: duplicate key 'reply'",
            id="duplicate-key",
        ),
        pytest.param(
            """
            rules:
              - reply: [hi
            name: x
            """,
            "s.yaml:3: expected ',' or ']', but got ':' (while parsing a flow sequence at line 2)",
            id="yaml-syntax-error",
        ),
        pytest.param(
            "rules:\n  - reply: !!python/object/apply:os.system [echo]\n",
            "s.yaml:2: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'",
            id="python-tags-refused-by-safe-loading",
        ),
        pytest.param("", "s.yaml:1: empty scenario file", id="empty-file"),
        pytest.param("# only a comment\n", "s.yaml:1: empty scenario file", id="comment-only"),
        pytest.param("- reply: hi\n", "s.yaml:1: a scenario is a mapping with rules: [...]", id="list-top-level"),
        pytest.param(
            """
            rules:
              - match: {header: {X-Case: {eqals: a}}}
                reply: hi
            """,
            "s.yaml:2: rules[0].match.header.x-case: unknown key 'eqals' (did you mean 'equals'?)",
            id="unknown-key-in-a-dict-value",
        ),
        pytest.param(
            """
            rules:
              - match: {turn: {gtee: 2}}
                reply: hi
            """,
            "s.yaml:2: rules[0].match.turn: unknown key 'gtee' (did you mean 'gte'?)",
            id="unknown-key-inside-a-smart-union",
        ),
    ],
)
def test_one_mistake_is_one_exact_problem(text: str, expected: str) -> None:
    assert problems_of(text) == [expected]


def test_a_value_fitting_no_union_member_reports_each_member() -> None:
    assert problems_of("rules:\n  - match: {turn: soon}\n    reply: hi\n") == [
        "s.yaml:2: rules[0].match.turn: "
        "Input should be a valid integer, unable to parse string as an integer (got 'soon')",
        "s.yaml:2: rules[0].match.turn: expected a mapping (got 'soon')",
    ]


def test_several_problems_in_one_file_are_all_reported_in_line_order() -> None:
    problems = problems_of(
        """
        rules:
          - match: {last_usr: x}
            reply: hi
          - reply: one
            reply: two
            times: 0
        modelz: []
        """
    )
    assert problems == [
        "s.yaml:2: rules[0].match: unknown key 'last_usr' (did you mean 'last_user'?)",
        "s.yaml:5: rules[1]: duplicate key 'reply'",
        "s.yaml:6: rules[1].times: Input should be greater than or equal to 1 (got 0)",
        "s.yaml:7: unknown key 'modelz' (did you mean 'models'?)",
    ]


def test_every_problem_from_yaml_carries_a_line() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text("rules:\n  - {}\n  - match: 3\n  - reply: [{tool_use: {nme: x}}]\n")
    assert caught.value.problems
    assert all(p.line is not None for p in caught.value.problems)


def test_a_header_named_like_its_parent_key_is_kept_in_the_path() -> None:
    problems = problems_of("rules:\n  - match: {header: {header: {eqals: a}}}\n    reply: hi\n")
    assert problems == ["s.yaml:2: rules[0].match.header.header: unknown key 'eqals' (did you mean 'equals'?)"]


def test_tool_input_path_skips_json_value_tags() -> None:
    problems = problems_of("rules:\n  - reply: [{tool_use: {name: n, input: {a: [1, {b: 2024-01-01}]}}}]\n")
    assert problems == ["s.yaml:2: rules[0].reply[0].tool_use.input.a[1].b: input was not a valid JSON value"]


def test_control_character_is_a_located_problem() -> None:
    assert problems_of("name: ok\ndescription: \x07\n") == [
        "s.yaml:2: unacceptable character #x0007: special characters are not allowed"
    ]


def test_data_problems_have_no_lines() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_data({"rules": [{"match": {"last_usr": "x"}, "reply": "hi"}]})
    assert [str(p) for p in caught.value.problems] == [
        "<dict>: rules[0].match: unknown key 'last_usr' (did you mean 'last_user'?)"
    ]


def test_data_must_be_a_mapping() -> None:
    with pytest.raises(ScenarioError, match=r"^<dict>: a scenario is a mapping with rules: \[\.\.\.\]$"):
        load_scenario_data(["rules"])


def test_good_data_loads() -> None:
    assert load_scenario_data({"name": "d", "rules": [{"reply": "hi"}]}).name == "d"


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (Problem("s.yaml", 3, "rules[1]", "bad"), "s.yaml:3: rules[1]: bad"),
        (Problem("s.yaml", None, "rules[1]", "bad"), "s.yaml: rules[1]: bad"),
        (Problem("s.yaml", 3, "", "bad"), "s.yaml:3: bad"),
        (Problem("", None, "", "bad"), "bad"),
    ],
)
def test_problem_text_omits_empty_parts(problem: Problem, text: str) -> None:
    assert str(problem) == text


def test_scenario_error_is_one_problem_per_line_and_pickles() -> None:
    error = ScenarioError([Problem("a.yaml", 1, "", "x"), Problem("b.yaml", 2, "seed", "y")])
    assert str(error) == "a.yaml:1: x\nb.yaml:2: seed: y"
    assert pickle.loads(pickle.dumps(error)).problems == error.problems


def test_missing_file_is_one_clear_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as caught:
        load_scenario_file(missing)
    assert [str(p) for p in caught.value.problems] == [f"{missing}: no such file"]


def test_files_combine_in_order(tmp_path: Path) -> None:
    first = write(
        tmp_path,
        "a.yaml",
        """
        description: first
        models: [m-1, m-2]
        auth: {keys: [k1]}
        rules: [{name: a1, reply: a}, {name: a2, reply: a}]
        """,
    )
    second = write(
        tmp_path,
        "b.yaml",
        """
        name: named-second
        description: second
        seed: 3
        strict_models: true
        threads: false
        models: [m-2, m-3]
        auth: {keys: [k1, k2], oidc: true}
        rules: [{name: b1, reply: b}]
        """,
    )
    combined = load_scenarios([first, str(second)])
    assert [r.name for r in combined.rules] == ["a1", "a2", "b1"]
    assert combined.name == "named-second"  # the first file that sets it; a stem is only a fallback
    assert combined.description == "first"
    assert combined.seed == 3
    assert combined.strict_models is True
    assert combined.threads is False
    assert [m.id for m in combined.models or []] == ["m-1", "m-2", "m-3"]
    assert combined.auth is not None
    assert combined.auth.keys == ["k1", "k2"]
    assert combined.auth.oidc is True


def test_combined_name_falls_back_to_the_first_files_stem(tmp_path: Path) -> None:
    first = write(tmp_path, "first.yaml", "rules: [{reply: a}]\n")
    second = write(tmp_path, "second.yaml", "rules: [{reply: b}]\n")
    combined = load_scenarios([first, second])
    assert combined.name == "first"
    assert combined.auth is None and combined.models is None


def test_problems_of_all_files_are_raised_together(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", "rules: [{reply: a}]\n")
    bad = write(tmp_path, "bad.yaml", "rules:\n  - reply: b\n    tims: 2\n")
    worse = write(tmp_path, "worse.yaml", "seed: x\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenarios([good, bad, worse])
    assert [str(p) for p in caught.value.problems] == [
        f"{bad}:3: rules[0]: unknown key 'tims' (did you mean 'times'?)",
        f"{worse}:1: seed: Input should be a valid integer, unable to parse string as an integer (got 'x')",
    ]


def test_a_folder_loads_its_yaml_files_sorted_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    write(folder, "b.yml", "rules: [{name: b, reply: b}]\n")
    write(folder, "a.yaml", "rules: [{name: a, reply: a}]\n")
    write(folder, "c.yaml", "rules: [{name: c, reply: c}]\n")
    write(folder, "notes.txt", "not yaml")
    assert [p.name for p in resolve_source(folder)] == ["a.yaml", "b.yml", "c.yaml"]
    assert [r.name for r in load_scenarios([folder]).rules] == ["a", "b", "c"]


def test_a_folder_without_yaml_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="folder has no"):
        resolve_source(tmp_path)


def test_an_empty_source_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"^empty source"):
        resolve_source("")


def test_a_bundled_name_resolves(bundled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_source("weather") == [bundled / "weather.yaml"]
    assert load_scenarios(["weather"]).name == "weather"


def test_no_sources_load_the_default_hello(bundled: Path) -> None:
    scenario = load_scenarios([])
    assert scenario.name == "hello"
    assert scenario.description == "Says hello.\nMore detail."


def test_an_existing_path_wins_over_a_bundled_name(
    bundled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "hello", "rules: [{reply: local}]\n")
    assert resolve_source("hello") == [Path("hello")]


@pytest.mark.parametrize("name", ["../secret", "sub/hello", "hello.yaml", "hello world"])
def test_names_that_are_not_plain_bundled_names_are_refused(
    name: str, bundled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ../secret.yaml sits right next to the bundled folder: a name must never reach it.
    write(tmp_path, "secret.yaml", "rules: [{reply: secret}]\n")
    (bundled / "sub").mkdir()
    write(bundled / "sub", "hello.yaml", "rules: [{reply: nested}]\n")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(ScenarioError) as caught:
        resolve_source(name)
    assert [str(p) for p in caught.value.problems] == [
        f"no such file, folder or bundled scenario: {name!r} (bundled: hello, weather)"
    ]


def test_unknown_sources_and_bad_files_are_reported_together(bundled: Path, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "")
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(["nope", bad])
    assert [str(p) for p in caught.value.problems] == [
        "no such file, folder or bundled scenario: 'nope' (bundled: hello, weather)",
        f"{bad}:1: empty scenario file",
    ]


def test_list_bundled_gives_names_and_first_description_lines(bundled: Path) -> None:
    write(bundled, "broken.yaml", "rules: [\n")
    assert list_bundled() == [("broken", ""), ("hello", "Says hello."), ("weather", "Calls get_weather.")]


def test_bundled_dir_is_the_repo_scenarios_folder_outside_a_wheel() -> None:
    import mockgw

    package = Path(mockgw.__file__).parent
    expected = package / "_bundled" if (package / "_bundled").is_dir() else package.parent / "scenarios"
    assert loader.bundled_dir() == expected


def test_error_details_take_any_json_value() -> None:
    scenario = load_scenario_text(
        yaml_text(
            """
            rules:
              - error: {status: 529, details: {error_code: overloaded, n: [1, 2.5, null, true]}}
              - sequence: [{reply: hi, fault: {after_events: 1, error: {details: [x]}}}]
            """
        ),
        "s.yaml",
    )

    error, step = scenario.rules[0].error, scenario.rules[1].sequence
    assert error is not None and error.details == {"error_code": "overloaded", "n": [1, 2.5, None, True]}
    assert step is not None and step[0].fault is not None and step[0].fault.error is not None
    assert step[0].fault.error.details == ["x"]


def test_error_details_that_json_cannot_carry_are_a_located_problem() -> None:
    text = """
        rules:
          - error:
              status: 529
              details: {when: 2024-01-01}
        """
    assert problems_of(text) == ["s.yaml:4: rules[0].error.details.when: input was not a valid JSON value"]


# ---------------------------------------------------------------- two YAML readers, one result


def _lines(node: object) -> list[tuple[str, int, int]]:
    """Every node's kind and start line/column, depth first: where reports point."""
    import yaml

    out: list[tuple[str, int, int]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        assert isinstance(current, yaml.Node)
        out.append((type(current).__name__, current.start_mark.line, current.start_mark.column))
        if isinstance(current, yaml.MappingNode):
            stack.extend(n for pair in current.value for n in pair)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return out


@pytest.mark.parametrize("path", sorted(Path("scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_libyaml_reads_every_bundled_scenario_as_the_pure_python_reader_does(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast_data, fast_root, fast_problems = loader._read_with(loader._FastLoader, text, str(path))
    slow_data, slow_root, slow_problems = loader._read_with(loader._SafeLoader, text, str(path))
    assert fast_data == slow_data
    assert _lines(fast_root) == _lines(slow_root)
    assert fast_problems == slow_problems


def test_a_well_formed_file_is_read_by_libyaml_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def pure_reader(text: str) -> None:
        raise AssertionError("the pure-Python reader was used for a well-formed file")

    monkeypatch.setattr(loader, "_SafeLoader", pure_reader)
    assert load_scenario_text("rules:\n  - reply: hi\n").rules[0].reply is not None


@pytest.mark.parametrize(
    "text",
    ["rules:\n  - reply: hi\n  - reply: \ud800\n", "rules:\n  - reply: hi\x07\n", "rules: [\n", "a: 1\na: 2\n"],
    ids=["lone-surrogate", "control-character", "unclosed-flow", "duplicate-key"],
)
def test_a_file_with_a_problem_is_reported_as_the_pure_python_reader_reports_it(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _, problems = loader._parse_yaml(text, "s.yaml")
    monkeypatch.setattr(loader, "_CParser", None)  # as on a PyYAML without libyaml: the pure reader only
    pure_data, _, pure_problems = loader._parse_yaml(text, "s.yaml")
    assert problems, "each of these files has a problem to report"
    assert (data, problems) == (pure_data, pure_problems)
