"""Timestamps (spec README §6): stored as whole Unix seconds, output as ISO-8601 `.000Z`.

Input (`parse`) accepts only instants in 1970-01-01T00:00:00Z … 9999-12-31T23:59:59Z; anything
else is `Not a date`. Output (`to_seconds`, `to_iso`) never fails on a stored value, whatever an
older version or an import left: numbers are floored to whole seconds and clamped into that
range, date strings are read like input, anything else renders as null (docs/compatibility.md).
"""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime

MIN_SECONDS = 0  # 1970-01-01T00:00:00Z
MAX_SECONDS = 253402300799  # 9999-12-31T23:59:59Z

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
# Everything the standard library raises on absurd dates and numbers (year 0 or 10000, a
# timestamp beyond the platform's time_t, a digit string over Python's int conversion limit).
_FAILURES = (ValueError, OverflowError, OSError, TypeError, IndexError, ArithmeticError)


def now() -> int:
    return int(time.time())


# --- output ---------------------------------------------------------------------------------------


def to_seconds(value: object) -> int | None:
    """A stored timestamp as whole Unix seconds within the range, for output; never raises.

    None, booleans, non-finite numbers, unparseable strings and other types → None.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _clamp(value)
    if isinstance(value, Decimal | float):
        finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
        if not finite:
            return None
        if value <= MIN_SECONDS:
            return MIN_SECONDS
        if value >= MAX_SECONDS:
            return MAX_SECONDS
        return math.floor(value)
    if isinstance(value, str):
        try:
            return _clamp(_seconds_of_text(value))
        except _FAILURES:
            return None
    return None


def to_iso(value: object) -> str | None:
    """A stored timestamp as ISO-8601 UTC with `.000Z` (README §4); None as for `to_seconds`."""
    seconds = to_seconds(value)
    if seconds is None:
        return None
    return (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _clamp(seconds: int) -> int:
    return min(max(seconds, MIN_SECONDS), MAX_SECONDS)


# --- input ----------------------------------------------------------------------------------------

_DIGITS = re.compile(r"^-?[0-9]+$")
_RFC2822ISH = (
    "%B %d, %Y %H:%M:%S",
    "%B %d, %Y",
    "%b %d, %Y %H:%M:%S",
    "%b %d, %Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
)


def parse(value: object) -> int | None:
    """Parse timestamp input to Unix seconds; None for null. Raises ValueError when invalid
    (unparseable, or outside 0 … 253402300799 after the millisecond rule).

    13-digit integers are milliseconds (what JavaScript clients send), others seconds.
    """
    if value is None:
        return None
    try:
        seconds = _seconds_of(value)
    except _FAILURES as exc:
        raise ValueError("not a date") from exc
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ValueError("not a date")
    return seconds


def _seconds_of(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("not a date")
    if isinstance(value, int):
        return _from_number(str(value))
    if isinstance(value, float) and value.is_integer():  # False for inf and nan
        return _from_number(str(int(value)))
    if not isinstance(value, str):
        raise ValueError("not a date")
    return _seconds_of_text(value)


def _seconds_of_text(value: str) -> int:
    text = value.strip()
    if _DIGITS.match(text):
        return _from_number(text)
    return _from_text(text)


def _from_number(digits: str) -> int:
    number = int(digits)
    return number // 1000 if len(digits.lstrip("-")) == 13 else number


def _from_text(text: str) -> int:
    iso = text.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = _parse_loose(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    # Exact floor (no float rounding near the range's ends, no truncation towards zero).
    return (parsed - _EPOCH) // _SECOND


def _parse_loose(text: str) -> datetime:
    try:
        return parsedate_to_datetime(text)
    except _FAILURES:
        pass
    for fmt in _RFC2822ISH:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError("not a date")
