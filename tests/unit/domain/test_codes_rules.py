"""Claim code rules (claim-codes.md): input validation for create, random create and claim, the
random code's shape, when a code is used up, and the exact error bodies. Every rejection
happens before any DynamoDB call."""

from __future__ import annotations

import re
from typing import Any

import pytest

from badgekit.domain import codes
from badgekit.domain.inputs import Body
from badgekit.domain.validation import Report, check_fields
from badgekit.errors import ValidationError

BADGE = {"entity": "badge", "id": 5, "slug": "chicago-badge", "systemId": 1}


def details(create: Any, fields: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as raised:
        create(BADGE, Body(fields))
    assert raised.value.status == 400
    assert raised.value.code == "ValidationError"
    return raised.value.details


def test_the_spec_example_multiuse_without_code():
    assert details(codes.create, {"multiuse": 1}) == [
        {"message": "Required field", "field": "code", "value": ""},
    ]


def test_create_details_in_order():
    fields = {"code": "c" * 256, "email": "nope", "claimed": "yes", "multiuse": 2}
    assert details(codes.create, fields) == [
        {"message": "String is not in range", "field": "code", "value": "c" * 256},
        {"message": "Invalid email", "field": "email", "value": "nope"},
        {"message": "Unexpected value or invalid argument", "field": "claimed", "value": "yes"},
        {"message": "Unexpected value or invalid argument", "field": "multiuse", "value": 2},
    ]


def test_an_empty_code_is_out_of_range():
    assert details(codes.create, {"code": ""}) == [
        {"message": "String is not in range", "field": "code", "value": ""},
    ]


def test_random_create_ignores_code_but_checks_the_rest():
    fields = {"code": "", "email": "a@b", "claimed": "maybe"}
    assert details(codes.create_random, fields) == [
        {"message": "Invalid email", "field": "email", "value": "a@b"},
        {"message": "Unexpected value or invalid argument", "field": "claimed", "value": "maybe"},
    ]


def test_valid_create_input_is_coerced():
    report = Report()
    values = check_fields(
        codes.CREATE_FIELDS,
        {"code": 12345, "email": "brian@example.org", "claimed": "1", "multiuse": "false"},
        report,
    )
    assert report.details == []
    assert values == {
        "code": "12345",
        "email": "brian@example.org",
        "claimed": True,
        "multiuse": False,
    }


def test_a_claim_email_is_any_string_up_to_255():
    report = Report()
    assert check_fields(codes.CLAIM_FIELDS, {"email": "not an email"}, report) == {
        "email": "not an email"
    }
    check_fields(codes.CLAIM_FIELDS, {"email": "e" * 256}, report)
    assert report.details == [
        {"message": "String is not in range", "field": "email", "value": "e" * 256}
    ]


def test_update_fields_are_email_claimed_multiuse_only():
    report = Report()
    values = check_fields(
        codes.UPDATE_FIELDS, {"code": "x", "email": None, "claimed": 0, "id": 3}, report
    )
    assert report.details == []
    assert values == {"email": None, "claimed": False}


def test_random_codes_are_ten_lowercase_hex_characters():
    drawn = {codes.random_code() for _ in range(200)}
    assert all(re.fullmatch(r"[0-9a-f]{10}", code) for code in drawn)
    assert len(drawn) == 200


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({}, False),
        ({"claimed": False, "multiuse": False}, False),
        ({"claimed": True, "multiuse": False}, True),
        ({"claimed": True}, True),
        ({"claimed": True, "multiuse": True}, False),
        ({"claimed": False, "multiuse": True}, False),
    ],
)
def test_a_claimed_single_use_code_is_used_up(item, expected):
    assert codes.used_up(item) is expected


def test_error_bodies():
    used = codes.already_used("single-use")
    assert (used.status, used.body()) == (
        400,
        {"code": "CodeAlreadyUsed", "message": "Claim code `single-use` has already been claimed"},
    )
    missing = codes.not_found("Nope")
    assert (missing.status, missing.body()) == (
        404,
        {
            "code": "ResourceNotFound",
            "message": "Could not find claimCode field: `code`, value: `Nope`",
        },
    )
