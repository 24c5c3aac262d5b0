"""``--watch``: reload the scenario when its files change, keeping the last good one when an edit breaks it.

Polling, not OS notifications: every ``interval`` seconds the watcher compares each file's modification time
and size (and, for a folder, which YAML files it holds) with what it saw last. That needs no dependency,
works on every file system a container mounts, and costs a few ``stat`` calls a second.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from mockgw.scenario.loader import DEFAULT_SCENARIO, ScenarioError, load_scenarios, resolve_source
from mockgw.scenario.schema import Scenario
from mockgw.server.state import prepare_answers

DEFAULT_INTERVAL = 0.5
_YAML_SUFFIXES = (".yaml", ".yml")
log = logging.getLogger("mockgw")

Fingerprint = dict[str, tuple[int, int] | None]  # path → (mtime_ns, size); None: missing
Outcome = Literal["unchanged", "reloaded", "kept"]


def _files(source: str) -> list[Path]:
    path = Path(source)
    if path.is_dir():
        # Listed afresh on every poll, so a file added to the folder is picked up.
        return sorted(p for p in path.iterdir() if p.suffix in _YAML_SUFFIXES)
    try:
        return resolve_source(source)
    except ScenarioError:
        return [path]  # missing for now: watched, so its appearance counts as a change


def fingerprint(sources: Sequence[str]) -> Fingerprint:
    """What the files behind ``sources`` look like now (a change in any of them means: reload)."""
    seen: Fingerprint = {}
    for source in sources or [DEFAULT_SCENARIO]:
        for path in _files(source):
            try:
                stat = path.stat()
            except OSError:
                seen[str(path)] = None
            else:
                seen[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return seen


class ScenarioWatcher:
    """Polls the files of ``sources`` and hands each good reload to ``apply`` (``Gateway.load``, say).

    A reload that fails is logged with every problem (``file:line: path: message``) and the scenario in
    use stays; the next change tries again.
    """

    def __init__(
        self,
        sources: Sequence[str],
        apply: Callable[[Scenario], None],
        *,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self.sources = list(sources)
        self.apply = apply
        self.interval = interval
        self._seen = fingerprint(self.sources)

    def changed(self) -> bool:
        """Whether any file changed since the last look (a broken edit is then reported once, not per poll)."""
        now = fingerprint(self.sources)
        if now == self._seen:
            return False
        self._seen = now
        return True

    def load(self) -> Scenario | None:
        """The sources' scenario, or None when they have problems (logged with file and line)."""
        try:
            scenario = load_scenarios(self.sources)
            prepare_answers(scenario)  # rendered here, in the watcher's thread: Gateway.load finds them made
            return scenario
        except ScenarioError as exc:
            count = len(exc.problems)
            log.error(
                "mockgw: scenario not reloaded (%d problem%s); still serving the last good one:\n%s",
                count,
                "s" if count != 1 else "",
                exc,
            )
            return None

    def use(self, scenario: Scenario | None) -> Outcome:
        """Hand a loaded scenario to ``apply``: ``reloaded``, or ``kept`` when there is none."""
        if scenario is None:
            return "kept"
        self.apply(scenario)
        rules = len(scenario.rules)
        log.info("mockgw: reloaded scenario '%s' (%d rule%s)", scenario.name, rules, "s" if rules != 1 else "")
        return "reloaded"

    def poll(self) -> Outcome:
        """Reload if any file changed since the last poll: ``unchanged``, ``reloaded`` or ``kept`` (broken)."""
        if not self.changed():
            return "unchanged"
        return self.use(self.load())

    async def run(self) -> None:
        """Poll forever on the running loop (cancel the task to stop); files are parsed in a thread."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                if self.changed():
                    # Parsing runs off the loop so streams in flight keep their pace; apply runs on it, where
                    # the engine is used.
                    self.use(await asyncio.to_thread(self.load))
            except Exception:
                # A watcher must outlive surprises (a file vanishing mid-read): the server keeps serving.
                log.exception("mockgw: watching the scenario files failed; trying again")
