"""``include:``: other scenario files merged after the including one, paths relative to it, cycles refused
naming the chain, and every problem reported with its own file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mockgw.scenario.loader import ScenarioError, load_scenario_file, load_scenario_text, load_scenarios


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def replies(path: Path) -> list[str]:
    return [rule.name or "?" for rule in load_scenario_file(path).rules]


def test_included_rules_follow_the_files_own_in_order(tmp_path: Path) -> None:
    write(tmp_path, "lib/errors.yaml", "rules:\n  - {name: overloaded, error: 529}\n")
    write(tmp_path, "lib/fallback.yaml", "initial_state: x\nrules:\n  - {name: fallback, reply: hi}\n")
    main = write(
        tmp_path, "main.yaml", "include: [lib/errors.yaml, lib/fallback.yaml]\nrules:\n  - {name: own, reply: me}\n"
    )
    scenario = load_scenario_file(main)
    assert [r.name for r in scenario.rules] == ["own", "overloaded", "fallback"]
    assert (scenario.name, scenario.initial_state) == ("main", "x")  # a setting from an included file


def test_paths_are_relative_to_the_including_file(tmp_path: Path) -> None:
    write(tmp_path, "lib/a.yaml", "include: deeper/b.yaml\nrules:\n  - {name: a, reply: a}\n")
    write(tmp_path, "lib/deeper/b.yaml", "rules:\n  - {name: b, reply: b}\n")
    main = write(tmp_path, "main.yaml", "include: lib/a.yaml\nrules: []\n")
    assert replies(main) == ["a", "b"]


def test_a_file_included_twice_is_merged_once(tmp_path: Path) -> None:
    write(tmp_path, "shared.yaml", "rules:\n  - {name: shared, reply: s}\n")
    write(tmp_path, "a.yaml", "include: shared.yaml\nrules:\n  - {name: a, reply: a}\n")
    main = write(tmp_path, "main.yaml", "include: [a.yaml, shared.yaml]\nrules: []\n")
    assert replies(main) == ["a", "shared"]
    assert [r.name for r in load_scenarios([main, tmp_path / "shared.yaml"]).rules] == ["a", "shared"]


def test_a_cycle_is_refused_naming_the_chain(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "rules: []\ninclude:\n  - b.yaml\n")
    b = write(tmp_path, "b.yaml", "include: [a.yaml]\nrules: []\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario_file(a)
    chain = f"{a.resolve()} -> {b.resolve()} -> {a.resolve()}"
    assert [str(p) for p in caught.value.problems] == [f"{b}:1: include[0]: an include cycle: {chain}"]


def test_each_problem_keeps_its_own_file_and_line(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "rules:\n  - reply: ok\n  - {match: {last_usr: x}, reply: y}\n")
    main = write(tmp_path, "main.yaml", "include:\n  - bad.yaml\n  - missing.yaml\nrules:\n  - reply: z\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenarios([main])
    # In the order met: the first include's own problem, then the second include's.
    assert [str(p) for p in caught.value.problems] == [
        f"{bad}:3: rules[1].match: unknown key 'last_usr' (did you mean 'last_user'?)",
        f"{main}:3: include[1]: no such file: {tmp_path / 'missing.yaml'} "
        "(include paths are relative to the including file)",
    ]


def test_scenario_text_cannot_include(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text("rules: []\ninclude: [other.yaml]\n", "pasted")
    assert str(caught.value.problems[0]) == (
        "pasted:2: include: only a scenario file can include others (their paths are relative to it)"
    )


def test_mockgw_validate_follows_includes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mockgw.cli.main import main

    bad = write(tmp_path, "lib/bad.yaml", "rules:\n  - {match: {nth: 0.5}, reply: y}\n")
    main_file = write(tmp_path, "main.yaml", "include: [lib/bad.yaml]\nrules:\n  - reply: z\n")
    assert main(["validate", str(main_file)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith(f"{bad}:2: rules[0].match.nth")
    assert lines[-1] == "mockgw: 1 problem; nothing served."
