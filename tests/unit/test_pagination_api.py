"""A page far past the end of a list (README §5: no maximum, never an error): an empty page
with the page echoed, and no DynamoDB Query asking for more than its 32-bit Limit allows."""

from __future__ import annotations

from typing import Any

import pytest

from badgekit.store import db
from tests.unit.conftest import Api, system_body


def test_a_page_past_the_end_is_empty_and_every_query_limit_stays_in_range(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert api.post("/systems", system_body("chicago")).status == 201
    limits: list[Any] = []
    table = db.table()
    original = type(table).query

    def query(self: Any, **kwargs: Any) -> Any:
        limits.append(kwargs.get("Limit"))
        return original(self, **kwargs)

    monkeypatch.setattr(type(table), "query", query)
    page = "9" * 30
    reply = api.get(f"/systems/chicago/issuers?page={page}&count=5")
    assert reply.status == 200
    assert reply.json == {
        "issuers": [],
        "pageData": {"page": int(page), "count": 5, "total": 0},
    }
    assert limits
    assert all(limit is not None and 0 < limit <= db.MAX_QUERY_LIMIT for limit in limits)
