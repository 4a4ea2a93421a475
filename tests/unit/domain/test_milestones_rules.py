"""Milestone rules (milestones.md): body validation with the exact details and their order, the
32-entry `supportBadges` cap checked before anything is looked up, the add/remove-badge body,
path ids, and which primary badges a set of held badges earns. (Whether a badge id names a
badge of the system, `Unknown badge`, needs a lookup: tested in the moto tier.)"""

from __future__ import annotations

from typing import Any

import pytest

from badgekit.domain import milestones
from badgekit.errors import ResourceNotFound, ValidationError

SYSTEM = {"entity": "system", "id": 1, "slug": "chicago"}
ACTION_MESSAGE = "Value must be one of the following: issue, queue-application"


def details(fields: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as raised:
        milestones.parse(SYSTEM, fields)
    assert raised.value.status == 400
    assert raised.value.body()["message"] == "Could not validate required fields"
    return raised.value.details


def test_an_empty_body_names_every_required_field():
    assert details({"id": 3, "systemId": 9}) == [
        {"message": "Required field", "field": "primaryBadgeId", "value": ""},
        {"message": "Required field", "field": "numberRequired", "value": ""},
        {"message": "Required field", "field": "supportBadges", "value": ""},
    ]


def test_details_follow_the_spec_order_whatever_the_body_order():
    fields = {
        "supportBadges": ["x", 1.5, "07"],
        "action": "award",
        "numberRequired": "two",
        "primaryBadgeId": True,
    }
    assert details(fields) == [
        {"message": "Invalid integer", "field": "primaryBadgeId", "value": True},
        {"message": "Invalid integer", "field": "numberRequired", "value": "two"},
        {"message": ACTION_MESSAGE, "field": "action", "value": "award"},
        {"message": "Invalid integer", "field": "supportBadges[0]", "value": "x"},
        {"message": "Invalid integer", "field": "supportBadges[1]", "value": 1.5},
        {"message": "Invalid integer", "field": "supportBadges[2]", "value": "07"},
    ]


def test_a_null_support_list_is_missing():
    assert details({"primaryBadgeId": "p", "numberRequired": 1, "supportBadges": None}) == [
        {"message": "Invalid integer", "field": "primaryBadgeId", "value": "p"},
        {"message": "Required field", "field": "supportBadges", "value": ""},
    ]


@pytest.mark.parametrize("action", ["Issue", "", "queue_application", 1])
def test_action_is_one_of_two_values(action):
    got = details(
        {"primaryBadgeId": "p", "numberRequired": 1, "supportBadges": [], "action": action}
    )
    assert got[1] == {"message": ACTION_MESSAGE, "field": "action", "value": action or ""}


def test_a_single_support_value_is_a_one_element_array():
    assert details({"primaryBadgeId": "p", "numberRequired": 1, "supportBadges": "x"}) == [
        {"message": "Invalid integer", "field": "primaryBadgeId", "value": "p"},
        {"message": "Invalid integer", "field": "supportBadges[0]", "value": "x"},
    ]


def test_more_than_32_support_badges_fail_before_any_lookup():
    assert milestones.MAX_SUPPORT_BADGES == 32
    fields = {"primaryBadgeId": 4, "numberRequired": 1, "supportBadges": [5] * 33}
    assert details(fields) == [
        {"message": "Too many support badges (at most 32)", "field": "supportBadges"},
    ]
    fields = {"numberRequired": "x", "action": "no", "supportBadges": list(range(1, 34))}
    assert details(fields) == [
        {"message": "Required field", "field": "primaryBadgeId", "value": ""},
        {"message": "Invalid integer", "field": "numberRequired", "value": "x"},
        {"message": ACTION_MESSAGE, "field": "action", "value": "no"},
        {"message": "Too many support badges (at most 32)", "field": "supportBadges"},
    ]


def test_add_and_remove_badge_body():
    assert milestones.parse_badge_id({"badgeId": "12"}) == 12
    assert milestones.parse_badge_id({"badgeId": 3, "other": 1}) == 3
    for fields, value in (({}, ""), ({"badgeId": "b"}, "b"), ({"badgeId": -0.5}, -0.5)):
        with pytest.raises(ValidationError) as raised:
            milestones.parse_badge_id(fields)
        message = "Required field" if fields == {} else "Invalid integer"
        assert raised.value.details == [{"message": message, "field": "badgeId", "value": value}]


@pytest.mark.parametrize("milestone_id", ["abc", "", "-1", "1.0", "1 ", "0x1", "1234567890123"])
def test_a_path_id_that_is_not_a_number_is_not_found_without_a_lookup(milestone_id):
    with pytest.raises(ResourceNotFound) as raised:
        milestones.get(SYSTEM, milestone_id)
    assert raised.value.body() == {
        "code": "ResourceNotFound",
        "message": f"Could not find milestone field: `id`, value: `{milestone_id}`",
    }


# --- which primary badges are earned ----------------------------------------------------------


def milestone(mid: int, primary: int, required: int, *support: int) -> dict[str, Any]:
    return {
        "id": mid,
        "primaryBadgeId": primary,
        "numberRequired": required,
        "supportBadgeIds": list(support),
    }


def test_eligible_primaries():
    rules = [
        milestone(3, 30, 2, 1, 2, 3),
        milestone(1, 10, 1, 1),
        milestone(2, 20, 3, 1, 2, 4),
        milestone(4, 10, 1, 2),  # same primary again: awarded once
        milestone(5, 50, 0),  # nothing required
    ]
    assert milestones.eligible(rules, {1, 2}) == [10, 30, 50]
    assert milestones.eligible(rules, {1, 2, 4}) == [10, 20, 30, 50]
    assert milestones.eligible(rules, set()) == [50]


def test_a_primary_already_held_is_not_awarded_again():
    assert milestones.eligible([milestone(1, 10, 1, 1)], {1, 10}) == []


def test_referenced_badges():
    rules = [milestone(1, 10, 1, 1, 2), milestone(2, 20, 1, 2, 3)]
    assert milestones.referenced(rules) == {1, 2, 3, 10, 20}
