"""The error catalogue (spec README §7): one exception hierarchy, rendered in one place."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Base of every error that becomes an HTTP response with a spec error body."""

    status = 500
    code = "InternalError"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}

    def headers(self) -> dict[str, str]:
        return {}


class InternalError(ApiError):
    def __init__(self) -> None:
        # Never exception text: the body is fixed by the spec.
        super().__init__("An internal error occurred")


class ValidationError(ApiError):
    status = 400
    code = "ValidationError"

    def __init__(self, details: list[dict[str, Any]]) -> None:
        super().__init__("Could not validate required fields", details=details)
        self.details = details


class InvalidParameter(ApiError):
    status = 400
    code = "InvalidParameter"

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message, parameter=parameter)


class CodeAlreadyUsed(ApiError):
    status = 400
    code = "CodeAlreadyUsed"


class InvalidContent(ApiError):
    status = 400
    code = "InvalidContent"


class BadRequestError(ApiError):
    status = 400
    code = "BadRequestError"


class NotAuthorized(ApiError):
    status = 403
    code = "NotAuthorized"


class ResourceNotFound(ApiError):
    status = 404
    code = "ResourceNotFound"

    @classmethod
    def for_field(cls, model: str, field: str, value: object) -> ResourceNotFound:
        """The path-resolution template: Could not find <model> field: `<field>`, value: `<v>`."""
        return cls(f"Could not find {model} field: `{field}`, value: `{value}`")


class MethodNotAllowed(ApiError):
    status = 405
    code = "MethodNotAllowedError"

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(f"{method} is not allowed")
        self.allowed = allowed

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class ResourceConflict(ApiError):
    status = 409
    code = "ResourceConflict"

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(message, details=details)

    @classmethod
    def duplicate_slug(cls, model: str, details: dict[str, Any]) -> ResourceConflict:
        return cls(f"{model} with that `slug` already exists", details)


class RequestEntityTooLarge(ApiError):
    status = 413
    code = "RequestEntityTooLargeError"


class UnsupportedMediaType(ApiError):
    status = 415
    code = "UnsupportedMediaTypeError"
