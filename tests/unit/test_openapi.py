"""The OpenAPI document (functions/docs/openapi.json): generated from one source, valid
OpenAPI 3.1, in parity with the template's `Api` events and the functions' routers, and
describing what the API really answers (live responses validated against their schemas)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from local.inprocess import gateway
from scripts.openapi import build, routes
from scripts.openapi.operations import DOCS_OPERATIONS
from tests.unit.conftest import TABLE_NAME, Api, system_body

DOCS_ROUTES = {(op.method, op.path) for op in DOCS_OPERATIONS}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@cache
def committed() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(build.OUTPUT.read_text())
    return document


def document_routes(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


# --- one source ----------------------------------------------------------------------------


def test_committed_document_is_what_the_generator_writes():
    assert build.OUTPUT.read_text() == build.render(build.build()), (
        "functions/docs/openapi.json is out of date: run `make openapi`"
    )


def test_document_is_valid_openapi_3_1():
    document = committed()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema


# --- parity: document, template, functions ---------------------------------------------------


def test_document_lists_exactly_the_functions_routes_and_the_docs_routes():
    by_function = routes.routes_of(gateway(TABLE_NAME).functions)
    served = set().union(*by_function.values()) | DOCS_ROUTES
    listed = document_routes(committed())
    assert sorted(listed - served) == []
    assert sorted(served - listed) == []


def test_document_paths_are_the_templates_and_every_templated_method_is_listed():
    template = routes.template_routes()
    listed = document_routes(committed())
    paths = {path for _, path in listed}
    assert sorted(paths - template.paths - {p for _, p in DOCS_ROUTES}) == []
    assert sorted(template.paths - paths) == []
    assert sorted(template.explicit - listed) == []
    # A path with explicit method events routes only those methods (its ANY event answers 405).
    for path in {p for _, p in template.explicit}:
        methods = {m for m, p in listed if p == path}
        assert methods == {m for m, p in template.explicit if p == path}, path


def test_every_function_route_is_reachable_through_a_template_event():
    template = routes.template_routes()
    for function, served in routes.routes_of(gateway(TABLE_NAME).functions).items():
        for method, path in served:
            assert (method, path) in template.explicit or path in template.any_paths, (
                function,
                method,
                path,
            )


def test_generator_refuses_a_table_that_disagrees_with_the_template():
    table = build.expand(build.OPERATIONS + build.DOCS_OPERATIONS)
    template = routes.template_routes()
    build.check_routes(table, template)  # the real pair agrees
    missing = routes.TemplateRoutes(
        template.explicit | {("GET", "/systems/{systemSlug}/extra")}, template.any_paths
    )
    with pytest.raises(ValueError, match="template path without operation: /systems/"):
        build.check_routes(table, missing)
    fewer = {
        key: value for key, value in table.items() if key != ("DELETE", "/systems/{systemSlug}")
    }
    with pytest.raises(ValueError, match="template route without operation: DELETE"):
        build.check_routes(fewer, template)


def test_operations_are_documented_completely():
    document = committed()
    ids = set()
    for path, item in document["paths"].items():
        for method, op in item.items():
            ids.add(op["operationId"])
            public = path in ("/", "/healthcheck", "/openapi.json", "/docs") or path.startswith(
                ("/public/", "/docs/")
            )
            assert op["security"] == ([] if public else [{"jwt": []}]), (method, path)
            assert op["tags"], (method, path)
            assert op["summary"], (method, path)
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(build._PARAM.findall(path)), (method, path)
            responses = [response_at(document, path, method, s)[1] for s in op["responses"]]
            examples = [
                media
                for response in responses
                for media in response.get("content", {}).values()
                if "example" in media or "examples" in media
            ]
            assert examples, f"no example: {method} {path}"
            assert "500" in op["responses"], (method, path)
            if not public:
                assert "403" in op["responses"], (method, path)
    assert len(ids) == len(document_routes(document))  # operationIds are unique


def pointer(*parts: str) -> str:
    return "/".join(["#", *(part.replace("~", "~0").replace("/", "~1") for part in parts)])


def validator_for(document: dict[str, Any], ref: str) -> Draft202012Validator:
    """A validator of the schema at `ref` (a JSON pointer into the document)."""
    schema = {key: value for key, value in document.items() if key != "openapi"}
    return Draft202012Validator({**schema, "$ref": ref})


def response_at(document: dict[str, Any], path: str, method: str, status: str) -> tuple[str, Any]:
    """(JSON pointer, object) of an operation's response, shared responses followed."""
    response = document["paths"][path][method]["responses"][status]
    if "$ref" in response:
        name = response["$ref"].removeprefix("#/components/responses/")
        return response["$ref"], document["components"]["responses"][name]
    return pointer("paths", path, method, "responses", status), response


def test_every_example_matches_its_schema():
    document = committed()
    checked = 0
    for path, item in document["paths"].items():
        for method, op in item.items():
            places = [response_at(document, path, method, status) for status in op["responses"]]
            if "requestBody" in op:
                places.append((pointer("paths", path, method, "requestBody"), op["requestBody"]))
            for where, holder in places:
                for media, content in holder.get("content", {}).items():
                    values = [content["example"]] if "example" in content else []
                    values += [e["value"] for e in content.get("examples", {}).values()]
                    ref = "/".join([where, "content", media.replace("/", "~1"), "schema"])
                    validator = validator_for(document, ref)
                    for value in values:
                        errors = [e.message for e in validator.iter_errors(value)]
                        assert errors == [], (method, path, where, media, errors)
                        checked += 1
    assert checked > 400


# --- live responses against their documented schemas -------------------------------------------


def check(method: str, path: str, reply: Any, media: str = "application/json") -> None:
    """The reply's status is documented for the operation and its body matches the schema."""
    document = committed()
    responses = document["paths"][path][method.lower()]["responses"]
    assert str(reply.status) in responses, f"{reply.status} not documented for {method} {path}"
    where, response = response_at(document, path, method.lower(), str(reply.status))
    assert reply.headers.get("Content-Type", "").split(";")[0] == media
    assert media in response["content"]
    ref = "/".join([where, "content", media.replace("/", "~1"), "schema"])
    validator = validator_for(document, ref)
    errors = sorted(validator.iter_errors(reply.json), key=str)
    assert errors == [], [e.message for e in errors]


BADGE = {
    "slug": "chicago-badge",
    "name": "Chicago Badge",
    "earnerDescription": "e",
    "consumerDescription": "c",
    "criteriaUrl": "http://example.org/criteria",
    "unique": True,
    "imageUrl": "http://example.org/badge.png",
    "criteria": [{"description": "Read", "required": True}],
    "tags": ["books"],
    "categories": ["reading"],
}


def test_live_responses_match_the_document(api: Api):
    created = api.post("/systems", system_body("chicago", email="mayor@example.org"))
    assert created.status == 201
    check("POST", "/systems", created)

    reply = api.get("/systems/chicago")
    assert reply.status == 200
    check("GET", "/systems/{systemSlug}", reply)

    issuer = {"slug": "library", "name": "Library", "url": "http://lib.example.org/"}
    assert api.post("/systems/chicago/issuers", issuer).status == 201
    reply = api.post("/systems/chicago/issuers/library/badges", BADGE)
    assert reply.status == 201
    check("POST", "/systems/{systemSlug}/issuers/{issuerSlug}/badges", reply)

    reply = api.get("/systems/chicago/badges?page=1&count=5")
    assert reply.status == 200
    assert reply.json["pageData"] == {"page": 1, "count": 5, "total": 1}
    check("GET", "/systems/{systemSlug}/badges", reply)

    award = api.post("/systems/chicago/badges/chicago-badge/instances", {"email": "a@example.org"})
    assert award.status == 201
    check("POST", "/systems/{systemSlug}/badges/{badgeSlug}/instances", award)
    slug = award.json["instance"]["slug"]
    reply = api.get(f"/public/assertions/{slug}", sign=False)
    assert reply.status == 200
    check("GET", "/public/assertions/{instanceSlug}", reply)


def test_live_error_responses_match_the_document(api: Api):
    reply = api.get("/systems/nope")
    assert reply.status == 404
    assert reply.json == {
        "code": "ResourceNotFound",
        "message": "Could not find system field: `slug`, value: `nope`",
    }
    check("GET", "/systems/{systemSlug}", reply)

    reply = api.post("/systems", {"nonsense": "x"})
    assert reply.status == 400
    assert reply.json["code"] == "ValidationError"
    check("POST", "/systems", reply)

    assert api.post("/systems", system_body("chicago")).status == 201
    reply = api.post("/systems", system_body("chicago"))
    assert reply.status == 409
    check("POST", "/systems", reply)

    reply = api.get("/systems/chicago/badges?archived=maybe")
    assert reply.status == 400
    assert reply.json["code"] == "InvalidParameter"
    check("GET", "/systems/{systemSlug}/badges", reply)

    reply = api.get("/systems/chicago", sign=False)
    assert reply.status == 403
    assert reply.json == {"code": "NotAuthorized", "message": "Missing valid Authorization header"}
    check("GET", "/systems/{systemSlug}", reply)

    reply = api.post("/systems", body=b"{", content_type="application/json")
    assert reply.status == 400
    assert reply.json["code"] == "InvalidContent"
    check("POST", "/systems", reply)


def test_live_open_badges_2_and_baked_image_responses_match_the_document(api: Api):
    system = system_body("chicago", email="mayor@example.org", description="d")
    assert api.post("/systems", system).status == 201
    assert api.post("/systems/chicago/badges", BADGE).status == 201
    linked = {"Accept": "application/ld+json"}
    reply = api.get("/public/systems/chicago/badges/chicago-badge", sign=False, headers=linked)
    assert reply.status == 200
    check("GET", "/public/systems/{systemSlug}/badges/{badgeSlug}", reply, "application/ld+json")
    reply = api.get("/public/systems/chicago", sign=False, headers=linked)
    assert reply.status == 200
    check("GET", "/public/systems/{systemSlug}", reply, "application/ld+json")

    award = api.post("/systems/chicago/badges/chicago-badge/instances", {"email": "a@example.org"})
    slug = award.json["instance"]["slug"]
    path = "/public/assertions/{instanceSlug}/image"
    reply = api.get(f"/public/assertions/{slug}/image", sign=False)
    assert reply.status == 409  # a remote image
    check("GET", path, reply)
    assert (
        api.delete("/systems/chicago/badges/chicago-badge/instances/a%40example.org").status == 200
    )
    reply = api.get(f"/public/assertions/{slug}/image", sign=False)
    assert reply.status == 410
    check("GET", path, reply)
    reply = api.get("/public/assertions/nope/image", sign=False)
    assert reply.status == 404
    check("GET", path, reply)
