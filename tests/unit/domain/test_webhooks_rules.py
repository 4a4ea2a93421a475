"""Webhook configuration rules (webhooks.md §1, §3, §4): the POST body with its exact details
(an explicit http(s) scheme, https only unless the deployment allows http, at most 255
characters, a write-only secret never echoed), path ids, the event names and ids. Every
rejection happens before any DynamoDB call. (The address policy itself is in
test_webhook_url_safety.py.)"""

from __future__ import annotations

import re
from typing import Any, get_args

import pytest

from badgekit.domain import webhooks
from badgekit.domain.inputs import Body
from badgekit.errors import ResourceNotFound, ValidationError
from badgekit.store import outbox

SYSTEM = {"entity": "system", "id": 1, "slug": "chicago"}
URL = "https://hooks.example.org/badgekit"


@pytest.fixture(autouse=True)
def default_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WEBHOOKS_ALLOW_HTTP", "WEBHOOKS_ALLOW_PRIVATE"):
        monkeypatch.delenv(name, raising=False)


def details(fields: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as raised:
        webhooks.create(SYSTEM, Body(fields))
    assert raised.value.status == 400
    assert raised.value.body()["message"] == "Could not validate required fields"
    return raised.value.details


def test_url_and_secret_are_required():
    assert details({}) == [
        {"message": "Required field", "field": "url", "value": ""},
        {"message": "Required field", "field": "secret"},
    ]


def test_the_secret_is_never_echoed():
    secret = "s" * 256
    assert details({"url": URL, "secret": secret}) == [
        {"message": "String is not in range", "field": "secret"},
    ]
    assert details({"url": URL, "secret": ""}) == [
        {"message": "String is not in range", "field": "secret"},
    ]


@pytest.mark.parametrize(
    "url",
    [
        "www.example.org/hook",  # a valid URL by README §3.2, but without an explicit scheme
        "ftp://files.example.org/hook",
        "http://hooks.example.org/badgekit",  # https only by default
        "https://user:pass@hooks.example.org/x",
        "https://127.0.0.1/x",
        "https://[::ffff:10.0.0.1]/x",
        "not a url",
    ],
)
def test_urls_refused_by_default(url):
    assert details({"url": url, "secret": "s"}) == [
        {"message": "Invalid URL", "field": "url", "value": url}
    ]


def test_plain_http_when_the_deployment_allows_it(monkeypatch):
    monkeypatch.setenv("WEBHOOKS_ALLOW_HTTP", "true")
    assert webhooks.url_allowed("http://hooks.example.org/badgekit")
    assert details({"url": "http://127.0.0.1:9000/x", "secret": ""}) == [
        {"message": "Invalid URL", "field": "url", "value": "http://127.0.0.1:9000/x"},
        {"message": "String is not in range", "field": "secret"},
    ]
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "loopback")
    assert webhooks.url_allowed("http://127.0.0.1:9000/x")


def test_a_url_over_255_characters_is_out_of_range():
    url = "https://hooks.example.org/" + "a" * 230
    assert len(url) == 256
    assert webhooks.url_allowed(url)
    assert details({"url": url, "secret": "s"}) == [
        {"message": "String is not in range", "field": "url", "value": url}
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("42", 42),
        ("007", 7),
        ("999999999999999", 999999999999999),
        ("0", None),
        ("-1", None),
        ("1.0", None),
        ("abc", None),
        ("", None),
        ("1234567890123456", None),
        ("²", None),
        ("٣", None),
    ],
)
def test_path_ids(text, expected):
    assert webhooks.parse_id(text) == expected


@pytest.mark.parametrize("webhook_id", ["abc", "0", "-3", "", "²"])
def test_a_path_id_that_cannot_exist_is_not_found_without_a_lookup(webhook_id):
    with pytest.raises(ResourceNotFound) as raised:
        webhooks.get(SYSTEM, webhook_id)
    assert raised.value.body() == {
        "code": "ResourceNotFound",
        "message": f"Could not find webhook field: `id`, value: `{webhook_id}`",
    }
    with pytest.raises(ResourceNotFound) as raised:
        webhooks.get_with_delivery(SYSTEM, webhook_id, "1")
    assert raised.value.body()["message"] == (
        f"Could not find webhook field: `id`, value: `{webhook_id}`"
    )


def test_event_names_and_ids():
    assert get_args(outbox.Action) == ("award", "revoke", "review")
    assert re.fullmatch(r"evt_[0-9a-f]{32}", outbox.new_event_id())
    assert outbox.new_event_id() != outbox.new_event_id()
    assert re.fullmatch(r"[0-9a-f]{16}", webhooks.new_token())


def test_delivery_records_expire_after_30_days():
    assert webhooks.DELIVERY_RETENTION_SECONDS == 30 * 24 * 3600
    assert outbox.RETENTION_SECONDS == 30 * 24 * 3600
