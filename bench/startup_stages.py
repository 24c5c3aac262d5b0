"""Where a fresh process's start-up goes: benchmark 3's ``import mockgw`` + ``MockGateway`` start + first answer,
cut into stages, each timed in CPU time (steadier than wall time on a shared machine).

``python bench/startup_stages.py SCENARIO BODY_FILE`` imports the libraries first, then mockgw's layers from
the bottom up, so each stage's figure is what it adds to the ones before it; prints one JSON object
{stage: CPU seconds}. The stages after the imports are those of bench/fresh_start.py. As there, the imports
run with the garbage collector paused (mockgw/_startup.py: ``mockgw.MockGateway`` loads its module so), and
the faces a Messages answer does not need (OpenAI, AI SDK) are not imported: they load with their first
request. ``aiohttp`` (the package, whose ``__init__`` imports the client stack, two TLS contexts made at
import among it) is a stage apart from ``aiohttp.web``, the server mockgw uses.
"""

import time

_last = time.process_time()
STAGES: dict[str, float] = {}


def stage(name: str) -> None:
    """Close a stage: the CPU time since the previous one."""
    global _last
    now = time.process_time()
    STAGES[name] = now - _last
    _last = now


from mockgw._startup import collector_paused  # noqa: E402

paused = collector_paused()
paused.__enter__()
import asyncio  # noqa: E402, F401

stage("asyncio (stdlib, which aiohttp needs)")
import pydantic  # noqa: E402, F401

stage("pydantic")
import aiohttp  # noqa: E402

stage("aiohttp: the package, which imports the client stack (its connector makes two TLS contexts)")
import aiohttp.web  # noqa: E402, F401

stage("aiohttp.web (the server)")
import re2  # noqa: E402, F401
import yaml  # noqa: E402, F401

stage("yaml, re2")
import mockgw.faces.anthropic.wire  # noqa: E402

stage("mockgw: Messages API wire models (pydantic classes)")
import mockgw.scenario.schema  # noqa: E402

stage("mockgw: scenario models")
import mockgw.core.engine  # noqa: E402
import mockgw.scenario.loader  # noqa: E402

stage("mockgw: engine, matching, answer, loader")
import mockgw.server.app  # noqa: E402

stage("mockgw: the rest of the server (routes, admin, middleware; not the OpenAI and AI SDK faces)")
import mockgw.testing.gateway  # noqa: E402

paused.__exit__(None, None, None)
stage("mockgw.testing (MockGateway), and the collector resumed")

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from fresh_start import first_answer  # noqa: E402

gw = mockgw.testing.gateway.MockGateway(sys.argv[1])
gw.start()
stage("MockGateway(path).start(): load the scenario, build the app, bind")
first_answer(gw.port, Path(sys.argv[2]).read_bytes())
stage("the first answer")
gw.close()
print(json.dumps(STAGES), flush=True)
