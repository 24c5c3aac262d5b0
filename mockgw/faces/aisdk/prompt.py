"""An AI SDK call (``LanguageModelV4CallOptions``) → the neutral conversation rules read (the Messages shape).

``@ai-sdk/gateway`` posts the provider-level call options as they are: a ``prompt`` of ``system``, ``user``,
``assistant`` and ``tool`` messages with typed parts, ``tools`` with an ``inputSchema``, ``toolChoice``,
``responseFormat``, ``reasoning``, ``maxOutputTokens``, ``stopSequences`` and ``providerOptions``. Text parts
become text blocks, files images or documents, reasoning thinking blocks, tool calls ``tool_use`` and tool
results ``tool_result`` blocks; so ``last_user``, ``turn``, ``tool_result`` and ``tools`` mean the same as on
every other face. What the Messages shape has no room for (provider-executed tools, approvals) is left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mockgw.core.request import RequestView
from mockgw.faces.anthropic.parse import certainly_valid
from mockgw.faces.anthropic.wire.requests import MessageCreateParams
from mockgw.faces.openai.errors import OpenAIError
from mockgw.faces.openai.parse import neutral_view as checked_view

Block = dict[str, Any]

# The view needs a max_tokens; an AI SDK call may leave it out (the face applies the call's own limit).
_UNLIMITED = 1 << 30


def _bad(message: str, param: str) -> OpenAIError:
    return OpenAIError(message, param=param, code="invalid_request")


def _file_block(part: Mapping[str, Any]) -> Block | None:
    """A file part as an image or document block (inline base64, a URL, or a text document)."""
    media = str(part.get("mediaType") or "application/octet-stream")
    data = part.get("data")
    kind = "image" if media.startswith("image") else "document"
    if isinstance(data, str):  # the older spelling: base64 text or a URL
        data = (
            {"type": "url", "url": data} if data.startswith(("http://", "https://")) else {"type": "data", "data": data}
        )
    if not isinstance(data, Mapping):
        return None
    if data.get("type") == "data" and isinstance(data.get("data"), str):
        return {"type": kind, "source": {"type": "base64", "media_type": media, "data": data["data"]}}
    if data.get("type") == "url" and isinstance(data.get("url"), str):
        return {"type": kind, "source": {"type": "url", "url": data["url"]}}
    if data.get("type") == "text" and isinstance(data.get("text"), str):
        return {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": data["text"]}}
    return None


def _output_text(output: Any) -> str:
    """A tool result's output as the text a ``tool_result`` block carries."""
    if not isinstance(output, Mapping):
        return ""
    kind, value = output.get("type"), output.get("value")
    if kind in ("text", "error-text") and isinstance(value, str):
        return value
    if kind in ("json", "error-json"):
        return json.dumps(value, ensure_ascii=False)
    if kind == "execution-denied":
        return str(output.get("reason") or "Tool execution denied.")
    if kind == "content" and isinstance(value, list):
        return "\n".join(str(p.get("text")) for p in value if isinstance(p, Mapping) and p.get("type") == "text")
    return ""


def _tool_input(value: Any) -> Any:
    # The prompt carries a call's input as a JSON value; older providers sent JSON text.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {"input": value}
    return value if value is not None else {}


def _thinking_signature(part: Mapping[str, Any]) -> str:
    """The signature a reasoning part carries back (the gateway's or Anthropic's provider options)."""
    options = part.get("providerOptions")
    if isinstance(options, Mapping):
        for name in ("gateway", "anthropic"):
            entry = options.get(name)
            if isinstance(entry, Mapping) and isinstance(entry.get("signature"), str):
                return str(entry["signature"])
    return ""


def _blocks(role: str, content: Any, at: str) -> list[Block]:
    if not isinstance(content, list):
        raise _bad(f"Invalid prompt: {at}.content must be an array of parts for role '{role}'.", f"{at}.content")
    blocks: list[Block] = []
    for part in content:
        if not isinstance(part, Mapping):
            raise _bad(f"Invalid prompt: {at}.content holds a part that is not an object.", f"{at}.content")
        kind = part.get("type")
        if kind == "text" and isinstance(part.get("text"), str):
            blocks.append({"type": "text", "text": part["text"]})
        elif kind == "file":
            block = _file_block(part)
            if block is not None:
                blocks.append(block)
        elif kind == "reasoning" and isinstance(part.get("text"), str):
            blocks.append({"type": "thinking", "thinking": part["text"], "signature": _thinking_signature(part)})
        elif kind == "tool-call" and not part.get("providerExecuted"):
            call_id, name = part.get("toolCallId"), part.get("toolName")
            if isinstance(call_id, str) and isinstance(name, str):
                blocks.append(
                    {"type": "tool_use", "id": call_id, "name": name, "input": _tool_input(part.get("input"))}
                )
        elif kind == "tool-result" and isinstance(part.get("toolCallId"), str):
            block = {
                "type": "tool_result",
                "tool_use_id": part["toolCallId"],
                "content": _output_text(part.get("output")),
            }
            if isinstance(part.get("output"), Mapping) and str(part["output"].get("type", "")).startswith("error"):
                block["is_error"] = True
            blocks.append(block)
    return blocks


def conversation(prompt: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """The system texts and the neutral turns of a prompt (tool results join one user turn)."""
    if not isinstance(prompt, list):
        raise _bad("Invalid prompt: 'prompt' must be an array of messages.", "prompt")
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for i, message in enumerate(prompt):
        at = f"prompt[{i}]"
        if not isinstance(message, Mapping):
            raise _bad(f"Invalid prompt: {at} must be an object.", at)
        role = message.get("role")
        if role == "system":
            content = message.get("content")
            if not isinstance(content, str):
                raise _bad(f"Invalid prompt: {at}.content must be a string for role 'system'.", f"{at}.content")
            system.append(content)
            continue
        if role not in ("user", "assistant", "tool"):
            raise _bad(f"Invalid prompt: {at}.role must be one of system, user, assistant, tool.", f"{at}.role")
        turn_role = "assistant" if role == "assistant" else "user"
        blocks = _blocks(str(role), message.get("content"), at)
        last = turns[-1] if turns else None
        # Tool results answer the assistant turn before them; a user message after them starts a new turn.
        joins = last is not None and last["role"] == turn_role
        if joins and last is not None and role == "user" and any(b["type"] == "tool_result" for b in last["content"]):
            joins = False
        if joins and last is not None:
            last["content"].extend(blocks)
        else:
            turns.append({"role": turn_role, "content": blocks})
    return system, turns


def tool_choice(choice: Any) -> dict[str, Any] | None:
    """The AI SDK's ``toolChoice`` in the neutral (Messages) vocabulary."""
    if not isinstance(choice, Mapping):
        return None
    kind = choice.get("type")
    if kind in ("auto", "none"):
        return {"type": kind}
    if kind == "required":
        return {"type": "any"}
    if kind == "tool" and isinstance(choice.get("toolName"), str):
        return {"type": "tool", "name": choice["toolName"]}
    return None


def thinking(reasoning: Any, provider_options: Any) -> dict[str, Any] | None:
    """What the call asks of thinking, as the neutral ``thinking`` (None: it leaves it to the provider).

    The call's ``reasoning`` level, else the options for Anthropic the gateway passes on
    (``providerOptions.anthropic.thinking``, as ``@ai-sdk/anthropic`` spells them).
    """
    if isinstance(reasoning, str) and reasoning != "provider-default":
        return {"type": "disabled"} if reasoning == "none" else {"type": "adaptive"}
    anthropic = provider_options.get("anthropic") if isinstance(provider_options, Mapping) else None
    asked = anthropic.get("thinking") if isinstance(anthropic, Mapping) else None
    if isinstance(asked, Mapping) and asked.get("type") in ("enabled", "adaptive", "disabled"):
        return {"type": "disabled"} if asked["type"] == "disabled" else {"type": "adaptive"}
    return None


def neutral_data(body: Mapping[str, Any], model: str, stream: bool) -> dict[str, Any]:
    """The call as a Messages request's JSON: what rules, templates and the honour step read.

    Nothing is validated here but the prompt's shape (``OpenAIError``); ``neutral_params`` or
    ``faces/anthropic/parse.certainly_valid`` decide whether the Messages models take it. A tool's absent
    ``description`` is left out rather than written ``null``, as the models' dump leaves it out.
    """
    system, turns = conversation(body.get("prompt"))
    neutral: dict[str, Any] = {"model": model, "max_tokens": _UNLIMITED, "messages": turns, "stream": stream}
    if system:
        neutral["system"] = "\n".join(system)
    tools = [
        _tool(t)
        for t in body.get("tools") or ()
        if isinstance(t, Mapping) and t.get("type", "function") == "function" and isinstance(t.get("name"), str)
    ]
    if tools:
        neutral["tools"] = tools
    choice = tool_choice(body.get("toolChoice"))
    if choice is not None:
        neutral["tool_choice"] = choice
    asked = thinking(body.get("reasoning"), body.get("providerOptions"))
    if asked is not None:
        neutral["thinking"] = asked
    fmt = body.get("responseFormat")
    if isinstance(fmt, Mapping) and fmt.get("type") == "json":
        schema = fmt.get("schema")
        neutral["output_config"] = {
            "format": {"type": "json_schema", "schema": schema if isinstance(schema, Mapping) else {}}
        }
    return neutral


def _tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    neutral: dict[str, Any] = {"name": tool["name"]}
    description = tool.get("description")
    if description is not None:
        neutral["description"] = description
    neutral["input_schema"] = tool.get("inputSchema") or {"type": "object", "properties": {}}
    return neutral


def neutral_params(body: Mapping[str, Any], model: str, stream: bool) -> MessageCreateParams:
    """The call as the Messages wire model (pydantic's ValidationError for what the models refuse)."""
    return MessageCreateParams.model_validate(neutral_data(body, model, stream))


_PLAIN_CHOICES = ({"type": "auto"}, {"type": "none"})


def neutral_view(
    neutral: dict[str, Any], headers: Mapping[str, str], session: str, face: str, body: Mapping[str, Any]
) -> RequestView:
    """The view rules read of a neutral request: its JSON itself when the Messages models certainly take it
    and dump it unchanged (no model built: the happy path), else the models, as the OpenAI face's
    ``neutral_view`` does (what they refuse, an image type or a tool name outside their rules, is a 400)."""
    if "tools" not in neutral and neutral.get("tool_choice") in _PLAIN_CHOICES:
        # The AI SDK sends toolChoice auto with no tools. The API's checks refuse tool_choice without tools,
        # certainly_valid with them; this face validates with the models alone, which take it as it is.
        probe = {name: value for name, value in neutral.items() if name != "tool_choice"}
        if certainly_valid(probe):
            return RequestView(None, headers, session, face, body=body, data=neutral)
    return checked_view(neutral, headers, session, face, body)
