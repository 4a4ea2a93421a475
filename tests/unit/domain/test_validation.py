"""Coercion, validators and detail entries (spec README §3.1, §3.2, §6, §7.2)."""

from __future__ import annotations

import random
import re

import pytest

from badgekit import timestamps
from badgekit.domain import validation
from badgekit.domain.validation import (
    URL,
    CoercionError,
    Report,
    StringField,
    as_boolean,
    as_integer,
    as_string,
    check_fields,
    detail_value,
    is_email,
    is_url,
    length,
)
from badgekit.errors import ValidationError
from badgekit.http.pagination import envelope, parse_page

VALID_URLS = [
    "http://example.org",
    "https://example.org/a/b.png",
    "ftp://files.example.org",
    "http://localhost:8080/x",
    "www.example.org",
    "http://x.org/?q=1",
    "HTTP://EXAMPLE.ORG",
    "http://user:pw@example.org/",
    "http://192.168.0.1/",
]
INVALID_URLS = [
    "not a url",
    "/images/abc",
    "example",
    "data:image/png;base64,AAAA",
    "a.b",
    "http://x.org?q=1",
    "mailto:someone@example.org",
    "http://example.org/has space",
    "http://example.org:1/",
    "http://300.1.1.1/",
    "http://example.org/" + "a" * 2083,
]


@pytest.mark.parametrize("value", VALID_URLS)
def test_valid_urls(value):
    assert is_url(value)


@pytest.mark.parametrize("value", INVALID_URLS)
def test_invalid_urls(value):
    assert not is_url(value)


# The URL pattern as the spec's validator writes it (one case-insensitive range per host
# character), against which the cheaper-to-compile pattern of `validation` is checked.
SPEC_URL = re.compile(
    r"^(?!mailto:)(?:(?:https?|ftp)://)?"
    r"(?:[^\s:@/]+(?::[^\s@/]*)?@)?"
    r"(?P<host>localhost|\d{1,3}(?:\.\d{1,3}){3}|"
    r"(?:[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]*[a-z0-9\u00a1-\uffff])?\.)+"
    r"[a-z\u00a1-\uffff]{2,})"
    r"(?::\d{2,5})?"
    r"(?:/\S*)?$",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    ("fragment", "spec"),
    [
        (validation._HOST_CHAR, r"[a-z0-9\u00a1-\uffff]"),
        (validation._HOST_INNER, r"[a-z0-9\u00a1-\uffff-]"),
        (validation._TLD_CHAR, r"[a-z\u00a1-\uffff]"),
    ],
)
def test_host_characters_are_the_specs_for_every_code_point(fragment, spec):
    ours, theirs = re.compile(fragment, re.IGNORECASE), re.compile(spec, re.IGNORECASE)
    differing = [
        hex(code)
        for code in range(0x110000)
        if bool(ours.fullmatch(chr(code))) != bool(theirs.fullmatch(chr(code)))
    ]
    assert differing == []


def test_url_pattern_matches_what_the_specs_matches():
    pieces = [*"aZ09.-:/@ _~%?#\u00a0\u00a1\u017f\u0131\u212a\u00e9\uffff\U00010400"]
    pieces += ["localhost", "LOCALHOST", "mailto:", "MAILTO:", "http://", "HTTPS://", "ftp://"]
    pieces += ["127.0.0.1", ".com", ".ORG", "example", ":8080"]
    rng = random.Random(7)
    for value in (
        VALID_URLS
        + INVALID_URLS
        + ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(20_000)]
    ):
        ours, theirs = validation._URL.match(value), SPEC_URL.match(value)
        assert (ours and ours.group("host")) == (theirs and theirs.group("host")), value


@pytest.mark.parametrize(
    "value", ["a@b.co", "brian+milestone-test@example.org", "x.y@sub.example.org", "a@[1.2.3.4]"]
)
def test_valid_emails(value):
    assert is_email(value)


@pytest.mark.parametrize("value", ["a@b", "nope", "a b@c.org", "a@-b.org", "@b.org", "a..b@c.org"])
def test_invalid_emails(value):
    assert not is_email(value)


def test_string_coercion():
    assert as_string("x") == "x"
    assert as_string(5) == "5"
    assert as_string(5.0) == "5"
    assert as_string(5.5) == "5.5"
    assert as_string(True) == "true"
    for bad in ({}, [], None):
        with pytest.raises(CoercionError):
            as_string(bad)


def test_integer_coercion():
    assert as_integer(5) == 5
    assert as_integer("-12") == -12
    assert as_integer("0") == 0
    assert as_integer(2**63 - 1) == 2**63 - 1
    assert as_integer(str(-(2**63))) == -(2**63)
    for bad in ("05", "5.0", 5.5, True, "", "x", "5\n", "1" * 5000, 2**63, str(-(2**63) - 1)):
        with pytest.raises(CoercionError):
            as_integer(bad)


def test_integer_coercion_is_limited_to_64_bits():
    assert as_integer(2**63 - 1) == 2**63 - 1
    assert as_integer(str(-(2**63))) == -(2**63)
    for bad in (2**63, -(2**63) - 1, 10**40, str(2**63), "9" * 5000, 10**5000):
        with pytest.raises(CoercionError):
            as_integer(bad)


def test_boolean_coercion():
    for truthy in (True, 1, "1", "true"):
        assert as_boolean(truthy) is True
    for falsy in (False, 0, "0", "false"):
        assert as_boolean(falsy) is False
    for bad in ("yes", 2, "TRUE", None):
        with pytest.raises(CoercionError):
            as_boolean(bad)


def test_detail_value_rule():
    assert [detail_value(v) for v in (None, False, 0, "", "x", 3, {"a": 1})] == [
        "",
        "",
        "",
        "",
        "x",
        3,
        {"a": 1},
    ]


FIELDS = (
    StringField("slug", required=True, rules=(length(1, 255),)),
    StringField("url", required=True, rules=(URL, length(0, 255))),
    StringField("description", rules=(length(0, 255),)),
)


def test_check_fields_reports_in_field_order_first_failure_only():
    report = Report()
    values = {"url": "x" * 300, "slug": "", "description": None}
    cleaned = check_fields(FIELDS, values, report)
    assert report.details == [
        {"message": "String is not in range", "field": "slug", "value": ""},
        {"message": "Invalid URL", "field": "url", "value": "x" * 300},
    ]
    assert cleaned == {"description": None}
    with pytest.raises(ValidationError) as caught:
        report.raise_if_any()
    assert caught.value.body() == {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": report.details,
    }


def test_long_valid_url_fails_length_and_objects_fail_first_rule():
    report = Report()
    check_fields(FIELDS, {"slug": {"a": 1}, "url": "http://example.org/" + "a" * 300}, report)
    assert report.details == [
        {"message": "String is not in range", "field": "slug", "value": {"a": 1}},
        {
            "message": "String is not in range",
            "field": "url",
            "value": "http://example.org/" + "a" * 300,
        },
    ]


def test_required_fields_and_coerced_numbers():
    report = Report()
    cleaned = check_fields(FIELDS, {"slug": 12, "url": "www.example.org"}, report)
    assert report.details == []
    assert cleaned == {"slug": "12", "url": "www.example.org"}
    report = Report()
    check_fields(FIELDS, {"slug": None}, report)
    assert [d["field"] for d in report.details] == ["slug", "url"]
    assert all(
        d == {"message": "Required field", "field": d["field"], "value": ""} for d in report.details
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1700000000, 1700000000),
        ("1700000000", 1700000000),
        (1700000000123, 1700000000),
        ("2014-06-10T14:02:57Z", 1402408977),
        ("2014-06-10 14:02:57", 1402408977),
        ("2014-06-10T16:02:57+02:00", 1402408977),
        ("March 9, 1979 12:00:00", 289828800),
        (None, None),
    ],
)
def test_timestamp_input(value, expected):
    assert timestamps.parse(value) == expected


@pytest.mark.parametrize("value", ["not a date", "", True, {"a": 1}])
def test_bad_timestamps(value):
    with pytest.raises(ValueError):
        timestamps.parse(value)


def test_timestamp_output():
    assert timestamps.to_iso(1400700129) == "2014-05-21T19:22:09.000Z"
    assert timestamps.to_iso(None) is None


@pytest.mark.parametrize(
    ("page", "count", "expected"),
    [
        ("2", "5", (2, 5)),
        ("2abc", " 3", (2, 3)),
        ("0", "5", None),
        ("-1", "5", None),
        ("x", "5", None),
        ("1", None, None),
        (None, None, None),
    ],
)
def test_parse_page(page, count, expected):
    parsed = parse_page(page, count)
    assert (None if parsed is None else (parsed.number, parsed.count)) == expected


def test_envelope():
    assert envelope("systems", [1], 7, parse_page("2", "1")) == {
        "systems": [1],
        "pageData": {"page": 2, "count": 1, "total": 7},
    }
    assert envelope("systems", [1], 1, None) == {"systems": [1]}
