"""``{{ ... }}`` templates in reply text and tool input.

A template is parsed once, when the scenario loads, into literal text and expressions; a bad expression is
a load error, never a surprise at request time. Expressions are read from Python's AST and never
evaluated, so a scenario cannot run code. The grammar is deliberately tiny:

- ``faker.NAME`` or ``faker.NAME(literal, key=literal)``: a Faker provider of ``ALLOWED_PROVIDERS``, from
  the seeded generator, its size arguments and output bounded;
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
        # A random draw over MAX_FAKER_OUTPUT (the trial call at load was under it) is cut with the expansion.
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


# The providers a template may call: those whose output is a short value made from their own arguments.
# Left out, though Faker has them: providers that call other providers by name (json, pystr_format, dsv,
# pydict, … take names or "{{ name }}" patterns, and so reach seed_instance or format), that make binary
# or archive data (binary, image, zip, tar), or whole structures (profile, xml, time_series).
_ALLOWED = """
    word words sentence sentences paragraph paragraphs text texts slug emoji
    name name_female name_male name_nonbinary first_name first_name_female first_name_male first_name_nonbinary
    last_name last_name_female last_name_male last_name_nonbinary prefix prefix_female prefix_male suffix
    suffix_female suffix_male job job_female job_male user_name password
    address building_number city city_prefix city_suffix country country_code current_country
    current_country_code postcode zipcode state state_abbr street_address street_name street_suffix
    secondary_address administrative_unit latitude longitude coordinate
    email safe_email free_email company_email ascii_email ascii_safe_email ascii_free_email ascii_company_email
    domain_name domain_word hostname tld url uri uri_path uri_page uri_extension image_url ipv4 ipv4_private
    ipv4_public ipv6 mac_address port_number http_method http_status_code user_agent chrome firefox safari opera
    mime_type file_name file_extension file_path
    company company_suffix catch_phrase bs
    date time iso8601 year month month_name day_of_week day_of_month am_pm unix_time date_time date_of_birth
    past_date future_date past_datetime future_datetime date_this_year date_this_month date_this_decade
    date_this_century century timezone
    random_int random_digit random_number random_letter random_element random_elements pyint pyfloat pydecimal
    pybool pystr boolean uuid4 uuid1 uuid7 md5 sha1 sha256 numerify lexify bothify hexify
    ean ean13 ean8 isbn10 isbn13 iban bban swift credit_card_number credit_card_provider credit_card_expire
    credit_card_security_code currency currency_code currency_name currency_symbol cryptocurrency
    cryptocurrency_code cryptocurrency_name pricetag ssn phone_number msisdn license_plate vin
    color color_name hex_color rgb_color rgb_css_color safe_color_name safe_hex_color language_code
    language_name locale
"""
ALLOWED_PROVIDERS = frozenset(_ALLOWED.split())
# Bounds on a provider's size arguments, checked at load (faker.pystr(max_chars=10**9) would fill memory on
# every request), and on what one call may give (checked by the trial call at load, and cut at render):
# no more than one expansion may hold.
MAX_FAKER_CHARS_ARG = MAX_EXPANSION_CHARS  # length, max_chars, max_nb_chars, …
MAX_FAKER_COUNT_ARG = 1_000  # nb, nb_words, nb_sentences, nb_elements, …
MAX_FAKER_OUTPUT = MAX_EXPANSION_CHARS  # characters of one provider call's text
_CHARS_ARGS = frozenset(
    {"length", "min_chars", "max_chars", "max_nb_chars", "nb_chars", "digits", "left_digits", "right_digits"}
)
_COUNT_ARGS = frozenset({"nb", "nb_words", "nb_sentences", "nb_elements", "ext_word_list_size"})


@functools.cache
def _faker_methods() -> frozenset[str]:
    # The methods Faker's providers register (word, paragraph, json, …): never Faker's own machinery (seed,
    # seed_instance, format, parse, add_provider, random), which templates could not even name.
    return frozenset(
        name
        for provider in _faker().get_providers()
        for name in dir(provider)
        if not name.startswith("_") and callable(getattr(provider, name))
    )


def _check_provider(text: str, provider: str) -> None:
    if provider in ALLOWED_PROVIDERS and provider in _faker_methods():
        return
    if provider in _faker_methods():
        raise TemplateError(
            f"{{{{ {text} }}}}: faker.{provider} is not allowed in templates (it calls providers by name, or "
            "makes binary or structured data); see docs/scenarios.md for the providers templates may use"
        )
    raise TemplateError(f"{{{{ {text} }}}}: Faker has no provider {provider!r}")


def _check_sizes(text: str, arguments: Mapping[str, Any]) -> None:
    for name, value in arguments.items():
        bound = MAX_FAKER_CHARS_ARG if name in _CHARS_ARGS else MAX_FAKER_COUNT_ARG if name in _COUNT_ARGS else None
        if bound is not None and isinstance(value, int | float) and not -bound <= value <= bound:
            raise TemplateError(f"{{{{ {text} }}}}: {name}={value!r} is over the limit of {bound:,}")


def _check_call(text: str, provider: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> None:
    """Refuse at load a call that would fail at render (and answer a request with a 500), or be too big.

    The arguments must fit the provider's signature and its size bounds, and one trial call (on a Faker kept
    for checking) must succeed and give at most MAX_FAKER_OUTPUT characters: ``random_int(5, 1)`` or
    ``paragraph(nb_sentences='x')`` bind, but fail when called.
    """
    method = getattr(_faker(), provider)
    try:
        bound = inspect.signature(method).bind(*args, **dict(kwargs))
    except TypeError as exc:
        raise TemplateError(f"{{{{ {text} }}}}: {exc}") from None
    _check_sizes(text, bound.arguments)
    try:
        output = str(method(*args, **dict(kwargs)))
    except Exception as exc:  # any failure of the provider: it would fail the same way at render
        raise TemplateError(f"{{{{ {text} }}}}: fails when called: {type(exc).__name__}: {exc}") from None
    if len(output) > MAX_FAKER_OUTPUT:
        limit = f"over the limit of {MAX_FAKER_OUTPUT:,}"
        raise TemplateError(f"{{{{ {text} }}}}: gives {len(output):,} characters, {limit}")


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
            _check_provider(text, attr)
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
