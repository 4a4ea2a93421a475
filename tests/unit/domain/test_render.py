"""The renderer (badgekit.domain.render) against the contract's own examples (copied from
badges.md and issuing.md of the spec): built from records as the store hands them over,
without any read (the URL's containers are the badge's own)."""

from __future__ import annotations

from typing import Any

from badgekit.domain import render
from badgekit.domain.places import Place

BASE = "https://badges.example.org"
IMAGE = "http://example.org/test.png"

# badges.md "Representation: Badge", as the contract writes it.
SPEC_BADGE = {
    "id": 4,
    "slug": "chicago-scratch-badge",
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
    "created": "2014-06-10T14:02:57.000Z",
    "imageUrl": "http://example.org/test.png",
    "type": "Not too shabby",
    "archived": False,
    "system": {
        "id": 1,
        "slug": "chicago",
        "url": "http://cityofchicago.org",
        "name": "Chicago",
        "email": "mayor-emanuel@cityofchicago.org",
        "imageUrl": "http://example.org/test.png",
        "issuers": [],
    },
    "issuer": {
        "id": 1,
        "slug": "chicago-library",
        "url": "http://www.chipublib.org/",
        "name": "Chicago Public Library",
        "description": "Chicago Public Library",
        "email": "eratosthenes@chipublib.org",
        "imageUrl": "http://example.org/test.png",
        "programs": [],
    },
    "program": {
        "id": 1,
        "slug": "mit-scratch",
        "url": "http://scratch.mit.edu/",
        "name": "MIT Scratch",
        "description": "Create stories...",
        "email": "admin@scratch.mit.edu",
        "imageUrl": "http://example.org/test.png",
    },
    "criteriaUrl": "http://example.org/chicagoScratchCriteria",
    "criteria": [
        {
            "id": 1,
            "description": "Just your basic criterion.",
            "required": True,
            "note": "Some sort of note",
        }
    ],
    "alignments": [
        {
            "id": 1,
            "name": "CCSS.ELA-Literacy.RST.11-12.3",
            "url": "http://www.corestandards.org/ELA-Literacy/RST/11-12/3",
            "description": "Follow precisely a complex multistep procedure",
        }
    ],
    "evidenceType": "Video",
    "categories": ["Science", "Coding"],
    "tags": [{"id": 7, "value": "scratch"}, {"id": 8, "value": "games"}],
    "milestones": [],
}
# issuing.md "GET /public/assertions/{instanceSlug}".
SPEC_ASSERTION = {
    "uid": "9d1c0e6a2f6b4b0c8a3f0d7c1b2e3f4a5b6c7d8e",
    "recipient": {
        "identity": "sha256$53a6e0b74cf0d72546022fa04ad0673baf5d60ef6745e1041507b88453ddc0b3",
        "type": "email",
        "hashed": True,
    },
    "badge": "https://badges.example.org/public/systems/chicago/badges/chicago-badge",
    "verify": {
        "url": "https://badges.example.org/public/assertions/9d1c0e6a2f6b4b0c8a3f0d7c1b2e3f4a5b6c7d8e",
        "type": "hosted",
    },
    "issuedOn": 1402408977,
    "expires": 1420070400,
}


SYSTEM: Any = {
    "entity": "system",
    "id": 1,
    "slug": "chicago",
    "url": "http://cityofchicago.org",
    "name": "Chicago",
    "description": "The system's description never shows inside a badge",
    "email": "mayor-emanuel@cityofchicago.org",
    "imageUrl": IMAGE,
}
ISSUER: Any = {
    "entity": "issuer",
    "id": 1,
    "systemId": 1,
    "slug": "chicago-library",
    "url": "http://www.chipublib.org/",
    "name": "Chicago Public Library",
    "description": "Chicago Public Library",
    "email": "eratosthenes@chipublib.org",
    "imageUrl": IMAGE,
}
PROGRAM: Any = {
    "entity": "program",
    "id": 1,
    "systemId": 1,
    "issuerId": 1,
    "slug": "mit-scratch",
    "url": "http://scratch.mit.edu/",
    "name": "MIT Scratch",
    "description": "Create stories...",
    "email": "admin@scratch.mit.edu",
    "imageUrl": IMAGE,
}
BADGE: Any = {
    "entity": "badge",
    "id": 4,
    "systemId": 1,
    "issuerId": 1,
    "programId": 1,
    "slug": "chicago-scratch-badge",
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
    "created": 1402408977,
    "imageUrl": IMAGE,
    "type": "Not too shabby",
    "archived": False,
    "criteriaUrl": "http://example.org/chicagoScratchCriteria",
    "criteria": [
        {
            "id": 1,
            "description": "Just your basic criterion.",
            "required": True,
            "note": "Some sort of note",
        }
    ],
    "alignments": [
        {
            "id": 1,
            "name": "CCSS.ELA-Literacy.RST.11-12.3",
            "url": "http://www.corestandards.org/ELA-Literacy/RST/11-12/3",
            "description": "Follow precisely a complex multistep procedure",
        }
    ],
    "evidenceType": "Video",
    "categories": ["Science", "Coding"],
    "tags": [{"id": 7, "value": "scratch"}, {"id": 8, "value": "games"}],
}


def renderer() -> render.Renderer:
    return render.Renderer(Place(SYSTEM, ISSUER, PROGRAM), BASE)


def test_a_program_badge_is_the_spec_example_key_for_key():
    expected = SPEC_BADGE
    shown = renderer().badge_json(BADGE)
    assert shown == expected
    assert list(shown) == list(expected)
    assert list(shown["system"]) == list(expected["system"])


def test_a_system_badge_has_no_issuer_or_program_key():
    system_badge = {k: v for k, v in BADGE.items() if k not in ("issuerId", "programId")}
    shown = render.Renderer(Place(SYSTEM), BASE).badge_json(system_badge)
    assert "issuer" not in shown
    assert "program" not in shown
    assert shown["system"]["issuers"] == []


def test_a_badge_is_rendered_once_per_renderer_unless_milestones_are_given():
    once = renderer()
    first = once.badge_json(BADGE)
    assert once.badge_json({**BADGE, "name": "Renamed"}) is first
    with_milestones = once.badge_json(BADGE, milestones=[{"id": 9}])
    assert with_milestones["milestones"] == [{"id": 9}]
    assert first["milestones"] == []


def test_badge_urls_are_under_the_badges_own_container():
    shown = renderer()
    assert shown.organisation_url(BADGE) == (
        f"{BASE}/public/systems/chicago/issuers/chicago-library/programs/mit-scratch"
    )
    assert shown.class_url(BADGE) == (
        f"{BASE}/public/systems/chicago/issuers/chicago-library/programs/mit-scratch"
        "/badges/chicago-scratch-badge"
    )


def test_the_hosted_assertion_is_the_spec_example():
    expected = SPEC_ASSERTION
    slug = expected["uid"]
    item = {
        "slug": slug,
        "email": "brian@example.org",
        "issuedOn": 1402408977,
        "expires": 1420070400,
    }
    url = render.assertion_url(slug, BASE)
    assert render.assertion_json(item, url, expected["badge"]) == expected
    without_expiry = render.assertion_json({**item, "expires": None}, url, expected["badge"])
    assert "expires" not in without_expiry


def test_a_revoked_assertion_in_either_format():
    url = render.assertion_url("abc", BASE)
    assert render.revoked_assertion_json(url, linked_data=False) == {"revoked": True}
    assert render.revoked_assertion_json(url, linked_data=True) == {
        "@context": "https://w3id.org/openbadges/v2",
        "id": f"{BASE}/public/assertions/abc",
        "type": "Assertion",
        "revoked": True,
    }


def test_a_webhook_never_shows_its_secret():
    shown = render.webhook_json({"id": 3, "url": "https://h.example.org", "secret": "s"})  # type: ignore[typeddict-unknown-key]
    assert shown == {"id": 3, "url": "https://h.example.org", "disabled": False}
