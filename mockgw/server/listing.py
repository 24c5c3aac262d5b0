"""The rows of ``GET /_mockgw/requests``, each serialised once and kept while its entry stays the same.

Listing a full journal was slow (about 0.4 to 1 s for 1,000 Claude Code-shaped entries on a loaded
machine): nearly all of it was ``json.dumps`` of the same entries again at every call, for bodies up to
``LISTED_BODY_BYTES``. An answered entry no longer changes, so its row's bytes are kept and the page is
spliced from them; the answer's bytes are what ``json_body`` of the page would write.

A row is made again when its entry changed since (a request still streaming gains events; one answered
gains its status, duration and settled cost), told by a cheap fingerprint of the fields that change.
Rows are kept for the entries the journal still holds, and within ``CACHE_BYTES`` in all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mockgw.core.journal import JournalEntry
from mockgw.server.responses import json_body

CACHE_BYTES = 32 * 1024 * 1024  # rows kept in all; past it, rows are made per call (as before the cache)

Fingerprint = tuple[Any, ...]


def fingerprint(entry: JournalEntry) -> Fingerprint:
    """What tells whether an entry changed since its row was made: the fields a request in flight or its
    settling changes (objects replaced are told by identity; lists that grow, by length)."""
    return (
        entry.status,
        entry.duration_ms,
        entry.cost,
        entry.error,
        entry.rule,
        entry.unmatched,
        entry.ttft_ms,
        entry.state,
        entry.set_state,
        entry.body_truncated,
        entry.body_bytes,
        len(entry.events),
        len(entry.timeline),
        len(entry.notes),
        id(entry.body),
        id(entry.answer),
        id(entry.why),
        id(entry.thread),
    )


class ListingCache:
    """Each journal entry's listed row as JSON bytes, by ``seq``; safe on one event loop."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._rows: dict[int, tuple[JournalEntry, Fingerprint, bytes]] = {}
        self._bytes = 0
        self.made = 0  # rows serialised since the start (the rest came from the cache)

    def row(self, entry: JournalEntry, listed: Callable[[JournalEntry], dict[str, Any]]) -> bytes:
        """``entry``'s row, ``json_body(listed(entry))``, from the cache when the entry has not changed."""
        mark = fingerprint(entry)
        kept = self._rows.get(entry.seq)
        # ``is``: a cleared journal's seq is never reused, but a new Gateway's journal starts from 1 again.
        if kept is not None and kept[0] is entry and kept[1] == mark:
            return kept[2]
        data = json_body(listed(entry))
        self.made += 1
        if kept is not None:
            self._bytes -= len(kept[2])
            del self._rows[entry.seq]
        if self._bytes + len(data) <= self.max_bytes:
            self._rows[entry.seq] = (entry, mark, data)
            self._bytes += len(data)
        return data

    def forget_except(self, entries: Sequence[JournalEntry]) -> None:
        """Drop the rows of entries the journal no longer holds (rolled off, or cleared by a reset)."""
        held = {e.seq for e in entries}
        for seq in [s for s in self._rows if s not in held]:
            self._bytes -= len(self._rows.pop(seq)[2])


def page_body(rows: Sequence[bytes], rest: dict[str, Any]) -> bytes:
    """``json_body({"data": [...rows], **rest})``, spliced from rows already serialised."""
    tail = json_body(rest)  # b'{"count":…}': its fields follow the data
    return b'{"data":[' + b",".join(rows) + b"]," + tail[1:]
