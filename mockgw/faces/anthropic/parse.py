"""The Messages API's request, validated from its parsed JSON without building the wire models.

``validation.py`` validates with the pydantic wire models (``wire/requests.py``) and ``checks.py``: that is
the one source of the API's exact error text, and it costs a model per block, then a dump of them all to
measure the request. Nearly every request a client sends is valid, so the happy path here reads the JSON
the route already parsed and asks one question: *does it certainly pass?* Every rule of the models and of
``run_checks`` is mirrored as a test that answers yes only when the models would accept the request. Any
doubt (a field of the wrong type, a block type this module does not walk, a check that would fail, a
``null`` the models would drop) answers no, and the caller validates with the models as before: an
invalid request gets the same 400, byte for byte, and a valid but unusual one is still served.

A yes also promises that the JSON dumps as the models would (no ``null`` at a model's level, no default
the models would add), so the request's size can be measured on the JSON itself (``data_input_chars``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mockgw.faces.anthropic.checks import INTERLEAVED_THINKING, MAX_CACHE_BREAKPOINTS
from mockgw.faces.anthropic.validation import validate_count_tokens_request, validate_message_request
from mockgw.faces.anthropic.wire.blocks import BLOCK_TYPES, RESULT_TYPES
from mockgw.faces.anthropic.wire.requests import THINKING_ON, CountTokensParams, MessageCreateParams
from mockgw.faces.anthropic.wire.tools import SERVER_TOOLS, TOOL_NAME_PATTERN

__all__ = ["certainly_valid", "parse_count_tokens", "parse_message_request"]


class _Unsure(Exception):
    """Raised inside the walk for anything the models might refuse, or would dump differently."""


# fullmatch, not the pattern's "$": Python's "$" also matches before a final newline, which the API refuses.
_TOOL_NAME = re.compile(TOOL_NAME_PATTERN.removeprefix("^").removesuffix("$"))
# Tool names already seen to match _TOOL_NAME: a client offers the same tools on every request, and a set
# lookup costs a quarter of the regex. Bounded: emptied when full.
_GOOD_NAMES: set[str] = set()
_GOOD_NAMES_KEPT = 1024
_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_DISPLAYS = frozenset({"summarized", "omitted", "updates"})
_EFFORTS = frozenset({"low", "medium", "high", "xhigh", "max"})
_SERVICE_TIERS = frozenset({"auto", "standard_only"})
_CHOICES = frozenset({"auto", "any", "tool", "none"})
_ROLES = frozenset({"user", "assistant", "system"})
_TTLS = frozenset({"5m", "1h"})
# Every server tool's result (a client tool_result and an MCP result are walked on their own).
_SERVER_RESULTS = RESULT_TYPES - {"tool_result", "mcp_tool_result"}


def _object(value: object) -> dict[str, Any]:
    """A JSON object at a model's level: no ``null`` in it (the models' dump leaves those out)."""
    if type(value) is not dict or None in value.values():
        raise _Unsure
    return value


def _str(value: object) -> str:
    if type(value) is not str:
        raise _Unsure
    return value


def _opt_str(node: dict[str, Any], name: str) -> None:
    if name in node and type(node[name]) is not str:
        raise _Unsure


def _int(value: object, low: int) -> int:
    if type(value) is not int or value < low:
        raise _Unsure
    return value


def _unit(value: object) -> None:
    """A strict float from 0 to 1 (ints pass, as pydantic's StrictFloat lets them; NaN does not)."""
    if type(value) not in (int, float) or not 0 <= value <= 1:  # type: ignore[operator]
        raise _Unsure


class _Walk:
    """One request's walk: the blocks checked, the cache breakpoints counted."""

    __slots__ = ("breakpoints",)

    def __init__(self) -> None:
        self.breakpoints = 0

    def cache_control(self, node: dict[str, Any]) -> None:
        value = node.get("cache_control")
        if value is None:
            return
        control = _object(value)
        if control.get("type") != "ephemeral" or ("ttl" in control and control["ttl"] not in _TTLS):
            raise _Unsure
        self.breakpoints += 1

    def source(self, node: object, document: bool) -> None:
        source = _object(node)
        kind = source.get("type")
        if kind == "base64":
            media = source.get("media_type")
            if (media != "application/pdf") if document else (media not in _IMAGE_TYPES):
                raise _Unsure
            _str(source.get("data"))
        elif kind == "url":
            _str(source.get("url"))
        elif kind == "file":
            _str(source.get("file_id"))
        elif document and kind == "text":
            if source.get("media_type") != "text/plain":
                raise _Unsure
            _str(source.get("data"))
        elif document and kind == "content":
            content = source.get("content")
            if type(content) is list:
                for item in content:
                    self.block(item, ("text", "image"))
            else:
                _str(content)
        else:
            _str(kind)  # a source type newer than the catalogue: any fields

    def block(self, node: object, allowed: frozenset[str] | tuple[str, ...]) -> dict[str, Any]:
        """One block of a union whose known members are ``allowed`` (any other type: the open fallback)."""
        # The common blocks checked inline: a conversation of megabytes has thousands of them.
        if type(node) is not dict or None in node.values():
            raise _Unsure
        block: dict[str, Any] = node
        kind = block.get("type")
        if type(kind) is not str:
            raise _Unsure
        if kind not in allowed:
            if kind in BLOCK_TYPES:
                raise _Unsure  # a known type this union does not take, or one this walk leaves to the models
            self.cache_control(block)  # the open fallback: its own fields pass through
            return block
        if kind == "text":
            if type(block.get("text")) is not str or ("citations" in block and type(block["citations"]) is not list):
                raise _Unsure
        elif kind == "tool_result":
            if type(block.get("tool_use_id")) is not str:
                raise _Unsure
            content = block.get("content")
            if type(content) is list:
                for item in content:
                    self.block(item, _RESULT_CONTENT)
            elif "content" in block and type(content) is not str:
                raise _Unsure
            if "is_error" in block and type(block["is_error"]) is not bool:
                raise _Unsure
        elif kind == "tool_use" or kind == "server_tool_use":
            if type(block.get("id")) is not str or type(block.get("name")) is not str:
                raise _Unsure
        else:
            self.rare_block(block, kind)
        if "cache_control" in block:
            self.cache_control(block)
        return block

    def rare_block(self, block: dict[str, Any], kind: str) -> None:
        """The fields of a block type other than text, tool_use and tool_result."""
        if kind == "image":
            self.source(block.get("source"), document=False)
        elif kind == "document":
            self.source(block.get("source"), document=True)
            _opt_str(block, "title")
            _opt_str(block, "context")
        elif kind == "thinking":
            _str(block.get("thinking"))
            _str(block.get("signature"))  # absent: the model's default "" would change the dump
        elif kind == "redacted_thinking":
            _str(block.get("data"))
        elif kind == "search_result":
            _str(block.get("source"))
            _str(block.get("title"))
            content = block.get("content")
            if type(content) is not list:
                raise _Unsure
            for item in content:
                self.block(item, ("text",))
        elif kind == "tool_reference":
            _str(block.get("tool_name"))
        elif kind == "browser_state":
            if type(block.get("tabs")) is not list:
                raise _Unsure
        elif kind in _SERVER_RESULTS:
            _str(block.get("tool_use_id"))
            if "content" not in block:
                raise _Unsure
        else:
            raise _Unsure


_RESULT_CONTENT = frozenset({"text", "image", "search_result", "document", "tool_reference", "browser_state"})
# The message-level block types this walk checks; the rest of the catalogue is left to the models.
_MESSAGE_BLOCKS = frozenset(
    {"text", "image", "document", "search_result", "thinking", "redacted_thinking", "tool_use", "server_tool_use"}
    | {"tool_result"}
    | _SERVER_RESULTS
)


def _tools(walk: _Walk, tools: object) -> set[str]:
    """The tools' names, each tool checked as the models and ``check_tools`` would."""
    if type(tools) is not list:
        raise _Unsure
    names: set[str] = set()
    for node in tools:
        if type(node) is not dict or None in node.values():  # _object, inline: a first turn offers dozens
            raise _Unsure
        tool: dict[str, Any] = node
        kind = tool.get("type", "custom")
        name = tool.get("name")
        if kind == "custom":
            if type(name) is not str or type(tool.get("input_schema")) is not dict:
                raise _Unsure
            if name not in _GOOD_NAMES:
                if not _TOOL_NAME.fullmatch(name):
                    raise _Unsure
                if len(_GOOD_NAMES) >= _GOOD_NAMES_KEPT:
                    _GOOD_NAMES.clear()
                _GOOD_NAMES.add(name)
            if "description" in tool and type(tool["description"]) is not str:
                raise _Unsure
        else:
            _str(kind)
            _opt_str(tool, "name")
            spec = SERVER_TOOLS.get(kind)
            if spec is not None and (
                (spec.name is not None and name != spec.name) or any(f not in tool for f in spec.required)
            ):
                raise _Unsure
        if "cache_control" in tool:
            walk.cache_control(tool)
        if name is not None:
            if name in names:
                raise _Unsure
            names.add(name)
    return names


def _thinking(body: dict[str, Any], count_tokens: bool, betas: frozenset[str]) -> None:
    thinking = body.get("thinking")
    if thinking is None:
        return
    config = _object(thinking)
    kind = _str(config.get("type"))
    if "display" in config and kind in ("enabled", "adaptive") and config["display"] not in _DISPLAYS:
        raise _Unsure
    budget = _int(config.get("budget_tokens"), 1024) if kind == "enabled" else 0
    if kind not in THINKING_ON:
        return
    choice = body.get("tool_choice")
    if choice is not None and choice["type"] in ("any", "tool"):
        raise _Unsure  # thinking with a forced tool: refused
    if count_tokens:
        return
    if kind == "enabled" and body["max_tokens"] <= budget and INTERLEAVED_THINKING not in betas:
        raise _Unsure
    if ("temperature" in body and body["temperature"] != 1) or "top_k" in body:
        raise _Unsure


def _check(
    body: object,
    count_tokens: bool,
    betas: frozenset[str],
    max_output: Callable[[str], int | None] | None,
    held: int,
) -> None:
    request = _object(body)
    model = _str(request.get("model"))
    messages = request.get("messages")
    if type(messages) is not list or not messages:
        raise _Unsure
    if not count_tokens:
        max_tokens = _int(request.get("max_tokens"), 1)  # 0 pre-warms the cache: its own checks, in the models
        limit = max_output(model) if max_output is not None else None
        if limit is not None and max_tokens > limit:
            raise _Unsure
        if "stream" in request and type(request["stream"]) is not bool:
            raise _Unsure
        stops = request.get("stop_sequences")
        if stops is not None and (type(stops) is not list or any(type(s) is not str for s in stops)):
            raise _Unsure
        for name in ("temperature", "top_p"):
            if name in request:
                _unit(request[name])
        if "top_k" in request:
            _int(request["top_k"], 0)
        if "metadata" in request:
            _opt_str(_object(request["metadata"]), "user_id")
        if "service_tier" in request and request["service_tier"] not in _SERVICE_TIERS:
            raise _Unsure
    walk = _Walk()
    system = request.get("system")
    if type(system) is list:
        for block in system:
            if type(block) is not dict or None in block.values() or block.get("type") != "text":
                raise _Unsure
            # walk.text, inline (Claude Code sends three system blocks on every request).
            if type(block.get("text")) is not str or ("citations" in block and type(block["citations"]) is not list):
                raise _Unsure
            if "cache_control" in block:
                walk.cache_control(block)
    elif system is not None:
        _str(system)
    names = _tools(walk, request["tools"]) if "tools" in request else set()
    choice = request.get("tool_choice")
    if choice is not None:
        kind = _object(choice).get("type")
        if kind not in _CHOICES or ("disable_parallel_tool_use" in choice and kind == "none"):
            raise _Unsure
        if "disable_parallel_tool_use" in choice and type(choice["disable_parallel_tool_use"]) is not bool:
            raise _Unsure
        if kind != "none" and not request.get("tools"):
            raise _Unsure  # tool_choice without tools
        if kind == "tool" and _str(choice.get("name")) not in names:
            raise _Unsure
    _thinking(request, count_tokens, betas)
    config = request.get("output_config")
    if config is not None:
        config = _object(config)
        if "effort" in config and config["effort"] not in _EFFORTS:
            raise _Unsure
        if "format" in config:
            fmt = _object(config["format"])
            if fmt.get("type") != "json_schema" or type(fmt.get("schema")) is not dict:
                raise _Unsure
    walk.cache_control(request)
    thread = request.get("thread")
    _messages(walk, messages, held, type(thread) is dict and bool(thread.get("previous_message_id")))
    if walk.breakpoints > MAX_CACHE_BREAKPOINTS:
        raise _Unsure


def _blank_text(block: dict[str, Any]) -> bool:
    return block["type"] == "text" and not block["text"].strip()


def _messages(walk: _Walk, messages: list[Any], held: int, continues_thread: bool) -> None:
    """Every message and block checked in one pass (a conversation of megabytes does not fit the CPU's
    caches: each further pass over it cost as much as the first), with ``check_content`` (no empty turn, no
    blank text, no final assistant text ending in whitespace; the first ``held`` messages, a thread's held
    conversation, left alone) and ``check_tool_pairs`` (unique tool_use ids, each answered by the next turn,
    each user turn's tool_result answering a call of the turn before; ``role: system`` entries skipped)."""
    last = len(messages) - 1
    seen: set[str] = set()
    asked: list[str] = []  # the tool_use ids of the turn before, when it was an assistant turn
    first = True
    check_block = walk.block
    for index, node in enumerate(messages):
        # _object, inline: thousands of messages. A message of two fields has no null to look for: they are
        # role and content, both checked below (a null role or content is refused), or one is missing (refused).
        if type(node) is not dict or (len(node) != 2 and None in node.values()):
            raise _Unsure
        message: dict[str, Any] = node
        role = message.get("role")
        if role not in _ROLES:
            raise _Unsure
        content = message.get("content")
        final_assistant = index == last and role == "assistant"  # a prefill: may be empty, may not end in blanks
        strict = index >= held and not final_assistant
        uses: list[str] = []
        results: list[str] = []
        if type(content) is list:
            if strict and not content:
                raise _Unsure
            for block in content:
                # Text, tool_use and tool_result blocks, most of a conversation, checked here as _Walk.block
                # would (no method call per block); every other block goes through it. No null in a block (the
                # models' dump would leave it out): looked for only in fields the checks below do not read.
                if type(block) is not dict:
                    raise _Unsure
                kind = block.get("type")
                if kind == "text":
                    if len(block) != 2 and None in block.values():  # two fields: type and text, both checked
                        raise _Unsure
                    text = block.get("text")
                    if type(text) is not str or ("citations" in block and type(block["citations"]) is not list):
                        raise _Unsure
                    # Blank: empty or all whitespace (what strip() would empty), told without copying the text.
                    if strict and (not text or text.isspace()):
                        raise _Unsure
                elif kind == "tool_use":
                    if None in block.values():
                        raise _Unsure
                    call = block.get("id")
                    if type(call) is not str or type(block.get("name")) is not str:
                        raise _Unsure
                    uses.append(call)
                elif kind == "tool_result":
                    # walk.block's tool_result, inline: every user turn of an agent loop is one. Three fields
                    # with content among them: type, tool_use_id and content, each checked below.
                    if (len(block) != 3 or "content" not in block) and None in block.values():
                        raise _Unsure
                    call = block.get("tool_use_id")
                    if type(call) is not str:
                        raise _Unsure
                    inner = block.get("content")
                    if type(inner) is list:
                        for item in inner:
                            check_block(item, _RESULT_CONTENT)
                        if strict and any(
                            b["type"] == "text" and (not b["text"] or b["text"].isspace()) for b in inner
                        ):
                            raise _Unsure
                    elif type(inner) is not str and "content" in block:
                        raise _Unsure
                    if "is_error" in block and type(block["is_error"]) is not bool:
                        raise _Unsure
                    results.append(call)
                else:
                    check_block(block, _MESSAGE_BLOCKS)
                    continue  # its cache_control counted by check_block
                if "cache_control" in block:
                    walk.cache_control(block)
            # A final assistant turn (a prefill) may not end in whitespace.
            if final_assistant and index >= held and content and content[-1]["type"] == "text":
                tail = content[-1]["text"]
                if tail and tail[-1].isspace():
                    raise _Unsure
        else:
            if type(content) is not str:
                raise _Unsure
            if strict and (not content or content.isspace()):
                raise _Unsure
            if final_assistant and index >= held and content and content[-1].isspace():
                raise _Unsure
        for call in uses:
            if call in seen:
                raise _Unsure  # tool_use ids must be unique (system entries' too)
            seen.add(call)
        if role == "system":
            continue
        # Plain loops over short lists: sets and generators per message cost more than the checks themselves.
        for call in asked:
            if call not in results:
                raise _Unsure  # a call of the assistant turn before left unanswered
        if results and role == "user" and not (first and continues_thread):
            for answered in results:
                if answered not in asked:
                    raise _Unsure  # a result answering no call of the turn before
        asked = uses if role == "assistant" else []
        first = False


def certainly_valid(
    body: object,
    *,
    count_tokens: bool = False,
    betas: frozenset[str] = frozenset(),
    max_output: Callable[[str], int | None] | None = None,
    held: int = 0,
) -> bool:
    """Whether the wire models and ``run_checks`` would accept ``body`` (a ``/v1/messages`` body, or a
    ``count_tokens`` one) and dump it as it is. False means "not certain": validate with the models."""
    try:
        _check(body, count_tokens, betas, max_output, held)
    except (_Unsure, KeyError, TypeError, AttributeError):
        # KeyError/TypeError/AttributeError: a later check read a field an earlier one leaves unchecked
        # (a block of the open fallback, say); the models decide.
        return False
    return True


def parse_message_request(
    body: Any,
    *,
    betas: frozenset[str] = frozenset(),
    max_output: Callable[[str], int | None] | None = None,
    held: int = 0,
) -> MessageCreateParams | None:
    """Validate a ``/v1/messages`` body: None when it certainly passes (no model built: read the JSON), else
    the wire model (a valid request this walk leaves to the models). Raises InvalidRequest with the API's
    message, from the models, when it is invalid."""
    if certainly_valid(body, betas=betas, max_output=max_output, held=held):
        return None
    return validate_message_request(body, betas=betas, max_output=max_output, held=held)


def parse_count_tokens(body: Any) -> CountTokensParams | None:
    """Validate a ``count_tokens`` body as ``parse_message_request`` does a message's."""
    if certainly_valid(body, count_tokens=True):
        return None
    return validate_count_tokens_request(body)
