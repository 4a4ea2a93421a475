"""Public documents: `GET /public/badges`, badge classes and issuer organisations (no auth)."""

from __future__ import annotations

import pytest

from tests.support.bodies import badge_body
from tests.unit.conftest import Api, system_body

SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
PRG = f"{ISS}/programs/scratch"

BASE = "https://badges.example.org"  # PUBLIC_BASE_URL of the unit environment


@pytest.fixture
def published(api: Api) -> Api:
    api.post("/systems", system_body("chicago", description="The City", email="mayor@example.org"))
    api.post(
        f"{SYS}/issuers",
        {"slug": "library", "name": "Library", "url": "http://lib.org", "email": "lib@example.org"},
    )
    api.post(
        f"{ISS}/programs",
        {"slug": "scratch", "name": "Scratch", "url": "http://s.org", "description": "Code"},
    )
    alignment = {"name": "CCSS", "url": "http://www.corestandards.org/x", "description": "Follow"}
    assert api.post(f"{SYS}/badges", badge_body("s-badge", alignments=[alignment])).status == 201
    assert api.post(f"{PRG}/badges", badge_body("p-badge")).status == 201
    assert api.post(f"{ISS}/badges", badge_body("old", archived=True)).status == 201
    return api


def test_public_badge_list_is_public_and_absolute(published):
    reply = published.get("/public/badges", sign=False)
    assert reply.status == 200
    assert reply.json == {
        "badgelist": [
            {"location": f"{BASE}/public/systems/chicago/badges/s-badge"},
            {
                "location": f"{BASE}/public/systems/chicago/issuers/library/programs/scratch/badges/p-badge"
            },
        ]
    }
    reply = published.get("/public/badges?archived=any&page=2&count=2", sign=False)
    assert reply.json == {
        "badgelist": [{"location": f"{BASE}/public/systems/chicago/issuers/library/badges/old"}],
        "pageData": {"page": 2, "count": 2, "total": 3},
    }
    assert (
        published.get("/public/badges?archived=nope", sign=False).json["code"] == "InvalidParameter"
    )


def test_badge_class_document(published):
    reply = published.get("/public/systems/chicago/badges/s-badge", sign=False)
    assert reply.status == 200
    assert reply.json == {
        "name": "Test Badge",
        "description": "Some description, o",
        "image": "http://example.org/badge.png",
        "criteria": "http://example.org/criteria",
        "alignment": [
            {"name": "CCSS", "url": "http://www.corestandards.org/x", "description": "Follow"}
        ],
        "issuer": f"{BASE}/public/systems/chicago",
    }
    # through any ancestor; the issuer document is the badge's own container's
    for path in (
        "/public/systems/chicago/badges/p-badge",
        "/public/systems/chicago/issuers/library/badges/p-badge",
        "/public/systems/chicago/issuers/library/programs/scratch/badges/p-badge",
    ):
        document = published.get(path, sign=False).json
        assert (
            document["issuer"] == f"{BASE}/public/systems/chicago/issuers/library/programs/scratch"
        )
        assert document["alignment"] == []
    archived = published.get("/public/systems/chicago/badges/old", sign=False)
    assert archived.status == 200
    missing = published.get("/public/systems/chicago/issuers/library/badges/s-badge", sign=False)
    assert missing.status == 404
    assert missing.json["message"] == "Could not find badge field: `slug`, value: `s-badge`"


def test_issuer_organisation_documents_fall_back_to_ancestors(published):
    assert published.get("/public/systems/chicago", sign=False).json == {
        "name": "Chicago",
        "url": "http://example.org",
        "description": "The City",
        "email": "mayor@example.org",
    }
    assert published.get("/public/systems/chicago/issuers/library", sign=False).json == {
        "name": "Library",
        "url": "http://lib.org",
        "description": "The City",
        "email": "lib@example.org",
    }
    assert published.get(
        "/public/systems/chicago/issuers/library/programs/scratch", sign=False
    ).json == {
        "name": "Scratch",
        "url": "http://s.org",
        "description": "Code",
        "email": "lib@example.org",
    }
    published.post("/systems", system_body("bare"))
    assert published.get("/public/systems/bare", sign=False).json == {
        "name": "Bare",
        "url": "http://example.org",
    }
    reply = published.get("/public/systems/nope/issuers/x", sign=False)
    assert reply.status == 404
    assert reply.json["message"] == "Could not find system field: `slug`, value: `nope`"


def test_public_routes_ignore_authorization_and_refuse_other_methods(published):
    assert (
        published.get(
            "/public/systems/chicago", headers={"Authorization": "garbage"}, sign=False
        ).status
        == 200
    )
    reply = published.call("POST", "/public/badges", sign=False)
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET"
