"""Shared pieces of the benchmark suite: the servers under test, wrk, CPU and RSS readings, tables."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
SCENARIOS = BENCH / "scenarios"
POST_LUA = BENCH / "post.lua"  # benchmark 1's Anthropic request
CHAT_LUA = BENCH / "chat.lua"  # the same conversation as an OpenAI chat completion request
AISDK_LUA = BENCH / "aisdk.lua"  # the same conversation as @ai-sdk/gateway's doGenerate call
PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
HEADERS = {"content-type": "application/json", "x-api-key": "sk-bench", "anthropic-version": "2023-06-01"}


def log(message: str) -> None:
    """Progress goes to stderr, so stdout carries only the results table."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- machine and processes


def _cores() -> tuple[int | None, int | None]:
    """(server core, load core): the last and the first core we may use, or (None, None) on one core."""
    cores = sorted(os.sched_getaffinity(0))
    return (cores[-1], cores[0]) if len(cores) >= 2 else (None, None)


SERVER_CPU, LOAD_CPU = _cores()


def pin(cpu: int | None) -> Callable[[], None] | None:
    # The same as `taskset -c N`, without needing the binary.
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def http(
    method: str, url: str, body: bytes | None = None, timeout: float = 5.0, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """One request; a body goes with ``headers`` (default: the Anthropic SDK's essentials, ``HEADERS``)."""
    if headers is None:
        headers = HEADERS if body is not None else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> float:
    """Poll ``url`` until it answers 200; the seconds it took. Raises if the process dies or time runs out."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            if http("GET", url, timeout=1.0)[0] == 200:
                return time.perf_counter() - started
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.005)
    raise RuntimeError(f"no answer from {url} within {timeout:.0f} s")


@dataclass
class Server:
    """A server under test, in its own process pinned to the server core."""

    name: str
    cmd: list[str]
    port: int
    health: str = "/health"
    proc: subprocess.Popen[bytes] | None = None
    pinned: bool = True  # False: the process (and its children) may run on every core

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        RESULTS.mkdir(parents=True, exist_ok=True)
        # stderr (mockgw serve's request log) goes to a file named after the server, for a look afterwards.
        stderr = (RESULTS / (re.sub(r"\W+", "-", self.name).strip("-") + ".log")).open("wb")
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=pin(SERVER_CPU) if self.pinned else None,
        )
        wait_ready(self.url + self.health, self.proc)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process (all threads) and of its live descendants (``mockgw serve
        --workers N`` answers in child processes), from /proc."""
        return sum(_cpu_ticks(pid) for pid in _tree(self.pid)) / CLK_TCK

    def cpu_by_process(self) -> dict[int, float]:
        """CPU seconds of the process and of each live descendant, by pid."""
        return {pid: _cpu_ticks(pid) / CLK_TCK for pid in _tree(self.pid)}

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # ended meanwhile
        return 0
    return int(fields[11]) + int(fields[12])


def _tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (from /proc/PID/task/TID/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in task.read_text().split()]
    return found


@contextlib.contextmanager
def running(*servers: Server) -> Iterator[None]:
    try:
        for server in servers:
            log(f"starting {server.name} on port {server.port}")
            server.start()
        yield
    finally:
        for server in servers:
            server.stop()


def wait_workers(server: Server, workers: int, timeout: float = 30.0) -> None:
    """Wait until each of ``mockgw serve --workers N``'s processes has answered (the parent's port answers as
    soon as the first one listens): admin answers name their worker (x-mockgw-worker); each poll is a new
    connection, which the kernel hands to one of the listeners."""
    seen: set[str] = set()
    started = time.perf_counter()
    while len(seen) < workers:
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"{server.name}: only workers {sorted(seen)} answered within {timeout:.0f} s")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(server.url + "/_mockgw/scenario", timeout=2.0) as response,
        ):
            seen.add(response.headers.get("x-mockgw-worker", "?"))
        time.sleep(0.01)


def mockgw_server(name: str, scenario: Path, *options: str, pinned: bool = True) -> Server:
    """``mockgw serve`` on ``scenario`` (with its request log line, to a file in bench/results/)."""
    port = free_port()
    cmd = [PYTHON, "-m", "mockgw", "serve", "--scenario", str(scenario), "--port", str(port), *options]
    return Server(name, cmd, port, pinned=pinned)


# ---------------------------------------------------------------- wrk


@dataclass
class WrkRun:
    rps: float
    requests: int
    p50_ms: float
    p99_ms: float
    bad: int  # non-2xx answers and socket errors
    cpu_us_per_request: float | None = None
    load_cpu_us_per_request: float | None = None  # wrk's own CPU time per request


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def ensure_wrk() -> str | None:
    """wrk's path, installing Debian's package when missing and we are allowed to (root with apt-get)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk is missing; installing it with apt-get install -y wrk")
        subprocess.run(["apt-get", "install", "-y", "wrk"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if not found:
        log("wrk is not installed and could not be installed: run `sudo apt-get install -y wrk` (Debian/Ubuntu)")
    return found


def wrk(
    url: str,
    seconds: float,
    connections: int = 32,
    server: Server | None = None,
    script: Path = POST_LUA,
    path: str = "/v1/messages",
    load_cpu: int | None = LOAD_CPU,
) -> WrkRun:
    """One wrk run of ``script`` against ``url + path``; with ``server``, also its CPU time per request.

    wrk runs pinned to ``load_cpu`` (None: on any core); its own CPU time per request is measured too.
    """
    duration = f"-d{max(1, round(seconds))}s"  # wrk takes whole seconds
    cmd = ["wrk", "-t1", f"-c{connections}", duration, "--latency", "-s", str(script), f"{url}{path}"]
    cpu_before = server.cpu_seconds() if server else 0.0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60, preexec_fn=pin(load_cpu), check=True
    ).stdout
    cpu = server.cpu_seconds() - cpu_before if server else None
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    found = re.search(r"(\d+) requests in", out)
    if found is None or len(latency) != 2:
        raise RuntimeError(f"unexpected wrk output for {url}:\n{out}")
    requests = int(found.group(1))
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors:
        bad += sum(int(n) for n in errors.groups())
    return WrkRun(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        requests=requests,
        p50_ms=_ms(latency["50"]),
        p99_ms=_ms(latency["99"]),
        bad=bad,
        cpu_us_per_request=None if cpu is None or not requests else cpu / requests * 1e6,
        load_cpu_us_per_request=load / requests * 1e6 if requests else None,
    )


def request_headers(script: Path) -> dict[str, str]:
    """The headers ``script`` sends (its ``wrk.headers["Name"] = "value"`` lines), for requests run.py makes
    itself (capturing an answer, checking a server answers), so they are the ones wrk sends."""
    return dict(re.findall(r'^wrk\.headers\["([^"]+)"\] = "([^"]*)"$', script.read_text(), re.M))


def request_body(stream: bool = False, script: Path = POST_LUA) -> bytes:
    """The request ``script`` (post.lua) sends (the one source of it), optionally with ``stream: true``."""
    found = re.search(r"^wrk\.body = \[\[(.*)\]\]$", script.read_text(), re.M)
    assert found, f"{script.name} must set wrk.body = [[...]] on one line"
    body = json.loads(found.group(1))
    if stream:
        body["stream"] = True
    return json.dumps(body, separators=(",", ":")).encode()


# ---------------------------------------------------------------- results


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Target:
    bench: str
    goal: str
    measured: str
    met: bool | None  # None: not measured
    note: str = ""


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# ---------------------------------------------------------------- samplers and the machine


class Sampler:
    """Samples a server's RSS and CPU time every few ms in a thread: ``peak`` RSS, and CPU use over a span."""

    def __init__(self, server: Server, every: float = 0.02) -> None:
        self.server, self.every = server, every
        self.peak = 0.0
        self.cpu: list[tuple[float, float]] = []  # (time.monotonic(), CPU seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, RuntimeError):
                self.peak = max(self.peak, self.server.rss_mb())
                self.cpu.append((time.monotonic(), self.server.cpu_seconds()))
            self._stop.wait(self.every)

    def cpu_share(self, start: float, end: float) -> float:
        """The server's CPU use between two ``time.monotonic()`` readings, as a share of one core."""
        used, seconds = self.cpu_used(start, end)
        return used / seconds if seconds else float("nan")

    def cpu_used(self, start: float, end: float) -> tuple[float, float]:
        """(CPU seconds the server used, seconds of samples) between two ``time.monotonic()`` readings."""
        inside = [s for s in self.cpu if start <= s[0] <= end]
        if len(inside) < 2:
            return 0.0, 0.0
        (t0, c0), (t1, c1) = inside[0], inside[-1]
        return c1 - c0, t1 - t0

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def machine() -> list[str]:
    import aiohttp
    import pydantic

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "?",
    )
    wrk_version = "not installed"
    if shutil.which("wrk"):
        wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split(" [")[0]
    node = (
        subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
        if shutil.which("node")
        else "-"
    )
    return [
        f"- CPU: {model}, {os.cpu_count()} cores (`nproc`: {len(os.sched_getaffinity(0))}); load average at start: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        f"- Python {platform.python_version()}, aiohttp {aiohttp.__version__}, pydantic {pydantic.VERSION}; "
        f"node {node}; {wrk_version}",
    ]
