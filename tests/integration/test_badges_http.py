"""Badge classes over real HTTP against the local stack (spec badges.md, README §1, §3, §5, §7, §10).

Every request is signed with PyJWT by the test client. Each test builds its own system tree under
a `unique()` slug (the test process's stack is shared by every test it runs); badge slugs are
unique across the deployment, so they are `unique()` too. Assertions are on the wire: status codes,
headers (`Location`, `Content-Type`), exact JSON bodies and their key order, raw image bytes.
"""

from __future__ import annotations

import base64
import os
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.integration.conftest import StackProcess
from tests.support.client import ApiClient, simultaneously
from tests.support.trees import (
    ARCHIVED_ERROR,
    LEVELS,
    Tree,
    assert_json,
    created,
    make_badge,
    minimal_body,
    not_found,
)

Unique = Callable[..., str]

BADGE_HEAD = [
    "id",
    "slug",
    "name",
    "strapline",
    "earnerDescription",
    "consumerDescription",
    "issuerUrl",
    "rubricUrl",
    "timeValue",
    "timeUnits",
    "limit",
    "unique",
    "created",
    "imageUrl",
    "type",
    "archived",
    "system",
]
BADGE_TAIL = [
    "criteriaUrl",
    "criteria",
    "alignments",
    "evidenceType",
    "categories",
    "tags",
    "milestones",
]
KEYS_BY_LEVEL = {
    "system": BADGE_HEAD + BADGE_TAIL,
    "issuer": [*BADGE_HEAD, "issuer", *BADGE_TAIL],
    "program": [*BADGE_HEAD, "issuer", "program", *BADGE_TAIL],
}
ISSUER_KEYS = ["id", "slug", "url", "name", "description", "email", "imageUrl"]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
VALIDATION = "Could not validate required fields"


# --- helpers ---------------------------------------------------------------------------------------


def badge_body(slug: str | None, **extra: Any) -> dict[str, Any]:
    """The spec's POST example (badges.md), with the slug given."""
    body: dict[str, Any] = {
        "name": "Test Badge",
        "strapline": "A badge for testing",
        "earnerDescription": "Some description, eh",
        "consumerDescription": "Some description, o",
        "unique": 0,
        "imageUrl": "http://example.org/badge.png",
        "criteriaUrl": "http://example.org/criteria",
        "type": "Badge Type",
        "categories": "Category One",
        "tags": ["tag1"],
        "criteria": [{"description": "Do the thing", "required": True, "note": "Check the thing"}],
    }
    if slug is not None:
        body["slug"] = slug
    body.update(extra)
    return body


def slugs(api: ApiClient, path: str) -> list[str]:
    response = api.get(path)
    assert response.status_code == 200, (path, response.text)
    return [b["slug"] for b in response.json()["badges"]]


def validation_error(response: requests.Response) -> list[dict[str, Any]]:
    body = assert_json(response, 400)
    assert list(body) == ["code", "message", "details"]
    assert (body["code"], body["message"]) == ("ValidationError", VALIDATION)
    return body["details"]


def multipart(fields: dict[str, str], image: bytes | None, mimetype: str) -> tuple[bytes, str]:
    boundary = f"----badgekit{uuid.uuid4().hex}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    if image is not None:
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
                f'filename="badge.png"\r\nContent-Type: {mimetype}\r\n\r\n'
            ).encode()
            + image
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def public_locations(api: ApiClient, query: str = "?archived=any") -> list[str]:
    response = api.get(f"/public/badges{query}", sign=False)
    assert response.status_code == 200, response.text
    return [entry["location"] for entry in response.json()["badgelist"]]


# --- create, representation, Location ------------------------------------------------------------


FULL_INPUT = {
    "name": "Chicago Scratch Badge",
    "strapline": "A badge for doing Scratch in Chicago",
    "earnerDescription": "An earner description of the Chicago Scratch Badge",
    "consumerDescription": "A consumer description of the Chicago Scratch Badge",
    "issuerUrl": "http://example.org/chicagoIssuerUrl",
    "rubricUrl": "http://example.org/chicagoScratchRubric",
    "timeValue": 5,
    "timeUnits": "hours",
    "limit": 2,
    "unique": True,
    "imageUrl": "http://example.org/test.png",
    "type": "Not too shabby",
    "criteriaUrl": "http://example.org/chicagoScratchCriteria",
    "criteria": [
        {"description": "Just your basic criterion.", "required": True, "note": "Some sort of note"}
    ],
    "alignments": [
        {
            "name": "CCSS.ELA-Literacy.RST.11-12.3",
            "url": "http://www.corestandards.org/ELA-Literacy/RST/11-12/3",
            "description": "Follow precisely a complex multistep procedure",
        }
    ],
    "evidenceType": "Video",
    "categories": ["Science", "Coding"],
    "tags": ["scratch", "games"],
}


def test_create_returns_201_location_and_the_full_badge(api, unique, new_tree):
    tree = new_tree()
    for level in LEVELS:
        check_full_create(api, tree, level, unique("chicago-scratch-badge"))


def check_full_create(api: ApiClient, tree: Tree, level: str, slug: str) -> None:
    prefix = tree.prefix(level)
    response = api.post(f"{prefix}/badges", json={"slug": slug, **FULL_INPUT})
    body = assert_json(response, 201)
    assert response.headers["Location"] == f"{prefix}/badges/{slug}"
    assert list(body) == ["status", "badge"]
    assert body["status"] == "created"
    badge = body["badge"]
    assert list(badge) == KEYS_BY_LEVEL[level]
    assert isinstance(badge["id"], int)
    assert badge["id"] > 0
    assert TIMESTAMP.match(badge["created"]), badge["created"]
    [criterion] = badge["criteria"]
    [alignment] = badge["alignments"]
    assert list(criterion) == ["id", "description", "required", "note"]
    assert list(alignment) == ["id", "name", "url", "description"]
    assert [list(tag) for tag in badge["tags"]] == [["id", "value"], ["id", "value"]]
    assert all(isinstance(x["id"], int) for x in [criterion, alignment, *badge["tags"]])
    expected: dict[str, Any] = {
        "id": badge["id"],
        "slug": slug,
        "name": "Chicago Scratch Badge",
        "strapline": "A badge for doing Scratch in Chicago",
        "earnerDescription": "An earner description of the Chicago Scratch Badge",
        "consumerDescription": "A consumer description of the Chicago Scratch Badge",
        "issuerUrl": "http://example.org/chicagoIssuerUrl",
        "rubricUrl": "http://example.org/chicagoScratchRubric",
        "timeValue": 5,
        "timeUnits": "hours",
        "limit": 2,
        "unique": True,
        "created": badge["created"],
        "imageUrl": "http://example.org/test.png",
        "type": "Not too shabby",
        "archived": False,
        "system": tree.nested_system(),
    }
    if level in ("issuer", "program"):
        expected["issuer"] = tree.nested_issuer()
    if level == "program":
        expected["program"] = tree.program
    expected.update(
        {
            "criteriaUrl": "http://example.org/chicagoScratchCriteria",
            "criteria": [
                {
                    "id": criterion["id"],
                    "description": "Just your basic criterion.",
                    "required": True,
                    "note": "Some sort of note",
                }
            ],
            "alignments": [{"id": alignment["id"], **FULL_INPUT["alignments"][0]}],
            "evidenceType": "Video",
            "categories": ["Science", "Coding"],
            "tags": [
                {"id": badge["tags"][0]["id"], "value": "scratch"},
                {"id": badge["tags"][1]["id"], "value": "games"},
            ],
            "milestones": [],
        }
    )
    assert badge == expected
    assert list(badge["system"]) == ["id", "slug", "url", "name", "email", "imageUrl", "issuers"]
    if level != "system":
        assert list(badge["issuer"]) == [*ISSUER_KEYS, "programs"]
    if level == "program":
        assert list(badge["program"]) == ISSUER_KEYS
    # The Location is relative and GET on it returns the same badge.
    fetched = api.get(response.headers["Location"])
    assert assert_json(fetched, 200) == {"badge": badge}
    assert list(fetched.json()["badge"]) == KEYS_BY_LEVEL[level]


def test_generated_slug_and_defaults(api, new_tree):
    tree = new_tree()
    # a trailing slash is the same route (README §1); the Location is built from the clean path
    response = api.post(f"{tree.iss}/badges/", json=minimal_body(None))
    badge = assert_json(response, 201)["badge"]
    assert HEX32.match(badge["slug"]), badge["slug"]
    assert response.headers["Location"] == f"{tree.iss}/badges/{badge['slug']}"
    assert badge == {
        "id": badge["id"],
        "slug": badge["slug"],
        "name": "Minimal",
        "strapline": None,
        "earnerDescription": "e",
        "consumerDescription": "c",
        "issuerUrl": None,
        "rubricUrl": None,
        "timeValue": None,
        "timeUnits": None,
        "limit": None,
        "unique": False,
        "created": badge["created"],
        "imageUrl": "http://example.org/i.png",
        "type": "",
        "archived": False,
        "system": tree.nested_system(),
        "issuer": tree.nested_issuer(),
        "criteriaUrl": "http://example.org/c",
        "criteria": [],
        "alignments": [],
        "evidenceType": None,
        "categories": [],
        "tags": [],
        "milestones": [],
    }
    assert api.get(response.headers["Location"]).json() == {"badge": badge}


def test_nested_system_without_email_or_image_has_nulls(api, unique, new_system):
    system = new_system(description="not shown inside badges")
    badge = make_badge(api, f"/systems/{system['slug']}", unique("b"))
    assert badge["system"] == {
        "id": system["id"],
        "slug": system["slug"],
        "url": "http://example.org",
        "name": "Bare",
        "email": None,
        "imageUrl": None,
        "issuers": [],
    }
    assert list(badge) == KEYS_BY_LEVEL["system"]


def test_ignored_input_fields(api, unique, new_tree):
    tree = new_tree()
    slug = unique("b")
    body = minimal_body(
        slug,
        id=999999,
        created="2001-01-01T00:00:00.000Z",
        system={"slug": "other"},
        issuer={"slug": "library"},
        program={"slug": "scratch"},
        systemId=999999,
        issuerId=tree.issuer["id"],
        programId=tree.program["id"],
        milestones=[{"id": 1}],
        nonsense="ignored",
    )
    badge = created(api.post(f"{tree.sys}/badges", json=body), "badge")
    assert badge["id"] != 999999
    assert badge["created"] != "2001-01-01T00:00:00.000Z"
    assert list(badge) == KEYS_BY_LEVEL["system"]  # issuerId/programId do not move it
    assert badge["system"]["id"] == tree.system["id"]
    assert badge["milestones"] == []
    assert slugs(api, f"{tree.iss}/badges?archived=any") == []


# --- routes under every prefix -------------------------------------------------------------------


def test_get_put_delete_a_program_badge_through_every_ancestor(api, unique, new_tree):
    tree = new_tree()
    for via in LEVELS:
        slug = unique(f"via-{via}")
        original = created(api.post(f"{tree.prg}/badges", json=badge_body(slug)), "badge")
        path = f"{tree.prefix(via)}/badges/{slug}"

        fetched = api.get(path)
        assert assert_json(fetched, 200) == {"badge": original}, via
        assert list(fetched.json()["badge"]) == KEYS_BY_LEVEL["program"]

        updated = api.put(path, json={"name": f"Renamed via {via}"})
        body = assert_json(updated, 200)
        assert list(body) == ["status", "badge"]
        renamed = {**original, "name": f"Renamed via {via}"}
        assert body == {"status": "updated", "badge": renamed}, via
        assert list(body["badge"]) == KEYS_BY_LEVEL["program"]
        assert api.get(f"{tree.prg}/badges/{slug}").json() == {"badge": renamed}

        deleted = api.delete(path)
        body = assert_json(deleted, 200)
        assert list(body) == ["status", "badge"]
        assert body == {"status": "deleted", "badge": renamed}, via
        assert list(body["badge"]) == KEYS_BY_LEVEL["program"]
        for level in LEVELS:
            gone = api.get(f"{tree.prefix(level)}/badges/{slug}")
            assert assert_json(gone, 404) == not_found("badge", slug)
    assert slugs(api, f"{tree.sys}/badges?archived=any") == []


def test_lists_under_every_prefix_include_descendants_in_ascending_id(api, unique, new_tree):
    tree = new_tree()
    other_program = created(
        api.post(
            f"{tree.iss}/programs",
            json={"slug": "other", "name": "Other", "url": "http://other.example.org"},
        ),
        "program",
    )
    other_issuer = created(
        api.post(
            f"{tree.sys}/issuers",
            json={"slug": "museum", "name": "Museum", "url": "http://museum.example.org"},
        ),
        "issuer",
    )
    other_prg = f"{tree.iss}/programs/{other_program['slug']}"
    museum = f"{tree.sys}/issuers/{other_issuer['slug']}"
    made = [
        ("p1", tree.prg),
        ("s1", tree.sys),
        ("m1", museum),
        ("i1", tree.iss),
        ("o1", other_prg),
        ("p2", tree.prg),
        ("s2", tree.sys),
    ]
    badges = {name: make_badge(api, prefix, unique(name)) for name, prefix in made}
    ids = [badges[name]["id"] for name, _ in made]
    assert ids == sorted(ids)
    by_slug = {b["slug"]: name for name, b in badges.items()}

    def listed(path: str) -> list[dict[str, Any]]:
        body = assert_json(api.get(path), 200)
        assert list(body) == ["badges"]
        return body["badges"]

    expected = {
        f"{tree.sys}/badges": ["p1", "s1", "m1", "i1", "o1", "p2", "s2"],
        f"{tree.iss}/badges": ["p1", "i1", "o1", "p2"],
        f"{tree.prg}/badges": ["p1", "p2"],
        f"{other_prg}/badges": ["o1"],
        f"{museum}/badges": ["m1"],
    }
    for path, names in expected.items():
        items = listed(path)
        assert [by_slug[b["slug"]] for b in items] == names, path
        # list items are the full representation (the owners' keys per badge), milestones: []
        assert items == [badges[name] for name in names], path
    everything = listed(f"{tree.sys}/badges")
    assert everything[0]["program"] == tree.program
    assert everything[2]["issuer"] == {**other_issuer, "programs": []}
    assert list(everything[2]) == KEYS_BY_LEVEL["issuer"]
    assert list(everything[1]) == KEYS_BY_LEVEL["system"]
    assert everything[4]["program"] == other_program
    assert all(b["milestones"] == [] for b in everything)


# --- 404s ---------------------------------------------------------------------------------------------


def test_unknown_containers_and_badges_are_404(api, unique, new_tree):
    tree = new_tree()
    slug = unique("b")
    make_badge(api, tree.iss, slug)
    cases = [
        ("/systems/zz-none", "system", "zz-none"),
        (f"{tree.sys}/issuers/zz-none", "issuer", "zz-none"),
        (f"{tree.iss}/programs/zz-none", "program", "zz-none"),
        (f"{tree.sys}/issuers/zz-none/programs/scratch", "issuer", "zz-none"),
        ("/systems/zz-none/issuers/library/programs/scratch", "system", "zz-none"),
    ]
    for prefix, model, value in cases:
        for method, path, json_body in (
            ("GET", f"{prefix}/badges", None),
            ("POST", f"{prefix}/badges", minimal_body(unique("x"))),
            ("GET", f"{prefix}/badges/{slug}", None),
            ("PUT", f"{prefix}/badges/{slug}", {"name": "x"}),
            ("DELETE", f"{prefix}/badges/{slug}", None),
        ):
            response = api.request(method, path, json=json_body)
            assert assert_json(response, 404) == not_found(model, value), (method, path)
    # unknown badge under every known prefix, for every item method
    for level in LEVELS:
        for method in ("GET", "PUT", "DELETE"):
            path = f"{tree.prefix(level)}/badges/no-such-badge"
            response = api.request(method, path, json={"name": "x"} if method == "PUT" else None)
            assert assert_json(response, 404) == not_found("badge", "no-such-badge")
    # order of checks (README §2): body parsing, then auth, then resolution, then the archived
    # parameter and body validation
    response = api.get("/systems/zz-none/badges?archived=maybe")
    assert assert_json(response, 404) == not_found("system", "zz-none")
    response = api.put(f"{tree.sys}/badges/no-such-badge", json={"unique": "maybe"})
    assert assert_json(response, 404) == not_found("badge", "no-such-badge")
    response = api.post("/systems/zz-none/badges", body=b"{bad", content_type="application/json")
    assert assert_json(response, 400)["code"] == "InvalidContent"
    response = api.get("/systems/zz-none/badges", sign=False)
    assert assert_json(response, 403)["code"] == "NotAuthorized"
    # nothing was created or changed
    assert slugs(api, f"{tree.sys}/badges?archived=any") == [slug]
    assert api.get(f"{tree.iss}/badges/{slug}").json()["badge"]["name"] == "Minimal"


def test_badge_through_a_non_ancestor_container_is_404(api, unique, new_tree, new_system):
    tree = new_tree()
    sibling = created(
        api.post(
            f"{tree.iss}/programs",
            json={"slug": "sibling", "name": "Sibling", "url": "http://s.example.org"},
        ),
        "program",
    )
    museum = created(
        api.post(
            f"{tree.sys}/issuers",
            json={"slug": "museum", "name": "Museum", "url": "http://m.example.org"},
        ),
        "issuer",
    )
    other = f"/systems/{new_system()['slug']}"
    system_badge = make_badge(api, tree.sys, unique("sb"))["slug"]
    issuer_badge = make_badge(api, tree.iss, unique("ib"))["slug"]
    program_badge = make_badge(api, tree.prg, unique("pb"))["slug"]
    cases = [
        (tree.iss, system_badge),
        (tree.prg, system_badge),
        (tree.prg, issuer_badge),
        (f"{tree.iss}/programs/{sibling['slug']}", program_badge),
        (f"{tree.sys}/issuers/{museum['slug']}", issuer_badge),
        (f"{tree.sys}/issuers/{museum['slug']}", program_badge),
        (other, system_badge),
        (other, issuer_badge),
        (other, program_badge),
    ]
    for prefix, slug in cases:
        path = f"{prefix}/badges/{slug}"
        for method in ("GET", "PUT", "DELETE"):
            json_body = {"name": "Hijacked"} if method == "PUT" else None
            response = api.request(method, path, json=json_body)
            assert assert_json(response, 404) == not_found("badge", slug), (method, path)
    for slug in (system_badge, issuer_badge, program_badge):
        assert api.get(f"{tree.sys}/badges/{slug}").json()["badge"]["name"] == "Minimal"
    assert slugs(api, f"{other}/badges?archived=any") == []


# --- validation -----------------------------------------------------------------------------------------


def test_create_with_unrelated_fields_reports_exactly_the_required_ones(api, new_system):
    prefix = f"/systems/{new_system()['slug']}"
    response = api.post(f"{prefix}/badges", json={"whatever": "lol"})
    assert assert_json(response, 400) == {
        "code": "ValidationError",
        "message": VALIDATION,
        "details": [
            {"message": "Required field", "field": "name", "value": ""},
            {"message": "Required field", "field": "earnerDescription", "value": ""},
            {"message": "Required field", "field": "consumerDescription", "value": ""},
            {"message": "Required field", "field": "criteriaUrl", "value": ""},
            {"message": "Required field", "field": "unique", "value": ""},
            {"message": "Missing value", "field": "image"},
        ],
    }
    details = response.json()["details"]
    # an empty body counts as {} whatever the content type; nulls count as absent
    empty = api.post(f"{prefix}/badges", body=b"", content_type="application/json")
    assert validation_error(empty) == details
    nulls = dict.fromkeys(
        ("name", "earnerDescription", "consumerDescription", "criteriaUrl", "unique")
    )
    nulls |= {"image": None, "imageUrl": None, "slug": None}
    assert validation_error(api.post(f"{prefix}/badges", json=nulls)) == details
    form = api.post(f"{prefix}/badges", data="whatever=lol")
    assert validation_error(form) == details
    assert slugs(api, f"{prefix}/badges?archived=any") == []


def test_every_failing_field_in_spec_order_and_nothing_stored(api, new_system):
    prefix = f"/systems/{new_system()['slug']}"
    body = {
        "slug": "s" * 256,
        "name": "",
        "strapline": "x" * 141,
        "earnerDescription": "",
        "consumerDescription": {"an": "object"},
        "issuerUrl": "u" * 256,
        "rubricUrl": "r" * 256,
        "criteriaUrl": "not a url",
        "timeValue": "5.0",
        "timeUnits": "years",
        "limit": True,
        "unique": "maybe",
        "archived": "no",
        "type": "t" * 256,
        "evidenceType": "video",
        "imageUrl": "/images/abc",
        "criteria": [{"description": "ok", "required": "perhaps"}, {"required": "1"}],
        "alignments": [
            {"name": "", "url": "not a url"},
            {"url": "http://example.org/a"},
            {"name": "fine", "url": "http://example.org/b"},
            {"name": "n", "url": "example"},
        ],
        "categories": ["ok", "c" * 256],
        "tags": ["ok", "g" * 256],
    }
    response = api.post(f"{prefix}/badges", json=body)
    assert validation_error(response) == [
        {"message": "String is not in range", "field": "slug", "value": "s" * 256},
        {"message": "String is not in range", "field": "name", "value": ""},
        {"message": "String is not in range", "field": "strapline", "value": "x" * 141},
        {"message": "String is not in range", "field": "earnerDescription", "value": ""},
        {
            "message": "String is not in range",
            "field": "consumerDescription",
            "value": {"an": "object"},
        },
        {"message": "String is not in range", "field": "issuerUrl", "value": "u" * 256},
        {"message": "String is not in range", "field": "rubricUrl", "value": "r" * 256},
        {"message": "Invalid URL", "field": "criteriaUrl", "value": "not a url"},
        {"message": "Invalid integer", "field": "timeValue", "value": "5.0"},
        {"message": "Unexpected value or invalid argument", "field": "timeUnits", "value": "years"},
        {"message": "Invalid integer", "field": "limit", "value": True},
        {"message": "Unexpected value or invalid argument", "field": "unique", "value": "maybe"},
        {"message": "Unexpected value or invalid argument", "field": "archived", "value": "no"},
        {"message": "String is not in range", "field": "type", "value": "t" * 256},
        {
            "message": "Unexpected value or invalid argument",
            "field": "evidenceType",
            "value": "video",
        },
        {"message": "Invalid URL", "field": "image"},
        {
            "message": "Unexpected value or invalid argument",
            "field": "criteria[0].required",
            "value": "perhaps",
        },
        {"message": "String is not in range", "field": "alignments[0].name", "value": ""},
        {"message": "Invalid URL", "field": "alignments[0].url", "value": "not a url"},
        {"message": "Required field", "field": "alignments[1].name", "value": ""},
        {"message": "Invalid URL", "field": "alignments[3].url", "value": "example"},
        {"message": "String is not in range", "field": "categories", "value": ["ok", "c" * 256]},
        {"message": "String is not in range", "field": "tags", "value": ["ok", "g" * 256]},
    ]
    assert slugs(api, f"{prefix}/badges?archived=any") == []


# (field, accepted value, stored as, rejected value, message); `None` = no rejected value.
FIELD_RULES = [
    ("slug", "s" * 255, "s" * 255, "", "String is not in range"),
    ("name", "n" * 255, "n" * 255, "n" * 256, "String is not in range"),
    ("strapline", "s" * 140, "s" * 140, "s" * 141, "String is not in range"),
    ("strapline", "", "", None, None),
    ("earnerDescription", "e" * 65535, "e" * 65535, "e" * 65536, "String is not in range"),
    ("consumerDescription", "c", "c", "", "String is not in range"),
    ("issuerUrl", "no format check", "no format check", "i" * 256, "String is not in range"),
    ("rubricUrl", "r" * 255, "r" * 255, "r" * 256, "String is not in range"),
    ("criteriaUrl", "www.example.org", "www.example.org", "http://x.org?q=1", "Invalid URL"),
    (
        "criteriaUrl",
        "http://x.org/?q=1",
        "http://x.org/?q=1",
        "mailto:a@example.org",
        "Invalid URL",
    ),
    ("criteriaUrl", "ftp://files.example.org", "ftp://files.example.org", "a.b", "Invalid URL"),
    ("criteriaUrl", "http://localhost:8080/x", "http://localhost:8080/x", "example", "Invalid URL"),
    (
        "criteriaUrl",
        "HTTPS://EXAMPLE.ORG/A",
        "HTTPS://EXAMPLE.ORG/A",
        "http://a.org/b c",
        "Invalid URL",
    ),
    (
        "criteriaUrl",
        "http://example.org/" + "p" * 236,
        "http://example.org/" + "p" * 236,
        "http://example.org/" + "p" * 237,
        "String is not in range",
    ),
    ("type", "t" * 255, "t" * 255, "t" * 256, "String is not in range"),
    ("type", "", "", None, None),
    ("timeValue", "-3", -3, "05", "Invalid integer"),
    ("timeValue", 0, 0, 5.5, "Invalid integer"),
    ("timeValue", "0", 0, False, "Invalid integer"),
    ("limit", "12", 12, "1e3", "Invalid integer"),
    ("limit", -1, -1, "", "Invalid integer"),
    ("timeUnits", "minutes", "minutes", "Hours", "Unexpected value or invalid argument"),
    ("timeUnits", "days", "days", "", "Unexpected value or invalid argument"),
    ("evidenceType", "URL", "URL", "url", "Unexpected value or invalid argument"),
    ("evidenceType", "Text", "Text", "Audio", "Unexpected value or invalid argument"),
    ("evidenceType", "Sound", "Sound", ["Sound"], "Unexpected value or invalid argument"),
    ("unique", "true", True, "True", "Unexpected value or invalid argument"),
    ("unique", 1, True, 2, "Unexpected value or invalid argument"),
    ("archived", "0", False, "yes", "Unexpected value or invalid argument"),
    ("archived", False, False, "", "Unexpected value or invalid argument"),
]


def test_field_rules(api, unique, new_system):
    prefix = f"/systems/{new_system()['slug']}"
    failures = []
    # accepted values: the n-th accepted value of every field goes into the n-th badge
    rounds: list[dict[str, Any]] = []
    for field, ok, stored, _, _ in FIELD_RULES:
        for fields in rounds:
            if field not in fields:
                fields[field] = (ok, stored)
                break
        else:
            rounds.append({field: (ok, stored)})
    for fields in rounds:
        body = {**minimal_body(unique("ok")), **{f: ok for f, (ok, _) in fields.items()}}
        response = api.post(f"{prefix}/badges", json=body)
        if response.status_code != 201:
            failures.append((fields, response.status_code, response.text[:500]))
            continue
        badge = response.json()["badge"]
        failures += [(f, badge[f]) for f, (_, stored) in fields.items() if badge[f] != stored]
    # rejected values, one at a time: exactly one detail each
    for field, _, _, bad, message in FIELD_RULES:
        if bad is None:
            continue
        response = api.post(f"{prefix}/badges", json={**minimal_body(unique("bad")), field: bad})
        value = "" if bad in ("", False) else bad
        expected = [{"message": message, "field": field, "value": value}]
        if response.status_code != 400 or response.json().get("details") != expected:
            failures.append((field, bad, response.status_code, response.text[:300]))
    assert failures == []
    assert len(slugs(api, f"{prefix}/badges?archived=any")) == len(rounds)


BOOLEANS = [
    (True, True),
    (False, False),
    (1, True),
    (0, False),
    ("1", True),
    ("0", False),
    ("true", True),
    ("false", False),
]


def test_boolean_inputs(api, unique, new_system):
    prefix = f"/systems/{new_system()['slug']}"
    slug = unique("b")
    criteria = [{"description": repr(sent), "required": sent} for sent, _ in BOOLEANS]
    badge = make_badge(api, prefix, slug, unique="true", archived="false", criteria=criteria)
    assert (badge["unique"], badge["archived"]) == (True, False)
    assert [c["required"] for c in badge["criteria"]] == [stored for _, stored in BOOLEANS]
    for sent, stored in BOOLEANS:
        response = api.put(f"{prefix}/badges/{slug}", json={"unique": sent})
        assert assert_json(response, 200)["badge"]["unique"] is stored, sent
    for sent, stored in [(1, True), ("0", False), ("true", True), (False, False)]:
        response = api.put(f"{prefix}/badges/{slug}", json={"archived": sent})
        assert assert_json(response, 200)["badge"]["archived"] is stored, sent


def test_integers_enums_and_string_coercion(api, unique, new_system):
    prefix = f"/systems/{new_system()['slug']}"
    badge = make_badge(
        api,
        prefix,
        unique("b"),
        timeValue="42",
        limit="-7",
        timeUnits="weeks",
        evidenceType="Photo",
        strapline=123,
        type=True,
        issuerUrl=1.5,
    )
    assert (badge["timeValue"], badge["limit"]) == (42, -7)
    assert (badge["timeUnits"], badge["evidenceType"]) == ("weeks", "Photo")
    # numbers and booleans become their text form where a string is expected
    assert (badge["strapline"], badge["type"], badge["issuerUrl"]) == ("123", "true", "1.5")


def test_put_keeps_stored_integer_fields(api, unique, new_system):
    """A PUT that does not mention `timeValue`/`limit` leaves them as they are (badges.md PUT)."""
    prefix = f"/systems/{new_system()['slug']}"
    slug = unique("b")
    badge = make_badge(api, prefix, slug, timeValue=5, timeUnits="hours", limit=2)
    path = f"{prefix}/badges/{slug}"
    response = api.put(path, json={"name": "Renamed"})
    assert assert_json(response, 200) == {
        "status": "updated",
        "badge": {**badge, "name": "Renamed"},
    }
    response = api.put(path, json={"archived": True})
    assert assert_json(response, 200)["badge"] == {**badge, "name": "Renamed", "archived": True}


def test_image_input_errors(api, unique, new_system):
    prefix = f"/systems/{new_system()['slug']}"
    cases = [
        ({"imageUrl": "not a url"}, "Invalid URL"),
        ({"image": "data:text/plain,hello"}, "Invalid URL"),
        ({"image": "data:image/png!;base64,AAAA"}, "Invalid characters"),
        ({"image": 5}, "Missing value"),
        ({"image": "", "imageUrl": ""}, "Missing value"),
        ({"image": {"url": "http://example.org/x.png"}}, "Missing value"),
    ]
    for fields, message in cases:
        body = minimal_body(unique("img"))
        del body["imageUrl"]
        body.update(fields)
        response = api.post(f"{prefix}/badges", json=body)
        assert validation_error(response) == [{"message": message, "field": "image"}], fields
    # multipart without a file part nor an image field
    fields = {k: str(v) for k, v in minimal_body(unique("m"), unique=0).items() if k != "imageUrl"}
    raw, content_type = multipart(fields, None, "")
    response = api.post(f"{prefix}/badges", body=raw, content_type=content_type)
    assert validation_error(response) == [{"message": "Missing value", "field": "image"}]
    # a file part with a bad mimetype
    raw, content_type = multipart(fields, b"bytes", "image/png!")
    response = api.post(f"{prefix}/badges", body=raw, content_type=content_type)
    assert validation_error(response) == [{"message": "Invalid characters", "field": "image"}]
    assert slugs(api, f"{prefix}/badges?archived=any") == []


# --- uniqueness, case-insensitivity, conflicts ----------------------------------------------------------


def test_slug_lookup_is_case_insensitive(api, new_tree):
    tree = new_tree()
    slug = f"Mixed-{uuid.uuid4().hex[:8]}"
    badge = make_badge(api, tree.iss, slug)
    assert badge["slug"] == slug
    for variant in (slug.lower(), slug.upper()):
        response = api.get(f"{tree.sys}/badges/{variant}")
        assert assert_json(response, 200) == {"badge": badge}
    updated = api.put(f"{tree.iss}/badges/{slug.upper()}", json={"strapline": "s"})
    assert assert_json(updated, 200)["badge"] == {**badge, "strapline": "s"}
    # the container slugs are case-insensitive too
    upper = f"/systems/{tree.slug.upper()}/issuers/LIBRARY/badges/{slug.lower()}"
    assert api.get(upper).json()["badge"]["slug"] == slug


def test_slug_is_unique_across_the_deployment(api, unique, new_tree, new_system):
    tree = new_tree()
    elsewhere = f"/systems/{new_system()['slug']}"
    slug = unique("shared")
    make_badge(api, tree.prg, slug)
    response = api.post(f"{elsewhere}/badges", json=badge_body(slug.upper()))
    assert assert_json(response, 409) == {
        "code": "ResourceConflict",
        "message": "badge with that `slug` already exists",
        "details": {
            "slug": slug.upper(),
            "name": "Test Badge",
            "strapline": "A badge for testing",
            "earnerDescription": "Some description, eh",
            "consumerDescription": "Some description, o",
            "criteriaUrl": "http://example.org/criteria",
            "unique": 0,
            "type": "Badge Type",
            "archived": False,
        },
    }
    assert "Location" not in response.headers
    assert slugs(api, f"{elsewhere}/badges?archived=any") == []
    # the same in the same system, at another level
    again = api.post(f"{tree.sys}/badges", json=minimal_body(slug))
    assert assert_json(again, 409)["message"] == "badge with that `slug` already exists"
    assert slugs(api, f"{tree.sys}/badges?archived=any") == [slug]


def test_rename_via_put(api, unique, new_tree):
    tree = new_tree()
    old, new = unique("old"), unique("new")
    badge = created(api.post(f"{tree.prg}/badges", json=badge_body(old)), "badge")
    response = api.put(f"{tree.iss}/badges/{old}", json={"slug": new})
    body = assert_json(response, 200)
    assert "Location" not in response.headers
    assert body == {"status": "updated", "badge": {**badge, "slug": new}}
    assert assert_json(api.get(f"{tree.sys}/badges/{old}"), 404) == not_found("badge", old)
    assert api.get(f"{tree.prg}/badges/{new}").json() == {"badge": {**badge, "slug": new}}
    for level in LEVELS:
        assert slugs(api, f"{tree.prefix(level)}/badges") == [new]
    # the old slug is free again; a case-only rename keeps the badge and echoes the new spelling
    assert make_badge(api, tree.sys, old)["slug"] == old
    response = api.put(f"{tree.sys}/badges/{new}", json={"slug": new.upper()})
    assert assert_json(response, 200)["badge"] == {**badge, "slug": new.upper()}
    # renaming onto another badge's slug (any case) is a conflict and changes nothing
    conflict = api.put(f"{tree.sys}/badges/{new}", json={"slug": old.upper(), "name": "X"})
    body = assert_json(conflict, 409)
    assert (body["code"], body["message"]) == (
        "ResourceConflict",
        "badge with that `slug` already exists",
    )
    assert body["details"]["slug"] == old.upper()
    assert api.get(f"{tree.sys}/badges/{new}").json()["badge"]["name"] == "Test Badge"
    assert slugs(api, f"{tree.sys}/badges") == [new.upper(), old]
    # rename and archive in one request: the archived lists follow the new slug
    newest = unique("newest")
    response = api.put(f"{tree.prg}/badges/{new}", json={"slug": newest, "archived": True})
    assert assert_json(response, 200)["badge"] == {**badge, "slug": newest, "archived": True}
    assert slugs(api, f"{tree.iss}/badges?archived=true") == [newest]
    assert slugs(api, f"{tree.sys}/badges?archived=any") == [newest, old]


# --- updates --------------------------------------------------------------------------------------------


def test_archive_and_unarchive_via_put(api, unique, new_tree):
    tree = new_tree()
    slug = unique("b")
    badge = make_badge(api, tree.iss, slug)
    response = api.put(f"{tree.sys}/badges/{slug}", json={"archived": True})
    assert assert_json(response, 200) == {
        "status": "updated",
        "badge": {**badge, "archived": True},
    }
    assert slugs(api, f"{tree.iss}/badges") == []
    assert slugs(api, f"{tree.iss}/badges?archived=true") == [slug]
    # archived badges stay addressable
    assert api.get(f"{tree.iss}/badges/{slug}").json()["badge"]["archived"] is True
    response = api.put(f"{tree.iss}/badges/{slug}", json={"archived": "0"})
    assert assert_json(response, 200)["badge"] == badge
    assert slugs(api, f"{tree.iss}/badges") == [slug]
    assert slugs(api, f"{tree.iss}/badges?archived=true") == []


def test_partial_update_leaves_absent_fields_and_collections(api, unique, new_tree):
    tree = new_tree()
    slug = unique("b")
    badge = created(api.post(f"{tree.prg}/badges", json={"slug": slug, **FULL_INPUT}), "badge")
    path = f"{tree.sys}/badges/{slug}"
    response = api.put(
        path,
        json={
            "name": "Renamed",
            "strapline": None,
            "issuerUrl": None,
            "timeValue": None,
            "timeUnits": None,
            "limit": None,
            "evidenceType": None,
            # ignored on update
            "id": 1,
            "created": "2001-01-01T00:00:00Z",
            "milestones": [{"id": 3}],
            "system": None,
            "issuer": None,
            "issuerId": None,
            "programId": None,
            "imageUrl": badge["imageUrl"],
            "unknown": "field",
        },
    )
    expected = {
        **badge,
        "name": "Renamed",
        "strapline": None,
        "issuerUrl": None,
        "timeValue": None,
        "timeUnits": None,
        "limit": None,
        "evidenceType": None,
    }
    assert assert_json(response, 200) == {"status": "updated", "badge": expected}
    assert api.get(path).json() == {"badge": expected}
    # an empty body changes nothing
    untouched = api.put(path, body=b"", content_type="application/json")
    assert assert_json(untouched, 200)["badge"] == expected
    # each collection present replaces the old one as a whole; the others stay
    response = api.put(path, json={"criteria": [], "categories": "Only"})
    after = assert_json(response, 200)["badge"]
    assert after == {**expected, "criteria": [], "categories": ["Only"]}
    response = api.put(path, json={"alignments": [], "tags": []})
    final = {**after, "alignments": [], "tags": []}
    assert assert_json(response, 200)["badge"] == final
    assert api.get(f"{tree.prg}/badges/{slug}").json() == {"badge": final}


def test_put_validates_the_merged_badge_all_or_nothing(api, unique, new_system):
    prefix = f"/systems/{new_system()['slug']}"
    slug = unique("b")
    badge = created(api.post(f"{prefix}/badges", json=badge_body(slug)), "badge")
    path = f"{prefix}/badges/{slug}"
    cases = [
        (
            {"name": "New", "unique": "maybe"},
            [
                {
                    "message": "Unexpected value or invalid argument",
                    "field": "unique",
                    "value": "maybe",
                }
            ],
        ),
        (
            {"criteriaUrl": None, "earnerDescription": None},
            [
                {"message": "Required field", "field": "earnerDescription", "value": ""},
                {"message": "Required field", "field": "criteriaUrl", "value": ""},
            ],
        ),
        ({"name": "New", "imageUrl": "not a url"}, [{"message": "Invalid URL", "field": "image"}]),
        (
            {"name": "New", "tags": ["fine"], "alignments": [{"name": "a"}]},
            [{"message": "Required field", "field": "alignments[0].url", "value": ""}],
        ),
        (
            {"slug": "", "criteria": [{"required": "nope"}]},
            [
                {"message": "String is not in range", "field": "slug", "value": ""},
                {
                    "message": "Unexpected value or invalid argument",
                    "field": "criteria[0].required",
                    "value": "nope",
                },
            ],
        ),
    ]
    for body, details in cases:
        assert validation_error(api.put(path, json=body)) == details, body
    assert api.get(path).json() == {"badge": badge}
    # null or "" image means "no image supplied": nothing changes
    response = api.put(path, json={"image": None, "imageUrl": ""})
    assert assert_json(response, 200)["badge"] == badge


def test_criterion_and_alignment_ids_are_kept_when_sent_back(api, unique, new_system):
    prefix = f"/systems/{new_system()['slug']}"
    slug, other_slug = unique("b"), unique("other")
    other = make_badge(api, prefix, other_slug, criteria=[{"description": "not yours"}])
    badge = make_badge(
        api,
        prefix,
        slug,
        criteria=[{"description": "one"}, {"description": "two", "required": 1}],
        alignments=[
            {"name": "A", "url": "http://example.org/a"},
            {"name": "B", "url": "http://example.org/b", "description": "b"},
        ],
    )
    first, second = badge["criteria"]
    assert first == {"id": first["id"], "description": "one", "required": False, "note": ""}
    assert second == {"id": second["id"], "description": "two", "required": True, "note": ""}
    assert second["id"] > first["id"]
    assert [a["description"] for a in badge["alignments"]] == ["", "b"]
    path = f"{prefix}/badges/{slug}"
    # sending back what was read keeps every id
    same = api.put(path, json={"criteria": badge["criteria"], "alignments": badge["alignments"]})
    assert assert_json(same, 200)["badge"] == badge
    response = api.put(
        path,
        json={
            "criteria": [
                {"id": second["id"], "description": "two!", "required": "false", "note": "n"},
                {"id": other["criteria"][0]["id"], "description": "stolen id"},
                {"id": 987654321, "description": "unknown id"},
                {"description": "fresh"},
            ],
            "alignments": [{**badge["alignments"][1], "name": "B2"}],
        },
    )
    updated = assert_json(response, 200)["badge"]
    kept, stolen, unknown_id, fresh = updated["criteria"]
    assert kept == {"id": second["id"], "description": "two!", "required": False, "note": "n"}
    known = {first["id"], second["id"], other["criteria"][0]["id"], 987654321}
    new_ids = [stolen["id"], unknown_id["id"], fresh["id"]]
    assert len(set(new_ids)) == 3
    assert known.isdisjoint(new_ids)
    assert [c["description"] for c in updated["criteria"]] == [
        "two!",
        "stolen id",
        "unknown id",
        "fresh",
    ]
    assert updated["alignments"] == [{**badge["alignments"][1], "name": "B2"}]
    assert api.get(path).json()["badge"] == updated
    # the other badge keeps its criterion
    other_now = api.get(f"{prefix}/badges/{other_slug}").json()["badge"]
    assert other_now["criteria"] == other["criteria"]


def test_categories_and_tags(api, unique, new_system):
    prefix = f"/systems/{new_system()['slug']}"
    slug = unique("b")
    badge = make_badge(
        api,
        prefix,
        slug,
        categories=["Zeta", "Alpha", "", "Zeta", 7],
        tags=["zeta", "alpha", "", "zeta", {"value": "beta"}, {"value": ""}],
    )
    assert badge["categories"] == ["Zeta", "Alpha", "7"]
    assert [t["value"] for t in badge["tags"]] == ["zeta", "alpha", "beta"]
    tag_ids = [t["id"] for t in badge["tags"]]
    assert len(set(tag_ids)) == 3
    # sending back the tags read: same values, new ids
    response = api.put(f"{prefix}/badges/{slug}", json={"tags": badge["tags"]})
    tags = assert_json(response, 200)["badge"]["tags"]
    assert [t["value"] for t in tags] == ["zeta", "alpha", "beta"]
    assert set(tag_ids).isdisjoint(t["id"] for t in tags)
    response = api.put(f"{prefix}/badges/{slug}", json={"tags": "single", "categories": "One"})
    after = assert_json(response, 200)["badge"]
    assert [t["value"] for t in after["tags"]] == ["single"]
    assert after["categories"] == ["One"]


# --- the archived filter and pagination --------------------------------------------------------------


def test_archived_filter_table(api, unique, new_tree):
    tree = new_tree()
    a = make_badge(api, tree.sys, unique("a"))["slug"]
    b = make_badge(api, tree.iss, unique("b"), archived=True)["slug"]
    c = make_badge(api, tree.prg, unique("c"))["slug"]
    d = make_badge(api, tree.prg, unique("d"))["slug"]
    assert api.put(f"{tree.prg}/badges/{d}", json={"archived": 1}).status_code == 200
    active, archived, everything = [a, c], [b, d], [a, b, c, d]
    table = [
        ("", active),
        ("?archived=undefined", active),
        ("?archived=true", archived),
        ("?archived=1", archived),
        ("?archived=false", active),
        ("?archived=0", active),
        ("?archived=any", everything),
        ("?archived=", everything),
        ("?archived", everything),
        ("?count=10&archived=any&page=1", everything),
    ]
    for query, expected in table:
        assert slugs(api, f"{tree.sys}/badges{query}") == expected, query
    assert slugs(api, f"{tree.iss}/badges?archived=any") == [b, c, d]
    assert slugs(api, f"{tree.iss}/badges?archived=true") == [b, d]
    assert slugs(api, f"{tree.prg}/badges?archived") == [c, d]
    assert slugs(api, f"{tree.prg}/badges?archived=false") == [c]
    bad = [
        "?archived=maybe",
        "?archived=2",
        "?archived=true&archived=false",
        "?archived=any&archived=any",
        "?archived=&archived=",
        "?page=1&count=2&archived=nope",
    ]
    for query in bad:
        response = api.get(f"{tree.sys}/badges{query}")
        assert assert_json(response, 400) == ARCHIVED_ERROR, query
    for prefix in (tree.iss, tree.prg):
        response = api.get(f"{prefix}/badges?archived=yes")
        assert assert_json(response, 400) == ARCHIVED_ERROR, prefix


def test_pagination_counts_after_the_filter(api, unique, new_tree):
    tree = new_tree()
    made = [
        make_badge(api, tree.prefix(level), unique(f"b{n}"), archived=archived)["slug"]
        for n, (level, archived) in enumerate(
            [
                ("system", False),
                ("program", True),
                ("issuer", False),
                ("program", False),
                ("system", True),
                ("issuer", False),
            ]
        )
    ]
    active = [made[0], made[2], made[3], made[5]]
    archived = [made[1], made[4]]

    def page(query: str, prefix: str = tree.sys) -> tuple[list[str], dict[str, int] | None]:
        body = assert_json(api.get(f"{prefix}/badges{query}"), 200)
        assert list(body) in (["badges"], ["badges", "pageData"])
        return [b["slug"] for b in body["badges"]], body.get("pageData")

    assert page("?page=1&count=3") == (active[:3], {"page": 1, "count": 3, "total": 4})
    assert page("?page=2&count=3") == (active[3:], {"page": 2, "count": 3, "total": 4})
    assert page("?page=3&count=3") == ([], {"page": 3, "count": 3, "total": 4})
    assert page("?archived=true&page=1&count=1") == (
        archived[:1],
        {"page": 1, "count": 1, "total": 2},
    )
    assert page("?archived=1&page=2&count=1") == (
        archived[1:],
        {"page": 2, "count": 1, "total": 2},
    )
    assert page("?archived=any&page=2&count=4") == (
        made[4:],
        {"page": 2, "count": 4, "total": 6},
    )
    assert page("?archived=any&page=2abc&count=2x") == (
        made[2:4],
        {"page": 2, "count": 2, "total": 6},
    )
    # issuer level: the issuer's badges and its program's
    assert page("?archived=any&page=1&count=10", tree.iss) == (
        [made[1], made[2], made[3], made[5]],
        {"page": 1, "count": 10, "total": 4},
    )
    assert page("?page=1&count=1", tree.prg) == ([made[3]], {"page": 1, "count": 1, "total": 1})
    # pagination is inactive unless both are integers > 0: full list, no pageData
    for query in ("?page=1", "?count=2", "?page=0&count=2", "?page=-1&count=2", "?page=a&count=2"):
        assert page(query) == (active, None), query


# --- body formats and images ---------------------------------------------------------------------------


def test_form_urlencoded_body_with_bracket_syntax(api, unique, new_tree):
    tree = new_tree()
    slug = unique("form")
    raw = (
        f"slug={slug}&name=Form+Badge&earnerDescription=e&consumerDescription=c&unique=1"
        "&imageUrl=http%3A%2F%2Fexample.org%2Fi.png&criteriaUrl=http%3A%2F%2Fexample.org%2Fc"
        "&timeUnits=days"
        "&criteria[0][description]=Read+a+book&criteria[0][required]=1"
        "&criteria[1][description]=Write+a+review&criteria[1][note]=short"
        "&alignments[0][name]=A&alignments[0][url]=http%3A%2F%2Fexample.org%2Fa"
        "&categories[]=Reading&categories[]=Writing&tags=books"
    )
    response = api.post(f"{tree.iss}/badges", data=raw)
    badge = assert_json(response, 201)["badge"]
    assert response.headers["Location"] == f"{tree.iss}/badges/{slug}"
    assert (badge["name"], badge["unique"], badge["timeUnits"]) == ("Form Badge", True, "days")
    assert [{k: v for k, v in c.items() if k != "id"} for c in badge["criteria"]] == [
        {"description": "Read a book", "required": True, "note": ""},
        {"description": "Write a review", "required": False, "note": "short"},
    ]
    assert [{k: v for k, v in a.items() if k != "id"} for a in badge["alignments"]] == [
        {"name": "A", "url": "http://example.org/a", "description": ""}
    ]
    assert badge["categories"] == ["Reading", "Writing"]
    assert [t["value"] for t in badge["tags"]] == ["books"]
    assert api.get(response.headers["Location"]).json() == {"badge": badge}
    # a form PUT: repeated keys and key[] build arrays; criterion ids are kept when sent back
    kept = badge["criteria"][0]["id"]
    raw = (
        "archived=true&timeValue=4&tags[]=x&tags[]=y&categories=One&categories=Two"
        f"&criteria[0][id]={kept}&criteria[0][description]=Read+two+books&criteria[0][required]=0"
    )
    response = api.put(f"{tree.sys}/badges/{slug}", data=raw)
    updated = assert_json(response, 200)["badge"]
    assert (updated["archived"], updated["timeValue"]) == (True, 4)
    assert [t["value"] for t in updated["tags"]] == ["x", "y"]
    assert updated["categories"] == ["One", "Two"]
    assert updated["criteria"] == [
        {"id": kept, "description": "Read two books", "required": False, "note": ""}
    ]
    assert updated["alignments"] == badge["alignments"]
    # a form error names the bracket path
    response = api.post(
        f"{tree.sys}/badges",
        data=f"slug={unique('f')}&name=n&earnerDescription=e&consumerDescription=c&unique=0"
        "&imageUrl=http%3A%2F%2Fexample.org%2Fi.png&criteriaUrl=http%3A%2F%2Fexample.org%2Fc"
        "&alignments[0][name]=ok&alignments[1][name]=A&alignments[1][url]=nope",
    )
    assert validation_error(response) == [
        {"message": "Required field", "field": "alignments[0].url", "value": ""},
        {"message": "Invalid URL", "field": "alignments[1].url", "value": "nope"},
    ]


def test_multipart_with_an_image_file_stores_and_serves_it(
    api: ApiClient, stack: StackProcess, unique: Unique, new_tree: Callable[..., Tree]
) -> None:
    tree = new_tree()
    slug = unique("multi")
    image = b"\x89PNG\r\n\x1a\n" + os.urandom(3000) + b"\r\n--not-a-boundary\r\n\x00"
    fields = {
        "slug": slug,
        "name": "Multi caf\u00e9",
        "earnerDescription": "e",
        "consumerDescription": "c",
        "criteriaUrl": "http://example.org/c",
        "unique": "true",
        "archived": "0",
        "categories": "Art",
        "imageUrl": "http://example.org/ignored-because-the-file-part-wins.png",
    }
    raw, content_type = multipart(fields, image, "image/png")
    response = api.post(f"{tree.iss}/badges", body=raw, content_type=content_type)
    badge = assert_json(response, 201)["badge"]
    assert response.headers["Location"] == f"{tree.iss}/badges/{slug}"
    assert (badge["name"], badge["unique"], badge["archived"]) == ("Multi caf\u00e9", True, False)
    assert badge["categories"] == ["Art"]
    pattern = rf"{re.escape(stack.base_url)}/public/images/[0-9a-f]{{32}}"
    assert re.fullmatch(pattern, badge["imageUrl"]), badge["imageUrl"]
    served = api.get(urlsplit(badge["imageUrl"]).path, sign=False)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.content == image
    assert api.get(f"{tree.sys}/badges/{slug}").json()["badge"] == badge

    # a multipart PUT with a new file replaces the image; text fields update too
    gif = b"GIF89a" + os.urandom(100)
    raw, content_type = multipart({"strapline": "new"}, gif, "image/gif")
    response = api.put(f"{tree.iss}/badges/{slug}", body=raw, content_type=content_type)
    updated = assert_json(response, 200)["badge"]
    assert updated == {**badge, "strapline": "new", "imageUrl": updated["imageUrl"]}
    assert re.fullmatch(pattern, updated["imageUrl"]), updated["imageUrl"]
    assert updated["imageUrl"] != badge["imageUrl"]
    served = api.get(urlsplit(updated["imageUrl"]).path, sign=False)
    assert (served.headers["Content-Type"], served.content) == ("image/gif", gif)
    # a multipart PUT without a file keeps the image
    raw, content_type = multipart({"type": "Kind"}, None, "")
    response = api.put(f"{tree.iss}/badges/{slug}", body=raw, content_type=content_type)
    assert assert_json(response, 200)["badge"] == {**updated, "type": "Kind"}


def test_data_uri_image_is_stored(
    api: ApiClient, stack: StackProcess, unique: Unique, new_tree: Callable[..., Tree]
) -> None:
    tree = new_tree()
    slug = unique("inline")
    image = b"\x89PNG\r\n\x1a\n" + os.urandom(512)
    body = minimal_body(slug, image="data:image/png;base64," + base64.b64encode(image).decode())
    del body["imageUrl"]
    badge = created(api.post(f"{tree.prg}/badges", json=body), "badge")
    image_url = badge["imageUrl"]
    assert re.fullmatch(rf"{re.escape(stack.base_url)}/public/images/[0-9a-f]{{32}}", image_url)
    served = api.get(urlsplit(image_url).path, sign=False)
    assert (served.status_code, served.headers["Content-Type"]) == (200, "image/png")
    assert served.content == image
    # sending the whole badge back (a client round-tripping it) changes only what differs
    response = api.put(f"{tree.prg}/badges/{slug}", json={**badge, "name": "Again"})
    assert assert_json(response, 200)["badge"] == {**badge, "name": "Again"}


def test_remote_image_url_is_kept_verbatim(api, unique, new_system):
    prefix = f"/systems/{new_system()['slug']}"
    url = "HTTPS://Images.Example.ORG/Badges/Some%20Badge.PNG?size=2&v=1"
    badge = make_badge(api, prefix, unique("remote"), imageUrl=url)
    assert badge["imageUrl"] == url
    assert api.get(f"{prefix}/badges/{badge['slug']}").json()["badge"]["imageUrl"] == url
    # `image` wins over `imageUrl`
    other = "http://example.org/from-image-field.png"
    badge = make_badge(api, prefix, unique("remote"), image=other)
    assert badge["imageUrl"] == other
    response = api.put(
        f"{prefix}/badges/{badge['slug']}", json={"imageUrl": "ftp://files.example.org/b.gif"}
    )
    assert assert_json(response, 200)["badge"]["imageUrl"] == "ftp://files.example.org/b.gif"


def test_unsupported_and_malformed_bodies(api, new_system):
    prefix = f"/systems/{new_system()['slug']}"
    response = api.post(f"{prefix}/badges", body=b"name=x", content_type="text/plain")
    assert assert_json(response, 415) == {
        "code": "UnsupportedMediaTypeError",
        "message": "text/plain",
    }
    response = api.post(f"{prefix}/badges", body=b"{nope", content_type="application/json")
    body = assert_json(response, 400)
    assert body["code"] == "InvalidContent"
    assert body["message"].startswith("Invalid JSON: ")
    response = api.post(f"{prefix}/badges", body=b'["a"]', content_type="application/json")
    assert assert_json(response, 400)["code"] == "InvalidContent"
    assert slugs(api, f"{prefix}/badges?archived=any") == []


# --- delete and cascades ----------------------------------------------------------------------------


def test_delete_returns_the_badge_and_frees_the_slug(api, unique, new_tree):
    tree = new_tree()
    slug = unique("b")
    badge = created(api.post(f"{tree.prg}/badges", json=badge_body(slug)), "badge")
    response = api.delete(f"{tree.iss}/badges/{slug.upper()}")
    assert assert_json(response, 200) == {"status": "deleted", "badge": badge}
    for level in LEVELS:
        assert api.get(f"{tree.prefix(level)}/badges/{slug}").status_code == 404
        assert slugs(api, f"{tree.prefix(level)}/badges?archived=any") == []
    assert api.get(f"{tree.sys}/badges?page=1&count=5").json()["pageData"]["total"] == 0
    again = api.delete(f"{tree.iss}/badges/{slug}")
    assert assert_json(again, 404) == not_found("badge", slug)
    assert not [loc for loc in public_locations(api) if loc.endswith(f"/badges/{slug}")]
    recreated = make_badge(api, tree.sys, slug)
    assert recreated["id"] > badge["id"]
    assert recreated["criteria"] == []


def test_deleting_containers_deletes_their_badges(api, unique, new_tree, new_system):
    tree = new_tree()
    museum = f"{tree.sys}/issuers/museum"
    art = f"{museum}/programs/art"
    created(
        api.post(f"{tree.sys}/issuers", json={"slug": "museum", "name": "M", "url": "m.org"}),
        "issuer",
    )
    created(
        api.post(f"{museum}/programs", json={"slug": "art", "name": "A", "url": "a.org"}), "program"
    )
    badges = {
        "scratch": [make_badge(api, tree.prg, unique("p"))["slug"]],
        "library": [make_badge(api, tree.iss, unique("l"), archived=True)["slug"]],
        "art": [make_badge(api, art, unique("a"), archived=True)["slug"]],
        "museum": [make_badge(api, museum, unique("m"))["slug"]],
        "system": [
            make_badge(api, tree.sys, unique("s"))["slug"],
            make_badge(api, tree.sys, unique("z"), archived=True)["slug"],
        ],
    }

    def published(slug: str, locations: list[str]) -> bool:
        return any(loc.endswith(f"/badges/{slug}") for loc in locations)

    everything = public_locations(api)
    assert all(published(s, everything) for group in badges.values() for s in group)
    steps = [
        (tree.prg, ["scratch"]),  # a program: its badges
        (museum, ["museum", "art"]),  # an issuer: its badges and its programs' badges
    ]
    gone: list[str] = []
    for container, groups in steps:
        response = api.delete(container)
        assert response.status_code == 200, response.text
        gone += [slug for group in groups for slug in badges[group]]
        kept = [s for group, slugs_ in badges.items() for s in slugs_ if s not in gone]
        for slug in gone:
            response = api.get(f"{tree.sys}/badges/{slug}")
            assert assert_json(response, 404) == not_found("badge", slug)
        listed = api.get(f"{tree.sys}/badges?archived=any&page=1&count=10").json()
        assert sorted(b["slug"] for b in listed["badges"]) == sorted(kept), container
        assert listed["pageData"] == {"page": 1, "count": 10, "total": len(kept)}, container
        locations = public_locations(api)
        assert not [s for s in gone if published(s, locations)], container
        assert all(published(s, locations) for s in kept), container
    # a system: everything in it
    assert api.delete(tree.sys).status_code == 200
    gone = [s for group in badges.values() for s in group]
    response = api.get(f"{tree.sys}/badges/{gone[0]}")
    assert assert_json(response, 404) == not_found("system", tree.slug)
    locations = public_locations(api)
    assert not [s for s in gone if published(s, locations)]
    # the slugs are free again, and a new system under the same slug starts empty
    elsewhere = f"/systems/{new_system()['slug']}"
    for slug in (badges["scratch"][0], badges["art"][0], badges["system"][1]):
        assert make_badge(api, elsewhere, slug)["slug"] == slug
    created(
        api.post("/systems", json={"slug": tree.slug, "name": "N", "url": "http://x.org"}),
        "system",
    )
    assert slugs(api, f"{tree.sys}/badges?archived=any") == []


# --- concurrency -----------------------------------------------------------------------------------


def test_twenty_simultaneous_creates_of_one_slug_one_wins(api, unique, new_tree):
    tree = new_tree()
    slug = unique("race")
    body = minimal_body(slug)
    responses = simultaneously(
        20,
        lambda _: api.with_key(api.key, api.secret).post(f"{tree.sys}/badges", json=body),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19, [r.text for r in responses if r.status_code >= 500]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["message"] == "badge with that `slug` already exists"
    winner = next(r for r in responses if r.status_code == 201).json()["badge"]
    listed = api.get(f"{tree.sys}/badges?page=1&count=5").json()
    assert listed == {"badges": [winner], "pageData": {"page": 1, "count": 5, "total": 1}}
    assert [loc for loc in public_locations(api) if loc.endswith(f"/badges/{slug}")] == [
        f"{api.base_url}/public/systems/{tree.slug}/badges/{slug}"
    ]


def test_ten_simultaneous_distinct_creates_keep_list_totals(api, unique, new_tree):
    tree = new_tree()
    levels = ["system"] * 4 + ["issuer"] * 3 + ["program"] * 3
    wanted = [unique(f"c{n}") for n in range(10)]

    def send(index: int) -> requests.Response:
        client = api.with_key(api.key, api.secret)  # one connection per thread
        return client.post(f"{tree.prefix(levels[index])}/badges", json=minimal_body(wanted[index]))

    responses = simultaneously(10, send)
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
    ids = {r.json()["badge"]["slug"]: r.json()["badge"]["id"] for r in responses}
    assert len(set(ids.values())) == 10
    by_id = sorted(wanted, key=ids.__getitem__)
    body = api.get(f"{tree.sys}/badges?page=1&count=20").json()
    assert body["pageData"] == {"page": 1, "count": 20, "total": 10}
    assert [b["slug"] for b in body["badges"]] == by_id
    assert slugs(api, f"{tree.sys}/badges") == by_id
    for level, total in (("issuer", 6), ("program", 3)):
        body = api.get(f"{tree.prefix(level)}/badges?page=1&count=1").json()
        assert body["pageData"] == {"page": 1, "count": 1, "total": total}, level
    archived = api.get(f"{tree.sys}/badges?archived=true&page=1&count=1").json()
    assert archived == {"badges": [], "pageData": {"page": 1, "count": 1, "total": 0}}
