"""Milestones in the table (spec milestones.md; data-model M1-M5).

A milestone lives in its system's partition at `keys.milestone(systemId, id)` (M1: one Query of
the `MILESTONE#` prefix, whose first item is the list header `keys.milestones_header` with the
exact `total`, up to the end of the page; M2: one GetItem) and is indexed on GSI2 by its primary
badge (M3). Each support badge has an entry at `keys.milestone_support(badgeId, milestoneId)`:
the partition `SUPPORT#<badgeId>` answers "milestones listing B" (M4). Every expression a
milestone or a support entry is written with is built here; the domain composes the actions of
one write.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NotRequired, TypedDict

from boto3.dynamodb.conditions import Key as KeyCondition

from badgekit.store import badges as badge_store
from badgekit.store import db, directory, keys, prefetch
from badgekit.store.records import optional, record

ENTITY = "milestone"
SUPPORT_ENTITY = "milestoneSupport"

Action = dict[str, Any]


class MilestoneRecord(TypedDict):
    id: int
    systemId: int
    primaryBadgeId: int
    numberRequired: int
    action: str
    supportBadgeIds: list[int]  # ascending
    version: NotRequired[int]  # optimistic concurrency: every write requires the one it read


class SupportRecord(TypedDict):
    """A support entry: milestone `milestoneId` (of system `systemId`) lists badge `badgeId`."""

    systemId: int
    milestoneId: int
    badgeId: NotRequired[int]


def key(system_id: int, milestone_id: int) -> keys.Key:
    return keys.milestone(system_id, milestone_id)


def _key_of(milestone: MilestoneRecord) -> keys.Key:
    return key(milestone["systemId"], milestone["id"])


# --- reading ----------------------------------------------------------------------------------


def get(system_id: int, milestone_id: int) -> MilestoneRecord | None:
    """M2: one consistent GetItem (a milestone of another system simply is not there)."""
    return optional(prefetch.get(key(system_id, milestone_id)), MilestoneRecord)


def page_query(system_id: int, page: db.Page | None) -> prefetch.Planned:
    """(name, run) of M1's Query: the list header and the milestones up to the end of `page`
    (all of them unpaged), for a request to make it ahead."""
    partition = keys.system_partition(system_id)
    limit = db.list_limit(page)
    return ("milestones", system_id, limit), lambda: db.query_prefix(
        partition, keys.MILESTONE_PREFIX, limit
    )


def _is_header(item: db.Item) -> bool:
    return bool(item["SK"] == keys.MILESTONE_PREFIX)


def page_of(system_id: int, page: db.Page | None) -> tuple[list[MilestoneRecord], int]:
    """M1: one page (or all) of a system's milestones, ascending id, and the exact total: one
    consistent Query of the header (`keys.milestones_header`) and the milestones up to the end
    of the page. Unpaged, the total is the number read (the page is the collection)."""
    rows = prefetch.query(*page_query(system_id, page))
    header = rows[0] if rows and _is_header(rows[0]) else None
    items = rows[1:] if header is not None else rows
    if page is None:
        return [record(item, MilestoneRecord) for item in items], len(items)
    total = int(header.get("total", 0)) if header is not None else 0
    shown = items[page.start : page.start + page.count]
    return [record(item, MilestoneRecord) for item in shown], total


def of_system(system_id: int) -> Iterator[MilestoneRecord]:
    """Every milestone of a system, ascending id (consistent Query, page by page)."""
    for item in db.query_prefix(keys.system_partition(system_id), keys.MILESTONE_PREFIX):
        if not _is_header(item):
            yield record(item, MilestoneRecord)


def primary_query(badge_id: int) -> prefetch.Planned:
    """(name, run) of the GSI2 Query of `of_primary`, for a request to make it ahead."""

    def run() -> list[db.Item]:
        response = db.table().query(
            IndexName="GSI2",
            KeyConditionExpression=KeyCondition("GSI2PK").eq(keys.primary_lookup(badge_id)),
        )
        items: list[db.Item] = response["Items"]
        return items

    return ("primary", badge_id), run


def of_primary(badge_id: int) -> list[MilestoneRecord]:
    """M3: milestones (any system) whose GSI2 entry names `badge_id` as primary. GSI2 (keys
    only) finds them; when there are any, one consistent BatchGetItem reads them (in a GET
    request, with the badges the directory remembers them naming). A badge without milestones
    costs one Query."""
    rows = prefetch.query(*primary_query(badge_id))
    wanted = [{"PK": row["PK"], "SK": row["SK"]} for row in rows]
    guessed = [b for row in rows for b in directory.milestone_badges(row["PK"], row["SK"])]
    prefetch.read([*wanted, *badge_store.keys_by_id(guessed)])
    found = prefetch.batch_get(wanted)
    return [record(item, MilestoneRecord) for item in found]


def support_entries(badge_id: int) -> Iterator[SupportRecord]:
    """The support entries of a badge (M4's index), consistent Query page by page."""
    for item in db.query_prefix(keys.support_partition(badge_id), keys.MILESTONE_PREFIX):
        yield record(item, SupportRecord)


def listing(badge_id: int) -> list[MilestoneRecord]:
    """The milestones the badge's support entries name: one consistent Query of the entries;
    when there are any, one consistent BatchGetItem of the milestones (an entry may be stale:
    the caller checks the milestone still lists the badge)."""
    entries = list(support_entries(badge_id))
    wanted = [key(entry["systemId"], entry["milestoneId"]) for entry in entries]
    return [record(item, MilestoneRecord) for item in db.batch_get(wanted)]


def reload(current: MilestoneRecord, gone: Exception, failure: Exception) -> MilestoneRecord:
    """The milestone as it now is, after a write of it failed (`db.reload`)."""
    reloaded = db.reload({**_key_of(current), "id": current["id"]}, gone, failure)
    return record(reloaded, MilestoneRecord)


# --- writing ----------------------------------------------------------------------------------


def put_action(milestone: MilestoneRecord, expected_version: int | None) -> Action:
    """Put action writing the milestone: a new one (`expected_version` None) only if its key is
    free, else only if the stored one still has `expected_version`."""
    item = {
        **milestone,
        **_key_of(milestone),
        "entity": ENTITY,
        "GSI2PK": keys.primary_lookup(milestone["primaryBadgeId"]),
        "GSI2SK": keys.padded(milestone["id"]),
    }
    if expected_version is None:
        return {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}
    return {
        "Put": {
            "Item": item,
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": {":v": expected_version},
        }
    }


def support_actions(
    milestone: MilestoneRecord, removed: Iterable[int], added: Iterable[int]
) -> list[Action]:
    """Actions deleting the support entries of `removed` badges, then writing those of `added`."""
    milestone_id = milestone["id"]
    actions: list[Action] = [
        {"Delete": {"Key": keys.milestone_support(badge_id, milestone_id)}} for badge_id in removed
    ]
    for badge_id in added:
        entry = {
            **keys.milestone_support(badge_id, milestone_id),
            "entity": SUPPORT_ENTITY,
            "systemId": milestone["systemId"],
            "milestoneId": milestone_id,
            "badgeId": badge_id,
        }
        actions.append({"Put": {"Item": entry}})
    return actions


def total_change(system_id: int, delta: int) -> Action:
    """Update action adding `delta` to the exact `total` of the system's milestone list (in the
    transaction that creates or deletes a milestone; the first one creates the header)."""
    return db.header_total_change(keys.milestones_header(system_id), delta)


def delete_actions(milestone: MilestoneRecord) -> list[Action]:
    """The milestone (action 0, only at the version read), one less on the system's list total
    (action 1) and its support entries."""
    return [
        {
            "Delete": {
                "Key": _key_of(milestone),
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": milestone.get("version", 0)},
            }
        },
        total_change(milestone["systemId"], -1),
        *(
            {"Delete": {"Key": keys.milestone_support(badge_id, milestone["id"])}}
            for badge_id in milestone.get("supportBadgeIds", [])
        ),
    ]


def delete_support(badge_id: int, milestone_id: int) -> None:
    """Drop one (stale) support entry."""
    db.table().delete_item(Key=keys.milestone_support(badge_id, milestone_id))
