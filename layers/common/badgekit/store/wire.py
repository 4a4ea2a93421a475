"""DynamoDB's attribute values (the wire format, `{"S": "x"}`) to and from Python values, in one
pass over each item: the same values boto3's `TypeSerializer` and `TypeDeserializer` give
(numbers as `Decimal`, binaries as `Binary`, sets as `set`), without boto3's resource layer
walking every request and response along the service model first.

    S -> str    N -> Decimal    B -> Binary    BOOL -> bool    NULL -> None
    L -> list   M -> dict       SS -> set[str] NS -> set[Decimal]  BS -> set[Binary]

Serialising accepts what boto3 accepts: str, int, Decimal, bool, None, bytes / bytearray /
Binary, lists and tuples, mappings, and sets of numbers, strings or binaries. A float, infinity
or NaN, or any other type raises `TypeError`, and a number that does not fit DynamoDB's 38
digits decimal's `Inexact` or `Rounded`, as with boto3, before any call.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Set
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT, Binary

Wire = dict[str, Any]

_create_decimal = DYNAMODB_CONTEXT.create_decimal


def _number(value: int | Decimal) -> str:
    text = str(_create_decimal(value))
    if text in ("Infinity", "NaN"):
        raise TypeError("Infinity and NaN not supported")
    return text


def _is_binary(value: Any) -> bool:
    return isinstance(value, bytes | bytearray | Binary)


def _binary(value: Any) -> bytes:
    """bytes, bytearray or Binary (which defines `__bytes__`) as bytes."""
    return bytes(value)


def serialize(value: Any) -> Wire:
    """One Python value as an attribute value (binaries as bytes: botocore encodes them)."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):  # before int: a bool is an int
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": _number(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, Mapping):
        return {"M": {name: serialize(member) for name, member in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [serialize(member) for member in value]}
    if _is_binary(value):
        return {"B": _binary(value)}
    if isinstance(value, Set):
        members = list(value)
        if all(isinstance(m, int | Decimal) for m in members):
            return {"NS": [_number(m) for m in members]}
        if all(isinstance(m, str) for m in members):
            return {"SS": members}
        if all(_is_binary(m) for m in members):
            return {"BS": [_binary(m) for m in members]}
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    raise TypeError(f"Unsupported type {type(value)!r} for value {value!r}")


def serialize_item(item: Mapping[str, Any]) -> dict[str, Wire]:
    """An item (or a key, or the values of an expression) as attribute values."""
    return {name: serialize(value) for name, value in item.items()}


def _blob(value: str | bytes) -> bytes:
    """A binary as it comes in the JSON of a response: base64 text."""
    return base64.b64decode(value) if isinstance(value, str) else bytes(value)


def deserialize(attribute: Mapping[str, Any]) -> Any:
    """One attribute value as a Python value (binaries as JSON responses carry them: base64)."""
    ((kind, value),) = attribute.items()
    if kind == "S":
        return value
    if kind == "N":
        return _create_decimal(value)
    if kind == "M":
        return deserialize_item(value)
    if kind == "L":
        return [_value(member) for member in value]
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "SS":
        return set(value)
    if kind == "NS":
        return {_create_decimal(member) for member in value}
    if kind == "B":
        return Binary(_blob(value))
    if kind == "BS":
        return {Binary(_blob(member)) for member in value}
    raise TypeError(f"Unknown DynamoDB type {kind!r}")


def _value(attribute: Mapping[str, Any]) -> Any:
    # Strings and numbers (most attributes) without the general dispatch.
    if "S" in attribute:
        return attribute["S"]
    if "N" in attribute:
        return _create_decimal(attribute["N"])
    return deserialize(attribute)


def deserialize_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {name: _value(value) for name, value in item.items()}


# --- requests and responses ---------------------------------------------------------------------

# Parameters of a request that hold an item or a key (plain values in, attribute values out).
_ITEM_PARAMETERS = ("Item", "Key", "ExclusiveStartKey", "ExpressionAttributeValues")
# Parameters that may be given as boto3 condition objects (`Key("PK").eq(...)`, `Attr(...)`).
_CONDITIONS = (
    ("KeyConditionExpression", True),
    ("FilterExpression", False),
    ("ConditionExpression", False),
)


def request(params: Mapping[str, Any]) -> dict[str, Any]:
    """A request's parameters with plain values (as the boto3 resource layer takes them) in the
    wire format: items, keys and expression values serialised, condition objects built into
    expressions with placeholders. The caller's dicts are not changed."""
    wired = dict(params)
    builder: Any = None
    for name, is_key in _CONDITIONS:
        condition = wired.get(name)
        if condition is None or isinstance(condition, str):
            continue
        if builder is None:
            from boto3.dynamodb.conditions import ConditionExpressionBuilder

            builder = ConditionExpressionBuilder()
        built = builder.build_expression(condition, is_key_condition=is_key)
        wired[name] = built.condition_expression
        if built.attribute_name_placeholders:
            wired["ExpressionAttributeNames"] = {
                **wired.get("ExpressionAttributeNames", {}),
                **built.attribute_name_placeholders,
            }
        if built.attribute_value_placeholders:
            wired["ExpressionAttributeValues"] = {
                **wired.get("ExpressionAttributeValues", {}),
                **built.attribute_value_placeholders,
            }
    for name in _ITEM_PARAMETERS:
        if name in wired:
            wired[name] = serialize_item(wired[name])
    return wired


def batch_get_request(request_items: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """BatchGetItem's `RequestItems`: every table's keys serialised."""
    return {
        table: {**spec, "Keys": [serialize_item(key) for key in spec["Keys"]]}
        for table, spec in request_items.items()
    }


def batch_write_request(request_items: Mapping[str, Any]) -> dict[str, Any]:
    """BatchWriteItem's `RequestItems`: every put's item and every delete's key serialised."""
    return {
        table: [_write_request(write) for write in writes]
        for table, writes in request_items.items()
    }


def _write_request(write: Mapping[str, Any]) -> dict[str, Any]:
    if "PutRequest" in write:
        return {"PutRequest": {"Item": serialize_item(write["PutRequest"]["Item"])}}
    return {"DeleteRequest": {"Key": serialize_item(write["DeleteRequest"]["Key"])}}


def transact_request(actions: list[Mapping[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """TransactWriteItems' `TransactItems` ({"Put"|"Update"|"Delete"|"ConditionCheck": ...}),
    or TransactGetItems' ({"Get": ...})."""
    return [{kind: request(body) for kind, body in action.items()} for action in actions]


def _items(items: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [deserialize_item(item) for item in items]


def _per_table_items(responses: Mapping[str, list[Mapping[str, Any]]]) -> dict[str, Any]:
    return {table: _items(items) for table, items in responses.items()}


def _unprocessed_keys(unprocessed: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {
        table: {**spec, "Keys": _items(spec.get("Keys", []))} for table, spec in unprocessed.items()
    }


def _unprocessed_writes(unprocessed: Mapping[str, list[Mapping[str, Any]]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for table, writes in unprocessed.items():
        result[table] = [
            {"PutRequest": {"Item": deserialize_item(w["PutRequest"]["Item"])}}
            if "PutRequest" in w
            else {"DeleteRequest": {"Key": deserialize_item(w["DeleteRequest"]["Key"])}}
            for w in writes
        ]
    return result


def _transact_responses(responses: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"Item": deserialize_item(r["Item"])} if "Item" in r else {} for r in responses]


# The members of each operation's response that hold items or keys, and how to read them.
RESPONSE_ITEMS: dict[str, tuple[tuple[str, Any], ...]] = {
    "GetItem": (("Item", deserialize_item),),
    "PutItem": (("Attributes", deserialize_item),),
    "UpdateItem": (("Attributes", deserialize_item),),
    "DeleteItem": (("Attributes", deserialize_item),),
    "Query": (("Items", _items), ("LastEvaluatedKey", deserialize_item)),
    "Scan": (("Items", _items), ("LastEvaluatedKey", deserialize_item)),
    "BatchGetItem": (("Responses", _per_table_items), ("UnprocessedKeys", _unprocessed_keys)),
    "BatchWriteItem": (("UnprocessedItems", _unprocessed_writes),),
    "TransactGetItems": (("Responses", _transact_responses),),
}


def response_items(operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """Takes the item members out of a successful response's decoded JSON `body`, returned
    as Python values (what is left in `body` is for botocore's parser: counts, capacity)."""
    members = RESPONSE_ITEMS.get(operation, ())
    return {name: read(body.pop(name)) for name, read in members if name in body}
