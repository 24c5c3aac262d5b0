"""The official openai Python SDK against ``/v1/embeddings``: deterministic vectors that rank sensibly.

The SDK asks for base64 unless told otherwise and decodes it; the float form is checked too, and both give the
same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import openai
import pytest

from tests.conftest import GatewayFactory, http_call

MODEL = "openai/text-embedding-3-small"
ALWAYS = {"seed": 3, "rules": [{"reply": "unused: embeddings answer with vectors"}]}


def client(gw: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key="sk-test", max_retries=0)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))  # the vectors are unit length


def vectors(gw: Any, texts: list[str], **kwargs: Any) -> list[list[float]]:
    done = client(gw).embeddings.create(model=MODEL, input=texts, **kwargs)
    return [d.embedding for d in done.data]


def test_the_same_text_gives_the_same_unit_vector(gateway: GatewayFactory) -> None:
    first, second = vectors(gateway(ALWAYS), ["the cat sat", "the cat sat"])
    assert first == second
    assert len(first) == 1536
    assert math.isclose(math.sqrt(sum(v * v for v in first)), 1.0, rel_tol=1e-5)


def test_another_gateway_with_the_same_seed_gives_the_same_vector_and_another_seed_does_not(
    gateway: GatewayFactory,
) -> None:
    one = vectors(gateway(ALWAYS), ["retrieval"])
    same = vectors(gateway(ALWAYS), ["retrieval"])
    other = vectors(gateway({**ALWAYS, "seed": 4}), ["retrieval"])
    assert one == same
    assert one != other


def test_texts_sharing_words_come_out_closer(gateway: GatewayFactory) -> None:
    query, near, far = vectors(
        gateway(ALWAYS), ["how do I reset my password", "password reset steps", "banana bread recipe"]
    )
    assert cosine(query, near) > cosine(query, far) + 0.2


def test_dimensions_and_both_encodings_agree(gateway: GatewayFactory) -> None:
    gw = gateway(ALWAYS)
    (as_base64,) = vectors(gw, ["one two"], dimensions=256)
    (as_floats,) = vectors(gw, ["one two"], dimensions=256, encoding_format="float")
    assert len(as_base64) == 256
    assert as_base64 == pytest.approx(as_floats, abs=1e-7)


def test_usage_counts_the_input(gateway: GatewayFactory) -> None:
    done = client(gateway(ALWAYS)).embeddings.create(model=MODEL, input=["abcdefgh", "abcd"])
    assert (done.usage.prompt_tokens, done.usage.total_tokens) == (3, 3)
    assert [d.index for d in done.data] == [0, 1]
    assert done.model == MODEL


def test_rules_match_embedding_requests_by_face_and_input(gateway: GatewayFactory) -> None:
    gw = gateway(
        {
            "rules": [
                {"match": {"face": "openai-embeddings", "last_user": "poison"}, "error": {"status": 429}},
                {"match": {"face": "openai-embeddings"}, "reply": "vector"},
            ]
        }
    )
    assert len(vectors(gw, ["fine text"])[0]) == 1536
    with pytest.raises(openai.RateLimitError):
        vectors(gw, ["poison pill"])
    assert gw.journal.last.face == "openai-embeddings"


@pytest.mark.parametrize(
    ("body", "param"),
    [({"model": MODEL}, "input"), ({"input": "x"}, "model"), ({"model": MODEL, "input": []}, "input")],
)
def test_bad_embedding_requests_get_the_apis_400(gateway: GatewayFactory, body: Any, param: str) -> None:
    raw = http_call(gateway(ALWAYS).url + "/v1/embeddings", json_body=body)
    assert raw.status == 400
    assert raw.json()["error"]["param"] == param
