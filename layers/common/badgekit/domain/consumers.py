"""Consumer API keys: system-scoped credentials, managed by the master key (README §13.1)."""

from __future__ import annotations

import secrets
from typing import Any

from badgekit import timestamps
from badgekit.domain.inputs import Body
from badgekit.domain.validation import Report, StringField, check_fields, length
from badgekit.errors import ResourceConflict, ResourceNotFound
from badgekit.store import db, keys

Item = dict[str, Any]

API_KEY_MAX_LENGTH = 255
FIELDS = (
    StringField("apiKey", rules=(length(1, API_KEY_MAX_LENGTH),)),
    StringField("description", rules=(length(0, 255),)),
)


def signing_secret(api_key: str) -> tuple[str, int] | None:
    """A consumer key's secret and system, for the auth check (auth.md §4), or None."""
    if not _possible_key(api_key):
        return None  # could never have been created: no lookup (and no oversized key sent)
    consumer = db.get(keys.consumer(api_key))
    if consumer is None:
        return None
    return str(consumer["apiSecret"]), int(consumer["systemId"])


def _possible_key(api_key: str) -> bool:
    """A `key` claim that a consumer could have: 1-255 characters of valid Unicode."""
    if not 0 < len(api_key) <= API_KEY_MAX_LENGTH:
        return False
    try:
        api_key.encode()
    except UnicodeEncodeError:  # a lone surrogate from a `\ud800` escape in the token
        return False
    return True


def list_consumers(system: Item, page: db.Page | None) -> tuple[list[Item], int]:
    return db.list_members(keys.consumers_list(int(system["id"])), page)


def create(system: Item, body: Body) -> Item:
    report = Report()
    values = check_fields(FIELDS, body.fields, report)
    report.raise_if_any()
    api_key = values.get("apiKey") or secrets.token_urlsafe(18)
    consumer_id = db.next_id("consumer")
    key = keys.consumer(api_key)
    item: Item = {
        **key,
        "entity": "consumer",
        "id": consumer_id,
        "apiKey": api_key,
        "apiSecret": secrets.token_urlsafe(32),
        "systemId": int(system["id"]),
        "created": timestamps.now(),
    }
    if values.get("description") is not None:
        item["description"] = values["description"]
    checks = db.still_there(system)
    put = {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}
    try:
        db.transact(
            [put, *db.list_add(keys.consumers_list(int(system["id"])), consumer_id, key), checks]
        )
    except db.TransactionFailed as failure:
        if failure.failed(0):
            details = {k: v for k, v in values.items() if v is not None}
            raise ResourceConflict(
                "consumer with that `apiKey` already exists", details
            ) from failure
        if failure.failed(3):
            raise ResourceNotFound.for_field("system", "slug", system["slug"]) from failure
        raise
    return item


def delete(system: Item, api_key: str) -> Item:
    consumer = db.get(keys.consumer(api_key))
    if consumer is None or int(consumer["systemId"]) != int(system["id"]):
        raise ResourceNotFound.for_field("consumer", "apiKey", api_key)
    try:
        db.transact(
            [
                {
                    "Delete": {
                        "Key": keys.consumer(api_key),
                        "ConditionExpression": "id = :id",
                        "ExpressionAttributeValues": {":id": consumer["id"]},
                    }
                },
                *db.list_remove(keys.consumers_list(int(system["id"])), int(consumer["id"])),
            ]
        )
    except db.TransactionFailed as failure:
        raise ResourceNotFound.for_field("consumer", "apiKey", api_key) from failure
    return consumer
