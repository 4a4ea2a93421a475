"""Assemble the OpenAPI 3.1 document from the template's routes and the operation table."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from scripts.openapi import schemas as s
from scripts.openapi.operations import (
    BODY_TYPES,
    DOCS_OPERATIONS,
    FORM,
    JSON,
    LEVEL_SUFFIX,
    LEVELS,
    MULTIPART,
    OPERATIONS,
    Op,
)
from scripts.openapi.routes import ROOT, TEMPLATE, Route, TemplateRoutes, template_routes

OUTPUT = ROOT / "functions" / "docs" / "openapi.json"
VERSION_FILE = ROOT / "layers" / "common" / "badgekit" / "__init__.py"

PATH_PARAMETERS: dict[str, tuple[str, dict[str, Any]]] = {
    "systemSlug": ("The system's slug (case-insensitive)", {"type": "string", "minLength": 1}),
    "issuerSlug": ("The issuer's slug within its system", {"type": "string", "minLength": 1}),
    "programSlug": ("The program's slug within its issuer", {"type": "string", "minLength": 1}),
    "badgeSlug": (
        "The badge's slug (a badge of this container or of a descendant)",
        {"type": "string", "minLength": 1},
    ),
    "code": ("The claim code (case-insensitive)", {"type": "string", "minLength": 1}),
    "asset": (
        "A file name of the reference page (e.g. `swagger-ui-bundle.js`); others answer 404",
        {"type": "string", "minLength": 1},
    ),
    "email": (
        "The earner's email, percent-encoded (`brian%40example.org`)",
        {"type": "string", "minLength": 1},
    ),
    "applicationSlug": ("The application's slug", {"type": "string", "minLength": 1}),
    "reviewSlug": ("The review's slug", {"type": "string", "minLength": 1}),
    "evidenceSlug": ("The evidence's slug", {"type": "string", "minLength": 1}),
    "milestoneId": ("The milestone's id", {"type": "integer", "minimum": 1}),
    "webhookId": ("The webhook's id", {"type": "integer", "minimum": 1}),
    "deliveryId": ("The delivery's id", {"type": "integer", "minimum": 1}),
    "apiKey": ("The consumer's API key", {"type": "string", "minLength": 1}),
    "imageSlug": ("The image's slug (from an `imageUrl`)", {"type": "string", "minLength": 1}),
    "instanceSlug": (
        "The instance's slug (its assertion `uid`)",
        {"type": "string", "minLength": 1},
    ),
    "keyId": (
        "A signing key's `kid` (RFC 7638 thumbprint of its public JWK)",
        {"type": "string", "minLength": 1},
    ),
}

QUERY_PARAMETERS: dict[str, dict[str, Any]] = {
    "page": {
        "description": "Page number (1-based). Paging is on only when `page` and `count` are "
        "both positive integers; otherwise the whole list is returned.",
        "schema": {"type": "integer", "minimum": 1},
    },
    "count": {
        "description": "Items per page (with `page`; no maximum).",
        "schema": {"type": "integer", "minimum": 1},
    },
    "archived": {
        "description": "`true`/`1`: archived badges only; `false`/`0`: non-archived only; "
        "`any` or empty: all. Default: all for container lists, non-archived for "
        "`/public/badges`. Anything else is `400 InvalidParameter`.",
        "schema": {"type": "string", "enum": ["true", "false", "1", "0", "any", ""]},
    },
    "processed": {
        "description": "`true`/`1`: processed applications only; `false`/`0`: pending only; "
        "`any` or empty: all. Anything else is `400 InvalidParameter`.",
        "schema": {"type": "string", "enum": ["true", "false", "1", "0", "any", ""]},
    },
    "email": {
        "description": "Only the applications of this learner (case-insensitive).",
        "schema": {"type": "string"},
    },
}

ERROR_STATUS = {
    "ValidationError": 400,
    "InvalidParameter": 400,
    "CodeAlreadyUsed": 400,
    "InvalidContent": 400,
    "BadRequestError": 400,
    "NotAuthorized": 403,
    "ResourceNotFound": 404,
    "ResourceConflict": 409,
    "RequestEntityTooLargeError": 413,
    "UnsupportedMediaTypeError": 415,
    "InternalError": 500,
}
ERROR_EXAMPLES: dict[str, dict[str, Any]] = {
    "ValidationError": {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": [{"message": "Required field", "field": "name", "value": ""}],
    },
    "InvalidParameter": {
        "code": "InvalidParameter",
        "parameter": "archived",
        "message": "Invalid `archived` parameter. Expecting one of 'true', 'false' or 'any'.",
    },
    "CodeAlreadyUsed": {
        "code": "CodeAlreadyUsed",
        "message": "Claim code `single-use` has already been claimed",
    },
    "InvalidContent": {"code": "InvalidContent", "message": "Invalid JSON: Unexpected token"},
    "BadRequestError": {"code": "BadRequestError", "message": "Invalid multipart body"},
    "NotAuthorized": {"code": "NotAuthorized", "message": "Missing valid Authorization header"},
    "ResourceNotFound": {
        "code": "ResourceNotFound",
        "message": "Could not find system field: `slug`, value: `nope`",
    },
    "ResourceConflict": {
        "code": "ResourceConflict",
        "message": "system with that `slug` already exists",
        "details": {"slug": "chicago"},
    },
    "RequestEntityTooLargeError": {
        "code": "RequestEntityTooLargeError",
        "message": "Request body size exceeds 6291456",
    },
    "UnsupportedMediaTypeError": {"code": "UnsupportedMediaTypeError", "message": "text/plain"},
    "InternalError": {"code": "InternalError", "message": "An internal error occurred"},
}
STATUS_TEXT = {
    400: "Bad request: unparseable body, failed validation or a bad query parameter",
    403: "Authentication failed (see the `jwt` security scheme)",
    404: "A resource named in the path does not exist",
    409: "Uniqueness conflict",
    413: "Body too large",
    415: "Unsupported request `Content-Type`",
    500: "Unexpected error",
}

_PARAM = re.compile(r"{(\w+)}")


def _version() -> str:
    match = re.search(r'VERSION\s*=\s*"([^"]+)"', VERSION_FILE.read_text())
    return match.group(1) if match else "0.2.22"


def expand(ops: list[Op]) -> dict[Route, tuple[Op, str]]:
    """(method, path) -> (operation, operationId), `{L}` expanded to the three levels."""
    result: dict[Route, tuple[Op, str]] = {}
    for op in ops:
        if "{L}" in op.path:
            variants = [
                (op.path.replace("{L}", prefix), op.name + LEVEL_SUFFIX[level])
                for level, prefix in LEVELS.items()
            ]
        else:
            variants = [(op.path, op.name)]
        for path, operation_id in variants:
            key = (op.method, path)
            if key in result:
                raise ValueError(f"two operations for {op.method} {path}")
            result[key] = (op, operation_id)
    return result


def check_routes(routes: dict[Route, tuple[Op, str]], template: TemplateRoutes) -> None:
    """The table covers exactly the template's paths, and every explicit method of them."""
    docs = {(op.method, op.path) for op in DOCS_OPERATIONS}
    table_paths = {path for _, path in routes}
    expected_paths = template.paths | {path for _, path in docs}
    problems = [f"template path without operation: {p}" for p in expected_paths - table_paths]
    problems += [
        f"operation on a path the template lacks: {p}" for p in table_paths - expected_paths
    ]
    problems += [
        f"template route without operation: {m} {p}" for m, p in template.explicit - routes.keys()
    ]
    for path in {p for _, p in template.explicit} - template.any_paths:
        methods = {m for m, p in routes if p == path}
        extra = methods - {m for m, p in template.explicit if p == path}
        problems += [f"operation the template does not route: {m} {path}" for m in extra]
    if problems:
        raise ValueError("operation table and template disagree:\n" + "\n".join(sorted(problems)))


def error_response_name(codes: list[str]) -> str:
    """The shared response of a status with these error codes, e.g. `NotAuthorized` or
    `InvalidContent-BadRequestError-ValidationError`."""
    return "-".join(codes)


def error_responses(routes: dict[Route, tuple[Op, str]]) -> dict[str, Any]:
    """`components/responses`: every error response some operation refers to."""
    shared: dict[str, Any] = {}
    for (_, path), (op, _) in routes.items():
        for status, codes in _error_statuses(op, path).items():
            shared.setdefault(error_response_name(codes), _error_response(codes, status))
    return dict(sorted(shared.items()))


def _error_statuses(op: Op, path: str) -> dict[int, list[str]]:
    """The operation's error codes grouped by their status, in `_error_codes` order."""
    by_status: dict[int, list[str]] = {}
    for code in _error_codes(op, path):
        by_status.setdefault(ERROR_STATUS[code], []).append(code)
    return by_status


def _error_response(codes: list[str], status: int) -> dict[str, Any]:
    refs = [s.ref(s.error_schema(code)) for code in codes]
    schema = refs[0] if len(refs) == 1 else {"oneOf": refs}
    examples = {code: {"value": ERROR_EXAMPLES[code]} for code in codes}
    return {
        "description": STATUS_TEXT[status],
        "content": {JSON: {"schema": schema, "examples": examples}},
    }


def _error_codes(op: Op, path: str) -> list[str]:
    codes: list[str] = []
    if op.request is not None:
        codes += ["InvalidContent", "BadRequestError", "ValidationError"]
    codes += [c for c in op.errors if c in ("InvalidParameter", "CodeAlreadyUsed")]
    if not op.public:
        codes.append("NotAuthorized")
    if _PARAM.search(path):
        codes.append("ResourceNotFound")
    codes += [c for c in op.errors if c not in ("InvalidParameter", "CodeAlreadyUsed")]
    if op.request is not None:
        codes += ["RequestEntityTooLargeError", "UnsupportedMediaTypeError"]
    codes.append("InternalError")
    return codes


def _request_body(op: Op) -> dict[str, Any]:
    schema = s.ref(op.request or "")
    content: dict[str, Any] = {JSON: {"schema": schema, "example": op.request_example}}
    content[FORM] = {"schema": schema}
    if op.upload:
        content[MULTIPART] = {
            "schema": {
                "allOf": [schema, {"type": "object", "properties": {"image": s.IMAGE_FILE}}]
            },
            "encoding": {
                "image": {
                    "contentType": "image/png, image/jpeg, image/gif, image/webp, image/svg+xml"
                }
            },
        }
    assert set(content) <= set(BODY_TYPES)
    description = (
        "JSON, form (`qs`-style brackets for arrays and objects) or multipart (flat text "
        "fields; a file part `image` is an upload). An empty body counts as `{}`."
        if op.upload
        else "JSON or form (`qs`-style brackets for arrays and objects); multipart text fields "
        "are accepted too. An empty body counts as `{}`."
    )
    return {"description": description, "required": op.request_required, "content": content}


def operation(op: Op, operation_id: str, path: str) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": PATH_PARAMETERS[name][0],
            "schema": PATH_PARAMETERS[name][1],
        }
        for name in _PARAM.findall(path)
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, **QUERY_PARAMETERS[name]}
        for name in op.query
    ]
    if op.content is not None:
        content = {
            media: {"schema": schema, **({"example": example} if example is not None else {})}
            for media, (schema, example) in op.content.items()
        }
    else:
        content = {JSON: {"schema": op.response, "example": op.example}}
    ok: dict[str, Any] = {"description": op.summary, "content": content}
    if op.headers:
        ok["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in op.headers.items()
        }
    responses: dict[str, Any] = {str(op.status): ok}
    for status, (text, schema, example) in op.extra.items():
        body: dict[str, Any] = {
            "description": text,
            "content": {JSON: {"schema": schema, "example": example}},
        }
        if status == 301:
            body["headers"] = {
                "Location": {"description": "the image's URL", "schema": {"type": "string"}}
            }
        own_media = next(iter(op.content)) if op.content else JSON
        if status == 410 and own_media != JSON and own_media.endswith("json"):
            # served as the document's own JSON media type: the OB 3.0 credential
            body["content"] = {own_media: {"schema": schema, "example": example}}
        elif status == 410:
            body["content"]["application/ld+json"] = {"schema": schema}
        responses[str(status)] = body
    for status, codes in sorted(_error_statuses(op, path).items()):
        responses[str(status)] = {"$ref": f"#/components/responses/{error_response_name(codes)}"}
    document: dict[str, Any] = {
        "operationId": operation_id,
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.master_only:
        document["description"] = "Needs the master key: a consumer key gets `403`."
    if parameters:
        document["parameters"] = parameters
    if op.request is not None:
        document["requestBody"] = _request_body(op)
    document["responses"] = dict(sorted(responses.items()))
    document["security"] = [] if op.public else [{"jwt": []}]
    return document


TAGS = [
    ("Health", "Name and version of the API; public"),
    ("Systems", "The top container level"),
    ("Issuers", "Issuers of a system"),
    ("Programs", "Programs of an issuer"),
    ("Consumers", "System-scoped API keys, managed with the master key"),
    ("Badges", "Badge classes at the system, issuer and program levels"),
    ("Claim codes", "Codes an earner claims a badge with"),
    ("Instances", "Awarded badges (badge instances)"),
    ("Applications", "Applications for badges and their evidence"),
    ("Reviews", "Reviews of applications"),
    ("Milestones", "Badges awarded for earning other badges"),
    ("Webhooks", "Event receivers and their delivery log"),
    (
        "Public documents",
        "Open Badges documents (hosted and signed), their keys and revocation lists, the public "
        "badge list and images",
    ),
    ("Docs", "This document and its browsable page"),
]


def build(template_path: Path = TEMPLATE) -> dict[str, Any]:
    routes = expand(OPERATIONS + DOCS_OPERATIONS)
    check_routes(routes, template_routes(template_path))
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), (op, operation_id) in routes.items():
        paths.setdefault(path, {})[method.lower()] = operation(op, operation_id, path)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "BadgeKit API",
            "version": _version(),
            "description": (
                "Create, issue and verify Open Badges. Every route outside `/`, "
                "`/healthcheck`, `/public/…`, `/openapi.json` and `/docs` is signed with a "
                "per-request JWT (see the `jwt` security scheme). Bodies: JSON, form or "
                "multipart. Lists take `page` and `count`. Errors are JSON "
                '`{"code", "message", …}`; an unknown path is `404 ResourceNotFound`, an '
                "undefined method `405 MethodNotAllowedError` with an `Allow` header. Every "
                "badge route exists under the system, issuer and program prefixes."
            ),
        },
        "servers": [{"url": "/", "description": "this API"}],
        "tags": [{"name": name, "description": text} for name, text in TAGS],
        "paths": paths,
        "components": {
            "schemas": s.SCHEMAS,
            "responses": error_responses(routes),
            "securitySchemes": s.SECURITY_SCHEMES,
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
