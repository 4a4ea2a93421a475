"""The store's lean (de)serialiser (badgekit.store.wire): every DynamoDB type, the same values
as boto3's TypeSerializer / TypeDeserializer (what the resource layer gave the store before),
and the shaping of requests and responses around it."""

from __future__ import annotations

import base64
import copy
import decimal
import json
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from badgekit.store import records, wire

VALUES: list[Any] = [
    "text",
    "",
    "ünïcødé ✓",
    0,
    7,
    -42,
    2**63 - 1,
    -(2**63),
    Decimal("3"),
    Decimal("1.50"),
    Decimal("-0.001"),
    Decimal("12345678901234567890123456789012345678"),
    True,
    False,
    None,
    b"\x00\xffbytes",
    bytearray(b"array"),
    Binary(b"binary"),
    [],
    ["a", 1, None, [True], {"k": "v"}],
    ("tuple", 2),
    {},
    {"name": "x", "count": 3, "nested": {"list": [Decimal("1.5"), "s"], "flag": False}},
    {"a", "b"},
    {1, 2, Decimal("3.5")},
    {b"x", Binary(b"y")},
]


# Stable ids (a set's repr depends on hash randomisation, which differs between test workers).
IDS = [f"{index}-{type(value).__name__}" for index, value in enumerate(VALUES)]


def on_the_wire(attribute: Any) -> Any:
    """An attribute value as a JSON response carries it (binaries base64, via real JSON)."""

    def encode(value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            return base64.b64encode(value).decode()
        if isinstance(value, dict):
            return {k: encode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [encode(v) for v in value]
        return value

    return json.loads(json.dumps(encode(attribute)))


def as_botocore(attribute: Any) -> Any:
    """An attribute value as botocore hands it to boto3 (binaries decoded to bytes)."""
    if isinstance(attribute, dict):
        return {k: as_botocore(v) for k, v in attribute.items()}
    if isinstance(attribute, list):
        return [as_botocore(v) for v in attribute]
    return bytes(attribute) if isinstance(attribute, bytearray) else attribute


def normalised(attribute: Any) -> Any:
    """Set members in a fixed order, bytearrays as bytes (same wire format)."""
    if isinstance(attribute, dict):
        result = {}
        for kind, value in attribute.items():
            if kind in ("SS", "NS", "BS"):
                result[kind] = sorted(bytes(v) if isinstance(v, bytearray) else v for v in value)
            else:
                result[kind] = normalised(value)
        return result
    if isinstance(attribute, list):
        return [normalised(v) for v in attribute]
    return bytes(attribute) if isinstance(attribute, bytearray) else attribute


@pytest.mark.parametrize("value", VALUES, ids=IDS)
def test_serialises_as_boto3_does(value):
    assert normalised(wire.serialize(value)) == normalised(TypeSerializer().serialize(value))


@pytest.mark.parametrize("value", VALUES, ids=IDS)
def test_reads_back_what_boto3_reads(value):
    attribute = TypeSerializer().serialize(value)
    ours = wire.deserialize(on_the_wire(attribute))
    theirs = TypeDeserializer().deserialize(as_botocore(attribute))
    assert ours == theirs
    assert type(ours) is type(theirs)


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ({"S": "x"}, "x"),
        ({"N": "5"}, Decimal(5)),
        ({"N": "-1.25"}, Decimal("-1.25")),
        ({"B": base64.b64encode(b"\x01\x02").decode()}, Binary(b"\x01\x02")),
        ({"BOOL": True}, True),
        ({"NULL": True}, None),
        ({"L": [{"S": "a"}, {"N": "1"}]}, ["a", Decimal(1)]),
        ({"M": {"k": {"BOOL": False}}}, {"k": False}),
        ({"SS": ["a", "b"]}, {"a", "b"}),
        ({"NS": ["1", "2.5"]}, {Decimal(1), Decimal("2.5")}),
        ({"BS": [base64.b64encode(b"z").decode()]}, {Binary(b"z")}),
    ],
)
def test_every_type(attribute, expected):
    assert wire.deserialize(attribute) == expected


def test_numbers_are_decimals_and_records_make_them_ints():
    item = wire.deserialize_item({"id": {"N": "12"}, "total": {"N": "0"}, "tags": {"L": []}})
    assert item == {"id": Decimal(12), "total": Decimal(0), "tags": []}
    assert all(isinstance(item[name], Decimal) for name in ("id", "total"))
    plain = records.plain(item)
    assert plain == {"id": 12, "total": 0, "tags": []}
    assert type(plain["id"]) is int


@pytest.mark.parametrize("value", [1.5, float("nan"), {1.5}, object(), {"k": 0.1}])
def test_refuses_what_boto3_refuses(value):
    with pytest.raises(TypeError):
        TypeSerializer().serialize(value)
    with pytest.raises(TypeError):
        wire.serialize(value)


@pytest.mark.parametrize("value", [10**40 + 1, Decimal("1." + "1" * 40)])
def test_numbers_beyond_38_digits_are_refused_as_boto3_refuses_them(value):
    with pytest.raises(decimal.DecimalException):
        TypeSerializer().serialize(value)
    with pytest.raises(decimal.DecimalException):
        wire.serialize(value)


def test_round_trip_of_an_item():
    item = {
        "PK": "SYSTEM#1",
        "SK": "BADGE#a",
        "id": Decimal(4),
        "name": "A badge",
        "criteria": [{"id": Decimal(1), "description": "do", "required": True, "note": None}],
        "tags": ["x", "y"],
    }
    wired = on_the_wire(wire.serialize_item(item))
    assert wire.deserialize_item(wired) == item


def test_request_serialises_items_keys_and_values_and_builds_conditions():
    params = {
        "TableName": "t",
        "KeyConditionExpression": Key("PK").eq("P") & Key("SK").begins_with("LIST#"),
        "FilterExpression": Attr("expiresAt").gt(10),
        "ExclusiveStartKey": {"PK": "P", "SK": "LIST#1"},
        "ProjectionExpression": "#a0",
        "ExpressionAttributeNames": {"#a0": "SK"},
        "Limit": 5,
    }
    original = copy.deepcopy(params)
    wired = wire.request(params)
    assert wired == {
        "TableName": "t",
        "KeyConditionExpression": "(#n0 = :v0 AND begins_with(#n1, :v1))",
        "FilterExpression": "#n2 > :v2",
        "ExclusiveStartKey": {"PK": {"S": "P"}, "SK": {"S": "LIST#1"}},
        "ProjectionExpression": "#a0",
        "ExpressionAttributeNames": {"#a0": "SK", "#n0": "PK", "#n1": "SK", "#n2": "expiresAt"},
        "ExpressionAttributeValues": {":v0": {"S": "P"}, ":v1": {"S": "LIST#"}, ":v2": {"N": "10"}},
        "Limit": 5,
    }
    assert params == original  # the caller's parameters are left as they were


def test_request_with_string_expressions_and_an_item():
    wired = wire.request(
        {
            "Item": {"PK": "A", "SK": "B", "version": 2},
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": {":v": 1},
        }
    )
    assert wired == {
        "Item": {"PK": {"S": "A"}, "SK": {"S": "B"}, "version": {"N": "2"}},
        "ConditionExpression": "version = :v",
        "ExpressionAttributeValues": {":v": {"N": "1"}},
    }


def test_transactions_and_batches():
    actions = [
        {"Put": {"TableName": "t", "Item": {"PK": "A", "n": 1}}},
        {"Update": {"TableName": "t", "Key": {"PK": "B"}, "UpdateExpression": "ADD #t :d",
                    "ExpressionAttributeNames": {"#t": "total"},
                    "ExpressionAttributeValues": {":d": -1}}},
        {"Delete": {"TableName": "t", "Key": {"PK": "C"}}},
        {"ConditionCheck": {"TableName": "t", "Key": {"PK": "D"},
                            "ConditionExpression": "id = :id",
                            "ExpressionAttributeValues": {":id": Decimal(3)}}},
    ]  # fmt: skip
    assert wire.transact_request(actions) == [
        {"Put": {"TableName": "t", "Item": {"PK": {"S": "A"}, "n": {"N": "1"}}}},
        {"Update": {"TableName": "t", "Key": {"PK": {"S": "B"}}, "UpdateExpression": "ADD #t :d",
                    "ExpressionAttributeNames": {"#t": "total"},
                    "ExpressionAttributeValues": {":d": {"N": "-1"}}}},
        {"Delete": {"TableName": "t", "Key": {"PK": {"S": "C"}}}},
        {"ConditionCheck": {"TableName": "t", "Key": {"PK": {"S": "D"}},
                            "ConditionExpression": "id = :id",
                            "ExpressionAttributeValues": {":id": {"N": "3"}}}},
    ]  # fmt: skip
    assert wire.batch_get_request({"t": {"Keys": [{"PK": "A"}], "ConsistentRead": True}}) == {
        "t": {"Keys": [{"PK": {"S": "A"}}], "ConsistentRead": True}
    }
    writes = {"t": [{"PutRequest": {"Item": {"PK": "A"}}}, {"DeleteRequest": {"Key": {"PK": "B"}}}]}
    assert wire.batch_write_request(writes) == {
        "t": [
            {"PutRequest": {"Item": {"PK": {"S": "A"}}}},
            {"DeleteRequest": {"Key": {"PK": {"S": "B"}}}},
        ]
    }


def test_response_items_are_taken_out_and_read():
    body = {
        "Items": [{"PK": {"S": "A"}, "n": {"N": "1"}}],
        "Count": 1,
        "ScannedCount": 1,
        "LastEvaluatedKey": {"PK": {"S": "A"}},
    }
    assert wire.response_items("Query", body) == {
        "Items": [{"PK": "A", "n": Decimal(1)}],
        "LastEvaluatedKey": {"PK": "A"},
    }
    assert body == {"Count": 1, "ScannedCount": 1}  # left for botocore's parser
    batch = {
        "Responses": {"t": [{"PK": {"S": "A"}}]},
        "UnprocessedKeys": {"t": {"Keys": [{"PK": {"S": "B"}}], "ConsistentRead": True}},
    }
    assert wire.response_items("BatchGetItem", batch) == {
        "Responses": {"t": [{"PK": "A"}]},
        "UnprocessedKeys": {"t": {"Keys": [{"PK": "B"}], "ConsistentRead": True}},
    }
    unprocessed = {"UnprocessedItems": {"t": [{"PutRequest": {"Item": {"n": {"N": "2"}}}}]}}
    assert wire.response_items("BatchWriteItem", unprocessed) == {
        "UnprocessedItems": {"t": [{"PutRequest": {"Item": {"n": Decimal(2)}}}]}
    }
    assert wire.response_items("GetItem", {}) == {}  # no such item
    assert wire.response_items("UpdateItem", {"Attributes": {"total": {"N": "3"}}}) == {
        "Attributes": {"total": Decimal(3)}
    }
    assert wire.response_items("TransactWriteItems", {}) == {}
