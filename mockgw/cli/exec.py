"""``mockgw exec -- CMD ARGS...``: run one command against a mockgw started just for it.

mockgw listens on 127.0.0.1 (a free port) in a background thread; the command runs with the parent's
environment plus the variables that point Claude Code and the SDKs at it; its stdin, stdout and stderr are
the terminal's. When it ends, mockgw stops, the journal is written if asked, and mockgw exits with the
command's exit code, so ``mockgw exec`` drops into scripts and CI jobs where the command itself would go.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import types
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TextIO

from mockgw.core.journal import JournalEntry
from mockgw.scenario.schema import Scenario
from mockgw.testing import QUIET_ENV, MockGateway

# Claude Code silently retries a broken stream without streaming unless told not to, so a scripted
# mid-stream fault would look like a pass. Like QUIET_ENV, a default the caller's environment may override.
SCRIPTED_ENV = {**QUIET_ENV, "CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK": "1"}
DEFAULT_TOKEN = "mockgw"

# Shell conventions for a command that cannot be run.
EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126
EXIT_USAGE = 2  # like `mockgw serve` with a bad scenario: nothing was run


def child_env(base: Mapping[str, str], url: str, token: str) -> dict[str, str]:
    """The command's environment: ``base`` with the gateway's connection variables set.

    The connection variables always win (pointing the command at mockgw is the point); the quiet and
    scripting variables (``SCRIPTED_ENV``) are only defaults, so ``CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK=0
    mockgw exec ...`` still works. ``ANTHROPIC_API_KEY`` is set empty: Claude Code prefers it over the
    token, and a real key must never be sent anywhere by accident.
    """
    env = {**SCRIPTED_ENV, **base}
    env.update(
        {
            "ANTHROPIC_BASE_URL": url,
            "ANTHROPIC_AUTH_TOKEN": token,
            "ANTHROPIC_API_KEY": "",
        }
    )
    return env


def exit_code(returncode: int) -> int:
    """A child's return code as a shell reports it: killed by signal N → 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def write_journal(entries: Sequence[JournalEntry], out: TextIO) -> None:
    """One JSON object per request (``JournalEntry.to_dict()``; credentials are already redacted)."""
    for entry in entries:
        out.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")


def _terminal_delivers_sigint() -> bool:
    """Whether a SIGINT we receive most likely came from the terminal (Ctrl-C) and so reached the child too.

    The child shares our process group, and the terminal signals the whole foreground group. Forwarding
    that SIGINT as well would deliver it twice (and an interactive Claude Code exits on a second Ctrl-C).
    A SIGINT sent to mockgw alone (``kill -INT``, a test harness, no terminal) is forwarded.
    """
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


class _SignalForwarder:
    """While the child runs, pass SIGINT, SIGTERM and SIGHUP on to it instead of dying ourselves.

    mockgw must outlive the child: it stops the server and writes the journal after the child has gone,
    and exits with the child's code. Installed before the child starts; a signal that arrives before
    there is a child is kept and sent as soon as there is one.
    """

    def __init__(self) -> None:
        self.child: subprocess.Popen[bytes] | None = None
        self.pending: list[int] = []

    def __call__(self, signum: int, frame: types.FrameType | None) -> None:
        if signum == signal.SIGINT and _terminal_delivers_sigint():
            return
        if self.child is None:
            self.pending.append(signum)
        elif self.child.poll() is None:
            self.child.send_signal(signum)

    def attach(self, child: subprocess.Popen[bytes]) -> None:
        self.child = child
        for signum in self.pending:
            if child.poll() is None:
                child.send_signal(signum)
        self.pending.clear()


@contextmanager
def _forwarding_signals() -> Iterator[_SignalForwarder]:
    forwarder = _SignalForwarder()
    if threading.current_thread() is not threading.main_thread():
        yield forwarder  # only the main thread may set handlers; a caller in a thread keeps its own
        return
    wanted = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {signum: signal.signal(signum, forwarder) for signum in wanted}
    try:
        yield forwarder
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run(
    command: Sequence[str],
    scenario: Scenario,
    *,
    seed: int | None = None,
    api_keys: Sequence[str] = (),
    journal: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Serve ``scenario``, run ``command`` against it, and return the command's exit code.

    The token given to the command is the first of ``api_keys``, else the scenario's first key, else
    ``mockgw``. Requests that matched no rule are reported on stderr after the command ends (each was
    answered with a 400 listing the nearest rules), so a scripting mistake is never silent.
    """
    if not command:
        raise ValueError("no command to run")
    # Opened first: a journal that cannot be written should stop us before the command runs, not after.
    with ExitStack() as stack:
        out = None
        if journal is not None:
            try:
                out = stack.enter_context(open(journal, "w", encoding="utf-8"))
            except OSError as exc:
                print(f"mockgw: cannot write the journal to {journal}: {exc.strerror or exc}", file=sys.stderr)
                return EXIT_USAGE
        return _run(command, scenario, seed, api_keys, out, env)


def _run(
    command: Sequence[str],
    scenario: Scenario,
    seed: int | None,
    api_keys: Sequence[str],
    journal: TextIO | None,
    env: Mapping[str, str] | None,
) -> int:
    with MockGateway(scenario, seed=seed, api_keys=list(api_keys)) as gw:
        token = gw.env(api_key=DEFAULT_TOKEN)["ANTHROPIC_AUTH_TOKEN"]  # a key the gateway accepts
        child_environment = child_env(os.environ if env is None else env, gw.url, token)
        with _forwarding_signals() as forwarder:
            try:
                child = subprocess.Popen(list(command), env=child_environment)
            except FileNotFoundError:
                print(f"mockgw: command not found: {command[0]}", file=sys.stderr)
                return EXIT_NOT_FOUND
            except PermissionError:
                print(f"mockgw: permission denied: {command[0]}", file=sys.stderr)
                return EXIT_NOT_EXECUTABLE
            except OSError as exc:
                print(f"mockgw: cannot run {command[0]}: {exc.strerror or exc}", file=sys.stderr)
                return EXIT_NOT_EXECUTABLE
            forwarder.attach(child)
            returncode = child.wait()
        entries = gw.journal.snapshot()
        unmatched = gw.unmatched()
    if journal is not None:
        write_journal(entries, journal)
    for entry in unmatched:
        print(f"mockgw: request #{entry.seq} {entry.method} {entry.path} matched no rule", file=sys.stderr)
    return exit_code(returncode)
