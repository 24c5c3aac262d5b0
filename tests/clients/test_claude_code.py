"""Claude Code itself against mockgw: `claude -p` in every output format, a real tool loop, thinking,
failures and retries, model overrides, `/context` and gateway model discovery.

Every run gets an empty working folder and HOME, CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK=1 (else a broken
stream is silently retried without streaming and passes) and CLAUDE_CODE_MAX_RETRIES=1 (see conftest.py).
The journal shows what Claude Code sent; its output shows what it made of the answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mockgw.core.journal import JournalEntry
from mockgw.testing import MockGateway

GatewayFactory = Callable[..., MockGateway]
ClaudeRunner = Callable[..., Any]  # the `claude` fixture of conftest.py; it returns a ClaudeRun
ClaudeRun = Any
Tapped = Any
HELLO = "Hello from mockgw to Claude Code."


def messages_calls(gw: MockGateway) -> list[JournalEntry]:
    return [e for e in gw.journal if e.path.startswith("/v1/messages?") or e.path == "/v1/messages"]


def failure(run: ClaudeRun) -> str:
    return f"exit {run.returncode}\nstdout: {run.stdout[-2000:]}\nstderr: {run.stderr[-2000:]}"


def text_blocks(message: dict[str, Any]) -> str:
    return "".join(b["text"] for b in message["content"] if b["type"] == "text")


# ---------------------------------------------------------------- claude -p, every output format


def result_of_text(run: ClaudeRun) -> str:
    return run.stdout


def result_of_json(run: ClaudeRun) -> str:
    result = run.json()
    assert (result["type"], result["is_error"], result["num_turns"]) == ("result", False, 1)
    return str(result["result"]) + "\n"


def result_of_stream_json(run: ClaudeRun) -> str:
    events = run.events()
    assert events[0]["type"] == "system" and events[0]["subtype"] == "init"
    streamed = "".join(text_blocks(e["message"]) for e in events if e["type"] == "assistant")
    assert streamed == HELLO  # the assistant events carry the text mockgw streamed
    assert events[-1]["type"] == "result" and events[-1]["is_error"] is False
    return str(events[-1]["result"]) + "\n"


@pytest.mark.parametrize(
    ("args", "result_of"),
    [
        ([], result_of_text),
        (["--output-format", "text"], result_of_text),
        (["--output-format", "json"], result_of_json),
        (["--output-format", "stream-json", "--verbose"], result_of_stream_json),
    ],
    ids=["default", "text", "json", "stream-json"],
)
def test_claude_p_prints_the_scripted_answer_in_each_output_format(
    gateway: GatewayFactory, claude: ClaudeRunner, args: list[str], result_of: Callable[[ClaudeRun], str]
) -> None:
    gw = gateway({"rules": [{"reply": HELLO}]})

    run = claude(["-p", "say hello", *args], gw)

    assert run.returncode == 0, failure(run)
    assert result_of(run) == HELLO + "\n"
    [call] = messages_calls(gw)
    assert (call.method, call.path, call.status, call.stream) == ("POST", "/v1/messages?beta=true", 200, True)
    assert call.headers["authorization"] == "[redacted]"  # Bearer, from ANTHROPIC_AUTH_TOKEN


# ---------------------------------------------------------------- the tool loop


def test_tool_loop_runs_bash_then_write_and_answers_from_the_tool_result(
    gateway: GatewayFactory, claude: ClaudeRunner, workdir: Path
) -> None:
    gw = gateway("claude-code-agent-loop")

    run = claude(["-p", "set up the build folder", "--allowedTools", "Bash,Write", "--output-format", "json"], gw)

    assert run.returncode == 0, failure(run)
    assert run.json()["result"] == "Done: Bash created build/status.txt and Write created REPORT.md."
    assert (workdir / "build" / "status.txt").read_text() == "built by mockgw\n"
    assert (
        workdir / "REPORT.md"
    ).read_text() == "# Build report\n\nbuild/status.txt was written by a scripted agent.\n"
    calls = messages_calls(gw)
    assert [c.rule for c in calls] == ["run-bash", "write-report", "final-answer"]
    # What Bash printed came back as the tool_result: Claude Code really ran `pwd` in the working folder.
    bash_result = calls[1].body["messages"][-1]["content"][0]
    assert bash_result["type"] == "tool_result"
    assert bash_result["content"] == str(workdir)


def test_claude_code_tool_loop_scenario_takes_its_scripted_path_for_claude_codes_own_requests(
    gateway: GatewayFactory, claude: ClaudeRunner
) -> None:
    """What Claude Code really sends (a role: system message, reminders in the user turn, its whole tool set,
    a session header) reaches the rules scenarios/claude-code-tool-loop.yaml scripts for it."""
    gw = gateway("claude-code-tool-loop")

    run = claude(["-p", "say hello", "--allowedTools", "Bash", "--output-format", "json"], gw)

    assert run.returncode == 0, failure(run)
    assert run.json()["result"] == "The command ran and printed: hello from mockgw. All done."
    first, second = messages_calls(gw)
    assert (first.rule, second.rule) == ("run-bash", "final-answer")
    assert first.session == second.session == first.headers["x-claude-code-session-id"]
    assert "Bash" in {tool.get("name") for tool in first.body["tools"]}
    assert second.body["messages"][-1]["content"][0]["type"] == "tool_result"


def test_tools_not_allowed_come_back_as_errors_and_nothing_is_written(
    gateway: GatewayFactory, claude: ClaudeRunner, workdir: Path
) -> None:
    gw = gateway("claude-code-agent-loop")

    run = claude(["-p", "set up the build folder", "--output-format", "json"], gw)

    assert run.returncode == 0, failure(run)
    assert run.json()["result"].startswith("A tool call did not go through")
    assert [c.rule for c in messages_calls(gw)] == ["run-bash", "tool-failed"]
    assert list(workdir.iterdir()) == []


# ---------------------------------------------------------------- thinking


THINKING = {
    "rules": [
        {
            "name": "answer",
            "match": {"tool_result": {"name": "Bash"}},
            "reply": [{"thinking": "The command printed {{ request.tool_result }}."}, {"text": "It said hi."}],
        },
        {
            "name": "think-then-call",
            "match": {"tools": "Bash"},
            "reply": [
                {"thinking": "I should run a command first.", "signature": "EqQBmockgwSignatureOfTheFirstTurn"},
                {"tool_use": {"name": "Bash", "input": {"command": "echo hi", "description": "Say hi"}}},
            ],
        },
    ]
}


def test_thinking_block_and_its_signature_come_back_in_the_next_request(
    gateway: GatewayFactory, claude: ClaudeRunner
) -> None:
    gw = gateway(THINKING)

    run = claude(["-p", "think, then run", "--allowedTools", "Bash", "--output-format", "stream-json", "--verbose"], gw)

    assert run.returncode == 0, failure(run)
    assert run.events()[-1]["result"] == "It said hi."
    first, second = messages_calls(gw)
    assert first.body["thinking"]["type"] == "adaptive"  # Claude Code asks for thinking
    assistant = next(m for m in second.body["messages"] if m["role"] == "assistant")
    assert assistant["content"][0] == {
        "type": "thinking",
        "thinking": "I should run a command first.",
        "signature": "EqQBmockgwSignatureOfTheFirstTurn",
    }
    assert assistant["content"][1]["type"] == "tool_use"


def test_a_generated_signature_reaches_claude_code_as_sent(gateway: GatewayFactory, claude: ClaudeRunner) -> None:
    gw = gateway(THINKING)

    run = claude(["-p", "think, then run", "--allowedTools", "Bash", "--output-format", "stream-json", "--verbose"], gw)

    assert run.returncode == 0, failure(run)
    thinking = [
        block
        for event in run.events()
        if event["type"] == "assistant"
        for block in event["message"]["content"]
        if block["type"] == "thinking"
    ]
    assert [b["thinking"] for b in thinking] == ["I should run a command first.", "The command printed hi."]
    assert thinking[1]["signature"].startswith("EqQB") and len(thinking[1]["signature"]) > 40


# ---------------------------------------------------------------- failures


def test_a_429_with_retry_after_is_waited_out_and_retried(gateway: GatewayFactory, claude: ClaudeRunner) -> None:
    gw = gateway("claude-code-failures")

    run = claude(
        ["-p", "hi", "--output-format", "json"], gw, extra_env={"ANTHROPIC_CUSTOM_HEADERS": "x-fail: rate-limit"}
    )

    assert run.returncode == 0, failure(run)
    assert run.json()["result"] == "Recovered: this answer came after a rate limit and one retry."
    limited, answered = messages_calls(gw)
    assert (limited.status, answered.status) == (429, 200)
    assert answered.time - limited.time >= 0.9  # retry-after: 1 is honoured (a generous lower bound)


@pytest.mark.parametrize(
    ("fail", "answers", "api_error_status", "reported"),
    [
        # "Not logged in" is how Claude Code reports an authentication failure.
        ("bad-key", [(401, []), (401, [])], 401, "Not logged in"),
        ("overloaded", [(529, []), (529, [])], 529, "529 Overloaded"),
        # HTTP 200, some text, then event: error and no message_stop; not retried, not silently passed.
        ("cut-stream", [(200, ["error"])], 529, "API Error: Overloaded"),
    ],
    ids=["bad-key", "overloaded", "cut-stream"],
)
def test_an_api_failure_is_reported_as_an_error_with_exit_1(
    gateway: GatewayFactory,
    claude: ClaudeRunner,
    fail: str,
    answers: list[tuple[int, list[str]]],
    api_error_status: int,
    reported: str,
) -> None:
    gw = gateway("claude-code-failures")

    run = claude(["-p", "hi", "--output-format", "json"], gw, extra_env={"ANTHROPIC_CUSTOM_HEADERS": f"x-fail: {fail}"})

    assert run.returncode == 1, failure(run)
    result = run.json()
    assert (result["is_error"], result["api_error_status"]) == (True, api_error_status)
    assert reported in result["result"]
    # Each attempt's status and last event: 1 + CLAUDE_CODE_MAX_RETRIES attempts, or one cut-off stream.
    assert [(c.status, c.events[-1:]) for c in messages_calls(gw)] == answers


# ---------------------------------------------------------------- model overrides


@pytest.mark.parametrize(
    ("env", "args", "model", "rule"),
    [
        ({"ANTHROPIC_MODEL": "anthropic/claude-sonnet-4.5"}, [], "anthropic/claude-sonnet-4.5", "anthropic-prefixed"),
        ({"ANTHROPIC_DEFAULT_SONNET_MODEL": "zai/glm-4.7"}, ["--model", "sonnet"], "zai/glm-4.7", "glm"),
        ({"ANTHROPIC_DEFAULT_OPUS_MODEL": "claude-mockgw-1"}, ["--model", "opus"], "claude-mockgw-1", "any-model"),
        (
            {"ANTHROPIC_DEFAULT_HAIKU_MODEL": "anthropic/claude-haiku-4.5"},
            ["--model", "haiku"],
            "anthropic/claude-haiku-4.5",
            "anthropic-prefixed",
        ),
        ({}, ["--model", "zai/glm-4.7"], "zai/glm-4.7", "glm"),
    ],
    ids=["ANTHROPIC_MODEL", "DEFAULT_SONNET", "DEFAULT_OPUS", "DEFAULT_HAIKU", "--model"],
)
def test_model_overrides_reach_mockgw_and_a_model_rule_answers(
    gateway: GatewayFactory, claude: ClaudeRunner, env: dict[str, str], args: list[str], model: str, rule: str
) -> None:
    gw = gateway("claude-code-models")

    run = claude(["-p", "which model?", *args, "--output-format", "json"], gw, extra_env=env)

    assert run.returncode == 0, failure(run)
    [call] = messages_calls(gw)
    assert (call.model, call.rule) == (model, rule)
    assert model in run.json()["result"]


# ---------------------------------------------------------------- /context and model discovery


def test_context_counts_tokens_through_count_tokens(
    gateway: GatewayFactory, claude: ClaudeRunner, route_tap: list[Tapped]
) -> None:
    gw = gateway("claude-code-models")

    run = claude(["-p", "/context"], gw)

    assert run.returncode == 0, failure(run)
    assert run.stdout.startswith("## Context Usage")
    assert "| System tools |" in run.stdout
    counted = [t for t in route_tap if t.path.startswith("/v1/messages/count_tokens")]
    assert counted, "Claude Code did not call count_tokens"
    assert {(t.method, t.path, t.status) for t in counted} == {("POST", "/v1/messages/count_tokens?beta=true", 200)}
    assert messages_calls(gw) == []  # /context answers without asking the model


def test_gateway_model_discovery_finds_the_scenarios_claude_models(
    gateway: GatewayFactory, claude: ClaudeRunner, home: Path, route_tap: list[Tapped]
) -> None:
    gw = gateway("claude-code-models")

    run = claude(
        ["-p", "hi", "--model", "claude-mockgw-1"], gw, extra_env={"CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY": "1"}
    )

    assert run.returncode == 0, failure(run)
    assert [(t.method, t.path, t.status) for t in route_tap] == [("GET", "/v1/models?limit=1000", 200)]
    cache = json.loads((home / ".claude" / "cache" / "gateway-models.json").read_text())
    assert cache["baseUrl"] == gw.url
    # Claude Code keeps the ids that start with claude or anthropic: zai/glm-4.7 is served, not discovered.
    assert cache["models"] == [
        {"id": "anthropic/claude-sonnet-4.5", "display_name": "Claude Sonnet 4.5 (gateway)"},
        {"id": "anthropic/claude-haiku-4.5", "display_name": "Claude Haiku 4.5 (gateway)"},
        {"id": "claude-mockgw-1", "display_name": "mockgw test model"},
    ]
    assert [c.model for c in messages_calls(gw)] == ["claude-mockgw-1"]
