"""Open Badges 2.0 all the way down (docs/api/openbadges.md): with `Accept` preferring
`application/ld+json` the badge class and the issuer profile the assertion points to are Open
Badges 2.0 documents (their terms defined by the offline v2 context); by default the 1.0
documents, unchanged. And the baked image of an award, `GET /public/assertions/{slug}/image`
(in-process, moto)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support.baked import SVG, baked_values, svg_elements, tiny_png
from tests.support.validator import CONTEXTS
from tests.unit.conftest import Api, system_body

BASE = "https://badges.example.org"
SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
PRG = f"{ISS}/programs/scratch"
LD = {"Accept": "application/ld+json"}
OB2_CONTEXT = "https://w3id.org/openbadges/v2"
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def data_uri(data: bytes, mimetype: str) -> str:
    return f"data:{mimetype};base64,{base64.b64encode(data).decode()}"


def badge_body(slug: str, **extra: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": "Reader",
        "earnerDescription": "For earners",
        "consumerDescription": "The earner read five books.",
        "unique": 0,
        "imageUrl": "http://example.org/reader.png",
        "criteriaUrl": "http://example.org/reader/criteria",
        **extra,
    }


@pytest.fixture
def tree(api: Api) -> Api:
    chicago = system_body("chicago", description="The City of Chicago", email="mayor@chicago.org")
    assert api.post("/systems", chicago).status == 201
    issuer = {
        "slug": "library",
        "name": "Library",
        "url": "http://lib.org",
        "email": "info@lib.org",
        "image": data_uri(tiny_png(), "image/png"),
    }
    assert api.post(f"{SYS}/issuers", issuer).status == 201
    program = {"slug": "scratch", "name": "Scratch", "url": "http://s.org"}
    assert api.post(f"{ISS}/programs", program).status == 201
    return api


def public(api: Api, path: str, headers: dict[str, str] | None = None) -> Any:
    return api.get(path, sign=False, headers=headers)


def award(api: Api, prefix: str, badge: str) -> str:
    reply = api.post(f"{prefix}/badges/{badge}/instances", {"email": "brian@example.org"})
    assert reply.status == 201, reply.json
    slug: str = reply.json["instance"]["slug"]
    return slug


# --- badge classes ------------------------------------------------------------------------------


def test_badge_class_2_0(tree):
    body = badge_body(
        "reader",
        criteria=[
            {"description": "Read five books", "required": True, "note": "n"},
            {"description": "Write a review", "required": False, "note": ""},
        ],
        alignments=[
            {
                "name": "CCSS.ELA-Literacy.RL.5.10",
                "url": "http://www.corestandards.org/ELA-Literacy/RL/5/10/",
                "description": "Read and comprehend literature",
            },
            {"name": "No description", "url": "http://example.org/a"},
        ],
        tags=["reading", "books"],
    )
    assert tree.post(f"{PRG}/badges", body).status == 201
    own = f"{BASE}/public{PRG}/badges/reader"
    expected = {
        "@context": OB2_CONTEXT,
        "type": "BadgeClass",
        "id": own,
        "name": "Reader",
        "description": "The earner read five books.",
        "image": "http://example.org/reader.png",
        "criteria": {
            "id": "http://example.org/reader/criteria",
            "narrative": "- Read five books\n- Write a review (optional)",
        },
        "issuer": f"{BASE}/public{PRG}",
        "alignment": [
            {
                "targetName": "CCSS.ELA-Literacy.RL.5.10",
                "targetUrl": "http://www.corestandards.org/ELA-Literacy/RL/5/10/",
                "targetDescription": "Read and comprehend literature",
            },
            {"targetName": "No description", "targetUrl": "http://example.org/a"},
        ],
        "tags": ["reading", "books"],
    }
    # Through any ancestor's path, the same document: its `id` is the badge's own class URL.
    for prefix in (SYS, ISS, PRG):
        reply = public(tree, f"/public{prefix}/badges/reader", LD)
        assert reply.status == 200
        assert reply.headers["Content-Type"] == "application/ld+json"
        assert reply.headers["Vary"] == "Accept"
        assert reply.json == expected
    # The assertion points at that id.
    slug = award(tree, PRG, "reader")
    assert public(tree, f"/public/assertions/{slug}", LD).json["badge"] == own


def test_badge_class_2_0_without_criteria_has_the_criteria_url_as_iri(tree):
    assert tree.post(f"{SYS}/badges", badge_body("plain")).status == 201
    document = public(tree, f"/public{SYS}/badges/plain", LD).json
    assert document["criteria"] == "http://example.org/reader/criteria"
    assert (document["alignment"], document["tags"]) == ([], [])
    assert document["issuer"] == f"{BASE}/public{SYS}"


def test_badge_class_default_is_still_open_badges_1_0(tree):
    assert tree.post(f"{SYS}/badges", badge_body("plain", tags=["t"])).status == 201
    for headers in (None, {"Accept": "application/json"}, {"Accept": "*/*"}):
        reply = public(tree, f"/public{SYS}/badges/plain", headers)
        assert reply.status == 200
        assert reply.headers["Content-Type"] == "application/json"
        assert reply.headers["Vary"] == "Accept"
        assert reply.json == {
            "name": "Reader",
            "description": "The earner read five books.",
            "image": "http://example.org/reader.png",
            "criteria": "http://example.org/reader/criteria",
            "alignment": [],
            "issuer": f"{BASE}/public{SYS}",
        }


# --- issuer profiles ----------------------------------------------------------------------------


def test_issuer_profile_2_0_at_every_level(tree):
    system = public(tree, f"/public{SYS}", LD)
    assert system.status == 200
    assert system.headers["Content-Type"] == "application/ld+json"
    assert system.headers["Vary"] == "Accept"
    assert system.json == {
        "@context": OB2_CONTEXT,
        "type": "Issuer",
        "id": f"{BASE}/public{SYS}",
        "name": "Chicago",
        "url": "http://example.org",
        "description": "The City of Chicago",
        "email": "mayor@chicago.org",
    }
    issuer = public(tree, f"/public{ISS}", LD).json
    image = issuer["image"]
    assert image.startswith(f"{BASE}/public/images/")
    assert issuer == {
        "@context": OB2_CONTEXT,
        "type": "Issuer",
        "id": f"{BASE}/public{ISS}",
        "name": "Library",
        "url": "http://lib.org",
        "description": "The City of Chicago",
        "email": "info@lib.org",
        "image": image,
    }
    # The program has no description, email or image of its own: its issuer's (or system's).
    program = public(tree, f"/public{PRG}", LD).json
    assert program == {
        **issuer,
        "id": f"{BASE}/public{PRG}",
        "name": "Scratch",
        "url": "http://s.org",
    }


def test_issuer_profile_default_is_still_the_1_0_organisation(tree):
    reply = public(tree, f"/public{ISS}")
    assert reply.headers["Content-Type"] == "application/json"
    assert list(reply.json) == ["name", "url", "description", "email"]
    assert reply.json["name"] == "Library"


def test_unknown_container_is_404_in_either_format(tree):
    for headers in (None, LD):
        reply = public(tree, f"/public{SYS}/issuers/nope", headers)
        assert reply.status == 404
        assert reply.json == {
            "code": "ResourceNotFound",
            "message": "Could not find issuer field: `slug`, value: `nope`",
        }


def test_2_0_terms_are_defined_by_the_v2_context(tree):
    context = json.loads((CONTEXTS / "v2.json").read_text())["@context"]
    body = badge_body(
        "reader",
        criteria=[{"description": "d", "required": True, "note": ""}],
        alignments=[{"name": "a", "url": "http://example.org/a", "description": "d"}],
        tags=["t"],
    )
    assert tree.post(f"{ISS}/badges", body).status == 201
    badge = public(tree, f"/public{ISS}/badges/reader", LD).json
    profile = public(tree, f"/public{ISS}", LD).json
    used = set(badge) | set(badge["criteria"]) | set(badge["alignment"][0]) | set(profile)
    assert {term for term in used if not term.startswith("@")} <= set(context)
    assert badge["type"] in context
    assert profile["type"] in context
    assert context["issuer"]["@type"] == "@id"
    assert context["criteria"]["@type"] == "@id"


# --- baked images -------------------------------------------------------------------------------


def image_get(api: Api, slug: str) -> Any:
    """The raw response (the body is bytes)."""
    return api.gateway.dispatch(api.prepare("GET", f"/public/assertions/{slug}/image", sign=False))


def test_baked_png(tree):
    png = tiny_png()
    assert (
        tree.post(f"{SYS}/badges", badge_body("png", image=data_uri(png, "image/png"))).status
        == 201
    )
    slug = award(tree, SYS, "png")
    response = image_get(tree, slug)
    assert response.status == 200
    headers = dict(response.headers)
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == IMAGE_CSP
    assert headers["Cache-Control"] == "no-cache"
    assert baked_values(response.body) == {"openbadges": [f"{BASE}/public/assertions/{slug}"]}


def test_baked_svg(tree):
    assert (
        tree.post(f"{SYS}/badges", badge_body("svg", image=data_uri(SVG, "image/svg+xml"))).status
        == 201
    )
    slug = award(tree, SYS, "svg")
    response = image_get(tree, slug)
    assert response.status == 200
    headers = dict(response.headers)
    assert headers["Content-Type"] == "image/svg+xml"
    assert headers["Content-Security-Policy"] == IMAGE_CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    elements = svg_elements(response.body)
    assert elements[0] == (
        "http://openbadges.org",
        "assertion",
        {"verify": f"{BASE}/public/assertions/{slug}"},
    )


def test_remote_image_is_409(tree):
    assert tree.post(f"{SYS}/badges", badge_body("remote")).status == 201
    reply = public(tree, f"/public/assertions/{award(tree, SYS, 'remote')}/image")
    assert reply.status == 409
    assert reply.json == {
        "code": "ResourceConflict",
        "message": "Badge image is not stored by this API: only stored PNG and SVG images can be baked",
        "details": {"imageUrl": "http://example.org/reader.png"},
    }


@pytest.mark.parametrize(
    ("data", "mimetype"),
    [(b"GIF89a\x01\x00", "image/gif"), (b"\x89PNG\r\n\x1a\n" + bytes(range(64)), "image/png")],
)
def test_stored_image_that_cannot_be_baked_is_409(tree, data, mimetype):
    assert (
        tree.post(f"{SYS}/badges", badge_body("other", image=data_uri(data, mimetype))).status
        == 201
    )
    image_url = tree.get(f"{SYS}/badges/other").json["badge"]["imageUrl"]
    reply = public(tree, f"/public/assertions/{award(tree, SYS, 'other')}/image")
    assert reply.status == 409
    assert reply.json == {
        "code": "ResourceConflict",
        "message": "Badge image cannot be baked: only stored PNG and SVG images can be baked",
        "details": {"imageUrl": image_url, "mimetype": mimetype},
    }


def test_revoked_is_410_and_unknown_is_404(tree):
    png = data_uri(tiny_png(), "image/png")
    assert tree.post(f"{SYS}/badges", badge_body("png", image=png)).status == 201
    slug = award(tree, SYS, "png")
    reply = tree.delete(f"{SYS}/badges/png/instances/brian%40example.org")
    assert reply.status == 200
    revoked = public(tree, f"/public/assertions/{slug}/image")
    assert (revoked.status, revoked.json) == (410, {"revoked": True})
    unknown = public(tree, "/public/assertions/nope/image")
    assert unknown.status == 404
    assert unknown.json == {"code": "ResourceNotFound", "message": "Could not find badge instance"}


def test_baked_image_route_only_answers_get(tree):
    reply = tree.call("POST", "/public/assertions/x/image", sign=False)
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET"
