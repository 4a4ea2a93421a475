"""`page` / `count` query parameters and the paginated list envelope (spec README §5)."""

from __future__ import annotations

import re
from typing import Any

from badgekit.store.db import Page

# Base-10 ASCII digits only, as JavaScript's parseInt reads them ("٣" is not a number).
_LEADING_INT = re.compile(r"^\s*([+-]?)0*([0-9]+)")
# Python refuses to convert longer digit strings (and to print them back in `pageData`); any
# number this long is past the end of every list, so longer ones read as this one.
MAX_DIGITS = 4300


def _leading_int(text: str | None) -> int | None:
    """JavaScript parseInt: the leading integer of the text ("2abc" -> 2), else None."""
    match = _LEADING_INT.match(text or "")
    if not match:
        return None
    sign, digits = match.groups()
    if len(digits) > MAX_DIGITS:
        digits = "9" * MAX_DIGITS
    return int(sign + digits)


def parse_page(page: str | None, count: str | None) -> Page | None:
    """Pagination is active only when both parse to integers > 0; bad values never error."""
    number, size = _leading_int(page), _leading_int(count)
    if number is None or size is None or number <= 0 or size <= 0:
        return None
    return Page(number, size)


def envelope(plural: str, items: list[Any], total: int, page: Page | None) -> dict[str, Any]:
    body: dict[str, Any] = {plural: items}
    if page is not None:
        body["pageData"] = {"page": page.number, "count": page.count, "total": total}
    return body
