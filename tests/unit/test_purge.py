"""Container deletes (systems.md, issuers.md, programs.md DELETE; domain/cascade.py): the request
does a constant number of calls whatever the container holds; readers see nothing of the deleted
subtree while its purge is pending (lists, totals, public documents, codes, applications, a
re-created container with the same slugs); the purge (the template's PurgerFunction, fed with the
stream records moto's stream holds, filtered by the template's FilterCriteria) removes every item
of the subtree, and a re-delivered record is harmless."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tests.support.bodies import minimal_badge
from tests.support.meter import metered
from tests.support.table_stream import TableStream
from tests.unit.conftest import Api, system_body

SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
PRG = f"{ISS}/programs/scratch"
OTHER = f"{SYS}/issuers/museum"
PURGER = "PurgerFunction"


class Stream(TableStream):
    """The table's stream as the purger's event source mapping sees it; every invocation must
    report no failed record."""

    def __init__(self, api: Api) -> None:
        super().__init__(api, PURGER)

    def invoke(self, records: list[dict[str, Any]]) -> None:
        assert self.function.invoke({"Records": records}) == {"batchItemFailures": []}


def ok(reply: Any, status: int = 200) -> Any:
    assert reply.status == status, reply.json
    return reply.json


def make_tree(api: Api, per_program: int = 2) -> dict[str, Any]:
    """chicago: a system badge; issuer library (a badge) with program scratch (`per_program`
    badges); issuer museum (a badge). Each badge has a code, an application, an award."""
    ok(api.post("/systems", system_body("chicago")), 201)
    for parent, slug in ((SYS, "library"), (SYS, "museum")):
        ok(api.post(f"{parent}/issuers", {"slug": slug, "name": slug, "url": "http://x.org"}), 201)
    ok(api.post(f"{ISS}/programs", {"slug": "scratch", "name": "S", "url": "http://x.org"}), 201)
    where = {"sys-1": SYS, "lib-1": ISS, "mus-1": OTHER}
    where.update({f"prg-{n}": PRG for n in range(1, per_program + 1)})
    assertions = {}
    for slug, prefix in where.items():
        ok(api.post(f"{prefix}/badges", minimal_badge(slug)), 201)
        ok(api.post(f"{prefix}/badges/{slug}/codes", {"code": f"code-{slug}"}), 201)
        body = {"learner": "learner@example.org"}
        ok(api.post(f"{prefix}/badges/{slug}/applications", body), 201)
        award = ok(api.post(f"{prefix}/badges/{slug}/instances", {"email": "e@example.org"}), 201)
        assertions[slug] = award["instance"]["slug"]
    return {"where": where, "assertions": assertions}


def slugs_listed(api: Api, path: str, key: str = "badges") -> tuple[list[str], int]:
    body = ok(api.get(path))
    total = body["pageData"]["total"] if "pageData" in body else len(body[key])
    return [item["slug"] for item in body[key]], total


def public_locations(api: Api) -> list[str]:
    body = ok(api.get("/public/badges?archived=any", sign=False))
    return sorted(location["location"].rsplit("/", 1)[1] for location in body["badgelist"])


def table_items() -> list[dict[str, Any]]:
    from badgekit.store import db

    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        response = db.table().scan(**kwargs)
        items.extend(response["Items"])
        if "LastEvaluatedKey" not in response:
            return items
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


@pytest.fixture
def held(api: Api) -> Api:
    """The API without the unit tier's purge after each container DELETE: the purge is left
    pending, as it is for a moment when deployed."""
    api.purge_after_delete = False
    return api


# --- the request: a constant number of calls ---------------------------------------------------


@pytest.mark.parametrize("level", ["system", "issuer", "program"])
def test_delete_makes_the_same_calls_at_one_and_at_many_badges(level: str, held: Api) -> None:
    path = {"system": SYS, "issuer": ISS, "program": PRG}[level]
    measured = []
    for per_program in (1, 12):
        make_tree(held, per_program)
        with metered() as calls:
            measured.append(calls.during(lambda p=path: ok(held.delete(p))))
        ok(held.delete(SYS) if level != "system" else held.get("/systems"))
        from local.inprocess import drain_purges

        drain_purges(held.gateway)
        left = [i for i in table_items() if i.get("entity") not in (None, "event")]
        assert left == [], per_program
    assert measured[0] == measured[1]
    # the container read for the response, then one BatchGetItem (the totals) and one
    # transaction, whatever the container holds
    assert measured[0].count("TransactWriteItems") == 1
    assert "BatchWriteItem" not in measured[0]
    assert "DeleteItem" not in measured[0]


# --- readers while the purge is pending ----------------------------------------------------------


def test_readers_see_nothing_of_a_deleted_issuer_before_its_purge(held: Api) -> None:
    tree = make_tree(held)
    gone = ["lib-1", "prg-1", "prg-2"]
    ok(held.delete(ISS))
    # lists and exact totals, full pages
    assert slugs_listed(held, f"{SYS}/badges?archived=any") == (["sys-1", "mus-1"], 2)
    assert slugs_listed(held, f"{SYS}/badges?page=1&count=1") == (["sys-1"], 2)
    assert slugs_listed(held, f"{SYS}/badges?page=2&count=1") == (["mus-1"], 2)
    assert public_locations(held) == ["mus-1", "sys-1"]
    everything = ok(held.get("/public/badges?page=2&count=1", sign=False))
    assert everything["pageData"] == {"page": 2, "count": 1, "total": 2}
    assert everything["badgelist"][0]["location"].endswith("/mus-1")
    # single badges, public badge classes, hosted assertions, codes, applications, earners
    for slug in gone:
        assert held.get(f"{SYS}/badges/{slug}").status == 404
        assert held.get(f"/public/systems/chicago/badges/{slug}", sign=False).status == 404
        reply = held.get(f"/public/assertions/{tree['assertions'][slug]}", sign=False)
        assert reply.status == 404
        assert reply.json == {
            "code": "ResourceNotFound",
            "message": "Could not find badge instance",
        }
        assert held.get(f"{SYS}/codes/code-{slug}").status == 404
    codes = ok(held.get(f"{SYS}/codes?page=1&count=1"))
    assert codes["pageData"]["total"] == 2
    assert [code["code"] for code in codes["claimCodes"]] == ["code-sys-1"]
    codes = ok(held.get(f"{SYS}/codes"))
    assert sorted(code["code"] for code in codes["claimCodes"]) == ["code-mus-1", "code-sys-1"]
    applications = ok(held.get(f"{SYS}/applications?page=1&count=5"))
    assert applications["pageData"]["total"] == 2
    assert sorted(a["badge"]["slug"] for a in applications["applications"]) == ["mus-1", "sys-1"]
    learner = ok(held.get(f"{SYS}/applications?email=learner%40example.org"))
    assert sorted(a["badge"]["slug"] for a in learner["applications"]) == ["mus-1", "sys-1"]
    earner = ok(held.get(f"{SYS}/instances/e%40example.org"))
    assert sorted(i["badge"]["slug"] for i in earner["instances"]) == ["mus-1", "sys-1"]
    # the system renders without the issuer, and an update keeps the purge's mark
    system = ok(held.get(SYS))["system"]
    assert [issuer["slug"] for issuer in system["issuers"]] == ["museum"]
    assert ok(held.put(SYS, {"name": "Chicago 2"}))["system"]["name"] == "Chicago 2"
    assert held.get(f"{SYS}/badges/prg-1").status == 404
    assert slugs_listed(held, f"{SYS}/badges?archived=any") == (["sys-1", "mus-1"], 2)
    # a new issuer under the same slug starts empty; the badge slugs are free at once
    ok(held.post(f"{SYS}/issuers", {"slug": "library", "name": "L", "url": "http://x.org"}), 201)
    assert slugs_listed(held, f"{ISS}/badges?archived=any") == ([], 0)
    assert ok(held.get(f"{ISS}/codes"))["claimCodes"] == []
    ok(held.post(f"{ISS}/badges", minimal_badge("lib-1")), 201)
    assert slugs_listed(held, f"{ISS}/badges") == (["lib-1"], 1)
    assert slugs_listed(held, f"{SYS}/badges") == (["sys-1", "mus-1", "lib-1"], 3)
    assert public_locations(held) == ["lib-1", "mus-1", "sys-1"]
    assert ok(held.post(f"{ISS}/badges", minimal_badge("mus-1")), 409)["code"] == "ResourceConflict"
    # a rename onto a slug of the purge is free too; onto a live badge's slug it is not
    renamed = ok(held.put(f"{SYS}/badges/sys-1", {"slug": "prg-2"}))["badge"]
    assert renamed["slug"] == "prg-2"
    assert ok(held.put(f"{SYS}/badges/prg-2", {"slug": "mus-1"}), 409)["code"] == "ResourceConflict"
    assert slugs_listed(held, f"{SYS}/badges") == (["prg-2", "mus-1", "lib-1"], 3)


def test_readers_see_nothing_of_a_deleted_system_before_its_purge(held: Api) -> None:
    tree = make_tree(held)
    ok(held.delete(SYS))
    assert public_locations(held) == []
    assert ok(held.get("/public/badges?page=1&count=5", sign=False))["pageData"]["total"] == 0
    for slug in tree["where"]:
        reply = held.get(f"/public/assertions/{tree['assertions'][slug]}", sign=False)
        assert reply.status == 404
    ok(held.post("/systems", system_body("chicago")), 201)
    assert slugs_listed(held, f"{SYS}/badges?archived=any") == ([], 0)
    ok(held.post(f"{SYS}/badges", minimal_badge("prg-1")), 201)
    assert public_locations(held) == ["prg-1"]


# --- the purge ------------------------------------------------------------------------------------


def subtree_items(items: list[dict[str, Any]], badge_ids: set[int]) -> list[dict[str, Any]]:
    """Items of the table that belong to badges `badge_ids` (by id) or point at them: their
    partitions, support entries, items, assertions, and entries of any list (by member id)."""
    found = []
    for item in items:
        pk, sk = str(item["PK"]), str(item["SK"])
        tail = sk.rsplit("#", 1)[-1]
        owners = [
            int(pk.split("#")[1]) if pk.startswith(("BADGEID#", "SUPPORT#")) else 0,
            int(item["id"]) if item.get("entity") == "badge" else 0,
            int(item["badgeId"]) if item.get("entity") == "assertion" else 0,
            int(tail) if sk.startswith("LIST#BADGES#") and tail.isdigit() else 0,
            # container application entries: ...#<badge>#<created>#<id>
            int(sk.split("#")[-3]) if sk.startswith("LIST#APPS#") and sk.count("#") >= 7 else 0,
        ]
        if badge_ids.intersection(owners):
            found.append(item)
    return found


def test_the_purge_removes_the_subtree_and_a_redelivery_is_harmless(held: Api) -> None:
    make_tree(held, per_program=3)
    badge_ids = {
        ok(held.get(f"{prefix}/badges/{slug}"))["badge"]["id"]
        for slug, prefix in (("lib-1", ISS), ("prg-1", PRG), ("prg-2", PRG), ("prg-3", PRG))
    }
    stream = Stream(held)
    stream.unread()  # the set-up's records
    assert len(subtree_items(table_items(), badge_ids)) > 4 * 5
    ok(held.delete(ISS))
    ok(held.post(f"{SYS}/issuers", {"slug": "library", "name": "L", "url": "http://x.org"}), 201)
    ok(held.post(f"{ISS}/badges", minimal_badge("lib-1")), 201)  # takes the slug over
    delivered = stream.process()
    assert delivered
    assert {r["dynamodb"]["NewImage"]["entity"]["S"] for r in delivered} == {"purge"}
    assert delivered[0]["eventName"] == "INSERT"
    items = table_items()
    assert subtree_items(items, badge_ids) == []
    assert [i for i in items if i.get("entity") == "purge"] == []
    assert [i for i in items if "purging" in i] == []
    assert not [
        i
        for i in items
        if str(i["SK"]).startswith(("LIST#BADGES#ISSUER#1#", "LIST#BADGES#PROGRAM#"))
    ]
    assert not [i for i in items if i.get("entity") == "program"]
    # every record again: nothing changes, nothing fails
    stream.invoke(delivered)
    assert table_items() == items
    assert slugs_listed(held, f"{ISS}/badges") == (["lib-1"], 1)
    assert slugs_listed(held, f"{SYS}/badges?archived=any") == (["sys-1", "mus-1", "lib-1"], 3)
    codes = ok(held.get(f"{SYS}/codes"))
    assert sorted(code["code"] for code in codes["claimCodes"]) == ["code-mus-1", "code-sys-1"]


def test_the_purge_of_a_system_empties_its_partition(held: Api) -> None:
    make_tree(held, per_program=2)
    ok(held.post(f"{SYS}/consumers", {"apiKey": "k1"}), 201)
    stream = Stream(held)
    stream.unread()
    ok(held.delete(SYS))
    assert stream.process()
    items = table_items()
    assert [
        i
        for i in items
        if str(i["PK"]).startswith(
            ("SYS#", "BADGEID#", "ASSERTION#", "SUPPORT#", "BADGE#", "CONSUMER#", "PURGE#")
        )
    ] == []
    assert [i for i in items if "purging" in i or i.get("entity") == "purge"] == []


def test_the_purge_moves_on_in_bounded_steps(held: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from badgekit.domain import cascade

    monkeypatch.setattr(cascade, "BADGES_PER_STEP", 2)
    monkeypatch.setattr(cascade, "KEYS_PER_STEP", 5)
    make_tree(held, per_program=4)
    stream = Stream(held)
    stream.unread()
    ok(held.delete(ISS))
    (first,) = stream.delivered()
    stream.invoke([first])
    stream.invoke([first])  # delivered again (at least once): the job as it now is moves on
    delivered = [first, *stream.process()]
    # INSERT, then a MODIFY per step: 5 badges in steps of 2 (3 steps), leftovers in steps of 5
    assert [r["eventName"] for r in delivered][:4] == ["INSERT", "MODIFY", "MODIFY", "MODIFY"]
    assert len(delivered) >= 5
    assert [i for i in table_items() if i.get("entity") == "purge"] == []
    assert slugs_listed(held, f"{SYS}/badges?archived=any") == (["sys-1", "mus-1"], 2)


def test_a_failed_step_is_reported_and_its_retry_finishes(
    held: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from badgekit.domain import cascade

    make_tree(held, per_program=2)
    stream = Stream(held)
    stream.unread()
    ok(held.delete(PRG))
    real = cascade._purge_badge
    failures = []

    def flaky(*args: Any) -> None:
        if not failures:
            failures.append(args)
            raise RuntimeError("throttled")
        real(*args)

    monkeypatch.setattr(cascade, "_purge_badge", flaky)
    (first,) = stream.delivered()
    # the only record failed: the invocation fails (the mapping retries it, bisecting batches)
    with pytest.raises(BatchProcessingError, match="All records failed"):
        stream.function.invoke({"Records": [first]})
    assert slugs_listed(held, f"{SYS}/badges?archived=any") == (["sys-1", "lib-1", "mus-1"], 3)
    stream.invoke([first])  # the mapping's retry of the record
    stream.process()
    assert [i for i in table_items() if i.get("entity") == "purge" or "purging" in i] == []
    assert slugs_listed(held, f"{ISS}/badges?archived=any") == (["lib-1"], 1)


def test_a_deleted_systems_consumer_keys_are_unknown_and_free_before_its_purge(
    held: Api,
) -> None:
    ok(held.post("/systems", system_body("chicago")), 201)
    consumer = ok(held.post(f"{SYS}/consumers", {"apiKey": "frontend"}), 201)["consumer"]
    frontend = Api("frontend", consumer["apiSecret"])
    ok(frontend.get(SYS))
    stream = Stream(held)
    stream.unread()
    ok(held.delete(SYS))
    unknown = {"code": "NotAuthorized", "message": "Could not find consumer for API key"}
    assert frontend.get(SYS).json == unknown  # its system is gone
    ok(held.post("/systems", system_body("chicago")), 201)
    assert frontend.get(SYS).json == unknown  # a new system under the same slug
    # the key is free at once: a consumer of the new system takes it over
    fresh = ok(held.post(f"{SYS}/consumers", {"apiKey": "frontend"}), 201)["consumer"]
    again = ok(held.post(f"{SYS}/consumers", {"apiKey": "frontend"}), 409)
    assert again["message"] == "consumer with that `apiKey` already exists"
    stream.process()  # the purge leaves the newcomer alone
    ok(Api("frontend", fresh["apiSecret"]).get(SYS))
    assert frontend.get(SYS).json == {"code": "NotAuthorized", "message": "Invalid token signature"}


def test_milestones_leave_out_support_badges_of_a_deleted_issuer_before_its_purge(
    held: Api,
) -> None:
    make_tree(held)
    ids = {
        slug: ok(held.get(f"{prefix}/badges/{slug}"))["badge"]["id"]
        for slug, prefix in (("sys-1", SYS), ("prg-1", PRG), ("mus-1", OTHER))
    }
    body = {"primaryBadgeId": ids["sys-1"], "supportBadges": [ids["prg-1"], ids["mus-1"]]}
    milestone = ok(held.post(f"{SYS}/milestones", {**body, "numberRequired": 1}), 201)
    milestone_id = milestone["milestone"]["id"]
    ok(held.delete(ISS))
    shown = ok(held.get(f"{SYS}/milestones/{milestone_id}"))["milestone"]
    assert [b["slug"] for b in shown["supportBadges"]] == ["mus-1"]
    listed = ok(held.get(f"{SYS}/milestones"))["milestones"]
    assert [b["slug"] for b in listed[0]["supportBadges"]] == ["mus-1"]
    reply = held.post(
        f"{SYS}/milestones",
        {"primaryBadgeId": ids["mus-1"], "supportBadges": [ids["prg-1"]], "numberRequired": 1},
    )
    assert reply.status == 400
    assert [d["field"] for d in reply.json["details"]] == ["supportBadges[0]"]
    reply = held.post(f"{SYS}/milestones/{milestone_id}/add-badge", {"badgeId": ids["prg-1"]})
    assert reply.status == 400
    assert [d["field"] for d in reply.json["details"]] == ["badgeId"]
    Stream(held).process()  # the purge detaches it for good
    shown = ok(held.get(f"{SYS}/milestones/{milestone_id}"))["milestone"]
    assert [b["slug"] for b in shown["supportBadges"]] == ["mus-1"]


def test_pages_read_on_past_many_skipped_entries(
    held: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each further read past skipped entries takes one row at a time here, so filling a page
    behind the 5 skipped badges takes several Queries: the pages stay full and in order."""
    from badgekit.store import db

    monkeypatch.setattr(db, "LIVE_READ_MIN", 1)
    make_tree(held, per_program=4)  # ids: sys-1 1, lib-1 2, mus-1 3, prg-1..4 4-7
    ok(held.post(f"{SYS}/badges", minimal_badge("sys-2")), 201)  # id 8
    ok(held.delete(ISS))
    for page, slug in ((1, "sys-1"), (2, "mus-1"), (3, "sys-2")):
        assert slugs_listed(held, f"{SYS}/badges?page={page}&count=1") == ([slug], 3)
    assert slugs_listed(held, f"{SYS}/badges?page=2&count=2") == (["sys-2"], 3)
    assert slugs_listed(held, f"{SYS}/badges?page=4&count=1") == ([], 3)
    everything = ok(held.get("/public/badges?page=3&count=1", sign=False))
    assert [b["location"].rsplit("/", 1)[1] for b in everything["badgelist"]] == ["sys-2"]
    assert everything["pageData"] == {"page": 3, "count": 1, "total": 3}
