"""``MockGateway`` and ``AsyncMockGateway``: what ``mockgw.testing`` exports, imported on first use (see there)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypedDict, TypeVar, Unpack

from mockgw.core.clock import Clock, RealClock
from mockgw.core.engine import DEFAULT_MAX_SESSIONS
from mockgw.core.journal import (
    DEFAULT_JOURNAL_BODY_BYTES,
    DEFAULT_JOURNAL_BYTES,
    DEFAULT_JOURNAL_SIZE,
    Journal,
    JournalEntry,
)
from mockgw.core.request import DEFAULT_SESSION
from mockgw.faces.anthropic.threads import DEFAULT_MAX_THREAD_BYTES, DEFAULT_MAX_THREADS
from mockgw.scenario.loader import load_scenario_data, load_scenario_text, load_scenarios
from mockgw.scenario.schema import Scenario
from mockgw.server.app import RunningServer, start_server
from mockgw.server.state import Gateway, GatewayConfig, Timeouts, prepare_answers

T = TypeVar("T")
ScenarioLike = Scenario | Mapping[str, Any] | str | Path | None

# Keep Claude Code (and tools like it) from calling home while pointed at mockgw, and make a broken stream
# fail loudly: without the last one Claude Code silently retries without streaming, and a bug looks like a pass.
QUIET_ENV = {
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "DISABLE_AUTOUPDATER": "1",
}
# Generous: stopping waits at most the server's 0.5 s shutdown grace; only a wedged loop takes longer.
_LOOP_TIMEOUT_S = 30.0


def coerce_scenario(scenario: ScenarioLike) -> Scenario:
    """A Scenario from what a user has at hand.

    ``None``: the bundled default; a ``Path``, or a string naming an existing file or folder, or a bundled
    scenario's name: loaded from there; a mapping: validated as is; any other string (one with a newline or
    a colon): YAML text. Raises ``ScenarioError`` listing every problem.
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
    if not looks_like_yaml or _exists(scenario):
        return load_scenarios([scenario])
    return load_scenario_text(scenario, "<string>")


def _exists(path: str) -> bool:
    try:
        return os.path.exists(path)
    except ValueError:  # an embedded NUL: YAML text, not a path
        return False


def describe(entry: JournalEntry) -> str:
    """One line for a journal entry, as failure messages show it: ``POST /v1/messages MODEL → 200 (rule greet)``."""
    model = f" {entry.model}" if entry.model else ""
    answered = f"rule {entry.rule}" if entry.rule else "no rule"
    return f"{entry.method} {entry.path}{model} → {entry.status} ({answered})"


class GatewayOptions(TypedDict, total=False):
    """The keyword options both gateways take (see ``_GatewayAPI``)."""

    seed: int | None
    api_keys: list[str] | tuple[str, ...] | None
    host: str
    port: int
    clock: Clock | None
    journal_size: int
    admin_token: str | None
    overrides: bool
    max_threads: int
    max_thread_bytes: int
    allowed_hosts: list[str] | tuple[str, ...]
    data_dir: str | os.PathLike[str] | None
    timeouts: Timeouts
    journal_bytes: int
    journal_body_bytes: int
    max_sessions: int


class _GatewayAPI:
    """What both gateways offer once started: the address, the journal, assertions, ``env()``.

    Both take the same options: ``seed``, ``api_keys``, ``host``/``port`` (127.0.0.1, 0: a free port),
    ``clock`` (a FakeClock plays stream timing without sleeping), ``journal_size``, ``admin_token``,
    ``overrides`` (the ``x-mockgw-*`` request headers; on by default), and ``max_threads`` /
    ``max_thread_bytes`` (the message-thread conversations held at most, in count and in bytes), and
    ``allowed_hosts`` (``Host`` names answered besides loopback names and IP addresses, as ``--allow-host``),
    ``data_dir`` (keep uploaded files and message batches there across gateways, as ``--data-dir``), and the
    limits of README "Limits": ``timeouts``, ``journal_bytes``, ``journal_body_bytes``, ``max_sessions``.
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
        admin_token: str | None = None,
        overrides: bool = True,
        max_threads: int = DEFAULT_MAX_THREADS,
        max_thread_bytes: int = DEFAULT_MAX_THREAD_BYTES,
        allowed_hosts: list[str] | tuple[str, ...] = (),
        data_dir: str | os.PathLike[str] | None = None,
        timeouts: Timeouts | None = None,
        journal_bytes: int = DEFAULT_JOURNAL_BYTES,
        journal_body_bytes: int = DEFAULT_JOURNAL_BODY_BYTES,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
    ) -> None:
        self._config = GatewayConfig(
            scenario=coerce_scenario(scenario),
            seed=seed,
            api_keys=tuple(api_keys or ()),
            clock=clock or RealClock(),
            journal_size=journal_size,
            admin_token=admin_token,
            overrides=overrides,
            max_threads=max_threads,
            max_thread_bytes=max_thread_bytes,
            allowed_hosts=(*allowed_hosts, host),
            data_dir=None if data_dir is None else os.fspath(data_dir),
            timeouts=timeouts or Timeouts(),
            journal_bytes=journal_bytes,
            journal_body_bytes=journal_body_bytes,
            max_sessions=max_sessions,
        )
        self._host, self._port = host, port
        self._server: RunningServer | None = None
        self._closed = False

    # ------------------------------------------------------------ state

    @property
    def server(self) -> RunningServer:
        """The running server (RuntimeError before ``start()``)."""
        if self._server is None:
            raise RuntimeError(f"mockgw: {type(self).__name__} is not running (use it as a context manager)")
        return self._server

    @property
    def gateway(self) -> Gateway:
        """The server's state: scenario, engine, journal, auth."""
        return self.server.gateway

    @property
    def url(self) -> str:
        """The base URL to give a client: ``http://127.0.0.1:PORT``."""
        return self.server.url

    @property
    def port(self) -> int:
        """The port the server bound (it asks for port 0 unless told otherwise)."""
        return self.server.port

    @property
    def scenario(self) -> Scenario:
        """The scenario being served."""
        return self.gateway.scenario

    @property
    def journal(self) -> Journal:
        """Every request so far (the last 1000 by default), oldest first; ``len()`` and ``.last`` work."""
        self._settle()
        return self.gateway.journal

    def _settle(self) -> None:
        """Let the server finish recording requests whose answer the client has already read."""

    def session_state(self, session: str = DEFAULT_SESSION) -> str:
        """The named state of ``session`` (the scenario's ``initial_state``, ``start``, until a ``set_state``)."""
        self._settle()
        return self.gateway.engine.session_state(session)

    def set_session_state(self, state: str, session: str = DEFAULT_SESSION) -> None:
        """Put ``session`` in the named ``state``: rules with ``match: {state: ...}`` answer it from now on."""
        self.gateway.engine.set_session_state(session, state)

    # ------------------------------------------------------------ assertions

    def assert_called(
        self, times: int | None = None, rule: str | None = None, model: str | None = None
    ) -> list[JournalEntry]:
        """Assert that ``/v1/messages`` was called: at least once, or exactly ``times``.

        ``rule`` counts only requests that rule answered (by name, or ``rules[i]`` for an unnamed one);
        ``model`` only requests for that model. Returns the entries counted.
        """
        __tracebackhide__ = True  # pytest shows the failure at the caller's line
        if rule is not None:
            self._check_rule_exists(rule)
        entries = self.journal.snapshot()
        found = [
            e
            for e in entries
            if e.path.split("?")[0] == "/v1/messages"
            and (rule is None or e.rule == rule)
            and (model is None or e.model == model)
        ]
        if (times is None and found) or len(found) == times:
            return found
        what = " and ".join(f"{k}={v!r}" for k, v in (("rule", rule), ("model", model)) if v is not None)
        wanted = "at least 1 call" if times is None else f"{times} call(s)"
        raise AssertionError(
            f"mockgw: expected {wanted} to /v1/messages{' with ' + what if what else ''}, got {len(found)}\n"
            + _journal_listing(entries)
        )

    def _check_rule_exists(self, rule: str) -> None:
        __tracebackhide__ = True  # pytest shows the failure at the caller's line
        scenario = self.scenario
        labels = list(scenario.labels)
        if rule not in labels:
            # A typo in an assertion would otherwise read as "the code never called it".
            raise AssertionError(
                f"mockgw: scenario {scenario.name!r} has no rule {rule!r} (rules: {', '.join(labels) or 'none'})"
            )

    def assert_all_rules_used(self) -> None:
        """Assert that every rule of the scenario answered at least once (in any session)."""
        __tracebackhide__ = True  # pytest shows the failure at the caller's line
        unused = self.gateway.engine.unused_rules()
        if unused:
            raise AssertionError(
                f"mockgw: {len(unused)} rule(s) of scenario {self.scenario.name!r} never answered: "
                f"{', '.join(unused)}\n" + _journal_listing(self.journal.snapshot())
            )

    def unmatched(self) -> list[JournalEntry]:
        """Requests no rule matched (each was answered 400 with the near-miss report)."""
        return [e for e in self.journal if e.unmatched]

    def strict_failures(self, unmatched: bool = True, unused: bool = True) -> list[str]:
        """What strict mode fails a test for, one line each: unmatched requests, ``times:`` rules not used up.

        ``times: N`` counts answers over all sessions: the rule is used up once it answered N times in all.
        """
        problems: list[str] = []
        if unmatched:
            # Numbered by place in the journal (the test's own requests, after a reset), not by ``seq``,
            # which keeps counting across resets.
            for place, e in enumerate(self.journal, 1):
                if e.unmatched:
                    report = (e.error or "no rule matched this request").removeprefix("mockgw: ")
                    problems.append(f"request {place} ({e.method} {e.path}): {report}")
        if unused:
            engine = self.gateway.engine
            for index, rule in enumerate(engine.scenario.rules):
                if rule.times is None:
                    continue
                label = engine.scenario.rule_label(index)
                used = engine.uses(label)
                if used < rule.times:
                    problems.append(f"rule {label!r} has times: {rule.times} but answered {used} time(s)")
        return problems

    # ------------------------------------------------------------ subprocesses

    def env(self, api_key: str = "mockgw-test") -> dict[str, str]:
        """The variables that point a subprocess (Claude Code, an SDK script) at this gateway.

        ``ANTHROPIC_BASE_URL``, ``ANTHROPIC_AUTH_TOKEN`` (a key the gateway accepts: the first configured
        one, else ``api_key``), ``ANTHROPIC_API_KEY`` emptied (it would win over the token), switches that
        keep Claude Code quiet, ``OPENAI_BASE_URL`` (``…/v1``) with ``OPENAI_API_KEY`` for the OpenAI
        SDKs, and ``AI_GATEWAY_API_KEY`` (which ``@ai-sdk/gateway`` reads) with ``AI_GATEWAY_BASE_URL``
        (``…/v4/ai``: the provider reads no base URL variable, so pass it as ``createGateway({baseURL})``).
        Merge it over the environment: ``env={**os.environ, **gw.env()}``.
        """
        scenario_keys = self.scenario.auth.keys if self.scenario.auth else []
        keys = [k for k in (*self._config.api_keys, *scenario_keys) if k]
        return {
            "ANTHROPIC_BASE_URL": self.url,
            "ANTHROPIC_AUTH_TOKEN": keys[0] if keys else api_key,
            "ANTHROPIC_API_KEY": "",
            **QUIET_ENV,
            "OPENAI_BASE_URL": f"{self.url}/v1",
            "OPENAI_API_KEY": keys[0] if keys else api_key,
            "AI_GATEWAY_BASE_URL": f"{self.url}/v4/ai",
            "AI_GATEWAY_API_KEY": keys[0] if keys else api_key,
        }

    def __repr__(self) -> str:
        if self._server is None:
            return f"<{type(self).__name__} not running, scenario={self._config.scenario.name!r}>"
        return f"<{type(self).__name__} {self._server.url} scenario={self.gateway.scenario.name!r}>"


def _journal_listing(entries: list[JournalEntry], last: int = 10) -> str:
    if not entries:
        return "journal: empty (no request reached mockgw)"
    first = max(len(entries) - last, 0)
    more = f" (last {last} of {len(entries)})" if first else ""
    return f"journal{more}:\n" + "\n".join(
        f"  {place}. {describe(e)}" for place, e in enumerate(entries[first:], first + 1)
    )


class MockGateway(_GatewayAPI):
    """A mockgw server on 127.0.0.1 (port 0 unless given), in its own thread and event loop.

    It never touches the caller's event loop, so it works the same from sync code, from async code and under
    any pytest-asyncio loop scope. Use it as a context manager, or call ``start()`` and ``close()`` (safe to
    call twice). ``scenario``: a path, a bundled name, a dict or YAML text (see ``coerce_scenario``);
    ``seed`` makes ids and filler text repeat; ``api_keys``: the only credentials accepted (default: any).
    """

    def __init__(self, scenario: ScenarioLike = None, **options: Unpack[GatewayOptions]) -> None:
        super().__init__(scenario, **options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start serving (a second call does nothing); returns self. Raises OSError if the port is taken."""
        with self._lock:
            if self._closed:
                raise RuntimeError("mockgw: this MockGateway was closed; make a new one")
            if self._server is not None:
                return self
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
        try:
            loop.run_forever()
        finally:
            loop.close()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coro.close()
            raise RuntimeError("mockgw: MockGateway is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(_LOOP_TIMEOUT_S)

    def _stop_loop(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(_LOOP_TIMEOUT_S)
        self._loop = self._thread = None

    def close(self) -> None:
        """Stop the server and its thread. Safe to call twice, and before ``start()``."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if self._server is not None:
                    self._call(self._server.stop())
            finally:
                self._stop_loop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------ state

    def _settle(self) -> None:
        # A streamed answer's last bytes leave the server before its handler records the events sent and
        # the status. The handler does not wait between the two, so two trips through the server's loop
        # are enough for every answer the client has finished reading to be fully recorded.
        if self._server is None or self._loop is None:
            return

        async def two_turns() -> None:
            await asyncio.sleep(0)
            await asyncio.sleep(0)

        self._call(two_turns())

    def load(self, scenario: ScenarioLike) -> None:
        """Serve another scenario from now on: its rules, fresh rule state; the journal is kept."""
        loaded = coerce_scenario(scenario)
        prepare_answers(loaded)  # in this thread: the server's loop only swaps it in
        self._on_loop(lambda: self.gateway.load(loaded))

    def reset(self, session: str | None = None) -> None:
        """Forget the journal, rule state (``times`` counts, sequence steps) and held message threads: all of it,
        or one session's."""
        self._on_loop(lambda: self.gateway.reset(session))

    def _on_loop(self, fn: Callable[[], None]) -> None:
        # Run between two requests on the server's loop, never in the middle of one.
        async def run() -> None:
            fn()

        self._call(run())


class AsyncMockGateway(_GatewayAPI):
    """A mockgw server on the running event loop, for async code that wants it there (aiohttp apps tested
    with pytest-aiohttp, a FakeClock shared with the test).

        async with AsyncMockGateway(scenario) as gw:
            ...

    The server answers only while its loop runs: start it on the loop your test runs on (a fixture of the
    same loop scope as the test). When in doubt, use ``MockGateway``, which brings its own loop.
    """

    async def start(self) -> Self:
        """Start serving on the running loop (a second call does nothing); returns self."""
        if self._closed:
            raise RuntimeError("mockgw: this AsyncMockGateway was closed; make a new one")
        if self._server is None:
            self._server = await start_server(self._config, self._host, self._port)
        return self

    async def close(self) -> None:
        """Stop the server. Safe to call twice, and before ``start()``."""
        if self._closed:
            return
        self._closed = True
        if self._server is not None:
            await self._server.stop()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def load(self, scenario: ScenarioLike) -> None:
        """Serve another scenario from now on: its rules, fresh rule state; the journal is kept."""
        self.gateway.load(coerce_scenario(scenario))

    def reset(self, session: str | None = None) -> None:
        """Forget the journal, rule state (``times`` counts, sequence steps) and held message threads: all of it,
        or one session's."""
        self.gateway.reset(session)
