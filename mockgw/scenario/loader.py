"""Load scenarios: YAML in, a validated :class:`Scenario` out, or every problem at once.

This is the only module in mockgw that imports yaml. It reads safely (the safe constructor only; libyaml's
parser first, PyYAML's pure-Python one for a file with a problem, so its reports are the same), refuses
duplicate keys (PyYAML would silently keep the last), and turns pydantic's validation errors into
``file:line: rules[1].match: unknown key 'last_usr' (did you mean 'last_user'?)`` — one line per problem,
all problems of all files together, so a scenario is never half-loaded.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, JsonValue, Tag, ValidationError
from pydantic_core import ErrorDetails
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

import mockgw
from mockgw.scenario.schema import AuthConfig, ModelEntry, Scenario

_libyaml: Any
try:  # libyaml's parser, in PyYAML's wheels; without it, the pure-Python reader does everything
    from yaml import _yaml as _libyaml
except ImportError:  # pragma: no cover - a PyYAML built without libyaml
    _libyaml = None
_CParser: Any = getattr(_libyaml, "CParser", None)

DEFAULT_SCENARIO = "hello"
_BUNDLED_NAME = re.compile(r"[A-Za-z0-9_-]+")  # no dots or slashes: a name can never leave bundled_dir()
_YAML_SUFFIXES = (".yaml", ".yml")
_SHORT_INPUT = 40  # longer offending values are left out of messages; the line number finds them
_MERGE_TAG = "tag:yaml.org,2002:merge"
_SURROGATE = re.compile("[\ud800-\udfff]")
# How many values YAML aliases may add to a file, in all. Anchors for shared defaults add a few dozen; a
# "billion laughs" file of 594 bytes adds 10**7 or more, and building them took 75 s and 750 MB.
MAX_ALIAS_VALUES = 10_000

# ---------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located as precisely as the source allows."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        """``file:line: path: message``, leaving out the parts that are empty."""
        where = self.file
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        return ": ".join(part for part in (where, self.path, self.message) if part)


class ScenarioError(Exception):
    """A scenario (or several) could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickles its args (the joined text); rebuild from the problems instead.
        return (type(self), (self.problems,))


# ---------------------------------------------------------------- paths

# A cleaned path: (item, is_index). Ints are usually list indices, but a YAML mapping may have int keys.
_Seg = tuple[int | str, bool]
_JSON_CONTAINER = object()  # marker: the next loc item is a key or index inside a JsonValue


def _render_path(segs: Sequence[_Seg]) -> str:
    out = ""
    for item, is_index in segs:
        out += f"[{item}]" if is_index else (f".{item}" if out else str(item))
    # A key with a lone surrogate is shown escaped: problems are printed and sent as UTF-8.
    return out if out.isascii() else out.encode("utf-8", "backslashreplace").decode("utf-8")


def _strip(tp: Any) -> Any:
    """Peel ``Annotated[...]`` and ``X | None`` so the structural type shows."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _union_members(tp: Any) -> list[tuple[str, Any]] | None:
    """(tag, type) of each member of a union of two or more types; None for anything else."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    members: list[tuple[str, Any]] = []
    for arg in typing.get_args(tp):
        if arg is type(None):
            continue
        # Smart unions tag a member by its name (``int``, ``TurnMatch``); discriminated ones by Tag().
        tag: str = getattr(_strip(arg), "__name__", repr(arg))
        if typing.get_origin(arg) is typing.Annotated:
            tag = next((m.tag for m in arg.__metadata__ if isinstance(m, Tag)), tag)
        members.append((tag, arg))
    return members


@dataclass(frozen=True)
class _Where:
    segs: list[_Seg]  # the loc without union tags
    owner: type[BaseModel] | None  # the model whose field the last item names
    tags: tuple[int, ...]  # indices in the loc of the union tags that were dropped


def _clean_loc(loc: Sequence[int | str]) -> _Where:
    """Walk a pydantic ``loc`` down the Scenario's types, dropping the union tags pydantic inserts.

    ``('rules', 0, 'reply', 0, 'tool_use', 'tool_use', 'name')`` holds the discriminated union's tag
    ``tool_use`` before the field ``tool_use``; ``('match', 'turn', 'TurnMatch', 'gte')`` holds a smart
    union's. Knowing the types tells tags from keys exactly (a header really named ``header`` survives).
    Also finds the model class whose field the last item names, so unknown keys can get a suggestion.
    """
    tp: Any = Scenario
    segs: list[_Seg] = []
    owner: type[BaseModel] | None = None
    tags: list[int] = []
    for index, item in enumerate(loc):
        tp = _strip(tp)
        owner = None
        if tp is JsonValue:
            # JsonValue is a recursive union: a tag ('dict', 'list'), then a key or index, and so on.
            tp = _JSON_CONTAINER
            continue
        if tp is _JSON_CONTAINER:
            segs.append((item, isinstance(item, int)))
            tp = JsonValue
            continue
        members = _union_members(tp)
        if members is not None:
            # Below a union of two or more, pydantic always names the member first: drop it.
            tp = next((member for tag, member in members if tag == item), None)
            tags.append(index)
            continue
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            owner = tp
            field = tp.model_fields.get(item) if isinstance(item, str) else None
            segs.append((item, False))
            tp = field.annotation if field is not None else None
            continue
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is list and args:
            segs.append((item, True))
            tp = args[0]
        elif origin is dict and len(args) == 2:
            segs.append((item, False))
            tp = args[1]
        else:
            # Type unknown here: the best remaining guess is that a repeated name is a tag.
            if not (segs and isinstance(item, str) and segs[-1][0] == item):
                segs.append((item, isinstance(item, int)))
            tp = None
    return _Where(segs, owner, tuple(tags))


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


# ---------------------------------------------------------------- YAML


class _Checked(yaml.composer.Composer, SafeConstructor):
    """What both loaders add to PyYAML's: duplicate keys reported (PyYAML keeps the last one silently), alias
    bombs and integers too long to convert refused, each at its line."""

    _alias_values = 0  # values the aliases met so far stand for
    _sizes: dict[int, int]  # id(node) -> values in it, once counted

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # Counted as the file is composed, before anything is built: the composed graph shares the aliased
        # nodes (it stays small); building the data would expand every alias in full.
        if not hasattr(self, "_sizes"):
            self._sizes = {}
        if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]
            event = self.peek_event()  # type: ignore[attr-defined]
            anchored = self.anchors.get(event.anchor)
            if anchored is not None:
                self._alias_values += self._values_in(anchored)
                if self._alias_values > MAX_ALIAS_VALUES:
                    raise yaml.composer.ComposerError(
                        None,
                        None,
                        f"YAML aliases here expand to more than {MAX_ALIAS_VALUES:,} values in all "
                        f"(alias *{event.anchor}); write the values out, or use fewer aliases",
                        event.start_mark,
                    )
        return super().compose_node(parent, index)

    def _values_in(self, root: yaml.Node) -> int:
        """How many values ``root`` expands to (itself included), aliases counted in full; memoised by node."""
        stack: list[tuple[yaml.Node, bool]] = [(root, False)]
        open_nodes: set[int] = set()  # on the current path: an alias to an enclosing anchor is a cycle
        while stack:  # iterative: nesting must not overflow the Python stack
            node, children_done = stack.pop()
            key = id(node)
            if key in self._sizes:
                continue
            children = _children(node)
            if children_done:
                open_nodes.discard(key)
                self._sizes[key] = 1 + sum(self._sizes.get(id(c), 1) for c in children)
            elif key not in open_nodes:
                open_nodes.add(key)
                stack.append((node, True))
                stack.extend((c, False) for c in children if id(c) not in self._sizes)
        return self._sizes.get(id(root), 1)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        try:
            return super().construct_yaml_int(node)
        except ValueError:  # more than sys.get_int_max_str_digits() digits (4,300)
            raise yaml.constructor.ConstructorError(
                None, None, "integer too long (more than 4,300 digits)", node.start_mark
            ) from None

    def duplicate_keys(self, root: yaml.Node) -> list[tuple[int, list[_Seg], str]]:
        """(line, path, message) for each key that repeats in its mapping, at the repeat."""
        found: list[tuple[int, list[_Seg], str]] = []
        seen_nodes: set[int] = set()  # aliases share nodes, and may even form cycles
        stack: list[tuple[yaml.Node, list[_Seg]]] = [(root, [])]
        while stack:  # iterative: a deeply nested file must not overflow the Python stack
            node, path = stack.pop()
            if id(node) in seen_nodes:
                continue
            seen_nodes.add(id(node))
            if isinstance(node, yaml.MappingNode):
                keys: set[Any] = set()
                for key_node, value_node in node.value:
                    if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                        continue  # merged keys (<<) are overridden on purpose, not duplicated
                    # Compare constructed keys, so `yes` and `true` collide as they do in the dict.
                    key = self.construct_object(key_node)
                    try:
                        if key in keys:
                            shown = _show(key) if not isinstance(key, str) else None
                            message = f"duplicate key {shown or repr(key)}"
                            found.append((key_node.start_mark.line + 1, path, message))
                        keys.add(key)
                    except TypeError:  # unhashable: construction reports it
                        pass
                    stack.append((value_node, [*path, (key_node.value, False)]))
            elif isinstance(node, yaml.SequenceNode):
                stack.extend((child, [*path, (i, True)]) for i, child in enumerate(node.value))
        found.sort(key=lambda f: f[0])
        return found


class _SafeLoader(_Checked, yaml.SafeLoader):
    """PyYAML's pure-Python reader, scanner and parser: the one whose error messages mockgw reports."""


class _FastLoader(_Checked, _CParser or yaml.parser.Parser, Resolver):  # type: ignore[misc]
    """libyaml's scanner and parser under the same composer and checks: ~3× faster on a scenario of small
    rules, far more on long strings (the pure-Python scanner costs ~2 µs a character). Used only for files it
    reads without a problem; any problem is read again by ``_SafeLoader``, so reports stay the same."""

    def __init__(self, stream: str) -> None:
        (_CParser or yaml.SafeLoader).__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


_SafeLoader.add_constructor("tag:yaml.org,2002:int", _SafeLoader.construct_yaml_int)  # type: ignore[type-var]
_FastLoader.add_constructor("tag:yaml.org,2002:int", _FastLoader.construct_yaml_int)  # type: ignore[type-var]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _locate(root: yaml.Node, items: Sequence[int | str], at_key: bool = False) -> int:
    """1-based line of the value at ``items`` (of its key when ``at_key``), else of its nearest ancestor."""
    node = root
    line = node.start_mark.line + 1
    for depth, item in enumerate(items):
        child: yaml.Node | None = None
        key_line = line
        if isinstance(node, yaml.MappingNode):
            pairs = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]
            want = str(item)
            # Exact first; then ignoring case, because header names are lowercased by the schema.
            matched = [(k, v) for k, v in pairs if k.value == want] or [
                (k, v) for k, v in pairs if str(k.value).lower() == want.lower()
            ]
            if matched:
                key_node, child = matched[-1]  # the last one wins, as in the constructed dict
                key_line = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(item, int) and 0 <= item < len(node.value):
            child = node.value[item]
            key_line = child.start_mark.line + 1
        if child is None:
            return line
        if at_key and depth == len(items) - 1:
            return key_line
        node, line = child, child.start_mark.line + 1
    return line


def _syntax_problem(exc: yaml.YAMLError, text: str, source: str) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        message = exc.problem or exc.context or "invalid YAML"
        if exc.problem and exc.context:
            context_line = exc.context_mark.line + 1 if exc.context_mark is not None else line
            if not exc.context.startswith("while"):
                # "expected a single document" + "but found another document": one sentence, in order.
                message = f"{exc.context}, {exc.problem}"
            elif context_line != line:
                message += f" ({exc.context} at line {context_line})"
        return Problem(source, line, "", message)
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, int(exc.position)) + 1
        char = exc.character
        what = f"#x{char:04x}" if isinstance(char, int) else repr(char)
        return Problem(source, line, "", f"unacceptable character {what}: {exc.reason}")
    return Problem(source, 1, "", str(exc))


def _parse_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None, list[Problem]]:
    """(data, root node, problems). Syntax errors stop here; duplicate keys are reported and kept going."""
    if _CParser is not None:
        try:
            return _read_with(_FastLoader, text, source)
        except Exception:  # any problem (lone surrogates included) is reported by the pure-Python reader
            pass
    try:
        return _read_with(_SafeLoader, text, source)
    except yaml.YAMLError as exc:
        return None, None, [_syntax_problem(exc, text, source)]
    except RecursionError:
        return None, None, [Problem(source, 1, "", "nested too deeply")]


def _read_with(loader_class: type[_Checked], text: str, source: str) -> tuple[Any, yaml.Node | None, list[Problem]]:
    loader: Any = loader_class(text)  # type: ignore[call-arg]  # the pure reader rejects control characters here
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None, []
        duplicates = loader.duplicate_keys(root)
        data = loader.construct_document(root)
    finally:
        loader.dispose()
    problems = [Problem(source, line, _render_path(path), msg) for line, path, msg in duplicates]
    return data, root, problems


# ---------------------------------------------------------------- validation


def _show(value: object) -> str | None:
    """A scalar as the YAML author wrote it, or None when it is not short and simple."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and len(value) <= _SHORT_INPUT:
        return repr(value)
    return None


def _message(error: ErrorDetails) -> str:
    msg = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            # Our own validators already say what was wrong and with what; don't repeat the input.
            return msg[len(prefix) :]
    if error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        msg = "expected a mapping"  # pydantic names our internal class here, which the author never sees
    shown = _show(error.get("input"))
    return f"{msg} (got {shown})" if shown is not None else msg


def _problem(error: ErrorDetails, where: _Where, source: str, root: yaml.Node | None) -> Problem:
    segs, owner = where.segs, where.owner
    items = [item for item, _ in segs]
    kind = error["type"]
    if kind == "invalid_key" and segs:
        # A YAML key like `1:` or `yes:` that is not text: point at the key, in its parent mapping.
        line = _locate(root, items, at_key=True) if root is not None else None
        return Problem(source, line, _render_path(segs[:-1]), _message(error))
    if kind in ("extra_forbidden", "missing") and segs:
        key = items[-1]
        path = _render_path(segs[:-1])
        if kind == "missing":
            line = _locate(root, items[:-1]) if root is not None else None
            return Problem(source, line, path, f"missing key {key!r}")
        message = f"unknown key {key!r}"
        if owner is not None and isinstance(key, str):
            close = difflib.get_close_matches(key, _allowed_keys(owner), n=1)
            if close:
                message += f" (did you mean {close[0]!r}?)"
        line = _locate(root, items, at_key=True) if root is not None else None
        return Problem(source, line, path, message)
    line = _locate(root, items) if root is not None else None
    return Problem(source, line, _render_path(segs), _message(error))


def _lone_surrogates(data: object, source: str, root: yaml.Node | None) -> list[Problem]:
    """Text holding a lone surrogate (YAML's ``"\\ud800"`` escape): no UTF-8 answer can carry it."""
    problems: list[Problem] = []
    seen: set[int] = set()  # YAML aliases share values, and may even form cycles
    stack: list[tuple[object, list[_Seg]]] = [(data, [])]
    while stack:  # iterative: a deeply nested file must not overflow the Python stack
        value, path = stack.pop()
        texts: list[tuple[object, list[_Seg]]] = [(value, path)]
        if isinstance(value, dict | list) and id(value) not in seen:
            seen.add(id(value))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, child in items:
                child_path = [*path, (key, isinstance(value, list))]
                texts.append((key, child_path))
                stack.append((child, child_path))
        for text, where in texts:
            found = _SURROGATE.search(text) if isinstance(text, str) else None
            if found is not None:
                line = _locate(root, [item for item, _ in where]) if root is not None else None
                message = f"lone surrogate \\u{ord(found.group()):04x} in text: write the character itself"
                problems.append(Problem(source, line, _render_path(where), message))
    return problems


def _validate(data: object, source: str, root: yaml.Node | None) -> tuple[Scenario | None, list[Problem]]:
    if not isinstance(data, dict):
        line = root.start_mark.line + 1 if root is not None else None
        return None, [Problem(source, line, "", "a scenario is a mapping with rules: [...]")]
    surrogates = _lone_surrogates(data, source, root)
    try:
        scenario = Scenario.model_validate(data)
        return (None, surrogates) if surrogates else (scenario, [])
    except ValidationError as exc:
        errors = [(error, _clean_loc(error["loc"])) for error in exc.errors(include_url=False)]
    # A smart union (``turn: int | TurnMatch``) reports one error per member. When the author clearly
    # wrote one member's form (an error lies inside it), the others' "wrong type" errors are noise.
    entered = {tuple(error["loc"][:i]) for error, where in errors for i in where.tags if i < len(error["loc"]) - 1}
    problems = [
        _problem(error, where, source, root)
        for error, where in errors
        if not (
            where.tags and where.tags[-1] == len(error["loc"]) - 1 and tuple(error["loc"][: where.tags[-1]]) in entered
        )
    ]
    return None, problems + surrogates


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        # Reading order: a fix-from-the-top pass through the file meets them in this order.
        raise ScenarioError(sorted(problems, key=lambda p: (p.file, p.line or 0)))


# ---------------------------------------------------------------- public loaders


def _no_include(scenario: Scenario, source: str, root: yaml.Node | None) -> Scenario:
    if scenario.include:
        line = None if root is None else _locate(root, ["include"], at_key=True)
        why = "only a scenario file can include others (their paths are relative to it)"
        raise ScenarioError([Problem(source, line, "include", why)])
    return scenario


def load_scenario_text(text: str, source: str = "<string>") -> Scenario:
    """Parse and validate YAML text; ``source`` names it in problems. Raises ScenarioError.

    ``include:`` is refused here: only a file (``load_scenario_file``, ``load_scenarios``) includes others.
    """
    scenario, root = _load_text(text, source)
    return _no_include(scenario, source, root)


def _load_text(text: str, source: str) -> tuple[Scenario, yaml.Node | None]:
    data, root, problems = _parse_yaml(text, source)
    if root is None and not problems:
        raise ScenarioError([Problem(source, 1, "", "empty scenario file")])
    if root is None:
        raise ScenarioError(problems)
    if data is None:
        raise ScenarioError([Problem(source, root.start_mark.line + 1, "", "empty scenario file")])
    scenario, invalid = _validate(data, source, root)
    _raise_if(problems + invalid)
    assert scenario is not None  # no problems means it validated
    return scenario, root


def load_scenario_data(data: object, source: str = "<dict>") -> Scenario:
    """Validate a scenario given as Python data (problems carry no line numbers). Raises ScenarioError."""
    scenario, problems = _validate(data, source, None)
    _raise_if(problems)
    assert scenario is not None
    return _no_include(scenario, source, None)


# Files one scenario may pull in through include: (a guard against a runaway tree, not a cycle: those are named).
MAX_INCLUDED_FILES = 256


def _read_tree(path: Path, chain: tuple[Path, ...] = (), seen: set[Path] | None = None) -> list[tuple[Path, Scenario]]:
    """The file at ``path`` then, in order, the files it includes (each once), with theirs; every problem of
    every file is raised together, each with its own file and line. ``chain``: the files including this one."""
    seen = set() if seen is None else seen
    here = (*chain, path.resolve())
    seen.add(here[-1])
    scenario, root = _load_text(_file_text(path), str(path))
    loaded = [(path, scenario)]
    problems: list[Problem] = []
    for i, name in enumerate(scenario.include):
        line = None if root is None else _locate(root, ["include", i])
        target = path.parent / name
        resolved = target.resolve()
        if resolved in here:
            cycle = " -> ".join(str(p) for p in (*here[here.index(resolved) :], resolved))
            problems.append(Problem(str(path), line, f"include[{i}]", f"an include cycle: {cycle}"))
            continue
        if resolved in seen:
            continue  # included twice (a diamond): its rules are merged once, where first included
        if not target.is_file():
            why = f"no such file: {target} (include paths are relative to the including file)"
            problems.append(Problem(str(path), line, f"include[{i}]", why))
            continue
        if len(seen) >= MAX_INCLUDED_FILES:
            problems.append(Problem(str(path), line, f"include[{i}]", f"more than {MAX_INCLUDED_FILES} files"))
            break
        try:
            loaded += _read_tree(target, here, seen)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    return loaded


def _file_text(path: Path) -> str:
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem(source, None, "", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(source, None, "", "is a folder, not a scenario file")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(source, None, "", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        text = raw.decode("utf-8-sig")  # YAML allows a byte-order mark; editors on Windows add one
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioError([Problem(source, line, "", "not UTF-8 text")]) from None
    return text


def load_scenario_file(path: str | Path) -> Scenario:
    """Load one scenario file, and the files it includes; ``name`` defaults to the file's stem. Raises
    ScenarioError."""
    path = Path(path)
    loaded = _read_tree(path)
    if len(loaded) > 1:
        return _combine(loaded)
    scenario = loaded[0][1]
    return scenario if scenario.name is not None else scenario.model_copy(update={"name": path.stem})


# ---------------------------------------------------------------- bundled scenarios and sources


def bundled_dir() -> Path:
    """The folder of bundled scenarios: ``mockgw/_bundled`` in a wheel, else the repo's ``scenarios/``."""
    package = Path(mockgw.__file__).parent
    inside = package / "_bundled"
    return inside if inside.is_dir() else package.parent / "scenarios"


def _bundled_files() -> list[Path]:
    folder = bundled_dir()
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.glob("*.yaml") if p.is_file() and _BUNDLED_NAME.fullmatch(p.stem)),
        key=lambda p: p.stem,
    )


def list_bundled() -> list[tuple[str, str]]:
    """(name, first line of its description) for each bundled scenario, sorted by name."""
    listing: list[tuple[str, str]] = []
    for path in _bundled_files():
        # Only the YAML is read (not validated): a listing should not fail because one file is broken.
        try:
            data, _, _ = _parse_yaml(path.read_text(encoding="utf-8-sig"), str(path))
        except (OSError, UnicodeDecodeError):
            data = None
        description = data.get("description") if isinstance(data, dict) else None
        lines = description.strip().splitlines() if isinstance(description, str) else []
        listing.append((path.stem, lines[0] if lines else ""))
    return listing


def resolve_source(source: str | Path) -> list[Path]:
    """The files a source stands for: a file, a folder's *.yaml/*.yml (sorted), or a bundled name."""
    if not str(source):
        # Path("") is the current folder; an empty source is far likelier a mistake than a wish for that.
        raise ScenarioError([Problem("", None, "", "empty source: give a file, folder or bundled name")])
    path = Path(source)
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.suffix in _YAML_SUFFIXES and p.is_file()), key=lambda p: p.name)
        if not files:
            raise ScenarioError([Problem(str(path), None, "", "folder has no *.yaml or *.yml files")])
        return files
    if path.exists():
        return [path]
    name = str(source)
    # The pattern admits no separator and no dot, so a name cannot reach outside the bundled folder.
    if _BUNDLED_NAME.fullmatch(name):
        candidate = bundled_dir() / f"{name}.yaml"
        if candidate.is_file():
            return [candidate]
    known = ", ".join(p.stem for p in _bundled_files()) or "none"
    message = f"no such file, folder or bundled scenario: {name!r} (bundled: {known})"
    raise ScenarioError([Problem("", None, "", message)])


def _combine(loaded: list[tuple[Path, Scenario]]) -> Scenario:
    """Merge scenarios in order: rules and files concatenated, scalars from the first file that sets them."""
    fields: dict[str, Any] = {}
    scalars = ("name", "description", "seed", "strict_models", "threads", "profile", "initial_state")
    for key in (*scalars, "defaults", "batches", "rate_limits"):
        for _, scenario in loaded:
            if key in scenario.model_fields_set:
                fields[key] = getattr(scenario, key)
                break
    if fields.get("name") is None:
        fields["name"] = loaded[0][0].stem
    fields["rules"] = [rule for _, scenario in loaded for rule in scenario.rules]
    fields["files"] = [entry for _, scenario in loaded for entry in scenario.files]

    if any(s.models is not None for _, s in loaded):
        models: dict[str, ModelEntry] = {}
        for _, scenario in loaded:
            for model in scenario.models or []:
                models.setdefault(model.id, model)  # the first file's entry for an id wins
        fields["models"] = list(models.values())

    auths = [s.auth for _, s in loaded if s.auth is not None]
    if auths:
        # Any file asking for auth turns it on for all: leaving it open would silently weaken a test.
        keys = list(dict.fromkeys(key for auth in auths for key in auth.keys))
        fields["auth"] = AuthConfig(keys=keys, oidc=any(auth.oidc for auth in auths))
    return Scenario.model_validate(fields)


def load_scenarios(sources: Sequence[str | Path]) -> Scenario:
    """Load and combine sources in order (files, folders, bundled names); none means ``hello``.

    Every problem of every source is raised together in one ScenarioError; nothing is half-loaded.
    """
    problems: list[Problem] = []
    loaded: list[tuple[Path, Scenario]] = []
    seen: set[Path] = set()  # a file both given (or in a folder given) and included is merged once
    for source in sources or [DEFAULT_SCENARIO]:
        try:
            paths = resolve_source(source)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        for path in paths:
            if path.resolve() in seen:
                continue
            try:
                loaded += _read_tree(path, seen=seen)
            except ScenarioError as exc:
                problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)  # already in source order, each file's in line order
    return _combine(loaded)
