"""Records at the store boundary: DynamoDB's Decimals become ints, nested ones included."""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from badgekit.store.records import optional, plain, record


class Sample(TypedDict):
    id: int
    name: str
    tags: list[int]


def test_numbers_become_ints_at_every_depth():
    item = {"PK": "X", "id": Decimal(7), "name": "n", "tags": [Decimal(1), Decimal("2")]}
    found = record(item, Sample)
    assert found == {"PK": "X", "id": 7, "name": "n", "tags": [1, 2]}
    assert type(found["id"]) is int
    assert all(type(tag) is int for tag in found["tags"])


def test_numbers_no_api_write_makes_stay_decimals_and_the_item_is_not_changed():
    item = {
        "ratio": Decimal("0.5"),
        "huge": Decimal("9.9E+125"),
        "nested": {"n": Decimal(3), "edge": Decimal(2**63 - 1), "past": Decimal(2**63)},
        "set": {Decimal(4)},
    }
    found = plain(item)
    assert found == {
        "ratio": Decimal("0.5"),
        "huge": Decimal("9.9E+125"),
        "nested": {"n": 3, "edge": 2**63 - 1, "past": Decimal(2**63)},
        "set": {4},
    }
    assert type(found["ratio"]) is Decimal
    assert type(found["nested"]["edge"]) is int
    assert type(found["nested"]["past"]) is Decimal
    assert type(item["nested"]["n"]) is Decimal


def test_an_absent_item_is_none():
    assert optional(None, Sample) is None
    assert optional({"id": Decimal(1), "name": "a", "tags": []}, Sample) == {
        "id": 1,
        "name": "a",
        "tags": [],
    }
