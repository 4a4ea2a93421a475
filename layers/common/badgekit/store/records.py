"""Typed records: what the store hands the domain instead of raw DynamoDB items.

Each store module declares the records of its resource as TypedDicts (`BadgeRecord`,
`SystemRecord`, ...) and builds them with `record()`: DynamoDB's `Decimal` numbers become
`int` (every number the API stores is a whole number within 64 bits), nested maps and lists
included. Records stay
plain dicts at run time, so the renderer, the outbox and the JSON encoder take them as they
are, while mypy checks every field name and type the domain reads. The key attributes (PK, SK,
GSI*) stay in the item for the store's own conditional writes; no record declares them, so the
domain cannot read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

# The API stores integers within signed 64 bits (validation.as_integer); a number outside that
# (or fractional) was planted by hand: it stays a Decimal, which the renderers read and which
# writes back unchanged (a float or a 126-digit int would not: DynamoDB's 38-digit numbers).
_LOW, _HIGH = -(2**63), 2**63


def _whole(value: Decimal) -> int | Decimal:
    """A whole Decimal within 64 bits as an int, any other one as it is."""
    try:
        number = int(value)
    except (ValueError, OverflowError):  # NaN, infinities
        return value
    if number == value and _LOW <= number < _HIGH:
        return number
    return value


def _mapping(value: Mapping[str, Any]) -> dict[str, Any]:
    # Strings and numbers (most attributes) without a call each.
    result: dict[str, Any] = {}
    for name, inner in value.items():
        kind = type(inner)
        if kind is str:
            result[name] = inner
        elif kind is Decimal:
            result[name] = _whole(inner)
        else:
            result[name] = plain(inner)
    return result


def plain(value: Any) -> Any:
    """`value` with every whole Decimal within 64 bits as an int, recursively (a new value:
    `value` is not changed). One pass over each item, exact types first (what items hold)."""
    kind = type(value)
    if kind is str or kind is bool or kind is int or value is None:
        return value
    if kind is Decimal:
        return _whole(value)
    if kind is dict:
        return _mapping(value)
    if kind is list:
        return [inner if type(inner) is str else plain(inner) for inner in value]
    if isinstance(value, Decimal):
        return _whole(value)
    if isinstance(value, Mapping):
        return _mapping(value)
    if isinstance(value, list):
        return [plain(inner) for inner in value]
    if isinstance(value, set):
        return {plain(inner) for inner in value}
    return value


def record[R](item: Mapping[str, Any], kind: type[R]) -> R:
    """A stored item as the record type `kind` (a TypedDict declared by the store module)."""
    return cast(R, plain(item))


def optional[R](item: Mapping[str, Any] | None, kind: type[R]) -> R | None:
    return None if item is None else record(item, kind)
