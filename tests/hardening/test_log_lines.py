"""One format for every line `mockgw serve` writes, aiohttp's own included; no request bytes, no keys.

Under ``--log-format json`` each line of stderr is one JSON object, whatever the clients send: garbage
request lines, bad headers, a control byte inside an ``x-api-key``. aiohttp's notes about HTTP it could not
parse are summed up by error name and status, never quoted. Credentials are redacted wherever they appear:
in any header or query parameter that carries one, in the journal as in the log.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from mockgw.core.journal import is_secret_header, redact_query
from mockgw.server.logs import JsonFormatter, TextFormatter
from mockgw.testing import MockGateway
from tests.hardening.conftest import CLIENT_TIMEOUT_S, send

SECRET = "sk-ant-never-written-down"
GARBAGE = [
    b"\x00\x01\x02\x03 garbage\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"G\x7fT / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nx-api-key: " + SECRET.encode() + b"\x01\x7f\r\n\r\n",
    b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: " + SECRET.encode() + b"\r\nContent-Length: zz\r\n\r\n",
    b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + SECRET.encode(),
    b"GET /v1/models?key=" + SECRET.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
    b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nnotgz",
]


def send_raw(port: int, data: bytes) -> None:
    """Send ``data`` and read until the server answers or closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT_S) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        try:
            while sock.recv(65536):
                pass
        except ConnectionResetError:
            pass


@pytest.fixture
def serve_json() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKGW_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockgw", "serve", "--port", "0", "--log-format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = None
        for line in proc.stdout:
            if " at http://127.0.0.1:" in line:
                port = int(line.rsplit(":", 1)[1])
                break
        assert port is not None
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=CLIENT_TIMEOUT_S)


def test_every_stderr_line_is_json_under_malformed_traffic(serve_json: tuple[int, subprocess.Popen[str]]) -> None:
    port, proc = serve_json
    for data in GARBAGE:
        send_raw(port, data)
    proc.terminate()
    _, stderr = proc.communicate(timeout=CLIENT_TIMEOUT_S)
    lines = stderr.splitlines()
    records: list[dict[str, Any]] = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    assert any(r["logger"].startswith("aiohttp") for r in records), lines  # aiohttp's lines came through us
    assert SECRET not in stderr
    assert "Traceback" not in stderr


def aiohttp_parser_record() -> logging.LogRecord:
    from aiohttp.http_exceptions import InvalidHeader

    try:
        raise InvalidHeader(b"x-api-key: " + SECRET.encode() + b"\x01")
    except InvalidHeader:
        exc_info = sys.exc_info()
    return logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, "Error handling request", (), exc_info)


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()], ids=["json", "text"])
def test_aiohttps_parser_errors_are_summed_up_not_quoted(formatter: logging.Formatter) -> None:
    line = formatter.format(aiohttp_parser_record())
    assert SECRET not in line
    assert "\n" not in line
    assert "Error handling request: InvalidHeader (400)" in line


def test_control_characters_never_split_a_text_line() -> None:
    record = logging.LogRecord("mockgw", logging.INFO, __file__, 1, "a\x1b[2Jb\rc", (), None)
    assert TextFormatter().format(record).endswith("a\\x1b[2Jb\\x0dc")


# ---------------------------------------------------------------- redaction


@pytest.mark.parametrize(
    "name",
    ["x-api-key", "authorization", "api-key", "x-goog-api-key", "cookie", "proxy-authorization",
     "x-mockgw-admin-token", "x-vercel-oidc-token", "x-amz-security-token", "openai-api-key", "x-client-secret"],
)  # fmt: skip
def test_headers_that_carry_a_credential_are_secret(name: str) -> None:
    assert is_secret_header(name)


@pytest.mark.parametrize(
    "name", ["content-type", "anthropic-version", "x-mockgw-session", "x-claude-code-session-id", "user-agent"]
)
def test_ordinary_headers_are_not_secret(name: str) -> None:
    assert not is_secret_header(name)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/messages", "/v1/messages"),
        ("/v1/messages?beta=true", "/v1/messages?beta=true"),
        ("/v1/models?key=AIza123&x=1", "/v1/models?key=[redacted]&x=1"),
        ("/x?api_key=s&token=t&access_token=u&sig=v", "/x?api_key=[redacted]&token=[redacted]"
         "&access_token=[redacted]&sig=[redacted]"),
        ("/x?API%5FKEY=s", "/x?API%5FKEY=[redacted]"),
        ("/x?flag&key", "/x?flag&key"),
    ],
)  # fmt: skip
def test_query_parameters_that_carry_a_credential_are_redacted(path: str, expected: str) -> None:
    assert redact_query(path) == expected


def test_the_journal_shows_no_credential() -> None:
    headers = {"api-key": SECRET, "x-goog-api-key": SECRET, "x-api-key": SECRET, "cookie": f"s={SECRET}"}
    body = b'{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'
    with MockGateway({"rules": [{"reply": "Hi"}]}) as gw:
        send(gw.port, "POST", f"/v1/messages?key={SECRET}&api_key={SECRET}", body, headers)
        listing = send(gw.port, "GET", "/_mockgw/requests").body.decode()
        entry = gw.journal.last
    assert SECRET not in listing
    assert entry.path == "/v1/messages?key=[redacted]&api_key=[redacted]"
    assert {name: entry.headers[name] for name in headers} == dict.fromkeys(headers, "[redacted]")
