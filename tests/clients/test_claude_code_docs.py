"""docs/claude-code.md runs as written: each recipe's `sh` blocks, in one shell per section, print exactly the
`text` block that follows them.

Like a new user: `mockgw` and `claude` on PATH, an empty HOME, nothing else of ours in the environment.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "claude-code.md"
MARKER = "@@mockgw-docs-block@@"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


@dataclass
class Block:
    script: str
    expected: str | None  # the text block right after it, if any


def sections() -> list[pytest.ParameterSet]:
    params = []
    for section in re.split(r"^## ", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]:
        title = section.splitlines()[0]
        fences = [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(section)]
        blocks = []
        for i, (lang, body, _, end) in enumerate(fences):
            if lang != "sh":
                continue
            after = fences[i + 1] if i + 1 < len(fences) else None
            follows = after is not None and after[0] == "text" and not section[end : after[2]].strip()
            blocks.append(Block(body, after[1] if follows and after else None))
        if blocks:
            params.append(pytest.param(blocks, id=re.sub(r"\W+", "-", title.lower()).strip("-")))
    return params


def test_the_doc_has_a_recipe_for_each_promise() -> None:
    titles = [p.id for p in sections()]
    assert titles == [
        "recipe-script-an-agent-s-tool-loop",
        "recipe-reproduce-an-api-failure",
        "recipe-test-claude-code-hooks-or-a-ci-job-without-a-provider",
        "recipe-model-overrides-through-the-gateway-s-variables",
    ]


@pytest.mark.parametrize("blocks", sections())
def test_recipe_runs_as_written(blocks: list[Block], new_user_env: dict[str, str], jq_bin: str, workdir: Path) -> None:
    script = "set -e -o pipefail\n" + "".join(f"{b.script}echo {MARKER}\n" for b in blocks)

    done = subprocess.run(
        ["bash", "-c", script],
        cwd=workdir,
        env=new_user_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )

    outputs = done.stdout.split(f"{MARKER}\n")
    assert done.returncode == 0 and len(outputs) == len(blocks) + 1, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    for block, output in zip(blocks, outputs, strict=False):
        if block.expected is not None:
            assert output == block.expected, f"the block\n{block.script}\nprinted\n{output}\nstderr:\n{done.stderr}"
