"""Badge instances through the issuing function (in-process), written from spec issuing.md,
webhooks.md §3.1-3.2 (the outbox event records) and milestones.md (what the awarder uses)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.meter import Meter, metered
from tests.unit.conftest import Api, system_body

BASE = "https://badges.example.org"
SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
PRG = f"{ISS}/programs/scratch"
PREFIXES = (SYS, ISS, PRG)
# The badge created under each prefix (its own container).
OWN_BADGE = {SYS: "system-badge", ISS: "issuer-badge", PRG: "program-badge"}
BRIAN = "brian@example.org"
INSTANCE_KEYS = ["slug", "email", "expires", "issuedOn", "claimCode", "assertionUrl", "badge"]
HEX40 = re.compile(r"[0-9a-f]{40}")


def badge_body(slug: str, **extra: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": slug.replace("-", " ").title(),
        "earnerDescription": "For earners",
        "consumerDescription": "For consumers",
        "unique": 0,
        "imageUrl": "http://example.org/badge.png",
        "criteriaUrl": "http://example.org/criteria",
        **extra,
    }


@pytest.fixture
def tree(api: Api) -> Api:
    assert api.post("/systems", system_body("chicago")).status == 201
    issuer = {"slug": "library", "name": "Library", "url": "http://lib.org"}
    assert api.post(f"{SYS}/issuers", issuer).status == 201
    program = {"slug": "scratch", "name": "Scratch", "url": "http://s.org"}
    assert api.post(f"{ISS}/programs", program).status == 201
    for prefix, slug in OWN_BADGE.items():
        assert api.post(f"{prefix}/badges", badge_body(slug)).status == 201
    return api


def award(api: Api, prefix: str, badge: str, body: dict[str, Any] | str) -> Any:
    payload = {"email": body} if isinstance(body, str) else body
    return api.post(f"{prefix}/badges/{badge}/instances", payload)


def enc(email: str) -> str:
    return email.replace("@", "%40")


def events(action: str | None = None) -> list[dict[str, Any]]:
    """The outbox event records in the table (a test may scan; requests never do)."""
    from badgekit.store import db

    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        response = db.table().scan(**kwargs)
        items.extend(i for i in response["Items"] if i.get("entity") == "event")
        if "LastEvaluatedKey" not in response:
            break
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    found = [i for i in items if action is None or i["action"] == action]
    return sorted(found, key=lambda i: (int(i["created"]), i["body"]))


def items_of(entity: str) -> list[dict[str, Any]]:
    from badgekit.store import db

    response = db.table().scan()
    return [i for i in response["Items"] if i.get("entity") == entity]


# --- award ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_award_at_every_prefix_returns_the_instance_and_location(tree, prefix):
    badge = OWN_BADGE[prefix]
    before = int(time.time())
    reply = award(tree, prefix, badge, BRIAN)
    assert reply.status == 201
    assert reply.json["status"] == "created"
    instance = reply.json["instance"]
    assert list(instance) == INSTANCE_KEYS
    assert HEX40.fullmatch(instance["slug"])
    assert instance["email"] == BRIAN
    assert instance["expires"] is None
    assert instance["claimCode"] is None
    assert instance["assertionUrl"] == f"{BASE}/public/assertions/{instance['slug']}"
    assert reply.headers["Location"] == f"/public/assertions/{instance['slug']}"
    issued = time.strptime(instance["issuedOn"], "%Y-%m-%dT%H:%M:%S.000Z")
    assert before - 1 <= time.mktime(issued) - time.timezone <= time.time() + 1
    # The badge as GET {L}/badges/{b} shows it (milestones: []).
    assert instance["badge"] == tree.get(f"{prefix}/badges/{badge}").json["badge"]
    assert instance["badge"]["milestones"] == []
    got = tree.get(f"{prefix}/badges/{badge}/instances/{enc(BRIAN)}")
    assert got.status == 200
    assert got.json == {"instance": instance}


@pytest.mark.parametrize("prefix", [SYS, ISS])
def test_award_through_an_ancestor_prefix(tree, prefix):
    reply = award(tree, prefix, "program-badge", BRIAN)
    assert reply.status == 201
    badge = reply.json["instance"]["badge"]
    assert (badge["issuer"]["slug"], badge["program"]["slug"]) == ("library", "scratch")


def test_award_with_every_field(tree):
    body = {
        "email": "Brian@Example.org",
        "slug": "chicago-brian",
        "issuedOn": "2014-06-10T14:02:57Z",
        "expires": 1420070400,
        "comment": "Well done!",
        "unknown": "ignored",
    }
    instance = award(tree, SYS, "system-badge", body).json["instance"]
    assert instance["slug"] == "chicago-brian"
    assert instance["email"] == "Brian@Example.org"  # as given
    assert instance["issuedOn"] == "2014-06-10T14:02:57.000Z"
    assert instance["expires"] == "2015-01-01T00:00:00.000Z"
    assert instance["assertionUrl"] == f"{BASE}/public/assertions/chicago-brian"
    assert "comment" not in instance


def test_timestamps_accept_milliseconds_and_dates(tree):
    body = {"email": BRIAN, "issuedOn": 1402408977000, "expires": "March 9, 2030 12:00:00"}
    instance = award(tree, SYS, "system-badge", body).json["instance"]
    assert instance["issuedOn"] == "2014-06-10T14:02:57.000Z"
    assert instance["expires"] == "2030-03-09T12:00:00.000Z"


@pytest.mark.parametrize("no_expiry", [0, "", False, None])
def test_expires_zero_empty_false_or_null_mean_no_expiry(tree, no_expiry):
    reply = award(tree, SYS, "system-badge", {"email": BRIAN, "expires": no_expiry})
    assert reply.status == 201
    assert reply.json["instance"]["expires"] is None


def test_validation_details_in_spec_order(tree):
    body = {
        "email": "nope",
        "slug": "",
        "issuedOn": "not a date",
        "expires": "never",
        "claimCode": "c" * 256,
    }
    reply = award(tree, SYS, "system-badge", body)
    assert reply.status == 400
    assert reply.json == {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": [
            {"message": "Invalid email", "field": "email", "value": "nope"},
            {"message": "String is not in range", "field": "slug", "value": ""},
            {"message": "Not a date", "field": "issuedOn", "value": "not a date"},
            {"message": "Not a date", "field": "expires", "value": "never"},
            {"message": "String is not in range", "field": "claimCode", "value": "c" * 256},
        ],
    }
    assert tree.get(f"{SYS}/badges/system-badge/instances").json == {"instances": []}
    assert events() == []


def test_email_is_required_and_bounded(tree):
    reply = award(tree, SYS, "system-badge", {})
    assert reply.json["details"] == [{"message": "Required field", "field": "email", "value": ""}]
    long_email = "a" * 250 + "@b.org"
    reply = award(tree, SYS, "system-badge", long_email)
    assert reply.json["details"] == [
        {"message": "String is not in range", "field": "email", "value": long_email}
    ]


def test_containers_and_badge_resolve_before_validation(tree):
    reply = award(tree, SYS, "nope", {})
    assert reply.status == 404
    assert reply.json == {
        "code": "ResourceNotFound",
        "message": "Could not find badge field: `slug`, value: `nope`",
    }
    reply = award(tree, "/systems/nope", "system-badge", {})
    assert reply.json["message"] == "Could not find system field: `slug`, value: `nope`"
    reply = award(tree, f"{SYS}/issuers/nope", "issuer-badge", {})
    assert reply.json["message"] == "Could not find issuer field: `slug`, value: `nope`"
    reply = award(tree, f"{ISS}/programs/nope", "program-badge", {})
    assert reply.json["message"] == "Could not find program field: `slug`, value: `nope`"
    # A badge addressed through a container that is not its own or an ancestor.
    reply = award(tree, ISS, "system-badge", BRIAN)
    assert reply.status == 404
    assert reply.json["message"] == "Could not find badge field: `slug`, value: `system-badge`"


def test_form_bodies_are_accepted(tree):
    reply = tree.call(
        "POST",
        f"{SYS}/badges/system-badge/instances",
        body=b"email=brian%40example.org&expires=1420070400",
        content_type="application/x-www-form-urlencoded",
    )
    assert reply.status == 201
    assert reply.json["instance"]["expires"] == "2015-01-01T00:00:00.000Z"


def test_archived_badges_can_be_awarded(tree):
    tree.post(f"{SYS}/badges", badge_body("old-badge", archived=True))
    assert award(tree, SYS, "old-badge", BRIAN).status == 201


# --- conflicts -----------------------------------------------------------------------------------


def test_one_instance_per_badge_and_email_case_insensitive(tree):
    first = award(tree, SYS, "system-badge", BRIAN).json["instance"]
    reply = award(tree, ISS, "program-badge", BRIAN)
    assert reply.status == 201  # another badge
    reply = award(tree, SYS, "system-badge", {"email": "BRIAN@example.org", "slug": "other"})
    assert reply.status == 409
    assert reply.json == {
        "code": "ResourceConflict",
        "message": "User BRIAN@example.org has already been awarded badge system-badge",
        "details": {"assertionUrl": first["assertionUrl"]},
    }
    assert len(events("award")) == 2
    assert tree.get("/public/assertions/other").status == 404


def test_unique_flag_does_not_matter(tree):
    tree.post(f"{SYS}/badges", badge_body("unique-badge", unique=True))
    tree.post(f"{SYS}/badges", badge_body("plain-badge", unique=False))
    for slug in ("unique-badge", "plain-badge"):
        assert award(tree, SYS, slug, BRIAN).status == 201
        assert award(tree, SYS, slug, BRIAN).status == 409


def test_slug_is_unique_across_the_deployment(tree):
    assert award(tree, SYS, "system-badge", {"email": BRIAN, "slug": "my-slug"}).status == 201
    reply = award(tree, PRG, "program-badge", {"email": "ann@example.org", "slug": "MY-SLUG"})
    assert reply.status == 409
    assert reply.json == {
        "code": "ResourceConflict",
        "message": "badgeInstance with that `slug` already exists",
        "details": {"slug": "MY-SLUG"},
    }
    assert tree.get(f"{PRG}/badges/program-badge/instances").json == {"instances": []}
    assert len(events("award")) == 1


# --- claim codes ---------------------------------------------------------------------------------


def create_code(api: Api, badge: str, code: str, multiuse: bool = False) -> None:
    reply = api.post(f"{SYS}/badges/{badge}/codes", {"code": code, "multiuse": multiuse})
    assert reply.status == 201, reply.json


def code_state(api: Api, badge: str, code: str) -> dict[str, Any]:
    claim_code: dict[str, Any] = api.get(f"{SYS}/badges/{badge}/codes/{code}").json["claimCode"]
    return claim_code


def test_award_with_a_single_use_code_claims_it(tree):
    create_code(tree, "system-badge", "single-use")
    reply = award(tree, SYS, "system-badge", {"email": BRIAN, "claimCode": "SINGLE-USE"})
    assert reply.status == 201
    assert reply.json["instance"]["claimCode"] == "SINGLE-USE"  # the string sent
    state = code_state(tree, "system-badge", "single-use")
    assert (state["claimed"], state["email"]) == (True, BRIAN)
    reply = award(
        tree, SYS, "system-badge", {"email": "ann@example.org", "claimCode": "single-use"}
    )
    assert reply.status == 400
    assert reply.json == {
        "code": "CodeAlreadyUsed",
        "message": "Claim code `single-use` has already been claimed",
    }
    assert tree.get(f"{SYS}/badges/system-badge/instances/ann%40example.org").status == 404
    assert len(events("award")) == 1


def test_multi_use_code_serves_many_earners(tree):
    create_code(tree, "system-badge", "multiple-use", multiuse=True)
    for email in (BRIAN, "ann@example.org"):
        reply = award(tree, SYS, "system-badge", {"email": email, "claimCode": "multiple-use"})
        assert reply.status == 201
        assert reply.json["instance"]["claimCode"] == "multiple-use"
    state = code_state(tree, "system-badge", "multiple-use")
    assert (state["claimed"], state["email"], state["multiuse"]) == (True, "ann@example.org", True)


def test_unknown_code_or_a_code_of_another_badge_is_404(tree):
    create_code(tree, "issuer-badge", "elsewhere")
    for code in ("nope", "elsewhere"):
        reply = award(tree, SYS, "system-badge", {"email": BRIAN, "claimCode": code})
        assert reply.status == 404
        assert reply.json == {
            "code": "ResourceNotFound",
            "message": f"Could not find claimCode field: `code`, value: `{code}`",
        }
    assert events() == []


def test_conflict_leaves_the_code_unclaimed(tree):
    create_code(tree, "system-badge", "fresh")
    assert award(tree, SYS, "system-badge", BRIAN).status == 201
    reply = award(tree, SYS, "system-badge", {"email": BRIAN, "claimCode": "fresh"})
    assert reply.status == 409
    assert code_state(tree, "system-badge", "fresh")["claimed"] is False


def test_used_code_is_reported_before_the_conflict(tree):
    create_code(tree, "system-badge", "once")
    assert award(tree, SYS, "system-badge", {"email": BRIAN, "claimCode": "once"}).status == 201
    reply = award(tree, SYS, "system-badge", {"email": BRIAN, "claimCode": "once"})
    assert (reply.status, reply.json["code"]) == (400, "CodeAlreadyUsed")


# --- lists and reads -----------------------------------------------------------------------------


def test_list_of_a_badge_in_creation_order_with_pagination(tree):
    emails = [f"earner{n}@example.org" for n in range(5)]
    slugs = [award(tree, PRG, "program-badge", e).json["instance"]["slug"] for e in emails]
    for prefix in PREFIXES:
        listed = tree.get(f"{prefix}/badges/program-badge/instances").json
        assert list(listed) == ["instances"]
        assert [i["slug"] for i in listed["instances"]] == slugs
        assert all(list(i) == INSTANCE_KEYS for i in listed["instances"])
    page = tree.get(f"{SYS}/badges/program-badge/instances?page=2&count=2").json
    assert [i["email"] for i in page["instances"]] == emails[2:4]
    assert page["pageData"] == {"page": 2, "count": 2, "total": 5}
    past = tree.get(f"{SYS}/badges/program-badge/instances?page=9&count=2").json
    assert past == {"instances": [], "pageData": {"page": 9, "count": 2, "total": 5}}
    tree.delete(f"{SYS}/badges/program-badge/instances/{enc(emails[1])}")
    page = tree.get(f"{SYS}/badges/program-badge/instances?page=1&count=10").json
    assert page["pageData"]["total"] == 4
    assert [i["email"] for i in page["instances"]] == [emails[0], *emails[2:]]


def test_get_one_is_case_insensitive_and_404_names_the_email(tree):
    award(tree, SYS, "system-badge", "Brian@Example.org")
    reply = tree.get(f"{SYS}/badges/system-badge/instances/brian%40EXAMPLE.org")
    assert reply.status == 200
    assert reply.json["instance"]["email"] == "Brian@Example.org"
    reply = tree.get(f"{SYS}/badges/system-badge/instances/ann%40example.org")
    assert reply.status == 404
    assert reply.json == {
        "code": "ResourceNotFound",
        "message": "Could not find badgeInstance field: `email`, value: `ann@example.org`",
    }
    reply = tree.get(f"{SYS}/badges/issuer-badge/instances/brian%40example.org")
    assert reply.status == 404


def test_bulk_path_takes_bulk_as_an_email_for_other_methods(tree):
    for method in ("GET", "DELETE"):
        reply = tree.call(method, f"{SYS}/badges/system-badge/instances/bulk")
        assert reply.status == 404
        assert reply.json["message"] == "Could not find badgeInstance field: `email`, value: `bulk`"


def test_earner_instances_scoped_by_container(tree):
    tree.post("/systems", system_body("pittsburgh"))
    tree.post("/systems/pittsburgh/badges", badge_body("elsewhere-badge"))
    tree.post(f"{ISS}/badges", badge_body("issuer-two"))
    order = ["program-badge", "system-badge", "elsewhere-badge", "issuer-badge", "issuer-two"]
    for slug in order:
        prefix = "/systems/pittsburgh" if slug == "elsewhere-badge" else SYS
        assert award(tree, prefix, slug, BRIAN).status == 201
    award(tree, SYS, "system-badge", "ann@example.org")

    def listed(prefix: str, email: str = BRIAN, query: str = "") -> Any:
        reply = tree.get(f"{prefix}/instances/{enc(email)}{query}")
        assert reply.status == 200
        return reply.json

    system_view = listed(SYS)
    assert list(system_view) == ["instances"]
    assert [i["badge"]["slug"] for i in system_view["instances"]] == [
        "program-badge",
        "system-badge",
        "issuer-badge",
        "issuer-two",
    ]
    assert all(list(i) == INSTANCE_KEYS for i in system_view["instances"])
    by_slug = {i["badge"]["slug"]: i for i in system_view["instances"]}
    assert (
        by_slug["program-badge"]["badge"] == (tree.get(f"{SYS}/badges/program-badge").json["badge"])
    )
    assert [i["badge"]["slug"] for i in listed(ISS)["instances"]] == [
        "program-badge",
        "issuer-badge",
        "issuer-two",
    ]
    assert [i["badge"]["slug"] for i in listed(PRG)["instances"]] == ["program-badge"]
    assert [i["badge"]["slug"] for i in listed("/systems/pittsburgh")["instances"]] == [
        "elsewhere-badge"
    ]
    assert listed(SYS, "BRIAN@example.org") == system_view  # case-insensitive
    paged = listed(SYS, query="?page=2&count=3")
    assert [i["badge"]["slug"] for i in paged["instances"]] == ["issuer-two"]
    assert paged["pageData"] == {"page": 2, "count": 3, "total": 4}
    assert listed(PRG, "nobody@example.org") == {"instances": []}
    assert listed(PRG, "nobody@example.org", "?page=1&count=5") == {
        "instances": [],
        "pageData": {"page": 1, "count": 5, "total": 0},
    }
    reply = tree.get(f"{SYS}/issuers/nope/instances/{enc(BRIAN)}")
    assert reply.status == 404
    assert reply.json["message"] == "Could not find issuer field: `slug`, value: `nope`"


# --- revoke --------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_revoke_at_every_prefix(tree, prefix):
    badge = OWN_BADGE[prefix]
    created = award(tree, prefix, badge, BRIAN).json["instance"]
    reply = tree.delete(f"{prefix}/badges/{badge}/instances/BRIAN%40example.org")
    assert reply.status == 200
    assert reply.json == {"instance": created}  # no `status` key
    reply = tree.delete(f"{prefix}/badges/{badge}/instances/{enc(BRIAN)}")
    assert reply.status == 404
    assert reply.json["message"] == (
        "Could not find badgeInstance field: `email`, value: `brian@example.org`"
    )
    assert tree.get(f"{prefix}/badges/{badge}/instances/{enc(BRIAN)}").status == 404
    assert tree.get(f"{prefix}/badges/{badge}/instances").json == {"instances": []}
    assert tree.get(f"{prefix}/instances/{enc(BRIAN)}").json == {"instances": []}
    assert tree.get(f"/public/assertions/{created['slug']}").status == 410


def test_revoke_then_award_again_gets_a_new_slug(tree):
    create_code(tree, "system-badge", "single")
    first = award(tree, SYS, "system-badge", {"email": BRIAN, "claimCode": "single"})
    first_slug = first.json["instance"]["slug"]
    tree.delete(f"{SYS}/badges/system-badge/instances/{enc(BRIAN)}")
    assert code_state(tree, "system-badge", "single")["claimed"] is True  # stays claimed
    # The revoked slug stays taken (tombstone).
    reply = award(tree, SYS, "system-badge", {"email": BRIAN, "slug": first_slug})
    assert reply.status == 409
    assert reply.json["details"] == {"slug": first_slug}
    again = award(tree, SYS, "system-badge", BRIAN)
    assert again.status == 201
    assert again.json["instance"]["slug"] != first_slug
    assert tree.get(f"/public/assertions/{again.json['instance']['slug']}").status == 200
    assert tree.get(f"/public/assertions/{first_slug}").status == 410


# --- PUT extension -------------------------------------------------------------------------------


def test_put_updates_expires_and_issued_on(tree):
    created = award(tree, ISS, "issuer-badge", {"email": BRIAN, "slug": "s1"}).json["instance"]
    sent = {
        **created,
        "expires": "2030-01-01T00:00:00.000Z",
        "issuedOn": 1402408977,
        "email": "other@example.org",
        "slug": "ignored",
        "claimCode": "ignored",
    }
    reply = tree.put(f"{SYS}/badges/issuer-badge/instances/{enc(BRIAN)}", sent)
    assert reply.status == 200
    assert reply.json["status"] == "updated"
    updated = reply.json["instance"]
    assert updated == {
        **created,
        "expires": "2030-01-01T00:00:00.000Z",
        "issuedOn": "2014-06-10T14:02:57.000Z",
    }
    assert tree.get(f"{ISS}/badges/issuer-badge/instances/{enc(BRIAN)}").json == {
        "instance": updated
    }
    assertion = tree.get("/public/assertions/s1").json
    assert (assertion["issuedOn"], assertion["expires"]) == (1402408977, 1893456000)
    cleared = tree.put(f"{SYS}/badges/issuer-badge/instances/{enc(BRIAN)}", {"expires": None})
    assert cleared.json["instance"]["expires"] is None
    assert cleared.json["instance"]["issuedOn"] == "2014-06-10T14:02:57.000Z"
    assert "expires" not in tree.get("/public/assertions/s1").json
    unchanged = tree.put(f"{SYS}/badges/issuer-badge/instances/{enc(BRIAN)}", {"x": 1})
    assert unchanged.json == cleared.json


def test_put_errors(tree):
    award(tree, SYS, "system-badge", BRIAN)
    path = f"{SYS}/badges/system-badge/instances/{enc(BRIAN)}"
    reply = tree.put(path, {"expires": "soon", "issuedOn": "later"})
    assert reply.status == 400
    assert reply.json["details"] == [
        {"message": "Not a date", "field": "issuedOn", "value": "later"},
        {"message": "Not a date", "field": "expires", "value": "soon"},
    ]
    reply = tree.put(f"{SYS}/badges/system-badge/instances/ann%40example.org", {"expires": None})
    assert reply.status == 404
    assert reply.json["message"] == (
        "Could not find badgeInstance field: `email`, value: `ann@example.org`"
    )
    assert tree.put(f"{SYS}/badges/nope/instances/{enc(BRIAN)}", {}).status == 404


# --- bulk ----------------------------------------------------------------------------------------


def bulk(api: Api, prefix: str, badge: str, body: dict[str, Any]) -> Any:
    return api.post(f"{prefix}/badges/{badge}/instances/bulk", body)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_bulk_creates_new_instances_in_order_and_skips_holders_and_repeats(tree, prefix):
    badge = OWN_BADGE[prefix]
    award(tree, prefix, badge, "held@example.org")
    emails = [
        "c@example.org",
        "HELD@example.org",
        "a@example.org",
        "C@EXAMPLE.ORG",
        "b@example.org",
        "a@example.org",
    ]
    body = {
        "emails": emails,
        "issuedOn": "2014-06-10T14:02:57Z",
        "expires": 1420070400,
        "slug": "ignored",
        "claimCode": "ignored",
        "comment": "Bulk!",
    }
    reply = bulk(tree, prefix, badge, body)
    assert reply.status == 201
    assert list(reply.json) == ["status", "instances"]
    assert reply.json["status"] == "created"
    created = reply.json["instances"]
    assert [i["email"] for i in created] == ["c@example.org", "a@example.org", "b@example.org"]
    for instance in created:
        assert list(instance) == INSTANCE_KEYS
        assert HEX40.fullmatch(instance["slug"])
        assert (instance["issuedOn"], instance["expires"]) == (
            "2014-06-10T14:02:57.000Z",
            "2015-01-01T00:00:00.000Z",
        )
        assert instance["claimCode"] is None
    listed = tree.get(f"{prefix}/badges/{badge}/instances").json["instances"]
    assert [i["email"] for i in listed] == ["held@example.org"] + [i["email"] for i in created]
    bulk_events = [json.loads(e["body"]) for e in events("award")]
    bulk_events = [e for e in bulk_events if e["email"] != "held@example.org"]
    assert sorted(e["uid"] for e in bulk_events) == sorted(i["slug"] for i in created)
    assert {e["comment"] for e in bulk_events} == {"Bulk!"}


def test_bulk_single_string_and_empty_list(tree):
    reply = bulk(tree, SYS, "system-badge", {"emails": BRIAN})
    assert reply.status == 201
    assert [i["email"] for i in reply.json["instances"]] == [BRIAN]
    assert bulk(tree, SYS, "system-badge", {"emails": BRIAN}).json == {
        "status": "created",
        "instances": [],
    }
    assert bulk(tree, SYS, "system-badge", {"emails": []}).json == {
        "status": "created",
        "instances": [],
    }


def test_bulk_form_body_with_repeated_keys(tree):
    reply = tree.call(
        "POST",
        f"{SYS}/badges/system-badge/instances/bulk",
        body=b"emails[]=a%40example.org&emails[]=b%40example.org",
        content_type="application/x-www-form-urlencoded",
    )
    assert reply.status == 201
    assert [i["email"] for i in reply.json["instances"]] == ["a@example.org", "b@example.org"]


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({}, [{"message": "Required field", "field": "emails", "value": ""}]),
        ({"emails": None}, [{"message": "Required field", "field": "emails", "value": ""}]),
        (
            {"emails": {"a": 1}},
            [{"message": "Expected array", "field": "emails", "value": {"a": 1}}],
        ),
        ({"emails": 5}, [{"message": "Expected array", "field": "emails", "value": 5}]),
        (
            {"emails": ["ok@example.org", "nope", "", "a b@c.org"], "expires": "x"},
            [
                {"message": "Invalid email", "field": "emails[1]", "value": "nope"},
                {"message": "Invalid email", "field": "emails[2]", "value": ""},
                {"message": "Invalid email", "field": "emails[3]", "value": "a b@c.org"},
                {"message": "Not a date", "field": "expires", "value": "x"},
            ],
        ),
    ],
)
def test_bulk_validation(tree, body, details):
    reply = bulk(tree, SYS, "system-badge", body)
    assert reply.status == 400
    assert reply.json == {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": details,
    }
    assert tree.get(f"{SYS}/badges/system-badge/instances").json == {"instances": []}
    assert events() == []


def test_bulk_404s(tree):
    assert bulk(tree, SYS, "nope", {"emails": []}).status == 404
    assert bulk(tree, ISS, "system-badge", {"emails": [BRIAN]}).status == 404


# --- bulk: limits and chunked writes (README §3 limits, issuing.md) -----------------------------

TOO_MANY_EMAILS = {"message": "Too many emails (at most 1000)", "field": "emails"}
BULK_PATH = f"{SYS}/badges/system-badge/instances"


@pytest.fixture
def calls(tree: Api) -> Iterator[Meter]:
    with metered() as meter:
        yield meter


def test_more_than_1000_emails_are_refused_before_anything_is_read(tree, calls):
    """The count comes first: 1,001 entries (invalid ones too) answer one `emails` detail
    without a value, issuedOn/expires are still checked, and the request makes the calls a body
    failing validation makes (the path's system and badge): no instance read, nothing written."""
    baseline = calls.during(lambda: bulk(tree, SYS, "system-badge", {}))
    emails = [f"user{n}@example.org" for n in range(1000)] + ["nope"]
    replies: list[Any] = []
    operations = calls.during(
        lambda: replies.append(bulk(tree, SYS, "system-badge", {"emails": emails, "expires": "x"}))
    )
    assert replies[0].status == 400
    assert replies[0].json == {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": [TOO_MANY_EMAILS, {"message": "Not a date", "field": "expires", "value": "x"}],
    }
    assert operations == baseline
    assert not {"TransactWriteItems", "UpdateItem", "PutItem"} & set(operations)
    assert tree.get(BULK_PATH).json == {"instances": []}
    assert events() == []


def test_1000_entries_are_validated_one_by_one(tree):
    """At the limit the entries are checked as usual (nothing is written when one fails)."""
    reply = bulk(tree, SYS, "system-badge", {"emails": ["nope"] * 1000})
    assert reply.status == 400
    details = reply.json["details"]
    assert len(details) == 1000
    assert details[999] == {"message": "Invalid email", "field": "emails[999]", "value": "nope"}


def bulk_state(api: Api) -> tuple[list[str], int, list[dict[str, Any]]]:
    """Emails of the badge's instance list in order, its pageData total, the award events."""
    listed = api.get(f"{BULK_PATH}?page=1&count=1000").json
    award_events = [json.loads(e["body"]) for e in events("award")]
    return [i["email"] for i in listed["instances"]], listed["pageData"]["total"], award_events


def test_bulk_crossing_chunk_boundaries(tree, calls):
    """50 new emails: 3 transactions of 24, 24 and 2 awards, each raising the list total by its
    size; every instance has its own slug and `award` event (with the comment), in `emails`
    order, ids ascending."""
    emails = [f"user{n:02}@example.org" for n in range(50)]
    replies: list[Any] = []
    body = {"emails": emails, "comment": "Batch"}
    operations = calls.during(lambda: replies.append(bulk(tree, SYS, "system-badge", body)))
    assert replies[0].status == 201
    created = replies[0].json["instances"]
    assert [i["email"] for i in created] == emails
    assert len({i["slug"] for i in created}) == 50
    assert operations.count("TransactWriteItems") == 3
    assert operations.count("UpdateItem") == 1  # the ids, reserved at once
    listed, total, award_events = bulk_state(tree)
    assert (listed, total) == (emails, 50)
    assert sorted(e["uid"] for e in award_events) == sorted(i["slug"] for i in created)
    assert {e["comment"] for e in award_events} == {"Batch"}
    from badgekit.store import db, keys

    ids = [int(db.get(keys.instance(1, e))["id"]) for e in emails]
    assert ids == sorted(ids)


def test_bulk_with_holders_and_repeats_across_chunks(tree, monkeypatch):
    from badgekit.domain import instances

    monkeypatch.setattr(instances, "_BULK_CHUNK", 3)
    for email in ("u1@example.org", "u5@example.org"):
        award(tree, SYS, "system-badge", email)
    emails = [f"u{n}@example.org" for n in range(10)] + ["U3@EXAMPLE.ORG", "u5@example.org"]
    reply = bulk(tree, SYS, "system-badge", {"emails": emails})
    fresh = [f"u{n}@example.org" for n in (0, 2, 3, 4, 6, 7, 8, 9)]
    assert [i["email"] for i in reply.json["instances"]] == fresh
    listed, total, award_events = bulk_state(tree)
    assert listed == ["u1@example.org", "u5@example.org", *fresh]
    assert total == 10
    assert sorted(e["email"] for e in award_events) == sorted(listed)


def test_a_retried_bulk_completes_without_duplicates(tree, monkeypatch):
    """A bulk cut short after its first chunk (the second transaction fails: the client sees an
    error) is sent again: the rest is awarded, nothing twice; sending it a third time creates
    nothing."""
    from botocore.exceptions import ReadTimeoutError

    from badgekit.domain import instances
    from badgekit.store import db

    monkeypatch.setattr(instances, "_BULK_CHUNK", 4)
    emails = [f"r{n}@example.org" for n in range(10)]
    real = db.transact
    seen: list[int] = []

    def cut_short(actions: Any) -> None:
        seen.append(len(actions))
        if len(seen) == 2:
            raise ReadTimeoutError(endpoint_url="https://dynamodb")
        real(actions)

    monkeypatch.setattr(instances.db, "transact", cut_short)
    assert bulk(tree, SYS, "system-badge", {"emails": emails}).status == 500
    monkeypatch.setattr(instances.db, "transact", real)
    listed, total, _ = bulk_state(tree)
    assert (listed, total) == (emails[:4], 4)
    reply = bulk(tree, SYS, "system-badge", {"emails": emails})
    assert reply.status == 201
    assert [i["email"] for i in reply.json["instances"]] == emails[4:]
    again = bulk(tree, SYS, "system-badge", {"emails": emails})
    assert again.json == {"status": "created", "instances": []}
    listed, total, award_events = bulk_state(tree)
    assert (listed, total) == (emails, 10)
    assert sorted(e["email"] for e in award_events) == emails


def test_an_email_awarded_during_the_bulk_is_skipped(tree, monkeypatch):
    """A single award of one of the emails commits just before the bulk's transaction: that
    transaction is cancelled, the chunk re-reads who holds the badge and is written again
    without the email (one instance each, the total exact)."""
    from badgekit.domain import instances
    from badgekit.store import db

    real = db.transact
    raced: list[Any] = []

    def race(actions: Any) -> None:
        if not raced and len(actions) > 6:  # the bulk's transaction, once
            raced.append(award(tree, SYS, "system-badge", "b@example.org"))
        real(actions)

    monkeypatch.setattr(instances.db, "transact", race)
    emails = ["a@example.org", "b@example.org", "c@example.org"]
    reply = bulk(tree, SYS, "system-badge", {"emails": emails})
    assert raced[0].status == 201
    assert reply.status == 201
    assert [i["email"] for i in reply.json["instances"]] == ["a@example.org", "c@example.org"]
    listed, total, award_events = bulk_state(tree)
    assert (sorted(listed), total) == (emails, 3)
    assert sorted(e["email"] for e in award_events) == emails


def test_a_badge_deleted_during_the_bulk_is_404(tree, monkeypatch):
    from badgekit.domain import instances
    from badgekit.store import db

    real = db.transact

    def delete_first(actions: Any) -> None:
        monkeypatch.setattr(instances.db, "transact", real)
        assert tree.delete(f"{SYS}/badges/system-badge").status == 200
        real(actions)

    monkeypatch.setattr(instances.db, "transact", delete_first)
    reply = bulk(tree, SYS, "system-badge", {"emails": ["a@example.org", "b@example.org"]})
    assert reply.status == 404
    assert reply.json == {
        "code": "ResourceNotFound",
        "message": "Could not find badge field: `slug`, value: `system-badge`",
    }
    assert items_of("instance") == []
    assert events("award") == []


def test_a_large_badge_makes_smaller_chunks(tree):
    """Each event embeds the badge: a badge of ~300 KB fits about 9 awards in a transaction
    under DynamoDB's 4 MB cap."""
    from badgekit.domain import instances
    from badgekit.domain.places import Place
    from badgekit.store import db, keys
    from badgekit.store.badges import BadgeRecord
    from badgekit.store.containers import SystemRecord
    from badgekit.store.records import record

    badge = record(db.get(keys.badge("system-badge")), BadgeRecord)
    badge["earnerDescription"] = "x" * 300_000
    system = record(db.get(keys.system("chicago")), SystemRecord)
    target = instances.Target.of(Place(system), badge, BASE)
    rendered = target.renderer._badges_json  # the badge as every event of the bulk embeds it
    rendered[int(badge["id"])] = {"description": badge["earnerDescription"]}
    spec = instances.BulkInput([], None, None, None)
    size = instances._chunk_size(target, ("a@example.org", 1), spec)
    assert 5 <= size <= 10
    small = {"description": "short"}
    rendered[int(badge["id"])] = small
    assert instances._chunk_size(target, ("a@example.org", 1), spec) == 24


# --- outbox events (webhooks.md §3.1-3.2, §4) ----------------------------------------------------


def test_award_event_record(tree):
    body = {"email": BRIAN, "issuedOn": 1402408977, "comment": "Well done!"}
    instance = award(tree, ISS, "program-badge", body).json["instance"]
    (event,) = events()
    assert event["action"] == "award"
    assert event["origin"] == "request"
    assert int(event["systemId"]) == 1
    assert int(event["badgeId"]) == instance["badge"]["id"]
    assert event["email"] == BRIAN
    assert event["baseUrl"] == BASE
    assert event["PK"] == f"EVENT#{event['eventId']}"
    assert re.fullmatch(r"evt_[0-9a-f]{32}", event["eventId"])
    payload = json.loads(event["body"])
    assert list(payload) == [
        "action",
        "uid",
        "badge",
        "email",
        "assertionUrl",
        "issuedOn",
        "comment",
        "credentialUrl",
    ]
    assert payload == {
        "action": "award",
        "uid": instance["slug"],
        "badge": instance["badge"],
        "email": BRIAN,
        "assertionUrl": instance["assertionUrl"],
        "issuedOn": 1402408977,
        "comment": "Well done!",
        "credentialUrl": f"{BASE}/public/credentials/{instance['slug']}",
    }
    # The exact bytes a webhook sends: compact JSON, serialised once.
    assert event["body"] == json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def test_award_event_comment_defaults_to_null(tree):
    award(tree, SYS, "system-badge", BRIAN)
    assert json.loads(events()[0]["body"])["comment"] is None


def test_revoke_event_record(tree):
    instance = award(tree, SYS, "system-badge", BRIAN).json["instance"]
    tree.delete(f"{SYS}/badges/system-badge/instances/{enc(BRIAN)}")
    (event,) = events("revoke")
    assert event["origin"] == "request"
    assert int(event["systemId"]) == 1
    payload = json.loads(event["body"])
    assert list(payload) == ["action", "uid", "badge", "email"]
    assert payload == {
        "action": "revoke",
        "uid": instance["slug"],
        "badge": instance["badge"],
        "email": BRIAN,
    }
    tree.delete(f"{SYS}/badges/system-badge/instances/{enc(BRIAN)}")  # 404: no event
    assert len(events("revoke")) == 1


def test_failed_writes_record_no_event(tree):
    create_code(tree, "system-badge", "once")
    award(tree, SYS, "system-badge", {"email": BRIAN, "claimCode": "once"})
    award(tree, SYS, "system-badge", {"email": "ann@example.org", "claimCode": "once"})
    award(tree, SYS, "system-badge", BRIAN)
    award(tree, SYS, "system-badge", {"email": "nope"})
    tree.put(f"{SYS}/badges/system-badge/instances/{enc(BRIAN)}", {"expires": 1})
    assert [e["action"] for e in events()] == ["award"]


# --- cascade -------------------------------------------------------------------------------------


def test_badge_delete_removes_instances_and_assertions(tree):
    kept = award(tree, SYS, "system-badge", BRIAN).json["instance"]
    live = award(tree, ISS, "issuer-badge", BRIAN).json["instance"]
    revoked = award(tree, ISS, "issuer-badge", "ann@example.org").json["instance"]
    tree.delete(f"{ISS}/badges/issuer-badge/instances/ann%40example.org")
    assert tree.get(f"/public/assertions/{revoked['slug']}").status == 410
    assert tree.delete(f"{ISS}/badges/issuer-badge").status == 200
    for slug in (live["slug"], revoked["slug"]):
        reply = tree.get(f"/public/assertions/{slug}")
        assert reply.status == 404
        assert reply.json == {
            "code": "ResourceNotFound",
            "message": "Could not find badge instance",
        }
    assert [i["slug"] for i in tree.get(f"{SYS}/instances/{enc(BRIAN)}").json["instances"]] == [
        kept["slug"]
    ]
    assert tree.get(f"/public/assertions/{kept['slug']}").status == 200
    assert [i["slug"] for i in items_of("assertion")] == [kept["slug"]]
    assert [i["slug"] for i in items_of("instance")] == [kept["slug"]]
    assert [e["action"] for e in events()] == ["award", "award", "award", "revoke"]
    # The badge slug can be reused; its new badge starts with no instances.
    tree.post(f"{ISS}/badges", badge_body("issuer-badge"))
    assert tree.get(f"{ISS}/badges/issuer-badge/instances").json == {"instances": []}
    assert award(tree, ISS, "issuer-badge", BRIAN).status == 201


def test_system_delete_removes_assertions(tree):
    slug = award(tree, PRG, "program-badge", BRIAN).json["instance"]["slug"]
    assert tree.delete(SYS).status == 200
    assert tree.get(f"/public/assertions/{slug}").status == 404
    assert items_of("assertion") == []


# --- methods -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (f"{SYS}/badges/system-badge/instances", "GET, POST"),
        (f"{ISS}/badges/issuer-badge/instances/bulk", "DELETE, GET, POST, PUT"),
        (f"{PRG}/badges/program-badge/instances/a%40b.org", "DELETE, GET, PUT"),
        (f"{PRG}/instances/a%40b.org", "GET"),
    ],
)
def test_undefined_methods_are_405(tree, path, allowed):
    for method in ("PATCH", "HEAD", "OPTIONS"):
        reply = tree.call(method, path)
        assert reply.status == 405
        assert reply.headers["Allow"] == allowed
        if reply.json is not None:
            assert reply.json == {
                "code": "MethodNotAllowedError",
                "message": f"{method} is not allowed",
            }
    if "POST" not in allowed:
        reply = tree.post(path, {})
        assert reply.status == 405
        assert reply.json == {"code": "MethodNotAllowedError", "message": "POST is not allowed"}


def test_requests_need_a_token(tree):
    reply = tree.call("POST", f"{SYS}/badges/system-badge/instances", json_body={}, sign=False)
    assert reply.status == 403
    assert reply.json["code"] == "NotAuthorized"


# --- what the milestone awarder uses (milestones.md Auto-award, data-model C9) ------------------


def test_held_badge_ids_across_systems(tree):
    from badgekit.domain import instances

    tree.post("/systems", system_body("pittsburgh"))
    other = tree.post("/systems/pittsburgh/badges", badge_body("elsewhere")).json["badge"]
    ids = {
        award(tree, prefix, slug, email).json["instance"]["badge"]["id"]
        for prefix, slug, email in (
            (SYS, "system-badge", BRIAN),
            (PRG, "program-badge", "Brian@Example.org"),
            ("/systems/pittsburgh", "elsewhere", BRIAN),
            (ISS, "issuer-badge", "ann@example.org"),
        )
        if email.lower() == BRIAN
    }
    assert other["id"] in ids
    assert instances.held_badge_ids("BRIAN@example.org") == ids
    tree.delete(f"{SYS}/badges/system-badge/instances/{enc(BRIAN)}")
    assert instances.held_badge_ids(BRIAN) == ids - {1}
    assert instances.held_badge_ids("nobody@example.org") == set()


def test_award_from_milestone(tree):
    from badgekit.domain import instances
    from badgekit.store import db, keys
    from badgekit.store.badges import BadgeRecord
    from badgekit.store.records import optional

    primary = optional(db.get(keys.badge("program-badge")), BadgeRecord)
    assert primary is not None
    created = instances.award_from_milestone(primary, BRIAN, 7, "https://other.example.org")
    assert created is not None
    assert HEX40.fullmatch(created["slug"])
    assert created["expires"] is None
    assert created["claimCode"] is None
    assert abs(int(created["issuedOn"]) - time.time()) < 5
    (event,) = events()
    assert (event["action"], event["origin"], int(event["systemId"])) == ("award", "milestone", 7)
    assert (int(event["badgeId"]), event["email"]) == (int(primary["id"]), BRIAN)
    assert event["baseUrl"] == "https://other.example.org"
    payload = json.loads(event["body"])
    assert payload["badge"]["slug"] == "program-badge"
    assert payload["badge"]["program"]["slug"] == "scratch"
    assert payload["comment"] is None
    assert payload["assertionUrl"] == (
        f"https://other.example.org/public/assertions/{created['slug']}"
    )
    listed = tree.get(f"{PRG}/badges/program-badge/instances/{enc(BRIAN)}").json["instance"]
    assert listed["slug"] == created["slug"]
    # Already held: no error, nothing written.
    assert instances.award_from_milestone(primary, "BRIAN@example.org", 7, BASE) is None
    assert len(events()) == 1
