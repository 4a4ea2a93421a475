"""Milestones over real HTTP against the local stack (spec milestones.md, badges.md `milestones`),
and the auto-award that the table's stream drives (MilestoneAwardFunction, polled by the stack).

Each test builds its own system under a `unique()` slug; badge slugs are global, so they are
`unique()` too. Badge ids are read from the create responses (the stack is shared, including
with tests whose transactions are cancelled: the stack re-attaches its stream pollers when moto
restores a table after a cancelled transaction).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.bodies import minimal_badge as badge_body
from tests.support.client import ApiClient

Unique = Callable[..., str]
AWARD_WAIT_S = 10.0


class Tree:
    """A system with `n` system-level badges: `badges[i]` is the Badge of `slugs[i]`."""

    def __init__(self, api: ApiClient, unique: Unique, n: int) -> None:
        self.api = api
        self.system = unique("sys")
        self.prefix = f"/systems/{self.system}"
        body = {"slug": self.system, "name": "System", "url": "http://example.org"}
        assert api.post("/systems", json=body).status_code == 201
        self.badges: list[dict[str, Any]] = []
        for _ in range(n):
            reply = api.post(f"{self.prefix}/badges", json=badge_body(unique("badge")))
            assert reply.status_code == 201, reply.text
            self.badges.append(reply.json()["badge"])

    def id(self, index: int) -> int:
        return int(self.badges[index]["id"])

    def slug(self, index: int) -> str:
        return str(self.badges[index]["slug"])

    @property
    def milestones(self) -> str:
        return f"{self.prefix}/milestones"

    def milestone(self, primary: int, supports: list[int], number: int = 1) -> dict[str, Any]:
        body = {
            "primaryBadgeId": self.id(primary),
            "numberRequired": number,
            "supportBadges": [self.id(i) for i in supports],
        }
        reply = self.api.post(self.milestones, json=body)
        assert reply.status_code == 201, reply.text
        milestone: dict[str, Any] = reply.json()["milestone"]
        return milestone

    def award(self, index: int, email: str) -> None:
        reply = self.api.post(
            f"{self.prefix}/badges/{self.slug(index)}/instances", json={"email": email}
        )
        assert reply.status_code == 201, reply.text

    def held(self, email: str) -> list[str]:
        reply = self.api.get(f"{self.prefix}/instances/{email.replace('@', '%40')}")
        assert reply.status_code == 200, reply.text
        return [instance["badge"]["slug"] for instance in reply.json()["instances"]]

    def wait_for(self, email: str, index: int) -> list[str]:
        """Poll the earner's instances until badge `index` is there (the awarder runs after the
        award's response, from the stream); returns the slugs held."""
        deadline = time.monotonic() + AWARD_WAIT_S
        while True:
            held = self.held(email)
            if self.slug(index) in held or time.monotonic() > deadline:
                return held
            time.sleep(0.2)


@pytest.fixture
def awarding(api: ApiClient) -> ApiClient:
    """The session's stack: its stream pollers run the awarder as Lambda's mapping would."""
    return api


@pytest.fixture
def email(unique: Unique) -> str:
    return f"{unique('earner')}@example.org"


# --- CRUD ----------------------------------------------------------------------------------


def test_milestone_crud_over_http(api: ApiClient, unique: Unique) -> None:
    tree = Tree(api, unique, 4)
    body = {
        "primaryBadgeId": tree.id(0),
        "numberRequired": 1,
        "supportBadges": [tree.id(2), tree.id(1)],
    }
    reply = api.post(tree.milestones, json=body)
    assert reply.status_code == 201
    assert reply.headers["Content-Type"].startswith("application/json")
    created = reply.json()
    assert list(created) == ["status", "milestone"]
    milestone = created["milestone"]
    assert list(milestone) == ["id", "action", "numberRequired", "primaryBadge", "supportBadges"]
    assert milestone["action"] == "issue"
    assert milestone["primaryBadge"] == tree.badges[0]
    assert milestone["supportBadges"] == [tree.badges[1], tree.badges[2]]
    path = f"{tree.milestones}/{milestone['id']}"

    assert api.get(path).json() == {"milestone": milestone}
    listed = api.get(f"{tree.milestones}?page=1&count=5").json()
    assert listed == {"milestones": [milestone], "pageData": {"page": 1, "count": 5, "total": 1}}
    badge = api.get(f"{tree.prefix}/badges/{tree.slug(0)}").json()["badge"]
    assert badge["milestones"] == [milestone]

    reply = api.put(path, json={"numberRequired": 2, "action": "queue-application"})
    assert reply.status_code == 200
    updated = reply.json()["milestone"]
    assert (updated["numberRequired"], updated["action"]) == (2, "queue-application")
    assert updated["supportBadges"] == milestone["supportBadges"]

    reply = api.post(f"{path}/add-badge", json={"badgeId": tree.id(3)})
    assert reply.status_code == 200
    assert [b["id"] for b in reply.json()["milestone"]["supportBadges"]] == [
        tree.id(1),
        tree.id(2),
        tree.id(3),
    ]
    assert api.post(f"{path}/add-badge", json={"badgeId": tree.id(3)}).json() == reply.json()
    reply = api.post(f"{path}/remove-badge", json={"badgeId": tree.id(1)})
    assert [b["id"] for b in reply.json()["milestone"]["supportBadges"]] == [
        tree.id(2),
        tree.id(3),
    ]

    deleted = api.delete(path)
    assert deleted.status_code == 200
    assert deleted.json() == {"status": "deleted"}
    gone = api.get(path)
    assert gone.status_code == 404
    assert gone.json() == {
        "code": "ResourceNotFound",
        "message": f"Could not find milestone field: `id`, value: `{milestone['id']}`",
    }
    assert api.delete(path).status_code == 404


def test_validation_and_not_found_over_http(api: ApiClient, unique: Unique) -> None:
    tree = Tree(api, unique, 1)
    other = Tree(api, unique, 1)
    body = {"primaryBadgeId": other.id(0), "numberRequired": "x", "supportBadges": ["y", 0]}
    reply = api.post(tree.milestones, json=body)
    assert reply.status_code == 400
    assert reply.json() == {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": [
            {"message": "Unknown badge", "field": "primaryBadgeId", "value": other.id(0)},
            {"message": "Invalid integer", "field": "numberRequired", "value": "x"},
            {"message": "Invalid integer", "field": "supportBadges[0]", "value": "y"},
            {"message": "Unknown badge", "field": "supportBadges[1]", "value": ""},
        ],
    }
    made = other.milestone(0, [0])
    reply = api.get(f"{tree.milestones}/{made['id']}")  # a milestone of another system
    assert reply.status_code == 404
    assert reply.json()["message"] == f"Could not find milestone field: `id`, value: `{made['id']}`"
    assert api.get(f"{tree.milestones}/abc").status_code == 404


def test_deleting_badges_cascades_to_milestones(api: ApiClient, unique: Unique) -> None:
    tree = Tree(api, unique, 3)
    first = tree.milestone(0, [1, 2])
    second = tree.milestone(1, [0, 2])
    assert api.delete(f"{tree.prefix}/badges/{tree.slug(0)}").status_code == 200
    assert api.get(f"{tree.milestones}/{first['id']}").status_code == 404
    (remaining,) = api.get(tree.milestones).json()["milestones"]
    assert remaining["id"] == second["id"]
    assert [b["id"] for b in remaining["supportBadges"]] == [tree.id(2)]


def test_concurrent_add_badge_requests_all_land(api: ApiClient, unique: Unique) -> None:
    """Every write is conditioned on the milestone's version and retried from a fresh read:
    eight clients adding eight different badges at once all succeed and none is lost."""
    tree = Tree(api, unique, 9)
    made = tree.milestone(0, [])
    path = f"{tree.milestones}/{made['id']}/add-badge"
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def add(index: int) -> None:
        barrier.wait()
        statuses.append(
            api.with_key(api.key, api.secret)
            .post(path, json={"badgeId": tree.id(index)})
            .status_code
        )

    threads = [threading.Thread(target=add, args=(i,)) for i in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
    final = api.get(f"{tree.milestones}/{made['id']}").json()["milestone"]
    assert [b["id"] for b in final["supportBadges"]] == [tree.id(i) for i in range(1, 9)]


# --- auto-award ------------------------------------------------------------------------------


def test_award_triggers_the_milestone_badge(
    awarding: ApiClient, unique: Unique, email: str
) -> None:
    """The spec's worked example over HTTP: the earner holds support badge B before the
    milestone exists; being awarded support badge A earns the primary badge P."""
    tree = Tree(awarding, unique, 3)  # 0: P, 1: A, 2: B
    tree.award(2, email)
    tree.milestone(0, [1, 2])
    tree.award(1, email)
    held = tree.wait_for(email, 0)
    assert held == [tree.slug(2), tree.slug(1), tree.slug(0)]
    instance = awarding.get(
        f"{tree.prefix}/badges/{tree.slug(0)}/instances/{email.replace('@', '%40')}"
    ).json()["instance"]
    assert (instance["claimCode"], instance["expires"]) == (None, None)


def test_no_chained_awards(awarding: ApiClient, unique: Unique, email: str) -> None:
    """P (awarded by milestone 1) supports milestone 2, which must not fire. The stream is read
    in order, so once a later award's milestone badge M appears, P's event was seen before."""
    tree = Tree(awarding, unique, 5)  # 0: P, 1: S, 2: C (primary of the chain), 3: R, 4: M
    tree.milestone(0, [1])
    tree.milestone(2, [0])
    tree.milestone(4, [3])
    tree.award(1, email)
    assert tree.wait_for(email, 0) == [tree.slug(1), tree.slug(0)]
    tree.award(3, email)
    held = tree.wait_for(email, 4)
    assert held == [tree.slug(1), tree.slug(0), tree.slug(3), tree.slug(4)]


def test_concurrent_awards_complete_a_milestone_once(
    awarding: ApiClient, unique: Unique, email: str
) -> None:
    """Two support badges awarded at the same moment, two required: whichever awarder runs
    second sees both instances (strongly consistent reads), and the (badge, email) guard makes
    the primary badge exist once however many records see it eligible."""
    tree = Tree(awarding, unique, 3)
    tree.milestone(0, [1, 2], 2)
    barrier = threading.Barrier(2)

    def award(index: int) -> None:
        barrier.wait()
        tree.award(index, email)

    threads = [threading.Thread(target=award, args=(i,)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    held = tree.wait_for(email, 0)
    assert sorted(held) == sorted([tree.slug(0), tree.slug(1), tree.slug(2)])
    listed = awarding.get(f"{tree.prefix}/badges/{tree.slug(0)}/instances").json()["instances"]
    assert [i["email"] for i in listed] == [email]
