"""One template expansion gives at most MAX_EXPANSION_CHARS characters: cut with a marker and a journal note."""

from __future__ import annotations

from typing import Any

import pytest

from mockgw.core.engine import Engine, RenderContext
from mockgw.core.request import RequestView
from mockgw.faces.anthropic.validation import validate_message_request
from mockgw.scenario.schema import Scenario
from mockgw.scenario.templates import MAX_EXPANSION_CHARS, Template, cut_marker, render_json


def context(tool_result: str) -> RenderContext:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "read", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": tool_result}]},
    ]
    body = {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": messages}
    return Engine(Scenario(), seed=1).context(RequestView(validate_message_request(body)))


@pytest.mark.parametrize("size", [0, 10, MAX_EXPANSION_CHARS - len("Read: ")])
def test_an_expansion_within_the_limit_is_whole_and_noted_nowhere(size: int) -> None:
    ctx = context("r" * size)
    assert Template.parse("Read: {{ request.tool_result }}").render(ctx) == "Read: " + "r" * size
    assert ctx.notes == []


def test_an_echo_of_a_huge_tool_result_is_cut_with_a_marker_and_a_note() -> None:
    ctx = context("r" * 1_000_000)
    text = Template.parse("Read: {{ request.tool_result }}!").render(ctx)
    total = len("Read: ") + 1_000_000 + 1
    assert text == "Read: " + "r" * (MAX_EXPANSION_CHARS - len("Read: ")) + cut_marker(total)
    assert cut_marker(total) == f"… [mockgw: cut to 65536 of {total} characters]"
    assert ctx.notes == [
        f"a template expansion made {total} characters and was cut to 65536 (the most one expansion gives): "
        "'Read: {{ request.tool_result }}!'"
    ]


def test_many_echoes_in_one_template_are_cut_as_one_expansion() -> None:
    ctx = context("r" * 40_000)
    text = Template.parse("{{ request.tool_result }}" * 50).render(ctx)
    assert text == "r" * MAX_EXPANSION_CHARS + cut_marker(50 * 40_000)
    assert len(ctx.notes) == 1


def test_each_string_of_tool_input_is_its_own_expansion() -> None:
    ctx = context("r" * 100_000)
    rendered = render_json({"a": "{{ request.tool_result }}", "b": ["{{ request.tool_result }}"]}, ctx)
    assert rendered["a"] == rendered["b"][0] == "r" * MAX_EXPANSION_CHARS + cut_marker(100_000)
    assert len(ctx.notes) == 2


def test_the_scenarios_own_literal_text_is_never_cut() -> None:
    ctx = context("")
    long_text = "scenario text " * 10_000
    assert Template.parse(long_text).render(ctx) == long_text
    assert ctx.notes == []
