"""Where an answer's randomness comes from: (seed, session, the session's request number).

Every random byte of an answer (ids, signatures, redacted data, faker text, ``json: auto`` and ``input: auto``
values, stream jitter) is drawn from the ``Draws`` of its request, and a request's ``Draws`` is a function of
the engine's seed, the request's session and the session's request number alone. So the same requests in one
session give the same bytes whatever other sessions (or tests, or threads of a load test) do meanwhile, and
in whatever order they interleave. An unseeded engine draws a fresh random root instead of the seed's: random
per process (and per full reset), still independent between sessions.

Each source inside a request is a stream of its own (ids per kind, content, jitter, faker), so a template
that calls faker, or a reply that gains a tool call, does not move the message id or the jitter.

Cheap and lazy: a request's ``Draws`` costs one hash; ids are hashed from the key (about a µs each, nothing
set up); a ``random.Random`` is seeded (about 5 µs) only for a source the answer reads.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from mockgw.core.answer import Ids

if TYPE_CHECKING:
    from faker import Faker


def root_of(seed: int | None) -> bytes:
    """What every key of an engine derives from: the seed's bytes, or fresh random ones when unseeded."""
    if seed is None:
        return b"r" + secrets.token_bytes(16)
    return b"s" + str(seed).encode()


class RequestKeys:
    """Request keys of one root: the hash state of the root is made once, and copied per request (half the
    cost of hashing the root again, for the same bytes)."""

    __slots__ = ("_base",)

    def __init__(self, root: bytes) -> None:
        self._base = hashlib.blake2b(root, digest_size=16, person=b"mockgw-request")

    def __call__(self, session: str, number: int) -> bytes:
        """The key of the ``number``-th request (from 1) of ``session``: every source of its ``Draws`` hashes it."""
        name = session.encode("utf-8", "surrogatepass")
        hasher = self._base.copy()
        # Length-prefixed, so no (session, number) pair spells another's bytes.
        hasher.update(len(name).to_bytes(4, "little") + name + number.to_bytes(8, "little", signed=True))
        return hasher.digest()


def request_key(root: bytes, session: str, number: int) -> bytes:
    """The key of the ``number``-th request (from 1) of ``session`` under ``root`` (see ``RequestKeys``)."""
    return RequestKeys(root)(session, number)


def gateway_key(root: bytes) -> bytes:
    """The key of what no one request owns (batch and file ids, the request id of a request refused before
    a rule is chosen): seeded, but drawn in the order the gateway serves them."""
    return hashlib.blake2b(root, digest_size=16, person=b"mockgw-gateway").digest()


def seeded_random(key: bytes, stream: bytes) -> random.Random:
    """A generator for one named stream of ``key``."""
    return random.Random(int.from_bytes(hashlib.blake2b(key + stream, digest_size=16).digest(), "little"))


class Draws:
    """One request's random sources, each made on first use.

    ``ids``: message, tool, signature… ids (``core.answer.Ids``, one stream per kind); ``content()``: the
    generator of ``json: auto`` and ``input: auto``; ``jitter()``: the stream's jitter; ``faker()``: the
    engine's Faker, drawing from this request's own generator (so requests that interleave across an await
    never draw from each other's); ``word()`` / ``sentence()``: the schema generator's faker words.
    """

    __slots__ = ("_content", "_faker", "_faker_random", "_jitter", "ids", "key")

    def __init__(self, key: bytes, faker: Callable[[], Faker] | None = None) -> None:
        self.key = key
        self.ids = Ids(key)
        self._faker = faker
        self._content: random.Random | None = None
        self._jitter: random.Random | None = None
        self._faker_random: random.Random | None = None

    @classmethod
    def detached(cls) -> Draws:
        """Draws of no engine: random (tests and tools that render without one)."""
        return cls(request_key(root_of(None), "", 0))

    def content(self) -> random.Random:
        """The generator of generated values (``json: auto``, ``input: auto``)."""
        if self._content is None:
            self._content = seeded_random(self.key, b"content")
        return self._content

    def jitter(self) -> random.Random:
        """The generator of the stream's jitter."""
        if self._jitter is None:
            self._jitter = seeded_random(self.key, b"jitter")
        return self._jitter

    def faker(self) -> Faker:
        """The engine's Faker, set to draw from this request's generator (set again at every call: another
        request may have used the same Faker since)."""
        if self._faker is None:
            from faker import Faker  # deferred: importing faker costs ~0.2 s, and most answers never need it

            made = Faker()
            self._faker = lambda: made
        fake = self._faker()
        if self._faker_random is None:
            self._faker_random = seeded_random(self.key, b"faker")
        fake.random = self._faker_random  # type: ignore[attr-defined]  # a property proxy.pyi leaves out
        return fake

    def word(self) -> str:
        return str(self.faker().word())

    def sentence(self) -> str:
        return str(self.faker().sentence())
