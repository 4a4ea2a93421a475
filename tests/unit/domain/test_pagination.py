"""`page` / `count` query parameters and the list envelope (spec README §5; badgekit.http.
pagination): leading-integer parsing like JavaScript's parseInt, pagination only when both are
> 0, never an error, and `pageData` only when paginating."""

from __future__ import annotations

import pytest

from badgekit.http.pagination import envelope, parse_page


@pytest.mark.parametrize(
    ("page", "count", "expected"),
    [
        ("1", "1", (1, 1)),
        ("+2", "3", (2, 3)),
        ("  4", "\t5", (4, 5)),
        ("007", "08", (7, 8)),
        ("2.9", "3e2", (2, 3)),
        ("1", "100000000", (1, 100000000)),  # no maximum count
        ("99999999999999999999", "1", (99999999999999999999, 1)),
    ],
)
def test_active_when_both_lead_with_a_positive_integer(page, count, expected):
    parsed = parse_page(page, count)
    assert parsed is not None
    assert (parsed.number, parsed.count) == expected


@pytest.mark.parametrize(
    ("page", "count"),
    [
        (None, "5"),
        ("5", None),
        ("", ""),
        ("1", ""),
        ("1", "0"),
        ("0", "0"),
        ("-0", "1"),
        ("1", "-3"),
        ("abc", "1"),
        ("1", "x2"),
        ("- 1", "1"),
        (".5", "1"),
    ],
)
def test_inactive_otherwise(page, count):
    assert parse_page(page, count) is None


def test_page_start_is_the_first_position_of_the_page():
    assert parse_page("1", "10").start == 0
    assert parse_page("3", "10").start == 20
    assert parse_page("2", "2").start == 2


def test_envelope_with_and_without_page_data():
    page = parse_page("9", "2")
    assert envelope("badges", [], 4, page) == {
        "badges": [],
        "pageData": {"page": 9, "count": 2, "total": 4},
    }
    assert envelope("codes", [{"id": 1}], 1, None) == {"codes": [{"id": 1}]}
    assert list(envelope("webhooks", [], 0, page)) == ["webhooks", "pageData"]


@pytest.mark.parametrize(("page", "count"), [("٣", "1"), ("1", "٣"), ("²", "2"), ("1", "\uff11")])
def test_only_ascii_digits_are_numbers(page, count):
    assert parse_page(page, count) is None


def test_a_number_too_long_to_convert_reads_as_the_longest_one():
    parsed = parse_page("7" * 5000, "2")
    assert parsed is not None
    assert parsed.number == int("9" * 4300)
    assert parsed.count == 2
