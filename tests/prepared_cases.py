"""What every face's prepared-answer tests iterate over: the bundled scenarios plus the face's own scenario of
every block type, and every reply a rule (or one step of its sequence) scripts.

Each face's tests (tests/unit/test_prepared.py, test_openai_prepared.py, test_openai_prepared_responses.py,
test_aisdk_prepared.py) compare its prepared bytes with its full path over these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockgw.core.answer import Reply
from mockgw.core.engine import scripted
from mockgw.scenario.loader import load_scenario_data, load_scenario_file
from mockgw.scenario.schema import Scenario, Timing

BUNDLED = sorted((Path(__file__).parents[1] / "scenarios").glob("*.yaml"))

# Replies no face may prepare: each is made per request (or is not a reply at all).
NOT_LITERAL = {
    "template": {"reply": "{{ request.last_user }}"},
    "templated-input": {"reply": [{"tool_use": {"name": "lookup", "input": {"q": "{{ faker.word }}"}}}]},
    "input-auto": {"reply": [{"tool_use": {"name": "lookup", "input": "auto"}}]},
    "json": {"reply": [{"json": {"a": 1}}]},
    "citations": {"reply": [{"text": "cited", "citations": [{"document": 0, "quote": "cited"}]}]},
    "error": {"error": {"status": 529}},
}
# A block only the Messages API has (a server tool's call and result): the OpenAI faces write it from the full path.
MESSAGES_ONLY_BLOCK = {"reply": [{"server_tool_use": {"input": {"query": "q"}}}, {"text": "found"}]}


def scenarios(every_block: dict[str, Any]) -> list[Any]:
    """The bundled scenarios and ``every_block`` (the face's scenario of every block type), as pytest params."""
    loaded = [pytest.param(load_scenario_file(p), id=p.stem) for p in BUNDLED]
    return [*loaded, pytest.param(load_scenario_data(every_block, "<every-block>"), id="every-block")]


def answers(scenario: Scenario) -> list[tuple[str, Reply, Timing]]:
    """Every reply a rule (or one step of its sequence) scripts, with its timing and a name."""
    found = []
    for index, rule in enumerate(scenario.rules):
        steps = [(None, rule)] if rule.sequence is None else list(enumerate(rule.sequence))
        for step, answer in steps:
            reply, timing = scripted(rule, answer, scenario.defaults.timing)
            if reply is not None:
                found.append((f"{scenario.rule_label(index)}[{step}]", reply, timing))
    return found
