"""Timestamp input and output edge cases (spec README §6 "Range", §4), no AWS involved:
`parse` refuses everything outside 1970-01-01T00:00:00Z … 9999-12-31T23:59:59Z (and everything
the standard library chokes on) with ValueError; `to_seconds` / `to_iso` render any stored value
without raising (docs/compatibility.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from badgekit import timestamps

LAST = 253402300799  # 9999-12-31T23:59:59Z
LAST_ISO = "9999-12-31T23:59:59.000Z"
FIRST_ISO = "1970-01-01T00:00:00.000Z"


# --- parse: accepted ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        ("0", 0),
        (0.0, 0),
        (LAST, LAST),
        (str(LAST), LAST),
        (float(LAST), LAST),
        ("1970-01-01T00:00:00Z", 0),
        ("9999-12-31T23:59:59Z", LAST),
        ("9999-12-31T23:59:59.999999Z", LAST),  # floored, no float rounding up to 10000
        ("9999-12-31 23:59:59", LAST),
        ("9999-12-31T23:59:59+00:00", LAST),
        ("9999-12-31T23:59:59+01:00", LAST - 3600),
        ("1970-01-01T01:00:00+01:00", 0),
        ("December 31, 9999 23:59:59", LAST),
        ("9999/12/31 23:59:59", LAST),
        # The 13-digit rule comes first: any 13-digit value is milliseconds, so always in range.
        (9999999999999, 9999999999),
        ("9999999999999", 9999999999),
        (1402408977000, 1402408977),
        (1402408977999, 1402408977),
        (1402408977, 1402408977),
    ],
)
def test_parse_accepts_the_whole_range(value, expected):
    assert timestamps.parse(value) == expected


def test_parse_null_is_none():
    assert timestamps.parse(None) is None


# --- parse: refused -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        # out of range after the millisecond rule
        LAST + 1,
        str(LAST + 1),
        -1,
        "-1",
        -62135596801,
        "-62135596801",
        -1402408977000,  # 13 digits: -1402408977 s
        99999999999999999,
        "99999999999999999",
        2**63,
        str(2**63),
        2**64,
        10**100,
        1e20,
        1e308,
        -1e20,
        float(LAST + 1),
        # not finite, not whole
        float("inf"),
        float("-inf"),
        float("nan"),
        1402408977.5,
        # dates outside years 1970-9999
        "10000-01-01T00:00:00Z",
        "99999-01-01",
        "+10000-01-01",
        "0000-01-01",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
        "1969-12-31T23:59:59Z",
        "1969-12-31T23:59:59.5Z",  # floored to -1, not truncated to 0
        "Fri, 31 Dec 99999 23:59:59 +0000",
        "December 31, 10000",
        # digit strings Python cannot convert (over its int-from-text limit)
        "9" * 5000,
        "-" + "9" * 5000,
        # other garbage
        "1e20",
        "inf",
        "NaN",
        "",
        " ",
        "not a date",
        "+1402408977",
        "١٤٠٢٤٠٨٩٧٧",  # non-ASCII digits
        True,
        False,
        [],
        [1402408977],
        {"a": 1},
        Decimal("1402408977"),
        b"1402408977",
    ],
)
def test_parse_refuses_everything_else_with_value_error(value):
    with pytest.raises(ValueError, match="not a date"):
        timestamps.parse(value)


# --- output: never raises -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "seconds", "iso"),
    [
        (None, None, None),
        (0, 0, FIRST_ISO),
        (1400700129, 1400700129, "2014-05-21T19:22:09.000Z"),
        (Decimal(1400700129), 1400700129, "2014-05-21T19:22:09.000Z"),
        (LAST, LAST, LAST_ISO),
        # out of range: clamped to the ends
        (LAST + 1, LAST, LAST_ISO),
        (99999999999999999, LAST, LAST_ISO),
        (2**63, LAST, LAST_ISO),
        (10**200, LAST, LAST_ISO),
        (Decimal("9.9E+125"), LAST, LAST_ISO),  # DynamoDB's largest number
        (-1, 0, FIRST_ISO),
        (-62135596801, 0, FIRST_ISO),
        (Decimal("-9.9E+125"), 0, FIRST_ISO),
        (1e20, LAST, LAST_ISO),
        (-1e308, 0, FIRST_ISO),
        # fractions: floored
        (Decimal("1400700129.999"), 1400700129, "2014-05-21T19:22:09.000Z"),
        (Decimal("-0.5"), 0, FIRST_ISO),
        (Decimal("253402300799.5"), LAST, LAST_ISO),
        (1400700129.75, 1400700129, "2014-05-21T19:22:09.000Z"),
        # strings: read like input, then clamped
        ("1400700129", 1400700129, "2014-05-21T19:22:09.000Z"),
        ("1400700129000", 1400700129, "2014-05-21T19:22:09.000Z"),
        ("2014-05-21T19:22:09Z", 1400700129, "2014-05-21T19:22:09.000Z"),
        ("2014-05-21 21:22:09+02:00", 1400700129, "2014-05-21T19:22:09.000Z"),
        ("99999999999999999", LAST, LAST_ISO),
        ("-62135596801", 0, FIRST_ISO),
        ("0001-01-01T00:00:00Z", 0, FIRST_ISO),
        # garbage: null
        ("99999-01-01", None, None),
        ("9" * 5000, None, None),
        ("garbage", None, None),
        ("", None, None),
        (True, None, None),
        (False, None, None),
        (Decimal("NaN"), None, None),
        (Decimal("sNaN"), None, None),
        (Decimal("Infinity"), None, None),
        (Decimal("-Infinity"), None, None),
        (float("nan"), None, None),
        (float("inf"), None, None),
        ({"a": 1}, None, None),
        ([1400700129], None, None),
        ({1400700129}, None, None),
        (b"1400700129", None, None),
    ],
)
def test_output_renders_any_stored_value(stored, seconds, iso):
    assert timestamps.to_seconds(stored) == seconds
    assert timestamps.to_iso(stored) == iso


def test_output_of_every_parsed_value_round_trips():
    for value in (0, 1, 1400700129, LAST):
        assert timestamps.parse(timestamps.to_iso(value)) == value
        assert timestamps.to_seconds(timestamps.parse(value)) == value
