"""Request validation with the real API's status, error type and message text.

The Anthropic API validates with pydantic, so its messages are pydantic's: ``max_tokens: Field required``,
``thinking.enabled.budget_tokens: Input should be greater than or equal to 1024``. We validate with the
wire models, turn the first error into that ``loc: msg`` form, then apply the checks pydantic cannot
express (``checks``: thinking budget against max_tokens, tool_use answered by tool_result, ...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, from_json

from mockgw.faces.anthropic.checks import InvalidRequest, run_checks
from mockgw.faces.anthropic.wire.requests import CountTokensParams, MessageCreateParams

__all__ = [
    "InvalidRequest",
    "betas_of",
    "describe",
    "format_error",
    "parse_json",
    "validate_count_tokens_request",
    "validate_message_request",
]

P = TypeVar("P", bound=BaseModel)

# Pydantic names union branches in error locations ("str", "list[...]"); the real API's messages don't.
_BRANCH_NAMES = frozenset({"str", "int", "float", "bool", "list", "dict", "none"})


# Deeper JSON is refused: Python's json module (and everything that writes the body out again: the journal,
# the admin API) would hit the recursion limit near 1,000 levels, and no real request comes close to this.
MAX_JSON_DEPTH = 512
NOT_JSON = "The request body is not valid JSON: "
# A \uXXXX escape of a UTF-16 surrogate; only a high one followed by a low one makes a character.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LOW_SURROGATE_ESCAPE = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _too_deep(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than ``limit`` levels in ``value`` (a dict or a list: depth 1).

    Level by level, iterative (the point is not to recurse): each level's containers are gathered with one
    comprehension per node, about twice as fast as a stack of (node, depth) pairs on a conversation of
    megabytes, which has thousands of blocks.
    """
    level = [value]
    for _ in range(limit):
        deeper: list[Any] = []
        for node in level:
            children = node.values() if type(node) is dict else node
            deeper += [child for child in children if type(child) is dict or type(child) is list]
        if not deeper:
            return False
        level = deeper
    return True


def _where(text: str, index: int) -> str:
    """``line L column C (char P)``, as Python's JSON errors (and so the API's) locate a character."""
    line = text.count("\n", 0, index) + 1
    column = index - text.rfind("\n", 0, index)
    return f"line {line} column {column} (char {index})"


_LONG_DIGITS = re.compile(r"[0-9]{4301,}")


def _long_integer(text: str) -> str:
    found = _LONG_DIGITS.search(text)
    where = f": {_where(text, found.start())}" if found else ""
    return f"integer too long (more than 4,300 digits){where}"


def _lone_surrogate(text: str) -> str | None:
    """Why ``text`` (JSON that parsed) holds a lone surrogate escape, which no UTF-8 text can carry; else None."""
    if "\\ud" not in text and "\\uD" not in text:
        return None  # the common case, found by two fast scans
    skip_to = 0
    for found in _SURROGATE_ESCAPE.finditer(text):
        at = found.start()
        if at < skip_to:
            continue  # the low half of a pair already checked
        backslashes = 0
        while at - backslashes > 0 and text[at - backslashes - 1] == "\\":
            backslashes += 1
        if backslashes % 2:
            continue  # an escaped backslash, then the letter u: plain text
        if _LOW_SURROGATE_ESCAPE.match(text, at):
            return f"lone low surrogate in string: {_where(text, at)}"
        if not _LOW_SURROGATE_ESCAPE.match(text, found.end()):
            return f"no low surrogate in string: {_where(text, at)}"
        skip_to = found.end() + 6
    return None


def parse_json(raw: str | bytes | bytearray, prefix: str = NOT_JSON) -> Any:
    """The JSON value of a body; InvalidRequest (400) with the API's wording when it is not JSON.

    Stricter than ``json.loads``: UTF-8 that encodes a surrogate is refused (json.loads lets it pass), so
    are lone surrogate escapes (``"\\ud800"``: no UTF-8 answer could echo them; the API refuses them as
    "no low surrogate in string"), and nesting deeper than ``MAX_JSON_DEPTH`` (never a RecursionError).
    ``prefix`` starts every message.

    pydantic-core's parser reads the body first: on a conversation of megabytes it is several times faster
    than ``json.loads`` (docs/performance.md, "Hot path v2"). It refuses everything refused here (lone
    surrogates, UTF-8 encoding one, integers over 4,300 digits, invalid JSON) and nests at most 200 levels,
    under ``MAX_JSON_DEPTH``, so a value it returns needs no further check. What it refuses (a UTF-8 BOM,
    UTF-16 or UTF-32, nesting from 200 to 512 levels, or an error) is read again by ``json.loads``, which
    accepts what is valid and words every refusal as before (tests/unit/test_parse_json.py compares the two).

    Only keys are cached (``cache_strings="keys"``): a body's keys repeat ("type", "text", "role" …), its
    short values mostly do not, and looking each one up in the cache cost more than it saved (10 KB: 32 →
    30 µs, 100 KB: 282 → 230 µs of CPU; docs/performance.md). The values are the same, only not shared.
    """
    try:
        return from_json(raw, cache_strings="keys")
    except (ValueError, TypeError):  # TypeError: a str holding a lone surrogate, which has no UTF-8 to read
        return _parse_json_stdlib(raw, prefix)


def _parse_json_stdlib(raw: str | bytes | bytearray, prefix: str = NOT_JSON) -> Any:
    """``parse_json`` with the standard library's parser: the API's error wording, UTF-16/32, any depth."""
    too_deep = f"{prefix}nested too deeply (at most {MAX_JSON_DEPTH} levels)"
    try:
        text = raw if isinstance(raw, str) else raw.decode(json.detect_encoding(raw))
        value = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        # The API's wording: "The request body is not valid JSON: unexpected character: line 1 column 2 (char 1)".
        raise InvalidRequest(f"{prefix}{exc}") from None
    except RecursionError:
        raise InvalidRequest(too_deep) from None
    except ValueError:  # json.loads' int() refuses more than sys.get_int_max_str_digits() digits (4,300)
        raise InvalidRequest(f"{prefix}{_long_integer(text)}") from None
    lone = _lone_surrogate(text)
    if lone is not None:
        raise InvalidRequest(f"{prefix}{lone}")
    # Depth needs at least that many brackets: counting them is cheap, walking the value is not.
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _too_deep(value, MAX_JSON_DEPTH):
        raise InvalidRequest(too_deep)
    return value


def _is_branch(part: int | str) -> bool:
    return isinstance(part, str) and (not part.isidentifier() or part in _BRANCH_NAMES)


def _best_error(errors: list[ErrorDetails]) -> ErrorDetails:
    # A union reports one error per branch; the one from the branch that fits the input's shape went
    # deeper than "wrong type", so prefer errors that are not a union branch's type mismatch, then the
    # deepest one (a list of blocks with a bad block: the block's error, not "content: should be a string").
    def rank(e: ErrorDetails) -> tuple[int, int]:
        in_branch = any(_is_branch(p) for p in e["loc"])
        type_miss = e["type"].endswith("_type") or e["type"] in {"model_type", "model_attributes_type"}
        depth = sum(1 for p in e["loc"] if not _is_branch(p))
        return (1 if in_branch and type_miss else 0, -depth)

    return min(errors, key=rank)


def format_error(error: ErrorDetails) -> str:
    """``loc: msg``, with pydantic's union branch names left out of the location."""
    loc = ".".join(str(p) for p in error["loc"] if not _is_branch(p))
    msg = error["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if error["type"] == "model_type":
        # pydantic names our class here ("… or instance of TextBlockParam"); the API's message does not.
        msg = "Input should be a valid dictionary or object to extract fields from"
    return f"{loc}: {msg}" if loc else msg


def describe(exc: ValidationError) -> str:
    """The one ``loc: msg`` line the API would give for a failed validation (its most telling error)."""
    return format_error(_best_error(exc.errors()))


def _parse(model: type[P], body: Any) -> P:
    if not isinstance(body, dict):
        raise InvalidRequest("Input should be a valid dictionary or object to extract fields from")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise InvalidRequest(describe(exc)) from None


def betas_of(headers: Mapping[str, str]) -> frozenset[str]:
    """The betas a request opts into: ``anthropic-beta``, comma-separated (names lower-cased)."""
    raw = headers.get("anthropic-beta", "")
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def validate_message_request(
    body: Any,
    *,
    betas: frozenset[str] = frozenset(),
    max_output: Callable[[str], int | None] | None = None,
    held: int = 0,
) -> MessageCreateParams:
    """Parse and check a ``/v1/messages`` body; raise InvalidRequest with the API's message.

    ``betas`` are the request's ``anthropic-beta`` names (some lift a rule); ``max_output`` gives a model's
    output limit for ``max_tokens`` (None for a model without one); ``held``: how many leading messages a
    message thread's continue took from the held conversation, which the content checks leave alone.
    """
    params = _parse(MessageCreateParams, body)
    run_checks(params, betas=betas, max_output=max_output, held=held)
    return params


def validate_count_tokens_request(body: Any) -> CountTokensParams:
    """Parse and check a ``/v1/messages/count_tokens`` body."""
    params = _parse(CountTokensParams, body)
    run_checks(params)
    return params
