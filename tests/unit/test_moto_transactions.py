"""The unit tests' moto patch (`tests.support.moto_transactions`) keeps TransactWriteItems'
all-or-nothing behaviour: a cancelled transaction leaves the table as it was."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.moto_transactions import snapshot_tables_once
from tests.unit.conftest import TABLE_NAME


def _put(pk: str, value: str) -> dict:
    return {
        "Put": {
            "TableName": TABLE_NAME,
            "Item": {"PK": {"S": pk}, "SK": {"S": "X"}, "v": {"S": value}},
        }
    }


def test_a_cancelled_transaction_changes_nothing(aws):
    assert snapshot_tables_once()  # installed by the conftest, so this exercises it
    aws.put_item(TableName=TABLE_NAME, Item={"PK": {"S": "A"}, "SK": {"S": "X"}, "v": {"S": "1"}})
    failing = {
        "ConditionCheck": {
            "TableName": TABLE_NAME,
            "Key": {"PK": {"S": "A"}, "SK": {"S": "X"}},
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }
    with pytest.raises(ClientError) as raised:
        aws.transact_write_items(TransactItems=[_put("B", "2"), _put("C", "3"), failing])
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    items = aws.scan(TableName=TABLE_NAME)["Items"]
    assert items == [{"PK": {"S": "A"}, "SK": {"S": "X"}, "v": {"S": "1"}}]

    aws.transact_write_items(TransactItems=[_put("B", "2"), _put("C", "3")])
    keys = sorted(item["PK"]["S"] for item in aws.scan(TableName=TABLE_NAME)["Items"])
    assert keys == ["A", "B", "C"]
