"""Where a streaming run's gap errors come from, seen from inside the server (not part of ``make bench``).

    .venv/bin/python bench/stream_probe.py serve --out probe.json -- --scenario bench/scenarios/stream.yaml --port P
    (run bench/stream_client.py against it, then stop the server with SIGTERM or Ctrl-C)
    .venv/bin/python bench/stream_probe.py report probe.json

``serve`` runs ``mockgw serve`` with four instruments and writes what they saw to ``--out`` when it stops:

- every write of the pacer: the stream, the instant its frames were due, when they were written, whether
  they hold a content delta (so the gap errors the client measures can be split into lateness per frame);
- every wake of the pacer's timer: how late it fired, how many writes it made and how long it took;
- every collection of the cyclic garbage collector (``gc.callbacks``): generation, wall and CPU time, objects
  left to walk in a full one;
- every loop callback that held the loop for more than 2 ms (what a due frame waited behind).

The instruments cost time themselves (a few µs a frame and a callback): compare runs probed alike.
``report`` prints the summary that found the full collections and the accept burst (docs/performance.md,
"One pacer for all streams").
"""

from __future__ import annotations

import argparse
import atexit
import collections
import gc
import itertools
import json
import sys
import time
from asyncio import events
from pathlib import Path
from typing import Any

LONG_CALLBACK_S = 0.002


def serve(out: Path, argv: list[str]) -> int:
    """``mockgw serve argv`` with the instruments on; what they saw goes to ``out`` at exit."""
    from mockgw.server import sse

    seen: dict[str, list[Any]] = {"writes": [], "wakes": [], "collections": [], "long_callbacks": []}
    started = [0.0, 0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter(), time.thread_time()]
            return
        walked = len(gc.get_objects()) if info["generation"] == 2 else None
        wall, cpu = time.perf_counter() - started[0], time.thread_time() - started[1]
        seen["collections"].append([info["generation"], time.monotonic(), wall, cpu, info["collected"], walked])

    gc.callbacks.append(on_gc)

    run_handle = events.Handle._run

    def timed_run(handle: events.Handle) -> None:
        begun = time.perf_counter()
        run_handle(handle)
        took = time.perf_counter() - begun
        if took > LONG_CALLBACK_S:
            seen["long_callbacks"].append([time.monotonic(), took, repr(handle)[:120]])

    events.Handle._run = timed_run  # type: ignore[method-assign,assignment]

    pacer = sse.StreamPacer
    due: dict[int, float] = {}
    queue, flush, on_timer = pacer._queue, pacer._flush, pacer._on_timer

    def probed_queue(self: sse.StreamPacer, stream: Any, now: float, wait: float) -> None:
        due[id(stream)] = now + wait
        queue(self, stream, now, wait)

    def probed_flush(self: sse.StreamPacer, stream: Any, batch: list[Any], now: float) -> bool:
        if batch:
            content = any(frame.content for frame in batch)
            seen["writes"].append([id(stream), due.get(id(stream), now), time.monotonic(), content])
        return flush(self, stream, batch, now)

    def probed_on_timer(self: sse.StreamPacer) -> None:
        armed_for, fired, writes = self._timer_due, time.monotonic(), len(seen["writes"])
        on_timer(self)
        seen["wakes"].append([armed_for, fired, len(seen["writes"]) - writes, time.monotonic() - fired])

    pacer._queue, pacer._flush, pacer._on_timer = probed_queue, probed_flush, probed_on_timer  # type: ignore[method-assign]
    atexit.register(lambda: out.write_text(json.dumps(seen)))
    from mockgw.cli.main import main

    return main(["serve", *argv])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * q / 100))]


def report(path: Path, scripted_ms: float) -> None:
    seen = json.loads(path.read_text())
    deltas: dict[int, list[tuple[float, float]]] = collections.defaultdict(list)
    for stream, due, written, content in seen["writes"]:
        if content:
            deltas[stream].append((due, written))
    gaps = [
        abs((b - a) * 1000 - scripted_ms) for frames in deltas.values() for (_, a), (_, b) in itertools.pairwise(frames)
    ]
    late = [(written - due) * 1000 for frames in deltas.values() for due, written in frames[1:]]
    wakes = seen["wakes"]
    print(f"gap error at the server, ms: p50 {pct(gaps, 50):.2f}  p99 {pct(gaps, 99):.2f}  max {max(gaps):.1f}")
    print(f"frame lateness against its due instant, ms: p50 {pct(late, 50):.2f}  p99 {pct(late, 99):.2f}")
    timer_late = [(fired - armed) * 1000 for armed, fired, _, _ in wakes]
    print(f"{len(wakes)} timer wakes, late ms: p50 {pct(timer_late, 50):.2f}  max {max(timer_late, default=0):.1f}")
    print(f"writes a wake: p50 {pct([w[2] for w in wakes], 50):.0f}  max {max((w[2] for w in wakes), default=0)}")
    by_generation: dict[int, list[list[Any]]] = collections.defaultdict(list)
    for collection in seen["collections"]:
        by_generation[collection[0]].append(collection)
    for generation, runs in sorted(by_generation.items()):
        cpu = [r[3] * 1000 for r in runs]
        print(f"generation {generation}: {len(runs)} collections, CPU ms max {max(cpu):.2f}, total {sum(cpu):.1f}")
    first = min((w[2] for w in seen["writes"]), default=0.0)
    for _, at, wall, cpu, collected, walked in by_generation.get(2, []):
        print(f"  full: {at - first:+.2f} s from the first write, {cpu * 1000:.1f} ms CPU ({wall * 1000:.1f} wall)")
        print(f"        {walked} objects walked, {collected} collected")
    kinds = collections.Counter(text.split(" at ")[0].split("(")[0] for _, _, text in seen["long_callbacks"])
    print(f"loop callbacks over {LONG_CALLBACK_S * 1000:g} ms: {dict(kinds.most_common(6))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="mockgw serve with the instruments; its arguments after --")
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("serve_args", nargs=argparse.REMAINDER)
    read = commands.add_parser("report", help="summarise what a probed run saw")
    read.add_argument("path", type=Path)
    read.add_argument("--chunk-ms", type=float, default=50.0, help="the scenario's gap between deltas")
    args = parser.parse_args()
    if args.command == "serve":
        sys.exit(serve(args.out, [a for a in args.serve_args if a != "--"]))
    report(args.path, args.chunk_ms)


if __name__ == "__main__":
    main()
