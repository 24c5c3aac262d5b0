"""The request log line written directly to the stream is the line the logging machinery would have written."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from mockgw.server.logs import (
    _REQUEST_FIELDS,
    JsonFormatter,
    RequestLine,
    TextFormatter,
    configure_logging,
    log,
    log_request,
)

LINES = [
    RequestLine("POST", "/v1/messages", 200, 12.3456, "alice", "greet", "req_011"),
    RequestLine("GET", "/_mockgw/journal", 200, 0.04, "default", None, None),  # a poll: DEBUG
    RequestLine("POST", "/v1/messages\n/x\x7f", None, 1.0, "s\x01", None, "r"),  # control characters, no answer
]
TIMES = [1_767_225_600.0, 1_767_225_600.9995, 1_767_225_659.123456]


def as_record(line: RequestLine, level: int, created: float) -> logging.LogRecord:
    """The record ``log_request`` would hand to the logging machinery, made at ``created``."""
    record = log.makeRecord(log.name, level, __file__, 0, line.text(), None, None, extra={_REQUEST_FIELDS: vars(line)})
    record.created = created
    record.msecs = int((created - int(created)) * 1000) + 0.0
    return record


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()], ids=["text", "json"])
@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("created", TIMES)
@pytest.mark.parametrize("level", [logging.INFO, logging.DEBUG])
def test_the_direct_line_is_the_formatted_record(
    formatter: TextFormatter | JsonFormatter, line: RequestLine, created: float, level: int
) -> None:
    assert formatter.request_line(line, level, created) == formatter.format(as_record(line, level, created))


@pytest.fixture
def restore_logger() -> Iterator[None]:
    saved = (log.level, log.propagate, list(log.handlers))
    yield
    log.setLevel(saved[0])
    log.propagate = saved[1]
    log.handlers[:] = saved[2]


@pytest.mark.usefixtures("restore_logger")
def test_an_application_handler_next_to_ours_still_gets_the_record() -> None:
    stream = io.StringIO()
    configure_logging("text", stream)
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    log.addHandler(handler)
    log_request(LINES[0])
    assert [r.getMessage() for r in seen] == [LINES[0].text()]
    assert stream.getvalue().endswith(LINES[0].text() + "\n")


@pytest.mark.usefixtures("restore_logger")
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_line_goes_straight_to_the_configured_stream_once(log_format: str) -> None:
    stream = io.StringIO()
    configure_logging(log_format, stream)
    log_request(LINES[0])
    assert len(stream.getvalue().splitlines()) == 1
    assert "req_011" in stream.getvalue()
