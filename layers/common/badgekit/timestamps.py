"""Timestamps (spec README §6): stored as whole Unix seconds, output as ISO-8601 `.000Z`."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def now() -> int:
    return int(time.time())


def to_iso(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


_DIGITS = re.compile(r"^-?\d+$")
_RFC2822ISH = (
    "%B %d, %Y %H:%M:%S",
    "%B %d, %Y",
    "%b %d, %Y %H:%M:%S",
    "%b %d, %Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
)


def parse(value: object) -> int | None:
    """Parse timestamp input to Unix seconds; None for null. Raises ValueError when invalid.

    13-digit integers are milliseconds (what JavaScript clients send), others seconds.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("not a date")
    if isinstance(value, int):
        return _from_number(str(value))
    if isinstance(value, float) and value.is_integer():
        return _from_number(str(int(value)))
    if not isinstance(value, str):
        raise ValueError("not a date")
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
    return int(parsed.timestamp())


def _parse_loose(text: str) -> datetime:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _RFC2822ISH:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError("not a date")
