"""A bounded record of every request and what answered it."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, overload
from urllib.parse import unquote_plus

DEFAULT_JOURNAL_SIZE = 1000  # entries
# Bytes: 100 requests of 30 MB once took the journal to 3 GB. Bodies over JOURNAL_BODY_BYTES are kept
# shortened (marked ``body_truncated``); the journal forgets its oldest entries past JOURNAL_BYTES in all.
DEFAULT_JOURNAL_BYTES = 64 * 1024 * 1024
DEFAULT_JOURNAL_BODY_BYTES = 1024 * 1024
_ENTRY_OVERHEAD = 1024  # what an entry costs besides its body and headers (fields, events), roughly


class WhyLater(Protocol):
    """A decision path made when first read (``engine.WhyLater``), and roughly the bytes it will hold."""

    cost: int

    def __call__(self) -> dict[str, Any]: ...


# slots: one entry is made per request, and its fields are set one by one as the request goes on.
@dataclass(slots=True)
class JournalEntry:
    """One request: what came in, which rule answered, what went out and when."""

    seq: int
    time: float  # wall-clock seconds since the epoch, when the request arrived
    method: str
    # As received, kept by reference (no copy per request); read them as ``path`` and ``headers``, where their
    # credentials are redacted. Left out of repr: a failing test's output must not show a key.
    raw_path: str = field(repr=False)
    raw_headers: Mapping[str, str] = field(repr=False)  # lower-cased names
    body: Any  # the parsed JSON body, or None
    session: str
    face: str | None = None  # the API it came through (anthropic-messages, openai-chat…); None: not an API call
    rule: str | None = None  # the label of the rule that answered (None: no rule, e.g. a validation error)
    status: int = 0
    stream: bool = False
    events: list[str] = field(default_factory=list)  # SSE event names sent, in order
    error: str | None = None  # the error message sent, if any
    unmatched: bool = False  # no rule matched (the answer was the near-miss report)
    duration_ms: float = 0.0
    ttft_ms: float | None = None  # time to the first content delta, for streams
    # A message-thread request: its form, the whole conversation the rules saw (``body`` keeps what was
    # sent), and the id its reply is held under (see faces/anthropic/threads.py). None: no ``thread``.
    thread: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)  # what the answer changed of the script, and why
    # The decision path (``why``), or what makes it when first read (``defer_why``).
    _why: dict[str, Any] | WhyLater | None = field(default=None, repr=False)
    # A stream's events on a timeline: runs of one event name with their times (``mark_timeline``).
    timeline: list[dict[str, Any]] = field(default_factory=list)
    # The answer sent, as blocks with its stop reason and usage (``answer_summary``). None: no message went out.
    answer: dict[str, Any] | None = None
    # The session's named state when the rules were asked, and the state a ``set_state`` of the answer moved
    # it to (None: none fired). Both None when no rule was asked (``why`` is None).
    state: str | None = None
    set_state: str | None = None
    body_bytes: int = 0  # the body's size as received (decoded from its Content-Encoding)
    body_truncated: bool = False  # the body was over the journal's body limit: ``body`` is a shortened copy
    cost: int = field(default=0, repr=False, compare=False)  # bytes the journal counts for this entry
    held: bool = field(default=False, repr=False, compare=False)  # still in the journal (not dropped or cleared)
    _redacted: dict[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def path(self) -> str:
        """The path and query string, credentials in the query redacted (``redact_query``)."""
        return redact_query(self.raw_path)

    @property
    def headers(self) -> dict[str, str]:
        """The headers (lower-cased names), credentials redacted (``redact_headers``): made on first read, not
        when the request arrives (most entries are never read)."""
        if self._redacted is None:
            self._redacted = redact_headers(self.raw_headers)
        return self._redacted

    @property
    def why(self) -> dict[str, Any] | None:
        """The decision path: each rule tried in order with the predicates that failed, and the one that
        answered (engine.why_record). None: no rule was consulted (a validation error, an admin override of
        the status). A deferred one (``defer_why``) is made here, on first read, and kept."""
        why = self._why
        if why is None or isinstance(why, dict):
            return why
        made = self._why = why()
        return made

    @why.setter
    def why(self, value: dict[str, Any] | None) -> None:
        self._why = value

    def defer_why(self, later: WhyLater) -> None:
        """Keep the decision path as ``later``, to be made when ``why`` is first read: most entries' are
        never read (the admin API, the inspector and the exports read them)."""
        self._why = later

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (the admin API and `mockgw exec --journal` write this)."""
        return {
            "seq": self.seq,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "headers": dict(self.headers),
            "body": self.body,
            "session": self.session,
            "face": self.face,
            "model": self.model,
            "rule": self.rule,
            "status": self.status,
            "stream": self.stream,
            "events": list(self.events),
            "error": self.error,
            "unmatched": self.unmatched,
            "duration_ms": round(self.duration_ms, 3),
            "ttft_ms": None if self.ttft_ms is None else round(self.ttft_ms, 3),
            "thread": self.thread,
            "notes": list(self.notes),
            "why": self.why,
            "timeline": [dict(run) for run in self.timeline],
            "answer": self.answer,
            "state": self.state,
            "set_state": self.set_state,
            "body_bytes": self.body_bytes,
            "body_truncated": self.body_truncated,
        }


# Credentials never reach the journal: it is shown in the inspector, written to files and logged. Any header
# or query parameter whose name says it carries one is replaced, whatever the API it belongs to (Anthropic's
# x-api-key, OpenAI's and Azure's authorization / api-key, Google's x-goog-api-key and ?key=, …).
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "cookie",
        "set-cookie",
        "x-mockgw-admin-token",
    }
)
_SECRET_NAME = re.compile(r"auth|api[-_]?key|token|secret|passw|credential|cookie|session[-_]?key|signature", re.I)
SECRET_QUERY_PARAMS = frozenset({"key", "sig", "code"})
REDACTED = "[redacted]"


def is_secret_header(name: str) -> bool:
    """Whether a header (lower-cased name) carries a credential: a known one, or a name that says so."""
    return name in SECRET_HEADERS or _SECRET_NAME.search(name) is not None


def is_secret_param(name: str) -> bool:
    """Whether a query parameter carries a credential (``key``, ``api_key``, ``access_token``, …)."""
    lowered = name.lower()
    return lowered in SECRET_QUERY_PARAMS or _SECRET_NAME.search(lowered) is not None


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased headers with credentials replaced by ``[redacted]``."""
    lowered = ((k.lower(), v) for k, v in headers.items())
    return {k: (REDACTED if is_secret_header(k) else v) for k, v in lowered}


def redact_query(path_qs: str) -> str:
    """A path with its query string's credentials replaced by ``[redacted]`` (the rest kept byte for byte)."""
    path, sep, query = path_qs.partition("?")
    if not sep or not query:
        return path_qs
    parts = []
    for part in query.split("&"):
        name, eq, _ = part.partition("=")
        parts.append(f"{name}={REDACTED}" if eq and is_secret_param(unquote_plus(name)) else part)
    return f"{path}?{'&'.join(parts)}"


# ---------------------------------------------------------------- bodies over the limit

_KEEP_CHARS = 1024  # of a long string, this much is kept
_KEEP_ITEMS = 64  # of a long list or object, this many items


def shorten(value: Any, budget: int) -> Any:
    """A copy of a JSON value that fits in about ``budget`` bytes: long strings cut (their length noted),
    long lists and objects cut to their first items (the count of the rest noted); scalars kept.

    The shape stays: a shortened request still shows its model, its roles and how its text begins.
    """
    left = [budget]

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            keep = min(len(item), _KEEP_CHARS, max(left[0], 0))
            left[0] -= keep + 8
            return item if keep == len(item) else f"{item[:keep]}…[{len(item) - keep:,} more characters]"
        if isinstance(item, list):
            out = []
            for i, child in enumerate(item):
                if i >= _KEEP_ITEMS or left[0] <= 0:
                    out.append(f"…[{len(item) - i:,} more items]")
                    break
                out.append(walk(child))
            return out
        if isinstance(item, dict):
            obj: dict[str, Any] = {}
            for i, (key, child) in enumerate(item.items()):
                if i >= _KEEP_ITEMS or left[0] <= 0:
                    obj["…"] = f"[{len(item) - i:,} more keys]"
                    break
                left[0] -= len(key) + 8
                obj[key] = walk(child)
            return obj
        left[0] -= 8
        return item

    return walk(value)


# ---------------------------------------------------------------- a stream's timeline

TIMELINE_RUNS = 256  # runs kept per stream: past this, the last run absorbs the rest (``"name": "…"``)


def mark_timeline(timeline: list[dict[str, Any]], event: str, at_ms: float) -> None:
    """Add one event sent ``at_ms`` after the stream began to ``timeline``: runs of one event name, each
    ``{"event", "count", "first_ms", "last_ms", "max_gap_ms"}`` (the longest wait before an event of the
    run, the one before it included). Bounded: a stream of 15,000 deltas is a handful of runs."""
    last = timeline[-1] if timeline else None
    gap = 0.0 if last is None else at_ms - last["last_ms"]
    if last is not None and (last["event"] == event or len(timeline) >= TIMELINE_RUNS):
        if last["event"] != event:
            last["event"] = "…"
        last["count"] += 1
        last["max_gap_ms"] = round(max(last["max_gap_ms"], gap), 3)
        last["last_ms"] = round(at_ms, 3)
        return
    run = {"event": event, "count": 1, "first_ms": round(at_ms, 3), "last_ms": round(at_ms, 3)}
    run["max_gap_ms"] = round(gap, 3)
    timeline.append(run)


# ---------------------------------------------------------------- the answer sent

ANSWER_TEXT_CHARS = 4096  # of a text or thinking block, this much is kept
ANSWER_INPUT_BYTES = 4096  # a tool call's input past this is kept shortened (``shorten``)
ANSWER_BLOCKS = 64  # blocks kept; past this, a count of the rest


def answer_block(kind: str, *, text: str | None = None, name: str | None = None, input: Any = None) -> dict[str, Any]:
    """One block of an answer, face-neutral and bounded: ``{"type", "text"}`` for text and thinking (cut to
    ANSWER_TEXT_CHARS, ``text_chars`` the whole length when cut), ``{"type", "name", "input"}`` for tool calls
    (a big input shortened), ``{"type"}`` alone for the rest."""
    block: dict[str, Any] = {"type": kind}
    if text is not None:
        block["text"] = text[:ANSWER_TEXT_CHARS]
        if len(text) > ANSWER_TEXT_CHARS:
            block["text_chars"] = len(text)
    if name is not None:
        block["name"] = name
        block["input"] = shorten(input, ANSWER_INPUT_BYTES)
    return block


def answer_summary(
    blocks: Sequence[dict[str, Any]], stop_reason: str | None, usage: Mapping[str, int]
) -> dict[str, Any]:
    """What the journal keeps of an answer: its first ANSWER_BLOCKS blocks (``answer_block``; ``more_blocks``
    counts the rest), why it stopped and its token counts. Built once per request from the rendered reply."""
    summary: dict[str, Any] = {"blocks": list(blocks[:ANSWER_BLOCKS]), "stop_reason": stop_reason}
    if len(blocks) > ANSWER_BLOCKS:
        summary["more_blocks"] = len(blocks) - ANSWER_BLOCKS
    summary["usage"] = dict(usage)
    return summary


def _answer_cost(answer: dict[str, Any] | None) -> int:
    """Roughly the bytes a kept answer holds (each part is bounded by ``answer_block``)."""
    if not answer:
        return 0
    cost = 256
    for block in answer["blocks"]:
        cost += 64 + len(block.get("text", ""))
        if "input" in block:  # shortened to about ANSWER_INPUT_BYTES at most: cheap to measure
            cost += len(json.dumps(block["input"], ensure_ascii=False, default=str))
    return cost


# ---------------------------------------------------------------- the journal


def _why_cost(why: dict[str, Any] | WhyLater | None) -> int:
    """Roughly the bytes a decision path holds (its reasons are short: matching cuts quoted text)."""
    if not why:
        return 0
    if not isinstance(why, dict):
        return why.cost  # not made yet: its own estimate
    facts = why.get("request") or {}
    tried = sum(64 + sum(len(m["predicate"]) + len(m["reason"]) for m in t["misses"]) for t in why["tried"])
    return tried + 256 + len(facts.get("last_user", ""))


class Journal(Sequence[JournalEntry]):
    """The last ``maxlen`` entries, oldest first, holding at most about ``max_bytes``; bodies over
    ``body_bytes`` kept shortened. Safe to read from another thread while the server writes."""

    def __init__(
        self,
        maxlen: int = DEFAULT_JOURNAL_SIZE,
        max_bytes: int = DEFAULT_JOURNAL_BYTES,
        body_bytes: int = DEFAULT_JOURNAL_BODY_BYTES,
    ) -> None:
        self.maxlen = maxlen
        self.max_bytes = max_bytes
        self.body_bytes = body_bytes
        self.dropped = 0  # entries forgotten to stay within the bounds, since the start
        self._entries: deque[JournalEntry] = deque()
        self._bytes = 0
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        """The bytes the journal counts for what it holds now (bodies and headers, roughly)."""
        return self._bytes

    def new_entry(self, *, path: str, headers: Mapping[str, str], **fields: Any) -> JournalEntry:
        """Record a request as it arrives: ``path`` (with its query string) and ``headers`` (lower-cased
        names) as received, by reference; they are redacted when the entry is read."""
        # Made before the lock: only the sequence number and the deque need it.
        entry = JournalEntry(seq=0, raw_path=path, raw_headers=headers, **fields)
        # Two joins count the headers' characters in C: a generator over the pairs cost more than a microsecond.
        entry.cost = _ENTRY_OVERHEAD + len("".join(headers)) + len("".join(headers.values())) + len(path)
        entry.held = True
        with self._lock:
            entry.seq = next(self._seq)
            self._entries.append(entry)
            self._bytes += entry.cost
            self._trim()
        return entry

    def set_body(self, entry: JournalEntry, body: Any, size: int) -> None:
        """Record the parsed ``body`` (``size`` bytes as received) of a request in flight.

        The handler still needs the whole body; ``settle`` shortens it once the answer is out.
        """
        entry.body = body
        entry.body_bytes = size

    def settle(self, entry: JournalEntry) -> None:
        """The request is answered: shorten its body if it is over the limit, and count it."""
        if entry.body_bytes > self.body_bytes:
            _ = entry.why  # a deferred one reads the whole request: made now, before the body is let go
            entry.body = shorten(entry.body, self.body_bytes)
            entry.body_truncated = True
        held = min(entry.body_bytes, self.body_bytes) + _why_cost(entry._why) + 160 * len(entry.timeline)
        held += _answer_cost(entry.answer)
        with self._lock:
            cost = entry.cost + held
            if entry.held:  # not dropped or cleared meanwhile
                self._bytes += cost - entry.cost
            entry.cost = cost
            self._trim()

    def _trim(self) -> None:
        entries = self._entries
        # Over the byte bound the newest entry stays, whatever it costs: the latest request is always shown.
        while entries and (len(entries) > self.maxlen or (self._bytes > self.max_bytes and len(entries) > 1)):
            gone = entries.popleft()
            gone.held = False
            self._bytes -= gone.cost
            self.dropped += 1

    def clear(self, session: str | None = None) -> None:
        """Forget every entry, or only one session's."""
        with self._lock:
            kept = [] if session is None else [e for e in self._entries if e.session != session]
            for gone in self._entries:
                gone.held = False
            self._entries.clear()
            for entry in kept:
                entry.held = True
            self._entries.extend(kept)
            self._bytes = sum(e.cost for e in self._entries)

    def snapshot(self) -> list[JournalEntry]:
        with self._lock:
            return list(self._entries)

    @property
    def last(self) -> JournalEntry:
        """The newest entry (IndexError when empty)."""
        with self._lock:
            if not self._entries:
                raise IndexError("the journal is empty: no request has reached mockgw")
            return self._entries[-1]

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> JournalEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[JournalEntry]: ...

    def __getitem__(self, index: int | slice) -> JournalEntry | list[JournalEntry]:
        return self.snapshot()[index]

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.snapshot())
