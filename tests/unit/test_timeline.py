"""A stream's timeline in the journal: runs of one event name with their times, bounded however long."""

from __future__ import annotations

from typing import Any

from mockgw.core.journal import TIMELINE_RUNS, mark_timeline


def test_events_of_one_name_fold_into_a_run_with_its_longest_gap() -> None:
    timeline: list[dict[str, Any]] = []
    for event, at in [("message_start", 0.0), ("delta", 40.0), ("delta", 45.0), ("delta", 95.0), ("stop", 96.0)]:
        mark_timeline(timeline, event, at)
    assert timeline == [
        {"event": "message_start", "count": 1, "first_ms": 0.0, "last_ms": 0.0, "max_gap_ms": 0.0},
        {"event": "delta", "count": 3, "first_ms": 40.0, "last_ms": 95.0, "max_gap_ms": 50.0},
        {"event": "stop", "count": 1, "first_ms": 96.0, "last_ms": 96.0, "max_gap_ms": 1.0},
    ]


def test_a_stream_of_alternating_events_keeps_a_bounded_timeline_and_counts_every_event() -> None:
    timeline: list[dict[str, Any]] = []
    for i in range(10_000):
        mark_timeline(timeline, "a" if i % 2 else "b", float(i))
    assert len(timeline) == TIMELINE_RUNS
    assert timeline[-1]["event"] == "…" and sum(run["count"] for run in timeline) == 10_000
    assert timeline[-1]["last_ms"] == 9_999.0
