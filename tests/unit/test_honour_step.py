"""The honour step on its own (pure, face-neutral), and the minimal-input maker it uses for forced tools."""

from __future__ import annotations

from typing import Any

import pytest

from mockgw.core.honour import Asks, OfferedTool, honour
from mockgw.core.schema_sample import minimal_instance, minimal_tool_input
from mockgw.scenario.schema import Rule

TOOL_A = OfferedTool("a", {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]})
TOOL_B = OfferedTool("b", {"type": "object"})


def blocks(*reply: Any) -> tuple[Any, ...]:
    rule = Rule.model_validate({"reply": list(reply)})
    assert rule.reply is not None
    return tuple(rule.reply)


def kinds(out: tuple[Any, ...]) -> list[str]:
    return [next(iter(type(b).model_fields)) for b in out]


def test_nothing_asked_nothing_changed() -> None:
    scripted = blocks({"thinking": "t"}, "hi", {"tool_use": {"name": "a"}})
    done = honour(scripted, "tool_use", Asks())
    assert done.blocks == scripted and done.stop_reason == "tool_use"
    assert done.notes == () and not done.omit_thinking


def test_tool_choice_none_recomputes_a_scripted_stop_reason_with_a_note() -> None:
    done = honour(blocks("hi", {"tool_use": {"name": "a"}}), "tool_use", Asks(tool_choice="none"))
    assert kinds(done.blocks) == ["text"]
    assert done.stop_reason is None  # derived at render: end_turn
    assert "stop_reason end_turn, not the scripted tool_use" in done.notes[-1]


def test_tool_choice_none_keeps_an_unrelated_stop_reason() -> None:
    done = honour(blocks("hi", {"tool_use": {"name": "a"}}), "refusal", Asks(tool_choice="none"))
    assert done.stop_reason == "refusal"


def test_tool_choice_none_on_a_call_only_reply_leaves_it_empty_and_says_so() -> None:
    done = honour(blocks({"tool_use": {"name": "a"}}), None, Asks(tool_choice="none"))
    assert done.blocks == ()
    assert "the answer is empty" in done.notes[0]


def test_forced_tool_the_script_lacks_is_generated_from_its_schema() -> None:
    done = honour(blocks("words"), "end_turn", Asks(tool_choice="tool", tool_name="a", tools=(TOOL_B, TOOL_A)))
    (call,) = done.blocks
    assert call.tool_use.name == "a" and call.tool_use.input == {"x": 0}
    assert done.stop_reason is None


def test_forced_tool_not_offered_is_still_called_with_empty_input() -> None:
    done = honour(blocks("words"), None, Asks(tool_choice="tool", tool_name="ghost"))
    assert done.blocks[0].tool_use.name == "ghost" and done.blocks[0].tool_use.input == {}


def test_any_without_tools_leaves_the_reply_and_says_why() -> None:
    done = honour(blocks("words"), None, Asks(tool_choice="any"))
    assert kinds(done.blocks) == ["text"] and "offers no tool" in done.notes[0]


def test_any_prefers_a_client_tool_over_a_server_tool() -> None:
    done = honour(blocks("words"), None, Asks(tool_choice="any", tools=(OfferedTool("web_search"), TOOL_B)))
    assert done.blocks[0].tool_use.name == "b"


def test_thinking_off_drops_thinking_and_redacted_thinking() -> None:
    done = honour(blocks({"thinking": "t"}, {"redacted_thinking": None}, "hi"), None, Asks(thinking="off"))
    assert kinds(done.blocks) == ["text"]


def test_thinking_omitted_keeps_the_blocks_and_asks_render_to_empty_them() -> None:
    scripted = blocks({"thinking": "t"}, "hi")
    done = honour(scripted, None, Asks(thinking="omitted"))
    assert done.blocks == scripted and done.omit_thinking


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, ""),
        ({"type": "string", "minLength": 3}, "xxx"),
        ({"type": "string", "format": "date-time"}, "1970-01-01T00:00:00Z"),
        ({"type": "integer", "minimum": 5}, 5),
        ({"type": "integer", "exclusiveMinimum": 5}, 6),
        ({"type": "number", "maximum": -2}, -2),
        ({"type": "boolean"}, False),
        ({"type": ["null", "string"]}, ""),
        ({"enum": ["b", "a"]}, "b"),
        ({"const": 7}, 7),
        ({"type": "string", "default": "d"}, "d"),
        ({"type": "array", "items": {"type": "integer"}, "minItems": 2}, [0, 0]),
        ({"anyOf": [{"type": "null"}, {"type": "integer"}]}, 0),
        (
            {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, "required": ["b"]},
            {"b": ""},
        ),
        (
            {
                "$defs": {"P": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}},
                "type": "object",
                "properties": {"p": {"$ref": "#/$defs/P"}},
                "required": ["p"],
            },
            {"p": {"n": 0}},
        ),
        ({"allOf": [{"properties": {"a": {"type": "integer"}}, "required": ["a"]}]}, {"a": 0}),
        ({"type": "string", "enum": ["{{ faker.word }}"]}, ""),  # never a template in a tool input
    ],
)
def test_minimal_instance(schema: dict[str, Any], expected: Any) -> None:
    assert minimal_instance(schema) == expected


def test_a_recursive_schema_ends() -> None:
    node = {"type": "object", "properties": {"next": {"$ref": "#"}}, "required": ["next"]}
    value = minimal_instance(node)
    depth = 0
    while isinstance(value, dict):
        value, depth = value["next"], depth + 1
    assert value is None and depth > 10


def test_tool_input_is_always_an_object() -> None:
    assert minimal_tool_input(None) == {}
    assert minimal_tool_input({"type": "string"}) == {}
