"""Milestones through the milestones function (in-process), written from spec milestones.md,
plus the `milestones` key of the single-badge GET (badges.md) and the badge-delete cascade."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.bodies import minimal_badge as badge_body
from tests.support.meter import Meter, metered
from tests.unit.conftest import TABLE_NAME, Api, system_body

SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
OTHER = "/systems/pittsburgh"
MS = f"{SYS}/milestones"

MILESTONE_KEYS = ["id", "action", "numberRequired", "primaryBadge", "supportBadges"]
ACTION_MESSAGE = "Value must be one of the following: issue, queue-application"


@pytest.fixture
def tree(api: Api) -> dict[int, dict[str, Any]]:
    """chicago: badges 1-3 at system level, 4-5 at issuer level (library); pittsburgh: badge 6.
    Returns the Badge representations by id, as the badge create answered them."""
    assert api.post("/systems", system_body("chicago")).status == 201
    assert api.post(f"{SYS}/issuers", {"slug": "library", "name": "L", "url": "http://l.org"})
    made: dict[int, dict[str, Any]] = {}
    for prefix, slug in [(SYS, "b1"), (SYS, "b2"), (SYS, "b3"), (ISS, "b4"), (ISS, "b5")]:
        reply = api.post(f"{prefix}/badges", badge_body(slug))
        assert reply.status == 201
        made[reply.json["badge"]["id"]] = reply.json["badge"]
    assert api.post("/systems", system_body("pittsburgh")).status == 201
    reply = api.post(f"{OTHER}/badges", badge_body("b6"))
    made[reply.json["badge"]["id"]] = reply.json["badge"]
    assert sorted(made) == [1, 2, 3, 4, 5, 6]
    return made


def create(api: Api, primary: int, supports: Any, number: int = 1, **extra: Any) -> dict:
    body = {"primaryBadgeId": primary, "numberRequired": number, "supportBadges": supports}
    reply = api.post(MS, {**body, **extra})
    assert reply.status == 201, reply.json
    return reply.json["milestone"]


def expected(
    tree: dict[int, dict], mid: int, primary: int, supports: list[int], number: int = 1, **kw
) -> dict:
    return {
        "id": mid,
        "action": kw.get("action", "issue"),
        "numberRequired": number,
        "primaryBadge": tree[primary],
        "supportBadges": [tree[b] for b in supports],
    }


def details(reply: Any) -> list[dict]:
    assert reply.status == 400, reply.json
    assert reply.json["code"] == "ValidationError"
    assert reply.json["message"] == "Could not validate required fields"
    return reply.json["details"]


def not_found(value: str) -> dict:
    return {
        "code": "ResourceNotFound",
        "message": f"Could not find milestone field: `id`, value: `{value}`",
    }


def support_index(aws: Any) -> set[tuple[int, int]]:
    """(badge id, milestone id) of every support entry in the table (reverse index, M4)."""
    items = aws.scan(TableName=TABLE_NAME)["Items"]
    return {
        (int(i["PK"]["S"].split("#")[1]), int(i["SK"]["S"].split("#")[1]))
        for i in items
        if i["PK"]["S"].startswith("SUPPORT#")
    }


def milestone_items(aws: Any) -> list[dict]:
    items = aws.scan(TableName=TABLE_NAME)["Items"]
    return [i for i in items if i.get("entity", {}).get("S") == "milestone"]


# --- POST /systems/{s}/milestones -----------------------------------------------------------


def test_create_answers_the_milestone_with_full_badges_in_ascending_order(api, tree, aws):
    reply = api.post(MS, {"primaryBadgeId": 4, "numberRequired": 1, "supportBadges": [5, 1]})
    assert reply.status == 201
    assert list(reply.json) == ["status", "milestone"]
    assert reply.json["status"] == "created"
    milestone = reply.json["milestone"]
    assert list(milestone) == MILESTONE_KEYS
    assert milestone == expected(tree, 1, 4, [1, 5])
    assert milestone["primaryBadge"]["milestones"] == []
    assert milestone["primaryBadge"]["issuer"]["slug"] == "library"
    assert all(b["milestones"] == [] for b in milestone["supportBadges"])
    assert api.get(f"{MS}/1").json == {"milestone": milestone}
    assert support_index(aws) == {(1, 1), (5, 1)}


def test_create_defaults_and_accepted_values(api, tree):
    queued = create(api, 1, [2], 3, action="queue-application")
    assert queued == expected(tree, 1, 1, [2], 3, action="queue-application")
    negative = create(api, 2, [], -4, action=None)
    assert negative == expected(tree, 2, 2, [], -4)
    as_strings = create(api, "3", ["1", 2], "2")
    assert as_strings == expected(tree, 3, 3, [1, 2], 2)


def test_single_value_duplicates_and_primary_in_its_own_list(api, tree, aws):
    assert create(api, 1, 3)["supportBadges"] == [tree[3]]
    assert create(api, 1, [3, 1, 3, "1"])["supportBadges"] == [tree[1], tree[3]]
    assert support_index(aws) == {(3, 1), (1, 2), (3, 2)}


def test_create_ignores_id_system_and_unknown_keys(api, tree):
    made = create(api, 1, [2], id=77, systemId=2, nonsense=True)
    assert made["id"] == 1
    assert api.get(f"{MS}/1").status == 200
    assert api.get(f"{OTHER}/milestones").json == {"milestones": []}


def test_create_from_a_form_body(api, tree):
    body = b"primaryBadgeId=2&numberRequired=1&supportBadges[]=3&supportBadges[]=1"
    reply = api.call("POST", MS, body=body, content_type="application/x-www-form-urlencoded")
    assert reply.status == 201
    assert reply.json["milestone"] == expected(tree, 1, 2, [1, 3])


def test_create_requires_the_three_fields(api, tree):
    assert details(api.post(MS, {})) == [
        {"message": "Required field", "field": "primaryBadgeId", "value": ""},
        {"message": "Required field", "field": "numberRequired", "value": ""},
        {"message": "Required field", "field": "supportBadges", "value": ""},
    ]
    nulls = {"primaryBadgeId": None, "numberRequired": None, "supportBadges": None}
    assert [d["field"] for d in details(api.post(MS, nulls))] == [
        "primaryBadgeId",
        "numberRequired",
        "supportBadges",
    ]


def test_create_validates_every_field_in_order(api, tree, aws):
    body = {
        "supportBadges": [1, "y", 999, 6, True, {"id": 2}],
        "action": "later",
        "numberRequired": "1.5",
        "primaryBadgeId": "x",
    }
    assert details(api.post(MS, body)) == [
        {"message": "Invalid integer", "field": "primaryBadgeId", "value": "x"},
        {"message": "Invalid integer", "field": "numberRequired", "value": "1.5"},
        {"message": ACTION_MESSAGE, "field": "action", "value": "later"},
        {"message": "Invalid integer", "field": "supportBadges[1]", "value": "y"},
        {"message": "Unknown badge", "field": "supportBadges[2]", "value": 999},
        {"message": "Unknown badge", "field": "supportBadges[3]", "value": 6},
        {"message": "Invalid integer", "field": "supportBadges[4]", "value": True},
        {"message": "Invalid integer", "field": "supportBadges[5]", "value": {"id": 2}},
    ]
    assert milestone_items(aws) == []
    assert support_index(aws) == set()


def test_integers_outside_64_bits_are_invalid_and_write_nothing(api, tree, aws):
    huge = 10**400  # a JSON number DynamoDB cannot hold
    long_text = "9" * 5000  # beyond Python's int-from-text limit
    body = {"primaryBadgeId": long_text, "numberRequired": huge, "supportBadges": [2**63]}
    assert details(api.post(MS, body)) == [
        {"message": "Invalid integer", "field": "primaryBadgeId", "value": long_text},
        {"message": "Invalid integer", "field": "numberRequired", "value": huge},
        {"message": "Invalid integer", "field": "supportBadges[0]", "value": 2**63},
    ]
    assert milestone_items(aws) == []
    assert create(api, 1, [2], number=2**63 - 1)["numberRequired"] == 2**63 - 1


def test_primary_badge_must_be_of_this_system(api, tree):
    for primary in (6, 999):
        reply = api.post(MS, {"primaryBadgeId": primary, "numberRequired": 1, "supportBadges": []})
        assert details(reply) == [
            {"message": "Unknown badge", "field": "primaryBadgeId", "value": primary}
        ]


def test_action_must_be_one_of_the_two(api, tree):
    for action in ("Issue", "", 5, ["issue"]):
        body = {"primaryBadgeId": 1, "numberRequired": 1, "supportBadges": [], "action": action}
        (detail,) = details(api.post(MS, body))
        assert detail["field"] == "action"
        assert detail["message"] == ACTION_MESSAGE


def test_support_list_size_is_bounded_by_one_transaction(api, tree, monkeypatch):
    from badgekit.domain import milestones

    monkeypatch.setattr(milestones, "MAX_SUPPORT_BADGES", 2)
    too_many = [{"message": milestones.TOO_MANY, "field": "supportBadges"}]
    body = {"primaryBadgeId": 1, "numberRequired": 1, "supportBadges": [1, 2, 3]}
    assert details(api.post(MS, body)) == too_many
    # the input's length counts (README §3 limits), repeats and invalid entries included
    assert details(api.post(MS, {**body, "supportBadges": [1, 2, 2]})) == too_many
    assert details(api.post(MS, {**body, "supportBadges": ["x", 2, 2]})) == too_many
    assert api.post(MS, {**body, "supportBadges": [2, 2]}).status == 201
    assert api.put(f"{MS}/1", {"supportBadges": [1, 2]}).status == 200
    reply = api.post(f"{MS}/1/add-badge", {"badgeId": 3})
    assert details(reply) == [{"message": milestones.TOO_MANY, "field": "badgeId", "value": 3}]
    # an unknown badge on a full list: the count is checked first, before any lookup
    reply = api.post(f"{MS}/1/add-badge", {"badgeId": 99})
    assert details(reply) == [{"message": milestones.TOO_MANY, "field": "badgeId", "value": 99}]
    assert api.post(f"{MS}/1/add-badge", {"badgeId": 2}).status == 200  # listed: a no-op


def test_a_long_support_list_is_refused_before_any_badge_lookup(api, tree, calls):
    """10,000 support badges: the 400 from the list's length, only the system read (the
    create) or the system and the milestone (the update); no badge looked up, nothing written."""
    create(api, 1, [2])
    supports = list(range(1, 10_001))
    too_many = {"message": "Too many support badges (at most 32)", "field": "supportBadges"}
    body = {"primaryBadgeId": "x", "numberRequired": 1, "supportBadges": supports}
    replies: list[Any] = []
    operations = calls.during(lambda: replies.append(api.post(MS, body)))
    assert details(replies[-1]) == [
        {"message": "Invalid integer", "field": "primaryBadgeId", "value": "x"},
        too_many,
    ]
    assert operations == ["GetItem"]
    operations = calls.during(
        lambda: replies.append(api.put(f"{MS}/1", {"supportBadges": supports}))
    )
    assert details(replies[-1]) == [too_many]
    assert operations == ["GetItem", "GetItem"]
    assert api.get(f"{MS}/1").json["milestone"]["supportBadges"] == [tree[2]]
    assert len(api.get(MS).json["milestones"]) == 1


def test_create_under_an_unknown_system(api, tree):
    reply = api.post("/systems/nowhere/milestones", {})
    assert reply.status == 404
    assert reply.json == {
        "code": "ResourceNotFound",
        "message": "Could not find system field: `slug`, value: `nowhere`",
    }


def test_a_badge_deleted_after_its_lookup_fails_the_create(api, tree, aws, monkeypatch):
    """The transaction checks each badge it starts referencing: a stale index entry for a
    deleted badge makes the write fail and the badge count as unknown; nothing is written."""
    from badgekit.domain import milestones
    from badgekit.store import db

    stale = db.by_id("badge", 3)
    assert api.delete(f"{SYS}/badges/b3").status == 200
    real = db.by_id
    monkeypatch.setattr(
        milestones.db, "by_id", lambda entity, i: stale if i == 3 else real(entity, i)
    )
    reply = api.post(MS, {"primaryBadgeId": 1, "numberRequired": 1, "supportBadges": [2, 3]})
    assert details(reply) == [{"message": "Unknown badge", "field": "supportBadges[1]", "value": 3}]
    assert milestone_items(aws) == []
    assert support_index(aws) == set()


# --- GET /systems/{s}/milestones -------------------------------------------------------------


def test_list_ascending_with_pagination(api, tree):
    made = [create(api, 1, [2]), create(api, 2, [1, 3], 2), create(api, 4, [5])]
    assert api.get(MS).json == {"milestones": made}
    page = api.get(f"{MS}?page=2&count=2").json
    assert page == {"milestones": [made[2]], "pageData": {"page": 2, "count": 2, "total": 3}}
    assert api.get(f"{MS}?page=3&count=2").json == {
        "milestones": [],
        "pageData": {"page": 3, "count": 2, "total": 3},
    }
    assert api.get(f"{OTHER}/milestones?page=1&count=5").json == {
        "milestones": [],
        "pageData": {"page": 1, "count": 5, "total": 0},
    }


def test_list_of_an_unknown_system(api, tree):
    assert api.get("/systems/nowhere/milestones").status == 404


# --- GET /systems/{s}/milestones/{id} --------------------------------------------------------


def test_get_unknown_non_numeric_or_other_system_ids(api, tree):
    create(api, 1, [2])
    assert api.post(f"{OTHER}/milestones", {**_body(6, [6])}).status == 201  # id 2
    for raw in ("3", "abc", "2", "1.0", "-1"):
        reply = api.get(f"{MS}/{raw}")
        assert reply.status == 404
        assert reply.json == not_found(raw)
    assert api.get(f"{OTHER}/milestones/1").json == not_found("1")
    assert api.get("/systems/nowhere/milestones/1").status == 404


def _body(primary: int, supports: list[int], number: int = 1) -> dict:
    return {"primaryBadgeId": primary, "numberRequired": number, "supportBadges": supports}


# --- PUT /systems/{s}/milestones/{id} --------------------------------------------------------


def test_update_is_partial_and_replaces_the_support_list(api, tree, aws):
    create(api, 4, [5, 1, 2])
    reply = api.put(f"{MS}/1", {"numberRequired": 200, "supportBadges": [1]})
    assert reply.status == 200
    assert reply.json == {"status": "updated", "milestone": expected(tree, 1, 4, [1], 200)}
    assert support_index(aws) == {(1, 1)}
    reply = api.put(f"{MS}/1", {"action": "queue-application", "primaryBadgeId": 3})
    assert reply.json["milestone"] == expected(tree, 1, 3, [1], 200, action="queue-application")
    assert api.get(f"{MS}/1").json["milestone"] == reply.json["milestone"]
    assert api.get(f"{SYS}/badges/b3").json["badge"]["milestones"] == [reply.json["milestone"]]
    assert api.get(f"{ISS}/badges/b4").json["badge"]["milestones"] == []


def test_update_with_nothing_to_change(api, tree):
    made = create(api, 4, [5])
    for body in ({}, {"id": 9, "systemId": 2, "other": 1}, {"supportBadges": [5, 5]}):
        reply = api.put(f"{MS}/1", body)
        assert reply.json == {"status": "updated", "milestone": made}


def test_update_validates_like_create_and_changes_nothing_on_failure(api, tree, aws):
    made = create(api, 4, [5])
    before = milestone_items(aws)
    body = {
        "primaryBadgeId": 6,
        "numberRequired": None,
        "action": "nope",
        "supportBadges": [2, 999],
    }
    assert details(api.put(f"{MS}/1", body)) == [
        {"message": "Unknown badge", "field": "primaryBadgeId", "value": 6},
        {"message": "Required field", "field": "numberRequired", "value": ""},
        {"message": ACTION_MESSAGE, "field": "action", "value": "nope"},
        {"message": "Unknown badge", "field": "supportBadges[1]", "value": 999},
    ]
    assert details(api.put(f"{MS}/1", {"supportBadges": None})) == [
        {"message": "Required field", "field": "supportBadges", "value": ""}
    ]
    assert milestone_items(aws) == before
    assert api.get(f"{MS}/1").json["milestone"] == made
    assert support_index(aws) == {(5, 1)}


def test_update_errors(api, tree):
    create(api, 4, [5])
    assert api.put(f"{MS}/9", {"numberRequired": 2}).json == not_found("9")
    assert api.put(f"{OTHER}/milestones/1", {"numberRequired": 2}).json == not_found("1")
    assert api.put("/systems/nowhere/milestones/1", {}).status == 404


# --- DELETE /systems/{s}/milestones/{id} -----------------------------------------------------


def test_delete_answers_only_the_status_and_removes_the_support_list(api, tree, aws):
    create(api, 4, [5, 1])
    create(api, 1, [5])
    reply = api.delete(f"{MS}/1")
    assert reply.status == 200
    assert reply.json == {"status": "deleted"}
    assert support_index(aws) == {(5, 2)}
    assert api.get(f"{MS}/1").json == not_found("1")
    assert [m["id"] for m in api.get(MS).json["milestones"]] == [2]
    second = api.delete(f"{MS}/1")
    assert second.status == 404
    assert second.json == not_found("1")
    assert api.get(f"{ISS}/badges/b4").json["badge"]["milestones"] == []


# --- add-badge / remove-badge ----------------------------------------------------------------


def test_add_badge_appends_in_order_and_is_idempotent(api, tree, aws):
    create(api, 4, [5])
    reply = api.post(f"{MS}/1/add-badge", {"badgeId": 1})
    assert reply.status == 200
    assert reply.json == {"status": "updated", "milestone": expected(tree, 1, 4, [1, 5])}
    again = api.post(f"{MS}/1/add-badge", {"badgeId": "1"})
    assert again.status == 200
    assert again.json == reply.json
    assert api.post(f"{MS}/1/add-badge", {"badgeId": 4}).json["milestone"] == expected(
        tree, 1, 4, [1, 4, 5]
    )
    assert support_index(aws) == {(1, 1), (4, 1), (5, 1)}


def test_add_badge_validation(api, tree):
    create(api, 4, [5])
    assert details(api.post(f"{MS}/1/add-badge", {})) == [
        {"message": "Required field", "field": "badgeId", "value": ""}
    ]
    assert details(api.post(f"{MS}/1/add-badge", {"badgeId": "abc"})) == [
        {"message": "Invalid integer", "field": "badgeId", "value": "abc"}
    ]
    for badge_id in (6, 999):
        assert details(api.post(f"{MS}/1/add-badge", {"badgeId": badge_id})) == [
            {"message": "Unknown badge", "field": "badgeId", "value": badge_id}
        ]
    assert api.get(f"{MS}/1").json["milestone"] == expected(tree, 1, 4, [5])


def test_add_and_remove_badge_not_found(api, tree):
    create(api, 4, [5])
    for action in ("add-badge", "remove-badge"):
        assert api.post(f"{MS}/2/{action}", {"badgeId": 1}).json == not_found("2")
        assert api.post(f"{MS}/x/{action}", {"badgeId": 1}).json == not_found("x")
        assert api.post(f"{OTHER}/milestones/1/{action}", {"badgeId": 1}).status == 404
        assert api.post(f"/systems/nowhere/milestones/1/{action}", {"badgeId": 1}).json == {
            "code": "ResourceNotFound",
            "message": "Could not find system field: `slug`, value: `nowhere`",
        }


def test_remove_badge_removes_and_is_idempotent(api, tree, aws):
    create(api, 4, [5, 1, 2])
    reply = api.post(f"{MS}/1/remove-badge", {"badgeId": 1})
    assert reply.status == 200
    assert reply.json == {"status": "updated", "milestone": expected(tree, 1, 4, [2, 5])}
    for badge_id in (1, 999, 6):  # no existence check
        again = api.post(f"{MS}/1/remove-badge", {"badgeId": badge_id})
        assert again.status == 200
        assert again.json == reply.json
    assert support_index(aws) == {(2, 1), (5, 1)}
    assert details(api.post(f"{MS}/1/remove-badge", {"badgeId": None})) == [
        {"message": "Required field", "field": "badgeId", "value": ""}
    ]
    assert details(api.post(f"{MS}/1/remove-badge", {"badgeId": 1.5})) == [
        {"message": "Invalid integer", "field": "badgeId", "value": 1.5}
    ]


def test_edits_from_a_stale_read_are_retried_against_the_current_version(api, tree, aws):
    """Every write is conditioned on the milestone's version: a write prepared from an old read
    fails, re-reads and applies its change to the current list (the reverse index follows)."""
    from badgekit.domain import milestones
    from badgekit.store import db, keys
    from badgekit.store import milestones as milestone_store
    from badgekit.store.containers import SystemRecord
    from badgekit.store.records import record

    create(api, 4, [5])
    system = record(db.get(keys.system("chicago")), SystemRecord)
    stale = milestone_store.get(1, 1)
    assert stale is not None
    assert api.post(f"{MS}/1/add-badge", {"badgeId": 1}).status == 200
    updated, _ = milestones.add_badge(system, stale, {"badgeId": 2})
    assert updated["supportBadgeIds"] == [1, 2, 5]
    updated, _ = milestones.remove_badge(stale, {"badgeId": 5})
    assert updated["supportBadgeIds"] == [1, 2]
    assert support_index(aws) == {(1, 1), (2, 1)}
    milestones.delete(stale)
    assert support_index(aws) == set()
    assert milestone_items(aws) == []


# --- GET {L}/badges/{b}: the `milestones` key (badges.md, M3) --------------------------------


def test_single_badge_get_lists_the_milestones_whose_primary_it_is(api, tree):
    first = create(api, 4, [5, 1])
    create(api, 1, [4])
    third = create(api, 4, [2], 2)
    for prefix in (SYS, ISS):
        badge = api.get(f"{prefix}/badges/b4").json["badge"]
        assert badge["milestones"] == [first, third]
        assert {**badge, "milestones": []} == tree[4]
    # a support badge does not list the milestones it supports; lists never carry them
    assert api.get(f"{ISS}/badges/b5").json["badge"]["milestones"] == []
    assert all(b["milestones"] == [] for b in api.get(f"{SYS}/badges").json["badges"])


def test_single_badge_get_queries_milestones_only_when_its_count_is_not_zero(api, tree, calls):
    # a badge no milestone names as primary: its count (0) spares the Query
    assert calls.during(lambda: api.get(f"{SYS}/badges/b1")) == ["BatchGetItem"]
    create(api, 1, [2, 3])
    operations = calls.during(lambda: api.get(f"{SYS}/badges/b1"))
    # the badge (count 1, last seen at 0: no Query ahead), then the Query, the milestone
    # (GetItem: not seen yet) and its two support badges (seen: by their keys)
    assert operations == ["BatchGetItem", "BatchGetItem", "GetItem", "Query"]
    operations = calls.during(lambda: api.get(f"{SYS}/badges/b1"))
    # seen since: the Query ahead with the badge, then the milestone and its support badges
    assert operations == ["BatchGetItem", "BatchGetItem", "Query"]
    assert api.delete(f"{MS}/1").status == 200
    # last seen with a milestone: the Query ahead, answered empty; the count is 0 again
    assert calls.during(lambda: api.get(f"{SYS}/badges/b1")) == ["BatchGetItem", "Query"]
    assert calls.during(lambda: api.get(f"{SYS}/badges/b1")) == ["BatchGetItem"]
    assert api.get(f"{SYS}/badges/b1").json["badge"] == tree[1]


def test_a_badge_without_a_count_queries_its_milestones_as_before(api, tree, calls):
    """A badge item written before the count was kept (no attribute): unknown, so the GET
    queries its milestones, and milestone writes leave it without a count."""
    from badgekit.store import db, keys

    db.table().update_item(Key=keys.badge("b1"), UpdateExpression="REMOVE primaryMilestones")
    assert calls.during(lambda: api.get(f"{SYS}/badges/b1")) == ["BatchGetItem", "Query"]
    made = create(api, 1, [2])
    assert primary_counts(db, keys) == {1: None, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0}
    assert api.get(f"{SYS}/badges/b1").json["badge"]["milestones"] == [made]
    assert api.put(f"{MS}/1", {"primaryBadgeId": 2}).status == 200
    assert primary_counts(db, keys) == {1: None, 2: 1, 3: 0, 4: 0, 5: 0, 6: 0}
    assert api.get(f"{SYS}/badges/b1").json["badge"]["milestones"] == []


def primary_counts(db: Any, keys: Any) -> dict[int, int | None]:
    """Each badge's stored count of primary milestones (None: not kept)."""
    found: dict[int, int | None] = {}
    for slug in ("b1", "b2", "b3", "b4", "b5", "b6"):
        item = db.get(keys.badge(slug))
        if item is not None:
            count = item.get("primaryMilestones")
            found[int(item["id"])] = None if count is None else int(count)
    return found


def test_counts_of_primary_milestones_follow_every_milestone_write(api, tree):
    from badgekit.store import db, keys

    zero = {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0}
    assert primary_counts(db, keys) == zero
    create(api, 1, [2])
    create(api, 1, [1, 3])  # its own support badge too
    assert primary_counts(db, keys) == {**zero, 1: 2}
    assert api.put(f"{MS}/1", {"numberRequired": 3, "supportBadges": [4]}).status == 200
    assert api.post(f"{MS}/1/add-badge", {"badgeId": 5}).status == 200
    assert api.post(f"{MS}/1/remove-badge", {"badgeId": 4}).status == 200
    assert primary_counts(db, keys) == {**zero, 1: 2}
    assert api.put(f"{MS}/2", {"primaryBadgeId": 3}).status == 200  # 1 -> 3
    assert primary_counts(db, keys) == {**zero, 1: 1, 3: 1}
    assert api.put(f"{MS}/1", {"primaryBadgeId": 5}).status == 200  # a support badge of it
    assert primary_counts(db, keys) == {**zero, 3: 1, 5: 1}
    assert api.delete(f"{MS}/2").status == 200
    assert api.delete(f"{MS}/2").json == not_found("2")
    assert primary_counts(db, keys) == {**zero, 5: 1}
    # badge updates (a rename moves the item) keep the count; input cannot set it
    reply = api.put(f"{ISS}/badges/b5", {"slug": "b5", "name": "Five", "primaryMilestones": 9})
    assert reply.status == 200
    assert "primaryMilestones" not in reply.json["badge"]
    assert primary_counts(db, keys) == {**zero, 5: 1}
    assert api.put(f"{ISS}/badges/b5", {"slug": "b5-renamed"}).status == 200
    assert db.get(keys.badge("b5-renamed"))["primaryMilestones"] == 1
    assert api.put(f"{MS}/1", {"primaryBadgeId": 4}).status == 200
    assert db.get(keys.badge("b5-renamed"))["primaryMilestones"] == 0
    assert primary_counts(db, keys) == {1: 0, 2: 0, 3: 0, 4: 1, 6: 0}  # (b5 renamed)
    assert api.post(f"{ISS}/badges", badge_body("b7")).json["badge"] == {
        **api.get(f"{ISS}/badges/b7").json["badge"],
        "milestones": [],
    }


def test_deleting_a_primary_badge_leaves_the_other_counts_right(api, tree, aws):
    from badgekit.store import db, keys

    create(api, 4, [1])
    create(api, 1, [4])
    create(api, 4, [2])
    assert api.delete(f"{ISS}/badges/b4").status == 200  # milestones 1 and 3 go with it
    assert primary_counts(db, keys) == {1: 1, 2: 0, 3: 0, 5: 0, 6: 0}
    assert [m["id"] for m in api.get(MS).json["milestones"]] == [2]
    assert api.delete(f"{SYS}/badges/b1").status == 200
    assert primary_counts(db, keys) == {2: 0, 3: 0, 5: 0, 6: 0}
    assert milestone_items(aws) == []


def test_a_badge_update_racing_a_milestone_create_keeps_the_count(api, tree):
    """The count's change bumps the badge's version: an update prepared from the badge as it
    was before (a stale read) fails, reads it again and keeps the new count."""
    from badgekit.domain import badges
    from badgekit.domain.inputs import Body
    from badgekit.domain.places import Place
    from badgekit.store import db, keys
    from badgekit.store.badges import BadgeRecord
    from badgekit.store.containers import SystemRecord
    from badgekit.store.records import record

    system = record(db.get(keys.system("chicago")), SystemRecord)
    stale = record(db.get(keys.badge("b1")), BadgeRecord)
    create(api, 1, [2])
    updated = badges.update(Place(system), stale, Body({"name": "One"}), "http://x")
    assert updated["name"] == "One"
    assert db.get(keys.badge("b1"))["name"] == "One"
    assert primary_counts(db, keys)[1] == 1
    assert api.delete(f"{MS}/1").status == 200
    assert primary_counts(db, keys)[1] == 0


def test_a_milestone_delete_after_its_primary_moved_keeps_counts_safe(api, tree, monkeypatch):
    """A primary badge renamed after its lookup: the count change at its old key fails, the
    delete retries without it (a count too high only costs the badge's GET its Query)."""
    from badgekit.domain import milestones
    from badgekit.store import db, keys

    create(api, 1, [2])
    stale = db.by_id("badge", 1)
    assert api.put(f"{SYS}/badges/b1", {"slug": "b1-renamed"}).status == 200
    real = db.by_id
    monkeypatch.setattr(
        milestones.db, "by_id", lambda entity, i: stale if i == 1 else real(entity, i)
    )
    assert api.delete(f"{MS}/1").status == 200
    assert api.get(f"{MS}/1").json == not_found("1")
    assert db.get(keys.badge("b1-renamed"))["primaryMilestones"] == 1
    assert api.get(f"{SYS}/badges/b1-renamed").json["badge"]["milestones"] == []


def test_milestone_requests_cost(api, tree, calls):
    body = _body(1, [2, 3])
    # system, 3 badges by id (GSI1), id counter, transaction
    assert calls.during(lambda: api.post(MS, body)) == [
        "GetItem",
        "Query",
        "Query",
        "Query",
        "TransactWriteItems",
        "UpdateItem",
    ]
    # the system and the milestone, then its 3 badges (where last seen), each one BatchGetItem
    assert calls.during(lambda: api.get(f"{MS}/1")) == ["BatchGetItem", "BatchGetItem"]
    # the system and the milestones Query concurrently, then the badges in one BatchGetItem
    assert calls.during(lambda: api.get(MS)) == ["BatchGetItem", "GetItem", "Query"]


def test_milestone_delete_finds_its_primary_where_last_seen(api, tree, calls):
    from badgekit.store import db, directory, keys

    create(api, 1, [2])
    create(api, 1, [3])
    directory.clear()
    # the system and the milestone, the primary by id (GSI1: not seen), the transaction
    assert calls.during(lambda: api.delete(f"{MS}/1")) == [
        "GetItem",
        "GetItem",
        "Query",
        "TransactWriteItems",
    ]
    assert db.get(keys.badge("b1"))["primaryMilestones"] == 1
    assert api.get(f"{SYS}/badges/b1").status == 200  # seen, with its count
    assert calls.during(lambda: api.delete(f"{MS}/2")) == [
        "GetItem",
        "GetItem",
        "TransactWriteItems",
    ]
    assert db.get(keys.badge("b1"))["primaryMilestones"] == 0


# --- badge delete cascade (badges.md DELETE) -------------------------------------------------


def test_deleting_a_primary_badge_deletes_its_milestones(api, tree, aws):
    create(api, 4, [5, 1])
    kept = create(api, 1, [4, 5])
    assert api.delete(f"{ISS}/badges/b4").status == 200
    assert api.get(f"{MS}/1").json == not_found("1")
    assert api.get(MS).json["milestones"] == [
        {**kept, "supportBadges": [tree[5]]}  # and b4 left the other list
    ]
    assert support_index(aws) == {(5, 2)}


def test_deleting_a_support_badge_removes_it_from_every_list(api, tree, aws):
    create(api, 4, [5, 1])
    create(api, 2, [1])
    create(api, 3, [2, 5])
    assert api.delete(f"{SYS}/badges/b1").status == 200
    listed = {
        m["id"]: [b["id"] for b in m["supportBadges"]] for m in api.get(MS).json["milestones"]
    }
    assert listed == {1: [5], 2: [], 3: [2, 5]}
    assert support_index(aws) == {(5, 1), (2, 3), (5, 3)}


def test_deleting_a_system_leaves_no_milestone_or_support_entry(api, tree, aws):
    create(api, 4, [5, 1])
    create(api, 1, [2])
    assert api.delete(SYS).status == 200
    assert milestone_items(aws) == []
    assert support_index(aws) == set()


def test_detach_drops_a_stale_support_entry(api, tree, aws):
    """A support entry whose milestone no longer lists the badge is removed, nothing else."""
    from badgekit.domain import milestones
    from badgekit.store import db, keys

    create(api, 4, [5])
    db.table().put_item(
        Item={
            **keys.milestone_support(2, 1),
            "entity": "milestoneSupport",
            "systemId": 1,
            "milestoneId": 1,
        }
    )
    milestones.detach_badge({"id": 2, "systemId": 1})
    assert support_index(aws) == {(5, 1)}
    assert db.get(keys.milestone(1, 1))["supportBadgeIds"] == [5]


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def calls(tree: Any) -> Iterator[Meter]:
    with metered() as meter:
        yield meter
