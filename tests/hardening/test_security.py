"""Security: loopback by default, the admin token on every admin route, no path traversal, size limits, no key
ever written down.

Header limits are aiohttp's: a request line or header line over 8190 bytes, or more than 128 headers, is
refused by its HTTP parser with a plain-text 400 before any mockgw code runs, so that answer is not
Anthropic-shaped (the connection is closed, the server carries on, nothing is logged by mockgw).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockgw.scenario.loader import ScenarioError, bundled_dir, list_bundled, load_scenarios, resolve_source
from mockgw.server.admin import UI_PATH, is_admin_path
from mockgw.server.app import create_app
from mockgw.server.logs import JsonFormatter
from mockgw.server.state import GatewayConfig
from mockgw.testing import MockGateway
from tests.conftest import body
from tests.hardening.conftest import (
    Answer,
    assert_anthropic_error,
    is_protocol_error,
    raw_request,
    request_bytes,
    send,
    server_logs,
)

TOKEN = "admin-token-never-shown"
PASSWD_LINE = b"root:x:0:0:"  # what /etc/passwd would give away


# ---------------------------------------------------------------- loopback


def listening_addresses(pid: int) -> list[str]:
    """The local addresses a process listens on (TCP, IPv4 and IPv6), read from /proc."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = []
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                raw = bytes.fromhex(local.split(":")[0])
                # /proc writes each 32-bit word of the address in host (little-endian) order.
                packed = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                found.append(socket.inet_ntop(family, packed))
    return found


def test_mockgw_serve_without_host_listens_on_loopback_only() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKGW_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockgw", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "serving scenario" in first and "http://127.0.0.1:" in first, first
        assert listening_addresses(proc.pid) == ["127.0.0.1"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_a_mock_gateway_listens_on_loopback_only(gateway) -> None:
    gw = gateway()
    listeners = [sock for site in gw.server.runner.sites for sock in site._server.sockets]  # type: ignore[attr-defined]
    assert [sock.getsockname()[:2] for sock in listeners] == [("127.0.0.1", gw.port)]
    assert gw.url == f"http://127.0.0.1:{gw.port}"


# ---------------------------------------------------------------- the admin token


def admin_routes() -> list[tuple[str, str]]:
    """Every (method, path) the app serves under /_mockgw, found in its router: new routes are covered too."""
    app = create_app(GatewayConfig(scenario=load_scenarios(["hello"]), admin_token=TOKEN))
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = str(info.get("path") or info.get("formatter", ""))
        if is_admin_path(path):
            found.add((route.method, path.replace("{", "").replace("}", "")))  # a variable becomes its own name
    return sorted(found)


ADMIN_ROUTES = admin_routes()
GUARDED = [(m, p) for m, p in ADMIN_ROUTES if p != UI_PATH]


@pytest.fixture(scope="module")
def guarded() -> Iterator[MockGateway]:
    with MockGateway("hello", admin_token=TOKEN) as gw:
        yield gw


def test_the_admin_routes_are_found() -> None:
    assert len(GUARDED) >= 12 and ("PUT", "/_mockgw/scenario") in GUARDED  # the discovery works
    assert {p for _, p in ADMIN_ROUTES} - {p for _, p in GUARDED} == {UI_PATH}  # the one exempt page


@pytest.mark.parametrize(("method", "path"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong"}, {"x-mockgw-admin-token": "wrong"}, {"x-api-key": TOKEN},
     {"authorization": TOKEN}, {"authorization": f"Basic {TOKEN}"}, {"x-mockgw-admin-token": TOKEN[:-1]},
     {"x-mockgw-admin-token": TOKEN + "x"}, {"x-mockgw-admin-token": "é" + TOKEN}],
    ids=["none", "wrong-bearer", "wrong-header", "as-api-key", "no-scheme", "basic", "prefix", "longer", "non-ascii"],
)  # fmt: skip
def test_every_admin_route_refuses_a_call_without_the_token(
    guarded: MockGateway, method: str, path: str, headers: dict[str, str]
) -> None:
    answer = send(guarded.port, method, path, headers=headers)
    assert answer.status == 401, answer
    if method != "HEAD":
        assert assert_anthropic_error(answer)["error"]["type"] == "authentication_error"
        assert TOKEN.encode() not in answer.body


@pytest.mark.parametrize(("method", "path"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
def test_every_admin_route_answers_with_the_token(guarded: MockGateway, method: str, path: str) -> None:
    headers = {"authorization": f"Bearer {TOKEN}", "x-mockgw-admin": "1"}  # a tool's call, not a web page's
    answer = send(guarded.port, method, path, headers=headers)
    assert answer.status not in (401, 403) and answer.status < 500, answer


@pytest.mark.parametrize(
    "path",
    ["/_mockgw//requests", "//_mockgw/requests", "/_mockgw/./requests", "/./_mockgw/requests",
     "/v1/../_mockgw/requests", "/_mockgw/ui/../requests", "/_mockgw/ui/%2e%2e/requests", "/_mockgw/ui%2f..%2frequests",
     "/%5fmockgw/requests", "/_mockgw/%72equests", "/_mockgw/requests/", "/_MOCKGW/requests", "/_mockgw/requests%00",
     "/_mockgw/requests;x", "/_mockgw/requests?x=/_mockgw/ui", "/_mockgw/ui?/../requests", "/_mockgw/ui#/../requests"],
)  # fmt: skip
def test_no_spelling_of_an_admin_path_gets_past_the_token(guarded: MockGateway, path: str) -> None:
    answer = send(guarded.port, "GET", path)
    if answer.status == 200:  # only the inspector page may answer, and it holds no data
        assert answer.headers["content-type"].startswith("text/html"), (path, answer)
        assert b'"data"' not in answer.body
    else:
        assert answer.status in (400, 401, 404), (path, answer)
        assert_anthropic_error(answer)


def test_the_inspector_page_is_static_and_holds_no_data(guarded: MockGateway) -> None:
    secret = "journal-marker-that-must-stay-in-the-journal"
    send(guarded.port, "POST", "/v1/messages", json.dumps(body(secret)).encode())
    page = send(guarded.port, "GET", UI_PATH)
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert secret.encode() not in page.body
    assert "connect-src 'self'" in page.headers["content-security-policy"]  # it can reach nothing else


# ---------------------------------------------------------------- path traversal

TRAVERSALS = [
    "../hello", "../../etc/passwd", "../../../../../../etc/passwd", "..\\hello", "hello/../hello", "./hello",
    "%2e%2e/hello", "..%2fhello", "....//hello", "hello.yaml", "hello\x00", "~/hello", " hello", "scenarios/hello",
    "../scenarios/hello", "hello/", ".hello",
]  # fmt: skip


@pytest.mark.parametrize("name", TRAVERSALS)
def test_a_scenario_name_never_reaches_outside_the_bundled_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A source that is not an existing path is a bundled name, and a name has no dots or slashes."""
    deep = tmp_path.joinpath(*"abcdefgh")  # ../ six times over still lands in an empty folder of ours
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    with pytest.raises(ScenarioError) as caught:
        resolve_source(name)
    assert "no such file, folder or bundled scenario" in str(caught.value)


def test_an_existing_path_is_read_as_the_file_it_names_and_refused_without_echoing_it() -> None:
    """``--scenario /etc/passwd`` reads a file the user named (the CLI's user can read it anyway); the
    admin API never takes a path. The refusal names the problem, not the file's content."""
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(["/etc/passwd"])
    assert PASSWD_LINE.decode() not in str(caught.value)


@pytest.mark.parametrize("name", [*TRAVERSALS, "/etc/passwd", ".."])
@pytest.mark.parametrize("encode", [False, True])
def test_put_scenario_takes_only_a_bundled_name(guarded: MockGateway, name: str, encode: bool) -> None:
    query = "".join(f"%{b:02X}" for b in name.encode()) if encode else name.replace(" ", "%20").replace("\x00", "%00")
    answer = send(
        guarded.port, "PUT", f"/_mockgw/scenario?bundled={query}", headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status == 400, answer
    assert "no bundled scenario" in assert_anthropic_error(answer)["error"]["message"]
    assert PASSWD_LINE not in answer.body
    assert guarded.scenario.name == "hello"


@pytest.mark.parametrize(
    "path",
    ["/_mockgw/requests?session=../../etc/passwd", "/_mockgw/requests?rule=..%2f..%2fetc%2fpasswd",
     "/_mockgw/reset?session=../../../etc/passwd", "/_mockgw/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
     "/v1/models/..%2f..%2f..%2fetc%2fpasswd", "/v1/models/../../../etc/passwd", "/_mockgw/ui/..%2f..%2fetc%2fpasswd",
     "/_mockgw/ui/../../../../etc/passwd", "/_mockgw/scenarios/../../etc/passwd"],
)  # fmt: skip
def test_no_url_reads_a_file(guarded: MockGateway, path: str) -> None:
    method = "POST" if "/reset" in path else "GET"
    answer = send(guarded.port, method, path, headers={"authorization": f"Bearer {TOKEN}"})
    assert PASSWD_LINE not in answer.body
    assert answer.status < 500
    if answer.status == 200:
        assert path.startswith("/_mockgw/re")  # a filter or a reset by session: no file is involved


def test_the_bundled_folder_is_the_only_source_of_names() -> None:
    # Every bundled name the admin API accepts is a file directly inside the bundled folder.
    names = sorted(p.stem for p in bundled_dir().glob("*.yaml"))
    assert names and names == sorted(name for name, _ in list_bundled())


# ---------------------------------------------------------------- sizes

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/_mockgw/scenario"), ("POST", "/_mockgw/reset"), ("POST", "/v1/messages/count_tokens")],
)
@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_32_mb_is_413_everywhere(guarded: MockGateway, method: str, path: str, chunked: bool) -> None:
    big = b"x" * (32 * MB + 1)
    headers = [(b"Authorization", f"Bearer {TOKEN}".encode()), (b"Content-Type", b"application/yaml")]
    if chunked:
        headers.append((b"Transfer-Encoding", b"chunked"))
        payload = b"".join(b"%x\r\n%s\r\n" % (len(big[i : i + MB]), big[i : i + MB]) for i in range(0, len(big), MB))
        data = request_bytes(method.encode(), path.encode(), headers, payload + b"0\r\n\r\n", length=False)
    else:
        data = request_bytes(method.encode(), path.encode(), headers, big)
    try:
        answer = raw_request(guarded.port, data)
    except (BrokenPipeError, ConnectionResetError):
        pytest.fail("the server hung up instead of answering 413")
    assert answer.status == 413, answer
    assert assert_anthropic_error(answer)["error"]["type"] == "request_too_large"


def test_a_large_scenario_under_the_limit_is_read_whole(guarded: MockGateway) -> None:
    """Bodies arrive in chunks: the whole one is read, not the first chunk (a big upload was once cut short)."""
    # 500 KB in 500 rules: many chunks on the wire. Reading YAML is pure Python (it keeps line numbers and
    # counts aliases), ~2 µs a character: 5,000 small rules took 3.6 s here, over 10 s on a loaded machine.
    rules = "".join(f"  - name: r{i}\n    reply: '{'x' * 1_000}'\n" for i in range(500))
    headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/yaml"}
    answer = send(guarded.port, "PUT", "/_mockgw/scenario", f"name: big\nrules:\n{rules}".encode(), headers)
    try:
        assert answer.status == 200, answer.body[:500]
        assert answer.json()["rules"] == 500
    finally:
        send(guarded.port, "PUT", "/_mockgw/scenario?bundled=hello", headers={"authorization": f"Bearer {TOKEN}"})


BODY = json.dumps(body("hi")).encode()


def header_request(port: int, headers: list[tuple[bytes, bytes]], path: bytes = b"/v1/messages") -> Answer:
    return raw_request(port, request_bytes(b"POST", path, [(b"Content-Type", b"application/json"), *headers], BODY))


@pytest.fixture
def plain(gateway) -> MockGateway:
    return gateway({"rules": [{"reply": "hi"}]})


@pytest.mark.parametrize(
    ("headers", "path"),
    [([(b"x-long", b"a" * 8000)], b"/v1/messages"), ([(b"x-h%d" % i, b"v" * 100) for i in range(100)], b"/v1/messages"),
     ([(b"x-h%d" % i, b"v" * 8000) for i in range(20)], b"/v1/messages"), ([], b"/v1/messages?" + b"q" * 8000)],
    ids=["8000-byte-line", "100-headers", "160-kb-of-headers", "8000-byte-url"],
)  # fmt: skip
def test_headers_within_the_limits_are_served(plain: MockGateway, headers, path) -> None:
    assert header_request(plain.port, headers, path).status == 200


@pytest.mark.parametrize(
    ("headers", "path", "says"),
    [([(b"x-long", b"a" * 9000)], b"/v1/messages", b"Got more than 8190 bytes"),
     ([(b"x-" + b"n" * 9000, b"v")], b"/v1/messages", b"Got more than 8190 bytes"),
     ([(b"x-h%d" % i, b"v") for i in range(200)], b"/v1/messages", b"Too many headers"),
     ([], b"/v1/messages?" + b"q" * 9000, b"Got more than 8190 bytes")],
    ids=["long-header-line", "long-header-name", "too-many-headers", "long-url"],
)  # fmt: skip
def test_headers_over_the_limits_are_a_400_from_the_http_parser(plain: MockGateway, headers, path, says) -> None:
    with server_logs(logging.INFO) as logs:
        answer = header_request(plain.port, headers, path)
    assert is_protocol_error(answer) and answer.status == 400, answer
    assert says in answer.body
    assert b"Traceback" not in answer.body
    assert [r for r in logs.records if r.name.startswith("mockgw")] == []  # no mockgw code ran
    assert header_request(plain.port, []).status == 200  # and the server carries on


# ---------------------------------------------------------------- keys never written down

API_KEY = "sk-ant-api03-key-never-written"
BEARER = "bearer-token-never-written"
WRONG_KEY = "sk-wrong-key-never-written"
WRONG_TOKEN = "wrong-admin-token-never-written"
SECRETS = (API_KEY, BEARER, WRONG_KEY, TOKEN, WRONG_TOKEN)
KEYED_SCENARIO = {
    "name": "keyed",
    "rules": [
        {"name": "vip", "match": {"header": {"x-api-key": "sk-vip"}, "last_user": {"contains": "vip"}}, "reply": "vip"},
        {"name": "by-bearer", "match": {"header": {"authorization": {"regex": "^Bearer sk-"}}}, "reply": "hi"},
        {"name": "hi", "match": {"last_user": {"contains": "hi"}}, "reply": "hi"},
    ],
}


def test_keys_and_tokens_are_never_logged_journaled_or_listed() -> None:
    admin = {"authorization": f"Bearer {TOKEN}"}
    gateway = MockGateway(KEYED_SCENARIO, api_keys=[API_KEY, BEARER], admin_token=TOKEN)
    with server_logs(logging.DEBUG) as logs, gateway as gw:
        port = gw.port
        for headers, text, stream in [
            ({"x-api-key": API_KEY}, "hi", False),
            ({"authorization": f"Bearer {BEARER}"}, "hi", True),
            ({"x-api-key": WRONG_KEY}, "hi", False),
            ({"authorization": f"Bearer {WRONG_KEY}"}, "hi", False),
            ({"x-api-key": API_KEY}, "vip only", False),  # a near miss on x-api-key
            ({"x-api-key": API_KEY, "authorization": f"Bearer {BEARER}"}, "nothing", True),
            ({"x-api-key": API_KEY, "cookie": f"session={API_KEY}"}, "hi", False),
        ]:
            send(port, "POST", "/v1/messages", json.dumps(body(text, stream=stream)).encode(), headers)
        send(port, "POST", "/v1/messages/count_tokens", json.dumps(body()).encode(), {"x-api-key": API_KEY})
        send(port, "GET", "/v1/models", headers={"authorization": f"Bearer {BEARER}"})
        send(port, "GET", "/_mockgw/state", headers={"authorization": f"Bearer {WRONG_TOKEN}"})
        send(port, "GET", "/_mockgw/state", headers={"x-mockgw-admin-token": TOKEN})
        listed = send(port, "GET", "/_mockgw/requests", headers=admin)
        state = send(port, "GET", "/_mockgw/state", headers=admin)
        journal = json.dumps([e.to_dict() for e in gw.journal], ensure_ascii=False)

    # 7 messages, the count_tokens call and the models listing; admin calls are not journaled.
    assert listed.status == 200 and listed.json()["count"] == 9
    assert "not shown" in journal  # the near miss on x-api-key was reported, without the key
    formatter = JsonFormatter()
    written = {
        "log (text)": logs.text(),
        "log (json)": "\n".join(formatter.format(r) for r in logs.records),
        "journal": journal,
        "GET /_mockgw/requests": listed.body.decode(),
        "GET /_mockgw/state": state.body.decode(),
    }
    for where, text in written.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} in the {where}"
