"""docs/testing.md shows only code that runs: each block is copied verbatim from docs/examples/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = DOCS / "testing.md"
EXAMPLES = DOCS / "examples"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(PAGE.read_text(encoding="utf-8")) if lang == language]


def sources(pattern: str) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob(pattern)))


@pytest.mark.parametrize(
    ("language", "pattern"),
    [("python", "test_*.py"), ("yaml", "*.yaml")],
)
def test_every_code_block_is_copied_from_an_example_that_runs(language: str, pattern: str) -> None:
    code = sources(pattern)
    found = blocks(language)
    assert found, f"no {language} blocks in {PAGE.name}"
    missing = [block for block in found if block not in code]
    assert not missing, f"not found verbatim in docs/examples/{pattern}:\n" + "\n---\n".join(missing)
