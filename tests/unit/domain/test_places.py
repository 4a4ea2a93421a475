"""The container a URL addresses (badgekit.domain.places.Place; spec README §1): which items it
reaches (itself and its descendants), the owner ids it gives new items, its level and its GSI2
scope prefix."""

from __future__ import annotations

from decimal import Decimal

import pytest

from badgekit.domain.places import Place

SYSTEM = {"entity": "system", "id": 1, "slug": "chicago"}
OTHER_SYSTEM = {"entity": "system", "id": 2, "slug": "pittsburgh"}
ISSUER = {"entity": "issuer", "id": 10, "slug": "library", "systemId": 1}
PROGRAM = {"entity": "program", "id": 100, "slug": "scratch", "systemId": 1, "issuerId": 10}

AT_SYSTEM = Place(SYSTEM)
AT_ISSUER = Place(SYSTEM, ISSUER)
AT_PROGRAM = Place(SYSTEM, ISSUER, PROGRAM)

SYSTEM_BADGE = {"systemId": 1}
ISSUER_BADGE = {"systemId": 1, "issuerId": 10}
PROGRAM_BADGE = {"systemId": 1, "issuerId": 10, "programId": 100}
OTHER_ISSUER_BADGE = {"systemId": 1, "issuerId": 11}
OTHER_PROGRAM_BADGE = {"systemId": 1, "issuerId": 10, "programId": 101}
OTHER_SYSTEM_BADGE = {"systemId": 2, "issuerId": 10, "programId": 100}


@pytest.mark.parametrize(
    ("place", "owned", "expected"),
    [
        (AT_SYSTEM, SYSTEM_BADGE, True),
        (AT_SYSTEM, ISSUER_BADGE, True),
        (AT_SYSTEM, PROGRAM_BADGE, True),
        (AT_SYSTEM, OTHER_SYSTEM_BADGE, False),
        (AT_ISSUER, SYSTEM_BADGE, False),
        (AT_ISSUER, ISSUER_BADGE, True),
        (AT_ISSUER, PROGRAM_BADGE, True),
        (AT_ISSUER, OTHER_ISSUER_BADGE, False),
        (AT_ISSUER, OTHER_SYSTEM_BADGE, False),
        (AT_PROGRAM, SYSTEM_BADGE, False),
        (AT_PROGRAM, ISSUER_BADGE, False),
        (AT_PROGRAM, PROGRAM_BADGE, True),
        (AT_PROGRAM, OTHER_PROGRAM_BADGE, False),
        (AT_PROGRAM, OTHER_SYSTEM_BADGE, False),
    ],
)
def test_an_item_is_reached_through_its_container_or_an_ancestor(place, owned, expected):
    assert place.contains(owned) is expected


def test_stored_numbers_compare_as_ids():
    assert AT_SYSTEM.contains({"systemId": Decimal(1)})
    assert not Place(OTHER_SYSTEM).contains({"systemId": Decimal(1)})


def test_owner_ids():
    assert AT_SYSTEM.owner_ids() == {"systemId": 1}
    assert AT_ISSUER.owner_ids() == {"systemId": 1, "issuerId": 10}
    assert AT_PROGRAM.owner_ids() == {"systemId": 1, "issuerId": 10, "programId": 100}


def test_level_is_the_most_specific_container():
    assert AT_SYSTEM.level() == ("system", 1)
    assert AT_ISSUER.level() == ("issuer", 10)
    assert AT_PROGRAM.level() == ("program", 100)


def test_parents_in_order():
    assert AT_SYSTEM.parents() == [SYSTEM]
    assert AT_ISSUER.parents() == [SYSTEM, ISSUER]
    assert AT_PROGRAM.parents() == [SYSTEM, ISSUER, PROGRAM]


def test_scope_prefix():
    assert AT_SYSTEM.scope_prefix() == "S#000000000001#"
    assert AT_ISSUER.scope_prefix() == "S#000000000001#I#000000000010#"
    assert AT_PROGRAM.scope_prefix() == "S#000000000001#I#000000000010#P#000000000100#"
