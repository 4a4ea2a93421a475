"""Public documents' rules (issuing.md "GET /public/systems/…"): the IssuerOrganization takes
each key from the most specific container that has a value, and omits keys none has; hosted
assertions are JSON-LD only when the `Accept` header prefers it."""

from __future__ import annotations

import pytest

from badgekit.domain import public, render
from badgekit.domain.places import Place

SYSTEM = {
    "id": 1,
    "name": "Chicago",
    "url": "http://cityofchicago.org",
    "description": "The City of Chicago",
    "email": "mayor-emanuel@cityofchicago.org",
}
ISSUER = {"id": 2, "name": "Library", "url": "http://lib.org", "description": "", "email": None}
PROGRAM = {"id": 3, "name": "Scratch", "url": "http://scratch.mit.edu"}


def test_the_spec_example():
    assert render.organisation_json(Place(SYSTEM)) == {
        "name": "Chicago",
        "url": "http://cityofchicago.org",
        "description": "The City of Chicago",
        "email": "mayor-emanuel@cityofchicago.org",
    }


def test_each_key_from_the_most_specific_container_with_a_value():
    assert render.organisation_json(Place(SYSTEM, ISSUER, PROGRAM)) == {
        "name": "Scratch",
        "url": "http://scratch.mit.edu",
        "description": "The City of Chicago",
        "email": "mayor-emanuel@cityofchicago.org",
    }
    issuer = {**ISSUER, "email": "library@lib.org"}
    assert render.organisation_json(Place(SYSTEM, issuer, PROGRAM))["email"] == "library@lib.org"


def test_keys_no_container_has_are_omitted():
    bare = {"id": 1, "name": "Bare", "url": "http://bare.org", "description": None, "email": ""}
    assert render.organisation_json(Place(bare)) == {"name": "Bare", "url": "http://bare.org"}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, False),
        ("", False),
        ("application/json", False),
        ("*/*", False),
        ("application/ld+json", True),
        ("Application/LD+JSON; charset=utf-8", True),
        ("application/json, application/ld+json", True),
        ("application/json;q=0.9, application/ld+json", True),
        ("application/json, application/ld+json;q=0.5", False),
        ("application/ld+json;q=0", False),
        ("application/ld+json;q=abc", False),
    ],
)
def test_linked_data_when_preferred(accept, expected):
    assert public.wants_linked_data(accept) is expected


def test_a_missing_assertion():
    error = public.assertion_not_found()
    assert (error.status, error.body()) == (
        404,
        {"code": "ResourceNotFound", "message": "Could not find badge instance"},
    )
