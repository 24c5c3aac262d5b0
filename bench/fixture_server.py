"""mockgw as a test suite runs it: ``MockGateway`` (its own thread and loop), in a process of its own.

``python bench/fixture_server.py --port P --scenario FILE`` serves until SIGTERM. Unlike ``mockgw serve``
it writes no request log line (the ``mockgw`` logger is not configured, as under pytest), so benchmark 1
shows both what a test suite sees and what ``mockgw serve`` costs with its log.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from mockgw.testing import MockGateway


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--scenario", type=Path, required=True)
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with MockGateway(args.scenario, port=args.port):
        while not stop.wait(0.5):
            pass


if __name__ == "__main__":
    main()
