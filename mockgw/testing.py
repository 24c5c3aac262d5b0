"""The Python API for tests: ``MockGateway`` (own thread and loop) and ``AsyncMockGateway`` (your loop).

with MockGateway({"rules": [{"reply": "Hi!"}]}) as gw:
    client = anthropic.Anthropic(base_url=gw.url, api_key="test")
    client.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=[...])
    gw.assert_called(times=1)
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from mockgw.clock import Clock, RealClock
from mockgw.journal import DEFAULT_JOURNAL_SIZE, Journal, JournalEntry
from mockgw.scenario.loader import load_scenario_data, load_scenario_text, load_scenarios
from mockgw.scenario.schema import Scenario
from mockgw.server.app import RunningServer, start_server
from mockgw.server.state import Gateway, GatewayConfig

T = TypeVar("T")
ScenarioLike = Scenario | Mapping[str, Any] | str | Path | None

# Variables that keep Claude Code (and other tools) from calling home while pointed at mockgw.
QUIET_ENV = {
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "DISABLE_AUTOUPDATER": "1",
}


def coerce_scenario(scenario: ScenarioLike) -> Scenario:
    """A Scenario from what a user has at hand.

    ``None``: the bundled default; a ``Path``, or a string naming an existing file or folder, or a bundled
    scenario's name: loaded from there; a mapping: validated as is; any other string: YAML text.
    Raises ``ScenarioError`` listing every problem.
    """
    if isinstance(scenario, Scenario):
        return scenario
    if scenario is None:
        return load_scenarios([])
    if isinstance(scenario, Path):
        return load_scenarios([scenario])
    if isinstance(scenario, Mapping):
        return load_scenario_data(dict(scenario), "<dict>")
    looks_like_yaml = "\n" in scenario or ":" in scenario
    if not looks_like_yaml or os.path.exists(scenario):
        return load_scenarios([scenario])
    return load_scenario_text(scenario, "<string>")


class _Assertions:
    """Assertions shared by both gateways; they read ``journal`` and ``gateway``."""

    journal: Journal

    @property
    def gateway(self) -> Gateway:
        raise NotImplementedError

    def _matching(self, rule: str | None, model: str | None) -> list[JournalEntry]:
        return [
            e
            for e in self.journal
            if e.path.startswith("/v1/messages")
            and not e.path.startswith("/v1/messages/count_tokens")
            and (rule is None or e.rule == rule)
            and (model is None or e.model == model)
        ]

    def assert_called(self, times: int | None = None, rule: str | None = None, model: str | None = None) -> None:
        """Assert that ``/v1/messages`` was called (``times`` exactly, if given), by ``rule``/for ``model``."""
        found = self._matching(rule, model)
        what = " and ".join(f"{k}={v!r}" for k, v in (("rule", rule), ("model", model)) if v is not None)
        what = f" with {what}" if what else ""
        if times is None and not found:
            raise AssertionError(f"mockgw: expected a call{what}, got none (journal: {self._summary()})")
        if times is not None and len(found) != times:
            raise AssertionError(
                f"mockgw: expected {times} call(s){what}, got {len(found)} (journal: {self._summary()})"
            )

    def assert_all_rules_used(self) -> None:
        """Assert that every rule answered at least once."""
        unused = self.gateway.engine.unused_rules()
        if unused:
            raise AssertionError(f"mockgw: rules never used: {', '.join(unused)}")

    def unmatched(self) -> list[JournalEntry]:
        """Requests no rule matched (each answered with the near-miss report)."""
        return [e for e in self.journal if e.unmatched]

    def strict_failures(self) -> list[str]:
        """What strict mode fails a test for: unmatched requests, and ``times:`` rules not used up."""
        problems = [f"request #{e.seq} to {e.path} matched no rule: {e.error}" for e in self.unmatched()]
        engine = self.gateway.engine
        for index, rule in enumerate(engine.scenario.rules):
            if rule.times is None:
                continue
            label = engine.scenario.rule_label(index)
            used = engine.uses(label)
            if used < rule.times:
                problems.append(f"rule {label} expected {rule.times} call(s), got {used}")
        return problems

    def _summary(self) -> str:
        entries = self.journal.snapshot()
        if not entries:
            return "empty"
        return ", ".join(f"#{e.seq} {e.method} {e.path} → {e.status} ({e.rule or '-'})" for e in entries[-5:])

    def env(self, api_key: str = "mockgw-test") -> dict[str, str]:
        """The environment for a subprocess (Claude Code, an SDK script) to talk to this gateway."""
        keys = list(self.gateway.auth.keys)
        key = keys[0] if keys else api_key
        return {
            "ANTHROPIC_BASE_URL": self.url,
            "ANTHROPIC_AUTH_TOKEN": key,
            "ANTHROPIC_API_KEY": "",
            **QUIET_ENV,
        }

    @property
    def url(self) -> str:
        raise NotImplementedError


class MockGateway(_Assertions):
    """A mockgw server on 127.0.0.1 (port 0 unless given), in its own thread and event loop.

    Works from sync and async code alike, under any pytest-asyncio loop scope, because it never touches
    the caller's loop. Use it as a context manager, or call ``start()`` and ``close()`` (safe twice).
    """

    def __init__(
        self,
        scenario: ScenarioLike = None,
        *,
        seed: int | None = None,
        api_keys: list[str] | tuple[str, ...] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        journal_size: int = DEFAULT_JOURNAL_SIZE,
    ) -> None:
        self._config = GatewayConfig(
            scenario=coerce_scenario(scenario),
            seed=seed,
            api_keys=tuple(api_keys or ()),
            clock=clock or RealClock(),
            journal_size=journal_size,
        )
        self._host, self._port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: RunningServer | None = None
        self._closed = False

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start serving (idempotent); returns self."""
        if self._server is not None:
            return self
        if self._closed:
            raise RuntimeError("mockgw: this MockGateway was closed; make a new one")
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        thread = threading.Thread(target=self._run_loop, args=(loop, ready), name="mockgw", daemon=True)
        thread.start()
        ready.wait()
        self._loop, self._thread = loop, thread
        try:
            self._server = self._call(start_server(self._config, self._host, self._port))
        except BaseException:
            self._stop_loop()
            raise
        return self

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        loop.run_forever()
        loop.close()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def _stop_loop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop = self._thread = None

    def close(self) -> None:
        """Stop the server and its thread. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._server is not None:
            self._call(self._server.stop())
            self._server = None
        self._stop_loop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ state

    @property
    def server(self) -> RunningServer:
        if self._server is None:
            raise RuntimeError("mockgw: not started (use `with MockGateway(...)` or call start())")
        return self._server

    @property
    def gateway(self) -> Gateway:
        return self.server.gateway

    @property
    def url(self) -> str:
        """The base URL to give a client (``http://127.0.0.1:PORT``)."""
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def journal(self) -> Journal:  # type: ignore[override]
        """Every request so far (bounded), oldest first; ``.last`` is the newest."""
        return self.gateway.journal

    @property
    def scenario(self) -> Scenario:
        return self.gateway.scenario

    def load(self, scenario: ScenarioLike) -> None:
        """Serve another scenario (fresh rule state; the journal is kept)."""
        loaded = coerce_scenario(scenario)
        self._on_loop(lambda: self.gateway.load(loaded))

    def reset(self, session: str | None = None) -> None:
        """Forget the journal and rule state: all of it, or one session's."""
        self._on_loop(lambda: self.gateway.reset(session))

    def _on_loop(self, fn: Any) -> None:
        async def run() -> None:
            fn()

        self._call(run())


class AsyncMockGateway(_Assertions):
    """A mockgw server on the running event loop, for async code (aiohttp apps, pytest-aiohttp).

    async with AsyncMockGateway(scenario) as gw:
        ...
    """

    def __init__(
        self,
        scenario: ScenarioLike = None,
        *,
        seed: int | None = None,
        api_keys: list[str] | tuple[str, ...] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        journal_size: int = DEFAULT_JOURNAL_SIZE,
    ) -> None:
        self._config = GatewayConfig(
            scenario=coerce_scenario(scenario),
            seed=seed,
            api_keys=tuple(api_keys or ()),
            clock=clock or RealClock(),
            journal_size=journal_size,
        )
        self._host, self._port = host, port
        self._server: RunningServer | None = None
        self._closed = False

    async def start(self) -> Self:
        if self._server is None:
            self._server = await start_server(self._config, self._host, self._port)
        return self

    async def close(self) -> None:
        """Stop the server. Safe to call twice."""
        if self._server is not None and not self._closed:
            self._closed = True
            await self._server.stop()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def server(self) -> RunningServer:
        if self._server is None:
            raise RuntimeError("mockgw: not started (use `async with AsyncMockGateway(...)`)")
        return self._server

    @property
    def gateway(self) -> Gateway:
        return self.server.gateway

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def journal(self) -> Journal:  # type: ignore[override]
        return self.gateway.journal

    def load(self, scenario: ScenarioLike) -> None:
        self.gateway.load(coerce_scenario(scenario))

    def reset(self, session: str | None = None) -> None:
        self.gateway.reset(session)
