"""The Files API's store and rules, pure: no I/O but through an optional ``Persist`` the server hands in.

Files live in memory, bounded in count and bytes; ``clear()`` forgets them (the admin reset). What the API
does and this store copies:

- an upload gets ``file_…`` id, keeps only the last path component of its name (``unnamed`` when empty),
  and is not downloadable: only files made by a tool (code execution, skills) are, here the files a
  scenario lists under ``files:``;
- a name is 1 to 255 characters without ``< > : " | ? * \\ /`` or control characters;
- one file is at most 500 MB (``MAX_FILE_BYTES``);
- lists are newest first, paged by ``limit`` with ``after_id`` / ``before_id`` (``has_more``, ``first_id``,
  ``last_id``) or by the opaque ``page`` cursor newer SDKs follow (``next_page``).
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from mockgw.core.request import Attachment
from mockgw.faces.anthropic.validation import InvalidRequest

MAX_FILE_BYTES = 500 * 1024 * 1024  # the API's limit for one file
DEFAULT_MAX_FILES = 10_000
DEFAULT_MAX_STORE_BYTES = 1024 * 1024 * 1024  # all files together, in memory
MIN_EXPIRES_S, MAX_EXPIRES_S = 3600, 7_776_000  # expires_in_seconds: one hour to ninety days
FILE_ID = re.compile(r"file_[A-Za-z0-9]{1,64}")
_FORBIDDEN = re.compile(r'[<>:"|?*\\/\x00-\x1f]')
# Text is what `match: {file: {contains: …}}` reads; binary files (PDFs, images) have none.
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-yaml", "application/csv")
PAGE_PREFIX = "page_"


def rfc3339(seconds: float) -> str:
    """A wall-clock time as the API writes it: ``2026-12-04T20:40:08.123456Z``."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def not_found(file_id: str) -> InvalidRequest:
    """The 404 for a file id the store does not hold."""
    return InvalidRequest(f"File not found: {file_id}", 404, "not_found_error")


class FileError(InvalidRequest):
    """A refusal that carries ``error.details.error_code`` (the SDKs raise a specific class for some)."""

    def __init__(self, message: str, error_code: str, status: int = 400) -> None:
        super().__init__(message, status)
        self.error_code = error_code


@dataclass(frozen=True)
class StoredFile:
    """One file: its metadata and its bytes."""

    id: str
    filename: str
    mime_type: str
    created_at: float  # wall seconds
    content: bytes
    downloadable: bool = False
    expires_at: float | None = None

    @property
    def size_bytes(self) -> int:
        return len(self.content)

    def metadata(self) -> dict[str, Any]:
        """The ``FileMetadata`` object the API answers with."""
        return {
            "id": self.id,
            "type": "file",
            "filename": self.filename,
            "mime_type": self.mime_type,
            "size_bytes": self.size_bytes,
            "created_at": rfc3339(self.created_at),
            "downloadable": self.downloadable,
            "expires_at": None if self.expires_at is None else rfc3339(self.expires_at),
        }

    def text(self) -> str:
        """The content as text when its media type is textual, else ""."""
        if not self.mime_type.startswith(_TEXT_TYPES):
            return ""
        return self.content.decode("utf-8", "replace")

    def to_record(self) -> dict[str, Any]:
        """Metadata for the data directory (the bytes are kept beside it)."""
        return {
            "id": self.id,
            "filename": self.filename,
            "mime_type": self.mime_type,
            "created_at": self.created_at,
            "downloadable": self.downloadable,
            "expires_at": self.expires_at,
        }


class Persist(Protocol):
    """Where a store writes itself when the gateway keeps state across restarts (``--data-dir``)."""

    def save_file(self, stored: StoredFile) -> None: ...

    def delete_file(self, file_id: str) -> None: ...

    def clear_files(self) -> None: ...


def media_type_for(filename: str, given: str | None) -> str:
    """The part's content type when it says something, else a guess from the name, else octet-stream."""
    if given and given.split(";")[0].strip() not in ("", "application/octet-stream"):
        return given.split(";")[0].strip().lower()
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def clean_filename(raw: str | None, media_type: str) -> str:
    """The stored name: the last path component; ``unnamed`` plus the type's extension when empty.

    Raises InvalidRequest (400) for a name the API refuses.
    """
    name = re.split(r"[\\/]", raw or "")[-1]
    if not name:
        return "unnamed" + (mimetypes.guess_extension(media_type) or "")
    if len(name) > 255:
        raise InvalidRequest("filename: must be between 1 and 255 characters long")
    if _FORBIDDEN.search(name):
        raise InvalidRequest('filename: must not contain < > : " | ? * \\ / or control characters')
    return name


def expiry(raw: str | None, now: float) -> float | None:
    """``expires_in_seconds`` of an upload as a wall time; InvalidRequest when out of the API's range."""
    if raw is None or raw == "":
        return None
    try:
        seconds = int(raw)
    except ValueError:
        raise InvalidRequest(f"expires_in_seconds: Input should be a valid integer, got {raw!r}") from None
    if not MIN_EXPIRES_S <= seconds <= MAX_EXPIRES_S:
        raise InvalidRequest(f"expires_in_seconds: must be between {MIN_EXPIRES_S} and {MAX_EXPIRES_S}")
    return now + seconds


@dataclass(frozen=True)
class Page:
    """One page of a list: the items and the cursors the API reports."""

    data: list[dict[str, Any]]
    has_more: bool
    first_id: str | None
    last_id: str | None

    def body(self, cursor: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "data": self.data,
            "has_more": self.has_more,
            "first_id": self.first_id,
            "last_id": self.last_id,
        }
        if cursor:
            out["next_page"] = PAGE_PREFIX + self.last_id if self.has_more and self.last_id else None
        return out


def page_size(raw: str | None) -> int:
    """``limit``: 20 by default, 1 to 1000."""
    if raw is None:
        return 20
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest(f"limit: Input should be a valid integer, got {raw!r}") from None
    if not 1 <= value <= 1000:
        raise InvalidRequest("limit: Input should be between 1 and 1000")
    return value


def paginate(
    ids: Sequence[str], render: Callable[[str], dict[str, Any]], limit: int, after: str | None, before: str | None
) -> Page:
    """A page of ``ids`` (newest first) as the API pages: after ``after``, or the ``limit`` before ``before``."""
    if before:
        end = ids.index(before) if before in ids else len(ids)
        chosen = ids[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        start = ids.index(after) + 1 if after and after in ids else 0
        chosen = ids[start : start + limit]
        has_more = start + limit < len(ids)
    return Page([render(i) for i in chosen], has_more, chosen[0] if chosen else None, chosen[-1] if chosen else None)


class FileStore:
    """The gateway's files, newest last in memory, bounded by ``max_files`` and ``max_bytes``."""

    def __init__(
        self,
        *,
        max_files: int = DEFAULT_MAX_FILES,
        max_bytes: int = DEFAULT_MAX_STORE_BYTES,
        persist: Persist | None = None,
    ) -> None:
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.persist = persist
        self._files: dict[str, StoredFile] = {}
        self._bytes = 0
        self._seeded: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self._files)

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def stats(self) -> dict[str, int]:
        """A JSON-ready summary for the admin API (the scenario's own files included)."""
        return {"held": len(self._files), "bytes": self._bytes, "max_held": self.max_files, "max_bytes": self.max_bytes}

    def room_for(self, size: int) -> None:
        """Raise FileError (400 storage_quota_exceeded) when a file of ``size`` bytes would not fit."""
        if len(self._files) >= self.max_files or self._bytes + size > self.max_bytes:
            raise FileError(
                f"File storage quota exceeded: this gateway keeps at most {self.max_files} files and "
                f"{self.max_bytes} bytes; delete files to make room",
                "storage_quota_exceeded",
            )

    def add(self, stored: StoredFile, save: bool = True) -> StoredFile:
        """Keep ``stored`` (FileError when the store is full)."""
        self.room_for(stored.size_bytes)
        self._files[stored.id] = stored
        self._bytes += stored.size_bytes
        if save and self.persist is not None:
            self.persist.save_file(stored)
        return stored

    def seed(self, files: Iterable[StoredFile]) -> None:
        """Files a scenario declares: replaced whenever the scenario (re)loads, never written to the data dir."""
        for file_id in self._seeded:
            self._drop(file_id)
        seeded: list[str] = []
        for stored in files:
            self._drop(stored.id)
            self.add(stored, save=False)
            seeded.append(stored.id)
        self._seeded = frozenset(seeded)

    def get(self, file_id: str, now: float | None = None) -> StoredFile:
        """The file of this id; InvalidRequest 404 when there is none (or it expired)."""
        stored = self._files.get(file_id)
        if stored is None or (now is not None and stored.expires_at is not None and stored.expires_at <= now):
            raise not_found(file_id)
        return stored

    def _drop(self, file_id: str) -> StoredFile | None:
        stored = self._files.pop(file_id, None)
        if stored is not None:
            self._bytes -= stored.size_bytes
        return stored

    def delete(self, file_id: str) -> None:
        """Forget a file; InvalidRequest 404 when there is none."""
        if self._drop(file_id) is None:
            raise not_found(file_id)
        if self.persist is not None and file_id not in self._seeded:
            self.persist.delete_file(file_id)

    def clear(self) -> None:
        """Forget every uploaded file (scenario files stay: they belong to the scenario)."""
        kept = [self._files[i] for i in self._seeded if i in self._files]
        self._files.clear()
        self._bytes = 0
        for stored in kept:
            self.add(stored, save=False)
        if self.persist is not None:
            self.persist.clear_files()

    def content(self, file_id: str, now: float | None = None) -> StoredFile:
        """A file to download; FileError (400 file_not_downloadable) for uploads, as the API refuses them."""
        stored = self.get(file_id, now)
        if not stored.downloadable:
            raise FileError(
                f"File {file_id} is not downloadable: only files created by a tool (such as code execution) "
                "can be downloaded",
                "file_not_downloadable",
            )
        return stored

    def page(self, limit: int, after: str | None, before: str | None, now: float | None = None) -> Page:
        """A page of the list, newest first."""
        live = [
            f.id for f in reversed(self._files.values()) if now is None or f.expires_at is None or f.expires_at > now
        ]
        return paginate(live, lambda i: self._files[i].metadata(), limit, after, before)

    def attachments(self, wanted: Sequence[str], now: float | None = None) -> tuple[Attachment, ...]:
        """The files a request attaches by id; InvalidRequest 404 naming the first unknown one."""
        out: list[Attachment] = []
        for file_id in wanted:
            stored = self.get(file_id, now)
            out.append(Attachment(stored.id, stored.filename, stored.mime_type, stored.text()))
        return tuple(out)

    def records(self) -> list[StoredFile]:
        """The uploaded files (scenario files left out), oldest first."""
        return [f for f in self._files.values() if f.id not in self._seeded]


def decode_content(text: str | None, b64: str | None) -> bytes:
    """A scenario file's bytes, from ``text:`` or ``base64:``."""
    if text is not None:
        return text.encode("utf-8")
    return base64.b64decode(b64 or "")
