"""``/v1/models`` objects, named and shaped like the SDK's ``ModelInfo`` (anthropic-python 2.17).

``capabilities`` is kept as plain JSON: its keys are the API's ("Keys are always present for all known
capabilities"), the catalogue fills every one, and a scenario may override any of them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

ModelLifecycle = Literal["active", "deprecated", "retired"]


class ModelInfo(BaseModel):
    type: Literal["model"] = "model"
    id: str
    display_name: str
    created_at: str
    # Fields the current API returns beside the four above; None is sent as null, as the API does.
    capabilities: dict[str, Any] | None = None
    deprecated_at: str | None = None
    lifecycle: ModelLifecycle = "active"
    line: str | None = None
    max_input_tokens: int | None = None
    max_tokens: int | None = None
    retires_at: str | None = None


class ModelsPage(BaseModel):
    data: list[ModelInfo]
    has_more: bool
    first_id: str | None
    last_id: str | None
