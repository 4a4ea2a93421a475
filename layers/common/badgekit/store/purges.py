"""Purge jobs of deleted containers in the table, and the list-header and partition work the
purge does (domain/cascade.py has the steps; keys: `store/keys.py`).

A job is one item per deleted container, keyed by the container's immutable id (ids are never
reused, so a container re-created under the same slug is never touched). Its INSERT and every
MODIFY of its cursor reach the purger through the table's stream (the event filter lets only
`entity = purge` records through); the purger deletes it when it is done.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, NotRequired, TypedDict

from badgekit.store import db, keys
from badgekit.store.records import optional

ENTITY = "purge"
Stage = Literal["badges", "containers"]


class PurgeRecord(TypedDict):
    """A deleted container still being purged: what it was, and how far the purge got (the
    stage, and in it the last badge id (`badges`) done)."""

    entity: Literal["purge"]
    target: str  # "system" | "issuer" | "program"
    systemId: int
    issuerId: NotRequired[int]
    programId: NotRequired[int]
    stage: Stage
    cursor: int
    created: int


def target_id(job: PurgeRecord) -> int:
    if job["target"] == "program":
        return job["programId"]
    if job["target"] == "issuer":
        return job["issuerId"]
    return job["systemId"]


def key_of(job: PurgeRecord) -> keys.Key:
    return keys.purge_job(job["target"], target_id(job))


def put_new(job: PurgeRecord) -> dict[str, Any]:
    """Put action: the job (a repeat of the same delete cannot commit: its container is gone)."""
    return {"Put": {"Item": {**job, **key_of(job)}}}


def get(key: keys.Key) -> PurgeRecord | None:
    """The job as it is now (consistent), or None when it is done."""
    return optional(db.get(key), PurgeRecord)


def advance(job: PurgeRecord, stage: Stage, cursor: int) -> bool:
    """Move the job on (its MODIFY record brings the purger back), only if nobody moved it
    since it was read (a re-delivered record ran the same step): False then."""
    try:
        db.table().update_item(
            Key=key_of(job),
            UpdateExpression="SET #s = :stage, #c = :cursor",
            ConditionExpression="#s = :was AND #c = :at",
            ExpressionAttributeNames={"#s": "stage", "#c": "cursor"},
            ExpressionAttributeValues={
                ":stage": stage,
                ":cursor": cursor,
                ":was": job["stage"],
                ":at": job["cursor"],
            },
        )
    except db.client().exceptions.ConditionalCheckFailedException:
        return False
    return True


def finish(job: PurgeRecord) -> None:
    db.table().delete_item(Key=key_of(job))


# --- the delete's own transaction --------------------------------------------------------------


def totals(scopes: Sequence[keys.ListScope]) -> dict[str, int]:
    """The exact totals of lists (header SK -> total; absent headers count 0): one consistent
    BatchGetItem. The delete takes them out of the lists above and checks them unchanged."""
    found = {str(item["SK"]): int(item.get("total", 0)) for item in db.batch_get(_headers(scopes))}
    return {scope.prefix: found.get(scope.prefix, 0) for scope in scopes}


def _headers(scopes: Iterable[keys.ListScope]) -> list[keys.Key]:
    return [scope.header() for scope in scopes]


def total_is(scope: keys.ListScope, total: int) -> dict[str, Any]:
    """ConditionCheck action: the list's total is still `total` (nothing joined or left it
    since it was read; an absent header counts 0)."""
    condition = "#t = :n" if total else "attribute_not_exists(#t) OR #t = :n"
    return {
        "ConditionCheck": {
            "Key": scope.header(),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#t": "total"},
            "ExpressionAttributeValues": {":n": total},
        }
    }


def subtract(scope: keys.ListScope, count: int, token: str) -> dict[str, Any]:
    """Update action: `count` members of a container being purged leave the list's total now,
    and the header names the container, so readers skip its entries until the purge removes
    them (`db.live_rows`)."""
    return {
        "Update": {
            "Key": scope.header(),
            "UpdateExpression": "ADD #t :d, #p :token",
            "ExpressionAttributeNames": {"#t": "total", "#p": db.PURGING},
            "ExpressionAttributeValues": {":d": -count, ":token": {token}},
        }
    }


def mark_system(system_id: int, system_key: keys.Key, token: str) -> dict[str, Any]:
    """Update action: the system names an issuer or program of it being purged (readers of its
    badges, codes, applications, instances and milestones leave that one's out); the version
    moves, so a system update that read it before writes again instead of dropping the mark."""
    return {
        "Update": {
            "Key": system_key,
            "UpdateExpression": "ADD #p :token, version :one",
            "ConditionExpression": "id = :id",
            "ExpressionAttributeNames": {"#p": db.PURGING},
            "ExpressionAttributeValues": {":token": {token}, ":one": 1, ":id": system_id},
        }
    }


# --- the purge's steps ------------------------------------------------------------------------


def badge_entries(scopes: Sequence[keys.ListScope], after: int, limit: int) -> list[db.Item]:
    """The next `limit` badges (entries: id in the SK, `refPK`/`refSK`) of the deleted
    container's own lists (active and archived) after badge id `after`, by id."""
    rows: list[db.Item] = []
    for scope in scopes:
        start = scope.entry(after) if after else scope.header()
        rows.extend(
            row
            for row in db.query_from(scope.partition, scope.prefix, start, limit, db.LIST_ROW)
            if row["SK"] != scope.prefix
        )
    rows.sort(key=db.member_id)
    return rows[:limit]


def delete_if_same(key: keys.Key, entity_id: int) -> bool:
    """Delete the item at `key` only if it is still `entity_id` (a badge slug taken over by a
    new badge keeps the newcomer)."""
    try:
        db.table().delete_item(
            Key={"PK": key["PK"], "SK": key["SK"]},
            ConditionExpression="id = :id",
            ExpressionAttributeValues={":id": entity_id},
        )
    except db.client().exceptions.ConditionalCheckFailedException:
        return False
    return True


def keys_under(partition: str, prefixes: Sequence[str], limit: int) -> list[keys.Key]:
    """Up to `limit` item keys of a partition under the prefixes, in order (the purge's bounded
    slice of a container's leftovers)."""
    found: list[keys.Key] = []
    for prefix in prefixes:
        for key in db.partition_keys(partition, prefix):
            found.append(key)
            if len(found) >= limit:
                return found
    return found


def unmark(scope_or_key: keys.ListScope | keys.Key, token: str) -> None:
    """The purge is over: the list header (or the system item) no longer names the container.
    Only where the item still exists (a header in a system being purged is not re-created)."""
    key = scope_or_key.header() if isinstance(scope_or_key, keys.ListScope) else scope_or_key
    try:
        db.table().update_item(
            Key={"PK": key["PK"], "SK": key["SK"]},
            UpdateExpression="DELETE #p :token",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames={"#p": db.PURGING},
            ExpressionAttributeValues={":token": {token}},
        )
    except db.client().exceptions.ConditionalCheckFailedException:
        return


def unmark_system(system_id: int, token: str) -> None:
    """The system (found by id; it may have been renamed) no longer names the container; its
    version moves (see `mark_system`). Nothing when the system is gone."""
    for attempt in range(db.MAX_ATTEMPTS):
        found = db.by_id("system", system_id)
        if found is None:
            return
        try:
            db.table().update_item(
                Key={"PK": found["PK"], "SK": found["SK"]},
                UpdateExpression="DELETE #p :token ADD version :one",
                ConditionExpression="id = :id",
                ExpressionAttributeNames={"#p": db.PURGING},
                ExpressionAttributeValues={":token": {token}, ":one": 1, ":id": system_id},
            )
            return
        except db.client().exceptions.ConditionalCheckFailedException:
            db.back_off(attempt)  # renamed meanwhile (GSI1 lags): look it up again
