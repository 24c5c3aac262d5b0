"""One log line per request on the ``mockgw`` logger, as text or as one JSON object a line.

A line carries the method, the path (never the query string), the session, the rule that answered, the
status, the duration in milliseconds and the request id; never a header, a body or a credential.
``mockgw serve`` sends the logger to stderr (:func:`configure_logging`); under ``MockGateway`` the lines go
wherever the application's logging sends them (by default nowhere: they are INFO records).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from mockgw.core.journal import JournalEntry
from mockgw.server.routes import JOURNAL_ENTRY, REQUEST_ID, session_of

log = logging.getLogger("mockgw")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(message)s"
_REQUEST_FIELDS = "mockgw_request"  # the LogRecord attribute that carries a request line's fields
_OURS = "_mockgw_handler"  # marks the handler configure_logging installed, so a second call replaces it
# Loggers besides ours whose lines reach stderr: aiohttp's (server, web, access, …) and asyncio's (accept
# errors, "Task exception was never retrieved").
OTHER_LOGGERS = ("aiohttp", "asyncio")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class RequestLine:
    """What is logged about one request (not frozen: a frozen dataclass sets each field through
    ``object.__setattr__``, and one is made per request)."""

    method: str
    path: str
    status: int | None  # None: the client went away before an answer
    duration_ms: float
    session: str
    rule: str | None
    request_id: str | None

    def text(self) -> str:
        status = "-" if self.status is None else str(self.status)
        return (
            f"{self.method} {self.path} {status} {self.duration_ms:.1f}ms "
            f"session={self.session} rule={self.rule or '-'} request_id={self.request_id or '-'}"
        )


def _is_polling(line: RequestLine) -> bool:
    # The inspector page reads the journal every second and containers probe health: at INFO these
    # lines would drown the ones a user reads the log for.
    return line.method in ("GET", "HEAD") and (line.path.startswith("/_mockgw/") or line.path == "/health")


def log_request(line: RequestLine) -> None:
    """Emit one request line on the ``mockgw`` logger, its fields attached for the JSON formatter.

    INFO, except reads of the admin API and health probes (DEBUG), which pollers repeat every second.
    When the logger is as :func:`configure_logging` left it, the line is formatted and written straight to
    its stream (the same text as through the logging machinery, at a fraction of the cost: no LogRecord, no
    handler chain); otherwise it goes through ``logging`` so that the application's own handlers see it.
    """
    level = logging.DEBUG if _is_polling(line) else logging.INFO
    if not log.isEnabledFor(level):
        return
    handler = _direct_handler(level)
    if handler is not None:
        formatter = handler.formatter
        assert isinstance(formatter, TextFormatter | JsonFormatter)  # _direct_handler checked it
        text = formatter.request_line(line, level, time.time()) + handler.terminator
        stream = handler.stream
        with handler.lock or contextlib.nullcontext():
            try:
                # One write, and the flush StreamHandler.flush makes (without taking the lock a second time).
                stream.write(text)
                stream.flush()
                return
            except Exception:  # a closed or failing stream: let logging report it as it would have
                pass
    # vars(), not dataclasses.asdict: the fields are flat, and asdict's deep copy cost tens of µs a request.
    log.log(level, line.text(), extra={_REQUEST_FIELDS: dict(vars(line))})


def _direct_handler(level: int) -> logging.StreamHandler[IO[str]] | None:
    """The handler configure_logging installed, when it alone (and no filter) would see a record at ``level``."""
    if len(log.handlers) != 1 or log.filters or log.propagate:
        return None
    handler = log.handlers[0]
    if (
        not getattr(handler, _OURS, False)
        or handler.filters
        or level < handler.level
        or type(handler.formatter) not in (TextFormatter, JsonFormatter)
        or not isinstance(handler, logging.StreamHandler)
    ):
        return None
    return handler


def _client_error(record: logging.LogRecord) -> HttpProcessingError | None:
    """The HTTP error a record reports when it is aiohttp's note about a client's malformed request."""
    exc = record.exc_info[1] if record.exc_info else None
    if record.name.startswith("aiohttp") and isinstance(exc, HttpProcessingError):
        return exc
    if record.name.startswith("aiohttp") and isinstance(exc, web.RequestPayloadError):
        return HttpProcessingError(code=400, message="bad request body")
    return None


def _message(record: logging.LogRecord) -> tuple[str, bool]:
    """The record's message, and whether its traceback may be shown.

    A client's malformed HTTP is summed up ("Error handling request: BadHttpMessage (400)"): aiohttp's text
    quotes the offending bytes, a header line with a key in it say, and the traceback is aiohttp's own.
    """
    client = _client_error(record)
    if client is not None:
        return f"{record.getMessage()}: {type(client).__name__} ({client.code})", False
    return record.getMessage(), True


class TextFormatter(logging.Formatter):
    """``time LEVEL message``; control characters in a message are escaped, so a record is never two lines."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return super().formatTime(record, datefmt) if datefmt else _local_time(record.created)

    def request_line(self, line: RequestLine, level: int, created: float) -> str:
        """What :meth:`format` makes of the record of ``line`` logged at ``level`` at time ``created``."""
        return f"{_local_time(created)} {logging.getLevelName(level)} {_printable(line.text())}"

    def format(self, record: logging.LogRecord) -> str:
        message, traceback = _message(record)
        line = f"{self.formatTime(record)} {record.levelname} {_CONTROL.sub(_escape, message)}"
        if traceback and record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


@functools.lru_cache(maxsize=4)
def _local_second(second: int) -> str:
    # One strftime a second rather than one a line: a busy server logs thousands of lines a second.
    return time.strftime(logging.Formatter.default_time_format, time.localtime(second))


def _local_time(created: float) -> str:
    """``logging.Formatter.formatTime``'s default text (``2026-01-31 12:00:00,123``), computed the same way."""
    msecs = int((created - int(created)) * 1000)  # as LogRecord computes msecs
    return f"{_local_second(int(created))},{msecs:03d}"


def _printable(text: str) -> str:
    """``text`` with its control characters escaped; the common line, all printable, is checked in C and kept."""
    return text if text.isprintable() else _CONTROL.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    return f"\\x{ord(found.group()):02x}"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and a request line's fields when it is one."""

    def format(self, record: logging.LogRecord) -> str:
        message, traceback = _message(record)
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": message,
        }
        fields = getattr(record, _REQUEST_FIELDS, None)
        if isinstance(fields, dict):
            data.update(fields)
            data["duration_ms"] = round(fields["duration_ms"], 3)
        if traceback and record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return _JSON.encode(data)

    def request_line(self, line: RequestLine, level: int, created: float) -> str:
        """What :meth:`format` makes of the record of ``line`` logged at ``level`` at time ``created``."""
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
            "level": logging.getLevelName(level).lower(),
            "logger": log.name,
            "message": line.text(),
        }
        data.update(vars(line))
        data["duration_ms"] = round(line.duration_ms, 3)
        return _JSON.encode(data)


# ensure_ascii: a lone surrogate (an undecodable byte, kept by surrogateescape) stays a valid escape. One encoder
# made once: json.dumps with non-default options builds a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=True, default=str)


def formatter_for(log_format: str) -> logging.Formatter:
    """The formatter of ``text`` or ``json``."""
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(log_format: str = "text", stream: IO[str] | None = None) -> logging.Handler:
    """Send the ``mockgw`` logger (INFO and up), and aiohttp's and asyncio's (WARNING and up), to ``stream``
    (default stderr) in ``log_format``: one handler, one format, for every line the server writes.

    Calling it again replaces the handler it installed before; other handlers are left alone.
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter_for(log_format))
    setattr(handler, _OURS, True)
    for name, level in ((log.name, logging.INFO), *((other, logging.WARNING) for other in OTHER_LOGGERS)):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, _OURS, False)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False  # a root handler (or Python's last-resort one) would print every line again
    return handler


def log_finished(request: web.Request, status: int | None, started: float) -> None:
    """Log a request once it is answered (streams: once the stream ended); ``status`` None: no answer went
    out, ``started``: its ``time.perf_counter()`` when it arrived. Called by the one middleware."""
    entry: JournalEntry | None = request.get(JOURNAL_ENTRY)
    session = entry.session if entry is not None else session_of({k.lower(): v for k, v in request.headers.items()})
    if entry is not None and not entry.status:
        status = None  # a scripted drop of a non-streamed request: no answer went out
    log_request(
        RequestLine(
            method=request.method,
            path=request.path,
            status=status,
            duration_ms=(time.perf_counter() - started) * 1000,
            session=session,
            rule=entry.rule if entry is not None else None,
            request_id=request.get(REQUEST_ID),
        )
    )
