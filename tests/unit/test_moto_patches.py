"""The moto patches the unit tests and the local stack share (`local.moto_patches`) keep
TransactWriteItems' all-or-nothing behaviour (a cancelled transaction leaves the table, its
items and its stream as they were), moto's key order for queries and scans, and the exact
JSON moto writes for item attributes; and KMS signs a digest as KMS does."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError

from local import moto_patches
from tests.unit.conftest import TABLE_NAME


def _put(pk: str, value: str) -> dict:
    return {
        "Put": {
            "TableName": TABLE_NAME,
            "Item": {"PK": {"S": pk}, "SK": {"S": "X"}, "v": {"S": value}},
        }
    }


def _failing(pk: str = "A") -> dict:
    return {
        "ConditionCheck": {
            "TableName": TABLE_NAME,
            "Key": {"PK": {"S": pk}, "SK": {"S": "X"}},
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def _table():
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE_NAME]


def _scan(aws) -> list[dict]:
    return aws.scan(TableName=TABLE_NAME)["Items"]


def test_the_patches_are_installed(aws):
    assert moto_patches.install() == []  # installed by the conftest: this checks they took


def test_a_cancelled_transaction_changes_nothing(aws):
    assert moto_patches.roll_back_by_item()  # installed by the conftest, so this exercises it
    aws.put_item(TableName=TABLE_NAME, Item={"PK": {"S": "A"}, "SK": {"S": "X"}, "v": {"S": "1"}})
    with pytest.raises(ClientError) as raised:
        aws.transact_write_items(TransactItems=[_put("B", "2"), _put("C", "3"), _failing()])
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    items = _scan(aws)
    assert items == [{"PK": {"S": "A"}, "SK": {"S": "X"}, "v": {"S": "1"}}]

    aws.transact_write_items(TransactItems=[_put("B", "2"), _put("C", "3")])
    keys = sorted(item["PK"]["S"] for item in _scan(aws))
    assert keys == ["A", "B", "C"]


def test_updated_replaced_and_deleted_items_come_back_as_they_were(aws):
    for pk, value in (("A", "1"), ("B", "2"), ("C", "3"), ("Z", "kept")):
        aws.put_item(
            TableName=TABLE_NAME, Item={"PK": {"S": pk}, "SK": {"S": "X"}, "v": {"S": value}}
        )
    before = _scan(aws)
    table = _table()
    records = len(table.stream_shard.items)
    update = {
        "Update": {
            "TableName": TABLE_NAME,
            "Key": {"PK": {"S": "A"}, "SK": {"S": "X"}},
            "UpdateExpression": "SET v = :v, n = :n",
            "ExpressionAttributeValues": {":v": {"S": "changed"}, ":n": {"N": "7"}},
        }
    }
    upsert = {
        "Update": {
            "TableName": TABLE_NAME,
            "Key": {"PK": {"S": "new"}, "SK": {"S": "X"}},
            "UpdateExpression": "SET v = :v",
            "ExpressionAttributeValues": {":v": {"S": "made"}},
        }
    }
    delete = {"Delete": {"TableName": TABLE_NAME, "Key": {"PK": {"S": "C"}, "SK": {"S": "X"}}}}
    failing = _failing("Z")
    with pytest.raises(ClientError) as raised:
        aws.transact_write_items(
            TransactItems=[update, _put("B", "replaced"), upsert, delete, failing]
        )
    reasons = raised.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None"] * 4 + ["ConditionalCheckFailed"]
    assert _scan(aws) == before
    assert _table() is table  # the same table object: the stream's readers keep their shard
    assert len(table.stream_shard.items) == records  # and no record of what was undone

    # Undone, not frozen: the same writes succeed without the failing check.
    aws.transact_write_items(TransactItems=[update, _put("B", "replaced"), upsert, delete])
    values = {item["PK"]["S"]: item["v"]["S"] for item in _scan(aws)}
    assert values == {"A": "changed", "B": "replaced", "new": "made", "Z": "kept"}
    assert len(table.stream_shard.items) == records + 5  # MODIFY, MODIFY, INSERT+MODIFY, REMOVE


def test_two_operations_on_one_item_change_nothing(aws):
    aws.put_item(TableName=TABLE_NAME, Item={"PK": {"S": "A"}, "SK": {"S": "X"}, "v": {"S": "1"}})
    before = _scan(aws)
    with pytest.raises(ClientError) as raised:
        aws.transact_write_items(TransactItems=[_put("B", "2"), _put("A", "2"), _put("A", "3")])
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert _scan(aws) == before


def test_scans_and_queries_keep_moto_key_order(aws):
    assert moto_patches.sort_keys_once()
    keys = [("b", "2"), ("a", "10"), ("b", "10"), ("a", "2"), ("A", "1"), ("é", "0"), ("a", "1")]
    for pk, sk in keys:
        aws.put_item(TableName=TABLE_NAME, Item={"PK": {"S": pk}, "SK": {"S": sk}})
    scanned = [(item["PK"]["S"], item["SK"]["S"]) for item in _scan(aws)]
    assert scanned == sorted(keys)
    queried = aws.query(
        TableName=TABLE_NAME,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "a"}},
    )["Items"]
    assert [item["SK"]["S"] for item in queried] == ["1", "10", "2"]


RICH_ITEM = {
    "PK": {"S": "RICH"},
    "SK": {"S": "X"},
    "s": {"S": "é\u202e\U0001f600 \x00"},
    "empty": {"S": ""},
    "n": {"N": "-12.50"},
    "big": {"N": "1E+38"},
    "b": {"B": b"\x00\xffbinary"},
    "ss": {"SS": ["b", "a"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "null": {"NULL": True},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "list": {"L": [{"S": "x"}, {"N": "1"}, {"NULL": True}, {"L": []}, {"M": {}}, {"B": b"\x03"}]},
    "map": {"M": {"inner": {"M": {"deep": {"L": [{"M": {"k": {"SS": ["v"]}}}]}}}, "e": {"M": {}}}},
}


def _reads(aws) -> list[dict]:
    key = {"PK": {"S": "RICH"}, "SK": {"S": "X"}}
    return [
        aws.get_item(TableName=TABLE_NAME, Key=key)["Item"],
        aws.query(
            TableName=TABLE_NAME,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "RICH"}},
        )["Items"][0],
        aws.batch_get_item(RequestItems={TABLE_NAME: {"Keys": [key]}})["Responses"][TABLE_NAME][0],
    ]


def test_item_attributes_are_written_as_moto_writes_them(aws, monkeypatch):
    from moto.core.serialize import BaseJSONSerializer

    assert moto_patches.write_attribute_values()
    aws.put_item(TableName=TABLE_NAME, Item=RICH_ITEM)
    patched = _reads(aws)
    assert patched == [RICH_ITEM] * 3
    direct = BaseJSONSerializer._serialize_type_structure
    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", direct.original)
    assert _reads(aws) == patched  # moto's own serializer gives the same documents


STREAM_RECORD = {
    "eventID": "1",
    "eventName": "MODIFY",
    "dynamodb": {
        "Keys": {"PK": {"S": "RICH"}, "SK": {"S": "X"}},
        "NewImage": RICH_ITEM,
        "OldImage": {"PK": {"S": "RICH"}, "SK": {"S": "X"}, "n": {"N": "1"}},
        "SequenceNumber": "1",
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    },
}


@pytest.mark.parametrize(
    ("service", "operation", "result"),
    [
        ("dynamodb", "GetItem", {"Item": RICH_ITEM}),
        ("dynamodb", "Query", {"Items": [RICH_ITEM, RICH_ITEM], "Count": 2, "ScannedCount": 2}),
        ("dynamodbstreams", "GetRecords", {"Records": [STREAM_RECORD], "NextShardIterator": "i"}),
    ],
)
def test_attribute_values_leave_the_same_json_bytes(aws, monkeypatch, service, operation, result):
    """The same bytes on the wire (key order included), through the serializer itself, and
    every attribute value written directly (moto's own code not called for one)."""
    from moto.core.serialize import BaseJSONSerializer, JSONSerializer, XFormedAttributePicker
    from moto.core.utils import get_service_model

    model = get_service_model(service).operation_model(operation)

    def body() -> str:
        picker = XFormedAttributePicker(response_transformers={})
        serializer = JSONSerializer(operation_model=model, value_picker=picker)
        return serializer.serialize(result)["body"]

    written_here: list[bool] = []
    write = moto_patches._attribute_value

    def watched(serializer, value, shape):
        written = write(serializer, value, shape)
        written_here.append(written is not moto_patches._SLOW)
        return written

    monkeypatch.setattr(moto_patches, "_attribute_value", watched)
    patched = body()
    assert written_here
    assert all(written_here)  # no attribute value was left to moto's own code
    direct = BaseJSONSerializer._serialize_type_structure
    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", direct.original)
    assert body() == patched
    assert json.loads(patched) == json.loads(json.dumps(result, default=_wire))


def _wire(value: bytes) -> str:
    return base64.b64encode(value).decode()


def test_a_response_class_lists_the_same_method_names(aws):
    import inspect

    from moto.core import responses
    from moto.dynamodb.responses import DynamoHandler

    assert moto_patches.list_method_names_once()
    listed = vars(responses)["method_names_from_class"](DynamoHandler)
    fresh = [name for name, _ in inspect.getmembers(DynamoHandler, predicate=inspect.isfunction)]
    assert listed == fresh
    assert "get_item" in listed
    assert aws.describe_table(TableName=TABLE_NAME)["Table"]["TableName"] == TABLE_NAME


_SIZED = [
    {"S": "plain"},
    {"S": "été ☃"},
    {"S": ""},
    {"N": "0"},
    {"N": "-12.500"},
    {"N": "123456789012345678901234567890"},
    {"B": "aGVsbG8="},
    {"B": b"\x00\x01\x02"},
    {"BOOL": True},
    {"BOOL": False},
    {"NULL": True},
    {"SS": ["a", "bé", ""]},
    {"NS": ["1", "2.50", "-300"]},
    {"BS": ["aGVsbG8=", b"\x00"]},
    {"L": []},
    {"M": {}},
    {
        "L": [
            {"S": "x"},
            {"N": "7"},
            {"M": {"id": {"N": "1"}, "tags": {"L": [{"S": "t1"}, {"S": "t2"}]}}},
            {"L": [{"BOOL": True}, {"NULL": True}, {"SS": ["p", "q"]}]},
        ]
    },
    {"M": {"ü": {"M": {"deep": {"L": [{"N": "1.0"}, {"B": "AA=="}]}}}, "n": {"NS": ["5"]}}},
]


@pytest.mark.parametrize("value", _SIZED, ids=[next(iter(v)) for v in _SIZED])
def test_attribute_sizes_are_moto_sizes(aws, value):
    from moto.dynamodb.models.dynamo_type import DynamoType

    assert moto_patches.size_without_copies()
    patched = DynamoType.size
    assert patched.sizes_in_place
    assert patched(DynamoType(value)) == patched.original(DynamoType(value))


def test_item_sizes_are_moto_sizes_and_keep_the_limits(aws):
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    attributes = {f"a{n}": value for n, value in enumerate(_SIZED)}
    item = Item(DynamoType({"S": "pk"}), DynamoType({"S": "sk"}), attributes)
    original = DynamoType.size.original
    expected = sum(len(k.encode()) + original(v) for k, v in item.attrs.items())
    assert item.size() == expected
    # the 400 KB item limit still holds (moto checks it with these sizes)
    with pytest.raises(ClientError) as raised:
        aws.put_item(
            TableName=TABLE_NAME,
            Item={"PK": {"S": "big"}, "SK": {"S": "X"}, "v": {"L": [{"S": "x" * 1000}] * 410}},
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert (
        raised.value.response["Error"]["Message"]
        == "Item size has exceeded the maximum allowed size"
    )


def test_reads_keep_moto_size_limits_with_sizes_worked_out_once(aws):
    big = "x" * 100_000  # 15 items of ~100 KB: a Query page stops at 1 MB
    for n in range(15):
        item = {"PK": {"S": "P"}, "SK": {"S": f"{n:02}"}, "v": {"S": big}}
        aws.put_item(TableName=TABLE_NAME, Item=item)
    original = moto_patches._item_size[0]
    calls: list[list[int]] = []

    def counting(item):
        calls[-1].append(id(item))
        return original(item)

    moto_patches._item_size[0] = counting
    try:
        pages, calls = _pages_and_batch(aws, calls)
    finally:
        moto_patches._item_size[0] = original
    assert [len(p) for p in pages] == [9, 6]  # moto's own pages (the same without the patch)
    assert [sk for p in pages for sk in p] == [f"{n:02}" for n in range(15)]
    # the 10th item of the first page did not fit; the batch get sized its 3 items
    assert [len(c) for c in calls] == [10, 6, 3]
    assert all(len(c) == len(set(c)) for c in calls)  # each item's size once per request


def _pages_and_batch(aws, calls):
    pages, start = [], {}
    while True:
        calls.append([])
        page = aws.query(
            TableName=TABLE_NAME,
            KeyConditionExpression="PK = :p",
            ExpressionAttributeValues={":p": {"S": "P"}},
            **start,
        )
        pages.append([item["SK"]["S"] for item in page["Items"]])
        if "LastEvaluatedKey" not in page:
            break
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
    calls.append([])
    keys = [{"PK": {"S": "P"}, "SK": {"S": f"{n:02}"}} for n in range(3)]
    got = aws.batch_get_item(RequestItems={TABLE_NAME: {"Keys": keys}})
    assert sorted(i["SK"]["S"] for i in got["Responses"][TABLE_NAME]) == ["00", "01", "02"]
    return pages, calls


_PROJECTED_ITEM = {
    "PK": {"S": "P"},
    "SK": {"S": "X"},
    "name": {"S": "A badge"},
    "count": {"N": "1.50"},
    "big": {"N": "1E+2"},
    "flag": {"BOOL": False},
    "nothing": {"NULL": True},
    "image": {"B": "aGVsbG8="},
    "tags": {"SS": ["b", "a"]},
    "scores": {"NS": ["3", "1.0"]},
    "criteria": {"L": [{"M": {"id": {"N": "1"}, "text": {"S": "do"}}}, {"S": "x"}]},
    "meta": {"M": {"a": {"M": {"b": {"S": "deep"}}}, "list": {"L": [{"N": "1"}, {"N": "2"}]}}},
}


@pytest.mark.parametrize(
    "projection",
    [
        [["name"]],
        [["name"], ["count"], ["big"], ["flag"], ["nothing"], ["image"]],
        [["tags"], ["scores"], ["criteria"], ["meta"]],
        [["name"], ["name"]],  # named twice
        [["missing"]],
        [["meta"], ["name"], ["missing"], ["PK"], ["SK"]],
        [["meta", "a"], ["name"]],  # a path: moto's own code
        [["criteria[0]"], ["name"]],  # an index: moto's own code
    ],
)
def test_projections_are_moto_projections(aws, projection):
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    assert moto_patches.project_named_attributes()
    item = Item(DynamoType({"S": "P"}), DynamoType({"S": "X"}), dict(_PROJECTED_ITEM))
    patched = item.project(projection)
    expected = Item.project.original(item, projection)
    assert patched.to_json() == expected.to_json()
    assert list(patched.attrs) == list(expected.attrs)
    fresh = Item(DynamoType({"S": "P"}), DynamoType({"S": "X"}), dict(_PROJECTED_ITEM))
    assert item.to_json() == fresh.to_json()  # the projected item itself is unchanged


def test_a_batch_get_with_a_projection_answers_as_moto(aws):
    aws.put_item(TableName=TABLE_NAME, Item=_PROJECTED_ITEM)
    got = aws.batch_get_item(
        RequestItems={
            TABLE_NAME: {
                "Keys": [{"PK": {"S": "P"}, "SK": {"S": "X"}}],
                "ProjectionExpression": "#n, criteria, meta, big",
                "ExpressionAttributeNames": {"#n": "name"},
            }
        }
    )
    [item] = got["Responses"][TABLE_NAME]
    assert item == {
        "name": {"S": "A badge"},
        "criteria": _PROJECTED_ITEM["criteria"],
        "meta": _PROJECTED_ITEM["meta"],
        "big": {"N": "1E+2"},  # moto's own answer (a number goes through Decimal)
    }


def test_kms_signs_a_digest_as_kms_does_and_a_message_as_moto_did(aws):
    """Patch 7: `MessageType=DIGEST` signs the digest as given (moto hashed it again); a RAW
    message is still moto's own answer. Both verify against the key's public half."""
    import hashlib

    import boto3
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    assert moto_patches.sign_digests()
    kms = boto3.client("kms")
    arn = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    public = load_der_public_key(kms.get_public_key(KeyId=arn)["PublicKey"])
    message = b"x" * 5000  # over KMS's 4 KB RAW limit: only its digest can be sent
    algorithm = "RSASSA_PKCS1_V1_5_SHA_256"
    digest = hashlib.sha256(message).digest()
    signed = kms.sign(KeyId=arn, Message=digest, MessageType="DIGEST", SigningAlgorithm=algorithm)
    assert signed["KeyId"] == arn
    assert signed["SigningAlgorithm"] == algorithm
    public.verify(signed["Signature"], message, padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):  # not a signature of the digest as a message
        public.verify(signed["Signature"], digest, padding.PKCS1v15(), hashes.SHA256())
    raw = kms.sign(KeyId=arn, Message=b"abc", MessageType="RAW", SigningAlgorithm=algorithm)
    public.verify(raw["Signature"], b"abc", padding.PKCS1v15(), hashes.SHA256())
