"""Constraints an SDK moved into a schema's description, read back so that ``json: auto`` keeps to them.

The three forms are the SDKs' own: anthropic (Python) ``transform_schema`` and @anthropic-ai/sdk
``transformJSONSchema`` append ``{key: value, …}``; @ai-sdk/anthropic ``sanitizeJsonSchema`` appends
``key words: value; ….``.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from mockgw.core.jsonschema_gen import Generator, can_write, generate
from mockgw.core.schema_hints import hints, with_hints
from mockgw.core.structured import generate_valid


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        pytest.param("Seats\n\n{minimum: 1, maximum: 50}", {"minimum": 1, "maximum": 50}, id="python"),
        pytest.param(
            "{pattern: ^[A-Z]{3}-\\d+$, maxLength: 9}",
            {"pattern": "^[A-Z]{3}-\\d+$", "maxLength": 9},
            id="python-pattern",
        ),
        pytest.param('{pattern: "^[A-Z]{2}$", minItems: 3}', {"pattern": "^[A-Z]{2}$", "minItems": 3}, id="typescript"),
        pytest.param("Seats\nminimum: 1; maximum: 50.", {"minimum": 1, "maximum": 50}, id="ai-sdk"),
        pytest.param(
            "pattern: ^a{3}$; max items: 5; unique items: true.",
            {"pattern": "^a{3}$", "maxItems": 5, "uniqueItems": True},
            id="ai-sdk-words",
        ),
        pytest.param(
            "{exclusiveMinimum: 0.5, multipleOf: 0.25}", {"exclusiveMinimum": 0.5, "multipleOf": 0.25}, id="floats"
        ),
    ],
)
def test_each_sdks_form_is_read(description: str, expected: dict[str, Any]) -> None:
    assert hints(description) == expected


@pytest.mark.parametrize(
    "description",
    ["A count: how many seats the plan has", "{minimum: lots}", "pattern: (?=x)x.", "{pattern: \\p{L}+}"],
    ids=["prose", "not-a-number", "lookahead", "unicode-class-sre-cannot-write"],
)
def test_what_is_not_a_usable_hint_is_left_out(description: str) -> None:
    assert hints(description, can_write) == {}


def test_a_hint_never_overrides_the_schemas_own_keyword() -> None:
    schema = {"type": "integer", "minimum": 10, "description": "{minimum: 1, maximum: 50}"}
    assert with_hints(schema) == {**schema, "maximum": 50}


@pytest.mark.parametrize(
    ("schema", "holds"),
    [
        ({"type": "integer", "description": "{minimum: 1, maximum: 5}"}, lambda v: 1 <= v <= 5),
        ({"type": "string", "description": "pattern: ^SKU-\\d{4}$."}, lambda v: re.fullmatch(r"SKU-\d{4}", v)),
        ({"type": "array", "items": {"type": "string"}, "description": "max items: 2."}, lambda v: len(v) <= 2),
    ],
    ids=["bounds", "pattern", "max-items"],
)
def test_json_auto_keeps_to_the_hints(schema: dict[str, Any], holds: Any) -> None:
    assert all(holds(generate(schema, random.Random(seed))) for seed in range(40))


def test_hints_that_contradict_the_schema_are_left_aside_rather_than_fail_the_answer() -> None:
    schema = {"type": "string", "format": "email", "description": "The user's email; pattern: ^\\d+$."}
    assert "@" in generate_valid(schema, Generator(random.Random(0)), "reply json: auto")
