"""bench/stream_probe.py still sees inside the pacer: a probed ``mockgw serve`` records a stream's writes and wakes.

The probe wraps the pacer's private methods; this fails when they change under it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import body, http_call
from tests.unit.test_cli import clean_env, read_banner

PROBE = Path(__file__).resolve().parents[2] / "bench" / "stream_probe.py"
SCENARIO = "rules:\n  - reply: abcdefgh\n    timing: {ttft_ms: 5, chunk_ms: 5, chunk_chars: 2}\n"


def test_a_probed_server_records_every_write_and_wake_of_a_stream(tmp_path: Path) -> None:
    scenario, out = tmp_path / "paced.yaml", tmp_path / "probe.json"
    scenario.write_text(SCENARIO)
    command = [sys.executable, str(PROBE), "serve", "--out", str(out), "--", "--scenario", str(scenario)]
    with subprocess.Popen(
        [*command, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=clean_env()
    ) as served:
        try:
            url = read_banner(served)[0].rsplit(" at ", 1)[1]
            answer = http_call(f"{url}/v1/messages", json_body=body(stream=True))
            assert answer.status == 200 and answer.body.count(b"event: content_block_delta") == 4
        finally:
            served.send_signal(signal.SIGTERM)
            served.wait(timeout=30)
    seen = json.loads(out.read_text())
    assert [content for *_, content in seen["writes"]] == [False, True, True, True, True]  # start, then 4 deltas
    assert len(seen["wakes"]) == 4  # ttft, then one per chunk
    assert any(generation == 2 for generation, *_ in seen["collections"])  # serve's own collection, at least
    report = subprocess.run(
        [sys.executable, str(PROBE), "report", str(out), "--chunk-ms", "5"], capture_output=True, text=True, timeout=60
    )
    assert report.returncode == 0, report.stderr
    assert "gap error at the server" in report.stdout and "4 timer wakes" in report.stdout
