"""The neutral answer: what the engine chose (``Reply``), ids from the seed, and the parts every face renders.

A rule's reply is written once, in the scenario language (text, thinking, tool_use blocks). The Anthropic face
renders it into a ``Message``; the other faces compose it into an ``Answer`` here (text, reasoning and tool
calls, with the request's limits applied and usage counted) and write that in their own wire format. So one
rule answers every API the gateway serves, and the token and limit rules are the same on every face.

Pure: no I/O, no clock; randomness comes from the request's draws (``core.seeds``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mockgw.faces.anthropic.wire.messages import StopReason
from mockgw.scenario.schema import JsonReply, ReplyBlock, StopDetails, TextReply, ThinkingReply, ToolUseReply
from mockgw.scenario.schema import Usage as UsageSpec
from mockgw.scenario.server_blocks import ContainerSpec
from mockgw.scenario.templates import Template, TemplateContext, render_json

CHARS_PER_TOKEN = 4
_ID_ALPHABET = string.ascii_letters + string.digits
# Byte → id character tables: ``bytes.translate`` makes an id from hashed bytes in one call. (256 is not a
# multiple of 62 or 36, so the first few characters are a little likelier: no id is a secret.)
_ID_TABLE = bytes(ord(_ID_ALPHABET[b % len(_ID_ALPHABET)]) for b in range(256))
_UPPER_TABLE = bytes(ord((string.ascii_uppercase + string.digits)[b % 36]) for b in range(256))


def tokens(chars: int) -> int:
    """The documented token estimate: 4 characters a token, rounded up, at least 1."""
    return max(1, math.ceil(chars / CHARS_PER_TOKEN))


class Ids:
    """Ids, signatures and opaque data in each API's shapes.

    From a key (``core.seeds``: a request's, or the gateway's): each kind of id is a stream of its own, its
    n-th value a hash of (key, kind, n), so drawing a tool id, a signature or the request id first (or not
    at all) never moves the message id; a µs an id, nothing set up. From a ``random.Random``: drawn from it
    in call order (tests that drive one generator).
    """

    __slots__ = ("_counts", "_key", "_rng")

    def __init__(self, source: bytes | random.Random) -> None:
        self._rng = source if isinstance(source, random.Random) else None
        self._key = source if isinstance(source, bytes) else b""
        self._counts: dict[bytes, int] = {}

    def _bytes(self, kind: bytes, n: int) -> bytes:
        if self._rng is not None:
            return self._rng.randbytes(n)
        count = self._counts.get(kind, 0)
        self._counts[kind] = count + 1
        data = self._key + count.to_bytes(4, "little") + kind
        if n <= 64:
            return hashlib.blake2b(data, digest_size=n).digest()
        return hashlib.shake_256(data).digest(n)

    def _chars(self, kind: bytes, n: int, table: bytes = _ID_TABLE) -> str:
        return self._bytes(kind, n).translate(table).decode()

    def _hex(self, kind: bytes, n: int) -> str:
        return self._bytes(kind, (n + 1) // 2).hex()[:n]

    def message(self) -> str:
        return "msg_01" + self._chars(b"message", 22)

    def tool_use(self) -> str:
        return "toolu_01" + self._chars(b"tool_use", 22)

    def server_tool_use(self) -> str:
        return "srvtoolu_01" + self._chars(b"server_tool_use", 22)

    def request(self) -> str:
        return "req_011C" + self._chars(b"request", 20)

    def mcp_tool_use(self) -> str:
        return "mcptoolu_01" + self._chars(b"mcp_tool_use", 22)

    def container(self) -> str:
        return "container_011C" + self._chars(b"container", 20)

    def file(self) -> str:
        """A Files API id (``file_011C…``): a file a server tool wrote (the request's ids), or one uploaded
        (the gateway's)."""
        return "file_011C" + self._chars(b"file", 20)

    def opaque(self, n_bytes: int = 96) -> str:
        """Base64 like a thinking signature or encrypted content (``EqQB…``)."""
        return base64.b64encode(b"\x12\xa4\x01" + self._bytes(b"opaque", n_bytes)).decode()

    # OpenAI's shapes: chat completions, tool calls, responses and their output items.
    def chat_completion(self) -> str:
        return "chatcmpl-" + self._chars(b"chat_completion", 29)

    def call(self) -> str:
        return "call_" + self._chars(b"call", 24)

    def response(self) -> str:
        return "resp_" + self._hex(b"response", 50)

    def generation(self) -> str:
        """A Vercel AI Gateway generation id (``gen_01…``, as ``/v1/generation?id=`` takes it)."""
        return "gen_01" + self._chars(b"generation", 24, _UPPER_TABLE)

    def item(self, prefix: str) -> str:
        """An output item id: ``msg_…``, ``fc_…``, ``rs_…`` followed by 50 hex digits."""
        return f"{prefix}_" + self._hex(b"item", 50)

    def batch(self) -> str:
        """A Message Batch id (the gateway's ids: ``engine.ids``, drawn in the order batches are made)."""
        return "msgbatch_01" + self._chars(b"batch", 22)


@dataclass(frozen=True)
class Reply:
    """What the engine chose to answer with, ready to render."""

    blocks: Sequence[ReplyBlock]
    stop_reason: StopReason | None = None
    usage: UsageSpec | None = None
    omit_thinking: bool = False  # thinking.display "omitted": thinking blocks sent with empty text (core/honour.py)
    stop_details: StopDetails | None = None  # a refusal's category and explanation
    container: ContainerSpec | None = None  # the rule's container: sent even without a code execution block
    request_container: str | None = None  # the container id the request names: reused, as the API does
    # The message's context_management.applied_edits: scripted, or derived from the request's edits (None: the
    # request asked for none and the rule scripts none, so the field is left out).
    applied_edits: tuple[dict[str, Any], ...] | None = None


@functools.cache
def filler_reply() -> Reply:
    """The reply for a rule that only scripts a fault: a stream (or a batch result) needs some content.

    Parsed on first use, not at import: checking the faker call loads Faker, ~0.2 s of start-up.
    """
    return Reply((TextReply(text=Template.parse("{{ faker.paragraph(nb_sentences=4) }}")),))


# ---------------------------------------------------------------- the composed answer


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class ReasoningPart:
    text: str
    signature: str


@dataclass(frozen=True)
class ToolCallPart:
    id: str
    name: str
    input: Any  # a JSON value

    @property
    def arguments(self) -> str:
        """The input as the JSON text OpenAI's APIs carry (``function.arguments``)."""
        return json.dumps(self.input, ensure_ascii=False, separators=(",", ":"))


Part = TextPart | ReasoningPart | ToolCallPart


@dataclass(frozen=True)
class Answer:
    """A reply rendered for one request: its parts, why it stopped, and the token counts.

    ``stop_reason`` keeps the scenario language's vocabulary (``end_turn``, ``tool_use``, ``max_tokens``,
    ``stop_sequence``, ``refusal``…); each face maps it to its own (``stop``, ``tool_calls``, ``length``…).
    """

    parts: tuple[Part, ...]
    stop_reason: StopReason
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int = 0
    stop_sequence: str | None = None

    @property
    def text(self) -> str:
        """Every text part joined: the one ``content`` string of a chat message."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def reasoning(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, ReasoningPart))

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        return tuple(p for p in self.parts if isinstance(p, ToolCallPart))


def _chars(part: Part) -> int:
    if isinstance(part, ToolCallPart):
        return len(part.arguments)
    return len(part.text)


def _limit(
    parts: list[Part], max_tokens: int | None, stop: Sequence[str]
) -> tuple[list[Part], StopReason | None, str | None]:
    """Cut the parts where the model would stop: a stop sequence in text, or the max_tokens budget."""
    budget = math.inf if max_tokens is None else max_tokens * CHARS_PER_TOKEN
    kept: list[Part] = []
    for part in parts:
        if isinstance(part, TextPart) and stop:
            found = [(part.text.find(s), s) for s in stop if s and s in part.text]
            if found:
                at, seq = min(found)
                if at <= budget:
                    kept.append(TextPart(part.text[:at]))
                    return kept, "stop_sequence", seq
        size = _chars(part)
        if size > budget:
            cut = int(budget)
            if isinstance(part, TextPart) and cut > 0:
                kept.append(TextPart(part.text[:cut]))
            elif isinstance(part, ReasoningPart) and cut > 0:
                kept.append(ReasoningPart(part.text[:cut], part.signature))
            return kept, "max_tokens", None
        budget -= size
        kept.append(part)
    return kept, None, None


def compose(
    reply: Reply,
    *,
    input_chars: int,
    ctx: TemplateContext,
    ids: Ids,
    tool_id: Callable[[], str],
    max_tokens: int | None = None,
    stop: Sequence[str] = (),
) -> Answer:
    """The parts of ``reply`` for this request: templates rendered, limits applied, usage counted.

    Blocks only the Messages API has (server tool use, web search results, redacted thinking) have no
    counterpart in the other APIs and are left out. ``tool_id`` makes the face's tool call ids (``call_…``).
    """
    parts: list[Part] = []
    for block in reply.blocks:
        if isinstance(block, TextReply):
            parts.append(TextPart(block.text.render(ctx)))
        elif isinstance(block, ThinkingReply):
            parts.append(ReasoningPart(block.thinking.render(ctx), block.signature or ids.opaque()))
        elif isinstance(block, ToolUseReply):
            spec = block.tool_use
            parts.append(ToolCallPart(spec.id or tool_id(), spec.name, render_json(spec.input, ctx)))
        elif isinstance(block, JsonReply):  # made text by core/structured first; unchecked if it gets here
            parts.append(TextPart(json.dumps(render_json(block.json_, ctx), ensure_ascii=False, separators=(",", ":"))))
    kept, cut, stop_sequence = _limit(parts, max_tokens, stop)
    if cut is not None:
        stop_reason: StopReason = cut
    elif reply.stop_reason is not None:
        stop_reason = reply.stop_reason
    elif reply.stop_details is not None:
        stop_reason = "refusal"
    else:
        stop_reason = "tool_use" if any(isinstance(p, ToolCallPart) for p in kept) else "end_turn"
    given = reply.usage or UsageSpec()
    output = tokens(sum(_chars(p) for p in kept))
    if cut == "max_tokens" and max_tokens is not None:
        output = max_tokens
    reasoning_chars = sum(len(p.text) for p in kept if isinstance(p, ReasoningPart))
    return Answer(
        parts=tuple(kept),
        stop_reason=stop_reason,
        input_tokens=given.input_tokens if given.input_tokens is not None else tokens(input_chars),
        output_tokens=given.output_tokens if given.output_tokens is not None else output,
        reasoning_tokens=tokens(reasoning_chars) if reasoning_chars else 0,
        stop_sequence=stop_sequence,
    )
