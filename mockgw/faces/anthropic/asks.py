"""What an Anthropic Messages request asks of its answer (``tool_choice``, ``thinking``), as the neutral
``Asks`` the honour step reads; and that step applied to a reply."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mockgw.core.answer import Reply, tokens
from mockgw.core.honour import Asks, OfferedTool, ThinkingDisplay, ToolChoice, honour
from mockgw.core.jsonschema_gen import Fake
from mockgw.core.request import Attachment, RequestView, input_chars
from mockgw.core.structured import Schemas, structure
from mockgw.faces.anthropic.citations import documents
from mockgw.faces.anthropic.citations import resolve as resolve_citations
from mockgw.faces.anthropic.context_edits import applied_edits, field, request_container
from mockgw.faces.anthropic.wire.requests import JSONOutputFormatParam, MessageCreateParams
from mockgw.gateway.catalogue import always_thinks
from mockgw.scenario.schema import TextReply
from mockgw.scenario.templates import TemplateContext

_CHOICES: dict[str, ToolChoice] = {"auto": "auto", "any": "any", "tool": "tool", "none": "none"}


# A request as its wire model, or as the JSON of one (a RequestView's ``data``: no model built).
Request = MessageCreateParams | Mapping[str, Any]


def _thinking(params: Request) -> ThinkingDisplay:
    thinking = field(params, "thinking")
    if thinking is None:
        # Models whose thinking is always on think even when the request says nothing of it.
        return "shown" if always_thinks(field(params, "model")) else "off"
    kind = field(thinking, "type")
    if kind == "disabled":
        return "off"
    # enabled, adaptive, between_tools (its progress notes come back as thinking blocks), and newer types.
    return "omitted" if field(thinking, "display") == "omitted" else "shown"


def request_of(params: MessageCreateParams | RequestView) -> Request:
    """What the steps below read of a request: a view's JSON when it reads as the model would (context edits
    measure it), else the model."""
    if not isinstance(params, RequestView):
        return params
    return params.data if params.exact_dump else params.params


def thinking_display(params: Request) -> ThinkingDisplay:
    """Whether the request's answer shows thinking, omits its text, or has none (``Asks.thinking``)."""
    return _thinking(params)


def tool_choice_kind(params: Request) -> ToolChoice:
    """The request's ``tool_choice`` type (``auto`` when it has none, or one newer than we know)."""
    choice = field(params, "tool_choice")
    kind = field(choice, "type") if choice is not None else None
    return _CHOICES.get(kind, "auto") if isinstance(kind, str) else "auto"


def parallel_tool_use(params: Request) -> bool:
    """Whether the request allows parallel tool calls (no ``disable_parallel_tool_use: true``)."""
    choice = field(params, "tool_choice")
    return not (choice is not None and field(choice, "disable_parallel_tool_use") is True)


def asks_of(params: Request) -> Asks:
    """The neutral description of what this request asks of its answer."""
    choice = field(params, "tool_choice")
    kind = field(choice, "type") if choice is not None else None
    tools = tuple(
        OfferedTool(name, schema if isinstance(schema := field(t, "input_schema"), dict) else None)
        for t in field(params, "tools") or ()
        if isinstance(name := field(t, "name"), str)
    )
    return Asks(
        tool_choice=tool_choice_kind(params),
        tool_name=field(choice, "name") if kind == "tool" else None,
        parallel_tool_use=parallel_tool_use(params),
        thinking=_thinking(params),
        tools=tools,
    )


def schemas_of(params: Request, asks: Asks) -> Schemas:
    """The request's output schema (``output_config.format``) and its tools' input schemas."""
    config = field(params, "output_config")
    fmt = field(config, "format") if config is not None else None
    output: Any = None
    if isinstance(fmt, JSONOutputFormatParam):
        output = fmt.schema_  # not getattr(fmt, "schema"): that is pydantic's deprecated classmethod
    elif isinstance(fmt, Mapping) and fmt.get("type") == "json_schema":
        output = fmt.get("schema")
    return Schemas(output=output, tools={t.name: t.input_schema for t in asks.tools})


def honour_request(
    reply: Reply,
    params: MessageCreateParams | RequestView,
    *,
    ctx: TemplateContext | None = None,
    rng: random.Random | Callable[[], random.Random] | None = None,
    fake: Fake | None = None,
    attachments: Sequence[Attachment] = (),
) -> tuple[Reply, tuple[str, ...]]:
    """``reply`` as this request (its wire model, or its view) asks for it (see ``mockgw.core.honour``), and the
    notes saying what changed.

    With ``ctx`` and ``rng`` (the request's ``Draws.content``, or a generator), ``json`` blocks and ``input: auto``
    are made and checked against the request's schemas too (``mockgw.core.structured``; raises ``ReplyMismatch``).
    """
    request = request_of(params)
    asks = asks_of(request)
    done = honour(reply.blocks, reply.stop_reason, asks)
    blocks, notes = done.blocks, done.notes
    if ctx is not None and rng is not None:
        blocks, made = structure(blocks, schemas_of(request, asks), ctx, rng, fake)
        notes = (*notes, *made)
        if any(isinstance(b, TextReply) and b.citations for b in blocks):
            model = params.params if isinstance(params, RequestView) else params  # built here if not before
            blocks = resolve_citations(blocks, documents(model, attachments))
    applied = reply.applied_edits
    if applied is None and field(request, "context_management") is not None:
        chars = params.input_chars if isinstance(params, RequestView) else input_chars(params)
        applied = applied_edits(request, tokens(chars))
    honoured = Reply(
        blocks,
        done.stop_reason,
        reply.usage,
        omit_thinking=done.omit_thinking,
        stop_details=reply.stop_details,
        container=reply.container,
        request_container=request_container(request),
        applied_edits=applied,
    )
    return honoured, notes
