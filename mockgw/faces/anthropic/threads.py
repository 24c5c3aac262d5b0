"""Message threads: conversations the gateway holds between turns, so a request sends only the new turn.

The ``message-threads-2026-08-12`` beta adds a ``thread`` field to ``POST /v1/messages`` (the SDKs' tool runners
and ``beta.messages.thread()`` send it by default):

- ``{"type": "create"}``: answer as usual, and hold the whole conversation (the request's messages and the
  reply) under the reply's ``id``, with the ``system`` and ``tools`` it was sent with;
- ``{"type": "continue", "previous_message_id": "msg_…"}``: ``messages`` holds only the new turn (possibly
  none, after a ``pause_turn``); the held conversation goes before it, and its ``system`` and ``tools`` stand
  in for the ones the request leaves out (the SDKs leave them out). The reply is held under its own ``id``.

A reply can be continued once (``thread_already_continued`` after that; ``thread_continue_in_flight``
while another request continuing it is still being answered), so continuing one hands its history on to
the new reply and only the newest reply of a thread is held: memory grows with the conversation, not with
its square. Held conversations are bounded in count and in bytes, the least recently used going first; a
continue of one that went gets ``thread_not_found``, and the SDKs replay the whole conversation under a
new thread.

What the SDKs read back is ``error.details.error_code`` (anthropic-sdk-python ``lib/threads/_thread_state.py``,
@anthropic-ai/sdk ``src/core/error-classes.ts``): ``thread_not_found`` (404), ``thread_already_continued`` and
``thread_continue_in_flight`` (400) make them replay the whole history under a new thread;
``thread_unsupported_request`` (400) makes a tool runner go on without threads. Pure: no aiohttp, no I/O.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Literal

from mockgw.faces.anthropic.wire.messages import Message

THREADS_BETA = "message-threads-2026-08-12"
# Fields a thread keeps from its create: a continue may leave them out, and may not change them.
CREATE_ONLY_FIELDS = ("system", "tools")
DEFAULT_MAX_THREADS = 1000
DEFAULT_MAX_THREAD_BYTES = 64 * 1024 * 1024

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON."""
    return len(_ENCODER.encode(value).encode())


# The keys under which a message holds blocks (the SDKs' own list, for the same purpose): cache_control is
# dropped only there, so free-form JSON such as a tool's input stays as it was sent.
_KEYS_THAT_HOLD_BLOCKS = frozenset({"content", "source", "tool", "definition", "tool_references"})


def without_cache_control(value: Any) -> Any:
    """``value`` without the ``cache_control`` of any block in it. A held turn drops its breakpoints: each was
    set for the request that sent it, and a request takes at most four (the SDKs drop them the same way when
    they send a whole history again)."""
    if isinstance(value, dict):
        return {
            key: without_cache_control(item) if key in _KEYS_THAT_HOLD_BLOCKS else item
            for key, item in value.items()
            if key != "cache_control"
        }
    if isinstance(value, list):
        return [without_cache_control(item) for item in value]
    return value


def conversation_size(messages: list[Any], fields: dict[str, Any]) -> int:
    """What a held conversation is counted as: the compact JSON of each message and of each create-only field."""
    return sum(map(json_size, messages)) + sum(map(json_size, fields.values()))


class ThreadRefused(Exception):
    """A ``thread`` the API refuses: status, error type, message and ``error.details`` of its answer."""

    def __init__(self, status: int, error_type: str, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.details: dict[str, Any] | None = None if error_code is None else {"error_code": error_code}


def _invalid(message: str, error_code: str | None = None) -> ThreadRefused:
    return ThreadRefused(400, "invalid_request_error", message, error_code)


@dataclass(frozen=True)
class ThreadTurn:
    """One request's ``thread``, resolved against what the gateway holds."""

    kind: Literal["create", "continue"]
    previous_message_id: str | None
    # The request as rules see it: for a continue, the held conversation then the sent messages, and the held
    # system and tools where the request has none. Validation, matching and templates read this.
    body: dict[str, Any]
    session: str
    base_bytes: int = 0  # bytes of the held conversation it continues (0 for a create)
    sent_count: int = 0  # how many of ``messages`` the request itself sent (a continue's new turn)
    held_count: int = 0  # how many of ``messages`` come from the held conversation (the server's own)
    fields: dict[str, Any] = field(default_factory=dict)  # the thread's create-only fields

    @property
    def messages(self) -> list[Any]:
        """The whole conversation up to this request (a list: ``resolve`` ensured it)."""
        messages: list[Any] = self.body["messages"]
        return messages

    def journal(self) -> dict[str, Any]:
        """What the journal shows: the thread field's form and the whole conversation the rules saw."""
        return {
            "type": self.kind,
            "previous_message_id": self.previous_message_id,
            "messages": self.messages,
            "message_id": None,  # set when the reply is held
            "held_bytes": self.base_bytes,  # the held conversation's size (0 for a create)
        }


@dataclass
class _Held:
    messages: list[Any]  # the whole conversation, ending with the reply
    fields: dict[str, Any]
    session: str
    size: int


def _parse_thread(value: Any) -> tuple[Literal["create", "continue"], str | None]:
    """The form of a ``thread`` field, or the API's 400 in pydantic's words (the API validates with pydantic)."""
    if not isinstance(value, dict):
        raise _invalid("thread: Input should be a valid dictionary or object to extract fields from")
    kind = value.get("type")
    if kind is None:
        raise _invalid("thread: Unable to extract tag using discriminator 'type'")
    if kind == "create":
        return "create", None
    if kind != "continue":
        raise _invalid(
            f"thread: Input tag {kind!r} found using 'type' does not match any of the expected tags: "
            "'create', 'continue'"
        )
    previous = value.get("previous_message_id")
    if previous is None:
        raise _invalid("thread.continue.previous_message_id: Field required")
    if not isinstance(previous, str):
        raise _invalid("thread.continue.previous_message_id: Input should be a valid string")
    return "continue", previous


class ThreadStore:
    """The conversations held for ``continue``, by reply id: at most ``max_threads`` of them and
    ``max_bytes`` in all (``conversation_size``), least recently used evicted first.

    Used from the server's one event loop (``resolve`` and ``hold`` never wait), so it needs no lock.
    """

    def __init__(self, max_threads: int = DEFAULT_MAX_THREADS, max_bytes: int = DEFAULT_MAX_THREAD_BYTES) -> None:
        self.max_threads = max_threads
        self.max_bytes = max_bytes
        self._held: OrderedDict[str, _Held] = OrderedDict()
        # Replies already continued (their history moved on to the next reply), to say so; as bounded.
        self._continued: OrderedDict[str, str] = OrderedDict()  # id → session
        # Replies a request is continuing right now (resolved, not yet released): at most one each.
        self._in_flight: set[str] = set()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._held)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._held

    @property
    def bytes(self) -> int:
        """Bytes held in all (compact JSON of every held conversation)."""
        return self._bytes

    def stats(self) -> dict[str, int]:
        """A JSON-ready summary for the admin API."""
        return {
            "held": len(self._held),
            "bytes": self._bytes,
            "max_held": self.max_threads,
            "max_bytes": self.max_bytes,
        }

    def messages(self, message_id: str) -> list[Any] | None:
        """The whole conversation held under ``message_id`` (None: not held)."""
        held = self._held.get(message_id)
        return None if held is None else list(held.messages)

    def clear(self, session: str | None = None) -> None:
        """Forget every held conversation, or only those of one session."""
        if session is None:
            self._held.clear()
            self._continued.clear()
            self._in_flight.clear()
            self._bytes = 0
            return
        for message_id in [k for k, held in self._held.items() if held.session == session]:
            self._bytes -= self._held.pop(message_id).size
        for message_id in [k for k, s in self._continued.items() if s == session]:
            del self._continued[message_id]

    def resolve(self, body: Any, session: str, *, enabled: bool = True) -> ThreadTurn | None:
        """The request's thread (None: it has none), its body resolved against the held conversation.

        Raises ThreadRefused: threads off (``enabled`` false: thread_unsupported_request), a malformed
        ``thread``, an unknown, already continued or in-flight ``previous_message_id``, a changed
        ``system``/``tools``. A body that is not an object, or whose ``messages`` is not a list, is left for
        validation to refuse. A continue that resolves is in flight until ``release``: call it when the
        request is done, whatever its outcome.
        """
        if not isinstance(body, dict) or body.get("thread") is None:
            return None
        if not enabled:
            raise _invalid(
                "thread: message threads are not supported for this request. Send the full conversation "
                "without `thread`.",
                "thread_unsupported_request",
            )
        kind, previous = _parse_thread(body["thread"])
        sent = body.get("messages", [] if kind == "continue" else None)
        if not isinstance(sent, list):
            return None
        if previous is None:
            fields = {f: body[f] for f in CREATE_ONLY_FIELDS if body.get(f) is not None}
            return ThreadTurn(kind, None, body, session, sent_count=len(sent), fields=fields)
        if previous in self._in_flight:
            raise _invalid(
                f"Another request is still continuing from `{previous}`. Wait for it to complete and continue "
                'from its response `id`, or replay the full conversation with `thread: {"type": "create"}`.',
                "thread_continue_in_flight",
            )
        held = self._held.get(previous)
        if held is None:
            if previous in self._continued:
                raise _invalid(
                    f"The response `{previous}` has already been continued; each response can be continued "
                    "only once. Continue from the thread's most recent response `id`.",
                    "thread_already_continued",
                )
            raise ThreadRefused(
                404,
                "not_found_error",
                f"No thread state was found for previous_message_id `{previous}`. Replay the full conversation "
                'with `thread: {"type": "create"}` to start a new thread.',
                "thread_not_found",
            )
        changed = [f for f in CREATE_ONLY_FIELDS if body.get(f) is not None and body[f] != held.fields.get(f)]
        if changed:
            names = " and ".join(f"`{f}`" for f in changed)
            raise _invalid(
                f"{names} differs from the value stored with the thread. Send the stored value, or replay the "
                'full conversation with `thread: {"type": "create"}` to change it.',
                "thread_fingerprint_mismatch",
            )
        self._held.move_to_end(previous)
        self._in_flight.add(previous)
        resolved = {**body, **{f: v for f, v in held.fields.items() if body.get(f) is None}}
        resolved["messages"] = [*held.messages, *sent]
        return ThreadTurn(
            kind,
            previous,
            resolved,
            session,
            base_bytes=held.size,
            sent_count=len(sent),
            held_count=len(held.messages),
            fields=held.fields,
        )

    def release(self, previous_message_id: str | None) -> None:
        """End a continue's time in flight (None, or a reply not in flight: nothing to do)."""
        if previous_message_id is not None:
            self._in_flight.discard(previous_message_id)

    def hold(self, turn: ThreadTurn, reply: Message) -> bool:
        """Hold the conversation of ``turn`` and its ``reply`` under the reply's id; False when it is not held
        (too large for the whole budget, or another request continued the same reply first)."""
        previous = turn.previous_message_id
        if previous is not None:
            if previous in self._continued:
                return False  # each reply is continued once: the first to finish wins
            parent = self._held.pop(previous, None)
            if parent is not None:
                self._bytes -= parent.size
            self._remember_continued(previous, turn.session)
        content = [block.model_dump(mode="json") for block in reply.content]
        answer = {"role": "assistant", "content": content}
        sent = without_cache_control(turn.messages[turn.held_count :])
        size = turn.base_bytes + conversation_size([*sent, answer], turn.fields if previous is None else {})
        if size > self.max_bytes:
            return False
        messages = [*turn.messages[: turn.held_count], *sent, answer]
        self._held[reply.id] = _Held(messages, turn.fields, turn.session, size)
        self._bytes += size
        while len(self._held) > self.max_threads or self._bytes > self.max_bytes:
            self._bytes -= self._held.popitem(last=False)[1].size
        return True

    def _remember_continued(self, message_id: str, session: str) -> None:
        self._continued[message_id] = session
        while len(self._continued) > self.max_threads:
            self._continued.popitem(last=False)
