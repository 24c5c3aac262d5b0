"""What every face's prepared answers share: bytes with holes, the markers that cut them, and the tables.

A face prepares a literal reply (no template, no ``json`` block, no ``input: auto``, no citations) by
rendering it once with its own writers, with markers in place of what varies per request (ids, the echoed
model, the input count, a timestamp …), and cutting the bytes at the markers (:func:`cut`). A request then
costs its id draws and one join (:func:`fill`). The Messages face (faces/anthropic/prepared.py), the OpenAI
chat face (faces/openai/prepared.py) and the AI SDK face (faces/aisdk/prepared.py) each keep what is theirs
(which values fill which hole, when a request fits) and take the rest from here:

- :class:`MarkedIds` stands in for ``core.answer.Ids`` and records each draw, so a request replays them in order;
- :class:`RefusingContext` makes any template read fail (:class:`NotLiteral`): what renders through it is literal;
- :class:`PreparedTable` holds a scenario's prepared replies by rule and sequence step;
- :class:`PerScenario` makes a face's table once per scenario object, off the request path.

Pure: no I/O.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from mockgw.core.answer import CHARS_PER_TOKEN, Answer, Ids, Reply, compose
from mockgw.core.engine import scripted
from mockgw.core.structured import AUTO
from mockgw.scenario.schema import JsonReply, Scenario, ServerToolUseReply, TextReply, Timing, ToolUseReply

# Bytes, or the index of the value that fills the hole there (each face numbers its own values).
Segments = tuple[bytes | int, ...]
# Answers prepared per scenario at most (in rule order): about half a millisecond each at load, and a scenario
# of thousands of rules (generated ones) must still load in a second or two. The rest take the full path.
MAX_PREPARED = 256
# A model name that JSON writes as it is: printable ASCII without a quote or a backslash.
PLAIN_MODEL = re.compile(r"[ !#-\[\]-~]*")
# Every face's markers: the ids' (``MarkedIds.marker``), the model's and a timestamp's, a metadata value's with
# the quotes JSON puts around it (the whole value is replaced), and a 16-digit number's (``marker_number``).
# One pattern for every render, so preparing a scenario of thousands of rules compiles none.
_MARKERS = re.compile(rb'"Mgw[0-9a-f]{16}meta"|Mgw[0-9a-f]{16}(?:model|time|h[0-9]+z)|[0-9]{16}')


def new_nonce() -> str:
    """A render's marker prefix: random, so scenario text never meets a marker by chance."""
    return "Mgw" + secrets.token_hex(8)


def marker_number() -> int:
    """A random 16-digit number, a count no scenario writes by chance; under 2**53, so ``tokens()`` counts it
    exactly in floats, and a sum of it with an output count still has 16 digits."""
    return 10**15 + secrets.randbelow(8 * 10**15)


class NotLiteral(Exception):
    """The reply read the request or Faker while rendering: it has a template."""


class RefusingContext:
    """A template context that refuses every read: rendering through it succeeds only for a literal reply."""

    notes: list[str]

    def __init__(self) -> None:
        self.notes = []

    def faker_call(self, provider: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        raise NotLiteral

    def request_field(self, name: str) -> Any:
        raise NotLiteral

    def request_header(self, name: str) -> str:
        raise NotLiteral

    def note(self, message: str) -> None:
        raise NotLiteral


class MarkedIds:
    """Ids that are markers: each draw (any ``Ids`` method, with its arguments) is recorded in order and
    answered with a marker the prepared bytes are cut at; the k-th draw's fills value ``first + k``."""

    def __init__(self, nonce: str, first: int) -> None:
        self.nonce = nonce
        self.first = first
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def marker(self, index: int) -> str:
        # Letters and digits only, so JSON writes it unchanged wherever an id goes; ``z`` ends it, so no
        # marker is the start of another.
        return f"{self.nonce}h{index}z"

    def holes(self) -> dict[bytes, int]:
        """Each draw's marker and the value that fills it."""
        return {self.marker(hole).encode(): hole for hole in range(self.first, self.first + len(self.calls))}

    def __getattr__(self, name: str) -> Callable[..., str]:
        if name.startswith("_"):
            raise AttributeError(name)

        def draw(*args: Any) -> str:
            self.calls.append((name, args))
            return self.marker(self.first + len(self.calls) - 1)

        return draw


@dataclass(frozen=True)
class MarkedAnswer:
    """A reply composed once with markers: the neutral answer, the ids that recorded its draws (draw more
    from ``ids`` after it, as the route does), and the 16-digit input count it was composed with."""

    nonce: str
    marked: MarkedIds
    answer: Answer
    input_marker: int

    @property
    def ids(self) -> Ids:
        return cast(Ids, self.marked)


def compose_marked(reply: Reply, first_id: int) -> MarkedAnswer | None:
    """``reply`` composed into the neutral answer (core.answer.compose) with markers, for the faces that write
    from it (OpenAI chat and Responses, the AI SDK): draws recorded from value ``first_id`` on, a random input
    count, a context that refuses any template read. None when the reply is not literal after all."""
    nonce = new_nonce()
    marked = MarkedIds(nonce, first_id)
    input_marker = marker_number()
    ids = cast(Ids, marked)
    try:
        answer = compose(
            reply, input_chars=input_marker * CHARS_PER_TOKEN, ctx=RefusingContext(), ids=ids, tool_id=ids.call
        )
    except (NotLiteral, ValueError, OverflowError):  # a template read the request or Faker
        return None
    return MarkedAnswer(nonce, marked, answer, input_marker)


def cut(data: bytes, holes: Mapping[bytes, int]) -> Segments:
    """``data`` cut at ``holes`` (bytes that match the marker pattern but are not holes stay as they are)."""
    out: list[bytes | int] = []
    pos = 0
    for found in _MARKERS.finditer(data):
        hole = holes.get(found.group())
        if hole is None:
            continue
        if found.start() > pos:
            out.append(data[pos : found.start()])
        out.append(hole)
        pos = found.end()
    if pos < len(data) or not out:
        out.append(data[pos:])
    return tuple(out)


def fill(segments: Segments, values: list[bytes]) -> bytes:
    """The bytes of ``segments`` with each hole filled from ``values``."""
    if len(segments) == 1 and isinstance(segments[0], bytes):
        return segments[0]
    return b"".join([part if isinstance(part, bytes) else values[part] for part in segments])


def literal_blocks(reply: Reply) -> bool:
    """Whether nothing in the reply is made per request besides ids: json blocks, generated tool input and
    citations (resolved against the request's documents) are."""
    for block in reply.blocks:
        if isinstance(block, JsonReply):
            return False
        if isinstance(block, TextReply) and block.citations:
            return False
        if isinstance(block, ToolUseReply | ServerToolUseReply):
            spec = block.tool_use if isinstance(block, ToolUseReply) else block.server_tool_use
            if spec.input == AUTO:
                return False
    return True


class _Preparable(Protocol):
    @property
    def blocks(self) -> object: ...

    @property
    def chunk_chars(self) -> int: ...


P = TypeVar("P", bound=_Preparable)
T = TypeVar("T")


class PreparedTable(Generic[P]):
    """The literal replies of a scenario (the first ``limit``) prepared by one face: by rule index and step."""

    def __init__(self, scenario: Scenario, prepare: Callable[[Reply, Timing], P | None], limit: int) -> None:
        self._by_answer: dict[tuple[int, int | None], P] = {}
        defaults = scenario.defaults.timing
        for index, rule in enumerate(scenario.rules):
            steps = [(None, rule)] if rule.sequence is None else list(enumerate(rule.sequence))
            for step, answer in steps:
                if len(self._by_answer) >= limit:
                    return
                reply, timing = scripted(rule, answer, defaults)
                if reply is None:
                    continue
                prepared = prepare(reply, timing)
                if prepared is not None:
                    self._by_answer[index, step] = prepared

    def __len__(self) -> int:
        return len(self._by_answer)

    def get(self, rule_index: int, step: int | None, reply: Reply | None, timing: Timing) -> P | None:
        """The prepared answer of a decision, if its reply is one prepared (and its stream cut alike)."""
        prepared = self._by_answer.get((rule_index, step))
        if prepared is None or reply is None or prepared.blocks is not reply.blocks:
            return None
        if (timing.chunk_chars or 16) != prepared.chunk_chars:
            return None
        return prepared


class PerScenario(Generic[T]):
    """What ``make`` makes of a scenario, made once per scenario object: the last ``size`` remembered, by
    identity. Thread-safe: the admin API, hot reload and ``MockGateway.load`` make them in their threads."""

    def __init__(self, make: Callable[[Scenario], T], size: int = 4) -> None:
        self._make = make
        self._size = size
        self._made: OrderedDict[int, tuple[Scenario, T]] = OrderedDict()
        self._lock = threading.Lock()

    def made_for(self, scenario: Scenario) -> T | None:
        """What was made of ``scenario``, if it was (None: call this object, off the loop)."""
        with self._lock:
            found = self._made.get(id(scenario))
            if found is None or found[0] is not scenario:
                return None
            self._made.move_to_end(id(scenario))
            return found[1]

    def __call__(self, scenario: Scenario) -> T:
        """What ``make`` makes of ``scenario``: made now (call it off the loop) unless it was already."""
        found = self.made_for(scenario)
        if found is not None:
            return found
        made = self._make(scenario)
        self.keep(scenario, made)
        return made

    def keep(self, scenario: Scenario, made: T) -> None:
        """Remember ``made`` as what was made of ``scenario`` (a test may hand a gateway a table of its own)."""
        with self._lock:
            self._made[id(scenario)] = (scenario, made)
            self._made.move_to_end(id(scenario))
            while len(self._made) > self._size:
                self._made.popitem(last=False)

    def clear(self) -> None:
        """Forget everything made."""
        with self._lock:
            self._made.clear()
