"""``{{ ... }}`` templates in reply text and tool input.

A template is parsed once, when the scenario loads, into literal text and expressions; a bad expression is
a load error, never a surprise at request time. Expressions are read from Python's AST and never
evaluated, so a scenario cannot run code. The grammar is deliberately tiny:

- ``faker.NAME`` or ``faker.NAME(literal, key=literal)``: any Faker provider, from the seeded generator;
- ``request.model``, ``request.last_user``, ``request.tool_result``, ``request.turn``,
  ``request.stream``, ``request.session``, ``request.custom_id`` (in a batch), ``request.headers['x-name']``;
- a quoted string, which renders as itself: ``{{ '{{' }}`` is how a literal ``{{`` is written.

One expansion gives at most ``MAX_EXPANSION_CHARS`` characters: a template echoing what a client sent
(``{{ request.tool_result }}`` of an 8 MB request) is cut there, with a marker in the text and a note for the
journal (``TemplateContext.note``), so one request cannot make a reply that takes seconds to stream.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

_EXPR = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_SHOWN_CHARS = 40  # of an unclosed expression, in its error message
REQUEST_FIELDS = ("model", "last_user", "tool_result", "turn", "stream", "session", "custom_id")
# The most one template expansion gives (64 Ki characters, documented in docs/scenarios.md, "Limits").
MAX_EXPANSION_CHARS = 64 * 1024


class TemplateError(ValueError):
    """A template that cannot be parsed; the message says which expression and why."""


class TemplateContext(Protocol):
    """What a template reads at render time (the engine provides it)."""

    def faker_call(self, provider: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any: ...

    def request_field(self, name: str) -> Any: ...

    def request_header(self, name: str) -> str: ...

    def note(self, message: str) -> None:
        """Something the journal entry of this request should say (an expansion that was cut)."""
        ...


@dataclass(frozen=True)
class FakerExpr:
    provider: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def render(self, ctx: TemplateContext) -> str:
        return str(ctx.faker_call(self.provider, self.args, dict(self.kwargs)))


@dataclass(frozen=True)
class RequestExpr:
    field: str

    def render(self, ctx: TemplateContext) -> str:
        value = ctx.request_field(self.field)
        return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class HeaderExpr:
    header: str

    def render(self, ctx: TemplateContext) -> str:
        return ctx.request_header(self.header)


@dataclass(frozen=True)
class LiteralExpr:
    """A quoted string: the escape for text that must contain ``{{`` (recorded replies, code samples)."""

    text: str

    def render(self, ctx: TemplateContext) -> str:
        return self.text


Expr = FakerExpr | RequestExpr | HeaderExpr | LiteralExpr


@functools.cache
def _faker() -> Any:
    # Built on first use (not at import): creating a Faker costs tens of milliseconds.
    from faker import Faker

    return Faker()


@functools.cache
def _faker_providers() -> frozenset[str]:
    # Only the methods Faker's providers register (word, paragraph, …): never Faker's own machinery
    # (seed, seed_instance, format, parse, add_provider, random), which would reseed the shared generator
    # or reach any attribute of it by name.
    return frozenset(
        name
        for provider in _faker().get_providers()
        for name in dir(provider)
        if not name.startswith("_") and callable(getattr(provider, name))
    )


def _check_call(text: str, provider: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> None:
    """Refuse at load a call that would fail at render (and answer a request with a 500).

    The arguments must fit the provider's signature, and one trial call (on a Faker kept for checking) must
    succeed: ``random_int(5, 1)`` or ``paragraph(nb_sentences='x')`` bind, but fail when called.
    """
    method = getattr(_faker(), provider)
    try:
        inspect.signature(method).bind(*args, **dict(kwargs))
    except TypeError as exc:
        raise TemplateError(f"{{{{ {text} }}}}: {exc}") from None
    try:
        method(*args, **dict(kwargs))
    except Exception as exc:  # any failure of the provider: it would fail the same way at render
        raise TemplateError(f"{{{{ {text} }}}}: fails when called: {type(exc).__name__}: {exc}") from None


def _literal(node: ast.expr, source: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError as exc:
        raise TemplateError(f"{{{{ {source} }}}}: arguments must be literals") from exc


def parse_expression(source: str) -> Expr:
    """Parse the inside of one ``{{ }}``; raise TemplateError with a helpful message."""
    text = source.strip()
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise TemplateError(f"{{{{ {text} }}}}: not an expression") from exc
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return LiteralExpr(node.value)

    call_args: tuple[Any, ...] = ()
    call_kwargs: tuple[tuple[str, Any], ...] = ()
    if isinstance(node, ast.Call):
        call_args = tuple(_literal(a, text) for a in node.args)
        if any(k.arg is None for k in node.keywords):
            raise TemplateError(f"{{{{ {text} }}}}: **kwargs are not allowed")
        call_kwargs = tuple((str(k.arg), _literal(k.value, text)) for k in node.keywords)
        node = node.func
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "faker"):
            raise TemplateError(f"{{{{ {text} }}}}: only faker providers can be called")

    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        root, attr = node.value.id, node.attr
        if root == "faker":
            if attr not in _faker_providers():
                raise TemplateError(f"{{{{ {text} }}}}: Faker has no provider {attr!r}")
            _check_call(text, attr, call_args, call_kwargs)
            return FakerExpr(attr, call_args, call_kwargs)
        if root == "request":
            if attr not in REQUEST_FIELDS:
                raise TemplateError(
                    f"{{{{ {text} }}}}: unknown request field {attr!r} "
                    f"(known: {', '.join(REQUEST_FIELDS)}, headers['name'])"
                )
            return RequestExpr(attr)
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and isinstance(node.value.value, ast.Name)
        and node.value.value.id == "request"
        and node.value.attr == "headers"
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ):
        return HeaderExpr(node.slice.value.lower())
    raise TemplateError(f"{{{{ {text} }}}}: expected faker.<provider>, request.<field> or request.headers['name']")


def cut_marker(total: int) -> str:
    """What ends an expansion cut at ``MAX_EXPANSION_CHARS``: says so in the text itself."""
    return f"… [mockgw: cut to {MAX_EXPANSION_CHARS} of {total} characters]"


def _first_chars(pieces: list[str], limit: int) -> str:
    """The first ``limit`` characters of ``"".join(pieces)``, without joining all of it."""
    kept: list[str] = []
    for piece in pieces:
        if len(piece) >= limit:
            kept.append(piece[:limit])
            break
        kept.append(piece)
        limit -= len(piece)
    return "".join(kept)


def _short_source(source: str, limit: int = 80) -> str:
    return repr(source if len(source) <= limit else source[: limit - 1] + "…")


class Template:
    """A string with ``{{ }}`` expressions, parsed at load; ``render`` fills it in."""

    __slots__ = ("_parts", "is_literal", "source")

    def __init__(self, source: str, parts: tuple[str | Expr, ...]) -> None:
        self.source = source
        self._parts = parts
        self.is_literal = all(isinstance(p, str) for p in parts)  # known at parse: render skips the join

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def parse(source: str) -> Template:
        parts: list[str | Expr] = []
        pos = 0
        for found in _EXPR.finditer(source):
            if found.start() > pos:
                parts.append(source[pos : found.start()])
            parts.append(parse_expression(found.group(1)))
            pos = found.end()
        if pos < len(source):
            parts.append(source[pos:])
        for part in parts:
            # A ``{{`` left in the literal text was never closed (``{{ request.tool_result }``): sent verbatim it
            # would look like a mockgw bug at request time, so it is refused at load like any bad expression.
            if isinstance(part, str) and (start := part.find("{{")) >= 0:
                opened = part[start : start + _SHOWN_CHARS].split("\n")[0]
                raise TemplateError(
                    f"{opened!r}: {{{{ is never closed with }}}} (a literal {{{{ is written {{{{ '{{{{' }}}})"
                )
        return Template(source, tuple(parts))

    def render(self, ctx: TemplateContext) -> str:
        """The text with every expression filled in, cut at ``MAX_EXPANSION_CHARS`` (with a marker)."""
        if self.is_literal:
            return self.source  # the scenario's own text: never cut
        pieces = [p if isinstance(p, str) else p.render(ctx) for p in self._parts]
        total = sum(map(len, pieces))
        if total <= MAX_EXPANSION_CHARS:
            return "".join(pieces)
        ctx.note(
            f"a template expansion made {total} characters and was cut to {MAX_EXPANSION_CHARS} "
            f"(the most one expansion gives): {_short_source(self.source)}"
        )
        return _first_chars(pieces, MAX_EXPANSION_CHARS) + cut_marker(total)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Template) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def __repr__(self) -> str:
        return f"Template({self.source!r})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source_type: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def validate(value: Any) -> Template:
            if isinstance(value, Template):
                return value
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise ValueError("expected text")
            try:
                return cls.parse(str(value))
            except TemplateError as exc:
                raise ValueError(str(exc)) from None

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.plain_serializer_function_ser_schema(lambda t: t.source)
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "description": "Text; may hold {{ faker.NAME }} or {{ request.FIELD }}."}


def check_json_templates(value: Any) -> None:
    """Parse every string inside a JSON value (tool input), so bad templates fail at load."""
    walk_json_strings(value, lambda s: Template.parse(s).source)


def render_json(value: Any, ctx: TemplateContext) -> Any:
    """A copy of a JSON value with every string rendered as a template."""
    return walk_json_strings(value, lambda s: Template.parse(s).render(ctx) if "{{" in s else s)


def walk_json_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [walk_json_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: walk_json_strings(v, fn) for k, v in value.items()}
    return value
