"""Badge instances and their hosted assertions in the table (spec issuing.md; data-model C5-C9).

An instance lives at `keys.instance(badgeId, email)` in its badge's partition (the key is the
one-per-(badge, email) guard, case-insensitively), is listed in the badge's `instances_list`
and reverse-indexed on GSI2 (`earner_lookup(email)` + `scope_sort_key`). Its assertion lives at
`keys.assertion(slug)` (the deployment-wide slug guard); a revoke turns it into a tombstone and
leaves a reference (`keys.revoked_assertion`) in the badge's partition for the badge-delete
cascade. Every expression an instance or an assertion is written with is built here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from boto3.dynamodb.conditions import Key as KeyCondition

from badgekit.store import badges as badge_store
from badgekit.store import db, keys, prefetch, revocations
from badgekit.store.badges import BadgeRecord
from badgekit.store.codes import CodeRecord
from badgekit.store.codes import key as code_key
from badgekit.store.records import optional, record

ENTITY = "instance"
ASSERTION_ENTITY = "assertion"
TOMBSTONE_ENTITY = "tombstone"
INSTANCE_PREFIX = "INSTANCE#"
REVOKED_PREFIX = "REVOKED#"

Action = dict[str, Any]


class InstanceRecord(TypedDict):
    id: int
    slug: str
    email: str
    issuedOn: int
    expires: int | None
    claimCode: str | None
    badgeId: int
    systemId: int
    issuerId: NotRequired[int]
    programId: NotRequired[int]
    salt: str


class AssertionRecord(TypedDict):
    """What the hosted assertion needs; after a revoke, a tombstone (`revoked`, `revokedAt`)."""

    slug: str
    email: str
    salt: str
    issuedOn: int
    expires: int | None
    badgeId: int
    systemId: int
    instanceId: int
    revoked: bool
    revokedAt: NotRequired[int]


def new_record(
    *,
    instance_id: int,
    slug: str,
    email: str,
    issued_on: int,
    expires: int | None,
    claim_code: str | None,
    badge_id: int,
    place: tuple[int, int | None, int | None],
    salt: str,
) -> InstanceRecord:
    """A new award's instance record; `place` is its badge's (system, issuer, program) ids, the
    issuer and program left out when None."""
    system_id, issuer_id, program_id = place
    instance: InstanceRecord = {
        "id": instance_id,
        "slug": slug,
        "email": email,
        "issuedOn": issued_on,
        "expires": expires,
        "claimCode": claim_code,
        "badgeId": badge_id,
        "systemId": system_id,
        "salt": salt,
    }
    if issuer_id is not None:
        instance["issuerId"] = issuer_id
    if program_id is not None:
        instance["programId"] = program_id
    return instance


def hosted_of(instance: InstanceRecord) -> AssertionRecord:
    """The hosted assertion of a new award: the instance's own values, not revoked."""
    return {
        "slug": instance["slug"],
        "email": instance["email"],
        "salt": instance["salt"],
        "issuedOn": instance["issuedOn"],
        "expires": instance["expires"],
        "badgeId": instance["badgeId"],
        "systemId": instance["systemId"],
        "instanceId": instance["id"],
        "revoked": False,
    }


def key(badge_id: int, email: str) -> keys.Key:
    return keys.instance(badge_id, email)


def _key_of(instance: InstanceRecord) -> keys.Key:
    return key(instance["badgeId"], instance["email"])


# --- reading ----------------------------------------------------------------------------------


def get(badge_id: int, email: str) -> InstanceRecord | None:
    return optional(prefetch.get(key(badge_id, email)), InstanceRecord)


def assertion(slug: str) -> AssertionRecord | None:
    """A hosted assertion (or its tombstone) by slug, strongly consistent."""
    return optional(prefetch.get(keys.assertion(slug)), AssertionRecord)


def list_for_badge(badge_id: int, page: db.Page | None) -> tuple[list[InstanceRecord], int]:
    """C7: a badge's instances, creation order, one page or all, with the exact total."""
    members, total = db.list_members(keys.instances_list(badge_id), page)
    return [record(member, InstanceRecord) for member in members], total


def earner_query(email: str, scope_prefix: str) -> prefetch.Planned:
    """(name, run) of the GSI2 Query of `list_for_earner`, for a request to make it ahead."""
    lookup = keys.earner_lookup(email)
    return ("earner", lookup, scope_prefix), lambda: db.reverse_lookup(lookup, scope_prefix)


def list_for_earner(
    email: str, scope_prefix: str, page: db.Page | None, purging: frozenset[str] = frozenset()
) -> tuple[list[InstanceRecord], int]:
    """C8: instances held by `email` whose badge lies in a container (`scope_prefix`), ascending
    id. GSI2 (keys only) gives the keys of the whole filtered list, so `total` is exact; one
    consistent BatchGetItem reads the page (in a GET request, with the page's badges and their
    issuers and programs where the directory guesses their keys)."""
    entries = [
        entry
        for entry in prefetch.query(*earner_query(email, scope_prefix))
        if not keys.purged_scope(str(entry["GSI2SK"]), purging)  # its issuer or program is gone
    ]
    entries.sort(key=lambda entry: str(entry["GSI2SK"]).rsplit("#", 1)[1])
    total = len(entries)
    if page is not None:
        entries = entries[page.start : page.start + page.count]
    wanted = [{"PK": e["PK"], "SK": e["SK"]} for e in entries]
    badge_ids = [int(str(e["PK"]).rsplit("#", 1)[1]) for e in entries]  # BADGEID#<id>
    prefetch.read([*wanted, *badge_store.keys_by_id(badge_ids)])
    found = prefetch.batch_get(wanted)
    if page is None:
        total = len(found)
    return [record(item, InstanceRecord) for item in found], total


def held_badge_ids(email: str) -> set[int]:
    """C9: ids of every badge `email` holds, in any system (GSI2: eventually consistent)."""
    return {
        int(str(row["PK"]).rsplit("#", 1)[1])  # BADGEID#<id>
        for row in db.reverse_lookup(keys.earner_lookup(email))
    }


def held_among(email: str, badge_ids: Iterable[int]) -> set[int]:
    """Which of `badge_ids` `email` holds (any system; case-insensitive): one strongly
    consistent BatchGetItem of the instance keys."""
    wanted = sorted(set(badge_ids))
    found = db.batch_get([key(badge_id, email) for badge_id in wanted])
    return {record(item, InstanceRecord)["badgeId"] for item in found}


def holding(badge_id: int, emails: Sequence[str]) -> set[str]:
    """Those of `emails` that hold the badge (consistent reads, in BatchGetItems of 100 run
    concurrently)."""
    wanted = [key(badge_id, email) for email in emails]
    chunks = [wanted[start : start + 100] for start in range(0, len(wanted), 100)]
    held = {str(item["SK"]) for found in db.fan_out(db.batch_get, chunks) for item in found}
    return {email for email in emails if key(badge_id, email)["SK"] in held}


@dataclass
class AwardState:
    """What an award found when its transaction was cancelled: the badge at its key, the
    instance of (badge, email) and the code it claimed, each as it now is (None: absent)."""

    badge: BadgeRecord | None
    instance: InstanceRecord | None
    code: CodeRecord | None


def award_state(badge: BadgeRecord, email: str, code: str | None) -> AwardState:
    """One consistent BatchGetItem: the badge, the instance of `email` and the code `code`."""
    badge_id = badge["id"]
    wanted = [badge_store.key_of(badge), key(badge_id, email)]
    if code is not None:
        wanted.append(code_key(badge_id, code))
    found = {(item["PK"], item["SK"]): item for item in db.batch_get(wanted)}

    def at(wanted_key: keys.Key) -> db.Item | None:
        return found.get((wanted_key["PK"], wanted_key["SK"]))

    return AwardState(
        optional(at(wanted[0]), BadgeRecord),
        optional(at(wanted[1]), InstanceRecord),
        optional(at(wanted[2]), CodeRecord) if code is not None else None,
    )


def recheck(badge: BadgeRecord, emails: Sequence[str]) -> tuple[BadgeRecord | None, set[str]]:
    """After a cancelled bulk chunk, one consistent BatchGetItem: the badge at its key as it now
    is, and those of `emails` that now hold it."""
    badge_id = badge["id"]
    badge_key = badge_store.key_of(badge)
    found = {
        (i["PK"], i["SK"]): i
        for i in db.batch_get([badge_key, *(key(badge_id, e) for e in emails)])
    }
    badge_now = found.pop((badge_key["PK"], badge_key["SK"]), None)
    held = {sk for _, sk in found}
    return optional(badge_now, BadgeRecord), {
        email for email in emails if key(badge_id, email)["SK"] in held
    }


# --- writing ----------------------------------------------------------------------------------


def put_actions(instance: InstanceRecord, hosted: AssertionRecord) -> list[Action]:
    """Transaction actions writing a new award: the instance (action 0, only if the email does
    not hold the badge), its assertion (action 1, only if the slug is free) and its list entry
    (the list total changes separately, once per transaction: `total_change`)."""
    instance_key = _key_of(instance)
    absent = "attribute_not_exists(PK)"
    instance_item = {
        **instance_key,
        "entity": ENTITY,
        **instance,
        "GSI2PK": keys.earner_lookup(instance["email"]),
        "GSI2SK": keys.scope_sort_key(
            instance["systemId"],
            instance.get("issuerId"),
            instance.get("programId"),
            instance["id"],
        ),
    }
    assertion_item = {**keys.assertion(hosted["slug"]), "entity": ASSERTION_ENTITY, **hosted}
    return [
        {"Put": {"Item": instance_item, "ConditionExpression": absent}},
        {"Put": {"Item": assertion_item, "ConditionExpression": absent}},
        db.list_entry(keys.instances_list(instance["badgeId"]), instance["id"], instance_key),
    ]


def total_change(badge_id: int, delta: int) -> Action:
    """Update action: add `delta` to the badge's instance total."""
    return db.total_change(keys.instances_list(badge_id), delta)


def revoke_actions(instance: InstanceRecord, now: int) -> list[Action]:
    """Transaction actions of a revoke: delete the instance (action 0, only if still the same),
    turn its assertion into a tombstone (action 1, only if still this instance's), leave the
    tombstone's reference in the badge's partition, record the award in its system's
    revocation lists and remove the list entry."""
    badge_id, slug = instance["badgeId"], instance["slug"]
    return [
        db.delete_same({**_key_of(instance), "id": instance["id"]}),
        {
            "Update": {
                "Key": keys.assertion(slug),
                "UpdateExpression": "SET revoked = :true, revokedAt = :now",
                "ConditionExpression": "instanceId = :id",
                "ExpressionAttributeValues": {":id": instance["id"], ":true": True, ":now": now},
            }
        },
        {
            "Put": {
                "Item": {
                    **keys.revoked_assertion(badge_id, slug),
                    "entity": TOMBSTONE_ENTITY,
                    "slug": slug,
                }
            }
        },
        revocations.put_action(
            {
                "slug": slug,
                "systemId": instance["systemId"],
                "badgeId": badge_id,
                "revokedAt": now,
                "reason": revocations.DEFAULT_REASON,
            }
        ),
        *db.list_remove(keys.instances_list(badge_id), instance["id"]),
    ]


def update_actions(instance: InstanceRecord, changes: Mapping[str, Any]) -> list[Action]:
    """Transaction actions setting `changes` (attribute -> value) on the instance and on its
    assertion, each only if still this instance's."""
    names = {f"#f{i}": name for i, name in enumerate(changes)}
    values: dict[str, Any] = {f":v{i}": value for i, value in enumerate(changes.values())}
    values[":id"] = instance["id"]
    expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(changes)))
    common = {
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    return [
        {"Update": {"Key": _key_of(instance), "ConditionExpression": "id = :id", **common}},
        {
            "Update": {
                "Key": keys.assertion(instance["slug"]),
                "ConditionExpression": "instanceId = :id",
                **common,
            }
        },
    ]


def revised(instance: InstanceRecord, changes: Mapping[str, Any]) -> InstanceRecord:
    """The instance as `update_actions` leave it."""
    return record({**instance, **changes}, InstanceRecord)


# --- badge delete cascade ---------------------------------------------------------------------


def purge_assertions(badge_id: int) -> None:
    """Delete what a badge's instances keep outside its partition: their assertions and
    tombstones (the slugs come from the instances and the tombstone references)."""
    partition = keys.badge_partition(badge_id)
    slugs: list[str] = []
    for prefix in (INSTANCE_PREFIX, REVOKED_PREFIX):
        slugs.extend(str(item["slug"]) for item in _slugs_in(partition, prefix))
    db.delete_keys(keys.assertion(slug) for slug in slugs)


def _slugs_in(partition: str, prefix: str) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition("PK").eq(partition)
        & KeyCondition("SK").begins_with(prefix),
        "ProjectionExpression": "slug",
        "ConsistentRead": True,
    }
    while True:
        response = db.table().query(**kwargs)
        yield from (item for item in response["Items"] if "slug" in item)
        if "LastEvaluatedKey" not in response:
            return
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
