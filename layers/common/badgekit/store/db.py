"""Single-table data access: the table handle, transactions, id counters and list pages."""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key as KeyCondition
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.handlers import add_retry_headers

from badgekit.store import keys, wire

Item = dict[str, Any]


# One low-level client per execution environment, shared by every thread: botocore clients are
# thread-safe once made (making one is not: the lock), so the fan-out pool's threads use it too
# instead of each making its own. It is made from boto3's default session (whose event hooks
# every client copies: the bench and the tests count calls through them).
_client_lock = threading.Lock()
_shared: tuple[int, Client, Table] | None = None  # (generation, client, table) of the last make
_generation = 0  # bumped by reset_clients: the next call makes a fresh client
# Connections the client may keep open: the fan-out pool's 8 threads and the request's own, and
# the local stack's concurrent requests (in one process); opened only when needed.
MAX_POOL_CONNECTIONS = 32


def _make_client() -> Any:
    # DYNAMODB_ENDPOINT is set only by the local stack (embedded DynamoDB on 127.0.0.1).
    endpoint = os.environ.get("DYNAMODB_ENDPOINT") or None
    # The embedded DynamoDB serves one request at a time: a slow answer there is a queue,
    # not a lost request, and a timed-out write that is retried may already have landed.
    read_timeout = 60 if endpoint else 5
    config = Config(
        retries={"mode": "standard", "max_attempts": 4},
        connect_timeout=2,
        read_timeout=read_timeout,
        tcp_keepalive=True,
        max_pool_connections=MAX_POOL_CONNECTIONS,
        # botocore would walk every attribute of every request along the service model to check
        # its types: `wire` builds them (DynamoDB still validates what it receives).
        parameter_validation=False,
        # DynamoDB's operations require no checksum: botocore would still look for one to add
        # to each request and to check on each response ("when_supported", its default).
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    raw = boto3.client("dynamodb", endpoint_url=endpoint, config=config)
    raw.meta.events.register("before-parse.dynamodb", _read_items)
    # The retry headers (`amz-sdk-invocation-id`, `amz-sdk-request`: which attempt of how many)
    # only report on the SDK to AWS; the retries count their attempts in the call's context.
    # Removed from this client's own copy of the session's hooks.
    raw.meta.events.unregister("request-created", add_retry_headers)
    return raw


# Response members whose JSON is what botocore's parser returns for them (numbers, strings
# and structures of them: no blobs, timestamps or attribute values).
_PLAIN_MEMBERS = frozenset(("Count", "ScannedCount", "ConsumedCapacity"))


def _read_items(
    operation_model: Any,
    response_dict: dict[str, Any],
    customized_response_dict: dict[str, Any],
    **_: Any,
) -> None:
    """botocore's `before-parse` hook: a successful response's items go from its JSON straight
    to Python values (`wire`), once; botocore parses only the rest (counts, capacity). Without
    it botocore walks every attribute along the service model, then the resource layer again."""
    if response_dict["status_code"] >= 300 or operation_model.name not in wire.RESPONSE_ITEMS:
        return
    body = json.loads(response_dict["body"] or b"{}")
    customized_response_dict.update(wire.response_items(operation_model.name, body))
    if body.keys() <= _PLAIN_MEMBERS:
        # What is left is plain JSON botocore's parser would return unchanged: hand it over
        # as it is, and give the parser an empty body (no second encoding and decoding).
        customized_response_dict.update(body)
        response_dict["body"] = b"{}"
    else:
        response_dict["body"] = json.dumps(body).encode()


class Client:
    """The DynamoDB operations the store uses, with plain Python values in and out, as the
    boto3 resource layer takes and returns them (`Decimal` numbers), over the shared low-level
    client: one serialising pass per request (`wire.request`), one reading pass per response."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.exceptions = raw.exceptions

    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = getattr(self.raw, operation)(**params)
        return response

    def get_item(self, **params: Any) -> dict[str, Any]:
        return self._call("get_item", wire.request(params))

    def put_item(self, **params: Any) -> dict[str, Any]:
        return self._call("put_item", wire.request(params))

    def update_item(self, **params: Any) -> dict[str, Any]:
        return self._call("update_item", wire.request(params))

    def delete_item(self, **params: Any) -> dict[str, Any]:
        return self._call("delete_item", wire.request(params))

    def query(self, **params: Any) -> dict[str, Any]:
        return self._call("query", wire.request(params))

    def scan(self, **params: Any) -> dict[str, Any]:
        return self._call("scan", wire.request(params))

    def batch_get_item(self, RequestItems: Any, **params: Any) -> dict[str, Any]:
        items = wire.batch_get_request(RequestItems)
        return self._call("batch_get_item", {**params, "RequestItems": items})

    def batch_write_item(self, RequestItems: Any, **params: Any) -> dict[str, Any]:
        items = wire.batch_write_request(RequestItems)
        return self._call("batch_write_item", {**params, "RequestItems": items})

    def transact_write_items(self, TransactItems: Any, **params: Any) -> dict[str, Any]:
        items = wire.transact_request(TransactItems)
        return self._call("transact_write_items", {**params, "TransactItems": items})

    def transact_get_items(self, TransactItems: Any, **params: Any) -> dict[str, Any]:
        items = wire.transact_request(TransactItems)
        return self._call("transact_get_items", {**params, "TransactItems": items})


@dataclass(frozen=True)
class _Meta:
    client: Client


class Table:
    """The table's handle with the boto3 resource `Table`'s methods and plain values (so the
    store's calls read as before), over `Client`."""

    def __init__(self, name: str, client: Client) -> None:
        self.name = name
        self.meta = _Meta(client)
        self._client = client

    def get_item(self, **params: Any) -> dict[str, Any]:
        return self._client.get_item(TableName=self.name, **params)

    def put_item(self, **params: Any) -> dict[str, Any]:
        return self._client.put_item(TableName=self.name, **params)

    def update_item(self, **params: Any) -> dict[str, Any]:
        return self._client.update_item(TableName=self.name, **params)

    def delete_item(self, **params: Any) -> dict[str, Any]:
        return self._client.delete_item(TableName=self.name, **params)

    def query(self, **params: Any) -> dict[str, Any]:
        return self._client.query(TableName=self.name, **params)

    def scan(self, **params: Any) -> dict[str, Any]:
        return self._client.scan(TableName=self.name, **params)

    def batch_writer(self, overwrite_by_pkeys: list[str] | None = None) -> Any:
        from boto3.dynamodb.table import BatchWriter

        client: Any = self._client  # the methods BatchWriter calls, with plain values
        return BatchWriter(self.name, client, overwrite_by_pkeys=overwrite_by_pkeys)


def _handles() -> tuple[Client, Table]:
    global _shared
    shared = _shared
    if shared is None or shared[0] != _generation:
        with _client_lock:
            shared = _shared
            if shared is None or shared[0] != _generation:
                client = Client(_make_client())
                shared = _shared = (_generation, client, Table(os.environ["TABLE_NAME"], client))
    return shared[1], shared[2]


def table() -> Table:
    return _handles()[1]


def client() -> Client:
    """Plain values in and out, transactions and batches included."""
    return _handles()[0]


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def fan_out[T, R](function: Callable[[T], R], inputs: Sequence[T]) -> list[R]:
    """Run independent reads concurrently (one round trip of latency instead of n).

    The pool lives as long as the execution environment, and its threads share the client."""
    global _pool
    if len(inputs) <= 1:
        return [function(value) for value in inputs]
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="dynamodb")
    return list(_pool.map(function, inputs))


def reset_clients() -> None:
    """Forget the client (tests switch endpoints, tables and sessions)."""
    global _generation
    _generation += 1


class TransactionFailed(Exception):
    """A transaction was cancelled; `reasons` holds one cancellation code per action."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"

    @property
    def conflict(self) -> bool:
        return "TransactionConflict" in self.reasons


def transact(actions: Sequence[dict[str, Any]]) -> None:
    """Run TransactWriteItems; actions are {"Put"|"Update"|"Delete"|"ConditionCheck": {...}}."""
    name = table().name
    items = [
        {kind: {"TableName": name, **body}} for action in actions for kind, body in action.items()
    ]
    try:
        # The token makes the SDK's retry of a timed-out call idempotent: DynamoDB answers a
        # repeat of a committed transaction with success instead of failing its conditions.
        client().transact_write_items(TransactItems=items, ClientRequestToken=uuid.uuid4().hex)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
        if not reasons:
            reasons = _reasons_from_message(exc.response["Error"].get("Message", ""), len(items))
        raise TransactionFailed(reasons) from exc


def _reasons_from_message(message: str, count: int) -> list[str]:
    # Some emulators only put the reasons in the message ("... [None, ConditionalCheckFailed]").
    start, end = message.find("["), message.rfind("]")
    if start < 0 or end < start:
        return ["Unknown"] * count
    return [part.strip() for part in message[start + 1 : end].split(",")]


def still_there(item: Mapping[str, Any]) -> dict[str, Any]:
    """ConditionCheck action: `item` (a parent) still exists at its key with the same id."""
    return {
        "ConditionCheck": {
            "Key": {"PK": item["PK"], "SK": item["SK"]},
            "ConditionExpression": "id = :id",
            "ExpressionAttributeValues": {":id": item["id"]},
        }
    }


def delete_same(item: Mapping[str, Any]) -> dict[str, Any]:
    """Delete action: `item` at its key, only if it is still the same entity (same id), so a
    delete racing a re-create under the same slug never removes the newcomer."""
    return {
        "Delete": {
            "Key": {"PK": item["PK"], "SK": item["SK"]},
            "ConditionExpression": "id = :id",
            "ExpressionAttributeValues": {":id": item["id"]},
        }
    }


def int_or_none(value: Any) -> int | None:
    """A stored number (DynamoDB hands back `Decimal`) as an `int`; an absent one stays None."""
    return None if value is None else int(value)


def get(key: keys.Key) -> Item | None:
    response = table().get_item(Key=key, ConsistentRead=True)
    item: Item | None = response.get("Item")
    return item


def reload(current: Item, gone: Exception, failure: Exception) -> Item:
    """`current` as it now is, read again (consistently) after a write of it failed (`failure`:
    a race with another write); raises `gone` (from `failure`) if the item was deleted, or if its
    key now holds another item (deleted and re-created under the same slug)."""
    reloaded = get({"PK": current["PK"], "SK": current["SK"]})
    if reloaded is None or reloaded["id"] != current["id"]:
        raise gone from failure
    return reloaded


def by_id(entity: str, entity_id: int) -> Item | None:
    """An entity by its immutable id, through GSI1 (eventually consistent: display only)."""
    attributes = keys.by_id(entity, entity_id)
    response = table().query(
        IndexName="GSI1",
        KeyConditionExpression=KeyCondition("GSI1PK").eq(attributes["GSI1PK"])
        & KeyCondition("GSI1SK").eq(attributes["GSI1SK"]),
        Limit=1,
    )
    items: list[Item] = response["Items"]
    return items[0] if items else None


BATCH_GET_MAX = 100  # keys per BatchGetItem


def batch_get(key_list: Sequence[keys.Key]) -> list[Item]:
    """Strongly consistent BatchGetItem, in request order, missing items skipped."""
    name = table().name
    found: dict[tuple[str, str], Item] = {}
    for start in range(0, len(key_list), BATCH_GET_MAX):
        pending: list[keys.Key] = list(key_list[start : start + BATCH_GET_MAX])
        for _ in range(8):  # bounded retries of unprocessed keys
            if not pending:
                break
            response = client().batch_get_item(
                RequestItems={name: {"Keys": pending, "ConsistentRead": True}}
            )
            for item in response["Responses"].get(name, []):
                found[(item["PK"], item["SK"])] = item
            pending = response.get("UnprocessedKeys", {}).get(name, {}).get("Keys", [])
    return [found[(k["PK"], k["SK"])] for k in key_list if (k["PK"], k["SK"]) in found]


# DynamoDB's Limit is a 32-bit integer; a page far past the end of a list asks for more than
# that. One Query returns at most 1 MB whatever the Limit, so the cap never adds a call.
MAX_QUERY_LIMIT = 1_000_000


def query_prefix(
    partition: str, prefix: str, limit: int | None = None, attributes: Sequence[str] = ()
) -> Iterator[Item]:
    """Items of one partition whose sort key starts with `prefix`, in sort-key order; with
    `attributes`, only those attributes of each item (a ProjectionExpression)."""
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition("PK").eq(partition)
        & KeyCondition("SK").begins_with(prefix),
        "ConsistentRead": True,
    }
    if attributes:
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        kwargs["ProjectionExpression"] = ", ".join(names)
        kwargs["ExpressionAttributeNames"] = names
    remaining = limit
    while True:
        if remaining is not None:
            kwargs["Limit"] = min(remaining, MAX_QUERY_LIMIT)
        response = table().query(**kwargs)
        yield from response["Items"]
        if remaining is not None:
            remaining -= len(response["Items"])
            if remaining <= 0:
                return
        if "LastEvaluatedKey" not in response:
            return
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def allocate_ids(counts: dict[str, int]) -> dict[str, list[int]]:
    """Reserve ids for several entity types in one atomic UpdateItem.

    Ids are positive, increasing per entity type and never reused (a failed create leaves a gap,
    which the spec allows)."""
    wanted = {entity: n for entity, n in counts.items() if n > 0}
    if not wanted:
        return {entity: [] for entity in counts}
    names = {f"#e{i}": entity for i, entity in enumerate(wanted)}
    values = {f":n{i}": wanted[entity] for i, entity in enumerate(wanted)}
    response = table().update_item(
        Key=keys.id_counters(),
        UpdateExpression="ADD " + ", ".join(f"#e{i} :n{i}" for i in range(len(wanted))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
        ReturnValues="UPDATED_NEW",
    )
    last = response["Attributes"]
    allocated: dict[str, list[int]] = {entity: [] for entity in counts}
    for entity, n in wanted.items():
        top = int(last[entity])
        allocated[entity] = list(range(top - n + 1, top + 1))
    return allocated


def next_id(entity: str) -> int:
    return allocate_ids({entity: 1})[entity][0]


def raise_counter(entity: str, at_least: int) -> bool:
    """Set an entity type's id counter to `at_least` unless it is already there or above (an
    import of ids assigned elsewhere: the next id allocated is above them). True when it was
    raised, False when it was already high enough (nothing written)."""
    try:
        table().update_item(
            Key=keys.id_counters(),
            UpdateExpression="SET #e = :n",
            ConditionExpression="attribute_not_exists(#e) OR #e < :n",
            ExpressionAttributeNames={"#e": entity},
            ExpressionAttributeValues={":n": at_least},
        )
    except client().exceptions.ConditionalCheckFailedException:
        return False
    return True


# --- ordered lists -------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    number: int
    count: int

    @property
    def start(self) -> int:
        return (self.number - 1) * self.count


def list_entry(
    scope: keys.ListScope, member_id: int, member_key: keys.Key, owners: Sequence[str] = ()
) -> dict[str, Any]:
    """Transaction action that appends a member to a list without touching its total (a caller
    adding several members changes the total once, with `total_change`). `owners`: the
    member's containers (`keys.owner_tokens`), for lists that span containers: readers skip
    the entries of a container being purged (`live_rows`)."""
    entry: dict[str, Any] = {
        **scope.entry(member_id),
        "refPK": member_key["PK"],
        "refSK": member_key["SK"],
    }
    if owners:
        entry[OWNERS] = list(owners)
    return {"Put": {"Item": entry}}


def list_add(
    scope: keys.ListScope, member_id: int, member_key: keys.Key, owners: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Transaction actions that append a member to a list and bump its total."""
    return [list_entry(scope, member_id, member_key, owners), total_change(scope, 1)]


def list_remove(scope: keys.ListScope, member_id: int) -> list[dict[str, Any]]:
    return [{"Delete": {"Key": scope.entry(member_id)}}, total_change(scope, -1)]


def list_move(scope: keys.ListScope, member_id: int, member_key: keys.Key) -> dict[str, Any]:
    """Action that repoints an entry after its member moved (slug rename)."""
    return {
        "Update": {
            "Key": scope.entry(member_id),
            "UpdateExpression": "SET refPK = :pk, refSK = :sk",
            "ExpressionAttributeValues": {":pk": member_key["PK"], ":sk": member_key["SK"]},
        }
    }


def total_change(scope: keys.ListScope, delta: int) -> dict[str, Any]:
    """Update action: add `delta` to a list's exact `total` (same transaction as its entries)."""
    return header_total_change(scope.header(), delta)


def header_total_change(header: keys.Key, delta: int) -> dict[str, Any]:
    """Update action: add `delta` to the `total` of the list header at `header` (creating it)."""
    return {
        "Update": {
            "Key": header,
            "UpdateExpression": "ADD #t :d",
            "ExpressionAttributeNames": {"#t": "total"},
            "ExpressionAttributeValues": {":d": delta},
        }
    }


def total_delta(action: Mapping[str, Any]) -> tuple[keys.Key, int] | None:
    """The list header and delta of a `header_total_change` action; None for any other action
    (a caller merging the total changes of several actions into one per list)."""
    update = action.get("Update")
    if update is None or update.get("ExpressionAttributeNames") != {"#t": "total"}:
        return None
    return update["Key"], int(update["ExpressionAttributeValues"][":d"])


# --- containers being purged (domain/cascade.py) ---------------------------------------------
# A container delete takes its subtree's members out of the totals of the lists above it at
# once and names the container in those lists' headers (`purging`, a string set); the entries
# (which name their containers: `owners`) leave later, with the purge. Readers skip them.
OWNERS = "owners"
PURGING = "purging"


def purging_of(header: Mapping[str, Any] | None) -> set[str]:
    """The containers being purged that a list header (or a system item) names."""
    return set(header.get(PURGING, ())) if header else set()


def is_purged(row: Mapping[str, Any], purging: set[str]) -> bool:
    """Whether a list entry belongs to a container being purged."""
    return bool(purging) and any(token in purging for token in row.get(OWNERS, ()))


def live_rows(
    scope: keys.ListScope,
    rows: Sequence[Item],
    limit: int | None,
    attributes: Sequence[str] = (),
) -> list[Item]:
    """One list's rows (header first, as `query_prefix` read them up to `limit`) without the
    entries of containers being purged; when some were left out and the Query stopped at
    `limit`, further rows are read after the last one until `limit` rows are kept again or the
    list ends (only while a purge is under way, and only as far as the skipped entries)."""
    header = rows[0] if rows and rows[0]["SK"] == scope.prefix else None
    purging = purging_of(header)
    if not purging:
        return list(rows)
    kept = [row for row in rows if not is_purged(row, purging)]
    more = limit is not None and len(rows) >= limit
    last = rows[-1]["SK"] if rows else None
    while more and limit is not None and len(kept) < limit and last is not None:
        want = max(limit - len(kept), LIVE_READ_MIN)
        start = {"PK": scope.partition, "SK": str(last)}
        batch = list(query_from(scope.partition, scope.prefix, start, want, attributes))
        kept.extend(row for row in batch if not is_purged(row, purging))
        more = len(batch) >= want
        last = batch[-1]["SK"] if batch else None
    return kept if limit is None else kept[:limit]


LIVE_READ_MIN = 200  # rows per further read past skipped entries (they are small)


def query_from(
    partition: str, prefix: str, after: keys.Key, limit: int, attributes: Sequence[str] = ()
) -> Iterator[Item]:
    """Up to `limit` items of one partition whose sort key starts with `prefix` and sorts after
    `after`'s (one consistent Query)."""
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition("PK").eq(partition)
        & KeyCondition("SK").begins_with(prefix),
        "ConsistentRead": True,
        "ExclusiveStartKey": {"PK": after["PK"], "SK": after["SK"]},
        "Limit": limit,
    }
    if attributes:
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        kwargs["ProjectionExpression"] = ", ".join(names)
        kwargs["ExpressionAttributeNames"] = names
    yield from table().query(**kwargs)["Items"]


def list_entries(scope: keys.ListScope, page: Page | None) -> tuple[list[Item], int]:
    """One list's entries, one page or all, and its total: one Query (header + entries up to
    the end of the page). The caller reads the members (with whatever else it needs)."""
    limit = list_limit(page)
    rows = live_rows(scope, list(query_prefix(scope.partition, scope.prefix, limit)), limit)
    header = rows[0] if rows and rows[0]["SK"] == scope.prefix else None
    entries = rows[1:] if header else rows
    if page is None:
        return entries, len(entries)
    total = int(header.get("total", 0)) if header else 0
    return entries[page.start : page.start + page.count], total


# What `list_members` reads of a list's rows: the header's total, the entries' order and member.
LIST_ROW = ("SK", "total", "refPK", "refSK", OWNERS, PURGING)


def list_limit(page: Page | None) -> int | None:
    """How many rows of one list a page needs: the header and the entries up to its end."""
    return None if page is None else 1 + page.start + page.count


def list_rows_query(
    scope: keys.ListScope, limit: int | None
) -> tuple[tuple[Any, ...], Callable[[], list[Item]]]:
    """(name, run) of the Query of one list's rows that `list_members` reads: the header's
    total, the entries' order and member (of each row only that), up to `limit` rows."""
    name = ("list", scope.partition, scope.prefix, limit)
    return name, lambda: list(query_prefix(scope.partition, scope.prefix, limit, LIST_ROW))


def list_page(
    lists: Sequence[keys.ListScope], rows: Sequence[Sequence[Item]], page: Page | None
) -> tuple[list[Item], int]:
    """The entries of a page (or all) of lists merged in member id order, from their rows
    (`list_rows_query`, one result per list), and the total."""
    entries: list[Item] = []
    total = 0
    limit = list_limit(page)
    for scope, read in zip(lists, rows, strict=True):
        found = live_rows(scope, read, limit, LIST_ROW)
        header = found[0] if found and found[0]["SK"] == scope.prefix else None
        total += int(header.get("total", 0)) if header else 0
        entries.extend(found[1:] if header else found)
    if len(lists) > 1:  # merge by member id (the fixed-width suffix of the entry key)
        entries.sort(key=lambda entry: str(entry["SK"]).rsplit("#", 1)[1])
    if page is not None:
        entries = entries[page.start : page.start + page.count]
    else:
        total = len(entries)
    return entries, total


def member_key(entry: Item) -> keys.Key:
    """The key of the member a list entry points at."""
    return {"PK": entry["refPK"], "SK": entry["refSK"]}


def member_id(entry: Mapping[str, Any]) -> int:
    """The id of the member a list entry stands for (the suffix of its sort key)."""
    return int(str(entry["SK"]).rsplit("#", 1)[1])


def list_members(
    scopes: keys.ListScope | Sequence[keys.ListScope], page: Page | None
) -> tuple[list[Item], int]:
    """Members of one list (or of several merged, e.g. active + archived) in id order, one page
    or all, and the total.

    Per list, one Query reads the header and the entries up to the end of the page (small
    items: the skip is cheap); one BatchGetItem then reads the page's members.
    """
    lists = [scopes] if isinstance(scopes, keys.ListScope) else list(scopes)
    limit = list_limit(page)
    # One Query per list, concurrently (e.g. every badge's codes of a container).
    results = fan_out(lambda scope: list_rows_query(scope, limit)[1](), lists)
    entries, total = list_page(lists, results, page)
    return batch_get([member_key(e) for e in entries]), total


@dataclass
class Revision:
    """A new version of an item, ready to be written by `save_revision`."""

    item: Item
    extra_actions: list[dict[str, Any]]
    # On a move: the id of an item at the new key that may be replaced (a badge whose
    # container is being purged: its slug is free), instead of requiring the key free.
    over: int | None = None


def save_revision(current: Item, revision: Revision) -> None:
    """Write `revision.item` over `current`, atomically with `extra_actions`.

    In place when the key is unchanged, else moved (slug rename): the old key is deleted and the
    new one must be free. Both paths require `current`'s version, so a concurrent write makes
    this fail (action 0) rather than be silently overwritten; a taken new key fails action 1.
    """
    updated = revision.item
    updated["version"] = int(current.get("version", 0)) + 1
    same_version = {
        "ConditionExpression": "version = :v",
        "ExpressionAttributeValues": {":v": current.get("version", 0)},
    }
    old_key = {"PK": current["PK"], "SK": current["SK"]}
    if (updated["PK"], updated["SK"]) == (old_key["PK"], old_key["SK"]):
        transact([{"Put": {"Item": updated, **same_version}}, *revision.extra_actions])
        return
    transact(
        [
            {"Delete": {"Key": old_key, **same_version}},
            {"Put": {"Item": updated, **free_or(revision.over)}},
            *revision.extra_actions,
        ]
    )


def free_or(held: int | None) -> dict[str, Any]:
    """A Put's condition: the key is free or, with `held`, still holds the item of that id."""
    if held is None:
        return {"ConditionExpression": "attribute_not_exists(PK)"}
    return {"ConditionExpression": "id = :held", "ExpressionAttributeValues": {":held": held}}


# Optimistic-concurrency attempts of a write racing others on the same item: each round of a
# race has a winner, so n writers starting together all land within n attempts (8 here).
MAX_ATTEMPTS = 8
BACK_OFF_BASE = 0.02  # seconds: the first retry waits up to this, each further one twice as long
BACK_OFF_CAP = 0.25  # seconds: no single wait longer (all waits of one write: about 1 s at most)


def back_off(attempt: int) -> None:
    """Sleep before retrying a write that lost a race: a random (full-jitter) wait of up to
    BACK_OFF_BASE * 2**attempt (at most BACK_OFF_CAP), so contending writers spread out
    instead of colliding again."""
    time.sleep(random.uniform(0, min(BACK_OFF_CAP, BACK_OFF_BASE * (2**attempt))))


def delete_keys(key_list: Iterable[keys.Key]) -> int:
    """Batch-delete items (used to purge what a committed delete made unreachable)."""
    count = 0
    with table().batch_writer() as writer:
        for key in key_list:
            writer.delete_item(Key={"PK": key["PK"], "SK": key["SK"]})
            count += 1
    return count


def reverse_lookup(lookup: str, prefix: str = "") -> Iterator[Item]:
    """GSI2 rows (keys only: PK, SK, GSI2PK, GSI2SK) under one lookup value, all pages; with
    `prefix`, only sort keys that begin with it (e.g. a container's `keys.scope_prefix`).
    Eventually consistent: for finding items, never for deciding uniqueness."""
    condition: Any = KeyCondition("GSI2PK").eq(lookup)
    if prefix:
        condition = condition & KeyCondition("GSI2SK").begins_with(prefix)
    kwargs: dict[str, Any] = {"IndexName": "GSI2", "KeyConditionExpression": condition}
    while True:
        response = table().query(**kwargs)
        yield from response["Items"]
        if "LastEvaluatedKey" not in response:
            return
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def partition_keys(partition: str, prefix: str = "") -> Iterator[keys.Key]:
    for item in partition_rows(partition, prefix):
        yield {"PK": item["PK"], "SK": item["SK"]}


def partition_rows(partition: str, prefix: str = "", extra: Sequence[str] = ()) -> Iterator[Item]:
    """The keys (plus the `extra` attributes, where present) of a partition's items whose sort
    key starts with `prefix`, consistently, all pages."""
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition("PK").eq(partition)
        & KeyCondition("SK").begins_with(prefix)
        if prefix
        else KeyCondition("PK").eq(partition),
        "ProjectionExpression": ", ".join(["PK", "SK", *extra]),
        "ConsistentRead": True,
    }
    while True:
        response = table().query(**kwargs)
        yield from response["Items"]
        if "LastEvaluatedKey" not in response:
            return
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def index_range(index: str, partition: str, low: str, high: str) -> Iterator[Item]:
    """Items of one partition of index `index` (GSI3: `<index>PK`, `<index>SK`) whose sort key
    is BETWEEN `low` and `high`, in sort-key order, all pages. Eventually consistent."""
    kwargs: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": KeyCondition(f"{index}PK").eq(partition)
        & KeyCondition(f"{index}SK").between(low, high),
    }
    while True:
        response = table().query(**kwargs)
        yield from response["Items"]
        if "LastEvaluatedKey" not in response:
            return
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
