"""The import (`migrate.writer.import_all`) on moto: an original database in memory (every table,
`fixture_rows`) is imported through the store, then read back through the API in-process and
compared with the documents the contract specifies; a second run writes nothing; a run stopped
half-way is completed by the next; a dry run writes nothing and reports the findings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError

from badgekit.domain import images
from badgekit.store import db
from badgekit.store import images as image_store
from migrate import checks
from migrate.source import DictSource
from migrate.writer import assertion_salt, evidence_slug, import_all
from tests.unit.conftest import Api, system_body
from tests.unit.migrate import fixture_rows as rows
from tests.unit.migrate.fixture_rows import tables

BASE = "https://badges.example.org"
CHICAGO = "/systems/chicago"
IMAGE_URL = f"{BASE}/public/images/{rows.PNG_SLUG}"
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@contextmanager
def calls() -> Iterator[list[str]]:
    """The names of the DynamoDB and S3 operations made meanwhile (by this process's clients)."""
    made: list[str] = []

    def seen(model: Any, **_: Any) -> None:
        made.append(model.name)

    hooks = [db.client().raw.meta.events, image_store.s3().meta.events]
    for events in hooks:
        events.register("before-call", seen)
    try:
        yield made
    finally:
        for events in hooks:
            events.unregister("before-call", seen)


def imported(api: Api) -> Api:
    report = import_all(DictSource(tables()), dry_run=False)
    assert report.of("badgeInstances").written == 4
    return api


@pytest.fixture
def original(api: Api) -> Api:
    return imported(api)


NESTED_SYSTEM = {
    "id": 1,
    "slug": "chicago",
    "url": "http://chicago.example.org",
    "name": "Chicago",
    "email": "mayor@example.org",
    "imageUrl": IMAGE_URL,
    "issuers": [],
}
SYS_BADGE = {
    "id": 1,
    "slug": "sys-badge",
    "name": "Sys Badge",
    "strapline": "Strap",
    "earnerDescription": "For earners",
    "consumerDescription": "For consumers",
    "issuerUrl": "http://lib.example.org",
    "rubricUrl": None,
    "timeValue": 10,
    "timeUnits": "hours",
    "limit": 5,
    "unique": True,
    "created": "2014-06-01T12:00:00.000Z",
    "imageUrl": IMAGE_URL,
    "type": "skill",
    "archived": False,
    "system": NESTED_SYSTEM,
    "criteriaUrl": "http://example.org/criteria",
    "criteria": [
        {"id": 1, "description": "First", "required": True, "note": "Look"},
        {"id": 2, "description": "Second", "required": False, "note": ""},
    ],
    "alignments": [
        {"id": 1, "name": "CCSS", "url": "http://www.corestandards.org/x", "description": ""}
    ],
    "evidenceType": "URL",
    "categories": ["science", "math"],
    "tags": [{"id": 1, "value": "a"}, {"id": 2, "value": "b"}],
    "milestones": [],
}


def test_containers_and_badges_read_back_as_the_contract_renders_them(original):
    assert original.get(CHICAGO).json == {
        "system": {
            "id": 1,
            "slug": "chicago",
            "url": "http://chicago.example.org",
            "name": "Chicago",
            "description": "The City",
            "email": "mayor@example.org",
            "imageUrl": IMAGE_URL,
            "issuers": [
                {
                    "id": 1,
                    "slug": "library",
                    "url": "http://lib.example.org",
                    "name": "Library",
                    "description": None,
                    "email": "lib@example.org",
                    "imageUrl": None,
                    "programs": [
                        {
                            "id": 1,
                            "slug": "scratch",
                            "url": "http://scratch.example.org",
                            "name": "Scratch",
                            "description": "Code",
                            "email": None,
                            "imageUrl": f"{BASE}/public/images/{rows.SVG_SLUG}",
                        }
                    ],
                }
            ],
        }
    }
    reply = original.get(f"{CHICAGO}/badges/sys-badge")
    assert reply.status == 200
    badge = reply.json["badge"]
    milestones = badge.pop("milestones")
    assert badge == {k: v for k, v in SYS_BADGE.items() if k != "milestones"}
    # Milestone 2 names it primary (its null action renders as the default `issue`).
    assert [(m["id"], m["action"], m["primaryBadge"]["id"]) for m in milestones] == [
        (2, "issue", 1)
    ]
    assert [b["slug"] for b in milestones[0]["supportBadges"]] == ["prog-badge"]
    # A remote image stays the owner's URL; a dangling image reference renders null.
    assert original.get("/systems/pittsburgh").json["system"]["imageUrl"] == rows.REMOTE_URL
    pitt = original.get("/systems/pittsburgh/badges/pitt-badge").json["badge"]
    assert (pitt["id"], pitt["imageUrl"], pitt["system"]["slug"]) == (7, None, "pittsburgh")


def test_hosted_assertions_keep_the_originals_recipient_hash_badge_and_issuer(original):
    reply = original.get("/public/assertions/abc", sign=False)
    assert reply.status == 200
    # The original: `sha256$` + sha256 of the email as stored (app/routes/badge-instances.js).
    identity = "sha256$" + hashlib.sha256(b"Earner@Example.org").hexdigest()
    assert reply.json == {
        "uid": "abc",
        "recipient": {"identity": identity, "type": "email", "hashed": True},
        "badge": f"{BASE}/public/systems/chicago/badges/sys-badge",
        "verify": {"url": f"{BASE}/public/assertions/abc", "type": "hosted"},
        "issuedOn": 1401697800,
        "expires": 1433233800,
    }
    badge_class = original.get("/public/systems/chicago/badges/sys-badge", sign=False).json
    assert badge_class["issuer"] == f"{BASE}/public/systems/chicago"
    program_award = original.get("/public/assertions/def", sign=False).json
    assert program_award["badge"] == (
        f"{BASE}/public/systems/chicago/issuers/library/programs/scratch/badges/prog-badge"
    )
    assert "expires" not in program_award
    # OB 2.0: a salt derived from the slug, so every run publishes the same salted hash.
    linked = original.get(
        "/public/assertions/abc", sign=False, headers={"Accept": "application/ld+json"}
    ).json
    salt = assertion_salt("abc")
    assert linked["recipient"] == {
        "type": "email",
        "hashed": True,
        "salt": salt,
        "identity": "sha256$" + hashlib.sha256(f"Earner@Example.org{salt}".encode()).hexdigest(),
    }
    assert original.get("/public/assertions/lost", sign=False).status == 404


def test_children_lists_keep_ids_order_and_totals(original):
    instances = original.get(f"{CHICAGO}/badges/sys-badge/instances").json["instances"]
    assert [(i["slug"], i["email"], i["claimCode"]) for i in instances] == [
        ("abc", "Earner@Example.org", "CODE1"),
        ("third", "third@example.org", None),
    ]
    assert instances[0]["expires"] == "2015-06-02T08:30:00.000Z"
    assert instances[0]["issuedOn"] == "2014-06-02T08:30:00.000Z"
    paged = original.get(f"{CHICAGO}/badges/sys-badge/instances?page=2&count=1").json
    assert [i["slug"] for i in paged["instances"]] == ["third"]
    assert paged["pageData"] == {"page": 2, "count": 1, "total": 2}
    assert (
        original.get(f"{CHICAGO}/instances/EARNER@example.org").json["instances"][0]["slug"]
        == "abc"
    )

    codes = original.get(f"{CHICAGO}/badges/sys-badge/codes?page=1&count=1").json
    assert codes["claimCodes"] == [
        {
            "id": 1,
            "code": "CODE1",
            "claimed": True,
            "email": "earner@example.org",
            "multiuse": False,
        }
    ]
    assert codes["pageData"] == {"page": 1, "count": 1, "total": 2}
    assert [c["code"] for c in original.get(f"{CHICAGO}/codes").json["claimCodes"]] == [
        "CODE1",
        "multi",
        "prog",
    ]

    badges = original.get(f"{CHICAGO}/badges?page=1&count=1").json
    assert badges["pageData"] == {"page": 1, "count": 1, "total": 2}
    every = original.get(f"{CHICAGO}/badges?archived=any").json["badges"]
    assert [b["slug"] for b in every] == ["sys-badge", "prog-badge", "old-badge"]
    assert [
        b["slug"] for b in original.get(f"{CHICAGO}/issuers/library/badges").json["badges"]
    ] == ["prog-badge"]
    assert original.get("/systems?page=1&count=5").json["pageData"]["total"] == 2

    applications = original.get(f"{CHICAGO}/applications?processed=any").json["applications"]
    assert [(a["slug"], a["processed"]) for a in applications] == [
        ("app1", None),
        ("app2", "2015-06-02T08:30:00.000Z"),
    ]
    assert applications[0]["evidence"] == [
        {
            "slug": evidence_slug(1),
            "url": "http://example.org/work",
            "mediaType": "link",
            "reflection": "I did it",
        },
        {
            "slug": evidence_slug(2),
            "url": "http://example.org/shot.png",
            "mediaType": "image",
            "reflection": None,
        },
    ]
    assert applications[1]["assignedTo"] == "reviewer@example.org"
    pending = original.get(f"{CHICAGO}/applications?processed=false&page=1&count=5").json
    assert [a["slug"] for a in pending["applications"]] == ["app1"]
    assert pending["pageData"]["total"] == 1
    processed = original.get(f"{CHICAGO}/applications?processed=true&page=1&count=5").json
    assert processed["pageData"]["total"] == 1
    assert original.get(f"{CHICAGO}/badges/sys-badge/applications/app1/reviews").json == {
        "reviews": [
            {
                "id": 1,
                "slug": "rev1",
                "author": "rev@example.org",
                "comment": "Good",
                "reviewItems": [
                    {"criterionId": 1, "satisfied": True, "comment": None},
                    {"criterionId": 2, "satisfied": False, "comment": "Meh"},
                ],
            },
            {
                "id": 2,
                "slug": "rev2",
                "author": "rev@example.org",
                "comment": None,
                "reviewItems": [],
            },
        ]
    }
    milestones = original.get(f"{CHICAGO}/milestones?page=1&count=5").json
    assert [(m["id"], m["action"]) for m in milestones["milestones"]] == [
        (1, "queue-application"),
        (2, "issue"),
    ]
    assert [b["slug"] for b in milestones["milestones"][0]["supportBadges"]] == [
        "sys-badge",
        "old-badge",
    ]
    assert milestones["pageData"]["total"] == 2
    assert original.get(f"{CHICAGO}/webhooks").json == {
        "webhooks": [{"id": 1, "url": "http://hooks.example.org/in", "disabled": False}]
    }


def test_consumers_keep_their_key_and_secret(original):
    consumer = Api(key="chicago-key", secret="chicago-secret")
    assert consumer.get(CHICAGO).status == 200
    assert original.get(f"{CHICAGO}/consumers").json == {
        "consumers": [{"apiKey": "chicago-key", "description": "Site", "created": None}]
    }


def test_images_are_stored_with_the_type_of_their_bytes(original):
    stored = images.load(rows.PNG_SLUG)
    assert isinstance(stored, images.StoredImage)
    assert stored.data == rows.PNG
    assert images.delivery(stored)[0] == "image/png"
    # Declared image/jpeg, bytes are PNG: stored (and served) as PNG.
    mismatch = images.load(rows.MISMATCH_SLUG)
    assert isinstance(mismatch, images.StoredImage)
    assert mismatch.mimetype == "image/png"
    # Not an image: kept, served only as a download.
    html = images.load(rows.HTML_SLUG)
    assert isinstance(html, images.StoredImage)
    content_type, headers = images.delivery(html)
    assert (content_type, headers["Content-Disposition"]) == (
        "application/octet-stream",
        "attachment",
    )
    remote = images.load(rows.REMOTE_SLUG)
    assert remote == images.RemoteImage(rows.REMOTE_SLUG, rows.REMOTE_URL)
    with pytest.raises(Exception, match="Could not find image"):
        images.load(rows.EMPTY_SLUG)


def test_new_entities_get_ids_above_the_imported_ones(original):
    created = original.post(
        f"{CHICAGO}/badges",
        {
            "slug": "new-badge",
            "name": "New",
            "earnerDescription": "e",
            "consumerDescription": "c",
            "criteriaUrl": "http://example.org/c",
            "unique": False,
            "imageUrl": "http://example.org/i.png",
            "criteria": [{"description": "x"}],
            "tags": ["t"],
        },
    )
    assert created.status == 201
    badge = created.json["badge"]
    assert (badge["id"], badge["criteria"][0]["id"], badge["tags"][0]["id"]) == (8, 4, 4)
    # The skipped system #3 used id 3: never reused.
    assert original.post("/systems", system_body("denver")).json["system"]["id"] == 4
    code = original.post(f"{CHICAGO}/badges/new-badge/codes", {"code": "NEW"}).json
    assert code["claimCode"]["id"] == 5
    listed = original.get(f"{CHICAGO}/badges?archived=any").json["badges"]
    assert [b["id"] for b in listed] == [1, 2, 3, 8]
    assert original.get(f"{CHICAGO}/badges?page=1&count=1").json["pageData"]["total"] == 3


def test_a_second_run_writes_nothing_and_says_so(original):
    before = original.get(f"{CHICAGO}/badges/sys-badge/instances?page=1&count=1").json["pageData"]
    with calls() as made:
        report = import_all(DictSource(tables()), dry_run=False)
    assert not WRITES & set(made)
    assert "PutObject" not in made
    assert report.written == 0
    assert report.of("badgeInstances").present == 4
    assert report.of("badges").present == 4
    assert report.of("tags").present == 2
    assert "Nothing to do: everything was already imported." in report.render()
    after = original.get(f"{CHICAGO}/badges/sys-badge/instances?page=1&count=1").json["pageData"]
    assert after == before


def test_a_run_stopped_half_way_is_completed_by_the_next(api, monkeypatch):
    transact = db.transact
    done: list[int] = []

    def failing(actions: Any) -> None:
        if len(done) == 6:
            raise RuntimeError("connection lost")
        transact(actions)
        done.append(1)

    monkeypatch.setattr(db, "transact", failing)
    with pytest.raises(RuntimeError):
        import_all(DictSource(tables()), dry_run=False)
    monkeypatch.setattr(db, "transact", transact)
    assert api.get(CHICAGO).status == 200  # what was written is whole

    report = import_all(DictSource(tables()), dry_run=False)
    assert report.of("systems").present == 2
    assert report.of("badgeInstances").written == 4
    # Totals are exact: each entity's share was written with it, once.
    assert api.get("/systems?page=1&count=1").json["pageData"]["total"] == 2
    paged = api.get(f"{CHICAGO}/badges/sys-badge/instances?page=1&count=1").json
    assert paged["pageData"]["total"] == 2
    assert api.get(f"{CHICAGO}/badges?page=1&count=1").json["pageData"]["total"] == 2
    assert api.get(f"{CHICAGO}/codes?page=1&count=1").json["pageData"]["total"] == 3
    assert import_all(DictSource(tables()), dry_run=False).written == 0


def test_a_dry_run_writes_nothing_and_reports_what_a_run_would_do(aws):
    seen: list[tuple[str, int, int]] = []
    with calls() as made:
        dry = import_all(
            DictSource(tables()), dry_run=True, progress=lambda *step: seen.append(step)
        )
    assert made == []
    assert [step for step in seen if step[0] == "badgeInstances"][-1] == ("badgeInstances", 5, 5)
    assert ("criteria", 3, 3) in seen
    assert all(0 <= done <= total for _, done, total in seen)
    assert db.table().scan()["Items"] == []
    assert dry.of("badgeInstances").written == 4
    assert dry.counters == {}
    text = dry.render()
    assert text.startswith("Dry run (nothing written)")
    assert "would write" in text
    real = import_all(DictSource(tables()), dry_run=False)
    assert {t: (c.read, c.written, c.skipped) for t, c in dry.counts.items()} == {
        t: (c.read, c.written, c.skipped) for t, c in real.counts.items()
    }
    assert dry.findings.counts == real.findings.counts


def test_findings_name_each_refused_row_and_what_was_done(aws):
    report = import_all(DictSource(tables()), dry_run=True)
    found = {(f.table, f.row_id, f.problem, f.action) for f in report.findings.examples}
    assert found == {
        ("images", 3, checks.NOT_AN_IMAGE, "as-is"),
        ("images", 4, checks.TYPE_MISMATCH, "changed"),
        ("images", 5, checks.NO_IMAGE_DATA, "skipped"),
        ("systems", 3, checks.INVALID_SLUG, "skipped"),
        ("issuers", 2, checks.DANGLING, "skipped"),
        ("webhooks", 1, checks.WEBHOOK_URL, "as-is"),
        ("tags", 3, checks.DUPLICATE, "skipped"),
        ("badges", 7, checks.DANGLING, "changed"),
        ("badges", 5, checks.DANGLING, "skipped"),
        ("criteria", 3, checks.DANGLING, "skipped"),
        ("claimCodes", 4, checks.DANGLING, "skipped"),
        ("badgeInstances", 4, checks.INVALID_EMAIL, "as-is"),
        ("badgeInstances", 5, checks.DANGLING, "skipped"),
        ("evidence", 3, checks.DANGLING, "skipped"),
        ("reviews", 3, checks.DANGLING, "skipped"),
        ("milestoneBadges", 4, checks.DANGLING, "skipped"),
        ("milestones", 2, checks.NULL_ACTION, "changed"),
    }
    counts = report.of("badges")
    assert (counts.read, counts.written, counts.skipped) == (5, 4, 1)
    assert "issuers: dangling reference -> skipped: 1" in report.render()


def test_dates_out_of_range_are_clamped_and_missing_ones_reported(api):
    data = tables()
    data["badgeInstances"][0]["issuedOn"] = "0000-00-00 00:00:00"
    data["badgeInstances"][1]["expires"] = 253402300800 + 10  # past 9999-12-31
    report = import_all(DictSource(data), dry_run=False)
    found = {(f.row_id, f.problem, f.action) for f in report.findings.examples}
    assert (3, checks.DATE_MISSING, "clamped") in found
    assert (1, checks.DATE_RANGE, "clamped") in found
    instances = api.get(f"{CHICAGO}/badges/sys-badge/instances").json["instances"]
    assert [(i["slug"], i["issuedOn"], i["expires"]) for i in instances] == [
        ("abc", "2014-06-02T08:30:00.000Z", "9999-12-31T23:59:59.000Z"),
        ("third", "1970-01-01T00:00:00.000Z", None),
    ]


def test_an_entity_of_the_table_at_an_imported_key_is_a_conflict_not_overwritten(api):
    assert api.post("/systems", system_body("denver")).status == 201  # id 1
    assert api.post("/systems", system_body("chicago", name="Mine")).status == 201  # id 2
    chicago = {**tables()["systems"][0], "imageId": None}
    report = import_all(DictSource({"systems": [chicago]}), dry_run=False)
    assert report.of("systems").skipped == 1
    assert [(f.table, f.problem, f.action) for f in report.findings.examples] == [
        ("systems", checks.TAKEN, "skipped")
    ]
    assert api.get(CHICAGO).json["system"]["name"] == "Mine"


def test_a_row_dynamodb_refuses_is_reported_and_the_others_written(api, monkeypatch):
    transact = db.transact

    def refusing(actions: Any) -> None:
        if any(a.get("Put", {}).get("Item", {}).get("slug") == "pittsburgh" for a in actions):
            error = {"Error": {"Code": "ValidationException", "Message": "Item size too large"}}
            raise ClientError(error, "TransactWriteItems")
        transact(actions)

    monkeypatch.setattr(db, "transact", refusing)
    report = import_all(DictSource({"systems": tables()["systems"][:2]}), dry_run=False)
    assert (report.of("systems").written, report.of("systems").skipped) == (1, 1)
    refused = [f for f in report.findings.examples if f.problem == checks.TOO_LARGE]
    assert [(f.row_id, f.action, f.detail) for f in refused] == [
        (2, "skipped", "refused by DynamoDB: Item size too large")
    ]
    assert api.get("/systems").json["systems"][0]["slug"] == "chicago"
    assert api.get("/systems?page=1&count=1").json["pageData"]["total"] == 1


def test_an_instance_whose_slug_another_holds_is_skipped_the_rest_written(original):
    data = tables()
    twin = {**data["badgeInstances"][2], "id": 6, "slug": "ABC", "email": "twin@example.org"}
    data["badgeInstances"].append(twin)
    report = import_all(DictSource(data), dry_run=False)
    counts = report.of("badgeInstances")
    assert (counts.present, counts.written, counts.skipped) == (4, 0, 2)
    taken = [f for f in report.findings.examples if f.problem == checks.TAKEN]
    assert [(f.table, f.row_id, f.action, f.detail) for f in taken] == [
        ("badgeInstances", 6, "skipped", "ASSERTION#abc ASSERTION")
    ]
    listed = original.get(f"{CHICAGO}/badges/prog-badge/instances").json["instances"]
    assert [i["slug"] for i in listed] == ["def"]
    assert original.get("/public/assertions/ABC", sign=False).json["uid"] == "abc"
