"""Benchmark 3's fresh process: ``import mockgw``, ``MockGateway`` start, the first answer, in a new interpreter.

``python bench/fresh_start.py SCENARIO BODY_FILE`` prints one JSON line of perf_counter spans (seconds):
``import`` (``import mockgw``), ``start`` (``MockGateway(SCENARIO).start()``), ``first`` (the first answer to
``POST /v1/messages`` with BODY_FILE's bytes, over a raw socket so that no HTTP client's import is counted),
``total`` (the three), ``cpu`` (the process's CPU time over them), ``close``; then how many modules were
loaded and which of the heavy ones. The clock starts before ``import mockgw``: the interpreter's own start
(and this file's stdlib imports, which the interpreter has loaded already) is measured apart by bench/run.py.
"""

import time

t0, c0 = time.perf_counter(), time.process_time()
import mockgw  # noqa: E402  (what is timed)

t1 = time.perf_counter()

import json  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

HEAVY = ("faker", "aiohttp.client", "yaml", "jsonschema", "re2", "anthropic", "openai", "pydantic")


def first_answer(port: int, body: bytes) -> bytes:
    """One ``POST /v1/messages`` over a plain socket; the whole HTTP/1.1 answer (its content-length read)."""
    head = (
        "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        f"x-api-key: sk-bench\r\nanthropic-version: 2023-06-01\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        answer = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return answer
            answer += chunk
            headers, _, content = answer.partition(b"\r\n\r\n")
            for line in headers.lower().split(b"\r\n"):
                if line.startswith(b"content-length:") and len(content) >= int(line.split(b":")[1]):
                    return answer


def main() -> None:
    scenario, body = sys.argv[1], Path(sys.argv[2]).read_bytes()
    t1b = time.perf_counter()  # reading the arguments is not mockgw's
    gw = mockgw.MockGateway(scenario)
    gw.start()
    t2 = time.perf_counter()
    answer = first_answer(gw.port, body)
    t3, c3 = time.perf_counter(), time.process_time()
    gw.close()
    t4 = time.perf_counter()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    spans = {"import": t1 - t0, "start": t2 - t1b, "first": t3 - t2, "close": t4 - t3}
    spans["total"] = spans["import"] + spans["start"] + spans["first"]
    spans["cpu"] = c3 - c0  # CPU time of the process (all threads) over the same span: steadier under load
    loaded = [name for name in HEAVY if name in sys.modules]
    print(json.dumps({**spans, "modules": len(sys.modules), "loaded": loaded}), flush=True)


if __name__ == "__main__":
    main()
