"""The one JSON encoder: DynamoDB numbers (Decimal) become JSON numbers, never strings.

Its text always encodes as UTF-8: a stored string holding a lone UTF-16 surrogate (written by an
older version or an import; the request decoder refuses them now) is written as a `\\uXXXX`
escape, so the response stays valid JSON instead of failing to encode (README §3 "Limits").
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    text = json.dumps(value, default=_default, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, default=_default, separators=(",", ":"), ensure_ascii=True)
    return text
