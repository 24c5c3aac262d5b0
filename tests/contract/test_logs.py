"""The request log: one line per request on the ``mockgw`` logger, as text or JSON, never with a credential."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from mockgw.server.logs import configure_logging
from tests.conftest import body, http_call

API_KEY = "sk-ant-api-key-that-must-not-leak"
BEARER = "bearer-token-that-must-not-leak"
ADMIN_TOKEN = "admin-token-that-must-not-leak"
SECRETS = (API_KEY, BEARER, ADMIN_TOKEN)
SCENARIO = {"rules": [{"name": "greet", "reply": "Hello."}]}


@pytest.fixture
def captured() -> Iterator[Callable[[str], io.StringIO]]:
    """``captured("text" | "json")``: the ``mockgw`` logger configured as ``serve`` does, into a buffer."""
    logger = logging.getLogger("mockgw")
    saved = (logger.level, logger.propagate, list(logger.handlers))

    def configure(log_format: str) -> io.StringIO:
        stream = io.StringIO()
        configure_logging(log_format, stream)
        return stream

    yield configure
    logger.setLevel(saved[0])
    logger.propagate = saved[1]
    logger.handlers[:] = saved[2]


def lines(stream: io.StringIO, count: int) -> list[str]:
    """The log's lines once there are ``count`` (a stream is logged just after its last byte went out)."""
    deadline = time.monotonic() + 5
    while len(stream.getvalue().splitlines()) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return stream.getvalue().splitlines()


def test_a_text_line_has_method_path_status_duration_session_rule_and_request_id(gateway, captured) -> None:
    stream = captured("text")
    gw = gateway(SCENARIO)
    response = http_call(f"{gw.url}/v1/messages", json_body=body(), headers={"x-mockgw-session": "alice"})
    [line] = lines(stream, 1)
    rid = response.headers["request-id"]
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\d [\d:,]+ INFO POST /v1/messages 200 \d+\.\dms session=alice rule=greet request_id={rid}",
        line,
    ), line


def test_a_json_line_is_one_object_with_the_fields(gateway, captured) -> None:
    stream = captured("json")
    gw = gateway(SCENARIO)
    response = http_call(f"{gw.url}/v1/messages", json_body=body(stream=True))
    [line] = lines(stream, 1)
    data = json.loads(line)
    assert isinstance(data.pop("duration_ms"), float)
    assert data.pop("time").endswith("+00:00")
    assert data == {
        "level": "info",
        "logger": "mockgw",
        "message": data["message"],
        "method": "POST",
        "path": "/v1/messages",
        "status": 200,
        "session": "default",
        "rule": "greet",
        "request_id": response.headers["request-id"],
    }


def test_every_request_is_one_line_whatever_the_path(gateway, captured) -> None:
    stream = captured("json")
    gw = gateway(SCENARIO)
    http_call(f"{gw.url}/v1/messages", json_body=body())
    http_call(f"{gw.url}/v1/messages", json_body={"model": "m"})
    http_call(f"{gw.url}/v1/models", "GET")
    http_call(f"{gw.url}/_mockgw/reset", "POST")
    http_call(f"{gw.url}/nowhere", "GET")
    preflight = {"origin": "http://localhost:3000", "access-control-request-method": "POST"}
    http_call(f"{gw.url}/v1/messages", "OPTIONS", headers=preflight)
    logged = [json.loads(line) for line in lines(stream, 6)]
    assert [(d["method"], d["path"], d["status"], d["rule"]) for d in logged] == [
        ("POST", "/v1/messages", 200, "greet"),
        ("POST", "/v1/messages", 400, None),
        ("GET", "/v1/models", 200, None),
        ("POST", "/_mockgw/reset", 200, None),
        ("GET", "/nowhere", 404, None),
        ("OPTIONS", "/v1/messages", 204, None),
    ]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_credentials_never_reach_the_log(gateway, captured, log_format: str) -> None:
    stream = captured(log_format)
    gw = gateway(SCENARIO, api_keys=[API_KEY, BEARER])
    url = gw.url
    http_call(f"{url}/v1/messages", json_body=body(), headers={"x-api-key": API_KEY})
    http_call(f"{url}/v1/messages", json_body=body(), headers={"authorization": f"Bearer {BEARER}"})
    http_call(f"{url}/v1/messages", json_body=body(), headers={"x-api-key": f"{API_KEY}-wrong"})  # refused: 401
    http_call(f"{url}/v1/messages?beta=true&key={API_KEY}", json_body=body(), headers={"x-api-key": API_KEY})
    http_call(f"{url}/_mockgw/reset", "POST", headers={"x-mockgw-admin-token": ADMIN_TOKEN})
    http_call(f"{url}/_mockgw/reset", "POST", headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    text = "\n".join(lines(stream, 6))
    assert len(text.splitlines()) == 6
    assert "/v1/messages 401" in text or '"status": 401' in text
    for secret in SECRETS:
        assert secret not in text


def test_serve_logs_json_to_stderr_without_credentials(tmp_path) -> None:
    """The real command: ``mockgw serve --log-format json`` with keys in the environment and in headers."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text("rules: [{name: greet, reply: Hello.}]\n", encoding="utf-8")
    env = {**os.environ, "MOCKGW_API_KEYS": API_KEY, "MOCKGW_ADMIN_TOKEN": ADMIN_TOKEN}
    command = [sys.executable, "-m", "mockgw", "serve", "--scenario", str(scenario), "--port", "0"]
    proc = subprocess.Popen(
        [*command, "--log-format", "json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert url is not None, first
        ok = http_call(f"{url[0]}/v1/messages", json_body=body(), headers={"x-api-key": API_KEY})
        admin = http_call(f"{url[0]}/_mockgw/reset", "POST", headers={"x-mockgw-admin-token": ADMIN_TOKEN})
        assert (ok.status, admin.status) == (200, 200)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    logged = [json.loads(line) for line in stderr.splitlines()]
    assert [(d["method"], d["path"], d["status"]) for d in logged] == [
        ("POST", "/v1/messages", 200),
        ("POST", "/_mockgw/reset", 200),
    ]
    for secret in SECRETS:
        assert secret not in stderr


def test_polling_reads_of_the_admin_api_and_health_are_logged_at_debug(gateway, captured) -> None:
    """The inspector reads the journal every second and containers probe health: INFO stays readable."""
    stream = captured("json")
    logging.getLogger("mockgw").setLevel(logging.DEBUG)
    gw = gateway(SCENARIO)
    http_call(f"{gw.url}/_mockgw/requests", "GET")
    http_call(f"{gw.url}/health", "GET")
    http_call(f"{gw.url}/_mockgw/reset", "POST")
    logged = [json.loads(line) for line in lines(stream, 3)]
    assert [(d["level"], d["method"], d["path"]) for d in logged] == [
        ("debug", "GET", "/_mockgw/requests"),
        ("debug", "GET", "/health"),
        ("info", "POST", "/_mockgw/reset"),
    ]


def test_a_request_dropped_unanswered_is_logged_without_a_status(gateway, captured) -> None:
    stream = captured("json")
    gw = gateway({"rules": [{"name": "drop", "reply": "x", "fault": {"disconnect": True, "after_events": 2}}]})
    with pytest.raises(ConnectionError):  # http.client.RemoteDisconnected
        http_call(f"{gw.url}/v1/messages", json_body=body())
    [line] = lines(stream, 1)
    assert (json.loads(line)["status"], json.loads(line)["rule"]) == (None, "drop")
