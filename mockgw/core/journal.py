"""A bounded record of every request and what answered it."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

DEFAULT_JOURNAL_SIZE = 1000


@dataclass
class JournalEntry:
    """One request: what came in, which rule answered, what went out and when."""

    seq: int
    time: float  # wall-clock seconds since the epoch, when the request arrived
    method: str
    path: str
    headers: Mapping[str, str]
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
    body_bytes: int | None = None  # the body's size as received, when it was read as JSON

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
            "body_bytes": self.body_bytes,
        }


# Credentials never reach the journal: it is shown in the inspector, written to files and logged.
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "proxy-authorization", "cookie", "x-mockgw-admin-token"})


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased headers with credentials replaced by ``[redacted]``."""
    lowered = ((k.lower(), v) for k, v in headers.items())
    return {k: ("[redacted]" if k in SECRET_HEADERS else v) for k, v in lowered}


class Journal(Sequence[JournalEntry]):
    """The last ``maxlen`` entries, oldest first. Safe to read from another thread while the server writes."""

    def __init__(self, maxlen: int = DEFAULT_JOURNAL_SIZE) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=maxlen)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def new_entry(self, **fields: Any) -> JournalEntry:
        with self._lock:
            entry = JournalEntry(seq=next(self._seq), **fields)
            self._entries.append(entry)
        return entry

    def clear(self, session: str | None = None) -> None:
        """Forget every entry, or only one session's."""
        with self._lock:
            if session is None:
                self._entries.clear()
            else:
                kept = [e for e in self._entries if e.session != session]
                self._entries.clear()
                self._entries.extend(kept)

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
