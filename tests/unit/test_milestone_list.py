"""The milestone list (spec milestones.md M1) read only up to the end of its page: the list
header's exact `total`, kept in the transactions that create and delete milestones (the
milestone routes, the badge-delete cascade, the system delete), page boundaries, and the calls
and items of one page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.support.bodies import minimal_badge as badge_body
from tests.support.meter import metered
from tests.unit.conftest import Api, system_body
from tests.unit.test_directory import Trips

SYS = "/systems/chicago"
MS = f"{SYS}/milestones"


@pytest.fixture
def tree(api: Api) -> Api:
    """chicago with system-level badges b1-b4 (ids 1-4)."""
    assert api.post("/systems", system_body("chicago")).status == 201
    for slug in ("b1", "b2", "b3", "b4"):
        assert api.post(f"{SYS}/badges", badge_body(slug)).status == 201
    return api


def create(api: Api, primary: int, supports: list[int]) -> int:
    body = {"primaryBadgeId": primary, "numberRequired": 1, "supportBadges": supports}
    reply = api.post(MS, body)
    assert reply.status == 201, reply.json
    milestone_id: int = reply.json["milestone"]["id"]
    return milestone_id


def header_total() -> int | None:
    from badgekit.store import db, keys

    header = db.get(keys.milestones_header(1))
    return None if header is None else int(header["total"])


def listed(api: Api, query: str = "") -> tuple[list[int], Any]:
    reply = api.get(f"{MS}{query}")
    assert reply.status == 200, reply.json
    return [m["id"] for m in reply.json["milestones"]], reply.json.get("pageData")


def test_total_follows_creates_and_deletes(tree):
    assert header_total() is None
    ids = [create(tree, 1, [2]), create(tree, 2, [3]), create(tree, 3, [4])]
    assert ids == [1, 2, 3]
    assert header_total() == 3
    assert tree.delete(f"{MS}/2").status == 200
    assert header_total() == 2
    assert listed(tree, "?page=1&count=5") == ([1, 3], {"page": 1, "count": 5, "total": 2})
    # A second delete of the same milestone is a 404 and changes nothing.
    reply = tree.delete(f"{MS}/2")
    assert reply.status == 404
    assert reply.json == {
        "code": "ResourceNotFound",
        "message": "Could not find milestone field: `id`, value: `2`",
    }
    assert header_total() == 2


def test_failed_create_leaves_the_total(tree):
    create(tree, 1, [2])
    reply = tree.post(MS, {"primaryBadgeId": 99, "numberRequired": 1, "supportBadges": [2]})
    assert reply.status == 400
    assert header_total() == 1


def test_badge_delete_cascade_counts_the_milestones_it_deletes(tree):
    create(tree, 1, [2])
    create(tree, 2, [1, 3])  # keeps existing without badge 1 as support
    create(tree, 1, [3])
    create(tree, 3, [4])
    assert tree.delete(f"{SYS}/badges/b1").status == 200
    assert header_total() == 2
    assert listed(tree, "?page=1&count=1") == ([2], {"page": 1, "count": 1, "total": 2})
    assert listed(tree) == ([2, 4], None)


def test_system_delete_removes_the_header(tree):
    from badgekit.store import db, keys

    create(tree, 1, [2])
    create(tree, 2, [3])
    assert tree.delete(SYS).status == 200
    assert db.get(keys.milestones_header(1)) is None
    assert db.get(keys.milestone(1, 1)) is None


def test_page_boundaries(tree):
    for n in range(5):
        create(tree, 1 + n % 4, [1 + (n + 1) % 4])
    assert listed(tree, "?page=1&count=2") == ([1, 2], {"page": 1, "count": 2, "total": 5})
    assert listed(tree, "?page=2&count=2") == ([3, 4], {"page": 2, "count": 2, "total": 5})
    assert listed(tree, "?page=3&count=2") == ([5], {"page": 3, "count": 2, "total": 5})
    assert listed(tree, "?page=4&count=2") == ([], {"page": 4, "count": 2, "total": 5})
    assert listed(tree, "?page=1&count=5") == ([1, 2, 3, 4, 5], {"page": 1, "count": 5, "total": 5})
    assert listed(tree, "?page=1&count=9") == ([1, 2, 3, 4, 5], {"page": 1, "count": 9, "total": 5})
    assert listed(tree) == ([1, 2, 3, 4, 5], None)


def test_empty_list_without_header(tree):
    assert listed(tree, "?page=1&count=2") == ([], {"page": 1, "count": 2, "total": 0})
    assert listed(tree) == ([], None)


class Queries(Trips):
    """Trips, plus the Limit of every Query."""

    def __init__(self) -> None:
        super().__init__()
        self.limits: list[int | None] = []

    def query(self, params: dict[str, Any], **_: Any) -> None:
        self.limits.append(params.get("Limit"))


@pytest.fixture
def queries(tree: Api) -> Iterator[Queries]:
    counter = Queries()
    with metered():
        boto3.DEFAULT_SESSION.events.register("before-call.dynamodb", counter.record)
        boto3.DEFAULT_SESSION.events.register(
            "before-parameter-build.dynamodb.Query", counter.query
        )
        yield counter


def test_a_page_reads_up_to_its_end_in_two_round_trips(tree, queries):
    for n in range(12):
        create(tree, 1 + n % 4, [1 + (n + 1) % 4])
    assert tree.get(f"{MS}?page=2&count=3").status == 200  # fills the directory
    queries.limits = []
    calls, trips = queries.during(lambda: listed(tree, "?page=2&count=3"))
    # The path (one GetItem) with the list's Query made ahead, then the badges the page names.
    assert calls == ["BatchGetItem", "GetItem", "Query"]
    assert trips == 2
    assert queries.limits == [1 + 3 + 3]  # the header and the milestones up to the page's end


def test_unpaged_list_reads_the_whole_list(tree, queries):
    for n in range(3):
        create(tree, 1 + n, [4])
    assert tree.get(MS).status == 200
    queries.limits = []
    calls, trips = queries.during(lambda: listed(tree))
    assert calls == ["BatchGetItem", "GetItem", "Query"]
    assert trips == 2
    assert queries.limits == [None]
