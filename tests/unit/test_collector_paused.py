"""``collector_paused``: mockgw's modules load with the cyclic garbage collector paused, and afterwards the
collector is as it was, what was made meanwhile is in the oldest generation and still collectable.

These change the test process's collector state only inside the block, and put it back in ``finally``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from mockgw._startup import collector_paused


class Node:
    """A cycle needs an object that can hold a reference."""

    other: Node | None = None


def made_in_the_block() -> tuple[Node, int]:
    """A kept object, and the id of a reference cycle that became garbage, both made while paused."""
    with collector_paused():
        assert not gc.isenabled()
        kept = Node()
        a, b = Node(), Node()
        a.other, b.other = b, a
        garbage_id = id(a)
        del a, b
    return kept, garbage_id


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_runs_again_after_the_block() -> None:
    made_in_the_block()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_what_was_made_goes_to_the_oldest_generation_and_stays_collectable() -> None:
    kept, garbage_id = made_in_the_block()
    assert any(o is kept for o in gc.get_objects(generation=2))
    assert gc.collect() > 0
    assert all(id(o) != garbage_id for o in gc.get_objects() if isinstance(o, Node))


@pytest.mark.usefixtures("collector_on")
def test_the_callers_choice_to_have_it_off_stands() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_objects_the_caller_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused():
            assert gc.isenabled()  # not paused: thawing would have thawed the caller's objects too
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
