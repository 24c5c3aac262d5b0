"""Record & replay: fold what a real upstream answered into a scenario that answers the same way.

The recording proxy (``mockgw/server/proxy.py``) relays traffic unchanged and hands each ``/v1/messages``
exchange here: the request body and the answer (a JSON message, an error body, or the SSE events with
their arrival times). :class:`Recording` turns the exchanges into scenario rules:

- each rule matches the request's last user text (``equals``; ``contains`` a distinctive excerpt for long
  texts) and ``turn``, plus ``tool_result: {name: ...}`` when the last user turn answered a tool;
- its reply is the recorded content blocks (ids, signatures and tool input kept), ``stop_reason`` and
  ``usage``; a streamed answer adds its measured ``timing``; an error answer becomes an ``error`` rule;
- the same request answered differently on repeat becomes a ``sequence``, in the order seen.

The scenario is checked before it is written: the YAML must load with mockgw's loader into exactly the
scenario built, and every recorded request must be matched by its own rule. Nothing here touches the
network, aiohttp or yaml (the YAML is emitted by a small block-style writer and read back by the loader).
Headers are never written, so neither are API keys.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mockgw._version import __version__
from mockgw.core.matching import misses
from mockgw.core.request import RequestView
from mockgw.faces.anthropic.validation import InvalidRequest, validate_message_request
from mockgw.faces.anthropic.wire.errors import error_type_for_status
from mockgw.faces.anthropic.wire.messages import STOP_REASONS
from mockgw.scenario.loader import load_scenario_data, load_scenario_text
from mockgw.scenario.schema import Match, Scenario
from mockgw.scenario.yaml_writer import dump_yaml

# Texts longer than this are matched on an excerpt (``contains``), if one is distinctive.
LONG_TEXT = 200
_EXCERPT_MAX = 100
_USAGE_KEYS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
_TOOL_INPUT_BLOCKS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})
# Server tool results the scenario language takes in the API's own shape ({tool_use_id, content}).
_RESULT_BLOCKS = frozenset(
    {
        "web_fetch_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "tool_search_tool_result",
    }
)


# ---------------------------------------------------------------- SSE


@dataclass(frozen=True)
class SSEEvent:
    """One server-sent event and when it arrived (seconds since the request did)."""

    event: str
    data: str
    at: float


class SSEParser:
    """Incremental SSE framing: bytes in as they arrive, complete events out."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""

    def feed(self, chunk: bytes, at: float) -> list[SSEEvent]:
        """The events completed by ``chunk`` (a frame may span chunks, a chunk may hold many frames)."""
        self._buffer += self._decoder.decode(chunk)
        # Normalise CRLF, but keep a trailing CR: its LF may arrive with the next chunk.
        held = "\r" if self._buffer.endswith("\r") else ""
        text = (self._buffer[:-1] if held else self._buffer).replace("\r\n", "\n")
        *frames, rest = text.split("\n\n")
        self._buffer = rest + held
        return [event for frame in frames if (event := _parse_frame(frame, at)) is not None]


def _parse_frame(frame: str, at: float) -> SSEEvent | None:
    name = "message"
    data: list[str] = []
    for line in frame.split("\n"):
        if not line or line.startswith(":"):
            continue  # comments keep connections alive; they carry nothing
        key, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if key == "event":
            name = value
        elif key == "data":
            data.append(value)
    return SSEEvent(name, "\n".join(data), at) if data else None


class StreamAccumulator:
    """Folds the events of one streamed answer into the message, as the SDKs' accumulators do.

    Also keeps what the replay needs beyond the message: when content deltas arrived (for ``timing``),
    how large the text deltas were, a mid-stream ``error`` event and how many events came before it, and
    whether the stream ended properly (``message_stop``).
    """

    def __init__(self) -> None:
        self.message: dict[str, Any] | None = None
        self._blocks: dict[int, dict[str, Any]] = {}
        self._partial_json: dict[int, str] = {}
        self.events = 0  # events before the end (or before an error event)
        self.error: dict[str, str] | None = None
        self.complete = False
        self.delta_times: list[float] = []
        self.delta_sizes: list[int] = []

    def add(self, event: SSEEvent) -> None:
        """Take one event (unknown or malformed events are counted and otherwise ignored)."""
        try:
            data = json.loads(event.data)
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            self.events += 1
            return
        kind = data.get("type", event.event)
        if kind == "error":
            error = data["error"] if isinstance(data.get("error"), dict) else {}
            self.error = {"type": str(error.get("type") or "api_error"), "message": str(error.get("message") or "")}
            return
        self.events += 1
        if kind == "message_start" and isinstance(data.get("message"), dict):
            self.message = dict(data["message"])
        elif kind == "content_block_start" and isinstance(data.get("content_block"), dict):
            index = int(data.get("index", len(self._blocks)))
            self._blocks[index] = dict(data["content_block"])
            if self._blocks[index].get("type") in _TOOL_INPUT_BLOCKS:
                self._partial_json[index] = ""
        elif kind == "content_block_delta":
            self._delta(int(data.get("index", 0)), data.get("delta") or {}, event.at)
        elif kind == "content_block_stop":
            self._finish_block(int(data.get("index", 0)))
        elif kind == "message_delta" and self.message is not None:
            delta = data.get("delta") or {}
            for key in ("stop_reason", "stop_sequence", "container"):
                if key in delta:
                    self.message[key] = delta[key]
            if data.get("context_management") is not None:  # beside delta, where the API sends it
                self.message["context_management"] = data["context_management"]
            usage = dict(self.message.get("usage") or {})
            usage.update({k: v for k, v in (data.get("usage") or {}).items() if v is not None})
            self.message["usage"] = usage
        elif kind == "message_stop":
            self.complete = True

    def _delta(self, index: int, delta: Mapping[str, Any], at: float) -> None:
        block = self._blocks.setdefault(index, {"type": "text", "text": ""})
        kind = delta.get("type")
        if kind == "text_delta":
            text = str(delta.get("text", ""))
            block["text"] = str(block.get("text", "")) + text
            self.delta_sizes.append(len(text))
        elif kind == "thinking_delta":
            text = str(delta.get("thinking", ""))
            block["thinking"] = str(block.get("thinking", "")) + text
            self.delta_sizes.append(len(text))
        elif kind == "signature_delta":
            block["signature"] = str(delta.get("signature", ""))
            return  # a signature is not content the reader waits for: no timing
        elif kind == "input_json_delta":
            self._partial_json[index] = self._partial_json.get(index, "") + str(delta.get("partial_json", ""))
        elif kind == "citations_delta":
            block.setdefault("citations", []).append(delta.get("citation"))
            return
        elif kind == "compaction_delta":  # the whole summary at once: it replaces, as the SDKs do
            block["content"] = delta.get("content")
            if "encrypted_content" in delta:
                block["encrypted_content"] = delta["encrypted_content"]
        else:
            return
        self.delta_times.append(at)

    def _finish_block(self, index: int) -> None:
        raw = self._partial_json.pop(index, None)
        if raw and index in self._blocks:
            try:
                self._blocks[index]["input"] = json.loads(raw)
            except json.JSONDecodeError:
                self._blocks[index]["input_incomplete"] = True

    def result(self) -> dict[str, Any] | None:
        """The message as far as it arrived (None if not even ``message_start`` did)."""
        if self.message is None:
            return None
        for index in list(self._partial_json):
            self._finish_block(index)  # a stream cut inside a tool_use block
        content = [
            block for _, block in sorted(self._blocks.items()) if not block.pop("input_incomplete", False)
        ]  # tool input cut mid-JSON cannot be replayed: such a block is left out
        return {**self.message, "content": content}

    def timing(self) -> dict[str, float | int] | None:
        """``ttft_ms`` (to the first content delta), mean ``chunk_ms`` between deltas, ``chunk_chars``."""
        if not self.delta_times:
            return None
        timing: dict[str, float | int] = {"ttft_ms": round(self.delta_times[0] * 1000)}
        if len(self.delta_times) > 1:
            span = self.delta_times[-1] - self.delta_times[0]
            timing["chunk_ms"] = round(span * 1000 / (len(self.delta_times) - 1), 1)
        if self.delta_sizes and max(self.delta_sizes) > 0:
            # The largest delta is the upstream's chunk size (the last of a block is usually shorter).
            timing["chunk_chars"] = max(self.delta_sizes)
        return timing


# ---------------------------------------------------------------- exchanges


@dataclass
class Exchange:
    """One ``/v1/messages`` request and the answer the upstream gave, ready to become a rule."""

    seq: int  # arrival order: repeats of a request become a sequence in this order
    request: Any  # the JSON body
    status: int
    message: dict[str, Any] | None = None  # the assembled answer of a 200
    error: dict[str, str] | None = None  # {type, message} of an error answer
    retry_after: float | None = None
    should_retry: bool | None = None
    timing: dict[str, float | int] | None = None
    stream_error: dict[str, str] | None = None  # an `event: error` after HTTP 200
    stream_cut: bool = False  # the upstream ended the stream without message_stop
    events_before_end: int = 0


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / scale
        except ValueError:
            continue  # an HTTP date: rare from APIs, and not worth a parser
        if seconds >= 0:
            return seconds
    return None


def _error_detail(status: int, body: bytes) -> dict[str, str]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return {
            "type": str(error.get("type") or error_type_for_status(status)),
            "message": str(error.get("message", "")),
        }
    return {"type": error_type_for_status(status), "message": ""}  # not an Anthropic body (a proxy's HTML, say)


def exchange_from_body(seq: int, request: Any, status: int, headers: Mapping[str, str], body: bytes) -> Exchange:
    """An exchange answered with a whole body: a JSON message (200) or an error (4xx/5xx).

    ``headers`` are the response's, with lower-cased names; only the retry hints are read from them.
    """
    exchange = Exchange(seq, request, status)
    if status >= 400:
        exchange.error = _error_detail(status, body)
        exchange.retry_after = _retry_after(headers)
        should = headers.get("x-should-retry")
        exchange.should_retry = None if should is None else should.strip().lower() == "true"
        return exchange
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    exchange.message = data if isinstance(data, dict) and isinstance(data.get("content"), list) else None
    return exchange


def exchange_from_stream(seq: int, request: Any, status: int, stream: StreamAccumulator) -> Exchange:
    """An exchange answered with an SSE stream, folded by ``stream``."""
    return Exchange(
        seq,
        request,
        status,
        message=stream.result(),
        timing=stream.timing(),
        stream_error=stream.error,
        stream_cut=stream.error is None and not stream.complete,
        events_before_end=stream.events,
    )


# ---------------------------------------------------------------- exchanges → rules


def escape_template(text: str) -> str:
    """Text that renders as itself: every ``{{`` is written ``{{ '{{' }}`` (reply text is a template)."""
    return text.replace("{{", "{{ '{{' }}")


def _escape_json(value: Any) -> Any:
    if isinstance(value, str):
        return escape_template(value)
    if isinstance(value, list):
        return [_escape_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _escape_json(v) for k, v in value.items()}
    return value


def _reply_block(block: Mapping[str, Any]) -> dict[str, Any] | None:
    """A recorded content block in the scenario's reply form (None: a kind the language has no form for)."""
    kind = block.get("type")
    if kind == "text":
        return {"text": escape_template(str(block.get("text", "")))}
    if kind == "thinking":
        return {
            "thinking": escape_template(str(block.get("thinking", ""))),
            "signature": str(block.get("signature", "")),
        }
    if kind == "redacted_thinking":
        return {"redacted_thinking": str(block.get("data", ""))}
    if kind in _TOOL_INPUT_BLOCKS:
        spec = {"id": block.get("id"), "name": block.get("name"), "input": _escape_json(block.get("input", {}))}
        if kind == "mcp_tool_use":
            spec["server_name"] = block.get("server_name")
        return {str(kind): {k: v for k, v in spec.items() if v is not None}}
    if kind in _RESULT_BLOCKS and isinstance(block.get("content"), dict):
        return {str(kind): {"tool_use_id": block.get("tool_use_id"), "content": _escape_json(block["content"])}}
    if kind == "mcp_tool_result":
        content = block.get("content")
        texts = (
            [escape_template(str(b.get("text", ""))) for b in content if isinstance(b, dict)]
            if isinstance(content, list)
            else escape_template(str(content or ""))
        )
        return {
            "mcp_tool_result": {
                "tool_use_id": block.get("tool_use_id"),
                "content": texts,
                "is_error": bool(block.get("is_error")),
            }
        }
    if kind == "container_upload":
        return {"container_upload": block.get("file_id")}
    if kind == "compaction":
        summary = block.get("content")
        spec = {
            "content": escape_template(str(summary)) if summary is not None else None,
            "encrypted_content": block.get("encrypted_content"),
            "signature": block.get("signature"),
        }
        return {"compaction": spec}
    if kind == "web_search_tool_result":
        content = block.get("content")
        result: dict[str, Any] = {"tool_use_id": block.get("tool_use_id")}
        if isinstance(content, dict):
            result["error_code"] = content.get("error_code")
        else:
            keys = ("url", "title", "page_age", "encrypted_content")
            result["results"] = [
                {k: r[k] for k in keys if r.get(k) is not None} for r in content or [] if isinstance(r, dict)
            ]
        return {"web_search_tool_result": {k: v for k, v in result.items() if v is not None}}
    return None


def _reply_answer(exchange: Exchange, request: RequestView, notes: list[str]) -> dict[str, Any]:
    message = exchange.message or {}
    content = list(message.get("content") or [])
    stop_reason = message.get("stop_reason")
    stop_sequence = message.get("stop_sequence")
    last = content[-1] if content and isinstance(content[-1], dict) else {}
    asked = request.params.stop_sequences or ()
    if stop_reason == "stop_sequence" and stop_sequence in asked and last.get("type") == "text":
        # The model stopped before the sequence; give it back, so mockgw cuts there and reports it again.
        content[-1] = {**last, "text": f"{last.get('text', '')}{stop_sequence}"}
    blocks: list[dict[str, Any]] = []
    for block in content:
        converted = _reply_block(block) if isinstance(block, dict) else None
        if converted is None:
            kind = block.get("type") if isinstance(block, dict) else type(block).__name__
            notes.append(f"request #{exchange.seq}: a {kind} block has no scenario form; left out")
        else:
            blocks.append(converted)
    answer: dict[str, Any] = {"reply": blocks}
    if stop_reason in STOP_REASONS:
        answer["stop_reason"] = stop_reason
    elif stop_reason is not None and not (exchange.stream_error or exchange.stream_cut):
        notes.append(f"request #{exchange.seq}: stop_reason {stop_reason!r} is unknown to mockgw; left out")
    usage = message.get("usage") or {}
    # Cache counts of 0 are what mockgw reports anyway: only counts that say something are written.
    kept = {
        k: usage[k]
        for k in _USAGE_KEYS
        if isinstance(usage.get(k), int) and (usage[k] > 0 or (k in _USAGE_KEYS[:2] and usage[k] == 0))
    }
    if kept:
        answer["usage"] = kept
    applied = (message.get("context_management") or {}).get("applied_edits")
    if isinstance(applied, list):  # the API's own count of what it cleared: replayed as it was
        answer["context_management"] = {"applied_edits": applied}
    if exchange.timing:
        answer["timing"] = dict(exchange.timing)
    if exchange.stream_error is not None:
        error = {"type": exchange.stream_error["type"]}
        if exchange.stream_error.get("message"):
            error["message"] = exchange.stream_error["message"]
        answer["fault"] = {"after_events": exchange.events_before_end, "error": error}
    elif exchange.stream_cut:
        answer["fault"] = {"after_events": exchange.events_before_end, "disconnect": True}
    return answer


def _error_answer(exchange: Exchange) -> dict[str, Any]:
    detail = exchange.error or {}
    error: dict[str, Any] = {
        "status": exchange.status,
        "type": detail.get("type") or error_type_for_status(exchange.status),
    }
    if detail.get("message"):
        error["message"] = detail["message"]
    if exchange.retry_after is not None:
        error["retry_after"] = exchange.retry_after
    if exchange.should_retry is not None:
        error["should_retry"] = exchange.should_retry
    return {"error": error}


@dataclass
class _Group:
    """The exchanges that one rule answers: same last user text, turn, tool answered (and model)."""

    views: list[RequestView] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)


def _tool_name(view: RequestView) -> str | None:
    return next((r.name for r in view.tool_results if r.name), None)


def _group_key(view: RequestView) -> tuple[str, int, bool, str | None]:
    return (view.last_user, view.turn, bool(view.tool_results), _tool_name(view))


def _excerpt(text: str, others: Iterable[str]) -> str | None:
    """A short piece of ``text`` (from its end, where a typed prompt sits) that no other text contains."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    excerpt = lines[-1]
    if len(excerpt) > _EXCERPT_MAX:
        cut = excerpt[-_EXCERPT_MAX:]
        excerpt = cut.split(" ", 1)[1] if " " in cut[:40] else cut  # start on a word when one is near
    if "{{" in excerpt or any(excerpt in other for other in others):
        return None
    return excerpt


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = "-".join(words[:5])
    return slug[:40].rstrip("-")


def _rule_name(view: RequestView, taken: set[str]) -> str:
    tool = _tool_name(view)
    about = _slug(view.last_user) or (f"after-{_slug(tool)}" if tool else "") or "empty"
    base = f"turn{view.turn}-{about}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def _answer_core(answer: Mapping[str, Any]) -> dict[str, Any]:
    # Two answers that differ only in timing are the same answer: one rule, the first timing.
    return {k: v for k, v in answer.items() if k != "timing"}


def public_url(url: str) -> str:
    """The upstream URL as it may be written down: no user:password, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class Recording:
    """The exchanges seen so far, and the scenario they make. Safe to add to from any thread."""

    def __init__(self, upstream: str) -> None:
        self.upstream = public_url(upstream)
        self.started = datetime.now(UTC)
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []
        self._notes: list[str] = []
        self._seq = 0

    def next_seq(self) -> int:
        """A number for a request as it arrives (sequences follow arrival order, not completion)."""
        with self._lock:
            self._seq += 1
            return self._seq

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)

    def note(self, text: str) -> None:
        """Something the written file should mention (an exchange that could not be recorded, say)."""
        with self._lock:
            self._notes.append(text)

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return sorted(self._exchanges, key=lambda e: e.seq)

    # ------------------------------------------------------------ building

    def _groups(self, notes: list[str]) -> list[tuple[tuple[Any, ...], _Group]]:
        groups: dict[tuple[Any, ...], _Group] = {}
        for exchange in self.exchanges:
            try:
                params = validate_message_request(exchange.request)
            except InvalidRequest as exc:
                # mockgw refuses such a request itself, before any rule is asked: nothing to record.
                notes.append(f"request #{exchange.seq}: not replayable, mockgw answers it itself: {exc.message}")
                continue
            view = RequestView(params)
            if exchange.error is not None:
                answer = _error_answer(exchange)
            elif exchange.message is not None:
                answer = _reply_answer(exchange, view, notes)
            else:
                notes.append(f"request #{exchange.seq}: the answer (HTTP {exchange.status}) could not be read")
                continue
            group = groups.setdefault((*_group_key(view), view.model), _Group())
            group.views.append(view)
            group.answers.append(answer)
            group.seqs.append(exchange.seq)
        return list(groups.items())

    def _rules(self, notes: list[str]) -> tuple[list[dict[str, Any]], list[tuple[int, RequestView]]]:
        """The rules, and for each recorded request the index of the rule meant to answer it."""
        groups = self._groups(notes)
        # The model is matched only where one request went to several models (Claude Code's side calls).
        models: dict[tuple[Any, ...], set[str]] = {}
        for key, _ in groups:
            models.setdefault(key[:4], set()).add(key[4])
        texts_by_turn: dict[int, set[str]] = {}
        for key, _ in groups:
            texts_by_turn.setdefault(key[1], set()).add(key[0])

        rules: list[dict[str, Any]] = []
        owners: list[tuple[int, RequestView]] = []
        taken: set[str] = set()
        for key, group in groups:
            text, turn, has_tool_result, tool = key[:4]
            view = group.views[0]
            match: dict[str, Any] = {}
            excerpt = None
            if len(text) > LONG_TEXT:
                excerpt = _excerpt(text, (t for t in texts_by_turn[turn] if t != text))
            match["last_user"] = {"contains": excerpt} if excerpt else {"equals": text}
            match["turn"] = turn
            if has_tool_result:
                match["tool_result"] = {"name": tool} if tool else {}
            if len(models[key[:4]]) > 1:
                match["model"] = {"equals": view.model}
            rule: dict[str, Any] = {"name": _rule_name(view, taken), "match": match}
            distinct = {json.dumps(_answer_core(a), sort_keys=True) for a in group.answers}
            if len(distinct) == 1:
                rule.update(group.answers[0])
            else:
                rule["sequence"] = group.answers
            owners.extend((len(rules), v) for v in group.views)
            rules.append(rule)
        return rules, owners

    def scenario_data(self, name: str = "recording") -> dict[str, Any]:
        """The recorded scenario as plain data (what the YAML file holds)."""
        return self._build(name)[0]

    def _build(self, name: str) -> tuple[dict[str, Any], list[str], int]:
        notes: list[str] = []
        with self._lock:
            notes.extend(self._notes)
        rules, owners = self._rules(notes)
        rules = _order_rules(rules, owners, notes)
        host = urlsplit(self.upstream).netloc or self.upstream
        data = {
            "name": name,
            "description": f"Recorded from {host} on {self.started:%Y-%m-%d}: {len(owners)} requests.",
            "rules": rules,
        }
        return data, notes, len(owners)

    def scenario(self, name: str = "recording") -> Scenario:
        """The recorded scenario, validated (raises ScenarioError if the recording cannot be expressed)."""
        return load_scenario_data(self.scenario_data(name), "<recording>")

    def to_yaml(self, name: str = "recording") -> str:
        """The scenario file's text: comments saying what was recorded, then the scenario in block style.

        Checked: the text loads with mockgw's loader into exactly the scenario built (ScenarioError or
        RecordError otherwise), so a file this returns always serves.
        """
        data, notes, requests = self._build(name)
        expected = load_scenario_data(data, "<recording>")
        header = [
            f"Recorded by `mockgw record` (mockgw {__version__}) on {self.started:%Y-%m-%d %H:%M:%S} UTC",
            f"from {self.upstream}: {requests} /v1/messages requests became {len(data['rules'])} rule(s).",
            "Each rule matches a request's last user text and turn (and the tool it answers); a request",
            "answered differently on repeat became a sequence. No header and no API key is written.",
            "Replay: mockgw serve --scenario THIS_FILE",
            *(f"note: {n}" for n in notes),
        ]
        comments = "".join(f"# {_comment_safe(line)}\n" for line in header)
        for literal_blocks in (True, False):
            # Literal blocks (|) are the readable form of multi-line text; quoted strings the fallback.
            text = comments + dump_yaml(data, literal_blocks=literal_blocks)
            if load_scenario_text(text, "<recording>") == expected:
                return text
        raise RecordError("the recorded scenario did not survive its YAML form; please report this")

    def write(self, path: str | Path, name: str | None = None) -> str:
        """Write the scenario file (atomically: a reader never sees half a file); returns its text."""
        target = Path(path)
        text = self.to_yaml(name or target.stem)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return text


class RecordError(Exception):
    """The recording could not be turned into a scenario file."""


def _order_rules(
    rules: list[dict[str, Any]], owners: list[tuple[int, RequestView]], notes: list[str]
) -> list[dict[str, Any]]:
    """Order rules so each recorded request is answered by its own rule (the first match wins).

    A rule without ``tool_result`` also matches the same text and turn with tool results, and an excerpt
    may occur in a later text: such a rule must come after the one it would shadow. Checked on the
    recorded requests themselves, with mockgw's own matching.
    """
    matches = [Match.model_validate(r["match"]) for r in rules]
    order = list(range(len(rules)))
    for _ in range(len(rules) + 1):
        moved = False
        for owner, view in owners:
            first = next((i for i in order if not misses(matches[i], view)), owner)
            if first != owner:
                order.remove(owner)
                order.insert(order.index(first), owner)
                moved = True
        if not moved:
            return [rules[i] for i in order]
    notes.append("some recorded requests are answered by another rule than their own")
    return [rules[i] for i in order]


def _comment_safe(line: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in line)
