"""A page far past the end of a list (README §5: no maximum, never an error): an empty page
with the page echoed, and no DynamoDB Query asking for more than its 32-bit Limit allows."""

from __future__ import annotations

from typing import Any

import pytest

from badgekit.store import db
from tests.unit.conftest import Api, system_body

PAGE = "9" * 30


@pytest.fixture
def limits(api: Api, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The `Limit` of every Query the table is sent from now on."""
    assert api.post("/systems", system_body("chicago")).status == 201
    sent: list[Any] = []
    table = db.table()
    original = type(table).query

    def query(self: Any, **kwargs: Any) -> Any:
        sent.append(kwargs.get("Limit"))
        return original(self, **kwargs)

    monkeypatch.setattr(type(table), "query", query)
    return sent


def in_range(sent: list[Any]) -> bool:
    return bool(sent) and all(
        limit is not None and 0 < limit <= db.MAX_QUERY_LIMIT for limit in sent
    )


def test_a_list_page_past_the_end(api: Api, limits: list[Any]) -> None:
    reply = api.get(f"/systems/chicago/issuers?page={PAGE}&count=5")
    assert reply.status == 200
    assert reply.json == {
        "issuers": [],
        "pageData": {"page": int(PAGE), "count": 5, "total": 0},
    }
    assert in_range(limits)


def test_a_delivery_log_page_past_the_end(
    api: Api, limits: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("WEBHOOKS_ALLOW_HTTP", "WEBHOOKS_ALLOW_PRIVATE"):
        monkeypatch.delenv(name, raising=False)
    hooks = "/systems/chicago/webhooks"
    created = api.post(hooks, {"url": "https://issuer.example.org/hook", "secret": "s3cret"})
    assert created.status == 201
    webhook_id = created.json["webhook"]["id"]
    reply = api.get(f"{hooks}/{webhook_id}/deliveries?page={PAGE}&count=5")
    assert reply.status == 200
    assert reply.json["deliveries"] == []
    assert reply.json["pageData"] == {"page": int(PAGE), "count": 5, "total": 0}
    assert in_range(limits)
