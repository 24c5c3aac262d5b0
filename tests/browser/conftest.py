"""The inspector page in a real headless Chromium (Debian's ``chromium`` package), driven over DevTools.

``make test`` installs Chromium when it is missing and we are root (``make browser``). Without it these tests
skip with the reason, except under CI (``CI`` set), where a missing Chromium fails them: CI must never pass
by skipping. One Chromium serves a whole test module (per xdist worker); every test gets a fresh tab, and
Chromium's whole process group is killed when the module ends, whatever happened.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cdp import Browser, Page

from mockgw.server.app import RunningServer, start_server
from mockgw.server.state import GatewayConfig

CHROMIUM = Path("/usr/bin/chromium")


def require_chromium() -> None:
    """Skip (or, under CI, fail) when Debian's Chromium is not installed."""
    if os.access(CHROMIUM, os.X_OK):
        return
    reason = f"{CHROMIUM} is missing: the inspector's browser tests need Debian's chromium package"
    if os.environ.get("CI"):
        pytest.fail(
            f"{reason} (CI is set, so this is a failure, not a skip; run `make browser` as root)", pytrace=False
        )
    pytest.skip(f"{reason}; `make test` as root installs it (or: apt-get install chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module; killed (with every process it started) at the end."""
    require_chromium()
    with Browser.launch(str(CHROMIUM)) as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab, closed after the test."""
    tab = browser.new_page()
    yield tab
    tab.close()


@pytest.fixture
def serve() -> Iterator[Callable[[GatewayConfig], RunningServer]]:
    """Start servers for any ``GatewayConfig`` (an admin token, say) on 127.0.0.1, port 0; all stop at the end.

    They run on an event loop in a thread of their own: the tests block while they drive the browser.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="mockgw-browser-test", daemon=True)
    thread.start()
    started: list[RunningServer] = []

    def start(config: GatewayConfig) -> RunningServer:
        server = asyncio.run_coroutine_threadsafe(start_server(config), loop).result(10)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
