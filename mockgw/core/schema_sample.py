"""The smallest JSON value a JSON Schema accepts, for tool input the scenario did not script.

Used when a request forces a tool (``tool_choice``) that the scripted reply does not call: the gateway
calls it with input made from the tool's ``input_schema``, as little as the schema allows. Required
properties only; the first of ``enum``/``const``/``default``/``examples`` when given; the first branch of
``anyOf``/``oneOf``; local ``$ref`` (``#/$defs/…``, ``#/definitions/…``) followed; ``minLength``,
``minItems`` and ``minimum`` honoured. ``pattern`` and ``multipleOf`` are not solved (no generator can in
general); depth is bounded, so a recursive schema ends in ``null``.
"""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 24
MAX_ITEMS = 64  # minItems above this is clipped: the reply stays small whatever the schema asks

_FORMATS = {
    "date-time": "1970-01-01T00:00:00Z",
    "date": "1970-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "ipv4": "127.0.0.1",
    "hostname": "example.com",
}


def _safe(value: Any) -> Any:
    # Strings in a tool_use input are rendered as templates: a schema value holding "{{" would be read as one.
    if isinstance(value, str) and "{{" in value:
        return ""
    if isinstance(value, list):
        return [_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _safe(v) for k, v in value.items()}
    return value


def resolve_ref(ref: str, root: Any) -> Any:
    """What a local ``$ref`` (``#``, ``#/$defs/…``, JSON Pointer escapes) points at in ``root``; None when it
    points outside the document or at nothing. Both schema generators (this one and ``jsonschema_gen``) use it."""
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    low = schema.get("minimum")
    exclusive = schema.get("exclusiveMinimum")
    high = schema.get("maximum")
    value: float = 0
    if isinstance(low, int | float) and not isinstance(low, bool):
        value = low
    elif isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
        value = math.floor(exclusive) + 1 if integer else exclusive + 1
    elif isinstance(high, int | float) and not isinstance(high, bool) and high < 0:
        value = high
    return math.ceil(value) if integer else value


def _sample(schema: Any, root: dict[str, Any], depth: int) -> Any:
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = resolve_ref(ref, root)
        return _sample(target, root, depth + 1) if target is not None else None
    for key in ("const", "default"):
        if key in schema:
            return _safe(schema[key])
    for key in ("enum", "examples"):
        values = schema.get(key)
        if isinstance(values, list) and values:
            return _safe(values[0])
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            # Prefer a branch that is not just null: a tool's caller wants a value.
            useful = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
            return _sample((useful or branches)[0], root, depth + 1)
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and all_of:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in all_of:
            part = resolve_ref(part["$ref"], root) if isinstance(part, dict) and "$ref" in part else part
            if isinstance(part, dict):
                merged.setdefault("properties", {}).update(part.get("properties", {}))
                merged["required"] = [*merged.get("required", []), *part.get("required", [])]
                for k, v in part.items():
                    merged.setdefault(k, v)
        return _sample(merged, root, depth + 1)

    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else None
    if kind == "object":
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = schema.get("required")
        names = [n for n in required if isinstance(n, str)] if isinstance(required, list) else []
        return {name: _sample(properties.get(name, {}), root, depth + 1) for name in names}
    if kind == "array":
        count = schema.get("minItems")
        count = min(count, MAX_ITEMS) if isinstance(count, int) and not isinstance(count, bool) else 0
        return [_sample(schema.get("items", {}), root, depth + 1) for _ in range(count)]
    if kind == "string":
        fmt = schema.get("format")
        if isinstance(fmt, str) and fmt in _FORMATS:
            return _FORMATS[fmt]
        length = schema.get("minLength")
        return "x" * min(length, 1024) if isinstance(length, int) and not isinstance(length, bool) else ""
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "boolean":
        return False
    return None


def minimal_instance(schema: Any) -> Any:
    """The smallest value ``schema`` accepts, as far as the rules in the module docstring go."""
    return _sample(schema, schema if isinstance(schema, dict) else {}, 0)


def minimal_tool_input(schema: Any) -> dict[str, Any]:
    """Tool input for a tool with this ``input_schema``: always an object, as the API's tool_use input is."""
    value = minimal_instance(schema) if schema is not None else {}
    return value if isinstance(value, dict) else {}
