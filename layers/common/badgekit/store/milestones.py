"""Milestones in the table (spec milestones.md; data-model M1-M5).

A milestone lives in its system's partition at `keys.milestone(systemId, id)` (M1: one Query of
the `MILESTONE#` prefix; M2: one GetItem) and is indexed on GSI2 by its primary badge (M3). Each
support badge has an entry at `keys.milestone_support(badgeId, milestoneId)`: the partition
`SUPPORT#<badgeId>` answers "milestones listing B" (M4). Every expression a milestone or a
support entry is written with is built here; the domain composes the actions of one write.
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


def system_query(system_id: int) -> prefetch.Planned:
    """(name, run) of the Query of `of_system`, for a request to make it ahead."""
    partition = keys.system_partition(system_id)
    return ("milestones", system_id), lambda: db.query_prefix(partition, keys.MILESTONE_PREFIX)


def of_system(system_id: int) -> Iterator[MilestoneRecord]:
    """M1: every milestone of a system, ascending id (consistent Query, page by page)."""
    for item in prefetch.query(*system_query(system_id)):
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


def delete_actions(milestone: MilestoneRecord) -> list[Action]:
    """The milestone (action 0, only at the version read) and its support entries."""
    return [
        {
            "Delete": {
                "Key": _key_of(milestone),
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": milestone.get("version", 0)},
            }
        },
        *(
            {"Delete": {"Key": keys.milestone_support(badge_id, milestone["id"])}}
            for badge_id in milestone.get("supportBadgeIds", [])
        ),
    ]


def delete_support(badge_id: int, milestone_id: int) -> None:
    """Drop one (stale) support entry."""
    db.table().delete_item(Key=keys.milestone_support(badge_id, milestone_id))
