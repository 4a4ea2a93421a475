"""Badge instance rules (issuing.md): the single-award and bulk bodies with their exact details
and the 1,000-email cap, the PUT extension's fields, assertion URLs and recipient hashes."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from badgekit.domain import instances, render
from badgekit.domain.instances import AwardInput, BulkInput, parse_award, parse_bulk, parse_update
from badgekit.errors import ValidationError

EMAIL = "brian@example.org"


def details(parse: Any, fields: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as raised:
        parse(fields)
    assert raised.value.status == 400
    assert raised.value.body()["message"] == "Could not validate required fields"
    return raised.value.details


# --- single award -----------------------------------------------------------------------------


def test_award_defaults():
    assert parse_award({"email": EMAIL}) == AwardInput(email=EMAIL)


def test_award_with_every_field():
    parsed = parse_award(
        {
            "email": EMAIL,
            "slug": "my-slug",
            "issuedOn": "2014-06-10T14:02:57Z",
            "expires": 1420070400000,  # 13 digits: milliseconds
            "claimCode": "multiple-use",
            "comment": 42,
            "badge": "ignored",
        }
    )
    assert parsed == AwardInput(
        email=EMAIL,
        slug="my-slug",
        issued_on=1402408977,
        expires=1420070400,
        claim_code="multiple-use",
        comment="42",
    )


@pytest.mark.parametrize("no_expiry", [0, "", "0", "false", " FALSE ", False, None])
def test_no_expiry_values(no_expiry):
    assert parse_award({"email": EMAIL, "expires": no_expiry}).expires is None


def test_a_comment_that_is_not_text_is_dropped():
    assert parse_award({"email": EMAIL, "comment": {"a": 1}}).comment is None
    assert parse_award({"email": EMAIL, "comment": True}).comment == "true"


def test_award_details_in_the_spec_order():
    fields = {
        "email": "nope",
        "slug": "",
        "issuedOn": "yesterday-ish",
        "expires": "10000-01-01T00:00:00Z",
        "claimCode": "c" * 256,
    }
    assert details(parse_award, fields) == [
        {"message": "Invalid email", "field": "email", "value": "nope"},
        {"message": "String is not in range", "field": "slug", "value": ""},
        {"message": "Not a date", "field": "issuedOn", "value": "yesterday-ish"},
        {"message": "Not a date", "field": "expires", "value": "10000-01-01T00:00:00Z"},
        {"message": "String is not in range", "field": "claimCode", "value": "c" * 256},
    ]


def test_award_email_is_required_and_limited():
    assert details(parse_award, {}) == [
        {"message": "Required field", "field": "email", "value": ""}
    ]
    long_email = "a" * 250 + "@b.org"
    assert details(parse_award, {"email": long_email}) == [
        {"message": "String is not in range", "field": "email", "value": long_email}
    ]


@pytest.mark.parametrize("value", [-1, 253402300800, 2**63, "1e20", True])
def test_timestamps_out_of_range_are_not_dates(value):
    assert details(parse_award, {"email": EMAIL, "issuedOn": value}) == [
        {"message": "Not a date", "field": "issuedOn", "value": value}
    ]


# --- bulk award -------------------------------------------------------------------------------


def test_bulk_of_one_string():
    assert parse_bulk({"emails": EMAIL}) == BulkInput([EMAIL], None, None, None)


def test_bulk_keeps_order_and_repeats_and_reads_the_shared_fields():
    parsed = parse_bulk(
        {
            "emails": ["b@example.org", "a@example.org", "B@example.org"],
            "issuedOn": 1402408977,
            "expires": "false",
            "comment": "well done",
            "slug": "ignored",
            "claimCode": "ignored",
        }
    )
    assert parsed == BulkInput(
        ["b@example.org", "a@example.org", "B@example.org"], 1402408977, None, "well done"
    )


def test_an_empty_bulk_is_valid():
    assert parse_bulk({"emails": []}) == BulkInput([], None, None, None)


@pytest.mark.parametrize("emails", [None, "absent"])
def test_bulk_emails_are_required(emails):
    fields = {} if emails == "absent" else {"emails": emails}
    assert details(parse_bulk, fields) == [
        {"message": "Required field", "field": "emails", "value": ""}
    ]


@pytest.mark.parametrize("emails", [{"a": EMAIL}, 5, True])
def test_bulk_emails_must_be_an_array_or_a_string(emails):
    assert details(parse_bulk, {"emails": emails}) == [
        {"message": "Expected array", "field": "emails", "value": emails}
    ]


def test_each_bad_entry_is_reported_and_then_the_timestamps():
    emails = [EMAIL, "nope", 7, None, {"email": EMAIL}, "a" * 250 + "@b.org"]
    assert details(parse_bulk, {"emails": emails, "issuedOn": "x", "expires": "y"}) == [
        {"message": "Invalid email", "field": "emails[1]", "value": "nope"},
        {"message": "Invalid email", "field": "emails[2]", "value": 7},
        {"message": "Invalid email", "field": "emails[3]", "value": ""},
        {"message": "Invalid email", "field": "emails[4]", "value": {"email": EMAIL}},
        {"message": "Invalid email", "field": "emails[5]", "value": "a" * 250 + "@b.org"},
        {"message": "Not a date", "field": "issuedOn", "value": "x"},
        {"message": "Not a date", "field": "expires", "value": "y"},
    ]


def test_one_thousand_emails_are_accepted():
    emails = [f"user{n}@example.org" for n in range(1000)]
    assert instances.MAX_BULK_EMAILS == 1000
    assert parse_bulk({"emails": emails}).emails == emails


def test_more_than_one_thousand_is_one_detail_without_a_value():
    emails = ["not an email"] * 1001  # the entries are not looked at
    assert details(parse_bulk, {"emails": emails, "issuedOn": "x"}) == [
        {"message": "Too many emails (at most 1000)", "field": "emails"},
        {"message": "Not a date", "field": "issuedOn", "value": "x"},
    ]


# --- PUT extension ----------------------------------------------------------------------------


def test_update_fields():
    assert parse_update({}) == {}
    assert parse_update({"email": "x", "slug": "y", "issuedOn": None}) == {}
    assert parse_update({"expires": None}) == {"expires": None}
    assert parse_update({"expires": 0, "issuedOn": "1402408977"}) == {
        "issuedOn": 1402408977,
        "expires": None,
    }
    assert parse_update({"expires": "2015-01-01T00:00:00.000Z"}) == {"expires": 1420070400}


def test_update_details():
    assert details(parse_update, {"issuedOn": "soon", "expires": [1]}) == [
        {"message": "Not a date", "field": "issuedOn", "value": "soon"},
        {"message": "Not a date", "field": "expires", "value": [1]},
    ]


# --- assertions -------------------------------------------------------------------------------


def test_assertion_urls_quote_the_slug():
    assert render.assertion_path("abc") == "/public/assertions/abc"
    assert render.assertion_path("a/b c@d") == "/public/assertions/a%2Fb%20c%40d"
    assert render.assertion_url("abc", "https://api.example.org") == (
        "https://api.example.org/public/assertions/abc"
    )


def test_recipient_hash():
    digest = hashlib.sha256(b"brian@example.orgsalt").hexdigest()
    assert render.recipient_hash(EMAIL, "salt") == f"sha256${digest}"
    assert render.recipient_hash(EMAIL) == "sha256$" + hashlib.sha256(EMAIL.encode()).hexdigest()


def test_instance_errors():
    error = instances.not_found("Nobody@example.org")
    assert (error.status, error.body()) == (
        404,
        {
            "code": "ResourceNotFound",
            "message": "Could not find badgeInstance field: `email`, value: `Nobody@example.org`",
        },
    )
