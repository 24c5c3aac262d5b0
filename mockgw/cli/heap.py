"""The cyclic garbage collector's settings for a ``mockgw serve`` process (never for a test's own process).

A full (generation 2) collection walks every tracked object in the process and holds the loop while it does:
measured with 1,000 open streams, about 115,000 objects, 45-80 ms of CPU (far more on a loaded machine),
and every frame due meanwhile goes out that much late. That one pause decided the streaming benchmark's
p99. Two things make it rare and smaller, without changing what is collected:

- What the server built before it listens (modules, the pydantic models' validators, Faker's providers,
  the scenario and its prepared answers: about 60,000 objects) lives as long as the process. ``gc.freeze()``
  moves it out of the collector's sight, so no collection walks it again. Frozen objects are still freed by
  reference counting when a reload drops them; only a reference cycle among them would stay.
- The third threshold counts young (generation 1) collections between full ones: 10 by default, about 7,000
  new objects at 1,000 streams, so a full collection every few hundred streams. At ``FULL_EVERY`` a full
  collection comes ten times less often. CPython still runs one only when the objects that survived into
  generation 2 since the last grew by a quarter, and streams that ended leave no cycles there (the full
  collections measured during 1,000 streams collected 0 objects), so memory is not held longer in practice.
"""

from __future__ import annotations

import gc

# Young collections between two full ones (CPython's default: 10).
FULL_EVERY = 100


def settle() -> None:
    """Collect once, freeze what survives (the process's start-up heap), and make full collections rarer.

    Called by ``mockgw serve`` once it listens, in each worker process.
    """
    gc.collect()
    gc.freeze()
    first, second, _ = gc.get_threshold()
    gc.set_threshold(first, second, FULL_EVERY)
