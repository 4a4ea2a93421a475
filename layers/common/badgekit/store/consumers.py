"""Consumer API keys in the table: their record, reads and write actions."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from badgekit.store import db, keys, prefetch
from badgekit.store.records import optional, record


class ConsumerRecord(TypedDict):
    entity: str
    id: int
    apiKey: str
    apiSecret: str
    systemId: int
    description: NotRequired[str]
    created: NotRequired[int]


def get(api_key: str) -> ConsumerRecord | None:
    return optional(prefetch.get(keys.consumer(api_key)), ConsumerRecord)


def page_of(system_id: int, page: db.Page | None) -> tuple[list[ConsumerRecord], int]:
    items, total = db.list_members(keys.consumers_list(system_id), page)
    return [record(item, ConsumerRecord) for item in items], total


def keys_of_system(system_id: int) -> list[keys.Key]:
    """The item keys of a system's consumers (its purge)."""
    consumers, _ = page_of(system_id, None)
    return [keys.consumer(consumer["apiKey"]) for consumer in consumers]


def current(api_key: str) -> ConsumerRecord | None:
    """The consumer of a key as it is now (consistent read)."""
    return optional(db.get(keys.consumer(api_key)), ConsumerRecord)


def put_over(consumer: ConsumerRecord, held: ConsumerRecord | None) -> dict[str, Any]:
    """Put action: the new consumer at its key, over `held` (a consumer of a deleted system,
    only if it is still that one) or, when None, only if the key is free."""
    item = {**consumer, **keys.consumer(consumer["apiKey"])}
    return {"Put": {"Item": item, **db.free_or(None if held is None else held["id"])}}


def purge_of_system(system_id: int) -> int:
    """Delete the consumers of a deleted system (each only if it is still that system's: a
    key taken over by another system's consumer stays)."""
    consumers, _ = page_of(system_id, None)
    removed = 0
    for consumer in consumers:
        if consumer["systemId"] != system_id:
            continue
        try:
            db.table().delete_item(
                Key=keys.consumer(consumer["apiKey"]),
                ConditionExpression="systemId = :system",
                ExpressionAttributeValues={":system": system_id},
            )
            removed += 1
        except db.client().exceptions.ConditionalCheckFailedException:
            continue
    return removed


def add(consumer: ConsumerRecord) -> list[dict[str, Any]]:
    """Actions: put the new consumer (its key must be free: action 0) and list it in its
    system (actions 1 and 2)."""
    key = keys.consumer(consumer["apiKey"])
    put = {"Put": {"Item": {**consumer, **key}, "ConditionExpression": "attribute_not_exists(PK)"}}
    scope = keys.consumers_list(consumer["systemId"])
    return [put, *db.list_add(scope, consumer["id"], key)]


def remove(consumer: ConsumerRecord) -> list[dict[str, Any]]:
    """Actions: delete the consumer if it is still the same one (action 0), unlist it."""
    key = keys.consumer(consumer["apiKey"])
    return [
        db.delete_same({**key, "id": consumer["id"]}),
        *db.list_remove(keys.consumers_list(consumer["systemId"]), consumer["id"]),
    ]
