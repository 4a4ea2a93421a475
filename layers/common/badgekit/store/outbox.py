"""Outbox event records (webhooks.md §4, data-model W3).

An event is written in the same transaction as the change it describes (award, revoke, review),
so it exists exactly when the change committed. The table's stream hands new event records to
the webhook sender (and `award` events made by API requests to the milestone awarder). The
payload is serialised here, once: those exact bytes are what every delivery sends and signs.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

from boto3.dynamodb.types import TypeDeserializer

from badgekit import jsonutil, logs, timestamps
from badgekit.store import db, keys
from badgekit.store.records import record

ENTITY = "event"
RETENTION_SECONDS = 30 * 24 * 3600  # the table's TTL removes events after the delivery window

Action = Literal["award", "revoke", "review"]
# Who made the event: an API request, or the milestone awarder (whose awards never chain).
Origin = Literal["request", "milestone"]


class EventRecord(TypedDict):
    eventId: str
    systemId: int
    action: Action
    origin: NotRequired[Origin]
    body: str  # the payload as serialised once: the bytes every delivery sends and signs
    created: NotRequired[int]
    expiresAt: NotRequired[int]
    badgeId: NotRequired[int]  # award events: read by the milestone awarder
    email: NotRequired[str]
    recipients: NotRequired[int]  # 0 once the sender found no webhook to deliver it to
    correlationId: NotRequired[str]  # the id of the request (or event) that made it, for logs


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def event_put(
    system_id: int,
    action: Action,
    payload: Mapping[str, Any],
    *,
    origin: Origin = "request",
    attributes: Mapping[str, Any] | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A TransactWriteItems `Put` that records one event.

    `attributes` are extra top-level attributes for stream consumers that must not parse the
    body (the awarder reads `badgeId` and `email` of award events). The current correlation id
    (the API request's id) goes with it, so the sender's and the awarder's lines share it.
    """
    event_id = event_id or new_event_id()
    created = timestamps.now()
    item: dict[str, Any] = {
        **keys.event(event_id),
        "entity": ENTITY,
        "eventId": event_id,
        "systemId": system_id,
        "action": action,
        "origin": origin,
        "body": jsonutil.dumps(payload),
        "created": created,
        "expiresAt": created + RETENTION_SECONDS,
        **(attributes or {}),
    }
    correlation = logs.correlation_id()
    if correlation:
        item["correlationId"] = correlation
    return {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}


_deserializer = TypeDeserializer()


def inserted_event(stream_record: Mapping[str, Any]) -> EventRecord | None:
    """The event a stream record inserted; None for anything else (updates, removals, other
    entities, emulators' no-op MODIFY records)."""
    if stream_record.get("eventName") != "INSERT":
        return None
    image = (stream_record.get("dynamodb") or {}).get("NewImage") or {}
    item = {name: _deserializer.deserialize(value) for name, value in image.items()}
    if item.get("entity") != ENTITY or not isinstance(item.get("body"), str):
        return None
    return record(item, EventRecord)


def mark_no_recipients(event_id: str) -> None:
    """Record on the event that nobody was to receive it (one conditional UpdateItem; nothing
    if it expired meanwhile)."""
    try:
        db.table().update_item(
            Key=keys.event(event_id),
            UpdateExpression="SET recipients = :zero",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={":zero": 0},
        )
    except db.client().exceptions.ConditionalCheckFailedException:
        pass  # already expired
