"""OpenAI-shaped errors: ``{"error": {"message", "type", "param", "code"}}`` with the gateway's types.

The types are the ones Vercel AI Gateway answers with, as its own client (``@ai-sdk/gateway``,
``src/errors/create-gateway-error.ts``) maps them to error classes: ``authentication_error`` (401),
``invalid_request_error`` (400), ``forbidden`` (403), ``not_found`` / ``model_not_found`` (404),
``timeout_error`` (408), ``failed_dependency`` (424), ``rate_limit_exceeded`` (429) and
``internal_server_error`` (500). The OpenAI SDKs pick their exception class from the status alone.
"""

from __future__ import annotations

from typing import Any

ERROR_TYPE_BY_STATUS: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "forbidden",
    404: "not_found",
    408: "timeout_error",
    413: "invalid_request_error",
    424: "failed_dependency",
    429: "rate_limit_exceeded",
    500: "internal_server_error",
}

DEFAULT_MESSAGE_BY_TYPE: dict[str, str] = {
    "invalid_request_error": "Invalid request",
    "authentication_error": "Invalid API key",
    "forbidden": "Forbidden",
    "not_found": "Not found",
    "model_not_found": "Model not found",
    "timeout_error": "Request timed out",
    "failed_dependency": "The provider failed to answer",
    "rate_limit_exceeded": "Rate limit exceeded",
    "internal_server_error": "Internal server error",
}

# Types a scenario may write in the Anthropic vocabulary (``type: overloaded_error``), in the gateway's words.
_FROM_ANTHROPIC: dict[str, str] = {
    "authentication_error": "authentication_error",
    "permission_error": "forbidden",
    "not_found_error": "not_found",
    "rate_limit_error": "rate_limit_exceeded",
    "api_error": "internal_server_error",
    "overloaded_error": "internal_server_error",
    "timeout_error": "timeout_error",
    "request_too_large": "invalid_request_error",
}

_STATUS_BY_TYPE: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "forbidden": 403,
    "not_found": 404,
    "model_not_found": 404,
    "timeout_error": 408,
    "failed_dependency": 424,
    "rate_limit_exceeded": 429,
    "internal_server_error": 500,
}


def error_type_for_status(status: int) -> str:
    """The gateway's error type for a status: the table above, else by class (4xx/5xx)."""
    if status in ERROR_TYPE_BY_STATUS:
        return ERROR_TYPE_BY_STATUS[status]
    return "invalid_request_error" if status < 500 else "internal_server_error"


def openai_error_type(error_type: str | None, status: int) -> str:
    """A scenario's error type in the gateway's vocabulary (Anthropic names translated), else from the status."""
    if error_type is None:
        return error_type_for_status(status)
    return _FROM_ANTHROPIC.get(error_type, error_type)


def status_for_error_type(error_type: str) -> int:
    """The HTTP status that carries a gateway error type (500 for types it does not name)."""
    return _STATUS_BY_TYPE.get(openai_error_type(error_type, 500), 500)


def default_message(error_type: str) -> str:
    return DEFAULT_MESSAGE_BY_TYPE.get(error_type, error_type.replace("_", " ").capitalize())


def error_body(
    status: int,
    message: str | None = None,
    *,
    error_type: str | None = None,
    param: Any = None,
    code: str | None = None,
) -> dict[str, Any]:
    """The body of an OpenAI-shaped error answer."""
    kind = openai_error_type(error_type, status)
    return {"error": {"message": message or default_message(kind), "type": kind, "param": param, "code": code}}


class OpenAIError(Exception):
    """A request the face refuses, with everything its error body says."""

    def __init__(
        self,
        message: str,
        status: int = 400,
        *,
        error_type: str | None = None,
        param: Any = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_type = error_type
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.message, error_type=self.error_type, param=self.param, code=self.code)
