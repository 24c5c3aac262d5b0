"""mockgw's benchmark suite (``make bench``; never part of ``make test``).

    .venv/bin/python bench/run.py [--quick] [--only NAME[,NAME...]]

NAME: throughput, streaming, startup, memory, parsing (the default: all five), and, only when asked for,
``profile`` (py-spy on the server under wrk) and ``breakdown`` (CPU per request with parts of the request
path switched off). Writes a markdown report to stdout and to ``bench/results/latest.md`` (raw figures in
``latest.json``).

The machine this runs on is small, shared and noisy, so every comparison is made side by side in one run:
the servers under test run at the same time, pinned to one core, and the load generator (wrk, or a
Python client) runs pinned to the other core; runs alternate between the servers (A, B, C, A, B, C, ...)
and the medians are compared. Besides requests/s, each run reads the server's CPU time from /proc, so
CPU microseconds per request (a figure other processes on the machine disturb less) back up the ratio.
All servers bind 127.0.0.1; every load is bounded in count and in time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    AISDK_LUA,
    BENCH,
    CHAT_LUA,
    LOAD_CPU,
    POST_LUA,
    PYTHON,
    RESULTS,
    ROOT,
    SCENARIOS,
    SERVER_CPU,
    Sampler,
    Section,
    Server,
    Target,
    WrkRun,
    ensure_wrk,
    free_port,
    http,
    log,
    machine,
    mockgw_server,
    pct,
    pin,
    request_body,
    request_headers,
    running,
    table,
    wait_ready,
    wait_workers,
    wrk,
)

PEERS = BENCH / "peers"
AIMOCK_CLI = PEERS / "node_modules" / "@copilotkit" / "aimock" / "dist" / "cli.js"
FIRST_TURN = ROOT / "tests" / "fixtures" / "agent-first-turn.json"  # ours: a Claude Code first turn's structure
FIRST_TURN_BYTES = 76_000  # about a real Claude Code first turn, as compact JSON (2.1.197's: 76,281 bytes)
ALL = ("throughput", "streaming", "startup", "memory", "parsing", "workers")


# ---------------------------------------------------------------- 1. throughput


def peer_aimock(text: str) -> Server | str:
    """@copilotkit/aimock serving ``text`` for any Anthropic /v1/messages request, or why it cannot run."""
    node = shutil.which("node")
    if node is None:
        return "node is not installed"
    if not AIMOCK_CLI.exists():
        npm = shutil.which("npm")
        if npm is None:
            return "npm is not installed (needed once: cd bench/peers && npm ci)"
        log("installing the peer mocks: cd bench/peers && npm ci")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PEERS, capture_output=True, text=True
        )
        if done.returncode != 0 or not AIMOCK_CLI.exists():
            return f"npm ci in bench/peers failed: {done.stderr.strip()[-300:]}"
    # One catch-all fixture (an empty match) with the same text as bench/scenarios/canned.yaml.
    fixture = RESULTS / "aimock-canned.json"
    fixture.write_text(json.dumps({"fixtures": [{"match": {}, "response": {"content": text}}]}))
    port = free_port()
    cmd = [node, str(AIMOCK_CLI), "-p", str(port), "-f", str(fixture), "--log-level", "silent"]
    return Server("aimock", cmd, port)


def canned_text() -> str:
    import yaml  # mockgw's own dependency; only the reply text is read here

    data = yaml.safe_load((SCENARIOS / "canned.yaml").read_text())
    text: str = data["rules"][0]["reply"]
    return text


@dataclass(frozen=True)
class Face:
    """One API of benchmark 1: the wrk script that sends its request, the route it goes to, how the targets
    table names it, and whether the peer serves that API (``None``) or why it does not."""

    name: str
    script: Path
    path: str
    short: str
    no_peer: str | None = None


FACES = (
    Face("Anthropic Messages", POST_LUA, "/v1/messages", ""),
    Face("OpenAI chat completions", CHAT_LUA, "/v1/chat/completions", ", OpenAI"),
    Face(
        "AI SDK gateway protocol",
        AISDK_LUA,
        "/v4/ai/language-model",
        ", AI SDK",
        no_peer="it does not serve the AI SDK gateway protocol (`/v4/ai`)",
    ),
)


def bench_throughput(quick: bool, targets: list[Target]) -> Section:
    section = Section("1. Non-streamed throughput (wrk, 1 thread, 32 connections)")
    if ensure_wrk() is None:
        section.lines.append("Skipped: wrk is not installed (`apt-get install -y wrk`).")
        targets.append(Target("throughput", "≥ 0.8 of bare aiohttp", "not run (no wrk)", None))
        return section
    for face in FACES:
        _throughput_face(face, quick, targets, section)
    section.lines.append(
        f"Servers on CPU {SERVER_CPU}, wrk on CPU {LOAD_CPU}; rounds alternate between the servers. Ratio = median "
        "req/s ÷ bare aiohttp's median req/s; CPU ratio = bare's CPU time per request ÷ this server's (less "
        "sensitive to other load on the machine). `mockgw serve` writes its one log line per request to stderr "
        "(here a file, bench/results/); `MockGateway` is the same server as a test suite runs it, without the log "
        "line (the logger is not configured under pytest). Bare aiohttp answers mockgw's own response bytes, "
        "captured once per face; the peer answers the same text from one catch-all fixture, on its own route "
        "for each API."
    )
    return section


def _throughput_face(face: Face, quick: bool, targets: list[Target], section: Section) -> None:
    """Benchmark 1 for one face: mockgw serve (and, for Messages, MockGateway), bare aiohttp, aimock."""
    rounds, seconds = (2, 2.0) if quick else (3, 6.0)
    body, headers = request_body(script=face.script), request_headers(face.script)
    mockgw = mockgw_server("mockgw serve", SCENARIOS / "canned.yaml")
    with running(mockgw):
        status, captured = http("POST", mockgw.url + face.path, body, headers=headers)
        assert status == 200, f"mockgw answered {status}: {captured[:300]!r}"
        body_file = RESULTS / f"canned-body-{face.path.strip('/').replace('/', '-')}.json"
        body_file.write_bytes(captured)
        port = free_port()
        cmd = [PYTHON, str(BENCH / "bare_aiohttp.py"), "--port", str(port), "--body", str(body_file)]
        bare = Server("bare-aiohttp", [*cmd, "--path", face.path], port)
        servers = [mockgw, bare]
        if face.path == "/v1/messages":
            port = free_port()
            cmd = [PYTHON, str(BENCH / "fixture_server.py"), "--port", str(port)]
            servers.insert(1, Server("MockGateway", [*cmd, "--scenario", str(SCENARIOS / "canned.yaml")], port))
        peer = peer_aimock(canned_text()) if face.no_peer is None else face.no_peer
        peer_problem = peer if isinstance(peer, str) else None
        if isinstance(peer, Server):
            servers.append(peer)
        with running(*servers[1:]):
            for server in servers:
                if server is not mockgw:
                    status, answer = http("POST", server.url + face.path, body, headers=headers)
                    assert status == 200, f"{server.name} answered {status}: {answer[:300]!r}"
            log(f"{face.name}: warming up")
            for server in servers:
                wrk(server.url, 1.0, script=face.script, path=face.path)
            runs: dict[str, list[WrkRun]] = {s.name: [] for s in servers}
            for r in range(rounds):
                for server in servers:
                    run = wrk(server.url, seconds, server=server, script=face.script, path=face.path)
                    runs[server.name].append(run)
                    log(f"{face.name} round {r + 1}/{rounds} {server.name}: {run.rps:.0f} req/s")

    def med(name: str, attr: str) -> float:
        return statistics.median(getattr(run, attr) for run in runs[name])

    bare_rps, bare_cpu = med("bare-aiohttp", "rps"), med("bare-aiohttp", "cpu_us_per_request")
    rows = []
    data: dict[str, Any] = {}
    for name, name_runs in runs.items():
        rps, cpu = med(name, "rps"), med(name, "cpu_us_per_request")
        rows.append(
            [
                name,
                f"{rps:,.0f}",
                f"**{rps / bare_rps:.2f}**",
                f"{med(name, 'p50_ms'):.2f}",
                f"{med(name, 'p99_ms'):.2f}",
                f"{cpu:.0f}",
                f"{bare_cpu / cpu:.2f}",
                " / ".join(f"{run.rps:,.0f}" for run in name_runs),
                sum(run.bad for run in name_runs),
            ]
        )
        data[name] = {
            "rps": rps,
            "ratio": rps / bare_rps,
            "p50_ms": med(name, "p50_ms"),
            "p99_ms": med(name, "p99_ms"),
            "cpu_us_per_request": cpu,
            "cpu_ratio": bare_cpu / cpu,
            "runs": [run.__dict__ for run in name_runs],
        }
    section.data[face.name] = data
    section.lines += [f"**{face.name}** (`POST {face.path}`, {face.script.name}), {rounds} rounds × {seconds:g} s", ""]
    section.lines += table(
        [
            "server",
            "req/s (median)",
            "ratio to bare",
            "p50 ms",
            "p99 ms",
            "server CPU µs/req",
            "CPU ratio (bare/x)",
            "req/s per run",
            "non-2xx/errors",
        ],
        rows,
    )
    section.lines.append("")
    if peer_problem:
        section.lines += [f"Peer @copilotkit/aimock not run: {peer_problem}.", ""]
    for name in [s.name for s in servers if s.name in ("mockgw serve", "MockGateway")]:
        ratio, cpu = data[name]["ratio"], data[name]["cpu_us_per_request"]
        # What 0.8 means in CPU: at most bare's CPU time per request ÷ 0.8.
        cpu_note = f"{cpu:.0f} µs of CPU a request; bare {bare_cpu:.0f}, so 0.8 allows {bare_cpu / 0.8:.0f}"
        targets.append(
            Target(
                f"throughput ({name}{face.short})",
                "≥ 0.8 of bare aiohttp",
                f"{ratio:.2f} (CPU ratio {data[name]['cpu_ratio']:.2f}: {cpu_note})",
                ratio >= 0.8,
                "" if ratio >= 0.8 else f"missed by {0.8 - ratio:.2f}",
            )
        )
        if "aimock" in data:
            peer_rps, rps = data["aimock"]["rps"], data[name]["rps"]
            peer_cpu = data["aimock"]["cpu_us_per_request"]
            targets.append(
                Target(
                    f"throughput ({name}{face.short})",
                    "more req/s than aimock",
                    f"{rps:,.0f} vs aimock {peer_rps:,.0f} req/s ({cpu:.0f} vs {peer_cpu:.0f} µs of CPU a request)",
                    rps > peer_rps,
                    f"{rps / peer_rps:.2f}× aimock's req/s"
                    if rps > peer_rps
                    else f"missed by {peer_rps - rps:,.0f} req/s ({rps / peer_rps:.2f}× aimock's)",
                )
            )


# ---------------------------------------------------------------- 2. streaming (and 4a. memory at 1,000 streams)


def _overlap(started: Sequence[float], ended: Sequence[float]) -> int:
    """The largest number of streams open at the same moment."""
    events = sorted([(t, 1) for t in started] + [(t, -1) for t in ended])
    best = now = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


def _shares(values: Sequence[float]) -> str:
    return " / ".join(f"{100 * v:.0f}%" for v in values)


@dataclass
class StreamStats:
    """Gap errors and resource use of one server's streaming runs."""

    errors: list[float] = field(default_factory=list)  # |achieved gap - scripted| in ms, every gap
    steady: list[float] = field(default_factory=list)  # the same, once every stream had its first delta
    overlaps: list[int] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)
    server_ms_per_stream: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    complete: int = 0
    streams: int = 0
    deltas: int = 0
    peak_rss: float = 0.0

    def add(self, result: dict[str, Any], scripted_ms: float) -> None:
        self.problems += result["errors"][:3]
        self.complete += result["complete"]
        self.streams += result["streams"]
        self.client_cpu.append(result["client_cpu"])
        self.overlaps.append(_overlap(result["started"], result["ended"]))
        # "Steady": gaps after every stream has had its first delta (all streams open, and past the burst of
        # 1,000 requests arriving together).
        firsts = [d[0] for d in result["deltas"] if d]
        all_open = max(firsts) if firsts else 0.0
        for arrivals in result["deltas"]:
            self.deltas += len(arrivals)
            for before, after in itertools.pairwise(arrivals):
                error = abs((after - before) * 1000 - scripted_ms)
                self.errors.append(error)
                if before >= all_open:
                    self.steady.append(error)

    def row(self, name: str) -> list[object]:
        steady = self.steady or [float("nan")]
        return [
            name,
            f"{pct(self.errors, 50):.2f}",
            f"**{pct(self.errors, 99):.2f}**",
            f"{max(self.errors):.0f}",
            f"{pct(steady, 50):.2f}",
            f"{pct(steady, 99):.2f}",
            f"{self.complete}/{self.streams}",
            f"{min(self.overlaps)}",
            _shares(self.server_cpu),
            " / ".join("–" if math.isnan(v) else f"{v:.2f}" for v in self.server_ms_per_stream),
            _shares(self.client_cpu),
        ]


def _capture_stream(url: str, body: bytes) -> bytes:
    status, answer = http("POST", url + "/v1/messages", body, timeout=30)
    assert status == 200, f"mockgw answered {status}: {answer[:300]!r}"
    return answer


CLOCKS = {
    "aiohttp client": [],  # arrival as an aiohttp client's loop sees it (what an application sees)
    "kernel receive": ["--kernel-time"],  # SO_TIMESTAMPNS: when the frame reached the client's socket
}


def bench_streaming(quick: bool, targets: list[Target], memory: dict[str, Any]) -> Section:
    section = Section("2. Streaming timing: 1,000 concurrent streams, 20 deltas each, chunk_ms 50")
    streams, runs, scripted = 1000, (1 if quick else 2), 50.0
    # 10 streams: what this machine does to a nearly idle server (the floor); --quick measures 1,000 only,
    # with the aiohttp client only.
    levels = (streams,) if quick else (10, streams)
    clocks = ["aiohttp client"] if quick else list(CLOCKS)
    RESULTS.mkdir(parents=True, exist_ok=True)
    body_file = RESULTS / "stream-request.json"
    body_file.write_bytes(request_body(stream=True))
    mockgw = mockgw_server("mockgw serve (stream)", SCENARIOS / "stream.yaml")
    names = ("mockgw serve", "bare aiohttp")
    stats = {key: StreamStats() for key in itertools.product(levels, clocks, names)}
    with running(mockgw):
        # The bare baseline sends mockgw's own bytes: one streamed answer and one JSON answer, captured once.
        (RESULTS / "stream-body.txt").write_bytes(_capture_stream(mockgw.url, request_body(stream=True)))
        (RESULTS / "stream-json.json").write_bytes(_capture_stream(mockgw.url, request_body()))
        port = free_port()
        cmd = [PYTHON, str(BENCH / "bare_aiohttp.py"), "--port", str(port), "--chunk-ms", str(scripted)]
        cmd += ["--body", str(RESULTS / "stream-json.json"), "--stream-body", str(RESULTS / "stream-body.txt")]
        bare = Server("bare-aiohttp (stream)", cmd, port)
        servers = dict(zip(names, (mockgw, bare), strict=True))
        with running(bare):
            idle_rss = mockgw.rss_mb()
            for r, n, clock, name in itertools.product(range(runs), levels, clocks, names):
                server = servers[name]
                cmd = [PYTHON, str(BENCH / "stream_client.py"), "--url", server.url, "--streams", str(n)]
                cmd += ["--body", str(body_file), *CLOCKS[clock]]
                with Sampler(server) as sampler:
                    done = subprocess.run(
                        cmd, cwd=ROOT, capture_output=True, text=True, timeout=180, preexec_fn=pin(LOAD_CPU)
                    )
                if done.returncode != 0:
                    raise RuntimeError(f"stream_client failed: {done.stderr[-800:]}")
                result = json.loads(done.stdout)
                stat = stats[n, clock, name]
                stat.add(result, scripted)
                stat.server_cpu.append(sampler.cpu_share(*result["phase"]))
                used = sampler.cpu_used(*result["phase"])[0]
                # /proc counts CPU time in 10 ms ticks: too coarse for a few streams.
                stat.server_ms_per_stream.append(used / n * 1000 if used >= 0.1 else float("nan"))
                stat.peak_rss = max(stat.peak_rss, sampler.peak)
                log(
                    f"streaming run {r + 1}/{runs}, {n} streams, {clock}, {name}: {result['complete']}/{n} "
                    f"complete, p99 error so far {pct(stat.errors, 99):.1f} ms, peak RSS {sampler.peak:.1f} MB"
                )
    for key, stat in stats.items():
        if not stat.errors:
            raise RuntimeError(f"{key}: no gaps measured: {stat.problems}")
    section.lines += table(
        [
            "streams, timed by, server",
            "p50 error ms",
            "p99 error ms",
            "max ms",
            "steady p50",
            "steady p99",
            "complete",
            "open at once",
            "server CPU",
            "server CPU ms/stream",
            "client CPU",
        ],
        [stat.row(f"{n:,}, {clock}, {name}") for (n, clock, name), stat in stats.items()],
    )
    section.lines.append("")
    section.lines.append(
        f"{runs} run(s) per row, alternating between the servers. Error = |achieved gap − {scripted:g} ms| "
        "between consecutive content deltas of a stream. Timed by the *aiohttp client*: when an aiohttp "
        "client's loop saw the frame (what an application sees; the client's own lag included); by the "
        "*kernel receive* time: SO_TIMESTAMPNS on plain sockets, when the frame reached the client's socket "
        "(on loopback, when the server wrote it). 'Steady' counts only the gaps after every stream had its "
        "first delta, past the burst of requests arriving at once. The bare aiohttp baseline sends mockgw's "
        "captured bytes with one `asyncio.sleep` before each delta: its error is what the machine, aiohttp "
        "and the client add. CPU: each process's use while the streams ran, as a share of one core, and the "
        "server's CPU time per stream (request, schedule, 20-odd frames, end of the stream). The "
        "client (bench/stream_client.py) runs in its own process on the other core."
    )
    problems = [p for stat in stats.values() for p in stat.problems]
    if problems:
        section.lines.append(f"Errors seen: {problems[:6]}")
    section.data = {
        f"{n}, {clock}, {name}": {
            "p50_error_ms": pct(stat.errors, 50),
            "p99_error_ms": pct(stat.errors, 99),
            "steady_p99_error_ms": pct(stat.steady, 99) if stat.steady else None,
            "complete": stat.complete,
            "overlap": stat.overlaps,
            "server_cpu": stat.server_cpu,
            "server_ms_per_stream": stat.server_ms_per_stream,
            "client_cpu": stat.client_cpu,
        }
        for (n, clock, name), stat in stats.items()
    }
    for clock in clocks:
        p99 = pct(stats[streams, clock, "mockgw serve"].errors, 99)
        base = pct(stats[streams, clock, "bare aiohttp"].errors, 99)
        floor = (
            f"; {levels[0]} streams: {pct(stats[levels[0], clock, 'mockgw serve'].errors, 99):.2f} ms"
            if len(levels) > 1
            else ""
        )
        # The target has two halves: at most 5 ms, and below bare aiohttp's sleeping pacer.
        misses = [f"{p99 - 5.0:.2f} ms over 5 ms"] if p99 > 5.0 else []
        if p99 >= base:
            misses.append(f"{p99 - base:.2f} ms above bare aiohttp's ({p99 / base:.1f}×)")
        targets.append(
            Target(
                f"streaming ({clock})",
                "p99 gap error ≤ 5 ms, and below bare aiohttp's",
                f"{p99:.2f} ms (bare aiohttp: {base:.2f} ms{floor})",
                not misses,
                "missed: " + "; ".join(misses) if misses else "",
            )
        )
    memory["idle_mb"] = idle_rss
    memory["streams_mb"] = stats[streams, clocks[0], "mockgw serve"].peak_rss
    return section


# ---------------------------------------------------------------- 3. start-up


def bytecode_env() -> dict[str, str]:
    """The environment with a bytecode cache, as a normal install has: pip writes .pyc files for a package and
    Python writes them for an editable one on first import, unless PYTHONDONTWRITEBYTECODE is set (as in some
    sandboxes; then every fresh process compiles mockgw's sources again). The cache goes to bench/results/."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(RESULTS / "pycache")
    return env


def _fresh_runs(args: Sequence[str], n: int, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Run ``python ARGS`` in ``n`` fresh interpreters on the server core; each run's JSON line, plus ``wall``:
    from the spawn to that line (the interpreter's own start included)."""
    found = []
    for _ in range(n):
        started = time.perf_counter()
        proc = subprocess.Popen(
            [PYTHON, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=pin(SERVER_CPU),
            env=env,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        wall = time.perf_counter() - started
        _, err = proc.communicate(timeout=60)
        if proc.returncode != 0 or not line:
            raise RuntimeError(f"fresh process failed: {err.decode()[-800:]}")
        found.append({**json.loads(line), "wall": wall})
    return found


def bench_startup(quick: bool, targets: list[Target]) -> Section:
    section = Section("3. Start-up")
    scenario = SCENARIOS / "canned.yaml"
    n = 5 if quick else 21
    body_file = RESULTS / "start-request.json"
    body_file.write_bytes(request_body())
    env = bytecode_env()
    start_args = [str(BENCH / "fresh_start.py"), str(scenario), str(body_file)]
    _fresh_runs(start_args, 1, env)  # writes the bytecode cache
    floor = _fresh_runs(["-c", "print('{}', flush=True)"], n, env)
    fresh = _fresh_runs(start_args, n, env)
    stages = _fresh_runs([str(BENCH / "startup_stages.py"), str(scenario), str(body_file)], max(3, n // 3), env)
    # As this environment runs it: without a bytecode cache when PYTHONDONTWRITEBYTECODE is set.
    as_is = _fresh_runs(start_args, max(3, n // 3))
    no_cache = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    # Start + close with the imports done: what each further fixture of a session pays.
    code = f"""
import json, time
from mockgw.testing import MockGateway
times = []
for i in range({5 if quick else 20} + 1):
    t = time.perf_counter()
    gw = MockGateway({str(scenario)!r})
    gw.start()
    gw.close()
    times.append(time.perf_counter() - t)
print(json.dumps({{"times": times[1:]}}), flush=True)
"""
    warm = _fresh_runs(["-c", code], 1)[0]["times"]
    serve_times = []
    for _ in range(3 if quick else 7):
        port = free_port()
        started = time.perf_counter()
        proc = subprocess.Popen(
            [PYTHON, "-m", "mockgw", "serve", "--scenario", str(scenario), "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=pin(SERVER_CPU),
        )
        try:
            wait_ready(f"http://127.0.0.1:{port}/health", proc)
            serve_times.append(time.perf_counter() - started)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)

    def ms(values: Sequence[float]) -> list[str]:
        return [f"{statistics.median(values) * 1000:.1f}", f"{min(values) * 1000:.1f}–{max(values) * 1000:.1f}"]

    def part(key: str) -> list[float]:
        return [run[key] for run in fresh]

    total = statistics.median(part("total")) * 1000
    section.lines += table(
        ["what", "median ms", "range ms", "n"],
        [
            ["fresh process: `import mockgw`", *ms(part("import")), n],
            ["… `MockGateway(path).start()`", *ms(part("start")), n],
            ["… first answer (`POST /v1/messages`, raw socket)", *ms(part("first")), n],
            ["**… all three** (the target)", *ms(part("total")), n],
            ["… CPU time of the process over the three (all threads)", *ms(part("cpu")), n],
            ["… the whole process, spawn to first answer (interpreter start included)", *ms(part("wall")), n],
            ["the interpreter alone, spawn to first line (`python -c print`)", *ms([r["wall"] for r in floor]), n],
            [
                "all three, " + ("no bytecode cache (PYTHONDONTWRITEBYTECODE=1 here)" if no_cache else "as run here"),
                *ms([r["total"] for r in as_is]),
                len(as_is),
            ],
            ["`MockGateway(path)` start + close, imports done", *ms(warm), len(warm)],
            ["`mockgw serve` spawn → first 200 from /health", *ms(serve_times), len(serve_times)],
        ],
    )
    section.lines.append("")
    stage_ms = {name: statistics.median(run[name] for run in stages) * 1000 for name in stages[0] if name != "wall"}
    section.lines += [
        f"Where the CPU time goes (bench/startup_stages.py: libraries first, then mockgw's layers bottom up, each "
        f"stage what it adds to those before; median of {len(stages)} fresh processes):",
        "",
    ]
    section.lines += table(
        ["stage", "CPU ms", "share"],
        [[name, f"{ms:.0f}", f"{100 * ms / sum(stage_ms.values()):.0f}%"] for name, ms in stage_ms.items()]
        + [["**all**", f"{sum(stage_ms.values()):.0f}", ""]],
    )
    section.lines.append("")
    section.lines.append(
        f"Fresh processes pinned to CPU {SERVER_CPU}, one after another, on bench/scenarios/canned.yaml, with a "
        "bytecode cache (bench/results/pycache/, written by one run before), as an installed package has. Modules "
        f"loaded by the first answer: {fresh[0]['modules']}; of the heavy ones: "
        f"{', '.join(fresh[0]['loaded']) or 'none'} (bench/fresh_start.py looks for faker, aiohttp.client, yaml, "
        "jsonschema, re2, anthropic, openai, pydantic). `python -X importtime` shows what the rest costs "
        "(docs/performance.md)."
    )
    section.data = {
        "fresh": fresh,
        "as_is": as_is,
        "stages_cpu_ms": stage_ms,
        "floor_ms": statistics.median(r["wall"] for r in floor) * 1000,
        "warm_ms": statistics.median(warm) * 1000,
        "serve_ms": statistics.median(serve_times) * 1000,
    }
    targets.append(
        Target(
            "start-up",
            "fresh process: `import mockgw` + `MockGateway` start + first answer < 150 ms",
            f"{total:.0f} ms (median of {n}; interpreter start not included: {section.data['floor_ms']:.0f} ms)",
            total < 150,
            "" if total < 150 else f"missed by {total - 150:.0f} ms",
        )
    )
    return section


# ---------------------------------------------------------------- 4. memory


def bench_memory(quick: bool, targets: list[Target], memory: dict[str, Any]) -> Section:
    section = Section("4. Memory (RSS of the server process)")
    rows: list[list[object]] = []
    if "streams_mb" in memory:
        rows.append(["idle, after start (streaming server)", "", f"{memory['idle_mb']:.1f}"])
        rows.append(["peak with 1,000 open streams", "", f"{memory['streams_mb']:.1f}"])
    if ensure_wrk() is None:
        section.lines += table(["point", "requests", "RSS MB"], rows)
        section.lines.append("The 100,000-request part was skipped: wrk is not installed.")
        targets.append(Target("memory", "growth < 10 MB over 100,000 requests", "not run (no wrk)", None))
        return section
    warmup, measured = (1_000, 10_000) if quick else (10_000, 100_000)
    server = mockgw_server("mockgw-memory", SCENARIOS / "canned.yaml")
    deadline = time.monotonic() + (15 if quick else 150)

    def load(count: int, checkpoint: Callable[[int], None] | None = None, every: int = 0) -> int:
        """Send about ``count`` requests in short wrk runs (bounded by the deadline); how many went."""
        done = next_mark = 0
        rate = 2000.0  # requests/s, corrected after each run
        while done < count and time.monotonic() < deadline:
            # Short runs (checkpoints land near their counts); the last one sized to finish the count.
            seconds = min(5, max(1, math.ceil((count - done) / rate * 1.05)))
            run = wrk(server.url, seconds)
            if run.bad:
                raise RuntimeError(f"{run.bad} failed requests during the memory run")
            done += run.requests
            rate = max(100.0, run.requests / seconds)
            if checkpoint and every and done >= next_mark + every:
                next_mark = done - done % every
                checkpoint(done)
        return done

    with running(server):
        rows.append(["canned server, after start", 0, f"{server.rss_mb():.1f}"])
        warmed = load(warmup)
        after_warmup = server.rss_mb()
        rows.append(["after the warm-up", f"{warmed:,}", f"{after_warmup:.1f}"])

        def checkpoint(done: int) -> None:
            rows.append([f"warm-up + {done:,}", f"{warmed + done:,}", f"{server.rss_mb():.1f}"])

        done_after_warmup = load(measured, checkpoint, measured // 4)
        final = server.rss_mb()
        if rows[-1][1] != f"{warmed + done_after_warmup:,}":
            rows.append([f"warm-up + {done_after_warmup:,}", f"{warmed + done_after_warmup:,}", f"{final:.1f}"])
    growth = final - after_warmup
    section.lines += table(["point", "requests", "RSS MB"], rows)
    section.lines.append("")
    section.lines.append(
        f"Growth over {done_after_warmup:,} requests after the warm-up: **{growth:+.1f} MB** "
        "(journal bounded at its default, 1,000 entries)."
    )
    section.data = {"growth_mb": growth, "requests": done_after_warmup, **memory}
    full = done_after_warmup >= 100_000
    targets.append(
        Target(
            "memory",
            "growth < 10 MB over 100,000 requests",
            f"{growth:+.1f} MB over {done_after_warmup:,}",
            growth < 10 if full else None,
            "" if full else f"only {done_after_warmup:,} requests" + (" (--quick)" if quick else " in the time bound"),
        )
    )
    return section


# ---------------------------------------------------------------- 5. parsing


def first_turn_body() -> bytes:
    """tests/fixtures/agent-first-turn.json's body as compact JSON, grown to a real first turn's size.

    The fixture has the structure Claude Code sends (24 tools with JSON Schemas, system blocks, a
    ``role: system`` message, adaptive thinking) in our own words, but shorter texts; its tool descriptions
    are repeated until the body is about ``FIRST_TURN_BYTES``, as Claude Code's long tool descriptions make it.
    """
    body = json.loads(FIRST_TURN.read_text())["body"]
    descriptions = [tool["description"] for tool in body["tools"]]
    for times in range(1, 100):
        for tool, description in zip(body["tools"], descriptions, strict=True):
            tool["description"] = "\n\n".join([description] * times)
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        if len(raw) >= FIRST_TURN_BYTES:
            break
    return raw


GROWTH_SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
GROWTH_HEADERS = {"content-type": "application/json", "x-api-key": "sk-bench", "anthropic-version": "2023-06-01"}


def messages_request_path(
    scenario: Path,
) -> tuple[Callable[[bytes], object], Callable[[bytes], object], Callable[[bytes], object]]:
    """What ``POST /v1/messages`` does with a request's bytes before it answers, as the handler
    (``mockgw/server/routes.py``, ``_answer_messages``) calls it: parse, the message-thread check, validate
    (the walk of ``faces/anthropic/parse.py``; the wire models only when it is unsure), the attachments, the
    request view (and, for a body over ``OFF_LOOP_BYTES``, the derived fields the handler works out in a
    thread), the engine's decision (matching reads the derived fields its rules need). Returns that, and the
    same plus the input-token estimate the renderer reads for ``usage`` when a rule does not script it.

    Built on the same functions and the same ``Gateway`` as the server, so a change to them shows here; when
    the handler's steps change, this function follows them (it is the one copy of them in bench/).
    """
    from mockgw.core.request import RequestView, file_ids
    from mockgw.faces.anthropic.parse import parse_message_request
    from mockgw.faces.anthropic.validation import betas_of, parse_json
    from mockgw.scenario.loader import load_scenario_file
    from mockgw.server.routes import OFF_LOOP_BYTES, _derive_fields
    from mockgw.server.state import Gateway, GatewayConfig

    gateway = Gateway(GatewayConfig(load_scenario_file(scenario)))
    headers, session = dict(GROWTH_HEADERS), "bench"

    def view_of(raw: bytes, ahead: bool = True) -> RequestView:
        body = parse_json(raw)
        turn = gateway.threads.resolve(body, session, enabled=gateway.scenario.threads)
        data = body if turn is None else turn.body
        params = parse_message_request(
            data, betas=betas_of(headers), max_output=gateway.max_output_tokens, held=turn.held_count if turn else 0
        )
        attachments = gateway.files.attachments(file_ids(data), gateway.wall_now())
        view = RequestView(
            params, headers, session, attachments=attachments, body=body, data=data, exact_dump=params is None
        )
        if ahead and len(raw) > OFF_LOOP_BYTES:
            _derive_fields(view, usage=False)  # the handler measures the usage estimate after deciding
        return view

    def decide(raw: bytes) -> object:
        return gateway.engine.decide(view_of(raw))

    def decide_and_count(raw: bytes) -> object:
        view = view_of(raw)
        return gateway.engine.decide(view), view.input_chars

    def decide_on_demand(raw: bytes) -> object:
        return gateway.engine.decide(view_of(raw, ahead=False))

    return decide, decide_and_count, decide_on_demand


def _per_call(steps: dict[str, Callable[[], object]], budget_s: float, rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each step, ``rounds`` times, interleaved (each round times every step once, so a
    burst of other load hits all alike); each timing repeats the call to fill about ``budget_s``."""
    numbers = {}
    for name, fn in steps.items():
        once = timeit.timeit(fn, number=1)  # also the warm-up
        numbers[name] = max(1, int(budget_s / max(once, 1e-6)))
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, fn in steps.items():
            times[name].append(timeit.timeit(fn, number=numbers[name]) / numbers[name])
    return times


def _size(size: int) -> str:
    return f"{size // 1_000_000} MB" if size >= 1_000_000 else f"{size // 1000} KB"


def bench_parsing(quick: bool, targets: list[Target]) -> Section:
    section = Section("5. Cost growth: parse + validate + match against the request's size")
    sys.path.insert(0, str(BENCH))
    from conversation import conversation

    from mockgw.server.routes import OFF_LOOP_BYTES

    decide, decide_and_count, decide_on_demand = messages_request_path(SCENARIOS / "agent.yaml")
    rounds, budget = (5, 0.02) if quick else (11, 0.05)
    bodies = [("Claude Code first turn (24 tools)", first_turn_body())]
    bodies += [(f"conversation, {_size(size)}", conversation(size)) for size in GROWTH_SIZES]
    rows, data = [], {}
    for label, raw in bodies:
        body = json.loads(raw)
        steps: dict[str, Callable[[], object]] = {
            "json.loads": lambda raw=raw: json.loads(raw),  # type: ignore[misc]
            "path": lambda raw=raw: decide(raw),  # type: ignore[misc]
            "path + usage": lambda raw=raw: decide_and_count(raw),  # type: ignore[misc]
        }
        if len(raw) > OFF_LOOP_BYTES:  # only there does the handler work the derived fields out ahead
            steps["on demand"] = lambda raw=raw: decide_on_demand(raw)  # type: ignore[misc]
        times = _per_call(steps, budget, rounds)
        med = {name: statistics.median(values) * 1e6 for name, values in times.items()}
        low = {name: min(values) * 1e6 for name, values in times.items()}
        ratio, ratio_min = med["path"] / med["json.loads"], low["path"] / low["json.loads"]
        usage_ratio = med["path + usage"] / med["json.loads"]
        rows.append(
            [
                label,
                f"{len(raw):,}",
                f"{len(body['messages']):,}",
                f"{med['json.loads']:,.0f}",
                f"{med['path']:,.0f}",
                f"**{ratio:.2f}**",
                f"{ratio_min:.2f}",
                f"{med['path + usage']:,.0f}",
                f"{usage_ratio:.2f}",
                f"{med['on demand'] / med['json.loads']:.2f}" if "on demand" in med else "",
            ]
        )
        data[label] = {"bytes": len(raw), "median_us": med, "min_us": low, "ratio": ratio, "ratio_min": ratio_min}
        log(f"cost growth, {label}: {ratio:.2f}× json.loads ({med['path']:,.0f} µs)")
        if label.startswith("conversation"):
            targets.append(
                Target(
                    f"cost growth ({label.removeprefix('conversation, ')})",
                    "parse + validate + match ≤ 1.5× json.loads",
                    f"{ratio:.2f}× ({med['path']:,.0f} µs vs {med['json.loads']:,.0f} µs)",
                    ratio <= 1.5,
                    "" if ratio <= 1.5 else f"missed by {ratio - 1.5:.2f}× json.loads",
                )
            )
    section.lines += table(
        [
            "request",
            "bytes",
            "messages",
            "`json.loads` µs",
            "parse + validate + match µs",
            "× json.loads",
            "× (min)",
            "… + usage estimate µs",
            "× json.loads",
            "× json.loads, fields on demand",
        ],
        rows,
    )
    section.lines.append("")
    section.lines.append(
        "Parse + validate + match: what `POST /v1/messages` does with the bytes before it renders "
        "(`messages_request_path` in bench/run.py: the handler's own functions on a `Gateway` built as the "
        "server builds it; over 1 MB that includes the derived fields rules read, which the handler works "
        "out in a thread before matching; it measures the input-token estimate after deciding, in a thread "
        "too), against bench/scenarios/agent.yaml (four "
        "`last_user` substring rules that do not hold, a `tool_result` rule, a fallback). '+ usage "
        "estimate': also the request's input-token estimate, which the renderer reads when a rule does not "
        "script `usage`. 'Fields on demand' (over 1 MB): the same without the derived fields worked out "
        "ahead, matching reading only what its rules need. Conversations from bench/conversation.py: Claude "
        "Code's first turn (system blocks, tool definitions) then turns of text + `tool_use` answered by "
        "`tool_result`s with file and command output, typed user turns now and then; compact UTF-8 JSON. "
        f"Medians of {rounds} interleaved timings per step, each about {budget * 1000:g} ms of calls; "
        "'× (min)' compares the fastest timings. In the bench process, one core; the server parses bodies over "
        "1 MB in a worker thread, which moves the work off its loop but does not make it cheaper."
    )
    section.data = data
    return section


# ---------------------------------------------------------------- 6. --workers


def bench_workers(quick: bool, targets: list[Target]) -> Section:
    """``mockgw serve --workers 2`` against one worker, on this 2-core machine, wrk sharing the cores."""
    section = Section("6. `mockgw serve --workers 2` against one worker")
    if ensure_wrk() is None or SERVER_CPU is None:
        why = "wrk is not installed" if SERVER_CPU is not None else "this process may use only one core"
        section.lines.append(f"Skipped: {why}.")
        targets.append(Target("--workers 2", "≥ 1.6× one worker's req/s", f"not run ({why})", None))
        return section
    rounds, seconds = (2, 2.0) if quick else (3, 6.0)
    canned = SCENARIOS / "canned.yaml"
    # (server, where wrk runs, how the placement reads in the table)
    layouts = [
        (mockgw_server("1 worker", canned), LOAD_CPU, f"server on CPU {SERVER_CPU}, wrk on CPU {LOAD_CPU}"),
        (mockgw_server("1 worker, unpinned", canned, pinned=False), None, "server and wrk on any core"),
        (
            mockgw_server("2 workers", canned, "--workers", "2", pinned=False),
            None,
            "both workers and wrk on any core",
        ),
    ]
    runs: dict[str, list[WrkRun]] = {server.name: [] for server, _, _ in layouts}
    shares: dict[str, list[list[float]]] = {server.name: [] for server, _, _ in layouts}
    with running(*(server for server, _, _ in layouts)):
        wait_workers(layouts[2][0], 2)
        for server, load_cpu, _ in layouts:
            wrk(server.url, 1.0, load_cpu=load_cpu)
        for r in range(rounds):
            for server, load_cpu, _ in layouts:
                before = server.cpu_by_process()
                run = wrk(server.url, seconds, server=server, load_cpu=load_cpu)
                after = server.cpu_by_process()
                if run.bad:
                    raise RuntimeError(f"{server.name}: {run.bad} failed requests")
                used = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
                total = sum(used.values()) or 1.0
                # The processes that did the work (a --workers parent only supervises), largest share first.
                shares[server.name].append(sorted((v / total for v in used.values() if v / total > 0.02), reverse=True))
                runs[server.name].append(run)
                log(f"workers round {r + 1}/{rounds} {server.name}: {run.rps:.0f} req/s")

    def med(name: str, attr: str) -> float:
        return statistics.median(getattr(run, attr) for run in runs[name])

    base = med("1 worker", "rps")
    rows = []
    for server, _, placement in layouts:
        name = server.name
        server_cpu, load_cpu = med(name, "cpu_us_per_request"), med(name, "load_cpu_us_per_request")
        split = " / ".join(f"{100 * v:.0f}%" for v in shares[name][len(shares[name]) // 2])
        rows.append(
            [
                name,
                placement,
                f"{med(name, 'rps'):,.0f}",
                f"**{med(name, 'rps') / base:.2f}**",
                f"{server_cpu:.0f}",
                f"{load_cpu:.0f}",
                f"{(server_cpu + load_cpu):.0f}",
                split,
                " / ".join(f"{run.rps:,.0f}" for run in runs[name]),
            ]
        )
    section.lines += table(
        [
            "server",
            "placement",
            "req/s (median)",
            "× 1 worker",
            "server CPU µs/req",
            "wrk CPU µs/req",
            "both",
            "CPU split over processes",
            "req/s per run",
        ],
        rows,
    )
    two, two_server, two_load = (
        med("2 workers", "rps"),
        med("2 workers", "cpu_us_per_request"),
        med("2 workers", "load_cpu_us_per_request"),
    )
    one_server = med("1 worker", "cpu_us_per_request")
    # One worker saturating its own core answers 1 s ÷ its CPU per request; two workers sharing two cores with
    # wrk answer at most 2 s ÷ (their CPU + wrk's) per request. The ratio of the two is the best to expect.
    ceiling = 2 * one_server / (two_server + two_load)
    section.lines.append("")
    section.lines.append(
        f"{rounds} rounds × {seconds:g} s of wrk (1 thread, 32 connections, post.lua) per layout, alternating; "
        "`mockgw serve` on bench/scenarios/canned.yaml with its log line. The machine has two cores, so the "
        "load generator cannot have a core of its own while two workers run: one worker gets a core to itself "
        "and wrk the other (the baseline, as in benchmark 1), while two workers share both cores with wrk. "
        f"wrk spends {two_load:.0f} µs of CPU per request, so two workers can at best reach "
        f"(2 cores ÷ ({two_server:.0f} + {two_load:.0f}) µs) ÷ (1 core ÷ {one_server:.0f} µs) = "
        f"**{ceiling:.2f}×** one worker here; a load generator on another machine would leave them both cores. "
        "The kernel spreads connections over the "
        "workers by a hash (SO_REUSEPORT), so 32 connections rarely split evenly: the CPU split column shows "
        "each process's share of the server CPU in the median run (connections are closed loops, so a worker "
        "whose core is busier answers fewer of them)."
    )
    ratio = two / base
    targets.append(
        Target(
            "--workers 2",
            "≥ 1.6× one worker's req/s",
            f"{ratio:.2f}× ({two:,.0f} vs {base:,.0f} req/s; CPU-bound ceiling with wrk on the same cores "
            f"{ceiling:.2f}×)",
            ratio >= 1.6,
            "" if ratio >= 1.6 else f"missed by {1.6 - ratio:.2f}×",
        )
    )
    section.data = {name: {"runs": [r.__dict__ for r in got], "cpu_split": shares[name]} for name, got in runs.items()}
    section.data["ceiling"] = ceiling
    return section


# ---------------------------------------------------------------- profile (on request)


def _owner(path: str) -> str:
    """Who a frame's time belongs to: a mockgw module, or a library (aiohttp, pydantic, json, ...)."""
    if path.startswith("mockgw/"):
        return path
    top = path.split("/")[0].removesuffix(".py")
    groups = {
        "aiohttp": "aiohttp",
        "multidict": "aiohttp",
        "yarl": "aiohttp",
        "pydantic": "pydantic",
        "pydantic_core": "pydantic",
        "json": "json (stdlib)",
        "logging": "logging (stdlib)",
        "asyncio": "asyncio event loop",
        "selectors": "asyncio event loop",
        "random": "random (ids)",
        "dataclasses": "dataclasses",
        "functools": "functools",
    }
    return groups.get(top, top)  # any other library or stdlib module by its own name


def bench_profile(quick: bool, targets: list[Target]) -> Section:
    """py-spy on ``mockgw serve`` under wrk, one face after another: where a non-streamed request's time goes."""
    section = Section("Profile: `mockgw serve` under wrk (py-spy)")
    spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    if not Path(spy).exists() or ensure_wrk() is None:
        section.lines.append("Skipped: needs py-spy (`.venv/bin/pip install py-spy`) and wrk.")
        return section
    seconds = 4 if quick else 10
    for face in FACES:
        _profile_face(face, spy, seconds, section, rows=30 if face is FACES[0] else 15)
    return section


def _profile_face(face: Face, spy: str, seconds: int, section: Section, rows: int) -> None:
    """One face's profile: samples by the module that held the CPU, and mockgw's functions by inclusive share."""
    server = mockgw_server("mockgw-profile", SCENARIOS / "canned.yaml")
    with running(server), tempfile.TemporaryDirectory() as tmp:
        folded = Path(tmp) / "profile.txt"
        # A few requests first: a face's module and its prepared answers are made by its first request.
        wrk(server.url, 1.0, script=face.script, path=face.path)
        load = subprocess.Popen(
            ["wrk", "-t1", "-c32", f"-d{seconds + 2}s", "-s", str(face.script), f"{server.url}{face.path}"],
            stdout=subprocess.DEVNULL,
            preexec_fn=pin(LOAD_CPU),
        )
        time.sleep(1)
        record = [spy, "record", "--nonblocking", "-r", "500", "-d", str(seconds), "-f", "raw", "-o", str(folded)]
        subprocess.run([*record, "-p", str(server.pid)], capture_output=True, check=True)
        load.wait(timeout=seconds + 30)
        stacks = folded.read_text().splitlines()
    roots = r"(?:.*/site-packages/|.*/lib/python3\.\d+/|" + re.escape(str(ROOT)) + "/)?"
    frame_re = re.compile(r"^(.*) \(" + roots + r"(.*?):\d+\)$")
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in stacks:
        stack, count_text = line.rsplit(" ", 1)
        count = int(count_text)
        total += count
        frames = [frame_re.match(f) for f in stack.split(";")]
        parsed = [(m.group(1), m.group(2)) for m in frames if m]
        for name in {f"{function} ({path})" for function, path in parsed}:
            inclusive[name] = inclusive.get(name, 0) + count
        if parsed:
            owner = _owner(parsed[-1][1])
            own[owner] = own.get(owner, 0) + count
    section.lines += [f"**{face.name}** (`POST {face.path}`, {face.script.name})", ""]
    section.lines += table(
        ["self time in", "share of samples"],
        [
            [f"`{name}`", f"{100 * n / total:.1f}%"]
            for name, n in sorted(own.items(), key=lambda kv: -kv[1])
            if n / total >= 0.003
        ],
    )
    section.lines.append("")
    wanted = ("(mockgw/", "(pydantic/", "(json/", "(logging/", "(dataclasses.py)")
    found = [
        [f"{100 * n / total:.1f}%", f"`{name}`"]
        for name, n in sorted(inclusive.items(), key=lambda kv: -kv[1])
        # The CLI's frames (mockgw/cli/, __main__) hold the whole server loop: every sample, nothing of its own.
        if any(w in name for w in wanted) and "(mockgw/cli/" not in name and "(mockgw/__main__.py)" not in name
    ][:rows]
    section.lines += table(["inclusive share", "function (mockgw, pydantic, json, logging)"], found)
    section.lines.append("")
    section.lines.append(
        f"{total:,} samples at 500 Hz over {seconds} s of wrk (1 thread, 32 connections) on {face.script.name}; "
        "self-time rows under 0.3% left out."
    )
    section.lines.append("")
    section.data[face.name] = {"total": total, "self": own, "inclusive": found}


# ---------------------------------------------------------------- breakdown (on request)

# (label, the parts bench/variant_server.py switches; see its docstring). The request path as it is now:
# every part is one that path runs for benchmark 1's request (a part it stopped running shows as such).
REMOVABLE = ["no-ratelimit", "no-validate", "no-input-chars", "no-why", "plain-read"]
VARIANTS = (
    ("as MockGateway (no log line)", []),
    ("+ request log line (as `mockgw serve`)", ["log"]),
    ("− `anthropic-ratelimit-*` headers", ["no-ratelimit"]),
    ("− validation walk (`parse_message_request`)", ["no-validate"]),
    ("− input token estimate (`input_chars`)", ["no-input-chars"]),
    ("− journal's decision path (`Decision.why`, `why_later`)", ["no-why"]),
    ("− bounded body read (`request.read()` instead)", ["plain-read"]),
    ("− all five above", REMOVABLE),
    ("full render instead of the prepared answer", ["no-prepared"]),
)


def _variant_calls(server: Server) -> dict[str, int]:
    """How often each patched part was reached, from the line variant_server.py writes to its log at exit."""
    log_file = RESULTS / (re.sub(r"\W+", "-", server.name).strip("-") + ".log")
    found = re.findall(r"^variant_server calls: (.*)$", log_file.read_text(errors="replace"), re.M)
    calls: dict[str, int] = json.loads(found[-1]) if found else {}
    return calls


def bench_breakdown(quick: bool, targets: list[Target]) -> Section:
    """What parts of the request path cost: CPU per request with each part switched off (bench/variant_server.py)."""
    section = Section("Breakdown: server CPU per request with one part of mockgw switched on or off")
    if ensure_wrk() is None:
        section.lines.append("Skipped: wrk is not installed.")
        return section
    rounds, seconds = (2, 2.0) if quick else (6, 2.0)
    servers: list[tuple[str, Server]] = []
    for label, parts in VARIANTS:
        port = free_port()
        cmd = [
            PYTHON,
            str(BENCH / "variant_server.py"),
            "--port",
            str(port),
            "--scenario",
            str(SCENARIOS / "canned.yaml"),
        ]
        servers.append((label, Server(f"variant-{len(servers)}", [*cmd, *parts], port)))
    body_file = RESULTS / "canned-body.json"
    with running(*(server for _, server in servers)):
        status, captured = http("POST", servers[0][1].url + "/v1/messages", request_body())
        assert status == 200, f"variant answered {status}: {captured[:300]!r}"
        body_file.write_bytes(captured)
        port = free_port()
        bare = Server(
            "bare-aiohttp",
            [PYTHON, str(BENCH / "bare_aiohttp.py"), "--port", str(port), "--body", str(body_file)],
            port,
        )
        servers.append(("bare aiohttp", bare))
        with running(bare):
            for _, server in servers:
                wrk(server.url, 1.0)
            cpu: dict[str, list[float]] = {label: [] for label, _ in servers}
            for r in range(rounds):
                for label, server in servers:
                    run = wrk(server.url, seconds, server=server)
                    if run.bad:
                        raise RuntimeError(f"{label}: {run.bad} failed requests")
                    assert run.cpu_us_per_request is not None
                    cpu[label].append(run.cpu_us_per_request)
                log(f"breakdown round {r + 1}/{rounds} done")
    # A part the request path no longer reaches was switched off for nothing: say so rather than show noise.
    idle = {
        label: [part for part, n in _variant_calls(server).items() if n == 0]
        for label, server in servers
        if label != "bare aiohttp"
    }
    # Other load on the machine only ever adds CPU time (cache and core sharing), so the least disturbed
    # run, the minimum, is the steadier estimate of a variant's own cost; the median is shown beside it.
    base_min, base_median = min(cpu[VARIANTS[0][0]]), statistics.median(cpu[VARIANTS[0][0]])
    rows = []
    for label, values in cpu.items():
        low, median = min(values), statistics.median(values)
        unused = idle.get(label)
        rows.append(
            [
                label,
                f"{low:.0f}",
                f"{low - base_min:+.0f}",
                f"{median:.0f}",
                f"{median - base_median:+.0f}",
                " / ".join(f"{v:.0f}" for v in values),
                f"not reached: {', '.join(unused)}" if unused else "",
            ]
        )
    section.lines += table(
        ["variant", "CPU µs/req (min)", "vs MockGateway", "median", "vs MockGateway", "per run", "note"], rows
    )
    section.lines.append("")
    section.lines.append(
        f"{rounds} rounds × {seconds:g} s of wrk (post.lua) per variant, alternating; server CPU time per "
        "request. Each variant patches one part of the request path by name (bench/variant_server.py) and "
        "counts how often the request path reached it: 'not reached' means the path no longer runs that part, "
        "so the row measures nothing. Other load on the machine only adds CPU time, so the minimum is the "
        "steadier figure; differences under about 10–20 µs are noise here."
    )
    section.data = {
        label: {"min": min(values), "median": statistics.median(values), "not_reached": idle.get(label, [])}
        for label, values in cpu.items()
    }
    return section


# ---------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="mockgw's benchmark suite (see docs/performance.md).")
    parser.add_argument("--quick", action="store_true", help="shorter runs (about a minute in all)")
    parser.add_argument("--only", help=f"comma-separated: {', '.join(ALL)}; also profile, breakdown")
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",")] if args.only else list(ALL)
    unknown = [name for name in only if name not in (*ALL, "profile", "breakdown")]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    targets: list[Target] = []
    memory: dict[str, Any] = {}
    sections: list[Section] = []
    # The streaming run also gives the memory figure at 1,000 open streams, so it goes first.
    everything = ("streaming", "throughput", "workers", "memory", "startup", "parsing", "profile", "breakdown")
    order = [name for name in everything if name in only]
    for name in order:
        log(f"--- {name}")
        if name == "streaming":
            sections.append(bench_streaming(args.quick, targets, memory))
        elif name == "memory":
            sections.append(bench_memory(args.quick, targets, memory))
        else:
            bench: Callable[[bool, list[Target]], Section] = {
                "throughput": bench_throughput,
                "startup": bench_startup,
                "parsing": bench_parsing,
                "workers": bench_workers,
                "profile": bench_profile,
                "breakdown": bench_breakdown,
            }[name]
            sections.append(bench(args.quick, targets))
    elapsed = time.monotonic() - started
    sections.sort(key=lambda s: s.title)
    lines = [
        f"# mockgw benchmark results{' (--quick)' if args.quick else ''}",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')}, `{' '.join(['bench/run.py', *(argv or sys.argv[1:])])}`, {elapsed:.0f} s.",
        *machine(),
        "",
    ]
    if targets:
        lines += ["## Targets", ""]
        lines += table(
            ["bench", "target", "measured", "met", "note"],
            [[t.bench, t.goal, t.measured, {True: "yes", False: "**no**", None: "-"}[t.met], t.note] for t in targets],
        )
        lines.append("")
    for section in sections:
        lines += [f"## {section.title}", "", *section.lines, ""]
    text = "\n".join(lines)
    print(text)
    (RESULTS / "latest.md").write_text(text)
    (RESULTS / "latest.json").write_text(json.dumps({s.title: s.data for s in sections}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
