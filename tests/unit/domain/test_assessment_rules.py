"""Assessment rules (assessment.md): the `processed` filter, application and review bodies with
the exact details in the spec's order, the evidence and review-item limits, and the `approved`
flag of the `review` webhook. Every rejection happens before any DynamoDB call."""

from __future__ import annotations

from typing import Any

import pytest

from badgekit.domain import assessment
from badgekit.domain.inputs import Body
from badgekit.errors import InvalidParameter, RequestEntityTooLarge, ValidationError

BADGE = {"entity": "badge", "id": 5, "slug": "chicago-badge", "systemId": 1}
LEARNER = "learner@example.org"
APPLICATION = {
    "PK": "BADGEID#5",
    "SK": "APP#abc",
    "entity": "application",
    "id": 7,
    "slug": "abc",
    "badgeId": 5,
    "systemId": 1,
    "learner": LEARNER,
    "created": 1700000000,
    "evidence": [],
    "version": 1,
    "GSI2PK": "LEARNER#learner@example.org",
    "GSI2SK": "S#000000000001#I#000000000000#P#000000000000#000000000005"
    "#001700000000#000000000007#PENDING",
}


def details(call: Any, *args: Any) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as raised:
        call(*args)
    assert raised.value.status == 400
    assert raised.value.body()["message"] == "Could not validate required fields"
    return raised.value.details


# --- the `processed` filter -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (None, [False, True]),
        (["any"], [False, True]),
        ([""], [False, True]),
        (["undefined"], [False, True]),
        (["true"], [True]),
        (["1"], [True]),
        (["false"], [False]),
        (["0"], [False]),
    ],
)
def test_processed_filter(values, expected):
    assert assessment.processed_filter(values) == expected


@pytest.mark.parametrize("values", [["yes"], ["True"], ["2"], ["true", "true"], []])
def test_bad_processed_values(values):
    with pytest.raises(InvalidParameter) as raised:
        assessment.processed_filter(values)
    assert raised.value.status == 400
    assert raised.value.body() == {
        "code": "InvalidParameter",
        "message": "Invalid `processed` parameter. Expecting one of 'true', 'false' or 'any'.",
        "parameter": "processed",
    }


# --- applications -----------------------------------------------------------------------------


def test_an_application_needs_a_learner():
    assert details(assessment.create_application, BADGE, Body({})) == [
        {"message": "Required field", "field": "learner", "value": ""},
    ]


def test_application_details_in_the_spec_order():
    fields = {
        "evidence": [
            {"url": "nope", "mediaType": "video"},
            "text",
            {"reflection": {"a": 1}},
            {"url": "http://example.org/ok", "mediaType": "link", "reflection": "fine"},
        ],
        "assignedExpiration": "someday",
        "assignedTo": "reviewer",
        "learner": "learner",
        "processed": "ignored on create",
    }
    assert details(assessment.create_application, BADGE, Body(fields)) == [
        {"message": "Invalid email", "field": "learner", "value": "learner"},
        {"message": "Invalid email", "field": "assignedTo", "value": "reviewer"},
        {"message": "Not a date", "field": "assignedExpiration", "value": "someday"},
        {"message": "Invalid URL", "field": "evidence[0].url", "value": "nope"},
        {
            "message": "Unexpected value or invalid argument",
            "field": "evidence[0].mediaType",
            "value": "video",
        },
        {
            "message": "Unexpected value or invalid argument",
            "field": "evidence[1]",
            "value": "text",
        },
        {"message": "String is not in range", "field": "evidence[2].reflection", "value": {"a": 1}},
    ]


def test_too_much_evidence_is_a_413():
    with pytest.raises(RequestEntityTooLarge) as raised:
        assessment.create_application(BADGE, Body({"learner": LEARNER, "evidence": [{}] * 4751}))
    assert raised.value.status == 413
    assert raised.value.body() == {
        "code": "RequestEntityTooLargeError",
        "message": "Application exceeds the maximum stored size of 380000 bytes",
    }


def test_an_update_validates_the_merged_application():
    fields = {"learner": None, "assignedTo": "x", "processed": "later", "assignedExpiration": []}
    assert details(assessment.update_application, APPLICATION, Body(fields)) == [
        {"message": "Required field", "field": "learner", "value": ""},
        {"message": "Invalid email", "field": "assignedTo", "value": "x"},
        {"message": "Not a date", "field": "assignedExpiration", "value": []},
        {"message": "Not a date", "field": "processed", "value": "later"},
    ]


@pytest.mark.parametrize(
    "fields",
    [{}, {"nonsense": 1}, {"learner": LEARNER}, {"processed": None}, {"processed": ""}],
)
def test_an_update_that_changes_nothing_writes_nothing(fields):
    assert assessment.update_application(APPLICATION, Body(fields)) is APPLICATION


# --- reviews ----------------------------------------------------------------------------------


def test_review_details_in_the_spec_order():
    fields = {
        "reviewItems": [
            {"satisfied": "yes"},
            {"criterionId": "1.0", "comment": ["c"]},
            None,
        ],
        "comment": "c" * 65536,
    }
    assert details(assessment._validate_review, fields, None) == [
        {"message": "Required field", "field": "author", "value": ""},
        {"message": "String is not in range", "field": "comment", "value": "c" * 65536},
        {"message": "Required field", "field": "reviewItems[0].criterionId", "value": ""},
        {
            "message": "Unexpected value or invalid argument",
            "field": "reviewItems[0].satisfied",
            "value": "yes",
        },
        {"message": "Invalid integer", "field": "reviewItems[1].criterionId", "value": "1.0"},
        {"message": "String is not in range", "field": "reviewItems[1].comment", "value": ["c"]},
        {"message": "Unexpected value or invalid argument", "field": "reviewItems[2]", "value": ""},
    ]


def test_a_valid_review_and_its_item_defaults():
    values, items = assessment._validate_review(
        {
            "author": "reviewer@example.org",
            "slug": "ignored",
            "reviewItems": [{"criterionId": "3"}, {"criterionId": 4, "satisfied": 1, "comment": 5}],
        },
        None,
    )
    assert values == {"author": "reviewer@example.org", "comment": None}
    assert items == [
        {"criterionId": 3, "satisfied": False, "comment": None},
        {"criterionId": 4, "satisfied": True, "comment": "5"},
    ]


def test_a_review_update_keeps_absent_fields_and_items():
    current = {"author": "reviewer@example.org", "comment": "old"}
    values, items = assessment._validate_review({"comment": None}, current)
    assert values == {"author": "reviewer@example.org", "comment": None}
    assert items is None


def test_too_many_review_items_is_a_413():
    with pytest.raises(RequestEntityTooLarge) as raised:
        assessment._validate_review({"author": "a@b.co", "reviewItems": [{}] * 7601}, None)
    assert raised.value.body()["message"] == (
        "Review exceeds the maximum stored size of 380000 bytes"
    )


# --- approved ---------------------------------------------------------------------------------


def criteria(*required: bool) -> dict[str, Any]:
    return {"criteria": [{"id": n, "required": r} for n, r in enumerate(required, start=1)]}


def items(*satisfied: tuple[int, bool]) -> dict[str, Any]:
    return {"reviewItems": [{"criterionId": c, "satisfied": s} for c, s in satisfied]}


@pytest.mark.parametrize(
    ("badge", "review", "expected"),
    [
        ({}, {}, True),  # no criteria: approved
        (criteria(False, False), items(), True),
        (criteria(True, False), items((1, True)), True),
        (criteria(True, True), items((1, True)), False),
        (criteria(True, True), items((1, True), (2, True)), True),
        (criteria(True), items((1, False)), False),
        (criteria(True), items((1, False), (1, True)), True),
        (criteria(True), items((9, True)), False),  # an unknown criterion never counts
    ],
)
def test_approved_when_every_required_criterion_is_satisfied(badge, review, expected):
    assert assessment.approved(badge, review) is expected
