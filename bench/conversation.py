"""Claude Code-shaped conversations of a chosen size, for benchmark 5 (cost growth with the request's size).

A long Claude Code session sends its whole history on every turn: the first turn's system blocks and tool
definitions, then many turns of an assistant text plus a ``tool_use`` (Read, Bash, Grep, Edit, ...) answered
by a user ``tool_result`` carrying a file's or a command's output, now and then a typed user message and the
assistant's answer. ``conversation(size)`` builds such a body, as compact UTF-8 JSON (as Node's
``JSON.stringify`` sends it: non-ASCII characters unescaped), of about ``size`` bytes, the same bytes for the
same size. It starts from ``tests/fixtures/agent-first-turn.json`` (Claude Code's first-turn structure in our
own words), with only as many tool definitions as fit a small target, and ends on a ``tool_result`` turn as
most requests of an agent loop do.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIRST_TURN = ROOT / "tests" / "fixtures" / "agent-first-turn.json"

# Words of the texts: code, prose and a few non-ASCII ones (accents, CJK, an emoji), so the parser meets
# multi-byte UTF-8 and JSON escapes (quotes, newlines, tabs) as it does in real file contents.
_WORDS = """
def class return import self value config request response handler error test assert None True
the a of to and in is that for with as on by this it be are from or an which
résumé naïve café 東京 設定 ✓ 🚀 "quoted" path/to/file.py \\n
"""
WORDS = (*_WORDS.split(), "\ttab")
# The fixture's names for Claude Code's Read, Bash, Grep, Glob and Edit.
TOOLS = ("ReadFile", "RunShell", "SearchText", "FindFiles", "EditFile")


def _text(rng: random.Random, chars: int) -> str:
    """About ``chars`` characters of code-like lines."""
    lines, size = [], 0
    while size < chars:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14)))
        lines.append(f"{len(lines) + 1:>5}\t{line}")
        size += len(line) + 7
    return "\n".join(lines)


def _tool_input(rng: random.Random, tool: str, n: int) -> dict[str, Any]:
    path = f"/home/dev/project/src/module_{n % 37}/part_{rng.randint(1, 99)}.py"
    return {
        "ReadFile": {"file_path": path},
        "RunShell": {"command": f"pytest -q tests/test_{n % 23}.py -k case_{n}", "description": "Run the tests"},
        "SearchText": {"pattern": f"def handler_{n}", "path": "/home/dev/project", "output_mode": "content"},
        "FindFiles": {"pattern": "**/*.py", "path": f"/home/dev/project/src/module_{n % 37}"},
        "EditFile": {"file_path": path, "old_string": _text(rng, 120), "new_string": _text(rng, 140)},
    }[tool]


def _first_turn(size: int) -> dict[str, Any]:
    """The fixture's first turn, its tool definitions cut so that they take at most a third of ``size``."""
    body: dict[str, Any] = json.loads(FIRST_TURN.read_text())["body"]
    body["stream"] = False
    tools = body["tools"]
    while len(tools) > 1 and len(json.dumps(tools)) > size // 3:
        tools.pop()
    return body


def conversation(size: int, seed: int = 14) -> bytes:
    """A Claude Code-shaped ``/v1/messages`` body of about ``size`` bytes (at least ``size``, a turn over)."""
    rng = random.Random(seed)
    body = _first_turn(size)
    messages: list[dict[str, Any]] = body["messages"]
    tool_names = {tool["name"] for tool in body["tools"]}
    # Long results grow with the conversation, up to what Claude Code's Read sends for a big file.
    longest = max(400, min(size // 25, 40_000))
    used = len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    n = 0
    while used < size:
        n += 1
        if n % 7 == 0:  # now and then the user types, and the assistant answers in text
            turns: list[dict[str, Any]] = [
                {"role": "assistant", "content": [{"type": "text", "text": _text(rng, rng.randint(200, 1500))}]},
                {"role": "user", "content": [{"type": "text", "text": _text(rng, rng.randint(40, 400))}]},
            ]
        else:
            tool = rng.choice(TOOLS)
            call_id = f"toolu_01{rng.getrandbits(80):020x}"
            turns = [
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": _text(rng, rng.randint(60, 400))},
                        {
                            "type": "tool_use",
                            "id": call_id,
                            "name": tool if tool in tool_names else next(iter(tool_names)),
                            "input": _tool_input(rng, tool, n),
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": call_id,
                            "content": _text(rng, rng.randint(200, longest)),
                        }
                    ],
                },
            ]
        messages += turns
        used += sum(len(json.dumps(t, ensure_ascii=False, separators=(",", ":")).encode()) + 1 for t in turns)
    if messages[-1]["content"][0]["type"] != "tool_result":  # end on an agent loop's tool result
        messages.pop()
        messages.pop()
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
