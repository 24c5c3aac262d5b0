"""``mockgw serve --workers N``: N server processes answering on one port, for load tests.

The kernel spreads connections over the processes (SO_REUSEPORT, Linux and the BSDs). Each process keeps its
own state, so a scenario whose answers depend on earlier requests (a ``sequence``, ``times``, ``set_state`` or
``match.state``) would answer differently depending on which process a connection reached: such a scenario
is refused under N > 1, with the rules that hold state named. Objects that requests create (message
threads, batches, uploaded files, stored Responses) live in the process that made them: a load test that
uses them runs one worker (docs/performance.md).

The parent binds the port first (port 0: a free one, read back) and keeps that socket, not listening, for
the workers' lifetime; each worker is ``mockgw serve`` again with the same arguments, the port and its
number. A worker's admin answers carry ``x-mockgw-worker: <number>``. Each worker writes a byte to a pipe once
it listens; the parent prints the banner only when all N have, so a load test started on the banner spreads
over every worker from its first connection.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from mockgw.scenario.schema import Scenario

WORKER_HEADER = "x-mockgw-worker"
STOP_GRACE_S = 5.0  # a worker still running this long after SIGTERM is killed
READY_WAIT_S = 0.1  # how often the parent looks at its workers while it waits for them to listen


def stateful_parts(scenario: Scenario) -> list[str]:
    """What in ``scenario`` keeps per-session state, one ``rule label: key`` a line (empty: stateless)."""
    found: list[str] = []
    for index, rule in enumerate(scenario.rules):
        keys = []
        if rule.sequence is not None:
            keys.append("sequence")
        if rule.times is not None:
            keys.append("times")
        if rule.set_state is not None or any(step.set_state is not None for step in rule.sequence or ()):
            keys.append("set_state")
        if rule.match is not None and rule.match.state is not None:
            keys.append("match.state")
        found.extend(f"{scenario.rule_label(index)}: {key}" for key in keys)
    return found


def refusal(scenario: Scenario, workers: int) -> str | None:
    """Why ``scenario`` cannot be served by ``workers`` processes, or None when it can."""
    parts = stateful_parts(scenario)
    if workers <= 1 or not parts:
        return None
    return (
        f"--workers {workers}: the scenario keeps session state, which each worker process would keep apart"
        f" (answers would depend on which worker a connection reached): {'; '.join(parts)}."
        " Serve it with one worker, or drop these keys for the load test"
    )


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` with SO_REUSEPORT, not listening: it holds the port (and finds a free
    one for port 0) while the workers bind the same port; the kernel hands connections only to listeners."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def run_workers(argv: Sequence[str], workers: int, port: int, on_ready: Callable[[], None] = lambda: None) -> int:
    """Run ``workers`` copies of ``mockgw serve`` (``argv``: its arguments) on ``port`` until SIGINT/SIGTERM or
    until one of them ends; the exit status is the first non-zero one of the workers.

    ``on_ready`` is called once every worker listens (each says so with a byte on a pipe); a worker that fails
    to start ends the run before it is called, having said why itself.
    """
    ready_read, ready_write = os.pipe()
    command = [sys.executable, "-m", "mockgw", "serve", *argv, "--port", str(port), "--ready-fd", str(ready_write)]
    try:
        procs = [
            subprocess.Popen([*command, "--worker-number", str(n)], pass_fds=(ready_write,))
            for n in range(1, workers + 1)
        ]
    finally:
        os.close(ready_write)  # the workers hold their copies: EOF once all of them closed theirs
    stopping = False
    ready = 0

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping and all(p.poll() is None for p in procs):
            if ready >= workers:
                time.sleep(READY_WAIT_S)
                continue
            readable, _, _ = select.select([ready_read], [], [], READY_WAIT_S)
            if readable:
                said = os.read(ready_read, workers)
                ready = workers if not said else ready + len(said)
                if ready >= workers:
                    on_ready()
    finally:
        os.close(ready_read)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for p in procs:
            try:
                p.wait(max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    codes = [p.returncode for p in procs]
    return 0 if stopping and all(c in (0, -signal.SIGTERM) for c in codes) else next((c for c in codes if c), 0)


def say_ready(fd: int | None) -> None:
    """In a worker, once it listens: tell the parent (``--ready-fd``), and close our end of the pipe."""
    if fd is None:
        return
    try:
        os.write(fd, b"1")
    except OSError:  # the parent is gone; stop_when_orphaned ends this worker
        pass
    finally:
        os.close(fd)


async def stop_when_orphaned(stop: Callable[[], None], every_s: float = 1.0) -> None:
    """In a worker: call ``stop`` once the parent is gone (killed, say), so that no worker outlives it."""
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(every_s)
    stop()


def worker_argv(argv: Sequence[str]) -> list[str]:
    """``serve``'s arguments without ``--workers`` and ``--port`` (the parent passes the port it bound)."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in ("--workers", "--port"):
            skip = "=" not in arg
            continue
        out.append(arg)
    return out
