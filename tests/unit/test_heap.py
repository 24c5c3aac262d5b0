"""``mockgw serve`` settles its heap once it listens: start-up's objects frozen, full collections rarer.

Run in a child process: freezing the test process's own heap would change every test after this one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from mockgw.cli import heap

SETTLE = textwrap.dedent(
    """
    import gc, json
    from mockgw.cli import heap
    before = gc.get_threshold()
    heap.settle()
    print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count(),
                      "left": len(gc.get_objects())}))
    """
)


def test_settle_freezes_what_start_up_built_and_makes_full_collections_rarer() -> None:
    done = subprocess.run([sys.executable, "-c", SETTLE], capture_output=True, text=True, timeout=60, check=True)
    seen = json.loads(done.stdout)
    assert seen["frozen"] > 1000  # the modules, classes and functions imported so far
    assert seen["left"] < seen["frozen"] // 10  # what a collection still walks: what was made since
    young, middle, full = seen["before"]
    assert seen["after"] == [young, middle, heap.FULL_EVERY]  # only full collections spaced out
    assert full < heap.FULL_EVERY
