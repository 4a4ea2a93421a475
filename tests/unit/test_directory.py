"""The directory of slugs and ids (`store/directory.py`) and the read-ahead of GET requests
(`store/prefetch.py`, `http/resolve.prefetch_path`): a warm directory saves round trips, and a
rename, a delete or a slug taken over by a new item never serves stale data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.bodies import minimal_badge
from tests.support.meter import Trips, counting_trips
from tests.unit.conftest import Api, system_body

SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
PRG = f"{ISS}/programs/scratch"
EMAIL = "learner@example.org"


def not_found(model: str, value: str, field: str = "slug") -> dict[str, str]:
    return {
        "code": "ResourceNotFound",
        "message": f"Could not find {model} field: `{field}`, value: `{value}`",
    }


def container(slug: str) -> dict[str, str]:
    return {"slug": slug, "name": slug.title(), "url": "http://example.org"}


@pytest.fixture
def tree(api: Api) -> Api:
    assert api.post("/systems", system_body("chicago")).status == 201
    assert api.post(f"{SYS}/issuers", container("library")).status == 201
    assert api.post(f"{ISS}/programs", container("scratch")).status == 201
    assert api.post(f"{PRG}/badges", minimal_badge("p-badge")).status == 201
    assert api.post(f"{SYS}/badges", minimal_badge("s-badge")).status == 201
    return api


def warm(api: Api, path: str) -> dict[str, Any]:
    """GET `path` twice (the first fills the directory); the second reply's body."""
    assert api.get(path).status == 200
    reply = api.get(path)
    assert reply.status == 200, reply.json
    body: dict[str, Any] = reply.json
    return body


@pytest.fixture
def trips(tree: Api) -> Iterator[Trips]:
    with counting_trips() as counter:
        yield counter


# --- renames, deletes and re-creates with a warm directory --------------------------------------


def test_renamed_system_is_not_found_at_its_old_slug(tree):
    warm(tree, f"{PRG}/badges/p-badge")
    assert tree.put(SYS, {"slug": "metropolis"}).status == 200
    for path in (SYS, ISS, PRG, f"{PRG}/badges/p-badge", f"/public{SYS}"):
        reply = tree.get(path, sign=not path.startswith("/public"))
        assert reply.status == 404, path
        assert reply.json == not_found("system", "chicago")
    body = tree.get("/systems/metropolis/issuers/library/programs/scratch/badges/p-badge").json
    assert body["badge"]["system"]["slug"] == "metropolis"


def test_renamed_issuer_and_program(tree):
    warm(tree, f"{PRG}/badges/p-badge")
    assert tree.put(ISS, {"slug": "museum"}).status == 200
    reply = tree.get(f"{PRG}/badges/p-badge")
    assert (reply.status, reply.json) == (404, not_found("issuer", "library"))
    new_issuer = f"{SYS}/issuers/museum"
    assert tree.get(f"{new_issuer}/programs/scratch").json["program"]["slug"] == "scratch"
    # the badge's nested issuer, read by id where it was last seen: the new slug
    assert tree.get(f"{SYS}/badges/p-badge").json["badge"]["issuer"]["slug"] == "museum"

    warm(tree, f"{new_issuer}/programs/scratch/badges/p-badge")
    assert tree.put(f"{new_issuer}/programs/scratch", {"slug": "python"}).status == 200
    reply = tree.get(f"{new_issuer}/programs/scratch")
    assert (reply.status, reply.json) == (404, not_found("program", "scratch"))
    badge = tree.get(f"{SYS}/badges/p-badge").json["badge"]
    assert (badge["issuer"]["slug"], badge["program"]["slug"]) == ("museum", "python")
    document = tree.get(f"/public{new_issuer}/programs/python/badges/p-badge", sign=False).json
    organisation = "/public/systems/chicago/issuers/museum/programs/python"
    assert document["issuer"] == f"https://badges.example.org{organisation}"


def test_renamed_badge_by_slug_and_by_id(tree):
    reply = tree.post(f"{SYS}/badges/s-badge/instances", {"email": EMAIL})
    assertion = reply.json["instance"]["assertionUrl"].split("/public/")[1]
    milestone = {"primaryBadgeId": 2, "numberRequired": 1, "supportBadges": [1]}
    assert tree.post(f"{SYS}/milestones", milestone).status == 201
    warm(tree, f"{SYS}/badges/s-badge")
    warm(tree, f"{SYS}/milestones/1")
    first = tree.get(f"/public/{assertion}", sign=False).json
    assert first["badge"].endswith("/public/systems/chicago/badges/s-badge")

    assert tree.put(f"{SYS}/badges/s-badge", {"slug": "renamed"}).status == 200
    reply = tree.get(f"{SYS}/badges/s-badge")
    assert (reply.status, reply.json) == (404, not_found("badge", "s-badge"))
    assert tree.get(f"{SYS}/badges/renamed").json["badge"]["id"] == 2
    # by id: the directory still says `s-badge`, whose key is now empty
    assert tree.get(f"{SYS}/milestones/1").json["milestone"]["primaryBadge"]["slug"] == "renamed"
    document = tree.get(f"/public/{assertion}", sign=False).json
    assert document["badge"].endswith("/public/systems/chicago/badges/renamed")

    # the old slug taken by a new badge (id 3): by-id reads of badge 2 must not take it
    assert tree.post(f"{SYS}/badges", minimal_badge("s-badge")).status == 201
    assert tree.get(f"{SYS}/badges/s-badge").json["badge"]["id"] == 3
    assert tree.get(f"{SYS}/milestones/1").json["milestone"]["primaryBadge"]["slug"] == "renamed"
    document = tree.get(f"/public/{assertion}", sign=False).json
    assert document["badge"].endswith("/public/systems/chicago/badges/renamed")
    listed = tree.get(f"{SYS}/instances/{EMAIL}").json["instances"]
    assert [item["badge"]["slug"] for item in listed] == ["renamed"]


def test_deleted_and_recreated_containers_and_badge_are_the_new_ones(tree):
    warm(tree, f"{PRG}/badges/p-badge/codes")
    warm(tree, f"{ISS}")
    assert tree.delete(SYS).status == 200
    reply = tree.get(ISS)
    assert (reply.status, reply.json) == (404, not_found("system", "chicago"))
    assert tree.post("/systems", system_body("chicago")).status == 201
    reply = tree.get(ISS)
    assert (reply.status, reply.json) == (404, not_found("issuer", "library"))
    assert tree.post(f"{SYS}/issuers", container("library")).status == 201
    assert tree.post(f"{ISS}/programs", container("scratch")).status == 201
    system = tree.get(SYS).json["system"]
    assert (system["id"], system["issuers"][0]["id"]) == (2, 2)
    assert tree.get(ISS).json["issuer"]["programs"][0]["id"] == 2
    assert tree.get(PRG).json["program"]["id"] == 2
    reply = tree.get(f"{PRG}/badges/p-badge")
    assert reply.status == 404  # the old badge went with its system
    assert tree.post(f"{SYS}/badges", minimal_badge("p-badge")).status == 201
    badge = tree.get(f"{SYS}/badges/p-badge").json["badge"]
    assert (badge["id"], "issuer" in badge) == (3, False)
    reply = tree.get(f"{PRG}/badges/p-badge")  # now a system-level badge: not under the program
    assert (reply.status, reply.json) == (404, not_found("badge", "p-badge"))


def test_deleted_and_recreated_badge_child(tree):
    path = f"{SYS}/badges/s-badge/codes/abc"
    assert tree.post(f"{SYS}/badges/s-badge/codes", {"code": "abc"}).status == 201
    warm(tree, path)
    warm(tree, f"{SYS}/codes/abc")
    assert tree.delete(f"{SYS}/badges/s-badge").status == 200
    assert tree.post(f"{SYS}/badges", minimal_badge("s-badge")).status == 201
    reply = tree.get(path)
    assert (reply.status, reply.json) == (404, not_found("claimCode", "abc", "code"))
    reply = tree.get(f"{SYS}/codes/abc")
    assert (reply.status, reply.json) == (
        404,
        {"code": "ResourceNotFound", "message": "Could not find the requested claim code abc"},
    )
    assert tree.post(f"{SYS}/badges/s-badge/codes", {"code": "abc"}).status == 201
    assert tree.get(path).json["badge"]["id"] == 3
    assert tree.get(f"{SYS}/codes/abc").json["badge"]["id"] == 3


# --- round trips of a warm request ------------------------------------------------------------


def test_warm_gets_read_their_path_in_one_round_trip(tree, trips):
    consumer = tree.post(f"{SYS}/consumers", {"apiKey": "frontend"}).json["consumer"]
    frontend = Api("frontend", consumer["apiSecret"])
    instance = tree.post(f"{PRG}/badges/p-badge/instances", {"email": EMAIL}).json["instance"]
    hosted = instance["assertionUrl"].split("/public/")[1]
    assert tree.post(f"{PRG}/badges/p-badge/codes", {"code": "abc"}).status == 201
    expected = [
        # consumer, system, issuer, program and badge (its count of primary milestones, 0,
        # spares the milestones Query)
        (frontend, f"{PRG}/badges/p-badge", ["BatchGetItem"], 1),
        (tree, f"{SYS}/badges/p-badge", ["BatchGetItem"], 1),
        (frontend, f"{SYS}", ["BatchGetItem", "Query"], 1),
        (tree, f"{ISS}", ["BatchGetItem", "Query"], 1),
        (frontend, f"{PRG}", ["BatchGetItem"], 1),
        (tree, f"{PRG}/badges/p-badge/codes/abc", ["BatchGetItem"], 1),
        (tree, f"{PRG}/badges/p-badge/instances/{EMAIL}", ["BatchGetItem"], 1),
        (tree, f"/public/{hosted}", ["BatchGetItem"], 1),
        (tree, f"/public{PRG}/badges/p-badge", ["BatchGetItem"], 1),
        (tree, f"/public{PRG}", ["BatchGetItem"], 1),
        # the container and the index, then the code (or instances) with their badges
        (tree, f"{SYS}/codes/abc", ["BatchGetItem", "GetItem", "Query"], 2),
        (frontend, f"{ISS}/codes/abc", ["BatchGetItem", "BatchGetItem", "Query"], 2),
        (tree, f"{SYS}/instances/{EMAIL}", ["BatchGetItem", "GetItem", "Query"], 2),
    ]
    for client, path, calls, round_trips in expected:
        public = path.startswith("/public")
        assert client.get(path, sign=not public).status == 200  # fills the directory
        measured = trips.during(lambda c=client, p=path, s=not public: c.get(p, sign=s))
        assert measured == (calls, round_trips), path


def test_cold_directory_reads_as_before(tree, trips):
    from badgekit.store import directory

    directory.clear()
    assert trips.during(lambda: tree.get(f"{PRG}/badges/p-badge")) == (
        ["BatchGetItem", "GetItem", "GetItem"],
        3,  # system and badge, issuer, program: as without it (no milestones: no Query)
    )
    assert directory.size() > 0


def test_unseen_assertion_of_a_known_badge_reads_it_then_badge_and_system_together(tree, trips):
    warm(tree, f"{SYS}/badges/s-badge")  # the directory knows the badge and the system
    instance = tree.post(f"{SYS}/badges/s-badge/instances", {"email": EMAIL}).json["instance"]
    hosted = f"/public/{instance['assertionUrl'].split('/public/')[1]}"
    calls, round_trips = trips.during(lambda: tree.get(hosted, sign=False))
    assert (calls, round_trips) == (["BatchGetItem", "GetItem"], 2)
    document = tree.get(hosted, sign=False).json
    assert document["badge"].endswith("/public/systems/chicago/badges/s-badge")


def test_revoked_assertion_reads_only_its_tombstone(tree, trips):
    instance = tree.post(f"{SYS}/badges/s-badge/instances", {"email": EMAIL}).json["instance"]
    hosted = f"/public/{instance['assertionUrl'].split('/public/')[1]}"
    warm(tree, hosted)
    assert trips.during(lambda: tree.get(hosted, sign=False)) == (["BatchGetItem"], 1)
    assert tree.delete(f"{SYS}/badges/s-badge/instances/{EMAIL}").status == 200
    reply = tree.get(hosted, sign=False)
    assert (reply.status, reply.json) == (410, {"revoked": True})
    assert trips.during(lambda: tree.get(hosted, sign=False)) == (["GetItem"], 1)


def test_webhook_deliveries_read_the_system_and_the_webhook_together(tree, trips):
    hook = {"url": "https://hooks.example.org/badges", "secret": "s3cret"}
    assert tree.post(f"{SYS}/webhooks", hook).status == 201
    path = f"{SYS}/webhooks/1/deliveries"
    warm(tree, path)
    assert trips.during(lambda: tree.get(path)) == (["BatchGetItem", "Query"], 2)
    reply = tree.get(f"{SYS}/webhooks/2/deliveries")
    assert (reply.status, reply.json) == (404, not_found("webhook", "2", "id"))


# --- badge lists: the page's issuers and programs, not every container of the system ------------


def nested(body: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """(badge slug, nested issuer name, nested program name) of a badge list's items."""
    return [
        (
            badge["slug"],
            badge.get("issuer", {}).get("name"),
            badge.get("program", {}).get("name"),
        )
        for badge in body["badges"]
    ]


def test_warm_badge_lists_read_the_page_with_its_containers(tree, trips):
    assert tree.post(f"{ISS}/badges", minimal_badge("i-badge")).status == 201
    expected = [
        # the list's Query (its partition from the directory), then the path's system with
        # the page's badges and the issuer and program they nest (one BatchGetItem)
        (f"{SYS}/badges?page=1&count=10", ["BatchGetItem", "Query"]),
        (f"{SYS}/badges?archived=any", ["BatchGetItem", "Query", "Query"]),
        # the same with the path's issuer
        (f"{ISS}/badges", ["BatchGetItem", "Query"]),
        # the path is the page's whole context: its system, issuer and program and the badge
        (f"{PRG}/badges", ["BatchGetItem", "Query"]),
    ]
    for path, calls in expected:
        body = warm(tree, path)
        measured = trips.during(lambda p=path: tree.get(p))
        assert measured == (calls, 2), path
        assert tree.get(path).json == body
    body = warm(tree, f"{SYS}/badges")
    assert nested(body) == [
        ("p-badge", "Library", "Scratch"),
        ("s-badge", None, None),
        ("i-badge", "Library", None),
    ]
    # every system's badges: the lists' Query, then the badges with their systems, issuers
    # and programs
    path = "/public/badges?page=1&count=2"
    warm(tree, path)
    assert trips.during(lambda: tree.get(path, sign=False)) == (["BatchGetItem", "Query"], 2)
    assert tree.get(path, sign=False).json == {
        "badgelist": [
            {
                "location": "https://badges.example.org/public/systems/chicago/issuers/library"
                "/programs/scratch/badges/p-badge"
            },
            {"location": "https://badges.example.org/public/systems/chicago/badges/s-badge"},
        ],
        "pageData": {"page": 1, "count": 2, "total": 3},
    }


def test_badge_list_after_a_rename_of_its_issuer_and_program(tree, trips):
    path = f"{SYS}/badges"
    warm(tree, path)
    assert tree.put(ISS, {"slug": "museum", "name": "Museum"}).status == 200
    program = f"{SYS}/issuers/museum/programs/scratch"
    assert tree.put(program, {"slug": "python", "name": "Python"}).status == 200
    # the directory in this process learnt nothing of the renames (as in another container)
    from badgekit.store import directory

    directory.learn({"entity": "issuer", "id": 1, "systemId": 1, "slug": "library"})
    directory.learn({"entity": "program", "id": 1, "systemId": 1, "issuerId": 1, "slug": "scratch"})
    calls, _ = trips.during(lambda: tree.get(path))
    body = tree.get(path).json
    assert nested(body) == [("p-badge", "Museum", "Python"), ("s-badge", None, None)]
    issuer = body["badges"][0]["issuer"]
    assert (issuer["slug"], body["badges"][0]["program"]["slug"]) == ("museum", "python")
    # the guesses missed: found by id (GSI1) and read at their new keys, the system's
    # containers never queried
    assert calls == ["BatchGetItem", "BatchGetItem", "Query", "Query", "Query"]
    assert trips.during(lambda: tree.get(path)) == (["BatchGetItem", "Query"], 2)
    # a name changed in place (same key) is read as it is now too
    assert tree.put(f"{SYS}/issuers/museum", {"name": "Gallery"}).status == 200
    assert nested(tree.get(path).json)[0] == ("p-badge", "Gallery", "Python")


def test_cold_badge_list_reads_its_containers_by_id(tree, trips):
    from badgekit.store import directory

    path = f"{SYS}/badges"
    body = warm(tree, path)
    directory.clear()
    # the system, the list's Query, the badges, then the issuer and program by id (GSI1,
    # concurrently) and at the keys found (BatchGetItem): never every container of the system
    assert trips.during(lambda: tree.get(path)) == (
        ["BatchGetItem", "BatchGetItem", "GetItem", "Query", "Query", "Query"],
        5,
    )
    assert tree.get(path).json == body
    directory.clear()
    reply = tree.get("/public/badges", sign=False)
    assert reply.json == {
        "badgelist": [
            {
                "location": "https://badges.example.org/public/systems/chicago/issuers/library"
                "/programs/scratch/badges/p-badge"
            },
            {"location": "https://badges.example.org/public/systems/chicago/badges/s-badge"},
        ]
    }


def test_cold_badge_list_past_two_missing_containers_reads_them_in_one_query(tree, trips):
    from badgekit.store import directory

    assert tree.post(f"{SYS}/issuers", container("museum")).status == 201
    assert tree.post(f"{SYS}/issuers/museum/badges", minimal_badge("m-badge")).status == 201
    path = f"{SYS}/badges"
    body = warm(tree, path)
    assert nested(body) == [
        ("p-badge", "Library", "Scratch"),
        ("s-badge", None, None),
        ("m-badge", "Museum", None),
    ]
    directory.clear()
    # the system, the list's Query, the badges, then the system's containers in one Query (3
    # missing: library, scratch, museum), not one GSI1 Query each
    assert trips.during(lambda: tree.get(path)) == (
        ["BatchGetItem", "GetItem", "Query", "Query"],
        4,
    )
    assert tree.get(path).json == body


def test_badge_get_with_and_without_primary_milestones(tree, trips):
    body = {"primaryBadgeId": 1, "numberRequired": 1, "supportBadges": [2]}
    warm(tree, f"{SYS}/badges/s-badge")
    # count 0: the badge with its path, nothing else
    assert trips.during(lambda: tree.get(f"{SYS}/badges/s-badge")) == (["BatchGetItem"], 1)
    assert tree.post(f"{SYS}/milestones", body).status == 201  # p-badge (id 1) is its primary
    warm(tree, f"{PRG}/badges/p-badge")
    # count 1, seen so: the Query ahead with the path, then the milestone with its badges
    assert trips.during(lambda: tree.get(f"{PRG}/badges/p-badge")) == (
        ["BatchGetItem", "BatchGetItem", "Query"],
        2,
    )
    assert tree.get(f"{PRG}/badges/p-badge").json["badge"]["milestones"][0]["id"] == 1


def test_award_reserves_its_id_while_its_path_resolves(tree, trips):
    from badgekit.store import db, keys

    def counter() -> int:
        item = db.get(keys.id_counters())
        return int(item["instance"]) if item and "instance" in item else 0

    path = f"{SYS}/badges/s-badge/instances"
    replies: list[Any] = []
    award = lambda body, p=path: replies.append(tree.post(p, body))  # noqa: E731
    # system and badge (BatchGetItem) with the id counter (UpdateItem), then the transaction
    assert trips.during(lambda: award({"email": EMAIL})) == (
        ["BatchGetItem", "TransactWriteItems", "UpdateItem"],
        2,
    )
    assert replies[-1].status == 201
    assert counter() == 1
    # an invalid body reserves nothing; with an unknown badge the 404 still comes first
    assert trips.during(lambda: award({"email": "nope"})) == (["BatchGetItem"], 1)
    assert replies[-1].status == 400
    assert replies[-1].json["details"] == [
        {"message": "Invalid email", "field": "email", "value": "nope"}
    ]
    award({"email": "nope"}, f"{SYS}/badges/nowhere/instances")
    assert (replies[-1].status, replies[-1].json) == (404, not_found("badge", "nowhere"))
    assert counter() == 1
    # a valid award that then fails (unknown badge, already awarded) leaves a gap in the ids
    award({"email": EMAIL}, f"{SYS}/badges/nowhere/instances")
    assert (replies[-1].status, replies[-1].json) == (404, not_found("badge", "nowhere"))
    award({"email": EMAIL})
    assert replies[-1].status == 409
    assert counter() == 3
    award({"email": "second@example.org"})
    assert replies[-1].status == 201
    assert counter() == 4


def test_badge_list_of_a_deleted_or_recreated_system_with_a_warm_directory(tree, trips):
    """The list's Query is made in the partition the directory guesses, and the path's system
    read with the page: a system deleted meanwhile is the 404, one re-created under its slug
    (a new id) lists its own badges, not the old ones."""
    path = f"{SYS}/badges"
    assert [b["slug"] for b in warm(tree, path)["badges"]] == ["p-badge", "s-badge"]
    assert tree.delete(SYS).status == 200
    reply = tree.get(path)
    assert (reply.status, reply.json) == (404, not_found("system", "chicago"))
    assert tree.post("/systems", system_body("chicago")).status == 201
    assert tree.post(f"{SYS}/badges", minimal_badge("new-badge")).status == 201
    from badgekit.store import directory

    directory.learn({"entity": "system", "id": 1, "slug": "chicago"})  # the old id, as before
    replies: list[Any] = []
    calls, _ = trips.during(lambda: replies.append(tree.get(path)))
    assert replies[-1].status == 200
    assert [b["slug"] for b in replies[-1].json["badges"]] == ["new-badge"]
    assert replies[-1].json["badges"][0]["system"]["id"] == 2
    # the guess missed: the old id's (empty) list Query, then the system (GetItem), then the
    # list read as without the directory (its Query, its one badge: GetItem)
    assert calls == ["GetItem", "GetItem", "Query", "Query"]
