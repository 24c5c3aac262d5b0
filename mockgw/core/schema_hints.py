"""Constraints the SDKs moved out of a schema into its ``description``, read back for ``json: auto``.

Structured outputs take only part of JSON Schema, so the SDKs strip the rest from the schema they send and
write it into the node's ``description`` for the model to read, while their own parser still checks it:

- anthropic (Python) ``messages.parse``: ``"…\\n\\n{minimum: 1, maximum: 50}"`` (values as Python prints them);
- @anthropic-ai/sdk ``zodOutputFormat``: ``"…\\n\\n{minimum: 1, maximum: 50}"`` (values as JSON);
- @ai-sdk/anthropic ``Output.object``: ``"…\\nminimum: 1; maximum: 50."`` (``min length``, ``max items``, …).

A model reads those and keeps to them; so does ``json: auto``, so that pydantic or zod accepts the value it
writes (a ``seats: int = Field(ge=1, le=50)`` would otherwise get 73). A hint only adds a key the node lacks,
and the value is still checked against the schema as sent. A ``pattern`` hint is used only when RE2 reads it.

Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from mockgw.scenario.regex import Regex, RegexError

# Each SDK's spelling of a keyword (camelCase, or the AI SDK's "min length"), lower-cased without spaces.
_KEYS = {
    k.lower(): k
    for k in (
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "pattern",
    )
}
# A keyword at the start of the description, a line, or after "{", ", " or "; ", followed by ": ".
_HINT = re.compile(
    r"(?:^|(?<=[\n{])|(?<=, )|(?<=; ))"
    r"(minimum|maximum|exclusive ?[mM]inimum|exclusive ?[mM]aximum|multiple ?[oO]f|min ?[lL]ength|max ?[lL]ength"
    r"|min ?[iI]tems|max ?[iI]tems|unique ?[iI]tems|pattern): "
)
_MAX_DESCRIPTION = 4096  # longer prose is not an SDK's hint block: not scanned


def _number(text: str) -> float | int | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _value(key: str, text: str, writable: Callable[[str], bool]) -> Any:
    if key == "uniqueItems":
        return True if text in ("true", "True") else None
    if key == "pattern":
        if text.startswith('"'):  # the TypeScript SDK writes values as JSON
            try:
                text = json.loads(text)
            except ValueError:
                return None
        try:
            Regex(text)
        except RegexError:
            return None  # not a regex RE2 reads: the value is made without it
        return text if writable(text) else None
    return _number(text)


def _any(_pattern: str) -> bool:
    return True


def hints(description: str, writable: Callable[[str], bool] = _any) -> dict[str, Any]:
    """The keywords ``description`` carries in one of the SDKs' forms (empty when none).

    ``writable`` says whether a hinted pattern is one a string can be written for (else it is left out).
    """
    if len(description) > _MAX_DESCRIPTION or ": " not in description:
        return {}
    found = list(_HINT.finditer(description))
    if not found:
        return {}
    # The block's end: "}" for the SDKs' {…}, "." for the AI SDK's sentence.
    braced = found[0].start() > 0 and description[found[0].start() - 1] == "{"
    out: dict[str, Any] = {}
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(description)
        text = description[match.end() : end]
        if i + 1 < len(found):
            text = text.removesuffix(", ").removesuffix("; ")
        else:
            text = text.rstrip().removesuffix("}" if braced else ".")
        key = _KEYS[match.group(1).replace(" ", "").lower()]
        value = _value(key, text.strip() if key != "pattern" else text, writable)
        if value is not None:
            out.setdefault(key, value)
    return out


def with_hints(schema: Mapping[str, Any], writable: Callable[[str], bool] = _any) -> Mapping[str, Any]:
    """``schema`` with the keywords its description hints at and it lacks (itself when there are none)."""
    description = schema.get("description")
    if not isinstance(description, str):
        return schema
    extra = {k: v for k, v in hints(description, writable).items() if k not in schema}
    return {**schema, **extra} if extra else schema
