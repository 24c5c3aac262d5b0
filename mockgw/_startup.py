"""Start-up helpers: loading mockgw's server and models costs less, and does exactly what it did.

Importing the server, the scenario schema and the wire models makes a few hundred thousand objects (pydantic's
core schemas, validators and serializers; aiohttp's tables), nearly all kept for the life of the process. The
cyclic garbage collector, which runs every 700 net allocations, walks them over and over while they are made:
in a fresh process about 60 ms of benchmark 3's ~440 ms of CPU went to collections (13 ms in ~140 young ones,
17 ms in 13 middle ones, 28 ms in one full one) that freed next to nothing.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while mockgw's modules load, then resume it.

    What was made meanwhile goes straight to the oldest generation (``gc.freeze()`` then ``gc.unfreeze()``),
    where objects that survive a few collections end up anyway: without that, the first young collection after
    the pause would walk all of it at once and take back most of the gain. It all stays collectable: the next
    full collection, which now comes later in the process's life instead of during start-up, walks it as usual
    (and frees the few cycles pydantic's schema building leaves). So the young and middle collections of
    start-up are saved outright and its full collection is put off, not avoided. ``gc.freeze()`` takes every
    tracked object of the process, so the caller's own young objects are promoted with them: a reference
    cycle among those is freed by that next full collection instead of a young one.

    Nothing is paused when the collector is off (the caller's choice stands) or when the caller has frozen
    objects of its own (``gc.unfreeze()`` would thaw them). References are never touched, so what is imported
    behaves exactly as with the collector on.
    """
    if not gc.isenabled() or gc.get_freeze_count():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        gc.enable()
