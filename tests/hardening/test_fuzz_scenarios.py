"""Fuzzing scenarios: any text either loads or is refused with a ``ScenarioError`` listing its problems.

Never another exception, and every problem names the file, a line inside it (or none), a path and a
message that can be printed. A scenario that loads is then served: it may script any error, but the server
must never fail on it. ``mockgw validate`` exits 2 on a bad file, whatever is in it.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockgw.cli.main import main
from mockgw.core.clock import FakeClock
from mockgw.scenario.loader import ScenarioError, bundled_dir, load_scenario_data, load_scenario_text
from mockgw.scenario.schema import Scenario
from mockgw.testing import MockGateway
from tests.conftest import body, http_call
from tests.hardening.conftest import Records, assert_anthropic_error, assert_no_server_errors, server_logs

SOURCE = "fuzz.yaml"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(FUZZ, max_examples=40)
BUNDLED = {p.stem: p.read_text(encoding="utf-8") for p in sorted(bundled_dir().glob("*.yaml"))}


def schema_keys() -> list[str]:
    """Every key the scenario language knows, read from its JSON Schema (so new keys are fuzzed too)."""
    keys: set[str] = set()
    stack: list[Any] = [Scenario.model_json_schema()]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                keys.update(node["properties"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(keys)


KEYS = schema_keys()


def check_loads_or_explains(text: str) -> Scenario | None:
    """Load ``text``: a Scenario, or None after checking the ScenarioError's problems are well-formed."""
    try:
        return load_scenario_text(text, SOURCE)
    except ScenarioError as exc:
        check_problems(exc, text)
        return None


YAML_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def check_problems(exc: ScenarioError, text: str | None = None) -> None:
    assert exc.problems, "a ScenarioError lists at least one problem"
    # Lines as YAML counts them: NEL, LS and PS break lines too (the loader reports YAML's marks).
    lines = None if text is None else len(YAML_LINE_BREAK.findall(text)) + 1
    for problem in exc.problems:
        assert problem.file == (SOURCE if text is not None else "<fuzz>")
        if problem.line is not None:
            assert problem.line >= 1
            if lines is not None:
                assert problem.line <= lines, (problem, lines)
        assert isinstance(problem.path, str)
        assert isinstance(problem.message, str) and problem.message.strip()
    str(exc).encode("utf-8")  # printable as UTF-8: the CLI prints it, the admin API sends it


# ---------------------------------------------------------------- strategies

ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=200)
YAML_TOKENS = st.sampled_from(
    [*KEYS, ":", ": ", "- ", "-", "\n", "\n  ", "\n    ", "  ", "{", "}", "[", "]", ",", "&a ", "*a", "<<: *a",
     "!!python/object:os.system", "!!binary", "!!str ", "'", '"', "\\ud800", "\\x00", "#", "|", ">-", "---", "...",
     "%YAML 1.1", "? ", "{{ faker.word }}", "{{ request.", "}}", "null", "~", "true", "yes", "1e309", "-1", "0x1f",
     "2024-01-01", ".nan", "\t", "\x00", "\ufeff", "é", "💥"]
)  # fmt: skip
YAMLISH = st.lists(YAML_TOKENS, max_size=40).map("".join)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | ANY_TEXT
    | st.sampled_from(["{{ faker.word }}", "{{ request.last_user }}", "{{ nope }}", "{{", "sk-1", "end_turn", "cycle"])
)
KEYED = st.sampled_from(KEYS) | ANY_TEXT
DOCUMENTS = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYED, inner, max_size=5), max_leaves=15
)
RULES = st.dictionaries(st.sampled_from(KEYS), DOCUMENTS, max_size=5)
TOP_KEYS = [key for key in Scenario.model_fields if key != "rules"]
SCENARIO_LIKE = st.builds(
    lambda rules, rest: {**rest, "rules": rules},
    st.lists(RULES, max_size=4),
    st.dictionaries(st.sampled_from(TOP_KEYS), DOCUMENTS, max_size=3),
)


def dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield (*prefix, key)
        yield from paths_of(child, (*prefix, key))


@st.composite
def mutated_bundled(draw: st.DrawFn) -> str:
    """A bundled scenario with one change: a value replaced, a key deleted or renamed, or its text cut."""
    name = draw(st.sampled_from(sorted(BUNDLED)))
    text = BUNDLED[name]
    how = draw(st.sampled_from(["replace", "delete", "rename", "text"]))
    if how == "text":
        lines = text.splitlines(keepends=True)
        at = draw(st.integers(0, len(lines)))
        edit = draw(st.sampled_from(["drop", "duplicate", "insert"]))
        if edit == "drop" and at < len(lines):
            del lines[at]
        elif edit == "duplicate" and at < len(lines):
            lines.insert(at, lines[at])
        else:
            lines.insert(at, draw(YAMLISH) + "\n")
        return "".join(lines)
    data = yaml.safe_load(text)
    path = draw(st.sampled_from(list(paths_of(data))))
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if how == "replace":
        parent[last] = draw(DOCUMENTS)
    elif how == "delete":
        del parent[last]
    elif isinstance(parent, dict):
        parent[draw(st.sampled_from(KEYS))] = parent.pop(last)
    return dump(data)


# ---------------------------------------------------------------- loading


@FUZZ
@given(text=ANY_TEXT)
def test_any_text_loads_or_lists_its_problems(text: str) -> None:
    check_loads_or_explains(text)


@FUZZ
@given(text=YAMLISH)
def test_yaml_like_text_loads_or_lists_its_problems(text: str) -> None:
    check_loads_or_explains(text)


@FUZZ
@given(data=DOCUMENTS | SCENARIO_LIKE)
def test_any_yaml_document_with_the_schemas_keys_loads_or_lists_its_problems(data: Any) -> None:
    check_loads_or_explains(dump(data))


@FUZZ
@given(data=DOCUMENTS | SCENARIO_LIKE)
def test_any_data_loads_or_lists_its_problems(data: Any) -> None:
    """The same through ``load_scenario_data`` (dicts from Python, JSON from ``PUT /_mockgw/scenario``)."""
    try:
        load_scenario_data(data, "<fuzz>")
    except ScenarioError as exc:
        check_problems(exc)


@FUZZ
@given(text=mutated_bundled())
def test_a_bundled_scenario_with_one_change_loads_or_lists_its_problems(text: str) -> None:
    check_loads_or_explains(text)


@pytest.mark.parametrize(
    "text",
    [
        "rules: " + "[" * 1_500 + "]" * 1_500,
        "rules:\n  - reply: " + "{a: " * 2_000 + "1" + "}" * 2_000,
        "a: &a [*a, *a]\nrules: [*a]\n",
        "base: &b {reply: hi}\nrules:\n  - <<: *b\n    <<: *b\n",
        'rules:\n  - reply: "\\ud800"\n',
        'rules:\n  - {match: {header: {"\\udc00": x}}, reply: hi}\n',
        "rules:\n  - reply: !!python/object/apply:os.system [echo hi]\n",
        "\x00rules: []",
        "\ufeffrules: []\n\ufeff",
        "rules:\n" + "  - reply: x\n" * 2_000 + "  - reply: {{\n",
    ],
    ids=["deep-flow", "deep-mapping", "alias-cycle", "double-merge", "lone-surrogate", "surrogate-key",
         "python-tag", "nul", "bom", "long-file"],
)  # fmt: skip
def test_a_hostile_file_loads_or_lists_its_problems(text: str) -> None:
    check_loads_or_explains(text)


# ---------------------------------------------------------------- serving what loads


@pytest.fixture(scope="module")
def logs() -> Iterator[Records]:
    with server_logs(logging.WARNING) as records:
        yield records


@pytest.fixture(scope="module")
def gw(logs: Records) -> Iterator[MockGateway]:
    # A fake clock: scripted stalls and delays pass at once, so a scenario can script any timing.
    with MockGateway({"rules": [{"reply": "start"}]}, clock=FakeClock(), seed=3) as gateway:
        yield gateway


def serve_once(gw: MockGateway, scenario: Scenario, stream: bool) -> None:
    """One request against ``scenario``: any scripted answer is fine, a failure of the server is not."""
    gw.load(scenario)
    try:
        answer = http_call(f"{gw.url}/v1/messages", json_body=body("hello", stream=stream))
    except (OSError, http.client.HTTPException) as exc:  # a scripted drop: RemoteDisconnected, IncompleteRead
        assert gw.journal.last.error == "disconnected (fault)" or "disconnected" in str(gw.journal.last.error), exc
        return
    assert b"Traceback" not in answer.body
    if answer.status >= 400:
        assert_anthropic_error(answer)  # type: ignore[arg-type]


@FUZZ
@given(text=mutated_bundled(), stream=st.booleans())
def test_a_bundled_scenario_with_one_change_that_loads_is_served(
    gw: MockGateway, logs: Records, text: str, stream: bool
) -> None:
    scenario = check_loads_or_explains(text)
    if scenario is not None:
        serve_once(gw, scenario, stream)
    assert_no_server_errors(logs)


@FEW
@given(data=SCENARIO_LIKE, stream=st.booleans())
def test_a_random_scenario_that_loads_is_served(gw: MockGateway, logs: Records, data: Any, stream: bool) -> None:
    scenario = check_loads_or_explains(dump(data))
    if scenario is not None:
        serve_once(gw, scenario, stream)
    assert_no_server_errors(logs)


@FEW
@given(text=YAMLISH | mutated_bundled(), as_json=st.booleans())
def test_any_scenario_put_over_http_is_served_or_refused_with_problems(
    gw: MockGateway, logs: Records, text: str, as_json: bool
) -> None:
    if as_json:
        try:
            raw = json.dumps(yaml.safe_load(text)).encode()
        except (yaml.YAMLError, ValueError, TypeError):
            raw = text.encode("utf-8", "surrogatepass")
    else:
        raw = text.encode("utf-8", "surrogatepass")
    content_type = "application/json" if as_json else "application/yaml"
    answer = http_call(f"{gw.url}/_mockgw/scenario", "PUT", body=raw, headers={"content-type": content_type})
    assert answer.status in (200, 400), answer
    if answer.status == 400:
        data = assert_anthropic_error(answer)  # type: ignore[arg-type]
        for problem in data.get("problems", []):
            assert set(problem) == {"line", "path", "message"}
    assert_no_server_errors(logs)


# ---------------------------------------------------------------- mockgw validate


def validate(path: Path) -> tuple[int, str]:
    """``mockgw validate PATH`` in this process, stderr encoded as Python's own stderr is."""
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        code = main(["validate", str(path)])
    err.flush()
    return code, err.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("validate")


@FEW
@given(text=ANY_TEXT | YAMLISH | mutated_bundled())
def test_validate_exits_0_or_2_and_prints_each_problem(folder: Path, text: str) -> None:
    path = folder / "scenario.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    code, err = validate(path)
    assert code in (0, 2)
    if code == 2:
        assert err.rstrip().endswith("nothing served."), err
        assert str(path) in err


@pytest.mark.parametrize(
    "content",
    [b"rules: " + b"[" * 1_500, b'rules:\n  - reply: "\\ud800"\n'],
    ids=["deep", "lone-surrogate"],
)
def test_validate_as_a_command_exits_2_with_problems_not_a_traceback(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    done = subprocess.run(
        [sys.executable, "-m", "mockgw", "validate", str(path)], capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 2, done
    assert b"Traceback" not in done.stderr
    assert str(path).encode() in done.stderr


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00r\x00u", b"\x00\x01\x02", b"", b"rules:\n  - reply: \xed\xa0\x80\n"],
    ids=["utf16-ish", "binary", "empty", "utf8-encoded-surrogate"],
)
def test_validate_exits_2_on_a_file_that_is_not_text(folder: Path, content: bytes) -> None:
    path = folder / "not-text.yaml"
    path.write_bytes(content)
    code, err = validate(path)
    assert code == 2
    assert f"{path}:" in err
