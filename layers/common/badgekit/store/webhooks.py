"""Webhook configurations and their delivery log (webhooks.md §1, §4): every read and write.

A webhook is an item in its system's partition (`keys.webhook`), next to a `(system, url)`
uniqueness guard (`keys.webhook_url`) written in the same transaction. Its deliveries live in
the webhook's own partition (`keys.webhook_partition`): one record per (event, webhook), each
written with a guard keyed by the event (`keys.delivery_guard`), so a repeated stream record
never makes a second delivery. Every record carries a `token` naming its one current scheduled
attempt; an attempt claims the record with a short lease (`claimedUntil`) before calling out.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

from boto3.dynamodb.conditions import Attr
from boto3.dynamodb.conditions import Key as KeyCondition

from badgekit import timestamps
from badgekit.store import db, keys, outbox, prefetch
from badgekit.store.records import optional, record

ENTITY = "webhook"
URL_GUARD_ENTITY = "webhook-url"
DELIVERY_ENTITY = "delivery"
DELIVERY_GUARD_ENTITY = "delivery-guard"

Status = Literal["pending", "delivered", "failed"]


class WebhookRecord(TypedDict):
    id: int
    systemId: int
    url: str
    secret: str  # write-only: stored for signing, never returned
    disabled: bool
    created: int


class DeliveryRecord(TypedDict):
    id: int
    webhookId: int
    systemId: int
    eventId: str
    action: str
    status: Status
    attempts: int
    lastStatusCode: int | None
    lastError: str | None
    nextAttemptAt: int | None
    created: int
    updated: int
    expiresAt: int
    token: str  # the one current scheduled attempt
    claimedUntil: NotRequired[int]  # the lease of an attempt under way


# --- configuration ----------------------------------------------------------------------------


def of_system(system_id: int) -> list[WebhookRecord]:
    """The system's webhooks in ascending id: one Query of the system's partition."""
    partition = keys.system_partition(system_id)
    return [record(item, WebhookRecord) for item in db.query_prefix(partition, keys.WEBHOOK_PREFIX)]


def enabled(system_id: int) -> list[WebhookRecord]:
    """The system's webhooks that are not disabled (one Query)."""
    return [webhook for webhook in of_system(system_id) if not webhook.get("disabled")]


def get(system_id: int, webhook_id: int) -> WebhookRecord | None:
    return optional(prefetch.get(keys.webhook(system_id, webhook_id)), WebhookRecord)


def new_webhook_actions(webhook: WebhookRecord) -> list[dict[str, Any]]:
    """Actions writing a new webhook (action 0, only if its key is free) and its URL guard
    (action 1, only if the system has no webhook with that URL)."""
    system_id, webhook_id = webhook["systemId"], webhook["id"]
    item = {**keys.webhook(system_id, webhook_id), "entity": ENTITY, **webhook}
    guard = {
        **keys.webhook_url(system_id, webhook["url"]),
        "entity": URL_GUARD_ENTITY,
        "webhookId": webhook_id,
    }
    return [
        {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(PK)"}},
        {"Put": {"Item": guard, "ConditionExpression": "attribute_not_exists(PK)"}},
    ]


def insert(
    webhook: WebhookRecord, system_slug: str
) -> Literal["created", "url taken", "no system"]:
    """Write a new webhook with its URL guard, if the system (its slug, its id) is still there:
    one TransactWriteItems. Any other failure raises `db.TransactionFailed`."""
    system_id = webhook["systemId"]
    try:
        db.transact(
            [
                *new_webhook_actions(webhook),
                db.still_there({**keys.system(system_slug), "id": system_id}),
            ]
        )
    except db.TransactionFailed as failure:
        if failure.failed(1):
            return "url taken"
        if failure.failed(2):
            return "no system"
        raise
    return "created"


def remove(webhook: WebhookRecord) -> bool:
    """Delete the webhook (if it is still the same one) and its URL guard: one
    TransactWriteItems; False when it was gone already."""
    system_id, webhook_id = webhook["systemId"], webhook["id"]
    try:
        db.transact(
            [
                db.delete_same({**keys.webhook(system_id, webhook_id), "id": webhook_id}),
                {"Delete": {"Key": keys.webhook_url(system_id, webhook["url"])}},
            ]
        )
    except db.TransactionFailed:
        return False
    return True


def disable(system_id: int, webhook_id: int) -> None:
    """Mark the webhook disabled (one conditional UpdateItem); nothing if it was deleted."""
    try:
        db.table().update_item(
            Key=keys.webhook(system_id, webhook_id),
            UpdateExpression="SET disabled = :yes",
            ConditionExpression="id = :id",
            ExpressionAttributeValues={":yes": True, ":id": webhook_id},
        )
    except db.client().exceptions.ConditionalCheckFailedException:
        pass  # deleted meanwhile


# --- the delivery log -------------------------------------------------------------------------


def deliveries(webhook_id: int, page: db.Page | None) -> tuple[list[DeliveryRecord], int]:
    """The webhook's delivery records, newest first, without those past their expiry (the TTL
    deletes them up to a few days late), one page or all, and their total.

    Paginated: one reverse Query reads up to the end of the page, then a COUNT Query goes on
    from there for the total (nothing is read twice)."""
    partition = keys.webhook_partition(webhook_id)
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition("PK").eq(partition)
        & KeyCondition("SK").begins_with(keys.DELIVERY_PREFIX),
        "FilterExpression": Attr("expiresAt").gt(timestamps.now()),
        "ScanIndexForward": False,
        "ConsistentRead": True,
    }
    wanted = None if page is None else page.start + page.count
    items: list[DeliveryRecord] = []
    exhausted = False
    while not exhausted and (wanted is None or len(items) < wanted):
        if wanted is not None:
            kwargs["Limit"] = min(max(wanted - len(items), 10), db.MAX_QUERY_LIMIT)
        response = db.table().query(**kwargs)
        items.extend(record(item, DeliveryRecord) for item in response["Items"])
        if "LastEvaluatedKey" in response:
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        else:
            exhausted = True
    if page is None:
        return items, len(items)
    total = len(items)
    kwargs.pop("Limit", None)
    kwargs["Select"] = "COUNT"
    while not exhausted:  # more beyond what was read: count them
        response = db.table().query(**kwargs)
        total += int(response["Count"])
        if "LastEvaluatedKey" in response:
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        else:
            exhausted = True
    return items[page.start : page.start + page.count], total


def with_delivery(
    system_id: int, webhook_id: int | None, delivery_id: int | None
) -> tuple[WebhookRecord | None, DeliveryRecord | None]:
    """A webhook and one of its deliveries, read in one BatchGetItem (none without a webhook
    id; the webhook alone without a delivery id)."""
    if webhook_id is None:
        return None, None
    hook_key = keys.webhook(system_id, webhook_id)
    wanted = [hook_key]
    if delivery_id is not None:
        wanted.append(keys.delivery(webhook_id, delivery_id))
    found = {(item["PK"], item["SK"]): item for item in db.batch_get(wanted)}
    webhook = optional(found.get((hook_key["PK"], hook_key["SK"])), WebhookRecord)
    item = found.get((wanted[1]["PK"], wanted[1]["SK"])) if len(wanted) > 1 else None
    return webhook, optional(item, DeliveryRecord)


def redeliver(
    webhook_id: int, delivery_id: int, token: str, next_at: int, now: int
) -> DeliveryRecord:
    """Make the delivery pending again under a new `token`, its lease released: one
    UpdateItem (the record must exist); the record as updated."""
    response = db.table().update_item(
        Key=keys.delivery(webhook_id, delivery_id),
        UpdateExpression=(
            "SET #s = :pending, #t = :token, nextAttemptAt = :next, updated = :now "
            "REMOVE claimedUntil"
        ),
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeNames={"#s": "status", "#t": "token"},
        ExpressionAttributeValues={
            ":pending": "pending",
            ":token": token,
            ":next": next_at,
            ":now": now,
        },
        ReturnValues="ALL_NEW",
    )
    return record(response["Attributes"], DeliveryRecord)


# --- the sender's writes ----------------------------------------------------------------------


def insert_delivery(delivery: DeliveryRecord) -> bool:
    """Write a new delivery record with its (webhook, event) guard: one TransactWriteItems;
    False when the guard exists (the event was handed to this webhook before)."""
    webhook_id = delivery["webhookId"]
    item = {**keys.delivery(webhook_id, delivery["id"]), "entity": DELIVERY_ENTITY, **delivery}
    guard = {
        **keys.delivery_guard(webhook_id, delivery["eventId"]),
        "entity": DELIVERY_GUARD_ENTITY,
        "deliveryId": delivery["id"],
        "expiresAt": delivery["expiresAt"],
    }
    try:
        db.transact(
            [
                {"Put": {"Item": guard, "ConditionExpression": "attribute_not_exists(PK)"}},
                {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(PK)"}},
            ]
        )
    except db.TransactionFailed as failure:
        if failure.failed(0):
            return False
        raise
    return True


def guarded_delivery(webhook_id: int, event_id: str) -> DeliveryRecord | None:
    """The delivery the (webhook, event) guard names: 2 GetItems (1 when there is no guard)."""
    guard = db.get(keys.delivery_guard(webhook_id, event_id))
    if guard is None:
        return None
    return optional(db.get(keys.delivery(webhook_id, int(guard["deliveryId"]))), DeliveryRecord)


def attempt_state(
    system_id: int, webhook_id: int, delivery_id: int, event_id: str
) -> tuple[DeliveryRecord | None, WebhookRecord | None, outbox.EventRecord | None]:
    """What a scheduled attempt needs: the delivery, its webhook and its event, read in one
    BatchGetItem (None for those that are gone)."""
    delivery_key = keys.delivery(webhook_id, delivery_id)
    webhook_key = keys.webhook(system_id, webhook_id)
    event_key = keys.event(event_id)
    found = {(i["PK"], i["SK"]): i for i in db.batch_get([delivery_key, webhook_key, event_key])}
    return (
        optional(found.get((delivery_key["PK"], delivery_key["SK"])), DeliveryRecord),
        optional(found.get((webhook_key["PK"], webhook_key["SK"])), WebhookRecord),
        optional(found.get((event_key["PK"], event_key["SK"])), outbox.EventRecord),
    )


def claim(webhook_id: int, delivery_id: int, token: str, now: int, lease_until: int) -> bool:
    """Take the lease of the attempt `token` (one conditional UpdateItem); False when another
    attempt holds an unexpired lease or the record has moved on (another token, not pending)."""
    try:
        db.table().update_item(
            Key=keys.delivery(webhook_id, delivery_id),
            UpdateExpression="SET claimedUntil = :lease",
            ConditionExpression=(
                "#t = :token AND #s = :pending AND "
                "(attribute_not_exists(claimedUntil) OR claimedUntil < :now)"
            ),
            ExpressionAttributeNames={"#t": "token", "#s": "status"},
            ExpressionAttributeValues={
                ":lease": lease_until,
                ":token": token,
                ":pending": "pending",
                ":now": now,
            },
        )
    except db.client().exceptions.ConditionalCheckFailedException:
        return False
    return True


def finish(
    webhook_id: int,
    delivery_id: int,
    token: str,
    *,
    new_token: str,
    attempts: int,
    status: Status,
    status_code: int | None,
    error: str | None,
    next_at: int | None,
) -> bool:
    """Record the outcome of the attempt `token` and release its lease (one conditional
    UpdateItem); False when the record changed meanwhile (superseded by a redelivery, or gone
    with its webhook)."""
    try:
        db.table().update_item(
            Key=keys.delivery(webhook_id, delivery_id),
            UpdateExpression=(
                "SET #s = :status, attempts = :n, lastStatusCode = :code, lastError = :error, "
                "nextAttemptAt = :next, updated = :now, #t = :new REMOVE claimedUntil"
            ),
            ConditionExpression="#t = :token",
            ExpressionAttributeNames={"#s": "status", "#t": "token"},
            ExpressionAttributeValues={
                ":status": status,
                ":n": attempts,
                ":code": status_code,
                ":error": error,
                ":next": next_at,
                ":now": timestamps.now(),
                ":new": new_token,
                ":token": token,
            },
        )
    except db.client().exceptions.ConditionalCheckFailedException:
        return False
    return True
