"""The one JSON encoder (badgekit.jsonutil): compact, DynamoDB numbers as JSON numbers, sets as
sorted arrays, readable Unicode, and always encodable as UTF-8 (README §3 "Limits")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from badgekit import jsonutil


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal(5), "5"),
        (Decimal("5.0"), "5"),
        (Decimal("-12"), "-12"),
        (Decimal("1.5"), "1.5"),
        (Decimal("9223372036854775807"), "9223372036854775807"),
        ({"n": Decimal(1), "list": [Decimal("2.25")]}, '{"n":1,"list":[2.25]}'),
    ],
)
def test_stored_numbers_are_json_numbers(value, expected):
    assert jsonutil.dumps(value) == expected


def test_sets_are_sorted_arrays():
    assert jsonutil.dumps({"s": {3, 1, 2}}) == '{"s":[1,2,3]}'
    assert jsonutil.dumps(frozenset({"b", "a"})) == '["a","b"]'


def test_output_is_compact_and_keeps_key_order():
    assert jsonutil.dumps({"b": 1, "a": [True, None]}) == '{"b":1,"a":[true,null]}'


def test_unknown_types_are_refused():
    with pytest.raises(TypeError, match=r"^Object of type bytes is not JSON serializable$"):
        jsonutil.dumps({"x": b"raw"})


def test_a_stored_lone_surrogate_makes_the_whole_text_ascii():
    assert jsonutil.dumps(["\udfff", "é"]) == '["\\udfff","\\u00e9"]'
    assert jsonutil.dumps(["é"]) == '["é"]'
