"""``json: auto`` and ``input: auto``: values generated from a JSON Schema, checked by a real validator.

The property: whatever schema (within what the generator documents) a request sends, the generated value is
one ``jsonschema`` accepts. The examples show each keyword honoured, and that a seed fixes the value.
"""

from __future__ import annotations

import random
import re
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockgw.core.jsonschema_gen import Generator, PatternError, generate
from mockgw.core.structured import ReplyMismatch, generate_valid, problems


def valid(value: Any, schema: dict[str, Any]) -> bool:
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return not list(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(value))


# ---------------------------------------------------------------- schemas hypothesis draws

_FORMATS = ["date-time", "date", "time", "email", "hostname", "uri", "ipv4", "ipv6", "uuid", "duration"]
_PATTERNS = [r"^[A-Z]{3}-\d{4}$", r"^(yes|no)$", r"[a-f0-9]{8}", r"^\w+@\w+\.com$", r"^v\d+\.\d+(\.\d+)?$"]


def _bounded_number(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    def make(low: int, span: int, exclusive: bool, step: int | None) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": kind}
        schema["exclusiveMinimum" if exclusive else "minimum"] = low
        schema["maximum"] = low + span + (step or 1) * 2
        if step is not None:
            schema["multipleOf"] = step
        return schema

    return st.builds(make, st.integers(-1000, 1000), st.integers(0, 500), st.booleans(), st.none() | st.integers(1, 7))


_LEAVES: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.just({"type": "string"}),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.builds(lambda f: {"type": "string", "format": f}, st.sampled_from(_FORMATS)),
    st.builds(lambda p: {"type": "string", "pattern": p}, st.sampled_from(_PATTERNS)),
    st.builds(
        lambda lo, n: {"type": "string", "minLength": lo, "maxLength": lo + n}, st.integers(0, 20), st.integers(0, 20)
    ),
    st.builds(
        lambda e: {"enum": e}, st.lists(st.text(max_size=5) | st.integers(), min_size=1, max_size=4, unique=True)
    ),
    st.builds(lambda c: {"const": c}, st.text(max_size=6) | st.integers() | st.booleans()),
    _bounded_number("integer"),
    _bounded_number("number"),
)


def _extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    names = st.text(alphabet="abcdefghij_", min_size=1, max_size=6)

    def obj(props: dict[str, dict[str, Any]], required: list[bool]) -> dict[str, Any]:
        keys = list(props)
        req = [k for k, r in zip(keys, required, strict=False) if r]
        return {"type": "object", "properties": props, "required": req, "additionalProperties": False}

    def arr(items: dict[str, Any], low: int, span: int) -> dict[str, Any]:
        return {"type": "array", "items": items, "minItems": low, "maxItems": low + span}

    return st.one_of(
        st.builds(obj, st.dictionaries(names, children, max_size=5), st.lists(st.booleans(), max_size=5)),
        st.builds(arr, children, st.integers(0, 3), st.integers(0, 3)),
        st.builds(lambda bs: {"anyOf": bs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda b: {"allOf": [b]}, children),
        st.builds(lambda t: {"type": [t["type"], "null"]} if isinstance(t.get("type"), str) else t, children),
    )


def _referenced(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema moved under the root's ``$defs`` and reached by ``$ref``, as pydantic and zod write them."""
    return {"$defs": {"it": schema}, "$ref": "#/$defs/it"}


SCHEMAS = st.recursive(_LEAVES, _extend, max_leaves=12)
SCHEMAS = SCHEMAS | SCHEMAS.map(_referenced)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=SCHEMAS, seed=st.integers(0, 2**32))
def test_json_auto_is_valid_for_generated_schemas(schema: dict[str, Any], seed: int) -> None:
    value = generate(schema, random.Random(seed))
    assert valid(value, schema), (schema, value)


@settings(max_examples=50, deadline=None)
@given(schema=SCHEMAS, seed=st.integers(0, 2**32))
def test_the_same_seed_generates_the_same_value(schema: dict[str, Any], seed: int) -> None:
    assert generate(schema, random.Random(seed)) == generate(schema, random.Random(seed))


# ---------------------------------------------------------------- each keyword, by example

DEFS = {
    "$defs": {"point": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}},
    "type": "object",
    "properties": {"at": {"$ref": "#/$defs/point"}, "path": {"type": "array", "items": {"$ref": "#/$defs/point"}}},
    "required": ["at", "path"],
}
RECURSIVE = {
    "$defs": {
        "node": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            },
            "required": ["name", "children"],
        }
    },
    "$ref": "#/$defs/node",
}


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "string", "format": "email"}, id="email"),
        pytest.param({"type": "string", "format": "date-time"}, id="date-time"),
        pytest.param({"type": "string", "format": "uuid"}, id="uuid"),
        pytest.param({"type": "string", "pattern": r"^[A-Z]{3}-\d{4}$"}, id="pattern"),
        pytest.param({"type": "integer", "minimum": 5, "maximum": 6}, id="integer-bounds"),
        pytest.param({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}, id="exclusive-bounds"),
        pytest.param({"type": "integer", "multipleOf": 15, "minimum": 1, "maximum": 100}, id="multipleOf"),
        pytest.param({"type": "array", "items": {"enum": [1, 2, 3]}, "minItems": 3, "uniqueItems": True}, id="unique"),
        pytest.param({"type": "array", "items": {"type": "string"}, "minItems": 20}, id="minItems-over-default"),
        pytest.param(
            {"type": "object", "minProperties": 2, "additionalProperties": {"type": "integer"}}, id="minProps"
        ),
        pytest.param(DEFS, id="$ref-$defs"),
        pytest.param(RECURSIVE, id="recursive-$ref"),
        pytest.param(
            {"allOf": [{"properties": {"a": {"type": "string"}}, "required": ["a"]}, {"required": ["b"]}]}, id="allOf"
        ),
        pytest.param({"oneOf": [{"type": "integer"}, {"type": "string", "format": "ipv4"}]}, id="oneOf"),
        pytest.param({"type": "object", "properties": {"v": {"const": "fixed"}}, "required": ["v"]}, id="const"),
        pytest.param({"type": "string", "minLength": 30, "maxLength": 31}, id="string-length"),
    ],
)
def test_each_keyword_is_honoured(schema: dict[str, Any]) -> None:
    for seed in range(20):
        value = generate(schema, random.Random(seed))
        assert valid(value, schema), (seed, value)


def test_required_properties_are_always_there_and_optional_ones_sometimes() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, "required": ["a"]}
    seen = [generate(schema, random.Random(seed)) for seed in range(30)]
    assert all("a" in v for v in seen)
    assert any("b" in v for v in seen) and any("b" not in v for v in seen)


@pytest.mark.parametrize("pattern", [r"^\d{3}-[a-z]+$", r"^(cat|dog)s?$", r"[^a-z]x", r"^a.c$", r"\bword\b"])
def test_a_pattern_is_written_out_from_the_regex(pattern: str) -> None:
    text = Generator(random.Random(1)).from_regex(pattern)
    assert re.search(pattern, text), text


# zod 4's JSON Schema (the AI SDK's Output.object, the TypeScript SDK's zodOutputFormat) pairs each format
# with its own regex.
ZOD_EMAIL = r"^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$"


@pytest.mark.parametrize(
    ("schema", "plausible"),
    [
        ({"type": "string", "format": "email", "pattern": ZOD_EMAIL}, r"^[a-z]+\.[a-z]+@example\.com$"),
        ({"type": "string", "format": "uuid", "pattern": r"^[0-9a-fA-F-]{36}$"}, r"^[0-9a-f]{8}-[0-9a-f]{4}-4"),
    ],
    ids=["email", "uuid"],
)
def test_a_format_with_a_pattern_gets_the_formats_plausible_value_when_the_pattern_allows(
    schema: dict[str, Any], plausible: str
) -> None:
    value = generate(schema, random.Random(3))
    assert re.search(plausible, value) and valid(value, schema), value


def test_a_format_whose_value_the_pattern_refuses_is_written_from_the_pattern() -> None:
    schema = {"type": "string", "format": "email", "pattern": r"^[A-Z]{2}@corp\.example$"}
    value = generate(schema, random.Random(3))
    assert re.fullmatch(r"[A-Z]{2}@corp\.example", value), value


@pytest.mark.parametrize("pattern", [r"(a)\1", r"^(?=x)x$"])
def test_a_pattern_it_cannot_write_is_named(pattern: str) -> None:
    with pytest.raises(PatternError, match="cannot generate"):
        Generator(random.Random(1)).from_regex(pattern)


def test_a_schema_no_value_fits_is_a_mismatch_naming_the_problem() -> None:
    impossible = {"type": "string", "minLength": 5, "maxLength": 2}
    with pytest.raises(ReplyMismatch, match="could not generate a value the schema accepts"):
        generate_valid(impossible, Generator(random.Random(0)), "reply json: auto")


def test_problems_name_the_path() -> None:
    schema = {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "number"}}}}
    assert problems({"items": [1, "two"]}, schema) == ["$.items[1]: 'two' is not of type 'number'"]
    assert problems({"items": [1, 2]}, schema) == []
