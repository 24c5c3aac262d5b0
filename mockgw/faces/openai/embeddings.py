"""``POST /v1/embeddings``: deterministic vectors from the seed and the text.

A text's vector is the sum of one pseudo-random unit-scale vector per word (lower-cased ``\\w+`` runs), fixed
by the scenario's seed and the word, then normalised to length 1. So the same text always gives the same
vector, and texts that share words come out closer (a higher cosine similarity) than texts that share none:
retrieval tests rank the way a person would expect, with no model. ``dimensions`` sets the length (default
1536, text-embedding-3-small's); ``encoding_format: base64`` sends little-endian float32 bytes, as the API
does (the openai Python SDK asks for base64 unless told otherwise, and decodes it).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockgw.core.answer import tokens
from mockgw.core.faces import OPENAI_EMBEDDINGS
from mockgw.core.request import RequestView
from mockgw.faces.openai.errors import OpenAIError
from mockgw.faces.openai.parse import certainly_valid_embeddings, neutral_view
from mockgw.faces.openai.wire import EmbeddingCreateParams, validate

DEFAULT_DIMENSIONS = 1536
MAX_INPUTS = 2048  # the API's limit on inputs per request
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class EmbeddingsRequest:
    """A checked embeddings request: what the answer reads, and the view rules match on."""

    model: str
    view: RequestView
    texts: tuple[str, ...]
    dimensions: int
    encoding_format: str | None


def _texts(value: str | list[str] | list[int] | list[list[int]]) -> tuple[str, ...]:
    """The inputs as text (token arrays, which name no text here, as their numbers)."""
    if isinstance(value, str):
        return (value,)
    out: list[str] = []
    for v in value:
        if isinstance(v, int):  # one token array: one input
            return (" ".join(map(str, value)),)
        out.append(v if isinstance(v, str) else " ".join(map(str, v)))
    return tuple(out)


def parse_embeddings(body: Any, headers: Mapping[str, str], session: str) -> EmbeddingsRequest:
    """The request, checked, with a view whose last user text is the inputs (one per line).

    Read from the JSON itself: the model is built only when ``certainly_valid_embeddings`` is unsure, to word
    the 400 of a bad request."""
    if not certainly_valid_embeddings(body):
        validate(EmbeddingCreateParams, body)
    texts = _texts(body["input"])
    if not texts:
        raise OpenAIError("'$.input' is invalid: an empty array.", param="input", code="invalid_value")
    if len(texts) > MAX_INPUTS:
        raise OpenAIError(f"'$.input' has more than {MAX_INPUTS} items.", param="input", code="invalid_value")
    if any(t == "" for t in texts):
        raise OpenAIError("'$.input' is invalid: an input is an empty string.", param="input", code="invalid_value")
    joined = "\n".join(texts)
    model = body["model"]
    neutral = {"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": joined}]}
    view = neutral_view(neutral, headers, session, OPENAI_EMBEDDINGS, None)  # body predicates read the neutral
    dimensions = body.get("dimensions") or DEFAULT_DIMENSIONS
    return EmbeddingsRequest(model, view, texts, dimensions, body.get("encoding_format"))


@functools.lru_cache(maxsize=8192)
def _word_vector(seed: int, word: str, dimensions: int) -> tuple[float, ...]:
    """A vector in [-1, 1)^n fixed by seed and word (SHAKE-256: the same on every run and machine)."""
    raw = hashlib.shake_256(f"{seed}\x00{word}".encode()).digest(2 * dimensions)
    return tuple(n / 32768.0 for n in struct.unpack(f"<{dimensions}h", raw))


def embed(text: str, seed: int, dimensions: int) -> list[float]:
    """The unit vector of ``text``: the normalised sum of its words' vectors."""
    words = _WORD.findall(text.lower()) or [text]
    total = [0.0] * dimensions
    for word in words:
        total = [a + b for a, b in zip(total, _word_vector(seed, word, dimensions), strict=True)]
    norm = math.sqrt(sum(v * v for v in total)) or 1.0
    return [v / norm for v in total]


def _encode(vector: Sequence[float], encoding: str | None) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    # float32 precision, as the API's floats carry: the same numbers whether sent as floats or base64.
    return [struct.unpack("<f", struct.pack("<f", v))[0] for v in vector]


def embeddings_object(request: EmbeddingsRequest, seed: int) -> dict[str, Any]:
    """The ``list`` of embeddings, with usage (4 characters a token, the project's one rule)."""
    encoding = request.encoding_format
    data = [
        {"object": "embedding", "index": i, "embedding": _encode(embed(text, seed, request.dimensions), encoding)}
        for i, text in enumerate(request.texts)
    ]
    used = sum(tokens(len(t)) for t in request.texts)
    return {
        "object": "list",
        "data": data,
        "model": request.model,
        "usage": {"prompt_tokens": used, "total_tokens": used},
    }
