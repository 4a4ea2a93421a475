"""Badge rules (badges.md): the `archived` filter, input validation with the exact details in the
spec's order, the child collections (criteria, alignments, categories, tags) and their limits,
and the lists a badge belongs to. Every rejection happens before any DynamoDB call."""

from __future__ import annotations

from typing import Any

import pytest

from badgekit.domain import badges
from badgekit.domain.inputs import Body
from badgekit.domain.places import Place
from badgekit.domain.validation import Report
from badgekit.errors import (
    InvalidParameter,
    RequestEntityTooLarge,
    ResourceNotFound,
    ValidationError,
)

SYSTEM = {"entity": "system", "id": 1, "slug": "chicago"}
ISSUER = {"entity": "issuer", "id": 2, "slug": "library"}
PROGRAM = {"entity": "program", "id": 3, "slug": "scratch"}
PLACE = Place(SYSTEM)
VALID = {
    "name": "Chicago Badge",
    "earnerDescription": "For earners",
    "consumerDescription": "For consumers",
    "criteriaUrl": "http://example.org/criteria",
    "unique": False,
    "image": "http://example.org/badge.png",
}


def details(fields: dict[str, Any], place: Place = PLACE) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as raised:
        badges.create(place, Body(fields))
    assert raised.value.status == 400
    assert raised.value.body()["message"] == "Could not validate required fields"
    return raised.value.details


# --- the `archived` filter --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (None, [False]),
        (["undefined"], [False]),
        (["false"], [False]),
        (["0"], [False]),
        (["true"], [True]),
        (["1"], [True]),
        (["any"], [False, True]),
        ([""], [False, True]),
    ],
)
def test_archived_filter(values, expected):
    assert badges.archived_filter(values) == expected


@pytest.mark.parametrize(
    "values", [["yes"], ["TRUE"], ["Any"], ["2"], [" true"], ["true", "false"], ["any", "any"], []]
)
def test_bad_archived_values(values):
    with pytest.raises(InvalidParameter) as raised:
        badges.archived_filter(values)
    assert raised.value.status == 400
    assert raised.value.body() == {
        "code": "InvalidParameter",
        "message": "Invalid `archived` parameter. Expecting one of 'true', 'false' or 'any'.",
        "parameter": "archived",
    }


# --- scalar fields ----------------------------------------------------------------------------


def test_the_spec_example_of_a_body_with_nothing_valid():
    assert details({"whatever": "lol"}) == [
        {"message": "Required field", "field": "name", "value": ""},
        {"message": "Required field", "field": "earnerDescription", "value": ""},
        {"message": "Required field", "field": "consumerDescription", "value": ""},
        {"message": "Required field", "field": "criteriaUrl", "value": ""},
        {"message": "Required field", "field": "unique", "value": ""},
        {"message": "Missing value", "field": "image"},
    ]


def test_every_scalar_rule_in_the_spec_order():
    fields = {
        "slug": "",
        "name": "",
        "strapline": "s" * 141,
        "earnerDescription": "",
        "consumerDescription": "c" * 65536,
        "issuerUrl": "i" * 256,
        "rubricUrl": "r" * 256,
        "criteriaUrl": "nope",
        "timeValue": "5.0",
        "timeUnits": "years",
        "limit": True,
        "unique": "yes",
        "archived": 2,
        "type": "t" * 256,
        "evidenceType": "url",
        "image": "not a url",
    }
    assert details(fields) == [
        {"message": "String is not in range", "field": "slug", "value": ""},
        {"message": "String is not in range", "field": "name", "value": ""},
        {"message": "String is not in range", "field": "strapline", "value": "s" * 141},
        {"message": "String is not in range", "field": "earnerDescription", "value": ""},
        {"message": "String is not in range", "field": "consumerDescription", "value": "c" * 65536},
        {"message": "String is not in range", "field": "issuerUrl", "value": "i" * 256},
        {"message": "String is not in range", "field": "rubricUrl", "value": "r" * 256},
        {"message": "Invalid URL", "field": "criteriaUrl", "value": "nope"},
        {"message": "Invalid integer", "field": "timeValue", "value": "5.0"},
        {"message": "Unexpected value or invalid argument", "field": "timeUnits", "value": "years"},
        {"message": "Invalid integer", "field": "limit", "value": True},
        {"message": "Unexpected value or invalid argument", "field": "unique", "value": "yes"},
        {"message": "Unexpected value or invalid argument", "field": "archived", "value": 2},
        {"message": "String is not in range", "field": "type", "value": "t" * 256},
        {
            "message": "Unexpected value or invalid argument",
            "field": "evidenceType",
            "value": "url",
        },
        {"message": "Invalid URL", "field": "image"},
    ]


@pytest.mark.parametrize("unique", [False, 0, "0", "false"])
def test_unique_false_in_any_form_is_a_valid_value(unique):
    got = details({**VALID, "unique": unique, "criteriaUrl": "x"})
    assert got == [{"message": "Invalid URL", "field": "criteriaUrl", "value": "x"}]


# --- child collections ------------------------------------------------------------------------


def test_child_entries_come_after_the_scalars_and_the_image():
    fields = {
        **VALID,
        "name": None,
        "image": None,
        "criteria": [{"required": "maybe"}, "text", {"description": ["x"]}],
        "alignments": [{"url": "nope"}, {"name": "", "url": "http://example.org"}],
        "categories": ["c" * 256],
        "tags": [{"value": "t" * 256}],
    }
    assert details(fields) == [
        {"message": "Required field", "field": "name", "value": ""},
        {"message": "Missing value", "field": "image"},
        {
            "message": "Unexpected value or invalid argument",
            "field": "criteria[0].required",
            "value": "maybe",
        },
        {
            "message": "Unexpected value or invalid argument",
            "field": "criteria[1]",
            "value": "text",
        },
        {"message": "String is not in range", "field": "criteria[2].description", "value": ["x"]},
        {"message": "Required field", "field": "alignments[0].name", "value": ""},
        {"message": "Invalid URL", "field": "alignments[0].url", "value": "nope"},
        {"message": "String is not in range", "field": "alignments[1].name", "value": ""},
        {"message": "String is not in range", "field": "categories", "value": ["c" * 256]},
        {"message": "String is not in range", "field": "tags", "value": [{"value": "t" * 256}]},
    ]


def test_categories_and_tags_drop_empties_and_duplicates_keeping_the_first():
    report = Report()
    children = badges._children(
        {
            "categories": ["Science", "", "Coding", "Science", None, 7],
            "tags": ["games", {"value": "scratch"}, "games", {"value": ""}, {"id": 1}],
        },
        {},
        report,
    )
    assert report.details == []
    assert children.categories == ["Science", "Coding", "7"]
    assert children.tags == ["games", "scratch"]
    assert children.criteria is None
    assert children.alignments is None


def test_a_single_string_is_a_one_element_array():
    report = Report()
    children = badges._children({"categories": "Category One", "tags": "tag1"}, {}, report)
    assert (children.categories, children.tags) == (["Category One"], ["tag1"])


def test_only_this_badges_own_criterion_ids_are_kept_once():
    current = {"criteria": [{"id": 4}, {"id": 5}], "alignments": [{"id": 9}]}
    report = Report()
    children = badges._children(
        {
            "criteria": [
                {"id": 4, "description": "kept", "required": "1"},
                {"id": "5", "note": "kept too"},
                {"id": 4, "description": "second use of 4: new"},
                {"id": 99, "description": "not ours: new"},
                {"description": "no id: new"},
            ],
            "alignments": [
                {"id": 9, "name": "A", "url": "http://a.org"},
                {"name": "B", "url": "b.org"},
            ],
        },
        current,
        report,
    )
    assert report.details == []
    assert children.criteria == [
        {"description": "kept", "required": True, "note": None, "id": 4},
        {"description": None, "required": None, "note": "kept too", "id": 5},
        {"description": "second use of 4: new", "required": None, "note": None},
        {"description": "not ours: new", "required": None, "note": None},
        {"description": "no id: new", "required": None, "note": None},
    ]
    assert children.alignments == [
        {"name": "A", "url": "http://a.org", "description": None, "id": 9},
        {"name": "B", "url": "b.org", "description": None},
    ]
    assert children.new_ids_needed() == {"criterion": 3, "alignment": 1, "tag": 0}


def test_children_take_defaults_and_fresh_ids():
    report = Report()
    children = badges._children(
        {
            "criteria": [{"id": 4, "required": True}, {}],
            "alignments": [{"name": "A", "url": "http://a.org"}],
            "tags": ["x", "y"],
        },
        {"criteria": [{"id": 4}]},
        report,
    )
    assert children.new_ids_needed() == {"criterion": 1, "alignment": 1, "tag": 2}
    item: dict[str, Any] = {}
    badges._apply_children(item, children, {"criterion": [20], "alignment": [30], "tag": [40, 41]})
    assert item == {
        "criteria": [
            {"id": 4, "description": "", "required": True, "note": ""},
            {"id": 20, "description": "", "required": False, "note": ""},
        ],
        "alignments": [{"id": 30, "name": "A", "url": "http://a.org", "description": ""}],
        "tags": [{"id": 40, "value": "x"}, {"id": 41, "value": "y"}],
    }


@pytest.mark.parametrize(
    ("name", "most"),
    [("criteria", 7600), ("alignments", 9500), ("tags", 19000), ("categories", 95000)],
)
def test_a_child_array_longer_than_one_item_can_hold_is_a_413(name, most):
    report = Report()
    badges._children({name: [{}] * most}, {}, report)  # at the limit: validated entry by entry
    with pytest.raises(RequestEntityTooLarge) as raised:
        badges.create(PLACE, Body({name: [""] * (most + 1)}))
    assert raised.value.status == 413
    assert raised.value.body() == {
        "code": "RequestEntityTooLargeError",
        "message": "Badge exceeds the maximum stored size of 380000 bytes",
    }


# --- where a badge is listed ------------------------------------------------------------------


def test_the_list_of_the_url_container():
    assert badges.list_scope(Place(SYSTEM), False).prefix == "LIST#BADGES#SYSTEM#1#ACTIVE#"
    assert badges.list_scope(Place(SYSTEM, ISSUER), True).prefix == "LIST#BADGES#ISSUER#2#ARCHIVED#"
    program_scope = badges.list_scope(Place(SYSTEM, ISSUER, PROGRAM), False)
    assert (program_scope.partition, program_scope.prefix) == (
        "SYS#1",
        "LIST#BADGES#PROGRAM#3#ACTIVE#",
    )


def test_a_badge_is_in_every_list_above_it():
    def prefixes(badge: dict[str, Any], archived: bool) -> list[tuple[str, str]]:
        return [(s.partition, s.prefix) for s in badges.memberships(badge, archived)]

    assert prefixes({"systemId": 1}, False) == [
        ("BADGES", "LIST#ACTIVE#"),
        ("SYS#1", "LIST#BADGES#SYSTEM#1#ACTIVE#"),
    ]
    assert prefixes({"systemId": 1, "issuerId": 2, "programId": 3}, True) == [
        ("BADGES", "LIST#ARCHIVED#"),
        ("SYS#1", "LIST#BADGES#SYSTEM#1#ARCHIVED#"),
        ("SYS#1", "LIST#BADGES#ISSUER#2#ARCHIVED#"),
        ("SYS#1", "LIST#BADGES#PROGRAM#3#ARCHIVED#"),
    ]


def test_a_badge_outside_the_url_container_is_not_found():
    badge = {"systemId": 1, "issuerId": 2}
    assert badges.under(Place(SYSTEM, ISSUER), badge, "b") is badge
    for found in (None, {"systemId": 1, "issuerId": 7}):
        with pytest.raises(ResourceNotFound) as raised:
            badges.under(Place(SYSTEM, ISSUER), found, "Nope")
        assert raised.value.status == 404
        assert raised.value.body() == {
            "code": "ResourceNotFound",
            "message": "Could not find badge field: `slug`, value: `Nope`",
        }
