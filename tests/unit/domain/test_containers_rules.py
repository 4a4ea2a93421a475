"""Systems, issuers and programs (systems.md, issuers.md, programs.md) and consumer keys
(README §13.1): input validation with the exact error details, where each level's items live,
and the consumer key rules the auth check relies on. Every rejection here happens before any
DynamoDB call (the pure tier's guard would fail the test otherwise)."""

from __future__ import annotations

from typing import Any

import pytest

from badgekit.domain import consumers, containers
from badgekit.domain.inputs import Body
from badgekit.domain.validation import Report, check_fields
from badgekit.errors import ValidationError

SYSTEM = {"entity": "system", "id": 1, "slug": "chicago"}
ISSUER = {"entity": "issuer", "id": 2, "slug": "library", "systemId": 1}
VALID = {"slug": "chicago", "name": "Chicago", "url": "http://example.org"}
LEVELS = [
    containers.system_level(),
    containers.issuer_level(SYSTEM),
    containers.program_level(SYSTEM, ISSUER),
]


def details_of(create: Any, *args: Any) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as raised:
        create(*args)
    error = raised.value
    assert (error.status, error.code, error.message) == (
        400,
        "ValidationError",
        "Could not validate required fields",
    )
    assert error.body() == {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": error.details,
    }
    return error.details


# --- levels -----------------------------------------------------------------------------------


def test_where_each_level_lives():
    system, issuer, program = LEVELS
    assert (system.model, issuer.model, program.model) == ("system", "issuer", "program")
    assert system.members.header() == {"PK": "SYSTEMS", "SK": "LIST#SYSTEMS#"}
    assert issuer.members.header() == {"PK": "SYS#1", "SK": "LIST#ISSUERS#"}
    assert program.members.header() == {"PK": "SYS#1", "SK": "LIST#PROGRAMS#2#"}


def test_owner_ids_of_each_level():
    assert [level.owner_ids() for level in LEVELS] == [
        {},
        {"systemId": 1},
        {"systemId": 1, "issuerId": 2},
    ]


# --- input validation (POST) ------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS, ids=lambda level: level.model)
def test_an_empty_body_lists_the_required_fields_in_order(level):
    assert details_of(containers.create, level, Body({})) == [
        {"message": "Required field", "field": "slug", "value": ""},
        {"message": "Required field", "field": "name", "value": ""},
        {"message": "Required field", "field": "url", "value": ""},
    ]


def test_every_field_fails_its_first_rule_in_table_order():
    body = Body(
        {
            "slug": "",
            "name": "n" * 256,
            "url": "not a url",
            "description": "d" * 256,
            "email": "",
            "imageUrl": "nope",
        }
    )
    assert details_of(containers.create, LEVELS[0], body) == [
        {"message": "String is not in range", "field": "slug", "value": ""},
        {"message": "String is not in range", "field": "name", "value": "n" * 256},
        {"message": "Invalid URL", "field": "url", "value": "not a url"},
        {"message": "String is not in range", "field": "description", "value": "d" * 256},
        {"message": "Invalid email", "field": "email", "value": ""},
        {"message": "Invalid URL", "field": "image"},
    ]


def test_a_valid_url_over_255_characters_is_out_of_range():
    url = "http://example.org/" + "a" * 237
    assert len(url) == 256
    body = Body({**VALID, "url": url})
    assert details_of(containers.create, LEVELS[1], body) == [
        {"message": "String is not in range", "field": "url", "value": url},
    ]


def test_objects_where_strings_are_expected_fail_the_first_rule():
    body = Body({**VALID, "slug": {"a": 1}, "url": ["http://example.org"], "email": {}})
    assert details_of(containers.create, LEVELS[2], body) == [
        {"message": "String is not in range", "field": "slug", "value": {"a": 1}},
        {"message": "Invalid URL", "field": "url", "value": ["http://example.org"]},
        {"message": "Invalid email", "field": "email", "value": {}},
    ]


def test_null_optional_fields_and_unknown_fields_are_fine():
    report = Report()
    cleaned = check_fields(
        containers.FIELDS,
        {**VALID, "description": None, "email": None, "id": 9, "issuers": []},
        report,
    )
    assert report.details == []
    assert cleaned == {**VALID, "description": None, "email": None}


def test_numbers_are_coerced_to_their_text():
    report = Report()
    cleaned = check_fields(containers.FIELDS, {**VALID, "slug": 12, "name": True}, report)
    assert report.details == []
    assert (cleaned["slug"], cleaned["name"]) == ("12", "true")


def test_image_problems_have_no_value():
    body = Body({**VALID, "image": "data:image/png;base64,!!!"})
    assert details_of(containers.create, LEVELS[0], body) == [
        {"message": "Invalid characters", "field": "image"},
    ]
    body = Body({**VALID, "image": 5})
    assert details_of(containers.create, LEVELS[0], body) == [
        {"message": "Missing value", "field": "image"},
    ]


# --- consumer keys ----------------------------------------------------------------------------


def test_consumer_fields():
    assert details_of(consumers.create, SYSTEM, Body({"apiKey": "", "description": "d" * 256})) == [
        {"message": "String is not in range", "field": "apiKey", "value": ""},
        {"message": "String is not in range", "field": "description", "value": "d" * 256},
    ]
    key = "k" * 256
    assert details_of(consumers.create, SYSTEM, Body({"apiKey": key})) == [
        {"message": "String is not in range", "field": "apiKey", "value": key},
    ]


@pytest.mark.parametrize("api_key", ["", "k" * 256, "bad\ud800key"])
def test_a_key_no_consumer_could_have_is_refused_without_a_lookup(api_key):
    assert consumers.signing_secret(api_key) is None
