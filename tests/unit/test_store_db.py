"""The data layer's client (badgekit.store.db): the low-level client with the lean (de)serialiser
gives the store the values the boto3 resource layer gave it, for every type; one client serves
every thread; projections, batches and transactions behave as before."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import Binary

from badgekit.store import db
from tests.unit.conftest import TABLE_NAME

EVERY_TYPE: dict[str, Any] = {
    "PK": "TEST#db",
    "SK": "every-type",
    "s": "text ✓",
    "n": 12,
    "fraction": Decimal("1.25"),
    "b": b"\x00\x01binary",
    "yes": True,
    "no": False,
    "nothing": None,
    "l": ["a", 1, [None], {"k": "v"}],
    "m": {"nested": {"deeper": Decimal(3)}, "empty": {}},
    "ss": {"x", "y"},
    "ns": {1, Decimal("2.5")},
    "bs": {b"p", b"q"},
}


def resource_table() -> Any:
    """The boto3 resource layer's view of the table (the reference)."""
    return boto3.resource("dynamodb").Table(TABLE_NAME)


def test_every_type_reads_back_as_the_resource_layer_reads_it(aws):
    db.table().put_item(Item=EVERY_TYPE)
    ours = db.get({"PK": "TEST#db", "SK": "every-type"})
    theirs = resource_table().get_item(Key={"PK": "TEST#db", "SK": "every-type"})["Item"]
    assert ours == theirs
    assert {name: type(value) for name, value in ours.items()} == {
        name: type(value) for name, value in theirs.items()
    }
    assert ours["n"] == Decimal(12)
    assert isinstance(ours["n"], Decimal)
    assert ours["b"] == Binary(b"\x00\x01binary")
    assert ours["bs"] == {Binary(b"p"), Binary(b"q")}


def test_what_the_resource_layer_wrote_reads_the_same(aws):
    resource_table().put_item(Item=EVERY_TYPE)
    (item,) = db.query_prefix("TEST#db", "every")
    assert item == resource_table().get_item(Key={"PK": "TEST#db", "SK": "every-type"})["Item"]


def test_projection_reads_only_the_attributes_asked_for(aws):
    db.table().put_item(Item={"PK": "TEST#db", "SK": "LIST#a", "total": 2, "other": "x"})
    db.table().put_item(Item={"PK": "TEST#db", "SK": "LIST#a#1", "refPK": "P", "refSK": "S"})
    rows = list(db.query_prefix("TEST#db", "LIST#a", attributes=db.LIST_ROW))
    assert rows == [
        {"SK": "LIST#a", "total": Decimal(2)},
        {"SK": "LIST#a#1", "refPK": "P", "refSK": "S"},
    ]


def test_conditions_pages_and_limits(aws):
    for n in range(5):
        db.table().put_item(Item={"PK": "TEST#db", "SK": f"ROW#{n}", "n": n})
    assert [item["n"] for item in db.query_prefix("TEST#db", "ROW#", limit=3)] == [0, 1, 2]
    response = db.table().query(
        KeyConditionExpression=Key("PK").eq("TEST#db") & Key("SK").begins_with("ROW#"),
        Limit=2,
    )
    assert response["LastEvaluatedKey"] == {"PK": "TEST#db", "SK": "ROW#1"}
    rest = db.table().query(
        KeyConditionExpression=Key("PK").eq("TEST#db") & Key("SK").begins_with("ROW#"),
        ExclusiveStartKey=response["LastEvaluatedKey"],
    )
    assert [item["n"] for item in rest["Items"]] == [2, 3, 4]
    assert rest["Count"] == 3  # what is not an item still comes from botocore's parser


def test_batch_get_in_request_order_and_batch_delete(aws):
    keys = [{"PK": "TEST#db", "SK": f"ROW#{n}"} for n in range(130)]
    with db.table().batch_writer() as writer:
        for n, key in enumerate(keys):
            writer.put_item(Item={**key, "n": n})
    wanted = [*reversed(keys[:120]), {"PK": "TEST#db", "SK": "missing"}]
    assert [item["n"] for item in db.batch_get(wanted)] == list(reversed(range(120)))
    assert db.delete_keys(keys) == 130
    assert db.batch_get(keys) == []


def test_a_cancelled_transaction_names_the_failed_condition(aws):
    item = {"PK": "TEST#db", "SK": "versioned", "id": 1, "version": 1}
    db.transact([{"Put": {"Item": item}}])
    stale = {**item, "version": 0}
    with pytest.raises(db.TransactionFailed) as failure:
        db.save_revision(stale, db.Revision({**item, "name": "x"}, []))
    assert failure.value.failed(0)
    assert db.get({"PK": "TEST#db", "SK": "versioned"}) == {
        "PK": "TEST#db",
        "SK": "versioned",
        "id": Decimal(1),
        "version": Decimal(1),
    }


def test_one_client_serves_every_thread(aws):
    def client_id(_: int) -> tuple[int, str]:
        db.get({"PK": "TEST#db", "SK": "none"})
        return id(db.client().raw), threading.current_thread().name

    results = db.fan_out(client_id, list(range(16)))
    assert {client for client, _ in results} == {id(db.client().raw)}
    assert {name.startswith("dynamodb") for _, name in results} == {True}


def test_the_client_is_made_from_the_default_session_with_the_tuned_config(aws):
    raw = db.client().raw
    config = raw.meta.config
    assert config.tcp_keepalive is True
    assert config.retries == {"mode": "standard", "total_max_attempts": 5}  # 4 retries
    assert config.max_pool_connections >= 8  # the fan-out pool's threads at once
    assert (config.connect_timeout, config.read_timeout) == (2, 5)
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
    seen: list[str] = []

    def record(model: Any, **_: Any) -> None:
        seen.append(model.name)

    session = boto3.DEFAULT_SESSION
    assert session is not None
    session.events.register("before-call.dynamodb", record)
    db.reset_clients()  # the next client is made with the hook (the bench's meter works so)
    try:
        db.get({"PK": "TEST#db", "SK": "none"})
    finally:
        session.events.unregister("before-call.dynamodb", record)
        db.reset_clients()
    assert seen == ["GetItem"]


def test_transactional_reads(aws):
    db.transact([{"Put": {"Item": {"PK": "TEST#db", "SK": "a", "n": 1}}}])
    response = db.client().transact_get_items(
        TransactItems=[
            {"Get": {"TableName": TABLE_NAME, "Key": {"PK": "TEST#db", "SK": "a"}}},
            {"Get": {"TableName": TABLE_NAME, "Key": {"PK": "TEST#db", "SK": "missing"}}},
        ]
    )
    assert response["Responses"] == [{"Item": {"PK": "TEST#db", "SK": "a", "n": Decimal(1)}}, {}]


def _record(session: Any, event: str, seen: list[Any], value: Any) -> Any:
    def handler(**kwargs: Any) -> None:
        seen.append(value(kwargs))

    session.events.register(event, handler)
    return handler


def test_counts_and_capacity_read_as_botocore_parses_them(aws):
    db.table().put_item(Item={"PK": "TEST#db", "SK": "a", "n": 1})
    params: dict[str, Any] = {
        "KeyConditionExpression": "PK = :p",
        "ExpressionAttributeValues": {":p": "TEST#db"},
        "ReturnConsumedCapacity": "TOTAL",
    }
    ours = db.table().query(**params)
    theirs = resource_table().query(**params)
    for member in ("Items", "Count", "ScannedCount", "ConsumedCapacity"):
        assert ours[member] == theirs[member]
    assert ours["Count"] == 1
    assert ours["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_requests_carry_no_retry_telemetry_headers(aws):
    session = boto3.DEFAULT_SESSION
    assert session is not None
    sent: list[dict[str, Any]] = []
    handler = _record(session, "before-send.dynamodb", sent, lambda k: dict(k["request"].headers))
    db.reset_clients()
    try:
        db.get({"PK": "TEST#db", "SK": "none"})
    finally:
        session.events.unregister("before-send.dynamodb", handler)
        db.reset_clients()
    (headers,) = sent
    assert "amz-sdk-invocation-id" not in headers
    assert "amz-sdk-request" not in headers
    assert headers["User-Agent"].startswith(b"Boto3/")
    assert headers["Authorization"].startswith(b"AWS4-HMAC-SHA256 Credential=")
    assert headers["X-Amz-Target"] == b"DynamoDB_20120810.GetItem"
