"""A tiny driver for headless Chromium over the DevTools protocol: no dependency beyond aiohttp.

Chromium is started with ``--remote-debugging-port=0``: it picks a free port on 127.0.0.1 and writes it to
``DevToolsActivePort`` in its profile folder, and we talk to it over one websocket (flat sessions: every
page's messages carry its ``sessionId``). The protocol is asynchronous; tests are not, so the websocket lives
on an event loop in a thread of its own and every call here blocks until its answer, with a timeout.

    with Browser.launch("/usr/bin/chromium") as browser:
        page = browser.new_page()
        page.goto(url)
        page.wait_for("document.querySelectorAll('tbody tr').length === 2")
        page.click("tbody tr")
        page.screenshot(Path("page.png"))

Chromium always dies with the ``Browser``: it runs in a process group of its own, which ``close()`` kills.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp

T = TypeVar("T")
CALL_TIMEOUT_S = 10.0
LAUNCH_TIMEOUT_S = 15.0

# Headless, as root, on a closed network: nothing may phone home, and no host name resolves except ours.
FLAGS = (
    "--headless",
    "--no-sandbox",  # Chromium refuses to run as root with its sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-breakpad",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions",
    "--no-pings",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


# key -> (code, Windows virtual key code, the text it types)
KEYS = {
    "Tab": ("Tab", 9, ""),
    "Enter": ("Enter", 13, "\r"),
    "Escape": ("Escape", 27, ""),
    " ": ("Space", 32, " "),
    "PageUp": ("PageUp", 33, ""),
    "PageDown": ("PageDown", 34, ""),
    "End": ("End", 35, ""),
    "Home": ("Home", 36, ""),
    "ArrowUp": ("ArrowUp", 38, ""),
    "ArrowDown": ("ArrowDown", 40, ""),
}


class CDPError(RuntimeError):
    """Chromium answered a command with an error, or a page's script threw."""


@dataclass
class ConsoleMessage:
    """Something the page logged at error level: a console.error, an uncaught exception, a failed load."""

    source: str  # console | exception | network | security | ...
    text: str

    def __str__(self) -> str:
        return f"[{self.source}] {self.text}"


class _Connection:
    """The websocket to the browser, on a loop of its own; answers matched to commands by id."""

    def __init__(self, ws_url: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cdp", daemon=True)
        self._thread.start()
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._listeners: dict[str | None, list[Any]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self.run(self._open(ws_url), LAUNCH_TIMEOUT_S)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _open(self, ws_url: str) -> None:
        self._session = aiohttp.ClientSession()
        # Screenshots and request bodies can be large: no message size limit.
        self._ws = await self._session.ws_connect(ws_url, max_msg_size=0)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "id" in data:
                future = self._waiting.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
            else:
                for listener in self._listeners.get(data.get("sessionId"), []):
                    listener(data["method"], data.get("params", {}))
        for future in self._waiting.values():  # the browser went away: nobody waits forever
            if not future.done():
                future.set_exception(CDPError("the connection to Chromium closed"))

    def listen(self, session_id: str | None, listener: Any) -> None:
        """Call ``listener(method, params)`` for every event of ``session_id`` (on the connection's thread)."""
        self._listeners.setdefault(session_id, []).append(listener)

    async def _send(self, method: str, params: dict[str, Any], session_id: str | None) -> dict[str, Any]:
        assert self._ws is not None
        message_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        self._waiting[message_id] = future
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session_id is not None:
            message["sessionId"] = session_id
        await self._ws.send_str(json.dumps(message))
        return await future

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session_id: str | None = None,
        timeout: float = CALL_TIMEOUT_S,
    ) -> dict[str, Any]:
        """Send one command and return its ``result``; CDPError if Chromium answers with an error."""
        try:
            answer = self.run(self._send(method, params or {}, session_id), timeout)
        except TimeoutError:
            raise TimeoutError(f"Chromium did not answer {method} within {timeout} s") from None
        if "error" in answer:
            raise CDPError(f"{method}: {answer['error'].get('message')} {answer['error'].get('data', '')}".strip())
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def _close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 2)
        if self._session is not None:
            await self._session.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.run(self._close(), 5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()


class Browser:
    """One headless Chromium process (and its children), driven over the DevTools protocol."""

    def __init__(self, process: subprocess.Popen[bytes], profile: Path, connection: _Connection) -> None:
        self.process = process
        self.profile = profile
        self._connection = connection
        self._pages: list[Page] = []

    @classmethod
    def launch(cls, executable: str, timeout: float = LAUNCH_TIMEOUT_S) -> Browser:
        """Start Chromium with a fresh profile and connect to it. Kills it again if anything fails."""
        profile = Path(tempfile.mkdtemp(prefix="mockgw-chromium-"))
        log = (profile / "chromium.log").open("wb")
        process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile / 'profile'}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: renderers and helpers die with it
        )
        log.close()
        try:
            ws_url = _devtools_url(process, profile, timeout)
            return cls(process, profile, _Connection(ws_url))
        except BaseException:
            _kill(process)
            shutil.rmtree(profile, ignore_errors=True)
            raise

    def new_page(self, width: int = 1280, height: int = 900) -> Page:
        """A new tab, with its viewport set and its console, errors and network requests recorded."""
        target = self._connection.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._connection.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self._connection, target, session)
        self._pages.append(page)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": width,
                "height": height,
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )
        return page

    def close(self) -> None:
        """Close the browser: politely over the protocol, then kill its process group whatever happened."""
        with contextlib.suppress(Exception):
            self._connection.send("Browser.close", timeout=3)
        self._connection.close()
        _kill(self.process)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _devtools_url(process: subprocess.Popen[bytes], profile: Path, timeout: float) -> str:
    """The browser's websocket address, once Chromium has written it to its profile."""
    port_file = profile / "profile" / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Chromium exited with {process.returncode}:\n{_log_tail(profile)}")
        with contextlib.suppress(FileNotFoundError, ValueError):
            port, path = port_file.read_text().split("\n")[:2]
            if port and path:
                return f"ws://127.0.0.1:{int(port)}{path}"
        time.sleep(0.05)
    raise TimeoutError(f"Chromium did not open its DevTools port within {timeout} s:\n{_log_tail(profile)}")


def _log_tail(profile: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join((profile / "chromium.log").read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill Chromium's process group (the process we started, and every helper it started)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)


class Page:
    """One tab. Everything it logs at error level is kept in ``errors``, every URL it asks for in ``requests``."""

    def __init__(self, connection: _Connection, target_id: str, session_id: str) -> None:
        self._connection = connection
        self.target_id = target_id
        self.session_id = session_id
        self.errors: list[ConsoleMessage] = []
        self.requests: list[str] = []
        connection.listen(session_id, self._on_event)

    def _on_event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
            self.errors.append(ConsoleMessage("console", text))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "")
            self.errors.append(ConsoleMessage("exception", text))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            self.errors.append(
                ConsoleMessage(entry.get("source", "log"), f"{entry.get('text')} {entry.get('url', '')}")
            )
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])

    def send(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = CALL_TIMEOUT_S
    ) -> dict[str, Any]:
        """One DevTools command to this page."""
        return self._connection.send(method, params, self.session_id, timeout)

    def goto(self, url: str, timeout: float = CALL_TIMEOUT_S) -> None:
        """Navigate and wait until the page has loaded (its scripts have run)."""
        result = self.send("Page.navigate", {"url": url}, timeout)
        if result.get("errorText"):
            raise CDPError(f"navigating to {url}: {result['errorText']}")
        self.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'", timeout)

    def evaluate(self, expression: str, timeout: float = CALL_TIMEOUT_S) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited); CDPError if it throws."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True, "userGesture": True},
            timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"{expression!r} threw: {text}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = CALL_TIMEOUT_S, interval: float = 0.05) -> Any:
        """Evaluate ``expression`` until it is truthy and return its value; TimeoutError (with the last value)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression, timeout)
            if value:
                return value
            if time.monotonic() >= deadline:
                errors = "".join(f"\n  {e}" for e in self.errors) or " none"
                raise TimeoutError(f"still false after {timeout} s: {expression} (last: {value!r}); errors:{errors}")
            time.sleep(interval)

    def _center(self, selector: str) -> tuple[float, float]:
        box = self.wait_for(
            f"""(() => {{
                const el = document.querySelector({json.dumps(selector)});
                if (!el) return null;
                el.scrollIntoView({{block: "center"}});
                const r = el.getBoundingClientRect();
                return r.width > 0 && r.height > 0 ? [r.left + r.width / 2, r.top + r.height / 2] : null;
            }})()"""
        )
        return float(box[0]), float(box[1])

    def click(self, selector: str) -> None:
        """Click the middle of the first element ``selector`` matches, with real mouse events.

        Waits for it to be there and visible; like a user's click, it lands on whatever is on top there.
        """
        x, y = self._center(selector)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            extra = {} if kind == "mouseMoved" else {"button": "left", "clickCount": 1}
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, **extra})

    def type(self, selector: str, text: str) -> None:
        """Focus the field ``selector`` matches, clear it, and type ``text`` into it as a user would."""
        self._center(selector)
        self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)}); el.focus(); el.select(); }})()"
        )
        self.send("Input.insertText", {"text": text})

    def press_enter(self) -> None:
        """Press and release Enter on the focused element, as a keyboard user would."""
        key = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
        self.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r", **key})
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", **key})

    def press(self, key: str, *, shift: bool = False) -> None:
        """Press and release one key on the focused element, as a keyboard does: ``Tab``, ``Enter``, `` ``
        (Space), ``Escape``, the arrows, ``Home``, ``End``, ``PageUp``, ``PageDown``; ``shift`` held."""
        code, key_code, text = KEYS[key]
        event = {"key": key, "code": code, "windowsVirtualKeyCode": key_code, "modifiers": 8 if shift else 0}
        self.send("Input.dispatchKeyEvent", {"type": "keyDown", **({"text": text} if text else {}), **event})
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", **event})

    def focus(self, selector: str) -> None:
        """Move the keyboard focus to the first element ``selector`` matches."""
        self._center(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")

    def select(self, selector: str, value: str) -> None:
        """Choose ``value`` in the ``<select>`` that ``selector`` matches (and fire its change event)."""
        self.evaluate(
            f"""(() => {{
                const el = document.querySelector({json.dumps(selector)});
                el.value = {json.dumps(value)};
                if (el.value !== {json.dumps(value)}) throw new Error("no option " + {json.dumps(value)});
                el.dispatchEvent(new Event("change", {{bubbles: true}}));
            }})()"""
        )

    def text(self, selector: str) -> str:
        """The visible text of the first element ``selector`` matches ("" when there is none)."""
        value = self.evaluate(f"document.querySelector({json.dumps(selector)})?.innerText ?? ''")
        return str(value)

    def screenshot(self, path: Path) -> Path:
        """Save the page's viewport as a PNG."""
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._connection.send("Target.closeTarget", {"targetId": self.target_id}, timeout=3)
