"""Badge instances and hosted assertions over real HTTP against the local stack (issuing.md).

Each test builds its own system under a `unique()` slug (badge and instance slugs are unique
across the deployment, so they are `unique()` too). The chain a verifier follows — assertion →
badge class → issuer organisation — is fetched from the stack's own base URL. The concurrency
tests fire simultaneous requests from threads to prove the conditional writes: one instance per
(badge, email), and a single-use claim code claimed at most once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.support.client import ApiClient, simultaneously

Unique = Callable[..., str]
INSTANCE_KEYS = ["slug", "email", "expires", "issuedOn", "claimCode", "assertionUrl", "badge"]


@dataclass
class Tree:
    slug: str
    issuer: str
    program: str

    @property
    def sys(self) -> str:
        return f"/systems/{self.slug}"

    @property
    def iss(self) -> str:
        return f"{self.sys}/issuers/{self.issuer}"

    @property
    def prg(self) -> str:
        return f"{self.iss}/programs/{self.program}"


def badge_body(slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": "Chicago Badge",
        "earnerDescription": "For earners",
        "consumerDescription": "For consumers",
        "unique": 0,
        "imageUrl": "http://example.org/test.png",
        "criteriaUrl": "http://example.org/criteria",
    }


@pytest.fixture
def tree(api: ApiClient, unique: Unique) -> Tree:
    made = Tree(unique("sys"), unique("iss"), unique("prg"))
    system = {"slug": made.slug, "name": "Chicago", "url": "http://example.org"}
    assert api.post("/systems", json=system).status_code == 201
    issuer = {"slug": made.issuer, "name": "Library", "url": "http://lib.org"}
    assert api.post(f"{made.sys}/issuers", json=issuer).status_code == 201
    program = {"slug": made.program, "name": "Scratch", "url": "http://s.org"}
    assert api.post(f"{made.iss}/programs", json=program).status_code == 201
    return made


def make_badge(api: ApiClient, prefix: str, slug: str) -> dict[str, Any]:
    reply = api.post(f"{prefix}/badges", json=badge_body(slug))
    assert reply.status_code == 201, reply.text
    badge: dict[str, Any] = reply.json()["badge"]
    return badge


def enc(email: str) -> str:
    return email.replace("@", "%40")


def path_of(api: ApiClient, url: str) -> str:
    assert url.startswith(api.base_url + "/"), url
    return url.removeprefix(api.base_url)


def test_award_get_list_revoke_and_assertion_chain(api, unique, tree):
    badge_slug = unique("badge")
    make_badge(api, tree.prg, badge_slug)
    email = f"{unique('earner')}@example.org"
    reply = api.post(
        f"{tree.sys}/badges/{badge_slug}/instances",
        json={"email": email, "issuedOn": 1402408977, "expires": 1420070400, "comment": "Hi"},
    )
    assert reply.status_code == 201, reply.text
    assert reply.headers["Content-Type"].startswith("application/json")
    instance = reply.json()["instance"]
    assert list(instance) == INSTANCE_KEYS
    assert reply.headers["Location"] == f"/public/assertions/{instance['slug']}"
    assert instance["assertionUrl"] == f"{api.base_url}/public/assertions/{instance['slug']}"
    assert (instance["issuedOn"], instance["expires"]) == (
        "2014-06-10T14:02:57.000Z",
        "2015-01-01T00:00:00.000Z",
    )
    assert instance["badge"] == api.get(f"{tree.prg}/badges/{badge_slug}").json()["badge"]

    for prefix in (tree.sys, tree.iss, tree.prg):
        got = api.get(f"{prefix}/badges/{badge_slug}/instances/{enc(email.upper())}")
        assert got.status_code == 200
        assert got.json() == {"instance": instance}
        assert api.get(f"{prefix}/badges/{badge_slug}/instances").json() == {
            "instances": [instance]
        }
        assert api.get(f"{prefix}/instances/{enc(email)}?page=1&count=1").json() == {
            "instances": [instance],
            "pageData": {"page": 1, "count": 1, "total": 1},
        }

    # The verifier's chain, all public and absolute under the stack's base URL.
    assertion = requests.get(instance["assertionUrl"], timeout=10)
    assert assertion.status_code == 200
    document = assertion.json()
    digest = hashlib.sha256(email.encode()).hexdigest()
    assert document == {
        "uid": instance["slug"],
        "recipient": {"identity": f"sha256${digest}", "type": "email", "hashed": True},
        "badge": (
            f"{api.base_url}/public/systems/{tree.slug}/issuers/{tree.issuer}"
            f"/programs/{tree.program}/badges/{badge_slug}"
        ),
        "verify": {"url": instance["assertionUrl"], "type": "hosted"},
        "issuedOn": 1402408977,
        "expires": 1420070400,
    }
    badge_class = requests.get(document["badge"], timeout=10)
    assert badge_class.status_code == 200
    assert badge_class.json()["criteria"] == "http://example.org/criteria"
    organisation = requests.get(badge_class.json()["issuer"], timeout=10)
    assert organisation.status_code == 200
    assert organisation.json()["name"] == "Scratch"

    linked = requests.get(
        instance["assertionUrl"], headers={"Accept": "application/ld+json"}, timeout=10
    )
    assert linked.status_code == 200
    assert linked.headers["Content-Type"].startswith("application/ld+json")
    salt = linked.json()["recipient"]["salt"]
    salted = hashlib.sha256((email + salt).encode()).hexdigest()
    assert linked.json()["recipient"]["identity"] == f"sha256${salted}"
    assert linked.json()["badge"] == document["badge"]

    # PUT extension, reflected by the hosted assertion at once.
    updated = api.put(
        f"{tree.iss}/badges/{badge_slug}/instances/{enc(email)}", json={"expires": None}
    )
    assert updated.status_code == 200
    assert updated.json()["instance"]["expires"] is None
    assert "expires" not in requests.get(instance["assertionUrl"], timeout=10).json()

    revoked = api.delete(f"{tree.prg}/badges/{badge_slug}/instances/{enc(email)}")
    assert revoked.status_code == 200
    assert revoked.json() == {"instance": {**instance, "expires": None}}
    gone = requests.get(instance["assertionUrl"], timeout=10)
    assert (gone.status_code, gone.json()) == (410, {"revoked": True})
    again = api.delete(f"{tree.prg}/badges/{badge_slug}/instances/{enc(email)}")
    assert again.status_code == 404
    assert api.get(f"{tree.sys}/instances/{enc(email)}").json() == {"instances": []}

    reawarded = api.post(f"{tree.prg}/badges/{badge_slug}/instances", json={"email": email})
    assert reawarded.status_code == 201
    assert reawarded.json()["instance"]["slug"] != instance["slug"]


def test_conflict_and_claim_code_errors(api, unique, tree):
    badge_slug = unique("badge")
    make_badge(api, tree.sys, badge_slug)
    code = unique("code")
    assert api.post(f"{tree.sys}/badges/{badge_slug}/codes", json={"code": code}).status_code == 201
    first = api.post(
        f"{tree.sys}/badges/{badge_slug}/instances",
        json={"email": "brian@example.org", "claimCode": code},
    )
    assert first.status_code == 201
    conflict = api.post(
        f"{tree.sys}/badges/{badge_slug}/instances", json={"email": "Brian@example.org"}
    )
    assert conflict.status_code == 409
    assert conflict.json() == {
        "code": "ResourceConflict",
        "message": f"User Brian@example.org has already been awarded badge {badge_slug}",
        "details": {"assertionUrl": first.json()["instance"]["assertionUrl"]},
    }
    used = api.post(
        f"{tree.sys}/badges/{badge_slug}/instances",
        json={"email": "ann@example.org", "claimCode": code},
    )
    assert used.status_code == 400
    assert used.json() == {
        "code": "CodeAlreadyUsed",
        "message": f"Claim code `{code}` has already been claimed",
    }
    missing = api.post(
        f"{tree.sys}/badges/{badge_slug}/instances",
        json={"email": "ann@example.org", "claimCode": "nope"},
    )
    assert missing.status_code == 404
    assert missing.json()["message"] == "Could not find claimCode field: `code`, value: `nope`"


def test_bulk_award(api, unique, tree):
    badge_slug = unique("badge")
    make_badge(api, tree.iss, badge_slug)
    path = f"{tree.iss}/badges/{badge_slug}/instances"
    assert api.post(path, json={"email": "held@example.org"}).status_code == 201
    reply = api.post(
        f"{path}/bulk",
        json={"emails": ["b@example.org", "HELD@example.org", "a@example.org", "B@example.org"]},
    )
    assert reply.status_code == 201
    created = reply.json()["instances"]
    assert [i["email"] for i in created] == ["b@example.org", "a@example.org"]
    listed = api.get(f"{path}?page=1&count=10").json()
    assert [i["email"] for i in listed["instances"]] == [
        "held@example.org",
        "b@example.org",
        "a@example.org",
    ]
    assert listed["pageData"]["total"] == 3
    invalid = api.post(f"{path}/bulk", json={"emails": ["c@example.org", "nope"]})
    assert invalid.status_code == 400
    assert invalid.json()["details"] == [
        {"message": "Invalid email", "field": "emails[1]", "value": "nope"}
    ]
    assert api.get(f"{path}/c%40example.org").status_code == 404
    for instance in created:
        assert requests.get(instance["assertionUrl"], timeout=10).status_code == 200


def test_badge_delete_removes_its_assertions(api, unique, tree):
    badge_slug = unique("badge")
    make_badge(api, tree.sys, badge_slug)
    url = api.post(
        f"{tree.sys}/badges/{badge_slug}/instances", json={"email": "brian@example.org"}
    ).json()["instance"]["assertionUrl"]
    assert api.delete(f"{tree.sys}/badges/{badge_slug}").status_code == 200
    gone = api.get(path_of(api, url), sign=False)
    assert gone.status_code == 404
    assert gone.json() == {"code": "ResourceNotFound", "message": "Could not find badge instance"}


# --- concurrency -----------------------------------------------------------------------------------


def test_thirty_simultaneous_awards_to_one_email_one_wins(api, unique, tree):
    badge_slug = unique("badge")
    make_badge(api, tree.sys, badge_slug)
    path = f"{tree.sys}/badges/{badge_slug}/instances"
    responses = simultaneously(
        30,
        lambda n: api.with_key(api.key, api.secret).post(
            path, json={"email": "Brian@example.org" if n % 2 else "brian@example.org"}
        ),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 29, [r.text for r in responses if r.status_code >= 500]
    winner = next(r for r in responses if r.status_code == 201).json()["instance"]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["details"] == {"assertionUrl": winner["assertionUrl"]}
    assert api.get(f"{path}?page=1&count=50").json() == {
        "instances": [winner],
        "pageData": {"page": 1, "count": 50, "total": 1},
    }


def test_thirty_simultaneous_awards_with_one_single_use_code(api, unique, tree):
    badge_slug = unique("badge")
    make_badge(api, tree.iss, badge_slug)
    code = unique("code")
    codes_path = f"{tree.iss}/badges/{badge_slug}/codes"
    assert api.post(codes_path, json={"code": code}).status_code == 201
    path = f"{tree.iss}/badges/{badge_slug}/instances"
    emails = [f"earner{n}@example.org" for n in range(30)]
    responses = simultaneously(
        30,
        lambda n: api.with_key(api.key, api.secret).post(
            path, json={"email": emails[n], "claimCode": code}
        ),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [400] * 29, [r.text for r in responses if r.status_code >= 500]
    for response in responses:
        if response.status_code == 400:
            assert response.json() == {
                "code": "CodeAlreadyUsed",
                "message": f"Claim code `{code}` has already been claimed",
            }
    winner = next(r for r in responses if r.status_code == 201).json()["instance"]
    claim_code = api.get(f"{codes_path}/{code}").json()["claimCode"]
    assert (claim_code["claimed"], claim_code["email"]) == (True, winner["email"])
    listed = api.get(f"{path}?page=1&count=50").json()
    assert listed == {"instances": [winner], "pageData": {"page": 1, "count": 50, "total": 1}}
