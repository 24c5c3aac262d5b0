"""``--data-dir DIR``: files and batches kept across restarts.

Layout: ``DIR/batches.json`` (every batch with its results) and ``DIR/files/<file id>.json`` (metadata) with
``DIR/files/<file id>.bin`` (the bytes). Every write goes to a temporary file in the same folder, then
``os.replace`` puts it in place, so a crash never leaves half a file. Only names this module makes are read
back (ids checked against their pattern): nothing outside DIR is ever opened.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from mockgw.faces.anthropic.batches import BATCH_ID, Batch
from mockgw.faces.anthropic.files import FILE_ID, StoredFile

log = logging.getLogger("mockgw")


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class DataDir:
    """Reads and writes the gateway's files and batches under one folder (implements both stores' Persist)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.files_dir = self.root / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(self.files_dir, os.W_OK):  # say so at start, not at the first upload
            raise PermissionError(errno.EACCES, "not writable", str(self.files_dir))

    def _file_paths(self, file_id: str) -> tuple[Path, Path]:
        if not FILE_ID.fullmatch(file_id):  # ids become names: only ours, never a path
            raise ValueError(f"not a file id: {file_id!r}")
        return self.files_dir / f"{file_id}.json", self.files_dir / f"{file_id}.bin"

    # ------------------------------------------------------------ files

    def save_file(self, stored: StoredFile) -> None:
        meta, data = self._file_paths(stored.id)
        write_atomically(data, stored.content)
        write_atomically(meta, json.dumps(stored.to_record()).encode())  # last: a file exists once both do

    def delete_file(self, file_id: str) -> None:
        meta, data = self._file_paths(file_id)
        meta.unlink(missing_ok=True)
        data.unlink(missing_ok=True)

    def clear_files(self) -> None:
        for path in self.files_dir.iterdir():
            if path.suffix in (".json", ".bin") and FILE_ID.fullmatch(path.stem):
                path.unlink(missing_ok=True)

    def load_files(self) -> list[StoredFile]:
        """The files kept here, oldest first; unreadable ones are skipped with a warning."""
        out: list[StoredFile] = []
        for meta in self.files_dir.glob("file_*.json"):
            if not FILE_ID.fullmatch(meta.stem):
                continue
            try:
                record = json.loads(meta.read_bytes())
                content = meta.with_suffix(".bin").read_bytes()
                out.append(
                    StoredFile(
                        id=meta.stem,
                        filename=str(record["filename"]),
                        mime_type=str(record["mime_type"]),
                        created_at=float(record["created_at"]),
                        content=content,
                        downloadable=bool(record.get("downloadable", False)),
                        expires_at=record.get("expires_at"),
                    )
                )
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("mockgw: skipping %s in the data directory: %s", meta.name, exc)
        return sorted(out, key=lambda f: (f.created_at, f.id))

    # ------------------------------------------------------------ batches

    def save_batches(self, batches: Sequence[Batch]) -> None:
        body = json.dumps([b.to_record() for b in batches], ensure_ascii=False, separators=(",", ":"))
        write_atomically(self.root / "batches.json", body.encode())

    def load_batches(self) -> list[Batch]:
        """The batches kept here, in creation order; an unreadable file is skipped with a warning."""
        path = self.root / "batches.json"
        if not path.exists():
            return []
        try:
            records = json.loads(path.read_bytes())
            return [Batch.from_record(r) for r in records if BATCH_ID.fullmatch(str(r.get("id", "")))]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("mockgw: skipping batches.json in the data directory: %s", exc)
            return []
