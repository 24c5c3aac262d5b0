"""Tools a request offers, and how it asks the model to use them (``tool_choice``).

A tool is a custom (client) tool, ``{"name", "input_schema", …}`` with no ``type`` or ``type: "custom"``, or a
server tool / toolset named by its versioned ``type`` (``web_search_20250305``, ``computer_toolset_20260801``,
``mcp_toolset`` …). The catalogue of server tool types is the official SDK's ``BetaToolUnionParam``
(anthropic-python 2.17): ``SERVER_TOOLS`` maps each type to the one ``name`` the SDK allows for it (None for
toolsets, which carry no name) and the fields it requires besides ``type`` and ``name``. A ``type`` outside
the catalogue passes through, as an unknown field does.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, StrictBool, StrictStr, StringConstraints, Tag

from mockgw.faces.anthropic.wire.blocks import OTHER, CacheControlParam, _Open, type_of

# The API's rule for a custom tool's name, as its 400 quotes it: "String should match pattern '…'".
TOOL_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,128}$"


class ServerTool:
    """What the catalogue knows of one server tool type: its fixed name (None: a toolset) and required fields."""

    __slots__ = ("name", "required")

    def __init__(self, name: str | None, *required: str) -> None:
        self.name = name
        self.required = required


SERVER_TOOLS: dict[str, ServerTool] = {
    "bash_20241022": ServerTool("bash"),
    "bash_20250124": ServerTool("bash"),
    "code_execution_20250522": ServerTool("code_execution"),
    "code_execution_20250825": ServerTool("code_execution"),
    "code_execution_20260120": ServerTool("code_execution"),
    "code_execution_20260521": ServerTool("code_execution"),
    "computer_20241022": ServerTool("computer", "display_width_px", "display_height_px"),
    "computer_20250124": ServerTool("computer", "display_width_px", "display_height_px"),
    "computer_20251124": ServerTool("computer", "display_width_px", "display_height_px"),
    "memory_20250818": ServerTool("memory"),
    "text_editor_20241022": ServerTool("str_replace_editor"),
    "text_editor_20250124": ServerTool("str_replace_editor"),
    "text_editor_20250429": ServerTool("str_replace_based_edit_tool"),
    "text_editor_20250728": ServerTool("str_replace_based_edit_tool"),
    "web_search_20250305": ServerTool("web_search"),
    "web_search_20260209": ServerTool("web_search"),
    "web_search_20260318": ServerTool("web_search"),
    "web_fetch_20250910": ServerTool("web_fetch"),
    "web_fetch_20260209": ServerTool("web_fetch"),
    "web_fetch_20260309": ServerTool("web_fetch"),
    "web_fetch_20260318": ServerTool("web_fetch"),
    "advisor_20260301": ServerTool("advisor", "model"),
    "tool_search_tool_bm25_20251119": ServerTool("tool_search_tool_bm25"),
    "tool_search_tool_bm25": ServerTool("tool_search_tool_bm25"),
    "tool_search_tool_regex_20251119": ServerTool("tool_search_tool_regex"),
    "tool_search_tool_regex": ServerTool("tool_search_tool_regex"),
    # Toolsets: one tools[] entry for a family of tools, with no name of its own.
    "computer_toolset_20260801": ServerTool(None),
    "browser_toolset_20260801": ServerTool(None),
    "mcp_toolset": ServerTool(None, "mcp_server_name"),
}


class CustomToolParam(_Open):
    """A client tool: the model calls it by ``name`` with input shaped by ``input_schema``."""

    name: Annotated[StrictStr, StringConstraints(pattern=TOOL_NAME_PATTERN)]
    type: Literal["custom"] | None = None
    description: StrictStr | None = None
    input_schema: dict[str, Any]
    cache_control: CacheControlParam | None = None


class OtherToolParam(_Open):
    """A server tool or toolset (its own checks are in SERVER_TOOLS), or a tool type newer than the catalogue."""

    type: StrictStr
    name: StrictStr | None = None
    cache_control: CacheControlParam | None = None


def _tool_tag(value: Any) -> str:
    kind = type_of(value)
    return "custom" if kind is None or kind == "custom" else OTHER


ToolUnionParam = Annotated[
    Annotated[CustomToolParam, Tag("custom")] | Annotated[OtherToolParam, Tag(OTHER)],
    Discriminator(_tool_tag),
]


def tool_name(tool: CustomToolParam | OtherToolParam) -> str | None:
    """The name the model calls a tool by; None for toolsets, which carry none."""
    return tool.name


class ToolChoiceAutoParam(_Open):
    type: Literal["auto"]
    disable_parallel_tool_use: StrictBool | None = None


class ToolChoiceAnyParam(_Open):
    type: Literal["any"]
    disable_parallel_tool_use: StrictBool | None = None


class ToolChoiceToolParam(_Open):
    type: Literal["tool"]
    name: StrictStr
    disable_parallel_tool_use: StrictBool | None = None


class ToolChoiceNoneParam(_Open):
    type: Literal["none"]


ToolChoiceParam = Annotated[
    ToolChoiceAutoParam | ToolChoiceAnyParam | ToolChoiceToolParam | ToolChoiceNoneParam,
    Discriminator("type"),
]
