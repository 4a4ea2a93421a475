"""The error catalogue (spec README §7.1): status, `code`, message and extra keys of every error
body, and the 404 template for path resolution."""

from __future__ import annotations

import pytest

from badgekit import errors


@pytest.mark.parametrize(
    ("error", "status", "body", "headers"),
    [
        (
            errors.InternalError(),
            500,
            {"code": "InternalError", "message": "An internal error occurred"},
            {},
        ),
        (
            errors.ValidationError([{"message": "Required field", "field": "name", "value": ""}]),
            400,
            {
                "code": "ValidationError",
                "message": "Could not validate required fields",
                "details": [{"message": "Required field", "field": "name", "value": ""}],
            },
            {},
        ),
        (
            errors.InvalidParameter("archived", "Invalid `archived` parameter."),
            400,
            {
                "code": "InvalidParameter",
                "message": "Invalid `archived` parameter.",
                "parameter": "archived",
            },
            {},
        ),
        (
            errors.CodeAlreadyUsed("used"),
            400,
            {"code": "CodeAlreadyUsed", "message": "used"},
            {},
        ),
        (
            errors.InvalidContent("Invalid JSON: x"),
            400,
            {"code": "InvalidContent", "message": "Invalid JSON: x"},
            {},
        ),
        (
            errors.BadRequestError("bad multipart"),
            400,
            {"code": "BadRequestError", "message": "bad multipart"},
            {},
        ),
        (
            errors.NotAuthorized("Invalid token signature"),
            403,
            {"code": "NotAuthorized", "message": "Invalid token signature"},
            {},
        ),
        (
            errors.MethodNotAllowed("PATCH", ["GET", "POST"]),
            405,
            {"code": "MethodNotAllowedError", "message": "PATCH is not allowed"},
            {"Allow": "GET, POST"},
        ),
        (
            errors.ResourceConflict.duplicate_slug("badge", {"slug": "b"}),
            409,
            {
                "code": "ResourceConflict",
                "message": "badge with that `slug` already exists",
                "details": {"slug": "b"},
            },
            {},
        ),
        (
            errors.RequestEntityTooLarge("Request body size exceeds 10"),
            413,
            {"code": "RequestEntityTooLargeError", "message": "Request body size exceeds 10"},
            {},
        ),
        (
            errors.UnsupportedMediaType("text/csv"),
            415,
            {"code": "UnsupportedMediaTypeError", "message": "text/csv"},
            {},
        ),
    ],
)
def test_catalogue(error, status, body, headers):
    assert isinstance(error, errors.ApiError)
    assert error.status == status
    assert error.body() == body
    assert error.headers() == headers


@pytest.mark.parametrize(
    ("model", "field", "value", "message"),
    [
        ("system", "slug", "nope", "Could not find system field: `slug`, value: `nope`"),
        ("claimCode", "code", "ABC", "Could not find claimCode field: `code`, value: `ABC`"),
        (
            "badgeInstance",
            "email",
            "brian@example.org",
            "Could not find badgeInstance field: `email`, value: `brian@example.org`",
        ),
        ("milestone", "id", 12, "Could not find milestone field: `id`, value: `12`"),
    ],
)
def test_the_path_resolution_template(model, field, value, message):
    error = errors.ResourceNotFound.for_field(model, field, value)
    assert (error.status, error.body()) == (404, {"code": "ResourceNotFound", "message": message})
