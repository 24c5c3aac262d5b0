"""A value a JSON Schema accepts, made up from seeded randomness: ``json: auto`` and ``input: auto``.

Where ``schema_sample`` makes the *smallest* value (for a tool the script forgot to call), this makes a
plausible one, as a model would write it: names and sentences from faker, emails that look like emails,
numbers inside their bounds, arrays of a few items. Everything is drawn from the generator it is given, so a
seeded gateway answers the same value every run.

Covered: ``type`` (one or a list), ``enum``, ``const``, ``properties``/``required`` (optional properties
are given about half the time), ``additionalProperties``, ``minProperties``, ``items``/``prefixItems``,
``minItems``/``maxItems``/``uniqueItems``, ``minimum``/``maximum`` (exclusive too), ``multipleOf``,
``minLength``/``maxLength``, ``format`` (date-time, date, time, duration, email, hostname, uri, ipv4, ipv6,
uuid …), ``pattern`` (generated from the regex itself), local ``$ref`` into ``$defs``/``definitions``,
``anyOf``/``oneOf`` (a branch drawn), ``allOf`` (merged), ``not`` is ignored; and the same keywords where an
SDK moved them into the ``description`` (``mockgw.core.schema_hints``). Depth is bounded: a recursive
schema stops recursing where it may (optional properties left out, arrays left empty).

The caller checks the result with a validator (``mockgw.core.structured``): a schema this cannot satisfy is
reported there, naming the path, rather than answered with wrong JSON.
"""

from __future__ import annotations

import importlib
import math
import random
import string
from typing import Any, Protocol

from mockgw.core.schema_hints import with_hints
from mockgw.core.schema_sample import resolve_ref
from mockgw.scenario.regex import Regex, RegexError

MAX_DEPTH = 12
MAX_ITEMS = 8  # arrays get at most this many items unless minItems asks for more (clipped at 256)
_MAX_MIN_ITEMS = 256
_MAX_REPEAT = 6  # an unbounded regex repeat (*, +, {n,}) repeats at most this many times more than its minimum

# The regex parser behind Python's re: a parsed pattern is a tree this module walks to write a matching string.
_sre: Any = importlib.import_module("re._parser")
_sre_c: Any = importlib.import_module("re._constants")


class Fake(Protocol):
    """What the generator asks of faker (a seeded ``faker.Faker`` satisfies it)."""

    def word(self) -> str: ...

    def sentence(self) -> str: ...


class PatternError(ValueError):
    """A ``pattern`` the generator cannot write a string for (a backreference, a lookaround)."""


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class Generator:
    """Makes values for schemas, drawing from ``rng`` (and ``fake`` for words and sentences, when given)."""

    def __init__(self, rng: random.Random, fake: Fake | None = None) -> None:
        self.rng = rng
        self.fake = fake
        # Whether to keep to what a description hints (schema_hints); off when the hints and the schema disagree.
        self.hinted = True

    # ------------------------------------------------------------ entry point

    def instance(self, schema: Any) -> Any:
        """A value ``schema`` accepts (as far as the module docstring's list goes)."""
        return self._value(schema, schema if isinstance(schema, dict) else {}, 0, "")

    # ------------------------------------------------------------ dispatch

    def _value(self, schema: Any, root: Any, depth: int, name: str) -> Any:
        if schema is True or schema is None:
            schema = {}
        if schema is False or not isinstance(schema, dict):
            return None
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = resolve_ref(ref, root)
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            merged = {**target, **rest} if isinstance(target, dict) else rest
            return self._value(merged, root, depth + 1, name) if depth < MAX_DEPTH * 2 else None
        if self.hinted:
            schema = dict(with_hints(schema, can_write))  # what an SDK moved into the description, as a model reads it
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return self.rng.choice(enum)
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                base = {k: v for k, v in schema.items() if k != key}
                useful = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
                # Deep down, prefer null where allowed: a recursive schema has to end somewhere.
                pool = branches if depth < MAX_DEPTH or len(useful) == len(branches) else [{"type": "null"}]
                branch = self.rng.choice(useful if depth < MAX_DEPTH and useful else pool)
                branch = resolve_ref(branch["$ref"], root) if isinstance(branch, dict) and "$ref" in branch else branch
                return self._value({**base, **branch} if isinstance(branch, dict) else base, root, depth + 1, name)
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and all_of:
            return self._value(self._merge(schema, all_of, root), root, depth + 1, name)
        kind = self._kind(schema, depth)
        if kind == "object":
            return self._object(schema, root, depth)
        if kind == "array":
            return self._array(schema, root, depth, name)
        if kind == "string":
            return self._string(schema, name)
        if kind == "integer":
            return int(self._number(schema, integer=True))
        if kind == "number":
            return self._number(schema, integer=False)
        if kind == "boolean":
            return self.rng.random() < 0.5
        return None

    def _merge(self, schema: dict[str, Any], parts: list[Any], root: Any) -> dict[str, Any]:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in parts:
            if isinstance(part, dict) and "$ref" in part:
                part = resolve_ref(part["$ref"], root)
            if not isinstance(part, dict):
                continue
            merged["properties"] = {**merged.get("properties", {}), **part.get("properties", {})}
            merged["required"] = [*merged.get("required", []), *part.get("required", [])]
            for k, v in part.items():
                merged.setdefault(k, v)
        return merged

    def _kind(self, schema: dict[str, Any], depth: int) -> str | None:
        kind = schema.get("type")
        if isinstance(kind, list):
            real = [k for k in kind if k != "null"]
            if not real or (depth >= MAX_DEPTH and "null" in kind):
                return "null"
            return str(self.rng.choice(real))
        if isinstance(kind, str):
            return kind
        if "properties" in schema or "required" in schema or "additionalProperties" in schema:
            return "object"
        if "items" in schema or "prefixItems" in schema:
            return "array"
        if any(k in schema for k in ("pattern", "format", "minLength", "maxLength")):
            return "string"
        if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
            return "number"
        return "string"  # an empty schema accepts anything: a word is the most readable anything

    # ------------------------------------------------------------ objects and arrays

    def _object(self, schema: dict[str, Any], root: Any, depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = schema.get("required")
        names = [n for n in required if isinstance(n, str)] if isinstance(required, list) else []
        deep = depth >= MAX_DEPTH
        out: dict[str, Any] = {}
        for key, sub in properties.items():
            if key in names or (not deep and self.rng.random() < 0.5):
                out[key] = self._value(sub, root, depth + 1, key)
        for key in names:
            if key not in out:
                extra = schema.get("additionalProperties")
                out[key] = self._value(extra if isinstance(extra, dict) else {}, root, depth + 1, key)
        low = schema.get("minProperties")
        extra = schema.get("additionalProperties", True)
        n = 0
        while isinstance(low, int) and len(out) < low and extra is not False and n < 1000:
            key = f"{self._word()}_{n}" if n else self._word()
            n += 1
            if key not in out:
                out[key] = self._value(extra if isinstance(extra, dict) else {}, root, depth + 1, key)
        return out

    def _array(self, schema: dict[str, Any], root: Any, depth: int, name: str) -> list[Any]:
        low = schema.get("minItems")
        low = min(low, _MAX_MIN_ITEMS) if isinstance(low, int) and not isinstance(low, bool) else 0
        high = schema.get("maxItems")
        high = high if isinstance(high, int) and not isinstance(high, bool) else max(low, MAX_ITEMS // 2)
        high = max(low, min(high, max(low, MAX_ITEMS)))
        count = low if depth >= MAX_DEPTH else self.rng.randint(max(low, min(1, high)), high)
        prefix = schema.get("prefixItems")
        prefix = prefix if isinstance(prefix, list) else []
        items = schema.get("items", {})
        unique = schema.get("uniqueItems") is True
        out: list[Any] = []
        tries = 0
        while len(out) < count and tries < count * 20 + 20:
            tries += 1
            sub = prefix[len(out)] if len(out) < len(prefix) else items
            if sub is False:
                break
            value = self._value(sub, root, depth + 1, name)
            if unique and value in out:
                continue
            out.append(value)
        return out

    # ------------------------------------------------------------ scalars

    def _number(self, schema: dict[str, Any], integer: bool) -> float:
        low, high = _num(schema.get("minimum")), _num(schema.get("maximum"))
        xlow, xhigh = _num(schema.get("exclusiveMinimum")), _num(schema.get("exclusiveMaximum"))
        step = _num(schema.get("multipleOf"))
        if integer:
            step = float(math.lcm(int(step), 1)) if step and step == int(step) else (step or 1.0)
        lo = low if low is not None else (xlow if xlow is not None else None)
        hi = high if high is not None else (xhigh if xhigh is not None else None)
        if lo is None and hi is None:
            lo, hi = 0.0, 100.0
        elif lo is None:
            lo = (hi or 0.0) - 100.0
        elif hi is None:
            hi = lo + 100.0
        assert lo is not None and hi is not None
        if step:
            first = math.ceil(lo / step)
            last = math.floor(hi / step)
            if xlow is not None and first * step <= xlow:
                first += 1
            if xhigh is not None and last * step >= xhigh:
                last -= 1
            k = self.rng.randint(first, max(first, last))
            value = k * step
            return float(int(value)) if integer or value == int(value) else round(value, 10)
        if integer:
            first = math.ceil(lo) + (1 if xlow is not None and math.ceil(lo) <= xlow else 0)
            last = math.floor(hi) - (1 if xhigh is not None and math.floor(hi) >= xhigh else 0)
            return float(self.rng.randint(first, max(first, last)))
        value = round(self.rng.uniform(lo, hi), 2)
        if (xlow is not None and value <= xlow) or (xhigh is not None and value >= xhigh) or not lo <= value <= hi:
            value = (lo + hi) / 2
        return value

    def _word(self) -> str:
        if self.fake is not None:
            return self.fake.word()
        return "".join(self.rng.choices(string.ascii_lowercase, k=self.rng.randint(3, 8)))

    def _string(self, schema: dict[str, Any], name: str) -> str:
        fmt = schema.get("format")
        pattern = schema.get("pattern")
        low = schema.get("minLength")
        low = low if isinstance(low, int) and not isinstance(low, bool) else 0
        high = schema.get("maxLength")
        high = high if isinstance(high, int) and not isinstance(high, bool) else None
        formatted = _FORMATS[fmt](self) if isinstance(fmt, str) and fmt in _FORMATS else None
        if isinstance(pattern, str) and not (formatted is not None and _matches(pattern, formatted)):
            # zod 4 (the AI SDK, zodOutputFormat) sends a pattern beside each format: the format's plausible
            # value (a@example.com) is kept when the pattern accepts it, else a string is written from the regex.
            text = self.from_regex(pattern)
        elif formatted is not None:
            text = formatted
        elif self.fake is not None and any(w in name.lower() for w in ("desc", "summary", "text", "comment")):
            text = self.fake.sentence()  # a field named like prose gets prose
        else:
            text = self._word()
        if len(text) < low:
            text += "".join(self.rng.choices(string.ascii_lowercase, k=low - len(text)))
        if high is not None and len(text) > high and not isinstance(pattern, str):
            text = text[: max(high, low)]
        return text

    # ------------------------------------------------------------ regexes

    def from_regex(self, pattern: str) -> str:
        """A string that ``pattern`` matches (as a search, the way JSON Schema applies patterns)."""
        try:
            parsed = _sre.parse(pattern)
        except Exception as exc:  # re.error, or an overflow on a huge repeat
            raise PatternError(f"pattern {pattern!r} is not a regex mockgw can read: {exc}") from None
        return self._emit(list(parsed))

    def _emit(self, items: list[Any]) -> str:
        out: list[str] = []
        for op, arg in items:
            out.append(self._emit_one(op, arg))
        return "".join(out)

    def _emit_one(self, op: Any, arg: Any) -> str:
        c = _sre_c
        if op is c.LITERAL:
            return chr(arg)
        if op is c.NOT_LITERAL:
            return next(ch for ch in "ax0_" if ord(ch) != arg)
        if op is c.ANY:
            return self.rng.choice(string.ascii_letters)
        if op is c.IN:
            return self._class(arg)
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            top = low + _MAX_REPEAT if high is c.MAXREPEAT or high > low + _MAX_REPEAT else high
            return "".join(self._emit(list(sub)) for _ in range(self.rng.randint(low, top)))
        if op is c.SUBPATTERN:
            return self._emit(list(arg[-1]))
        if op is c.ATOMIC_GROUP:
            return self._emit(list(arg))
        if op is c.BRANCH:
            return self._emit(list(self.rng.choice(arg[1])))
        if op is c.AT:
            return ""  # anchors and word boundaries: the generated string is the whole match anyway
        raise PatternError(f"mockgw cannot generate text for a regex using {op} (backreferences, lookarounds)")

    def _class(self, items: list[Any]) -> str:
        c = _sre_c
        negate = bool(items) and items[0][0] is c.NEGATE
        if negate:
            refused = _Set(items[1:])
            for ch in string.ascii_letters + string.digits + " _-.":
                if not refused.has(ch):
                    return ch
            raise PatternError("a negated character class refuses every character mockgw tries")
        op, arg = self.rng.choice(items)
        if op is c.LITERAL:
            return chr(arg)
        if op is c.RANGE:
            return chr(self.rng.randint(arg[0], arg[1]))
        if op is c.CATEGORY:
            return self.rng.choice(_CATEGORIES.get(str(arg), "a"))
        return "a"


_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters,
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": string.ascii_letters + string.digits,
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
    "CATEGORY_NOT_WORD": " -.",
}


class _Set:
    """The characters a (non-negated) regex class accepts, for testing candidates of a negated class."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def has(self, ch: str) -> bool:
        c = _sre_c
        for op, arg in self.items:
            if (op is c.LITERAL and ord(ch) == arg) or (op is c.RANGE and arg[0] <= ord(ch) <= arg[1]):
                return True
            if op is c.CATEGORY and ch in _CATEGORIES.get(str(arg), ""):
                return True
        return False


def can_write(pattern: str) -> bool:
    """Whether a string can be written for ``pattern`` (a hinted one is dropped rather than fail the answer)."""
    try:
        Generator(random.Random(0)).from_regex(pattern)
    except PatternError:
        return False
    return True


def _matches(pattern: str, text: str) -> bool:
    """Whether ``pattern`` finds ``text`` (a search, as JSON Schema applies patterns); False if RE2 cannot read it.

    RE2, as for scenario regexes: the pattern comes from the request, and Python's re can backtrack for seconds.
    """
    try:
        return Regex(pattern).search(text)
    except RegexError:
        return False


def _hex(g: Generator, n: int) -> str:
    return "".join(g.rng.choices("0123456789abcdef", k=n))


def _date(g: Generator) -> str:
    return f"{g.rng.randint(2000, 2030):04d}-{g.rng.randint(1, 12):02d}-{g.rng.randint(1, 28):02d}"


def _time(g: Generator) -> str:
    return f"{g.rng.randint(0, 23):02d}:{g.rng.randint(0, 59):02d}:{g.rng.randint(0, 59):02d}Z"


_FORMATS: dict[str, Any] = {
    "date-time": lambda g: f"{_date(g)}T{_time(g)}",
    "date": _date,
    "time": _time,
    "duration": lambda g: f"PT{g.rng.randint(1, 59)}M",
    "email": lambda g: f"{g._word()}.{g._word()}@example.com".lower(),
    "idn-email": lambda g: f"{g._word()}@example.com".lower(),
    "hostname": lambda g: f"{g._word()}.example.com".lower(),
    "idn-hostname": lambda g: f"{g._word()}.example.com".lower(),
    "uri": lambda g: f"https://example.com/{g._word()}".lower(),
    "url": lambda g: f"https://example.com/{g._word()}".lower(),
    "iri": lambda g: f"https://example.com/{g._word()}".lower(),
    "uri-reference": lambda g: f"/{g._word()}".lower(),
    "ipv4": lambda g: ".".join(str(g.rng.randint(1, 254)) for _ in range(4)),
    "ipv6": lambda g: ":".join(_hex(g, 4) for _ in range(8)),
    "uuid": lambda g: f"{_hex(g, 8)}-{_hex(g, 4)}-4{_hex(g, 3)}-a{_hex(g, 3)}-{_hex(g, 12)}",
}


def generate(schema: Any, rng: random.Random, fake: Fake | None = None) -> Any:
    """A value ``schema`` accepts, drawn from ``rng`` (and ``fake``): see the module docstring."""
    return Generator(rng, fake).instance(schema)
