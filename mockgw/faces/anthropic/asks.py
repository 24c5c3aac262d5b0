"""What an Anthropic Messages request asks of its answer (``tool_choice``, ``thinking``), as the neutral
``Asks`` the honour step reads; and that step applied to a reply."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from mockgw.core.answer import Reply, tokens
from mockgw.core.honour import Asks, OfferedTool, ThinkingDisplay, ToolChoice, honour
from mockgw.core.jsonschema_gen import Fake
from mockgw.core.request import Attachment, input_chars
from mockgw.core.structured import Schemas, structure
from mockgw.faces.anthropic.citations import documents
from mockgw.faces.anthropic.citations import resolve as resolve_citations
from mockgw.faces.anthropic.context_edits import applied_edits, field, request_container
from mockgw.faces.anthropic.wire.requests import MessageCreateParams
from mockgw.gateway.catalogue import always_thinks
from mockgw.scenario.schema import TextReply
from mockgw.scenario.templates import TemplateContext

_CHOICES: dict[str, ToolChoice] = {"auto": "auto", "any": "any", "tool": "tool", "none": "none"}


def _field(obj: Any, name: str) -> Any:
    """A field of a request part, declared or not (parts keep unknown fields: ``thinking.display`` …)."""
    if isinstance(obj, dict):
        return obj.get(name)
    value = getattr(obj, name, None)
    if value is None and getattr(obj, "model_extra", None):
        value = obj.model_extra.get(name)
    return value


def _thinking(params: MessageCreateParams) -> ThinkingDisplay:
    thinking = params.thinking
    if thinking is None:
        # Models whose thinking is always on think even when the request says nothing of it.
        return "shown" if always_thinks(params.model) else "off"
    kind = _field(thinking, "type")
    if kind == "disabled":
        return "off"
    # enabled, adaptive, between_tools (its progress notes come back as thinking blocks), and newer types.
    return "omitted" if _field(thinking, "display") == "omitted" else "shown"


def asks_of(params: MessageCreateParams) -> Asks:
    """The neutral description of what this request asks of its answer."""
    choice = params.tool_choice
    kind = _field(choice, "type") if choice is not None else None
    tools = tuple(
        OfferedTool(name, schema if isinstance(schema := _field(t, "input_schema"), dict) else None)
        for t in params.tools or ()
        if isinstance(name := _field(t, "name"), str)
    )
    return Asks(
        tool_choice=_CHOICES.get(kind, "auto") if isinstance(kind, str) else "auto",
        tool_name=_field(choice, "name") if kind == "tool" else None,
        parallel_tool_use=not (choice is not None and _field(choice, "disable_parallel_tool_use") is True),
        thinking=_thinking(params),
        tools=tools,
    )


def schemas_of(params: MessageCreateParams, asks: Asks) -> Schemas:
    """The request's output schema (``output_config.format``) and its tools' input schemas."""
    fmt = params.output_config.format if params.output_config is not None else None
    output = fmt.schema_ if fmt is not None and fmt.type == "json_schema" else None
    return Schemas(output=output, tools={t.name: t.input_schema for t in asks.tools})


def honour_request(
    reply: Reply,
    params: MessageCreateParams,
    *,
    ctx: TemplateContext | None = None,
    rng: random.Random | Callable[[], random.Random] | None = None,
    fake: Fake | None = None,
    attachments: Sequence[Attachment] = (),
) -> tuple[Reply, tuple[str, ...]]:
    """``reply`` as this request asks for it (see ``mockgw.core.honour``), and the notes saying what changed.

    With ``ctx`` and ``rng`` (the request's ``Draws.content``, or a generator), ``json`` blocks and ``input: auto``
    are made and checked against the request's schemas too (``mockgw.core.structured``; raises ``ReplyMismatch``).
    """
    asks = asks_of(params)
    done = honour(reply.blocks, reply.stop_reason, asks)
    blocks, notes = done.blocks, done.notes
    if ctx is not None and rng is not None:
        blocks, made = structure(blocks, schemas_of(params, asks), ctx, rng, fake)
        notes = (*notes, *made)
        if any(isinstance(b, TextReply) and b.citations for b in blocks):
            blocks = resolve_citations(blocks, documents(params, attachments))
    applied = reply.applied_edits
    if applied is None and field(params, "context_management") is not None:
        applied = applied_edits(params, tokens(input_chars(params)))
    honoured = Reply(
        blocks,
        done.stop_reason,
        reply.usage,
        omit_thinking=done.omit_thinking,
        stop_details=reply.stop_details,
        container=reply.container,
        request_container=request_container(params),
        applied_edits=applied,
    )
    return honoured, notes
