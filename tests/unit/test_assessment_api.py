"""Applications, evidence and reviews through the assessment function (in-process), written from
spec assessment.md, webhooks.md §3.3 (the `review` outbox event) and README §2, §5, §7, §8."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from typing import Any

import boto3
import botocore.client
import pytest
from boto3.dynamodb.conditions import Key

from badgekit import timestamps
from badgekit.store import keys
from tests.unit.conftest import TABLE_NAME, Api, system_body

SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
PRG = f"{ISS}/programs/scratch"
PREFIXES = {"system": SYS, "issuer": ISS, "program": PRG}
HEX32 = re.compile(r"^[0-9a-f]{32}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
APPLICATION_KEYS = [
    "id",
    "slug",
    "learner",
    "created",
    "assignedTo",
    "assignedExpiration",
    "badge",
    "processed",
    "evidence",
]
PROCESSED_ERROR = {
    "code": "InvalidParameter",
    "parameter": "processed",
    "message": "Invalid `processed` parameter. Expecting one of 'true', 'false' or 'any'.",
}
VALIDATION = "Could not validate required fields"


def badge_body(slug: str, criteria: list[dict[str, Any]] | None = None, **extra: Any) -> dict:
    return {
        "slug": slug,
        "name": f"Badge {slug}",
        "earnerDescription": "For earners",
        "consumerDescription": "For consumers",
        "unique": 0,
        "imageUrl": "http://example.org/badge.png",
        "criteriaUrl": "http://example.org/criteria",
        "criteria": criteria
        if criteria is not None
        else [
            {"description": "Required one", "required": True},
            {"description": "Optional one", "required": False},
            {"description": "Required two", "required": 1},
        ],
        **extra,
    }


@pytest.fixture
def tree(api: Api) -> Api:
    """chicago / library / scratch with one badge at each level: sys-badge, iss-badge,
    prg-badge (created in that order: ids 1, 2, 3; criteria 1-3, 4-6, 7-9)."""
    assert api.post("/systems", system_body("chicago")).status == 201
    assert (
        api.post(
            f"{SYS}/issuers", {"slug": "library", "name": "Library", "url": "http://lib.org"}
        ).status
        == 201
    )
    assert (
        api.post(
            f"{ISS}/programs", {"slug": "scratch", "name": "Scratch", "url": "http://s.org"}
        ).status
        == 201
    )
    for prefix, slug in ((SYS, "sys-badge"), (ISS, "iss-badge"), (PRG, "prg-badge")):
        assert api.post(f"{prefix}/badges", badge_body(slug)).status == 201
    return api


def apply(api: Api, prefix: str, badge: str, learner: str = "earner@example.org", **extra):
    reply = api.post(f"{prefix}/badges/{badge}/applications", {"learner": learner, **extra})
    assert reply.status == 201, reply.json
    return reply.json["application"]


def app_path(prefix: str, badge: str, application: dict[str, Any]) -> str:
    return f"{prefix}/badges/{badge}/applications/{application['slug']}"


def slugs(reply) -> list[str]:
    assert reply.status == 200, reply.json
    return [a["slug"] for a in reply.json["applications"]]


def table():
    return boto3.resource("dynamodb").Table(TABLE_NAME)


def events() -> list[dict[str, Any]]:
    """Every outbox event item (a test-only Scan)."""
    return [item for item in table().scan()["Items"] if item.get("entity") == "event"]


class EventLog:
    """The events recorded since the previous `new()` call (events of one second share their
    `created`, so order comes from asking after each request)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def new(self) -> list[dict[str, Any]]:
        fresh = [e for e in events() if e["eventId"] not in self.seen]
        self.seen.update(e["eventId"] for e in fresh)
        return fresh


def payload(event: dict[str, Any]) -> dict[str, Any]:
    return json.loads(event["body"])


class CallCounter:
    """Every DynamoDB call made on any thread while active (botocore's API-call entry point)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        self.active = False
        self._lock = threading.Lock()
        original = botocore.client.BaseClient._make_api_call
        counter = self

        def counted(client: Any, operation: str, params: Any) -> Any:
            if counter.active and client.meta.service_model.service_name == "dynamodb":
                with counter._lock:
                    counter.calls.append(operation)
            return original(client, operation, params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)

    def measure(self, action) -> Counter:
        self.calls, self.active = [], True
        try:
            result = action()
        finally:
            self.active = False
        self.result = result
        return Counter(self.calls)


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> CallCounter:
    return CallCounter(monkeypatch)


# --- create / representation ----------------------------------------------------------------------


@pytest.mark.parametrize("level", ["system", "issuer", "program"])
def test_create_returns_the_application_at_every_level(tree, level):
    prefix = PREFIXES[level]
    badge = {"system": "sys-badge", "issuer": "iss-badge", "program": "prg-badge"}[level]
    reply = tree.post(
        f"{prefix}/badges/{badge}/applications",
        {
            "learner": "Somedude@Example.org",
            "evidence": [
                {"url": "http://example.org/my-work", "mediaType": "link", "reflection": "Great"},
                {"url": "http://example.org/e.png", "mediaType": "image"},
                {},
            ],
        },
    )
    assert reply.status == 201
    assert reply.json["status"] == "created"
    assert list(reply.json) == ["status", "application"]
    assert "Location" not in reply.headers
    application = reply.json["application"]
    assert list(application) == APPLICATION_KEYS
    assert HEX32.match(application["slug"])
    assert application["learner"] == "Somedude@Example.org"
    assert TIMESTAMP.match(application["created"])
    assert (application["assignedTo"], application["assignedExpiration"]) == (None, None)
    assert application["processed"] is None
    assert all(HEX32.match(e["slug"]) for e in application["evidence"])
    assert len({e["slug"] for e in application["evidence"]}) == 3
    assert [{k: v for k, v in e.items() if k != "slug"} for e in application["evidence"]] == [
        {"url": "http://example.org/my-work", "mediaType": "link", "reflection": "Great"},
        {"url": "http://example.org/e.png", "mediaType": "image", "reflection": None},
        {"url": None, "mediaType": None, "reflection": None},
    ]
    assert list(application["evidence"][0]) == [
        "slug",
        "url",
        "mediaType",
        "reflection",
    ]
    # The badge is the full Badge representation as the badge routes give it (milestones: []).
    assert application["badge"] == tree.get(f"{prefix}/badges/{badge}").json["badge"]
    assert application["badge"]["milestones"] == []
    assert ("issuer" in application["badge"]) == (level != "system")
    assert ("program" in application["badge"]) == (level == "program")
    # Readable through every ancestor prefix, and only there.
    for other, other_prefix in PREFIXES.items():
        got = tree.get(app_path(other_prefix, badge, application))
        addressable = list(PREFIXES).index(other) <= list(PREFIXES).index(level)
        assert got.status == (200 if addressable else 404)
        if addressable:
            assert got.json == {"application": application}


def test_create_ignores_server_fields_and_processed(tree):
    reply = tree.post(
        f"{SYS}/badges/sys-badge/applications",
        {
            "learner": "a@example.org",
            "slug": "mine",
            "id": 99,
            "created": "2001-01-01T00:00:00Z",
            "processed": "2014-06-11T09:00:00Z",
            "badge": "iss-badge",
            "badgeId": 2,
            "reviews": [{"author": "x@example.org"}],
            "whatever": "lol",
        },
    )
    assert reply.status == 201
    application = reply.json["application"]
    assert application["slug"] != "mine"
    assert HEX32.match(application["slug"])
    assert application["id"] == 1
    assert application["processed"] is None
    assert application["created"] != "2001-01-01T00:00:00.000Z"
    assert application["badge"]["slug"] == "sys-badge"
    assert application["evidence"] == []
    path = app_path(SYS, "sys-badge", application)
    assert tree.get(f"{path}/reviews").json == {"reviews": []}
    # `processed` is not even validated on POST.
    reply = tree.post(
        f"{SYS}/badges/sys-badge/applications", {"learner": "b@example.org", "processed": "junk"}
    )
    assert reply.status == 201
    assert reply.json["application"]["processed"] is None


def test_create_with_assignment(tree):
    application = apply(
        tree,
        SYS,
        "sys-badge",
        assignedTo="reviewer@example.org",
        assignedExpiration=1402560000,
    )
    assert application["assignedTo"] == "reviewer@example.org"
    assert application["assignedExpiration"] == "2014-06-12T08:00:00.000Z"


def test_several_applications_per_learner_and_archived_badges_accept(tree):
    assert tree.put(f"{SYS}/badges/sys-badge", {"archived": True}).status == 200
    first = apply(tree, SYS, "sys-badge", "same@example.org")
    second = apply(tree, SYS, "sys-badge", "same@example.org")
    assert first["slug"] != second["slug"]
    assert (first["id"], second["id"]) == (1, 2)
    assert second["badge"]["archived"] is True


def test_whatever_lol_gives_exactly_one_detail(tree):
    reply = tree.post(f"{SYS}/badges/sys-badge/applications", {"whatever": "lol"})
    assert reply.status == 400
    assert reply.json == {
        "code": "ValidationError",
        "message": VALIDATION,
        "details": [{"message": "Required field", "field": "learner", "value": ""}],
    }


def test_application_details_in_field_order(tree):
    reply = tree.post(
        f"{PRG}/badges/prg-badge/applications",
        {
            "evidence": [
                {"url": "not a url", "mediaType": "video"},
                "just text",
                {"url": "http://ok.org", "mediaType": "IMAGE", "reflection": {"a": 1}},
                {"url": "http://example.org/" + "x" * 250},
            ],
            "assignedExpiration": "not a date",
            "assignedTo": "nope",
            "learner": "a b@c.org",
        },
    )
    assert reply.status == 400
    assert reply.json["details"] == [
        {"message": "Invalid email", "field": "learner", "value": "a b@c.org"},
        {"message": "Invalid email", "field": "assignedTo", "value": "nope"},
        {"message": "Not a date", "field": "assignedExpiration", "value": "not a date"},
        {"message": "Invalid URL", "field": "evidence[0].url", "value": "not a url"},
        {
            "message": "Unexpected value or invalid argument",
            "field": "evidence[0].mediaType",
            "value": "video",
        },
        {
            "message": "Unexpected value or invalid argument",
            "field": "evidence[1]",
            "value": "just text",
        },
        {
            "message": "Unexpected value or invalid argument",
            "field": "evidence[2].mediaType",
            "value": "IMAGE",
        },
        {"message": "String is not in range", "field": "evidence[2].reflection", "value": {"a": 1}},
        {
            "message": "String is not in range",
            "field": "evidence[3].url",
            "value": "http://example.org/" + "x" * 250,
        },
    ]
    assert tree.get(f"{SYS}/applications").json == {"applications": []}


def test_learner_length_and_empty_values(tree):
    long_email = "a" * 250 + "@example.org"
    reply = tree.post(f"{SYS}/badges/sys-badge/applications", {"learner": long_email})
    assert reply.json["details"] == [
        {"message": "String is not in range", "field": "learner", "value": long_email}
    ]
    reply = tree.post(
        f"{SYS}/badges/sys-badge/applications",
        {"learner": "", "assignedTo": "", "assignedExpiration": ""},
    )
    assert reply.json["details"] == [
        {"message": "Invalid email", "field": "learner", "value": ""},
        {"message": "Invalid email", "field": "assignedTo", "value": ""},
        {"message": "Not a date", "field": "assignedExpiration", "value": ""},
    ]


def test_form_encoded_application_with_evidence(tree):
    body = (
        b"learner=form%40example.org&evidence[0][url]=http%3A%2F%2Fexample.org%2Fa"
        b"&evidence[0][mediaType]=link&evidence[1][reflection]=second"
    )
    reply = tree.call(
        "POST",
        f"{ISS}/badges/iss-badge/applications",
        body=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert reply.status == 201, reply.json
    evidence = reply.json["application"]["evidence"]
    assert [(e["url"], e["mediaType"], e["reflection"]) for e in evidence] == [
        ("http://example.org/a", "link", None),
        (None, None, "second"),
    ]


def test_a_single_evidence_object_is_a_one_element_array(tree):
    application = apply(tree, SYS, "sys-badge", evidence={"url": "http://example.org/one"})
    assert [e["url"] for e in application["evidence"]] == ["http://example.org/one"]


def test_resolution_errors(tree):
    application = apply(tree, ISS, "iss-badge")
    slug = application["slug"]
    cases = {
        f"/systems/nope/badges/iss-badge/applications/{slug}": "system field: `slug`, value: `nope`",
        f"{SYS}/issuers/nope/badges/iss-badge/applications/{slug}": "issuer field: `slug`, value: `nope`",
        f"{SYS}/badges/nope/applications/{slug}": "badge field: `slug`, value: `nope`",
        # The badge exists but not under this container (rule 2).
        f"{PRG}/badges/iss-badge/applications/{slug}": "badge field: `slug`, value: `iss-badge`",
        # The application belongs to another badge.
        f"{SYS}/badges/sys-badge/applications/{slug}": f"application field: `slug`, value: `{slug}`",
        f"{SYS}/badges/iss-badge/applications/unknown": "application field: `slug`, value: `unknown`",
    }
    for path, message in cases.items():
        for method in ("GET", "PUT", "DELETE"):
            reply = tree.call(method, path, json_body={} if method == "PUT" else None)
            assert reply.status == 404, (method, path)
            assert reply.json == {
                "code": "ResourceNotFound",
                "message": f"Could not find {message}",
            }
    reply = tree.post(f"{SYS}/badges/nope/applications", {"learner": "a@example.org"})
    assert reply.json["message"] == "Could not find badge field: `slug`, value: `nope`"
    # 404 comes before validation (README §2).
    assert tree.post(f"{SYS}/badges/nope/applications", {}).status == 404


def test_slug_lookup_is_case_insensitive_and_decoded(tree):
    application = apply(tree, SYS, "sys-badge")
    upper = application["slug"].upper()
    reply = tree.get(f"{SYS}/badges/SYS-BADGE/applications/{upper}")
    assert reply.json == {"application": application}
    assert tree.get(f"{SYS}/badges/sys%2Dbadge/applications/{upper}").status == 200


# --- update -------------------------------------------------------------------------------------------


def test_update_processed_assignment_and_evidence(tree):
    original = apply(tree, PRG, "prg-badge", evidence=[{"url": "http://example.org/a"}])
    path = app_path(PRG, "prg-badge", original)
    reply = tree.put(path, {"assignedTo": "reviewer@example.org", "assignedExpiration": 1402560000})
    assert reply.status == 200
    assert list(reply.json) == ["status", "application"]
    updated = reply.json["application"]
    assert reply.json["status"] == "updated"
    assert updated == {
        **original,
        "assignedTo": "reviewer@example.org",
        "assignedExpiration": "2014-06-12T08:00:00.000Z",
    }
    # Evidence absent: kept with its slugs. Processed as ISO, seconds, milliseconds.
    for value, expected in (
        ("2014-06-11T09:00:00Z", "2014-06-11T09:00:00.000Z"),
        ("2014-06-11 10:00:00+01:00", "2014-06-11T09:00:00.000Z"),
        (1402477200, "2014-06-11T09:00:00.000Z"),
        ("1402477201000", "2014-06-11T09:00:01.000Z"),
        ("March 9, 1979 12:00:00", "1979-03-09T12:00:00.000Z"),
    ):
        reply = tree.put(path, {"processed": value})
        assert reply.json["application"]["processed"] == expected, value
        assert reply.json["application"]["evidence"] == original["evidence"]
    for clearing in (None, ""):
        tree.put(path, {"processed": "2014-06-11T09:00:00Z"})
        assert tree.put(path, {"processed": clearing}).json["application"]["processed"] is None
    cleared = tree.put(path, {"assignedTo": None, "assignedExpiration": None}).json
    assert (cleared["application"]["assignedTo"], cleared["application"]["assignedExpiration"]) == (
        None,
        None,
    )
    # Evidence present: replaced, new slugs; `[]` and null empty it.
    replaced = tree.put(
        path,
        {"evidence": [{"url": "http://example.org/a"}, {"url": "http://example.org/b"}]},
    ).json["application"]["evidence"]
    assert [e["url"] for e in replaced] == ["http://example.org/a", "http://example.org/b"]
    assert replaced[0]["slug"] != original["evidence"][0]["slug"]
    assert tree.put(path, {"evidence": []}).json["application"]["evidence"] == []
    tree.put(path, {"evidence": [{"url": "http://example.org/c"}]})
    assert tree.put(path, {"evidence": None}).json["application"]["evidence"] == []
    learner = tree.put(path, {"learner": "New@Example.org"}).json["application"]["learner"]
    assert learner == "New@Example.org"
    assert tree.get(path).json["application"]["learner"] == "New@Example.org"


def test_update_with_unknown_fields_changes_nothing(tree, counter):
    original = apply(tree, SYS, "sys-badge", evidence=[{"url": "http://example.org/a"}])
    path = app_path(SYS, "sys-badge", original)
    calls = counter.measure(
        lambda: tree.put(path, {"nonsense": 1, "slug": "x", "id": 7, "created": 1})
    )
    assert counter.result.status == 200
    assert counter.result.json == {"status": "updated", "application": original}
    assert "TransactWriteItems" not in calls
    assert tree.get(path).json == {"application": original}


def test_update_validation_is_all_or_nothing(tree):
    original = apply(tree, SYS, "sys-badge")
    path = app_path(SYS, "sys-badge", original)
    reply = tree.put(
        path,
        {
            "evidence": [{"mediaType": "sound"}],
            "processed": "never",
            "assignedExpiration": True,
            "assignedTo": "ok@example.org",
            "learner": None,
        },
    )
    assert reply.status == 400
    assert reply.json["details"] == [
        {"message": "Required field", "field": "learner", "value": ""},
        {"message": "Not a date", "field": "assignedExpiration", "value": True},
        {"message": "Not a date", "field": "processed", "value": "never"},
        {
            "message": "Unexpected value or invalid argument",
            "field": "evidence[0].mediaType",
            "value": "sound",
        },
    ]
    assert tree.get(path).json == {"application": original}


# --- delete -------------------------------------------------------------------------------------------


def test_delete_application_removes_its_reviews(tree):
    keep = apply(tree, SYS, "sys-badge", "keep@example.org")
    gone = apply(tree, SYS, "sys-badge", "gone@example.org", evidence=[{"url": "http://e.org"}])
    gone = tree.put(app_path(SYS, "sys-badge", gone), {"processed": 1402477200}).json["application"]
    path = app_path(SYS, "sys-badge", gone)
    for author in ("r1@example.org", "r2@example.org"):
        assert tree.post(f"{path}/reviews", {"author": author}).status == 201
    kept_review = tree.post(
        f"{app_path(SYS, 'sys-badge', keep)}/reviews", {"author": "r3@example.org"}
    ).json["review"]
    reply = tree.delete(path)
    assert reply.status == 200
    assert reply.json == {"status": "deleted", "application": gone}
    assert tree.get(path).status == 404
    assert tree.get(f"{path}/reviews").status == 404
    assert tree.delete(path).json["message"] == (
        f"Could not find application field: `slug`, value: `{gone['slug']}`"
    )
    rows = table().query(KeyConditionExpression=Key("PK").eq(keys.badge_partition(1)))["Items"]
    sort_keys = [row["SK"] for row in rows]
    assert not [
        sk
        for sk in sort_keys
        if sk.startswith((f"REVIEW#{gone['id']}#", f"LIST#REVIEWS#{gone['id']}#"))
    ]
    assert len([sk for sk in sort_keys if sk.startswith(f"REVIEW#{keep['id']}#")]) == 1
    assert slugs(tree.get(f"{SYS}/applications?page=1&count=5")) == [keep["slug"]]
    assert tree.get(f"{SYS}/applications?processed=true&page=1&count=5").json["pageData"] == {
        "page": 1,
        "count": 5,
        "total": 0,
    }
    keep_path = app_path(SYS, "sys-badge", keep)
    assert tree.get(f"{keep_path}/reviews").json == {"reviews": [kept_review]}


def test_badge_delete_purges_applications_and_reviews(tree):
    application = apply(tree, SYS, "sys-badge")
    path = app_path(SYS, "sys-badge", application)
    tree.post(f"{path}/reviews", {"author": "r@example.org"})
    assert tree.delete(f"{SYS}/badges/sys-badge").status == 200
    rows = table().query(KeyConditionExpression=Key("PK").eq(keys.badge_partition(1)))["Items"]
    assert rows == []
    assert tree.get(f"{SYS}/applications").json == {"applications": []}
    assert tree.get(f"{SYS}/applications?email=earner@example.org").json == {"applications": []}
    tree.post(f"{SYS}/badges", badge_body("sys-badge"))
    assert tree.get(f"{SYS}/badges/sys-badge/applications").json == {"applications": []}


# --- lists --------------------------------------------------------------------------------------------


@pytest.fixture
def populated(tree, monkeypatch):
    """Applications with controlled `created` times across the three badges.

    Created order on purpose differs from id order inside a badge."""
    clock = [5000, 1000, 3000, 2000, 4000, 1500, 2500, 500]
    real_now = timestamps.now
    plan = [
        ("prg", PRG, "prg-badge", "Alice@Example.org"),  # id 1, t=5000
        ("sys", SYS, "sys-badge", "bob@example.org"),  # id 2, t=1000
        ("iss", ISS, "iss-badge", "alice@example.org"),  # id 3, t=3000
        ("sys", SYS, "sys-badge", "alice@example.org"),  # id 4, t=2000
        ("prg", PRG, "prg-badge", "bob@example.org"),  # id 5, t=4000
        ("iss", ISS, "iss-badge", "carol@example.org"),  # id 6, t=1500
        ("sys", SYS, "sys-badge", "ALICE@example.org"),  # id 7, t=2500
        ("sys", SYS, "sys-badge", "bob@example.org"),  # id 8, t=500
    ]
    made: dict[int, dict[str, Any]] = {}
    for index, (_, prefix, badge, learner) in enumerate(plan, start=1):
        monkeypatch.setattr(timestamps, "now", lambda value=clock[index - 1]: value)
        made[index] = apply(tree, prefix, badge, learner)
    monkeypatch.setattr(timestamps, "now", real_now)
    # Processed: 2 (sys), 3 (iss), 5 (prg).
    for index, prefix, badge in (
        (2, SYS, "sys-badge"),
        (3, ISS, "iss-badge"),
        (5, PRG, "prg-badge"),
    ):
        reply = tree.put(app_path(prefix, badge, made[index]), {"processed": 1402477200})
        made[index] = reply.json["application"]
    return made


def ids(reply) -> list[int]:
    assert reply.status == 200, reply.json
    return [a["id"] for a in reply.json["applications"]]


# Expected order: badge 1 (sys) by created: 8 (500), 2 (1000), 4 (2000), 7 (2500);
# badge 2 (iss): 6 (1500), 3 (3000); badge 3 (prg): 5 (4000), 1 (5000).
ALL_ORDER = [8, 2, 4, 7, 6, 3, 5, 1]
PROCESSED = {2, 3, 5}


def test_container_lists_order_and_scope(populated, tree):
    assert ids(tree.get(f"{SYS}/applications")) == ALL_ORDER
    assert ids(tree.get(f"{ISS}/applications")) == [6, 3, 5, 1]
    assert ids(tree.get(f"{PRG}/applications")) == [5, 1]
    assert ids(tree.get(f"{SYS}/badges/sys-badge/applications")) == [8, 2, 4, 7]
    assert ids(tree.get(f"{SYS}/badges/prg-badge/applications")) == [5, 1]
    assert ids(tree.get(f"{PRG}/badges/prg-badge/applications")) == [5, 1]
    # Each item is the full Application (as GET returns it).
    listed = tree.get(f"{SYS}/applications").json["applications"]
    assert listed[-1] == populated[1]
    assert listed[0]["badge"]["slug"] == "sys-badge"
    assert listed[-1]["badge"]["program"]["slug"] == "scratch"
    assert "pageData" not in tree.get(f"{SYS}/applications").json


PROCESSED_CASES = [
    ("", ALL_ORDER),
    ("?processed=true", [i for i in ALL_ORDER if i in PROCESSED]),
    ("?processed=1", [i for i in ALL_ORDER if i in PROCESSED]),
    ("?processed=false", [i for i in ALL_ORDER if i not in PROCESSED]),
    ("?processed=0", [i for i in ALL_ORDER if i not in PROCESSED]),
    ("?processed=any", ALL_ORDER),
    ("?processed=", ALL_ORDER),
    ("?processed=undefined", ALL_ORDER),
]


def test_processed_filter(populated, tree):
    for query, expected in PROCESSED_CASES:
        assert ids(tree.get(f"{SYS}/applications{query}")) == expected, query
        badge_expected = [i for i in expected if i in (8, 2, 4, 7)]
        assert ids(tree.get(f"{SYS}/badges/sys-badge/applications{query}")) == badge_expected
        assert ids(tree.get(f"{ISS}/applications{query}")) == [
            i for i in expected if i in (6, 3, 5, 1)
        ]


def test_bad_processed_is_invalid_parameter(tree):
    for path in (f"{SYS}/applications", f"{ISS}/badges/iss-badge/applications"):
        for query in (
            "?processed=yes",
            "?processed=TRUE",
            "?processed=true&processed=true",
            "?processed=any&processed=false",
            "?processed=2",
        ):
            reply = tree.get(path + query)
            assert reply.status == 400, query
            assert reply.json == PROCESSED_ERROR


def test_resolution_comes_before_the_processed_check(tree):
    reply = tree.get("/systems/nope/applications?processed=bad")
    assert reply.status == 404
    assert reply.json["message"] == "Could not find system field: `slug`, value: `nope`"
    reply = tree.get(f"{SYS}/badges/nope/applications?processed=bad")
    assert reply.json["message"] == "Could not find badge field: `slug`, value: `nope`"
    reply = tree.get(f"{ISS}/badges/sys-badge/applications?processed=bad")
    assert reply.status == 404


def test_email_filter_is_case_insensitive(populated, tree):
    alice = [4, 7, 3, 1]  # sys: 4 (2000), 7 (2500); iss: 3; prg: 1
    assert ids(tree.get(f"{SYS}/applications?email=alice@example.org")) == alice
    assert ids(tree.get(f"{SYS}/applications?email=ALICE%40EXAMPLE.ORG")) == alice
    assert ids(tree.get(f"{ISS}/applications?email=Alice@example.org")) == [3, 1]
    assert ids(tree.get(f"{PRG}/applications?email=alice@example.org")) == [1]
    assert ids(tree.get(f"{SYS}/badges/sys-badge/applications?email=alice@example.org")) == [4, 7]
    assert ids(tree.get(f"{ISS}/badges/prg-badge/applications?email=bob@example.org")) == [5]
    assert ids(tree.get(f"{SYS}/applications?email=alice@example.org&processed=true")) == [3]
    assert ids(tree.get(f"{SYS}/applications?email=alice@example.org&processed=0")) == [4, 7, 1]
    assert ids(tree.get(f"{SYS}/applications?email=")) == ALL_ORDER
    assert ids(tree.get(f"{SYS}/applications?email=nobody@example.org")) == []
    listed = tree.get(f"{SYS}/applications?email=alice@example.org").json["applications"]
    assert listed[-1] == populated[1]
    assert [a["learner"] for a in listed] == [
        "alice@example.org",
        "ALICE@example.org",
        "alice@example.org",
        "Alice@Example.org",
    ]


def test_email_filter_follows_learner_changes(populated, tree):
    path = app_path(SYS, "sys-badge", populated[8])
    tree.put(path, {"learner": "carol@example.org", "processed": 1402477200})
    assert ids(tree.get(f"{SYS}/applications?email=carol@example.org")) == [8, 6]
    assert ids(tree.get(f"{SYS}/applications?email=carol@example.org&processed=true")) == [8]
    assert 8 not in ids(tree.get(f"{SYS}/applications?email=bob@example.org"))


PAGINATION_CASES = [
    ("?page=1&count=3", ALL_ORDER[0:3], 8),
    ("?page=2&count=3", ALL_ORDER[3:6], 8),
    ("?page=3&count=3", ALL_ORDER[6:8], 8),
    ("?page=4&count=3", [], 8),
    ("?page=2&count=4", ALL_ORDER[4:8], 8),
    ("?page=1&count=100", ALL_ORDER, 8),
    ("?page=2abc&count=5", ALL_ORDER[5:8], 8),
    ("?processed=false&page=2&count=2", [7, 6], 5),
    ("?processed=true&page=2&count=2", [5], 3),
    ("?email=alice@example.org&page=2&count=3", [1], 4),
    ("?email=bob@example.org&processed=true&page=1&count=1", [2], 2),
]


def test_pagination(populated, tree):
    for query, expected, total in PAGINATION_CASES:
        reply = tree.get(f"{SYS}/applications{query}")
        assert ids(reply) == expected, query
        page = dict(part.split("=") for part in query[1:].split("&"))
        assert reply.json["pageData"] == {
            "page": int(page["page"].rstrip("abc")),
            "count": int(page["count"]),
            "total": total,
        }, query


def test_pagination_of_one_badge_and_inactive_pagination(populated, tree):
    reply = tree.get(f"{SYS}/badges/sys-badge/applications?page=2&count=3")
    assert ids(reply) == [7]
    assert reply.json["pageData"] == {"page": 2, "count": 3, "total": 4}
    reply = tree.get(f"{SYS}/badges/sys-badge/applications?processed=false&page=1&count=2")
    assert ids(reply) == [8, 4]
    assert reply.json["pageData"] == {"page": 1, "count": 2, "total": 3}
    for query in ("?page=0&count=2", "?page=1", "?count=2", "?page=x&count=2"):
        reply = tree.get(f"{SYS}/applications{query}")
        assert ids(reply) == ALL_ORDER
        assert "pageData" not in reply.json


def test_list_calls_do_not_grow_with_applications(tree, counter, monkeypatch):
    """D1 is served without a round trip per application (and without Scan)."""

    def measured(path: str) -> Counter:
        calls = counter.measure(lambda: tree.get(path))
        assert counter.result.status == 200
        return calls

    apply(tree, PRG, "prg-badge")
    small = {
        path: measured(path)
        for path in (
            f"{SYS}/applications",
            f"{SYS}/applications?page=1&count=50",
            f"{SYS}/applications?email=earner@example.org",
            f"{PRG}/badges/prg-badge/applications",
        )
    }
    for n in range(12):
        prefix, badge = [(SYS, "sys-badge"), (ISS, "iss-badge"), (PRG, "prg-badge")][n % 3]
        apply(tree, prefix, badge)
    for path, before in small.items():
        after = measured(path)
        assert "Scan" not in after
        # Only the badges that now have applications add one Query per list state each.
        assert sum(after.values()) <= sum(before.values()) + 4, (path, before, after)
        assert after["BatchGetItem"] <= 2
    calls = measured(f"{SYS}/applications?page=1&count=50")
    assert len(counter.result.json["applications"]) == 13
    # GetItem system, Query x2 (the system's state lists), BatchGetItem applications + their
    # badges' list entries, BatchGetItem badges, Query containers (nested program): as many
    # as for one application.
    assert calls == Counter({"GetItem": 1, "Query": 2 + 1, "BatchGetItem": 2}), calls
    calls = measured(f"{SYS}/applications?email=earner@example.org&page=1&count=50")
    assert calls == Counter({"GetItem": 1, "Query": 1 + 1, "BatchGetItem": 2}), calls
    calls = measured(f"{PRG}/badges/prg-badge/applications?processed=true&page=1&count=5")
    # BatchGetItem system, issuer, program and badge (warm directory), Query the list.
    assert calls == Counter({"BatchGetItem": 1, "Query": 1}), calls


# --- evidence (extension routes) --------------------------------------------------------------------


@pytest.mark.parametrize("level", ["system", "issuer", "program"])
def test_evidence_routes(tree, level):
    prefix = PREFIXES[level]
    application = apply(
        tree,
        prefix,
        "prg-badge",
        evidence=[
            {"url": "http://example.org/1.png", "mediaType": "image", "reflection": "One"},
            {"url": "http://example.org/2", "mediaType": "link"},
        ],
    )
    path = app_path(prefix, "prg-badge", application)
    assert tree.get(f"{path}/evidence").json == {"evidences": application["evidence"]}
    second = application["evidence"][1]
    assert tree.get(f"{path}/evidence/{second['slug']}").json == {"evidence": second}
    assert tree.get(f"{path}/evidence/{second['slug'].upper()}").json == {"evidence": second}
    reply = tree.get(f"{path}/evidence/nope")
    assert reply.status == 404
    assert reply.json == {
        "code": "ResourceNotFound",
        "message": "Could not find evidence field: `slug`, value: `nope`",
    }
    missing = f"{prefix}/badges/prg-badge/applications/unknown/evidence"
    assert tree.get(missing).json["message"] == (
        "Could not find application field: `slug`, value: `unknown`"
    )
    assert tree.get(f"{missing}/{second['slug']}").status == 404
    empty = apply(tree, prefix, "prg-badge")
    assert tree.get(f"{app_path(prefix, 'prg-badge', empty)}/evidence").json == {"evidences": []}


# --- reviews ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["system", "issuer", "program"])
def test_review_lifecycle_at_every_level(tree, level):
    prefix = PREFIXES[level]
    application = apply(tree, prefix, "prg-badge")
    reviews = f"{app_path(prefix, 'prg-badge', application)}/reviews"
    reply = tree.post(
        reviews,
        {
            "author": "reviewer@example.org",
            "comment": "Great work",
            "reviewItems": [
                {"criterionId": 7, "satisfied": True, "comment": "Exactly right."},
                {"criterionId": "8"},
                {"criterionId": 9, "satisfied": "false"},
            ],
            "slug": "mine",
            "id": 42,
        },
    )
    assert reply.status == 201
    assert list(reply.json) == ["status", "review"]
    review = reply.json["review"]
    assert list(review) == ["id", "slug", "author", "comment", "reviewItems"]
    assert review["id"] == 1
    assert HEX32.match(review["slug"])
    assert review["author"] == "reviewer@example.org"
    assert review["comment"] == "Great work"
    assert review["reviewItems"] == [
        {"criterionId": 7, "satisfied": True, "comment": "Exactly right."},
        {"criterionId": 8, "satisfied": False, "comment": None},
        {"criterionId": 9, "satisfied": False, "comment": None},
    ]
    path = f"{reviews}/{review['slug']}"
    assert tree.get(path).json == {"review": review}
    assert tree.get(f"{reviews}/{review['slug'].upper()}").json == {"review": review}
    # PUT without reviewItems keeps them; with reviewItems replaces them.
    reply = tree.put(path, {"comment": None})
    assert reply.json == {"status": "updated", "review": {**review, "comment": None}}
    reply = tree.put(
        path, {"author": "other@example.org", "reviewItems": [{"criterionId": 9, "satisfied": 1}]}
    )
    updated = reply.json["review"]
    assert updated == {
        **review,
        "comment": None,
        "author": "other@example.org",
        "reviewItems": [{"criterionId": 9, "satisfied": True, "comment": None}],
    }
    assert tree.get(path).json == {"review": updated}
    reply = tree.delete(path)
    assert reply.status == 200
    assert reply.json == {"status": "deleted", "review": updated, "badge": updated}
    assert list(reply.json) == ["status", "review", "badge"]
    assert tree.get(path).status == 404
    assert tree.get(reviews).json == {"reviews": []}


def test_review_list_order_and_pagination(tree):
    application = apply(tree, SYS, "sys-badge")
    reviews = f"{app_path(SYS, 'sys-badge', application)}/reviews"
    made = [tree.post(reviews, {"author": f"r{n}@example.org"}).json["review"] for n in range(5)]
    assert [r["id"] for r in made] == [1, 2, 3, 4, 5]
    assert tree.get(reviews).json == {"reviews": made}
    reply = tree.get(f"{reviews}?page=2&count=2")
    assert reply.json == {"reviews": made[2:4], "pageData": {"page": 2, "count": 2, "total": 5}}
    tree.delete(f"{reviews}/{made[1]['slug']}")
    reply = tree.get(f"{reviews}?page=1&count=10")
    assert reply.json == {
        "reviews": [made[0], *made[2:]],
        "pageData": {"page": 1, "count": 10, "total": 4},
    }
    # Reviews of another application are separate.
    other = apply(tree, SYS, "sys-badge")
    assert tree.get(f"{app_path(SYS, 'sys-badge', other)}/reviews").json == {"reviews": []}


def test_review_validation(tree):
    application = apply(tree, SYS, "sys-badge")
    reviews = f"{app_path(SYS, 'sys-badge', application)}/reviews"
    reply = tree.post(reviews, {"whatever": "lol"})
    assert reply.status == 400
    assert reply.json == {
        "code": "ValidationError",
        "message": VALIDATION,
        "details": [{"message": "Required field", "field": "author", "value": ""}],
    }
    reply = tree.post(
        reviews,
        {
            "reviewItems": [
                {"satisfied": True},
                {"criterionId": "1.5", "satisfied": "yes"},
                {"criterionId": 2, "satisfied": "maybe", "comment": ["x"]},
                7,
            ],
            "comment": {"nested": True},
            "author": "not-an-email",
        },
    )
    assert reply.json["details"] == [
        {"message": "Invalid email", "field": "author", "value": "not-an-email"},
        {"message": "String is not in range", "field": "comment", "value": {"nested": True}},
        {"message": "Required field", "field": "reviewItems[0].criterionId", "value": ""},
        {"message": "Invalid integer", "field": "reviewItems[1].criterionId", "value": "1.5"},
        {
            "message": "Unexpected value or invalid argument",
            "field": "reviewItems[1].satisfied",
            "value": "yes",
        },
        {
            "message": "Unexpected value or invalid argument",
            "field": "reviewItems[2].satisfied",
            "value": "maybe",
        },
        {"message": "String is not in range", "field": "reviewItems[2].comment", "value": ["x"]},
        {
            "message": "Unexpected value or invalid argument",
            "field": "reviewItems[3]",
            "value": 7,
        },
    ]
    assert tree.get(reviews).json == {"reviews": []}
    review = tree.post(reviews, {"author": "r@example.org"}).json["review"]
    path = f"{reviews}/{review['slug']}"
    reply = tree.put(path, {"author": None, "reviewItems": [{"criterionId": "x"}]})
    assert reply.json["details"] == [
        {"message": "Required field", "field": "author", "value": ""},
        {"message": "Invalid integer", "field": "reviewItems[0].criterionId", "value": "x"},
    ]
    assert tree.get(path).json == {"review": review}
    assert len(events()) == 1  # the create only: failed writes record nothing


def test_review_resolution_errors(tree):
    application = apply(tree, ISS, "iss-badge")
    other = apply(tree, SYS, "sys-badge")
    reviews = f"{app_path(ISS, 'iss-badge', application)}/reviews"
    review = tree.post(reviews, {"author": "r@example.org"}).json["review"]
    # A review of another application, an unknown review, an application of another badge.
    cases = {
        f"{app_path(SYS, 'sys-badge', other)}/reviews/{review['slug']}": (
            f"review field: `slug`, value: `{review['slug']}`"
        ),
        f"{reviews}/nope": "review field: `slug`, value: `nope`",
        f"{SYS}/badges/sys-badge/applications/{application['slug']}/reviews/{review['slug']}": (
            f"application field: `slug`, value: `{application['slug']}`"
        ),
        f"{PRG}/badges/iss-badge/applications/{application['slug']}/reviews/{review['slug']}": (
            "badge field: `slug`, value: `iss-badge`"
        ),
    }
    for path, message in cases.items():
        for method in ("GET", "PUT", "DELETE"):
            reply = tree.call(method, path, json_body={} if method == "PUT" else None)
            assert reply.status == 404, (method, path)
            assert reply.json["message"] == f"Could not find {message}"
    for method, body in (("GET", None), ("POST", {"author": "r@example.org"})):
        reply = tree.call(
            method, f"{SYS}/badges/sys-badge/applications/nope/reviews", json_body=body
        )
        assert reply.json["message"] == "Could not find application field: `slug`, value: `nope`"


# --- the `review` outbox event (webhooks.md §3.3) ---------------------------------------------------


def test_review_events_carry_the_spec_payload(tree, counter):
    application = apply(
        tree,
        ISS,
        "iss-badge",
        evidence=[{"url": "http://example.org/work", "mediaType": "link", "reflection": "Me"}],
    )
    path = app_path(ISS, "iss-badge", application)
    log = EventLog()
    assert log.new() == []  # application create: no event
    calls = counter.measure(
        lambda: tree.post(
            f"{path}/reviews",
            {
                "author": "reviewer@example.org",
                "comment": "Nearly",
                "reviewItems": [
                    {"criterionId": 4, "satisfied": True},
                    {"criterionId": 5, "satisfied": True},
                ],
            },
        )
    )
    review = counter.result.json["review"]
    # BatchGetItem system + badge, GetItem issuer, GetItem application, UpdateItem id,
    # TransactWriteItems (review, list entry, total, checks, event).
    assert calls == Counter(
        {"BatchGetItem": 1, "GetItem": 2, "UpdateItem": 1, "TransactWriteItems": 1}
    ), calls
    (event,) = log.new()
    assert (event["action"], event["origin"], int(event["systemId"])) == ("review", "request", 1)
    assert event["eventId"].startswith("evt_")
    body = payload(event)
    assert list(body) == ["action", "application", "review", "approved"]
    assert body == {
        "action": "review",
        "application": application,
        "review": review,
        "approved": False,  # criterion 6 is required and not satisfied
    }
    assert body["application"]["evidence"][0]["reflection"] == "Me"
    assert list(body["application"]) == APPLICATION_KEYS
    # Every successful update sends one too, approved recomputed after the write.
    review_path = f"{path}/reviews/{review['slug']}"
    updated = tree.put(
        review_path,
        {
            "reviewItems": [
                {"criterionId": 4, "satisfied": True},
                {"criterionId": 6, "satisfied": "1"},
            ]
        },
    ).json["review"]
    (event,) = log.new()
    expected = {"action": "review", "application": application, "review": updated, "approved": True}
    assert payload(event) == expected
    unchanged = tree.put(review_path, {"nonsense": True}).json["review"]
    assert unchanged == updated
    (event,) = log.new()
    assert payload(event) == expected
    # The application as it is when the review is written (processed, assigned).
    processed = tree.put(path, {"processed": 1402477200, "assignedTo": "r@example.org"}).json[
        "application"
    ]
    assert log.new() == []  # application update: no event
    tree.put(review_path, {"comment": "Now done"})
    (event,) = log.new()
    assert payload(event)["application"] == processed
    assert payload(event)["application"]["processed"] == "2014-06-11T09:00:00.000Z"
    assert payload(event)["review"]["comment"] == "Now done"
    # Review delete and application delete: no event.
    assert tree.delete(review_path).status == 200
    assert tree.delete(path).status == 200
    assert log.new() == []
    assert len(events()) == 4


@pytest.mark.parametrize(
    ("criteria", "items", "expected"),
    [
        ([], [], True),
        ([{"description": "optional"}], [], True),
        ([{"required": True}], [], False),
        ([{"required": True}], [{"criterionId": 1, "satisfied": False}], False),
        ([{"required": True}], [{"criterionId": 1, "satisfied": True}], True),
        ([{"required": True}], [{"criterionId": 99, "satisfied": True}], False),
        (
            [{"required": True}, {"required": False}],
            [{"criterionId": 2, "satisfied": True}],
            False,
        ),
        (
            [{"required": True}, {"required": True}],
            [{"criterionId": 2, "satisfied": "true"}, {"criterionId": 1, "satisfied": 1}],
            True,
        ),
    ],
)
def test_approved_flag(api, criteria, items, expected):
    api.post("/systems", system_body("chicago"))
    assert api.post(f"{SYS}/badges", badge_body("b", criteria=criteria)).status == 201
    application = apply(api, SYS, "b")
    reply = api.post(
        f"{app_path(SYS, 'b', application)}/reviews",
        {"author": "r@example.org", "reviewItems": items},
    )
    assert reply.status == 201
    (event,) = events()
    assert payload(event)["approved"] is expected


def test_approved_uses_the_criteria_at_request_time(tree):
    application = apply(tree, SYS, "sys-badge")
    reviews = f"{app_path(SYS, 'sys-badge', application)}/reviews"
    log = EventLog()
    review = tree.post(
        reviews, {"author": "r@example.org", "reviewItems": [{"criterionId": 1, "satisfied": True}]}
    ).json["review"]
    (first,) = log.new()
    assert payload(first)["approved"] is False  # criterion 3 also required
    tree.put(f"{SYS}/badges/sys-badge", {"criteria": [{"id": 1, "required": True}]})
    tree.put(f"{reviews}/{review['slug']}", {"comment": "again"})
    (event,) = log.new()
    second = payload(event)
    assert second["approved"] is True
    assert [c["id"] for c in second["application"]["badge"]["criteria"]] == [1]


# --- routing -------------------------------------------------------------------------------------------


def test_methods_not_allowed(tree):
    application = apply(tree, SYS, "sys-badge")
    path = app_path(SYS, "sys-badge", application)
    cases = [
        ("POST", f"{SYS}/applications", "GET"),
        ("DELETE", f"{PRG}/applications", "GET"),
        ("PUT", f"{ISS}/badges/iss-badge/applications", "GET, POST"),
        ("POST", path, "DELETE, GET, PUT"),
        ("PUT", f"{path}/reviews", "GET, POST"),
        ("POST", f"{path}/reviews/x", "DELETE, GET, PUT"),
        ("DELETE", f"{path}/evidence", "GET"),
        ("PUT", f"{path}/evidence/x", "GET"),
        ("HEAD", path, "DELETE, GET, PUT"),
    ]
    for method, target, allowed in cases:
        reply = tree.call(method, target)
        assert reply.status == 405, (method, target)
        assert reply.headers["Allow"] == allowed
        if method != "HEAD":
            assert reply.json == {
                "code": "MethodNotAllowedError",
                "message": f"{method} is not allowed",
            }


def test_requests_need_a_token(tree):
    reply = tree.call("GET", f"{SYS}/applications", sign=False)
    assert reply.status == 403
    assert reply.json["code"] == "NotAuthorized"


def test_calls_per_route(tree, counter):
    """DynamoDB calls of each route (system prefix, system badge: no nested containers)."""
    base = f"{SYS}/badges/sys-badge/applications"
    application = apply(tree, SYS, "sys-badge")
    path = app_path(SYS, "sys-badge", application)
    review = tree.post(f"{path}/reviews", {"author": "r@example.org"}).json["review"]
    review_path = f"{path}/reviews/{review['slug']}"
    batch = {"BatchGetItem": 1}  # system + badge, one round trip
    # A GET reads its path's child with them (warm directory: the application's id is known).
    expected = [
        (
            "POST",
            base,
            {"learner": "x@example.org"},
            {**batch, "UpdateItem": 1, "TransactWriteItems": 1},
        ),
        ("GET", path, None, batch),
        ("GET", f"{path}/evidence", None, batch),
        ("PUT", path, {"processed": 1402477200}, {**batch, "GetItem": 1, "TransactWriteItems": 1}),
        ("GET", base, None, {"BatchGetItem": 2, "Query": 2}),
        ("GET", f"{path}/reviews", None, {"BatchGetItem": 2, "Query": 1}),
        (
            "POST",
            f"{path}/reviews",
            {"author": "s@example.org"},
            {**batch, "GetItem": 1, "UpdateItem": 1, "TransactWriteItems": 1},
        ),
        ("GET", review_path, None, batch),
        ("PUT", review_path, {"comment": "x"}, {**batch, "GetItem": 2, "TransactWriteItems": 1}),
        ("DELETE", review_path, None, {**batch, "GetItem": 2, "TransactWriteItems": 1}),
        (
            "DELETE",
            path,
            None,
            {**batch, "GetItem": 1, "TransactWriteItems": 1, "Query": 2, "BatchWriteItem": 1},
        ),
    ]
    for method, target, body, calls in expected:
        measured = counter.measure(lambda m=method, t=target, b=body: tree.call(m, t, json_body=b))
        assert counter.result.status in (200, 201), (method, target, counter.result.json)
        assert measured == Counter(calls), (method, target, measured)


def test_evidence_or_review_items_too_long_for_one_item_are_413_before_any_write(tree):
    """README §3 limits: the array's length alone (each entry takes at least 80 / 50 bytes of
    the stored item) answers 413 before anything is validated, reserved or written."""
    from tests.support.meter import metered

    application = apply(tree, SYS, "sys-badge")
    path = app_path(SYS, "sys-badge", application)
    applications = f"{SYS}/badges/sys-badge/applications"
    body = {"learner": "e@example.org", "evidence": [{}] * 4_751}
    reviews = f"{path}/reviews"
    review = {"author": "r@example.org", "reviewItems": [{}] * 7_601}
    with metered() as meter:
        replies: list[Any] = []
        created = meter.during(lambda: replies.append(tree.post(applications, body)))
        updated = meter.during(lambda: replies.append(tree.put(path, {"evidence": [7] * 4_751})))
        reviewed = meter.during(lambda: replies.append(tree.post(reviews, review)))
    assert [(r.status, r.json) for r in replies] == [
        (
            413,
            {
                "code": "RequestEntityTooLargeError",
                "message": f"{model} exceeds the maximum stored size of 380000 bytes",
            },
        )
        for model in ("Application", "Application", "Review")
    ]
    for operations in (created, updated, reviewed):
        assert not {"UpdateItem", "TransactWriteItems", "PutItem"} & set(operations)
    assert len(tree.get(applications).json["applications"]) == 1
    assert tree.get(reviews).json["reviews"] == []


# --- container-level lists: exact totals through every write -----------------------------------


def container_totals(api: Api) -> dict[str, list[int]]:
    """pageData.total of the system's, the issuer's and the program's lists, per state."""
    found: dict[str, list[int]] = {}
    for state in ("false", "true", "any"):
        found[state] = [
            api.get(f"{prefix}/applications?processed={state}&page=1&count=1").json["pageData"][
                "total"
            ]
            for prefix in (SYS, ISS, PRG)
        ]
    return found


def stored_header_totals() -> dict[str, int]:
    """The container lists' headers as stored (every one, by sort key)."""
    rows = table().query(
        KeyConditionExpression=Key("PK").eq(keys.system_partition(1))
        & Key("SK").begins_with("LIST#APPS#")
    )["Items"]
    return {str(r["SK"]): int(r["total"]) for r in rows if str(r["SK"]).endswith("#")}


def test_container_totals_follow_creates_state_changes_and_deletes(tree):
    s1 = apply(tree, SYS, "sys-badge")
    i1 = apply(tree, ISS, "iss-badge")
    p1 = apply(tree, PRG, "prg-badge")
    apply(tree, PRG, "prg-badge", "other@example.org")
    assert container_totals(tree) == {"false": [4, 3, 2], "true": [0, 0, 0], "any": [4, 3, 2]}
    processed = {"processed": "2014-06-11T09:00:00Z"}
    assert tree.put(app_path(PRG, "prg-badge", p1), processed).status == 200
    assert tree.put(app_path(SYS, "sys-badge", s1), processed).status == 200
    assert container_totals(tree) == {"false": [2, 2, 1], "true": [2, 1, 1], "any": [4, 3, 2]}
    # an update that keeps the state moves nothing
    assert tree.put(app_path(PRG, "prg-badge", p1), {"assignedTo": "a@example.org"}).status == 200
    assert tree.put(app_path(SYS, "sys-badge", s1), {"processed": None}).status == 200
    assert container_totals(tree) == {"false": [3, 2, 1], "true": [1, 1, 1], "any": [4, 3, 2]}
    assert tree.delete(app_path(PRG, "prg-badge", p1)).status == 200
    assert tree.delete(app_path(ISS, "iss-badge", i1)).status == 200
    assert container_totals(tree) == {"false": [2, 1, 1], "true": [0, 0, 0], "any": [2, 1, 1]}
    listed = tree.get(f"{SYS}/applications?processed=any").json["applications"]
    assert [a["slug"] for a in listed] == [s1["slug"], listed[1]["slug"]]
    assert listed[1]["learner"] == "other@example.org"


def test_badge_delete_removes_its_applications_from_the_container_lists(tree):
    """More applications than one detach transaction takes (24), in both states."""
    kept = apply(tree, ISS, "iss-badge")
    made = [apply(tree, PRG, "prg-badge", f"l{n}@example.org") for n in range(30)]
    for application in made[::3]:
        path = app_path(PRG, "prg-badge", application)
        assert tree.put(path, {"processed": "2014-06-11T09:00:00Z"}).status == 200
    assert container_totals(tree) == {
        "false": [21, 21, 20],
        "true": [10, 10, 10],
        "any": [31, 31, 30],
    }
    assert tree.delete(f"{PRG}/badges/prg-badge").status == 200
    assert container_totals(tree) == {"false": [1, 1, 0], "true": [0, 0, 0], "any": [1, 1, 0]}
    assert set(stored_header_totals().values()) <= {0, 1}
    listed = tree.get(f"{SYS}/applications?processed=any").json["applications"]
    assert [a["slug"] for a in listed] == [kept["slug"]]


def test_container_list_order_and_renamed_badge(tree):
    """(badge id, created, id) across badges, with each badge as it now is."""
    later = apply(tree, PRG, "prg-badge")
    first = apply(tree, SYS, "sys-badge")
    second = apply(tree, ISS, "iss-badge")
    assert tree.put(f"{ISS}/badges/iss-badge", {"slug": "renamed"}).status == 200
    listed = tree.get(f"{SYS}/applications?page=1&count=3").json
    assert [a["slug"] for a in listed["applications"]] == [
        first["slug"],
        second["slug"],
        later["slug"],
    ]
    assert listed["applications"][1]["badge"]["slug"] == "renamed"
    assert listed["pageData"] == {"page": 1, "count": 3, "total": 3}


def test_badge_cascade_redoes_an_application_processed_meanwhile(tree):
    """An application whose state changed after the badge partition was read fails the
    cascade's chunk (its entries moved): it is then detached as it now is."""
    from badgekit.store import assessment as assessment_store
    from badgekit.store import badges as badge_store
    from badgekit.store import db
    from badgekit.store.records import record

    made = [apply(tree, PRG, "prg-badge", f"l{n}@example.org") for n in range(5)]
    badge = record(db.get(keys.badge("prg-badge")) or {}, badge_store.BadgeRecord)
    children = badge_store.children(badge["id"])
    path = app_path(PRG, "prg-badge", made[2])
    assert tree.put(path, {"processed": "2014-06-11T09:00:00Z"}).status == 200
    assert container_totals(tree)["true"] == [1, 1, 1]
    assert assessment_store.detach_badge(badge, children) == 5
    assert container_totals(tree) == {"false": [0, 0, 0], "true": [0, 0, 0], "any": [0, 0, 0]}
