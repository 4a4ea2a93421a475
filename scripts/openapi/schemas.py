"""The document's reusable parts: component schemas (the representations of the spec's
endpoint files), error bodies (spec README §7), the security scheme (auth.md) and examples.

Schemas are written with JSON Schema 2020-12 as OpenAPI 3.1 uses it (`type: [..., "null"]` for
nullable keys). Keys documented as "omitted when ..." are not `required`; every other key is."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

BASE = "https://badges.example.org"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str, **extra: Any) -> Schema:
    return {"type": [kind, "null"], **extra}


def obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = (), **extra: Any) -> Schema:
    """An object whose keys are all required except `optional` (extra keys allowed)."""
    return {
        "type": "object",
        "required": [key for key in properties if key not in optional],
        "properties": properties,
        **extra,
    }


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
TIMESTAMP: Schema = {
    "type": "string",
    "description": "ISO-8601 UTC with three fractional digits, e.g. `2014-05-21T19:22:09.000Z`",
}
NULLABLE_TIMESTAMP: Schema = {**TIMESTAMP, "type": ["string", "null"]}

# --- inputs (README §3.1 coercion: integers and booleans may come as strings) ----------------

IN_STRING: Schema = {"type": ["string", "number", "boolean", "null"]}
IN_INTEGER: Schema = {
    "description": "an integer, or a string of one",
    "type": ["integer", "string", "null"],
}
IN_BOOLEAN: Schema = {
    "description": '`true`, `false`, `1`, `0`, `"1"`, `"0"`, `"true"`, `"false"`',
    "type": ["boolean", "integer", "string", "null"],
}
IN_TIMESTAMP: Schema = {
    "description": "Unix seconds (13 digits: milliseconds), or an ISO-8601 / RFC-2822 date "
    "string (without an offset: UTC)",
    "type": ["integer", "string", "null"],
}
IN_IMAGE: Schema = {
    "description": "an image URL (`http`, `https` or `ftp`, or no scheme) or an inline "
    "`data:<mimetype>;base64,<data>` upload",
    "type": ["string", "null"],
}
IMAGE_FILE: Schema = {
    "type": "string",
    "contentMediaType": "application/octet-stream",
    "description": "the image file (PNG, JPEG, GIF, WebP or SVG)",
}


def _input(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


CONTAINER_INPUT = _input(
    {
        "slug": {**IN_STRING, "description": "1-255 characters; unique in its scope"},
        "name": {**IN_STRING, "description": "1-255 characters"},
        "url": {
            **IN_STRING,
            "description": "a URL (`http`, `https` or `ftp`, or no scheme), at most 255 characters",
        },
        "description": {**IN_STRING, "description": "0-255 characters"},
        "email": {**IN_STRING, "description": "email rule, at most 255 characters"},
        "image": IN_IMAGE,
        "imageUrl": IN_IMAGE,
    }
)

BADGE_INPUT = _input(
    {
        "slug": {**IN_STRING, "description": "1-255; default 32 random hex characters"},
        "name": {**IN_STRING, "description": "required on create; 1-255"},
        "strapline": {**IN_STRING, "description": "0-140"},
        "earnerDescription": {**IN_STRING, "description": "required on create"},
        "consumerDescription": {**IN_STRING, "description": "required on create"},
        "issuerUrl": IN_STRING,
        "rubricUrl": IN_STRING,
        "criteriaUrl": {**IN_STRING, "description": "required on create; URL rule"},
        "timeValue": IN_INTEGER,
        "timeUnits": {**IN_STRING, "description": "`minutes`, `hours`, `days` or `weeks`"},
        "limit": IN_INTEGER,
        "unique": {**IN_BOOLEAN, "description": "required on create"},
        "evidenceType": {**IN_STRING, "description": "`URL`, `Text`, `Photo`, `Video`, `Sound`"},
        "type": IN_STRING,
        "archived": IN_BOOLEAN,
        "image": IN_IMAGE,
        "imageUrl": IN_IMAGE,
        "criteria": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": IN_INTEGER,
                    "description": IN_STRING,
                    "required": IN_BOOLEAN,
                    "note": IN_STRING,
                },
            },
        },
        "alignments": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": IN_INTEGER,
                    "name": IN_STRING,
                    "url": IN_STRING,
                    "description": IN_STRING,
                },
            },
        },
        "categories": {"type": ["array", "string"], "items": STRING},
        "tags": {
            "type": ["array", "string"],
            "items": {
                "oneOf": [STRING, {"type": "object", "properties": {"value": STRING}}],
            },
        },
    }
)

CODE_INPUT = _input(
    {
        "code": {**IN_STRING, "description": "required on `POST …/codes`; 1-255"},
        "email": IN_STRING,
        "claimed": IN_BOOLEAN,
        "multiuse": IN_BOOLEAN,
    }
)
CLAIM_INPUT = _input({"email": {**IN_STRING, "description": "any string, at most 255"}})

INSTANCE_INPUT = _input(
    {
        "email": {**IN_STRING, "description": "required; email rule"},
        "slug": IN_STRING,
        "issuedOn": IN_TIMESTAMP,
        "expires": IN_TIMESTAMP,
        "claimCode": IN_STRING,
        "comment": {**IN_STRING, "description": "forwarded in the `award` webhook only"},
    },
    ("email",),
)
INSTANCE_UPDATE = _input({"issuedOn": IN_TIMESTAMP, "expires": IN_TIMESTAMP})
BULK_INPUT = _input(
    {
        "emails": {
            "type": ["array", "string"],
            "items": STRING,
            "maxItems": 1000,
            "description": "required; at most 1,000 emails",
        },
        "issuedOn": IN_TIMESTAMP,
        "expires": IN_TIMESTAMP,
        "comment": IN_STRING,
    },
    ("emails",),
)

EVIDENCE_INPUT: Schema = {
    "type": "object",
    "properties": {"url": IN_STRING, "mediaType": IN_STRING, "reflection": IN_STRING},
}
APPLICATION_INPUT = _input(
    {
        "learner": {**IN_STRING, "description": "required on create; email rule"},
        "assignedTo": IN_STRING,
        "assignedExpiration": IN_TIMESTAMP,
        "processed": IN_TIMESTAMP,
        "evidence": {"type": "array", "items": EVIDENCE_INPUT},
    }
)
REVIEW_INPUT = _input(
    {
        "author": {**IN_STRING, "description": "required on create; email rule"},
        "comment": IN_STRING,
        "reviewItems": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "criterionId": IN_INTEGER,
                    "satisfied": IN_BOOLEAN,
                    "comment": IN_STRING,
                },
            },
        },
    }
)
MILESTONE_INPUT = _input(
    {
        "primaryBadgeId": {**IN_INTEGER, "description": "required on create"},
        "numberRequired": {**IN_INTEGER, "description": "required on create"},
        "action": {**IN_STRING, "description": "`issue` (default) or `queue-application`"},
        "supportBadges": {
            "type": ["array", "integer", "string"],
            "items": IN_INTEGER,
            "maxItems": 32,
            "description": "required on create; badge ids of this system",
        },
    }
)
MILESTONE_BADGE_INPUT = _input({"badgeId": {**IN_INTEGER, "description": "required"}}, ("badgeId",))
WEBHOOK_INPUT = _input(
    {
        "url": {**IN_STRING, "description": "required; `http(s)://` URL, at most 255"},
        "secret": {**IN_STRING, "description": "required; 1-255"},
    },
    ("url", "secret"),
)
CONSUMER_INPUT = _input(
    {
        "apiKey": {**IN_STRING, "description": "1-255; generated when absent"},
        "description": {**IN_STRING, "description": "at most 255"},
    }
)

# --- representations ---------------------------------------------------------------------------

_PROGRAM_KEYS: dict[str, Schema] = {
    "id": INTEGER,
    "slug": STRING,
    "url": STRING,
    "name": STRING,
    "description": nullable("string"),
    "email": nullable("string"),
    "imageUrl": nullable("string", description="remote URL, or the stored image's public URL"),
}

PROGRAM = obj(_PROGRAM_KEYS, description="A program")
ISSUER = obj(
    {**_PROGRAM_KEYS, "programs": {"type": "array", "items": ref("Program")}},
    description="An issuer with its programs (inside a badge, `programs` is `[]`)",
)
SYSTEM = obj(
    {**_PROGRAM_KEYS, "issuers": {"type": "array", "items": ref("Issuer")}},
    description="A system with every issuer, each with its programs",
)
NESTED_SYSTEM = obj(
    {k: v for k, v in _PROGRAM_KEYS.items() if k != "description"}
    | {"issuers": {"type": "array", "maxItems": 0}},
    description="the system inside a badge: no `description`, `issuers` always `[]`",
)

CRITERION = obj({"id": INTEGER, "description": STRING, "required": BOOLEAN, "note": STRING})
ALIGNMENT = obj({"id": INTEGER, "name": STRING, "url": STRING, "description": STRING})

BADGE = obj(
    {
        "id": INTEGER,
        "slug": STRING,
        "name": STRING,
        "strapline": nullable("string"),
        "earnerDescription": STRING,
        "consumerDescription": STRING,
        "issuerUrl": nullable("string"),
        "rubricUrl": nullable("string"),
        "timeValue": nullable("integer"),
        "timeUnits": {"enum": ["minutes", "hours", "days", "weeks", None]},
        "limit": nullable("integer"),
        "unique": BOOLEAN,
        "created": TIMESTAMP,
        "imageUrl": STRING,
        "type": STRING,
        "archived": BOOLEAN,
        "system": ref("NestedSystem"),
        "issuer": ref("Issuer"),
        "program": ref("Program"),
        "criteriaUrl": STRING,
        "criteria": {"type": "array", "items": ref("Criterion")},
        "alignments": {"type": "array", "items": ref("Alignment")},
        "evidenceType": {"enum": ["URL", "Text", "Photo", "Video", "Sound", None]},
        "categories": {"type": "array", "items": STRING},
        "tags": {"type": "array", "items": obj({"id": INTEGER, "value": STRING})},
        "milestones": {
            "type": "array",
            "items": ref("Milestone"),
            "description": "populated only by `GET {L}/badges/{b}`; `[]` elsewhere",
        },
    },
    optional=("issuer", "program"),
    description="A badge class; `issuer` omitted for system-level badges, `program` unless "
    "program-level",
)

CLAIM_CODE = obj(
    {
        "id": INTEGER,
        "code": STRING,
        "claimed": BOOLEAN,
        "email": nullable("string"),
        "multiuse": BOOLEAN,
    },
    description="A claim code",
)
LISTED_CLAIM_CODE: Schema = {
    "allOf": [
        ref("ClaimCode"),
        obj({"badge": obj({"id": INTEGER, "slug": STRING})}, optional=("badge",)),
    ],
    "description": "in `GET {L}/codes` each code also names its badge",
}

INSTANCE = obj(
    {
        "slug": STRING,
        "email": STRING,
        "expires": NULLABLE_TIMESTAMP,
        "issuedOn": NULLABLE_TIMESTAMP,
        "claimCode": nullable("string"),
        "assertionUrl": STRING,
        "badge": ref("Badge"),
    },
    description="An awarded badge",
)

EVIDENCE = obj(
    {
        "slug": STRING,
        "url": nullable("string"),
        "mediaType": nullable("string"),
        "reflection": nullable("string"),
    }
)
APPLICATION = obj(
    {
        "id": INTEGER,
        "slug": STRING,
        "learner": STRING,
        "created": NULLABLE_TIMESTAMP,
        "assignedTo": nullable("string"),
        "assignedExpiration": NULLABLE_TIMESTAMP,
        "badge": ref("Badge"),
        "processed": NULLABLE_TIMESTAMP,
        "evidence": {"type": "array", "items": ref("Evidence")},
    },
    description="An application for a badge",
)
REVIEW = obj(
    {
        "id": INTEGER,
        "slug": STRING,
        "author": STRING,
        "comment": nullable("string"),
        "reviewItems": {
            "type": "array",
            "items": obj(
                {"criterionId": INTEGER, "satisfied": BOOLEAN, "comment": nullable("string")}
            ),
        },
    },
    description="A review of an application",
)
MILESTONE = obj(
    {
        "id": INTEGER,
        "action": {"enum": ["issue", "queue-application"]},
        "numberRequired": INTEGER,
        "primaryBadge": {"oneOf": [ref("Badge"), {"type": "null"}]},
        "supportBadges": {"type": "array", "items": ref("Badge")},
    },
    description="A milestone",
)
WEBHOOK = obj(
    {"id": INTEGER, "url": STRING, "disabled": BOOLEAN}, description="A webhook (never its secret)"
)
DELIVERY = obj(
    {
        "id": {"type": ["integer", "string"]},
        "eventId": STRING,
        "action": {"enum": ["award", "revoke", "review"]},
        "status": {"enum": ["pending", "delivered", "failed"]},
        "attempts": INTEGER,
        "lastStatusCode": nullable("integer"),
        "lastError": nullable("string"),
        "nextAttemptAt": NULLABLE_TIMESTAMP,
        "created": NULLABLE_TIMESTAMP,
        "updated": NULLABLE_TIMESTAMP,
    },
    description="One delivery of an event to a webhook",
)
CONSUMER = obj(
    {
        "apiKey": STRING,
        "apiSecret": {**STRING, "description": "only in the `201` of its creation"},
        "description": nullable("string"),
        "created": NULLABLE_TIMESTAMP,
    },
    optional=("apiSecret",),
    description="A system-scoped API key",
)
PAGE_DATA = obj(
    {"page": INTEGER, "count": INTEGER, "total": INTEGER},
    description="present only when both `page` and `count` are positive integers",
)
HEALTH = obj({"app": {"const": "BadgeKit API"}, "version": STRING})

# --- Open Badges documents (issuing.md "Public documents") --------------------------------------

ASSERTION = obj(
    {
        "uid": STRING,
        "recipient": obj(
            {"identity": STRING, "type": {"const": "email"}, "hashed": {"const": True}}
        ),
        "badge": STRING,
        "verify": obj({"url": STRING, "type": {"const": "hosted"}}),
        "issuedOn": nullable("integer"),
        "expires": INTEGER,
    },
    optional=("expires",),
    description="Open Badges 1.0 hosted assertion (Unix seconds)",
)
ASSERTION_V2 = obj(
    {
        "@context": STRING,
        "type": {"const": "Assertion"},
        "id": STRING,
        "recipient": obj(
            {
                "type": {"const": "email"},
                "hashed": {"const": True},
                "salt": STRING,
                "identity": STRING,
            }
        ),
        "badge": STRING,
        "verification": obj({"type": {"const": "hosted"}}),
        "issuedOn": nullable("string"),
        "expires": STRING,
    },
    optional=("expires",),
    description="Open Badges 2.0 assertion (`Accept: application/ld+json`)",
)
CRYPTOGRAPHIC_KEY = obj(
    {
        "@context": STRING,
        "type": {"const": "CryptographicKey"},
        "id": STRING,
        "owner": STRING,
        "publicKeyPem": STRING,
    },
    description="Open Badges 2.0 CryptographicKey (public half only)",
)
JWK = obj(
    {
        "kty": {"const": "RSA"},
        "n": STRING,
        "e": STRING,
        "kid": STRING,
        "alg": {"const": "RS256"},
        "use": {"const": "sig"},
    },
    description="an RSA public JWK (RFC 7517)",
)
JWK_EXAMPLE = {
    "kty": "RSA",
    "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1Wl…",
    "e": "AQAB",
    "kid": "ZM0d2r3l1ATpQOTNrE6pXW3QUcrhP8lTTcDX9rXXyF0",
    "alg": "RS256",
    "use": "sig",
}
# Each revoked award of a revocation list (OB 2.0 RevocationList, 1EdTech Revocation List).
REVOKED_ENTRIES: Schema = {
    "type": "array",
    "items": obj({"id": STRING, "revocationReason": STRING}),
}
REVOCATION_LIST = obj(
    {
        "@context": STRING,
        "id": STRING,
        "type": {"const": "RevocationList"},
        "issuer": STRING,
        "revokedAssertions": REVOKED_ENTRIES,
    },
    description="Open Badges 2.0 RevocationList",
)
CREDENTIAL_STATUS = obj(
    {
        "id": STRING,
        "issuer": STRING,
        "revokedCredentials": REVOKED_ENTRIES,
    },
    description="1EdTech Revocation List (status of Open Badges 3.0 credentials)",
)
REVOKED_ASSERTION = obj(
    {"revoked": {"const": True}},
    description="a revoked instance's tombstone (with `@context`, `id`, `type` in JSON-LD)",
)
TYPES: Schema = {"type": "array", "items": STRING}
CREDENTIAL = obj(
    {
        "@context": TYPES,
        "id": STRING,
        "type": TYPES,
        "name": STRING,
        "issuer": obj(
            {
                "id": STRING,
                "type": TYPES,
                "name": STRING,
                "url": STRING,
                "email": STRING,
                "description": STRING,
            },
            optional=("name", "url", "email", "description"),
        ),
        "validFrom": nullable("string"),
        "validUntil": STRING,
        "credentialSubject": obj(
            {
                "type": TYPES,
                "identifier": {
                    "type": "array",
                    "items": obj(
                        {
                            "type": {"const": "IdentityObject"},
                            "identityHash": STRING,
                            "identityType": {"const": "emailAddress"},
                            "hashed": {"const": True},
                            "salt": STRING,
                        }
                    ),
                },
                "achievement": obj(
                    {
                        "id": STRING,
                        "type": TYPES,
                        "name": STRING,
                        "description": STRING,
                        "criteria": obj(
                            {"id": STRING, "narrative": STRING}, optional=("narrative",)
                        ),
                        "image": obj({"id": STRING, "type": {"const": "Image"}}),
                        "alignment": {
                            "type": "array",
                            "items": obj(
                                {
                                    "type": TYPES,
                                    "targetName": STRING,
                                    "targetUrl": STRING,
                                    "targetDescription": STRING,
                                },
                                optional=("targetDescription",),
                            ),
                        },
                        "tag": TYPES,
                    },
                    optional=("image", "alignment", "tag"),
                ),
            }
        ),
        "credentialStatus": obj({"id": STRING, "type": {"const": "1EdTechRevocationList"}}),
    },
    optional=("validUntil",),
    description="Open Badges 3.0 OpenBadgeCredential, unsigned (docs/open-badges.md)",
)
REVOKED_CREDENTIAL = obj(
    {"@context": TYPES, "id": STRING, "type": TYPES, "revoked": {"const": True}},
    description="a revoked award's credential tombstone",
)
BADGE_CLASS = obj(
    {
        "name": STRING,
        "description": STRING,
        "image": STRING,
        "criteria": STRING,
        "alignment": {
            "type": "array",
            "items": obj({"name": STRING, "url": STRING, "description": STRING}),
        },
        "issuer": STRING,
    },
    description="Open Badges 1.0 BadgeClass",
)
BADGE_CLASS_V2 = obj(
    {
        "@context": STRING,
        "type": {"const": "BadgeClass"},
        "id": STRING,
        "name": STRING,
        "description": STRING,
        "image": STRING,
        "criteria": {
            "oneOf": [
                STRING,
                obj({"id": STRING, "narrative": STRING}),
            ]
        },
        "issuer": STRING,
        "alignment": {
            "type": "array",
            "items": obj(
                {"targetName": STRING, "targetUrl": STRING, "targetDescription": STRING},
                optional=("targetDescription",),
            ),
        },
        "tags": {"type": "array", "items": STRING},
    },
    optional=("image",),
    description="Open Badges 2.0 BadgeClass (`Accept: application/ld+json`)",
)
ISSUER_PROFILE_V2: Schema = {
    "type": "object",
    "properties": {
        "@context": STRING,
        "type": {"const": "Issuer"},
        "id": STRING,
        "name": STRING,
        "url": STRING,
        "description": STRING,
        "email": STRING,
        "image": STRING,
    },
    "required": ["@context", "type", "id"],
    "description": "Open Badges 2.0 Issuer Profile (`Accept: application/ld+json`): each of "
    "`name`, `url`, `description`, `email`, `image` from the most specific container that has one",
}
ORGANISATION: Schema = {
    "type": "object",
    "properties": {"name": STRING, "url": STRING, "description": STRING, "email": STRING},
    "description": "Open Badges 1.0 IssuerOrganization: each key from the most specific "
    "container that has a value; keys no container has are omitted",
}

# --- error bodies (README §7) -------------------------------------------------------------------


def _error(code: str, description: str, extra: dict[str, Schema] | None = None) -> Schema:
    return obj(
        {"code": {"const": code}, "message": STRING, **(extra or {})}, description=description
    )


ERRORS: dict[str, Schema] = {
    "ValidationError": _error(
        "ValidationError",
        "body field validation failed: one detail per failing field",
        {
            "details": {
                "type": "array",
                "items": obj(
                    {"message": STRING, "field": STRING, "value": {}}, optional=("value",)
                ),
            }
        },
    ),
    "InvalidParameter": _error(
        "InvalidParameter", "bad `archived` / `processed` query value", {"parameter": STRING}
    ),
    "CodeAlreadyUsed": _error("CodeAlreadyUsed", "single-use claim code already claimed"),
    "InvalidContent": _error("InvalidContent", "malformed JSON or form body"),
    "BadRequestError": _error("BadRequestError", "malformed multipart body"),
    "NotAuthorized": _error("NotAuthorized", "any authentication failure"),
    "ResourceNotFound": _error("ResourceNotFound", "unknown route or resource"),
    "MethodNotAllowedError": _error("MethodNotAllowedError", "method not defined on the path"),
    "ResourceConflict": _error(
        "ResourceConflict", "uniqueness violated", {"details": {"type": "object"}}
    ),
    "RequestEntityTooLargeError": _error(
        "RequestEntityTooLargeError", "body over the platform or stored-item limit"
    ),
    "UnsupportedMediaTypeError": _error(
        "UnsupportedMediaTypeError", "unsupported request `Content-Type`"
    ),
    "InternalError": _error("InternalError", "anything unexpected"),
}
ERRORS["ResourceConflict"]["required"] = ["code", "message"]


def error_schema(code: str) -> str:
    """The component name of an error body: the code, with `Error` appended unless it ends so."""
    return code if code.endswith("Error") else f"{code}Error"


SCHEMAS: dict[str, Schema] = {
    "System": SYSTEM,
    "Issuer": ISSUER,
    "Program": PROGRAM,
    "NestedSystem": NESTED_SYSTEM,
    "Criterion": CRITERION,
    "Alignment": ALIGNMENT,
    "Badge": BADGE,
    "ClaimCode": CLAIM_CODE,
    "ListedClaimCode": LISTED_CLAIM_CODE,
    "Instance": INSTANCE,
    "Evidence": EVIDENCE,
    "Application": APPLICATION,
    "Review": REVIEW,
    "Milestone": MILESTONE,
    "Webhook": WEBHOOK,
    "Delivery": DELIVERY,
    "Consumer": CONSUMER,
    "PageData": PAGE_DATA,
    "Health": HEALTH,
    "Assertion": ASSERTION,
    "AssertionV2": ASSERTION_V2,
    "RevokedAssertion": REVOKED_ASSERTION,
    "Credential": CREDENTIAL,
    "RevokedCredential": REVOKED_CREDENTIAL,
    "BadgeClass": BADGE_CLASS,
    "BadgeClassV2": BADGE_CLASS_V2,
    "IssuerProfileV2": ISSUER_PROFILE_V2,
    "IssuerOrganization": ORGANISATION,
    "ContainerInput": CONTAINER_INPUT,
    "BadgeInput": BADGE_INPUT,
    "ClaimCodeInput": CODE_INPUT,
    "ClaimInput": CLAIM_INPUT,
    "InstanceInput": INSTANCE_INPUT,
    "InstanceUpdate": INSTANCE_UPDATE,
    "BulkAwardInput": BULK_INPUT,
    "ApplicationInput": APPLICATION_INPUT,
    "ReviewInput": REVIEW_INPUT,
    "MilestoneInput": MILESTONE_INPUT,
    "MilestoneBadgeInput": MILESTONE_BADGE_INPUT,
    "WebhookInput": WEBHOOK_INPUT,
    "ConsumerInput": CONSUMER_INPUT,
    **{error_schema(name): schema for name, schema in ERRORS.items()},
}


def envelope(name: str, item: Schema, *, status: str | None = None, **extra: Schema) -> Schema:
    """`{"<name>": item}`, with `status` (create/update/delete) and sibling keys."""
    properties: dict[str, Schema] = {}
    if status is not None:
        properties["status"] = {"const": status}
    properties[name] = item
    properties.update(extra)
    return obj(properties)


def list_envelope(name: str, item: Schema, **extra: Schema) -> Schema:
    """`{"<plural>": [...], "pageData"?: {...}}` (README §5)."""
    return obj(
        {name: {"type": "array", "items": item}, **extra, "pageData": ref("PageData")},
        optional=("pageData",),
    )


SECURITY_SCHEMES: dict[str, Schema] = {
    "jwt": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": (
            "Every route outside `/`, `/healthcheck`, `/public/…`, `/openapi.json` and `/docs` "
            'needs a per-request JWT in `Authorization: JWT token="<compact JWS>"`.\n\n'
            'The token is an HS256 JWS (header `{"typ":"JWT","alg":"HS256"}`) signed with the '
            "secret of `key`, with the claims:\n\n"
            "- `key`: `\"master\"` (the deployment's master secret) or a consumer's API key "
            "(its `apiSecret` signs; only routes of its own system);\n"
            "- `exp`: expiry in Unix seconds; required under the default `strict` token policy, "
            "at most `TOKEN_MAX_LIFETIME` (default 86,400 s) ahead;\n"
            "- `method`: this request's HTTP method;\n"
            "- `path`: this request's path **including its query string**, e.g. "
            "`/systems/chicago/badges?archived=any`;\n"
            '- `body` (`POST`/`PUT`): `{"alg": "sha256", "hash": "<lowercase hex SHA-256 of '
            'the exact request body bytes>"}`;\n'
            "- `jti` (optional, 1-128 characters): makes the token single-use.\n\n"
            "Any failure is `403 NotAuthorized`. Build a fresh token for every request "
            "(the docs page does it in the browser from a key and secret)."
        ),
    }
}

# --- examples ----------------------------------------------------------------------------------

PROGRAM_EXAMPLE: Schema = {
    "id": 1,
    "slug": "mit-scratch",
    "url": "http://scratch.mit.edu/",
    "name": "MIT Scratch",
    "description": "Create stories, games, and animations.",
    "email": "admin@scratch.mit.edu",
    "imageUrl": "http://example.org/test.png",
}
ISSUER_EXAMPLE: Schema = {
    "id": 1,
    "slug": "chicago-library",
    "url": "http://www.chipublib.org/",
    "name": "Chicago Public Library",
    "description": "Chicago Public Library",
    "email": "eratosthenes@chipublib.org",
    "imageUrl": "http://example.org/test.png",
    "programs": [PROGRAM_EXAMPLE],
}
SYSTEM_EXAMPLE: Schema = {
    "id": 1,
    "slug": "chicago",
    "url": "http://cityofchicago.org",
    "name": "Chicago",
    "description": "The City of Chicago",
    "email": "mayor-emanuel@cityofchicago.org",
    "imageUrl": "http://example.org/test.png",
    "issuers": [ISSUER_EXAMPLE],
}
BADGE_EXAMPLE: Schema = {
    "id": 1,
    "slug": "chicago-badge",
    "name": "Chicago Badge",
    "strapline": "A badge for Chicago",
    "earnerDescription": "You earned it in Chicago.",
    "consumerDescription": "The earner did something in Chicago.",
    "issuerUrl": None,
    "rubricUrl": None,
    "timeValue": None,
    "timeUnits": None,
    "limit": None,
    "unique": False,
    "created": "2014-05-21T19:22:09.000Z",
    "imageUrl": "http://example.org/badge.png",
    "type": "",
    "archived": False,
    "system": {
        "id": 1,
        "slug": "chicago",
        "url": "http://cityofchicago.org",
        "name": "Chicago",
        "email": "mayor-emanuel@cityofchicago.org",
        "imageUrl": None,
        "issuers": [],
    },
    "criteriaUrl": "http://example.org/criteria",
    "criteria": [{"id": 1, "description": "Read a book", "required": True, "note": ""}],
    "alignments": [],
    "evidenceType": None,
    "categories": ["reading"],
    "tags": [{"id": 1, "value": "books"}],
    "milestones": [],
}
CODE_EXAMPLE: Schema = {
    "id": 12,
    "code": "0fba9c4457",
    "claimed": False,
    "email": None,
    "multiuse": False,
}
INSTANCE_EXAMPLE: Schema = {
    "slug": "9d1c0e6a2f6b4b0c8a3f0d7c1b2e3f4a5b6c7d8e",
    "email": "brian@example.org",
    "expires": None,
    "issuedOn": "2014-06-10T14:02:57.000Z",
    "claimCode": None,
    "assertionUrl": f"{BASE}/public/assertions/9d1c0e6a2f6b4b0c8a3f0d7c1b2e3f4a5b6c7d8e",
    "badge": BADGE_EXAMPLE,
}
EVIDENCE_EXAMPLE: Schema = {
    "slug": "5d8d6ad4c6cd4e0b9b29c5a0c0c1b0e2",
    "url": "http://example.org/my-work",
    "mediaType": "link",
    "reflection": "I did this",
}
APPLICATION_EXAMPLE: Schema = {
    "id": 1,
    "slug": "0fd8a0b6a3b94e8bba1b6a3c3a0e8e3d",
    "learner": "somedude@example.org",
    "created": "2014-06-11T10:00:00.000Z",
    "assignedTo": None,
    "assignedExpiration": None,
    "badge": BADGE_EXAMPLE,
    "processed": None,
    "evidence": [EVIDENCE_EXAMPLE],
}
REVIEW_EXAMPLE: Schema = {
    "id": 1,
    "slug": "b2e3f4a5b6c7d8e9d1c0e6a2f6b4b0c8",
    "author": "reviewer@example.org",
    "comment": "Great work",
    "reviewItems": [{"criterionId": 1, "satisfied": True, "comment": "Yes"}],
}
MILESTONE_EXAMPLE: Schema = {
    "id": 1,
    "action": "issue",
    "numberRequired": 1,
    "primaryBadge": {**BADGE_EXAMPLE, "id": 4, "slug": "milestone-badge"},
    "supportBadges": [BADGE_EXAMPLE],
}
WEBHOOK_EXAMPLE: Schema = {
    "id": 3,
    "url": "https://issuer.example.org/badgekit-hook",
    "disabled": False,
}
DELIVERY_EXAMPLE: Schema = {
    "id": 7,
    "eventId": "evt_2c1f0e0b2f4d4b1a",
    "action": "award",
    "status": "delivered",
    "attempts": 1,
    "lastStatusCode": 200,
    "lastError": None,
    "nextAttemptAt": None,
    "created": "2014-06-10T14:02:57.000Z",
    "updated": "2014-06-10T14:02:58.000Z",
}
CONSUMER_EXAMPLE: Schema = {
    "apiKey": "chicago-app",
    "description": "The Chicago library's app",
    "created": "2014-06-10T14:02:57.000Z",
}
PAGE_DATA_EXAMPLE: Schema = {"page": 1, "count": 5, "total": 1}
