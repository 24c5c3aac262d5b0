"""OpenAI conversations → the neutral conversation rules read (the Messages API's shape).

Chat messages and Responses input items become ``system`` text, user and assistant turns, ``tool_use`` blocks
for the assistant's tool calls, ``tool_result`` blocks for tool outputs (consecutive outputs form one user
turn, as they answer one assistant turn), image and document blocks for attachments, and the tools offered.
So ``last_user``, ``turn``, ``tool_result``, ``tools`` and ``system`` mean the same whichever API asked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from mockgw.core.answer import Answer, ReasoningPart, TextPart, ToolCallPart
from mockgw.faces.openai.errors import OpenAIError

Block = dict[str, Any]
Turn = dict[str, Any]

# The view needs a max_tokens; OpenAI requests may leave it out (the face applies the request's own limit).
_UNLIMITED = 1 << 30


def _data_url_source(url: str, default_type: str) -> Block:
    """``data:image/png;base64,…`` → a base64 source; anything else → a url source."""
    if url.startswith("data:") and ";base64," in url:
        head, data = url[5:].split(";base64,", 1)
        return {"type": "base64", "media_type": head or default_type, "data": data}
    return {"type": "url", "url": url}


def _input_json(arguments: str) -> Any:
    """A tool call's ``arguments`` as JSON (as the model wrote them; kept as text when they do not parse)."""
    try:
        return json.loads(arguments) if arguments else {}
    except ValueError:
        return {"arguments": arguments}


def _text_of(content: str | Sequence[Block] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))


def _chat_part(part: Block) -> Block | None:
    kind, image_url, file = part["type"], part.get("image_url"), part.get("file")
    if kind == "text" and part.get("text") is not None:
        return {"type": "text", "text": part["text"]}
    if kind == "image_url" and image_url is not None:
        return {"type": "image", "source": _data_url_source(str(image_url.get("url", "")), "image/png")}
    if kind == "file" and file is not None:
        if isinstance(file.get("file_data"), str):
            return {"type": "document", "source": _data_url_source(file["file_data"], "application/pdf")}
        if isinstance(file.get("file_id"), str):
            return {"type": "document", "source": {"type": "file", "file_id": file["file_id"]}}
    return None  # audio and parts without a Messages counterpart are left out of the view


class _Conversation:
    """Turns being built: consecutive tool outputs join one user turn, tool calls join the assistant's."""

    def __init__(self) -> None:
        self.system: list[str] = []
        self.turns: list[Turn] = []

    def add(self, role: str, blocks: list[Block]) -> None:
        last = self.turns[-1] if self.turns else None
        if last is not None and last["role"] == role:
            last["content"].extend(blocks)
        else:
            self.turns.append({"role": role, "content": blocks})

    def user(self, blocks: list[Block]) -> None:
        # A user message after tool outputs starts a new turn, so its text is the "last user" text.
        last = self.turns[-1] if self.turns else None
        if last is not None and last["role"] == "user" and any(b["type"] == "tool_result" for b in last["content"]):
            self.turns.append({"role": "user", "content": blocks})
        else:
            self.add("user", blocks)

    def tool_result(self, call_id: str, text: str) -> None:
        last = self.turns[-1] if self.turns else None
        block = {"type": "tool_result", "tool_use_id": call_id, "content": text}
        if last is not None and last["role"] == "user" and all(b["type"] == "tool_result" for b in last["content"]):
            last["content"].append(block)
        else:
            self.turns.append({"role": "user", "content": [block]})

    def body(self, model: str, stream: bool, tools: list[Block], extra: dict[str, Any]) -> dict[str, Any]:
        """The conversation as a Messages request's JSON (``neutral_view`` checks it and makes the view)."""
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": _UNLIMITED,
            "messages": self.turns,
            "stream": stream,
            **extra,
        }
        if self.system:
            body["system"] = "\n".join(self.system)
        if tools:
            body["tools"] = tools
        return body


def neutral_tool(name: str, description: object, parameters: object) -> Block:
    """An offered function as a Messages tool (no ``description`` key for none: the model's dump has none)."""
    tool: Block = {"name": name, "input_schema": parameters or {"type": "object", "properties": {}}}
    if description is not None:
        tool["description"] = description
    return tool


def chat_conversation(messages: Sequence[Block]) -> _Conversation:
    """A chat request's messages (JSON that passed ``ChatMessageParam``) as neutral turns (``system`` and
    ``developer`` messages become the system text)."""
    conv = _Conversation()
    for i, m in enumerate(messages):
        role, content = m["role"], m.get("content")
        if role in ("system", "developer"):
            conv.system.append(_text_of(content))
        elif role == "user":
            if content is None:
                raise OpenAIError(
                    f"Missing required parameter: 'messages[{i}].content'.",
                    param=f"messages[{i}].content",
                    code="missing_required_parameter",
                )
            if isinstance(content, str):
                conv.user([{"type": "text", "text": content}])
            else:
                conv.user([b for b in map(_chat_part, content) if b is not None])
        elif role == "assistant":
            blocks: list[Block] = []
            text = _text_of(content)
            if text:
                blocks.append({"type": "text", "text": text})
            for call in m.get("tool_calls") or ():
                function = call["function"]
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call["id"],
                        "name": function["name"],
                        "input": _input_json(function.get("arguments", "")),
                    }
                )
            conv.add("assistant", blocks)
        else:  # tool, or the deprecated function role
            call_id = m.get("tool_call_id" if role == "tool" else "name")
            if call_id is None:
                field = "tool_call_id" if role == "tool" else "name"
                raise OpenAIError(
                    f"Missing required parameter: 'messages[{i}].{field}'.",
                    param=f"messages[{i}].{field}",
                    code="missing_required_parameter",
                )
            conv.tool_result(call_id, _text_of(content))
    return conv


def _response_part(part: Block) -> Block | None:
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text") and isinstance(part.get("text"), str):
        return {"type": "text", "text": part["text"]}
    if kind == "input_image":
        if isinstance(part.get("image_url"), str):
            return {"type": "image", "source": _data_url_source(part["image_url"], "image/png")}
        if isinstance(part.get("file_id"), str):
            return {"type": "image", "source": {"type": "file", "file_id": part["file_id"]}}
    if kind == "input_file":
        if isinstance(part.get("file_data"), str):
            return {"type": "document", "source": _data_url_source(part["file_data"], "application/pdf")}
        if isinstance(part.get("file_id"), str):
            return {"type": "document", "source": {"type": "file", "file_id": part["file_id"]}}
    return None


def response_items(conv: _Conversation, items: str | Sequence[Block]) -> None:
    """Add a Responses ``input`` (a string, or items: messages, function calls and their outputs) to ``conv``."""
    if isinstance(items, str):
        conv.user([{"type": "text", "text": items}])
        return
    for i, item in enumerate(items):
        kind = item.get("type", "message")
        if kind == "message" or (kind is None and "role" in item):
            role = item.get("role")
            content = item.get("content")
            if role not in ("user", "assistant", "system", "developer"):
                raise OpenAIError(
                    f"Invalid value: {role!r}. Supported values are: 'user', 'assistant', 'system', and 'developer'.",
                    param=f"input[{i}].role",
                    code="invalid_value",
                )
            if isinstance(content, str):
                blocks = [{"type": "text", "text": content}]
            elif isinstance(content, list):
                blocks = [b for b in (_response_part(p) for p in content if isinstance(p, dict)) if b is not None]
            else:
                raise OpenAIError(
                    f"Invalid type for 'input[{i}].content': expected a string or an array of content parts.",
                    param=f"input[{i}].content",
                    code="invalid_type",
                )
            if role in ("system", "developer"):
                conv.system.append(_text_of(blocks))
            elif role == "user":
                conv.user(blocks)
            else:
                conv.add("assistant", blocks)
        elif kind == "function_call":
            name, call_id = item.get("name"), item.get("call_id")
            if not isinstance(name, str) or not isinstance(call_id, str):
                raise OpenAIError(
                    f"Missing required parameter: 'input[{i}].{'name' if not isinstance(name, str) else 'call_id'}'.",
                    param=f"input[{i}]",
                    code="missing_required_parameter",
                )
            arguments = item.get("arguments")
            tool_input = _input_json(arguments if isinstance(arguments, str) else "")
            conv.add("assistant", [{"type": "tool_use", "id": call_id, "name": name, "input": tool_input}])
        elif kind == "function_call_output":
            call_id = item.get("call_id")
            if not isinstance(call_id, str):
                raise OpenAIError(
                    f"Missing required parameter: 'input[{i}].call_id'.",
                    param=f"input[{i}].call_id",
                    code="missing_required_parameter",
                )
            output = item.get("output")
            if not isinstance(output, str | list):
                raise OpenAIError(
                    f"Invalid type for 'input[{i}].output': expected a string or an array of content parts.",
                    param=f"input[{i}].output",
                    code="invalid_type",
                )
            conv.tool_result(call_id, output if isinstance(output, str) else _text_of(output))
        # reasoning items, item references and other item types carry nothing rules read


def answer_turn(answer: Answer) -> Turn:
    """The assistant turn an answer adds to a held conversation (``previous_response_id``)."""
    blocks: list[Block] = []
    for part in answer.parts:
        if isinstance(part, TextPart):
            blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ReasoningPart):
            blocks.append({"type": "thinking", "thinking": part.text, "signature": part.signature})
        elif isinstance(part, ToolCallPart):
            blocks.append({"type": "tool_use", "id": part.id, "name": part.name, "input": part.input})
    return {"role": "assistant", "content": blocks}


def thinking_of(effort: str | None, reasoning: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What an OpenAI request asks of reasoning, as the neutral ``thinking`` (None: it does not say).

    ``reasoning_effort`` (chat), ``reasoning: {effort}`` (responses) and the gateway's own ``reasoning:
    {enabled, effort, max_tokens, exclude}`` turn thinking on, unless they say ``none``, ``enabled: false``
    or ``exclude: true`` (the model's reasoning is not returned).
    """
    if reasoning is not None:
        off = reasoning.get("enabled") is False or reasoning.get("effort") == "none" or reasoning.get("exclude")
        return {"type": "disabled"} if off else {"type": "adaptive"}
    if effort is not None:
        return {"type": "disabled"} if effort == "none" else {"type": "adaptive"}
    return None
