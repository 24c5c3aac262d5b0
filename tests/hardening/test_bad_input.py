"""Bad input gets a 4xx in the API's shape: each of these once answered 500.

Integers of more than 4,300 digits (Python's int() refuses them), digits that are not ASCII (``str.isdigit``
takes ``⁴²⁹``, ``int()`` does not), a body that its ``Content-Encoding`` does not describe; and an
``Expect: 100-continue`` announcing more than the size limit is refused before the client uploads. A body in
a coding mockgw cannot read (``br``, ``zstd``) once got aiohttp's plain-text 400.
"""

from __future__ import annotations

import gzip
import json
import socket
import zlib
from collections.abc import Iterator

import pytest

from mockgw.testing import MockGateway
from tests.hardening.conftest import (
    CLIENT_TIMEOUT_S,
    assert_anthropic_error,
    assert_no_server_errors,
    send,
    server_logs,
)

LONG = "1" * 5000  # over sys.get_int_max_str_digits() (4,300)
KEY = {"x-api-key": "sk-test"}


def message(extra: str = "", max_tokens: str = "16") -> bytes:
    head = '{"model":"claude-sonnet-4-5","max_tokens":' + max_tokens + ',"messages":[{"role":"user","content":"hi"}]'
    return (head + extra + "}").encode()


@pytest.fixture(scope="module")
def gw() -> Iterator[MockGateway]:
    with MockGateway({"rules": [{"reply": "Hi"}]}) as gateway:
        yield gateway


CASES = {
    "long integer as max_tokens": ("POST", "/v1/messages", message(max_tokens=LONG), {}, 400),
    "long integer in metadata": ("POST", "/v1/messages", message(',"metadata":{"n":' + LONG + "}"), {}, 400),
    "long integer to count_tokens": (
        "POST",
        "/v1/messages/count_tokens",
        b'{"model":"m","messages":[{"role":"user","content":"hi"}],"n":%s}' % LONG.encode(),
        {},
        400,
    ),
    "x-mockgw-status in superscript digits": ("POST", "/v1/messages", message(), {"x-mockgw-status": "⁴²⁹"}, 400),
    "x-mockgw-status of 5,000 digits": ("POST", "/v1/messages", message(), {"x-mockgw-status": LONG}, 400),
    "x-mockgw-delay-ms in Arabic-Indic digits": ("POST", "/v1/messages", message(), {"x-mockgw-delay-ms": "٥"}, 400),
    "x-mockgw-delay-ms of 5,000 digits": ("POST", "/v1/messages", message(), {"x-mockgw-delay-ms": LONG}, 400),
    "a JSON body labelled gzip": ("POST", "/v1/messages", message(), {"content-encoding": "gzip"}, 400),
    "a JSON body labelled deflate": ("POST", "/v1/messages", message(), {"content-encoding": "deflate"}, 400),
    "a gzip body cut short": (
        "POST",
        "/v1/messages",
        gzip.compress(message())[:-12],
        {"content-encoding": "gzip"},
        400,
    ),
    "scenario PUT (JSON) with a long integer": (
        "PUT",
        "/_mockgw/scenario",
        b'{"rules":[{"reply":"x","times":%s}]}' % LONG.encode(),
        {"content-type": "application/json"},
        400,
    ),
    "scenario PUT (YAML) with a long integer": (
        "PUT",
        "/_mockgw/scenario",
        b"rules:\n- reply: x\n  times: %s\n" % LONG.encode(),
        {"content-type": "application/yaml"},
        400,
    ),
}


@pytest.mark.parametrize(("method", "path", "body", "headers", "status"), CASES.values(), ids=CASES.keys())
def test_bad_input_gets_a_4xx_in_the_apis_shape(
    gw: MockGateway, method: str, path: str, body: bytes, headers: dict[str, str], status: int
) -> None:
    with server_logs() as logs:
        answer = send(gw.port, method, path, body, {**KEY, **headers})
    assert answer.status == status, answer
    data = assert_anthropic_error(answer)
    assert data["error"]["type"] == "invalid_request_error"
    assert LONG not in data["error"]["message"]  # the offending number is located, not echoed
    assert_no_server_errors(logs)


def test_a_long_integer_is_located_in_the_body(gw: MockGateway) -> None:
    answer = send(gw.port, "POST", "/v1/messages", message(max_tokens=LONG), KEY)
    assert answer.json()["error"]["message"] == (
        "The request body is not valid JSON: integer too long (more than 4,300 digits): line 1 column 43 (char 42)"
    )


def test_a_broken_gzip_body_is_named_in_the_answer(gw: MockGateway) -> None:
    answer = send(gw.port, "POST", "/v1/messages", message(), {**KEY, "content-encoding": "gzip"})
    assert answer.json()["error"]["message"] == "The request body could not be decoded as Content-Encoding 'gzip' says"


@pytest.mark.parametrize("coding", ["br", "zstd"])
def test_a_coding_mockgw_cannot_read_is_415_in_the_api_shape(gw: MockGateway, coding: str) -> None:
    # aiohttp refuses these before any route runs (their libraries are not installed): once a plain-text 400.
    answer = send(gw.port, "POST", "/v1/messages", b"\x8b\x02\x80{}\x03", {**KEY, "content-encoding": coding})
    assert answer.status == 415, answer
    assert assert_anthropic_error(answer)["error"] == {
        "type": "invalid_request_error",
        "message": f"Content-Encoding {coding} is not supported: send the body as it is, or in gzip, deflate",
    }
    assert answer.headers["accept-encoding"] == "gzip, deflate"


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_good_compressed_body_is_read(gw: MockGateway, coding: str) -> None:
    packed = gzip.compress(message()) if coding == "gzip" else zlib.compress(message())
    answer = send(gw.port, "POST", "/v1/messages", packed, {**KEY, "content-encoding": coding})
    assert answer.status == 200, answer
    assert json.loads(answer.body)["content"][0]["text"] == "Hi"


@pytest.mark.parametrize("wbits", [31, 15], ids=["gzip", "deflate"])
def test_a_compression_bomb_is_413_by_what_it_expands_to(gw: MockGateway, wbits: int) -> None:
    # 200 MB of zeros pack into 200 KB: under the 32 MB limit as sent, far over it decoded.
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    bomb = b"".join(packer.compress(b"0" * (1 << 20)) for _ in range(200)) + packer.flush()
    assert len(bomb) < 1 << 20
    coding = "gzip" if wbits == 31 else "deflate"
    answer = send(gw.port, "POST", "/v1/messages", bomb, {**KEY, "content-encoding": coding})
    assert answer.status == 413, answer
    assert assert_anthropic_error(answer)["error"]["type"] == "request_too_large"


def test_expect_100_continue_over_the_limit_is_refused_before_the_upload(gw: MockGateway) -> None:
    head = (
        "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nx-api-key: sk-test\r\n"
        f"Content-Length: {40 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", gw.port), timeout=CLIENT_TIMEOUT_S) as sock:
        sock.sendall(head.encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
            chunk = sock.recv(65536)  # no byte of the body was sent: the answer comes regardless
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert b"100 Continue" not in answer
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert body["error"] == {"type": "request_too_large", "message": "Request exceeds the maximum size"}


def test_expect_100_continue_within_the_limit_is_told_to_continue(gw: MockGateway) -> None:
    body = message()
    head = (
        "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nx-api-key: sk-test\r\n"
        f"Connection: close\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", gw.port), timeout=CLIENT_TIMEOUT_S) as sock:
        sock.sendall(head.encode())
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK")
