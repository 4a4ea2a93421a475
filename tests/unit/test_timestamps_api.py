"""Timestamp range through the functions (in-process), written from spec README §6 "Range", §4,
§7.2, issuing.md and assessment.md: an out-of-range timestamp is `400 ValidationError`
`Not a date` and writes nothing; a stored value that is out of range or malformed (left by an
older version or an import, planted here directly in the table) never breaks a representation or
a list that contains it (rendering per docs/compatibility.md)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.support.bodies import minimal_badge
from tests.unit.conftest import Api, system_body

SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
BADGE = f"{SYS}/badges/b"
BRIAN = "brian@example.org"
ANN = "ann@example.org"
LEARNER = "learner@example.org"
LAST_ISO = "9999-12-31T23:59:59.000Z"
LAST = 253402300799
FIRST_ISO = "1970-01-01T00:00:00.000Z"
VALIDATION = "Could not validate required fields"

# Inputs outside 0 … 253402300799 (after the 13-digit millisecond rule) or that the standard
# library cannot turn into a date at all.
REFUSED = [
    "10000-01-01T00:00:00Z",
    "99999-01-01",
    "9999-12-31T23:59:59-01:00",
    "1969-12-31T23:59:59Z",
    -62135596801,
    "-62135596801",
    -1,
    LAST + 1,
    99999999999999999,
    "99999999999999999",
    1e20,
    2**63,
    str(2**63),
    1e308,
]

ABSENT = object()
# (stored value, rendered ISO, rendered integer seconds)
PLANTED = [
    (10**20, LAST_ISO, LAST),
    (99999999999999999, LAST_ISO, LAST),
    (2**63, LAST_ISO, LAST),
    (Decimal("9.9E+125"), LAST_ISO, LAST),
    (-62135596801, FIRST_ISO, 0),
    (-1, FIRST_ISO, 0),
    (Decimal("1402408977.75"), "2014-06-10T14:02:57.000Z", 1402408977),
    (Decimal("-0.5"), FIRST_ISO, 0),
    ("2014-06-10T14:02:57Z", "2014-06-10T14:02:57.000Z", 1402408977),
    ("1402408977000", "2014-06-10T14:02:57.000Z", 1402408977),
    ("99999-01-01", None, None),
    ("garbage", None, None),
    ("", None, None),
    (True, None, None),
    ({"seconds": 1402408977}, None, None),
    ([1402408977], None, None),
    (b"\x00", None, None),
    (ABSENT, None, None),
]
PLANTED_IDS = [repr(v)[:30] if v is not ABSENT else "absent" for v, _, _ in PLANTED]


@pytest.fixture
def tree(api: Api) -> Api:
    assert api.post("/systems", system_body("chicago")).status == 201
    issuer = {"slug": "library", "name": "Library", "url": "http://lib.org"}
    assert api.post(f"{SYS}/issuers", issuer).status == 201
    assert api.post(f"{SYS}/badges", minimal_badge("b")).status == 201
    assert api.post(f"{ISS}/badges", minimal_badge("other")).status == 201
    return api


def everything() -> list[dict[str, Any]]:
    """Every item of the table (a test-only Scan), in key order."""
    from badgekit.store import db

    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        response = db.table().scan(**kwargs)
        items.extend(response["Items"])
        if "LastEvaluatedKey" not in response:
            break
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return sorted(items, key=lambda item: (str(item["PK"]), str(item["SK"])))


def not_a_date(field: str, value: Any) -> dict[str, Any]:
    return {
        "code": "ValidationError",
        "message": VALIDATION,
        "details": [{"message": "Not a date", "field": field, "value": value}],
    }


def plant(key: dict[str, str], value: Any, *names: str) -> None:
    """Overwrite stored attributes of one item directly (as an import or older version might)."""
    from badgekit.store import db

    aliases = {f"#a{i}": name for i, name in enumerate(names)}
    if value is ABSENT:
        db.table().update_item(
            Key=key,
            UpdateExpression="REMOVE " + ", ".join(aliases),
            ExpressionAttributeNames=aliases,
        )
        return
    db.table().update_item(
        Key=key,
        UpdateExpression="SET " + ", ".join(f"{alias} = :v" for alias in aliases),
        ExpressionAttributeNames=aliases,
        ExpressionAttributeValues={":v": value},
    )


def badge_id(api: Api, path: str) -> int:
    return int(api.get(path).json["badge"]["id"])


# --- input: out of range is `Not a date`, nothing written ----------------------------------------


@pytest.mark.parametrize("field", ["issuedOn", "expires"])
@pytest.mark.parametrize("value", REFUSED)
def test_award_with_an_out_of_range_timestamp_is_refused_and_writes_nothing(tree, field, value):
    assert tree.post(f"{BADGE}/instances", {"email": ANN}).status == 201
    listed = tree.get(f"{BADGE}/instances?page=1&count=10").json
    before = everything()
    reply = tree.post(f"{BADGE}/instances", {"email": BRIAN, field: value})
    assert reply.status == 400
    assert reply.json == not_a_date(field, value)
    assert everything() == before
    assert tree.get(f"{BADGE}/instances?page=1&count=10").json == listed
    assert listed["pageData"]["total"] == 1


def test_bulk_award_with_out_of_range_timestamps_is_refused_and_writes_nothing(tree):
    before = everything()
    for value in REFUSED:
        body = {"emails": [BRIAN, ANN], "issuedOn": value, "expires": value}
        reply = tree.post(f"{BADGE}/instances/bulk", body)
        assert reply.status == 400
        assert reply.json == {
            "code": "ValidationError",
            "message": VALIDATION,
            "details": [
                {"message": "Not a date", "field": "issuedOn", "value": value},
                {"message": "Not a date", "field": "expires", "value": value},
            ],
        }
    assert everything() == before
    assert tree.get(f"{BADGE}/instances").json == {"instances": []}


def test_instance_put_with_out_of_range_timestamps_is_refused_and_writes_nothing(tree):
    assert tree.post(f"{BADGE}/instances", {"email": BRIAN}).status == 201
    path = f"{BADGE}/instances/brian%40example.org"
    shown = tree.get(path).json
    before = everything()
    for value in REFUSED:
        for field in ("issuedOn", "expires"):
            reply = tree.put(path, {field: value})
            assert reply.status == 400
            assert reply.json == not_a_date(field, value)
    assert everything() == before
    assert tree.get(path).json == shown


def test_form_body_with_an_out_of_range_timestamp_is_refused(tree):
    reply = tree.post(
        f"{BADGE}/instances",
        body=b"email=brian%40example.org&issuedOn=253402300800",
        content_type="application/x-www-form-urlencoded",
    )
    assert reply.status == 400
    assert reply.json == not_a_date("issuedOn", "253402300800")


@pytest.mark.parametrize(
    ("value", "iso", "seconds"),
    [
        (0, FIRST_ISO, 0),
        ("1970-01-01T00:00:00Z", FIRST_ISO, 0),
        (LAST, LAST_ISO, LAST),
        (str(LAST), LAST_ISO, LAST),
        ("9999-12-31T23:59:59Z", LAST_ISO, LAST),
        (9999999999999, "2286-11-20T17:46:39.000Z", 9999999999),  # 13 digits: milliseconds
    ],
)
def test_the_ends_of_the_range_are_accepted(tree, value, iso, seconds):
    reply = tree.post(f"{BADGE}/instances", {"email": BRIAN, "issuedOn": value, "expires": LAST})
    assert reply.status == 201, reply.json
    assert reply.json["instance"]["issuedOn"] == iso
    assert reply.json["instance"]["expires"] == LAST_ISO
    slug = reply.json["instance"]["slug"]
    document = tree.get(f"/public/assertions/{slug}", sign=False).json
    assert (document["issuedOn"], document["expires"]) == (seconds, LAST)


def test_application_with_an_out_of_range_assigned_expiration_is_refused(tree):
    before = everything()
    for value in REFUSED:
        body = {"learner": LEARNER, "assignedExpiration": value}
        reply = tree.post(f"{BADGE}/applications", body)
        assert reply.status == 400
        assert reply.json == not_a_date("assignedExpiration", value)
    assert everything() == before
    assert tree.get(f"{SYS}/applications").json == {"applications": []}


def test_application_put_with_out_of_range_timestamps_is_refused(tree):
    created = tree.post(f"{BADGE}/applications", {"learner": LEARNER}).json["application"]
    path = f"{BADGE}/applications/{created['slug']}"
    before = everything()
    for value in REFUSED:
        for field in ("processed", "assignedExpiration"):
            reply = tree.put(path, {field: value})
            assert reply.status == 400
            assert reply.json == not_a_date(field, value)
    assert everything() == before
    assert tree.get(path).json == {"application": created}
    assert tree.get(f"{SYS}/applications?processed=true").json == {"applications": []}


# --- output: whatever is stored renders -----------------------------------------------------------


@pytest.mark.parametrize(("stored", "iso", "seconds"), PLANTED, ids=PLANTED_IDS)
def test_planted_instance_timestamps_render_everywhere(tree, stored, iso, seconds):
    from badgekit.store import keys

    awarded = tree.post(f"{BADGE}/instances", {"email": BRIAN, "expires": 1420070400})
    assert awarded.status == 201
    slug = awarded.json["instance"]["slug"]
    assert tree.post(f"{BADGE}/instances", {"email": ANN}).status == 201
    assert tree.post(f"{ISS}/badges/other/instances", {"email": BRIAN}).status == 201
    plant(keys.instance(badge_id(tree, BADGE), BRIAN), stored, "issuedOn", "expires")
    plant(keys.assertion(slug), stored, "issuedOn", "expires")
    path = f"{BADGE}/instances/brian%40example.org"

    reply = tree.get(path)
    assert reply.status == 200
    shown = reply.json["instance"]
    assert (shown["issuedOn"], shown["expires"]) == (iso, iso)

    listed = tree.get(f"{BADGE}/instances?page=1&count=10")
    assert listed.status == 200
    assert [i["email"] for i in listed.json["instances"]] == [BRIAN, ANN]
    assert listed.json["instances"][0] == shown
    assert listed.json["pageData"] == {"page": 1, "count": 10, "total": 2}

    held = tree.get(f"{SYS}/instances/brian%40example.org")
    assert held.status == 200
    assert [i["badge"]["slug"] for i in held.json["instances"]] == ["b", "other"]
    assert held.json["instances"][0] == shown

    ob1 = tree.get(f"/public/assertions/{slug}", sign=False)
    assert ob1.status == 200
    assert ob1.json["issuedOn"] == seconds
    assert ob1.json.get("expires", "omitted") == ("omitted" if seconds is None else seconds)

    ob2 = tree.get(
        f"/public/assertions/{slug}", sign=False, headers={"Accept": "application/ld+json"}
    )
    assert ob2.status == 200
    assert ob2.json["issuedOn"] == iso
    assert ob2.json.get("expires", "omitted") == ("omitted" if iso is None else iso)

    updated = tree.put(path, {"expires": None})
    assert updated.status == 200
    assert updated.json["instance"]["issuedOn"] == iso
    assert updated.json["instance"]["expires"] is None

    revoked = tree.delete(path)
    assert revoked.status == 200
    assert revoked.json["instance"]["issuedOn"] == iso


@pytest.mark.parametrize(("stored", "iso", "seconds"), PLANTED, ids=PLANTED_IDS)
def test_planted_application_timestamps_render_everywhere(tree, stored, iso, seconds):
    from badgekit.store import db, keys

    del seconds
    first = tree.post(f"{BADGE}/applications", {"learner": LEARNER}).json["application"]
    second = tree.post(f"{BADGE}/applications", {"learner": ANN}).json["application"]
    path = f"{BADGE}/applications/{first['slug']}"
    done = tree.put(path, {"processed": "2014-06-10T14:02:57Z", "assignedExpiration": 1})
    assert done.status == 200
    plant(keys.application(badge_id(tree, BADGE), first["slug"]), stored, "processed")
    plant(keys.application(badge_id(tree, BADGE), first["slug"]), stored, "assignedExpiration")

    reply = tree.get(path)
    assert reply.status == 200
    shown = reply.json["application"]
    assert (shown["processed"], shown["assignedExpiration"]) == (iso, iso)
    assert shown["created"] == first["created"]

    for listing in (
        f"{BADGE}/applications",
        f"{SYS}/applications",
        f"{SYS}/applications?processed=true",
        f"{SYS}/applications?email={LEARNER}",
        f"{BADGE}/applications?page=1&count=5",
    ):
        listed = tree.get(listing)
        assert listed.status == 200, listing
        assert shown in listed.json["applications"], listing
    assert [a["slug"] for a in tree.get(f"{SYS}/applications").json["applications"]] == [
        first["slug"],
        second["slug"],
    ]

    review = tree.post(f"{path}/reviews", {"author": "reviewer@example.org"})
    assert review.status == 201
    events = [i for i in db.table().scan()["Items"] if i.get("entity") == "event"]
    (event,) = [e for e in events if e["action"] == "review"]
    assert json.loads(event["body"])["application"] == shown

    if not isinstance(stored, bytes):  # a binary attribute has no JSON size (writes only)
        changed = tree.put(path, {"assignedTo": "x@example.org"})
        assert changed.status == 200
        assert changed.json["application"]["processed"] == iso


@pytest.mark.parametrize(("stored", "iso", "seconds"), PLANTED, ids=PLANTED_IDS)
def test_planted_application_created_renders_in_reads(tree, stored, iso, seconds):
    from badgekit.store import keys

    del seconds
    first = tree.post(f"{BADGE}/applications", {"learner": LEARNER}).json["application"]
    plant(keys.application(badge_id(tree, BADGE), first["slug"]), stored, "created")
    path = f"{BADGE}/applications/{first['slug']}"
    reply = tree.get(path)
    assert reply.status == 200
    assert reply.json["application"]["created"] == iso
    for listing in (f"{BADGE}/applications", f"{SYS}/applications?email={LEARNER}"):
        listed = tree.get(listing)
        assert listed.status == 200
        assert listed.json["applications"] == [reply.json["application"]]


@pytest.mark.parametrize(("stored", "iso", "seconds"), PLANTED, ids=PLANTED_IDS)
def test_planted_badge_created_renders_in_badges_instances_and_milestones(
    tree, stored, iso, seconds
):
    from badgekit.store import keys

    del seconds
    assert tree.post(f"{BADGE}/instances", {"email": BRIAN}).status == 201
    primary = badge_id(tree, BADGE)
    support = badge_id(tree, f"{ISS}/badges/other")
    milestone = tree.post(
        f"{SYS}/milestones",
        {"primaryBadgeId": primary, "numberRequired": 1, "supportBadges": [support]},
    )
    assert milestone.status == 201
    plant(keys.badge("b"), stored, "created")

    shown = tree.get(BADGE)
    assert shown.status == 200
    assert shown.json["badge"]["created"] == iso
    listed = tree.get(f"{SYS}/badges")
    assert listed.status == 200
    assert [b["created"] for b in listed.json["badges"] if b["slug"] == "b"] == [iso]
    instance = tree.get(f"{BADGE}/instances/brian%40example.org")
    assert instance.status == 200
    assert instance.json["instance"]["badge"]["created"] == iso
    got = tree.get(f"{SYS}/milestones/{milestone.json['milestone']['id']}")
    assert got.status == 200
    assert got.json["milestone"]["primaryBadge"]["created"] == iso
    assert tree.get(f"{SYS}/milestones").status == 200
    assert tree.get("/public/badges", sign=False).status == 200
