"""Consumer API keys: system-scoped credentials, managed by the master key (README §13.1)."""

from __future__ import annotations

import secrets

from badgekit import timestamps
from badgekit.domain.inputs import Body
from badgekit.domain.validation import Report, StringField, check_fields, length
from badgekit.errors import ResourceConflict, ResourceNotFound
from badgekit.store import consumers as consumer_store
from badgekit.store import containers as container_store
from badgekit.store import db
from badgekit.store.consumers import ConsumerRecord
from badgekit.store.containers import SystemRecord

API_KEY_MAX_LENGTH = 255
FIELDS = (
    StringField("apiKey", rules=(length(1, API_KEY_MAX_LENGTH),)),
    StringField("description", rules=(length(0, 255),)),
)


def signing_secret(api_key: str) -> tuple[str, int] | None:
    """A consumer key's secret and system, for the auth check (auth.md §4), or None."""
    if not possible_key(api_key):
        return None  # could never have been created: no lookup (and no oversized key sent)
    consumer = consumer_store.get(api_key)
    if consumer is None:
        return None
    return consumer["apiSecret"], consumer["systemId"]


def possible_key(api_key: str) -> bool:
    """A `key` claim that a consumer could have: 1-255 characters of valid Unicode."""
    if not 0 < len(api_key) <= API_KEY_MAX_LENGTH:
        return False
    try:
        api_key.encode()
    except UnicodeEncodeError:  # a lone surrogate from a `\ud800` escape in the token
        return False
    return True


def system_exists(system_id: int) -> bool:
    """Whether a consumer's system still exists (a deleted one's keys are unknown at once,
    before its purge removes them)."""
    return container_store.system_by_id(system_id) is not None


def list_consumers(system: SystemRecord, page: db.Page | None) -> tuple[list[ConsumerRecord], int]:
    return consumer_store.page_of(system["id"], page)


def create(system: SystemRecord, body: Body) -> ConsumerRecord:
    report = Report()
    values = check_fields(FIELDS, body.fields, report)
    report.raise_if_any()
    api_key = values.get("apiKey") or secrets.token_urlsafe(18)
    consumer: ConsumerRecord = {
        "entity": "consumer",
        "id": db.next_id("consumer"),
        "apiKey": api_key,
        "apiSecret": secrets.token_urlsafe(32),
        "systemId": system["id"],
        "created": timestamps.now(),
    }
    if values.get("description") is not None:
        consumer["description"] = values["description"]
    actions = [*consumer_store.add(consumer), container_store.still_there(system)]
    for _ in range(db.MAX_ATTEMPTS):
        try:
            db.transact(actions)
            return consumer
        except db.TransactionFailed as failure:
            holder = consumer_store.current(api_key) if failure.failed(0) else None
            if holder is not None and system_exists(holder["systemId"]):
                details = {k: v for k, v in values.items() if v is not None}
                raise ResourceConflict(
                    "consumer with that `apiKey` already exists", details
                ) from failure
            if failure.failed(3):
                raise ResourceNotFound.for_field("system", "slug", system["slug"]) from failure
            if not failure.failed(0):
                raise
            # The key's consumer belongs to a deleted system being purged: take it over.
            actions[0] = consumer_store.put_over(consumer, holder)
    raise db.TransactionFailed(["TransactionConflict"])


def delete(system: SystemRecord, api_key: str) -> ConsumerRecord:
    consumer = consumer_store.get(api_key)
    if consumer is None or consumer["systemId"] != system["id"]:
        raise ResourceNotFound.for_field("consumer", "apiKey", api_key)
    try:
        db.transact(consumer_store.remove(consumer))
    except db.TransactionFailed as failure:
        raise ResourceNotFound.for_field("consumer", "apiKey", api_key) from failure
    return consumer
