"""A local server among web pages: the Host allow-list (DNS rebinding), admin calls a foreign page could send,
CORS never granting the admin API to a foreign origin, and the journal listed a page at a time.

See docs/admin.md, "Security model".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from mockgw.cli.settings import ServeFlags, SettingsError, resolve
from mockgw.server.admin import DEFAULT_PAGE, LISTED_BODY_BYTES
from mockgw.server.hosts import host_allowed
from mockgw.testing import MockGateway
from tests.conftest import body
from tests.hardening.conftest import Answer, assert_anthropic_error, raw_request

SCENARIO = {"name": "mine", "rules": [{"reply": "hi"}]}
EVIL_SCENARIO = "name: evil\nrules:\n  - reply: pwned\n"


@pytest.fixture
def gw() -> Iterator[MockGateway]:
    with MockGateway(SCENARIO) as gateway:
        yield gateway


def call(
    gw: MockGateway,
    method: str,
    path: str,
    *,
    host: str | None = None,
    headers: dict[str, str] | None = None,
    data: bytes = b"",
) -> Answer:
    """A request with exactly this Host (None: none at all, as HTTP/1.0 allows) and these headers."""
    lines = [f"{method} {path} HTTP/{'1.0' if host is None else '1.1'}".encode()]
    if host is not None:
        lines.append(f"Host: {host}".encode())
    lines += [b"Connection: close", b"Content-Length: " + str(len(data)).encode()]
    lines += [f"{k}: {v}".encode() for k, v in (headers or {}).items()]
    return raw_request(gw.port, b"\r\n".join(lines) + b"\r\n\r\n" + data, head=method == "HEAD")


def post_message(gw: MockGateway, text: str = "hi", host: str | None = None) -> Answer:
    return call(
        gw,
        "POST",
        "/v1/messages",
        host=host or f"127.0.0.1:{gw.port}",
        headers={"Content-Type": "application/json"},
        data=json.dumps(body(text)).encode(),
    )


# ---------------------------------------------------------------- the Host allow-list


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost", True),
        ("LOCALHOST:8788", True),
        ("localhost.:8788", True),
        ("app.localhost:3000", True),
        ("127.0.0.1:8788", True),
        ("127.8.9.10", True),
        ("[::1]:8788", True),
        ("10.1.2.3:8788", True),  # an address reaching mockgw is this machine's: a page can only rebind names
        ("[fe80::1]", True),
        ("evil.example", False),
        ("evil.example:8788", False),
        ("localhost.evil.example", False),
        ("127.0.0.1.evil.example", False),
        ("mockgw:8788", False),  # a compose service name: allowed only when named (see below)
        ("[::1", False),
        ("localhost:port", False),
        ("a b", False),
    ],
)
def test_which_hosts_are_answered_by_default(host: str, allowed: bool) -> None:
    assert host_allowed(host, ()) is allowed


@pytest.mark.parametrize(
    ("patterns", "host", "allowed"),
    [
        (["mockgw"], "mockgw:8788", True),
        (["mockgw"], "MOCKGW", True),
        (["mockgw"], "mockgw.evil.example", False),
        ([".dev.test"], "api.dev.test", True),
        ([".dev.test"], "dev.test", True),
        (["*.dev.test"], "a.b.dev.test:443", True),
        ([".dev.test"], "evildev.test", False),
        (["*"], "anything.example", True),
    ],
)
def test_names_given_to_allow_host_are_answered(patterns: list[str], host: str, allowed: bool) -> None:
    assert host_allowed(host, patterns) is allowed


@pytest.mark.parametrize("path", ["/v1/messages", "/health", "/", "/v1/models", "/_mockgw/requests", "/no/such/path"])
def test_a_foreign_host_is_refused_on_every_route_with_the_reason(gw: MockGateway, path: str) -> None:
    answer = call(gw, "GET", path, host="evil.example")
    assert answer.status == 403
    error = assert_anthropic_error(answer)["error"]
    assert error["type"] == "permission_error"
    assert "Host 'evil.example' is not allowed" in error["message"]
    assert "--allow-host evil.example" in error["message"]


def test_a_foreign_host_on_an_openai_route_gets_the_openai_error_shape(gw: MockGateway) -> None:
    answer = call(gw, "POST", "/v1/chat/completions", host="evil.example", headers={"Content-Type": "application/json"})
    assert answer.status == 403
    error = answer.json()["error"]
    assert error["code"] == "host_not_allowed" and "Host 'evil.example' is not allowed" in error["message"]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "app.localhost"])
def test_loopback_hosts_are_served(gw: MockGateway, host: str) -> None:
    assert call(gw, "GET", "/health", host=f"{host}:{gw.port}").status == 200
    assert post_message(gw, host=f"{host}:{gw.port}").status == 200


def test_http_1_0_without_a_host_is_served_no_browser_sends_that(gw: MockGateway) -> None:
    assert call(gw, "GET", "/health", host=None).status == 200


def test_a_dns_rebinding_page_can_neither_read_the_journal_nor_switch_the_scenario(gw: MockGateway) -> None:
    assert post_message(gw, "my secret prompt").status == 200
    rebound = f"evil.example:{gw.port}"  # the page's own name, now resolving to 127.0.0.1
    listed = call(gw, "GET", "/_mockgw/requests", host=rebound)
    switched = call(
        gw,
        "PUT",
        "/_mockgw/scenario",
        host=rebound,
        headers={"Content-Type": "application/yaml"},
        data=EVIL_SCENARIO.encode(),
    )
    reset = call(gw, "POST", "/_mockgw/reset", host=rebound, headers={"Content-Type": "application/json"}, data=b"{}")
    assert (listed.status, switched.status, reset.status) == (403, 403, 403)
    assert b"my secret prompt" not in listed.body
    assert gw.gateway.scenario.name == "mine" and len(gw.journal) == 1


def test_a_name_given_to_the_gateway_is_served() -> None:
    with MockGateway(SCENARIO, allowed_hosts=["mockgw"]) as gw:
        assert call(gw, "GET", "/health", host=f"mockgw:{gw.port}").status == 200
        assert call(gw, "GET", "/health", host="other").status == 403


def test_allow_host_comes_from_the_flag_or_the_environment() -> None:
    assert resolve(ServeFlags(allow_hosts=["mockgw", ".Dev.Test"]), {}).allowed_hosts == ("mockgw", ".dev.test")
    assert resolve(ServeFlags(), {"MOCKGW_ALLOW_HOST": "mockgw,*"}).allowed_hosts == ("mockgw", "*")
    assert resolve(ServeFlags(), {}).allowed_hosts == ()


@pytest.mark.parametrize("value", ["http://mockgw", "mockgw:8788", "mock gw", "a/b", ""])
def test_allow_host_takes_only_host_names(value: str) -> None:
    with pytest.raises(SettingsError, match=r"--allow-host: .* is not a host name"):
        resolve(ServeFlags(allow_hosts=[value]), {})


# ---------------------------------------------------------------- admin calls a foreign page could send


@pytest.mark.parametrize(
    "headers",
    [{}, {"Content-Type": "text/plain"}, {"Content-Type": "text/plain;charset=UTF-8"},
     {"Content-Type": "application/x-www-form-urlencoded"}, {"Content-Type": "multipart/form-data; boundary=x"}],
    ids=["no-type", "text-plain", "text-plain-charset", "form", "multipart"],
)  # fmt: skip
def test_an_admin_post_a_page_could_send_unasked_is_refused_and_changes_nothing(
    gw: MockGateway, headers: dict[str, str]
) -> None:
    assert post_message(gw).status == 200
    answer = call(gw, "POST", "/_mockgw/reset", host=f"127.0.0.1:{gw.port}", headers=headers, data=b"{}")
    assert answer.status == 403
    error = assert_anthropic_error(answer)["error"]
    assert error["type"] == "permission_error"
    assert "needs Content-Type: application/json or the header x-mockgw-admin: 1" in error["message"]
    assert len(gw.journal) == 1  # not reset


@pytest.mark.parametrize(
    ("headers", "data"),
    [({"Content-Type": "application/json"}, b"{}"), ({"x-mockgw-admin": "1"}, b""),
     ({"Content-Type": "text/plain", "X-Mockgw-Admin": "1"}, b"{}")],
    ids=["json", "admin-header", "header-any-type"],
)  # fmt: skip
def test_an_admin_post_a_page_cannot_send_unasked_is_served(
    gw: MockGateway, headers: dict[str, str], data: bytes
) -> None:
    assert post_message(gw).status == 200
    answer = call(gw, "POST", "/_mockgw/reset", host=f"127.0.0.1:{gw.port}", headers=headers, data=data)
    assert answer.status == 200, answer
    assert len(gw.journal) == 0


def test_a_put_with_a_form_content_type_is_served_a_browser_always_asks_before_a_put(gw: MockGateway) -> None:
    # curl --data-binary sends application/x-www-form-urlencoded; a cross-site PUT needs a preflight, which
    # CORS refuses for the admin API unless the page is this machine's.
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = call(gw, "PUT", "/_mockgw/scenario", host=f"127.0.0.1:{gw.port}", headers=headers, data=b"rules: []\n")
    assert answer.status == 200, answer


# ---------------------------------------------------------------- CORS never grants the admin API abroad


def cors_gateway(origins: tuple[str, ...]) -> MockGateway:
    """A gateway whose CORS allows ``origins``, as ``--cors-origin`` would (MockGateway has no such option)."""
    gw = MockGateway(SCENARIO)
    gw._config.cors_origins = origins  # read when the server starts, on entering the with block
    return gw


def preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


@pytest.mark.parametrize("origin", ["https://app.example", "http://evil.example"])
def test_an_origin_allowed_for_the_api_gets_no_admin_access(origin: str) -> None:
    with cors_gateway(("*",)) as gw:
        host = f"127.0.0.1:{gw.port}"
        api = call(gw, "OPTIONS", "/v1/messages", host=host, headers=preflight(origin))
        admin = call(gw, "OPTIONS", "/_mockgw/reset", host=host, headers=preflight(origin))
        listed = call(gw, "GET", "/_mockgw/requests", host=host, headers={"Origin": origin})
        assert api.status == 204 and api.headers["access-control-allow-origin"] == origin
        assert admin.status == 403
        assert "admin API is not granted to origin" in assert_anthropic_error(admin)["error"]["message"]
        assert "access-control-allow-origin" not in listed.headers


def test_a_page_of_this_machine_may_call_the_admin_api() -> None:
    with cors_gateway(("*",)) as gw:
        origin = "http://localhost:5173"
        host = f"127.0.0.1:{gw.port}"
        admin = call(gw, "OPTIONS", "/_mockgw/reset", host=host, headers=preflight(origin))
        listed = call(gw, "GET", "/_mockgw/requests", host=host, headers={"Origin": origin})
        assert admin.status == 204
        assert listed.headers["access-control-allow-origin"] == origin


# ---------------------------------------------------------------- the journal, a page at a time


def fill(gw: MockGateway, n: int) -> None:
    for i in range(n):
        gw.journal.new_entry(time=0.0, method="POST", path="/v1/messages", headers={}, body={"i": i}, session="s")


def listing(gw: MockGateway, query: str = "") -> dict[str, Any]:
    answer = call(gw, "GET", f"/_mockgw/requests{query}", host=f"127.0.0.1:{gw.port}")
    assert answer.status == 200, answer
    data: dict[str, Any] = answer.json()
    return data


def test_the_listing_is_a_page_of_the_newest_entries_by_default(gw: MockGateway) -> None:
    fill(gw, DEFAULT_PAGE + 5)
    page = listing(gw)
    assert [e["seq"] for e in page["data"]] == list(range(6, DEFAULT_PAGE + 6))
    assert (page["count"], page["total"], page["has_more"], page["last_seq"]) == (
        DEFAULT_PAGE,
        DEFAULT_PAGE + 5,
        True,
        DEFAULT_PAGE + 5,
    )


def test_after_pages_forward_through_the_whole_journal(gw: MockGateway) -> None:
    fill(gw, 25)
    seen: list[int] = []
    after, pages = 0, 0
    while True:
        page = listing(gw, f"?after={after}&limit=10")
        seen += [e["seq"] for e in page["data"]]
        pages += 1
        if not page["has_more"]:
            break
        after = page["last_seq"]
        assert pages < 10, "paging does not end"
    assert (seen, pages) == (list(range(1, 26)), 3)


def test_a_page_larger_than_the_most_is_refused(gw: MockGateway) -> None:
    answer = call(gw, "GET", "/_mockgw/requests?limit=1001", host=f"127.0.0.1:{gw.port}")
    assert answer.status == 400
    assert assert_anthropic_error(answer)["error"]["message"] == "limit: must be at most 1000, got 1001"


def test_a_large_body_is_left_out_of_the_listing_and_read_whole_on_its_own(gw: MockGateway) -> None:
    small, large = "s" * 100, "L" * (LISTED_BODY_BYTES + 1)
    assert post_message(gw, small).status == post_message(gw, large).status == 200
    first, second = listing(gw)["data"]
    assert first["body"]["messages"][0]["content"] == small and "body_elided" not in first
    assert second["body"] is None
    assert second["body_elided"]["href"] == "/_mockgw/requests/2"
    assert second["body_elided"]["bytes"] == second["body_bytes"] > LISTED_BODY_BYTES
    whole = call(gw, "GET", second["body_elided"]["href"], host=f"127.0.0.1:{gw.port}")
    assert whole.status == 200 and whole.json()["body"]["messages"][0]["content"] == large


def test_an_entry_that_is_not_there_is_a_404(gw: MockGateway) -> None:
    answer = call(gw, "GET", "/_mockgw/requests/7", host=f"127.0.0.1:{gw.port}")
    assert answer.status == 404
    assert "no journal entry '7'" in assert_anthropic_error(answer)["error"]["message"]
