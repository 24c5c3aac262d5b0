"""``mockgw record`` keeps the server tool blocks: every case of tests/fixtures/server-blocks.yaml recorded
through the proxy (streamed and not) replays, from the written file, into the same content and stop reason
through the Python SDK's beta client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anthropic
import pytest

from mockgw.server.proxy import RecordingProxy
from mockgw.testing import MockGateway
from tests.contract.test_server_blocks import BETA_CASES, GA_CASES

SCENARIO = Path(__file__).resolve().parents[1] / "fixtures" / "server-blocks.yaml"
MODEL = "claude-sonnet-4-6"
EDITS = {
    "edits": [
        {
            "type": "clear_tool_uses_20250919",
            "trigger": {"type": "tool_uses", "value": 0},
            "keep": {"type": "tool_uses", "value": 0},
        }
    ]
}


async def answers(client: anthropic.AsyncAnthropic, stream: bool) -> list[dict[str, Any]]:
    """Each case's content, stop reason and context_management, as the SDK made them."""
    out = []
    for case in [*GA_CASES, *BETA_CASES]:
        history = [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "w", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]},
            {"role": "assistant", "content": "Sunny."},
            {"role": "user", "content": case},
        ]
        params: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "messages": history, "context_management": EDITS}
        if stream:
            async with client.beta.messages.stream(**params) as events:
                message = await events.get_final_message()
        else:
            message = await client.beta.messages.create(**params)
        dumped = message.model_dump(mode="json", exclude_none=True)
        out.append({k: dumped.get(k) for k in ("content", "stop_reason", "context_management")})
        out[-1]["has_container"] = message.container is not None
    return out


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
async def test_recorded_server_tool_blocks_replay_the_same(stream: bool, tmp_path: Path) -> None:
    with MockGateway(SCENARIO) as upstream:
        async with RecordingProxy(upstream.url) as proxy:
            recorded = await answers(anthropic.AsyncAnthropic(base_url=proxy.url, api_key="k", max_retries=0), stream)
        recording = proxy.recording
    path = tmp_path / "blocks.yaml"
    recording.write(path)

    with MockGateway(path) as replay:
        replayed = await answers(anthropic.AsyncAnthropic(base_url=replay.url, api_key="k", max_retries=0), stream)
        assert replay.unmatched() == []

    assert replayed == recorded
    written = path.read_text(encoding="utf-8")
    assert "has no scenario form" not in written  # every block kept (the notes are the file's comments)
    assert "context_management:" in written and "compaction:" in written and "mcp_tool_use:" in written
    # The upstream derived one cleared tool use; the recording keeps the API's own report.
    assert recorded[0]["context_management"]["applied_edits"][0]["cleared_tool_uses"] == 1
