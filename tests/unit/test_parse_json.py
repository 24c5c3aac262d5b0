"""parse_json reads bodies with pydantic-core's parser first and the standard library's after: the two agree.

Whatever the body, ``parse_json`` returns the same value as the standard library's path it replaced, or
refuses it with the same message (the API's wording, from ``json.loads``).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockgw.faces.anthropic.validation import MAX_JSON_DEPTH, InvalidRequest, _parse_json_stdlib, parse_json


def outcome(parse: Any, raw: bytes | str) -> tuple[str, str]:
    """What a parser makes of ``raw``: its value (as JSON, NaN and all), or its refusal's message."""
    try:
        value = parse(raw)
    except InvalidRequest as exc:
        return "refused", exc.message
    return "value", json.dumps(value, sort_keys=False)


def assert_alike(raw: bytes) -> None:
    assert outcome(parse_json, raw) == outcome(_parse_json_stdlib, raw)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(st.characters(codec="utf-8"), max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON, st.booleans(), st.sampled_from([None, (",", ":"), (", ", ": ")]))
def test_valid_json_reads_alike(value, ascii_only, separators):
    assert_alike(json.dumps(value, ensure_ascii=ascii_only, separators=separators).encode())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON, st.data())
def test_broken_json_is_refused_alike(value, data):
    raw = bytearray(json.dumps(value).encode())
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(raw)))
        raw[at:at] = data.draw(st.sampled_from([b"\\", b'"', b",", b"]", b"{", b"\xff", b"\\ud800", b"\x00", b" "]))
    assert_alike(bytes(raw))


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'"\\ud800"', id="lone-high-surrogate-escape"),
        pytest.param(b'["\\udc00", 1]', id="lone-low-surrogate-escape"),
        pytest.param(b'"\xed\xa0\x80"', id="utf-8-encoding-a-surrogate"),
        pytest.param(b"1" * 4301, id="integer-over-4300-digits"),
        pytest.param(b"\xef\xbb\xbf{}", id="utf-8-bom"),
        pytest.param('{"a": "é"}'.encode("utf-16"), id="utf-16"),
        pytest.param(b"[" * 300 + b"]" * 300, id="300-levels"),
        pytest.param(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), id="deeper-than-allowed"),
        pytest.param(b"[NaN, Infinity, -Infinity, 1e400]", id="non-finite-numbers"),
        pytest.param(b'{"a": 1, "a": 2, "b": 3}', id="duplicate-keys"),
        pytest.param(b'{"a": 1} x', id="trailing-text"),
    ],
)
def test_edges_read_alike(raw):
    assert_alike(raw)


@pytest.mark.parametrize("text", ['"\ud800"', '{"a": "\udfff"}', '{"a": 1}'])
def test_text_reads_alike_lone_surrogate_characters_too(text):
    assert outcome(parse_json, text) == outcome(_parse_json_stdlib, text)


def test_non_finite_numbers_are_read_as_python_does():
    assert [math.isnan(parse_json(b"[NaN]")[0]), parse_json(b"[Infinity]")] == [True, [math.inf]]
