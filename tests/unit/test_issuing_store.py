"""The issuing store modules (store/codes.py, store/instances.py, store/milestones.py): what they
read comes back as typed records (whole numbers as ints, no key attribute declared), and the
actions they build carry the conditions the domain relies on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.support.bodies import minimal_badge
from tests.unit.conftest import Api, system_body

SYS = "/systems/chicago"
ISS = f"{SYS}/issuers/library"
BRIAN = "brian@example.org"


@pytest.fixture
def tree(api: Api) -> Api:
    assert api.post("/systems", system_body("chicago")).status == 201
    issuer = {"slug": "library", "name": "Library", "url": "http://lib.org"}
    assert api.post(f"{SYS}/issuers", issuer).status == 201
    assert api.post(f"{ISS}/badges", minimal_badge("first")).status == 201
    assert api.post(f"{SYS}/badges", minimal_badge("second")).status == 201
    return api


def no_decimal(value: Any) -> bool:
    if isinstance(value, dict):
        return all(no_decimal(inner) for inner in value.values())
    if isinstance(value, list):
        return all(no_decimal(inner) for inner in value)
    return not isinstance(value, Decimal)


def test_code_reads_are_records_and_the_lookup_names_badge_and_key(tree):
    from badgekit.store import codes as code_store
    from badgekit.store import keys

    body = {"code": "Open-Sesame", "email": BRIAN, "multiuse": True}
    assert tree.post(f"{ISS}/badges/first/codes", body).status == 201
    code = code_store.get(1, "OPEN-sesame")
    assert code is not None
    assert no_decimal(code)
    assert (code["id"], code["code"], code["badgeId"], code["systemId"]) == (1, "Open-Sesame", 1, 1)
    assert (code["claimed"], code["multiuse"], code["email"], code["issuerId"]) == (
        False,
        True,
        BRIAN,
        1,
    )
    assert code_store.get(2, "open-sesame") is None
    [match] = code_store.matches("OPEN-SESAME", keys.scope_prefix(1))
    assert (match.id, match.badge_id, match.key) == (1, 1, keys.claim_code(1, "open-sesame"))
    assert code_store.matches("open-sesame", keys.scope_prefix(2)) == []
    listed, total = code_store.list_for_badge(1, None)
    assert (listed, total) == ([code_store.at(match.key)], 1)


def test_claim_and_update_return_records_or_say_why_not(tree):
    from badgekit.store import codes as code_store

    assert tree.post(f"{ISS}/badges/first/codes", {"code": "once"}).status == 201
    claimed = code_store.claim(1, "once", BRIAN)
    assert no_decimal(claimed)
    assert (claimed["id"], claimed["claimed"], claimed["email"]) == (1, True, BRIAN)
    with pytest.raises(code_store.ClaimRefused) as used:
        code_store.claim(1, "once", None)
    assert used.value.exists is True
    with pytest.raises(code_store.ClaimRefused) as missing:
        code_store.claim(1, "nothing", None)
    assert missing.value.exists is False
    updated = code_store.update(1, "once", {"claimed": False}, ["email"])
    assert updated is not None
    assert "email" not in updated
    assert updated["claimed"] is False
    assert code_store.update(1, "nothing", {"claimed": False}, []) is None


def test_instance_and_assertion_reads_are_records(tree):
    from badgekit.store import instances as instance_store
    from badgekit.store import keys

    body = {"email": "Brian@Example.org", "issuedOn": 1402408977, "expires": 1420070400}
    created = tree.post(f"{ISS}/badges/first/instances", body).json["instance"]
    instance = instance_store.get(1, BRIAN)
    assert instance is not None
    assert no_decimal(instance)
    assert (instance["id"], instance["badgeId"], instance["systemId"], instance["issuerId"]) == (
        1,
        1,
        1,
        1,
    )
    assert (instance["email"], instance["issuedOn"], instance["expires"]) == (
        "Brian@Example.org",
        1402408977,
        1420070400,
    )
    assert "programId" not in instance
    hosted = instance_store.assertion(created["slug"].upper())
    assert hosted is not None
    assert no_decimal(hosted)
    assert (hosted["instanceId"], hosted["badgeId"], hosted["revoked"]) == (1, 1, False)
    assert hosted["salt"] == instance["salt"]
    assert instance_store.holding(1, ["BRIAN@example.org", "ann@example.org"]) == {
        "BRIAN@example.org"
    }
    assert instance_store.held_among(BRIAN, [1, 2]) == {1}
    assert instance_store.held_badge_ids(BRIAN) == {1}
    found, total = instance_store.list_for_earner(BRIAN, keys.scope_prefix(1, 1), None)
    assert (found, total) == ([instance], 1)
    assert instance_store.list_for_earner(BRIAN, keys.scope_prefix(2), None) == ([], 0)


def test_revoke_and_update_actions_are_conditioned_on_the_same_instance(tree):
    from badgekit.store import db, keys
    from badgekit.store import instances as instance_store

    created = tree.post(f"{ISS}/badges/first/instances", {"email": BRIAN}).json["instance"]
    instance = instance_store.get(1, BRIAN)
    assert instance is not None
    update = instance_store.update_actions(instance, {"expires": 1420070400})
    assert [action["Update"]["ConditionExpression"] for action in update] == [
        "id = :id",
        "instanceId = :id",
    ]
    db.transact(update)
    assert instance_store.revised(instance, {"expires": 1420070400}) == instance_store.get(1, BRIAN)
    revoke = instance_store.revoke_actions(instance, 1500000000)
    assert [next(iter(action)) for action in revoke] == [
        "Delete",
        "Update",
        "Put",
        "Put",  # the award in its system's revocation lists
        "Delete",
        "Update",
    ]
    db.transact(revoke)
    assert instance_store.get(1, BRIAN) is None
    tombstone = instance_store.assertion(created["slug"])
    assert tombstone is not None
    assert (tombstone["revoked"], tombstone["revokedAt"]) == (True, 1500000000)
    assert db.get(keys.revoked_assertion(1, created["slug"])) is not None
    assert db.get(keys.revocation(1, created["slug"])) is not None
    with pytest.raises(db.TransactionFailed) as again:
        db.transact(instance_store.revoke_actions(instance, 1500000001))
    assert again.value.failed(0)


def test_milestone_reads_are_records_and_writes_require_the_version_read(tree):
    from badgekit.store import db
    from badgekit.store import milestones as milestone_store

    body = {"primaryBadgeId": 2, "numberRequired": 1, "supportBadges": [1]}
    assert tree.post(f"{SYS}/milestones", body).status == 201
    milestone = milestone_store.get(1, 1)
    assert milestone is not None
    assert no_decimal(milestone)
    assert milestone == {
        **milestone,
        "id": 1,
        "systemId": 1,
        "primaryBadgeId": 2,
        "numberRequired": 1,
        "action": "issue",
        "supportBadgeIds": [1],
        "version": 1,
    }
    assert list(milestone_store.of_system(1)) == [milestone]
    assert milestone_store.of_primary(2) == [milestone]
    assert milestone_store.listing(1) == [milestone]
    entries = list(milestone_store.support_entries(1))
    assert [(e["systemId"], e["milestoneId"], e.get("badgeId")) for e in entries] == [(1, 1, 1)]
    stale = milestone.copy()
    changed = {**milestone, "numberRequired": 2, "version": 2}
    db.transact([milestone_store.put_action(changed, 1)])
    with pytest.raises(db.TransactionFailed):
        db.transact([milestone_store.put_action({**stale, "version": 2}, 1)])
    with pytest.raises(db.TransactionFailed):
        db.transact(milestone_store.delete_actions(stale))
    db.transact(milestone_store.delete_actions(changed))
    assert milestone_store.get(1, 1) is None
    assert list(milestone_store.support_entries(1)) == []
