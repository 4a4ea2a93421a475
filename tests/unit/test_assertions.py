"""Hosted assertions (issuing.md `GET /public/assertions/{instanceSlug}`): the Open Badges 1.0
document, the 410 tombstone after a revoke, and the Open Badges 2.0 form served on
`Accept: application/ld+json` (checked against the offline v2 JSON-LD context)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.unit.conftest import Api, system_body

BASE = "https://badges.example.org"
SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
PRG = f"{ISS}/programs/scratch"
BRIAN = "brian@example.org"
LD = {"Accept": "application/ld+json"}
CONTEXTS = Path("/work/shared/openbadges-contexts")
OB2_CONTEXT = "https://w3id.org/openbadges/v2"


def badge_body(slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": "Chicago Badge",
        "earnerDescription": "For earners",
        "consumerDescription": "A consumer description of the Chicago Badge",
        "unique": 0,
        "imageUrl": "http://example.org/test.png",
        "criteriaUrl": "http://example.org/chicagoCriteria",
    }


@pytest.fixture
def tree(api: Api) -> Api:
    assert api.post("/systems", system_body("chicago")).status == 201
    api.post(f"{SYS}/issuers", {"slug": "library", "name": "Library", "url": "http://lib.org"})
    api.post(f"{ISS}/programs", {"slug": "scratch", "name": "Scratch", "url": "http://s.org"})
    for prefix, slug in ((SYS, "chicago-badge"), (ISS, "library-badge"), (PRG, "scratch-badge")):
        assert api.post(f"{prefix}/badges", badge_body(slug)).status == 201
    return api


def award(api: Api, prefix: str, badge: str, **body: Any) -> dict[str, Any]:
    reply = api.post(f"{prefix}/badges/{badge}/instances", {"email": BRIAN, **body})
    assert reply.status == 201, reply.json
    instance: dict[str, Any] = reply.json["instance"]
    return instance


def public_get(api: Api, slug: str, headers: dict[str, str] | None = None) -> Any:
    return api.get(f"/public/assertions/{slug}", sign=False, headers=headers)


def test_open_badges_1_document_is_exactly_the_spec(tree):
    slug = "9d1c0e6a2f6b4b0c8a3f0d7c1b2e3f4a5b6c7d8e"
    award(tree, SYS, "chicago-badge", slug=slug, issuedOn=1402408977, expires=1420070400)
    reply = public_get(tree, slug)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    assert list(reply.json) == ["uid", "recipient", "badge", "verify", "issuedOn", "expires"]
    assert list(reply.json["recipient"]) == ["identity", "type", "hashed"]
    assert reply.json == {
        "uid": slug,
        "recipient": {
            # The spec's worked hash: unsalted, no case folding.
            "identity": "sha256$53a6e0b74cf0d72546022fa04ad0673baf5d60ef6745e1041507b88453ddc0b3",
            "type": "email",
            "hashed": True,
        },
        "badge": f"{BASE}/public/systems/chicago/badges/chicago-badge",
        "verify": {"url": f"{BASE}/public/assertions/{slug}", "type": "hosted"},
        "issuedOn": 1402408977,
        "expires": 1420070400,
    }


def test_hash_uses_the_email_as_stored_and_expires_is_omitted(tree):
    instance = award(tree, SYS, "chicago-badge", email="Brian@Example.org")
    document = public_get(tree, instance["slug"]).json
    digest = hashlib.sha256(b"Brian@Example.org").hexdigest()
    assert document["recipient"]["identity"] == f"sha256${digest}"
    assert "salt" not in document["recipient"]
    assert "expires" not in document
    assert isinstance(document["issuedOn"], int)


@pytest.mark.parametrize(
    ("prefix", "badge", "own"),
    [
        (SYS, "library-badge", "/public/systems/chicago/issuers/library/badges/library-badge"),
        (
            ISS,
            "scratch-badge",
            "/public/systems/chicago/issuers/library/programs/scratch/badges/scratch-badge",
        ),
    ],
)
def test_badge_url_is_the_badge_class_of_its_own_container(tree, prefix, badge, own):
    instance = award(tree, prefix, badge)
    document = public_get(tree, instance["slug"]).json
    assert document["badge"] == f"{BASE}{own}"
    # The chain is fetchable: badge class, then its issuer organisation.
    badge_class = tree.get(own, sign=False)
    assert badge_class.status == 200
    issuer_path = badge_class.json["issuer"].removeprefix(BASE)
    assert tree.get(issuer_path, sign=False).status == 200


def test_badge_url_follows_renames(tree):
    instance = award(tree, ISS, "library-badge")
    tree.put(f"{ISS}/badges/library-badge", {"slug": "renamed-badge"})
    tree.put(ISS, {"slug": "books"})
    document = public_get(tree, instance["slug"]).json
    assert document["badge"] == f"{BASE}/public/systems/chicago/issuers/books/badges/renamed-badge"


def test_unknown_slug_is_404(tree):
    reply = public_get(tree, "nope")
    assert reply.status == 404
    assert reply.json == {"code": "ResourceNotFound", "message": "Could not find badge instance"}
    assert public_get(tree, "nope", LD).status == 404


def test_slug_lookup_is_case_insensitive(tree):
    award(tree, SYS, "chicago-badge", slug="Mixed-Case")
    reply = public_get(tree, "mixed-case")
    assert reply.status == 200
    assert reply.json["uid"] == "Mixed-Case"


def test_revoked_assertion_is_a_410_tombstone(tree):
    instance = award(tree, SYS, "chicago-badge")
    tree.delete(f"{SYS}/badges/chicago-badge/instances/brian%40example.org")
    reply = public_get(tree, instance["slug"])
    assert reply.status == 410
    assert reply.json == {"revoked": True}
    reply = public_get(tree, instance["slug"], LD)
    assert reply.status == 410
    assert reply.json == {
        "@context": OB2_CONTEXT,
        "id": instance["assertionUrl"],
        "type": "Assertion",
        "revoked": True,
    }
    again = award(tree, SYS, "chicago-badge")
    assert again["slug"] != instance["slug"]
    assert public_get(tree, again["slug"]).status == 200
    assert public_get(tree, instance["slug"]).status == 410


def test_open_badges_2_assertion_on_accept_ld_json(tree):
    instance = award(
        tree, PRG, "scratch-badge", issuedOn="2014-06-10T14:02:57Z", expires=1420070400
    )
    reply = public_get(tree, instance["slug"], LD)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/ld+json"
    assert reply.headers["Vary"] == "Accept"
    document = reply.json
    salt = document["recipient"]["salt"]
    assert re.fullmatch(r"[0-9a-f]{32}", salt)
    expected_hash = hashlib.sha256((BRIAN + salt).encode()).hexdigest()
    assert document == {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": instance["assertionUrl"],
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": salt,
            "identity": f"sha256${expected_hash}",
        },
        "badge": f"{BASE}/public/systems/chicago/issuers/library/programs/scratch/badges/scratch-badge",
        "verification": {"type": "hosted"},
        "issuedOn": "2014-06-10T14:02:57.000Z",
        "expires": "2015-01-01T00:00:00.000Z",
    }
    # Each assertion has its own salt.
    other = award(tree, PRG, "scratch-badge", email="ann@example.org")
    other_doc = public_get(tree, other["slug"], LD).json
    assert other_doc["recipient"]["salt"] != salt
    assert "expires" not in other_doc


def test_open_badges_2_terms_are_defined_by_the_v2_context(tree):
    context = json.loads((CONTEXTS / "v2.json").read_text())["@context"]
    instance = award(tree, SYS, "chicago-badge", expires=1420070400)
    document = public_get(tree, instance["slug"], LD).json
    used = set(document) | set(document["recipient"]) | set(document["verification"])
    assert {term for term in used if not term.startswith("@")} <= set(context)
    assert document["type"] in context
    assert document["verification"]["type"] in context  # "hosted"
    # Dates are xsd:dateTime and the badge an IRI in the v2 context.
    assert context["issuedOn"]["@type"] == "xsd:dateTime"
    assert context["badge"]["@type"] == "@id"


@pytest.mark.parametrize(
    ("accept", "linked_data"),
    [
        (None, False),
        ("application/json", False),
        ("*/*", False),
        ("application/ld+json", True),
        ('application/ld+json; profile="https://w3id.org/openbadges/v2"', True),
        ("application/ld+json, application/json;q=0.9", True),
        ("application/json, application/ld+json;q=0.5", False),
        ("application/ld+json;q=0", False),
        ("APPLICATION/LD+JSON", True),
    ],
)
def test_content_negotiation(tree, accept, linked_data):
    instance = award(tree, SYS, "chicago-badge")
    headers = {"Accept": accept} if accept is not None else None
    document = public_get(tree, instance["slug"], headers).json
    assert ("@context" in document) is linked_data
    assert ("uid" in document) is not linked_data


def test_put_extension_is_reflected_at_once(tree):
    instance = award(tree, SYS, "chicago-badge", expires=1420070400)
    tree.put(f"{SYS}/badges/chicago-badge/instances/brian%40example.org", {"expires": 1893456000})
    assert public_get(tree, instance["slug"]).json["expires"] == 1893456000
    ld = public_get(tree, instance["slug"], LD).json
    assert ld["expires"] == "2030-01-01T00:00:00.000Z"


def test_public_route_needs_no_token_and_only_answers_get(tree):
    instance = award(tree, SYS, "chicago-badge")
    signed = tree.get(f"/public/assertions/{instance['slug']}")
    assert signed.status == 200
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        reply = tree.call(method, f"/public/assertions/{instance['slug']}", sign=False)
        assert reply.status == 405
        assert reply.headers["Allow"] == "GET"
        assert reply.json == {
            "code": "MethodNotAllowedError",
            "message": f"{method} is not allowed",
        }


def test_badge_delete_makes_the_assertion_404(tree):
    instance = award(tree, SYS, "chicago-badge")
    tree.delete(f"{SYS}/badges/chicago-badge")
    reply = public_get(tree, instance["slug"])
    assert reply.status == 404
    assert reply.json == {"code": "ResourceNotFound", "message": "Could not find badge instance"}
