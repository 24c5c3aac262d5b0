"""Structured outputs: a reply's ``json:`` block and ``tool_use`` ``input: auto``, made and checked against the
request's own schemas when the answer is made.

``json: {...}`` is the scripted object, checked against the request's output schema (``output_config.format``
on the Messages API, ``response_format`` on chat completions, ``text.format`` on responses: each face puts it in
the neutral ``output_config``). ``json: auto`` is an object generated from that schema (``jsonschema_gen``),
seeded. ``tool_use: {name: X, input: auto}`` generates from tool X's ``input_schema`` in the request. Both are
checked with a JSON Schema validator before they are sent: an answer that does not fit is a
``ReplyMismatch`` naming the path (``$.items[0].price``), which the faces turn into a clear 400, never JSON the
client's parser would reject.

Pure: no I/O; randomness from the request's generator and faker (``core.seeds.Draws``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockgw.core.jsonschema_gen import Fake, Generator, PatternError
from mockgw.scenario.schema import JsonReply, ReplyBlock, TextReply, ToolUseReply, ToolUseSpec
from mockgw.scenario.templates import Template, TemplateContext, TemplateError, render_json

AUTO = "auto"
_TRIES = 8  # a value drawn again when a draw misses the schema (e.g. uniqueItems over a small enum)


class ReplyMismatch(ValueError):
    """The scripted or generated JSON does not fit the request's schema (the message names the path)."""


@dataclass(frozen=True)
class Schemas:
    """The schemas a request gives its answer: the output format's and each offered tool's input schema."""

    output: Mapping[str, Any] | None = None
    tools: Mapping[str, Mapping[str, Any] | None] | None = None


def _path(parts: Sequence[Any]) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def problems(value: Any, schema: Mapping[str, Any]) -> list[str]:
    """Each way ``value`` breaks ``schema``, as ``$.path: message`` (empty: it fits)."""
    # Imported here: only structured answers need a validator, and the import costs tens of milliseconds.
    import jsonschema

    try:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
    except (jsonschema.SchemaError, jsonschema.exceptions.RefResolutionError) as exc:
        return [f"the schema itself is not valid: {exc.message if hasattr(exc, 'message') else exc}"]
    except Exception as exc:  # a $ref the validator cannot resolve, a bad regex in the schema
        return [f"the schema cannot be applied: {type(exc).__name__}: {exc}"]
    return [f"{_path(list(e.absolute_path))}: {e.message}" for e in errors[:5]]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _has_braces(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, list):
        return any(_has_braces(v) for v in value)
    if isinstance(value, dict):
        return any(_has_braces(v) for v in value.values())
    return False


def generate_valid(schema: Mapping[str, Any], gen: Generator, what: str) -> Any:
    """A value generated for ``schema`` that the validator accepts (ReplyMismatch when none is found)."""
    found: list[str] = []
    # The second round leaves the description's hints aside: prose that contradicts the schema must not cost
    # the answer.
    for hinted in (True, False):
        gen.hinted = hinted
        for _ in range(_TRIES):
            try:
                value = gen.instance(dict(schema))
            except PatternError as exc:
                raise ReplyMismatch(f"{what}: cannot generate a value: {exc}") from None
            # Tool input strings are rendered as templates later: a generated "{{" would be read as one.
            if _has_braces(value):
                continue
            found = problems(value, schema)
            if not found:
                gen.hinted = True
                return value
    gen.hinted = True
    raise ReplyMismatch(f"{what}: mockgw could not generate a value the schema accepts ({'; '.join(found)})")


def structure(
    blocks: Sequence[ReplyBlock],
    schemas: Schemas,
    ctx: TemplateContext,
    rng: random.Random | Callable[[], random.Random],
    fake: Fake | None = None,
) -> tuple[tuple[ReplyBlock, ...], tuple[str, ...]]:
    """``blocks`` with each ``json`` block made text and each ``input: auto`` made input, checked; with notes.

    ``rng``: the generator, or a function making it (called only when a block is generated: most replies
    have none, and seeding one costs microseconds).

    Raises ReplyMismatch when a value does not fit its schema or there is no schema to generate from.
    """
    if not any(isinstance(b, JsonReply) or (isinstance(b, ToolUseReply) and b.tool_use.input == AUTO) for b in blocks):
        return tuple(blocks), ()
    gen = Generator(rng if isinstance(rng, random.Random) else rng(), fake)
    notes: list[str] = []
    out: list[ReplyBlock] = []
    for block in blocks:
        if isinstance(block, JsonReply):
            out.append(_json_block(block, schemas.output, ctx, gen, notes))
        elif isinstance(block, ToolUseReply) and block.tool_use.input == AUTO:
            out.append(_auto_input(block, schemas, gen, notes))
        else:
            out.append(block)
    return tuple(out), tuple(notes)


def _json_block(
    block: JsonReply, schema: Mapping[str, Any] | None, ctx: TemplateContext, gen: Generator, notes: list[str]
) -> TextReply:
    if block.json_ == AUTO:
        if schema is None:
            raise ReplyMismatch(
                "reply json: auto needs the request's output schema (output_config.format on /v1/messages, "
                "response_format json_schema on chat completions, text.format on responses); this request has none"
            )
        value = generate_valid(schema, gen, "reply json: auto")
        notes.append("json: auto generated from the request's output schema: " + _dumps(value)[:200])
    else:
        try:
            value = render_json(block.json_, ctx)
        except TemplateError as exc:
            raise ReplyMismatch(f"reply json: {exc}") from None
        if schema is not None:
            found = problems(value, schema)
            if found:
                raise ReplyMismatch(
                    "reply json does not match the request's output schema: " + "; ".join(found) + f" (json was "
                    f"{_dumps(value)[:200]})"
                )
    text = _dumps(value)
    return TextReply(text=Template(text, (text,)))


def _auto_input(block: ToolUseReply, schemas: Schemas, gen: Generator, notes: list[str]) -> ToolUseReply:
    spec = block.tool_use
    tools = schemas.tools or {}
    if spec.name not in tools:
        offered = ", ".join(tools) or "none"
        raise ReplyMismatch(
            f"tool_use {spec.name} input: auto needs the tool's input_schema, but the request does not offer "
            f"{spec.name} (offered: {offered})"
        )
    schema = tools[spec.name] or {"type": "object"}
    value = generate_valid(schema, gen, f"tool_use {spec.name} input: auto")
    if not isinstance(value, dict):
        raise ReplyMismatch(f"tool_use {spec.name} input: auto: the input_schema does not describe an object")
    notes.append(f"tool_use {spec.name} input: auto generated from its input_schema: " + _dumps(value)[:200])
    return ToolUseReply(tool_use=ToolUseSpec(name=spec.name, id=spec.id, input=value))
