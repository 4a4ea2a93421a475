"""Claim codes over real HTTP against the local stack (spec claim-codes.md, README §1, §5, §7).

Each test builds its own system tree under `unique()` slugs (badge slugs are unique across the
deployment, so they are `unique()` too). The concurrency tests race real HTTP requests from
threads against the stack, whose embedded DynamoDB applies conditional writes one at a time like
DynamoDB does: they prove that claiming and creating are single conditional writes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.integration.conftest import StackProcess
from tests.support.client import OMIT, ApiClient

Unique = Callable[..., str]


@pytest.fixture
def http(stack: StackProcess) -> ApiClient:
    return ApiClient(stack.base_url, "master", stack.master_secret)


@dataclass
class Tree:
    """A system with an issuer and a program, and one badge owned by each level."""

    sys: str
    iss: str
    prg: str
    badges: dict[str, str]  # prefix -> slug of the badge owned by that level

    @property
    def levels(self) -> list[tuple[str, str]]:
        return list(self.badges.items())


def badge_body(slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": "Code Badge",
        "earnerDescription": "For earners",
        "consumerDescription": "For consumers",
        "criteriaUrl": "http://example.org/criteria",
        "unique": False,
        "imageUrl": "http://example.org/badge.png",
    }


def make_tree(api: ApiClient, unique: Unique) -> Tree:
    system = unique("sys")
    sys = f"/systems/{system}"
    body = {"slug": system, "name": "System", "url": "http://example.org"}
    assert api.post("/systems", json=body).status_code == 201
    iss, prg = f"{sys}/issuers/library", f"{sys}/issuers/library/programs/scratch"
    body = {"slug": "library", "name": "Library", "url": "http://lib.example.org"}
    assert api.post(f"{sys}/issuers", json=body).status_code == 201
    body = {"slug": "scratch", "name": "Scratch", "url": "http://s.example.org"}
    assert api.post(f"{iss}/programs", json=body).status_code == 201
    badges = {}
    for prefix in (sys, iss, prg):
        slug = unique("badge")
        assert api.post(f"{prefix}/badges", json=badge_body(slug)).status_code == 201
        badges[prefix] = slug
    return Tree(sys, iss, prg, badges)


@pytest.fixture
def tree(http: ApiClient, unique: Unique) -> Tree:
    return make_tree(http, unique)


def json_of(response: requests.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def badge_of(api: ApiClient, prefix: str, slug: str) -> dict[str, Any]:
    badge: dict[str, Any] = json_of(api.get(f"{prefix}/badges/{slug}"), 200)["badge"]
    return badge


def code_not_found(code: str) -> dict[str, str]:
    return {
        "code": "ResourceNotFound",
        "message": f"Could not find claimCode field: `code`, value: `{code}`",
    }


# --- the routes --------------------------------------------------------------------------------


def test_create_get_list_update_delete_at_every_level(http, tree):
    for prefix, slug in tree.levels:
        base = f"{prefix}/badges/{slug}/codes"
        badge = badge_of(http, prefix, slug)
        created = json_of(http.post(base, json={"code": "Test", "multiuse": True}), 201)
        assert list(created) == ["status", "claimCode", "badge"]
        code = created["claimCode"]
        assert list(code) == ["id", "code", "claimed", "email", "multiuse"]
        assert (code["code"], code["claimed"], code["email"], code["multiuse"]) == (
            "Test",
            False,
            None,
            True,
        )
        assert created["badge"] == badge
        second = json_of(http.post(base, json={"code": "two", "email": "a@b.co"}), 201)
        assert second["claimCode"]["id"] > code["id"]

        got = json_of(http.get(f"{base}/TEST"), 200)
        assert got == {"badge": badge, "claimCode": code}

        listed = json_of(http.get(base), 200)
        assert listed == {"claimCodes": [code, second["claimCode"]], "badge": badge}
        paged = json_of(http.get(f"{base}?page=2&count=1"), 200)
        assert paged["claimCodes"] == [second["claimCode"]]
        assert paged["pageData"] == {"page": 2, "count": 1, "total": 2}

        updated = json_of(http.put(f"{base}/test", json={"claimed": 1, "email": None}), 200)
        assert updated["status"] == "updated"
        assert updated["claimCode"] == {**code, "claimed": True}

        deleted = json_of(http.delete(f"{base}/test"), 200)
        assert deleted == {
            "status": "deleted",
            "claimCode": {**code, "claimed": True},
            "badge": badge,
        }
        assert json_of(http.delete(f"{base}/test"), 404) == code_not_found("test")
        after = json_of(http.get(f"{base}?page=1&count=5"), 200)
        assert after["pageData"]["total"] == 1


def test_errors_over_http(http, tree):
    base = f"{tree.sys}/badges/{tree.badges[tree.sys]}/codes"
    json_of(http.post(base, json={"code": "dup"}), 201)
    assert json_of(http.post(base, json={"code": "DUP", "claimed": "true"}), 409) == {
        "code": "ResourceConflict",
        "message": "claimCode with that `code` already exists",
        "details": {"code": "DUP", "email": None, "claimed": True, "multiuse": False},
    }
    assert json_of(http.post(base, json={"multiuse": 1}), 400) == {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": [{"message": "Required field", "field": "code", "value": ""}],
    }
    assert json_of(http.get(f"{base}/nope"), 404) == code_not_found("nope")
    other_level = f"{tree.iss}/badges/{tree.badges[tree.sys]}/codes/dup"
    assert json_of(http.get(other_level), 404) == {
        "code": "ResourceNotFound",
        "message": f"Could not find badge field: `slug`, value: `{tree.badges[tree.sys]}`",
    }
    wrong = http.delete(base)
    assert json_of(wrong, 405) == {
        "code": "MethodNotAllowedError",
        "message": "DELETE is not allowed",
    }
    assert wrong.headers["Allow"] == "GET, POST"
    # GET …/codes/random is the code named "random"
    assert json_of(http.get(f"{base}/random"), 404) == code_not_found("random")


def test_random_code_with_a_bodyless_post(http, tree):
    base = f"{tree.prg}/badges/{tree.badges[tree.prg]}/codes/random"
    # no body and no `body` claim (auth.md §7), as the official client sends it
    plain = json_of(http.post(base, claims={"body": OMIT}), 201)
    assert re.fullmatch(r"[0-9a-f]{10}", plain["claimCode"]["code"])
    assert plain["claimCode"]["multiuse"] is False
    hashed = json_of(http.post(base), 201)  # empty body with the empty string's hash
    assert hashed["claimCode"]["code"] != plain["claimCode"]["code"]
    with_fields = json_of(http.post(base, json={"multiuse": "true", "code": "ignored"}), 201)
    assert with_fields["claimCode"]["multiuse"] is True
    assert with_fields["claimCode"]["code"] != "ignored"


def test_claim_and_lookup(http, tree):
    prg_badge = tree.badges[tree.prg]
    base = f"{tree.prg}/badges/{prg_badge}/codes"
    json_of(http.post(base, json={"code": "single-use"}), 201)
    json_of(http.post(base, json={"code": "multi", "multiuse": True}), 201)

    found = json_of(http.get(f"{tree.sys}/codes/SINGLE-USE"), 200)
    assert found == {"badge": {**badge_of(http, tree.sys, prg_badge), "claimed": False}}
    assert json_of(http.get(f"{tree.iss}/codes/single-use"), 200)["badge"]["slug"] == prg_badge

    claimed = json_of(
        http.post(f"{base}/single-use/claim", json={"email": "brian@example.org"}), 200
    )
    assert claimed["status"] == "updated"
    assert claimed["claimCode"]["claimed"] is True
    assert claimed["claimCode"]["email"] == "brian@example.org"
    assert json_of(http.post(f"{base}/single-use/claim", json={}), 400) == {
        "code": "CodeAlreadyUsed",
        "message": "Claim code `single-use` has already been claimed",
    }
    assert json_of(http.get(f"{tree.prg}/codes/single-use"), 200)["badge"]["claimed"] is True

    for email in ("one", "two"):
        multi = json_of(http.post(f"{base}/multi/claim", json={"email": email}), 200)
        assert multi["claimCode"]["email"] == email
    assert json_of(http.get(f"{tree.prg}/codes/multi"), 200)["badge"]["claimed"] is False

    assert json_of(http.get(f"{tree.sys}/codes/nope"), 404) == {
        "code": "ResourceNotFound",
        "message": "Could not find the requested claim code nope",
    }
    assert json_of(http.post(f"{base}/nope/claim", json={}), 404) == code_not_found("nope")


def test_all_codes_of_a_container(http, tree):
    made = []
    for prefix, slug in tree.levels:
        code = json_of(http.post(f"{prefix}/badges/{slug}/codes", json={"code": "c"}), 201)
        made.append({**code["claimCode"], "badge": {"id": code["badge"]["id"], "slug": slug}})
    assert json_of(http.get(f"{tree.sys}/codes"), 200) == {"claimCodes": made}
    assert json_of(http.get(f"{tree.iss}/codes"), 200) == {"claimCodes": made[1:]}
    assert json_of(http.get(f"{tree.prg}/codes?page=1&count=5"), 200) == {
        "claimCodes": made[2:],
        "pageData": {"page": 1, "count": 5, "total": 1},
    }


# --- concurrency -----------------------------------------------------------------------------


def race(
    stack: StackProcess, count: int, send: Callable[[ApiClient], requests.Response]
) -> list[Any]:
    """`count` threads, each with its own connection, released together; (status, body) each."""
    barrier = threading.Barrier(count)

    def one(_: int) -> tuple[int, Any]:
        client = ApiClient(stack.base_url, "master", stack.master_secret)
        barrier.wait()
        response = send(client)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_concurrent_claims_of_a_single_use_code(http, tree, stack):
    base = f"{tree.iss}/badges/{tree.badges[tree.iss]}/codes"
    json_of(http.post(base, json={"code": "race"}), 201)
    results = race(
        stack,
        30,
        lambda client: client.post(
            f"{base}/race/claim", json={"email": f"{threading.get_ident()}@example.org"}
        ),
    )
    winners = [body for status, body in results if status == 200]
    losers = [body for status, body in results if status != 200]
    assert len(winners) == 1
    assert sorted({(status, body["code"]) for status, body in results if status != 200}) == [
        (400, "CodeAlreadyUsed")
    ]
    assert len(losers) == 29
    assert all(body["message"] == "Claim code `race` has already been claimed" for body in losers)
    stored = json_of(http.get(f"{base}/race"), 200)["claimCode"]
    assert stored["claimed"] is True
    assert stored["email"] == winners[0]["claimCode"]["email"]


def test_concurrent_creates_of_one_code(http, tree, stack):
    base = f"{tree.sys}/badges/{tree.badges[tree.sys]}/codes"
    results = race(stack, 20, lambda client: client.post(base, json={"code": "same"}))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 19
    assert {body["code"] for status, body in results if status == 409} == {"ResourceConflict"}
    listed = json_of(http.get(f"{base}?page=1&count=50"), 200)
    assert [code["code"] for code in listed["claimCodes"]] == ["same"]
    assert listed["pageData"]["total"] == 1
    winner = next(body for status, body in results if status == 201)
    assert listed["claimCodes"] == [winner["claimCode"]]
