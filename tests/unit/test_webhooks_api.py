"""Webhook configuration and the delivery log through the webhooks function (in-process),
written from spec webhooks.md §1 and §4 (extension routes of README §13.1).

The deployment's default URL policy applies here (https only, public hosts only), as on AWS.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from badgekit.domain import webhooks
from badgekit.store import db, keys, queue
from tests.unit.conftest import Api, system_body

SYS = "/systems/chicago"
HOOKS = f"{SYS}/webhooks"
URL = "https://issuer.example.org/badgekit-hook"


@pytest.fixture
def chicago(api: Api, monkeypatch: pytest.MonkeyPatch) -> Api:
    for name in ("WEBHOOKS_ALLOW_HTTP", "WEBHOOKS_ALLOW_PRIVATE"):
        monkeypatch.delenv(name, raising=False)
    assert api.post("/systems", system_body("chicago")).status == 201
    return api


def create(api: Api, url: str = URL, secret: str = "s3cret", path: str = HOOKS) -> Any:
    return api.post(path, {"url": url, "secret": secret})


def detail(reply: Any) -> list[dict[str, Any]]:
    assert reply.status == 400, reply.json
    assert reply.json["code"] == "ValidationError"
    assert reply.json["message"] == "Could not validate required fields"
    details: list[dict[str, Any]] = reply.json["details"]
    return details


# --- POST ------------------------------------------------------------------------------------


def test_create_returns_the_webhook_without_its_secret(chicago):
    reply = create(chicago)
    assert reply.status == 201
    assert reply.json == {
        "status": "created",
        "webhook": {"id": reply.json["webhook"]["id"], "url": URL, "disabled": False},
    }
    assert isinstance(reply.json["webhook"]["id"], int)
    assert "s3cret" not in json.dumps(reply.json)
    stored = db.get(keys.webhook(1, reply.json["webhook"]["id"]))
    assert stored["secret"] == "s3cret"  # kept for signing


def test_url_is_unique_per_system(chicago):
    assert create(chicago).status == 201
    reply = create(chicago, secret="other")
    assert reply.status == 409
    assert reply.json == {
        "code": "ResourceConflict",
        "message": "webhook with that `url` already exists",
        "details": {"url": URL},
    }
    # Exact match: another spelling is another URL; another system may use the same URL.
    assert create(chicago, URL + "/").status == 201
    assert chicago.post("/systems", system_body("boston")).status == 201
    assert create(chicago, path="/systems/boston/webhooks").status == 201


def test_required_fields(chicago):
    assert detail(chicago.post(HOOKS, {})) == [
        {"message": "Required field", "field": "url", "value": ""},
        {"message": "Required field", "field": "secret"},
    ]


def test_secret_length_and_never_echoed(chicago):
    long_secret = "x" * 256
    assert detail(create(chicago, secret=long_secret)) == [
        {"message": "String is not in range", "field": "secret"}
    ]
    assert detail(create(chicago, secret="")) == [
        {"message": "String is not in range", "field": "secret"}
    ]
    assert create(chicago, secret="x" * 255).status == 201


@pytest.mark.parametrize(
    "url",
    [
        "issuer.example.org/hook",  # the URL rule allows no scheme; webhooks need one
        "ftp://issuer.example.org/hook",
        "not a url",
        "https://example",
        "http://issuer.example.org/hook",  # only https unless the deployment allows http
        "https://10.0.0.5/hook",
        "https://192.168.1.20/hook",
        "https://127.0.0.1:8080/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/hook",
        "https://100.100.100.200/hook",
    ],
)
def test_invalid_or_unsafe_urls(chicago, url):
    assert detail(create(chicago, url)) == [
        {"message": "Invalid URL", "field": "url", "value": url}
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pass@hooks.example.org/x",
        "https://user@hooks.example.org/x",
        "https://:@hooks.example.org/x",
        "https://[64:ff9b::a00:1]/x",
        "https://[::ffff:169.254.169.254]/x",
        "https://100.64.0.1/x",
        "https://0.0.0.0/x",
        "https://0.1.2.3/x",
        "https://hooks.localhost/x",
    ],
)
def test_credentials_and_embedded_private_addresses_are_refused(chicago, url):
    """webhooks.md §1 (amended): credentials and every private form → 400, nothing stored."""
    assert create(chicago).status == 201
    before = chicago.get(HOOKS).json
    reply = create(chicago, url)
    assert reply.status == 400
    assert reply.json == {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": [{"message": "Invalid URL", "field": "url", "value": url}],
    }
    assert chicago.get(HOOKS).json == before


def test_credentials_are_refused_even_where_private_addresses_are_allowed(chicago, monkeypatch):
    monkeypatch.setenv("WEBHOOKS_ALLOW_HTTP", "true")
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")
    url = "http://user:pass@127.0.0.1:9000/hook"
    assert detail(create(chicago, url)) == [
        {"message": "Invalid URL", "field": "url", "value": url}
    ]
    assert chicago.get(HOOKS).json == {"webhooks": []}
    assert create(chicago, "http://127.0.0.1:9000/hook").status == 201


def test_url_length(chicago):
    url = "https://issuer.example.org/" + "a" * 229
    assert len(url) == 256
    assert detail(create(chicago, url)) == [
        {"message": "String is not in range", "field": "url", "value": url}
    ]
    assert create(chicago, url[:-1]).status == 201


@pytest.mark.parametrize(
    "url",
    ["https://issuer.example.org/hook", "HTTPS://Issuer.Example.org/x?y=1", "https://8.8.8.8/x"],
)
def test_valid_urls(chicago, url):
    assert create(chicago, url).status == 201


def test_deployment_can_allow_http_and_loopback(chicago, monkeypatch):
    url = "http://127.0.0.1:9000/hook"
    assert create(chicago, url).status == 400
    monkeypatch.setenv("WEBHOOKS_ALLOW_HTTP", "true")
    assert create(chicago, url).status == 400  # still loopback
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "loopback")
    assert create(chicago, url).status == 201
    assert create(chicago, "http://localhost:9000/hook").status == 201
    assert create(chicago, "http://10.0.0.5/hook").status == 400  # private: not loopback
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")
    assert create(chicago, "http://10.0.0.5/hook").status == 201


def test_form_body(chicago):
    reply = chicago.call(
        "POST",
        HOOKS,
        body=b"url=https%3A%2F%2Fissuer.example.org%2Fh&secret=abc",
        content_type="application/x-www-form-urlencoded",
    )
    assert reply.status == 201
    assert reply.json["webhook"]["url"] == "https://issuer.example.org/h"


def test_unknown_system_is_404_before_validation(chicago):
    reply = chicago.post("/systems/nope/webhooks", {})
    assert reply.status == 404
    assert reply.json == {
        "code": "ResourceNotFound",
        "message": "Could not find system field: `slug`, value: `nope`",
    }


# --- GET -------------------------------------------------------------------------------------


def test_list_in_id_order_with_pagination(chicago):
    ids = [create(chicago, f"https://h{i}.example.org/x").json["webhook"]["id"] for i in range(3)]
    reply = chicago.get(HOOKS)
    assert reply.status == 200
    assert reply.json == {
        "webhooks": [
            {"id": ids[i], "url": f"https://h{i}.example.org/x", "disabled": False}
            for i in range(3)
        ]
    }
    page = chicago.get(f"{HOOKS}?page=2&count=2").json
    assert page == {
        "webhooks": [{"id": ids[2], "url": "https://h2.example.org/x", "disabled": False}],
        "pageData": {"page": 2, "count": 2, "total": 3},
    }
    assert chicago.get(f"{HOOKS}?page=3&count=2").json["webhooks"] == []


def test_lists_are_per_system(chicago):
    create(chicago)
    assert chicago.post("/systems", system_body("boston")).status == 201
    assert chicago.get("/systems/boston/webhooks").json == {"webhooks": []}
    assert chicago.get("/systems/nope/webhooks").status == 404


def test_consumer_keys_of_the_system_only(chicago):
    reply = chicago.post(f"{SYS}/consumers", {"apiKey": "chicago-key"})
    secret = reply.json["consumer"]["apiSecret"]
    consumer = Api(key="chicago-key", secret=secret, gw=chicago.gateway)
    assert consumer.post(HOOKS, {"url": URL, "secret": "s"}).status == 201
    assert consumer.get(HOOKS).status == 200
    assert chicago.post("/systems", system_body("boston")).status == 201
    assert consumer.get("/systems/boston/webhooks").status == 403


def test_methods_not_allowed(chicago):
    reply = chicago.put(HOOKS, {})
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, POST"
    assert chicago.get(f"{HOOKS}/1").status == 405
    assert chicago.get(f"{HOOKS}/1/deliveries/1/redeliver").status == 405


# --- DELETE ----------------------------------------------------------------------------------


def test_delete(chicago):
    webhook = create(chicago).json["webhook"]
    reply = chicago.delete(f"{HOOKS}/{webhook['id']}")
    assert reply.status == 200
    assert reply.json == {"status": "deleted", "webhook": webhook}
    assert chicago.get(HOOKS).json == {"webhooks": []}
    again = chicago.delete(f"{HOOKS}/{webhook['id']}")
    assert again.status == 404
    assert again.json == {
        "code": "ResourceNotFound",
        "message": f"Could not find webhook field: `id`, value: `{webhook['id']}`",
    }
    assert create(chicago).status == 201  # the URL is free again


@pytest.mark.parametrize("webhook_id", ["abc", "0", "-1", "99"])
def test_delete_unknown_or_malformed_id(chicago, webhook_id):
    reply = chicago.delete(f"{HOOKS}/{webhook_id}")
    assert reply.status == 404
    assert reply.json["message"] == f"Could not find webhook field: `id`, value: `{webhook_id}`"


def test_webhook_of_another_system_is_404(chicago):
    webhook_id = create(chicago).json["webhook"]["id"]
    assert chicago.post("/systems", system_body("boston")).status == 201
    assert chicago.delete(f"/systems/boston/webhooks/{webhook_id}").status == 404
    assert chicago.get(f"/systems/boston/webhooks/{webhook_id}/deliveries").status == 404


def test_system_delete_removes_its_webhooks(chicago):
    webhook_id = create(chicago).json["webhook"]["id"]
    assert chicago.delete(SYS).status == 200
    assert db.get(keys.webhook(1, webhook_id)) is None
    assert db.get(keys.webhook_url(1, URL)) is None


# --- delivery log ----------------------------------------------------------------------------


def put_delivery(webhook_id: int, delivery_id: int, created: int, **extra: Any) -> None:
    item = {
        **keys.delivery(webhook_id, delivery_id),
        "entity": "delivery",
        "id": delivery_id,
        "webhookId": webhook_id,
        "systemId": 1,
        "eventId": f"evt_{delivery_id}",
        "action": "award",
        "status": "delivered",
        "attempts": 1,
        "lastStatusCode": 204,
        "lastError": None,
        "nextAttemptAt": None,
        "created": created,
        "updated": created + 1,
        "expiresAt": created + webhooks.DELIVERY_RETENTION_SECONDS,
        "token": "t",
        **extra,
    }
    db.table().put_item(Item=item)


def test_deliveries_newest_first_with_pagination(chicago):
    webhook_id = create(chicago).json["webhook"]["id"]
    now = int(time.time())
    for delivery_id in range(1, 6):
        put_delivery(webhook_id, delivery_id, now - 100 + delivery_id)
    put_delivery(webhook_id, 6, now - webhooks.DELIVERY_RETENTION_SECONDS - 10)  # expired
    reply = chicago.get(f"{HOOKS}/{webhook_id}/deliveries")
    assert reply.status == 200
    assert [d["id"] for d in reply.json["deliveries"]] == [5, 4, 3, 2, 1]
    assert "pageData" not in reply.json
    assert reply.json["deliveries"][0] == {
        "id": 5,
        "eventId": "evt_5",
        "action": "award",
        "status": "delivered",
        "attempts": 1,
        "lastStatusCode": 204,
        "lastError": None,
        "nextAttemptAt": None,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - 95)),
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - 94)),
    }
    page = chicago.get(f"{HOOKS}/{webhook_id}/deliveries?page=2&count=2").json
    assert [d["id"] for d in page["deliveries"]] == [3, 2]
    assert page["pageData"] == {"page": 2, "count": 2, "total": 5}
    last = chicago.get(f"{HOOKS}/{webhook_id}/deliveries?page=3&count=2").json
    assert [d["id"] for d in last["deliveries"]] == [1]
    assert last["pageData"]["total"] == 5


def test_pending_delivery_shows_its_next_attempt(chicago):
    webhook_id = create(chicago).json["webhook"]["id"]
    put_delivery(
        webhook_id,
        1,
        1700000000,
        expiresAt=int(time.time()) + 100,
        status="pending",
        lastStatusCode=503,
        lastError="HTTP 503",
        nextAttemptAt=1700000060,
    )
    (log,) = chicago.get(f"{HOOKS}/{webhook_id}/deliveries").json["deliveries"]
    assert (log["status"], log["lastStatusCode"], log["lastError"]) == ("pending", 503, "HTTP 503")
    assert log["nextAttemptAt"] == "2023-11-14T22:14:20.000Z"


def test_deliveries_of_unknown_webhook(chicago):
    reply = chicago.get(f"{HOOKS}/7/deliveries")
    assert reply.status == 404
    assert reply.json["message"] == "Could not find webhook field: `id`, value: `7`"


def test_redeliver(chicago, monkeypatch):
    queued: list[tuple[dict[str, Any], float]] = []
    monkeypatch.setattr(queue, "enqueue", lambda message, delay: queued.append((message, delay)))
    webhook_id = create(chicago).json["webhook"]["id"]
    put_delivery(webhook_id, 1, int(time.time()) - 50, status="failed", lastStatusCode=400)
    reply = chicago.post(f"{HOOKS}/{webhook_id}/deliveries/1/redeliver")
    assert reply.status == 202
    body = reply.json["delivery"]
    assert (body["id"], body["eventId"], body["status"], body["attempts"]) == (
        1,
        "evt_1",
        "pending",
        1,
    )
    assert body["nextAttemptAt"] is not None
    # One message on the retry queue, a second late (it must not overtake the record's update).
    ((scheduled, delay),) = queued
    assert delay == 1
    stored = db.get(keys.delivery(webhook_id, 1))
    assert scheduled["token"] == stored["token"] != "t"
    assert (scheduled["eventId"], scheduled["deliveryId"], scheduled["webhookId"]) == (
        "evt_1",
        1,
        webhook_id,
    )
    missing = chicago.post(f"{HOOKS}/{webhook_id}/deliveries/2/redeliver")
    assert missing.status == 404
    assert missing.json["message"] == "Could not find delivery field: `id`, value: `2`"
    assert chicago.post(f"{HOOKS}/99/deliveries/1/redeliver").status == 404
