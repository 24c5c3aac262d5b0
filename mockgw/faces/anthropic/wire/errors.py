"""Error bodies and the status ↔ error type table of the Anthropic API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from mockgw.faces.anthropic.wire.events import ErrorDetail

ERROR_TYPE_BY_STATUS: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}

DEFAULT_MESSAGE_BY_TYPE: dict[str, str] = {
    "invalid_request_error": "Invalid request",
    "authentication_error": "invalid x-api-key",
    "billing_error": "Your credit balance is too low to access the Anthropic API.",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "Not found",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit",
    "api_error": "Internal server error",
    "timeout_error": "Request timed out",
    "overloaded_error": "Overloaded",
}


def error_type_for_status(status: int) -> str:
    """The Anthropic error type a status means: the table above, else by class (4xx/5xx)."""
    if status in ERROR_TYPE_BY_STATUS:
        return ERROR_TYPE_BY_STATUS[status]
    return "invalid_request_error" if status < 500 else "api_error"


def default_message(error_type: str) -> str:
    """The message the API gives for an error type when a scenario gives none."""
    return DEFAULT_MESSAGE_BY_TYPE.get(error_type, error_type.replace("_", " ").capitalize())


class ErrorResponse(BaseModel):
    """``{"type": "error", "error": {...}, "request_id": "req_..."}``."""

    type: Literal["error"] = "error"
    error: ErrorDetail
    request_id: str | None = None


_STATUS_BY_TYPE: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def status_for_error_type(error_type: str) -> int:
    """The HTTP status that carries an error type (500 for types the API does not name)."""
    return _STATUS_BY_TYPE.get(error_type, 500)
