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
_INT_RANGE = range(-(2**63), 2**63)


def plain(value: Any) -> Any:
    """`value` with every whole Decimal within 64 bits as an int, recursively."""
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            number = int(value)
            if number in _INT_RANGE:
                return number
        return value
    if isinstance(value, Mapping):
        return {name: plain(inner) for name, inner in value.items()}
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
